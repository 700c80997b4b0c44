using System.Security.Cryptography;
using System.Text;

namespace SynthBuild.Evaluation;

/// <summary>
/// One SHA-256 over a labelled set: its COCO JSON and every image it lists (a missing image hashes as "missing").
/// The images count too: a re-exported set with the same JSON must be evaluated again. Keys the stages that run a
/// model on a real set (model evaluation, the probe's sim-to-real run).
/// </summary>
public static class LabelledSetHash
{
    /// <exception cref="CocoFormatException">The JSON is not a COCO ground truth.</exception>
    public static string Compute(string groundTruthFile, string imageRoot)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Line(string name, string value) => sha.AppendData(Encoding.UTF8.GetBytes(name + "=" + value + "\n"));
        Line("gt", FileSha(groundTruthFile));
        foreach (var im in CocoGroundTruth.Load(groundTruthFile).Images)
        {
            string path = Path.Combine(imageRoot, (im.FileName ?? "").Replace('/', Path.DirectorySeparatorChar));
            Line("image " + im.FileName, File.Exists(path) ? FileSha(path) : "missing");
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string FileSha(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
