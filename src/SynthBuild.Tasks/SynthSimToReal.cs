using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;
using SynthBuild.Core.Storage;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Sim-to-real validation as a build step: mAP on synthetic and real predictions, the gap, and its gate.</summary>
public sealed class SynthSimToReal : MSBuildTask
{
    [Required] public string SyntheticGroundTruth { get; set; } = "";
    [Required] public string SyntheticDetections { get; set; } = "";
    [Required] public string RealGroundTruth { get; set; } = "";
    [Required] public string RealDetections { get; set; } = "";
    public string IouType { get; set; } = "bbox";
    public string MaxGap { get; set; } = "";
    public string ReportFile { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    /// <summary>The retraining verdict (reports/retrain.json), written whether the gate passes or not; empty: none.</summary>
    public string VerdictFile { get; set; } = "";
    /// <summary>The dataset the synthetic predictions come from: its digest goes into the verdict when it is built.</summary>
    public string DatasetDirectory { get; set; } = "";

    [Output] public string Gap { get; private set; } = "";

    public override bool Execute()
    {
        var iou = IouType switch { "bbox" => Evaluation.IouType.Bbox, "segm" => Evaluation.IouType.Segm, _ => (Evaluation.IouType?)null };
        if (iou is null)
        {
            Log.LogError(null, SynCodes.SimToRealSettings, null, ProjectFile, 0, 0, 0, 0, "SynthIouType must be 'bbox' or 'segm', found '{0}'.", IouType);
            return false;
        }
        double maxGap = SimToRealValidator.DefaultMaxGap;
        if (MaxGap.Length > 0 && !double.TryParse(MaxGap, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out maxGap))
        {
            Log.LogError(null, SynCodes.SimToRealSettings, null, ProjectFile, 0, 0, 0, 0, "SynthMaxGap must be a number, found '{0}'.", MaxGap);
            return false;
        }

        var report = SimToRealValidator.TryValidateFiles(SyntheticGroundTruth, SyntheticDetections, RealGroundTruth, RealDetections,
            out var problem, iou.Value, maxGap);
        if (report is null)
        {
            Log.Log(problem!.ToDiagnostic());
            return false;
        }
        foreach (string line in report.ToText().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Log.LogMessage(MessageImportance.High, "  " + line.TrimEnd('\r'));
        if (ReportFile.Length > 0) AtomicFile.Write(Path.GetFullPath(ReportFile), report.ToJson());
        Gap = report.Gap.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        GitHubActions.WriteRetrainVerdict(Log, [new RetrainVerdict.Source(null, ReportFile.Length > 0 ? Path.GetFullPath(ReportFile) : null, report)],
            VerdictFile, DatasetDirectory, ProjectFile);
        if (report.GateDiagnostic(RealDetections) is { } gate) Log.Log(gate.ToDiagnostic());
        return !Log.HasLoggedErrors;
    }
}
