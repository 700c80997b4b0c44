using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SynthBuild.Core.Assets;

/// <summary>
/// The PNG decoder behind <see cref="Png.Decode"/> and <see cref="Png.DecodeRgb8"/>, usable directly where images
/// are decoded in a loop: it keeps its file buffer and scratch between calls and decodes into the caller's pixel
/// buffers, inflating each row straight into place and unfiltering it there, so decoding an image allocates no pixel
/// memory (only the inflater's small state). One instance per thread: it is not thread-safe.
/// </summary>
public sealed class PngDecoder
{
    private byte[] _file = [];
    private byte[] _zeroRow = [];
    private readonly byte[] _palette = new byte[256 * 3];
    private readonly List<(int Start, int Length)> _idat = [];
    private readonly IdatStream _idatStream = new();

    /// <summary>Reads a whole file into this decoder's buffer (kept and grown between calls); the result is valid
    /// until the next call.</summary>
    public ReadOnlySpan<byte> ReadFile(string path)
    {
        using var handle = File.OpenHandle(path);
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength) throw new IOException($"'{path}' is too large to be a PNG this decoder reads ({length} bytes).");
        if (_file.Length < length) _file = new byte[Math.Max(length, _file.Length * 3L / 2)];
        int read = 0;
        while (read < length)
        {
            int n = RandomAccess.Read(handle, _file.AsSpan(read, (int)length - read), read);
            if (n == 0) break; // shrank while being read: what was there is decoded (and reported truncated)
            read += n;
        }
        return _file.AsSpan(0, read);
    }

    /// <summary>Decodes an 8-bit RGB PNG of exactly <paramref name="width"/>×<paramref name="height"/> into
    /// <paramref name="rgb"/> (row-major, R G B).</summary>
    /// <exception cref="FormatException">Not a readable PNG, or not that size and layout.</exception>
    public void DecodeRgb8(ReadOnlySpan<byte> file, Span<byte> rgb, int width, int height)
    {
        Header h = Expect(file, width, height, PngPixelFormat.Rgb8);
        ReadSamples(file, h, rgb[..checked(width * height * 3)], nativeWords: false);
    }

    /// <summary>Decodes a 16-bit grey PNG of exactly <paramref name="width"/>×<paramref name="height"/> into
    /// <paramref name="values"/> (row-major, native byte order, unscaled).</summary>
    /// <exception cref="FormatException">Not a readable PNG, or not that size and layout.</exception>
    public void DecodeGray16(ReadOnlySpan<byte> file, Span<ushort> values, int width, int height)
    {
        Header h = Expect(file, width, height, PngPixelFormat.Gray16);
        ReadSamples(file, h, MemoryMarshal.AsBytes(values[..checked(width * height)]), nativeWords: true);
    }

    private Header Expect(ReadOnlySpan<byte> file, int width, int height, PngPixelFormat format)
    {
        Header h = ReadChunks(file);
        PngPixelFormat? actual = h.Format;
        if (h.Width != width || h.Height != height || actual != format)
            throw new FormatException($"PNG is {h.Width}×{h.Height} {(actual?.ToString() ?? $"colour type {h.ColorType} at {h.BitDepth} bits")}; expected {width}×{height} {format}.");
        return h;
    }

    /// <inheritdoc cref="Png.Decode"/>
    public PngImage Decode(ReadOnlySpan<byte> file)
    {
        Header h = ReadChunks(file);
        if (h.Format is not PngPixelFormat format)
            throw new FormatException($"PNG colour type {h.ColorType} at {h.BitDepth} bits is not a layout this codec writes (8/16-bit grey, 8-bit RGB or RGBA).");
        long n = CheckedSize(h);
        if (format == PngPixelFormat.Gray16)
        {
            var words = new ushort[n];
            ReadSamples(file, h, MemoryMarshal.AsBytes(words.AsSpan()), nativeWords: true);
            return new PngImage(h.Width, h.Height, format, null, words);
        }
        var bytes = new byte[n * h.Channels];
        ReadSamples(file, h, bytes, nativeWords: false);
        return new PngImage(h.Width, h.Height, format, bytes, null);
    }

    /// <inheritdoc cref="Png.DecodeRgb8"/>
    public (int Width, int Height, byte[] Rgb) DecodeAnyToRgb8(ReadOnlySpan<byte> file)
    {
        Header h = ReadChunks(file);
        int n = (int)CheckedSize(h), bytesPerSample = h.BitDepth == 16 ? 2 : 1;
        var rgb = new byte[n * 3];
        if (h.Format == PngPixelFormat.Rgb8)
        {
            ReadSamples(file, h, rgb, nativeWords: false);
            return (h.Width, h.Height, rgb);
        }
        var samples = new byte[(long)n * h.Channels * bytesPerSample];
        ReadSamples(file, h, samples, nativeWords: false);
        switch (h.ColorType)
        {
            case 0 or 4:
                int step = (h.ColorType == 0 ? 1 : 2) * bytesPerSample;
                int scale = h.BitDepth switch { 1 => 255, 2 => 85, 4 => 17, _ => 1 };
                for (int i = 0, s = 0; i < n; i++, s += step)
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte)(samples[s] * scale);
                break;
            case 2 or 6:
                int pixel = (h.ColorType == 2 ? 3 : 4) * bytesPerSample;
                for (int i = 0, s = 0; i < n; i++, s += pixel)
                    for (int c = 0; c < 3; c++) rgb[3 * i + c] = samples[s + c * bytesPerSample];
                break;
            default: // 3: palette
                for (int i = 0; i < n; i++) _palette.AsSpan(samples[i] * 3, 3).CopyTo(rgb.AsSpan(3 * i, 3));
                break;
        }
        return (h.Width, h.Height, rgb);
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType, bool Interlaced, bool Ended)
    {
        public int Channels => ColorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };

        /// <summary>The layout when it is one <see cref="Png"/> writes.</summary>
        public PngPixelFormat? Format => (ColorType, BitDepth) switch
        {
            (0, 8) => PngPixelFormat.Gray8,
            (0, 16) => PngPixelFormat.Gray16,
            (2, 8) => PngPixelFormat.Rgb8,
            (6, 8) => PngPixelFormat.Rgba8,
            _ => null,
        };
    }

    private static long CheckedSize(Header h)
    {
        long n = (long)h.Width * h.Height;
        if (n * h.Channels * (h.BitDepth == 16 ? 2 : 1) > Array.MaxLength)
            throw new FormatException($"PNG image of {h.Width}×{h.Height} is too large to decode.");
        return n;
    }

    // Adam7: each pass's first column and row and its steps.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
    private static readonly (int X0, int Y0, int Dx, int Dy)[] WholeImage = [(0, 0, 1, 1)];

    /// <summary>Validates the chunks and notes where the image data lies (no copy) and the palette (256 RGB
    /// entries, unused zero).</summary>
    private Header ReadChunks(ReadOnlySpan<byte> file)
    {
        if (file.IsEmpty) throw new FormatException("PNG file is empty (0 bytes).");
        if (file.Length < 8 || !file[..8].SequenceEqual(Png.Signature)) throw new FormatException("Not a PNG file (no PNG signature).");
        int pos = 8;
        Header? header = null;
        Array.Clear(_palette);
        _idat.Clear();
        bool ended = false;
        while (pos < file.Length)
        {
            if (pos + 12 > file.Length) throw new FormatException($"PNG file is truncated: {file.Length - pos} stray bytes where a chunk should start at byte {pos}.");
            int len = BinaryPrimitives.ReadInt32BigEndian(file[pos..]);
            ReadOnlySpan<byte> type = file.Slice(pos + 4, 4);
            if (len < 0 || (long)pos + 12 + len > file.Length)
                throw new FormatException($"PNG file is truncated: chunk {Name(type)} at byte {pos} declares {(uint)len} bytes; the file ends {file.Length - pos - 12} bytes after its header.");
            ReadOnlySpan<byte> data = file.Slice(pos + 8, len);
            uint expected = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + len)..]);
            int start = pos + 8;
            pos += 12 + len;
            bool critical = (type[0] & 0x20) == 0;
            if (Crc32.Of(type, data) != expected)
            {
                if (critical) throw new FormatException($"PNG file is corrupt: bad CRC in chunk {Name(type)}.");
                continue; // libpng, too, drops an ancillary chunk with a bad CRC and reads on
            }
            if (type.SequenceEqual("IHDR"u8))
            {
                if (len != 13) throw new FormatException($"PNG file is corrupt: IHDR is {len} bytes, not 13.");
                header = ReadHeader(data);
            }
            else if (header is null) throw new FormatException($"PNG file is corrupt: chunk {Name(type)} before IHDR.");
            else if (type.SequenceEqual("PLTE"u8))
            {
                if (len % 3 != 0 || len > 256 * 3) throw new FormatException($"PNG file is corrupt: PLTE of {len} bytes.");
                data.CopyTo(_palette);
            }
            else if (type.SequenceEqual("IDAT"u8)) { if (len > 0) _idat.Add((start, len)); }
            else if (type.SequenceEqual("IEND"u8)) { ended = true; break; }
            else if (critical) throw new FormatException($"PNG chunk {Name(type)} is not supported (an unknown critical chunk).");
        }
        if (header is not { } h) throw new FormatException("PNG file is truncated: no IHDR chunk.");
        if (_idat.Count == 0) throw new FormatException(ended ? "PNG file is corrupt: no IDAT chunk." : "PNG file is truncated: no IDAT chunk.");
        return h with { Ended = ended };
    }

    private static string Name(ReadOnlySpan<byte> type) => System.Text.Encoding.ASCII.GetString(type);

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
        return new Header(width, height, bitDepth, colorType, data[12] == 1, Ended: false);
    }

    private static int PassSize(int size, int start, int step) => size <= start ? 0 : (size - start + step - 1) / step;

    private static long RowBytes(Header h, long width) => (width * h.Channels * h.BitDepth + 7) / 8;

    /// <summary>
    /// Inflates and unfilters the image data (after <see cref="ReadChunks"/>) into <paramref name="samples"/> in
    /// raster order: one byte per sample at 1..8 bits (unscaled: a 4-bit grey is 0..15, a palette index its index),
    /// two bytes at 16, big-endian as on disk or, with <paramref name="nativeWords"/>, in native order.
    /// </summary>
    private unsafe void ReadSamples(ReadOnlySpan<byte> file, Header h, Span<byte> samples, bool nativeWords)
    {
        fixed (byte* start = file)
        {
            _idatStream.Reset(start, _idat);
            try
            {
                using var z = new ZLibStream(_idatStream, CompressionMode.Decompress, leaveOpen: true);
                if (!h.Interlaced && h.BitDepth >= 8) InflateRows(z, h, samples, nativeWords);
                else InflatePasses(z, h, samples, nativeWords);
            }
            catch (EndOfStreamException) { throw new FormatException(h.Ended ? "PNG file is corrupt: the image data is shorter than the image." : "PNG file is truncated: the image data ends early."); }
            catch (InvalidDataException ex) { throw new FormatException($"PNG file is {(h.Ended ? "corrupt" : "truncated")}: the image data does not inflate ({ex.Message})."); }
            finally { _idatStream.Reset(null, _idat); }
        }
    }

    /// <summary>The files <see cref="Png"/> writes: a block of rows at a time is inflated into scratch that stays in
    /// cache, and each row unfiltered from there into its place in the result, against the row above. (Inflating row
    /// by row straight into the result was slower: zlib's fast loop stops short of the end of every output buffer.)</summary>
    private void InflateRows(ZLibStream z, Header h, Span<byte> pixels, bool nativeWords)
    {
        int pixelBytes = h.Channels * h.BitDepth / 8, stride = h.Width * pixelBytes;
        bool swap = nativeWords && h.BitDepth == 16 && BitConverter.IsLittleEndian;
        if (_zeroRow.Length < stride) _zeroRow = new byte[stride];
        int blockRows = Math.Clamp(BlockBytes / (stride + 1), 1, h.Height);
        if (_block.Length < blockRows * (stride + 1)) _block = new byte[blockRows * (stride + 1)];
        for (int y0 = 0; y0 < h.Height; y0 += blockRows)
        {
            int rows = Math.Min(blockRows, h.Height - y0);
            Span<byte> block = _block.AsSpan(0, rows * (stride + 1));
            z.ReadExactly(block);
            for (int j = 0; j < rows; j++)
            {
                int y = y0 + j;
                Span<byte> row = pixels.Slice(y * stride, stride);
                ReadOnlySpan<byte> above = y > 0 ? pixels.Slice((y - 1) * stride, stride) : _zeroRow.AsSpan(0, stride);
                Unfilter(block[j * (stride + 1)], block.Slice(j * (stride + 1) + 1, stride), row, above, pixelBytes);
                // The row above is no longer needed as a filter reference (in on-disk order): swap it while it is in cache.
                if (swap && y > 0) Swap16(pixels.Slice((y - 1) * stride, stride));
            }
        }
        if (swap) Swap16(pixels.Slice((h.Height - 1) * stride, stride));
    }

    // Inflated rows per block: about 32 KB, which stays in L1/L2 between inflating and unfiltering.
    private const int BlockBytes = 32 * 1024;
    private byte[] _block = [];

    private static void Swap16(Span<byte> row)
    {
        Span<ushort> words = MemoryMarshal.Cast<byte, ushort>(row);
        BinaryPrimitives.ReverseEndianness(words, words);
    }

    /// <summary>Interlaced or sub-byte images: all the image data is inflated first, each pass unfiltered in place, and
    /// the samples then scattered to their raster positions.</summary>
    private static void InflatePasses(ZLibStream z, Header h, Span<byte> samples, bool nativeWords)
    {
        var passes = h.Interlaced ? Adam7 : WholeImage;
        long rawLength = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            long pw = PassSize(h.Width, x0, dx), ph = PassSize(h.Height, y0, dy);
            if (pw > 0 && ph > 0) rawLength += (RowBytes(h, pw) + 1) * ph;
        }
        if (rawLength > Array.MaxLength) throw new FormatException($"PNG image of {h.Width}×{h.Height} is too large to decode.");
        var raw = new byte[rawLength];
        z.ReadExactly(raw);

        int pixelBytes = h.Channels * (h.BitDepth == 16 ? 2 : 1);
        int filterBpp = Math.Max(1, h.Channels * h.BitDepth / 8); // filters work on whole bytes
        int rawPos = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = PassSize(h.Width, x0, dx), ph = PassSize(h.Height, y0, dy);
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int)RowBytes(h, pw);
            var zero = new byte[rowBytes];
            for (int j = 0; j < ph; j++, rawPos += rowBytes + 1)
            {
                Span<byte> cur = raw.AsSpan(rawPos + 1, rowBytes);
                Unfilter(raw[rawPos], cur, cur, j > 0 ? raw.AsSpan(rawPos - rowBytes, rowBytes) : zero, filterBpp);
                long rowStart = ((long)(y0 + j * dy) * h.Width + x0) * pixelBytes, step = (long)dx * pixelBytes;
                if (h.BitDepth >= 8)
                    for (int i = 0; i < pw; i++) cur.Slice(i * pixelBytes, pixelBytes).CopyTo(samples.Slice((int)(rowStart + i * step), pixelBytes));
                else
                {
                    // Sub-byte samples are packed from the high bits; here only grey and palette (one channel).
                    int bits = h.BitDepth, mask = (1 << bits) - 1;
                    for (int i = 0; i < pw; i++)
                    {
                        int bit = i * bits;
                        samples[(int)(rowStart + i * step)] = (byte)((cur[bit >> 3] >> (8 - bits - (bit & 7))) & mask);
                    }
                }
            }
        }
        if (nativeWords && h.BitDepth == 16 && BitConverter.IsLittleEndian) Swap16(samples);
    }

    /// <summary>Undoes one row's filter: <paramref name="row"/> gets the image bytes of the filtered bytes in
    /// <paramref name="src"/>, which may be the same memory (unfiltering in place). One loop per filter type: a per-byte
    /// switch made decoding several times slower.</summary>
    private static void Unfilter(int filter, ReadOnlySpan<byte> src, Span<byte> row, ReadOnlySpan<byte> above, int bpp)
    {
        int n = row.Length;
        switch (filter)
        {
            case 0:
                src.CopyTo(row);
                break;
            case 1:
                UnfilterSub(src, row, bpp);
                break;
            case 2:
                int i = 0;
                for (; i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
                    (new Vector<byte>(src[i..]) + new Vector<byte>(above[i..])).CopyTo(row[i..]);
                for (; i < n; i++) row[i] = (byte)(src[i] + above[i]);
                break;
            case 3:
                for (int k = 0; k < bpp && k < n; k++) row[k] = (byte)(src[k] + (above[k] >> 1));
                for (int k = bpp; k < n; k++) row[k] = (byte)(src[k] + ((row[k - bpp] + above[k]) >> 1));
                break;
            case 4:
                for (int k = 0; k < bpp && k < n; k++) row[k] = (byte)(src[k] + above[k]); // Paeth(0, b, 0) = b
                for (int k = bpp; k < n; k++) row[k] = (byte)(src[k] + Paeth(row[k - bpp], above[k], above[k - bpp]));
                break;
            default:
                throw new FormatException($"PNG file is corrupt: unknown row filter {filter}.");
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    /// <summary>
    /// Sub: each byte plus the same channel of the pixel to its left, a running sum per channel. Vectorised as a
    /// prefix sum over the whole pixels that fit in 16 bytes (log₂ shifted adds), plus the last pixel of the previous
    /// block broadcast to every pixel: noisy RGB and depth rows are Sub-filtered, and a byte-serial loop was a third
    /// of their decode time.
    /// </summary>
    private static void UnfilterSub(ReadOnlySpan<byte> src, Span<byte> row, int bpp)
    {
        int i = bpp, n = row.Length;
        src[..Math.Min(bpp, n)].CopyTo(row);
        ref byte s = ref MemoryMarshal.GetReference(src), r = ref MemoryMarshal.GetReference(row);
        if (bpp <= 8 && n >= bpp + 16 && SubShuffles.Supported)
        {
            SubShuffles t = SubShuffles.For[bpp];
            int step = t.Step, shifts = t.Shifts.Length;
            Vector128<byte> s0 = t.Shifts[0], s1 = shifts > 1 ? t.Shifts[1] : default, s2 = shifts > 2 ? t.Shifts[2] : default, s3 = shifts > 3 ? t.Shifts[3] : default;
            Vector128<byte> keep = t.Keep, last = t.Last;
            Vector128<byte> carry = SubShuffles.Shuffle(Vector128.LoadUnsafe(ref s), t.First);
            for (; i + 16 <= n; i += step)
            {
                Vector128<byte> x = Vector128.LoadUnsafe(ref s, (nuint)i), sum = x + SubShuffles.Shuffle(x, s0);
                if (shifts > 1) sum += SubShuffles.Shuffle(sum, s1);
                if (shifts > 2) sum += SubShuffles.Shuffle(sum, s2);
                if (shifts > 3) sum += SubShuffles.Shuffle(sum, s3);
                sum += carry;
                // Bytes past the last whole pixel are the next block's: stored unchanged (in place, they are still to be read).
                Vector128.ConditionalSelect(keep, x, sum).StoreUnsafe(ref r, (nuint)i);
                carry = SubShuffles.Shuffle(sum, last);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref r, i) = (byte)(Unsafe.Add(ref s, i) + Unsafe.Add(ref r, i - bpp));
    }

    /// <summary>Byte shuffles for <see cref="UnfilterSub"/> at one pixel size (index 0xFF gives 0).</summary>
    private sealed class SubShuffles
    {
        public static readonly bool Supported = Ssse3.IsSupported || AdvSimd.Arm64.IsSupported;
        public static readonly SubShuffles[] For = Enumerable.Range(0, 9).Select(b => new SubShuffles(Math.Max(b, 1))).ToArray();

        public readonly int Step;
        public readonly Vector128<byte>[] Shifts;
        public readonly Vector128<byte> First, Last, Keep;

        private SubShuffles(int bpp)
        {
            Step = 16 / bpp * bpp;
            var shifts = new List<Vector128<byte>>();
            for (int s = bpp; s < Step; s *= 2) shifts.Add(Indices(j => j >= s ? j - s : 0xFF));
            Shifts = [.. shifts];
            First = Indices(j => j % bpp);
            Last = Indices(j => Step - bpp + j % bpp);
            Keep = Indices(j => j >= Step ? 0xFF : 0);
        }

        private static Vector128<byte> Indices(Func<int, int> index)
        {
            Span<byte> v = stackalloc byte[16];
            for (int j = 0; j < 16; j++) v[j] = (byte)index(j);
            return Vector128.Create((ReadOnlySpan<byte>)v);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Shuffle(Vector128<byte> v, Vector128<byte> indices) =>
            Ssse3.IsSupported ? Ssse3.Shuffle(v, indices) : AdvSimd.Arm64.VectorTableLookup(v, indices);
    }

    /// <summary>The IDAT chunks' data, read in sequence from the file in place (no concatenated copy). Points into
    /// a pinned file only for the duration of one decode.</summary>
    private sealed unsafe class IdatStream : Stream
    {
        private byte* _file;
        private List<(int Start, int Length)> _chunks = [];
        private int _chunk, _offset;

        public void Reset(byte* file, List<(int Start, int Length)> chunks)
        {
            _file = file;
            (_chunks, _chunk, _offset) = (chunks, 0, 0);
        }

        public override int Read(Span<byte> buffer)
        {
            int total = 0;
            while (!buffer.IsEmpty && _chunk < _chunks.Count)
            {
                var (start, length) = _chunks[_chunk];
                int n = Math.Min(buffer.Length, length - _offset);
                new ReadOnlySpan<byte>(_file + start + _offset, n).CopyTo(buffer);
                buffer = buffer[n..];
                total += n;
                if ((_offset += n) == length) (_chunk, _offset) = (_chunk + 1, 0);
            }
            return total;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
