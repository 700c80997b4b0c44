using System.Security.Cryptography;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Tasks;

/// <summary>A dataset config loaded for one build, and its assets, decoded on first use.</summary>
internal sealed class LoadedConfig(ConfigLoadResult config)
{
    private readonly Lazy<AssetLoadResult> _assets = new(() => AssetLibrary.Load(config.Spec!), LazyThreadSafetyMode.ExecutionAndPublication);

    public ConfigLoadResult Config { get; } = config;
    public DatasetSpec? Spec => Config.Spec;
    /// <summary>Only for a config that loaded (<see cref="ConfigLoadResult.Succeeded"/>).</summary>
    public AssetLoadResult Assets => _assets.Value;
}

/// <summary>
/// Loads and validates the dataset config once per build: the first task that asks loads it, later tasks of the same
/// build (SynthGenerate, SynthAugment, SynthLineage) reuse it, and the assets it names are decoded at most once.
/// Keyed by the config's full path, its content and the overrides, so an edited config is never served stale; the
/// spec carries the asset hashes it was loaded with, so every task of a build sees the same inputs. Held by MSBuild
/// for the build (<see cref="RegisteredTaskObjectLifetime.Build"/>); a task running out of process loads its own.
/// </summary>
internal static class SharedConfig
{
    /// <summary>The full paths of a task's overlay items; null when there are none.</summary>
    public static IReadOnlyList<string>? Overlays(ITaskItem[]? items) =>
        items is { Length: > 0 } ? items.Select(i => i.GetMetadata("FullPath")).ToList() : null;

    /// <summary>Logs at low importance whether this task parsed the config or reused this build's (tested in package mode).</summary>
    public static LoadedConfig Load(TaskLoggingHelper log, IBuildEngine engine, string task, string configFile, ConfigOverrides overrides)
    {
        var loaded = Load(engine, configFile, overrides, out bool reused);
        log.LogMessage(MessageImportance.Low, "{0}: config {1}: {2}", task, reused ? "reused from this build" : "loaded", configFile);
        return loaded;
    }

    private static LoadedConfig Load(IBuildEngine engine, string configFile, ConfigOverrides overrides, out bool reused)
    {
        reused = false;
        string text;
        try { text = File.ReadAllText(configFile); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return new LoadedConfig(ConfigLoader.Load(configFile, overrides)); }

        if (engine is not IBuildEngine4 cache) return new LoadedConfig(ConfigLoader.Parse(text, configFile, overrides));
        string key = string.Join("\n", "SynthBuild.Tasks.SharedConfig", Path.GetFullPath(configFile),
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))),
            overrides.Samples, overrides.Seed, overrides.DefaultName, overrides.OverridesSource, OverlaysKey(overrides));
        if (cache.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is LoadedConfig loaded) { reused = true; return loaded; }
        loaded = new LoadedConfig(ConfigLoader.Parse(text, configFile, overrides));
        cache.RegisterTaskObject(key, loaded, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return loaded;
    }

    /// <summary>Each overlay's path and content hash, so an edited overlay is never served stale either.</summary>
    private static string OverlaysKey(ConfigOverrides overrides) => string.Join("|", overrides.OverlayFiles.Select(f =>
    {
        string hash;
        try { hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { hash = "unreadable"; }
        return Path.GetFullPath(f) + "=" + hash;
    }));
}
