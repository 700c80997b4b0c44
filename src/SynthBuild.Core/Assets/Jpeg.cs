using BitMiracle.LibJpeg.Classic;

namespace SynthBuild.Core.Assets;

/// <summary>
/// JPEG decoding to 8-bit RGB, bit-exact with libjpeg-turbo's default decompression (which OpenCV uses), without a
/// native library. BitMiracle.LibJpeg.NET (a managed port of IJG libjpeg 8/9) parses the file and does the entropy
/// decoding and the integer IDCT; the chroma upsampling and colour conversion are done here, because libjpeg 7+
/// upsamples chroma by a scaled IDCT where libjpeg-turbo keeps libjpeg 6b's "fancy" triangle filter, and the pixels
/// differ by up to ~140 levels for 4:2:0 images. Baseline, progressive and arithmetic-coded files; 4:4:4, 4:2:2,
/// 4:2:0, 4:4:0 and other integer subsamplings; greyscale (replicated), RGB, and CMYK/YCCK (converted as OpenCV does).
/// The EXIF orientation is not applied here: see <see cref="ImageDecoder"/>.
/// </summary>
public static class Jpeg
{
    private const int DctSize = 8;

    /// <exception cref="FormatException">Not a readable JPEG, including a truncated one (the message says why).</exception>
    public static (int Width, int Height, byte[] Rgb) DecodeRgb8(ReadOnlySpan<byte> file)
    {
        if (file.IsEmpty) throw new FormatException("JPEG file is empty (0 bytes).");
        var jpeg = new jpeg_decompress_struct(new ErrorManager());
        try
        {
            jpeg.jpeg_stdio_src(new MemoryStream(file.ToArray(), writable: false));
            jpeg.jpeg_read_header(true);
            J_COLOR_SPACE space = jpeg.Jpeg_color_space;
            if ((long)jpeg.Image_width * jpeg.Image_height * 3 > Array.MaxLength)
                throw new FormatException($"JPEG image of {jpeg.Image_width}×{jpeg.Image_height} is too large to decode.");
            byte[] rgb = space switch
            {
                J_COLOR_SPACE.JCS_GRAYSCALE or J_COLOR_SPACE.JCS_YCbCr or J_COLOR_SPACE.JCS_RGB
                    or J_COLOR_SPACE.JCS_CMYK or J_COLOR_SPACE.JCS_YCCK => DecodeRaw(jpeg, space),
                _ => throw new FormatException($"JPEG colour space {space} is not supported."),
            };
            return (jpeg.Image_width, jpeg.Image_height, rgb);
        }
        catch (FormatException) { throw; }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // LibJpeg.NET reports fatal errors as plain exceptions carrying libjpeg's message.
            throw new FormatException($"JPEG file is not readable: {ex.Message}", ex);
        }
        finally { jpeg.jpeg_destroy(); }
    }

    /// <summary>Reads each component's full-resolution-of-its-own samples, then upsamples and converts like
    /// libjpeg-turbo (jdsample.c, jdcolor.c).</summary>
    private static byte[] DecodeRaw(jpeg_decompress_struct jpeg, J_COLOR_SPACE space)
    {
        jpeg.Raw_data_out = true;
        // Off, so that the library picks the plain 8×8 IDCT for chroma too (with it on, libjpeg 7+ would scale the
        // chroma IDCT up to 16×16, even for raw data in this port); the fancy upsampling is done below.
        jpeg.Do_fancy_upsampling = false;
        jpeg.jpeg_start_decompress();
        int width = jpeg.Image_width, height = jpeg.Image_height, n = jpeg.Num_components;
        jpeg_component_info[] comps = jpeg.Comp_info;
        int maxH = comps.Max(c => c.H_samp_factor), maxV = jpeg.Max_v_samp_factor;
        int iMcuRows = (height + maxV * DctSize - 1) / (maxV * DctSize);
        var planes = new byte[n][];
        var strides = new int[n];
        var buffer = new byte[n][][];
        for (int c = 0; c < n; c++)
        {
            strides[c] = comps[c].Width_in_blocks * DctSize;
            planes[c] = new byte[strides[c] * iMcuRows * comps[c].V_samp_factor * DctSize];
            buffer[c] = jpeg_common_struct.AllocJpegSamples(strides[c], comps[c].V_samp_factor * DctSize);
        }
        for (int row = 0; row < iMcuRows; row++)
        {
            if (jpeg.jpeg_read_raw_data(buffer, maxV * DctSize) == 0) throw new FormatException("JPEG file is truncated.");
            for (int c = 0; c < n; c++)
            {
                int rows = comps[c].V_samp_factor * DctSize;
                for (int r = 0; r < rows; r++)
                    buffer[c][r].AsSpan(0, strides[c]).CopyTo(planes[c].AsSpan(((row * rows) + r) * strides[c]));
            }
        }
        jpeg.jpeg_finish_decompress();

        // Every component at full size, then to RGB.
        var full = new byte[n][];
        for (int c = 0; c < n; c++)
        {
            int h = comps[c].H_samp_factor, v = comps[c].V_samp_factor;
            int dw = (width * h + maxH - 1) / maxH, dh = (height * v + maxV - 1) / maxV; // libjpeg's downsampled size
            full[c] = Upsample(planes[c], strides[c], dw, dh, maxH / h, maxV / v, width, height);
        }
        var rgb = new byte[width * height * 3];
        int pixels = width * height;
        if (n == 1)
            for (int i = 0; i < pixels; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = full[0][i];
        else if (space is J_COLOR_SPACE.JCS_RGB or J_COLOR_SPACE.JCS_CMYK)
            for (int i = 0; i < pixels; i++) { rgb[3 * i] = full[0][i]; rgb[3 * i + 1] = full[1][i]; rgb[3 * i + 2] = full[2][i]; }
        else
            YccToRgb(full[0], full[1], full[2], rgb);
        if (n == 4)
        {
            // YCCK is YCbCr-coded inverted CMY (libjpeg: C = 255 − R); then OpenCV's CMYK→BGR
            // (icvCvt_CMYK2BGR_8u_C4C3R, which reads the samples as Adobe writes them, inverted): k − (255 − c)·k / 256.
            bool ycck = space == J_COLOR_SPACE.JCS_YCCK;
            for (int i = 0; i < pixels; i++)
            {
                int k = full[3][i];
                for (int c = 0; c < 3; c++)
                {
                    int v = ycck ? 255 - rgb[3 * i + c] : rgb[3 * i + c];
                    rgb[3 * i + c] = (byte)(k - ((255 - v) * k >> 8));
                }
            }
        }
        return rgb;
    }

    /// <summary>
    /// libjpeg-turbo's upsampling with fancy (triangle) filters where it uses them: 2:1 horizontal, 2:1 both (when the
    /// component is wider than 2 samples) and 1:2 vertical; other integer ratios replicate. Rows above the first and
    /// below the last real row repeat it (libjpeg's context rows).
    /// </summary>
    private static byte[] Upsample(byte[] src, int stride, int dw, int dh, int fx, int fy, int width, int height)
    {
        var dst = new byte[width * height];
        if (fx == 1 && fy == 1)
        {
            for (int y = 0; y < height; y++) src.AsSpan(y * stride, width).CopyTo(dst.AsSpan(y * width));
            return dst;
        }
        int outW = dw * fx; // full rows, cut to the image width on copy
        var row = new byte[Math.Max(outW, width) + 2];
        bool fancyH2 = fx == 2 && dw > 2;
        for (int y = 0; y < height; y++)
        {
            int sy = y / fy;
            if (fx == 2 && fy == 2 && fancyH2)
            {
                // h2v2: the nearer input row weighs 3, the one above (even output rows) or below (odd) weighs 1.
                ReadOnlySpan<byte> near = src.AsSpan(sy * stride, dw);
                int other = (y & 1) == 0 ? Math.Max(sy - 1, 0) : Math.Min(sy + 1, dh - 1);
                ReadOnlySpan<byte> far = src.AsSpan(other * stride, dw);
                int thisSum = near[0] * 3 + far[0], nextSum = near[1] * 3 + far[1], lastSum;
                row[0] = (byte)((thisSum * 4 + 8) >> 4);
                row[1] = (byte)((thisSum * 3 + nextSum + 7) >> 4);
                lastSum = thisSum; thisSum = nextSum;
                int o = 2;
                for (int x = 2; x < dw; x++)
                {
                    nextSum = near[x] * 3 + far[x];
                    row[o++] = (byte)((thisSum * 3 + lastSum + 8) >> 4);
                    row[o++] = (byte)((thisSum * 3 + nextSum + 7) >> 4);
                    lastSum = thisSum; thisSum = nextSum;
                }
                row[o++] = (byte)((thisSum * 3 + lastSum + 8) >> 4);
                row[o] = (byte)((thisSum * 4 + 7) >> 4);
            }
            else if (fx == 2 && fy == 1 && fancyH2)
            {
                ReadOnlySpan<byte> s = src.AsSpan(sy * stride, dw);
                row[0] = s[0];
                row[1] = (byte)((s[0] * 3 + s[1] + 2) >> 2);
                int o = 2;
                for (int x = 1; x < dw - 1; x++)
                {
                    int v3 = s[x] * 3;
                    row[o++] = (byte)((v3 + s[x - 1] + 1) >> 2);
                    row[o++] = (byte)((v3 + s[x + 1] + 2) >> 2);
                }
                row[o++] = (byte)((s[dw - 1] * 3 + s[dw - 2] + 1) >> 2);
                row[o] = s[dw - 1];
            }
            else if (fx == 1 && fy == 2)
            {
                // h1v2: the row above (bias 1) for even output rows, below (bias 2) for odd ones.
                bool even = (y & 1) == 0;
                int other = even ? Math.Max(sy - 1, 0) : Math.Min(sy + 1, dh - 1), bias = even ? 1 : 2;
                for (int x = 0; x < dw; x++) row[x] = (byte)((src[sy * stride + x] * 3 + src[other * stride + x] + bias) >> 2);
            }
            else
                for (int x = 0; x < outW; x++) row[x] = src[sy * stride + x / fx];
            row.AsSpan(0, width).CopyTo(dst.AsSpan(y * width));
        }
        return dst;
    }

    // libjpeg's YCbCr→RGB tables (jdcolor.c): 16-bit fixed point, rounded.
    private static readonly int[] CrR = new int[256], CbB = new int[256];
    private static readonly long[] CrG = new long[256], CbG = new long[256];

    static Jpeg()
    {
        const int ScaleBits = 16;
        const long Half = 1L << (ScaleBits - 1);
        static long Fix(double x) => (long)(x * (1L << ScaleBits) + 0.5);
        for (int i = 0; i < 256; i++)
        {
            long x = i - 128;
            CrR[i] = (int)((Fix(1.40200) * x + Half) >> ScaleBits);
            CbB[i] = (int)((Fix(1.77200) * x + Half) >> ScaleBits);
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = -Fix(0.34414) * x + Half;
        }
    }

    private static void YccToRgb(byte[] y, byte[] cb, byte[] cr, byte[] rgb)
    {
        for (int i = 0; i < y.Length; i++)
        {
            int l = y[i], b = cb[i], r = cr[i];
            rgb[3 * i] = Clamp(l + CrR[r]);
            rgb[3 * i + 1] = Clamp(l + (int)((CbG[b] + CrG[r]) >> 16));
            rgb[3 * i + 2] = Clamp(l + CbB[b]);
        }
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    /// <summary>Silent (libjpeg prints to the console by default); a premature end of the data is an error, where
    /// libjpeg would fill the rest of the image with grey and go on.</summary>
    private sealed class ErrorManager : jpeg_error_mgr
    {
        private int _code;

        public override void output_message() { }

        public override void emit_message(int msg_level)
        {
            base.emit_message(msg_level);
            if (msg_level < 0)
            {
                string message = format_message(); // also records the message code, through GetMessageText
                if (_code == (int)J_MESSAGE_CODE.JWRN_JPEG_EOF) throw new FormatException($"JPEG file is truncated ({message}).");
            }
        }

        protected override string GetMessageText(int code)
        {
            _code = code;
            return base.GetMessageText(code);
        }
    }
}
