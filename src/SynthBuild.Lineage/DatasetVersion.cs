using System.Text.RegularExpressions;
using System.Xml;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Lineage;

/// <summary>A dataset's release version: semantic versioning 2.0.0 (MAJOR.MINOR.PATCH[-pre][+build]).</summary>
public static partial class DatasetVersion
{
    // The official semver.org regular expression.
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVer();

    public static bool IsValid(string? version) => version is not null && SemVer().IsMatch(version);

    /// <summary>
    /// SYN6010 when <paramref name="version"/> is not semver, positioned at the project's &lt;DatasetVersion&gt; line
    /// when the project file declares it there; null when valid.
    /// </summary>
    public static Diagnostic? Validate(string? version, string projectFile)
    {
        if (IsValid(version)) return null;
        var (line, column) = FindElement(projectFile, "DatasetVersion");
        string found = string.IsNullOrEmpty(version) ? "nothing (set <DatasetVersion> in the project or -p:DatasetVersion=)" : $"'{version}'";
        return Diagnostic.Error(SynCodes.BadDatasetVersion,
            $"DatasetVersion must be a semantic version MAJOR.MINOR.PATCH[-prerelease][+build] such as 1.2.0; found {found}.",
            projectFile, line, column);
    }

    /// <summary>1-based position of the last &lt;name&gt; element in an MSBuild project (the one that wins), or (0, 0).</summary>
    public static (int Line, int Column) FindElement(string projectFile, string name)
    {
        if (!File.Exists(projectFile)) return (0, 0);
        try
        {
            using var reader = XmlReader.Create(projectFile, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            var info = (IXmlLineInfo)reader;
            (int, int) found = (0, 0);
            while (reader.Read())
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == name)
                    found = (info.LineNumber, info.LinePosition - 1); // LinePosition is the name, one past the "<"
            return found;
        }
        catch (XmlException)
        {
            return (0, 0);
        }
    }
}
