using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

/// <summary>
/// One export format. <see cref="Write"/> receives the samples split by split (train, val, test), each split in
/// index order, on one thread; everything heavy per sample was done before, in parallel, by
/// <see cref="PreparedSample.Prepare"/>.
/// </summary>
internal interface IExportWriter : IDisposable
{
    void Write(PreparedSample sample);
    /// <summary>Completes the files; not called when the export fails.</summary>
    void Complete();
}

/// <summary>What every writer knows about the export it belongs to.</summary>
internal sealed record ExportContext(DatasetReader Reader, ExportRequest Request, string Folder,
    IReadOnlyDictionary<Split, IReadOnlyList<long>> SplitIndices)
{
    public static readonly Split[] Splits = [Split.Train, Split.Val, Split.Test];
}
