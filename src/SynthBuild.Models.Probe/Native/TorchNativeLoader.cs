using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Probe.Native;

/// <summary>
/// Makes TorchSharp's native library loadable on systems whose libstdc++ predates GCC 13 (Debian 12: GLIBCXX_3.4.30).
/// <para>TorchSharp 0.107.0's libLibTorchSharp.so was linked with GCC 13, whose &lt;iostream&gt; references
/// std::ios_base_library_init() (GLIBCXX_3.4.32) only as a link-time marker: no relocation uses the symbol, so it is
/// never resolved or called (the streams are initialised by libtorch_cpu's own ios_base::Init objects). The loader
/// still refuses the library because the version is listed as required. Where the system libstdc++ lacks the version,
/// <see cref="EnsureLoaded"/> writes a copy of the library whose requirement of that one version is weak
/// (VER_FLG_WEAK: the loader then only warns when LD_DEBUG asks), into a cache folder keyed by the original file's
/// SHA-256, loads it, and answers TorchSharp's own load of "LibTorchSharp" with it. Where the system libstdc++ has
/// the version, it does nothing.</para>
/// </summary>
public static class TorchNativeLoader
{
    public const string LibraryFile = "libLibTorchSharp.so";
    public const string StdcxxLibrary = "libstdc++.so.6";
    public const string RequiredVersion = "GLIBCXX_3.4.32";
    /// <summary>The one symbol of <see cref="RequiredVersion"/> that the library names.</summary>
    public const string MarkerSymbol = "_ZSt21ios_base_library_initv";

    private static readonly object Gate = new();
    private static LoadOutcome? outcome;

    /// <summary>What <see cref="EnsureLoaded"/> did, for reports and tests.</summary>
    public sealed record LoadOutcome(bool Patched, string? OriginalPath, string? PatchedPath, string Reason);

    /// <summary>Call before the first TorchSharp call; idempotent and thread-safe.</summary>
    /// <exception cref="DiagnosticException">SYN8101 when the library is not what the patch expects, SYN8102 when it
    /// cannot be found or loaded.</exception>
    public static LoadOutcome EnsureLoaded()
    {
        lock (Gate)
        {
            if (outcome is not null) return outcome;
            outcome = Load();
            return outcome;
        }
    }

    private static LoadOutcome Load()
    {
        if (!OperatingSystem.IsLinux()) return new(false, null, null, "not Linux: TorchSharp's own loader is used");
        if (SystemHasVersion()) return new(false, null, null, $"the system {StdcxxLibrary} has {RequiredVersion}: TorchSharp's own loader is used");

        string original = FindOriginal() ?? throw new DiagnosticException(Diagnostic.Error(SynCodes.ProbeNativeLoadFailed,
            $"{LibraryFile} not found next to TorchSharp.dll or in the application's native search folders (is the TorchSharp-cpu package's runtimes/linux-x64/native copied to the output?)."));
        byte[] bytes = File.ReadAllBytes(original);
        var patch = ElfVerneedPatcher.Patch(bytes, StdcxxLibrary, RequiredVersion, original);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string dir = Path.Combine(CacheRoot(), hash);
        string patched = Path.Combine(dir, LibraryFile);
        WriteIfDifferent(patched, patch.Bytes);

        // The copy's RUNPATH is $ORIGIN (the cache folder), so its DT_NEEDED libraries (libtorch.so, libc10.so,
        // libtorch_cpu.so) are loaded first from the original's folder by full path; the loader then finds them by
        // their SONAME.
        string folder = Path.GetDirectoryName(original)!;
        foreach (var needed in ElfVerneedPatcher.Needed(bytes, original))
        {
            string sibling = Path.Combine(folder, needed);
            if (File.Exists(sibling) && !NativeLibrary.TryLoad(sibling, out _))
                throw new DiagnosticException(Diagnostic.Error(SynCodes.ProbeNativeLoadFailed, $"{needed} (needed by {LibraryFile}) could not be loaded.", sibling));
        }
        IntPtr handle;
        try { handle = NativeLibrary.Load(patched); }
        catch (DllNotFoundException ex)
        {
            throw new DiagnosticException(Diagnostic.Error(SynCodes.ProbeNativeLoadFailed, $"The patched {LibraryFile} could not be loaded: {ex.Message}", patched));
        }
        // TorchSharp loads "LibTorchSharp" with NativeLibrary.TryLoad(name, its assembly) and P/Invokes "LibTorchSharp":
        // both consult this resolver first. (Its name-only fallback would also find the loaded copy by SONAME.)
        NativeLibrary.SetDllImportResolver(typeof(TorchSharp.torch).Assembly, (name, _, _) =>
            name is "LibTorchSharp" or "libLibTorchSharp" or LibraryFile ? handle : IntPtr.Zero);
        return new(true, original, patched, $"the system {StdcxxLibrary} lacks {RequiredVersion}: loaded a copy whose requirement of it is weak");
    }

    /// <summary>True when the libstdc++ this process loads defines <see cref="MarkerSymbol"/> at <see cref="RequiredVersion"/>.</summary>
    public static bool SystemHasVersion()
    {
        if (!NativeLibrary.TryLoad(StdcxxLibrary, out var lib)) return false;
        try { return dlvsym(lib, MarkerSymbol, RequiredVersion) != IntPtr.Zero; }
        catch (EntryPointNotFoundException) { return NativeLibrary.TryGetExport(lib, MarkerSymbol, out _); }
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern IntPtr dlvsym(IntPtr handle, string symbol, string version);

    /// <summary>Where TorchSharp's loader looks: next to TorchSharp.dll, then the deps.json native folders.</summary>
    internal static string? FindOriginal()
    {
        var dirs = new List<string>();
        string? asmDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        if (!string.IsNullOrEmpty(asmDir))
        {
            dirs.Add(asmDir);
            dirs.Add(Path.Combine(asmDir, "runtimes", "linux-x64", "native"));
        }
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string search)
            dirs.AddRange(search.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(AppContext.BaseDirectory);
        return dirs.Select(d => Path.Combine(d, LibraryFile)).FirstOrDefault(File.Exists);
    }

    /// <summary>SYNTH_NATIVE_CACHE, else $XDG_CACHE_HOME/synthbuild/native, else ~/.cache/synthbuild/native.</summary>
    internal static string CacheRoot()
    {
        string? env = Environment.GetEnvironmentVariable("SYNTH_NATIVE_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "synthbuild", "native", "libtorchsharp-glibcxx-weak");
    }

    private static void WriteIfDifferent(string path, byte[] bytes)
    {
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written aside and renamed: a concurrent build sees either no file or a whole one.
        string tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
