using SynthBuild.Core.Diagnostics;
using SynthBuild.Models.Training;

namespace SynthBuild.Models.Tests;

/// <summary>The text a SynthTrainer item carries: its command line, its placeholders, and the metrics file it names.</summary>
public class TrainerParsingTests
{
    [Theory]
    [InlineData("yolo detect train data={yolo} epochs=3", new[] { "yolo", "detect", "train", "data={yolo}", "epochs=3" })]
    [InlineData("  a \t b\n c  ", new[] { "a", "b", "c" })]
    [InlineData("python3 'my script.py' \"--name=a b\"", new[] { "python3", "my script.py", "--name=a b" })]
    [InlineData("x data=\"{yolo}\"x 'it''s'", new[] { "x", "data={yolo}x", "its" })]
    [InlineData("a \"\" ''", new[] { "a", "", "" })]
    [InlineData(@"a\ b c\\d ""q\""x\\y\n""", new[] { "a b", @"c\d", @"q""x\y\n" })]
    [InlineData(@"'single \ keeps \ backslashes'", new[] { @"single \ keeps \ backslashes" })]
    [InlineData("echo | grep > out $HOME *.py", new[] { "echo", "|", "grep", ">", "out", "$HOME", "*.py" })]
    public void Command_lines_split_like_a_shell_without_its_expansions(string line, string[] expected) =>
        Assert.Equal(expected, TrainerCommandLine.Split(line));

    [Theory]
    [InlineData("a 'b", "unterminated ' starting at column 3")]
    [InlineData("a \"b\\\"", "unterminated \" starting at column 3")]
    [InlineData("a b\\", "a trailing \\ escapes nothing")]
    public void Broken_quoting_is_refused(string line, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => TrainerCommandLine.Split(line)).Message);

    [Fact]
    public void Display_round_trips_through_split()
    {
        string[] args = ["/usr/bin/python3", "a b.py", "it's", "", "x\"y", @"back\slash", "plain=1"];
        Assert.Equal(args, TrainerCommandLine.Split(TrainerCommandLine.Display(args)));
    }

    [Fact]
    public void Placeholders_are_substituted_with_literal_braces_kept()
    {
        var values = new Dictionary<string, string> { ["yolo"] = "/d/ex ports/yolo/data.yaml", ["output"] = "/o" };
        Assert.Equal("data=/d/ex ports/yolo/data.yaml", TrainerCommandLine.Substitute("data={yolo}", k => values[k]));
        Assert.Equal("{\"out\": \"/o\"} {yolo}", TrainerCommandLine.Substitute("{{\"out\": \"{output}\"}} {{yolo}}", k => values[k]));
        Assert.Equal(["yolo", "output"], TrainerCommandLine.Placeholders("a{yolo}b{{x}}{output}"));
        // The resolver decides what an unknown name is; its exception comes through.
        var ex = Assert.Throws<KeyNotFoundException>(() => TrainerCommandLine.Substitute("{nope}", k => values[k]));
        Assert.Contains("nope", ex.Message);
        Assert.Contains("no closing", Assert.Throws<FormatException>(() => TrainerCommandLine.Substitute("a{yolo", k => values[k])).Message);
    }

    [Fact]
    public void Json_metrics_are_flattened_with_dots()
    {
        var m = TrainerMetrics.Json("""
            { "loss": 0.5, "val": { "ap": 0.25, "per": { "box": 1e-3 } }, "loss_per_epoch": [3, 2, 1.5],
              "ok": true, "bad": false, "arch": "tiny", "none": null, "mixed": [1, "x"], "empty": [] }
            """, "m.json", "t");
        Assert.Equal(new Dictionary<string, double>
        {
            ["bad"] = 0, ["loss"] = 0.5, ["loss_per_epoch"] = 1.5, ["ok"] = 1, ["val.ap"] = 0.25, ["val.per.box"] = 0.001,
        }, m);
    }

    [Fact]
    public void Csv_metrics_are_the_last_row_by_header_name_as_ultralytics_writes_them()
    {
        // The start of an Ultralytics results.csv (YOLOv8: names padded with spaces).
        const string csv = """
                                epoch,      train/box_loss,      train/cls_loss,   metrics/precision(B),   metrics/mAP50(B),metrics/mAP50-95(B),             lr/pg0
                                    1,              1.4219,               3.012,                0.0123,             0.0051,             0.0021,           0.070297
                                    2,              1.3011,              2.5101,               0.11234,           0.081003,            0.04015,           0.040231

            """;
        var m = TrainerMetrics.Csv(csv.Replace("\n", "\r\n"), "results.csv", "yolo");
        Assert.Equal(2, m["epoch"]);
        Assert.Equal(1.3011, m["train/box_loss"]);
        Assert.Equal(0.081003, m["metrics/mAP50(B)"]);
        Assert.Equal(0.04015, m["metrics/mAP50-95(B)"]);
        Assert.Equal(7, m.Count);
    }

    [Fact]
    public void Missing_and_garbled_metrics_files_are_SYN8205_naming_the_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), "synth-trainer-metrics-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        DiagnosticException Fails(string name, string? text)
        {
            string path = Path.Combine(dir, name);
            if (text is not null) File.WriteAllText(path, text);
            var ex = Assert.Throws<DiagnosticException>(() => TrainerMetrics.Read(path, "det"));
            Assert.Equal(SynCodes.TrainerMetricsInvalid, ex.Diagnostic.Code);
            Assert.Equal(path, ex.Diagnostic.File);
            Assert.Contains("'det'", ex.Diagnostic.Message);
            return ex;
        }
        Assert.Contains("not found", Fails("absent.json", null).Diagnostic.Message);
        var json = Fails("bad.json", "{\n \"loss\": 0.5,\n \"x\": }");
        Assert.Contains("not valid JSON", json.Diagnostic.Message);
        Assert.Equal(3, json.Diagnostic.Line);
        Assert.Contains("not a JSON object", Fails("array.json", "[1, 2]").Diagnostic.Message);
        Assert.Contains("no number", Fails("strings.json", "{\"arch\": \"tiny\"}").Diagnostic.Message);
        Assert.Contains("header row and at least one row", Fails("header.csv", "epoch,loss\n").Diagnostic.Message);
        var row = Fails("ragged.csv", "epoch,loss\n1,0.5\n2\n");
        Assert.Contains("1 cells, the header 2", row.Diagnostic.Message);
        Assert.Equal(3, row.Diagnostic.Line);
        string good = Path.Combine(dir, "good.json");
        File.WriteAllText(good, "{\"loss\": 0.5}");
        Assert.Equal(0.5, TrainerMetrics.Read(good, "det")["loss"]);
    }
}
