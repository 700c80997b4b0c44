using System.Security.Cryptography;
using System.Text;
using SynthBuild.Core;

namespace SynthBuild.Augmentation;

/// <summary>
/// The config's "augmentation" section: <see cref="Variants"/> augmented copies per training sample in the offline
/// stage, the label filter, and the ordered pipeline. Not part of the base dataset's spec fingerprint: it changes
/// no base sample.
/// </summary>
/// <param name="MinVisibility">Objects whose visibility after augmentation is below this are dropped
/// (<paramref name="DropBelow"/>) or listed as low-visibility in the sample's augmentation record.</param>
public sealed record AugmentationSpec(int Variants, double MinVisibility, bool DropBelow, IReadOnlyList<AugmentTransform> Pipeline)
{
    public static class Defaults
    {
        public const int Variants = 1;
        public const double MinVisibility = 0;
        public const bool DropBelow = true;
    }

    /// <summary>Everything that determines an augmented sample besides its source and seed, one line per item.</summary>
    public string Canonical()
    {
        var sb = new StringBuilder();
        sb.Append("minVisibility=").Append(MinVisibility.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
          .Append("|dropBelow=").Append(DropBelow ? "true" : "false").Append('\n');
        foreach (var t in Pipeline) sb.Append(t.Canonical).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// Version of the augmentation algorithms (warping, labels, annotation fields). Part of every variant's key: bump it
    /// when augmented bytes change, so derived datasets are rebuilt without regenerating the base samples
    /// (which <see cref="EngineInfo.Version"/> would).
    /// </summary>
    public const string AlgorithmVersion = "augment/2";

    /// <summary>SHA-256 (hex) of the canonical form plus the engine and augmentation versions.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EngineInfo.Version + "\n" + AlgorithmVersion + "\n" + Canonical())));
}
