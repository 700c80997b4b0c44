using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage.Tests;

/// <summary>Lineage keyed on "this digest has not been recorded": pending records, one record per digest, no bypass.</summary>
public class PendingLineageTests
{
    private static string DigestOf(LineageFixture f) => DatasetReader.Open(f.DatasetRoot).Info.Digest;

    private static LineageRequest Request(LineageFixture f, string uri, bool required, GenerationFigures? now = null) =>
        f.Lineage() with
        {
            Generation = now ?? new GenerationFigures(0, 3, 0, 0.1), // this build regenerated nothing
            Required = required,
            Environment = k => k == "MLFLOW_TRACKING_URI" ? uri : null,
        };

    [Fact]
    public void Required_lineage_against_a_refusing_server_keeps_the_digest_pending_until_a_build_records_it_once()
    {
        var f = new LineageFixture();
        string pending = Path.Combine(f.Dir, "obj", "synth-lineage-pending");
        string digest = DigestOf(f);
        PendingLineage.Write(pending, digest, new GenerationFigures(3, 0, 0, 1.5)); // what the generating build left
        string refusing;
        using (var s = new FakeMlflowServer()) refusing = s.Uri;

        // Building again cannot bypass it: each build fails the same way and leaves the record pending.
        for (int build = 0; build < 2; build++)
        {
            var failed = LineageRecorder.Complete(Request(f, refusing, required: true), pending);
            Assert.False(failed.Succeeded);
            Assert.Single(failed.Diagnostics, d => d.Code == SynCodes.MlflowRequiredFailed);
            Assert.False(failed.Appended);
            Assert.True(PendingLineage.Exists(pending, digest));
            Assert.False(File.Exists(f.LogFile));
        }

        using var server = new FakeMlflowServer();
        var done = LineageRecorder.Complete(Request(f, server.Uri, required: true), pending);
        Assert.True(done.Succeeded, string.Join("\n", done.Diagnostics));
        Assert.True(done.Appended);
        Assert.False(PendingLineage.Exists(pending, digest));
        var record = Assert.Single(LineageLog.Read(f.LogFile));
        Assert.Equal(digest, record.Dataset.Digest);
        Assert.Equal(3, record.Generation.Generated); // the generating build's figures, from the pending record
        Assert.NotNull(record.Mlflow);
        Assert.Single(server.Runs);

        // The digest is recorded: later builds (no-op or repair) append nothing and log no run.
        var again = LineageRecorder.Complete(Request(f, server.Uri, required: true, new GenerationFigures(1, 2, 0, 0.2)), pending);
        Assert.True(again.Succeeded);
        Assert.False(again.Appended);
        Assert.Null(again.Record);
        Assert.Single(LineageLog.Read(f.LogFile));
        Assert.Single(server.Runs);
    }

    [Fact]
    public void An_unrecorded_digest_without_a_pending_record_is_recorded_by_the_next_build_and_only_once()
    {
        // A build killed between writing the dataset and writing its pending record: the log still lacks the digest.
        var f = new LineageFixture();
        string pending = Path.Combine(f.Dir, "obj", "pending");
        var first = LineageRecorder.Complete(Request(f, "", required: false), pending);
        Assert.True(first.Appended);
        Assert.Equal(0, Assert.Single(LineageLog.Read(f.LogFile)).Generation.Generated);
        Assert.False(LineageRecorder.Complete(Request(f, "", required: false), pending).Appended);
        Assert.Single(LineageLog.Read(f.LogFile));
    }

    [Fact]
    public void A_pending_record_whose_digest_is_already_logged_is_removed_without_a_second_record()
    {
        // Killed between appending the record and removing the pending note.
        var f = new LineageFixture();
        string pending = Path.Combine(f.Dir, "obj", "pending");
        Assert.True(LineageRecorder.Complete(Request(f, "", required: false), pending).Appended);
        PendingLineage.Write(pending, DigestOf(f), new GenerationFigures(3, 0, 0, 1));
        var outcome = LineageRecorder.Complete(Request(f, "", required: false), pending);
        Assert.False(outcome.Appended);
        Assert.False(PendingLineage.Exists(pending, DigestOf(f)));
        Assert.Single(LineageLog.Read(f.LogFile));
    }

    [Fact]
    public void A_pending_record_of_a_digest_since_replaced_is_dropped_with_SYN6040_naming_it()
    {
        var f = new LineageFixture();
        string pending = Path.Combine(f.Dir, "obj", "pending");
        string gone = new string('a', 64);
        PendingLineage.Write(pending, gone, new GenerationFigures(3, 0, 0, 1));
        var outcome = LineageRecorder.Complete(Request(f, "", required: false), pending);
        Assert.True(outcome.Appended);
        var w = Assert.Single(outcome.Diagnostics, d => d.Code == SynCodes.LineagePendingSuperseded);
        Assert.False(w.IsError);
        Assert.Equal(PendingLineage.PathFor(pending, gone), w.File);
        Assert.Empty(Directory.EnumerateFiles(pending));
    }
}
