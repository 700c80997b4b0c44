using System.Diagnostics;

namespace SynthBuild.Scheduling.Tests.Slurm;

/// <summary>
/// The real local Slurm cluster (scripts/slurm-local.sh): started if it is not running, and SLURM_CONF set for this
/// process and the builds and Slurm commands it starts.
/// </summary>
public sealed class SlurmClusterFixture
{
    public SlurmClusterFixture()
    {
        var psi = new ProcessStartInfo(Path.Combine(TestPaths.RepoRoot, "scripts", "slurm-local.sh"), "start")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string conf = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(conf))
            throw new InvalidOperationException($"scripts/slurm-local.sh start failed (exit {p.ExitCode}): {stderr.Result}");
        Environment.SetEnvironmentVariable("SLURM_CONF", conf);
        ConfFile = conf;
    }

    public string ConfFile { get; }
}

[CollectionDefinition("slurm")]
public sealed class SlurmCollection : ICollectionFixture<SlurmClusterFixture>;
