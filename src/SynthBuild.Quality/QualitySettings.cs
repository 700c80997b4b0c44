using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SynthBuild.Core.Labels;
using SynthBuild.Core;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

/// <summary>What the analysis depends on besides the dataset itself. Part of the analysis key.</summary>
public sealed record QualitySettings(
    int NearDuplicateMaxDistance = QualitySettings.DefaultNearDuplicateMaxDistance,
    int HeatmapColumns = 32,
    int HeatmapRows = 24,
    int ContactSheetSamples = 12,
    int Threads = 0,
    int AuditSamples = QualitySettings.DefaultAuditSamples)
{
    /// <summary>Samples whose PNGs are decoded to audit the stored statistics and labels; <see cref="AuditAll"/>
    /// (<c>-p:SynthQualityAudit=all</c>) decodes every sample.</summary>
    public const int DefaultAuditSamples = 100, AuditAll = int.MaxValue;

    /// <summary>"all" or a non-negative count.</summary>
    public static bool TryParseAudit(string? text, out int samples)
    {
        samples = DefaultAuditSamples;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (string.Equals(text.Trim(), "all", StringComparison.OrdinalIgnoreCase)) { samples = AuditAll; return true; }
        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out samples);
    }

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
            FormattableString.Invariant($"contactSheet={ContactSheetSamples}"),
            FormattableString.Invariant($"audit={Math.Min(AuditSamples, info.Samples)}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
