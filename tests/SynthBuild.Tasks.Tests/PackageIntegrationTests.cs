namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class PackageIntegrationTests
{
    [Fact]
    public void Packed_sdk_builds_a_project_that_says_Sdk_SynthBuild_Sdk()
    {
        string root = Path.Combine(Path.GetTempPath(), "synthbuild-pkg", Guid.NewGuid().ToString("N")[..12]);
        string feed = Path.Combine(root, "feed");
        string packages = Path.Combine(root, "packages");
        // A fresh version every run: the NuGet SDK resolver caches each version once extracted.
        string version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var pack = DotnetCli.Run(DotnetCli.RepoRoot,
            $"pack src/SynthBuild.Sdk -nologo -tl:off --disable-build-servers -nodeReuse:false -c Release -o {feed} -p:Version={version}");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.True(File.Exists(Path.Combine(feed, $"SynthBuild.Sdk.{version}.nupkg")));

        string project = Path.Combine(root, "shop");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "shop.synthproj"), "<Project Sdk=\"SynthBuild.Sdk\">\n</Project>\n");
        File.WriteAllText(Path.Combine(project, "synth.json"), TempDatasetProject.SmallConfig(samples: 3));
        File.WriteAllText(Path.Combine(project, "global.json"),
            $$"""{ "msbuild-sdks": { "SynthBuild.Sdk": "{{version}}" } }""");
        DotnetCli.WriteLocalFeedConfig(project, feed);

        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };
        var build = DotnetCli.Build(project, "-v:detailed", env);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("shop: 3 generated, 3 total", build.Output);
        // In package mode the tasks run in the build's own process: the config is parsed once and the later stages
        // reuse it (in-repository builds run each task out of process, so each parses its own).
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(build.Output, @"Synth\w+: config loaded: "));
        Assert.Matches(@"SynthLineage: config reused from this build: ", build.Output);
        Assert.True(File.Exists(Path.Combine(project, "bin", "dataset", "manifest.json")));
        // The schema ships in the package for editors.
        Assert.True(File.Exists(Path.Combine(packages, "synthbuild.sdk", version, "schema", "synth.schema.json")));
    }
}
