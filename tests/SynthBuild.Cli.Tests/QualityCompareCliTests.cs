using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Quality;

namespace SynthBuild.Cli.Tests;

public sealed class QualityCompareCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("synth-cli-compare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A small dataset with its quality report.</summary>
    private string Dataset(string name, int samples)
    {
        string root = Path.Combine(_dir, name);
        var spec = ConfigLoader.Parse($$"""
            { "name": "cli", "samples": {{samples}}, "seed": 4, "image": { "width": 80, "height": 60 },
              "camera": { "intrinsics": { "fx": 62.5, "fy": 62.5, "cx": 40, "cy": 30 } } }
            """, "c.json").Spec!;
        Assert.True(new DatasetBuilder(spec, root).Build().Succeeded);
        var gates = new[] { new GateDeclaration("label-errors", new Dictionary<string, string>()) };
        Assert.True(QualityStage.Run(root, gates, true, new QualitySettings()).Succeeded);
        return root;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SynthCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Compares_folders_and_report_files_as_markdown()
    {
        string before = Dataset("a", 3), after = Dataset("b", 5);
        var r = Run("quality", "compare", before, Path.Combine(after, "reports", "quality.json"));
        Assert.Equal(0, r.Code);
        Assert.StartsWith("## Dataset comparison: cli", r.Out);
        Assert.Contains("**Samples:** 2 added, 0 removed, 0 changed, 3 unchanged (by content", r.Out);
        Assert.Contains("| label-errors | 0 | 0 | <= 0 | <= 0 | pass |", r.Out);
        var reversed = Run("quality", "compare", "--release", after, before); // a folder that holds reports/ as a release does
        Assert.Equal(0, reversed.Code);
        Assert.Contains($"**before:** {after} (5 samples", reversed.Out);
        Assert.Contains("**Samples:** 0 added, 2 removed", reversed.Out);
    }

    /// <summary>--json: the same comparison as one JSON object on stdout; its numbers are the reports' own.</summary>
    [Fact]
    public void Json_is_one_object_with_the_comparisons_numbers()
    {
        string before = Dataset("a", 3), after = Dataset("b", 5);
        var r = Run("quality", "compare", before, after, "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("", r.Err);
        Assert.Single(r.Out.TrimEnd('\n').Split('\n'));
        var a = QualityReport.Read(Path.Combine(before, "reports", "quality.json"));
        var b = QualityReport.Read(Path.Combine(after, "reports", "quality.json"));
        using var doc = JsonDocument.Parse(r.Out);
        var o = doc.RootElement;
        Assert.Equal(before, o.GetProperty("before").GetProperty("label").GetString());
        Assert.Equal(a.Digest, o.GetProperty("before").GetProperty("digest").GetString());
        Assert.Equal(5, o.GetProperty("after").GetProperty("samples").GetInt32());
        Assert.Equal("cli", o.GetProperty("after").GetProperty("dataset").GetString());
        Assert.False(o.GetProperty("identical").GetBoolean());
        var samples = o.GetProperty("samples");
        Assert.True(samples.GetProperty("byContent").GetBoolean());
        Assert.Equal([3, 4], samples.GetProperty("added").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(0, samples.GetProperty("removed").GetArrayLength());
        Assert.Equal(3, samples.GetProperty("unchanged").GetInt32());
        Assert.Equal(0, o.GetProperty("regressions").GetArrayLength());
        Assert.Equal(b.Classes.Select(c => (c.Name, c.Instances)),
            o.GetProperty("classes").EnumerateArray().Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("after").GetInt64())));
        var gate = Assert.Single(o.GetProperty("gates").EnumerateArray());
        Assert.Equal("label-errors", gate.GetProperty("name").GetString());
        Assert.Equal("error", gate.GetProperty("severity").GetString());
        Assert.True(gate.GetProperty("after").GetProperty("passed").GetBoolean());
        Assert.Equal(0, gate.GetProperty("after").GetProperty("max").GetDouble());
        Assert.False(gate.GetProperty("regressed").GetBoolean());

        // The same dataset on both sides: identical, nothing added or changed.
        using var same = JsonDocument.Parse(Run("quality", "compare", before, before, "--json").Out);
        Assert.True(same.RootElement.GetProperty("identical").GetBoolean());
        Assert.Equal(3, same.RootElement.GetProperty("samples").GetProperty("unchanged").GetInt32());
    }

    [Fact]
    public void Bad_arguments_and_missing_reports_are_clear_errors()
    {
        string before = Dataset("a", 2);
        var missing = Run("quality", "compare", before, Path.Combine(_dir, "nowhere"));
        Assert.Equal(SynthCli.ExitBadInput, missing.Code);
        Assert.Contains("error SYN5007: Nothing to compare with at", missing.Err);

        Assert.Equal(SynthCli.ExitBadInput, Run("quality", "compare", before).Code);
        var both = Run("quality", "compare", "--ref", "main", "--release", before, before);
        Assert.Contains("--ref and --release are two ways to name BEFORE", both.Err);
        Assert.Contains("unknown option --frobnicate", Run("quality", "compare", "--frobnicate", before, before).Err);
        var notRepo = Run("quality", "compare", "--ref", "main", "--project", WriteProject());
        Assert.Equal(SynthCli.ExitBadInput, notRepo.Code);
        Assert.Contains("error SYN5007: Cannot compare with git ref 'main': the project is not inside a git repository.", notRepo.Err);
    }

    private string WriteProject()
    {
        string p = Path.Combine(_dir, "p", "p.synthproj");
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, "<Project />");
        return p;
    }
}
