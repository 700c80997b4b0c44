using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using OpenCvSharp;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Assets;

/// <summary>
/// The managed PNG/JPEG decoder gives OpenCV's <c>imdecode(IMREAD_COLOR)</c> pixels byte for byte (in RGB order),
/// for files OpenCV writes and for PNG layouts written here by hand (palette, 1/2/4-bit, interlaced), whose pixels
/// are also checked against what was put in.
/// </summary>
public class ImageDecoderTests
{
    // OpenCV's IMWRITE_JPEG_SAMPLING_FACTOR (OpenCvSharp has no name for it) and its values.
    private const ImwriteFlags JpegSamplingFactor = (ImwriteFlags)7;
    private const int Sampling444 = 0x111111, Sampling422 = 0x211111, Sampling420 = 0x221111;

    /// <summary>Noise over gradients with sharp-edged blocks: every JPEG stage (DCT, quantisation, chroma
    /// subsampling, upsampling) has work to do.</summary>
    private static byte[] TestRgb(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool block = (x / 7 + y / 5) % 3 == 0;
                for (int c = 0; c < 3; c++)
                {
                    int v = c switch { 0 => x * 255 / Math.Max(1, w - 1), 1 => y * 255 / Math.Max(1, h - 1), _ => (x + y) * 4 };
                    if (block) v = c == 1 ? 250 : 10;
                    rgb[(y * w + x) * 3 + c] = (byte)Math.Clamp(v + rng.Next(-20, 21), 0, 255);
                }
            }
        return rgb;
    }

    private static Mat BgrMat(byte[] rgb, int w, int h)
    {
        var bgr = new byte[rgb.Length];
        for (int i = 0; i < rgb.Length; i += 3) (bgr[i], bgr[i + 1], bgr[i + 2]) = (rgb[i + 2], rgb[i + 1], rgb[i]);
        var mat = new Mat(h, w, MatType.CV_8UC3);
        Marshal.Copy(bgr, 0, mat.Data, bgr.Length);
        return mat;
    }

    private static Mat MatOf<T>(T[] samples, int w, int h, MatType type) where T : unmanaged
    {
        var mat = new Mat(h, w, type);
        MemoryMarshal.AsBytes(samples.AsSpan()).CopyTo(mat.AsSpan<byte>());
        return mat;
    }

    private static byte[] Encode(Mat mat, string ext, params int[] flags) =>
        Cv2.ImEncode(ext, mat, out byte[] file, flags) ? file : throw new InvalidOperationException("OpenCV could not encode");

    /// <summary>OpenCV's decode, as RGB.</summary>
    private static (int W, int H, byte[] Rgb) OpenCv(byte[] file)
    {
        using Mat bgr = Cv2.ImDecode(file, ImreadModes.Color);
        Assert.False(bgr.Empty(), "OpenCV cannot read the test file");
        Assert.Equal(MatType.CV_8UC3, bgr.Type());
        int w = bgr.Width, h = bgr.Height;
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            Span<byte> row = bgr.Row(y).AsSpan<byte>()[..(w * 3)];
            for (int x = 0; x < w * 3; x += 3) (rgb[y * w * 3 + x], rgb[y * w * 3 + x + 1], rgb[y * w * 3 + x + 2]) = (row[x + 2], row[x + 1], row[x]);
        }
        return (w, h, rgb);
    }

    private static void AssertSameAsOpenCv(byte[] file, string what)
    {
        var (w, h, expected) = OpenCv(file);
        var (mw, mh, actual) = ImageDecoder.DecodeRgb8(file);
        Assert.Equal((w, h), (mw, mh));
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            int diffs = 0, max = 0, first = -1;
            for (int i = 0; i < expected.Length; i++)
                if (expected[i] != actual[i]) { diffs++; max = Math.Max(max, Math.Abs(expected[i] - actual[i])); if (first < 0) first = i; }
            Assert.Fail($"{what}: {diffs} of {expected.Length} bytes differ from OpenCV (max |diff| {max}, first at pixel {first / 3})");
        }
    }

    public static TheoryData<int, int, int, int, bool> JpegCases()
    {
        var data = new TheoryData<int, int, int, int, bool>();
        foreach (var (w, h) in new[] { (37, 23), (640, 480) })
            foreach (int quality in new[] { 30, 75, 95, 100 })
                foreach (int sampling in new[] { Sampling444, Sampling422, Sampling420 })
                    foreach (bool progressive in new[] { false, true })
                        data.Add(w, h, quality, sampling, progressive);
        return data;
    }

    [Theory]
    [MemberData(nameof(JpegCases))]
    public void Colour_JPEGs_decode_as_OpenCV_decodes_them(int w, int h, int quality, int sampling, bool progressive)
    {
        using Mat bgr = BgrMat(TestRgb(w, h, quality + sampling), w, h);
        byte[] file = Encode(bgr, ".jpg", (int)ImwriteFlags.JpegQuality, quality, (int)JpegSamplingFactor, sampling,
            (int)ImwriteFlags.JpegProgressive, progressive ? 1 : 0);
        AssertSameAsOpenCv(file, $"{w}×{h} q{quality} sampling {sampling:X} progressive {progressive}");
    }

    [Theory]
    [InlineData(37, 23, 80, false, 0)]
    [InlineData(640, 480, 90, true, 0)]
    [InlineData(101, 67, 60, false, 3)] // restart markers every 3 MCU rows
    public void Greyscale_and_restart_interval_JPEGs_decode_as_OpenCV_decodes_them(int w, int h, int quality, bool progressive, int restartRows)
    {
        byte[] rgb = TestRgb(w, h, 5);
        var grey = new byte[w * h];
        for (int i = 0; i < grey.Length; i++) grey[i] = rgb[3 * i + 1];
        using Mat g = MatOf(grey, w, h, MatType.CV_8UC1);
        byte[] file = Encode(g, ".jpg", (int)ImwriteFlags.JpegQuality, quality, (int)ImwriteFlags.JpegProgressive, progressive ? 1 : 0,
            (int)ImwriteFlags.JpegRstInterval, restartRows);
        AssertSameAsOpenCv(file, $"grey {w}×{h}");
        using Mat bgr = BgrMat(rgb, w, h);
        AssertSameAsOpenCv(Encode(bgr, ".jpg", (int)ImwriteFlags.JpegQuality, quality, (int)ImwriteFlags.JpegRstInterval, restartRows), $"colour {w}×{h} restart {restartRows}");
    }

    [Theory]
    [InlineData(BitMiracle.LibJpeg.Classic.J_COLOR_SPACE.JCS_CMYK)]
    [InlineData(BitMiracle.LibJpeg.Classic.J_COLOR_SPACE.JCS_YCCK)] // libjpeg's default for it: Y and K subsampled 2×2
    public void CMYK_and_YCCK_JPEGs_decode_as_OpenCV_decodes_them(BitMiracle.LibJpeg.Classic.J_COLOR_SPACE space)
    {
        // OpenCV cannot write these; libjpeg (the managed port) can.
        const int w = 37, h = 23;
        var rng = new Random(3);
        var cmyk = new byte[w * h * 4];
        for (int i = 0; i < cmyk.Length; i++) cmyk[i] = (byte)((i % 4 * 60 + i / 4 % w * 3 + rng.Next(30)) & 255);
        var file = new MemoryStream();
        var jpeg = new BitMiracle.LibJpeg.Classic.jpeg_compress_struct(new BitMiracle.LibJpeg.Classic.jpeg_error_mgr());
        jpeg.jpeg_stdio_dest(file);
        jpeg.Image_width = w; jpeg.Image_height = h; jpeg.Input_components = 4;
        jpeg.In_color_space = BitMiracle.LibJpeg.Classic.J_COLOR_SPACE.JCS_CMYK;
        jpeg.jpeg_set_defaults();
        jpeg.jpeg_set_colorspace(space);
        jpeg.jpeg_set_quality(90, true);
        jpeg.jpeg_start_compress(true);
        for (int y = 0; y < h; y++) jpeg.jpeg_write_scanlines([cmyk[(y * w * 4)..((y + 1) * w * 4)]], 1);
        jpeg.jpeg_finish_compress();
        AssertSameAsOpenCv(file.ToArray(), space.ToString());
    }

    /// <summary>An APP1 Exif segment with one IFD entry, Orientation, right after SOI.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, int orientation, bool littleEndian)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        void U16(int at, int v) { if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)v); }
        void U32(int at, int v) { if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at), (uint)v); else BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at), (uint)v); }
        tiff[0] = tiff[1] = (byte)(littleEndian ? 'I' : 'M');
        U16(2, 42); U32(4, 8); U16(8, 1);
        U16(10, 0x0112); U16(12, 3); U32(14, 1); U16(18, orientation);
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var app1 = new byte[4 + payload.Length];
        app1[0] = 0xFF; app1[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(app1.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(app1, 4);
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void JPEGs_are_turned_by_their_EXIF_orientation_as_OpenCV_turns_them(int orientation)
    {
        const int w = 37, h = 23;
        using Mat bgr = BgrMat(TestRgb(w, h, orientation), w, h);
        byte[] plain = Encode(bgr, ".jpg", (int)ImwriteFlags.JpegQuality, 90);
        foreach (bool little in new[] { true, false })
        {
            byte[] file = WithExifOrientation(plain, orientation, little);
            AssertSameAsOpenCv(file, $"orientation {orientation}");
            var (ow, oh, _) = ImageDecoder.DecodeRgb8(file);
            Assert.Equal(orientation >= 5 ? (h, w) : (w, h), (ow, oh));
        }
    }

    public static TheoryData<int, int> PngCases() => new() { { 37, 23 }, { 640, 480 } };

    [Theory]
    [MemberData(nameof(PngCases))]
    public void PNGs_OpenCV_writes_decode_as_OpenCV_decodes_them(int w, int h)
    {
        var rng = new Random(w);
        byte[] rgb = TestRgb(w, h, 1);
        foreach (int channels in new[] { 1, 3, 4 })
        {
            var eight = new byte[w * h * channels];
            var sixteen = new ushort[w * h * channels];
            for (int i = 0; i < eight.Length; i++)
            {
                eight[i] = channels == 4 && i % 4 == 3 ? (byte)rng.Next(256) : rgb[i / channels * 3 + i % channels % 3];
                sixteen[i] = (ushort)(eight[i] << 8 | rng.Next(256)); // low bytes at random: scaling would differ from taking the high byte
            }
            MatType t8 = MatType.MakeType(MatType.CV_8U, channels), t16 = MatType.MakeType(MatType.CV_16U, channels);
            using (Mat m = MatOf(eight, w, h, t8)) AssertSameAsOpenCv(Encode(m, ".png"), $"8-bit {channels}-channel PNG");
            using (Mat m = MatOf(sixteen, w, h, t16))
            {
                byte[] file = Encode(m, ".png");
                AssertSameAsOpenCv(file, $"16-bit {channels}-channel PNG");
                // OpenCV (libpng's strip_16) keeps the high byte; alpha is dropped; the channels were BGR(A).
                var (_, _, decoded) = ImageDecoder.DecodeRgb8(file);
                for (int p = 0; p < w * h; p++)
                    for (int c = 0; c < 3; c++)
                        Assert.Equal(sixteen[p * channels + (channels == 1 ? 0 : 2 - c)] >> 8, decoded[p * 3 + c]);
            }
        }
    }

    // ------------------------------------------------------------------ hand-written PNGs

    /// <summary>A PNG of the given header and samples (one byte per sample below 8 bits, unscaled; 16-bit big-endian
    /// pairs), rows filtered with all five filters in turn, optionally Adam7-interlaced, with extra chunks before IDAT.</summary>
    private static byte[] WritePng(int w, int h, int bitDepth, int colorType, byte[] samples, bool interlaced, params (string Type, byte[] Data)[] extra)
    {
        int channels = colorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
        int bytesPerSample = bitDepth == 16 ? 2 : 1, pixelBytes = channels * bytesPerSample;
        int bpp = Math.Max(1, channels * bitDepth / 8);
        var raw = new MemoryStream();
        (int X0, int Y0, int Dx, int Dy)[] passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)];
        int filter = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = w <= x0 ? 0 : (w - x0 + dx - 1) / dx, ph = h <= y0 ? 0 : (h - y0 + dy - 1) / dy;
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (pw * channels * bitDepth + 7) / 8;
            var prev = new byte[rowBytes];
            for (int j = 0; j < ph; j++)
            {
                var row = new byte[rowBytes];
                for (int i = 0; i < pw; i++)
                {
                    int src = ((y0 + j * dy) * w + x0 + i * dx) * pixelBytes;
                    if (bitDepth >= 8) Array.Copy(samples, src, row, i * pixelBytes, pixelBytes);
                    else row[i * bitDepth / 8] |= (byte)(samples[src] << (8 - bitDepth - i * bitDepth % 8));
                }
                int f = filter++ % 5;
                raw.WriteByte((byte)f);
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    int predictor = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => pa <= pb && pa <= pc ? a : pb <= pc ? b : c };
                    raw.WriteByte((byte)(row[i] - predictor));
                }
                prev = row;
            }
        }
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(z);

        var file = new MemoryStream();
        file.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = (byte)bitDepth; ihdr[9] = (byte)colorType; ihdr[12] = (byte)(interlaced ? 1 : 0);
        Chunk(file, "IHDR", ihdr);
        foreach (var (type, data) in extra) Chunk(file, type, data);
        // Two IDAT chunks: the image data may be split anywhere.
        byte[] deflated = idat.ToArray();
        Chunk(file, "IDAT", deflated[..(deflated.Length / 2)]);
        Chunk(file, "IDAT", deflated[(deflated.Length / 2)..]);
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        byte[] typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        typeBytes.CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32([.. typeBytes, .. data]));
        s.Write(crc);
    }

    private static void AssertPixels(byte[] file, int w, int h, Func<int, int, (int R, int G, int B)> expected, string what)
    {
        var (dw, dh, rgb) = ImageDecoder.DecodeRgb8(file);
        Assert.Equal((w, h), (dw, dh));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (r, g, b) = expected(x, y);
                int o = (y * w + x) * 3;
                if ((rgb[o], rgb[o + 1], rgb[o + 2]) != (r, g, b))
                    Assert.Fail($"{what}: pixel ({x},{y}) is ({rgb[o]},{rgb[o + 1]},{rgb[o + 2]}), expected ({r},{g},{b})");
            }
        AssertSameAsOpenCv(file, what);
    }

    public static TheoryData<int, int, bool> HandWrittenCases()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var (w, h) in new[] { (1, 1), (5, 3), (37, 23), (64, 9) })
            foreach (bool interlaced in new[] { false, true })
                data.Add(w, h, interlaced);
        return data;
    }

    [Theory]
    [MemberData(nameof(HandWrittenCases))]
    public void Low_bit_depth_grey_PNGs_are_scaled_to_8_bits(int w, int h, bool interlaced)
    {
        foreach (int bits in new[] { 1, 2, 4, 8 })
        {
            int max = (1 << bits) - 1;
            var rng = new Random(bits);
            byte[] samples = Enumerable.Range(0, w * h).Select(_ => (byte)rng.Next(max + 1)).ToArray();
            byte[] file = WritePng(w, h, bits, 0, samples, interlaced);
            AssertPixels(file, w, h, (x, y) => { int v = samples[y * w + x] * 255 / max; return (v, v, v); }, $"{bits}-bit grey {w}×{h} interlaced {interlaced}");
        }
    }

    [Theory]
    [MemberData(nameof(HandWrittenCases))]
    public void Palette_PNGs_are_looked_up_and_their_transparency_ignored(int w, int h, bool interlaced)
    {
        foreach (int bits in new[] { 1, 2, 4, 8 })
        {
            int entries = Math.Min(1 << bits, 200);
            var rng = new Random(bits * 7);
            byte[] palette = Enumerable.Range(0, entries * 3).Select(_ => (byte)rng.Next(256)).ToArray();
            byte[] samples = Enumerable.Range(0, w * h).Select(_ => (byte)rng.Next(entries)).ToArray();
            byte[] trns = Enumerable.Range(0, entries).Select(i => (byte)(i * 37)).ToArray();
            byte[] file = WritePng(w, h, bits, 3, samples, interlaced, ("PLTE", palette), ("tRNS", trns));
            AssertPixels(file, w, h, (x, y) => { int i = samples[y * w + x] * 3; return (palette[i], palette[i + 1], palette[i + 2]); },
                $"{bits}-bit palette {w}×{h} interlaced {interlaced}");
        }
    }

    [Theory]
    [MemberData(nameof(HandWrittenCases))]
    public void Grey_alpha_RGB_and_RGBA_PNGs_at_8_and_16_bits_drop_alpha_and_keep_the_high_byte(int w, int h, bool interlaced)
    {
        foreach (int colorType in new[] { 2, 4, 6 })
            foreach (int bits in new[] { 8, 16 })
            {
                int channels = colorType switch { 2 => 3, 4 => 2, _ => 4 }, bytesPerSample = bits / 8;
                var rng = new Random(colorType * bits);
                byte[] samples = Enumerable.Range(0, w * h * channels * bytesPerSample).Select(_ => (byte)rng.Next(256)).ToArray();
                byte[] file = WritePng(w, h, bits, colorType, samples, interlaced);
                int Sample(int x, int y, int c) => samples[((y * w + x) * channels + c) * bytesPerSample]; // high byte first
                AssertPixels(file, w, h, (x, y) => colorType == 4
                        ? (Sample(x, y, 0), Sample(x, y, 0), Sample(x, y, 0))
                        : (Sample(x, y, 0), Sample(x, y, 1), Sample(x, y, 2)),
                    $"colour type {colorType} {bits}-bit {w}×{h} interlaced {interlaced}");
            }
    }

    [Fact]
    public void Interlaced_PNGs_of_the_layouts_the_codec_writes_decode_to_exact_values()
    {
        const int w = 13, h = 11;
        var rng = new Random(3);
        byte[] samples = Enumerable.Range(0, w * h * 2).Select(_ => (byte)rng.Next(256)).ToArray();
        PngImage image = Png.Decode(WritePng(w, h, 16, 0, samples, interlaced: true));
        Assert.Equal(PngPixelFormat.Gray16, image.Format);
        for (int i = 0; i < w * h; i++) Assert.Equal(samples[2 * i] << 8 | samples[2 * i + 1], image.Words![i]);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(5, 3)]
    [InlineData(37, 23)]
    [InlineData(200, 40)]
    public void Every_row_filter_at_every_pixel_size_of_the_codecs_layouts_decodes_to_exact_values(int w, int h)
    {
        // Wide rows take the vectorised Sub loop (one to four pixels per shuffle step) and a scalar tail; every fifth
        // row is Sub-filtered, the others exercise None, Up, Average and Paeth against a Sub-decoded row above.
        var decoder = new PngDecoder();
        foreach (var (colorType, bits, format) in new[] { (0, 8, PngPixelFormat.Gray8), (0, 16, PngPixelFormat.Gray16), (2, 8, PngPixelFormat.Rgb8), (6, 8, PngPixelFormat.Rgba8) })
            foreach (bool interlaced in new[] { false, true })
            {
                int channels = colorType switch { 0 => 1, 2 => 3, _ => 4 };
                var rng = new Random(w * 31 + channels * bits);
                byte[] samples = Enumerable.Range(0, w * h * channels * bits / 8).Select(_ => (byte)rng.Next(256)).ToArray();
                byte[] file = WritePng(w, h, bits, colorType, samples, interlaced);
                PngImage image = Png.Decode(file);
                Assert.Equal((w, h, format), (image.Width, image.Height, image.Format));
                if (bits == 8) Assert.Equal(samples, image.Bytes);
                else
                {
                    ushort[] expected = Enumerable.Range(0, w * h).Select(i => (ushort)(samples[2 * i] << 8 | samples[2 * i + 1])).ToArray();
                    Assert.Equal(expected, image.Words);
                    var into = new ushort[w * h];
                    decoder.DecodeGray16(file, into, w, h);
                    Assert.Equal(expected, into);
                }
                if (format == PngPixelFormat.Rgb8)
                {
                    var into = new byte[w * h * 3];
                    decoder.DecodeRgb8(file, into, w, h);
                    Assert.Equal(samples, into);
                }
            }
    }

    // ------------------------------------------------------------------ bad input

    [Fact]
    public void Unreadable_files_are_format_errors_that_say_what_is_wrong()
    {
        byte[] png = Png.EncodeRgb8(TestRgb(37, 23, 2), 37, 23);
        using Mat bgr = BgrMat(TestRgb(37, 23, 2), 37, 23);
        byte[] jpeg = Encode(bgr, ".jpg", (int)ImwriteFlags.JpegQuality, 90);
        byte[] badCrc = (byte[])png.Clone();
        badCrc[^18] ^= 1; // the last byte of IDAT's data (IEND and the CRC follow)
        byte[] palettedWithoutPlte = WritePng(4, 4, 8, 3, new byte[16], interlaced: false);

        (byte[] File, string Message)[] cases =
        [
            ([], "empty"),
            ("not an image"u8.ToArray(), "neither a PNG nor a JPEG"),
            (png[..20], "truncated"),
            (png[..(png.Length - 30)], "truncated"),
            (badCrc, "bad CRC in chunk IDAT"),
            (jpeg[..(jpeg.Length / 2)], "truncated"),
            (jpeg[..3], "JPEG"),
            (WritePng(4, 4, 16, 3, new byte[32], interlaced: false), "not supported"),
        ];
        foreach (var (file, message) in cases)
        {
            var ex = Assert.Throws<FormatException>(() => ImageDecoder.DecodeRgb8(file));
            Assert.Contains(message, ex.Message, StringComparison.OrdinalIgnoreCase);
        }
        // A palette image without a palette: libpng rejects it; here every index is black (as past a short palette).
        Assert.All(ImageDecoder.DecodeRgb8(palettedWithoutPlte).Rgb, v => Assert.Equal(0, v));
    }
}
