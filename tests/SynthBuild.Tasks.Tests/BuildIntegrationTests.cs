using System.Text.RegularExpressions;

namespace SynthBuild.Tasks.Tests;

// One collection: these tests run real builds and share two cores; running them one at a time keeps them steady.
[CollectionDefinition("dotnet build", DisableParallelization = true)]
public sealed class DotnetBuildCollection;

[Collection("dotnet build")]
public class BuildIntegrationTests
{
    [Fact]
    public void Build_generates_the_dataset_and_reports_progress()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 12));
        var r = p.Build("-p:SynthProgressInterval=0");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(new Regex(@"demo: \d+/12 samples \(\d+ ?%\), [\d.]+ samples/s, ETA \d\d:\d\d:\d\d"), r.Output);
        Assert.Contains("demo: 12 generated, 12 total, 0 reused, 0 removed", r.Output);
        foreach (string dir in new[] { "rgb", "depth", "segmentation", "annotations" })
            Assert.Equal(12, Directory.GetFiles(Path.Combine(p.OutputDir, dir)).Length);
        Assert.True(File.Exists(Path.Combine(p.OutputDir, "manifest.json")));
        Assert.True(File.Exists(Path.Combine(p.OutputDir, "dataset.json")));
    }

    [Fact]
    public void Generation_loads_the_managed_engine_alone()
    {
        // A shard worker or a generate-only build must not drag in OpenCV, libgit2 or Skia (ARCHITECTURE.md).
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 2));
        var r = p.Build("-t:SynthGenerate -v:detailed");
        Assert.True(r.ExitCode == 0, r.ToString());
        var line = Regex.Match(r.Output, @"SynthGenerate: assemblies loaded from the task folder: (.*)");
        Assert.True(line.Success, r.Output);
        var loaded = line.Groups[1].Value.Trim().Split(", ");
        Assert.Contains("SynthBuild.Core", loaded);
        Assert.Contains("SynthBuild.Tasks", loaded);
        foreach (string heavy in new[] { "OpenCvSharp", "LibGit2Sharp", "SkiaSharp", "ScottPlot", "HarfBuzzSharp",
                     "SynthBuild.Augmentation", "SynthBuild.Quality", "SynthBuild.Lineage", "SynthBuild.Export", "SynthBuild.Evaluation" })
            Assert.DoesNotContain(heavy, loaded);
    }

    [Fact]
    public void No_op_rebuild_renders_and_rewrites_nothing()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 6));
        Assert.Equal(0, p.Build().ExitCode);
        var before = p.Snapshot();
        var r = p.Build();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("demo: up to date (6 samples", r.Output);
        Assert.Equal(before, p.Snapshot());
    }

    [Fact]
    public void Sample_and_seed_overrides_come_from_the_command_line()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        Assert.Equal(0, p.Build().ExitCode);
        string digest4 = p.Digest();
        var more = p.Build("-p:SynthSamples=6");
        Assert.True(more.ExitCode == 0, more.ToString());
        Assert.Contains("demo: 2 generated, 6 total, 4 reused", more.Output);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(p.OutputDir, "rgb")).Length);

        var reseeded = p.Build("-p:SynthSamples=4 -p:SynthSeed=99");
        Assert.True(reseeded.ExitCode == 0, reseeded.ToString());
        Assert.Contains("demo: 4 generated, 4 total, 0 reused, 2 removed", reseeded.Output);
        Assert.NotEqual(digest4, p.Digest());

        var bad = p.Build("-p:SynthSamples=lots");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN1007: SynthSamples must be an integer", bad.Output);
    }

    [Fact]
    public void Invalid_config_fails_with_position_and_leaves_the_dataset_untouched()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 3));
        Assert.Equal(0, p.Build().ExitCode);
        var before = p.Snapshot();

        p.WriteConfig("{\n  \"samples\": 3,\n  \"seed\": \"three\"\n}\n");
        var r = p.Build();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{p.ConfigFile}(3,11): error SYN1002: seed: expected an integer, found \"three\".", r.Output);
        Assert.Equal(before, p.Snapshot());

        p.WriteConfig("{\n  \"samples\": 3,\n  \"lighting\": { \"ambient\": { \"min\": 0.6, \"max\": 0.2 } }\n}\n");
        r = p.Build();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{p.ConfigFile}(3,30): error SYN1006: lighting.ambient: min (0.6) is greater than max (0.2).", r.Output);
        Assert.Equal(before, p.Snapshot());
    }

    [Fact]
    public void Changed_settings_and_damaged_files_regenerate_only_what_they_affect()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 5));
        Assert.Equal(0, p.Build().ExitCode);
        string cleanDigest = p.Digest();

        File.Delete(Path.Combine(p.OutputDir, "depth", "000001.png"));
        File.WriteAllText(Path.Combine(p.OutputDir, "annotations", "000003.json"), "{}");
        var repaired = p.Build();
        Assert.True(repaired.ExitCode == 0, repaired.ToString());
        Assert.Contains("demo: 2 generated, 5 total, 3 reused", repaired.Output);
        Assert.Equal(cleanDigest, p.Digest());

        var before = p.Snapshot();
        p.WriteConfig(TempDatasetProject.SmallConfig(samples: 5).Replace("\"samples\": 5,", "\"samples\": 5, \"sensor\": { \"gaussianNoiseStd\": 8 },"));
        var noisier = p.Build();
        Assert.True(noisier.ExitCode == 0, noisier.ToString());
        Assert.Contains("demo: 5 generated, 5 total, 0 reused", noisier.Output);
        var after = p.Snapshot();
        Assert.NotEqual(before["rgb/000000.png"].Sha, after["rgb/000000.png"].Sha);
        Assert.Equal(before["segmentation/000000.png"], after["segmentation/000000.png"]); // masks unaffected: not rewritten
    }

    [Fact]
    public void Clean_removes_the_generated_dataset()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 3));
        Assert.Equal(0, p.Build().ExitCode);
        var r = DotnetCli.Run(p.Directory, "clean -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(Directory.Exists(p.OutputDir), "dataset folder should be gone");
    }

    [Fact]
    public void Output_folder_is_overridable_and_builds_are_reproducible_across_threads_and_SIMD()
    {
        // With every optional generator feature on: user images, colour temperature, point lights, stacking, distractors.
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 8).Replace("\"samples\": 8,", """
            "samples": 8,
            "lighting": { "colorTemperature": { "min": 2500, "max": 6500 }, "pointLights": { "count": { "min": 1, "max": 2 } } },
            "placement": { "stacking": 0.5 }, "distractors": { "count": { "min": 1, "max": 2 } },
            "background": { "images": "bg", "tablePatterns": ["image", "wood"] },
            "materials": { "textures": { "folder": "tex", "patterns": ["image", "noise"] } },
            """));
        foreach (var (folder, seed) in new[] { ("bg", 1), ("tex", 2) })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(p.Directory, folder));
            var rgb = new byte[64 * 48 * 3];
            for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7 + seed * 50 + i / 97);
            File.WriteAllBytes(Path.Combine(p.Directory, folder, "a.png"), SynthBuild.Core.Assets.Png.EncodeRgb8(rgb, 64, 48));
        }
        string a = Path.Combine(p.Directory, "out-default");
        string b = Path.Combine(p.Directory, "out-1-thread-no-simd");
        string c = Path.Combine(p.Directory, "out-again");
        Assert.Equal(0, p.Build($"-p:SynthOutputDir={a}").ExitCode);
        var noSimd = p.Build($"-p:SynthOutputDir={b} -p:SynthThreads=1", new Dictionary<string, string> { ["DOTNET_EnableHWIntrinsic"] = "0" });
        Assert.True(noSimd.ExitCode == 0, noSimd.ToString());
        Assert.Equal(0, p.Build($"-p:SynthOutputDir={c}").ExitCode);
        Assert.False(Directory.Exists(p.OutputDir));

        var sa = p.Snapshot(a).ToDictionary(kv => kv.Key, kv => kv.Value.Sha);
        Assert.Equal(8 * 5, sa.Keys.Count(k => k.StartsWith("rgb/") || k.StartsWith("depth/") || k.StartsWith("segmentation/") || k.StartsWith("semantic/") || k.StartsWith("annotations/")));
        Assert.Equal(sa, p.Snapshot(b).ToDictionary(kv => kv.Key, kv => kv.Value.Sha));
        Assert.Equal(sa, p.Snapshot(c).ToDictionary(kv => kv.Key, kv => kv.Value.Sha));
        Assert.Equal(p.Digest(a), p.Digest(b));
    }

    [Fact]
    public void A_killed_build_leaves_no_half_written_file_and_the_next_build_completes()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 400));
        var process = DotnetCli.Start(p.Directory, "build -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false", null, out var output);
        string rgb = Path.Combine(p.OutputDir, "rgb");
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline && !(Directory.Exists(rgb) && Directory.GetFiles(rgb).Length >= 20)) Thread.Sleep(20);
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        int before = Directory.GetFiles(rgb).Length;
        Assert.InRange(before, 20, 399); // killed midway

        var r = p.Build();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(Directory.EnumerateFiles(p.OutputDir, "*.synthtmp", SearchOption.AllDirectories));

        var reference = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 400));
        Assert.Equal(0, reference.Build().ExitCode);
        Assert.Equal(reference.Digest(), p.Digest());
        Assert.Equal(reference.Snapshot().ToDictionary(kv => kv.Key, kv => kv.Value.Sha), p.Snapshot().ToDictionary(kv => kv.Key, kv => kv.Value.Sha));
    }
}
