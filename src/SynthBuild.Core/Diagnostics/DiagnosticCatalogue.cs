namespace SynthBuild.Core.Diagnostics;

/// <summary>
/// Every diagnostic code, defined once. The thousands digit is the stage (see <see cref="DiagnosticStage"/>);
/// <see cref="DiagnosticCatalogue"/> says what each one means. The MSBuild targets of the SDK use some of these
/// codes as literals (they cannot reference C#); the catalogue lists those too.
/// </summary>
public static class SynCodes
{
    // 0xxx SDK
    public const string TasksAssemblyMissing = "SYN0001";

    // 1xxx config
    public const string ConfigFileNotFound = "SYN1000";
    public const string ConfigSyntax = "SYN1001";
    public const string ConfigWrongType = "SYN1002";
    public const string ConfigUnknownKey = "SYN1003";
    public const string ConfigMissingKey = "SYN1004";
    public const string ConfigOutOfRange = "SYN1005";
    public const string ConfigContradictory = "SYN1006";
    public const string BadOverride = "SYN1007";
    public const string BadMesh = "SYN1008";
    public const string BadImages = "SYN1009";
    // 1010-1014 config overlays (SynthConfigOverlay, --overlay)
    public const string OverlayNotFound = "SYN1010";
    public const string OverlayNotObject = "SYN1011";
    public const string OverlayProvenanceInvalid = "SYN1012";

    // 2xxx generation and augmentation
    public const string GenerationFailed = "SYN2001";
    public const string TooFewObjects = "SYN2002";
    public const string CropTooLarge = "SYN2101";
    public const string AugmentSampleUnreadable = "SYN2102";
    public const string AugmentationFailed = "SYN2103";

    // 3xxx storage and incremental builds
    public const string ManifestUnreadable = "SYN3001";
    public const string OutputNotWritable = "SYN3002";
    public const string NotADataset = "SYN3003";
    public const string DatasetLocked = "SYN3010";
    public const string StaleLockTakenOver = "SYN3011";
    public const string WriteFailed = "SYN3012";
    public const string UnlistedFiles = "SYN3013";
    public const string ReleaseHasUnlistedFiles = "SYN3014";
    public const string SampleDamaged = "SYN3015";
    public const string LockTimeoutInvalid = "SYN3016";

    // 4xxx export
    public const string UnknownExportFormat = "SYN4001";
    public const string BadExportOption = "SYN4002";
    public const string ExportWriteFailed = "SYN4003";
    public const string TfRecordTooLarge = "SYN4004";
    public const string DuplicateExport = "SYN4005";

    // 5xxx quality
    public const string GateFailed = "SYN5001";
    public const string UnknownGate = "SYN5002";
    public const string InvalidGate = "SYN5003";
    public const string AnalysisFailed = "SYN5004";
    public const string GatesSwitchedOff = "SYN5005";
    public const string InvalidQualitySetting = "SYN5006";
    public const string CompareFailed = "SYN5007";

    // 6xxx lineage and release
    public const string NotAGitRepository = "SYN6001";
    public const string MlflowFailed = "SYN6002";
    public const string MlflowRequiredFailed = "SYN6003";
    public const string MlflowRequiredMissing = "SYN6004";
    public const string LineageLogUnreadable = "SYN6005";
    public const string ArtifactsNotUploaded = "SYN6006";
    public const string MlflowTimeoutInvalid = "SYN6007";
    public const string LineagePendingSuperseded = "SYN6040";
    public const string BadDatasetVersion = "SYN6010";
    public const string ReleaseNotInRepository = "SYN6011";
    public const string ReleaseDirtyTree = "SYN6012";
    public const string ReleaseVersionExists = "SYN6013";
    public const string ReleaseTagExists = "SYN6014";
    public const string ReleaseGatesFailed = "SYN6015";
    public const string ReleaseDatasetNotIntact = "SYN6016";
    public const string ReleaseWriteFailed = "SYN6017";
    public const string ReleaseNoCommit = "SYN6018";
    public const string ReleaseFileMissing = "SYN6020";
    public const string ReleaseFileExtra = "SYN6021";
    public const string ReleaseFileAltered = "SYN6022";
    public const string UnsafeArchiveEntry = "SYN6023";
    public const string ArchiveChecksumMismatch = "SYN6024";
    public const string NotARelease = "SYN6025";
    public const string ExtractDestinationNotEmpty = "SYN6026";
    public const string ReleaseTagMismatch = "SYN6027";
    public const string StoreUrlInvalid = "SYN6050";
    public const string StoreCredentialsMissing = "SYN6051";
    public const string StoreRequestFailed = "SYN6052";
    public const string StoreVersionExists = "SYN6053";
    public const string StoreReleaseNotFound = "SYN6054";
    public const string PulledReleaseRejected = "SYN6055";
    public const string PullDestinationExists = "SYN6056";
    public const string BadReleaseReference = "SYN6057";
    public const string PushArchiveInvalid = "SYN6058";
    public const string InvalidDatasetLicense = "SYN6070";
    public const string DatasetCardFailed = "SYN6071";

    // 7xxx evaluation
    public const string CocoFileNotReadable = "SYN7001";
    public const string CocoInvalidJson = "SYN7002";
    public const string CocoWrongShape = "SYN7003";
    public const string CocoUnknownImage = "SYN7004";
    public const string CocoMalformedMask = "SYN7005";
    public const string CocoMissingImageSize = "SYN7006";
    public const string SimToRealSettings = "SYN7007";
    public const string SimToRealGapTooLarge = "SYN7010";

    // 8xxx models
    public const string ModelNotFound = "SYN8001";
    public const string ModelUnreadable = "SYN8002";
    public const string ModelInputUnsupported = "SYN8003";
    public const string ModelOutputsMatchNoLayout = "SYN8004";
    public const string ModelInputSizeUnknown = "SYN8005";
    public const string ModelClassMapInvalid = "SYN8006";
    public const string ModelClassUnmapped = "SYN8007";
    public const string ModelEvalDatasetInvalid = "SYN8008";
    public const string ModelEvalImageUnreadable = "SYN8009";
    public const string ModelRunFailed = "SYN8010";
    public const string ModelEvalOptionInvalid = "SYN8011";
    public const string RealSetCategoriesMismatch = "SYN8012";
    public const string ModelItemInvalid = "SYN8013";
    // 81xx the probe detector (the Models.Probe assembly)
    public const string ProbeNativePatchRefused = "SYN8101";
    public const string ProbeNativeLoadFailed = "SYN8102";
    public const string ProbeDatasetInvalid = "SYN8103";
    public const string ProbeOptionInvalid = "SYN8104";
    public const string ProbeRunnerNotFound = "SYN8105";
    public const string ProbeRunnerFailed = "SYN8106";
    public const string ProbeReportMissing = "SYN8107";
    // 82xx external trainers (SynthTrainer items)
    public const string TrainerItemInvalid = "SYN8201";
    public const string TrainerPlaceholderInvalid = "SYN8202";
    public const string TrainerFailed = "SYN8203";
    public const string TrainerTimedOut = "SYN8204";
    public const string TrainerMetricsInvalid = "SYN8205";
    public const string TrainerModelMissing = "SYN8206";
    public const string TrainerNotLogged = "SYN8207";
    // 83xx failure-mode slices (reports/slices.json)
    public const string SlicesInputInvalid = "SYN8301";
    public const string SlicesDetectionsOutsideSplit = "SYN8302";
    public const string SlicesOptionInvalid = "SYN8303";

    // 84xx targeted generation (synth target) and the retraining verdict
    public const string SlicesInvalid = "SYN8401";
    public const string TargetKeyNotInConfig = "SYN8402";
    public const string TargetBinOutsideRange = "SYN8403";
    public const string TargetNothingTargetable = "SYN8404";
    public const string TargetOptionInvalid = "SYN8405";
    public const string RetrainVerdictNotWritten = "SYN8410";

    // 85xx experiments (synth experiment run, docs/experiments.md)
    public const string ExperimentFileInvalid = "SYN8501";
    public const string ExperimentVariantsInvalid = "SYN8502";
    public const string ExperimentVariantMissing = "SYN8503";
    public const string ExperimentRecipeInvalid = "SYN8504";
    public const string ExperimentTargetInvalid = "SYN8505";
    public const string ExperimentTargetCategories = "SYN8506";
    public const string ExperimentBuildFailed = "SYN8507";
    public const string ExperimentTrainingFailed = "SYN8508";

    // 9xxx sharding and schedulers
    public const string ShardInvalid = "SYN9001";
    public const string ShardIndexOutOfRange = "SYN9002";
    public const string ShardIndexVariableMissing = "SYN9003";
    public const string ShardIndexVariableInvalid = "SYN9004";
    public const string ShardCountInvalid = "SYN9005";
    public const string ShardMissing = "SYN9101";
    public const string ShardIncomplete = "SYN9102";
    public const string ShardDuplicated = "SYN9103";
    public const string ShardOverlap = "SYN9104";
    public const string ShardStale = "SYN9105";
    public const string ShardCorrupt = "SYN9106";
    public const string ShardCountMismatch = "SYN9107";
    // 92xx submitting to a job engine: 920x common, 921x-922x Slurm, 923x-924x Kubernetes
    public const string SchedulerUnknown = "SYN9201";
    public const string SchedulerToolMissing = "SYN9202";
    public const string SlurmOptionInvalid = "SYN9210";
    public const string SlurmSubmitFailed = "SYN9211";
    public const string SlurmShardFailed = "SYN9212";
    public const string SlurmMergeFailed = "SYN9213";
    public const string SlurmWaitTimedOut = "SYN9214";
    public const string SlurmShardIndicesInvalid = "SYN9215";
    public const string SlurmWaitSettingInvalid = "SYN9216";
    public const string SlurmJobQueryFailed = "SYN9217";
    public const string KubernetesSettingMissing = "SYN9230";
    public const string KubernetesQuantityInvalid = "SYN9231";
    public const string KubernetesCountInvalid = "SYN9232";
    public const string KubernetesNameInvalid = "SYN9233";
    public const string KubernetesPathInvalid = "SYN9234";
    public const string KubernetesTimeoutInvalid = "SYN9235";
    public const string KubernetesCommandFailed = "SYN9240";
    public const string KubernetesJobFailed = "SYN9241";
    public const string KubernetesJobTimedOut = "SYN9242";
}

/// <summary>The stage a code belongs to; the value is the code's thousands digit.</summary>
public enum DiagnosticStage
{
    Sdk = 0,
    Config = 1,
    Generation = 2,
    Storage = 3,
    Export = 4,
    Quality = 5,
    Lineage = 6,
    Evaluation = 7,
    Models = 8,
    Sharding = 9,
}

/// <summary>What a code means: <paramref name="Severity"/> is how it is reported (SYN5001 follows the gate's
/// declared severity and is listed as an error), <paramref name="Meaning"/> says what went wrong and what to do.</summary>
public sealed record DiagnosticDescriptor(string Code, DiagnosticStage Stage, DiagnosticSeverity Severity, string Title, string Meaning);

/// <summary>The meaning of every <see cref="SynCodes"/> code; docs/diagnostics.md is checked against it.</summary>
public static class DiagnosticCatalogue
{
    private const DiagnosticSeverity E = DiagnosticSeverity.Error, W = DiagnosticSeverity.Warning;

    /// <summary>Every code, in code order.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
    [
        new(SynCodes.TasksAssemblyMissing, DiagnosticStage.Sdk, E, "Task assembly not found",
            "The SDK cannot find its task assembly at $(SynthTasksAssembly), so no stage can run. Restore or reinstall the SDK package; in this repository, build src/SynthBuild.Tasks first."),

        new(SynCodes.ConfigFileNotFound, DiagnosticStage.Config, E, "File or folder not found",
            "The dataset config, or a mesh file or image folder it names, does not exist or cannot be read. Paths in the config are relative to the config file; fix the path or create the file (point SynthConfig at the config)."),
        new(SynCodes.ConfigSyntax, DiagnosticStage.Config, E, "Invalid JSON",
            "The config is not valid JSON (a syntax error or a duplicate key) at the given line and column. Fix the JSON there."),
        new(SynCodes.ConfigWrongType, DiagnosticStage.Config, E, "Wrong type",
            "A config value has the wrong JSON type (for example a string where a number is expected, or a top level that is not an object). Use the type the message names."),
        new(SynCodes.ConfigUnknownKey, DiagnosticStage.Config, E, "Unknown key",
            "The config has a key the schema does not know, or one that does not apply to the category's shape. Usually a typo: the message suggests the nearest known key."),
        new(SynCodes.ConfigMissingKey, DiagnosticStage.Config, E, "Missing required key",
            "A key the schema requires is absent (for example 'file' in a mesh category). Add it."),
        new(SynCodes.ConfigOutOfRange, DiagnosticStage.Config, E, "Value out of range",
            "A config value lies outside its allowed range or is not among its allowed values (also: a negative range weight, an empty `weights` list, more than 64 bins). The message gives the range or the choices."),
        new(SynCodes.ConfigContradictory, DiagnosticStage.Config, E, "Contradictory values",
            "Config values are each valid but do not fit together: min greater than max, duplicate category names, weights adding up to 0 (category weights or a range's bin weights), range `edges` that do not fit their `weights` (count not weights + 1, not increasing, not running from min to max, or no weights), the camera at its target, splits not adding up to 1, too many pixels, a randomCrop larger than the image. Change one of them."),
        new(SynCodes.BadOverride, DiagnosticStage.Config, E, "Bad SynthSamples or SynthSeed",
            "The SynthSamples or SynthSeed property that overrides the config is not an integer in its range (samples 1–10,000,000, seed 0–2^53−1)."),
        new(SynCodes.BadMesh, DiagnosticStage.Config, E, "Mesh file unreadable",
            "A mesh category's Wavefront OBJ or glTF 2.0 file exists but cannot be read as a mesh (the message says why). Fix or re-export the file."),
        new(SynCodes.BadImages, DiagnosticStage.Config, E, "Image folder without readable images",
            "A texture or background image folder holds no PNG/JPEG files, or one of them cannot be decoded. Add images or remove the broken one."),

        new(SynCodes.OverlayNotFound, DiagnosticStage.Config, E, "Config overlay not found",
            "A config overlay named by SynthConfigOverlay or --overlay does not exist or cannot be read. Overlay paths are relative to the project (MSBuild) or the current folder (CLI)."),
        new(SynCodes.OverlayNotObject, DiagnosticStage.Config, E, "Config overlay is not an object",
            "A config overlay must be a JSON object (a JSON merge patch of the dataset config, RFC 7396). The message names the overlay file and the position of its top-level value."),
        new(SynCodes.OverlayProvenanceInvalid, DiagnosticStage.Config, E, "Invalid overlay provenance",
            "The overlay's \"$derivedFrom\" block must be an object whose members dataset, name and reason are strings, and only one overlay of a build may carry one. Fix the block at the given line."),
        new(SynCodes.GenerationFailed, DiagnosticStage.Generation, E, "Generation failed",
            "Generating samples failed or was cancelled. The samples completed so far are kept and the next build resumes from them; the message names the failure."),
        new(SynCodes.TooFewObjects, DiagnosticStage.Generation, W, "Too few visible objects",
            "Some samples have fewer visible objects than objectsPerScene.min because the objects could not be placed or were hidden. Enlarge the scene or lower objectsPerScene.min if this matters."),
        new(SynCodes.CropTooLarge, DiagnosticStage.Generation, E, "randomCrop larger than the image",
            "An augmentation randomCrop does not fit the image it receives from the dataset on disk. Make the crop smaller or the rendered image larger; nothing was written."),
        new(SynCodes.AugmentSampleUnreadable, DiagnosticStage.Generation, E, "Sample unreadable for augmentation",
            "A sample of the dataset cannot be read while augmenting it (missing or corrupt file). Rebuild the dataset."),
        new(SynCodes.AugmentationFailed, DiagnosticStage.Generation, E, "Augmentation failed",
            "Augmenting a sample failed for another reason, for example samples of different sizes in one loader batch. The message names the sample and the failure."),

        new(SynCodes.ManifestUnreadable, DiagnosticStage.Storage, W, "Existing manifest unreadable",
            "The manifest of the previous build cannot be read, so nothing can be reused by its record: every sample is generated again and compared with the file on disk."),
        new(SynCodes.OutputNotWritable, DiagnosticStage.Storage, E, "Output folder not writable",
            "The dataset folder cannot be created or written. Check SynthOutputDir and its permissions."),
        new(SynCodes.NotADataset, DiagnosticStage.Storage, E, "No dataset",
            "A stage that reads a dataset found none in the folder: dataset.json or manifest.json is missing or unreadable. Build the dataset first."),
        new(SynCodes.DatasetLocked, DiagnosticStage.Storage, E, "Dataset folder locked by another build",
            "Another build, merge, clean or release holds the dataset folder's lock (.synthlock) and did not finish within SynthLockTimeout seconds. The message names the holder (pid, host, start time). Wait for it, raise SynthLockTimeout, or, if that process is gone on another host, delete the lock file (docs/faults.md)."),
        new(SynCodes.StaleLockTakenOver, DiagnosticStage.Storage, W, "Stale lock taken over",
            "The dataset folder's lock belonged to a process of this host that no longer runs (killed build); this build took it over. Nothing to do: the journal and manifest let the build resume."),
        new(SynCodes.WriteFailed, DiagnosticStage.Storage, E, "Dataset file cannot be written",
            "Writing a file of the dataset failed (disk full, quota, I/O error, permissions); the message names the path. Temporary files were removed and every sample completed before the failure is kept: free space and build again to resume."),
        new(SynCodes.UnlistedFiles, DiagnosticStage.Storage, W, "Files the manifest does not list",
            "The dataset's sample folders hold files the manifest does not list (left by an interrupted build of another seed or a larger count). With SynthUnlistedFiles=remove (the default) the build and clean delete them and say so; with SynthUnlistedFiles=report they are listed as this warning and kept."),
        new(SynCodes.ReleaseHasUnlistedFiles, DiagnosticStage.Storage, E, "Release refused: unlisted files",
            "A release archives the dataset folder, and that folder holds sample files its manifest does not list. Build (which removes them) or delete them, then release."),
        new(SynCodes.SampleDamaged, DiagnosticStage.Storage, W, "Sample file failed its hash",
            "A file the manifest lists is missing, truncated or altered; its sample is regenerated. The message names the file, so a disk or a person editing the dataset can be found."),
        new(SynCodes.LockTimeoutInvalid, DiagnosticStage.Storage, E, "Bad SynthLockTimeout or SynthUnlistedFiles",
            "SynthLockTimeout must be a number of seconds from 0 (fail at once when the folder is locked) to 86400; SynthUnlistedFiles must be remove or report."),

        new(SynCodes.UnknownExportFormat, DiagnosticStage.Export, E, "Unknown export format",
            "A SynthExport item names a format the engine does not have; the message lists the known ones."),
        new(SynCodes.BadExportOption, DiagnosticStage.Export, E, "Bad export option",
            "An export option is unknown for its format, or its value is not what the format expects; the message says what was expected."),
        new(SynCodes.ExportWriteFailed, DiagnosticStage.Export, E, "Export failed",
            "The export folder cannot be created or written, or an export failed midway (for example a dataset file is missing). The previous exports are left as they were."),
        new(SynCodes.TfRecordTooLarge, DiagnosticStage.Export, E, "TFRecord record too large",
            "The image size and object count can give a TFRecord record of 2 GiB or more, which protobuf readers refuse. Use smaller images, fewer masks, or another format."),
        new(SynCodes.DuplicateExport, DiagnosticStage.Export, E, "Export format selected twice",
            "The same export format is selected by two SynthExport items; select each format once."),

        new(SynCodes.GateFailed, DiagnosticStage.Quality, E, "Quality gate failed",
            "A declared quality gate measured a value outside its Min/Max, reported at the SynthGate item's line. An error unless the gate is declared with Severity=Warning."),
        new(SynCodes.UnknownGate, DiagnosticStage.Quality, E, "Unknown quality gate",
            "A SynthGate item names a gate the engine does not have; the message lists the known ones."),
        new(SynCodes.InvalidGate, DiagnosticStage.Quality, E, "Invalid gate metadata",
            "A SynthGate's Min or Max is not a number, or its Severity is neither Error nor Warning."),
        new(SynCodes.AnalysisFailed, DiagnosticStage.Quality, E, "Quality analysis failed",
            "The quality analysis could not read the dataset (rebuild the dataset), or its reports could not be written (the message names the folder). quality.json, which marks the reports current, is written last, so reports that failed half-way are redone by the next build."),
        new(SynCodes.GatesSwitchedOff, DiagnosticStage.Quality, W, "Quality gates switched off",
            "The build runs with SynthGates=false: gates are measured and reported but do not fail it. The warning says how many would fail."),
        new(SynCodes.InvalidQualitySetting, DiagnosticStage.Quality, E, "Invalid quality setting",
            "SynthQualityAudit is neither 'all' nor a number of samples."),
        new(SynCodes.CompareFailed, DiagnosticStage.Quality, E, "Nothing to compare with",
            "A quality comparison found no baseline: SynthCompareTo is empty, no readable report at the path, an unknown git ref, a project that does not exist at the ref, or no git repository."),

        new(SynCodes.NotAGitRepository, DiagnosticStage.Lineage, W, "Project outside a git repository",
            "The project is not in a git repository, so its lineage records carry no commit (\"inRepository\": false). The build goes on."),
        new(SynCodes.MlflowFailed, DiagnosticStage.Lineage, W, "MLflow run not logged",
            "The MLflow server could not be reached or refused the run after retries; the build goes on and the record is still in the local lineage log. Set SynthLineageRequired=true to make this an error (SYN6003)."),
        new(SynCodes.MlflowRequiredFailed, DiagnosticStage.Lineage, E, "Required MLflow run not logged",
            "Lineage is required (SynthLineageRequired=true) and the MLflow run could not be logged within SynthMlflowTimeout. Nothing goes to the local log: the digest stays pending, and every later build tries again (and fails) until it is recorded."),
        new(SynCodes.MlflowRequiredMissing, DiagnosticStage.Lineage, E, "Required MLflow server missing",
            "Lineage is required (SynthLineageRequired=true) but no MLflow tracking URI is set (SynthMlflowTrackingUri or MLFLOW_TRACKING_URI). The digest stays pending until a build records it."),
        new(SynCodes.LineageLogUnreadable, DiagnosticStage.Lineage, E, "Lineage log unreadable",
            "The lineage log does not exist, or a line of it is not one JSON record; the message names the line."),
        new(SynCodes.ArtifactsNotUploaded, DiagnosticStage.Lineage, W, "MLflow artifacts not uploaded",
            "The MLflow run was logged but its artifacts could not be uploaded (the server's artifact store is not served over HTTP, e.g. a server without --serve-artifacts)."),
        new(SynCodes.MlflowTimeoutInvalid, DiagnosticStage.Lineage, E, "Bad MLflow timeout",
            "SynthMlflowTimeout (or SYNTH_MLFLOW_TIMEOUT) is not a number of seconds greater than 0 (at most 86400); the message names which. No run is logged and nothing goes to the local log: the digest stays pending until a build with a valid setting records it."),
        new(SynCodes.BadDatasetVersion, DiagnosticStage.Lineage, E, "Bad DatasetVersion",
            "DatasetVersion is missing or not semantic versioning 2.0 (MAJOR.MINOR.PATCH[-pre][+build]), reported at the project's <DatasetVersion> line."),
        new(SynCodes.ReleaseNotInRepository, DiagnosticStage.Lineage, E, "Release outside a git repository",
            "A release is refused because the project is not in a git repository: a release is tagged in git."),
        new(SynCodes.ReleaseDirtyTree, DiagnosticStage.Lineage, E, "Release from a dirty tree",
            "A release is refused because the project's inputs have uncommitted changes. Commit them first."),
        new(SynCodes.ReleaseVersionExists, DiagnosticStage.Lineage, E, "Version already released",
            "A release is refused because the archive of that version already exists: releases are immutable. Bump DatasetVersion."),
        new(SynCodes.ReleaseTagExists, DiagnosticStage.Lineage, E, "Release tag exists",
            "A release is refused because the git tag <dataset>/v<version> already exists. Bump DatasetVersion."),
        new(SynCodes.ReleaseGatesFailed, DiagnosticStage.Lineage, E, "Release with failing gates",
            "A release is refused because the build failed or the quality report lists a failing error gate (also one switched off with SynthGates=false)."),
        new(SynCodes.ReleaseDatasetNotIntact, DiagnosticStage.Lineage, E, "Dataset not intact",
            "A release is refused because there is no dataset or a file differs from its manifest. Rebuild before releasing."),
        new(SynCodes.ReleaseWriteFailed, DiagnosticStage.Lineage, E, "Release not written",
            "The release archive or its git tag could not be written; a half-made release is removed."),
        new(SynCodes.ReleaseNoCommit, DiagnosticStage.Lineage, E, "No commit to tag",
            "A release is refused because the repository has no commit yet. Commit the project first."),
        new(SynCodes.ReleaseFileMissing, DiagnosticStage.Lineage, E, "Release file missing",
            "Verifying a release: a file listed in the manifest or release.json is not in the archive or folder."),
        new(SynCodes.ReleaseFileExtra, DiagnosticStage.Lineage, E, "Extra file in release",
            "Verifying a release: the archive or folder holds a file listed neither in the manifest nor in release.json."),
        new(SynCodes.ReleaseFileAltered, DiagnosticStage.Lineage, E, "Release file altered",
            "Verifying a release: a file's SHA-256 or size differs from its record, or the digest recomputed from the manifest's entries differs from the manifest's, release.json's or dataset.json's."),
        new(SynCodes.UnsafeArchiveEntry, DiagnosticStage.Lineage, E, "Unsafe archive entry",
            "A release archive holds an entry (a file, a folder or any other type) with an absolute path, a '..' segment, a link or device, a path outside the destination, a duplicate, or a path under a file entry. Verify reports it and nothing is extracted."),
        new(SynCodes.ArchiveChecksumMismatch, DiagnosticStage.Lineage, E, "Archive checksum mismatch",
            "The release archive's SHA-256 differs from its .sha256 file: the archive or the checksum file was changed."),
        new(SynCodes.NotARelease, DiagnosticStage.Lineage, E, "Not a release",
            "The path is neither a readable release archive (.tar.gz) nor an extracted release folder with release.json."),
        new(SynCodes.ExtractDestinationNotEmpty, DiagnosticStage.Lineage, E, "Extraction destination not empty",
            "A release is extracted only into an empty folder, so that nothing is overwritten; the destination already holds files. Choose another folder."),
        new(SynCodes.ReleaseTagMismatch, DiagnosticStage.Lineage, E, "Release disagrees with its git tag",
            "Verifying a release in a repository that holds its tag <dataset>/v<version>: the tag's recorded dataset digest, archive SHA-256 or commit differs from release.json (or the archive), or release.json names another tag. The release was edited after it was made."),
        new(SynCodes.LineagePendingSuperseded, DiagnosticStage.Lineage, W, "Unrecorded dataset replaced",
            "A dataset digest was generated but never recorded (the build was killed, or its required lineage failed) and a later build replaced it before any build recorded it; its pending record (named) is dropped. Lineage now records the current digest."),
        new(SynCodes.StoreUrlInvalid, DiagnosticStage.Lineage, E, "Bad release store URL",
            "The release store is not az://CONTAINER[/PREFIX] (Azure Blob Storage) or s3://BUCKET[/PREFIX] (S3 or an S3-compatible server): an unknown scheme, no container or bucket, or a malformed URL."),
        new(SynCodes.StoreCredentialsMissing, DiagnosticStage.Lineage, E, "Release store credentials missing",
            "No usable credentials for the release store in the environment: AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY) for az://, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for an S3-compatible server) for s3://. The message names the variables, never their values."),
        new(SynCodes.StoreRequestFailed, DiagnosticStage.Lineage, E, "Release store request failed",
            "The release store could not be reached or refused a request (connection refused, timeout, access denied, no such container or bucket) after retries. Secrets are redacted from the message; nothing was written locally."),
        new(SynCodes.StoreVersionExists, DiagnosticStage.Lineage, E, "Version already in the release store",
            "A push is refused because the store already holds that name and version (releases are immutable): bump DatasetVersion. Checked before the upload and enforced by a conditional put (If-None-Match: *)."),
        new(SynCodes.StoreReleaseNotFound, DiagnosticStage.Lineage, E, "Release not in the store",
            "A pull found no archive (or no .sha256 beside it: a partial push) for NAME@VERSION under the store URL."),
        new(SynCodes.PulledReleaseRejected, DiagnosticStage.Lineage, E, "Pulled release rejected",
            "A pulled archive failed verification against its .sha256, manifest and release.json (a tampered, partial or mismatched download; the verify errors follow), or is not the NAME@VERSION asked for. The download is deleted; the destination is untouched."),
        new(SynCodes.PullDestinationExists, DiagnosticStage.Lineage, E, "Pull destination holds the release",
            "A pull is refused because the destination folder already holds the archive or its .sha256; nothing is overwritten. Remove them or pull into another folder."),
        new(SynCodes.BadReleaseReference, DiagnosticStage.Lineage, E, "Bad release reference",
            "A pull needs NAME@VERSION: a dataset name (letters, digits, '.', '_', '-') and a semantic version."),
        new(SynCodes.PushArchiveInvalid, DiagnosticStage.Lineage, E, "Release archive not pushable",
            "A push is refused because the local archive is missing, has no .sha256 beside it, or fails verification (the verify errors follow); nothing was uploaded."),
        new(SynCodes.InvalidDatasetLicense, DiagnosticStage.Lineage, E, "Unknown dataset license",
            "SynthLicense is not one of the license ids the dataset card knows (Hugging Face ids such as cc-by-4.0, mit, apache-2.0, or 'other'); the message lists them. No card is written."),
        new(SynCodes.DatasetCardFailed, DiagnosticStage.Lineage, E, "Dataset card not written",
            "The dataset card (README.md, croissant.json) could not be made: the dataset folder is not a complete dataset, its quality report or an export file is unreadable, or a file could not be written. The previous card is left as it was."),

        new(SynCodes.CocoFileNotReadable, DiagnosticStage.Evaluation, E, "COCO file unreadable",
            "A COCO ground-truth or results file cannot be read."),
        new(SynCodes.CocoInvalidJson, DiagnosticStage.Evaluation, E, "COCO file not JSON",
            "A COCO file is not valid JSON; the message gives the line and column."),
        new(SynCodes.CocoWrongShape, DiagnosticStage.Evaluation, E, "COCO field missing or wrong",
            "A COCO file lacks a field, or a field has the wrong type or length (for example a bbox without four numbers); the message names the entry."),
        new(SynCodes.CocoUnknownImage, DiagnosticStage.Evaluation, E, "Result for an unknown image",
            "A result entry's image_id is not in the ground truth."),
        new(SynCodes.CocoMalformedMask, DiagnosticStage.Evaluation, E, "Malformed segmentation",
            "A segmentation is neither a valid list of polygons (numbers, at least 3 points each) nor a valid RLE (counts and a [height, width] size)."),
        new(SynCodes.CocoMissingImageSize, DiagnosticStage.Evaluation, E, "Image size missing",
            "A polygon segmentation needs its image's height and width, which the ground truth does not give."),
        new(SynCodes.SimToRealSettings, DiagnosticStage.Evaluation, E, "Sim-to-real settings missing or invalid",
            "The SynthSimToReal target needs SynthSyntheticGt, SynthSyntheticDt, SynthRealGt and SynthRealDt; SynthIouType must be bbox or segm and SynthMaxGap a number."),
        new(SynCodes.SimToRealGapTooLarge, DiagnosticStage.Evaluation, E, "Sim-to-real gap too large",
            "The mAP on real data trails the mAP on synthetic data by more than the allowed maximum gap (SynthMaxGap, default 0.2)."),

        new(SynCodes.ModelNotFound, DiagnosticStage.Models, E, "Model file not found",
            "The ONNX model given to `synth model-eval` (--model) does not exist. Check the path; nothing was evaluated or written."),
        new(SynCodes.ModelUnreadable, DiagnosticStage.Models, E, "Model file not a readable ONNX model",
            "ONNX Runtime could not load the file (empty, truncated, not ONNX, or an operator set it does not support). Export the model again (e.g. torch.onnx.export, opset 11 or later); nothing was written."),
        new(SynCodes.ModelInputUnsupported, DiagnosticStage.Models, E, "Model input layout not supported",
            "The detector must take one image tensor [N, 3, H, W] (NCHW, float32 or uint8); torchvision models may take [3, H, W]. Channels-last inputs, several image inputs or other element types are not supported: export the model with an NCHW image input."),
        new(SynCodes.ModelOutputsMatchNoLayout, DiagnosticStage.Models, E, "Model outputs match no detection layout",
            "The model's outputs do not have the names or shapes of the layout chosen with --layout (torchvision: boxes, labels, scores; yolo: one [1, 4+C, N] or [1, N, 5+C] tensor; tfod: detection_boxes, detection_classes, detection_scores, num_detections). The message lists the outputs the model has; pick the matching --layout."),
        new(SynCodes.ModelInputSizeUnknown, DiagnosticStage.Models, E, "Model input size unknown or contradicted",
            "The model's image input has a dynamic height or width and no --input-size WxH was given, or --input-size contradicts the fixed size the model declares. Give the size the model was exported for."),
        new(SynCodes.ModelClassMapInvalid, DiagnosticStage.Models, E, "Class map file invalid",
            "The --class-map file must be a JSON object from the model's class index (as a string) to a dataset category name or id, e.g. {\"0\": \"box\", \"1\": \"mug\"}. The message names the entry that is wrong (unreadable file, a name that is not a category, a non-integer key)."),
        new(SynCodes.ModelClassUnmapped, DiagnosticStage.Models, E, "Model class not mapped to a dataset category",
            "The model predicted a class that maps to no category of the dataset (no entry in --class-map, or, without a map, a class id that is not a category id). Map every class the model can predict, or filter them with --score-threshold; nothing was written."),
        new(SynCodes.ModelEvalDatasetInvalid, DiagnosticStage.Models, E, "Evaluation dataset not usable",
            "--dataset must be a built dataset folder (with dataset.json) or a COCO ground-truth JSON file, and the chosen split must hold images. The message says which: a missing path, a folder that is no dataset, or an empty split."),
        new(SynCodes.ModelEvalImageUnreadable, DiagnosticStage.Models, E, "Evaluation image missing or unreadable",
            "An image that the ground truth lists (file_name, under --images or the ground truth's folder) is missing or is not a readable PNG or JPEG. Fix the path or the image root; nothing was written."),
        new(SynCodes.ModelRunFailed, DiagnosticStage.Models, E, "Model inference failed",
            "ONNX Runtime failed while running the model on an image (a shape the graph rejects, an operator error). The message gives the image and ONNX Runtime's reason; check --input-size and the input normalisation the model was exported with."),
        new(SynCodes.ModelEvalOptionInvalid, DiagnosticStage.Models, E, "Model evaluation option invalid",
            "An option of `synth model-eval` has a value it cannot use: --input-size not WxH with positive integers, an unknown --layout or --resize, a --score-threshold or --nms-iou outside [0, 1], --mean/--std without three numbers (or a zero std)."),
        new(SynCodes.RealSetCategoriesMismatch, DiagnosticStage.Models, E, "Real set categories do not match the dataset",
            "A sim-to-real comparison evaluates one model on the dataset and on a labelled real set, so both must name their categories alike: every category of the real set's COCO file must be a dataset category with the same id and name. The message lists the ones that are not; renumber the real set (or drop the extra categories) and build again. Nothing was written."),
        new(SynCodes.ModelItemInvalid, DiagnosticStage.Models, E, "SynthModel item missing or invalid",
            "The SynthModelEval target needs at least one SynthModel item (an ONNX file that exists), and SynthSimToReal with a model needs a SynthModel with RealGroundTruth (or -p:SynthModel and -p:SynthRealGt). Two SynthModel items must not share a Name. The message names the item (docs/models.md)."),
        new(SynCodes.ProbeNativePatchRefused, DiagnosticStage.Models, E, "LibTorchSharp compatibility patch refused",
            "The system libstdc++ lacks GLIBCXX_3.4.32, which TorchSharp's libLibTorchSharp.so requires only as a link-time marker, and the library is not what the patch expects (not an ELF64 little-endian shared library, no or several requirements of GLIBCXX_3.4.32 from libstdc++.so.6, or an entry outside its section). Nothing was written; install a libstdc++ from GCC 13 or later, or use the TorchSharp version the project pins (docs/models.md \"Probe detector\")."),
        new(SynCodes.ProbeNativeLoadFailed, DiagnosticStage.Models, E, "TorchSharp native library not loadable",
            "libLibTorchSharp.so (TorchSharp-cpu) was not found next to the application or could not be loaded, even after the libstdc++ compatibility patch. The message gives the loader's reason; check that the TorchSharp-cpu package's native files were copied to the output folder."),
        new(SynCodes.ProbeDatasetInvalid, DiagnosticStage.Models, E, "Probe dataset not usable",
            "The probe detector needs a built dataset folder (with dataset.json) whose train split holds images with boxes, and val/test splits to evaluate. The message says which is missing."),
        new(SynCodes.ProbeOptionInvalid, DiagnosticStage.Models, E, "Probe option invalid",
            "A probe setting has a value it cannot use: an input width or height not a positive multiple of 16, no budget (epochs and seconds both zero or negative), a batch size, learning rate or thread count that is not positive."),
        new(SynCodes.ProbeRunnerNotFound, DiagnosticStage.Models, E, "Probe runner not installed",
            "The SynthProbe target runs the probe detector out of process, with the probe runner (a console app with LibTorch, ~600 MB). In this repository the target builds it into artifacts/synth-probe-runner/; the SDK package does not carry it. Build the runner project (src/, Probe.Runner; dotnet build -c Release) and point -p:SynthProbeRunner at its DLL (docs/models.md \"The probe in the build\")."),
        new(SynCodes.ProbeRunnerFailed, DiagnosticStage.Models, E, "Probe runner failed",
            "The probe runner exited with an error but without a diagnostic line of its own (it crashed, was killed, or ran out of memory). The message gives its exit code and last output lines. Nothing was marked current: probe.key.json is not written, so the next build trains again."),
        new(SynCodes.ProbeReportMissing, DiagnosticStage.Models, E, "Probe gate without a probe report",
            "A probe-ap50 or probe-ap gate is declared but the dataset has no probe report for its current digest (reports/probe.json with reports/probe.key.json). Run `dotnet build -t:SynthProbe`, or set -p:SynthProbeOnBuild=true so every build trains the probe before the quality stage."),
        new(SynCodes.TrainerItemInvalid, DiagnosticStage.Models, E, "SynthTrainer item invalid",
            "A SynthTrainer item needs Command, Metrics and Model metadata; its Command must split into words (no unterminated quote or trailing backslash); its name must be a file name shared with no other SynthTrainer or SynthModel; Timeout must be a number of seconds > 0; every file in Inputs must exist. The message names the item (docs/models.md \"External trainers\"). Nothing ran."),
        new(SynCodes.TrainerPlaceholderInvalid, DiagnosticStage.Models, E, "SynthTrainer placeholder unknown or export not declared",
            "A {placeholder} in a SynthTrainer's Command, Metrics, Model or ClassMap is not one of {dataset}, {project}, {output}, {exports}, {coco}, {yolo}, {yolo-seg}, {tfrecord}, {numpy}, {onnx}, or names an export the project does not declare (add <SynthExport Include=\"coco\" /> …). Write {{ and }} for literal braces. Nothing ran."),
        new(SynCodes.TrainerFailed, DiagnosticStage.Models, E, "External trainer failed",
            "The trainer's program could not be started (not found on PATH or relative to the project folder, not executable), or it exited with a nonzero code. The message gives the exit code and the trainer's last output lines; the full output is in the build log. No key was written, so the next build runs it again; existing reports are untouched."),
        new(SynCodes.TrainerTimedOut, DiagnosticStage.Models, E, "External trainer timed out",
            "The trainer ran longer than its Timeout (item metadata, or SynthTrainerTimeout) and its process tree was killed. Raise the timeout or shorten the training. No key was written."),
        new(SynCodes.TrainerMetricsInvalid, DiagnosticStage.Models, E, "Trainer metrics file missing or unreadable",
            "After a successful run, the file named by the item's Metrics must exist, have been written by that run, and be a JSON object with numbers (nested objects flattened with dots) or a CSV with a header row (.csv, the last row read, as Ultralytics' results.csv). The message names the file and, for a bad row or invalid JSON, the line."),
        new(SynCodes.TrainerModelMissing, DiagnosticStage.Models, E, "Trainer model file missing",
            "After a successful run, the file named by the item's Model (the ONNX model to evaluate) does not exist or was not written by that run. Check the Model path (placeholders included) against where the trainer writes its export."),
        new(SynCodes.TrainerNotLogged, DiagnosticStage.Models, W, "Trainer results not logged to MLflow",
            "An MLflow server is named but the trainer's metrics and model could not be logged to the dataset's run: the lineage log has no MLflow run for this dataset digest (lineage ran without a server), or the server failed. The build goes on; the results are in reports/trainers/ and reports/models/."),
        new(SynCodes.SlicesInputInvalid, DiagnosticStage.Models, E, "Slice analysis input not usable",
            "Slices re-sample each scene from the config that built the dataset, so the config (--config, default the project's synth.json two folders above the dataset) must have the dataset's spec hash (same config and seed; the sample count is taken from dataset.json), the ground truth must be the dataset's COCO export of that split, and every annotation must match a re-sampled scene. The message says which does not hold. Nothing was written (docs/models.md \"Failure-mode slices\")."),
        new(SynCodes.SlicesDetectionsOutsideSplit, DiagnosticStage.Models, E, "Detections for images outside the split",
            "The detections file names an image_id that is not an image of the chosen split (COCO image id = sample index + 1). Pass the detections of that split (e.g. reports/probe.val.detections.json with --split val). Nothing was written."),
        new(SynCodes.SlicesOptionInvalid, DiagnosticStage.Models, E, "Slice option invalid",
            "--split must be val or test (or train), --min-objects a positive integer, --resamples between 10 and 10000. Nothing was written."),
        new(SynCodes.SlicesInvalid, DiagnosticStage.Models, E, "Slices file unreadable or of another schema",
            "synth target reads a slices report (\"schema\": \"synthbuild.slices/1\", written by the slices stage). The file is missing, not JSON, of another schema, or lacks a required member; the message names the file and, where there is one, the line."),
        new(SynCodes.TargetKeyNotInConfig, DiagnosticStage.Models, E, "Failure mode names a key the config lacks",
            "A failure mode's configPath is not a ranged key of the dataset's config (for example a slices report of another dataset, or a config whose range was removed). Point --config at the config the dataset was built from."),
        new(SynCodes.TargetBinOutsideRange, DiagnosticStage.Models, E, "Failure-mode bin outside the config's range",
            "A failure mode's bin [min, max] does not overlap the range of its config key, so no weight can favour it. The slices report was computed on another config; regenerate it or target the right config."),
        new(SynCodes.TargetNothingTargetable, DiagnosticStage.Models, W, "No failure mode can be targeted",
            "None of the slices report's failure modes maps to a ranged key of the config; the overlay written changes no sample and only records why in its provenance reason."),
        new(SynCodes.TargetOptionInvalid, DiagnosticStage.Models, E, "Invalid synth target option",
            "--strength must be a number above 0 and at most 10 (the failing bins' weight is multiplied by 1 + strength)."),
        new(SynCodes.RetrainVerdictNotWritten, DiagnosticStage.Models, W, "Retraining verdict not written",
            "The sim-to-real stage could not write reports/retrain.json or the GitHub Actions step output (a read-only folder or a bad GITHUB_OUTPUT path). The gate's own result is unaffected."),
        new(SynCodes.ExperimentFileInvalid, DiagnosticStage.Models, E, "Experiment file invalid",
            "The experiment file (synth experiment run) is not valid JSON, or a key is unknown, missing or of the wrong type: it needs a name, variants, a target and optionally recipe, seeds, samples, bootstrap and properties (docs/experiments.md). The message gives the file, line and key. Nothing was built."),
        new(SynCodes.ExperimentVariantsInvalid, DiagnosticStage.Models, E, "Experiment variants invalid",
            "An experiment compares at least two variants, each with a name unique within the experiment (a folder name: letters, digits, '-', '_', '.') and a project. The message gives the file and line. Nothing was built."),
        new(SynCodes.ExperimentVariantMissing, DiagnosticStage.Models, E, "Experiment variant file not found",
            "A variant's project, config or overlay file does not exist (paths are relative to the experiment file). The message names the variant, the path and the line. Nothing was built."),
        new(SynCodes.ExperimentRecipeInvalid, DiagnosticStage.Models, E, "Experiment recipe or seeds invalid",
            "The recipe names a trainer other than probe, or a probe setting it cannot use (epochs, batch, threads, width and height multiples of 16, lr > 0), or seeds is below 1, or bootstrap.resamples is below 100. The message gives the file and line. Nothing was built."),
        new(SynCodes.ExperimentTargetInvalid, DiagnosticStage.Models, E, "Experiment target invalid",
            "The target must be a dataset project ({\"project\": …, \"split\": \"test\"|\"val\"|\"train\"|\"all\"}) or a labelled real set ({\"coco\": GT.json, \"images\": DIR}) that exists and holds images with boxes. The message names the file and what is wrong."),
        new(SynCodes.ExperimentTargetCategories, DiagnosticStage.Models, E, "Target categories missing from a variant",
            "Models are scored on the target by category name, so every category of the target must be a category of every variant. The message lists the names a variant lacks. Nothing was trained."),
        new(SynCodes.ExperimentBuildFailed, DiagnosticStage.Models, E, "Experiment variant build failed",
            "dotnet build of a variant (or of a dataset target) failed. The message names the variant and quotes the build's errors; the full log is build.log in the variant's folder under the experiment's output."),
        new(SynCodes.ExperimentTrainingFailed, DiagnosticStage.Models, E, "Experiment training failed",
            "The probe runner could not be found or built, or a training run failed. The message names the variant and seed and quotes the runner's output; the run's folder keeps its log. Runs already finished are kept and reused on the next run."),
        new(SynCodes.ShardInvalid, DiagnosticStage.Sharding, E, "Malformed SynthShard",
            "SynthShard must be 'I/N' (shard I of N, 0-based, N >= 1) or 'auto/N'. Nothing is built or written (docs/sharding.md)."),
        new(SynCodes.ShardIndexOutOfRange, DiagnosticStage.Sharding, E, "Shard index out of range",
            "The shard index (given, or read from the scheduler's index variable) is not below the shard count N. Check the array size of the job against N."),
        new(SynCodes.ShardIndexVariableMissing, DiagnosticStage.Sharding, E, "No shard index in the environment",
            "SynthShard=auto/N, but none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, SYNTH_SHARD_INDEX is set. Run the build as an array task, set SYNTH_SHARD_INDEX, or pass SynthShard=I/N."),
        new(SynCodes.ShardIndexVariableInvalid, DiagnosticStage.Sharding, E, "Shard index variable not a number",
            "SynthShard=auto/N read an index variable whose value is not a non-negative integer. The message names the variable and its value."),
        new(SynCodes.ShardCountInvalid, DiagnosticStage.Sharding, E, "Malformed SynthShards",
            "The SynthMerge target needs SynthShards, the number of shards the dataset was built in (an integer >= 1)."),
        new(SynCodes.ShardMissing, DiagnosticStage.Sharding, E, "Shard missing",
            "A shard manifest the merge needs (shards/shard-IIII-of-NNNN.json in the dataset folder) does not exist: that shard was never built or did not start. Build it, then merge again. The merge wrote nothing."),
        new(SynCodes.ShardIncomplete, DiagnosticStage.Sharding, E, "Shard incomplete",
            "A shard manifest lists fewer samples than its range: the shard was killed or failed midway (its manifest is a checkpoint). Run the shard again (it resumes), then merge. The merge wrote nothing."),
        new(SynCodes.ShardDuplicated, DiagnosticStage.Sharding, E, "Shard duplicated",
            "A shard manifest records another shard than its file name says, the same shard as another manifest, or a sample twice: it was copied or renamed. Rebuild that shard. The merge wrote nothing."),
        new(SynCodes.ShardOverlap, DiagnosticStage.Sharding, E, "Shard range wrong",
            "A shard manifest covers a range other than the one the partition gives its shard, or lists a sample outside it, so the shards would overlap or leave a gap. Rebuild that shard. The merge wrote nothing."),
        new(SynCodes.ShardStale, DiagnosticStage.Sharding, E, "Shard stale",
            "A shard was built from another config (spec fingerprint, sample count or seed) or another engine version than the project being merged. Rebuild that shard with the current project. The merge wrote nothing."),
        new(SynCodes.ShardCorrupt, DiagnosticStage.Sharding, E, "Shard corrupt",
            "A shard manifest is unreadable, or a file it lists is missing or does not match its recorded hash and size. Run the shard again (it regenerates what is damaged), then merge. The merge wrote nothing."),
        new(SynCodes.ShardCountMismatch, DiagnosticStage.Sharding, E, "SynthShards disagrees with the shards",
            "SynthShards=N, but the dataset folder's shard manifests are of another shard count. Pass the count the shards were built with. The merge wrote nothing."),
        new(SynCodes.SchedulerUnknown, DiagnosticStage.Sharding, E, "Unknown scheduler",
            "SynthSubmit needs SynthScheduler=slurm or SynthScheduler=kubernetes, and SynthShards=N (N >= 1). Nothing was written or submitted."),
        new(SynCodes.SchedulerToolMissing, DiagnosticStage.Sharding, E, "Scheduler command not installed",
            "The scheduler's command (sbatch, scontrol, kubectl) is not on PATH or not executable, so nothing could be submitted. Install the scheduler's client or run the build on a machine that has it; the job scripts or manifests are written under obj/ all the same."),
        new(SynCodes.SlurmOptionInvalid, DiagnosticStage.Sharding, E, "Invalid SynthSlurmOptions entry",
            "An entry of SynthSlurmOptions (';'-separated sbatch options such as --partition=x;--time=01:00:00) is not an option, holds a line break, or sets what SynthSubmit sets itself (--array, --dependency, --output, --error, --job-name, --parsable, --wrap). Nothing was written or submitted."),
        new(SynCodes.SlurmSubmitFailed, DiagnosticStage.Sharding, E, "sbatch refused the job",
            "sbatch exited with an error (an unknown partition, a time limit over the partition's, a bad option value…); its message is quoted. The job scripts stay under obj/synth-submit/; if the shard array was submitted but the merge was not, the array was cancelled."),
        new(SynCodes.SlurmShardFailed, DiagnosticStage.Sharding, E, "Slurm shard failed",
            "With SynthWait=true, a shard's array task ended FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY or NODE_FAIL. The message names the task (job id_index) and its log file; the merge, which can no longer run, was cancelled. Resubmit only the failed shards with -p:SynthShardIndices=i,j: finished shards are kept."),
        new(SynCodes.SlurmMergeFailed, DiagnosticStage.Sharding, E, "Slurm merge failed",
            "With SynthWait=true, the merge job ended without success. The message names the job and its log file, which holds the merge's own SYN error (a missing or stale shard, for example)."),
        new(SynCodes.SlurmWaitTimedOut, DiagnosticStage.Sharding, E, "Waiting for Slurm timed out",
            "With SynthWait=true, the jobs had not finished within SynthWaitTimeout seconds. They keep running: follow them with squeue, or stop them with the scancel command the message gives."),
        new(SynCodes.SlurmShardIndicesInvalid, DiagnosticStage.Sharding, E, "Invalid SynthShardIndices",
            "SynthShardIndices must be a comma-separated list of shard indices, each below SynthShards (e.g. 1,3 of 4). Nothing was written or submitted."),
        new(SynCodes.SlurmWaitSettingInvalid, DiagnosticStage.Sharding, E, "Invalid SynthWait or SynthWaitTimeout",
            "SynthWait must be true or false, and SynthWaitTimeout a whole number of seconds >= 1. Nothing was written or submitted."),
        new(SynCodes.SlurmJobQueryFailed, DiagnosticStage.Sharding, E, "scontrol could not report a job",
            "While waiting, scontrol show job failed for a submitted job (the controller is down, or the job was purged before its end was seen). The jobs may still run; check them with squeue."),
        new(SynCodes.KubernetesSettingMissing, DiagnosticStage.Sharding, E, "Kubernetes setting missing",
            "SynthSubmit with SynthScheduler=kubernetes needs SynthK8sImage (the engine image the pods run, docker/engine.Dockerfile) and SynthK8sVolumeClaim (a ReadWriteMany PersistentVolumeClaim every pod mounts for the output). Nothing was written or applied."),
        new(SynCodes.KubernetesQuantityInvalid, DiagnosticStage.Sharding, E, "Kubernetes resource quantity malformed",
            "SynthK8sCpu or SynthK8sMemory is not a Kubernetes quantity (for example 2, 500m, 4Gi, 512Mi). Nothing was written or applied."),
        new(SynCodes.KubernetesCountInvalid, DiagnosticStage.Sharding, E, "Kubernetes job count out of range",
            "SynthK8sParallelism must be an integer from 1 to SynthShards, and SynthK8sBackoffLimitPerIndex an integer >= 0. Nothing was written or applied."),
        new(SynCodes.KubernetesNameInvalid, DiagnosticStage.Sharding, E, "Kubernetes name invalid",
            "The job name derived from the dataset name (SynthDatasetName, lower-cased, other characters than a-z, 0-9 and '-' replaced by '-') is empty, or SynthK8sNamespace or SynthK8sVolumeClaim is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit). Nothing was written or applied."),
        new(SynCodes.KubernetesPathInvalid, DiagnosticStage.Sharding, E, "Kubernetes pod path invalid",
            "SynthK8sMountPath, SynthK8sProject and SynthK8sOutputDir are paths inside the pod: they must be absolute POSIX paths, and the output folder must lie under the mount path, on the volume every pod shares (otherwise each pod would write its shard where the merge cannot see it). Nothing was written or applied."),
        new(SynCodes.KubernetesTimeoutInvalid, DiagnosticStage.Sharding, E, "Kubernetes wait timeout malformed",
            "SynthK8sWaitTimeout is not a duration such as 90s, 30m, 2h or 1h30m. Nothing was written or applied."),
        new(SynCodes.KubernetesCommandFailed, DiagnosticStage.Sharding, E, "kubectl failed",
            "A kubectl command (apply, or get while following a job) exited with an error, for example because no cluster is reachable with the current kubeconfig or the namespace does not exist. The message quotes kubectl. The manifests stay under obj/synth-submit/ to apply by hand."),
        new(SynCodes.KubernetesJobFailed, DiagnosticStage.Sharding, E, "Kubernetes job failed",
            "The shard job or the merge job reached its Failed condition (a shard index exhausted SynthK8sBackoffLimitPerIndex, or the merge pod failed). The message names the job and the condition's reason; `kubectl logs job/NAME` shows the build log. A failed shard resumes when it runs again."),
        new(SynCodes.KubernetesJobTimedOut, DiagnosticStage.Sharding, E, "Kubernetes job did not finish in time",
            "The shard job or the merge job was neither complete nor failed after SynthK8sWaitTimeout. The job keeps running in the cluster; follow it with kubectl, then apply the merge manifest."),
    ];
}
