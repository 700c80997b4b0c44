using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Export;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// Writes the exports selected by <c>@(SynthExport)</c> items (item spec = format, metadata = options) into
/// <c>$(SynthExportDir)</c>. Exports whose dataset digest and options have not changed are left alone.
/// </summary>
public sealed class SynthExport : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string DatasetDirectory { get; set; } = "";
    /// <summary>SynthLockTimeout: seconds to wait for another build holding the dataset folder ("" = 30).</summary>
    public string LockTimeout { get; set; } = "";
    [Required] public string ExportDirectory { get; set; } = "";
    public ITaskItem[] Exports { get; set; } = [];
    public string ProjectFile { get; set; } = "";
    public int Threads { get; set; }
    /// <summary>The item type that declares the exports (for diagnostics' line numbers): SynthExport or SynthAugmentedExport.</summary>
    public string ItemType { get; set; } = "SynthExport";

    [Output] public string[] Written { get; private set; } = [];

    public void Cancel() => _cancel.Cancel();

    /// <summary>The item's own metadata (its options), without MSBuild's well-known ones.</summary>
    private static IReadOnlyDictionary<string, string> CustomMetadata(ITaskItem item)
    {
        var custom = item.CloneCustomMetadata();
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (object key in custom.Keys) result[(string)key] = item.GetMetadata((string)key);
        return result;
    }

    public override bool Execute()
    {
        if (Exports.Length == 0) return true;
        var diagnostics = new List<Diagnostic>();
        var selections = Exports.Select(i => (i.ItemSpec, CustomMetadata(i)));
        var requests = ExportOptions.Parse(selections, string.IsNullOrEmpty(ProjectFile) ? null : ProjectFile, diagnostics, ItemType);
        foreach (var d in diagnostics) Log.Log(d);
        if (requests is null) return false;

        // Under the folder's lock: no other build changes the samples while they are exported.
        using var held = FolderLock.Take(Log, DatasetDirectory, "export", LockTimeout, ProjectFile, _cancel.Token);
        if (held is null) return false;
        var result = DatasetExporter.Run(DatasetDirectory, ExportDirectory, requests, Threads, ProjectFile, _cancel.Token);
        foreach (var d in result.Diagnostics) Log.Log(d);
        Written = result.Written.ToArray();
        if (!result.Succeeded) return false;
        Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
            result.Written.Count == 0 ? "  exports: up to date ({1}) -> {3}" : "  exports: wrote {0} in {2:F1} s{4} -> {3}",
            string.Join(", ", result.Written), string.Join(", ", result.UpToDate), result.Elapsed.TotalSeconds, ExportDirectory,
            result.UpToDate.Count > 0 ? "; up to date: " + string.Join(", ", result.UpToDate) : ""));
        return !Log.HasLoggedErrors;
    }
}
