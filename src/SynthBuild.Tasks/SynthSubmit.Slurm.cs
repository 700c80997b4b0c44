using SynthBuild.Scheduling;

namespace SynthBuild.Tasks;

public sealed partial class SynthSubmit
{
    private bool SubmitSlurm(SubmitRequest request)
    {
        Log.LogError("SynthSubmit for Slurm: not yet here.");
        return false;
    }
}
