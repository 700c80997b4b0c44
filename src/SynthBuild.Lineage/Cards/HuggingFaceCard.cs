using System.Globalization;
using System.Text;
using SynthBuild.Core.Config;
using SynthBuild.Quality;

namespace SynthBuild.Lineage.Cards;

/// <summary>
/// README.md in the Hugging Face dataset-card form: YAML front matter a hub reads (license, task and size categories,
/// configs pointing at the exports, splits with counts), then prose a person reads, generated from the config and the
/// quality report. Invariant culture throughout; no clock: the same facts give the same bytes.
/// </summary>
public static class HuggingFaceCard
{
    /// <summary>First line after the front matter: marks a README.md as the card's, so a user's own is never overwritten.</summary>
    public const string Marker = "<!-- Dataset card written by SynthBuild from the project, its config and its quality report; rebuilt on every build, do not edit. -->";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(CardFacts f)
    {
        var sb = new StringBuilder();
        FrontMatter(sb, f);
        sb.Append(Marker).Append('\n');
        Prose(sb, f);
        return sb.ToString();
    }

    /// <summary>Hugging Face task ids the dataset serves.</summary>
    public static IReadOnlyList<string> TaskCategories(CardFacts f)
    {
        var tasks = new List<string> { "object-detection" };
        if (f.MasksExported) tasks.Add("image-segmentation");
        tasks.Add("depth-estimation"); // every sample carries a metric depth map
        return tasks;
    }

    private static void FrontMatter(StringBuilder sb, CardFacts f)
    {
        void L(string line) => sb.Append(line).Append('\n');
        L("---");
        L($"license: {f.License.HubId}");
        L($"pretty_name: {Q(f.Info.Name)}");
        L("task_categories:");
        foreach (string t in TaskCategories(f)) L($"- {t}");
        L("size_categories:");
        L($"- {CardFacts.SizeCategory(f.TotalSamples)}");
        L("annotations_creators:");
        L("- machine-generated");
        L("source_datasets:");
        L("- original");
        L("tags:");
        L("- synthetic");
        L("- rgb-d");
        L("- synthbuild");
        var coco = f.Export("coco");
        var yolo = f.Exports.Where(e => e.Format is "yolo" or "yolo-seg").ToList();
        if (coco is { Files.Count: > 0 } || yolo.Count > 0)
        {
            L("configs:");
            bool first = true;
            if (coco is { Files.Count: > 0 })
            {
                L("- config_name: coco");
                L("  default: true");
                L("  data_files:");
                foreach (var file in coco.Files)
                {
                    L($"  - split: {SplitOfCocoFile(file.Path)}");
                    L($"    path: {file.Path}");
                }
                first = false;
            }
            foreach (var y in yolo)
            {
                L($"- config_name: {y.Format}");
                if (first) L("  default: true");
                first = false;
                L("  data_files:");
                foreach (var s in f.Splits.Where(s => s.Samples > 0))
                {
                    L($"  - split: {s.Name}");
                    L($"    path: exports/{y.Format}/labels/{s.Name}/*.txt");
                }
            }
        }
        L("dataset_info:");
        L("  splits:");
        foreach (var s in f.Splits)
        {
            L($"  - name: {s.Name}");
            L(I($"    num_bytes: {s.Bytes}"));
            L(I($"    num_examples: {s.Samples}"));
        }
        L(I($"  dataset_size: {f.TotalBytes}"));
        L("---");
    }

    private static string SplitOfCocoFile(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return name.StartsWith("instances_", StringComparison.Ordinal) ? name["instances_".Length..] : name;
    }

    private static void Prose(StringBuilder sb, CardFacts f)
    {
        DatasetSpec s = f.Spec;
        void L(string line = "") => sb.Append(line).Append('\n');
        L();
        L($"# {f.Info.Name}");
        L();
        L(f.Description);
        L();
        L(I($"{f.TotalSamples} synthetic RGB-D images of {f.Info.Width}×{f.Info.Height} pixels, rendered by {f.Info.Engine} from a declarative config. Every label is exact: computed from the scene and the renderer's instance-id buffer, not drawn by a person or a model."));
        L();
        L("| | |");
        L("|---|---|");
        if (f.Version is { } v) L($"| version | {v} |");
        L($"| dataset digest | `{f.Info.Digest}` |");
        L($"| engine | {f.Info.Engine} |");
        L(I($"| seed | {f.Info.Seed} |"));
        L($"| license | {f.License.HubId} |");
        if (f.Url is { } url) L($"| source | {url} |");
        L();
        L("The digest is a hash over every sample file (manifest.json lists each file's SHA-256): rebuilding the project with the same engine gives the same digest.");
        L();

        L("## Contents");
        L();
        L("Per sample `NNNNNN`: `rgb/NNNNNN.png` (8-bit sRGB), `depth/NNNNNN.png` (16-bit, millimetres, 0 = no measurement), `segmentation/NNNNNN.png` (16-bit instance ids, 0 = background)"
          + (s.OutputsOrDefault.Semantic ? ", `semantic/NNNNNN.png` (16-bit category ids)" : "")
          + (s.OutputsOrDefault.Normals ? ", `normals/NNNNNN.png`" : "")
          + (s.OutputsOrDefault.PointCloud ? ", `pointcloud/NNNNNN.npy`" : "")
          + " and `annotations/NNNNNN.json` (tight and amodal boxes, visibility, 3D pose and size, camera intrinsics and extrinsics). `dataset.json` describes the dataset, `manifest.json` hashes every file.");
        L();
        if (f.Exports.Count > 0)
        {
            L("Exports (`exports/`): " + string.Join(", ", f.Exports.Select(e => $"`{e.Format}`")) + ". COCO files name images relative to this folder (`rgb/NNNNNN.png`).");
            L();
        }

        L("## Splits and classes");
        L();
        var cats = f.Info.Categories;
        bool counts = f.Splits.All(x => x.ClassInstances is { } c && c.Count == cats.Count);
        sb.Append("| split | images |");
        if (counts) foreach (var c in cats) sb.Append(' ').Append(c.Name).Append(" |");
        L();
        sb.Append("|---|---:|");
        if (counts) foreach (var _ in cats) sb.Append("---:|");
        L();
        foreach (var split in f.Splits)
        {
            sb.Append(I($"| {split.Name} | {split.Samples} |"));
            if (counts) foreach (long n in split.ClassInstances!) sb.Append(I($" {n} |"));
            L();
        }
        L();
        L(counts ? "Cells are labelled object instances (objects with at least one visible pixel), from the quality report."
                 : "Class counts per split come from the quality report, which this build did not produce for this dataset.");
        L(I($"Splits are assigned per sample from the seed: train {s.Splits.Train:0.##}, val {s.Splits.Val:0.##}, test {s.Splits.Test:0.##} of the samples in expectation."));
        L();

        L("## What is randomized");
        L();
        L("Each sample draws from its own random stream (seed, sample index, component), over these ranges from the config:");
        L();
        L(I($"- **Objects**: {s.ObjectsPerScene.Min}–{s.ObjectsPerScene.Max} per scene, categories drawn {(s.CategoryBalance == CategoryBalance.Balanced ? "for equal counts per category" : "by weight")}; sizes in metres:"));
        foreach (var c in s.Categories)
            L(c.Name == Shape(c) ? $"  - {c.Name}: {CategorySize(c)}" : $"  - {c.Name} ({Shape(c)}): {CategorySize(c)}");
        var p = s.PlacementOrDefault;
        L(I($"- **Placement**: on the table plane (z = 0), random yaw; truncation at the image border with probability {p.Truncation:0.###}, stacking with probability {p.Stacking:0.###}."));
        var d = s.DistractorsOrNone;
        if (d.Count.Max > 0)
            L(I($"- **Distractors** (unlabelled): {d.Count.Min}–{d.Count.Max} of {string.Join(", ", d.Shapes.Select(x => x.ToString().ToLowerInvariant()))}, size {R(d.Size)} m."));
        var cam = s.Camera;
        L(I($"- **Camera**: fx {cam.Fx:0.##}, fy {cam.Fy:0.##}, cx {cam.Cx:0.##}, cy {cam.Cy:0.##} px, focal length varied by ±{cam.FocalLengthVariation * 100:0.#} %; position ({cam.Position.X:0.###}, {cam.Position.Y:0.###}, {cam.Position.Z:0.###}) m looking at ({cam.LookAt.X:0.###}, {cam.LookAt.Y:0.###}, {cam.LookAt.Z:0.###}), jittered by {cam.PositionNoise:0.###} m (position) and {cam.OrientationNoise:0.###} rad (orientation)")
          + (cam.Distortion.IsZero ? "; no lens distortion." : I($"; lens distortion k1 {cam.Distortion.K1:0.####}, k2 {cam.Distortion.K2:0.####}, p1 {cam.Distortion.P1:0.####}, p2 {cam.Distortion.P2:0.####}, k3 {cam.Distortion.K3:0.####}.")));
        var light = s.Lighting;
        L(I($"- **Lighting**: one directional light, intensity {R(light.Intensity)}, elevation {R(light.Elevation)} rad, per-channel colour jitter {light.ColorVariation:0.###}")
          + (light.ColorTemperature is { } ct ? I($", colour temperature {R(ct)} K") : "")
          + I($"; ambient {R(light.Ambient)}; shadows {(light.Shadows ? "on" : "off")}")
          + (light.PointLightsOrNone.Count.Max > 0 ? I($"; {light.PointLightsOrNone.Count.Min}–{light.PointLightsOrNone.Count.Max} point lights of intensity {R(light.PointLightsOrNone.Intensity)}.") : "."));
        var m = s.Materials;
        var tex = m.Textures ?? TextureSpec.None;
        L(I($"- **Materials**: roughness {R(m.Roughness)}, metallic {R(m.Metallic)}, colour jitter {m.ColorJitter:0.###}")
          + (tex.Probability > 0 ? I($"; a texture with probability {tex.Probability:0.###} ({string.Join(", ", tex.Patterns.Select(x => x.ToString().ToLowerInvariant()))}, scale {R(tex.Scale)}).") : "; no textures."));
        var bg = s.Background;
        L($"- **Background**: {bg.Mode}" + (bg.TablePatterns is { Count: > 0 } tp ? $", table patterns {string.Join(", ", tp.Select(x => x.ToString().ToLowerInvariant()))}" : "")
          + (bg.Images is { } imgs ? I($", {imgs.Images.Count} background images from {Path.GetFileName(Path.TrimEndingDirectorySeparator(imgs.Folder))}/") : "") + ".");
        var sensor = s.Sensor;
        L(I($"- **Sensor noise** (labels never see it): RGB gaussian read noise σ = {sensor.GaussianNoiseStd:0.###} (8-bit levels), dead pixels {sensor.DeadPixels:0.#####}; depth noise {sensor.DepthNoise:0.####}·z² m, quantization {sensor.DepthQuantization:0.##} mm, dropout {sensor.DepthDropout:0.####}, invalid at edges steeper than {sensor.DepthEdgeThreshold:0.###} m."));
        if (s.CurriculumOrDefault.Schedule != CurriculumSchedule.None)
            L($"- **Curriculum**: {s.CurriculumOrDefault.Schedule.ToString().ToLowerInvariant()} over {s.CurriculumOrDefault.Length.ToString(Inv)} samples (later samples are harder).");
        L();

        if (f.Quality is { } q)
        {
            L("## Quality");
            L();
            L(I($"From `reports/quality.json` (full report: `reports/quality.html`): {q.ObjectsPerImage.Mean:0.##} objects per image ({q.ObjectsPerImage.Min}–{q.ObjectsPerImage.Max}), mean visibility {q.Visibility.Mean:0.###}, {q.Visibility.TruncatedShare * 100:0.#} % of objects truncated, depth valid ratio {q.Depth.ValidRatio:0.###}, {q.Labels.Errors} label errors."));
            L();
            L("| gate | measured | limit | result |");
            L("|---|---:|---|---|");
            foreach (GateResult g in q.Gates)
                L($"| {g.Name} | {Measured(g)} | {Limit(g)} | {(!g.Enabled ? "off" : g.Passed ? "pass" : g.Severity == GateSeverity.Warning ? "warning" : "FAIL")} |");
            L();
        }

        L("## Known limitations");
        L();
        L("- Rasterized, not path-traced: Blinn–Phong shading, one shadow-casting directional light (point lights cast no shadows), no global illumination, reflections or refraction.");
        L("- Opaque objects only: no transparency or translucency; no motion blur, depth of field or rolling shutter.");
        L("- Objects are parametric meshes (and any meshes the config names) with procedural or image textures, resting on a flat table: no clutter beyond the config, no deformable objects, no people.");
        L("- The sensor model (gaussian read noise, dead pixels, depth noise, quantization, dropout and edge invalidation) approximates an RGB-D camera; it is not calibrated against a particular device.");
        L("- Before training for real images, measure the sim-to-real gap on labelled real data (`-t:SynthSimToReal`).");
    }

    private static string Measured(GateResult g) =>
        g.Low == g.High ? g.Low.ToString("0.####", Inv) : I($"{g.Low:0.####}–{g.High:0.####}");

    private static string Limit(GateResult g) => (g.Min, g.Max) switch
    {
        ({ } lo, { } hi) => I($"{lo:0.####}–{hi:0.####}"),
        ({ } lo, null) => I($"≥ {lo:0.####}"),
        (null, { } hi) => I($"≤ {hi:0.####}"),
        _ => "",
    };

    private static string Shape(CategorySpec c) =>
        c.Kinds is { Count: > 0 } k ? $"{c.Shape.ToString().ToLowerInvariant()}: {string.Join(", ", k)}" : c.Shape.ToString().ToLowerInvariant();

    private static string CategorySize(CategorySpec c)
    {
        string side = c.OnSideProbability > 0 ? I($"; on its side with probability {c.OnSideProbability:0.###}") : "";
        return c.Shape switch
        {
            ShapeKind.Box or ShapeKind.Part => $"size {R(c.Size)}{side}",
            ShapeKind.Sphere => $"radius {R(c.Radius)}{side}",
            ShapeKind.Cylinder or ShapeKind.Mug or ShapeKind.Bottle => $"radius {R(c.Radius)}, height {R(c.Height)}{side}",
            ShapeKind.Tool => $"length {R(c.Length)}{side}",
            ShapeKind.Mesh => (c.Mesh is { } mesh ? I($"mesh {Path.GetFileName(mesh.Path)} at scale {mesh.Scale:0.###}") : "mesh") + side,
            _ => $"size {R(c.Size)}{side}",
        };
    }

    private static string R(ValueRange r) => r.Min == r.Max ? r.Min.ToString("0.####", Inv) : I($"{r.Min:0.####}–{r.Max:0.####}");

    private static string I(FormattableString s) => s.ToString(Inv);

    /// <summary>A YAML double-quoted scalar.</summary>
    internal static string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
