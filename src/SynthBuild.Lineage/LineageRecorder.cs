using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage;

/// <summary>Everything the lineage stage needs from one build.</summary>
/// <param name="Shards">The shards a merge assembled the dataset from (SynthMerge); null for a single build.</param>
public sealed record LineageRequest(
    string ProjectFile,
    string ConfigFile,
    string DatasetRoot,
    ConfigOverrides Overrides,
    string? Version,
    GenerationFigures Generation,
    string Status,
    string LogFile,
    IReadOnlyList<string> InputFiles,
    string? TrackingUri = null,
    string? Experiment = null,
    bool Required = false,
    Func<string, string?>? Environment = null,
    MlflowSettings? SettingsOverride = null,
    IReadOnlyList<string>? IgnoredPaths = null,
    DatasetSpec? Spec = null,
    string? MlflowTimeout = null,
    IReadOnlyList<MergedShard>? Shards = null);

/// <param name="Appended">Whether the record went to the local log (false when lineage failed with an error, so the
/// digest stays pending, or when the digest was already recorded).</param>
public sealed record LineageOutcome(LineageRecord? Record, IReadOnlyList<Diagnostic> Diagnostics, bool Appended = false)
{
    public bool Succeeded => !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// The lineage stage of a build that created or changed a dataset: reads git provenance, writes it into the
/// dataset's dataset.json, logs an MLflow run when a server is named, and appends the record to the offline log.
/// </summary>
public static class LineageRecorder
{
    /// <summary>Where older builds kept git provenance (now in dataset.json); removed when found.</summary>
    public const string LegacyProvenanceFile = DatasetLayout.LegacyProvenanceFile;

    public static LineageOutcome Record(LineageRequest req, CancellationToken ct = default)
    {
        var diagnostics = new List<Diagnostic>();
        if (Prepare(req, diagnostics) is not var (record, spec)) return new LineageOutcome(null, diagnostics);
        WriteProvenance(req.DatasetRoot, record);

        MlflowSettings? settings;
        try { settings = req.SettingsOverride ?? MlflowSettings.FromEnvironment(req.TrackingUri, req.Environment, req.MlflowTimeout); }
        catch (FormatException ex)
        {
            // Bad input is an error even when lineage is optional; the digest stays unrecorded until a fixed build records it.
            diagnostics.Add(Diagnostic.Error(SynCodes.MlflowTimeoutInvalid, ex.Message, req.ProjectFile));
            return new LineageOutcome(record, diagnostics);
        }
        if (settings is null)
        {
            if (req.Required)
                diagnostics.Add(Diagnostic.Error(SynCodes.MlflowRequiredMissing,
                    "Lineage is required (SynthLineageRequired=true) but no MLflow server is named: set MLFLOW_TRACKING_URI or SynthMlflowTrackingUri.", req.ProjectFile));
        }
        else
        {
            string experiment = string.IsNullOrWhiteSpace(req.Experiment) ? record.Dataset.Name : req.Experiment;
            try
            {
                using var client = new MlflowClient(settings);
                var artifacts = new List<(string, string)>
                {
                    ("config/" + Path.GetFileName(req.ConfigFile), req.ConfigFile),
                    ("dataset/manifest.json", Path.Combine(req.DatasetRoot, Manifest.FileName)),
                    ("dataset/dataset.json", Path.Combine(req.DatasetRoot, DatasetLayout.DatasetFile)),
                };
                // The overlays the effective config was merged from, beside the config they patch.
                foreach (string overlay in req.Overrides.OverlayFiles)
                    artifacts.Add(("config/overlays/" + Path.GetFileName(overlay), overlay));
                string effective = Path.Combine(Path.GetTempPath(), "synthbuild-effective-" + Guid.NewGuid().ToString("N") + ".json");
                File.WriteAllText(effective, EffectiveConfig.Json(spec));
                artifacts.Add(("config/effective-config.json", effective));
                string reports = Path.Combine(req.DatasetRoot, "reports");
                if (Directory.Exists(reports))
                    foreach (string f in Directory.EnumerateFiles(reports, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                        artifacts.Add(("reports/" + Path.GetRelativePath(reports, f).Replace('\\', '/'), f));
                try
                {
                    var result = MlflowTracker.LogAsync(client, settings.SafeUri, experiment, record, artifacts, ct).GetAwaiter().GetResult();
                    record = record with { Mlflow = result.Run };
                    foreach (string w in result.Warnings) diagnostics.Add(Diagnostic.Warning(SynCodes.ArtifactsNotUploaded, w, req.ProjectFile));
                }
                finally { File.Delete(effective); }
            }
            catch (MlflowException ex)
            {
                diagnostics.Add(req.Required
                    ? Diagnostic.Error(SynCodes.MlflowRequiredFailed, $"Lineage is required but the MLflow run could not be logged: {ex.Message}", req.ProjectFile)
                    : Diagnostic.Warning(SynCodes.MlflowFailed, $"MLflow run not logged (the build goes on; the record is in the local lineage log): {ex.Message}", req.ProjectFile));
            }
        }

        // A failed required lineage (or a bad setting) leaves the digest unrecorded, so the next build tries again
        // instead of finding it recorded; an optional MLflow failure still records locally.
        if (diagnostics.Any(d => d.IsError)) return new LineageOutcome(record, diagnostics);
        LineageLog.Append(req.LogFile, record);
        return new LineageOutcome(record, diagnostics, Appended: true);
    }

    /// <summary>
    /// The lineage stage of every build: records the dataset's current digest unless the local log already has it
    /// (exactly one record per digest), with the generation figures of the pending record the generating build left
    /// (<see cref="PendingLineage"/>), else this build's. The pending record is removed once the record is appended;
    /// when lineage fails with an error it stays, and so does the digest's unrecorded state. Pending records of other
    /// digests (datasets generated and overwritten before they were recorded) are dropped with SYN6040.
    /// </summary>
    public static LineageOutcome Complete(LineageRequest req, string? pendingDirectory, CancellationToken ct = default)
    {
        string digest;
        try { digest = DatasetReader.Open(req.DatasetRoot).Info.Digest; }
        catch (DiagnosticException ex) { return new LineageOutcome(null, [ex.Diagnostic]); }
        bool recorded;
        try { recorded = File.Exists(req.LogFile) && LineageLog.Read(req.LogFile).Any(r => r.Dataset.Digest == digest); }
        catch (DiagnosticException ex) { return new LineageOutcome(null, [ex.Diagnostic]); }
        if (recorded)
        {
            var diagnostics = new List<Diagnostic>();
            // This build wrote the dataset (a repair, the same digest built into another folder, or a build killed
            // after recording): no second record, but dataset.json gets the git state of the build that wrote it.
            if (req.Generation.Generated + req.Generation.Removed > 0 || PendingLineage.Exists(pendingDirectory, digest))
            {
                if (Prepare(req, diagnostics) is var (record, _)) WriteProvenance(req.DatasetRoot, record);
                if (diagnostics.Any(d => d.IsError)) return new LineageOutcome(null, diagnostics);
            }
            PendingLineage.Remove(pendingDirectory, digest);
            return new LineageOutcome(null, diagnostics);
        }
        var outcome = Record(req with { Generation = PendingLineage.Figures(pendingDirectory, digest) ?? req.Generation }, ct);
        if (!outcome.Appended) return outcome;
        PendingLineage.Remove(pendingDirectory, digest);
        var all = outcome.Diagnostics.ToList();
        foreach (string other in PendingLineage.Others(pendingDirectory, digest))
        {
            all.Add(Diagnostic.Warning(SynCodes.LineagePendingSuperseded,
                $"Dataset digest {other[..Math.Min(12, other.Length)]} was generated but never recorded, and a later build replaced it; it can no longer be recorded (its pending record is dropped).",
                PendingLineage.PathFor(pendingDirectory!, other)));
            PendingLineage.Remove(pendingDirectory, other);
        }
        return outcome with { Diagnostics = all };
    }

    /// <summary>The record of this build (git provenance read now), or null with the reason in <paramref name="diagnostics"/>.</summary>
    private static (LineageRecord Record, DatasetSpec Spec)? Prepare(LineageRequest req, List<Diagnostic> diagnostics)
    {
        // A caller that already loaded the config for this build (the MSBuild tasks) passes its spec.
        var loaded = req.Spec is { } given ? new ConfigLoadResult(given, []) : ConfigLoader.Load(req.ConfigFile, req.Overrides);
        if (!loaded.Succeeded)
        {
            diagnostics.AddRange(loaded.Diagnostics);
            return null;
        }
        var ignored = new List<string> { req.LogFile };
        ignored.AddRange(req.IgnoredPaths ?? []);
        var inputs = req.InputFiles.Concat(ProjectInputs.FromConfig(req.ConfigFile)).ToList();
        GitProvenance git = GitProvenance.Read(Path.GetDirectoryName(Path.GetFullPath(req.ProjectFile))!, inputs, ignored);
        if (!git.InRepository)
            diagnostics.Add(Diagnostic.Warning(SynCodes.NotAGitRepository,
                "The project is not inside a git repository: the lineage record has no commit, branch or remote.", req.ProjectFile));
        try
        {
            return (LineageRecord.Create(loaded.Spec!, req.DatasetRoot, req.ProjectFile, req.Version, git, req.Generation, req.Status, DateTimeOffset.UtcNow)
                with { Shards = req.Shards }, loaded.Spec!);
        }
        catch (DiagnosticException ex)
        {
            diagnostics.Add(ex.Diagnostic);
            return null;
        }
    }

    /// <summary>
    /// Sets the "provenance" member of dataset.json: the git state of the build that last created or changed the
    /// dataset (commit, branch, remote, detached, dirty, modified inputs, changed files) and the DatasetVersion it was
    /// built as. Nothing that varies between machines or runs (no time, host, user or absolute path: those are in the
    /// lineage record), so clean builds of one commit give byte-identical dataset folders. dataset.json is not in the
    /// manifest, so the digest, and every stage keyed on it, is unaffected; the generator keeps the member while the
    /// digest stays the same.
    /// </summary>
    public static void WriteProvenance(string datasetRoot, LineageRecord r)
    {
        string file = Path.Combine(datasetRoot, DatasetLayout.DatasetFile);
        var provenance = new JsonObject();
        if (r.Dataset.Version is { } v) provenance["datasetVersion"] = v;
        provenance["git"] = r.Git.ToDatasetJson();
        using var doc = JsonDocument.Parse(provenance.ToJsonString());
        AtomicFile.WriteIfChanged(file, AnnotationJson.WithProvenance(File.ReadAllBytes(file), doc.RootElement));
        // Builds before provenance moved into dataset.json wrote it beside it; a stale copy must not outlive it.
        string legacy = Path.Combine(datasetRoot, LegacyProvenanceFile);
        if (File.Exists(legacy)) File.Delete(legacy);
    }
}
