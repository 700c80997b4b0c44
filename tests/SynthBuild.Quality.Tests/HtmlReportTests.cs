using System.Diagnostics;
using System.Text.RegularExpressions;
using SynthBuild.TestSupport;

namespace SynthBuild.Quality.Tests;

public class HtmlReportTests
{
    private static string BuiltReport(out string root)
    {
        // A real (small) generated dataset, so the contact sheet shows rendered scenes with their labels.
        root = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 6));
        var gates = QualityGates.All.Select(g => new GateDeclaration(g.Name, new Dictionary<string, string>())).ToList();
        var run = QualityStage.Run(root, gates, true, new QualitySettings(ContactSheetSamples: 6));
        Assert.NotNull(run.Report);
        return File.ReadAllText(Path.Combine(root, "reports", "quality.html"));
    }

    [Fact]
    public void Html_is_self_contained_with_every_plot_and_the_contact_sheet()
    {
        string html = BuiltReport(out _);
        foreach (string plot in new[] { "Class histogram", "Box size histogram", "Visibility histogram", "Brightness histogram", "Depth histogram", "Centre heatmap" })
            Assert.Matches($"<img alt=\"{plot}\"[^>]* src=\"data:image/png;base64,[A-Za-z0-9+/=]{{1000,}}\"", html);
        Assert.Equal(6, Regex.Matches(html, "<img alt=\"sample \\d+\" src=\"data:image/png;base64,").Count);
        // Nothing to fetch: every src is a data: URI, no scripts, stylesheets, fonts or URLs.
        Assert.All(Regex.Matches(html, "src=\"([^\"]*)\"").Select(m => m.Groups[1].Value), src => Assert.StartsWith("data:image/png;base64,", src));
        Assert.DoesNotMatch("(?i)<script|<link|@import|@font-face|url\\(|https?://|href=", html);
    }

    [Fact]
    public async Task Html_renders_in_headless_chromium_with_its_plots()
    {
        BuiltReport(out string root);
        string html = Path.Combine(root, "reports", "quality.html");
        string shot = Path.Combine(root, "reports", "quality-screenshot.png");
        var (colours, saturated) = await Screenshot(html, shot, Path.Combine(root, "chromium-profile"));
        // Not a blank page: the plots and thumbnails give many distinct colours.
        Assert.True(colours > 500, $"only {colours} colours in the screenshot");
        File.Copy(shot, Path.Combine(Path.GetTempPath(), "synthbuild-quality-screenshot.png"), overwrite: true);

        // The same page with every embedded image emptied: the coloured areas (bars, heatmap, thumbnails) come from
        // the plots Chromium decoded from the data: URIs; the bare page has only a few coloured words (pass/FAIL).
        string bare = Path.Combine(root, "reports", "bare.html");
        File.WriteAllText(bare, Regex.Replace(File.ReadAllText(html), "src=\"data:image/png;base64,[^\"]*\"", "src=\"\""));
        var (_, bareSaturated) = await Screenshot(bare, Path.Combine(root, "reports", "bare.png"), Path.Combine(root, "chromium-profile-2"));
        Assert.True(saturated > 100_000 && saturated > 20 * bareSaturated, $"{saturated} coloured pixels with the images, {bareSaturated} without");
    }

    /// <summary>A 1280×2000 headless Chromium screenshot of <paramref name="html"/>: distinct colours in it (sampled)
    /// and pixels of a clearly saturated colour (max − min channel &gt; 60).</summary>
    private static async Task<(int Colours, int Saturated)> Screenshot(string html, string shot, string profile)
    {
        Directory.CreateDirectory(profile);
        string chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Debian's chromium is required (apt-get install chromium; .ci/run installs it).");
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--user-data-dir=" + profile, "--screenshot=" + shot, "--window-size=1280,2000", "file://" + html })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "chromium did not finish");
        Assert.True(File.Exists(shot), $"no screenshot; chromium exit {p.ExitCode}\n{await stdout}\n{await stderr}");
        var png = SynthBuild.Core.Assets.Png.Decode(File.ReadAllBytes(shot));
        Assert.Equal((1280, 2000), (png.Width, png.Height));
        var colours = new HashSet<int>();
        byte[] px = png.Bytes!;
        int bpp = png.Format == SynthBuild.Core.Assets.PngPixelFormat.Rgba8 ? 4 : 3;
        for (int i = 0; i + 2 < px.Length; i += bpp * 7) colours.Add(px[i] << 16 | px[i + 1] << 8 | px[i + 2]);
        int saturated = 0;
        for (int i = 0; i + 2 < px.Length; i += bpp)
            if (Math.Max(px[i], Math.Max(px[i + 1], px[i + 2])) - Math.Min(px[i], Math.Min(px[i + 1], px[i + 2])) > 60) saturated++;
        return (colours.Count, saturated);
    }
}
