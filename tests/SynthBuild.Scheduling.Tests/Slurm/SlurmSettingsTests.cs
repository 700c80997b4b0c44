using SynthBuild.Scheduling.Slurm;

namespace SynthBuild.Scheduling.Tests.Slurm;

public class SlurmSettingsTests
{
    private static SlurmSettings? Parse(string options = "", string wait = "", string timeout = "", string indices = "", int shards = 4) =>
        SlurmSettings.Parse(options, wait, timeout, indices, shards, "/p/demo.synthproj", out _);

    private static string OnlyError(string options = "", string wait = "", string timeout = "", string indices = "", int shards = 4)
    {
        Assert.Null(SlurmSettings.Parse(options, wait, timeout, indices, shards, "/p/demo.synthproj", out var errors));
        var e = Assert.Single(errors);
        Assert.Equal("/p/demo.synthproj", e.File);
        return $"{e.Code}: {e.Message}";
    }

    [Fact]
    public void Options_are_split_on_semicolons_and_kept_in_order_and_all_shards_are_the_default()
    {
        var s = Parse(" --partition=gpu ; --time=01:00:00;;--cpus-per-task=2;-p debug", "true", "600")!;
        Assert.Equal(["--partition=gpu", "--time=01:00:00", "--cpus-per-task=2", "-p debug"], s.ExtraOptions);
        Assert.True(s.Wait);
        Assert.Equal(TimeSpan.FromSeconds(600), s.WaitTimeout);
        Assert.Equal([0, 1, 2, 3], s.ShardIndices);
        Assert.Equal("0-3", s.ArraySpec(4));
        var none = Parse()!;
        Assert.Empty(none.ExtraOptions);
        Assert.False(none.Wait);
        Assert.Null(none.WaitTimeout);
    }

    [Theory]
    [InlineData("--array=0-9", "sets --array")]
    [InlineData("--arr=0-9", "sets --array")]
    [InlineData("-a 0-9", "sets --array (-a)")]
    [InlineData("--dependency=afterok:1", "sets --dependency")]
    [InlineData("-d afterany:3", "sets --dependency (-d)")]
    [InlineData("--output=/tmp/x.out", "sets --output")]
    [InlineData("-o x", "sets --output (-o)")]
    [InlineData("--error=e.txt", "sets --error")]
    [InlineData("--job-name=x", "sets --job-name")]
    [InlineData("-J x", "sets --job-name (-J)")]
    [InlineData("--parsable", "sets --parsable")]
    [InlineData("--wrap=hostname", "sets --wrap")]
    [InlineData("partition=gpu", "is not an sbatch option")]
    [InlineData("--", "is not an sbatch option")]
    [InlineData("--time=1\n#SBATCH --array=0-9", "holds a line break")]
    public void An_option_SynthBuild_sets_itself_or_a_malformed_one_is_SYN9210(string option, string problem)
    {
        string error = OnlyError(options: "--partition=gpu;" + option);
        Assert.StartsWith("SYN9210: SynthSlurmOptions entry '", error);
        Assert.Contains(problem, error);
    }

    [Fact]
    public void Shard_indices_pick_the_array_tasks_and_bad_ones_are_SYN9215()
    {
        var s = Parse(indices: "3, 1,3")!;
        Assert.Equal([1, 3], s.ShardIndices);
        Assert.Equal("1,3", s.ArraySpec(4));
        Assert.Equal("0", Parse(shards: 1)!.ArraySpec(1));
        Assert.Equal("SYN9215: SynthShardIndices '1,4': '4' is not a shard index below SynthShards=4.", OnlyError(indices: "1,4"));
        Assert.StartsWith("SYN9215:", OnlyError(indices: "-1"));
        Assert.StartsWith("SYN9215:", OnlyError(indices: "1-3"));
    }

    [Theory]
    [InlineData("yes", "", "SYN9216: SynthWait must be true or false (found 'yes').")]
    [InlineData("true", "0", "SYN9216: SynthWaitTimeout must be a whole number of seconds >= 1 (found '0').")]
    [InlineData("true", "1h", "SYN9216: SynthWaitTimeout must be a whole number of seconds >= 1 (found '1h').")]
    public void Bad_wait_settings_are_SYN9216(string wait, string timeout, string expected) =>
        Assert.Equal(expected, OnlyError(wait: wait, timeout: timeout));
}
