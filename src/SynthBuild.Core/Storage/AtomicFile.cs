namespace SynthBuild.Core.Storage;

/// <summary>
/// Writes whole files atomically: bytes go to a temporary file in the same folder, then a rename replaces the
/// target. A build killed midway leaves either the old file or the new one, never half of one.
/// </summary>
public static class AtomicFile
{
    public const string TempSuffix = ".synthtmp";

    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + TempSuffix);
        try
        {
            using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                fs.Write(bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Disk full, quota, I/O error: no temporary file stays behind, and the error names the file.
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new DatasetWriteException(path, ex);
        }
    }

    /// <summary>Writes only when the content differs, so unchanged files keep their timestamps.</summary>
    public static bool WriteIfChanged(string path, ReadOnlySpan<byte> bytes)
    {
        if (File.Exists(path))
        {
            var info = new FileInfo(path);
            if (info.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return false;
        }
        Write(path, bytes);
        return true;
    }

    /// <summary>Whether a file name is one of <see cref="Write"/>'s temporary files.</summary>
    public static bool IsTemporary(string path) => path.EndsWith(TempSuffix, StringComparison.Ordinal);

    /// <summary>Removes temporary files a killed build left behind.</summary>
    public static void RemoveLeftovers(string root)
    {
        if (!Directory.Exists(root)) return;
        foreach (string f in Directory.EnumerateFiles(root, "*" + TempSuffix, SearchOption.AllDirectories))
            File.Delete(f);
    }
}

/// <summary>A dataset file could not be written (disk full, I/O error, permissions); <see cref="Path"/> names it.</summary>
public sealed class DatasetWriteException(string path, Exception inner)
    : IOException($"Cannot write {path}: {inner.Message}", inner)
{
    public string Path { get; } = path;
}
