using System.Diagnostics;
using SynthBuild.Lineage;
using SynthBuild.Quality;

namespace SynthBuild.Cli;

/// <summary><c>synth quality compare</c>.</summary>
internal static class QualityCommands
{
    public const string Usage = """
          synth quality compare BEFORE AFTER     each a quality.json, a built dataset folder, or a release (.tar.gz or folder)
          synth quality compare --release RELEASE AFTER
          synth quality compare --ref GIT-REF [--project P.synthproj] [AFTER]
                                                 the project as of GIT-REF, built with this engine (dotnet build; cached in
                                                 the project's obj/synth-compare/); AFTER defaults to the project's bin/dataset
        """;

    /// <returns>Exit code; throws <see cref="ArgumentException"/> for usage errors.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2) throw new ArgumentException("quality needs a subcommand: compare");
        if (args[1] != "compare") throw new ArgumentException($"unknown quality subcommand '{args[1]}'");
        string? gitRef = null, release = null, project = null;
        var positional = new List<string>();
        for (int i = 2; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "--ref": gitRef = Value(); break;
                case "--release": release = Value(); break;
                case "--project": project = Value(); break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unknown option {args[i]}");
                    positional.Add(args[i]);
                    break;
            }
        }
        if (gitRef is not null && release is not null) throw new ArgumentException("--ref and --release are two ways to name BEFORE: give one");
        if (project is not null && gitRef is null) throw new ArgumentException("--project is only used with --ref");

        QualityReport before, after;
        string beforeLabel, afterLabel;
        if (gitRef is not null)
        {
            if (positional.Count > 1) throw new ArgumentException("quality compare --ref takes at most one report: AFTER");
            string projectFile = FindProject(project);
            before = BuildRef(projectFile, gitRef, stderr, out beforeLabel);
            afterLabel = positional.Count == 1 ? positional[0] : "working tree";
            after = QualityBaseline.Load(positional.Count == 1 ? positional[0] : Path.Combine(Path.GetDirectoryName(projectFile)!, "bin", "dataset"));
        }
        else
        {
            int expected = release is null ? 2 : 1;
            if (positional.Count != expected)
                throw new ArgumentException(release is null ? "quality compare needs two reports: BEFORE AFTER" : "quality compare --release needs one more report: AFTER");
            beforeLabel = release ?? positional[0];
            afterLabel = positional[^1];
            before = QualityBaseline.Load(beforeLabel);
            after = QualityBaseline.Load(afterLabel);
        }
        stdout.Write(QualityComparison.Of(before, after, beforeLabel, afterLabel).Render());
        return SynthCli.ExitOk;
    }

    /// <summary>The given project, or the only *.synthproj in the current folder.</summary>
    private static string FindProject(string? project)
    {
        if (project is not null)
            return File.Exists(project) ? Path.GetFullPath(project) : throw new FileNotFoundException($"no project at '{project}'");
        var found = Directory.GetFiles(Directory.GetCurrentDirectory(), "*.synthproj");
        return found.Length == 1 ? found[0] : throw new ArgumentException("--ref needs the dataset project: --project P.synthproj (none or several *.synthproj here)");
    }

    /// <summary>
    /// The project as of <paramref name="gitRef"/>, built with this engine by `dotnet build -t:SynthAnalyze` into the
    /// comparison cache, or the cached report of an earlier comparison with the same project tree.
    /// </summary>
    private static QualityReport BuildRef(string projectFile, string gitRef, TextWriter log, out string label)
    {
        string cache = Path.Combine(Path.GetDirectoryName(projectFile)!, "obj", "synth-compare");
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
