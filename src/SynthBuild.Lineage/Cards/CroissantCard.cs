using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SynthBuild.Lineage.Cards;

/// <summary>
/// croissant.json: the dataset described in MLCommons Croissant 1.0 (JSON-LD on schema.org): dataset-level metadata,
/// the distribution (annotation files as FileObjects with SHA-256, sample folders as FileSets) and record sets that say
/// how to read images and COCO annotations out of them. contentUrl values are relative to the dataset folder.
/// </summary>
public static class CroissantCard
{
    public const string ConformsTo = "http://mlcommons.org/croissant/1.0";

    /// <summary>The JSON-LD context the Croissant 1.0 specification recommends (its appendix 1).</summary>
    public static JsonObject Context() => new()
    {
        ["@language"] = "en",
        ["@vocab"] = "https://schema.org/",
        ["sc"] = "https://schema.org/",
        ["cr"] = "http://mlcommons.org/croissant/",
        ["rai"] = "http://mlcommons.org/croissant/RAI/",
        ["dct"] = "http://purl.org/dc/terms/",
        ["citeAs"] = "cr:citeAs",
        ["column"] = "cr:column",
        ["conformsTo"] = "dct:conformsTo",
        ["data"] = new JsonObject { ["@id"] = "cr:data", ["@type"] = "@json" },
        ["dataType"] = new JsonObject { ["@id"] = "cr:dataType", ["@type"] = "@vocab" },
        ["examples"] = new JsonObject { ["@id"] = "cr:examples", ["@type"] = "@json" },
        ["extract"] = "cr:extract",
        ["field"] = "cr:field",
        ["fileProperty"] = "cr:fileProperty",
        ["fileObject"] = "cr:fileObject",
        ["fileSet"] = "cr:fileSet",
        ["format"] = "cr:format",
        ["includes"] = "cr:includes",
        ["isLiveDataset"] = "cr:isLiveDataset",
        ["jsonPath"] = "cr:jsonPath",
        ["key"] = "cr:key",
        ["md5"] = "cr:md5",
        ["parentField"] = "cr:parentField",
        ["path"] = "cr:path",
        ["recordSet"] = "cr:recordSet",
        ["references"] = "cr:references",
        ["regex"] = "cr:regex",
        ["repeated"] = "cr:repeated",
        ["replace"] = "cr:replace",
        ["separator"] = "cr:separator",
        ["source"] = "cr:source",
        ["subField"] = "cr:subField",
        ["transform"] = "cr:transform",
    };

    public static string Render(CardFacts f)
    {
        var dataset = new JsonObject
        {
            ["@context"] = Context(),
            ["@type"] = "sc:Dataset",
            ["conformsTo"] = ConformsTo,
            ["name"] = f.Info.Name,
            ["description"] = f.Description,
            ["license"] = f.License.Url ?? f.License.HubId,
        };
        if (f.Url is { } url) dataset["url"] = url;
        if (f.Version is { } version) dataset["version"] = version;
        if (f.Published is { } when) dataset["datePublished"] = when.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        if (f.Creators.Count > 0)
            dataset["creator"] = new JsonArray(f.Creators.Select(c => (JsonNode)new JsonObject { ["@type"] = "sc:Person", ["name"] = c }).ToArray());
        dataset["keywords"] = new JsonArray("synthetic", "rgb-d", "object detection", "instance segmentation", "depth");
        dataset["identifier"] = "sha256:" + f.Info.Digest;

        var distribution = new JsonArray();
        foreach (var file in f.Metadata.Concat(f.Exports.SelectMany(e => e.Files)))
            distribution.Add((JsonNode)new JsonObject
            {
                ["@type"] = "cr:FileObject",
                ["@id"] = file.Path,
                ["name"] = file.Path,
                ["contentUrl"] = file.Path,
                ["contentSize"] = file.Size.ToString(CultureInfo.InvariantCulture) + " B",
                ["encodingFormat"] = file.EncodingFormat,
                ["sha256"] = file.Sha256,
            });
        distribution.Add((JsonNode)FileSet("rgb-images", "RGB images, 8-bit sRGB PNG.", "image/png", "rgb/*.png"));
        distribution.Add((JsonNode)FileSet("depth-images", "Depth maps, 16-bit PNG in millimetres, 0 = no measurement.", "image/png", "depth/*.png"));
        distribution.Add((JsonNode)FileSet("instance-masks", "Instance-id masks, 16-bit PNG, 0 = background, ids match the annotations.", "image/png", "segmentation/*.png"));
        distribution.Add((JsonNode)FileSet("sample-annotations", "Per-sample annotations (boxes, visibility, 3D pose and size, camera).", "application/json", "annotations/*.json"));
        foreach (var e in f.Exports.Where(e => e.Format is "yolo" or "yolo-seg"))
            distribution.Add((JsonNode)FileSet($"{e.Format}-labels", $"Ultralytics {(e.Format == "yolo" ? "detection" : "segmentation")} labels, one text file per image.", "text/plain", $"exports/{e.Format}/labels/*/*.txt"));
        if (f.Export("tfrecord") is not null)
            distribution.Add((JsonNode)FileSet("tfrecord-shards", "TensorFlow Object Detection API tf.train.Example records.", "application/x-tfrecord", "exports/tfrecord/*.tfrecord"));
        if (f.Export("numpy") is not null)
            distribution.Add((JsonNode)FileSet("numpy-arrays", "NumPy NPY arrays per split (no pickle).", "application/x-npy", "exports/numpy/*/*.npy"));
        dataset["distribution"] = distribution;

        var recordSets = new JsonArray
        {
            (JsonNode)new JsonObject
            {
                ["@type"] = "cr:RecordSet",
                ["@id"] = "images",
                ["name"] = "images",
                ["description"] = "One record per sample: its RGB image and file name.",
                ["key"] = new JsonObject { ["@id"] = "images/file_name" },
                ["field"] = new JsonArray(
                    Field("images/file_name", "file_name", "sc:Text", "rgb-images", "fileProperty", "filename", "fileSet"),
                    Field("images/image", "image", "sc:ImageObject", "rgb-images", "fileProperty", "content", "fileSet")),
            },
        };
        if (f.Export("coco") is { } coco)
            foreach (var file in coco.Files)
            {
                string split = Path.GetFileNameWithoutExtension(file.Path).Replace("instances_", "", StringComparison.Ordinal);
                string id = $"coco-{split}";
                recordSets.Add((JsonNode)new JsonObject
                {
                    ["@type"] = "cr:RecordSet",
                    ["@id"] = id,
                    ["name"] = id,
                    ["description"] = $"COCO object annotations of the {split} split: one record per labelled object.",
                    ["key"] = new JsonObject { ["@id"] = $"{id}/id" },
                    ["field"] = new JsonArray(
                        Field($"{id}/id", "id", "sc:Integer", file.Path, "jsonPath", "$.annotations[*].id"),
                        Field($"{id}/image_id", "image_id", "sc:Integer", file.Path, "jsonPath", "$.annotations[*].image_id"),
                        Field($"{id}/category_id", "category_id", "sc:Integer", file.Path, "jsonPath", "$.annotations[*].category_id"),
                        Field($"{id}/bbox", "bbox", "cr:BoundingBox", file.Path, "jsonPath", "$.annotations[*].bbox"),
                        Field($"{id}/area", "area", "sc:Float", file.Path, "jsonPath", "$.annotations[*].area"),
                        Field($"{id}/visibility", "visibility", "sc:Float", file.Path, "jsonPath", "$.annotations[*].visibility")),
                });
            }
        if (f.Export("coco") is { Files.Count: > 0 } c)
        {
            string file = c.Files[0].Path;
            recordSets.Add((JsonNode)new JsonObject
            {
                ["@type"] = "cr:RecordSet",
                ["@id"] = "categories",
                ["name"] = "categories",
                ["description"] = "The object categories (ids as in the config).",
                ["key"] = new JsonObject { ["@id"] = "categories/id" },
                ["field"] = new JsonArray(
                    Field("categories/id", "id", "sc:Integer", file, "jsonPath", "$.categories[*].id"),
                    Field("categories/name", "name", "sc:Text", file, "jsonPath", "$.categories[*].name")),
            });
        }
        dataset["recordSet"] = recordSets;
        return dataset.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static JsonObject FileSet(string id, string description, string format, string includes) => new()
    {
        ["@type"] = "cr:FileSet",
        ["@id"] = id,
        ["name"] = id,
        ["description"] = description,
        ["encodingFormat"] = format,
        ["includes"] = includes,
    };

    private static JsonObject Field(string id, string name, string dataType, string sourceId, string extractKind, string extractValue, string sourceKind = "fileObject") => new()
    {
        ["@type"] = "cr:Field",
        ["@id"] = id,
        ["name"] = name,
        ["dataType"] = dataType,
        ["source"] = new JsonObject
        {
            [sourceKind] = new JsonObject { ["@id"] = sourceId },
            ["extract"] = new JsonObject { [extractKind] = extractValue },
        },
    };
}
