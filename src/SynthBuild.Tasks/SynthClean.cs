using Microsoft.Build.Framework;
using SynthBuild.Core.Pipeline;
using SynthBuild.Lineage.Cards;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Removes what the generator wrote (per the manifest), and nothing else.</summary>
public sealed class SynthClean : MSBuildTask
{
    [Required] public string OutputDirectory { get; set; } = "";

    public override bool Execute()
    {
        // The card first: the cleaner removes the output folder only when nothing is left in it.
        int removed = Directory.Exists(OutputDirectory) ? DatasetCard.Clean(OutputDirectory) : 0;
        removed += DatasetCleaner.Clean(OutputDirectory);
        Log.LogMessage(MessageImportance.Normal, "SynthBuild: removed {0} generated file(s) from {1}", removed, OutputDirectory);
        return true;
    }
}
