using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Evaluation;
using SynthBuild.Lineage;
using SynthBuild.Quality;

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
        // linux-x64 is Native AOT: one native executable, no managed synth.dll; the portable package is the managed build.
        string[] Entries(string id)
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(tool.Feed, $"{id}.{tool.Version}.nupkg"));
            return zip.Entries.Select(e => e.FullName).ToArray();
        }
        string[] native = Entries("SynthBuild.Cli.linux-x64");
        Assert.Contains("tools/any/linux-x64/synth", native);
        Assert.DoesNotContain(native, e => e.EndsWith(".dbg", StringComparison.Ordinal) || e.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.DoesNotContain(native, e => e.EndsWith(".dll", StringComparison.Ordinal));
        string[] portable = Entries("SynthBuild.Cli.any");
        Assert.Contains("tools/net10.0/any/synth.dll", portable);
        // Other platforms' native libraries stay; those of platforms the portable package never serves do not.
        Assert.Contains(portable, e => e.StartsWith("tools/net10.0/any/runtimes/win-x64/native/", StringComparison.Ordinal));
        Assert.Contains(portable, e => e.StartsWith("tools/net10.0/any/runtimes/osx-arm64/native/", StringComparison.Ordinal));
        Assert.DoesNotContain(portable, e => e.Split('/') is [_, _, _, "runtimes", "android" or "ios" or "linux-x64" or "linux-musl-x64", ..]
            || e.Contains("/runtimes/linux-bionic-", StringComparison.Ordinal)
            || (e.Contains("/runtimes/", StringComparison.Ordinal) && (e.EndsWith(".pdb", StringComparison.Ordinal) || e.EndsWith(".lib", StringComparison.Ordinal))));
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

    /// <summary>
    /// The linux-x64 package is Native AOT: JSON that used reflection (quality.json, lineage logs) is source-generated,
    /// and native libraries (SkiaSharp) load from the package. Each command here reads or writes such files; the
    /// installed tool's output must be byte for byte what the in-process (JIT) command line prints.
    /// </summary>
    [Fact]
    public void Installed_tool_reads_quality_reports_and_lineage_and_draws_as_the_in_process_cli_does()
    {
        string dir = Path.Combine(tool.Root, "data");
        string Dataset(string name, int samples)
        {
            string root = Path.Combine(dir, name);
            var spec = ConfigLoader.Parse($$"""
                { "name": "aot", "samples": {{samples}}, "seed": 5, "image": { "width": 80, "height": 60 },
                  "camera": { "intrinsics": { "fx": 62.5, "fy": 62.5, "cx": 40, "cy": 30 } } }
                """, "c.json").Spec!;
            Assert.True(new DatasetBuilder(spec, root).Build().Succeeded);
            Assert.True(QualityStage.Run(root, [new GateDeclaration("label-errors", new Dictionary<string, string>())], true, new QualitySettings()).Succeeded);
            return root;
        }
        string before = Dataset("a", 3), after = Dataset("b", 4);

        string log = Path.Combine(dir, "lineage.jsonl");
        var git = new GitProvenance(true, "/r", "0123456789abcdef0123", "main", null, false, false, [], []);
        var record = new LineageRecord(LineageRecord.CurrentFormat, new DateTimeOffset(2026, 12, 6, 1, 0, 0, TimeSpan.Zero), LineageRecord.Finished,
            "u", "h", "/r/p.synthproj", new DatasetIdentity("aot", "1.0.0", "abc123", "0.9", after), git, new GenerationFigures(4, 0, 0, 0.5),
            new DatasetProfile(4, 9, 80, 60, 3, 3, 1, 0), new Dictionary<string, string> { ["seed"] = "5" },
            new Dictionary<string, double> { ["samples"] = 4, ["balance"] = double.PositiveInfinity });
        LineageLog.Append(log, record);
        LineageLog.Append(log, record with { Status = LineageRecord.Failed, Failure = "quality gate(s) failed: x" });

        string[][] commands =
        [
            ["quality", "compare", before, after],
            ["quality", "compare", before, after, "--json"],
            ["lineage", log],
            ["lineage", log, "--json"],
        ];
        foreach (string[] args in commands)
        {
            var installed = tool.RunSynth(args);
            Assert.True(installed.Code == 0, installed.ToString());
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Assert.Equal(0, SynthCli.Run(args, stdout, stderr));
            Assert.Equal(stdout.ToString(), installed.Out);
            Assert.Equal(stderr.ToString(), installed.Err);
        }
        Assert.Equal(File.ReadAllLines(log), tool.RunSynth("lineage", log, "--json").Out.TrimEnd('\n').Split('\n'));

        // SkiaSharp's native library from the package: the same PNG bytes as in-process.
        string aotPng = Path.Combine(dir, "aot.png"), jitPng = Path.Combine(dir, "jit.png");
        var sheet = tool.RunSynth("contact-sheet", after, "-o", aotPng);
        Assert.True(sheet.Code == 0, sheet.ToString());
        Assert.Equal(0, SynthCli.Run(["contact-sheet", after, "-o", jitPng], TextWriter.Null, TextWriter.Null));
        Assert.Equal(File.ReadAllBytes(jitPng), File.ReadAllBytes(aotPng));
    }
}
