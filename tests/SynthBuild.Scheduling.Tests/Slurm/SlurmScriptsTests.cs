using SynthBuild.Scheduling.Slurm;

namespace SynthBuild.Scheduling.Tests.Slurm;

public class SlurmScriptsTests
{
    private static SubmitRequest Request(string work) => new("/data/my set/tabletop.synthproj", "table top", 4, "/shared/out/", work,
        [KeyValuePair.Create("SynthSamples", "100")]) { Dotnet = "/usr/bin/dotnet" };

    [Fact]
    public void The_array_and_merge_scripts_hold_the_job_commands_options_and_logs()
    {
        string work = Path.Combine(Path.GetTempPath(), "synth-slurm-scripts-" + Guid.NewGuid().ToString("N")[..8]);
        var settings = SlurmSettings.Parse("--partition=gpu;--time=01:00:00", "", "", "", 4, null, out _)!;
        var scripts = SlurmScripts.Write(Request(work), settings);

        Assert.Equal(Path.Combine(work, "table_top-shards.sbatch"), scripts.ShardScript);
        Assert.Equal($"""
            #!/bin/sh
            # Written by SynthBuild's SynthSubmit: the shard $SLURM_ARRAY_TASK_ID of 4 of table top.
            #SBATCH --job-name=table_top-shards
            #SBATCH --array=0-3
            #SBATCH --output={work}/%x-%A_%a.out
            #SBATCH --partition=gpu
            #SBATCH --time=01:00:00
            exec /usr/bin/dotnet build '/data/my set/tabletop.synthproj' --no-restore -nologo -nodeReuse:false -p:BuildProjectReferences=false -p:SynthShard=auto/4 -p:SynthOutputDir=/shared/out/ -p:SynthSamples=100

            """, File.ReadAllText(scripts.ShardScript));
        Assert.Equal($"""
            #!/bin/sh
            # Written by SynthBuild's SynthSubmit: the merge of the 4 shards of table top.
            #SBATCH --job-name=table_top-merge
            #SBATCH --output={work}/%x-%j.out
            #SBATCH --partition=gpu
            #SBATCH --time=01:00:00
            exec /usr/bin/dotnet build '/data/my set/tabletop.synthproj' --no-restore -nologo -nodeReuse:false -p:BuildProjectReferences=false -t:SynthMerge -p:SynthShards=4 -p:SynthOutputDir=/shared/out/ -p:SynthSamples=100

            """, File.ReadAllText(scripts.MergeScript));
        Assert.Equal(Path.Combine(work, "table_top-shards-41_2.out"), scripts.ShardLog(Request(work), "41", 2));
        Assert.Equal(Path.Combine(work, "table_top-merge-42.out"), scripts.MergeLog(Request(work), "42"));

        // Resubmitting shards 1 and 3: the array names only them.
        var again = SlurmSettings.Parse("", "", "", "3,1", 4, null, out _)!;
        Assert.Contains("#SBATCH --array=1,3\n", File.ReadAllText(SlurmScripts.Write(Request(work), again).ShardScript));
        Directory.Delete(work, recursive: true);
    }
}
