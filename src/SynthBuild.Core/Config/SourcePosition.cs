using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>Where a value of the config is: its file, 1-based line and column, and its key path (e.g. "categories[0].file").</summary>
public readonly record struct SourcePosition(string File, int Line, int Column, string Key)
{
    /// <summary>An error at this position whose message starts with the key, as every config diagnostic does.</summary>
    public Diagnostic Error(string code, string message) => Diagnostic.Error(code, $"{Key}: {message}", File, Line, Column);
}
