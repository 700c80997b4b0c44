using SynthBuild.Core.Diagnostics;
using SynthBuild.Lineage;
using SynthBuild.TestSupport;

namespace SynthBuild.Releases.Storage.Tests;

/// <summary>The SDK's ReleasePush / ReleasePull targets, run by a real `dotnet build` against s3rver and Azurite.</summary>
[Collection(StorageCollection.Name)]
public sealed class ReleaseStorageTargetTests(StorageServers servers, ReleaseFixture release)
{
    [Fact]
    public void ReleasePush_then_ReleasePull_round_trip_through_dotnet_build_and_a_second_push_fails_the_build()
    {
        var project = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 2), name: "small");
        string prefix = "m" + Guid.NewGuid().ToString("N")[..12];
        string store = $"s3://{StorageServers.Bucket}/{prefix}";
        var env = servers.S3Env();

        var push = project.Build($"-t:ReleasePush -p:SynthReleaseArchive={release.Archive} -p:SynthReleaseStore={store}", env);
        Assert.True(push.ExitCode == 0, push.Output);
        Assert.Contains($"pushed {release.Archive} to {store}/small/1.2.0/{release.ArchiveName}", push.Output);

        // The store from SYNTH_RELEASE_STORE, the release from the project's name and <DatasetVersion>.
        string dest = Path.Combine(project.Directory, "pulled");
        var pull = project.Build($"-t:ReleasePull -p:DatasetVersion=1.2.0 -p:SynthReleasePullDir={dest}", new Dictionary<string, string>(env) { ["SYNTH_RELEASE_STORE"] = store });
        Assert.True(pull.ExitCode == 0, pull.Output);
        Assert.Equal(release.Bytes, File.ReadAllBytes(Path.Combine(dest, release.ArchiveName)));
        Assert.True(ReleaseVerifier.Verify(Path.Combine(dest, release.ArchiveName)).Ok);

        var again = project.Build($"-t:ReleasePush -p:SynthReleaseArchive={release.Archive} -p:SynthReleaseStore={store}", env);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains($"error {SynCodes.StoreVersionExists}: Release small@1.2.0 is already in {store}", again.Output);
        foreach (var output in new[] { push.Output, pull.Output, again.Output })
            Assert.DoesNotContain(StorageServers.S3Secret, output);
    }
}
