using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;
using SynthBuild.Lineage;
using SynthBuild.Quality;

namespace SynthBuild.Cli;

public static class Program
{
    public static int Main(string[] args) => SynthCli.Run(args, Console.Out, Console.Error);
}

/// <summary>The `synth` command line: one System.CommandLine tree over SynthBuild.Core.</summary>
public static class SynthCli
{
    /// <summary>Exit codes (README "Command line"): 0 ok; 1 a gate or verification failed; 2 bad input or usage
    /// (unknown option, missing argument, unreadable file, SYN diagnostic); 3 internal error (a bug).</summary>
    public const int ExitOk = 0, ExitGateFailed = 1, ExitBadInput = 2, ExitInternal = 3;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdout, stderr, Environment.GetEnvironmentVariable);

    /// <param name="env">Where commands read environment variables (release store credentials).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        Command root = BuildCommands(stdout, stderr, env);
        // `synth help [COMMAND...]` is `synth [COMMAND...] --help`.
        if (args is ["help", .. var rest]) args = [.. rest, "--help"];
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stderr });
            return ExitBadInput;
        }
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (string message in UsageErrors(parse)) stderr.WriteLine("synth: error: " + message);
            stderr.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitBadInput;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (CocoFormatException ex)
        {
            stderr.WriteLine(ex.Diagnostic.ToString());
            return ExitBadInput;
        }
        catch (DiagnosticException ex)
        {
            stderr.WriteLine(ex.Diagnostic.ToString());
            return ExitBadInput;
        }
        catch (UsageException ex)
        {
            stderr.WriteLine("synth: error: " + ex.Message);
            stderr.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitBadInput;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            stderr.WriteLine("synth: error: " + ex.Message);
            return ExitBadInput;
        }
        catch (Exception ex)
        {
            stderr.WriteLine($"synth: internal error: {ex.GetType().Name}: {ex.Message}");
            return ExitInternal;
        }
    }

    private const int MaxHelpWidth = 110;

    /// <summary>The whole command tree; actions write to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    internal static Command BuildCommands(TextWriter stdout, TextWriter stderr, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        // Not RootCommand: its name is the host executable's, which under `dotnet test` or `dotnet synth.dll` is not synth.
        var root = new Command("synth", "SynthBuild's command line: evaluate detections or an ONNX detector, compare quality reports, read lineage, verify and extract releases, draw contact sheets.")
        {
            new HelpOption { Action = new HelpAction { MaxWidth = MaxHelpWidth } },
            new VersionOption(),
            EvalCommand(stdout),
            Sim2RealCommand(stdout, stderr),
            MakeFixtureCommand(stdout),
            LineageCommand(stdout),
            ReleaseCommand(stdout, stderr, env),
            ContactSheetCommand(stdout),
            QualityCommands.Command(stdout, stderr),
            ModelCommands.ModelEval(stdout),
            SliceCommands.Slices(stdout),
            ExperimentCommands.Command(stdout, stderr, env),
            TargetCommand.Command(stdout, stderr),
        };
        return root;
    }

    /// <summary>
    /// The parse errors as one-line messages; tokens nothing accepted read as "unknown option --x" or
    /// "unexpected argument 'x'" (System.CommandLine says "Unrecognized command or argument").
    /// </summary>
    private static IEnumerable<string> UsageErrors(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        var unmatched = parse.UnmatchedTokens;
        if (unmatched.Count > 0 && command.Subcommands.Count > 0 && command.Arguments.Count == 0 && !unmatched[0].StartsWith('-'))
        {
            // "synth release sign": one message naming the commands there are, not "required command" besides.
            yield return $"unknown command '{unmatched[0]}' (expected {string.Join(", ", command.Subcommands.Select(c => c.Name))})";
            yield break;
        }
        foreach (string token in unmatched)
            yield return token.StartsWith('-') ? $"unknown option {token}" : $"unexpected argument '{token}'";
        foreach (var error in parse.Errors)
            if (!unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                yield return error.Message;
    }

    /// <summary>"synth release verify": the command the user was running, for the help hint.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult) names.Add(r.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    internal static Option<string> RequiredPath(string name, string helpName, string description, params string[] aliases) =>
        new(name, aliases) { Required = true, HelpName = helpName, Description = description };

    internal static Option<string> OptionalPath(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description };

    internal static Argument<string> PathArgument(string name, string description) =>
        RejectOptionLike(new Argument<string>(name) { Description = description });

    /// <summary>An unknown "--x" lands in a positional argument when its arity allows; report it as the unknown
    /// option it is.</summary>
    internal static Argument<T> RejectOptionLike<T>(Argument<T> argument)
    {
        argument.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (token.Value.Length > 1 && token.Value.StartsWith('-')) r.AddError($"unknown option {token.Value}");
        });
        return argument;
    }

    /// <summary>A count option that must be at least 1.</summary>
    internal static Option<int> Positive(string name, int defaultValue, string description)
    {
        var option = new Option<int>(name) { DefaultValueFactory = _ => defaultValue, HelpName = "N", Description = description };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} needs a positive integer");
        });
        return option;
    }

    private static Option<string> IouTypeOption()
    {
        var option = new Option<string>("--iou-type")
        {
            DefaultValueFactory = _ => "bbox", HelpName = "bbox|segm",
            Description = "Match detections to ground truth by box or by mask (segmentation) IoU.",
        };
        option.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string>();
            if (v is not ("bbox" or "segm")) r.AddError($"--iou-type must be 'bbox' or 'segm', found '{v}'");
        });
        return option;
    }

    private static IouType IouTypeOf(string s) => s == "segm" ? IouType.Segm : IouType.Bbox;

    private static Command EvalCommand(TextWriter stdout)
    {
        var gt = RequiredPath("--gt", "GT.json", "COCO ground truth.");
        var dt = RequiredPath("--dt", "DT.json", "COCO detections (results list).");
        var iou = IouTypeOption();
        var json = OptionalPath("--json", "OUT.json", "Also write the twelve statistics and per-category AP as JSON.");
        var benchmark = new Option<int>("--benchmark")
        {
            Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => 50, HelpName = "N",
            Description = "Time evaluate+accumulate+summarize in-process over N runs after warm-up.",
        };
        benchmark.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--benchmark needs a positive number of runs");
        });
        var command = new Command("eval", "COCO-style detection evaluation (AP/AR, the twelve pycocotools statistics).") { gt, dt, iou, json, benchmark };
        command.SetAction(p => Eval(p.GetRequiredValue(gt), p.GetRequiredValue(dt), IouTypeOf(p.GetRequiredValue(iou)), p.GetValue(json),
            p.GetResult(benchmark) is { Implicit: false } ? p.GetValue(benchmark) : null, stdout));
        return command;
    }

    private static int Eval(string gtPath, string dtPath, IouType iouType, string? jsonPath, int? benchmarkRuns, TextWriter stdout)
    {
        var gt = CocoGroundTruth.Load(gtPath);
        var dt = CocoDetections.Load(dtPath, gt);
        var ev = new CocoEvaluator(gt, dt, iouType);
        var stats = ev.Run();
        stdout.Write(CocoEvaluator.FormatSummary(stats));

        if (benchmarkRuns is int n)
        {
            for (int i = 0; i < Math.Max(10, n / 5); i++) new CocoEvaluator(gt, dt, iouType).Run(); // warm-up (JIT tiers)
            var times = new double[n];
            for (int i = 0; i < n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                new CocoEvaluator(gt, dt, iouType).Run();
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(times);
            stdout.WriteLine(FormattableString.Invariant(
                $"benchmark: evaluate+accumulate+summarize ({gt.Images.Count} images, {dt.Detections.Count} detections, {iouType.ToString().ToLowerInvariant()}), {n} runs after warm-up: median {times[n / 2]:F3} ms, min {times[0]:F3} ms"));
        }

        if (jsonPath is not null)
        {
            WriteJson(jsonPath, w =>
            {
                w.WriteString("iouType", iouType.ToString().ToLowerInvariant());
                WriteStats(w, "stats", stats);
                w.WriteStartArray("statNames");
                foreach (var s in StatNames) w.WriteStringValue(s);
                w.WriteEndArray();
                w.WriteStartArray("categories");
                var names = gt.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.Last().Name);
                for (int k = 0; k < ev.CategoryIds.Length; k++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", ev.CategoryIds[k]);
                    w.WriteString("name", names[ev.CategoryIds[k]]);
                    w.WriteNumber("ap", ev.CategoryAp(k));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        return ExitOk;
    }

    public static IReadOnlyList<string> StatNames => CocoEvaluator.StatNames;

    private static Command Sim2RealCommand(TextWriter stdout, TextWriter stderr)
    {
        var sg = RequiredPath("--synthetic-gt", "A.json", "Ground truth of the synthetic validation set.");
        var sd = RequiredPath("--synthetic-dt", "B.json", "The model's detections on it.");
        var rg = RequiredPath("--real-gt", "C.json", "Ground truth of the real labelled set.");
        var rd = RequiredPath("--real-dt", "D.json", "The model's detections on it.");
        var iou = IouTypeOption();
        var maxGap = new Option<double>("--max-gap")
        {
            DefaultValueFactory = _ => SimToRealValidator.DefaultMaxGap, HelpName = "GAP",
            Description = "Largest accepted AP gap (synthetic − real); a larger gap fails with exit code 1.",
        };
        var json = OptionalPath("--json", "OUT.json", "Also write the report as JSON.");
        var command = new Command("sim2real", "Sim-to-real gap: one model evaluated on synthetic and on real data, gated by --max-gap.")
        {
            sg, sd, rg, rd, iou, maxGap, json,
        };
        command.SetAction(p =>
        {
            string realDt = p.GetRequiredValue(rd);
            var report = SimToRealValidator.ValidateFiles(p.GetRequiredValue(sg), p.GetRequiredValue(sd), p.GetRequiredValue(rg), realDt,
                IouTypeOf(p.GetRequiredValue(iou)), p.GetValue(maxGap));
            stdout.Write(report.ToText());
            if (p.GetValue(json) is string jsonPath)
            {
                string? dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
                if (dir is not null) Directory.CreateDirectory(dir);
                File.WriteAllBytes(jsonPath + ".tmp", report.ToJson());
                File.Move(jsonPath + ".tmp", jsonPath, overwrite: true);
            }
            if (report.GateDiagnostic(realDt) is { } diag)
            {
                stderr.WriteLine(diag.ToString());
                return ExitGateFailed;
            }
            return ExitOk;
        });
        return command;
    }

    private static Command MakeFixtureCommand(TextWriter stdout)
    {
        var outDir = RequiredPath("--out", "DIR", "Folder for gt.json and dt.json.");
        var images = Positive("--images", 100, "Images in the fixture.");
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, HelpName = "N", Description = "Seed of the fixture." };
        var command = new Command("make-fixture", "Write a deterministic COCO ground truth and detections fixture (benchmarks, tests).") { outDir, images, seed };
        command.SetAction(p =>
        {
            string dir = p.GetRequiredValue(outDir);
            var f = CocoFixtureGenerator.Generate(p.GetValue(images), p.GetValue(seed));
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "gt.json"), f.GroundTruthJson);
            File.WriteAllText(Path.Combine(dir, "dt.json"), f.DetectionsJson);
            stdout.WriteLine(FormattableString.Invariant($"wrote {Path.Combine(dir, "gt.json")} ({f.Images} images, {f.Annotations} annotations) and {Path.Combine(dir, "dt.json")} ({f.Detections} detections)"));
            return ExitOk;
        });
        return command;
    }

    /// <summary>synth lineage PATH: prints the offline lineage log of a project (or the log file given).</summary>
    private static Command LineageCommand(TextWriter stdout)
    {
        var path = PathArgument("PROJECT_DIR|LOG.jsonl", $"A dataset project folder (its {LineageLog.DefaultFileName}) or a lineage log file.");
        var json = new Option<bool>("--json") { Description = "Print the raw records, one JSON object a line." };
        var command = new Command("lineage", "Print the lineage log of a dataset project: one entry per build.") { path, json };
        command.SetAction(p =>
        {
            string given = p.GetRequiredValue(path);
            string log = Directory.Exists(given) ? Path.Combine(given, LineageLog.DefaultFileName) : given;
            var records = LineageLog.Read(log);
            if (p.GetValue(json)) foreach (var r in records) stdout.WriteLine(r.ToJsonLine());
            else if (records.Count == 0) stdout.WriteLine($"{log}: no builds recorded yet");
            else stdout.Write(LineageLog.Format(records));
            return ExitOk;
        });
        return command;
    }

    /// <summary>synth release verify PATH | extract ARCHIVE --out DIR | push ARCHIVE --store URL | pull NAME@VERSION --store URL.</summary>
    private static Command ReleaseCommand(TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var verifyPath = PathArgument("ARCHIVE.tar.gz|FOLDER", "A release archive or an extracted release folder.");
        var verifyJson = new Option<bool>("--json") { Description = "Print the result as one JSON object on stdout: {\"path\", \"ok\", \"filesChecked\", \"problems\": [{\"code\", \"message\", \"file\"}]}." };
        var verify = new Command("verify", "Check every file of a release against its manifest and release.json; exit code 1 on any problem.") { verifyPath, verifyJson };
        verify.SetAction(p =>
        {
            var report = ReleaseVerifier.Verify(p.GetRequiredValue(verifyPath));
            if (p.GetValue(verifyJson))
            {
                WriteJsonLine(stdout, w =>
                {
                    w.WriteString("path", report.Path);
                    w.WriteBoolean("ok", report.Ok);
                    w.WriteNumber("filesChecked", report.FilesChecked);
                    WriteProblems(w, report.Problems);
                });
                return report.Ok ? ExitOk : ExitGateFailed;
            }
            foreach (var d in report.Problems) stderr.WriteLine(d.ToString());
            if (!report.Ok)
            {
                stdout.WriteLine(FormattableString.Invariant($"{report.Path}: {report.Problems.Count} problem(s) in {report.FilesChecked} file(s)"));
                return ExitGateFailed;
            }
            stdout.WriteLine(FormattableString.Invariant($"{report.Path}: release verified, {report.FilesChecked} files intact"));
            return ExitOk;
        });

        var archive = PathArgument("ARCHIVE.tar.gz", "The release archive.");
        var outDir = RequiredPath("--out", "DIR", "An empty or new folder to extract into.");
        var extract = new Command("extract", "Extract a release archive (all or nothing: unsafe entries refuse the whole archive), then verify it; exit code 1 on any problem.")
        {
            archive, outDir,
        };
        extract.SetAction(p =>
        {
            string path = p.GetRequiredValue(archive), dest = p.GetRequiredValue(outDir);
            var problems = ReleaseArchive.Extract(path, dest);
            foreach (var d in problems) stderr.WriteLine(d.ToString());
            if (problems.Count > 0) return ExitGateFailed;
            var report = ReleaseVerifier.Verify(dest);
            foreach (var d in report.Problems) stderr.WriteLine(d.ToString());
            stdout.WriteLine(FormattableString.Invariant($"extracted {path} into {dest}: {(report.Ok ? $"verified, {report.FilesChecked} files intact" : $"{report.Problems.Count} problem(s)")}"));
            return report.Ok ? ExitOk : ExitGateFailed;
        });
        return new Command("release", "Verify, extract, push or pull a dataset release (docs/lineage.md).")
        {
            verify, extract, ReleaseStorageCommands.Push(stdout, stderr, env), ReleaseStorageCommands.Pull(stdout, stderr, env),
        };
    }

    private static Command ContactSheetCommand(TextWriter stdout)
    {
        var dataset = PathArgument("DATASET-DIR", "A built dataset folder (e.g. the project's bin/dataset).");
        var output = RequiredPath("--out", "OUT.png", "The PNG to write.", "-o");
        var samples = Positive("--samples", 16, "Samples on the sheet, spread evenly over the dataset.");
        var overlays = new Option<SheetOverlays[]>("--overlays")
        {
            DefaultValueFactory = _ => [SheetOverlays.All], AllowMultipleArgumentsPerToken = true, HelpName = "OVERLAY",
            Description = "What to draw over each sample: Masks, TightBoxes, AmodalBoxes, Cuboids, Keypoints, All or None (several allowed).",
        };
        var command = new Command("contact-sheet", "Draw a 4-column grid of samples at half resolution with their labels, coloured per category as in the quality report.")
        {
            dataset, output, samples, overlays,
        };
        command.SetAction(p =>
        {
            string png = p.GetRequiredValue(output);
            var drawn = p.GetRequiredValue(overlays).Aggregate(SheetOverlays.None, (all, o) => all | o);
            var (w, h) = ContactSheet.Write(p.GetRequiredValue(dataset), png, p.GetValue(samples), drawn);
            stdout.WriteLine($"contact sheet: {png} ({w}x{h})");
            return ExitOk;
        });
        return command;
    }

    private static void WriteStats(Utf8JsonWriter w, string name, double[] stats)
    {
        w.WriteStartArray(name);
        foreach (var v in stats) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>
    /// A command's --json result: one compact JSON object and a newline on stdout (what a script parses; diagnostics
    /// stay on stderr). Shared by release verify, push, pull and quality compare.
    /// </summary>
    internal static void WriteJsonLine(TextWriter stdout, Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }

    /// <summary>"problems": [{"code", "message", "file"}] (file only where there is one), with "severity" where asked
    /// (verify lists errors only and keeps its documented shape).</summary>
    internal static void WriteProblems(Utf8JsonWriter w, IEnumerable<Diagnostic> problems, bool severity = false)
    {
        w.WriteStartArray("problems");
        foreach (var d in problems)
        {
            w.WriteStartObject();
            w.WriteString("code", d.Code);
            if (severity) w.WriteString("severity", d.Severity.ToString().ToLowerInvariant());
            w.WriteString("message", d.Message);
            if (d.File is not null) w.WriteString("file", d.File);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, ms.ToArray());
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>A usage error found after parsing (e.g. no project to compare); exit code 2 with a pointer to --help.</summary>
internal sealed class UsageException(string message) : Exception(message);
