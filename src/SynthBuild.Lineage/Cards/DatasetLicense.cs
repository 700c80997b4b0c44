using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Lineage.Cards;

/// <summary>
/// A dataset's license as the cards state it: the Hugging Face id (front matter <c>license:</c>) and, where the license
/// has one, its SPDX page (Croissant's <c>license</c> is a URL).
/// </summary>
public sealed record DatasetLicense(string HubId, string? SpdxId)
{
    /// <summary>What the card says when the project sets no SynthLicense.</summary>
    public static readonly DatasetLicense Unknown = new("unknown", null);

    public string? Url => SpdxId is null ? null : $"https://spdx.org/licenses/{SpdxId}.html";

    // The licenses a dataset is commonly published under, by Hugging Face id, with the SPDX id of the same license.
    // 'other' (a license of the project's own, described in the prose) has no SPDX page.
    private static readonly DatasetLicense[] Known =
    [
        new("apache-2.0", "Apache-2.0"), new("mit", "MIT"), new("bsd-2-clause", "BSD-2-Clause"), new("bsd-3-clause", "BSD-3-Clause"),
        new("cc0-1.0", "CC0-1.0"), new("cc-by-4.0", "CC-BY-4.0"), new("cc-by-sa-4.0", "CC-BY-SA-4.0"), new("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        new("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"), new("cc-by-nd-4.0", "CC-BY-ND-4.0"), new("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
        new("cc-by-3.0", "CC-BY-3.0"), new("cc-by-sa-3.0", "CC-BY-SA-3.0"), new("odc-by", "ODC-By-1.0"), new("odbl", "ODbL-1.0"),
        new("pddl", "PDDL-1.0"), new("cdla-permissive-2.0", "CDLA-Permissive-2.0"), new("cdla-sharing-1.0", "CDLA-Sharing-1.0"),
        new("gpl-3.0", "GPL-3.0-only"), new("lgpl-3.0", "LGPL-3.0-only"), new("mpl-2.0", "MPL-2.0"), new("unlicense", "Unlicense"),
        new("other", null),
    ];

    public static IEnumerable<string> KnownIds => Known.Select(l => l.HubId);

    /// <summary>
    /// The license <paramref name="value"/> names (a Hugging Face id or the SPDX id, any case), <see cref="Unknown"/> when
    /// it is empty, or SYN6070 pointing at the property in <paramref name="projectFile"/>.
    /// </summary>
    public static DatasetLicense Parse(string? value, string projectFile, out Diagnostic? error)
    {
        error = null;
        string v = (value ?? "").Trim();
        if (v.Length == 0) return Unknown;
        foreach (var l in Known)
            if (string.Equals(v, l.HubId, StringComparison.OrdinalIgnoreCase) || string.Equals(v, l.SpdxId, StringComparison.OrdinalIgnoreCase))
                return l;
        var (line, column) = Locate(projectFile, "SynthLicense");
        error = Diagnostic.Error(SynCodes.InvalidDatasetLicense,
            $"SynthLicense: expected a license id the dataset card knows ({string.Join(", ", KnownIds)}), found '{v}'.", projectFile, line, column);
        return Unknown;
    }

    /// <summary>Line and column of the first &lt;<paramref name="property"/>&gt; element in the project file, or (0, 0).</summary>
    private static (int Line, int Column) Locate(string projectFile, string property)
    {
        try
        {
            string[] lines = File.ReadAllLines(projectFile);
            for (int i = 0; i < lines.Length; i++)
            {
                int at = lines[i].IndexOf("<" + property + ">", StringComparison.Ordinal);
                if (at >= 0) return (i + 1, at + 1);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException) { }
        return (0, 0);
    }
}
