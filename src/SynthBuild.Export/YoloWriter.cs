using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

/// <summary>
/// Ultralytics layout: <c>images/{split}/STEM.png</c> (hard links to the dataset's files where the file system
/// allows, copies otherwise), <c>labels/{split}/STEM.txt</c>, <c>data.yaml</c>. Class = category id - 1.
/// Detection lines are <c>class cx cy w h</c>; the segmentation variant writes <c>class x1 y1 x2 y2 ...</c> with
/// one polygon per object (parts and holes joined by zero-width bridges). Coordinates are normalized by the
/// image size and printed round-trip exact.
/// </summary>
internal sealed class YoloWriter(ExportContext ctx, bool segmentation) : IExportWriter
{
    public void Write(PreparedSample s)
    {
        string split = DatasetSplits.Name(s.Split);
        string image = Path.Combine(ctx.Folder, "images", split, s.Stem + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(image)!);
        LinkOrCopy(ctx.Reader.RgbPath(s.Index), image);

        double w = s.Annotation.Width, h = s.Annotation.Height;
        var sb = new StringBuilder();
        foreach (var o in s.Objects)
        {
            var a = o.Annotation;
            if (a.Area == 0) continue;
            sb.Append((a.CategoryId - 1).ToString(CultureInfo.InvariantCulture));
            if (segmentation)
            {
                var poly = o.SinglePolygon!;
                for (int i = 0; i < poly.Length; i += 2)
                    sb.Append(' ').Append(Num(poly[i] / w)).Append(' ').Append(Num(poly[i + 1] / h));
            }
            else
            {
                double[] b = a.Bbox;
                sb.Append(' ').Append(Num((b[0] + b[2] / 2) / w)).Append(' ').Append(Num((b[1] + b[3] / 2) / h))
                  .Append(' ').Append(Num(b[2] / w)).Append(' ').Append(Num(b[3] / h));
            }
            sb.Append('\n');
        }
        string label = Path.Combine(ctx.Folder, "labels", split, s.Stem + ".txt");
        Directory.CreateDirectory(Path.GetDirectoryName(label)!);
        File.WriteAllText(label, sb.ToString());
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public void Complete()
    {
        foreach (var split in ExportContext.Splits)
        {
            Directory.CreateDirectory(Path.Combine(ctx.Folder, "images", DatasetSplits.Name(split)));
            Directory.CreateDirectory(Path.Combine(ctx.Folder, "labels", DatasetSplits.Name(split)));
        }
        File.WriteAllText(Path.Combine(ctx.Folder, "data.yaml"), DataYaml(FinalFolder(ctx)));
    }

    /// <summary><c>path</c> is absolute: Ultralytics resolves a relative one against its own datasets folder.</summary>
    internal string DataYaml(string finalFolder)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(ctx.Reader.Info.Name).Append(segmentation ? ": YOLO segmentation" : ": YOLO detection").Append(" export by SynthBuild\n");
        sb.Append("path: ").Append(Quote(finalFolder)).Append('\n');
        sb.Append("train: images/train\nval: images/val\ntest: images/test\n");
        sb.Append("names:\n");
        foreach (var c in ctx.Reader.Info.Categories.OrderBy(c => c.Id))
            sb.Append("  ").Append((c.Id - 1).ToString(CultureInfo.InvariantCulture)).Append(": ").Append(Quote(c.Name)).Append('\n');
        return sb.ToString();
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>The folder the export lands in once it is complete (writers work in a staging folder).</summary>
    internal static string FinalFolder(ExportContext ctx) => Path.Combine(Path.GetDirectoryName(ctx.Folder)!, ctx.Request.Name);

    [DllImport("libc", SetLastError = true, EntryPoint = "link")]
    private static extern int UnixLink(string oldPath, string newPath);

    internal static void LinkOrCopy(string source, string target)
    {
        if (File.Exists(target)) File.Delete(target);
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                if (UnixLink(source, target) == 0) return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        File.Copy(source, target, overwrite: true);
    }

    public void Dispose() { }
}
