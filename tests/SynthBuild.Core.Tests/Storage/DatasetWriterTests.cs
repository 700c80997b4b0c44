using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Storage;

public class DatasetWriterTests
{
    private static readonly DateTime LongAgo = new(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);

    private static ManifestSample WriteSample(DatasetWriter writer, byte[] rgb, ManifestSample? previous, out int written)
    {
        var images = RectangleSample.Make(seed: 4);
        var annotation = images.Annotation;
        writer.AddRgb("000000", rgb, images.Width, images.Height);
        writer.AddDepth("000000", images.Depth, images.Width, images.Height);
        writer.AddSegmentation("000000", images.Ids, images.Width, images.Height);
        writer.AddAnnotation("000000", annotation);
        return writer.Commit(0, "key", previous, out written);
    }

    [Fact]
    public void Commit_writes_the_files_and_returns_their_hashes_and_sizes()
    {
        string root = SmallDataset.TempDir();
        var rgb = RectangleSample.Make(seed: 4).Rgb;
        var entry = WriteSample(new DatasetWriter(root), rgb, previous: null, out int written);

        Assert.Equal(4, written);
        Assert.Equal((0L, "key"), (entry.Index, entry.Key));
        Assert.Equal(["rgb/000000.png", "depth/000000.png", "segmentation/000000.png", "annotations/000000.json"], entry.Files.Select(f => f.Path));
        foreach (var f in entry.Files)
        {
            byte[] onDisk = File.ReadAllBytes(DatasetLayout.FullPath(root, f.Path));
            Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(onDisk)), (long)onDisk.Length), (f.Sha256, f.Size));
        }
        Assert.Equal(rgb, Png.Decode(File.ReadAllBytes(Path.Combine(root, "rgb/000000.png"))).Bytes);
        Assert.True(DatasetWriter.FilesIntact(root, entry));
    }

    [Fact]
    public void Unchanged_bytes_keep_their_file_and_timestamp_and_changed_bytes_are_rewritten()
    {
        string root = SmallDataset.TempDir();
        var writer = new DatasetWriter(root);
        var rgb = RectangleSample.Make(seed: 4).Rgb;
        var first = WriteSample(writer, rgb, previous: null, out _);
        foreach (var f in first.Files) File.SetLastWriteTimeUtc(DatasetLayout.FullPath(root, f.Path), LongAgo);

        var same = WriteSample(writer, rgb, first, out int written);
        Assert.Equal(0, written);
        Assert.Equal(first.Files, same.Files);
        Assert.All(first.Files, f => Assert.Equal(LongAgo, File.GetLastWriteTimeUtc(DatasetLayout.FullPath(root, f.Path))));

        var brighter = rgb.Select(v => (byte)Math.Min(255, v + 10)).ToArray();
        var changed = WriteSample(writer, brighter, first, out written);
        Assert.Equal(1, written);
        Assert.NotEqual(LongAgo, File.GetLastWriteTimeUtc(Path.Combine(root, "rgb/000000.png")));
        Assert.NotEqual(first.Files[0].Sha256, changed.Files[0].Sha256);
        Assert.All(changed.Files.Skip(1), f => Assert.Equal(LongAgo, File.GetLastWriteTimeUtc(DatasetLayout.FullPath(root, f.Path))));
        Assert.True(DatasetWriter.FilesIntact(root, changed));
        Assert.False(DatasetWriter.FilesIntact(root, first));
    }

    [Fact]
    public void Files_intact_fails_on_a_missing_file_and_on_altered_bytes_of_the_same_size()
    {
        string root = SmallDataset.TempDir();
        var entry = WriteSample(new DatasetWriter(root), RectangleSample.Make(seed: 4).Rgb, null, out _);
        string depth = Path.Combine(root, "depth/000000.png");
        byte[] bytes = File.ReadAllBytes(depth);
        bytes[^20] ^= 1;
        File.WriteAllBytes(depth, bytes);
        Assert.False(DatasetWriter.FilesIntact(root, entry));

        var again = WriteSample(new DatasetWriter(root), RectangleSample.Make(seed: 4).Rgb, entry, out int written);
        Assert.Equal(1, written); // only the altered file: its recorded hash matches, the bytes on disk do not
        Assert.True(DatasetWriter.FilesIntact(root, again));
        File.Delete(Path.Combine(root, "segmentation/000000.png"));
        Assert.False(DatasetWriter.FilesIntact(root, again));
    }

    [Fact]
    public void Optional_files_are_listed_in_their_samples_annotation_only()
    {
        string root = SmallDataset.TempDir();
        var writer = new DatasetWriter(root);
        var images = RectangleSample.Make(seed: 2);
        var annotation = images.Annotation;
        int w = images.Width, h = images.Height;
        writer.AddRgb("000000", images.Rgb, w, h);
        writer.AddSemantic("000000", images.Ids, w, h);
        writer.AddPointCloud("000000", new byte[] { 1, 2, 3 });
        writer.AddNormals("000000", images.Rgb, w, h);
        writer.AddAnnotation("000000", annotation);
        var first = writer.Commit(0, "a", null, out _);
        writer.AddRgb("000001", images.Rgb, w, h);
        writer.AddAnnotation("000001", annotation with { Index = 1 });
        var second = writer.Commit(1, "b", null, out _);

        Assert.Equal(["rgb/000000.png", "semantic/000000.png", "pointcloud/000000.npy", "normals/000000.png", "annotations/000000.json"],
            first.Files.Select(f => f.Path));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(root, "pointcloud/000000.npy")));
        Assert.Equal(images.Rgb, Png.Decode(File.ReadAllBytes(Path.Combine(root, "normals/000000.png"))).Bytes);
        Assert.Equal(["rgb/000001.png", "annotations/000001.json"], second.Files.Select(f => f.Path));

        string[] ImageKeys(string stem)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, $"annotations/{stem}.json")));
            return doc.RootElement.GetProperty("image").EnumerateObject().Select(p => p.Name).ToArray();
        }
        Assert.Equal(["rgb", "depth", "segmentation", "semantic", "pointCloud", "normals", "width", "height"], ImageKeys("000000"));
        Assert.Equal(["rgb", "depth", "segmentation", "width", "height"], ImageKeys("000001"));
    }
}
