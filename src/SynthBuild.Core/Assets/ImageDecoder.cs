using System.Buffers.Binary;

namespace SynthBuild.Core.Assets;

/// <summary>
/// Decodes the PNG and JPEG images users put in folders (backgrounds, textures) to 8-bit RGB, giving the pixels
/// OpenCV's <c>imdecode(IMREAD_COLOR)</c> gives (in RGB rather than BGR order), including its turn of JPEGs by their
/// EXIF orientation, with managed code only.
/// </summary>
public static class ImageDecoder
{
    private static ReadOnlySpan<byte> PngSignature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Sniffs the format from the first bytes (the file name's extension is not trusted).</summary>
    /// <exception cref="FormatException">Empty, truncated, corrupt, unsupported or not a PNG or JPEG (the message says
    /// which, but not the file name: callers add it).</exception>
    public static (int Width, int Height, byte[] Rgb) DecodeRgb8(ReadOnlySpan<byte> file)
    {
        if (file.IsEmpty) throw new FormatException("File is empty (0 bytes).");
        if (file.StartsWith(PngSignature)) return Png.DecodeRgb8(file);
        if (file.Length >= 3 && file[0] == 0xFF && file[1] == 0xD8 && file[2] == 0xFF)
        {
            var (w, h, rgb) = Jpeg.DecodeRgb8(file);
            return Orient(rgb, w, h, ExifOrientation(file));
        }
        throw new FormatException("Neither a PNG nor a JPEG file (unknown signature).");
    }

    /// <summary>The Orientation tag (1..8) of a JPEG's APP1 Exif segment; 1 (as stored) when absent or invalid.</summary>
    internal static int ExifOrientation(ReadOnlySpan<byte> jpeg)
    {
        int pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            byte marker = jpeg[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; } // no length
            if (marker is 0xDA or 0xD9) break; // scan data or end: the header segments are behind
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(pos + 2)..]);
            if (length < 2 || pos + 2 + length > jpeg.Length) break;
            ReadOnlySpan<byte> segment = jpeg.Slice(pos + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8)) return TiffOrientation(segment[6..]);
            pos += 2 + length;
        }
        return 1;
    }

    private static int TiffOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 1;
        bool little = tiff[0] == 'I' && tiff[1] == 'I';
        if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
        uint ifd = little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[4..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[4..]);
        if (ifd > (uint)tiff.Length - 2) return 1;
        int count = U16(tiff, (int)ifd, little);
        for (int i = 0, entry = (int)ifd + 2; i < count && entry + 12 <= tiff.Length; i++, entry += 12)
            if (U16(tiff, entry, little) == 0x0112) // Orientation, a SHORT held in the entry's value field
            {
                int value = U16(tiff, entry + 8, little);
                return value is >= 1 and <= 8 ? value : 1;
            }
        return 1;
    }

    private static ushort U16(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt16BigEndian(tiff[at..]);

    /// <summary>Turns the pixels so that they show upright, as OpenCV's ApplyExifOrientation does: orientations 5..8
    /// transpose the image (width and height swap).</summary>
    internal static (int Width, int Height, byte[] Rgb) Orient(byte[] rgb, int w, int h, int orientation)
    {
        if (orientation == 1) return (w, h, rgb);
        bool transpose = orientation >= 5;
        int dw = transpose ? h : w, dh = transpose ? w : h;
        var dst = new byte[rgb.Length];
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
            {
                // Source column and row of the upright pixel (x, y).
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                int s = (sy * w + sx) * 3, d = (y * dw + x) * 3;
                dst[d] = rgb[s]; dst[d + 1] = rgb[s + 1]; dst[d + 2] = rgb[s + 2];
            }
        return (dw, dh, dst);
    }
}
