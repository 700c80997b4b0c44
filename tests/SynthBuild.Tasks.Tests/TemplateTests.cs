using SynthBuild.Core.Config;

namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class TemplateTests
{
    [Fact]
    public void Dotnet_new_template_creates_a_valid_dataset_project()
    {
        string root = Path.Combine(Path.GetTempPath(), "synthbuild-template", Guid.NewGuid().ToString("N")[..12]);
        string hive = Path.Combine(root, "hive"), output = Path.Combine(root, "shop");
        Directory.CreateDirectory(root);
        string template = Path.Combine(DotnetCli.RepoRoot, "templates", "synthbuild-dataset");
        var install = DotnetCli.Run(root, $"new install {template} --debug:custom-hive {hive}");
        Assert.True(install.ExitCode == 0, install.ToString());
        var created = DotnetCli.Run(root, $"new synthbuild-dataset -n shop -o {output} --Samples 25 --debug:custom-hive {hive}");
        Assert.True(created.ExitCode == 0, created.ToString());

        Assert.Equal("<Project Sdk=\"SynthBuild.Sdk\">", File.ReadLines(Path.Combine(output, "shop.synthproj")).First());
        Assert.Contains("\"SynthBuild.Sdk\": \"0.1.0\"", File.ReadAllText(Path.Combine(output, "global.json")));
        var config = ConfigLoader.Load(Path.Combine(output, "synth.json"));
        Assert.True(config.Succeeded, string.Join("\n", config.Diagnostics));
        Assert.Equal(25, config.Spec!.Samples);

        // The CI files (docs/ci.md) come along verbatim; the script is executable (the post action) for running it by hand.
        foreach (string file in new[] { ".github/workflows/dataset.yml", "azure-pipelines.yml", "eng/dataset-ci.sh" })
            Assert.Equal(File.ReadAllText(Path.Combine(template, file)), File.ReadAllText(Path.Combine(output, file)));
        Assert.True(File.GetUnixFileMode(Path.Combine(output, "eng", "dataset-ci.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Contains("releases/", File.ReadAllText(Path.Combine(output, ".gitignore")));
    }
}
