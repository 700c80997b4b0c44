using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage.Tests;

/// <summary>
/// Lineage JSON is written by source-generated serializers (so the Native AOT `synth` tool reads and writes it); the
/// bytes must be those the reflection serializer with the former options wrote, so existing logs, pending notes and
/// MLflow artifacts stay byte for byte the same.
/// </summary>
public class LineageJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static LineageRecord Record(bool full)
    {
        var git = new GitProvenance(true, "/repo", "0123456789abcdef", "main", "https://example.com/r.git", false, true, ["synth.json"], ["a.txt", "b é.txt"]);
        var record = new LineageRecord(LineageRecord.CurrentFormat, new DateTimeOffset(2026, 12, 6, 1, 2, 3, 456, TimeSpan.Zero), LineageRecord.Finished,
            "user", "host", "/repo/p.synthproj", new DatasetIdentity("tabletop", full ? "1.2.0" : null, "abcdef0123", "0.9.0", "/repo/bin/dataset"),
            git, new GenerationFigures(7, 3, 1, 1.25), new DatasetProfile(10, 42, 64, 48, 3, 6, 2, 2),
            new Dictionary<string, string> { ["seed"] = "1", ["camera.fov"] = "<60>" },
            new Dictionary<string, double> { ["samples"] = 10, ["quality.balance"] = double.PositiveInfinity, ["x"] = double.NaN, ["y"] = 0.1 });
        return full
            ? record with
            {
                Mlflow = new MlflowRunRef("http://mlflow:5000", "1", "run"), Failure = "quality gate(s) failed: min-objects",
                Shards = [new MergedShard(new ShardRange(0, 2, 0, 5), "shards/shard-0000-of-0002.json", "ff"), new MergedShard(new ShardRange(1, 2, 5, 10), "shards/shard-0001-of-0002.json", "ee")],
            }
            : record;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_log_line_has_the_reflection_serializers_bytes_and_reads_back(bool full)
    {
        LineageRecord r = Record(full);
        string expected = JsonSerializer.Serialize(r, Reflection);
        Assert.Equal(expected, r.ToJsonLine());
        Assert.Equal(full, expected.Contains("\"shards\":", StringComparison.Ordinal));
        Assert.Contains("\"samplesPerSecond\":5.6", expected);
        LineageRecord back = LineageRecord.FromJson(expected);
        Assert.Equal(expected, back.ToJsonLine());
        Assert.Equal(expected, JsonSerializer.Serialize(JsonSerializer.Deserialize<LineageRecord>(r.ToJsonLine(), Reflection), Reflection));
    }

    [Fact]
    public void The_shards_artifact_has_the_bytes_of_the_former_anonymous_object()
    {
        LineageRecord r = Record(full: true);
        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(new { dataset = r.Dataset.Name, digest = r.Dataset.Digest, shards = r.Shards },
            new JsonSerializerOptions(Reflection) { WriteIndented = true });
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(MlflowTracker.ShardsJson(r)));
    }

    [Fact]
    public void A_pending_note_has_the_reflection_serializers_bytes_and_reads_back()
    {
        string dir = Directory.CreateTempSubdirectory("synth-pending-").FullName;
        var figures = new GenerationFigures(5, 0, 0, 0.5);
        PendingLineage.Write(dir, "d1", figures);
        byte[] written = File.ReadAllBytes(PendingLineage.PathFor(dir, "d1"));
        DateTimeOffset at;
        using (var doc = JsonDocument.Parse(written)) at = doc.RootElement.GetProperty("generatedUtc").GetDateTimeOffset();
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(new PendingLineage.Note("d1", figures, at), Reflection), written);
        Assert.Equal(figures, PendingLineage.Figures(dir, "d1"));
        // A note written by the reflection serializer (an older build) reads back.
        AtomicFile.Write(PendingLineage.PathFor(dir, "d2"), JsonSerializer.SerializeToUtf8Bytes(new PendingLineage.Note("d2", figures with { Reused = 2 }, at), Reflection));
        Assert.Equal(figures with { Reused = 2 }, PendingLineage.Figures(dir, "d2"));
    }
}
