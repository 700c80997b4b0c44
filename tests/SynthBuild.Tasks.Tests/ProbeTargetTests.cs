using System.Text.Json;

namespace SynthBuild.Tasks.Tests;

/// <summary>The probe detector in a real build: `dotnet build -t:SynthProbe` with tiny settings (docs/models.md).</summary>
[Collection("dotnet build")]
public class ProbeTargetTests
{
    private static string Runner => Path.Combine(DotnetCli.RepoRoot, "artifacts", "synth-probe-runner", DotnetCli.Configuration, "SynthBuild.Models.Probe.Runner.dll");

    /// <summary>Tiny settings: 64×48 input, 2 epochs, batch 4, 1 thread (a few seconds on 16 samples).</summary>
    private static string Probe(string extra = "") =>
        $"-t:SynthProbe -p:SynthProbeRunner={Runner} -p:SynthProbeEpochs=2 -p:SynthProbeWidth=64 -p:SynthProbeHeight=48 -p:SynthProbeBatch=4 -p:SynthProbeThreads=1 -p:SynthProbeSeed=5 {extra}";

    private const string Config = """
        {
          "samples": 16,
          "seed": 3,
          "image": { "width": 160, "height": 120 },
          "camera": { "intrinsics": { "fx": 125, "fy": 125, "cx": 80, "cy": 60 } },
          "splits": { "train": 0.5, "val": 0.25, "test": 0.25 }
        }
        """;

    [Fact]
    public void SynthProbe_trains_once_per_key_and_its_gate_and_settings_fail_the_build_with_their_codes()
    {
        var p = new TempDatasetProject(Config, projectItems: """
              <ItemGroup>
                <SynthGate Include="probe-ap50" Min="$(ProbeGateMin)" Condition="'$(ProbeGateMin)' != ''" />
              </ItemGroup>
            """);
        string reports = Path.Combine(p.OutputDir, "reports");
        string report = Path.Combine(reports, "probe.json"), key = Path.Combine(reports, "probe.key.json");

        // The package layout has no runner: a clear error that says how to point at one.
        var noRunner = p.Build("-t:SynthProbe");
        Assert.Equal(1, noRunner.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN8105: The probe runner is not installed", noRunner.Output);
        Assert.Contains("-p:SynthProbeRunner=", noRunner.Output);
        Assert.False(File.Exists(report));

        // A probe gate before any probe ran: its own error, naming the gate and the way to run the probe.
        var gateFirst = p.Build("-p:ProbeGateMin=0");
        Assert.Equal(1, gateFirst.ExitCode);
        Assert.Matches(@"demo\.synthproj\(\d+,\d+\): error SYN8107: Quality gate 'probe-ap50' cannot be measured: no probe report .*-t:SynthProbe", gateFirst.Output);

        var first = p.Build(Probe("-p:ProbeGateMin=0"));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("probe epoch 2/2", first.Output);
        foreach (string f in new[] { "probe.json", "probe.key.json", "probe.weights", "probe.contact.png", "probe.val.detections.json", "probe.test.detections.json" })
            Assert.True(File.Exists(Path.Combine(reports, f)), f);
        Assert.Contains("id=\"probe\"", File.ReadAllText(Path.Combine(reports, "quality.html")));
        // The failure-mode slices of the val detections, under the probe's key, and their report section.
        using (var sl = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, "slices.json"))))
        {
            Assert.Equal("synthbuild.slices/1", sl.RootElement.GetProperty("schema").GetString());
            Assert.Equal(p.Digest(), sl.RootElement.GetProperty("dataset").GetProperty("digest").GetString());
        }
        Assert.Contains("id=\"slices\"", File.ReadAllText(Path.Combine(reports, "quality.html")));
        using (var k = JsonDocument.Parse(File.ReadAllBytes(key)))
        {
            Assert.Equal(p.Digest(), k.RootElement.GetProperty("digest").GetString());
            Assert.Equal("5", k.RootElement.GetProperty("settings").GetProperty("seed").GetString());
        }
        byte[] firstReport = File.ReadAllBytes(report), firstKey = File.ReadAllBytes(key);
        DateTime written = File.GetLastWriteTimeUtc(report);

        // Unchanged: up to date, not trained again; also as part of the normal build (SynthProbeOnBuild).
        var again = p.Build(Probe("-p:ProbeGateMin=0"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("(up to date)", again.Output);
        Assert.DoesNotContain("probe epoch", again.Output);
        var onBuild = p.Build(Probe("-p:ProbeGateMin=0").Replace("-t:SynthProbe", "-p:SynthProbeOnBuild=true"));
        Assert.True(onBuild.ExitCode == 0, onBuild.ToString());
        Assert.Contains("(up to date)", onBuild.Output);
        Assert.Equal(written, File.GetLastWriteTimeUtc(report));

        // A failing gate fails the build with its code and names the gate; the probe is not trained for it.
        var failing = p.Build(Probe("-p:ProbeGateMin=1.5"));
        Assert.Equal(1, failing.ExitCode);
        Assert.Matches(@"error SYN5001: Quality gate 'probe-ap50' failed: probe detector's val AP at IoU 0\.5 is [0-9.]+, below the minimum 1\.5", failing.Output);
        Assert.DoesNotContain("probe epoch", failing.Output);

        // A bad setting: SYN8104 naming the property, before anything is written.
        var bad = p.Build(Probe("-p:SynthProbeWidth=60"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN8104: SynthProbeWidth must be a positive multiple of 16, found '60'.", bad.Output);
        Assert.Equal(firstReport, File.ReadAllBytes(report));
        Assert.Equal(firstKey, File.ReadAllBytes(key));

        // A changed setting trains again, under a new key.
        var reseeded = p.Build(Probe("-p:SynthProbeSeed=6"));
        Assert.True(reseeded.ExitCode == 0, reseeded.ToString());
        Assert.Contains("probe epoch 2/2", reseeded.Output);
        Assert.NotEqual(firstKey, File.ReadAllBytes(key));

        // No key (as a run killed half-way leaves): trained again.
        File.Delete(key);
        var rerun = p.Build(Probe("-p:SynthProbeSeed=6"));
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Contains("probe epoch 2/2", rerun.Output);
        Assert.True(File.Exists(key));
    }

    [Fact]
    public void SynthSimToReal_with_the_probe_runs_it_on_the_real_set_gates_the_gap_and_keys_the_real_run()
    {
        // The "real" set: another dataset's COCO export (other seed, dim light), with the same categories.
        var realProject = new TempDatasetProject(Config.Replace("\"seed\": 3", "\"seed\": 11").Replace("\"splits\"",
            "\"lighting\": { \"intensity\": { \"min\": 100, \"max\": 200 } },\n  \"splits\""), name: "real",
            projectItems: """<ItemGroup><SynthExport Include="coco" /></ItemGroup>""");
        var builtReal = realProject.Build();
        Assert.True(builtReal.ExitCode == 0, builtReal.ToString());
        string realDir = realProject.OutputDir;
        string realGt = Path.Combine(realDir, "exports", "coco", "instances_train.json");
        Assert.True(File.Exists(realGt));

        var p = new TempDatasetProject(Config);
        string reports = Path.Combine(p.OutputDir, "reports");
        // 10 epochs (a few seconds): 2 leave every score of this tiny probe below its 0.001 threshold, no detections.
        string SimToReal(string gt, string gap) =>
            Probe($"-p:SynthSimToRealProbe=true -p:SynthRealGt={gt} -p:SynthRealImages={realDir} -p:SynthMaxGap={gap}")
                .Replace("-t:SynthProbe", "-t:SynthSimToReal").Replace("-p:SynthProbeEpochs=2", "-p:SynthProbeEpochs=10");

        var noReal = p.Build(Probe("-p:SynthSimToRealProbe=true").Replace("-t:SynthProbe", "-t:SynthSimToReal"));
        Assert.Equal(1, noReal.ExitCode);
        Assert.Contains("error SYN7007: SynthSimToRealProbe needs SynthRealGt", noReal.Output);
        Assert.DoesNotContain("probe epoch", noReal.Output);

        // Trains the probe, runs it on the real set, and gates the gap (no gap is at most -1 unless real AP is 1).
        var failing = p.Build(SimToReal(realGt, "-1"));
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("probe epoch 10/10", failing.Output);
        Assert.Contains("probe: real AP", failing.Output);
        Assert.Matches(@"error SYN7010: sim-to-real gap -?[0-9.]+ \(synthetic mAP [0-9.]+, real mAP [0-9.]+\) exceeds the maximum -1\.000", failing.Output);
        using (var s2r = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, "sim2real.json"))))
        using (var probe = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, "probe.json"))))
        {
            // The synthetic side is the probe's own test-split score: the same detections against the same truth.
            var testStats = probe.RootElement.GetProperty("metrics").GetProperty("test").GetProperty("stats");
            Assert.Equal(testStats.GetProperty("AP").GetDouble(), s2r.RootElement.GetProperty("syntheticMap").GetDouble());
            Assert.False(s2r.RootElement.GetProperty("passed").GetBoolean());
            Assert.NotEqual(0, s2r.RootElement.GetProperty("categories").GetArrayLength());
        }
        byte[] realDetections = File.ReadAllBytes(Path.Combine(reports, "probe.real.detections.json"));
        Assert.NotEmpty(JsonDocument.Parse(realDetections).RootElement.EnumerateArray());

        // Unchanged: neither trained nor run on the real set again; a looser gate passes from the same files.
        var passing = p.Build(SimToReal(realGt, "1"));
        Assert.True(passing.ExitCode == 0, passing.ToString());
        Assert.Contains("Probe on the real set: (up to date)", passing.Output);
        Assert.DoesNotContain("probe epoch", passing.Output);
        Assert.DoesNotContain("probe: real AP", passing.Output);

        // A changed real set is evaluated again, without retraining, to the same detections when only bytes moved.
        string rewritten = Path.Combine(realProject.Directory, "real-rewritten.json");
        File.WriteAllText(rewritten, File.ReadAllText(realGt) + "\n");
        var changed = p.Build(SimToReal(rewritten, "1"));
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("probe: real AP", changed.Output);
        Assert.DoesNotContain("probe epoch", changed.Output);
        Assert.Equal(realDetections, File.ReadAllBytes(Path.Combine(reports, "probe.real.detections.json")));

        // A real set whose categories are not the dataset's: SYN8012 naming the real file, detections untouched.
        string renamed = Path.Combine(realProject.Directory, "renamed.json");
        File.WriteAllText(renamed, File.ReadAllText(realGt).Replace("\"name\":\"sphere\"", "\"name\":\"ball\""));
        Assert.NotEqual(File.ReadAllText(realGt), File.ReadAllText(renamed));
        var wrongNames = p.Build(SimToReal(renamed, "1"));
        Assert.Equal(1, wrongNames.ExitCode);
        Assert.Contains($"{renamed} : error SYN8012: The real set's categories do not match the dataset's: ", wrongNames.Output);
        Assert.Contains("'ball' (the dataset's ", wrongNames.Output);
        Assert.DoesNotContain("Unhandled", wrongNames.Output);
        Assert.Equal(realDetections, File.ReadAllBytes(Path.Combine(reports, "probe.real.detections.json")));

        // A missing image: SYN8103 naming the image file.
        string missing = Path.Combine(realProject.Directory, "missing.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(realGt))!;
        node["images"]![0]!["file_name"] = "rgb/no-such-image.png";
        File.WriteAllText(missing, node.ToJsonString());
        var noImage = p.Build(SimToReal(missing, "1"));
        Assert.Equal(1, noImage.ExitCode);
        Assert.Contains($"{Path.Combine(realDir, "rgb", "no-such-image.png")} : error SYN8103: Image ", noImage.Output);
        Assert.DoesNotContain("Unhandled", noImage.Output);
    }
}
