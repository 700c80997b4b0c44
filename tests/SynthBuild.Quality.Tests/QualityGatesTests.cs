using SynthBuild.TestSupport;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality.Tests;

public class QualityGatesTests
{
    private static readonly QualityReport Crafted = QualityAnalyzer.Analyze(DatasetReader.Open(QualityAnalyzerTests.ThreeSamples()), new QualitySettings());

    private static GateDeclaration Gate(string name, params (string Key, string Value)[] metadata) =>
        new(name, metadata.ToDictionary(m => m.Key, m => m.Value), "demo.synthproj", 7, 5);

    [Fact]
    public void Class_balance_fails_by_default_and_passes_when_loosened()
    {
        var (results, diagnostics) = QualityGates.Evaluate(Crafted, [Gate("class-balance")]);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(("SYN5001", DiagnosticSeverity.Error, "demo.synthproj", 7, 5), (d.Code, d.Severity, d.File, d.Line, d.Column));
        Assert.Equal("Quality gate 'class-balance' failed: largest / smallest instance count over categories is 2, above the maximum 1.15.", d.Message);
        Assert.False(Assert.Single(results).Passed);

        (results, diagnostics) = QualityGates.Evaluate(Crafted, [Gate("class-balance", ("Max", "2.5"))]);
        Assert.Empty(diagnostics);
        Assert.Equal((true, 2.0, 2.5), (results[0].Passed, results[0].High, results[0].Max));
    }

    [Theory]
    [InlineData("min-objects-per-image", "Min", "2", "fewest labelled objects in one image is 1, below the minimum 2")]
    [InlineData("min-mean-visibility", "Min", "0.8", "mean visibility over all objects is 0.725, below the minimum 0.8")]
    [InlineData("box-size-mix", "Max", "0.7", "is 0.75, above the maximum 0.7")]
    [InlineData("brightness-range", "Min", "120", "mean luma (0–255) is 100–155.5, below the minimum 120")]
    [InlineData("depth-valid-ratio", "Min", "0.95", "share of depth pixels with a measurement is 0.9167, below the minimum 0.95")]
    [InlineData("label-errors", "Max", "0", "is 1, above the maximum 0")]
    [InlineData("near-duplicate-rate", "Max", "0.01", "is 0.3333, above the maximum 0.01")]
    public void Each_gate_fails_with_its_measured_value_and_threshold(string gate, string key, string bound, string expected)
    {
        var (results, diagnostics) = QualityGates.Evaluate(Crafted, [Gate(gate, (key, bound))]);
        Assert.False(Assert.Single(results).Passed);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("SYN5001", d.Code);
        Assert.Contains($"'{gate}'", d.Message);
        Assert.Contains(expected, d.Message);
    }

    [Theory]
    [InlineData("min-objects-per-image", "Min", "1")]
    [InlineData("min-mean-visibility", "Min", "0.7")]
    [InlineData("box-size-mix", "Max", "0.75")]
    [InlineData("brightness-range", "Min", "100")]
    [InlineData("depth-valid-ratio", "Min", "0.9")]
    [InlineData("label-errors", "Max", "1")]
    [InlineData("near-duplicate-rate", "Max", "0.34")]
    [InlineData("split-leakage", "Max", "1")]
    public void Each_gate_passes_at_its_measured_value(string gate, string key, string bound)
    {
        var (results, diagnostics) = QualityGates.Evaluate(Crafted, [Gate(gate, (key, bound))]);
        Assert.Empty(diagnostics);
        Assert.True(Assert.Single(results).Passed);
    }

    [Fact]
    public void Warning_severity_warns_and_switched_off_gates_never_fail()
    {
        var (_, warn) = QualityGates.Evaluate(Crafted, [Gate("class-balance", ("Severity", "Warning"))]);
        Assert.Equal(DiagnosticSeverity.Warning, Assert.Single(warn).Severity);
        var (results, off) = QualityGates.Evaluate(Crafted, [Gate("class-balance")], enabled: false);
        Assert.Empty(off);
        Assert.Equal((false, false), (results[0].Enabled, results[0].Passed));
    }

    [Fact]
    public void Unknown_names_and_bad_metadata_are_errors_at_the_declaration()
    {
        var (results, diagnostics) = QualityGates.Evaluate(Crafted,
            [Gate("class-balanse"), Gate("class-balance", ("Max", "lots")), Gate("label-errors", ("Severity", "Fatal"))]);
        Assert.Empty(results);
        Assert.Equal(["SYN5002", "SYN5003", "SYN5003"], diagnostics.Select(d => d.Code));
        Assert.Contains("Unknown quality gate 'class-balanse'. Known gates: class-balance,", diagnostics[0].Message);
        Assert.Contains("Max must be a number, found 'lots'", diagnostics[1].Message);
        Assert.Contains("Severity must be Error or Warning, found 'Fatal'", diagnostics[2].Message);
        Assert.All(diagnostics, d => Assert.Equal(7, d.Line));
    }

    [Fact]
    public void Locate_finds_the_declaring_element()
    {
        string file = Path.Combine(SmallDataset.TempDir(), "p.synthproj");
        File.WriteAllText(file, "<Project>\n  <ItemGroup>\n    <SynthGate Include=\"class-balance\" Max=\"1.1\" />\n      <SynthGate Include=\"label-errors;split-leakage\" />\n  </ItemGroup>\n</Project>\n");
        Assert.Equal((3, 5), QualityGates.Locate(file, "class-balance"));
        Assert.Equal((4, 7), QualityGates.Locate(file, "split-leakage"));
        Assert.Equal((0, 0), QualityGates.Locate(file, "box-size-mix"));
        Assert.Equal((0, 0), QualityGates.Locate(file + ".missing", "class-balance"));
    }
}
