using System.Xml;
using System.Xml.Linq;

namespace SynthBuild.Core.Diagnostics;

/// <summary>
/// Finds where a project file declares an item (e.g. <c>&lt;SynthGate Include="class-balance" /&gt;</c>), so a
/// diagnostic about the item can point at its line. MSBuild items do not carry positions themselves.
/// </summary>
public static class ProjectItemLocator
{
    /// <returns>1-based line and column of the element's "&lt;", or (0, 0) when not found.</returns>
    public static (int Line, int Column) Locate(string? projectFile, string itemType, string include)
    {
        if (string.IsNullOrEmpty(projectFile)) return (0, 0);
        try
        {
            XDocument doc = XDocument.Load(projectFile, LoadOptions.SetLineInfo);
            foreach (XElement e in doc.Descendants().Where(e => e.Name.LocalName == itemType))
            {
                string spec = (string?)e.Attribute("Include") ?? "";
                if (spec.Split(';').Any(p => string.Equals(p.Trim(), include.Trim(), StringComparison.OrdinalIgnoreCase)))
                {
                    var info = (IXmlLineInfo)e;
                    // LinePosition is the element name's column; the element starts one column earlier, at "<".
                    return info.HasLineInfo() ? (info.LineNumber, Math.Max(1, info.LinePosition - 1)) : (0, 0);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or XmlException or UnauthorizedAccessException) { }
        return (0, 0);
    }
}
