using System.CommandLine;
using System.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Lineage;
using SynthBuild.Quality;

namespace SynthBuild.Cli;

/// <summary><c>synth quality compare</c>.</summary>
internal static class QualityCommands
{
    public static Command Command(TextWriter stdout, TextWriter stderr)
    {
        var reports = SynthCli.RejectOptionLike(new Argument<string[]>("REPORTS")
        {
            Arity = new ArgumentArity(0, 2), HelpName = "BEFORE AFTER",
            Description = "Each a quality.json, a built dataset folder, or a release (.tar.gz or folder). With --release or --ref only AFTER, "
                + $"which --ref defaults to the project's {ProjectLayout.OutputDirectory}.",
        });
        var release = new Option<string>("--release") { HelpName = "RELEASE", Description = "BEFORE is this release (.tar.gz or extracted folder)." };
        var gitRef = new Option<string>("--ref")
        {
            HelpName = "GIT-REF",
            Description = $"BEFORE is the project as of this git ref, built with this engine (dotnet build; cached in the project's {ProjectLayout.CompareCacheDirectory}/).",
        };
        var project = new Option<string>("--project") { HelpName = "P.synthproj", Description = "The dataset project for --ref (default: the only *.synthproj here)." };
        var json = new Option<bool>("--json")
        {
            Description = "Print the comparison as one JSON object on stdout instead of Markdown: {\"before\", \"after\", \"identical\", \"samples\", \"regressions\", \"fixed\", \"classes\", \"gates\"} (docs/cli.md).",
        };
        var compare = new Command("compare", "Compare two quality reports as Markdown: samples added/removed/changed, statistics, gates.")
        {
            reports, release, gitRef, project, json,
        };
        compare.Validators.Add(r =>
        {
            bool byRef = r.GetResult(gitRef) is not null, byRelease = r.GetResult(release) is not null;
            // Tokens, not GetValue: converting the argument here would skip its own validator (System.CommandLine 2.0.0).
            int given = r.GetResult(reports)?.Tokens.Count ?? 0;
            if (byRef && byRelease) r.AddError("--ref and --release are two ways to name BEFORE: give one");
            else if (r.GetResult(project) is not null && !byRef) r.AddError("--project is only used with --ref");
            else if (byRef && given > 1) r.AddError("quality compare --ref takes at most one report: AFTER");
            else if (byRelease && given != 1) r.AddError("quality compare --release needs one more report: AFTER");
            else if (!byRef && !byRelease && given != 2) r.AddError("quality compare needs two reports: BEFORE AFTER");
        });
        compare.SetAction(p =>
        {
            string[] positional = p.GetValue(reports) ?? [];
            QualityReport before, after;
            string beforeLabel, afterLabel;
            if (p.GetValue(gitRef) is string refName)
            {
                string projectFile = FindProject(p.GetValue(project));
                before = BuildRef(projectFile, refName, stderr, out beforeLabel);
                afterLabel = positional.Length == 1 ? positional[0] : "working tree";
                after = QualityBaseline.Load(positional.Length == 1 ? positional[0] : ProjectLayout.DefaultOutputDirectory(Path.GetDirectoryName(projectFile)!));
            }
            else
            {
                beforeLabel = p.GetValue(release) ?? positional[0];
                afterLabel = positional[^1];
                before = QualityBaseline.Load(beforeLabel);
                after = QualityBaseline.Load(afterLabel);
            }
            var comparison = QualityComparison.Of(before, after, beforeLabel, afterLabel);
            if (p.GetValue(json)) SynthCli.WriteJsonLine(stdout, comparison.WriteJsonProperties);
            else stdout.Write(comparison.Render());
            return SynthCli.ExitOk;
        });
        return new Command("quality", "Quality reports (docs/quality.md).") { compare };
    }

    /// <summary>The given project, or the only *.synthproj in the current folder.</summary>
    private static string FindProject(string? project)
    {
        if (project is not null)
            return File.Exists(project) ? Path.GetFullPath(project) : throw new FileNotFoundException($"no project at '{project}'");
        var found = Directory.GetFiles(Directory.GetCurrentDirectory(), "*.synthproj");
        return found.Length == 1 ? found[0] : throw new UsageException("--ref needs the dataset project: --project P.synthproj (none or several *.synthproj here)");
    }

    /// <summary>
    /// The project as of <paramref name="gitRef"/>, built with this engine by `dotnet build -t:SynthAnalyze` into the
    /// comparison cache, or the cached report of an earlier comparison with the same project tree.
    /// </summary>
    private static QualityReport BuildRef(string projectFile, string gitRef, TextWriter log, out string label)
    {
        string cache = ProjectLayout.DefaultCompareCacheDirectory(Path.GetDirectoryName(projectFile)!);
        GitBaseline b = QualityBaseline.PrepareGitRef(projectFile, gitRef, cache);
        label = $"{gitRef} ({b.Commit[..12]})";
        if (!b.Cached)
        {
            log.WriteLine($"synth: building {Path.GetFileName(projectFile)} as of {label} into {b.OutputDirectory}");
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                ArgumentList = { "build", b.ProjectFile, "-t:SynthAnalyze", "-nologo", "-v:q", "-p:SynthGates=false", $"-p:SynthOutputDir={b.OutputDirectory}" },
            };
            using var p = Process.Start(psi) ?? throw new IOException("could not start dotnet");
            var stdoutTask = p.StandardOutput.ReadToEndAsync();
            string errors = p.StandardError.ReadToEnd();
            p.WaitForExit();
            string output = stdoutTask.Result;
            if (p.ExitCode != 0 || !File.Exists(b.ReportFile))
                throw new IOException($"building the project as of {label} failed (exit {p.ExitCode}):\n{output}{errors}");
        }
        return QualityBaseline.Load(b.ReportFile);
    }
}
