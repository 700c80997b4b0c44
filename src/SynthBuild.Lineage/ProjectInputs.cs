using System.Text.Json;

namespace SynthBuild.Lineage;

/// <summary>
/// The files a dataset project is made of, for the "modified inputs" check of git provenance: the project file, the
/// config, the files and folders the config references (mesh categories' OBJ files, image folders) and the project's
/// extra <c>SynthInput</c> items (textures, ...).
/// </summary>
public static class ProjectInputs
{
    /// <summary>Config keys whose string values name a file or folder relative to the config.</summary>
    private static readonly string[] PathKeys = ["file", "folder", "directory", "path", "images"];

    /// <summary>
    /// Files and folders the config references (e.g. <c>categories[].file</c>) that exist, as full paths. Read from the
    /// config text itself: the loaded spec keeps only file names and content hashes, which is all generation needs.
    /// A config that cannot be read adds nothing (the build reports it).
    /// </summary>
    public static IReadOnlyList<string> FromConfig(string configFile)
    {
        var found = new List<string>();
        if (!File.Exists(configFile)) return found;
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(configFile))!;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(configFile),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            Walk(doc.RootElement, null);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return [];
        }
        return found.Distinct(StringComparer.Ordinal).ToList();

        void Walk(JsonElement e, string? key)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Walk(p.Value, p.Name);
                    break;
                case JsonValueKind.Array:
                    foreach (var x in e.EnumerateArray()) Walk(x, key);
                    break;
                case JsonValueKind.String when key is not null && PathKeys.Contains(key, StringComparer.OrdinalIgnoreCase):
                    string value = e.GetString()!;
                    if (value.Length == 0 || value.IndexOfAny(Path.GetInvalidPathChars()) >= 0) break;
                    string full = Path.GetFullPath(Path.Combine(baseDir, value));
                    if (File.Exists(full) || Directory.Exists(full)) found.Add(full);
                    break;
            }
        }
    }

    /// <summary>Project file, config, what the config references, and <paramref name="extra"/>.</summary>
    public static IReadOnlyList<string> Collect(string projectFile, string? configFile, IEnumerable<string> extra)
    {
        var inputs = new List<string> { projectFile };
        if (!string.IsNullOrEmpty(configFile))
        {
            inputs.Add(configFile);
            inputs.AddRange(FromConfig(configFile));
        }
        inputs.AddRange(extra.Where(e => !string.IsNullOrEmpty(e)));
        return inputs.Distinct(StringComparer.Ordinal).ToList();
    }
}
