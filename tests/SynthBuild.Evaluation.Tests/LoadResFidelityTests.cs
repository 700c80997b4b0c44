using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Evaluation.Tests;

/// <summary>Results files that pycocotools' loadRes accepts for bbox evaluation are accepted here with its numbers;
/// fields it never reads are not checked; bad fields it does read are SYN errors naming the file and entry.</summary>
public class LoadResFidelityTests
{
    private static readonly double One = CocoBuilder.OneTp;

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"size\":[100,100],\"counts\":\"not-an-rle\"}")]
    public void Box_results_carrying_any_segmentation_evaluate_as_bbox(string segmentation)
    {
        var b = new CocoBuilder().Image(1).Category(1).Gt(1, 1, [10, 10, 10, 10]).Gt(1, 1, [40, 40, 20, 20])
            .DtRaw($"{{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"bbox\":[10,10,10,10],\"segmentation\":{segmentation}}}")
            .DtRaw($"{{\"image_id\":1,\"category_id\":1,\"score\":0.8,\"bbox\":[70,70,10,10],\"segmentation\":{segmentation}}}");
        var s = b.Stats(IouType.Bbox);
        // One true positive at rank 1 of 2 ground truths, then a false positive: AP is half the recall range.
        var reference = new CocoBuilder().Image(1).Category(1).Gt(1, 1, [10, 10, 10, 10]).Gt(1, 1, [40, 40, 20, 20])
            .Dt(1, 1, [10, 10, 10, 10], 0.9).Dt(1, 1, [70, 70, 10, 10], 0.8).Stats(IouType.Bbox);
        Assert.Equal(reference, s);
        Assert.InRange(s[0], 0.49, 0.51);
    }

    [Fact]
    public void A_box_result_with_an_empty_or_null_segmentation_is_reported_for_segm_with_file_and_entry()
    {
        foreach (string segmentation in new[] { "[]", "null" })
        {
            var b = new CocoBuilder().Image(1).Category(1).Gt(1, 1, [10, 10, 10, 10])
                .Dt(1, 1, [10, 10, 10, 10], 0.95)
                .DtRaw($"{{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"bbox\":[10,10,10,10],\"segmentation\":{segmentation}}}");
            var ex = Assert.Throws<CocoFormatException>(() => b.Stats(IouType.Segm));
            Assert.Equal(SynCodes.CocoMalformedMask, ex.Diagnostic.Code);
            Assert.Equal("dt.json", ex.Diagnostic.File);
            Assert.Equal("entry 1", ex.Diagnostic.Location);
        }
    }

    [Fact]
    public void A_box_result_without_segmentation_still_gets_its_box_as_mask_for_segm()
    {
        var s = new CocoBuilder().Image(1).Category(1).Gt(1, 1, [10, 10, 10, 10], segmentation: "[[10,10,10,20,20,20,20,10]]")
            .Dt(1, 1, [10, 10, 10, 10], 0.9).Stats(IouType.Segm);
        Assert.Equal(One, s[0], 1e-15);
    }

    [Fact]
    public void Score_is_not_required_for_detections_of_categories_the_evaluation_never_selects()
    {
        var b = new CocoBuilder().Image(1).Category(1).Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 1, [10, 10, 10, 10], 0.9)
            .DtRaw("{\"image_id\":1,\"category_id\":77,\"bbox\":[10,10,10,10]}")
            .DtRaw("{\"image_id\":1,\"category_id\":78,\"score\":\"high\",\"bbox\":[10,10,10,10]}");
        Assert.Equal(One, b.Stats()[0], 1e-15);
    }

    [Theory]
    [InlineData("{\"image_id\":1,\"category_id\":1,\"bbox\":[10,10,10,10]}", "missing field 'score'")]
    [InlineData("{\"image_id\":1,\"category_id\":1,\"score\":null,\"bbox\":[10,10,10,10]}", "'score' must be a number")]
    [InlineData("{\"image_id\":1,\"category_id\":1,\"score\":0.5,\"bbox\":[10,10,10]}", "'bbox' must have 4 numbers")]
    [InlineData("{\"image_id\":1,\"category_id\":1,\"score\":0.5,\"bbox\":[]}", "'bbox' must have 4 numbers")]
    [InlineData("{\"image_id\":1,\"category_id\":1,\"score\":0.5}", "missing field 'bbox'")]
    public void Bad_fields_that_evaluation_reads_are_SYN7003_with_file_and_entry(string entry, string message)
    {
        var b = new CocoBuilder().Image(1).Category(1).Gt(1, 1, [10, 10, 10, 10])
            .Dt(1, 1, [10, 10, 10, 10], 0.9).DtRaw(entry);
        var gt = CocoGroundTruth.Parse(b.GtJson, "gt.json");
        var ex = Assert.Throws<CocoFormatException>(() => CocoDetections.Parse(b.DtJson, "results/dt.json", gt));
        Assert.Equal(SynCodes.CocoWrongShape, ex.Diagnostic.Code);
        Assert.Equal("results/dt.json", ex.Diagnostic.File);
        Assert.Equal("entry 1", ex.Diagnostic.Location);
        Assert.Contains(message, ex.Diagnostic.Message);
        Assert.StartsWith("results/dt.json: error SYN7003: entry 1: ", ex.Diagnostic.ToString());
    }
}
