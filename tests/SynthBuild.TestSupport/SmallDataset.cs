using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Scene;

namespace SynthBuild.TestSupport;

/// <summary>Specs and folders for pipeline tests: 160×120 images keep them fast.</summary>
public static class SmallDataset
{
    public static string Json(int samples = 12, ulong seed = 7, double noise = 5, double dropout = 0.01) => $$"""
        {
          "name": "small", "samples": {{samples}}, "seed": {{seed}},
          "image": { "width": 160, "height": 120 },
          "camera": { "intrinsics": { "fx": 125, "fy": 125, "cx": 80, "cy": 60 } },
          "sensor": { "gaussianNoiseStd": {{noise}}, "depthDropout": {{dropout}}, "depthEdgeThreshold": 0 }
        }
        """;

    public static DatasetSpec Spec(int samples = 12, ulong seed = 7, double noise = 5, double dropout = 0.01)
    {
        var r = ConfigLoader.Parse(Json(samples, seed, noise, dropout), "small.json");
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    /// <summary>A scene sampler over the spec's assets, loaded as a build loads them.</summary>
    public static SceneSampler Sampler(DatasetSpec spec) => new(spec, AssetLibrary.LoadOrThrow(spec));

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "synthbuild-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A fresh folder holding a clean build of <paramref name="spec"/>.</summary>
    public static string TempDirWith(DatasetSpec spec)
    {
        string dir = TempDir();
        new SynthBuild.Core.Pipeline.DatasetBuilder(spec, dir).Build();
        return dir;
    }

    /// <summary>Every file under a folder: relative path → (bytes hash, last write time).</summary>
    public static Dictionary<string, (string Sha, DateTime Written)> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => (Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))), File.GetLastWriteTimeUtc(f)));
}
