using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;

namespace SynthBuild.Core.Assets;

/// <summary>Pixel layouts this codec reads and writes.</summary>
public enum PngPixelFormat { Gray8, Gray16, Rgb8, Rgba8 }

/// <summary>A decoded image: row-major samples, 16-bit values in native order.</summary>
public sealed record PngImage(int Width, int Height, PngPixelFormat Format, byte[]? Bytes, ushort[]? Words);

/// <summary>
/// A small managed PNG codec: deterministic output (same pixels ⇒ same bytes), no native dependency, and fast
/// enough to be the floor of generation cost (zlib level 1 with a Sub filter: Huffman only for noisy colour, RLE otherwise;
/// level 2 unfiltered for masks; see shared performance notes).
/// 16-bit samples are big-endian on disk, as PNG requires, and are never scaled.
/// </summary>
public static class Png
{
    internal static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    // Measured on noisy 640×480 renders (zlib-ng): level-1 "default" deflate uses static Huffman codes and barely
    // compresses sensor noise (903 KB, 7.8 ms); with the Sub filter, Huffman coding alone gives the same 568 KB as the
    // RLE strategy (noise leaves no runs to find) in 4.1 instead of 4.6 ms. Noisy depth compresses best with RLE and
    // Sub (132 KB; Huffman alone 147 KB, level 2 145 KB); flat id masks need no filter and get their long runs from
    // level 2's matches (3 KB).
    private static readonly ZLibCompressionOptions NoisyCompression = new() { CompressionLevel = 1, CompressionStrategy = ZLibCompressionStrategy.HuffmanOnly };
    private static readonly ZLibCompressionOptions PhotoCompression = new() { CompressionLevel = 1, CompressionStrategy = ZLibCompressionStrategy.RunLengthEncoding };
    private static readonly ZLibCompressionOptions MaskCompression = new() { CompressionLevel = 2, CompressionStrategy = ZLibCompressionStrategy.Default };

    // The file is assembled in one growable buffer (kept between calls): deflate writes straight into the IDAT
    // chunk. The byte[] overloads use one per thread and copy the result out; the generator passes its own buffers
    // and so allocates nothing per image (large arrays would otherwise churn the large-object heap).
    [ThreadStatic] private static MemoryStream? t_file;

    public static byte[] EncodeRgb8(ReadOnlySpan<byte> rgb, int width, int height, bool noisy = false) =>
        EncodeRgb8(rgb, width, height, t_file ??= new MemoryStream(), noisy).ToArray();

    /// <summary>Encodes into <paramref name="destination"/> (its content is replaced); the result is a view of its
    /// buffer, valid until the stream is written again.</summary>
    /// <param name="noisy">Sensor noise on every pixel: Huffman coding alone, which is as small and faster there
    /// (smooth images compress better with the default, run-finding strategy).</param>
    public static ReadOnlyMemory<byte> EncodeRgb8(ReadOnlySpan<byte> rgb, int width, int height, MemoryStream destination, bool noisy = false) =>
        Encode(rgb, width, height, colorType: 2, bitDepth: 8, bytesPerPixel: 3, filter: 1, noisy ? NoisyCompression : PhotoCompression, destination);

    public static byte[] EncodeGray8(ReadOnlySpan<byte> gray, int width, int height) =>
        Encode(gray, width, height, colorType: 0, bitDepth: 8, bytesPerPixel: 1, filter: 1, PhotoCompression, t_file ??= new MemoryStream()).ToArray();

    /// <param name="filter">PNG row filter: 0 None for flat label images (deflated with matches, level 2), 1 Sub for
    /// depth (deflated like photos, level 1 RLE).</param>
    public static byte[] EncodeGray16(ReadOnlySpan<ushort> values, int width, int height, int filter = 1) =>
        EncodeGray16(values, width, height, filter, t_file ??= new MemoryStream()).ToArray();

    /// <summary>Encodes into <paramref name="destination"/> (its content is replaced); the result is a view of its
    /// buffer, valid until the stream is written again.</summary>
    public static ReadOnlyMemory<byte> EncodeGray16(ReadOnlySpan<ushort> values, int width, int height, int filter, MemoryStream destination)
    {
        byte[] be = ArrayPool<byte>.Shared.Rent(values.Length * 2);
        try
        {
            Span<ushort> words = MemoryMarshal.Cast<byte, ushort>(be.AsSpan(0, values.Length * 2));
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(values, words);
            else values.CopyTo(words);
            return Encode(be.AsSpan(0, values.Length * 2), width, height, colorType: 0, bitDepth: 16, bytesPerPixel: 2, filter,
                filter == 0 ? MaskCompression : PhotoCompression, destination);
        }
        finally { ArrayPool<byte>.Shared.Return(be); }
    }

    private static ReadOnlyMemory<byte> Encode(ReadOnlySpan<byte> pixels, int width, int height, byte colorType, byte bitDepth, int bytesPerPixel, int filter,
        ZLibCompressionOptions compression, MemoryStream file)
    {
        int stride = width * bytesPerPixel;
        if (pixels.Length != stride * height) throw new ArgumentException($"Expected {stride * height} bytes, got {pixels.Length}.");
        if (filter is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(filter), filter, "Only the None (0) and Sub (1) filters are written.");

        int rawLength = (stride + 1) * height;
        byte[] raw = ArrayPool<byte>.Shared.Rent(rawLength);
        try
        {
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> src = pixels.Slice(y * stride, stride);
                Span<byte> dst = raw.AsSpan(y * (stride + 1), stride + 1);
                dst[0] = (byte)filter;
                if (filter == 1) SubFilter(src, dst[1..], bytesPerPixel);
                else src.CopyTo(dst[1..]);
            }

            file.SetLength(0);
            file.Write(Signature);
            Span<byte> ihdr = stackalloc byte[13];
            BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
            BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
            ihdr[8] = bitDepth; ihdr[9] = colorType; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
            WriteChunk(file, "IHDR"u8, ihdr);

            int idat = (int)file.Position;
            file.Write([0, 0, 0, 0, (byte)'I', (byte)'D', (byte)'A', (byte)'T']); // length is filled in below
            using (var z = new ZLibStream(file, compression, leaveOpen: true))
                z.Write(raw, 0, rawLength);
            Span<byte> written = file.GetBuffer().AsSpan(idat, (int)file.Length - idat);
            BinaryPrimitives.WriteInt32BigEndian(written, written.Length - 8);
            Span<byte> crc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Of(written[4..]));
            file.Write(crc);
            WriteChunk(file, "IEND"u8, []);
            return file.GetBuffer().AsMemory(0, (int)file.Length);
        }
        finally { ArrayPool<byte>.Shared.Return(raw); }
    }

    /// <summary>PNG "Sub" filter: each byte minus the same channel of the pixel to its left (wrapping, so exact
    /// whatever the vector width).</summary>
    private static void SubFilter(ReadOnlySpan<byte> src, Span<byte> dst, int bytesPerPixel)
    {
        src[..bytesPerPixel].CopyTo(dst);
        int i = bytesPerPixel, n = src.Length;
        for (; i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
            (new Vector<byte>(src[i..]) - new Vector<byte>(src[(i - bytesPerPixel)..])).CopyTo(dst[i..]);
        for (; i < n; i++) dst[i] = (byte)(src[i] - src[i - bytesPerPixel]);
    }

    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        type.CopyTo(head[4..]);
        s.Write(head);
        s.Write(data);
        uint crc = Crc32.Of(type, data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }

    // Decoding keeps its scratch (palette, IDAT chunk list, inflate block, zero row) in one decoder per thread.
    [ThreadStatic] private static PngDecoder? t_decoder;

    /// <summary>Decodes 8/16-bit gray, 8-bit RGB and RGBA PNGs (all five row filters, plain or Adam7-interlaced) to
    /// their exact sample values: the layouts <see cref="Png"/> writes. Other PNGs: <see cref="DecodeRgb8"/>. To decode
    /// into buffers of your own, reused between images: <see cref="PngDecoder"/>.</summary>
    /// <exception cref="FormatException">Not such a PNG (the message says what is wrong).</exception>
    public static PngImage Decode(ReadOnlySpan<byte> file) => (t_decoder ??= new PngDecoder()).Decode(file);

    /// <summary>
    /// Decodes any standard PNG (grey, RGB, palette, grey+alpha, RGBA; 1/2/4/8/16 bits; plain or Adam7) to 8-bit RGB
    /// the way OpenCV's <c>IMREAD_COLOR</c> (libpng) does: 16-bit samples keep their high byte, 1/2/4-bit grey is
    /// scaled to 0..255, grey is replicated, the palette is looked up (indices past it are black), alpha and tRNS are
    /// dropped, gamma and colour chunks are ignored.
    /// </summary>
    /// <exception cref="FormatException">Not a readable PNG (the message says what is wrong).</exception>
    public static (int Width, int Height, byte[] Rgb) DecodeRgb8(ReadOnlySpan<byte> file) => (t_decoder ??= new PngDecoder()).DecodeAnyToRgb8(file);
}

/// <summary>CRC-32 (ISO-HDLC, as PNG and zlib use) of one or two spans in sequence.</summary>
internal static class Crc32
{
    public static uint Of(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second = default)
    {
        if (second.IsEmpty) return System.IO.Hashing.Crc32.HashToUInt32(first);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(first);
        crc.Append(second);
        return crc.GetCurrentHashAsUInt32();
    }
}
