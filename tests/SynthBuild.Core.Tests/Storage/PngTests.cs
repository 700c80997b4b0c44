using System.Diagnostics;
using SynthBuild.Core.Assets;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Storage;

public class PngTests
{
    private const int W = 67, H = 23; // odd sizes: rows end off the vector width

    private static byte[] NoisyRgb()
    {
        var rgb = new byte[W * H * 3];
        var rng = new Random(7);
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i / 3 % W * 3 + rng.Next(-6, 7));
        return rgb;
    }

    private static ushort[] Words(int seed, int max)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, W * H).Select(i => (ushort)(i % 5 == 0 ? 0 : rng.Next(0, max))).ToArray();
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Of("123456789"u8));
        // Two spans in sequence give the CRC of their concatenation, wherever the split.
        byte[] data = NoisyRgb();
        uint whole = Crc32.Of(data);
        for (int cut = 0; cut < 20; cut++)
            Assert.Equal(whole, Crc32.Of(data.AsSpan(0, cut), data.AsSpan(cut)));
    }

    [Fact]
    public void Encoded_images_decode_to_the_same_pixels()
    {
        byte[] rgb = NoisyRgb();
        var r = Png.Decode(Png.EncodeRgb8(rgb, W, H));
        Assert.Equal((W, H, PngPixelFormat.Rgb8), (r.Width, r.Height, r.Format));
        Assert.Equal(rgb, r.Bytes);
        var noisy = Png.Decode(Png.EncodeRgb8(rgb, W, H, new MemoryStream(), noisy: true).Span);
        Assert.Equal(rgb, noisy.Bytes);

        foreach (int filter in new[] { 0, 1 })
        {
            ushort[] depth = Words(filter, 65536);
            var d = Png.Decode(Png.EncodeGray16(depth, W, H, filter));
            Assert.Equal(PngPixelFormat.Gray16, d.Format);
            Assert.Equal(depth, d.Words);
        }
    }

    [Fact]
    public void Encoding_is_deterministic_and_independent_of_earlier_calls_on_the_thread()
    {
        ushort[] ids = Words(3, 4);
        byte[] first = Png.EncodeGray16(ids, W, H, filter: 0);
        Png.EncodeRgb8(NoisyRgb(), W, H); // a larger file in between reuses the thread's buffer
        Assert.Equal(first, Png.EncodeGray16(ids, W, H, filter: 0));
    }

    [Fact]
    public void OpenCV_reads_the_files_with_the_same_values()
    {
        string dir = Directory.CreateTempSubdirectory("synth-png-").FullName;
        try
        {
            byte[] rgb = NoisyRgb();
            ushort[] depth = Words(1, 65536), ids = Words(2, 9);
            File.WriteAllBytes(Path.Combine(dir, "rgb.png"), Png.EncodeRgb8(rgb, W, H));
            File.WriteAllBytes(Path.Combine(dir, "depth.png"), Png.EncodeGray16(depth, W, H));
            File.WriteAllBytes(Path.Combine(dir, "ids.png"), Png.EncodeGray16(ids, W, H, filter: 0));
            // Sums printed by OpenCV (BGR order for colour) against the sums of what was encoded.
            string script = """
                import sys, cv2, numpy as np
                d = sys.argv[1]
                rgb = cv2.imread(d + '/rgb.png', cv2.IMREAD_UNCHANGED)
                depth = cv2.imread(d + '/depth.png', cv2.IMREAD_UNCHANGED)
                ids = cv2.imread(d + '/ids.png', cv2.IMREAD_UNCHANGED)
                print(rgb.shape, rgb.dtype, depth.dtype, ids.dtype)
                print(int(rgb[:, :, 2].astype(np.int64).sum()), int(rgb[:, :, 0].astype(np.int64).sum()),
                      int((rgb[:, :, 1].astype(np.int64) * np.arange(rgb.shape[1])).sum()),
                      int(depth.astype(np.int64).sum()), int((depth.astype(np.int64) * np.arange(depth.shape[1])).sum()),
                      int(ids.astype(np.int64).sum()))
                """;
            var psi = new ProcessStartInfo(InteropChecker.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(script); psi.ArgumentList.Add(dir);
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, output);

            long Sum(Func<int, long> f, int n) { long s = 0; for (int i = 0; i < n; i++) s += f(i); return s; }
            string expected = $"({H}, {W}, 3) uint8 uint16 uint16\n" + string.Join(" ",
                Sum(i => rgb[i * 3], W * H), Sum(i => rgb[i * 3 + 2], W * H), Sum(i => rgb[i * 3 + 1] * (long)(i % W), W * H),
                Sum(i => depth[i], W * H), Sum(i => depth[i] * (long)(i % W), W * H), Sum(i => ids[i], W * H));
            Assert.Equal(expected, output.Trim());
        }
        finally { Directory.Delete(dir, true); }
    }
}
