using Microsoft.Build.Framework;
using SynthBuild.Core.Config;
using SynthBuild.Lineage.Cards;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// The dataset card stage: writes README.md (Hugging Face card) and croissant.json (Croissant 1.0) into the dataset
/// folder from the config, the quality report, the exports and the project's SynthLicense, Description, DatasetVersion,
/// SynthDatasetUrl and Authors. Runs on every build; files whose bytes would not change are not touched.
/// </summary>
public sealed class SynthCard : MSBuildTask
{
    [Required] public string ConfigFile { get; set; } = "";
    /// <summary>Config overlays (SynthConfigOverlay), merged over the config in order.</summary>
    public ITaskItem[] ConfigOverlays { get; set; } = [];
    [Required] public string OutputDirectory { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    public string DatasetName { get; set; } = "";
    public string Samples { get; set; } = "";
    public string Seed { get; set; } = "";
    public string License { get; set; } = "";
    public string Description { get; set; } = "";
    public string DatasetVersion { get; set; } = "";
    public string Url { get; set; } = "";
    /// <summary>SynthDatasetCreators: people or organisations, separated by ';'.</summary>
    public string Authors { get; set; } = "";

    [Output] public string ReadmeFile { get; private set; } = "";
    [Output] public string CroissantFile { get; private set; } = "";

    public override bool Execute()
    {
        var overrides = new ConfigOverrides(Samples, Seed, DatasetName, ProjectFile, SharedConfig.Overlays(ConfigOverlays));
        var config = SharedConfig.Load(Log, BuildEngine, nameof(SynthCard), ConfigFile, overrides).Config;
        if (!config.Succeeded)
        {
            foreach (var d in config.Diagnostics) Log.Log(d);
            return false;
        }
        // NuGet's pack targets fill an unset Description with this placeholder; the card then describes the dataset itself.
        string description = Description == "Package Description" ? "" : Description;
        var result = DatasetCard.Write(new DatasetCardRequest(OutputDirectory, ProjectFile, config.Spec!, License, description,
            DatasetVersion, Url, Authors.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (!result.Succeeded) return false;
        ReadmeFile = result.Readme!;
        CroissantFile = result.Croissant!;
        Log.LogMessage(MessageImportance.High, "  Dataset card: {0}, {1} ({2})", ReadmeFile, DatasetCard.CroissantFile,
            result.FilesChanged == 0 ? "up to date" : $"{result.FilesChanged} written");
        return !Log.HasLoggedErrors;
    }
}
