using System.Text.Json.Nodes;
using SynthBuild.Core.Storage;

namespace SynthBuild.Tasks;

/// <summary>
/// Writes the pending lineage record generation leaves for a new digest, in the format
/// PendingLineage (in the lineage assembly) reads; change both. Written here, not through that class, so that a generate-only
/// build or a shard worker does not load the lineage assembly (and LibGit2Sharp) just to leave a note.
/// </summary>
internal static class LineagePending
{
    public static void Write(string directory, string digest, int generated, int reused, int removed, double seconds)
    {
        var note = new JsonObject
        {
            ["digest"] = digest,
            ["generation"] = new JsonObject { ["generated"] = generated, ["reused"] = reused, ["removed"] = removed, ["seconds"] = seconds },
            ["generatedUtc"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        AtomicFile.Write(Path.Combine(directory, digest + ".json"), System.Text.Encoding.UTF8.GetBytes(note.ToJsonString()));
    }
}
