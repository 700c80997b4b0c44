using SynthBuild.Scheduling;

namespace SynthBuild.Scheduling.Tests;

public class ShardJobCommandTests
{
    private static SubmitRequest Request() => new("/data/my set/tabletop.synthproj", "tabletop", 4, "/shared/out/", "/data/obj/synth-submit",
        [KeyValuePair.Create("SynthSamples", "100"), KeyValuePair.Create("SynthSeed", "7")]) { Dotnet = "/usr/bin/dotnet" };

    [Fact]
    public void The_shard_and_merge_commands_carry_the_shared_properties_and_quote_for_a_shell()
    {
        var shard = ShardJobCommand.Shard(Request());
        Assert.Equal(["/usr/bin/dotnet", "build", "/data/my set/tabletop.synthproj", "--no-restore", "-nologo", "-nodeReuse:false", "-p:BuildProjectReferences=false",
            "-p:SynthShard=auto/4", "-p:SynthOutputDir=/shared/out/", "-p:SynthSamples=100", "-p:SynthSeed=7"], shard);
        Assert.Equal("/usr/bin/dotnet build '/data/my set/tabletop.synthproj' --no-restore -nologo -nodeReuse:false -p:BuildProjectReferences=false " +
            "-t:SynthMerge -p:SynthShards=4 -p:SynthOutputDir=/shared/out/ -p:SynthSamples=100 -p:SynthSeed=7",
            ShardJobCommand.ShellLine(ShardJobCommand.Merge(Request())));
        Assert.Equal("'it'\\''s'", ShardJobCommand.ShellQuote("it's"));
        Assert.Equal("''", ShardJobCommand.ShellQuote(""));
    }
}

public class SchedulerToolTests
{
    [Fact]
    public void A_command_that_is_not_installed_is_a_SYN9202_naming_it()
    {
        var output = SchedulerTool.Run("synth-no-such-sbatch", ["--version"], "submit the shards", "/p/demo.synthproj", out var error);
        Assert.Null(output);
        Assert.Equal("SYN9202", error!.Code);
        Assert.Contains("'synth-no-such-sbatch' is not installed", error.Message);
        Assert.Equal("/p/demo.synthproj", error.File);
    }

    [Fact]
    public void An_installed_command_runs_and_its_output_and_exit_code_come_back()
    {
        var output = SchedulerTool.Run("sh", ["-c", "echo out; echo err >&2; exit 3"], "test", null, out var error);
        Assert.Null(error);
        Assert.Equal(new ToolOutput(3, "out\n", "err\n"), output);
    }
}
