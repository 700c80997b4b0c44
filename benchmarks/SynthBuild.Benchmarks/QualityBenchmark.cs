using System.Diagnostics;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Quality;

/// <summary>
/// Issue 3's figure: analysis time and peak memory for N samples versus their generation time (target: under 10%).
/// </summary>
internal static class QualityBenchmark
{
    public static void Run(DatasetSpec spec, int threads, bool fullAudit, string? keep)
    {
        string dir = keep is null ? Path.Combine(Path.GetTempPath(), "synthbuild-bench", Guid.NewGuid().ToString("N")) : Path.GetFullPath(keep);
        try
        {
            BuildResult built = new DatasetBuilder(spec, dir, new BuildOptions(threads)).Build();
            if (!built.Succeeded) throw new InvalidOperationException(string.Join("\n", built.Diagnostics));
            double generation = built.Elapsed.TotalSeconds;
            Console.WriteLine($"quality: {spec.Samples} samples at {spec.Width}x{spec.Height}, {(threads > 0 ? threads : Environment.ProcessorCount)} threads");
            Console.WriteLine($"  generation       {generation:F1} s ({built.Generated} generated, {built.Reused} reused; {spec.Samples / generation:F1} samples/s)");

            var gates = QualityGates.All.Select(g => new GateDeclaration(g.Name, new Dictionary<string, string>())).ToList();
            Measure("analysis", new QualitySettings(Threads: threads));
            if (fullAudit) Measure("full audit", new QualitySettings(Threads: threads, AuditSamples: QualitySettings.AuditAll));

            void Measure(string label, QualitySettings settings)
            {
                string reports = Path.Combine(dir, QualityStage.ReportsDir);
                if (Directory.Exists(reports)) Directory.Delete(reports, recursive: true); // a full analysis, not the incremental skip
                GC.Collect();
                long before = Process.GetCurrentProcess().WorkingSet64, peak = before;
                using (new Timer(_ =>
                {
                    long ws = Process.GetCurrentProcess().WorkingSet64;
                    if (ws > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, ws);
                }, null, 0, 20))
                {
                    QualityRunResult run = QualityStage.Run(dir, gates, gatesEnabled: true, settings);
                    if (run.Report is null) throw new InvalidOperationException(string.Join("\n", run.Diagnostics));
                    double analysis = run.AnalysisTime.TotalSeconds, stage = run.Elapsed.TotalSeconds;
                    AuditStats audit = run.Report.Audit!;
                    Console.WriteLine($"  {label,-16} {analysis:F2} s = {100 * analysis / generation:F1}% of generation " +
                                      $"(stats read from {audit.Stored} annotations, {audit.Audited} samples decoded and audited)");
                    Console.WriteLine($"  {label + " stage",-16} {stage:F2} s incl. gates and json/md/html = {100 * stage / generation:F1}% of generation");
                    Console.WriteLine($"  {label + " memory",-16} working set {before / 1048576.0:F0} MiB before, peak {Interlocked.Read(ref peak) / 1048576.0:F0} MiB");
                }
            }
        }
        finally
        {
            if (keep is null && Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
