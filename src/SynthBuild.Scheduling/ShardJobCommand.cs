namespace SynthBuild.Scheduling;

/// <summary>
/// The command lines a job engine runs: one shard build (its index read from the engine's array variable through
/// SynthShard=auto/N) and the merge. Every scheduler uses these, so a Slurm task, a Kubernetes pod and a CI matrix
/// leg run the same build.
/// </summary>
public static class ShardJobCommand
{
    /// <summary>`dotnet build P -p:SynthShard=auto/N …`: the shard whose index the engine sets.</summary>
    public static IReadOnlyList<string> Shard(SubmitRequest request) =>
        Build(request, $"-p:SynthShard=auto/{request.Shards}");

    /// <summary>`dotnet build P -t:SynthMerge -p:SynthShards=N …`: checks and merges the shards, then runs the
    /// stages a build runs after generation.</summary>
    public static IReadOnlyList<string> Merge(SubmitRequest request) =>
        Build(request, "-t:SynthMerge", $"-p:SynthShards={request.Shards}");

    private static List<string> Build(SubmitRequest request, params string[] target)
    {
        // --no-restore: the submitting build restored the project; N tasks restoring one obj/ at once would race.
        // -nodeReuse:false: MSBuild nodes left alive would outlive the job inside its allocation.
        // BuildProjectReferences=false: in the repository's dev mode the project references the task project, which the
        // submitting build has just built; N concurrent builds of it would race on its obj/ and bin/.
        var args = new List<string> { request.Dotnet, "build", request.ProjectFile, "--no-restore", "-nologo", "-nodeReuse:false",
            "-p:BuildProjectReferences=false" };
        args.AddRange(target);
        args.Add($"-p:SynthOutputDir={request.OutputDirectory}");
        foreach (var (name, value) in request.BuildProperties)
            args.Add($"-p:{name}={value}");
        return args;
    }

    /// <summary>Quotes an argument for a POSIX shell (job scripts).</summary>
    public static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The command as one POSIX shell line.</summary>
    public static string ShellLine(IEnumerable<string> args) => string.Join(' ', args.Select(ShellQuote));
}
