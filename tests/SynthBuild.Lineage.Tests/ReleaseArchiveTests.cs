using SynthBuild.Core.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

public class ReleaseArchiveTests
{
    [Fact]
    public void ReadMember_returns_the_first_safe_regular_file_that_matches_never_a_link_or_a_traversal()
    {
        string dir = SmallDataset.TempDir();
        string archive = Path.Combine(dir, "r.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "r/x.json") { LinkName = "/etc/passwd" });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../r/x.json") { DataStream = new MemoryStream([9]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "r"));
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "r/x.json") { DataStream = new MemoryStream([1]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "r/x.json") { DataStream = new MemoryStream([2]) });
        }
        Assert.Equal([1], ReleaseArchive.ReadMember(archive, name => name.EndsWith("/x.json", StringComparison.Ordinal)));
        Assert.Null(ReleaseArchive.ReadMember(archive, name => name == "r/y.json"));
        Assert.Equal(["r/x.json", "../r/x.json", "r", "r/x.json", "r/x.json"], ReleaseArchive.Entries(archive).Select(ReleaseArchive.PathOf));

        string plain = Path.Combine(dir, "plain.tar.gz");
        File.WriteAllText(plain, "not gzip");
        var ex = Assert.ThrowsAny<Exception>(() => ReleaseArchive.ReadMember(plain, _ => true));
        Assert.True(ReleaseArchive.IsUnreadable(ex), ex.GetType().Name);
        Assert.Equal(SynCodes.NotARelease, ReleaseArchive.Unreadable(plain, ex).Code);
    }
}
