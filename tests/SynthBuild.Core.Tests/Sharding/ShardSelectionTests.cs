using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Sharding;

namespace SynthBuild.Core.Tests.Sharding;

public class ShardSelectionTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData(" 7 / 10 ", 7, 10)]
    public void Explicit_shards_parse(string value, int index, int count)
    {
        var s = ShardSelection.Parse(value, Env(), "p.synthproj", out var error);
        Assert.Null(error);
        Assert.Equal(new ShardSelection(index, count, null), s);
    }

    [Theory]
    [InlineData("SLURM_ARRAY_TASK_ID")]
    [InlineData("JOB_COMPLETION_INDEX")]
    [InlineData("AWS_BATCH_JOB_ARRAY_INDEX")]
    [InlineData("SYNTH_SHARD_INDEX")]
    public void Auto_reads_each_index_variable_and_says_which(string variable)
    {
        var s = ShardSelection.Parse("auto/4", Env((variable, "3")), "p.synthproj", out var error);
        Assert.Null(error);
        Assert.Equal(new ShardSelection(3, 4, variable), s);
    }

    [Fact]
    public void Auto_takes_the_first_variable_that_is_set_in_the_documented_order()
    {
        var s = ShardSelection.Parse("AUTO/4", Env(("SYNTH_SHARD_INDEX", "1"), ("JOB_COMPLETION_INDEX", "2"), ("SLURM_ARRAY_TASK_ID", " ")), null, out _);
        Assert.Equal(new ShardSelection(2, 4, "JOB_COMPLETION_INDEX"), s);
    }

    [Theory]
    [InlineData("3", SynCodes.ShardInvalid)]
    [InlineData("a/b", SynCodes.ShardInvalid)]
    [InlineData("-1/4", SynCodes.ShardInvalid)]
    [InlineData("0/0", SynCodes.ShardInvalid)]
    [InlineData("1/-2", SynCodes.ShardInvalid)]
    [InlineData("1/2/3", SynCodes.ShardInvalid)]
    [InlineData("3/3", SynCodes.ShardIndexOutOfRange)]
    [InlineData("9/4", SynCodes.ShardIndexOutOfRange)]
    [InlineData("auto/3", SynCodes.ShardIndexVariableMissing)]
    public void Bad_values_are_errors_naming_the_property_and_file(string value, string code)
    {
        var s = ShardSelection.Parse(value, Env(), "/x/p.synthproj", out var error);
        Assert.Null(s);
        Assert.NotNull(error);
        Assert.Equal(code, error.Code);
        Assert.True(error.IsError);
        Assert.Equal("/x/p.synthproj", error.File);
        Assert.Contains($"SynthShard='{value}'", error.Message);
    }

    [Theory]
    [InlineData("x", SynCodes.ShardIndexVariableInvalid)]
    [InlineData("-1", SynCodes.ShardIndexVariableInvalid)]
    [InlineData("4", SynCodes.ShardIndexOutOfRange)]
    public void A_bad_index_variable_is_named_in_the_error(string value, string code)
    {
        var s = ShardSelection.Parse("auto/4", Env(("AWS_BATCH_JOB_ARRAY_INDEX", value)), null, out var error);
        Assert.Null(s);
        Assert.Equal(code, error!.Code);
        Assert.Contains("AWS_BATCH_JOB_ARRAY_INDEX", error.Message);
    }

    [Theory]
    [InlineData("4", true)]
    [InlineData("0", false)]
    [InlineData("-3", false)]
    [InlineData("", false)]
    [InlineData("two", false)]
    public void Shard_counts_parse(string text, bool ok) => Assert.Equal(ok, ShardSelection.TryCount(text, out _));
}
