using System.Text.Json;
using SynthBuild.Evaluation;

namespace SynthBuild.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("synth-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Gt = """
        {"images":[{"id":1,"width":50,"height":40},{"id":2,"width":50,"height":40}],
         "categories":[{"id":1,"name":"box"},{"id":2,"name":"ball"}],
         "annotations":[
           {"id":1,"image_id":1,"category_id":1,"bbox":[5,5,10,10],"area":100,"iscrowd":0,"segmentation":[[5,5,5,15,15,15,15,5]]},
           {"id":2,"image_id":2,"category_id":2,"bbox":[20,10,8,8],"area":64,"iscrowd":0,"segmentation":[[20,10,20,18,28,18,28,10]]}
         ]}
        """;
    private const string Dt = """
        [{"image_id":1,"category_id":1,"bbox":[5,5,10,10],"score":0.9},
         {"image_id":2,"category_id":2,"bbox":[21,10,8,8],"score":0.8}]
        """;

    private string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Eval_prints_twelve_lines_and_writes_json()
    {
        var gt = Write("gt.json", Gt);
        var dt = Write("dt.json", Dt);
        var json = Path.Combine(_dir, "out", "stats.json");
        var (code, stdout, stderr) = Run("eval", "--gt", gt, "--dt", dt, "--iou-type", "bbox", "--json", json);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length);
        Assert.StartsWith(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = ", lines[0]);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var stats = doc.RootElement.GetProperty("stats").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(12, stats.Length);
        var expected = new CocoEvaluator(CocoGroundTruth.Load(gt), CocoDetections.Load(dt, CocoGroundTruth.Load(gt)), IouType.Bbox).Run();
        Assert.Equal(expected, stats); // round-trip exact
    }

    [Fact]
    public void Eval_segm_runs()
    {
        var (code, stdout, _) = Run("eval", "--gt", Write("gt.json", Gt), "--dt", Write("dt.json", Dt), "--iou-type", "segm");
        Assert.Equal(0, code);
        Assert.Contains("area=   all | maxDets=100 ] = ", stdout);
    }

    [Fact]
    public void Bad_json_names_the_file_line_and_column()
    {
        var dt = Write("dt.json", "[{\"image_id\": 1,\n  \"category_id\": 1 \"score\": 0.5}]");
        var (code, _, err) = Run("eval", "--gt", Write("gt.json", Gt), "--dt", dt);
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.StartsWith(dt + "(2,", err);
        Assert.Contains("SYN7002", err);
        AssertOneLineNoStack(err);
    }

    [Fact]
    public void Missing_field_names_the_entry()
    {
        var dt = Write("dt.json", """[{"image_id":1,"category_id":1,"bbox":[1,1,2,2],"score":0.5},{"image_id":1,"bbox":[1,1,2,2],"score":0.5}]""");
        var (code, _, err) = Run("eval", "--gt", Write("gt.json", Gt), "--dt", dt);
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains(dt, err);
        Assert.Contains("entry 1: missing field 'category_id'", err);
        AssertOneLineNoStack(err);
    }

    [Fact]
    public void Wrong_type_names_the_entry_and_what_was_found()
    {
        var dt = Write("dt.json", """[{"image_id":1,"category_id":1,"bbox":[1,1,2,2],"score":"high"}]""");
        var (code, _, err) = Run("eval", "--gt", Write("gt.json", Gt), "--dt", dt);
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains("entry 0: 'score' must be a number, found a string", err);
    }

    [Fact]
    public void Unknown_image_id_names_the_entry()
    {
        var dt = Write("dt.json", """[{"image_id":1,"category_id":1,"bbox":[1,1,2,2],"score":0.5},{"image_id":999,"category_id":1,"bbox":[1,1,2,2],"score":0.5}]""");
        var (code, _, err) = Run("eval", "--gt", Write("gt.json", Gt), "--dt", dt);
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains(dt + ": error SYN7004: entry 1: image_id 999 is not in the ground truth", err);
        AssertOneLineNoStack(err);
    }

    [Fact]
    public void Malformed_rle_names_the_entry()
    {
        var dt = Write("dt.json", """[{"image_id":1,"category_id":1,"score":0.5,"segmentation":{"size":[40,50],"counts":"0~~"}}]""");
        var (code, _, err) = Run("eval", "--gt", Write("gt.json", Gt), "--dt", dt, "--iou-type", "segm");
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains(dt, err);
        Assert.Contains("entry 0: malformed RLE", err);
        AssertOneLineNoStack(err);
    }

    [Fact]
    public void Malformed_ground_truth_names_the_annotation()
    {
        var gt = Write("gt.json", Gt.Replace("\"area\":64,", ""));
        var (code, _, err) = Run("eval", "--gt", gt, "--dt", Write("dt.json", Dt));
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains(gt + ": error SYN7003: annotations[1]: missing field 'area'", err);
    }

    [Fact]
    public void Missing_file_and_bad_options_are_one_line_errors()
    {
        var (code, _, err) = Run("eval", "--gt", Path.Combine(_dir, "nope.json"), "--dt", "x.json");
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains("nope.json: error SYN7001", err);
        (code, _, err) = Run("eval", "--gt", "a", "--dt", "b", "--iou-type", "keypoints");
        Assert.Equal(SynthCli.ExitBadInput, code);
        Assert.Contains("--iou-type must be 'bbox' or 'segm'", err);
    }

    [Fact]
    public void Sim2real_reports_gap_and_gates()
    {
        var gt = Write("gt.json", Gt);
        var good = Write("good.json", Dt);
        var bad = Write("bad.json", """[{"image_id":1,"category_id":1,"bbox":[30,30,10,10],"score":0.9}]""");
        var json = Path.Combine(_dir, "s2r.json");
        var (code, stdout, stderr) = Run("sim2real", "--synthetic-gt", gt, "--synthetic-dt", good, "--real-gt", gt, "--real-dt", bad, "--json", json);
        Assert.Equal(SynthCli.ExitGateFailed, code);
        Assert.Contains("fine-tune on real labelled data", stdout);
        Assert.Contains("SYN7010", stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.False(doc.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(2, doc.RootElement.GetProperty("categories").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("gap").GetDouble() > 0.3);

        (code, stdout, _) = Run("sim2real", "--synthetic-gt", gt, "--synthetic-dt", good, "--real-gt", gt, "--real-dt", good);
        Assert.Equal(0, code);
        Assert.Contains("recommendations: none", stdout);
    }

    private static void AssertOneLineNoStack(string err)
    {
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Contact_sheet_writes_a_grid_png_of_the_dataset_with_labels_drawn()
    {
        var spec = SynthBuild.Core.Config.ConfigLoader.Parse("""
            { "samples": 6, "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } } }
            """, "c.json").Spec!;
        string data = Path.Combine(_dir, "data");
        Assert.True(new SynthBuild.Core.Pipeline.DatasetBuilder(spec, data).Build().Succeeded);
        string png = Path.Combine(_dir, "sheets", "sheet.png");
        var (code, stdout, stderr) = Run("contact-sheet", data, "-o", png);
        Assert.True(code == 0, stderr);
        Assert.Contains("sheet.png", stdout);
        var image = SynthBuild.Core.Assets.Png.Decode(File.ReadAllBytes(png));
        // 6 samples: 4 columns × 2 rows of 80×60 tiles with 4-pixel gaps.
        Assert.Equal((4 * 80 + 5 * 4, 2 * 60 + 3 * 4), (image.Width, image.Height));
        // Overlays: the white dotted amodal boxes and yellow cuboid edges exist somewhere.
        var rgb = image.Bytes!;
        bool yellow = false;
        for (int p = 0; p < rgb.Length; p += 3) yellow |= rgb[p] == 255 && rgb[p + 1] == 255 && rgb[p + 2] == 0;
        Assert.True(yellow);

        // Colours per category (the report legend's): tight boxes only draw palette colours and no cuboid yellow;
        // no overlays at all leave the palette colours to chance.
        int PaletteAndYellow(string overlays, out bool anyYellow)
        {
            string only = Path.Combine(_dir, "sheets", overlays + ".png");
            Assert.Equal(0, Run("contact-sheet", data, "--out", only, "--overlays", overlays).Code);
            var px = SynthBuild.Core.Assets.Png.Decode(File.ReadAllBytes(only)).Bytes!;
            var palette = SynthBuild.Quality.ContactSheet.Palette.ToHashSet();
            int n = 0;
            anyYellow = false;
            for (int p = 0; p < px.Length; p += 3)
            {
                if (palette.Contains((px[p], px[p + 1], px[p + 2]))) n++;
                anyYellow |= px[p] == 255 && px[p + 1] == 255 && px[p + 2] == 0;
            }
            return n;
        }
        int boxes = PaletteAndYellow("TightBoxes", out bool yellowWithBoxes), none = PaletteAndYellow("None", out bool yellowWithNone);
        Assert.True(boxes > none + 100, $"{boxes} palette pixels with tight boxes, {none} without overlays");
        Assert.False(yellowWithBoxes || yellowWithNone);

        Assert.Equal(SynthCli.ExitBadInput, Run("contact-sheet", data).Code);                       // no -o
        Assert.Equal(SynthCli.ExitBadInput, Run("contact-sheet", Path.Combine(_dir, "none"), "-o", png).Code);
    }

    [Fact]
    public void Every_command_has_help_and_usage_errors_exit_2()
    {
        string[][] commands = [["eval"], ["sim2real"], ["make-fixture"], ["lineage"], ["release", "verify"], ["release", "extract"],
            ["release", "push"], ["release", "pull"], ["contact-sheet"], ["quality", "compare"], ["model-eval"],
            ["slices"], ["target"], ["experiment", "run"]];
        foreach (string[] command in commands)
        {
            var (code, stdout, _) = Run([.. command, "--help"]);
            Assert.Equal(SynthCli.ExitOk, code);
            Assert.Contains("Usage:\n  synth " + string.Join(' ', command), stdout.ReplaceLineEndings("\n"));
            Assert.Equal(stdout, Run(["help", .. command]).Out);
        }
        // Every command in the tree is in the list above (a new one needs its line in docs and here).
        var root = SynthCli.BuildCommands(TextWriter.Null, TextWriter.Null);
        var leaves = root.Subcommands.SelectMany(c => c.Subcommands.Count == 0 ? [c.Name] : c.Subcommands.Select(s => c.Name + " " + s.Name));
        Assert.Equal(commands.Select(c => string.Join(' ', c)).Order(), leaves.Order());

        var none = Run();
        Assert.Equal(SynthCli.ExitBadInput, none.Code);
        Assert.Contains("Usage:", none.Err);
        Assert.Equal(SynthCli.ExitOk, Run("--help").Code);

        var unknown = Run("frobnicate");
        Assert.Equal(SynthCli.ExitBadInput, unknown.Code);
        Assert.Contains("unknown command 'frobnicate' (expected eval, sim2real", unknown.Err);
        var option = Run("eval", "--gt", "a", "--dt", "b", "--bogus");
        Assert.Equal(SynthCli.ExitBadInput, option.Code);
        Assert.Contains("synth: error: unknown option --bogus", option.Err);
        Assert.Contains("Run 'synth eval --help' for usage.", option.Err);
        var missing = Run("make-fixture");
        Assert.Equal(SynthCli.ExitBadInput, missing.Code);
        Assert.Contains("'--out' is required", missing.Err);
        Assert.Contains("--images needs a positive integer", Run("make-fixture", "--out", _dir, "--images", "0").Err);
    }
}
