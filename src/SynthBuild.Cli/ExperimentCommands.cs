using System.CommandLine;
using System.Text;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Experiments;
using SynthBuild.Lineage;

namespace SynthBuild.Cli;

/// <summary>synth experiment run: variants × seeds of the probe, scored on a target, bootstrapped (docs/experiments.md).</summary>
internal static class ExperimentCommands
{
    public static Command Command(TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var file = new Argument<string>("FILE") { Description = "The experiment file (JSON, docs/experiments.md)." };
        var output = new Option<string>("--output", "-o") { HelpName = "DIR", Description = "Output folder (default: out/ beside the experiment file)." };
        var json = new Option<bool>("--json") { Description = "Print experiment.json instead of the summary (progress goes to stderr)." };
        var runner = SynthCli.OptionalPath("--probe-runner", "RUNNER.dll", "The probe runner (default: SYNTH_PROBE_RUNNER, else built from the repository the experiment lies in).");
        var tracking = new Option<string>("--mlflow") { HelpName = "URI", Description = "MLflow tracking server (default: MLFLOW_TRACKING_URI): a parent run and a child run per variant and seed." };
        var run = new Command("run", "Build each variant, train K probes per variant, score them on the target, and report mean AP with 95% bootstrap intervals and the paired difference.")
        {
            file, output, json, runner, tracking,
        };
        run.SetAction(p =>
        {
            var spec = ExperimentFile.Load(p.GetValue(file)!);
            bool asJson = p.GetValue(json);
            var progress = asJson ? stderr : stdout;
            MlflowSettings? mlflow;
            try { mlflow = MlflowSettings.FromEnvironment(p.GetValue(tracking), env); }
            catch (FormatException ex) { throw new UsageException(ex.Message); }
            var result = ExperimentRunner.Run(spec, new ExperimentRunOptions
            {
                OutputDirectory = p.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(spec.File)!, "out"),
                ProbeRunner = p.GetValue(runner) ?? env("SYNTH_PROBE_RUNNER"),
                Mlflow = mlflow,
                Log = line => { progress.WriteLine(line); progress.Flush(); },
            });
            if (asJson) stdout.Write(Encoding.UTF8.GetString(ExperimentReport.Json(result)));
            else
            {
                stdout.Write(ExperimentReport.Text(result));
                stdout.WriteLine($"report: {result.JsonPath}, {result.SummaryPath}");
            }
            return SynthCli.ExitOk;
        });
        return new Command("experiment", "A/B experiments of dataset variants (docs/experiments.md).") { run };
    }
}
