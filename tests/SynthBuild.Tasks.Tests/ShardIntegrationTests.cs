using SynthBuild.Core.Storage;

namespace SynthBuild.Tasks.Tests;

/// <summary>Sharded builds through real `dotnet build` runs (docs/sharding.md).</summary>
[Collection("dotnet build")]
public class ShardIntegrationTests
{
    private static readonly string[] IndexVariables =
        ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SYNTH_SHARD_INDEX"];

    /// <summary>Every index variable blanked (whatever the machine running the tests has), then <paramref name="set"/>.</summary>
    private static Dictionary<string, string> Env(string? set = null, int index = 0)
    {
        var env = IndexVariables.ToDictionary(v => v, _ => "");
        if (set is not null) env[set] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return env;
    }

    private static Dictionary<string, string> DatasetFiles(TempDatasetProject p, string? dir = null) =>
        p.Snapshot(dir).Where(kv => !kv.Key.StartsWith("shards/", StringComparison.Ordinal) && !kv.Key.StartsWith("reports/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.Sha);

    private static void AssertCleanFailure(CliResult r, string code)
    {
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains($"error {code}:", r.Output);
        Assert.DoesNotContain("   at ", r.Output); // no stack trace
        Assert.DoesNotContain("MSB4018", r.Output); // no task crash
    }

    [Fact]
    public void Three_shards_and_a_merge_equal_a_single_build_and_a_finished_shard_rebuilds_as_a_no_op()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 7));
        string single = Path.Combine(p.Directory, "single") + "/";
        Assert.Equal(0, p.Build($"-p:SynthOutputDir={single}").ExitCode);

        var r0 = p.Build("-p:SynthShard=0/3", Env());
        Assert.True(r0.ExitCode == 0, r0.ToString());
        Assert.Contains("demo: shard 0 of 3, samples [0, 2): 2 generated", r0.Output);
        var r1 = p.Build("-p:SynthShard=auto/3", Env("SLURM_ARRAY_TASK_ID", 1));
        Assert.True(r1.ExitCode == 0, r1.ToString());
        Assert.Contains("shard index 1 of 3 from SLURM_ARRAY_TASK_ID", r1.Output);
        var r2 = p.Build("-p:SynthShard=auto/3", Env("JOB_COMPLETION_INDEX", 2));
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Contains("shard index 2 of 3 from JOB_COMPLETION_INDEX", r2.Output);
        Assert.Contains("demo: shard 2 of 3, samples [4, 7): 3 generated", r2.Output);

        // Shards write samples and their shard manifests only: no dataset files, no downstream stage.
        Assert.Equal(["shard-0000-of-0003.json", "shard-0001-of-0003.json", "shard-0002-of-0003.json"],
            Directory.GetFiles(Path.Combine(p.OutputDir, "shards")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string absent in new[] { "manifest.json", "dataset.json", "reports", "exports" })
            Assert.False(Path.Exists(Path.Combine(p.OutputDir, absent)), absent);

        var merge = p.Build("-t:SynthMerge -p:SynthShards=3");
        Assert.True(merge.ExitCode == 0, merge.ToString());
        Assert.Contains("demo: merged 3 shards, 7 samples (7 changed, 0 removed)", merge.Output);
        Assert.Equal(p.Digest(single), p.Digest());
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "manifest.json")), File.ReadAllBytes(Path.Combine(p.OutputDir, "manifest.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "dataset.json")), File.ReadAllBytes(Path.Combine(p.OutputDir, "dataset.json")));
        Assert.Equal(DatasetFiles(p, single), DatasetFiles(p));
        // The merge runs the stages a build runs after generation: the quality analysis here.
        Assert.True(File.Exists(Path.Combine(p.OutputDir, "reports", "quality.json")), merge.Output);

        // A finished shard, run again (with the two remaining variables): verified by hash, nothing written.
        var before = p.Snapshot();
        var again = p.Build("-p:SynthShard=auto/3", Env("AWS_BATCH_JOB_ARRAY_INDEX", 2));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("shard index 2 of 3 from AWS_BATCH_JOB_ARRAY_INDEX", again.Output);
        Assert.Contains("demo: shard 2 of 3, samples [4, 7): 0 generated, 3 reused", again.Output);
        var again0 = p.Build("-p:SynthShard=auto/3", Env("SYNTH_SHARD_INDEX", 0));
        Assert.True(again0.ExitCode == 0, again0.ToString());
        Assert.Contains("shard index 0 of 3 from SYNTH_SHARD_INDEX", again0.Output);
        Assert.Contains("0 generated, 2 reused", again0.Output);
        Assert.Equal(before, p.Snapshot());
    }

    [Fact]
    public void Bad_SynthShard_values_fail_with_their_code_and_touch_nothing()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 6));
        Assert.Equal(0, p.Build().ExitCode);
        var before = p.Snapshot();
        foreach (var (value, env, code) in new (string, Dictionary<string, string>, string)[]
                 {
                     ("3", Env(), "SYN9001"), ("a/b", Env(), "SYN9001"), ("-1/4", Env(), "SYN9001"), ("0/0", Env(), "SYN9001"),
                     ("3/3", Env(), "SYN9002"), ("auto/4", Env("SYNTH_SHARD_INDEX", 4), "SYN9002"),
                     ("auto/4", Env(), "SYN9003"),
                 })
        {
            var r = p.Build($"-p:SynthShard={value}", env);
            AssertCleanFailure(r, code);
            Assert.Contains($"SynthShard='{value}'", r.Output);
            Assert.Contains(p.ProjectFile, r.Output); // the error names the project
            Assert.Equal(before, p.Snapshot());
        }
    }

    [Fact]
    public void Bad_merges_fail_with_their_code_naming_the_shard_and_write_no_manifest()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 6));
        for (int i = 0; i < 3; i++) Assert.Equal(0, p.Build($"-p:SynthShard={i}/3", Env()).ExitCode);
        var before = p.Snapshot();
        void Fails(string args, string code, string? names = null)
        {
            var r = p.Build(args);
            AssertCleanFailure(r, code);
            if (names is not null) Assert.Contains(names, r.Output);
            Assert.False(File.Exists(Path.Combine(p.OutputDir, "manifest.json")));
            Assert.Equal(before, p.Snapshot());
        }

        Fails("-t:SynthMerge", "SYN9005", "SynthShards=''");
        Fails("-t:SynthMerge -p:SynthShards=x", "SYN9005");
        Fails("-t:SynthMerge -p:SynthShards=0", "SYN9005");
        Fails("-t:SynthMerge -p:SynthShards=4", "SYN9107", "shard-0000-of-0003.json");

        string shard1 = ShardManifest.PathFor(p.OutputDir, 1, 3);
        File.Move(shard1, shard1 + ".away");
        before = p.Snapshot();
        Fails("-t:SynthMerge -p:SynthShards=3", "SYN9101", shard1);
        File.Move(shard1 + ".away", shard1);

        string rgb = Path.Combine(p.OutputDir, "rgb", "000003.png");
        byte[] bytes = File.ReadAllBytes(rgb);
        bytes[^9] ^= 0x10;
        File.WriteAllBytes(rgb, bytes);
        before = p.Snapshot();
        Fails("-t:SynthMerge -p:SynthShards=3", "SYN9106", shard1);

        // Rebuilding the damaged shard repairs it; the merge then succeeds.
        Assert.Equal(0, p.Build("-p:SynthShard=1/3", Env()).ExitCode);
        Assert.Equal(0, p.Build("-t:SynthMerge -p:SynthShards=3").ExitCode);
    }
}
