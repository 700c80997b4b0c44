using System.Runtime.CompilerServices;
using SynthBuild.Lineage;

namespace SynthBuild.Tasks;

/// <summary>The generating tasks' one use of the lineage assembly, kept in its own type so they load it only when a dataset changed.</summary>
internal static class LineagePending
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Write(string directory, string digest, int generated, int reused, int removed, double seconds) =>
        PendingLineage.Write(directory, digest, new GenerationFigures(generated, reused, removed, seconds));
}
