using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Core.Storage;

namespace SynthBuild.TestSupport;

/// <summary>A dataset project in a temp folder that imports the in-repo SDK by path.</summary>
public sealed class TempDatasetProject
{
    /// <param name="projectItems">XML inserted before the SDK targets import, e.g. SynthGate or SynthExport items.</param>
    public TempDatasetProject(string config, string name = "demo", string projectItems = "")
    {
        Directory = Path.Combine(Path.GetTempPath(), "synthbuild-it", Guid.NewGuid().ToString("N")[..12], name);
        System.IO.Directory.CreateDirectory(Directory);
        string sdk = Path.Combine(DotnetCli.RepoRoot, "src", "SynthBuild.Sdk", "Sdk");
        File.WriteAllText(ProjectFile = Path.Combine(Directory, name + ".synthproj"), $"""
            <Project>
              <PropertyGroup>
                <SynthTasksAssembly>{DotnetCli.TasksAssembly}</SynthTasksAssembly>
                <SynthUseTaskHost>true</SynthUseTaskHost>
              </PropertyGroup>
              <Import Project="{sdk}/Sdk.props" />
            {projectItems}
              <Import Project="{sdk}/Sdk.targets" />
            </Project>
            """);
        WriteConfig(config);
    }

    public string Directory { get; }
    public string ProjectFile { get; }
    public string ConfigFile => Path.Combine(Directory, "synth.json");
    public string OutputDir => ProjectLayout.DefaultOutputDirectory(Directory);

    public void WriteConfig(string json) => File.WriteAllText(ConfigFile, json);

    public CliResult Build(string extra = "", IDictionary<string, string>? env = null) => DotnetCli.Build(Directory, extra, env);

    public string Digest(string? outputDir = null)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outputDir ?? OutputDir, "manifest.json")));
        return doc.RootElement.GetProperty("digest").GetString()!;
    }

    /// <summary>relative path → (SHA-256, last write time) of every file in the dataset folder.</summary>
    public Dictionary<string, (string Sha, DateTime Written)> Snapshot(string? outputDir = null)
    {
        string root = outputDir ?? OutputDir;
        return System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), File.GetLastWriteTimeUtc(f)));
    }

    /// <summary>A small config: 160×120 keeps integration builds quick.</summary>
    public static string SmallConfig(int samples = 8, int seed = 3) => $$"""
        {
          "samples": {{samples}},
          "seed": {{seed}},
          "image": { "width": 160, "height": 120 },
          "camera": { "intrinsics": { "fx": 125, "fy": 125, "cx": 80, "cy": 60 } }
        }
        """;
}
