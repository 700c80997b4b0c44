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

    /// <summary>Decodes 8/16-bit gray, 8-bit RGB and RGBA PNGs (all five row filters, plain or Adam7-interlaced) to
    /// their exact sample values: the layouts <see cref="Png"/> writes. Other PNGs: <see cref="DecodeRgb8"/>.</summary>
    /// <exception cref="FormatException">Not such a PNG (the message says what is wrong).</exception>
    public static PngImage Decode(ReadOnlySpan<byte> file)
    {
        var (header, samples, _) = DecodeSamples(file);
        var (width, height, bitDepth, colorType) = (header.Width, header.Height, header.BitDepth, header.ColorType);
        if (colorType is not (0 or 2 or 6) || (bitDepth != 8 && !(bitDepth == 16 && colorType == 0)))
            throw new FormatException($"PNG colour type {colorType} at {bitDepth} bits is not a layout this codec writes (8/16-bit grey, 8-bit RGB or RGBA).");
        if (bitDepth == 16)
        {
            var words = new ushort[width * height];
            ReadOnlySpan<ushort> bigEndian = MemoryMarshal.Cast<byte, ushort>(samples.AsSpan(0, words.Length * 2));
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(bigEndian, words);
            else bigEndian.CopyTo(words);
            return new PngImage(width, height, PngPixelFormat.Gray16, null, words);
        }
        return new PngImage(width, height, colorType switch { 0 => PngPixelFormat.Gray8, 2 => PngPixelFormat.Rgb8, _ => PngPixelFormat.Rgba8 }, samples, null);
    }

    /// <summary>
    /// Decodes any standard PNG (grey, RGB, palette, grey+alpha, RGBA; 1/2/4/8/16 bits; plain or Adam7) to 8-bit RGB
    /// the way OpenCV's <c>IMREAD_COLOR</c> (libpng) does: 16-bit samples keep their high byte, 1/2/4-bit grey is
    /// scaled to 0..255, grey is replicated, the palette is looked up (indices past it are black), alpha and tRNS are
    /// dropped, gamma and colour chunks are ignored.
    /// </summary>
    /// <exception cref="FormatException">Not a readable PNG (the message says what is wrong).</exception>
    public static (int Width, int Height, byte[] Rgb) DecodeRgb8(ReadOnlySpan<byte> file)
    {
        var (header, samples, palette) = DecodeSamples(file);
        int n = header.Width * header.Height, bytesPerSample = header.BitDepth == 16 ? 2 : 1;
        var rgb = new byte[n * 3];
        switch (header.ColorType)
        {
            case 0 or 4:
                int step = (header.ColorType == 0 ? 1 : 2) * bytesPerSample;
                int scale = header.BitDepth switch { 1 => 255, 2 => 85, 4 => 17, _ => 1 };
                for (int i = 0, s = 0; i < n; i++, s += step)
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte)(samples[s] * scale);
                break;
            case 2 when bytesPerSample == 1:
                samples.AsSpan(0, n * 3).CopyTo(rgb);
                break;
            case 2 or 6:
                int pixel = (header.ColorType == 2 ? 3 : 4) * bytesPerSample;
                for (int i = 0, s = 0; i < n; i++, s += pixel)
                    for (int c = 0; c < 3; c++) rgb[3 * i + c] = samples[s + c * bytesPerSample];
                break;
            default: // 3: palette
                for (int i = 0; i < n; i++) palette.AsSpan(samples[i] * 3, 3).CopyTo(rgb.AsSpan(3 * i, 3));
                break;
        }
        return (header.Width, header.Height, rgb);
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
    {
        public int Channels => ColorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
    }

    // Adam7: each pass's first column and row and its steps.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
    private static readonly (int X0, int Y0, int Dx, int Dy)[] WholeImage = [(0, 0, 1, 1)];

    /// <summary>
    /// Validates the chunks, inflates and unfilters the image data, and returns its samples in raster order: one byte
    /// per sample at 1..8 bits (unscaled: a 4-bit grey is 0..15, a palette index its index), two big-endian bytes at 16,
    /// so 8- and 16-bit images come out in their on-disk layout; plus the palette as 256 RGB entries (unused zero).
    /// </summary>
    private static (Header Header, byte[] Samples, byte[] Palette) DecodeSamples(ReadOnlySpan<byte> file)
    {
        if (file.IsEmpty) throw new FormatException("PNG file is empty (0 bytes).");
        if (file.Length < 8 || !file[..8].SequenceEqual(Signature)) throw new FormatException("Not a PNG file (no PNG signature).");
        int pos = 8;
        Header? header = null;
        byte[] palette = new byte[256 * 3];
        bool ended = false;
        using var idat = new MemoryStream();
        while (pos < file.Length)
        {
            if (pos + 12 > file.Length) throw new FormatException($"PNG file is truncated: {file.Length - pos} stray bytes where a chunk should start at byte {pos}.");
            int len = BinaryPrimitives.ReadInt32BigEndian(file[pos..]);
            ReadOnlySpan<byte> type = file.Slice(pos + 4, 4);
            string name = System.Text.Encoding.ASCII.GetString(type);
            if (len < 0 || (long)pos + 12 + len > file.Length)
                throw new FormatException($"PNG file is truncated: chunk {name} at byte {pos} declares {(uint)len} bytes; the file ends {file.Length - pos - 12} bytes after its header.");
            ReadOnlySpan<byte> data = file.Slice(pos + 8, len);
            uint expected = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + len)..]);
            pos += 12 + len;
            bool critical = (type[0] & 0x20) == 0;
            if (Crc32.Of(type, data) != expected)
            {
                if (critical) throw new FormatException($"PNG file is corrupt: bad CRC in chunk {name}.");
                continue; // libpng, too, drops an ancillary chunk with a bad CRC and reads on
            }
            if (type.SequenceEqual("IHDR"u8))
            {
                if (len != 13) throw new FormatException($"PNG file is corrupt: IHDR is {len} bytes, not 13.");
                header = ReadHeader(data);
            }
            else if (header is null) throw new FormatException($"PNG file is corrupt: chunk {name} before IHDR.");
            else if (type.SequenceEqual("PLTE"u8))
            {
                if (len % 3 != 0 || len > 256 * 3) throw new FormatException($"PNG file is corrupt: PLTE of {len} bytes.");
                data.CopyTo(palette);
            }
            else if (type.SequenceEqual("IDAT"u8)) idat.Write(data);
            else if (type.SequenceEqual("IEND"u8)) { ended = true; break; }
            else if (critical) throw new FormatException($"PNG chunk {name} is not supported (an unknown critical chunk).");
        }
        if (header is not { } h) throw new FormatException("PNG file is truncated: no IHDR chunk.");
        if (idat.Length == 0) throw new FormatException(ended ? "PNG file is corrupt: no IDAT chunk." : "PNG file is truncated: no IDAT chunk.");

        int channels = h.Channels, bytesPerSample = h.BitDepth == 16 ? 2 : 1;
        // Filters work on whole bytes: the "pixel" to the left is at least one byte back.
        int filterBpp = Math.Max(1, channels * h.BitDepth / 8), pixelBytes = channels * bytesPerSample;
        var passes = h.Interlaced ? Adam7 : WholeImage;
        long rawLength = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            long pw = PassSize(h.Width, x0, dx), ph = PassSize(h.Height, y0, dy);
            if (pw > 0 && ph > 0) rawLength += (RowBytes(h, pw) + 1) * ph;
        }
        long outLength = (long)h.Width * h.Height * pixelBytes;
        if (rawLength > Array.MaxLength || outLength > Array.MaxLength)
            throw new FormatException($"PNG image of {h.Width}×{h.Height} is too large to decode.");

        var raw = new byte[rawLength];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            z.ReadExactly(raw);
        }
        catch (EndOfStreamException) { throw new FormatException(ended ? "PNG file is corrupt: the image data is shorter than the image." : "PNG file is truncated: the image data ends early."); }
        catch (InvalidDataException ex) { throw new FormatException($"PNG file is {(ended ? "corrupt" : "truncated")}: the image data does not inflate ({ex.Message})."); }

        var samples = new byte[outLength];
        int rawPos = 0;
        if (!h.Interlaced && h.BitDepth >= 8)
        {
            // The files this codec writes: unfilter straight into the result, each row against the one above.
            int stride = h.Width * pixelBytes;
            byte[] zeroRow = new byte[stride];
            for (int y = 0; y < h.Height; y++, rawPos += stride + 1)
                Unfilter(raw[rawPos], raw.AsSpan(rawPos + 1, stride), samples.AsSpan(y * stride, stride),
                    y > 0 ? samples.AsSpan((y - 1) * stride, stride) : zeroRow, filterBpp);
            return (h, samples, palette);
        }

        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = PassSize(h.Width, x0, dx), ph = PassSize(h.Height, y0, dy);
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int)RowBytes(h, pw);
            byte[] prev = new byte[rowBytes], cur = new byte[rowBytes];
            for (int j = 0; j < ph; j++, rawPos += rowBytes + 1)
            {
                Unfilter(raw[rawPos], raw.AsSpan(rawPos + 1, rowBytes), cur, prev, filterBpp);
                long rowStart = ((long)(y0 + j * dy) * h.Width + x0) * pixelBytes, step = (long)dx * pixelBytes;
                if (h.BitDepth >= 8)
                    for (int i = 0; i < pw; i++) cur.AsSpan(i * pixelBytes, pixelBytes).CopyTo(samples.AsSpan((int)(rowStart + i * step), pixelBytes));
                else
                {
                    // Sub-byte samples are packed from the high bits; here only grey and palette (one channel).
                    int bits = h.BitDepth, mask = (1 << bits) - 1;
                    for (int i = 0; i < pw; i++)
                    {
                        int bit = i * bits;
                        samples[rowStart + i * step] = (byte)((cur[bit >> 3] >> (8 - bits - (bit & 7))) & mask);
                    }
                }
                (prev, cur) = (cur, prev);
            }
        }
        return (h, samples, palette);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> data)
    {
        int width = BinaryPrimitives.ReadInt32BigEndian(data), height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        int bitDepth = data[8], colorType = data[9];
        if (width <= 0 || height <= 0) throw new FormatException($"PNG file is corrupt: image size {(uint)width}×{(uint)height}.");
        bool valid = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => bitDepth is 8 or 16,
            _ => false,
        };
        if (!valid) throw new FormatException($"PNG colour type {colorType} at bit depth {bitDepth} is not supported (not a valid PNG combination).");
        if (data[10] != 0 || data[11] != 0) throw new FormatException($"PNG compression method {data[10]} / filter method {data[11]} is not supported.");
        if (data[12] > 1) throw new FormatException($"PNG interlace method {data[12]} is not supported.");
        return new Header(width, height, bitDepth, colorType, data[12] == 1);
    }

    private static int PassSize(int size, int start, int step) => size <= start ? 0 : (size - start + step - 1) / step;

    private static long RowBytes(Header h, long width) => (width * h.Channels * h.BitDepth + 7) / 8;

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
                throw new FormatException($"PNG file is corrupt: unknown row filter {filter}.");
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
