using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using Xunit.Abstractions;

namespace SynthBuild.Export.Tests;

public class ExportTests(ITestOutputHelper output)
{
    private static IReadOnlyList<ExportRequest> Requests(params (string Name, Dictionary<string, string> Options)[] selections)
    {
        var d = new List<Diagnostic>();
        var r = ExportOptions.Parse(selections.Select(s => (s.Name, (IReadOnlyDictionary<string, string>)s.Options)), "test.synthproj", d);
        Assert.True(r is not null, string.Join("\n", d));
        return r!;
    }

    [Fact]
    public void Every_format_is_read_back_by_numpy_opencv_and_protoc()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 14));
        string exports = Path.Combine(ds, "exports");
        var result = DatasetExporter.Run(ds, exports, ExportOptions.AllDefaults(), declaredIn: "test.synthproj");
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(ExportOptions.FormatNames.Order(), result.Written.Order());
        output.WriteLine(InteropChecker.Run(ds, exports));
        Assert.Empty(Directory.GetDirectories(exports, ".*")); // no staging folder left
    }

    [Fact]
    public void Coco_rle_decodes_to_exactly_the_instance_masks()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 10, seed: 3));
        string exports = Path.Combine(ds, "exports-rle");
        var result = DatasetExporter.Run(ds, exports, Requests(("coco", new() { ["Segmentation"] = "rle", ["Keypoints"] = "false" })));
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        string text = InteropChecker.Run(ds, exports);
        output.WriteLine(text);
        Assert.Contains("COCO RLE exact", text);
        Assert.DoesNotContain("\"keypoints\"", File.ReadAllText(Path.Combine(exports, "coco", "instances_train.json")));
    }

    [Fact]
    public void An_export_that_fails_half_way_leaves_the_previous_one_stamped_and_the_next_run_redoes_it()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 12));
        string exports = Path.Combine(ds, "exports"), stamp = Path.Combine(exports, "coco", DatasetExporter.StampFile);
        Assert.True(DatasetExporter.Run(ds, exports, Requests(("coco", new()))).Succeeded);
        string oldStamp = File.ReadAllText(stamp);
        var before = SmallDataset.Snapshot(exports);

        // The last sample's annotation is unreadable: the export breaks off after the earlier batches were written.
        string last = Directory.EnumerateFiles(Path.Combine(ds, "annotations")).Order(StringComparer.Ordinal).Last();
        byte[] good = File.ReadAllBytes(last);
        File.WriteAllText(last, "{ truncated");
        var changed = Requests(("coco", new() { ["Keypoints"] = "false" }));
        var failed = DatasetExporter.Run(ds, exports, changed);
        Assert.False(failed.Succeeded);
        Assert.Contains(failed.Diagnostics, d => d.IsError);
        Assert.Empty(failed.Written);
        // Nothing half-written is stamped: the previous export (its files and its stamp) is as it was, no staging left.
        Assert.Equal(before, SmallDataset.Snapshot(exports));
        Assert.Equal(oldStamp, File.ReadAllText(stamp));
        Assert.Empty(Directory.GetDirectories(exports, ".*"));

        File.WriteAllBytes(last, good);
        var redone = DatasetExporter.Run(ds, exports, changed);
        Assert.True(redone.Succeeded, string.Join("\n", redone.Diagnostics));
        Assert.Equal(["coco"], redone.Written);
        Assert.NotEqual(oldStamp, File.ReadAllText(stamp));
        Assert.DoesNotContain("\"keypoints\"", File.ReadAllText(Path.Combine(exports, "coco", "instances_train.json")));
    }

    [Fact]
    public void A_second_export_with_the_same_inputs_rewrites_nothing_and_an_option_change_reruns_only_that_export()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 6));
        string exports = Path.Combine(ds, "exports");
        var all = ExportOptions.AllDefaults();
        Assert.True(DatasetExporter.Run(ds, exports, all).Succeeded);
        var before = SmallDataset.Snapshot(exports);

        var again = DatasetExporter.Run(ds, exports, all);
        Assert.Empty(again.Written);
        Assert.Equal(all.Count, again.UpToDate.Count);
        Assert.Equal(before, SmallDataset.Snapshot(exports));

        var changed = Requests(("coco", new()), ("yolo", new()), ("yolo-seg", new()), ("tfrecord", new() { ["Shards"] = "2" }), ("numpy", new()), ("onnx", new()));
        var third = DatasetExporter.Run(ds, exports, changed);
        Assert.Equal(["tfrecord"], third.Written);
        var after = SmallDataset.Snapshot(exports);
        foreach (var (file, v) in before)
            if (!file.StartsWith("tfrecord/", StringComparison.Ordinal)) Assert.Equal(v, after[file]);
        Assert.Contains(after.Keys, k => k.StartsWith("tfrecord/train-00000-of-00002", StringComparison.Ordinal));
    }

    [Fact]
    public void A_run_after_a_kill_mid_swap_removes_the_swapped_out_and_staging_folders_even_when_every_export_is_current()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 4));
        string exports = Path.Combine(ds, "exports");
        var coco = Requests(("coco", new()));
        Assert.True(DatasetExporter.Run(ds, exports, coco).Succeeded);
        // As a kill between Swap's last two steps leaves them: the old export beside the new one, and a staging folder.
        CopyFolder(Path.Combine(exports, "coco"), Path.Combine(exports, "coco.old" + AtomicFile.TempSuffix));
        CopyFolder(Path.Combine(exports, "coco"), Path.Combine(exports, ".coco.staging"));
        var again = DatasetExporter.Run(ds, exports, coco);
        Assert.True(again.Succeeded, string.Join("\n", again.Diagnostics));
        Assert.Equal(["coco"], again.UpToDate);
        Assert.Equal(["coco"], Directory.GetDirectories(exports).Select(Path.GetFileName));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }

    [Fact]
    public void A_failing_export_leaves_the_previous_one_untouched()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 6));
        string exports = Path.Combine(ds, "exports");
        Assert.True(DatasetExporter.Run(ds, exports, Requests(("coco", new()))).Succeeded);
        var before = SmallDataset.Snapshot(exports);

        // The dataset loses a file the export needs; the options change so the export reruns.
        File.Delete(Path.Combine(ds, "segmentation", "000003.png"));
        var result = DatasetExporter.Run(ds, exports, Requests(("coco", new() { ["Segmentation"] = "rle" })));
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("SYN4003", error.Code);
        Assert.Contains("000003.png", error.Message);
        Assert.Equal(before, SmallDataset.Snapshot(exports));
        Assert.Empty(Directory.GetDirectories(exports, ".*"));
    }

    [Fact]
    public void An_export_folder_that_cannot_be_created_is_SYN4003()
    {
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 3));
        string blocked = Path.Combine(ds, "not-a-folder");
        File.WriteAllText(blocked, "a file where the exports should go");
        var result = DatasetExporter.Run(ds, Path.Combine(blocked, "exports"), Requests(("numpy", new())));
        Assert.Equal("SYN4003", Assert.Single(result.Diagnostics).Code);
        Assert.Equal("a file where the exports should go", File.ReadAllText(blocked));
    }

    [Fact]
    public void Unknown_formats_and_bad_options_are_reported_with_what_was_expected()
    {
        var d = new List<Diagnostic>();
        var r = ExportOptions.Parse([
            ("pascal-voc", new Dictionary<string, string>()),
            ("coco", new Dictionary<string, string> { ["Segmentation"] = "bitmap" }),
            ("tfrecord", new Dictionary<string, string> { ["Shards"] = "0" }),
            ("onnx", new Dictionary<string, string> { ["Std"] = "0.2,0,0.2" }),
            ("yolo", new Dictionary<string, string> { ["Colour"] = "red" }),
            ("numpy", new Dictionary<string, string>()),
            ("NumPy", new Dictionary<string, string>()),
        ], "shop.synthproj", d);
        Assert.Null(r);
        Assert.Equal(["SYN4001", "SYN4002", "SYN4002", "SYN4002", "SYN4002", "SYN4005"], d.Select(x => x.Code));
        Assert.All(d, x => Assert.Equal("shop.synthproj", x.File));
        Assert.Contains("expected one of coco, yolo, yolo-seg, tfrecord, numpy, onnx", d[0].Message);
        Assert.Contains("one of polygons, rle", d[1].Message);
        Assert.Contains("from 1 to 1024", d[2].Message);
        Assert.Contains("positive", d[3].Message);
    }

    [Fact]
    public void TFRecord_refuses_images_whose_records_protobuf_cannot_parse()
    {
        Assert.Null(TfRecordExportWriter.CheckImageSize(4096, 4096, 8, masks: true, depth: true, "p"));
        var d = TfRecordExportWriter.CheckImageSize(16384, 16384, 8, masks: true, depth: true, "p");
        Assert.Equal("SYN4004", d!.Code);
        Assert.Null(TfRecordExportWriter.CheckImageSize(16384, 16384, 8, masks: false, depth: false, "p"));
    }

    [Fact]
    public void TFRecord_checksums_are_TensorFlows_masked_crc32c()
    {
        // CRC-32C check value, and the masked CRC of TensorFlow's empty-record length (8 zero bytes).
        Assert.Equal(0xE3069283u, TfRecordWriter.Crc32C("123456789"u8));
        uint crc = TfRecordWriter.Crc32C(new byte[8]);
        Assert.Equal(unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u), TfRecordWriter.MaskedCrc(new byte[8]));
    }

    [Fact]
    public void Splits_in_the_exports_depend_only_on_seed_and_index()
    {
        string small = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 8));
        string large = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 20));
        var req = Requests(("numpy", new() { ["Depth"] = "false", ["Masks"] = "false" }));
        Assert.True(DatasetExporter.Run(small, Path.Combine(small, "x"), req).Succeeded);
        Assert.True(DatasetExporter.Run(large, Path.Combine(large, "x"), req).Succeeded);
        foreach (string split in new[] { "train", "val", "test" })
        {
            long[] a = NpyIndex(Path.Combine(small, "x", "numpy", split, "index.npy"));
            long[] b = NpyIndex(Path.Combine(large, "x", "numpy", split, "index.npy"));
            Assert.Equal(a, b.Where(i => i < 8));
        }
    }

    [Fact]
    public void Projected_box_corners_enclose_each_objects_unoccluded_silhouette()
    {
        // The silhouette of a shape lies inside the projection of its bounding box, so the amodal box (the whole
        // silhouette, clipped to the image) must lie within the corners' extent: a wrong rotation breaks this.
        string ds = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 6, seed: 5));
        var reader = SynthBuild.Core.Storage.DatasetReader.Open(ds);
        var kp = new double[24];
        int checkedObjects = 0;
        foreach (long i in reader.Indices)
        {
            var sample = reader.ReadAnnotation(i);
            foreach (var o in sample.Objects)
            {
                Assert.Equal(8, CocoWriter.ProjectCorners(o, sample, kp)); // the sampler keeps every corner in view
                double minU = double.MaxValue, maxU = double.MinValue, minV = double.MaxValue, maxV = double.MinValue;
                for (int k = 0; k < 8; k++)
                {
                    minU = Math.Min(minU, kp[3 * k]); maxU = Math.Max(maxU, kp[3 * k]);
                    minV = Math.Min(minV, kp[3 * k + 1]); maxV = Math.Max(maxV, kp[3 * k + 1]);
                }
                double[] a = o.AmodalBbox;
                Assert.InRange(a[0], minU - 1, maxU + 1);
                Assert.InRange(a[0] + a[2], minU - 1, maxU + 1);
                Assert.InRange(a[1], minV - 1, maxV + 1);
                Assert.InRange(a[1] + a[3], minV - 1, maxV + 1);
                // ... and for a box the corners are the silhouette's extreme points: the extents agree.
                if (o.Shape == SynthBuild.Core.Config.ShapeKind.Box)
                {
                    Assert.InRange(a[0], minU - 1, minU + 1);
                    Assert.InRange(a[1] + a[3], maxV - 1, maxV + 1);
                }
                checkedObjects++;
            }
        }
        Assert.True(checkedObjects > 10);
    }

    private static long[] NpyIndex(string path)
    {
        byte[] f = File.ReadAllBytes(path);
        int header = 10 + f[8] + (f[9] << 8);
        return Enumerable.Range(0, (f.Length - header) / 8).Select(i => BitConverter.ToInt64(f, header + 8 * i)).ToArray();
    }
}
