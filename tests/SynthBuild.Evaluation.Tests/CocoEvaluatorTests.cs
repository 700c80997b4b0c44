namespace SynthBuild.Evaluation.Tests;

public class CocoEvaluatorTests
{
    private const int AP = 0, AP50 = 1, AP75 = 2, APs = 3, APm = 4, APl = 5, AR1 = 6, AR10 = 7, AR100 = 8, ARs = 9, ARm = 10, ARl = 11;
    private static readonly double One = CocoBuilder.OneTp; // 1 / (1 + eps) = 0.9999999999999998

    [Fact]
    public void Thresholds_are_numpys_linspace_doubles()
    {
        var t = CocoParams.IouThresholds;
        Assert.Equal(10, t.Length);
        Assert.Equal(0.5, t[0]);
        // i * step + start with step = (0.95 - 0.5) / 9, exactly as numpy computes it.
        Assert.Equal(0.7, t[4]);
        Assert.Equal(0.75, t[5]); // must be exact or AP75 would be -1
        Assert.Equal(0.95, t[9]);
        var r = CocoParams.RecallThresholds;
        Assert.Equal(101, r.Length);
        Assert.Equal(0.0, r[0]);
        Assert.Equal(0.5, r[50]);
        Assert.Equal(1.0, r[100]);
        Assert.Equal(0.7000000000000001, r[70]); // 70 * 0.01, not 0.7
        Assert.Equal(0.5700000000000001, r[57]);
        Assert.Equal(0.29, r[29]);
    }

    [Fact]
    public void Perfect_single_detection_gives_one_and_missing_ranges_give_minus_one()
    {
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])          // area 100: small
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(One, s[AP], 1e-15);
        Assert.Equal(One, s[AP50], 1e-15);
        Assert.Equal(One, s[APs], 1e-15);
        Assert.Equal(-1, s[APm]);
        Assert.Equal(-1, s[APl]);
        Assert.Equal(1.0, s[AR1]);
        Assert.Equal(-1, s[ARm]);
        Assert.Equal(-1, s[ARl]);
        Assert.Equal(
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000\n" +
            " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000\n" +
            " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 1.000\n" +
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 1.000\n" +
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n" +
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n" +
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000\n" +
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 1.000\n" +
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000\n" +
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 1.000\n" +
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n" +
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n",
            CocoEvaluator.FormatSummary(s));
    }

    [Fact]
    public void Detection_on_a_crowd_region_is_ignored_not_a_false_positive()
    {
        var b = new CocoBuilder().Image(1, 200, 200).Category(1)
            .Gt(1, 1, [10, 10, 20, 20])
            .Gt(1, 1, [100, 100, 80, 80], crowd: true)
            .Dt(1, 1, [110, 110, 20, 20], 0.95)   // inside the crowd box: IoU = 400 / 400 (union = detection area)
            .Dt(1, 1, [10, 10, 20, 20], 0.9);
        Assert.Equal(One, b.Stats()[AP]);

        // The same detection without the crowd region is a false positive ranked first.
        var fp = new CocoBuilder().Image(1, 200, 200).Category(1)
            .Gt(1, 1, [10, 10, 20, 20])
            .Dt(1, 1, [110, 110, 20, 20], 0.95)
            .Dt(1, 1, [10, 10, 20, 20], 0.9);
        Assert.Equal(0.5, fp.Stats()[AP]);
    }

    [Fact]
    public void Ignore_field_is_overwritten_by_iscrowd()
    {
        // gt 2 says "ignore": 1 but iscrowd 0: pycocotools evaluates it anyway, so missing it halves recall.
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Gt(1, 1, [50, 50, 10, 10], extra: ",\"ignore\":1")
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(0.5, s[AR100]);
    }

    [Fact]
    public void Ground_truth_with_id_0_is_never_matched()
    {
        var withZero = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10], id: 0)
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(0, withZero[AP]);
        Assert.Equal(0, withZero[AR100]);

        var withOne = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10], id: 1)
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(One, withOne[AP]);
    }

    [Fact]
    public void Score_ties_keep_input_order_within_an_image()
    {
        var fpFirst = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 1, [60, 60, 10, 10], 0.5)
            .Dt(1, 1, [10, 10, 10, 10], 0.5)
            .Stats();
        Assert.Equal(0.5, fpFirst[AP]);

        var tpFirst = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 1, [10, 10, 10, 10], 0.5)
            .Dt(1, 1, [60, 60, 10, 10], 0.5)
            .Stats();
        Assert.Equal(One, tpFirst[AP]);
    }

    [Fact]
    public void Score_ties_across_images_follow_ascending_image_id_not_file_order()
    {
        // The true positive (image 2) comes first in the file, but image 1 is visited first.
        var s = new CocoBuilder().Image(2).Image(1).Category(1)
            .Gt(2, 1, [10, 10, 10, 10])
            .Dt(2, 1, [10, 10, 10, 10], 0.5)
            .Dt(1, 1, [10, 10, 10, 10], 0.5)
            .Stats();
        Assert.Equal(0.5, s[AP]);
    }

    [Theory]
    [InlineData(1024.0, true, true, false)]    // 32²: small and medium
    [InlineData(9216.0, false, true, true)]    // 96²: medium and large
    [InlineData(1024.5, false, true, false)]
    public void Area_ranges_use_the_gt_area_field_inclusive_at_both_ends(double area, bool small, bool medium, bool large)
    {
        var s = new CocoBuilder().Image(1, 300, 300).Category(1)
            .Gt(1, 1, [10, 10, 10, 10], area: area) // the box is 100 px; only the area field counts
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(small ? One : -1, s[APs], 1e-15);
        Assert.Equal(medium ? One : -1, s[APm], 1e-15);
        Assert.Equal(large ? One : -1, s[APl], 1e-15);
    }

    [Fact]
    public void Unmatched_detection_outside_the_area_range_is_ignored()
    {
        // A large false positive does not hurt APs.
        var s = new CocoBuilder().Image(1, 300, 300).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 1, [100, 100, 150, 150], 0.99)
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(One, s[APs], 1e-15);
        Assert.Equal(0.5, s[AP]);
    }

    [Fact]
    public void Detections_of_categories_not_in_the_ground_truth_are_dropped()
    {
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 99, [60, 60, 10, 10], 0.99)
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(One, s[AP], 1e-15);
    }

    [Fact]
    public void Images_without_ground_truth_still_count()
    {
        var s = new CocoBuilder().Image(1).Image(2).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Dt(2, 1, [10, 10, 10, 10], 0.99)   // false positive on the unlabelled image
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(0.5, s[AP]); // 1 / (2 + eps) rounds to exactly 0.5
    }

    [Fact]
    public void Categories_without_ground_truth_are_left_out_of_the_mean()
    {
        var s = new CocoBuilder().Image(1).Category(1).Category(2)
            .Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Dt(1, 2, [50, 50, 10, 10], 0.8)   // category 2 has no ground truth: its AP is -1, not 0
            .Stats();
        Assert.Equal(One, s[AP], 1e-15);
        var ev = new CocoBuilder().Image(1).Category(1).Category(2).Gt(1, 1, [10, 10, 10, 10]).Dt(1, 2, [50, 50, 10, 10], 0.8).Evaluator();
        ev.Run();
        Assert.Equal(-1, ev.CategoryAp(1));
        Assert.Equal(0, ev.CategoryAp(0));
    }

    [Fact]
    public void Recall_thresholds_use_a_left_sided_search_over_101_points()
    {
        // Two ground truths; detections TP (.9), FP (.8), TP (.7): recall [.5, .5, 1], precision envelope [1, 2/3, 2/3].
        // Left-sided search: thresholds 0 .. 0.50 (51 points) take precision 1, 0.51 .. 1 (50 points) take 2/3.
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Gt(1, 1, [50, 50, 10, 10])
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Dt(1, 1, [80, 80, 10, 10], 0.8)
            .Dt(1, 1, [50, 50, 10, 10], 0.7)
            .Stats();
        double eps = Math.BitIncrement(1.0) - 1.0;
        double p1 = 1.0 / (0.0 + 1.0 + eps), p3 = 2.0 / (1.0 + 2.0 + eps);
        double expected = (51 * p1 + 50 * p3) / 101;
        Assert.Equal(expected, s[AP], 12);
        Assert.NotEqual((50 * p1 + 51 * p3) / 101, s[AP], 6); // what a right-sided search would give
    }

    [Fact]
    public void Max_dets_limit_recall()
    {
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Gt(1, 1, [50, 50, 10, 10])
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Dt(1, 1, [50, 50, 10, 10], 0.8)
            .Stats();
        Assert.Equal(0.5, s[AR1]);
        Assert.Equal(1.0, s[AR10]);
    }

    [Fact]
    public void Iou_threshold_is_inclusive_and_ap75_distinguishes_loose_boxes()
    {
        // IoU exactly 0.5: [0,0,10,10] vs [0,0,10,20] → 100 / 200.
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [0, 0, 10, 20])
            .Dt(1, 1, [0, 0, 10, 10], 0.9)
            .Stats();
        Assert.Equal(One, s[AP50], 1e-15);
        Assert.Equal(0, s[AP75]);
        Assert.Equal(One / 10, s[AP], 15);
    }

    [Fact]
    public void Segm_uses_masks_and_crowd_rle()
    {
        // Ground truth polygon (a 10x10 square) and a crowd region as uncompressed RLE (a 20x20 block at 50,50).
        var crowd = Rle.FromBbox([50, 50, 20, 20], 100, 100);
        string crowdJson = "{\"counts\":[" + string.Join(",", crowd.Counts) + "],\"size\":[100,100]}";
        var inside = Rle.FromBbox([55, 55, 5, 5], 100, 100);
        var b = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10])
            .Gt(1, 1, [50, 50, 20, 20], crowd: true, segmentation: crowdJson)
            .DtRaw("{\"image_id\":1,\"category_id\":1,\"score\":0.95,\"segmentation\":{\"size\":[100,100],\"counts\":\"" + inside.ToCompressedString().Replace("\\", "\\\\") + "\"}}")
            .DtRaw("{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"segmentation\":{\"size\":[100,100],\"counts\":\"" + Rle.FromBbox([10, 10, 10, 10], 100, 100).ToCompressedString().Replace("\\", "\\\\") + "\"}}");
        var s = b.Stats(IouType.Segm);
        Assert.Equal(One, s[AP], 1e-15);
        // For bbox evaluation of segmentation-only results the box comes from the mask (toBbox).
        var sb = b.Stats(IouType.Bbox);
        Assert.Equal(One, sb[AP], 1e-15);
    }

    [Fact]
    public void Segmentation_results_get_their_area_from_the_mask_and_box_results_from_w_times_h()
    {
        var mask = Rle.FromBbox([0, 0, 4, 5], 10, 10);
        var b = new CocoBuilder().Image(1, 10, 10).Category(1).Gt(1, 1, [0, 0, 4, 5])
            .DtRaw("{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"segmentation\":{\"size\":[10,10],\"counts\":\"" + mask.ToCompressedString().Replace("\\", "\\\\") + "\"}}");
        var gt = CocoGroundTruth.Parse(b.GtJson, "gt.json");
        var dt = CocoDetections.Parse(b.DtJson, "dt.json", gt);
        Assert.Equal(20, dt.Detections[0].Area);
        Assert.Equal(new double[] { 0, 0, 4, 5 }, dt.Detections[0].Bbox);

        var boxes = CocoDetections.Parse("[{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"bbox\":[0.5,0.5,3,2.5],\"segmentation\":{\"size\":[10,10],\"counts\":\"" + mask.ToCompressedString().Replace("\\", "\\\\") + "\"}}]", "dt.json", gt);
        Assert.Equal(7.5, boxes.Detections[0].Area);
        Assert.Equal(1, boxes.Detections[0].Id);
    }

    [Fact]
    public void Unreadable_gt_segmentation_matters_only_for_segm()
    {
        var b = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10], segmentation: "[]")
            .Dt(1, 1, [10, 10, 10, 10], 0.9);
        Assert.Equal(One, b.Stats(IouType.Bbox)[AP], 1e-15); // pycocotools ignores segmentations for bbox
        var ex = Assert.Throws<CocoFormatException>(() => b.Stats(IouType.Segm));
        Assert.Equal("gt.json", ex.Diagnostic.File);
        Assert.Equal("annotations[0]", ex.Diagnostic.Location);
    }

    [Fact]
    public void Repeated_gt_annotation_id_resolves_to_the_last_annotation_like_loadAnns()
    {
        // Two annotations share id 5; pycocotools' loadAnns returns the second for both, so the first object
        // (at 10,10) is never seen and a perfect detection of it is a false positive.
        var s = new CocoBuilder().Image(1).Category(1)
            .Gt(1, 1, [10, 10, 10, 10], id: 5)
            .Gt(1, 1, [50, 50, 10, 10], id: 5)
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .Stats();
        Assert.Equal(0, s[AR100]);
    }

    [Theory]
    [InlineData(0.0625, "0.062")]   // exact tie → even
    [InlineData(0.1875, "0.188")]
    [InlineData(0.3125, "0.312")]
    [InlineData(0.6875, "0.688")]
    [InlineData(0.0005, "0.001")]   // 0.000500000000000000010 is above the tie
    [InlineData(1.0005, "1.000")]   // 1.000499999999999989 is below it
    [InlineData(-1.0, "-1.000")]
    [InlineData(0.9999999999999998, "1.000")]
    public void Summary_numbers_format_like_python(double v, string expected)
    {
        Assert.Equal(expected, NumpyMath.PythonFixed3(v));
    }

    [Fact]
    public void Pairwise_sum_matches_numpy_blocking()
    {
        // 0.1 repeated: numpy's pairwise result differs from a naive loop for n = 10 (8 partial sums).
        var a = Enumerable.Repeat(0.1, 10).ToArray();
        double r = 0.1, expected = ((r + r) + (r + r)) + ((r + r) + (r + r));
        expected = expected + 0.1 + 0.1;
        Assert.Equal(expected, NumpyMath.PairwiseSum(a));
        var big = Enumerable.Range(0, 1000).Select(i => 1.0 / (i + 1)).ToArray();
        Assert.Equal(big.Sum(), NumpyMath.PairwiseSum(big), 12);
    }

    [Fact]
    public void Fixture_runs_and_stats_are_in_range()
    {
        var f = CocoFixtureGenerator.Generate();
        var gt = CocoGroundTruth.Parse(f.GroundTruthJson, "gt.json");
        var dt = CocoDetections.Parse(f.DetectionsJson, "dt.json", gt);
        foreach (var type in new[] { IouType.Bbox, IouType.Segm })
        {
            var s = new CocoEvaluator(gt, dt, type).Run();
            foreach (var v in s) Assert.InRange(v, 0.0, 1.0);
            Assert.Equal(s, new CocoEvaluator(gt, dt, type).Run()); // deterministic
        }
    }
}
