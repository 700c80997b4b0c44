namespace SynthBuild.Scheduling;

/// <summary>
/// A sharded build to hand to a job engine: which project, in how many shards, into which (shared) output folder,
/// and the build properties every shard and the merge must agree on (docs/sharding.md: they all see the same
/// project, config and overrides).
/// </summary>
/// <param name="ProjectFile">The dataset project, absolute.</param>
/// <param name="DatasetName">The dataset's name: job names and file names derive from it.</param>
/// <param name="Shards">N: the array has one task per shard, numbered 0..N-1.</param>
/// <param name="OutputDirectory">SynthOutputDir, absolute, with a trailing slash; on a cluster, a shared filesystem.</param>
/// <param name="WorkDirectory">Where the job scripts or manifests and the job logs go (under the project's obj/).</param>
/// <param name="BuildProperties">Global properties passed to every shard build and the merge (SynthSamples, SynthSeed,
/// SynthThreads, Configuration…), in a fixed order. SynthShard, SynthShards and SynthOutputDir are set by the command.</param>
public sealed record SubmitRequest(
    string ProjectFile,
    string DatasetName,
    int Shards,
    string OutputDirectory,
    string WorkDirectory,
    IReadOnlyList<KeyValuePair<string, string>> BuildProperties)
{
    /// <summary>The dotnet executable that runs the builds: the one running this build (MSBuild sets DOTNET_HOST_PATH),
    /// else `dotnet` on the job's PATH.</summary>
    public string Dotnet { get; init; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
