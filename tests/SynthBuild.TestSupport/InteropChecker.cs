using System.Diagnostics;

namespace SynthBuild.TestSupport;

/// <summary>Runs interop/check_exports.py (numpy, OpenCV, protoc: Debian's python3-numpy, python3-opencv, protobuf-compiler).</summary>
public static class InteropChecker
{
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static string Run(string datasetDir, string exportsDir)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "interop", "check_exports.py");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(datasetDir);
        psi.ArgumentList.Add(exportsDir);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string all = stdout + stderr.Result;
        Assert.True(p.ExitCode == 0, $"check_exports.py failed ({p.ExitCode}):\n{all}");
        Assert.EndsWith("OK", stdout.TrimEnd());
        return stdout;
    }
}
