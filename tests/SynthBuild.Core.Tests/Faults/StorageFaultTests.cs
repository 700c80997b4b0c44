using System.Diagnostics;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using Xunit.Abstractions;

namespace SynthBuild.Core.Tests.Faults;

/// <summary>What a dataset folder keeps through faults of the storage stage: the journal, a full disk, unlisted
/// files, damaged samples, broken assets.</summary>
public class StorageFaultTests(ITestOutputHelper output)
{
    private static void AssertEveryFileVerifies(string root)
    {
        var manifest = Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _)!;
        foreach (var s in manifest.Samples) Assert.Null(DatasetWriter.FirstDamagedFile(root, s));
        Assert.Empty(Directory.EnumerateFiles(root, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));
        Assert.False(File.Exists(SampleJournal.PathFor(root)));
        Assert.False(File.Exists(DatasetLock.PathFor(root)));
    }

    [Fact]
    public void Resume_takes_finished_samples_from_the_journal_and_skips_a_truncated_last_line()
    {
        var spec = SmallDataset.Spec(samples: 10);
        string reference = SmallDataset.TempDirWith(spec);
        string root = SmallDataset.TempDir();
        foreach (string f in Directory.EnumerateFiles(reference, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(root, Path.GetRelativePath(reference, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        // As a build killed before its first checkpoint leaves it: sample files and a journal, no manifest; the
        // last line was cut mid-write.
        var samples = Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _)!.Samples;
        File.Delete(Path.Combine(root, Manifest.FileName));
        File.Delete(Path.Combine(root, DatasetLayout.DatasetFile));
        using (var journal = SampleJournal.Open(SampleJournal.PathFor(root)))
            foreach (var s in samples.Take(7)) journal.Append(s);
        byte[] bytes = File.ReadAllBytes(SampleJournal.PathFor(root));
        File.WriteAllBytes(SampleJournal.PathFor(root), bytes[..^40]);
        Assert.Equal(6, SampleJournal.Read(SampleJournal.PathFor(root)).Count);
        // Reopened by a resuming build, the journal can still be emptied by its checkpoint.
        string copy = Path.Combine(SmallDataset.TempDir(), SampleJournal.FileName);
        File.Copy(SampleJournal.PathFor(root), copy);
        using (var reopened = SampleJournal.Open(copy))
        {
            reopened.Append(samples[9]);
            reopened.Checkpoint(() => { });
        }
        Assert.Equal(0, new FileInfo(copy).Length);

        var result = new DatasetBuilder(spec, root).Build();
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal((6, 4), (result.Reused, result.Generated));
        Assert.Equal(Manifest.TryRead(Path.Combine(reference, Manifest.FileName), out _)!.Digest, result.Digest);
        AssertEveryFileVerifies(root);
    }

    [Fact]
    public void Every_finished_sample_is_in_the_manifest_or_the_journal_while_a_build_runs()
    {
        var spec = SmallDataset.Spec(samples: 40);
        string root = SmallDataset.TempDir();
        using var cancel = new CancellationTokenSource();
        var monitor = new BuildMonitor();
        // A checkpoint interval longer than the build: only the journal records progress.
        var options = new BuildOptions(Threads: 2, Monitor: monitor, CheckpointInterval: TimeSpan.FromHours(1),
            OnTick: () => { if (monitor.Done >= 10) cancel.Cancel(); });
        var result = new DatasetBuilder(spec, root, options).Build(cancel.Token);
        Assert.Contains(result.Diagnostics, d => d.Code == SynCodes.GenerationFailed);
        // The cancelled build wrote its checkpoint; a killed one would have left the journal. Both resume the same.
        var resumed = new DatasetBuilder(spec, root, new BuildOptions(Threads: 2)).Build();
        Assert.True(resumed.Succeeded);
        Assert.Equal(40, resumed.Reused + resumed.Generated);
        Assert.True(resumed.Reused >= 10, $"reused {resumed.Reused}");
        AssertEveryFileVerifies(root);
    }

    /// <summary>A tmpfs of a few hundred kB fills up during generation (root can mount one here).</summary>
    [Fact]
    public void A_full_disk_is_a_SYN3012_naming_the_path_and_the_next_build_resumes_to_the_reference()
    {
        var spec = SmallDataset.Spec(samples: 24);
        string reference = SmallDataset.TempDirWith(spec);
        string mount = SmallDataset.TempDir();
        Assert.True(Mount(mount, "400k"), "mount -t tmpfs failed: this test needs root (it runs as root in CI and here)");
        try
        {
            string root = Path.Combine(mount, "dataset");
            var full = new DatasetBuilder(spec, root, new BuildOptions(Threads: 2)).Build();
            var error = Assert.Single(full.Diagnostics, d => d.IsError);
            output.WriteLine(error.ToString());
            Assert.Equal(SynCodes.WriteFailed, error.Code);
            Assert.StartsWith(root, error.File);
            Assert.Contains("Cannot write " + root, error.Message);
            Assert.DoesNotContain("   at ", error.Message);
            Assert.Empty(Directory.EnumerateFiles(root, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));
            var kept = SampleJournal.Read(SampleJournal.PathFor(root)).Concat(Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _)?.Samples ?? [])
                .Where(s => DatasetWriter.FirstDamagedFile(root, s) is null).Select(s => s.Index).Distinct().Count();
            Assert.True(kept > 0, "no finished sample was kept");

            Assert.Equal(0, Run("mount", $"-o remount,size=64m {mount}"));
            var resumed = new DatasetBuilder(spec, root, new BuildOptions(Threads: 2)).Build();
            Assert.True(resumed.Succeeded, string.Join("\n", resumed.Diagnostics));
            output.WriteLine($"disk full after {kept} samples; resume reused {resumed.Reused}, generated {resumed.Generated}");
            Assert.True(resumed.Reused >= kept, $"kept {kept}, reused {resumed.Reused}");
            Assert.Equal(Manifest.TryRead(Path.Combine(reference, Manifest.FileName), out _)!.Digest, resumed.Digest);
            AssertEveryFileVerifies(root);
        }
        finally { Run("umount", mount); }
    }

    private static bool Mount(string dir, string size) => Run("mount", $"-t tmpfs -o size={size} tmpfs {dir}") == 0;

    private static int Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }

    [Fact]
    public void Unlisted_sample_files_are_removed_by_build_and_clean_or_only_reported()
    {
        var spec = SmallDataset.Spec(samples: 4);
        string root = SmallDataset.TempDirWith(spec);
        // Left by an interrupted build of a larger dataset: sample files no manifest lists, and a user's own file.
        File.Copy(Path.Combine(root, "rgb", "000000.png"), Path.Combine(root, "rgb", "000057.png"));
        File.Copy(Path.Combine(root, "annotations", "000000.json"), Path.Combine(root, "annotations", "000057.json"));
        File.WriteAllText(Path.Combine(root, "rgb", "notes.txt"), "mine");

        var reported = new DatasetBuilder(spec, root, new BuildOptions(UnlistedFiles: UnlistedFilePolicy.Report)).Build();
        var warning = Assert.Single(reported.Diagnostics, d => d.Code == SynCodes.UnlistedFiles);
        Assert.Contains("2 sample file(s)", warning.Message);
        Assert.Contains("rgb/000057.png", warning.Message);
        Assert.True(File.Exists(Path.Combine(root, "rgb", "000057.png")));

        var removed = new DatasetBuilder(spec, root).Build();
        Assert.Contains("Removed 2 sample file(s)", Assert.Single(removed.Diagnostics, d => d.Code == SynCodes.UnlistedFiles).Message);
        Assert.False(File.Exists(Path.Combine(root, "rgb", "000057.png")));
        Assert.Empty(UnlistedFiles.Find(root, Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _)!.Samples));

        // Clean: the dataset and unlisted sample files go, the user's file stays.
        File.Copy(Path.Combine(root, "rgb", "000000.png"), Path.Combine(root, "rgb", "000099.png"));
        DatasetCleaner.Clean(root);
        Assert.Equal(["notes.txt"], Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public void A_damaged_sample_is_regenerated_with_a_message_naming_the_file()
    {
        var spec = SmallDataset.Spec(samples: 3);
        string root = SmallDataset.TempDirWith(spec);
        string depth = Path.Combine(root, "depth", "000001.png");
        File.WriteAllBytes(depth, File.ReadAllBytes(depth)[..100]);
        var result = new DatasetBuilder(spec, root).Build();
        Assert.Equal(1, result.Generated);
        var note = Assert.Single(result.Diagnostics, d => d.Code == SynCodes.SampleDamaged);
        Assert.Equal(depth, note.File);
        Assert.Contains("Sample 1: depth/000001.png", note.Message);
        AssertEveryFileVerifies(root);
    }

    public static TheoryData<string, byte[]> BrokenImages => new()
    {
        { "empty.png", [] },
        { "truncated.png", Png.EncodeRgb8(new byte[32 * 32 * 3], 32, 32)[..60] },
        { "notanimage.jpg", "this is text, not a JPEG"u8.ToArray() },
        { "header-only.png", Png.EncodeRgb8(new byte[32 * 32 * 3], 32, 32)[..8] },
    };

    [Theory]
    [MemberData(nameof(BrokenImages))]
    public void A_broken_background_or_texture_image_is_SYN1009_naming_the_file_and_the_config_line(string name, byte[] bytes)
    {
        foreach (string section in new[] { "background", "textures" })
        {
            string dir = SmallDataset.TempDir();
            Directory.CreateDirectory(Path.Combine(dir, "images"));
            File.WriteAllBytes(Path.Combine(dir, "images", "good.png"), Png.EncodeRgb8(new byte[16 * 16 * 3], 16, 16));
            File.WriteAllBytes(Path.Combine(dir, "images", name), bytes);
            string body = section == "background"
                ? "\"background\": { \"images\": \"images\" }"
                : "\"materials\": { \"textures\": { \"folder\": \"images\" } }";
            File.WriteAllText(Path.Combine(dir, "synth.json"), "{\n  \"samples\": 2,\n  " + body + "\n}");
            var config = ConfigLoader.Load(Path.Combine(dir, "synth.json"));
            Assert.True(config.Succeeded, string.Join("\n", config.Diagnostics));
            var result = new DatasetBuilder(config.Spec!, Path.Combine(dir, "out")).Build();
            var error = Assert.Single(result.Diagnostics);
            Assert.Equal(SynCodes.BadImages, error.Code);
            Assert.Equal((Path.Combine(dir, "synth.json"), 3), (error.File, error.Line));
            Assert.Contains(Path.Combine(dir, "images", name), error.Message);
            AssertNothingWritten(Path.Combine(dir, "out"));
        }
    }

    /// <summary>A build stopped by a bad asset leaves no journal, temporary or lock file: assets load before anything is written.</summary>
    private static void AssertNothingWritten(string root) =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories));

    [Theory]
    [InlineData("empty.obj", "")]
    [InlineData("empty.glb", "")]
    [InlineData("truncated.glb", "glTF")]
    [InlineData("garbage.gltf", "{ \"asset\": ")]
    public void A_broken_mesh_is_SYN1008_naming_the_file_and_the_config_line(string name, string text)
    {
        string dir = SmallDataset.TempDir();
        File.WriteAllText(Path.Combine(dir, name), text);
        File.WriteAllText(Path.Combine(dir, "synth.json"), "{\n  \"categories\": [ { \"name\": \"m\", \"shape\": \"mesh\", \"file\": \"" + name + "\" } ]\n}");
        var config = ConfigLoader.Load(Path.Combine(dir, "synth.json"));
        Assert.True(config.Succeeded, string.Join("\n", config.Diagnostics));
        var error = Assert.Single(AssetLibrary.Load(config.Spec!).Diagnostics);
        Assert.Equal((SynCodes.BadMesh, 2), (error.Code, error.Line));
        Assert.Contains(name, error.Message);
        var built = new DatasetBuilder(config.Spec!, Path.Combine(dir, "out")).Build();
        Assert.Equal(SynCodes.BadMesh, Assert.Single(built.Diagnostics).Code);
        AssertNothingWritten(Path.Combine(dir, "out"));
    }
}
