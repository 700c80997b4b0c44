using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Sharding;

/// <param name="Manifest">The merged manifest; null when the merge failed (then nothing was written).</param>
/// <param name="Changed">Samples whose entry differs from the manifest.json the folder had before (all, the first time).</param>
/// <param name="Removed">Samples of an earlier, larger dataset removed from the folder (as a build removes them).</param>
/// <param name="Shards">The shards merged, in shard order; empty when the merge failed.</param>
public sealed record MergeResult(Manifest? Manifest, int Changed, int Removed, IReadOnlyList<MergedShard> Shards, long VerifiedBytes,
    TimeSpan Elapsed, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Manifest is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>One shard a merge took in, as the lineage record lists it.</summary>
/// <param name="Range">The shard's index, shard count and sample range [Start, End).</param>
/// <param name="Manifest">Its shard manifest, relative to the dataset folder ("shards/shard-0001-of-0003.json").</param>
/// <param name="Sha256">The SHA-256 of the shard manifest file's bytes the merge checked (lowercase hex).</param>
public sealed record MergedShard(ShardRange Range, string Manifest, string Sha256);

/// <summary>
/// Turns the shard manifests of a dataset folder into the dataset a single build would have written. It checks that
/// shards 0..N-1 are all there, each complete, each covering exactly its <see cref="ShardPartition"/> range with the
/// config's fingerprint, seed and the running engine version, then verifies every listed file's hash (in parallel:
/// it is I/O bound), and only then writes manifest.json and dataset.json with the builder's own writer
/// (<see cref="DatasetBuilder.WriteDataset"/>), so the bytes equal a single build's. Any failed check is reported
/// with the shard file it concerns, and the folder is left exactly as it was.
/// </summary>
public static partial class ShardMerger
{
    [GeneratedRegex(@"^shard-(\d+)-of-(\d+)\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex ShardFileName();

    /// <param name="lockTimeout">Wait for a build holding the folder's lock; null: <see cref="DatasetLock.DefaultTimeout"/>.</param>
    public static MergeResult Merge(DatasetSpec spec, string outputDirectory, int shards, int threads = 0, CancellationToken cancellation = default,
        TimeSpan? lockTimeout = null, UnlistedFilePolicy unlisted = UnlistedFilePolicy.Remove)
    {
        var clock = Stopwatch.StartNew();
        string root = Path.GetFullPath(outputDirectory);
        var notes = new List<Diagnostic>();
        DatasetLock held;
        try
        {
            held = DatasetLock.Acquire(DatasetLock.PathFor(root), "merge", lockTimeout ?? DatasetLock.DefaultTimeout, notes.Add, cancellation);
        }
        catch (DiagnosticException ex) { return new(null, 0, 0, [], 0, clock.Elapsed, [ex.Diagnostic]); }
        using (held)
        {
            try
            {
                var result = MergeLocked(spec, root, shards, threads, cancellation, unlisted, clock);
                return result with { Diagnostics = [.. notes, .. result.Diagnostics] };
            }
            catch (DatasetWriteException ex)
            {
                return new(null, 0, 0, [], 0, clock.Elapsed, [.. notes, Diagnostic.Error(SynCodes.WriteFailed, ex.Message, ex.Path)]);
            }
        }
    }

    private static MergeResult MergeLocked(DatasetSpec spec, string root, int shards, int threads, CancellationToken cancellation, UnlistedFilePolicy unlisted, Stopwatch clock)
    {
        var errors = new List<Diagnostic>();
        MergeResult Fail() => new(null, 0, 0, [], 0, clock.Elapsed, errors);

        string folder = Path.Combine(root, ShardManifest.Folder);
        var present = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder).Select(Path.GetFileName).Select(n => ShardFileName().Match(n!)).Where(m => m.Success).ToList()
            : [];
        var counts = present.Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        if (!counts.Contains(shards) && counts.Count > 0)
        {
            string example = Path.Combine(folder, present.Select(m => m.Value).Order(StringComparer.Ordinal).First());
            errors.Add(Diagnostic.Error(SynCodes.ShardCountMismatch,
                $"SynthShards={shards}, but the shard manifests in {folder} are of {string.Join(", ", counts)} shard(s) (e.g. {Path.GetFileName(example)}). " +
                "Pass the shard count the shards were built with.", example));
            return Fail();
        }

        string specHash = SpecFingerprint.Hash(spec);
        var entries = new ManifestSample?[spec.Samples];
        var owner = new string?[spec.Samples];
        var byRecordedIndex = new Dictionary<int, string>();
        var loaded = new List<(string Path, ShardManifest Shard)>(shards);
        var merged = new List<MergedShard>(shards);
        for (int i = 0; i < shards; i++)
        {
            string path = ShardManifest.PathFor(root, i, shards);
            ShardManifest? m = ShardManifest.TryRead(path, out string? problem, out string sha256);
            if (m is null)
            {
                errors.Add(problem is null
                    ? Diagnostic.Error(SynCodes.ShardMissing, $"Shard {i} of {shards} is missing: no shard manifest at {path}. Build it (SynthShard={i}/{shards}), then merge again.", path)
                    : Diagnostic.Error(SynCodes.ShardCorrupt, $"The shard manifest is unreadable ({problem}). Rebuild shard {i} of {shards}.", path));
                continue;
            }
            if (Check(m, i, path)) merged.Add(new MergedShard(m.Range, Path.GetRelativePath(root, path).Replace('\\', '/'), sha256));
        }
        if (errors.Count > 0) return Fail();

        bool Check(ShardManifest m, int i, string path)
        {
            if (m.Engine != EngineInfo.Version || m.SpecHash != specHash || m.DatasetSamples != spec.Samples)
            {
                errors.Add(Diagnostic.Error(SynCodes.ShardStale,
                    $"The shard was built from another config or engine (spec {m.SpecHash[..Math.Min(12, m.SpecHash.Length)]}, {m.DatasetSamples} samples, {m.Engine}); " +
                    $"this project is spec {specHash[..12]}, {spec.Samples} samples, {EngineInfo.Version}. Rebuild shard {i} of {shards}.", path));
                return false;
            }
            if (byRecordedIndex.TryGetValue(m.Range.Index, out string? first) || m.Range.Count != shards)
            {
                errors.Add(Diagnostic.Error(SynCodes.ShardDuplicated,
                    $"The manifest records shard {m.Range.Index} of {m.Range.Count}" +
                    (first is null ? $", not shard {i} of {shards} as its name says" : $", as {first} does") +
                    $" (a copied or renamed shard manifest). Rebuild shard {i} of {shards}.", path));
                return false;
            }
            byRecordedIndex[m.Range.Index] = path;
            ShardRange expected = ShardPartition.Range(i, shards, spec.Samples);
            if (m.Range != expected)
            {
                errors.Add(Diagnostic.Error(SynCodes.ShardOverlap,
                    $"The shard covers samples [{m.Range.Start}, {m.Range.End}), but shard {i} of {shards} owns [{expected.Start}, {expected.End}): " +
                    $"its range overlaps another shard's or leaves a gap. Rebuild shard {i} of {shards}.", path));
                return false;
            }
            foreach (var s in m.Samples)
            {
                if (s.Index < expected.Start || s.Index >= expected.End)
                {
                    errors.Add(Diagnostic.Error(SynCodes.ShardOverlap,
                        $"The shard lists sample {s.Index}, outside its range [{expected.Start}, {expected.End}). Rebuild shard {i} of {shards}.", path));
                    return false;
                }
                if (owner[s.Index] is not null)
                {
                    errors.Add(Diagnostic.Error(SynCodes.ShardDuplicated,
                        $"The shard lists sample {s.Index} twice. Rebuild shard {i} of {shards}.", path));
                    return false;
                }
                if (s.Key != DatasetBuilder.SampleKey(specHash, spec.Seed, s.Index))
                {
                    errors.Add(Diagnostic.Error(SynCodes.ShardStale,
                        $"Sample {s.Index}'s input key differs from this project's (another seed or config). Rebuild shard {i} of {shards}.", path));
                    return false;
                }
                owner[s.Index] = path;
                entries[s.Index] = s;
            }
            if (!m.Complete)
            {
                errors.Add(Diagnostic.Error(SynCodes.ShardIncomplete,
                    $"The shard lists {m.Samples.Count} of its {expected.End - expected.Start} samples: it did not finish. Run shard {i} of {shards} again (it resumes), then merge.", path));
                return false;
            }
            loaded.Add((path, m));
            return true;
        }

        // Every file, every shard, in parallel; one diagnostic per damaged shard naming its first damaged file.
        var damaged = new ConcurrentDictionary<string, (long Index, ManifestFile File)>();
        long verifiedBytes = 0;
        var work = loaded.SelectMany(l => l.Shard.Samples.Select(s => (l.Path, Sample: s))).ToArray();
        try
        {
            Parallel.For(0, work.Length, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = cancellation }, k =>
            {
                var (path, sample) = work[k];
                if (DatasetWriter.FirstDamagedFile(root, sample) is { } bad)
                    damaged.AddOrUpdate(path, (sample.Index, bad), (_, prev) => prev.Index <= sample.Index ? prev : (sample.Index, bad));
                else
                    Interlocked.Add(ref verifiedBytes, sample.Files.Sum(f => f.Size));
            });
        }
        catch (OperationCanceledException)
        {
            errors.Add(Diagnostic.Error(SynCodes.GenerationFailed, "The merge was cancelled; nothing was written.", root));
            return Fail();
        }
        foreach (var (path, (index, file)) in damaged.OrderBy(d => d.Key, StringComparer.Ordinal))
            errors.Add(Diagnostic.Error(SynCodes.ShardCorrupt,
                $"{file.Path} (sample {index}) is missing or differs from the hash the shard recorded. Rebuild the shard (it regenerates what is damaged), then merge.", path));
        if (errors.Count > 0) return Fail();

        // All checks passed: from here on the folder becomes the dataset a single build writes.
        Manifest? old = Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _);
        var oldByIndex = (old?.Samples ?? []).ToDictionary(s => s.Index);
        int changed = 0;
        foreach (var e in entries)
            if (!oldByIndex.TryGetValue(e!.Index, out var prev) || prev.Key != e.Key || !prev.Files.SequenceEqual(e.Files)) changed++;
        AtomicFile.RemoveLeftovers(root); // temporary files of killed shards
        var notes = new List<Diagnostic>();
        var (manifest, removed) = DatasetBuilder.WriteDataset(root, spec, specHash, old, entries, unlisted, notes.Add);
        return new MergeResult(manifest, changed, removed, merged, verifiedBytes, clock.Elapsed, notes);
    }
}
