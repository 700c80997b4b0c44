using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

public sealed record ExportResult(
    IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> Written, IReadOnlyList<string> UpToDate, TimeSpan Elapsed)
{
    public bool Succeeded => !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Writes the selected exports of a built dataset into <c>exportRoot/&lt;format&gt;/</c>. Each export is a stage of
/// its own: its stamp (<see cref="StampFile"/>) holds a hash of the dataset digest, seed, split fractions and the
/// export's options, and an export whose stamp matches is left alone (nothing is rewritten). An export is written
/// into a staging folder and swapped in only when complete, so a failed export leaves the previous one intact.
/// The dataset is read once for all exports: samples are prepared in parallel in bounded batches (memory does not
/// grow with the dataset) and handed to the writers in order.
/// </summary>
public static class DatasetExporter
{
    public const string StampFile = DatasetLayout.ExportStampFile;
    /// <summary>Bump when an exporter's output changes for the same inputs.</summary>
    public const string ExporterVersion = "export-1";

    public static ExportResult Run(string datasetRoot, string exportRoot, IReadOnlyList<ExportRequest> requests,
        int threads = 0, string? declaredIn = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var diagnostics = new List<Diagnostic>();
        var written = new List<string>();
        var upToDate = new List<string>();
        ExportResult Done() => new(diagnostics, written, upToDate, clock.Elapsed);

        DatasetReader reader;
        try { reader = DatasetReader.Open(datasetRoot); }
        catch (DiagnosticException e) { diagnostics.Add(e.Diagnostic); return Done(); }

        exportRoot = Path.GetFullPath(exportRoot);
        // A build killed mid-swap leaves these even when every export is current again; the caller holds the lock.
        try { RemoveSwapLeftovers(exportRoot); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(Diagnostic.Error(SynCodes.ExportWriteFailed, $"Cannot remove a killed export's leftovers: {e.Message}", exportRoot));
            return Done();
        }
        var pending = new List<(ExportRequest Request, string Key)>();
        foreach (var r in requests)
        {
            string key = StampKey(reader, r, exportRoot);
            string stamp = Path.Combine(exportRoot, r.Name, StampFile);
            if (File.Exists(stamp) && File.ReadAllText(stamp) == key) upToDate.Add(r.Name);
            else pending.Add((r, key));
        }
        if (pending.Count == 0) return Done();

        // Checks that need no writing come first: a failing one leaves every export as it was.
        var info = reader.Info;
        foreach (var (r, _) in pending)
            if (r.Format == ExportFormat.TfRecord
                && TfRecordExportWriter.CheckImageSize(info.Width, info.Height, MaxObjects(reader), r.Flag("Masks"), r.Flag("Depth"), declaredIn) is { } d)
                diagnostics.Add(d);
        if (diagnostics.Count > 0) return Done();

        var splitIndices = ExportContext.Splits.ToDictionary(s => s, s => (IReadOnlyList<long>)reader.Indices.Where(i => reader.SplitOf(i) == s).ToList());
        var writers = new List<(ExportRequest Request, string Key, string Staging, IExportWriter Writer)>();
        Task writing = Task.CompletedTask;
        try
        {
            try
            {
                Directory.CreateDirectory(exportRoot);
                foreach (var (r, key) in pending)
                {
                    string staging = Path.Combine(exportRoot, "." + r.Name + ".staging");
                    if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
                    Directory.CreateDirectory(staging);
                    var ctx = new ExportContext(reader, r, staging, splitIndices);
                    writers.Add((r, key, staging, Create(ctx)));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                diagnostics.Add(Diagnostic.Error(SynCodes.ExportWriteFailed, $"Cannot write the exports: {e.Message} (expected a writable folder at '{exportRoot}').", exportRoot));
                return Done();
            }

            var needs = NeedsOf(pending.Select(p => p.Request).ToList());
            int parallelism = threads > 0 ? threads : Environment.ProcessorCount;
            int batch = Math.Max(4, 2 * parallelism);
            var ordered = ExportContext.Splits.SelectMany(s => splitIndices[s]).ToArray();
            // Two batches in flight: one is written (in order, one thread) while the next is prepared (in parallel),
            // so reading/decoding overlaps writing; memory holds at most two batches.
            var buffers = new[] { new PreparedSample[batch], new PreparedSample[batch] };
            int current = 0;
            for (int start = 0; start < ordered.Length; start += batch)
            {
                cancel.ThrowIfCancellationRequested();
                int n = Math.Min(batch, ordered.Length - start), first = start;
                var prepared = buffers[current];
                Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancel },
                    i => prepared[i] = PreparedSample.Prepare(reader, ordered[first + i], needs));
                writing.Wait(cancel);
                writing = Task.Run(() =>
                {
                    for (int i = 0; i < n; i++)
                        foreach (var w in writers) w.Writer.Write(prepared[i]);
                    Array.Clear(prepared);
                }, cancel);
                current ^= 1;
            }
            writing.Wait(cancel);

            foreach (var (r, key, staging, writer) in writers)
            {
                writer.Complete();
                writer.Dispose();
                File.WriteAllText(Path.Combine(staging, StampFile), key);
                Swap(staging, Path.Combine(exportRoot, r.Name));
                written.Add(r.Name);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Exception inner = e is AggregateException a ? a.Flatten().InnerExceptions[0] : e;
            diagnostics.Add(inner is DiagnosticException de ? de.Diagnostic
                : Diagnostic.Error(SynCodes.ExportWriteFailed, $"Export failed: {inner.Message}. The previous exports are left as they were.", exportRoot));
        }
        finally
        {
            // A failed batch must not race the writer still busy with the previous one.
            try { writing.Wait(); } catch (Exception) { }
            foreach (var (r, _, staging, writer) in writers)
            {
                writer.Dispose();
                if (!written.Contains(r.Name))
                    try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); } catch (IOException) { }
            }
        }
        return Done();
    }

    private static IExportWriter Create(ExportContext ctx) => ctx.Request.Format switch
    {
        ExportFormat.Coco => new CocoWriter(ctx),
        ExportFormat.Yolo => new YoloWriter(ctx, segmentation: false),
        ExportFormat.YoloSeg => new YoloWriter(ctx, segmentation: true),
        ExportFormat.TfRecord => new TfRecordExportWriter(ctx),
        ExportFormat.NumPy => new NumpyWriter(ctx),
        ExportFormat.Onnx => new OnnxInputsWriter(ctx),
        _ => throw new ArgumentOutOfRangeException(nameof(ctx)),
    };

    internal static SampleNeeds NeedsOf(IReadOnlyList<ExportRequest> rs)
    {
        bool Has(ExportFormat f, Func<ExportRequest, bool>? and = null) => rs.Any(r => r.Format == f && (and is null || and(r)));
        bool cocoPolygons = Has(ExportFormat.Coco, r => r.Get("Segmentation") == "polygons");
        bool cocoRle = Has(ExportFormat.Coco, r => r.Get("Segmentation") == "rle");
        bool tfMasks = Has(ExportFormat.TfRecord, r => r.Flag("Masks"));
        bool npMasks = Has(ExportFormat.NumPy, r => r.Flag("Masks"));
        return new SampleNeeds(
            Rgb: Has(ExportFormat.NumPy),
            RgbPng: Has(ExportFormat.TfRecord),
            Depth: Has(ExportFormat.NumPy, r => r.Flag("Depth")),
            DepthPng: Has(ExportFormat.TfRecord, r => r.Flag("Depth")),
            Segmentation: cocoPolygons || cocoRle || tfMasks || npMasks || Has(ExportFormat.YoloSeg),
            Rle: cocoRle,
            Polygons: cocoPolygons,
            SinglePolygon: Has(ExportFormat.YoloSeg),
            MaskPng: tfMasks);
    }

    /// <summary>Staging folders and swapped-out exports (<see cref="Swap"/>) that a killed build left in <paramref name="exportRoot"/>.</summary>
    internal static void RemoveSwapLeftovers(string exportRoot)
    {
        if (!Directory.Exists(exportRoot)) return;
        foreach (string dir in Directory.EnumerateDirectories(exportRoot))
        {
            string name = Path.GetFileName(dir);
            if (name.EndsWith(".old" + AtomicFile.TempSuffix, StringComparison.Ordinal)
                || (name.StartsWith('.') && name.EndsWith(".staging", StringComparison.Ordinal)))
                Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Replaces <paramref name="target"/> by <paramref name="staging"/>; the old folder goes only after the new one is in place.</summary>
    private static void Swap(string staging, string target)
    {
        string old = target + ".old" + AtomicFile.TempSuffix;
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(target)) Directory.Move(target, old);
        Directory.Move(staging, target);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    private static int MaxObjects(DatasetReader reader)
    {
        // The config's objectsPerScene.max is not in dataset.json; the annotations say how many there are.
        int max = 0;
        foreach (long i in reader.Indices.Take(64)) max = Math.Max(max, reader.ReadAnnotation(i).Objects.Count);
        return Math.Max(max, 1);
    }

    /// <summary>What decides an export's content: the dataset, how it is split, the options, and for YOLO the folder (data.yaml names it).</summary>
    internal static string StampKey(DatasetReader reader, ExportRequest r, string exportRoot)
    {
        var info = reader.Info;
        string text = string.Join("\n", ExporterVersion, info.Digest, info.Seed.ToString(CultureInfo.InvariantCulture),
            info.Splits.Train.ToString("R", CultureInfo.InvariantCulture), info.Splits.Val.ToString("R", CultureInfo.InvariantCulture),
            info.Splits.Test.ToString("R", CultureInfo.InvariantCulture), r.Canonical,
            r.Format is ExportFormat.Yolo or ExportFormat.YoloSeg ? Path.Combine(exportRoot, r.Name) : "");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
    }
}
