namespace SynthBuild.TestSupport;

public static class TestPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries holding SynthBuild.sln.</summary>
    public static string RepoRoot { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynthBuild.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("SynthBuild.sln not found above " + AppContext.BaseDirectory);
    }
}
