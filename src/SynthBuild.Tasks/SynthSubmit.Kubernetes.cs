using SynthBuild.Scheduling;

namespace SynthBuild.Tasks;

public sealed partial class SynthSubmit
{
    private bool SubmitKubernetes(SubmitRequest request)
    {
        Log.LogError("SynthSubmit for Kubernetes: not yet here.");
        return false;
    }
}
