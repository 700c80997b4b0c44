using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

/// <summary>
/// `tool` mode: the installed `synth` tool as a user runs it, whole command (process start to exit), against
/// pycocotools' whole command (Python start, load, evaluate, accumulate, summarize) on the same COCO fixture.
/// </summary>
static class ToolBenchmark
{
    public sealed record Options(string Repo, string? Synth, IReadOnlyList<(string Label, string Path)> Also, bool ReadyToRun,
        string Python, int Runs, int Images);

    private const string PyCocoScript = """
        import sys
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        gt = COCO(sys.argv[1])
        dt = gt.loadRes(sys.argv[2])
        e = COCOeval(gt, dt, sys.argv[3])
        e.evaluate()
        e.accumulate()
        e.summarize()
        """;

    public static void Run(Options o)
    {
        string work = Path.Combine(Path.GetTempPath(), "synthbuild-bench-tool", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            string synth = o.Synth ?? Install(o.Repo, work);
            var tools = new List<(string Label, string Path, Dictionary<string, string> Env)> { ("installed tool", synth, []) };
            // What the linux-x64 package shipped before Native AOT: framework-dependent, ReadyToRun; and the same files JIT only.
            if (o.ReadyToRun)
            {
                string r2r = PublishReadyToRun(o.Repo, work);
                tools.Add(("ReadyToRun publish", r2r, []));
                tools.Add(("ReadyToRun publish, JIT (DOTNET_ReadyToRun=0)", r2r, new() { ["DOTNET_ReadyToRun"] = "0" }));
            }
            foreach (var (label, path) in o.Also) tools.Add((label, path, []));

            string fixture = Path.Combine(work, "fixture");
            var made = Exec(synth, [], "make-fixture", "--out", fixture, "--images", o.Images.ToString(CultureInfo.InvariantCulture));
            if (made.Code != 0) throw new InvalidOperationException("synth make-fixture failed:\n" + made.Out + made.Err);
            string gt = Path.Combine(fixture, "gt.json"), dt = Path.Combine(fixture, "dt.json");

            Console.WriteLine($"tool: whole-command times, median of {o.Runs} runs after one warm-up run, {o.Images}-image COCO fixture (synth make-fixture)");
            Console.WriteLine($"  machine          {Environment.ProcessorCount} cores, load average {LoadAverage()} (start)");
            Console.WriteLine($"  synth            {synth}");
            var synthTimes = new Dictionary<(string Label, string Iou), double>();
            var synthStats = new Dictionary<string, double[]>();
            foreach (var (label, path, env) in tools)
            {
                double help = Median(o.Runs, () => Exec(path, env, "--help"));
                synthTimes[(label, "help")] = help;
                Console.WriteLine($"  {label}: --help {help,8:F1} ms");
                foreach (string iou in new[] { "bbox", "segm" })
                {
                    ProcessResult? last = null;
                    double ms = Median(o.Runs, () => last = Exec(path, env, "eval", "--gt", gt, "--dt", dt, "--iou-type", iou));
                    synthTimes[(label, iou)] = ms;
                    synthStats.TryAdd(iou, Stats(last!.Out));
                    Console.WriteLine($"  {label}: eval {iou} {ms,6:F1} ms");
                }
            }

            // Each other build against the installed tool (with --r2r: ReadyToRun / Native AOT).
            foreach (var (label, _, _) in tools.Skip(1))
                Console.WriteLine(FormattableString.Invariant(
                    $"  {label} / {tools[0].Label}: --help {synthTimes[(label, "help")] / synthTimes[(tools[0].Label, "help")]:F1}x, eval bbox {synthTimes[(label, "bbox")] / synthTimes[(tools[0].Label, "bbox")]:F1}x, segm {synthTimes[(label, "segm")] / synthTimes[(tools[0].Label, "segm")]:F1}x"));

            ProcessResult probe;
            try { probe = Exec(o.Python, [], "-c", "import pycocotools.coco, pycocotools.cocoeval"); }
            catch (System.ComponentModel.Win32Exception ex) { probe = new ProcessResult(-1, "", $"cannot start {o.Python}: {ex.Message}", 0); }
            if (probe.Code != 0)
            {
                Console.WriteLine($"  pycocotools      not importable by {o.Python} (PYTHONPATH={Environment.GetEnvironmentVariable("PYTHONPATH") ?? "unset"}): no ratio.");
                Console.WriteLine("                   Build it from source (docs/cli.md \"Start-up\") and pass --python, or set PYTHONPATH.");
                Console.WriteLine($"                   {probe.Err.Trim().Split('\n').LastOrDefault()}");
            }
            else
            {
                string script = Path.Combine(work, "pycoco_eval.py");
                File.WriteAllText(script, PyCocoScript.Replace("\r", ""));
                foreach (string iou in new[] { "bbox", "segm" })
                {
                    ProcessResult? last = null;
                    double py = Median(o.Runs, () => last = Exec(o.Python, [], script, gt, dt, iou));
                    double[] pyStats = Stats(last!.Out);
                    double diff = pyStats.Zip(synthStats[iou], (a, b) => Math.Abs(a - b)).Max();
                    Console.WriteLine($"  pycocotools ({o.Python}): eval {iou} {py,6:F1} ms (largest difference of the twelve printed statistics: {diff:G3})");
                    foreach (var (label, _, _) in tools)
                        Console.WriteLine($"    ratio {iou}: pycocotools / {label} = {py / synthTimes[(label, iou)],5:F1}x");
                }
            }
            Console.WriteLine($"  machine          load average {LoadAverage()} (end)");
        }
        finally { Directory.Delete(work, true); }
    }

    /// <summary>Packs src/SynthBuild.Cli and installs it with `dotnet tool install` into a temporary tool path.</summary>
    private static string Install(string repo, string work)
    {
        string feed = Path.Combine(work, "feed"), tools = Path.Combine(work, "tools");
        string version = $"0.0.0-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
        Console.WriteLine($"tool: packing src/SynthBuild.Cli (Release) into {feed} and installing it (a few minutes)...");
        var pack = Exec("dotnet", [], "pack", Path.Combine(repo, "src", "SynthBuild.Cli", "SynthBuild.Cli.csproj"), "-c", "Release", "-o", feed,
            $"-p:PackageVersion={version}", "-nologo", "-tl:off");
        if (pack.Code != 0) throw new InvalidOperationException("dotnet pack failed:\n" + pack.Out + pack.Err);
        var install = Exec("dotnet", new() { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") },
            "tool", "install", "--tool-path", tools, "--add-source", feed, "--version", version, "SynthBuild.Cli");
        if (install.Code != 0) throw new InvalidOperationException("dotnet tool install failed:\n" + install.Out + install.Err);
        return Path.Combine(tools, "synth");
    }

    /// <summary>A framework-dependent ReadyToRun publish for linux-x64: what SynthBuild.Cli.linux-x64 held before Native AOT.</summary>
    private static string PublishReadyToRun(string repo, string work)
    {
        string dir = Path.Combine(work, "r2r");
        Console.WriteLine($"tool: publishing src/SynthBuild.Cli with ReadyToRun (framework-dependent, linux-x64) into {dir}...");
        var publish = Exec("dotnet", [], "publish", Path.Combine(repo, "src", "SynthBuild.Cli", "SynthBuild.Cli.csproj"), "-c", "Release", "-r", "linux-x64",
            "-p:PublishAot=false", "-p:SelfContained=false", "-p:PublishReadyToRun=true", "-o", dir, "-nologo", "-tl:off");
        if (publish.Code != 0) throw new InvalidOperationException("dotnet publish failed:\n" + publish.Out + publish.Err);
        return Path.Combine(dir, "synth");
    }

    private sealed record ProcessResult(int Code, string Out, string Err, double Milliseconds);

    private static ProcessResult Exec(string file, Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        long start = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result, ms);
    }

    /// <summary>Median wall-clock milliseconds of <paramref name="runs"/> runs after one warm-up (page cache).</summary>
    private static double Median(int runs, Func<ProcessResult> run)
    {
        var first = run();
        if (first.Code != 0) throw new InvalidOperationException($"exit {first.Code}:\n{first.Out}{first.Err}");
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var r = run();
            if (r.Code != 0) throw new InvalidOperationException($"exit {r.Code}:\n{r.Out}{r.Err}");
            times[i] = r.Milliseconds;
        }
        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }

    /// <summary>The twelve " ... = 0.123" statistics of a pycocotools-style summary.</summary>
    private static double[] Stats(string summary) =>
        Regex.Matches(summary, @"\] = (-?[0-9.]+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
