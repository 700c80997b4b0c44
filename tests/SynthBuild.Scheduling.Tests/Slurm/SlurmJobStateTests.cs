using SynthBuild.Scheduling.Slurm;

namespace SynthBuild.Scheduling.Tests.Slurm;

public class SlurmJobStateTests
{
    // Records as `scontrol show job -o` prints them (Slurm 22.05, trimmed of fields SynthSubmit does not read): task 3
    // has started and has its own record; tasks 0-2 are still pending and share the array's record.
    private const string PendingArray =
        "JobId=12 ArrayJobId=12 ArrayTaskId=0-2 JobName=tabletop-shards UserId=root(0) JobState=PENDING Reason=Resources Dependency=(null) ExitCode=0:0 TRES=cpu=1,node=1,billing=1 ReqB:S:C:T=0:0:*:* Socks/Node=* Command=/w/obj/synth-submit/tabletop-shards.sbatch WorkDir=/w/my data StdOut=/w/obj/synth-submit/tabletop-shards-12_%a.out Power=\n" +
        "JobId=16 ArrayJobId=12 ArrayTaskId=3 JobName=tabletop-shards UserId=root(0) JobState=RUNNING Reason=None Dependency=(null) ExitCode=0:0 TRES=cpu=1,node=1,billing=1 StdOut=/w/obj/synth-submit/tabletop-shards-12_3.out Power=\n";

    [Fact]
    public void A_pending_array_record_stands_for_each_of_its_tasks()
    {
        var records = SlurmJobState.Parse(PendingArray);
        Assert.Equal(2, records.Count);
        Assert.Equal(("12", "PENDING", "Resources"), (records[0].JobId, records[0].State, records[0].Reason));
        Assert.Equal([0, 1, 2], records[0].TaskIds);
        Assert.Equal(JobPhase.Pending, records[0].Phase);
        Assert.Equal("16", records[1].JobId);
        Assert.Equal([3], records[1].TaskIds);
        Assert.Equal(JobPhase.Running, records[1].Phase);
    }

    [Fact]
    public void Fields_keep_values_with_equals_signs_and_spaces()
    {
        var f = SlurmJobState.Fields(PendingArray.Split('\n')[0]);
        Assert.Equal("cpu=1,node=1,billing=1", f["TRES"]);
        Assert.Equal("0:0:*:*", f["ReqB:S:C:T"]);
        Assert.Equal("/w/my data", f["WorkDir"]);
        Assert.Equal("", f["Power"]);
    }

    [Fact]
    public void A_plain_job_has_no_tasks_and_its_state_maps_to_a_phase()
    {
        var merge = Assert.Single(SlurmJobState.Parse("JobId=17 JobName=tabletop-merge JobState=PENDING Reason=DependencyNeverSatisfied Dependency=afterok:12_*(failed)\n"));
        Assert.Empty(merge.TaskIds);
        Assert.Equal("DependencyNeverSatisfied", merge.Reason);
        Assert.Equal(JobPhase.Done, SlurmJobState.PhaseOf("COMPLETED"));
        foreach (string s in new[] { "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL" }) Assert.Equal(JobPhase.Failed, SlurmJobState.PhaseOf(s));
        foreach (string s in new[] { "RUNNING", "COMPLETING", "CONFIGURING" }) Assert.Equal(JobPhase.Running, SlurmJobState.PhaseOf(s));
        Assert.Equal(JobPhase.Pending, SlurmJobState.PhaseOf("PENDING"));
        Assert.Equal("CANCELLED", Assert.Single(SlurmJobState.Parse("JobId=5 ArrayJobId=4 ArrayTaskId=1 JobState=CANCELLED by 0 Reason=None")).State);
        Assert.Empty(SlurmJobState.Parse("slurm_load_jobs error: Invalid job id specified\n"));
    }

    [Theory]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("1,3", new[] { 1, 3 })]
    [InlineData("0-2,5,7-8", new[] { 0, 1, 2, 5, 7, 8 })]
    [InlineData("0-7:2", new[] { 0, 2, 4, 6 })]
    [InlineData("2-3%1", new[] { 2, 3 })]
    [InlineData("4", new[] { 4 })]
    public void Array_task_sets_expand(string spec, int[] ids) => Assert.Equal(ids, SlurmJobState.ExpandTaskIds(spec));
}
