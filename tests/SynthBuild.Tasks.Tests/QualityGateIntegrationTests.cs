namespace SynthBuild.Tasks.Tests;

/// <summary>Quality gates through a real `dotnet build`: exit codes, SYN5xxx codes, messages and positions.</summary>
[Collection("dotnet build")]
public class QualityGateIntegrationTests
{
    private const string Gates = """
          <ItemGroup>
            <SynthGate Include="min-objects-per-image" Min="50" />
            <SynthGate Include="label-errors" Max="0" />
            <SynthGate Include="class-balance" Max="100" Severity="Warning" />
          </ItemGroup>
        """;

    [Fact]
    public void Failing_gate_fails_the_build_at_its_line_and_can_be_switched_off()
    {
        var project = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 6), projectItems: Gates);
        string[] lines = File.ReadAllLines(project.ProjectFile);
        int line = Array.FindIndex(lines, l => l.Contains("min-objects-per-image")) + 1;
        int column = lines[line - 1].IndexOf('<') + 1;

        var failed = project.Build();
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(project.ProjectFile)}\({line},{column}\): error SYN5001: Quality gate 'min-objects-per-image' failed: fewest labelled objects in one image is \d+, below the minimum 50\.", failed.Output);
        Assert.DoesNotContain("'label-errors' failed", failed.Output);
        Assert.DoesNotContain("'class-balance' failed", failed.Output);
        Assert.Matches(@"min-objects-per-image\s+\d+\s+>= 50\s+FAIL", failed.Output);  // the quality table
        Assert.Matches(@"label-errors\s+0\s+<= 0\s+pass", failed.Output);
        string reports = Path.Combine(project.OutputDir, "reports");
        foreach (string f in new[] { "quality.json", "quality.md", "quality.html" }) Assert.True(File.Exists(Path.Combine(reports, f)), f);
        Assert.Contains("Quality: analysed in", failed.Output);

        // Switched off for one build: passes, says so, and the dataset is not analysed again.
        var off = project.Build("-p:SynthGates=false");
        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.Contains("warning SYN5005: Quality gates are switched off for this build (SynthGates=false): 1 of 3 would fail.", off.Output);
        Assert.Contains("Quality: analysis up to date", off.Output);
        Assert.Contains("FAIL (gates off)", off.Output);

        // Loosened to a warning: the build passes and the warning is in the summary.
        File.WriteAllText(project.ProjectFile, File.ReadAllText(project.ProjectFile).Replace("Min=\"50\"", "Min=\"50\" Severity=\"Warning\""));
        var warned = project.Build();
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Matches($@"\({line},{column}\): warning SYN5001: Quality gate 'min-objects-per-image' failed", warned.Output);
        Assert.DoesNotContain("error SYN5", warned.Output);
    }

    [Fact]
    public void Passing_and_unknown_gates()
    {
        var project = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4), projectItems: """
              <ItemGroup>
                <SynthGate Include="min-objects-per-image" Min="1" />
                <SynthGate Include="depth-valid-ratio" Min="0.2" />
              </ItemGroup>
            """);
        var passed = project.Build();
        Assert.True(passed.ExitCode == 0, passed.ToString());
        Assert.Matches(@"depth-valid-ratio\s+0\.\d+\s+>= 0.2\s+pass", passed.Output);
        Assert.DoesNotContain("SYN5", passed.Output);

        File.WriteAllText(project.ProjectFile, File.ReadAllText(project.ProjectFile).Replace("depth-valid-ratio", "depth-validity"));
        var unknown = project.Build();
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("error SYN5002: Unknown quality gate 'depth-validity'.", unknown.Output);
    }
}
