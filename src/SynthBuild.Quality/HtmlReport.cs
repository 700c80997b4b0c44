using System.Net;
using System.Text;
using ScottPlot;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

/// <summary>
/// <c>reports/quality.html</c>: one self-contained page. Plots are rendered with ScottPlot to PNG and embedded as
/// data: URIs, as are the contact-sheet thumbnails; styles are inline; no scripts, fonts or links to fetch.
/// </summary>
public static class HtmlReport
{
    private const int PlotWidth = 560, PlotHeight = 320;

    /// <param name="reader">The dataset, for the contact sheet; null leaves the sheet out.</param>
    public static string Render(QualityReport r, DatasetReader? reader, int contactSheetSamples = 12)
    {
        var sb = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<title>Dataset quality: ").Append(E(r.Dataset)).Append("</title>\n<style>");
        sb.Append("body{font-family:sans-serif;margin:24px;color:#222;background:#fff}h1{font-size:22px}h2{font-size:18px;margin-top:28px}");
        sb.Append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}td.n{text-align:right}");
        sb.Append(".pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}.warn{color:#9a6700;font-weight:bold}");
        sb.Append(".plots,.sheet{display:flex;flex-wrap:wrap;gap:12px}.plots img{border:1px solid #ddd}.sheet figure{margin:0}");
        sb.Append(".sheet figcaption{font-size:12px;color:#555}.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px}");
        sb.Append("tr.failrow td:not(.dim){background:#ffebe9}tr.few td:not(.dim){color:#999}table.slices td{white-space:nowrap}.bar{position:relative;display:inline-block;width:120px;height:10px;background:#eee;vertical-align:middle}");
        sb.Append(".bar span{position:absolute;left:0;top:0;bottom:0;background:#4a7bd0}.bar i{position:absolute;top:-3px;bottom:-3px;width:2px;background:#222}ol.modes li{margin:4px 0}");
        sb.Append("</style></head><body>\n");
        sb.Append("<h1>Dataset quality: ").Append(E(r.Dataset)).Append("</h1>\n<p>");
        sb.Append(r.Samples).Append(" samples, ").Append(r.Width).Append('×').Append(r.Height)
          .Append(", digest <code>").Append(E(r.Digest)).Append("</code>, report schema ").Append(r.SchemaVersion).Append("</p>\n");

        sb.Append("<h2>Gates</h2>\n");
        if (r.Gates.Count == 0) sb.Append("<p>No <code>SynthGate</code> declared.</p>\n");
        else
        {
            sb.Append("<table><tr><th>gate</th><th>measures</th><th>measured</th><th>bounds</th><th>severity</th><th>result</th></tr>\n");
            foreach (GateResult g in r.Gates)
            {
                string verdict = MarkdownReport.Verdict(g);
                string css = !g.Passed && g.Enabled ? (g.Severity == GateSeverity.Error ? "fail" : "warn") : "pass";
                sb.Append("<tr><td>").Append(E(g.Name)).Append("</td><td>").Append(E(g.Measures)).Append("</td><td class=\"n\">")
                  .Append(E(QualityGates.MeasuredText(g.Low, g.High))).Append("</td><td>").Append(E(QualityGates.BoundsText(g.Min, g.Max)))
                  .Append("</td><td>").Append(g.Severity.ToString().ToLowerInvariant()).Append("</td><td class=\"").Append(css).Append("\">")
                  .Append(E(verdict)).Append("</td></tr>\n");
            }
            sb.Append("</table>\n");
        }

        sb.Append("<h2>Classes</h2>\n<table><tr><th>class</th><th>instances</th><th>images</th>");
        foreach (SplitStats s in r.Splits) sb.Append("<th>").Append(E(s.Name)).Append("</th>");
        sb.Append("</tr>\n");
        for (int k = 0; k < r.Classes.Count; k++)
        {
            ClassStats c = r.Classes[k];
            sb.Append("<tr><td>").Append(E(c.Name)).Append("</td><td class=\"n\">").Append(c.Instances).Append("</td><td class=\"n\">").Append(c.Images).Append("</td>");
            foreach (SplitStats s in r.Splits) sb.Append("<td class=\"n\">").Append(k < s.ClassInstances.Length ? s.ClassInstances[k] : 0).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n<pre>").Append(E(Details(r))).Append("</pre>\n");

        sb.Append("<h2>Distributions</h2>\n<div class=\"plots\">\n");
        foreach (var (title, png) in Plots(r))
            sb.Append("<img alt=\"").Append(E(title)).Append("\" title=\"").Append(E(title)).Append("\" width=\"").Append(PlotWidth)
              .Append("\" height=\"").Append(PlotHeight).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">\n");
        sb.Append("</div>\n");

        if (r.Probe is ProbeSummary probe)
        {
            ProbeSection(sb, probe, reader);
            if (reader is not null) SlicesSection.Append(sb, reader.Root, r.Digest);
        }

        if (reader is not null && contactSheetSamples > 0)
        {
            sb.Append("<h2>Contact sheet</h2>\n<p class=\"legend\">");
            foreach (ClassStats c in r.Classes)
            {
                var col = ContactSheet.ColorOf(c.Id);
                sb.Append("<span style=\"background:rgb(").Append(col.R).Append(',').Append(col.G).Append(',').Append(col.B).Append(")\">")
                  .Append(E(c.Name)).Append("</span>");
            }
            sb.Append("</p>\n<div class=\"sheet\">\n");
            IReadOnlyList<long> picked = ContactSheet.SpreadSamples(reader.Indices, contactSheetSamples);
            var thumbs = new byte[picked.Count][];
            Parallel.For(0, picked.Count, k => thumbs[k] = ContactSheet.Thumbnail(reader, picked[k]));
            for (int k = 0; k < picked.Count; k++)
                sb.Append("<figure><img alt=\"sample ").Append(picked[k]).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(thumbs[k]))
                  .Append("\"><figcaption>").Append(E(reader.Stem(picked[k]))).Append(" (").Append(DatasetSplits.Name(reader.SplitOf(picked[k]))).Append(")</figcaption></figure>\n");
            sb.Append("</div>\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>The probe detector (reports/probe.json): metrics, loss curve, AP per class, throughput, settings and
    /// the runner's contact sheet of val detections (reports/probe.contact.png).</summary>
    private static void ProbeSection(StringBuilder sb, ProbeSummary p, DatasetReader? reader)
    {
        string E(string s) => WebUtility.HtmlEncode(s);
        string N(double v) => QualityGates.Number(v);
        sb.Append("<h2 id=\"probe\">Probe detector</h2>\n<p>A small detector trained from scratch on the train split (")
          .Append(p.TrainImages).Append(" images, ").Append(p.Curve.Count).Append(" epochs, ").Append(N(Math.Round(p.TrainSeconds, 1))).Append(" s) and scored on val and test with the COCO evaluator. ")
          .Append("Throughput: training ").Append(N(Math.Round(p.TrainImagesPerSecond, 1))).Append(" images/s, inference ").Append(N(Math.Round(p.InferenceImagesPerSecond, 1)))
          .Append(" images/s. Gates <code>probe-ap50</code> and <code>probe-ap</code> read the val split.</p>\n");
        sb.Append("<table><tr><th>split</th><th>images</th><th>detections</th><th>AP</th><th>AP50</th><th>AP75</th><th>AR100</th></tr>\n");
        foreach (var s in p.Splits)
            sb.Append("<tr><td>").Append(E(s.Split)).Append("</td><td class=\"n\">").Append(s.Images).Append("</td><td class=\"n\">").Append(s.Detections)
              .Append("</td><td class=\"n\">").Append(N(s.Stat("AP"))).Append("</td><td class=\"n\">").Append(N(s.Stat("AP50")))
              .Append("</td><td class=\"n\">").Append(N(s.Stat("AP75"))).Append("</td><td class=\"n\">").Append(N(s.Stat("AR100"))).Append("</td></tr>\n");
        sb.Append("</table>\n<table><tr><th>class</th>");
        foreach (var s in p.Splits) sb.Append("<th>AP ").Append(E(s.Split)).Append("</th>");
        sb.Append("</tr>\n");
        var classes = p.Splits.SelectMany(s => s.Categories).GroupBy(c => c.Id).OrderBy(g => g.Key).Select(g => g.First()).ToList();
        foreach (var c in classes)
        {
            sb.Append("<tr><td>").Append(E(c.Name)).Append("</td>");
            foreach (var s in p.Splits)
                sb.Append("<td class=\"n\">").Append(s.Categories.FirstOrDefault(x => x.Id == c.Id) is { } a ? N(a.Ap) : "-").Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n<div class=\"plots\">\n");
        foreach (var (title, png) in ProbePlots(p, classes))
            sb.Append("<img alt=\"").Append(E(title)).Append("\" title=\"").Append(E(title)).Append("\" width=\"").Append(PlotWidth)
              .Append("\" height=\"").Append(PlotHeight).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">\n");
        sb.Append("</div>\n");

        string sheet = reader is null ? "" : Path.Combine(reader.Root, DatasetLayout.ReportsDir, DatasetLayout.ProbeSheet);
        if (p.Sheet is ProbeSheetSummary ps && File.Exists(sheet))
        {
            sb.Append("<h3>Probe detections (").Append(E(ps.Split)).Append(", ").Append(ps.Images).Append(" images)</h3>\n<p class=\"legend\">")
              .Append("<span style=\"border:2px solid rgb(0,200,0)\">true positive (").Append(ps.TruePositives).Append(")</span>")
              .Append("<span style=\"border:2px solid rgb(230,0,0)\">false positive (").Append(ps.FalsePositives).Append(")</span>")
              .Append("<span style=\"border:2px dashed rgb(255,150,0)\">missed ground truth (").Append(ps.Misses).Append(")</span>")
              .Append(" detections with score ≥ ").Append(N(ps.ScoreThreshold)).Append(", matched highest score first to an unmatched box of the same class at IoU ≥ ")
              .Append(N(ps.Iou)).Append("</p>\n<p><img alt=\"probe detections\"");
            byte[] png = File.ReadAllBytes(sheet);
            // Small datasets give a small sheet: shown at twice its size, pixels kept sharp (PNG width: bytes 16-19).
            int pngWidth = png.Length > 24 ? (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19] : 0;
            if (pngWidth is > 0 and < 600) sb.Append(" style=\"image-rendering:pixelated;width:").Append(2 * pngWidth).Append("px\"");
            sb.Append(" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\"></p>\n");
        }
        sb.Append("<details><summary>Probe settings</summary><table>\n");
        foreach (var (k, v) in p.Settings) sb.Append("<tr><td>").Append(E(k)).Append("</td><td>").Append(E(v)).Append("</td></tr>\n");
        sb.Append("</table></details>\n");
    }

    /// <summary>The probe's plots: loss per epoch (total and heatmap), AP per class per split.</summary>
    public static IReadOnlyList<(string Title, byte[] Png)> ProbePlots(ProbeSummary p, IReadOnlyList<ProbeClassAp> classes)
    {
        var plots = new List<(string, byte[])>();
        var loss = new Plot();
        double[] epochs = p.Curve.Select(e => (double)e.Epoch).ToArray();
        var total = loss.Add.Scatter(epochs, p.Curve.Select(e => e.Loss).ToArray());
        total.LegendText = "loss";
        var heat = loss.Add.Scatter(epochs, p.Curve.Select(e => e.Heatmap).ToArray());
        heat.LegendText = "heatmap (focal)";
        heat.LinePattern = LinePattern.Dashed;
        loss.ShowLegend(Alignment.UpperRight);
        Labels(loss, "Probe training loss", "epoch", "mean loss");
        plots.Add(("Probe loss curve", Render(loss)));

        var ap = new Plot();
        var palette = new[] { new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115) };
        double width = 0.8 / Math.Max(1, p.Splits.Count);
        for (int s = 0; s < p.Splits.Count; s++)
        {
            var split = p.Splits[s];
            var bars = classes.Select((c, k) => new Bar
            {
                Position = k - 0.4 + width * (s + 0.5),
                Value = split.Categories.FirstOrDefault(x => x.Id == c.Id)?.Ap ?? 0,
                Size = width * 0.9,
                FillColor = palette[s % palette.Length],
                LineWidth = 0,
            }).ToList();
            var series = ap.Add.Bars(bars);
            series.LegendText = split.Split;
        }
        ap.Axes.Bottom.SetTicks(Enumerable.Range(0, classes.Count).Select(i => (double)i).ToArray(), classes.Select(c => c.Name).ToArray());
        ap.Axes.SetLimitsY(0, 1);
        ap.ShowLegend(Alignment.UpperRight);
        Labels(ap, "Probe AP per class", "class", "AP (IoU 0.5:0.95)");
        plots.Add(("Probe AP per class", Render(ap)));
        return plots;
    }

    private static string Details(QualityReport r)
    {
        string md = MarkdownReport.Render(r);
        return string.Join("\n", md.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]));
    }

    /// <summary>The plots, in page order: (title, PNG bytes).</summary>
    public static IReadOnlyList<(string Title, byte[] Png)> Plots(QualityReport r)
    {
        var plots = new List<(string, byte[])>();

        var classes = new Plot();
        double[] counts = r.Classes.Select(c => (double)c.Instances).ToArray();
        var bars = classes.Add.Bars(counts);
        for (int k = 0; k < bars.Bars.Count && k < r.Classes.Count; k++)
        {
            var col = ContactSheet.ColorOf(r.Classes[k].Id);
            bars.Bars[k].FillColor = new Color(col.R, col.G, col.B);
        }
        classes.Axes.Bottom.SetTicks(Enumerable.Range(0, r.Classes.Count).Select(i => (double)i).ToArray(), r.Classes.Select(c => c.Name).ToArray());
        classes.Axes.Margins(bottom: 0);
        Labels(classes, "Instances per class", "class", "instances");
        plots.Add(("Class histogram", Render(classes)));

        plots.Add(("Box size histogram", HistogramPlot(r.BoxSizes.SqrtArea,
            $"Box size (small {r.BoxSizes.Small}, medium {r.BoxSizes.Medium}, large {r.BoxSizes.Large})", "sqrt(mask area) px", "objects", markers: [32, 96])));
        plots.Add(("Objects per image", HistogramPlot(r.ObjectsPerImage.PerImage, "Objects per image", "objects", "images")));
        plots.Add(("Visibility histogram", HistogramPlot(r.Visibility.Visibility, $"Visibility (mean {QualityGates.Number(r.Visibility.Mean)})", "visible / unoccluded pixels", "objects")));
        plots.Add(("Truncation histogram", HistogramPlot(r.Visibility.Truncation, "Truncation", "share of projected box outside the image", "objects")));
        plots.Add(("Brightness histogram", HistogramPlot(r.Images.Brightness, $"Image brightness (mean {QualityGates.Number(r.Images.BrightnessMean)})", "mean luma", "images")));
        plots.Add(("Depth histogram", HistogramPlot(r.Depth.Millimetres, $"Depth (valid {QualityGates.Number(r.Depth.ValidRatio)})", "millimetres", "pixels")));

        var heat = new Plot();
        var grid = new double[r.Centres.Rows, r.Centres.Columns];
        for (int y = 0; y < r.Centres.Rows; y++)
            for (int x = 0; x < r.Centres.Columns; x++) grid[y, x] = r.Centres.Counts[y * r.Centres.Columns + x];
        var hm = heat.Add.Heatmap(grid);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        heat.Add.ColorBar(hm);
        heat.Axes.InvertY();
        Labels(heat, "Object centres", "image x (cells)", "image y (cells)");
        plots.Add(("Centre heatmap", Render(heat)));
        return plots;
    }

    private static byte[] HistogramPlot(Histogram h, string title, string x, string y, double[]? markers = null)
    {
        var plot = new Plot();
        var positions = new double[h.Counts.Length];
        var values = new double[h.Counts.Length];
        for (int i = 0; i < h.Counts.Length; i++) { positions[i] = h.Min + (i + 0.5) * h.BinWidth; values[i] = h.Counts[i]; }
        var bars = plot.Add.Bars(positions, values);
        foreach (var b in bars.Bars) { b.Size = h.BinWidth * 0.95; b.LineWidth = 0; }
        foreach (double m in markers ?? []) plot.Add.VerticalLine(m, 1, Colors.Gray, LinePattern.Dashed);
        plot.Axes.Margins(bottom: 0);
        Labels(plot, title, x, y);
        return Render(plot);
    }

    private static void Labels(Plot plot, string title, string x, string y)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
    }

    private static byte[] Render(Plot plot) => plot.GetImageBytes(PlotWidth, PlotHeight, ImageFormat.Png);
}
