using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>
/// A section of the config that a downstream stage binds itself (e.g. "augmentation"): the schema has validated its
/// shape; the stage that owns its meaning checks the rest and reports positioned diagnostics through
/// <see cref="Positions"/>. Keeps Config free of the stages that come after it.
/// </summary>
public sealed class ConfigSection
{
    internal ConfigSection(string key, ConfigNode value, JsonPositionIndex positions) => (Key, Value, Positions) = (key, value, positions);

    /// <summary>The section's key in the config's top-level object.</summary>
    public string Key { get; }
    /// <summary>The section's value (its own copy: it outlives the parsed document).</summary>
    public ConfigNode Value { get; }
    /// <summary>Positions of every value of the config the section came from.</summary>
    public JsonPositionIndex Positions { get; }
    public string ConfigPath => Positions.File;

    /// <summary>Checks a value of the section against a definition of the shipped schema (e.g. "augment.rotate").</summary>
    public IReadOnlyList<Diagnostic> Validate(ConfigNode node, string definition) => ConfigSchema.Validate(node, Positions, definition);

    /// <summary>An error at a value of the section (or at its key).</summary>
    public Diagnostic Error(string code, ConfigNode at, string message, bool atKey = false) => Positions.Error(code, at, message, atKey);
}
