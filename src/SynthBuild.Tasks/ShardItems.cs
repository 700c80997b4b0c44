using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;

namespace SynthBuild.Tasks;

/// <summary>
/// The merged shards as MSBuild items, so SynthMerge's result reaches SynthLineage through the targets (and across
/// task hosts): item spec = the shard manifest's path, metadata = its range and SHA-256.
/// </summary>
internal static class ShardItems
{
    public static ITaskItem ToItem(MergedShard s)
    {
        var inv = CultureInfo.InvariantCulture;
        var item = new TaskItem(s.Manifest);
        item.SetMetadata("Index", s.Range.Index.ToString(inv));
        item.SetMetadata("Count", s.Range.Count.ToString(inv));
        item.SetMetadata("Start", s.Range.Start.ToString(inv));
        item.SetMetadata("End", s.Range.End.ToString(inv));
        item.SetMetadata("Sha256", s.Sha256);
        return item;
    }

    public static MergedShard FromItem(ITaskItem item)
    {
        int Int(string name) => int.Parse(item.GetMetadata(name), NumberStyles.None, CultureInfo.InvariantCulture);
        return new MergedShard(new ShardRange(Int("Index"), Int("Count"), Int("Start"), Int("End")), item.ItemSpec, item.GetMetadata("Sha256"));
    }
}
