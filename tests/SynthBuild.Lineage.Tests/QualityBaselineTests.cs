using LibGit2Sharp;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Quality;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

/// <summary>What a comparison can be made with: report files, dataset folders, releases and git refs.</summary>
public class QualityBaselineTests
{
    private static readonly GateDeclaration[] Gates = [new("label-errors", new Dictionary<string, string>())];

    [Fact]
    public void Reads_the_report_of_a_release_archive_and_of_its_extracted_folder()
    {
        var f = new LineageFixture();
        QualityReport built = QualityStage.Run(f.DatasetRoot, Gates, true, new QualitySettings()).Report!;
        // bin/ (dataset and reports) is ignored by git: the tree stays clean for the release.
        ReleaseResult release = DatasetRelease.Create(f.Release());
        Assert.True(release.Succeeded, string.Join("\n", release.Diagnostics));

        QualityReport fromArchive = QualityBaseline.Load(release.Archive!);
        Assert.Equal(built.ToJsonBytes(), fromArchive.ToJsonBytes());

        string extracted = Path.Combine(SmallDataset.TempDir(), "x");
        Assert.Empty(ReleaseArchive.Extract(release.Archive!, extracted));
        Assert.Equal(built.ToJsonBytes(), QualityBaseline.Load(extracted).ToJsonBytes()); // the folder holding <name>-<version>/
        Assert.Equal(built.ToJsonBytes(), QualityBaseline.Load(Directory.GetDirectories(extracted).Single()).ToJsonBytes());
        Assert.Equal(built.ToJsonBytes(), QualityBaseline.Load(f.DatasetRoot).ToJsonBytes());
    }

    [Fact]
    public void Missing_or_broken_reports_are_SYN5007_naming_the_path()
    {
        string empty = SmallDataset.TempDir();
        var ex = Assert.Throws<DiagnosticException>(() => QualityBaseline.Load(empty));
        Assert.Equal("SYN5007", ex.Diagnostic.Code);
        Assert.Contains("No quality report in", ex.Diagnostic.Message);
        string bad = Path.Combine(empty, "quality.json");
        File.WriteAllText(bad, "{ not json");
        ex = Assert.Throws<DiagnosticException>(() => QualityBaseline.Load(bad));
        Assert.Equal((SynCodes.CompareFailed, bad), (ex.Diagnostic.Code, ex.Diagnostic.File));
        string archive = Path.Combine(empty, "r.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new System.IO.Compression.GZipStream(fs, System.IO.Compression.CompressionLevel.Fastest))
        using (var tar = new System.Formats.Tar.TarWriter(gz))
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "d-1.0.0/release.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
        ex = Assert.Throws<DiagnosticException>(() => QualityBaseline.Load(archive));
        Assert.Contains("released without a quality report", ex.Diagnostic.Message);
    }

    [Fact]
    public void A_git_ref_lays_out_the_project_folder_of_that_commit_beside_todays_surroundings()
    {
        // repo/shared/common.props is imported by repo/datasets/demo/demo.synthproj through a relative path.
        string repoDir = SmallDataset.TempDir();
        string projectDir = Path.Combine(repoDir, "datasets", "demo");
        Directory.CreateDirectory(projectDir);
        Directory.CreateDirectory(Path.Combine(repoDir, "shared"));
        File.WriteAllText(Path.Combine(repoDir, "shared", "common.props"), "<Project />");
        string project = Path.Combine(projectDir, "demo.synthproj");
        File.WriteAllText(project, "<Project><Import Project=\"../../shared/common.props\" /></Project>");
        File.WriteAllText(Path.Combine(projectDir, "synth.json"), "{ \"samples\": 4 }");
        Directory.CreateDirectory(Path.Combine(projectDir, "meshes"));
        File.WriteAllText(Path.Combine(projectDir, "meshes", "part.obj"), "v 0 0 0");
        Repository.Init(repoDir);
        string first = Commit(repoDir, "v1");
        File.WriteAllText(Path.Combine(projectDir, "synth.json"), "{ \"samples\": 6 }");
        File.Delete(Path.Combine(projectDir, "meshes", "part.obj"));
        File.WriteAllText(Path.Combine(repoDir, "shared", "common.props"), "<Project><!-- today --></Project>");
        Commit(repoDir, "v2");
        using (var repo = new Repository(repoDir)) repo.ApplyTag("demo/v1", first);

        string cache = Path.Combine(projectDir, "obj", "synth-compare");
        GitBaseline b = QualityBaseline.PrepareGitRef(project, "demo/v1", cache);
        Assert.Equal(first, b.Commit);
        Assert.False(b.Cached);
        string copyDir = Path.GetDirectoryName(b.ProjectFile)!;
        Assert.EndsWith(Path.Combine("tree", "datasets", "demo", "demo.synthproj"), b.ProjectFile);
        Assert.Equal("{ \"samples\": 4 }", File.ReadAllText(Path.Combine(copyDir, "synth.json")));
        Assert.Equal("v 0 0 0", File.ReadAllText(Path.Combine(copyDir, "meshes", "part.obj")));
        // The relative import resolves to today's file, through a link.
        Assert.Equal("<Project><!-- today --></Project>", File.ReadAllText(Path.GetFullPath(Path.Combine(copyDir, "../../shared/common.props"))));
        Assert.False(Directory.Exists(Path.Combine(copyDir, "..", "..", ".git")));
        Assert.StartsWith(Path.GetFullPath(cache), b.OutputDirectory);

        // Same ref, same engine: the same layout; once its report exists it is reused. HEAD is another tree.
        GitBaseline again = QualityBaseline.PrepareGitRef(project, first[..10], cache);
        Assert.Equal(b.ReportFile, again.ReportFile);
        Directory.CreateDirectory(Path.GetDirectoryName(b.ReportFile)!);
        File.WriteAllText(b.ReportFile, "{}");
        Assert.True(QualityBaseline.PrepareGitRef(project, "demo/v1", cache).Cached);
        Assert.NotEqual(b.ReportFile, QualityBaseline.PrepareGitRef(project, "HEAD", cache).ReportFile);
        Assert.NotEqual(b.ReportFile, QualityBaseline.PrepareGitRef(project, "demo/v1", cache, variant: "samples=2").ReportFile);

        var unknown = Assert.Throws<DiagnosticException>(() => QualityBaseline.PrepareGitRef(project, "no-such-branch", cache));
        Assert.Contains("Cannot compare with git ref 'no-such-branch': no such commit, branch or tag", unknown.Diagnostic.Message);
        File.WriteAllText(Path.Combine(projectDir, "other.synthproj"), "<Project />");
        var missing = Assert.Throws<DiagnosticException>(() => QualityBaseline.PrepareGitRef(Path.Combine(projectDir, "other.synthproj"), "HEAD", cache));
        Assert.Contains("datasets/demo/other.synthproj does not exist at 'HEAD'", missing.Diagnostic.Message);
        var notRepo = Assert.Throws<DiagnosticException>(() => QualityBaseline.PrepareGitRef(Path.Combine(SmallDataset.TempDir(), "x.synthproj"), "HEAD", cache));
        Assert.Contains("not inside a git repository", notRepo.Diagnostic.Message);
    }

    private static string Commit(string dir, string message)
    {
        using var repo = new Repository(dir);
        Commands.Stage(repo, "*");
        return repo.Commit(message, LineageFixture.Author, LineageFixture.Author).Sha;
    }
}
