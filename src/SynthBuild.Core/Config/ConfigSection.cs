using Newtonsoft.Json.Linq;

namespace SynthBuild.Core.Config;

/// <summary>
/// A section of the config that a downstream stage binds itself (e.g. "augmentation"): the schema has validated its
/// shape; the stage that owns its meaning checks the rest and reports positioned diagnostics through
/// <see cref="Source"/>. Keeps Config free of the stages that come after it.
/// </summary>
public sealed class ConfigSection
{
    internal ConfigSection(string key, JObject json, ConfigLoader.SourceText source) => (Key, Json, Source) = (key, json, source);

    /// <summary>The section's key in the config's top-level object.</summary>
    public string Key { get; }
    internal JObject Json { get; }
    internal ConfigLoader.SourceText Source { get; }
    public string ConfigPath => Source.Path;
}
