using System.Globalization;
using OpenCvSharp;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Augmentation;

public enum TransformKind { Photometric, Geometric, Depth }

/// <summary>
/// One step of an augmentation pipeline, as declared in the config. <see cref="Probability"/> is the chance it runs
/// for a given (sample, pass); its parameters are drawn from the step's own stream, so adding or removing one
/// step never changes what the others draw.
/// </summary>
public abstract record AugmentTransform(double Probability)
{
    /// <summary>The config's "type" value.</summary>
    public abstract string Type { get; }
    public abstract TransformKind Kind { get; }

    /// <summary>Everything that determines the step's output, in a fixed textual form (part of the input key).</summary>
    public string Canonical => Type + "|p=" + F(Probability) + "|" + Parameters();
    protected abstract string Parameters();

    protected static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    protected static string F(ValueRange r) => F(r.Min) + ".." + F(r.Max);
    protected static double Draw(ref RandomStream rng, ValueRange r) => r.Min == r.Max ? r.Min : rng.Uniform(r.Min, r.Max);
}

/// <summary>Changes colours only: never touches depth, the instance mask or the labels.</summary>
public abstract record PhotometricTransform(double Probability) : AugmentTransform(Probability)
{
    public override TransformKind Kind => TransformKind.Photometric;
    /// <summary>Transforms an 8-bit RGB image in place.</summary>
    internal abstract void Apply(Mat rgb, ref RandomStream rng);

    /// <summary>rgb ← clamp(alpha · rgb + beta), rounded (OpenCV saturate_cast).</summary>
    protected static void Linear(Mat rgb, double alpha, double beta) => rgb.ConvertTo(rgb, MatType.CV_8UC3, alpha, beta);

    protected static void Saturation(Mat rgb, double factor)
    {
        using var gray = new Mat();
        using var gray3 = new Mat();
        Cv2.CvtColor(rgb, gray, ColorConversionCodes.RGB2GRAY);
        Cv2.CvtColor(gray, gray3, ColorConversionCodes.GRAY2RGB);
        Cv2.AddWeighted(rgb, factor, gray3, 1 - factor, 0, rgb);
    }

    protected static void Contrast(Mat rgb, double factor)
    {
        using var gray = new Mat();
        Cv2.CvtColor(rgb, gray, ColorConversionCodes.RGB2GRAY);
        double mean = Cv2.Mean(gray).Val0;
        Linear(rgb, factor, mean * (1 - factor));
    }

    /// <summary>Rotates hue by <paramref name="degrees"/> (HSV with the full 0–255 hue range, wrapping).</summary>
    protected static void Hue(Mat rgb, double degrees)
    {
        int shift = (int)Math.Round(degrees / 360.0 * 256.0);
        if ((shift & 255) == 0) return;
        // One 3-channel table (hue shifted, saturation and value unchanged): no split/merge of the planes.
        var lut = new byte[256 * 3];
        for (int i = 0; i < 256; i++) { lut[3 * i] = (byte)((i + shift) & 255); lut[3 * i + 1] = (byte)i; lut[3 * i + 2] = (byte)i; }
        using var table = Mat.FromPixelData(1, 256, MatType.CV_8UC3, lut);
        using var hsv = new Mat();
        Cv2.CvtColor(rgb, hsv, ColorConversionCodes.RGB2HSV_FULL);
        Cv2.LUT(hsv, table, hsv);
        Cv2.CvtColor(hsv, rgb, ColorConversionCodes.HSV2RGB_FULL);
    }
}

/// <summary>Moves pixels: RGB (bilinear), depth and instance ids (nearest neighbour) move in lockstep.</summary>
public abstract record GeometricTransform(double Probability) : AugmentTransform(Probability)
{
    public override TransformKind Kind => TransformKind.Geometric;

    /// <summary>The output size for an input size (never random, so every sample of a pipeline has one size).</summary>
    public virtual (int Width, int Height) OutputSize(int width, int height) => (width, height);

    internal abstract WarpPlan Plan(int width, int height, ref RandomStream rng);

    /// <summary>Rotation by <paramref name="degrees"/> (counter-clockwise on screen), scaling and shear about the image centre, then a shift.</summary>
    protected static Homography AboutCentre(int width, int height, double degrees, double scale, double shearDegrees, double tx, double ty)
    {
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0; // OpenCV pixel-centre convention
        double a = -degrees * Math.PI / 180, sh = Math.Tan(shearDegrees * Math.PI / 180);
        double c = Math.Cos(a) * scale, s = Math.Sin(a) * scale;
        // R·S·Shear, with image y pointing down (so a positive angle turns the picture counter-clockwise).
        var linear = Homography.Affine(c, -s, 0, s, c, 0).After(Homography.Affine(1, sh, 0, 0, 1, 0));
        return Homography.Translation(cx + tx, cy + ty).After(linear).After(Homography.Translation(-cx, -cy));
    }
}

/// <summary>Changes depth values only (the sensor's view of the same pixels).</summary>
public abstract record DepthTransform(double Probability) : AugmentTransform(Probability)
{
    public override TransformKind Kind => TransformKind.Depth;
    /// <summary>Millimetres, 0 = no measurement (stays 0).</summary>
    internal abstract void Apply(Span<ushort> depth, ref RandomStream rng);
}

/// <summary>What one geometric step does to the pixel grid: the map (OpenCV convention, pixel centres at integers) and the
/// output size. The pipeline composes consecutive plans and resamples once.</summary>
internal readonly record struct WarpPlan(Homography Map, int Width, int Height);

// ---------------------------------------------------------------- photometric

public sealed record Brightness(double Probability, ValueRange Delta) : PhotometricTransform(Probability)
{
    public override string Type => "brightness";
    protected override string Parameters() => "delta=" + F(Delta);
    internal override void Apply(Mat rgb, ref RandomStream rng) => Linear(rgb, 1, 255 * Draw(ref rng, Delta));
}

public sealed record Contrast(double Probability, ValueRange Factor) : PhotometricTransform(Probability)
{
    public override string Type => "contrast";
    protected override string Parameters() => "factor=" + F(Factor);
    internal override void Apply(Mat rgb, ref RandomStream rng) => Contrast(rgb, Draw(ref rng, Factor));
}

public sealed record Saturation(double Probability, ValueRange Factor) : PhotometricTransform(Probability)
{
    public override string Type => "saturation";
    protected override string Parameters() => "factor=" + F(Factor);
    internal override void Apply(Mat rgb, ref RandomStream rng) => Saturation(rgb, Draw(ref rng, Factor));
}

public sealed record Hue(double Probability, ValueRange Degrees) : PhotometricTransform(Probability)
{
    public override string Type => "hue";
    protected override string Parameters() => "degrees=" + F(Degrees);
    internal override void Apply(Mat rgb, ref RandomStream rng) => Hue(rgb, Draw(ref rng, Degrees));
}

/// <summary>Brightness, contrast, saturation and hue in one step (torchvision/Albumentations ColorJitter), fixed order.</summary>
public sealed record ColorJitter(double Probability, double BrightnessAmount, double ContrastAmount, double SaturationAmount, double HueDegrees)
    : PhotometricTransform(Probability)
{
    public override string Type => "colorJitter";
    protected override string Parameters() =>
        $"brightness={F(BrightnessAmount)}|contrast={F(ContrastAmount)}|saturation={F(SaturationAmount)}|hue={F(HueDegrees)}";
    internal override void Apply(Mat rgb, ref RandomStream rng)
    {
        double b = 1 + rng.Uniform(-BrightnessAmount, BrightnessAmount);
        double c = 1 + rng.Uniform(-ContrastAmount, ContrastAmount);
        double s = 1 + rng.Uniform(-SaturationAmount, SaturationAmount);
        double h = rng.Uniform(-HueDegrees, HueDegrees);
        if (BrightnessAmount > 0) Linear(rgb, b, 0);
        if (ContrastAmount > 0) Contrast(rgb, c);
        if (SaturationAmount > 0) Saturation(rgb, s);
        if (HueDegrees > 0) Hue(rgb, h);
    }
}

public sealed record Gamma(double Probability, ValueRange Value) : PhotometricTransform(Probability)
{
    public override string Type => "gamma";
    protected override string Parameters() => "gamma=" + F(Value);
    internal override void Apply(Mat rgb, ref RandomStream rng)
    {
        double g = Draw(ref rng, Value);
        var lut = new byte[256];
        for (int i = 0; i < 256; i++) lut[i] = (byte)Math.Clamp(Math.Round(255 * Math.Pow(i / 255.0, g)), 0, 255);
        Cv2.LUT(rgb, lut, rgb);
    }
}

public sealed record GaussianBlur(double Probability, ValueRange Sigma) : PhotometricTransform(Probability)
{
    public override string Type => "gaussianBlur";
    protected override string Parameters() => "sigma=" + F(Sigma);
    internal override void Apply(Mat rgb, ref RandomStream rng)
    {
        double sigma = Draw(ref rng, Sigma);
        if (sigma <= 0) return;
        int k = 2 * (int)Math.Ceiling(3 * sigma) + 1;
        Cv2.GaussianBlur(rgb, rgb, new Size(k, k), sigma, sigma, BorderTypes.Reflect101);
    }
}

/// <summary>A straight-line blur of a random length (odd, pixels) and direction.</summary>
public sealed record MotionBlur(double Probability, int MinLength, int MaxLength) : PhotometricTransform(Probability)
{
    public override string Type => "motionBlur";
    protected override string Parameters() => $"length={MinLength}..{MaxLength}";
    internal override void Apply(Mat rgb, ref RandomStream rng)
    {
        int length = rng.NextInt(MinLength, MaxLength) | 1;
        double angle = rng.Uniform(0, Math.PI);
        using var kernel = new Mat(length, length, MatType.CV_32FC1, Scalar.All(0));
        int c = length / 2, taps = 0;
        // Bresenham-free: sample the line at 4× the kernel size and mark the cells it crosses.
        for (int i = -2 * c * 2; i <= 2 * c * 2; i++)
        {
            double t = i / 4.0;
            int x = c + (int)Math.Round(t * Math.Cos(angle)), y = c + (int)Math.Round(t * Math.Sin(angle));
            if (kernel.At<float>(y, x) == 0) { kernel.Set(y, x, 1f); taps++; }
        }
        kernel.ConvertTo(kernel, MatType.CV_32FC1, 1.0 / taps);
        Cv2.Filter2D(rgb, rgb, MatType.CV_8UC3, kernel, borderType: BorderTypes.Reflect101);
    }
}

/// <summary>Additive gaussian noise, std in 8-bit levels, independent per channel.</summary>
public sealed record GaussianNoise(double Probability, ValueRange Std) : PhotometricTransform(Probability)
{
    public override string Type => "gaussianNoise";
    protected override string Parameters() => "std=" + F(Std);
    internal override unsafe void Apply(Mat rgb, ref RandomStream rng)
    {
        double std = Draw(ref rng, Std);
        if (std <= 0) return;
        var pixels = new Span<byte>((void*)rgb.Data, rgb.Rows * rgb.Cols * 3);
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)Math.Clamp((int)Math.Round(pixels[i] + std * rng.NextGaussian()), 0, 255);
    }
}

/// <summary>Re-encodes as JPEG at a random quality: block and ringing artefacts of real cameras and web images.</summary>
public sealed record JpegCompression(double Probability, int MinQuality, int MaxQuality) : PhotometricTransform(Probability)
{
    public override string Type => "jpeg";
    protected override string Parameters() => $"quality={MinQuality}..{MaxQuality}";
    internal override void Apply(Mat rgb, ref RandomStream rng)
    {
        int quality = rng.NextInt(MinQuality, MaxQuality);
        using var bgr = new Mat();
        Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR); // the codec's YCbCr weights expect BGR
        Cv2.ImEncode(".jpg", bgr, out byte[] jpeg, [(int)ImwriteFlags.JpegQuality, quality]);
        using Mat decoded = Cv2.ImDecode(jpeg, ImreadModes.Color);
        Cv2.CvtColor(decoded, rgb, ColorConversionCodes.BGR2RGB);
    }
}

// ---------------------------------------------------------------- geometric

public sealed record HorizontalFlip(double Probability) : GeometricTransform(Probability)
{
    public override string Type => "horizontalFlip";
    protected override string Parameters() => "";
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng) =>
        new(Homography.Affine(-1, 0, width - 1, 0, 1, 0), width, height);
}

public sealed record VerticalFlip(double Probability) : GeometricTransform(Probability)
{
    public override string Type => "verticalFlip";
    protected override string Parameters() => "";
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng) =>
        new(Homography.Affine(1, 0, 0, 0, -1, height - 1), width, height);
}

/// <summary>Rotation about the image centre; corners that leave the frame are lost, uncovered areas are empty.</summary>
public sealed record Rotate(double Probability, ValueRange Degrees) : GeometricTransform(Probability)
{
    public override string Type => "rotate";
    protected override string Parameters() => "degrees=" + F(Degrees);
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng) =>
        new(AboutCentre(width, height, Draw(ref rng, Degrees), 1, 0, 0, 0), width, height);
}

/// <summary>Zoom about the image centre at a fixed canvas size (factor &gt; 1 zooms in).</summary>
public sealed record Scale(double Probability, ValueRange Factor) : GeometricTransform(Probability)
{
    public override string Type => "scale";
    protected override string Parameters() => "factor=" + F(Factor);
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng) =>
        new(AboutCentre(width, height, 0, Draw(ref rng, Factor), 0, 0, 0), width, height);
}

/// <summary>Shift by fractions of the image size.</summary>
public sealed record Translate(double Probability, ValueRange X, ValueRange Y) : GeometricTransform(Probability)
{
    public override string Type => "translate";
    protected override string Parameters() => "x=" + F(X) + "|y=" + F(Y);
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng)
    {
        double tx = Math.Round(Draw(ref rng, X) * width), ty = Math.Round(Draw(ref rng, Y) * height);
        return new(Homography.Translation(tx, ty), width, height);
    }
}

public sealed record Affine(double Probability, ValueRange Degrees, ValueRange ScaleFactor, ValueRange TranslateX, ValueRange TranslateY, ValueRange Shear)
    : GeometricTransform(Probability)
{
    public override string Type => "affine";
    protected override string Parameters() =>
        $"degrees={F(Degrees)}|scale={F(ScaleFactor)}|translateX={F(TranslateX)}|translateY={F(TranslateY)}|shear={F(Shear)}";
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng)
    {
        double deg = Draw(ref rng, Degrees), s = Draw(ref rng, ScaleFactor), shear = Draw(ref rng, Shear);
        double tx = Draw(ref rng, TranslateX) * width, ty = Draw(ref rng, TranslateY) * height;
        return new(AboutCentre(width, height, deg, s, shear, tx, ty), width, height);
    }
}

/// <summary>Each image corner moves by up to <see cref="Distortion"/> × the image size; the quad is mapped back to the frame.</summary>
public sealed record Perspective(double Probability, ValueRange Distortion) : GeometricTransform(Probability)
{
    public override string Type => "perspective";
    protected override string Parameters() => "distortion=" + F(Distortion);
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng)
    {
        double d = Draw(ref rng, Distortion);
        double w = width - 1, h = height - 1;
        var src = new Point2f[] { new(0, 0), new((float)w, 0), new((float)w, (float)h), new(0, (float)h) };
        var dst = new Point2f[4];
        for (int i = 0; i < 4; i++)
            dst[i] = new Point2f((float)(src[i].X + rng.Uniform(-d, d) * width), (float)(src[i].Y + rng.Uniform(-d, d) * height));
        using Mat m = Cv2.GetPerspectiveTransform(src, dst);
        var map = new Homography(m.At<double>(0, 0), m.At<double>(0, 1), m.At<double>(0, 2), m.At<double>(1, 0), m.At<double>(1, 1),
            m.At<double>(1, 2), m.At<double>(2, 0), m.At<double>(2, 1), m.At<double>(2, 2));
        return new(map, width, height);
    }
}

/// <summary>A window of a fixed size at a uniformly random position. Always applied (it fixes the output size).</summary>
public sealed record RandomCrop(int Width, int Height) : GeometricTransform(1)
{
    public override string Type => "randomCrop";
    protected override string Parameters() => $"width={Width}|height={Height}";
    public override (int Width, int Height) OutputSize(int width, int height) => (Width, Height);
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng)
    {
        if (Width > width || Height > height)
            throw new DiagnosticException(Diagnostic.Error(SynCodes.CropTooLarge,
                $"randomCrop {Width}×{Height} does not fit an image of {width}×{height}."));
        int x = rng.NextInt(0, width - Width), y = rng.NextInt(0, height - Height);
        return new(Homography.Translation(-x, -y), Width, Height);
    }
}

/// <summary>Resizes to a fixed size (bilinear RGB, nearest ids and depth, same pixel-centre alignment, like cv::resize). Always applied.</summary>
public sealed record Resize(int Width, int Height) : GeometricTransform(1)
{
    public override string Type => "resize";
    protected override string Parameters() => $"width={Width}|height={Height}";
    public override (int Width, int Height) OutputSize(int width, int height) => (Width, Height);
    internal override WarpPlan Plan(int width, int height, ref RandomStream rng)
    {
        double sx = (double)Width / width, sy = (double)Height / height;
        // Centre-aligned: dst + 0.5 = s · (src + 0.5).
        return new(Homography.Affine(sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5), Width, Height);
    }
}

// ---------------------------------------------------------------- depth

/// <summary>Multiplies every measurement by one factor: a depth-calibration error.</summary>
public sealed record DepthScale(double Probability, ValueRange Factor) : DepthTransform(Probability)
{
    public override string Type => "depthScale";
    protected override string Parameters() => "factor=" + F(Factor);
    internal override void Apply(Span<ushort> depth, ref RandomStream rng)
    {
        double f = Draw(ref rng, Factor);
        for (int i = 0; i < depth.Length; i++)
            if (depth[i] != 0) depth[i] = (ushort)Math.Clamp((int)Math.Round(depth[i] * f), 1, ushort.MaxValue);
    }
}

/// <summary>Gaussian noise in millimetres on every measurement (0 stays "no measurement").</summary>
public sealed record DepthNoise(double Probability, ValueRange StdMm) : DepthTransform(Probability)
{
    public override string Type => "depthNoise";
    protected override string Parameters() => "stdMm=" + F(StdMm);
    internal override void Apply(Span<ushort> depth, ref RandomStream rng)
    {
        double std = Draw(ref rng, StdMm);
        if (std <= 0) return;
        for (int i = 0; i < depth.Length; i++)
            if (depth[i] != 0) depth[i] = (ushort)Math.Clamp((int)Math.Round(depth[i] + std * rng.NextGaussian()), 1, ushort.MaxValue);
    }
}

/// <summary>Each measurement is lost (set to 0) with a probability drawn per sample.</summary>
public sealed record DepthDropout(double Probability, ValueRange Rate) : DepthTransform(Probability)
{
    public override string Type => "depthDropout";
    protected override string Parameters() => "rate=" + F(Rate);
    internal override void Apply(Span<ushort> depth, ref RandomStream rng)
    {
        double rate = Draw(ref rng, Rate);
        if (rate <= 0) return;
        for (int i = 0; i < depth.Length; i++)
            if (rng.NextDouble() < rate) depth[i] = 0;
    }
}
