using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;

namespace SynthBuild.Core.Storage;

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
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

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

    /// <summary>Decodes 8/16-bit gray, RGB and RGBA non-interlaced PNGs (all five row filters).</summary>
    public static PngImage Decode(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8 || !file[..8].SequenceEqual(Signature)) throw new InvalidDataException("Not a PNG file.");
        int pos = 8, width = 0, height = 0, bitDepth = 0, colorType = -1;
        using var idat = new MemoryStream();
        while (pos + 12 <= file.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(file[pos..]);
            if (len < 0 || pos + 12 + len > file.Length) throw new InvalidDataException("Truncated PNG chunk.");
            ReadOnlySpan<byte> type = file.Slice(pos + 4, 4), data = file.Slice(pos + 8, len);
            uint expected = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + len)..]);
            if (Crc32.Of(type, data) != expected)
                throw new InvalidDataException($"CRC mismatch in PNG chunk {System.Text.Encoding.ASCII.GetString(type)}.");
            if (type.SequenceEqual("IHDR"u8))
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                bitDepth = data[8]; colorType = data[9];
                if (data[12] != 0) throw new InvalidDataException("Interlaced PNG is not supported.");
            }
            else if (type.SequenceEqual("IDAT"u8)) idat.Write(data);
            else if (type.SequenceEqual("IEND"u8)) break;
            pos += 12 + len;
        }

        int channels = colorType switch { 0 => 1, 2 => 3, 6 => 4, _ => throw new InvalidDataException($"PNG colour type {colorType} is not supported.") };
        if (bitDepth != 8 && bitDepth != 16) throw new InvalidDataException($"PNG bit depth {bitDepth} is not supported.");
        int bpp = channels * bitDepth / 8, stride = width * bpp;
        var raw = new byte[(long)(stride + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.ReadExactly(raw);

        var pixels = new byte[stride * height];
        byte[] zeroRow = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int f = raw[y * (stride + 1)];
            ReadOnlySpan<byte> src = raw.AsSpan(y * (stride + 1) + 1, stride);
            Span<byte> cur = pixels.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> prev = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : zeroRow;
            Unfilter(f, src, cur, prev, bpp);
        }

        if (bitDepth == 16)
        {
            if (channels != 1) throw new InvalidDataException("Only 16-bit grayscale PNG is supported.");
            var words = new ushort[width * height];
            ReadOnlySpan<ushort> bigEndian = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(pixels.AsSpan(0, words.Length * 2));
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(bigEndian, words);
            else bigEndian.CopyTo(words);
            return new PngImage(width, height, PngPixelFormat.Gray16, null, words);
        }
        return new PngImage(width, height, channels switch { 1 => PngPixelFormat.Gray8, 3 => PngPixelFormat.Rgb8, _ => PngPixelFormat.Rgba8 }, pixels, null);
    }

    /// <summary>Undoes one row's filter. One loop per filter type: the quality stage decodes every image of a
    /// dataset, and a per-byte switch made decoding several times slower.</summary>
    private static void Unfilter(int filter, ReadOnlySpan<byte> src, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp)
    {
        int n = src.Length;
        switch (filter)
        {
            case 0:
                src.CopyTo(cur);
                break;
            case 1:
                for (int i = 0; i < bpp && i < n; i++) cur[i] = src[i];
                for (int i = bpp; i < n; i++) cur[i] = (byte)(src[i] + cur[i - bpp]);
                break;
            case 2:
                for (int i = 0; i < n; i++) cur[i] = (byte)(src[i] + prev[i]);
                break;
            case 3:
                for (int i = 0; i < bpp && i < n; i++) cur[i] = (byte)(src[i] + (prev[i] >> 1));
                for (int i = bpp; i < n; i++) cur[i] = (byte)(src[i] + ((cur[i - bpp] + prev[i]) >> 1));
                break;
            case 4:
                for (int i = 0; i < bpp && i < n; i++) cur[i] = (byte)(src[i] + Paeth(0, prev[i], 0));
                for (int i = bpp; i < n; i++) cur[i] = (byte)(src[i] + Paeth(cur[i - bpp], prev[i], prev[i - bpp]));
                break;
            default:
                throw new InvalidDataException($"Unknown PNG filter {filter}.");
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
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
