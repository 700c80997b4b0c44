using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SynthBuild.Evaluation;

namespace SynthBuild.Cli.Tests;

/// <summary>
/// The CLI packed as a .NET tool (`dotnet pack` of src/SynthBuild.Cli), installed from a local feed with
/// `dotnet tool install --add-source`, run as a user runs it (docs/cli.md "Install"). Packed once for the class.
/// </summary>
public sealed class InstalledTool : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public string Root { get; } = Directory.CreateTempSubdirectory("synth-tool-").FullName;
    public string Feed => Path.Combine(Root, "feed");
    public string ToolPath => Path.Combine(Root, "tools");
    public string Synth => Path.Combine(ToolPath, "synth");
    /// <summary>A fresh prerelease version every run: NuGet caches each id and version once extracted.</summary>
    public string Version { get; } = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
    public string PackLog { get; }
    public string InstallLog { get; }

    public InstalledTool()
    {
        string repo = RepoRoot();
        // PackageVersion, not Version: the assemblies stay as built, so the referenced projects are up to date.
        var pack = Run("dotnet", repo, TimeSpan.FromMinutes(15), null, "pack", Path.Combine("src", "SynthBuild.Cli", "SynthBuild.Cli.csproj"),
            "-c", Configuration, "-o", Feed, $"-p:PackageVersion={Version}", "-nologo", "-tl:off", "--disable-build-servers", "-nodeReuse:false");
        PackLog = pack.ToString();
        if (pack.Code != 0) throw new InvalidOperationException("dotnet pack failed:\n" + PackLog);
        // A private packages folder: the install reads the feed just packed, never a cached copy.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };
        var install = Run("dotnet", Root, TimeSpan.FromMinutes(5), env, "tool", "install", "--tool-path", ToolPath,
            "--add-source", Feed, "--version", Version, "SynthBuild.Cli");
        InstallLog = install.ToString();
        if (install.Code != 0) throw new InvalidOperationException("dotnet tool install failed:\n" + InstallLog);
    }

    public ProcessResult RunSynth(params string[] args) => Run(Synth, Root, TimeSpan.FromMinutes(2), null, args);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynthBuild.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("SynthBuild.sln not found");
    }

    public static ProcessResult Run(string file, string workingDir, TimeSpan timeout, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result, $"{file} {string.Join(' ', args)}");
    }
}

public sealed record ProcessResult(int Code, string Out, string Err, string CommandLine)
{
    public override string ToString() => $"{CommandLine}\nexit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

public sealed class InstalledToolTests(InstalledTool tool) : IClassFixture<InstalledTool>
{
    [Fact]
    public void Pack_writes_the_pointer_the_linux_x64_and_the_portable_packages()
    {
        foreach (string id in new[] { "SynthBuild.Cli", "SynthBuild.Cli.linux-x64", "SynthBuild.Cli.any" })
            Assert.True(File.Exists(Path.Combine(tool.Feed, $"{id}.{tool.Version}.nupkg")), $"{id} missing from the feed:\n{tool.PackLog}");
        Assert.Contains("synth", tool.InstallLog);
    }

    [Fact]
    public void Installed_synth_help_lists_every_command()
    {
        var r = tool.RunSynth("--help");
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("Usage:", r.Out);
        foreach (var c in SynthCli.BuildCommands(TextWriter.Null, TextWriter.Null).Subcommands)
            Assert.Contains("  " + c.Name, r.Out);
    }

    /// <summary>Every command of the real tree (not a list kept here), at every depth, answers --help with exit 0.</summary>
    [Fact]
    public void Every_command_answers_help()
    {
        var paths = new List<(string[] Path, Command Command)>();
        void Walk(Command c, string[] path)
        {
            foreach (var sub in c.Subcommands)
            {
                string[] p = [.. path, sub.Name];
                paths.Add((p, sub));
                Walk(sub, p);
            }
        }
        Walk(SynthCli.BuildCommands(TextWriter.Null, TextWriter.Null), []);
        Assert.True(paths.Count >= 12, $"only {paths.Count} commands found");
        foreach (var (path, command) in paths)
        {
            var r = tool.RunSynth([.. path, "--help"]);
            Assert.True(r.Code == 0, r.ToString());
            Assert.Contains("Usage:", r.Out);
            Assert.Contains("synth " + string.Join(' ', path), r.Out);
            // The description's first words (help wraps long lines).
            string head = string.Join(' ', command.Description!.Split(' ').Take(3));
            Assert.True(r.Out.Contains(head, StringComparison.Ordinal), $"'{head}' not in the help of synth {string.Join(' ', path)}:\n{r.Out}");
            Assert.Equal("", r.Err);
        }
    }

    [Fact]
    public void Usage_errors_exit_2()
    {
        var none = tool.RunSynth();
        Assert.Equal(SynthCli.ExitBadInput, none.Code);
        var unknown = tool.RunSynth("eval", "--gt", "a.json", "--dt", "b.json", "--frobnicate");
        Assert.Equal(SynthCli.ExitBadInput, unknown.Code);
        Assert.Contains("synth: error: unknown option --frobnicate", unknown.Err);
        var version = tool.RunSynth("--version");
        Assert.True(version.Code == 0 && version.Out.Trim().Length > 0, version.ToString());
    }

    [Theory]
    [InlineData("bbox", IouType.Bbox)]
    [InlineData("segm", IouType.Segm)]
    public void Installed_eval_prints_the_in_process_statistics(string iouName, IouType iouType)
    {
        string dir = Path.Combine(tool.Root, "fixture-" + iouName);
        var made = tool.RunSynth("make-fixture", "--out", dir);
        Assert.True(made.Code == 0, made.ToString());
        string gtPath = Path.Combine(dir, "gt.json"), dtPath = Path.Combine(dir, "dt.json"), json = Path.Combine(dir, "stats.json");

        var r = tool.RunSynth("eval", "--gt", gtPath, "--dt", dtPath, "--iou-type", iouName, "--json", json);
        Assert.True(r.Code == 0, r.ToString());

        var gt = CocoGroundTruth.Load(gtPath);
        var expected = new CocoEvaluator(gt, CocoDetections.Load(dtPath, gt), iouType).Run();
        Assert.Equal(100, gt.Images.Count);
        Assert.Equal(CocoEvaluator.FormatSummary(expected), r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(expected, doc.RootElement.GetProperty("stats").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }
}
