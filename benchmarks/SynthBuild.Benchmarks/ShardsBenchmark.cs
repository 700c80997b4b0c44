using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;

/// <summary>
/// Issue 15's figures: (a) N shards run side by side on one machine versus one build with the same total thread
/// count (in-process through DatasetBuilder, and as separate `dotnet build` processes), (b) merge time per 10,000
/// samples with hash verification, page cache evicted and warm, (c) CPU-seconds per sample and a samples/day
/// projection for 1, 10 and 100 nodes.
/// </summary>
internal static partial class ShardsBenchmark
{
    public sealed record Options(string Repo, string ConfigPath, string Project, int MergeSamples, int GenSamples, int Shards,
        string Cache, int NodeCores, bool Processes, int Repeat);

    // Matches both the single build's line ("… 0 removed in 38.7 s") and a shard's ("… 0 reused in 7.1 s").
    [GeneratedRegex(@"\d+ (?:reused|removed) in ([0-9.]+) s")]
    private static partial Regex EngineSeconds();

    public static void Run(Options o)
    {
        int cores = Environment.ProcessorCount;
        Console.WriteLine($"shards: {o.Shards} shards, {cores} cores here, load average {LoadAverage()} at start");
        Directory.CreateDirectory(o.Cache);

        // (a) throughput, in-process: K shard builders with 1 thread each, concurrently, versus one builder with K threads.
        DatasetSpec gen = Load(o.ConfigPath, o.GenSamples);
        new DatasetBuilder(gen with { Samples = Math.Min(8, o.GenSamples) }, Scratch(o)).Build(); // JIT warm-up
        Console.WriteLine($"(a) generation of {o.GenSamples} samples at {gen.Width}x{gen.Height}, best of {o.Repeat} (alternating)");
        var single = new List<Measured>(); var sharded = new List<Measured>();
        for (int r = 0; r < o.Repeat; r++)
        {
            single.Add(Measure(() => Check(new DatasetBuilder(gen, Scratch(o), new BuildOptions(o.Shards)).Build())));
            sharded.Add(Measure(() => Parallel.For(0, o.Shards, new ParallelOptions { MaxDegreeOfParallelism = o.Shards }, i =>
                Check(new DatasetBuilder(gen, Scratch(o), new BuildOptions(1, Shard: ShardPartition.Range(i, o.Shards, gen.Samples))).Build()))));
            ClearScratch(o);
        }
        Measured s1 = single.MinBy(m => m.Wall)!, sK = sharded.MinBy(m => m.Wall)!;
        Console.WriteLine($"  in-process  1 build x {o.Shards} threads   {s1.Wall:F2} s  {o.GenSamples / s1.Wall,6:F1} samples/s  CPU {s1.Cpu / o.GenSamples * 1000:F1} ms/sample");
        Console.WriteLine($"  in-process  {o.Shards} shards x 1 thread   {sK.Wall:F2} s  {o.GenSamples / sK.Wall,6:F1} samples/s  CPU {sK.Cpu / o.GenSamples * 1000:F1} ms/sample");
        Console.WriteLine($"  in-process  shard overhead     {Overhead(sK.Wall, s1.Wall):+0.0;-0.0}% wall (target <= 10%)   load {LoadAverage()}");
        double cpuPerSample = Math.Min(s1.Cpu, sK.Cpu) / o.GenSamples;
        double overhead = Overhead(sK.Wall, s1.Wall);

        if (o.Processes) overhead = Math.Max(overhead, Processes(o));

        // (b) merge time: the dataset of MergeSamples is built once into the cache, in shards.
        DatasetSpec big = Load(o.ConfigPath, o.MergeSamples);
        string dir = Path.Combine(o.Cache, $"{big.Name}-{o.MergeSamples}-of-{o.Shards}");
        Console.WriteLine($"(b) merge of {o.MergeSamples} samples in {o.Shards} shards, dataset in {dir}");
        var bigGen = Measure(() => Parallel.For(0, o.Shards, new ParallelOptions { MaxDegreeOfParallelism = o.Shards }, i =>
            Check(new DatasetBuilder(big, dir, new BuildOptions(Math.Max(1, cores / o.Shards), Shard: ShardPartition.Range(i, o.Shards, big.Samples))).Build())));
        long bytes = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"  shards built or verified in {bigGen.Wall:F1} s (CPU {bigGen.Cpu:F1} s; a cached dataset is only hash-checked), {bytes / 1e6:F0} MB on disk");

        // The disk's own speed, for "hash verification at disk speed": the same files read with the same threads, no hashing.
        Evict(dir);
        var raw = Stopwatch.StartNew();
        long read = ReadAll(dir, cores);
        double diskMBs = read / 1e6 / raw.Elapsed.TotalSeconds;
        Console.WriteLine($"  read evicted   {raw.Elapsed.TotalSeconds,6:F2} s, {diskMBs,7:F0} MB/s ({read / 1e6:F0} MB, {cores} threads, no hashing: the disk's speed)");

        var cold = Merge(o, big, dir, evict: true);
        var warm = Merge(o, big, dir, evict: false);
        var warm2 = Merge(o, big, dir, evict: false);
        if (warm2.Elapsed < warm.Elapsed) warm = warm2;
        foreach (var (label, m) in new[] { ("evicted", cold), ("warm", warm) })
            Console.WriteLine($"  merge {label,-8} {m.Elapsed.TotalSeconds,6:F2} s = {m.Elapsed.TotalSeconds * 10000 / o.MergeSamples,6:F2} s per 10,000 samples, " +
                              $"{m.VerifiedBytes / 1e6 / m.Elapsed.TotalSeconds,7:F0} MB/s verified ({m.VerifiedBytes / 1e6:F0} MB, {Threads()} threads)   load {LoadAverage()}");
        Console.WriteLine($"  merge evicted at {cold.VerifiedBytes / 1e6 / cold.Elapsed.TotalSeconds / diskMBs:P0} of the disk's read speed");
        double mergePerSample = cold.Elapsed.TotalSeconds / o.MergeSamples;

        // (c) per-sample CPU cost and the projection.
        Console.WriteLine($"(c) CPU cost {cpuPerSample * 1000:F1} ms/sample (process CPU time / samples, in-process run above, GC and I/O included)");
        Console.WriteLine($"  projection: {o.NodeCores}-core nodes, one shard per node using every core, CPU cost per sample as measured here,");
        Console.WriteLine($"  {Math.Max(0, overhead):F1}% sharding overhead, and one merge at the evicted-cache rate above (on one node, after the shards)");
        Console.WriteLine("  | nodes | cores | samples/day (generation) | samples/day (incl. merge) |");
        Console.WriteLine("  |---:|---:|---:|---:|");
        foreach (int nodes in new[] { 1, 10, 100 })
        {
            double perSecond = nodes * o.NodeCores / cpuPerSample / (1 + Math.Max(0, overhead) / 100);
            double withMerge = 86400 / (1 / perSecond + mergePerSample);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  | {nodes} | {nodes * o.NodeCores} | {perSecond * 86400:N0} | {withMerge:N0} |"));
        }
        Console.WriteLine($"  load average {LoadAverage()} at end");
        ClearScratch(o);

        int Threads() => cores;
    }

    private sealed record Measured(double Wall, double Cpu);

    private static Measured Measure(Action action)
    {
        GC.Collect();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        return new Measured(clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    private static double Overhead(double sharded, double single) => 100 * (sharded / single - 1);

    /// <summary>(a) as separate `dotnet build -t:SynthGenerate` processes (MSBuild start-up included). Returns the overhead %.</summary>
    private static double Processes(Options o)
    {
        // A shard build first compiles the task assembly (the default target resolves project references); the
        // measured runs then call SynthGenerate alone without restore, so concurrent processes do not race on obj/.
        string warm = Scratch(o);
        var w = Dotnet(o, $"-p:SynthSamples=4 -p:SynthOutputDir={warm}/ -p:SynthShard=0/1", o.Shards, warmUp: true);
        if (w.Exit != 0) { Console.WriteLine("  dotnet build failed; skipping the process comparison:\n" + w.Output); return 0; }
        var single = new List<(double Wall, double Cpu, double Engine)>(); var sharded = new List<(double Wall, double Cpu, double Engine)>();
        for (int r = 0; r < o.Repeat; r++)
        {
            string a = Scratch(o), b = Scratch(o);
            var cpu0 = ChildCpu();
            var clock = Stopwatch.StartNew();
            var one = Dotnet(o, $"-p:SynthSamples={o.GenSamples} -p:SynthOutputDir={a}/", o.Shards);
            single.Add((clock.Elapsed.TotalSeconds, ChildCpu() - cpu0, EngineTime(one.Output)));
            cpu0 = ChildCpu();
            clock.Restart();
            var runs = Enumerable.Range(0, o.Shards).Select(i => Task.Run(() =>
                Dotnet(o, $"-p:SynthSamples={o.GenSamples} -p:SynthOutputDir={b}/ -p:SynthShard={i}/{o.Shards}", 1))).ToArray();
            Task.WaitAll(runs);
            sharded.Add((clock.Elapsed.TotalSeconds, ChildCpu() - cpu0, runs.Max(t => EngineTime(t.Result.Output))));
            foreach (var run in runs.Append(Task.FromResult(one)))
                if (run.Result.Exit != 0) throw new InvalidOperationException(run.Result.Output);
            ClearScratch(o);
        }
        var s1 = single.MinBy(m => m.Wall); var sK = sharded.MinBy(m => m.Wall);
        Console.WriteLine($"  dotnet build 1 x {o.Shards} threads      {s1.Wall:F2} s wall ({s1.Engine:F2} s in the engine), CPU {s1.Cpu:F1} s");
        Console.WriteLine($"  dotnet build {o.Shards} shards x 1 thread  {sK.Wall:F2} s wall ({sK.Engine:F2} s in the slowest shard's engine), CPU {sK.Cpu:F1} s");
        double overhead = Overhead(sK.Wall, s1.Wall);
        Console.WriteLine($"  dotnet build shard overhead    {overhead:+0.0;-0.0}% wall, {Overhead(sK.Engine, s1.Engine):+0.0;-0.0}% engine time   load {LoadAverage()}");
        return overhead;
    }

    private static (int Exit, string Output) Dotnet(Options o, string properties, int threads, bool warmUp = false)
    {
        // SynthUseTaskHost=false runs the engine inside the build process, so its CPU is counted when that process is
        // reaped (a task host can outlive its parent and be reaped by init, its CPU lost to ChildCpu).
        var psi = new ProcessStartInfo("dotnet",
            $"build {o.Project} -nologo -v:m -tl:off -nodeReuse:false {(warmUp ? "" : "-t:SynthGenerate --no-restore")} -p:SynthThreads={threads} -p:SynthUseTaskHost=false {properties}")
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    private static double EngineTime(string output) =>
        EngineSeconds().Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;

    /// <summary>CPU seconds of this process's reaped children (and theirs): utime+stime of /proc/self/stat fields 16-17.</summary>
    private static double ChildCpu()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture)) / 100.0; // USER_HZ = 100
    }

    private static MergeResult Merge(Options o, DatasetSpec spec, string dir, bool evict)
    {
        // Each run does a first merge's work: manifest.json and dataset.json are written anew.
        File.Delete(Path.Combine(dir, Manifest.FileName));
        File.Delete(Path.Combine(dir, DatasetLayout.DatasetFile));
        if (evict) Evict(dir);
        var result = ShardMerger.Merge(spec, dir, o.Shards);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("\n", result.Diagnostics));
        return result;
    }

    /// <summary>
    /// Drops the dataset's pages from the page cache without root and without touching the rest of a shared machine:
    /// fdatasync, then posix_fadvise(POSIX_FADV_DONTNEED) on every file (the kernel evicts clean pages it can).
    /// </summary>
    private static long ReadAll(string dir, int threads)
    {
        long total = 0;
        Parallel.ForEach(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories), new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new byte[1 << 20], (file, _, buffer) =>
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                int n; long bytes = 0;
                while ((n = stream.Read(buffer)) > 0) bytes += n;
                Interlocked.Add(ref total, bytes);
                return buffer;
            }, _ => { });
        return total;
    }

    private static void Evict(string dir)
    {
        foreach (string file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite);
            int fd = (int)handle.DangerousGetHandle();
            fdatasync(fd);
            posix_fadvise(fd, 0, 0, 4 /* POSIX_FADV_DONTNEED */);
        }
    }

    [DllImport("libc", SetLastError = true)] private static extern int fdatasync(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int posix_fadvise(int fd, long offset, long length, int advice);

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static DatasetSpec Load(string configPath, int samples)
    {
        var r = ConfigLoader.Load(configPath, new ConfigOverrides(samples.ToString(CultureInfo.InvariantCulture)));
        if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    private static void Check(BuildResult r)
    {
        if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
    }

    private static string Scratch(Options o)
    {
        string d = Path.Combine(o.Cache, "scratch", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private static void ClearScratch(Options o)
    {
        string d = Path.Combine(o.Cache, "scratch");
        if (Directory.Exists(d)) Directory.Delete(d, true);
    }
}
