using SynthBuild.TestSupport;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Tests.Diagnostics;

public class DiagnosticCatalogueTests
{
    private static readonly Regex CodePattern = new(@"\bSYN\d{4}\b", RegexOptions.Compiled);
    private static string Src => Path.Combine(TestPaths.RepoRoot, "src");
    private static string DocsPage => Path.Combine(TestPaths.RepoRoot, "docs", "diagnostics.md");

    /// <summary>SynCodes' constants by name: the only place a code is spelled in C#.</summary>
    private static Dictionary<string, string> Constants() =>
        typeof(SynCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    private static IEnumerable<string> SourceFiles(params string[] extensions) =>
        Directory.EnumerateFiles(Src, "*", SearchOption.AllDirectories)
            .Where(f => extensions.Contains(Path.GetExtension(f)))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                     && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"));

    private static bool IsCatalogue(string file) => Path.GetFileName(file) == "DiagnosticCatalogue.cs";

    [Fact]
    public void Codes_are_unique_well_formed_ordered_and_in_their_stage_range()
    {
        var all = DiagnosticCatalogue.All;
        Assert.NotEmpty(all);
        Assert.Equal(all.Count, all.Select(d => d.Code).Distinct().Count());
        Assert.Equal(all.Select(d => d.Code).Order(StringComparer.Ordinal), all.Select(d => d.Code));
        foreach (var d in all)
        {
            Assert.Matches(@"^SYN\d{4}$", d.Code);
            Assert.True((int)d.Stage == d.Code[3] - '0', $"{d.Code} is listed under stage {d.Stage} ({(int)d.Stage}xxx)");
            Assert.True(d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning, $"{d.Code}: {d.Severity}");
            Assert.False(string.IsNullOrWhiteSpace(d.Title), d.Code);
            Assert.False(string.IsNullOrWhiteSpace(d.Meaning), d.Code);
        }
        // One meaning per code, and no meaning under two codes.
        Assert.Equal(all.Count, all.Select(d => d.Title).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Every_constant_has_one_catalogue_entry_and_every_entry_one_constant()
    {
        var constants = Constants();
        Assert.Equal(constants.Count, constants.Values.Distinct().Count());
        Assert.Equal(constants.Values.Order(StringComparer.Ordinal), DiagnosticCatalogue.All.Select(d => d.Code));
    }

    [Fact]
    public void Csharp_sources_spell_no_code_outside_the_catalogue()
    {
        var offenders = SourceFiles(".cs").Where(f => !IsCatalogue(f))
            .SelectMany(f => File.ReadLines(f).Select((l, i) => (f, i, l)))
            .Where(x => Regex.IsMatch(x.l, "\"SYN\\d"))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepoRoot, x.f)}({x.i + 1}): {x.l.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "Use SynCodes instead of a literal:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Every_code_mentioned_in_src_or_docs_is_in_the_catalogue()
    {
        var known = DiagnosticCatalogue.All.Select(d => d.Code).ToHashSet();
        var docs = Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*.md")
            .Append(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var unknown = SourceFiles(".cs", ".targets", ".props").Concat(docs)
            .SelectMany(f => CodePattern.Matches(File.ReadAllText(f)).Select(m => (f, m.Value)))
            .Where(x => !known.Contains(x.Value))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepoRoot, x.f)}: {x.Value}")
            .Distinct().ToList();
        Assert.True(unknown.Count == 0, "Not in the catalogue:\n" + string.Join("\n", unknown));
    }

    [Fact]
    public void Every_catalogue_code_is_reported_somewhere_in_src()
    {
        var nameOf = Constants().ToDictionary(kv => kv.Value, kv => kv.Key);
        string csharp = string.Join("\n", SourceFiles(".cs").Where(f => !IsCatalogue(f)).Select(File.ReadAllText));
        string msbuild = string.Join("\n", SourceFiles(".targets", ".props").Select(File.ReadAllText));
        var dead = DiagnosticCatalogue.All
            .Where(d => !Regex.IsMatch(csharp, $@"\bSynCodes\.{nameOf[d.Code]}\b") && !msbuild.Contains($"Code=\"{d.Code}\""))
            .Select(d => $"{d.Code} ({nameOf[d.Code]})").ToList();
        Assert.True(dead.Count == 0, "Defined but never reported:\n" + string.Join("\n", dead));
    }

    [Fact]
    public void Catalogue_severity_is_one_the_code_is_reported_with()
    {
        var byName = Constants();
        var used = new Dictionary<string, HashSet<DiagnosticSeverity>>();
        void Use(string code, DiagnosticSeverity s)
        {
            if (!used.TryGetValue(code, out var set)) used[code] = set = [];
            set.Add(s);
        }
        foreach (string f in SourceFiles(".cs").Where(f => !IsCatalogue(f)))
        {
            string text = File.ReadAllText(f);
            foreach (Match m in Regex.Matches(text, @"Diagnostic\.(Error|Warning)\(\s*SynCodes\.(\w+)"))
                Use(byName[m.Groups[2].Value], m.Groups[1].Value == "Error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning);
            foreach (Match m in Regex.Matches(text, @"Log(Error|Warning)\(null,\s*SynCodes\.(\w+)"))
                Use(byName[m.Groups[2].Value], m.Groups[1].Value == "Error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning);
        }
        foreach (string f in SourceFiles(".targets", ".props"))
            foreach (Match m in Regex.Matches(File.ReadAllText(f), @"<(Error|Warning)\b[^>]*\bCode=""(SYN\d{4})"""))
                Use(m.Groups[2].Value, m.Groups[1].Value == "Error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning);

        Assert.Contains(SynCodes.GateFailed, used.Keys); // the scan sees the call sites
        var wrong = DiagnosticCatalogue.All
            .Where(d => used.TryGetValue(d.Code, out var set) && !set.Contains(d.Severity))
            .Select(d => $"{d.Code}: catalogue says {d.Severity}, reported as {string.Join("/", used[d.Code])}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>
    /// docs/diagnostics.md is generated from the catalogue. After changing the catalogue, regenerate it with
    /// <c>SYNTH_UPDATE_DOCS=1 dotnet test tests/SynthBuild.Core.Tests --filter DiagnosticCatalogue</c>.
    /// </summary>
    [Fact]
    public void Docs_page_lists_exactly_the_catalogue()
    {
        string expected = DiagnosticsPage.Render(DiagnosticCatalogue.All);
        if (Environment.GetEnvironmentVariable("SYNTH_UPDATE_DOCS") == "1")
            File.WriteAllText(DocsPage, expected);
        string actual = File.Exists(DocsPage) ? File.ReadAllText(DocsPage).ReplaceLineEndings("\n") : "";
        Assert.True(expected == actual,
            "docs/diagnostics.md differs from the catalogue; regenerate it with SYNTH_UPDATE_DOCS=1 dotnet test tests/SynthBuild.Core.Tests --filter DiagnosticCatalogue");
    }

    [Fact]
    public void Docs_page_has_one_row_per_code_under_its_stage()
    {
        // Parses the rendered page back, so a renderer that drops or misfiles a code fails here.
        string page = DiagnosticsPage.Render(DiagnosticCatalogue.All);
        var rows = new List<(string Stage, string Code, string Severity, string Title)>();
        string stage = "";
        foreach (string line in page.Split('\n'))
        {
            if (line.StartsWith("## ")) stage = line[3..];
            var m = Regex.Match(line, @"^\| (SYN\d{4}) \| (error|warning) \| ([^|]+) \|");
            if (m.Success) rows.Add((stage, m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value.Trim()));
        }
        Assert.Equal(DiagnosticCatalogue.All.Select(d => d.Code), rows.Select(r => r.Code));
        foreach (var (d, r) in DiagnosticCatalogue.All.Zip(rows))
        {
            Assert.StartsWith($"{(int)d.Stage}xxx", r.Stage);
            Assert.Equal(d.Severity.ToString().ToLowerInvariant(), r.Severity);
            Assert.Equal(d.Title, r.Title);
        }
    }
}

/// <summary>Renders docs/diagnostics.md from the catalogue.</summary>
internal static class DiagnosticsPage
{
    private static string StageName(DiagnosticStage s) => s switch
    {
        DiagnosticStage.Sdk => "SDK",
        DiagnosticStage.Config => "config",
        DiagnosticStage.Generation => "generation and augmentation",
        DiagnosticStage.Storage => "storage and incremental builds",
        DiagnosticStage.Export => "export",
        DiagnosticStage.Quality => "quality gates and comparison",
        DiagnosticStage.Lineage => "lineage and release",
        DiagnosticStage.Evaluation => "evaluation",
        DiagnosticStage.Models => "models and experiments",
        DiagnosticStage.Sharding => "sharding and schedulers",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    // Table cells: a '|' would split the cell, and '<name>' would be read as an HTML tag.
    private static string Cell(string text) => text.Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");

    public static string Render(IReadOnlyList<DiagnosticDescriptor> all)
    {
        var sb = new StringBuilder();
        sb.Append("# Diagnostics\n\n");
        sb.Append("Every code SynthBuild reports, grouped by stage (the thousands digit). A diagnostic reads\n");
        sb.Append("`file(line,col): error SYNnnnn: message`: the file and, where there is one, the line and column, then what\n");
        sb.Append("was expected and what was found. Each code has one meaning.\n\n");
        sb.Append("This page is generated from `src/SynthBuild.Core/Diagnostics/DiagnosticCatalogue.cs` (the only place a\n");
        sb.Append("code is defined) and a test fails when they differ: after changing the catalogue, run\n");
        sb.Append("`SYNTH_UPDATE_DOCS=1 dotnet test tests/SynthBuild.Core.Tests --filter DiagnosticCatalogue`.\n");
        foreach (var group in all.GroupBy(d => d.Stage))
        {
            sb.Append($"\n## {(int)group.Key}xxx {StageName(group.Key)}\n\n");
            sb.Append("| code | severity | title | meaning |\n|---|---|---|---|\n");
            foreach (var d in group)
                sb.Append($"| {d.Code} | {d.Severity.ToString().ToLowerInvariant()} | {Cell(d.Title)} | {Cell(d.Meaning)} |\n");
        }
        return sb.ToString();
    }
}
