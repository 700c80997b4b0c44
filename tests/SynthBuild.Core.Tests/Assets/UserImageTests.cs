using OpenCvSharp;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Assets;

/// <summary>Background images and texture images from user folders (generated here, nothing downloaded).</summary>
public class UserImageTests
{
    /// <summary>An image whose every pixel differs from its neighbours, so a shifted or resampled copy would show.</summary>
    private static byte[] Pattern(int w, int h, int seed)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)((i * 37 + seed * 101 + (i / 3) * (i / 3) % 251) % 256);
        return rgb;
    }

    private static string Folder(params (string Name, byte[] Rgb, int W, int H)[] images)
    {
        string dir = SmallDataset.TempDir();
        foreach (var (name, rgb, w, h) in images) File.WriteAllBytes(Path.Combine(dir, name), Png.EncodeRgb8(rgb, w, h));
        return dir;
    }

    private static string Config(string dir, string body)
    {
        string path = Path.Combine(dir, "synth.json");
        File.WriteAllText(path, body);
        return path;
    }

    private static DatasetSpec Load(string path)
    {
        var r = ConfigLoader.Load(path);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    private const string Camera = """ "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } } """;

    [Fact]
    public void A_background_image_pixel_appears_unchanged_where_nothing_is_rendered()
    {
        string root = SmallDataset.TempDir();
        string images = Path.Combine(root, "backgrounds");
        Directory.CreateDirectory(images);
        byte[] a = Pattern(160, 120, 1), b = Pattern(160, 120, 2);
        File.WriteAllBytes(Path.Combine(images, "a.png"), Png.EncodeRgb8(a, 160, 120));
        File.WriteAllBytes(Path.Combine(images, "b.png"), Png.EncodeRgb8(b, 160, 120));
        // Same size as the frame and zoom 1: the crop is the whole image, pixel for pixel.
        string config = Config(root, $$"""
            { "samples": 6, {{Camera}},
              "background": { "images": "backgrounds", "imageZoom": { "min": 1, "max": 1 }, "tableSize": [0.5, 0.3] },
              "sensor": { "gaussianNoiseStd": 0, "deadPixels": 0 } }
            """);
        DatasetSpec spec = Load(config);
        string output = Path.Combine(root, "out");
        Assert.True(new DatasetBuilder(spec, output).Build().Succeeded);
        var reader = DatasetReader.Open(output);
        var sampler = SmallDataset.Sampler(spec);
        var seen = new HashSet<string>();
        foreach (long i in reader.Indices)
        {
            SceneDescription scene = sampler.Sample(i);
            ImageData picture = scene.Background.Image!.Picture;
            seen.Add(picture.Name);
            byte[] source = picture.Name == "a.png" ? a : b;
            var ideal = new RenderTarget(160, 120);
            new RasterRenderer().Render(scene, ideal);
            byte[] written = reader.ReadRgb(i);
            int empty = 0;
            for (int p = 0; p < 160 * 120; p++)
            {
                if (ideal.DepthMetres[p] != 0) continue;
                empty++;
                for (int c = 0; c < 3; c++) Assert.Equal(source[p * 3 + c], written[p * 3 + c]);
            }
            Assert.True(empty > 1000, $"sample {i}: only {empty} background pixels");
        }
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void Background_crops_are_random_zoomed_and_deterministic()
    {
        string root = Folder(("wide.png", Pattern(400, 200, 3), 400, 200));
        string config = Config(root, $$"""{ {{Camera}}, "background": { "images": ".", "imageZoom": { "min": 1, "max": 2 } } }""");
        DatasetSpec spec = Load(config);
        var crops = Enumerable.Range(0, 20).Select(i => SmallDataset.Sampler(spec).Sample(i).Background.Image!).ToList();
        foreach (var c in crops)
        {
            Assert.Equal(160.0 / 120, c.SpanX / c.SpanY, 9); // the frame's aspect
            Assert.InRange(c.SpanY, 100 - 1e-9, 200 + 1e-9);  // the image's height / zoom
            Assert.True(c.OffsetX >= 0 && c.OffsetX + c.SpanX <= 400 + 1e-9 && c.OffsetY >= 0 && c.OffsetY + c.SpanY <= 200 + 1e-9);
        }
        Assert.True(crops.Select(c => c.OffsetX).Distinct().Count() > 15);
        Assert.Equal(crops, Enumerable.Range(0, 20).Select(i => SmallDataset.Sampler(Load(config)).Sample(i).Background.Image!).ToList(),
            EqualityComparer<BackgroundCrop>.Create((x, y) => x!.Picture.Sha256 == y!.Picture.Sha256 && x.OffsetX == y.OffsetX && x.OffsetY == y.OffsetY && x.SpanX == y.SpanX));
    }

    [Fact]
    public void Changing_an_image_changes_the_fingerprint_and_moving_the_folder_does_not()
    {
        string root = Folder(("one.png", Pattern(32, 32, 1), 32, 32));
        string config = Config(root, $$"""{ {{Camera}}, "background": { "images": "." }, "materials": { "textures": { "folder": "." } } }""");
        string before = SpecFingerprint.Hash(Load(config));
        string moved = SmallDataset.TempDir();
        foreach (string f in Directory.GetFiles(root)) File.Copy(f, Path.Combine(moved, Path.GetFileName(f)));
        Assert.Equal(before, SpecFingerprint.Hash(Load(Path.Combine(moved, "synth.json"))));
        byte[] edited = Pattern(32, 32, 1);
        edited[5] ^= 1;
        File.WriteAllBytes(Path.Combine(root, "one.png"), Png.EncodeRgb8(edited, 32, 32));
        Assert.NotEqual(before, SpecFingerprint.Hash(Load(config)));
    }

    [Theory]
    [InlineData("\"background\": { \"images\": \"missing\" }", "SYN1000", "background.images")]
    [InlineData("\"background\": { \"images\": \"empty\" }", "SYN1009", "holds no images")]
    [InlineData("\"materials\": { \"textures\": { \"folder\": \"broken\" } }", "SYN1009", "not a readable")]
    [InlineData("\"materials\": { \"textures\": { \"patterns\": [\"checker\", \"image\"] } }", "SYN1006", "needs materials.textures.folder")]
    [InlineData("\"background\": { \"tablePatterns\": [\"image\"] }", "SYN1006", "needs a texture folder")]
    public void Bad_image_folders_are_positioned_config_errors(string setting, string code, string message)
    {
        string root = SmallDataset.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        File.WriteAllText(Path.Combine(root, "empty", "notes.txt"), "no images here");
        Directory.CreateDirectory(Path.Combine(root, "broken"));
        File.WriteAllText(Path.Combine(root, "broken", "bad.png"), "not a png");
        string config = Config(root, "{\n  \"samples\": 2,\n  " + setting + "\n}\n");
        // Missing or empty folders are config errors; images that do not decode are found when the build loads them.
        var r = ConfigLoader.Load(config);
        var diagnostics = r.Succeeded ? AssetLibrary.Load(r.Spec!).Diagnostics : r.Diagnostics;
        var d = Assert.Single(diagnostics);
        Assert.True(d.IsError);
        Assert.Equal(code, d.Code);
        Assert.Contains(message, d.Message);
        Assert.Equal(config, d.File);
        Assert.Equal(3, d.Line);
        string line = File.ReadAllLines(config)[2];
        string token = setting.Contains("missing") ? "\"missing\"" : setting.Contains("empty") ? "\"empty\"" : setting.Contains("broken") ? "\"broken\"" : "\"image\"";
        Assert.Equal(line.IndexOf(token, StringComparison.Ordinal) + 1, d.Column);
    }

    [Fact]
    public void Texture_images_larger_than_the_limit_are_averaged_down_in_linear_light()
    {
        // 8×8 of 2×2 blocks: alternating black and white pixels inside the first block, flat grey elsewhere.
        var rgb = new byte[8 * 8 * 3];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * 8 + x) * 3 + c] = x < 2 && y < 2 ? (byte)((x + y) % 2 * 255) : (byte)(40 + 20 * (x / 2) + c);
        string dir = Folder(("t.png", rgb, 8, 8));
        ImageData img = Assert.Single(ImageFolder.Load(dir, maxSide: 4).Images);
        Assert.Equal((4, 4), (img.Width, img.Height));
        Assert.Equal(Srgb.EncodeExact(0.5), img.Rgb[0]); // half white in linear light, not 128
        for (int x = 1; x < 4; x++) Assert.Equal(40 + 20 * x + 2, img.Rgb[(2 * 4 + x) * 3 + 2]);
        Assert.Equal(8, ImageFolder.Load(dir).Images[0].Width); // no limit: unchanged
    }

    [Fact]
    public void An_image_texture_gives_the_surface_the_image_colour()
    {
        // A solid red texture (PNG) and a solid green one (JPEG, written by OpenCV): under ambient light 1 with the
        // directional light off, a surface's pixel is its albedo, i.e. the texture's colour.
        string root = Folder(("red.png", Enumerable.Range(0, 16 * 16).SelectMany(_ => new byte[] { 200, 30, 40 }).ToArray(), 16, 16));
        using (var green = new Mat(16, 16, MatType.CV_8UC3, new Scalar(50, 180, 20))) // BGR
            Cv2.ImWrite(Path.Combine(root, "green.jpg"), green);
        string config = Config(root, $$"""
            { {{Camera}}, "materials": { "textures": { "folder": ".", "probability": 1 } },
              "background": { "tablePatterns": ["image"] },
              "lighting": { "intensity": { "min": 0, "max": 0 }, "ambient": { "min": 1, "max": 1 }, "colorVariation": 0 } }
            """);
        DatasetSpec spec = Load(config);
        Assert.Equal([TexturePattern.Image], spec.Materials.Textures!.Patterns);
        var sampler = SmallDataset.Sampler(spec);
        int redPixels = 0, greenPixels = 0;
        for (int i = 0; i < 6; i++)
        {
            SceneDescription scene = sampler.Sample(i);
            Assert.All(scene.Objects, o => Assert.Equal(TexturePattern.Image, o.Material.Texture.Pattern));
            Assert.Equal(TexturePattern.Image, scene.Table.Material.Texture.Pattern);
            var target = new RenderTarget(160, 120);
            new RasterRenderer().Render(scene, target);
            for (int p = 0; p < 160 * 120; p++)
            {
                if (target.DepthMetres[p] == 0) continue;
                byte r = target.Rgb[p * 3], g = target.Rgb[p * 3 + 1], b = target.Rgb[p * 3 + 2];
                if (Math.Abs(r - 200) <= 1 && Math.Abs(g - 30) <= 1 && Math.Abs(b - 40) <= 1) redPixels++;
                else if (Math.Abs(r - 20) <= 3 && Math.Abs(g - 180) <= 3 && Math.Abs(b - 50) <= 3) greenPixels++; // JPEG is lossy
                else Assert.Fail($"sample {i} pixel {p}: ({r}, {g}, {b}) is neither texture's colour");
            }
        }
        Assert.True(redPixels > 1000 && greenPixels > 1000, $"{redPixels} red, {greenPixels} green");
    }
}
