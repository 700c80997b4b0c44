using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;
using SynthBuild.Lineage;

namespace SynthBuild.Cli;

public static class Program
{
    public static int Main(string[] args) => SynthCli.Run(args, Console.Out, Console.Error);
}

/// <summary>The `synth` command line: thin argument handling over SynthBuild.Core.</summary>
public static class SynthCli
{
    public const int ExitOk = 0, ExitGateFailed = 1, ExitBadInput = 2, ExitInternal = 3;

    private const string Usage = """
        usage:
          synth eval --gt GT.json --dt DT.json [--iou-type bbox|segm] [--json OUT.json] [--benchmark [N]]
          synth sim2real --synthetic-gt A.json --synthetic-dt B.json --real-gt C.json --real-dt D.json
                         [--iou-type bbox|segm] [--max-gap 0.2] [--json OUT.json]
          synth make-fixture --out DIR [--images 100] [--seed 1]
          synth lineage PROJECT_DIR|LOG.jsonl [--json]
          synth release verify ARCHIVE.tar.gz|FOLDER
          synth release extract ARCHIVE.tar.gz --out DIR
          synth contact-sheet DATASET-DIR -o OUT.png [--samples 16]
        """ + "\n" + QualityCommands.Usage;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
                return args.Length == 0 ? ExitBadInput : ExitOk;
            }
            if (args[0] == "lineage") return Lineage(args.AsSpan(1), stdout);
            if (args[0] == "release") return Release(args.AsSpan(1), stdout, stderr);
            // `quality` takes positional report paths, which the --name value parser below does not.
            if (args[0] == "quality")
            {
                try { return QualityCommands.Run(args, stdout, stderr); }
                catch (ArgumentException ex) { throw new UsageException(ex.Message); }
                catch (InvalidDataException ex) { throw new IOException(ex.Message, ex); }
            }
            if (args[0] == "contact-sheet") return ContactSheetCommand(args.AsSpan(1), stdout);
            var opts = Options.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "eval" => Eval(opts, stdout),
                "sim2real" => Sim2Real(opts, stdout, stderr),
                "make-fixture" => MakeFixture(opts, stdout),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
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
            stderr.WriteLine(Usage);
            return ExitBadInput;
        }
        catch (IOException ex)
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

    /// <summary>contact-sheet takes the dataset folder as a positional argument and -o/--out for the PNG.</summary>
    private static int ContactSheetCommand(ReadOnlySpan<string> args, TextWriter stdout)
    {
        string? dataset = null, output = null;
        int count = 16;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "-o" or "--out")
            {
                if (i + 1 >= args.Length) throw new UsageException($"{a} needs a value");
                output = args[++i];
            }
            else if (a == "--samples")
            {
                if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1)
                    throw new UsageException("--samples needs a positive integer");
                i++;
            }
            else if (a.StartsWith('-')) throw new UsageException($"unknown option {a}");
            else if (dataset is null) dataset = a;
            else throw new UsageException($"unexpected argument '{a}'");
        }
        if (dataset is null) throw new UsageException("missing the dataset folder");
        if (output is null) throw new UsageException("missing -o OUT.png");
        try
        {
            var (w, h) = SynthBuild.Quality.Preview.ContactSheet.Write(dataset, output, count);
            stdout.WriteLine($"contact sheet: {output} ({w}x{h})");
            return ExitOk;
        }
        catch (SynthBuild.Core.Diagnostics.DiagnosticException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    private static int Eval(Options o, TextWriter stdout)
    {
        o.Allow("gt", "dt", "iou-type", "json", "benchmark");
        string gtPath = o.Required("gt"), dtPath = o.Required("dt");
        var iouType = ParseIouType(o.Get("iou-type") ?? "bbox");
        var gt = CocoGroundTruth.Load(gtPath);
        var dt = CocoDetections.Load(dtPath, gt);
        var ev = new CocoEvaluator(gt, dt, iouType);
        var stats = ev.Run();
        stdout.Write(CocoEvaluator.FormatSummary(stats));

        if (o.Has("benchmark"))
        {
            int n = int.TryParse(o.Get("benchmark"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int nn) && nn > 0 ? nn : 50;
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

        if (o.Get("json") is string jsonPath)
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

    public static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    private static int Sim2Real(Options o, TextWriter stdout, TextWriter stderr)
    {
        o.Allow("synthetic-gt", "synthetic-dt", "real-gt", "real-dt", "iou-type", "max-gap", "json");
        string sg = o.Required("synthetic-gt"), sd = o.Required("synthetic-dt"), rg = o.Required("real-gt"), rd = o.Required("real-dt");
        var iouType = ParseIouType(o.Get("iou-type") ?? "bbox");
        double maxGap = SimToRealValidator.DefaultMaxGap;
        if (o.Get("max-gap") is string mg && !double.TryParse(mg, NumberStyles.Float, CultureInfo.InvariantCulture, out maxGap))
            throw new UsageException($"--max-gap must be a number, found '{mg}'");
        var report = SimToRealValidator.ValidateFiles(sg, sd, rg, rd, iouType, maxGap);

        stdout.Write(report.ToText());
        if (o.Get("json") is string jsonPath)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllBytes(jsonPath + ".tmp", report.ToJson());
            File.Move(jsonPath + ".tmp", jsonPath, overwrite: true);
        }
        if (report.GateDiagnostic(rd) is { } diag)
        {
            stderr.WriteLine(diag.ToString());
            return ExitGateFailed;
        }
        return ExitOk;
    }

    private static int MakeFixture(Options o, TextWriter stdout)
    {
        o.Allow("out", "images", "seed");
        string dir = o.Required("out");
        int images = o.Get("images") is string s ? int.Parse(s, CultureInfo.InvariantCulture) : 100;
        int seed = o.Get("seed") is string sd ? int.Parse(sd, CultureInfo.InvariantCulture) : 1;
        var f = CocoFixtureGenerator.Generate(images, seed);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "gt.json"), f.GroundTruthJson);
        File.WriteAllText(Path.Combine(dir, "dt.json"), f.DetectionsJson);
        stdout.WriteLine(FormattableString.Invariant($"wrote {Path.Combine(dir, "gt.json")} ({f.Images} images, {f.Annotations} annotations) and {Path.Combine(dir, "dt.json")} ({f.Detections} detections)"));
        return ExitOk;
    }

    /// <summary>synth lineage PATH: prints the offline lineage log of a project (or the log file given).</summary>
    private static int Lineage(ReadOnlySpan<string> args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal)) throw new UsageException("lineage needs a project folder or a lineage log file");
        string path = args[0];
        var o = Options.Parse(args[1..]);
        o.Allow("json");
        string log = Directory.Exists(path) ? Path.Combine(path, LineageLog.DefaultFileName) : path;
        var records = LineageLog.Read(log);
        if (o.Has("json")) foreach (var r in records) stdout.WriteLine(r.ToJsonLine());
        else if (records.Count == 0) stdout.WriteLine($"{log}: no builds recorded yet");
        else stdout.Write(LineageLog.Format(records));
        return ExitOk;
    }

    /// <summary>synth release verify PATH | synth release extract ARCHIVE --out DIR.</summary>
    private static int Release(ReadOnlySpan<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal)) throw new UsageException("release needs 'verify PATH' or 'extract ARCHIVE --out DIR'");
        string sub = args[0], path = args[1];
        var o = Options.Parse(args[2..]);
        switch (sub)
        {
            case "verify":
            {
                o.Allow();
                var report = ReleaseVerifier.Verify(path);
                foreach (var d in report.Problems) stderr.WriteLine(d.ToString());
                if (!report.Ok)
                {
                    stdout.WriteLine(FormattableString.Invariant($"{report.Path}: {report.Problems.Count} problem(s) in {report.FilesChecked} file(s)"));
                    return ExitGateFailed;
                }
                stdout.WriteLine(FormattableString.Invariant($"{report.Path}: release verified, {report.FilesChecked} files intact"));
                return ExitOk;
            }
            case "extract":
            {
                o.Allow("out");
                string dest = o.Required("out");
                var problems = SafeArchive.Extract(path, dest);
                foreach (var d in problems) stderr.WriteLine(d.ToString());
                if (problems.Count > 0) return ExitGateFailed;
                var report = ReleaseVerifier.Verify(dest);
                foreach (var d in report.Problems) stderr.WriteLine(d.ToString());
                stdout.WriteLine(FormattableString.Invariant($"extracted {path} into {dest}: {(report.Ok ? $"verified, {report.FilesChecked} files intact" : $"{report.Problems.Count} problem(s)")}"));
                return report.Ok ? ExitOk : ExitGateFailed;
            }
            default:
                throw new UsageException($"unknown release command '{sub}' (expected verify or extract)");
        }
    }

    private static IouType ParseIouType(string s) => s switch
    {
        "bbox" => IouType.Bbox,
        "segm" => IouType.Segm,
        _ => throw new UsageException($"--iou-type must be 'bbox' or 'segm', found '{s}'"),
    };

    private static void WriteStats(Utf8JsonWriter w, string name, double[] stats)
    {
        w.WriteStartArray(name);
        foreach (var v in stats) w.WriteNumberValue(v);
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

    private sealed class UsageException(string message) : Exception(message);

    private sealed class Options
    {
        private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

        public static Options Parse(ReadOnlySpan<string> args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                string a = args[i];
                if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                    throw new UsageException($"unexpected argument '{a}'");
                string name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    value = args[++i];
                if (o._values.ContainsKey(name)) throw new UsageException($"--{name} given twice");
                o._values[name] = value;
            }
            return o;
        }

        public void Allow(params string[] names)
        {
            foreach (var k in _values.Keys)
                if (Array.IndexOf(names, k) < 0) throw new UsageException($"unknown option --{k}");
        }

        public bool Has(string name) => _values.ContainsKey(name);
        public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

        public string Required(string name) =>
            Get(name) ?? throw new UsageException(Has(name) ? $"--{name} needs a value" : $"missing --{name}");
    }
}
