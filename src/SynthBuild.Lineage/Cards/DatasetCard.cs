using System.Text;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage.Cards;

/// <summary>What the card stage needs besides the built dataset: the config and the project's card properties.</summary>
public sealed record DatasetCardRequest(
    string DatasetRoot,
    string ProjectFile,
    DatasetSpec Spec,
    string? License = null,
    string? Description = null,
    string? Version = null,
    string? Url = null,
    IReadOnlyList<string>? CreatorList = null)
{
    public IReadOnlyList<string> Creators => CreatorList ?? [];
}

/// <summary>The card files as written (null when the stage failed), which of them changed, and the diagnostics.</summary>
public sealed record DatasetCardResult(string? Readme, string? Croissant, int FilesChanged, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Readme is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// The dataset card stage: after export, analysis and lineage, writes README.md (Hugging Face card) and croissant.json
/// (MLCommons Croissant 1.0) into the dataset folder. They describe the dataset and are not part of it: the manifest and
/// the digest never list them. Files are rewritten only when their bytes change, so an unchanged rebuild touches nothing;
/// a failure leaves the previous card as it was.
/// </summary>
public static class DatasetCard
{
    public const string ReadmeFile = "README.md";
    public const string CroissantFile = "croissant.json";

    public static DatasetCardResult Write(DatasetCardRequest req)
    {
        DatasetLicense license = DatasetLicense.Parse(req.License, req.ProjectFile, out Diagnostic? bad);
        if (bad is not null) return Failed(bad);

        DatasetReader reader;
        try { reader = DatasetReader.Open(req.DatasetRoot); }
        catch (DiagnosticException ex) { return Failed(Diagnostic.Error(SynCodes.DatasetCardFailed, $"No dataset card: {ex.Diagnostic.Message}", ex.Diagnostic.File)); }

        string readme = Path.Combine(reader.Root, ReadmeFile), croissant = Path.Combine(reader.Root, CroissantFile);
        if (File.Exists(readme) && !IsOurs(readme))
            return Failed(Diagnostic.Error(SynCodes.DatasetCardFailed,
                $"The dataset folder already holds a README.md that is not a SynthBuild dataset card (no '{HuggingFaceCard.Marker[..30]}...' line); it is left alone: move it, or point SynthOutputDir at a folder of its own.", readme));

        CardFacts facts;
        try { facts = CardFacts.Gather(reader, req, license); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            return Failed(Diagnostic.Error(SynCodes.DatasetCardFailed, $"No dataset card: an input could not be read ({ex.Message}).", reader.Root));
        }
        catch (DiagnosticException ex) { return Failed(ex.Diagnostic); }

        byte[] readmeBytes = Encoding.UTF8.GetBytes(HuggingFaceCard.Render(facts));
        byte[] croissantBytes = Encoding.UTF8.GetBytes(CroissantCard.Render(facts));
        try
        {
            int changed = (AtomicFile.WriteIfChanged(readme, readmeBytes) ? 1 : 0) + (AtomicFile.WriteIfChanged(croissant, croissantBytes) ? 1 : 0);
            return new DatasetCardResult(readme, croissant, changed, []);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Failed(Diagnostic.Error(SynCodes.DatasetCardFailed, $"The dataset card could not be written: {ex.Message}", reader.Root));
        }
    }

    /// <summary>Removes the card files this stage wrote (a README.md without the card's marker is not ours and stays).</summary>
    public static int Clean(string datasetRoot)
    {
        int removed = 0;
        string readme = Path.Combine(datasetRoot, ReadmeFile), croissant = Path.Combine(datasetRoot, CroissantFile);
        if (File.Exists(readme) && IsOurs(readme)) { File.Delete(readme); removed++; }
        if (File.Exists(croissant)) { File.Delete(croissant); removed++; }
        return removed;
    }

    private static bool IsOurs(string readme)
    {
        foreach (string line in File.ReadLines(readme))
            if (line == HuggingFaceCard.Marker) return true;
        return false;
    }

    private static DatasetCardResult Failed(Diagnostic d) => new(null, null, 0, [d]);
}
