using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Lineage.Tests;

namespace SynthBuild.Tasks.Tests;

/// <summary>The lineage of a dataset merged by SynthMerge, through real `dotnet build` runs (docs/lineage.md, "Merged datasets").</summary>
[Collection("dotnet build")]
public class ShardLineageIntegrationTests
{
    [Fact]
    public void Three_shards_and_a_merge_record_one_run_listing_the_shards_a_single_build_records_none()
    {
        var p = LineageIntegrationTests.InRepository("0.3.0");
        using var server = new FakeMlflowServer();
        // Index variables blanked, whatever the machine running the tests has; the run goes to the in-process server.
        var env = new Dictionary<string, string>
        {
            ["MLFLOW_TRACKING_URI"] = server.Uri, ["SLURM_ARRAY_TASK_ID"] = "", ["JOB_COMPLETION_INDEX"] = "",
            ["AWS_BATCH_JOB_ARRAY_INDEX"] = "", ["SYNTH_SHARD_INDEX"] = "",
        };
        const string samples = "-p:SynthSamples=24";
        string single = Path.Combine(p.Directory, "bin", "single") + "/";
        // Lineage keeps one record per digest, and the merge's digest is the single build's: the single build
        // records into its own log so that the merge's record is a new one.
        string singleLog = Path.Combine(p.Directory, "bin", "single-lineage.jsonl");
        var whole = p.Build($"{samples} -p:SynthOutputDir={single} -p:SynthLineageLog={singleLog}", env);
        Assert.True(whole.ExitCode == 0, whole.ToString());
        Assert.Contains("demo: lineage recorded (FINISHED)", whole.Output);

        for (int i = 0; i < 3; i++)
        {
            var shard = p.Build($"{samples} -p:SynthShard={i}/3", env);
            Assert.True(shard.ExitCode == 0, shard.ToString());
            Assert.DoesNotContain("lineage recorded", shard.Output); // a shard runs no lineage stage
        }
        var merge = p.Build($"-t:SynthMerge -p:SynthShards=3 {samples}", env);
        Assert.True(merge.ExitCode == 0, merge.ToString());
        Assert.Contains("demo: merged 3 shards, 24 samples", merge.Output);
        Assert.Contains("demo: lineage recorded (FINISHED)", merge.Output);
        Assert.Equal(p.Digest(single), p.Digest());

        string[] lines = [.. File.ReadAllLines(singleLog), .. File.ReadAllLines(Path.Combine(p.Directory, "lineage.jsonl"))];
        Assert.Equal(2, lines.Length);
        using (var doc = JsonDocument.Parse(lines[0]))
        {
            Assert.False(doc.RootElement.TryGetProperty("shards", out _), lines[0]);
            Assert.Equal(p.Digest(single), doc.RootElement.GetProperty("dataset").GetProperty("digest").GetString());
        }
        var shaByManifest = new Dictionary<string, string>();
        using (var doc = JsonDocument.Parse(lines[1]))
        {
            Assert.Equal(p.Digest(), doc.RootElement.GetProperty("dataset").GetProperty("digest").GetString());
            var shards = doc.RootElement.GetProperty("shards").EnumerateArray().ToList();
            Assert.Equal(3, shards.Count);
            int next = 0;
            foreach (var (s, i) in shards.Select((s, i) => (s, i)))
            {
                var range = s.GetProperty("range");
                Assert.Equal(i, range.GetProperty("index").GetInt32());
                Assert.Equal(next, range.GetProperty("start").GetInt32());
                next = range.GetProperty("end").GetInt32();
                Assert.Equal(next - 8, range.GetProperty("start").GetInt32()); // 24 / 3
                string manifest = s.GetProperty("manifest").GetString()!;
                string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(p.OutputDir, manifest))));
                Assert.Equal(sha, s.GetProperty("sha256").GetString());
                shaByManifest[manifest] = sha;
            }
            Assert.Equal(24, next); // the ranges cover [0, 24)
        }

        // One MLflow run per recorded build, none per shard; only the merge's has the shard count and list.
        Assert.Equal(2, server.Runs.Count);
        var singleRun = server.Runs.Values.Single(r => !r.Params.ContainsKey("synth.shards"));
        var mergedRun = server.Runs.Values.Single(r => r.Params.ContainsKey("synth.shards"));
        Assert.Equal("3", mergedRun.Params["synth.shards"]);
        Assert.Equal("FINISHED", mergedRun.Status);
        Assert.DoesNotContain($"{singleRun.ExperimentId}/{singleRun.Id}/artifacts/lineage/shards.json", server.Artifacts.Keys);
        using (var doc = JsonDocument.Parse(server.Artifacts[$"{mergedRun.ExperimentId}/{mergedRun.Id}/artifacts/lineage/shards.json"]))
            Assert.Equal(shaByManifest, doc.RootElement.GetProperty("shards").EnumerateArray()
                .ToDictionary(s => s.GetProperty("manifest").GetString()!, s => s.GetProperty("sha256").GetString()!));
    }
}
