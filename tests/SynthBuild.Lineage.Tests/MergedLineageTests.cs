using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Sharding;

namespace SynthBuild.Lineage.Tests;

/// <summary>The lineage of a dataset merged from shards (docs/lineage.md, "Merged datasets").</summary>
public class MergedLineageTests
{
    private const int Samples = 7, Shards = 3;

    private static MlflowSettings Fast(string uri) =>
        new(uri, MaxAttempts: 2, InitialBackoff: TimeSpan.FromMilliseconds(20), RequestTimeout: TimeSpan.FromSeconds(5));

    /// <summary>Shards 0..2 of the fixture's config built into bin/sharded, then merged there.</summary>
    private static (string Root, MergeResult Merge) ShardAndMerge(LineageFixture f)
    {
        var spec = ConfigLoader.Load(f.ConfigFile).Spec!;
        string root = Path.Combine(f.Dir, "bin", "sharded");
        for (int i = 0; i < Shards; i++)
            Assert.True(new DatasetBuilder(spec, root, new BuildOptions(Shard: ShardPartition.Range(i, Shards, spec.Samples))).Build().Succeeded);
        var merge = ShardMerger.Merge(spec, root, Shards);
        Assert.True(merge.Succeeded, string.Join("\n", merge.Diagnostics));
        return (root, merge);
    }

    [Fact]
    public void A_merged_build_lists_its_shards_in_the_record_the_log_and_the_MLflow_run_a_single_build_does_not()
    {
        var f = new LineageFixture(samples: Samples);
        var (root, merge) = ShardAndMerge(f);
        using var server = new FakeMlflowServer();

        var single = LineageRecorder.Record(f.Lineage() with { SettingsOverride = Fast(server.Uri) });
        Assert.True(single.Succeeded, string.Join("\n", single.Diagnostics));
        var merged = LineageRecorder.Record(f.Lineage() with { DatasetRoot = root, Shards = merge.Shards, SettingsOverride = Fast(server.Uri) });
        Assert.True(merged.Succeeded, string.Join("\n", merged.Diagnostics));
        Assert.Equal(single.Record!.Dataset.Digest, merged.Record!.Dataset.Digest);

        // The log: the single build's line has no "shards" key at all; the merge's lists 3 shards covering [0, 7).
        string[] lines = File.ReadAllLines(f.LogFile);
        Assert.Equal(2, lines.Length);
        using (var doc = JsonDocument.Parse(lines[0])) Assert.False(doc.RootElement.TryGetProperty("shards", out _));
        using (var doc = JsonDocument.Parse(lines[1]))
        {
            var shards = doc.RootElement.GetProperty("shards").EnumerateArray().ToList();
            Assert.Equal(Shards, shards.Count);
            int next = 0;
            for (int i = 0; i < Shards; i++)
            {
                var range = shards[i].GetProperty("range");
                Assert.Equal(i, range.GetProperty("index").GetInt32());
                Assert.Equal(Shards, range.GetProperty("count").GetInt32());
                Assert.Equal(next, range.GetProperty("start").GetInt32());
                next = range.GetProperty("end").GetInt32();
                string manifest = shards[i].GetProperty("manifest").GetString()!;
                Assert.Equal($"shards/shard-000{i}-of-0003.json", manifest);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, manifest)))),
                    shards[i].GetProperty("sha256").GetString());
            }
            Assert.Equal(Samples, next);
        }
        var read = LineageLog.Read(f.LogFile);
        Assert.Null(read[0].Shards);
        Assert.Equal(merge.Shards, read[1].Shards!);
        string text = LineageLog.Format(read);
        Assert.Contains("  merged from 3 shards: 0 [0, 2), 1 [2, 4), 2 [4, 7)\n", text);
        Assert.Equal(1, text.Split("merged from").Length - 1);

        // MLflow: the merge's run has synth.shards and lineage/shards.json; the single build's has neither.
        var singleRun = server.Runs[single.Record.Mlflow!.RunId];
        var mergedRun = server.Runs[merged.Record.Mlflow!.RunId];
        Assert.False(singleRun.Params.ContainsKey(MlflowTracker.ShardsParam));
        Assert.Equal("3", mergedRun.Params["synth.shards"]);
        Assert.Equal(singleRun.Params.Count + 1, mergedRun.Params.Count);
        Assert.DoesNotContain(server.Artifacts.Keys, k => k.StartsWith($"{singleRun.ExperimentId}/{singleRun.Id}/", StringComparison.Ordinal) && k.EndsWith("shards.json", StringComparison.Ordinal));
        byte[] artifact = server.Artifacts[$"{mergedRun.ExperimentId}/{mergedRun.Id}/artifacts/lineage/shards.json"];
        using (var doc = JsonDocument.Parse(artifact))
        {
            Assert.Equal(merged.Record.Dataset.Digest, doc.RootElement.GetProperty("digest").GetString());
            var listed = doc.RootElement.GetProperty("shards").EnumerateArray()
                .Select(s => (s.GetProperty("range").GetProperty("start").GetInt32(), s.GetProperty("range").GetProperty("end").GetInt32(), s.GetProperty("sha256").GetString()))
                .ToList();
            Assert.Equal(merge.Shards.Select(s => (s.Range.Start, s.Range.End, (string?)s.Sha256)), listed);
        }
    }
}
