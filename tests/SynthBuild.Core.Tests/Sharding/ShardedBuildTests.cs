using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Sharding;

public class ShardedBuildTests
{
    private const int Samples = 8, Shards = 3;

    private static BuildResult BuildShard(DatasetSpec spec, string dir, int index, int count = Shards) =>
        new DatasetBuilder(spec, dir, new BuildOptions(Shard: ShardPartition.Range(index, count, spec.Samples))).Build();

    private static string ShardedFolder(DatasetSpec spec, int count = Shards)
    {
        string dir = SmallDataset.TempDir();
        for (int i = 0; i < count; i++) Assert.True(BuildShard(spec, dir, i, count).Succeeded);
        return dir;
    }

    private static Dictionary<string, string> Contents(string root) =>
        SmallDataset.Snapshot(root).Where(kv => !kv.Key.StartsWith("shards/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.Sha);

    [Fact]
    public void Shards_then_merge_give_the_single_build_byte_for_byte()
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string single = SmallDataset.TempDir();
        var whole = new DatasetBuilder(spec, single).Build();

        string dir = SmallDataset.TempDir();
        for (int i = 0; i < Shards; i++)
        {
            var r = BuildShard(spec, dir, i);
            Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
            var range = ShardPartition.Range(i, Shards, Samples);
            Assert.Equal(range.End - range.Start, r.Generated);
            // A shard writes its own manifest and never the dataset's.
            Assert.False(File.Exists(Path.Combine(dir, Manifest.FileName)));
            Assert.False(File.Exists(Path.Combine(dir, DatasetLayout.DatasetFile)));
            var shard = ShardManifest.TryRead(ShardManifest.PathFor(dir, i, Shards), out _)!;
            Assert.Equal(range, shard.Range);
            Assert.True(shard.Complete);
            Assert.Equal(r.Digest, shard.Digest);
        }

        var merged = ShardMerger.Merge(spec, dir, Shards);
        Assert.True(merged.Succeeded, string.Join("\n", merged.Diagnostics));
        Assert.Equal(whole.Digest, merged.Manifest!.Digest);
        Assert.Equal(Samples, merged.Changed);
        // Each shard it took in, for the lineage record: its range, its shard manifest and that file's SHA-256.
        Assert.Equal(Enumerable.Range(0, Shards).Select(i => ShardPartition.Range(i, Shards, Samples)), merged.Shards.Select(s => s.Range));
        foreach (var s in merged.Shards)
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, s.Manifest)))), s.Sha256);
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, Manifest.FileName)), File.ReadAllBytes(Path.Combine(dir, Manifest.FileName)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, DatasetLayout.DatasetFile)), File.ReadAllBytes(Path.Combine(dir, DatasetLayout.DatasetFile)));
        Assert.Equal(Contents(single), Contents(dir));

        // The merged folder is a dataset like any other: a normal build over it is a no-op.
        var after = new DatasetBuilder(spec, dir).Build();
        Assert.Equal((0, Samples, whole.Digest), (after.Generated, after.Reused, after.Digest));
    }

    [Fact]
    public void A_finished_shard_built_again_writes_nothing()
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string dir = ShardedFolder(spec);
        var before = SmallDataset.Snapshot(dir);
        var again = BuildShard(spec, dir, 1);
        Assert.True(again.Succeeded);
        Assert.Equal((0, 3, 0), (again.Generated, again.Reused, again.FilesWritten));
        Assert.Equal(before, SmallDataset.Snapshot(dir));
    }

    [Fact]
    public void A_shard_over_a_built_dataset_keeps_its_samples_and_writes_only_its_shard_manifest()
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string dir = SmallDataset.TempDirWith(spec);
        var before = SmallDataset.Snapshot(dir);
        var r = BuildShard(spec, dir, 1);
        Assert.Equal((0, 3, 0), (r.Generated, r.Reused, r.FilesWritten));
        var after = SmallDataset.Snapshot(dir);
        Assert.Equal(["shards/shard-0001-of-0003.json"], after.Keys.Except(before.Keys));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
    }

    [Fact]
    public void A_killed_shard_resumes_from_its_checkpoint_and_regenerates_only_what_is_missing()
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string dir = ShardedFolder(spec);
        string reference = SmallDataset.TempDir();
        new DatasetBuilder(spec, reference).Build();

        // What a kill after one of shard 2's three samples leaves: a checkpoint listing that sample, files of the
        // second one half-way (one missing), none of the third.
        string path = ShardManifest.PathFor(dir, 2, Shards);
        var full = ShardManifest.TryRead(path, out _)!;
        AtomicFile.Write(path, (full with { Samples = [full.Samples[0]] }).ToJsonBytes());
        File.Delete(DatasetLayout.FullPath(dir, full.Samples[1].Files[0].Path));
        foreach (var f in full.Samples[2].Files) File.Delete(DatasetLayout.FullPath(dir, f.Path));

        var incomplete = ShardMerger.Merge(spec, dir, Shards);
        Assert.Equal([SynCodes.ShardIncomplete], incomplete.Diagnostics.Select(d => d.Code));
        Assert.Equal(path, incomplete.Diagnostics[0].File);

        var resumed = BuildShard(spec, dir, 2);
        Assert.True(resumed.Succeeded);
        Assert.Equal((2, 1), (resumed.Generated, resumed.Reused));
        Assert.True(ShardMerger.Merge(spec, dir, Shards).Succeeded);
        Assert.Equal(Contents(reference), Contents(dir));
    }

    [Fact]
    public void A_shard_of_another_config_rebuilt_in_place_replaces_its_samples()
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string dir = ShardedFolder(SmallDataset.Spec(samples: Samples, seed: 99));
        for (int i = 0; i < Shards; i++) Assert.Equal(ShardPartition.Range(i, Shards, Samples) is var r ? r.End - r.Start : 0, BuildShard(spec, dir, i).Generated);
        Assert.True(ShardMerger.Merge(spec, dir, Shards).Succeeded);
        string reference = SmallDataset.TempDirWith(spec);
        Assert.Equal(Contents(reference), Contents(dir));
    }

    [Fact]
    public void Clean_removes_the_files_of_unmerged_shards_and_their_manifests_but_nothing_else()
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string dir = ShardedFolder(spec);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(dir, ShardManifest.Folder, "readme.txt"), "mine too");
        DatasetCleaner.Clean(dir);
        Assert.Equal(["notes.txt", "shards/readme.txt"], SmallDataset.Snapshot(dir).Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>A merged folder (so manifest.json exists), then one bad change: the merge must fail with the
    /// code, name the shard file, and leave every file as it was.</summary>
    private static void AssertMergeFails(string code, Func<string, string> spoil, int shards = Shards, DatasetSpec? mergeSpec = null)
    {
        var spec = SmallDataset.Spec(samples: Samples);
        string dir = ShardedFolder(spec);
        Assert.True(ShardMerger.Merge(spec, dir, Shards).Succeeded);
        string named = spoil(dir);
        var before = SmallDataset.Snapshot(dir);

        var r = ShardMerger.Merge(mergeSpec ?? spec, dir, shards);
        Assert.False(r.Succeeded);
        Assert.Null(r.Manifest);
        Assert.Empty(r.Shards); // nothing merged, so nothing for a lineage record to list
        // One error per bad shard, each naming its shard file.
        Assert.Equal(mergeSpec is null ? 1 : Shards, r.Diagnostics.Count);
        Assert.All(r.Diagnostics, d => Assert.True(d.IsError && d.Code == code, d.ToString()));
        Assert.Equal(named, r.Diagnostics[0].File);
        Assert.Equal(before, SmallDataset.Snapshot(dir)); // touches nothing, manifest.json included
    }

    [Fact]
    public void A_missing_shard_fails_the_merge() => AssertMergeFails(SynCodes.ShardMissing, dir =>
    {
        string path = ShardManifest.PathFor(dir, 1, Shards);
        File.Delete(path);
        return path;
    });

    [Fact]
    public void A_duplicated_shard_fails_the_merge() => AssertMergeFails(SynCodes.ShardDuplicated, dir =>
    {
        string copy = ShardManifest.PathFor(dir, 2, Shards);
        File.Copy(ShardManifest.PathFor(dir, 1, Shards), copy, overwrite: true);
        return copy;
    });

    [Fact]
    public void An_overlapping_shard_fails_the_merge() => AssertMergeFails(SynCodes.ShardOverlap, dir =>
    {
        // Shard 1 claims one sample more than its range, one that shard 2 owns.
        string path = ShardManifest.PathFor(dir, 1, Shards);
        var m = ShardManifest.TryRead(path, out _)!;
        var next = ShardManifest.TryRead(ShardManifest.PathFor(dir, 2, Shards), out _)!;
        AtomicFile.Write(path, (m with { Range = m.Range with { End = m.Range.End + 1 }, Samples = [.. m.Samples, next.Samples[0]] }).ToJsonBytes());
        return path;
    });

    [Fact]
    public void A_shard_listing_a_sample_outside_its_range_fails_the_merge() => AssertMergeFails(SynCodes.ShardOverlap, dir =>
    {
        string path = ShardManifest.PathFor(dir, 0, Shards);
        var m = ShardManifest.TryRead(path, out _)!;
        var other = ShardManifest.TryRead(ShardManifest.PathFor(dir, 2, Shards), out _)!;
        AtomicFile.Write(path, (m with { Samples = [m.Samples[0], other.Samples[0]] }).ToJsonBytes());
        return path;
    });

    [Fact]
    public void A_shard_of_another_config_fails_the_merge() => AssertMergeFails(SynCodes.ShardStale, dir =>
    {
        BuildShard(SmallDataset.Spec(samples: Samples, noise: 9), dir, 0);
        return ShardManifest.PathFor(dir, 0, Shards);
    });

    [Fact]
    public void A_shard_of_another_seed_fails_the_merge() => AssertMergeFails(SynCodes.ShardStale, dir =>
    {
        BuildShard(SmallDataset.Spec(samples: Samples, seed: 8), dir, 2);
        return ShardManifest.PathFor(dir, 2, Shards);
    });

    [Fact]
    public void A_shard_of_another_engine_fails_the_merge() => AssertMergeFails(SynCodes.ShardStale, dir =>
    {
        string path = ShardManifest.PathFor(dir, 1, Shards);
        var m = ShardManifest.TryRead(path, out _)!;
        AtomicFile.Write(path, (m with { Engine = "synthbuild-engine/0.0.1" }).ToJsonBytes());
        return path;
    });

    [Fact]
    public void A_damaged_sample_file_fails_the_merge() => AssertMergeFails(SynCodes.ShardCorrupt, dir =>
    {
        var m = ShardManifest.TryRead(ShardManifest.PathFor(dir, 1, Shards), out _)!;
        string file = DatasetLayout.FullPath(dir, m.Samples[1].Files[0].Path);
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^5] ^= 1;
        File.WriteAllBytes(file, bytes);
        return ShardManifest.PathFor(dir, 1, Shards);
    });

    [Fact]
    public void A_missing_sample_file_fails_the_merge() => AssertMergeFails(SynCodes.ShardCorrupt, dir =>
    {
        var m = ShardManifest.TryRead(ShardManifest.PathFor(dir, 0, Shards), out _)!;
        File.Delete(DatasetLayout.FullPath(dir, m.Samples[0].Files[^1].Path));
        return ShardManifest.PathFor(dir, 0, Shards);
    });

    [Fact]
    public void An_unreadable_shard_manifest_fails_the_merge() => AssertMergeFails(SynCodes.ShardCorrupt, dir =>
    {
        string path = ShardManifest.PathFor(dir, 2, Shards);
        File.WriteAllText(path, "{ not json");
        return path;
    });

    [Fact]
    public void A_shard_count_other_than_the_shards_fails_the_merge() => AssertMergeFails(SynCodes.ShardCountMismatch,
        dir => ShardManifest.PathFor(dir, 0, Shards), shards: 4);

    [Fact]
    public void Merging_for_a_changed_config_fails_as_stale() => AssertMergeFails(SynCodes.ShardStale,
        dir => ShardManifest.PathFor(dir, 0, Shards), mergeSpec: SmallDataset.Spec(samples: Samples, seed: 5));

    [Fact]
    public void Merging_a_folder_without_shards_names_the_first_missing_shard()
    {
        string dir = SmallDataset.TempDir();
        var r = ShardMerger.Merge(SmallDataset.Spec(samples: Samples), dir, 2);
        Assert.Equal([SynCodes.ShardMissing, SynCodes.ShardMissing], r.Diagnostics.Select(d => d.Code));
        Assert.Equal(ShardManifest.PathFor(dir, 0, 2), r.Diagnostics[0].File);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }
}
