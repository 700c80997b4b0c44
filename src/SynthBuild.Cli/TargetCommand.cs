using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Evaluation.Targeting;

namespace SynthBuild.Cli;

/// <summary>synth target: a config overlay that samples more of a slices report's failure modes (docs/cli.md).</summary>
internal static class TargetCommand
{
    public static Command Command(TextWriter stdout, TextWriter stderr)
    {
        var slices = SynthCli.RequiredPath("--slices", "SLICES.json", "The slices report (reports/slices.json, schema synthbuild.slices/1).");
        var output = SynthCli.RequiredPath("--out", "OVERLAY.json", "Where to write the overlay (build with -p:SynthConfigOverlay=OVERLAY.json).", "-o");
        var config = new Option<string>("--config") { DefaultValueFactory = _ => "synth.json", HelpName = "synth.json", Description = "The dataset config the slices were computed on." };
        var overlay = new Option<string[]>("--overlay")
        {
            HelpName = "FILE", Description = "An overlay the dataset was built with, merged over the config first (repeatable, in order).",
            AllowMultipleArgumentsPerToken = false,
        };
        var strength = new Option<double>("--strength")
        {
            DefaultValueFactory = _ => SliceTargeter.DefaultStrength, HelpName = "S",
            Description = "The failing bins' probability is multiplied by 1 + S (default 1: doubled), capped at 80% of the range.",
        };
        var json = new Option<bool>("--json") { Description = "Print what the overlay changes as JSON." };
        var command = new Command("target", "Write a config overlay that biases sampling toward a slices report's failure modes (more of the failing light, size, truncation…), keeping the rest of the distribution.")
        {
            slices, output, config, overlay, strength, json,
        };
        command.SetAction(p =>
        {
            string configFile = p.GetValue(config)!;
            var overlays = (p.GetValue(overlay) ?? []).ToList();
            var result = SliceTargeter.Run(p.GetRequiredValue(slices), configFile, overlays, p.GetValue(strength));
            string outFile = p.GetRequiredValue(output);
            SliceTargeter.Write(result, outFile);
            foreach (var w in result.Warnings) stderr.WriteLine(w.ToString());
            stdout.Write(p.GetValue(json) ? Json(result, Path.GetFullPath(outFile)) : Text(result, outFile));
            return SynthCli.ExitOk;
        });
        return command;
    }

    private static string Text(TargetResult r, string outFile)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var k in r.Keys)
            sb.AppendLine(string.Create(inv, $"{k.ConfigPath}: {string.Join(", ", k.FailingBins.Select(b => $"[{b.Min:G6}, {b.Max:G6}]"))} " +
                $"{k.ShareBefore:P1} -> {k.ShareAfter:P1} of the draws ({k.Weights.Count} bins)"));
        foreach (var s in r.Scalars)
            sb.AppendLine(string.Create(inv, $"{s.ConfigPath}: {s.Before:G6} -> {s.After:G6} ({s.Why})"));
        foreach (var n in r.NotTargetable) sb.AppendLine("not targetable: " + n);
        sb.AppendLine($"overlay written to {outFile}{(r.Parent is { } p ? $" (parent dataset {p[..Math.Min(12, p.Length)]})" : "")}");
        return sb.ToString();
    }

    private static string Json(TargetResult r, string outFile)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("overlay", outFile);
            if (r.Parent is { } parent) w.WriteString("parent", parent); else w.WriteNull("parent");
            w.WriteString("reason", r.Reason);
            w.WriteStartArray("keys");
            foreach (var k in r.Keys)
            {
                w.WriteStartObject();
                w.WriteString("configPath", k.ConfigPath);
                w.WriteStartArray("failingBins");
                foreach (var b in k.FailingBins) { w.WriteStartArray(); w.WriteNumberValue(b.Min); w.WriteNumberValue(b.Max); w.WriteEndArray(); }
                w.WriteEndArray();
                w.WriteNumber("shareBefore", k.ShareBefore);
                w.WriteNumber("shareAfter", k.ShareAfter);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("scalars");
            foreach (var s in r.Scalars)
            {
                w.WriteStartObject();
                w.WriteString("configPath", s.ConfigPath);
                w.WriteNumber("before", s.Before);
                w.WriteNumber("after", s.After);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("notTargetable");
            foreach (var n in r.NotTargetable) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
