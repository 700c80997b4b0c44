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
    public void A_reused_decoder_reads_files_into_the_callers_buffers_and_checks_their_layout()
    {
        string dir = Directory.CreateTempSubdirectory("synth-png-").FullName;
        try
        {
            // A tall image (several inflate blocks) between two small ones: the file buffer and scratch grow and are reused.
            const int tallW = 97, tallH = 600;
            var rng = new Random(5);
            byte[] tallRgb = new byte[tallW * tallH * 3];
            rng.NextBytes(tallRgb);
            ushort[] tallDepth = Enumerable.Range(0, tallW * tallH).Select(_ => (ushort)rng.Next(65536)).ToArray();
            byte[] rgb = NoisyRgb();
            ushort[] depth = Words(1, 65536), ids = Words(2, 9);
            void Write(string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(dir, name), bytes);
            Write("rgb.png", Png.EncodeRgb8(rgb, W, H, new MemoryStream(), noisy: true).ToArray());
            Write("depth.png", Png.EncodeGray16(depth, W, H));
            Write("ids.png", Png.EncodeGray16(ids, W, H, filter: 0));
            Write("tall-rgb.png", Png.EncodeRgb8(tallRgb, tallW, tallH));
            Write("tall-depth.png", Png.EncodeGray16(tallDepth, tallW, tallH));

            var decoder = new PngDecoder();
            // Larger buffers than the image: only the image's part is written.
            var rgbInto = new byte[tallW * tallH * 3 + 5];
            var wordsInto = new ushort[tallW * tallH + 5];
            for (int round = 0; round < 2; round++)
            {
                ReadOnlySpan<byte> file = decoder.ReadFile(Path.Combine(dir, "rgb.png"));
                Assert.Equal(new FileInfo(Path.Combine(dir, "rgb.png")).Length, file.Length);
                decoder.DecodeRgb8(file, rgbInto, W, H);
                Assert.Equal(rgb, rgbInto[..rgb.Length]);
                decoder.DecodeGray16(decoder.ReadFile(Path.Combine(dir, "depth.png")), wordsInto, W, H);
                Assert.Equal(depth, wordsInto[..depth.Length]);
                decoder.DecodeGray16(decoder.ReadFile(Path.Combine(dir, "ids.png")), wordsInto, W, H);
                Assert.Equal(ids, wordsInto[..ids.Length]);
                decoder.DecodeRgb8(decoder.ReadFile(Path.Combine(dir, "tall-rgb.png")), rgbInto, tallW, tallH);
                Assert.Equal(tallRgb, rgbInto[..tallRgb.Length]);
                decoder.DecodeGray16(decoder.ReadFile(Path.Combine(dir, "tall-depth.png")), wordsInto, tallW, tallH);
                Assert.Equal(tallDepth, wordsInto[..tallDepth.Length]);
            }
            Assert.Equal(0, rgbInto[^1]);
            Assert.Equal(0, wordsInto[^1]);

            // Another size or layout than the caller expects is a format error that says both.
            byte[] depthFile = File.ReadAllBytes(Path.Combine(dir, "depth.png"));
            var ex = Assert.Throws<FormatException>(() => decoder.DecodeRgb8(depthFile, rgbInto, W, H));
            Assert.Contains($"PNG is {W}×{H} Gray16; expected {W}×{H} Rgb8", ex.Message);
            ex = Assert.Throws<FormatException>(() => decoder.DecodeGray16(depthFile, wordsInto, W + 1, H));
            Assert.Contains($"expected {W + 1}×{H} Gray16", ex.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => decoder.DecodeGray16(depthFile, new ushort[W * H - 1], W, H));
            ex = Assert.Throws<FormatException>(() => decoder.DecodeGray16(depthFile[..(depthFile.Length - 40)], wordsInto, W, H));
            Assert.Contains("truncated", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
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
