using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Quality;

/// <summary>What the analysis depends on besides the dataset itself. Part of the analysis key.</summary>
public sealed record QualitySettings(
    int NearDuplicateMaxDistance = QualitySettings.DefaultNearDuplicateMaxDistance,
    int HeatmapColumns = 32,
    int HeatmapRows = 24,
    int ContactSheetSamples = 12,
    int Threads = 0)
{
    /// <summary>Of <see cref="PerceptualHash.Bits"/> bits: about 3% of the hash, tight enough that two different
    /// table scenes rarely match and loose enough to catch re-encoded or lightly noised copies.</summary>
    public const int DefaultNearDuplicateMaxDistance = 8;

    /// <summary>Hash over the dataset digest and every setting that changes the report's content
    /// (not <see cref="Threads"/>: the result is the same for any thread count).</summary>
    public string AnalysisKey(DatasetInfo info)
    {
        string text = string.Join("\n",
            "quality-schema=" + QualityReport.CurrentSchemaVersion.ToString(CultureInfo.InvariantCulture),
            "engine=" + EngineInfo.Version,
            "digest=" + info.Digest,
            "splits=" + FormattableString.Invariant($"{info.Splits.Train},{info.Splits.Val},{info.Splits.Test}"),
            "categories=" + string.Join(",", info.Categories.Select(c => c.Id.ToString(CultureInfo.InvariantCulture) + ":" + c.Name)),
            FormattableString.Invariant($"nearDuplicateMaxDistance={NearDuplicateMaxDistance}"),
            FormattableString.Invariant($"heatmap={HeatmapColumns}x{HeatmapRows}"),
            FormattableString.Invariant($"contactSheet={ContactSheetSamples}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
