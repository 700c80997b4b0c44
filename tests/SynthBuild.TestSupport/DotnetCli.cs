using System.Diagnostics;
using System.Text;

namespace SynthBuild.TestSupport;

public sealed record CliResult(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>Runs the real dotnet CLI (integration tests of the Tasks and Scheduling projects), isolated from build servers so every run uses the freshly built tasks.</summary>
public static class DotnetCli
{
    public static string RepoRoot { get; } = FindRepo();

    /// <summary>A nuget.config in <paramref name="folder"/> whose only package source is the local <paramref name="feed"/>
    /// (a packed SDK or tool), so a restore can take nothing from elsewhere.</summary>
    public static void WriteLocalFeedConfig(string folder, string feed) =>
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public static string TasksAssembly => Path.Combine(RepoRoot, "artifacts", "synth-tasks", Configuration, "SynthBuild.Tasks.dll");

    public static CliResult Run(string workingDir, string arguments, IDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        Start(workingDir, arguments, env, out var output).WaitAndCollect(output, timeout ?? TimeSpan.FromMinutes(5));

    public static Process Start(string workingDir, string arguments, IDictionary<string, string>? env, out StringBuilder output)
    {
        var psi = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDTERMINALLOGGER"] = "off";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var sb = new StringBuilder();
        output = sb;
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static CliResult WaitAndCollect(this Process p, StringBuilder output, TimeSpan timeout)
    {
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {p.StartInfo.Arguments} did not finish in {timeout}:\n{output}");
        }
        p.WaitForExit();
        lock (output) return new CliResult(p.ExitCode, output.ToString());
    }

    /// <summary>`dotnet build` of a project with the switches every test wants.</summary>
    public static CliResult Build(string projectDir, string extra = "", IDictionary<string, string>? env = null) =>
        Run(projectDir, $"build -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false {extra}", env);

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynthBuild.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("SynthBuild.sln not found");
    }
}
