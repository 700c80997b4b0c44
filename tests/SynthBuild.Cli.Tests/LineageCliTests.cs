using SynthBuild.Core.Config;
using SynthBuild.Lineage;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Sharding;

namespace SynthBuild.Cli.Tests;

public sealed class LineageCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("synth-cli-lineage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Lineage_prints_the_projects_history_and_reports_a_broken_line_with_its_position()
    {
        string config = Path.Combine(_dir, "synth.json");
        File.WriteAllText(config, """{ "name": "cli", "samples": 2, "image": { "width": 80, "height": 60 }, "camera": { "intrinsics": { "fx": 60, "fy": 60, "cx": 40, "cy": 30 } } }""");
        string data = Path.Combine(_dir, "bin", "dataset");
        Assert.True(new DatasetBuilder(ConfigLoader.Load(config).Spec!, data).Build().Succeeded);
        string log = Path.Combine(_dir, LineageLog.DefaultFileName);
        var outcome = LineageRecorder.Record(new LineageRequest(Path.Combine(_dir, "cli.synthproj"), config, data, new(), "0.3.0",
            new GenerationFigures(2, 0, 0, 0.5), LineageRecord.Finished, log, [], Environment: _ => null));
        Assert.True(outcome.Succeeded);

        var (code, stdout, _) = Run("lineage", _dir);
        Assert.Equal(SynthCli.ExitOk, code);
        Assert.Contains("cli v0.3.0 FINISHED", stdout);
        Assert.Contains("samples  2 (2 generated, 0 reused, 0 removed, 4.0 samples/s)", stdout);
        Assert.Contains("(not in a repository)", stdout);

        File.AppendAllText(log, "not json\n");
        var (bad, _, err) = Run("lineage", log);
        Assert.Equal(SynthCli.ExitBadInput, bad);
        Assert.Contains($"{log}(2,1): error SYN6005", err);
    }

    [Fact]
    public void Lineage_says_a_merged_dataset_was_merged_from_its_shards_and_json_keeps_them()
    {
        string config = Path.Combine(_dir, "synth.json");
        File.WriteAllText(config, """{ "name": "cli", "samples": 5, "image": { "width": 80, "height": 60 }, "camera": { "intrinsics": { "fx": 60, "fy": 60, "cx": 40, "cy": 30 } } }""");
        var spec = ConfigLoader.Load(config).Spec!;
        string data = Path.Combine(_dir, "bin", "dataset");
        for (int i = 0; i < 2; i++)
            Assert.True(new DatasetBuilder(spec, data, new BuildOptions(Shard: ShardPartition.Range(i, 2, spec.Samples))).Build().Succeeded);
        var merge = ShardMerger.Merge(spec, data, 2);
        Assert.True(merge.Succeeded);
        string log = Path.Combine(_dir, LineageLog.DefaultFileName);
        var outcome = LineageRecorder.Record(new LineageRequest(Path.Combine(_dir, "cli.synthproj"), config, data, new(), null,
            new GenerationFigures(5, 0, 0, 0.5), LineageRecord.Finished, log, [], Environment: _ => null, Shards: merge.Shards));
        Assert.True(outcome.Succeeded);

        var (code, stdout, _) = Run("lineage", _dir);
        Assert.Equal(SynthCli.ExitOk, code);
        Assert.Contains("merged from 2 shards: 0 [0, 2), 1 [2, 5)", stdout);
        var (jsonCode, json, _) = Run("lineage", _dir, "--json");
        Assert.Equal(SynthCli.ExitOk, jsonCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Trim());
        var shards = doc.RootElement.GetProperty("shards");
        Assert.Equal(2, shards.GetArrayLength());
        Assert.Equal(merge.Shards[1].Sha256, shards[1].GetProperty("sha256").GetString());
        Assert.Equal(5, shards[1].GetProperty("range").GetProperty("end").GetInt32());
    }

    [Fact]
    public void Release_verify_of_a_folder_that_is_no_release_fails_with_SYN6025()
    {
        var (code, _, err) = Run("release", "verify", _dir);
        Assert.Equal(SynthCli.ExitGateFailed, code);
        Assert.Contains("error SYN6025", err);
        Assert.Equal(SynthCli.ExitBadInput, Run("release", "sign", _dir).Code);
    }

    [Fact]
    public void Release_verify_json_prints_one_object_with_the_problems()
    {
        var (code, stdout, _) = Run("release", "verify", _dir, "--json");
        Assert.Equal(SynthCli.ExitGateFailed, code);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(0, doc.RootElement.GetProperty("filesChecked").GetInt32());
        Assert.Equal("SYN6025", doc.RootElement.GetProperty("problems")[0].GetProperty("code").GetString());
    }
    [Fact]
    public void Release_extract_refuses_a_crafted_archive_and_writes_nothing()
    {
        string archive = Path.Combine(_dir, "evil.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new System.IO.Compression.GZipStream(fs, System.IO.Compression.CompressionLevel.Fastest))
        using (var tar = new System.Formats.Tar.TarWriter(gz))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "x/ok.txt") { DataStream = new MemoryStream([1]) });
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "../x") { DataStream = new MemoryStream([2]) });
        }
        string dest = Path.Combine(_dir, "out");
        var (code, _, err) = Run("release", "extract", archive, "--out", dest);
        Assert.Equal(SynthCli.ExitGateFailed, code);
        Assert.Contains("error SYN6023", err);
        Assert.Contains("'../x'", err);
        Assert.False(File.Exists(Path.Combine(_dir, "x")));
        Assert.False(Directory.Exists(dest) && Directory.EnumerateFileSystemEntries(dest).Any());
    }
}
