using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Core.Storage;
using YamlDotNet.Serialization;

namespace SynthBuild.Lineage.Tests;

/// <summary>
/// Reads a dataset card back the way its consumers do (YAML front matter, Croissant JSON-LD) and checks it against
/// the dataset on disk. Shared with the integration tests (linked there).
/// </summary>
public static class CardChecks
{
    /// <summary>The README.md's front matter, parsed by YamlDotNet into dictionaries and lists.</summary>
    public static Dictionary<object, object> FrontMatter(string readme)
    {
        string text = File.ReadAllText(readme);
        Assert.StartsWith("---\n", text);
        int end = text.IndexOf("\n---\n", 4, StringComparison.Ordinal);
        Assert.True(end > 0, "front matter is not closed by ---");
        var yaml = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(text[4..(end + 1)]);
        Assert.NotNull(yaml);
        return yaml;
    }

    public static List<string> Strings(Dictionary<object, object> map, string key) =>
        ((List<object>)map[key]).Select(o => (string)o).ToList();

    /// <summary>Split name → (num_examples, num_bytes) from dataset_info.</summary>
    public static Dictionary<string, (int Examples, long Bytes)> Splits(Dictionary<object, object> fm)
    {
        var info = (Dictionary<object, object>)fm["dataset_info"];
        return ((List<object>)info["splits"]).Cast<Dictionary<object, object>>().ToDictionary(
            s => (string)s["name"], s => (int.Parse((string)s["num_examples"]), long.Parse((string)s["num_bytes"])));
    }

    /// <summary>Split counts and bytes as the manifest and dataset.json give them.</summary>
    public static Dictionary<string, (int Examples, long Bytes)> ManifestSplits(string root)
    {
        var reader = DatasetReader.Open(root);
        return reader.Manifest.Samples.GroupBy(s => DatasetSplits.Name(reader.SplitOf(s.Index)))
            .ToDictionary(g => g.Key, g => (g.Count(), g.Sum(s => s.Files.Sum(f => f.Size))));
    }

    /// <summary>
    /// The Croissant 1.0 required dataset properties are there with the spec's values; every FileObject's sha256 and
    /// size are those of the file it names; every FileSet's glob matches files; every field's source points at an
    /// entry of the distribution. Returns the parsed document.
    /// </summary>
    public static JsonDocument CheckCroissant(string root)
    {
        var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "croissant.json")));
        JsonElement d = doc.RootElement;
        JsonElement ctx = d.GetProperty("@context");
        Assert.Equal("https://schema.org/", ctx.GetProperty("@vocab").GetString());
        Assert.Equal("http://mlcommons.org/croissant/", ctx.GetProperty("cr").GetString());
        Assert.Equal("dct:conformsTo", ctx.GetProperty("conformsTo").GetString());
        Assert.Equal("http://purl.org/dc/terms/", ctx.GetProperty("dct").GetString());
        foreach (string term in new[] { "recordSet", "field", "source", "extract", "fileObject", "fileSet", "includes", "jsonPath", "fileProperty", "key" })
            Assert.StartsWith("cr:", ctx.GetProperty(term).GetString());
        Assert.Equal("cr:dataType", ctx.GetProperty("dataType").GetProperty("@id").GetString());
        Assert.Equal("sc:Dataset", d.GetProperty("@type").GetString());
        Assert.Equal("http://mlcommons.org/croissant/1.0", d.GetProperty("conformsTo").GetString());
        foreach (string required in new[] { "name", "description", "license" })
            Assert.False(string.IsNullOrWhiteSpace(d.GetProperty(required).GetString()), required);

        var ids = new HashSet<string>();
        int fileObjects = 0;
        foreach (JsonElement e in d.GetProperty("distribution").EnumerateArray())
        {
            string id = e.GetProperty("@id").GetString()!;
            Assert.True(ids.Add(id), $"duplicate @id {id}");
            switch (e.GetProperty("@type").GetString())
            {
                case "cr:FileObject":
                    string file = Path.Combine(root, e.GetProperty("contentUrl").GetString()!);
                    Assert.True(File.Exists(file), file);
                    Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), e.GetProperty("sha256").GetString());
                    Assert.Equal($"{new FileInfo(file).Length} B", e.GetProperty("contentSize").GetString());
                    fileObjects++;
                    break;
                case "cr:FileSet":
                    string glob = e.GetProperty("includes").GetString()!;
                    Assert.NotEmpty(Glob(root, glob));
                    Assert.False(string.IsNullOrEmpty(e.GetProperty("encodingFormat").GetString()));
                    break;
                default:
                    Assert.Fail($"unexpected distribution type {e.GetProperty("@type")}");
                    break;
            }
        }
        Assert.True(fileObjects >= 2, "dataset.json and manifest.json at least");
        var recordSets = d.GetProperty("recordSet").EnumerateArray().ToList();
        Assert.Contains(recordSets, r => r.GetProperty("@id").GetString() == "images");
        foreach (JsonElement rs in recordSets)
        {
            Assert.Equal("cr:RecordSet", rs.GetProperty("@type").GetString());
            Assert.True(ids.Add(rs.GetProperty("@id").GetString()!));
            foreach (JsonElement field in rs.GetProperty("field").EnumerateArray())
            {
                Assert.Equal("cr:Field", field.GetProperty("@type").GetString());
                Assert.StartsWith(rs.GetProperty("@id").GetString() + "/", field.GetProperty("@id").GetString());
                JsonElement source = field.GetProperty("source");
                string target = source.TryGetProperty("fileObject", out var fo) ? fo.GetProperty("@id").GetString()! : source.GetProperty("fileSet").GetProperty("@id").GetString()!;
                Assert.Contains(target, ids);
                Assert.True(source.GetProperty("extract").EnumerateObject().Any());
            }
        }
        return doc;
    }

    /// <summary>Files matching a glob of the simple form the card writes: folder parts with '*', then a file pattern.</summary>
    public static List<string> Glob(string root, string pattern)
    {
        var dirs = new List<string> { root };
        string[] parts = pattern.Split('/');
        foreach (string part in parts[..^1])
            dirs = dirs.SelectMany(d => part == "*" ? (Directory.Exists(d) ? Directory.GetDirectories(d) : []) : [Path.Combine(d, part)]).Where(Directory.Exists).ToList();
        return dirs.SelectMany(d => Directory.GetFiles(d, parts[^1])).ToList();
    }
}
