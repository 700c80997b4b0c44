using SynthBuild.Core.Geometry;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Config;

/// <summary>The shapes the generator knows how to build meshes for (append only: names are written to annotations).</summary>
public enum ShapeKind { Box, Cylinder, Sphere, Mug, Bottle, Tool, Part, Mesh }

/// <summary>Texture patterns (append only): procedural ones, and <see cref="Image"/> from a user folder.</summary>
public enum TexturePattern { None, Checker, Stripes, Noise, Wood, Image }

/// <summary>
/// A closed interval [Min, Max] that the generator draws from: uniformly, or, with <see cref="Bins"/>, from a
/// piecewise-uniform density (a bin picked by its weight, then uniform inside it). Every config range is drawn through
/// <see cref="Draw"/>, so weighting any of them changes that one parameter and nothing else.
/// </summary>
/// <param name="Bins">Null for the uniform draw; never a uniform-equivalent set (see <see cref="RangeBins.Create"/>).</param>
public readonly record struct ValueRange(double Min, double Max, RangeBins? Bins = null)
{
    /// <summary>
    /// One value, from exactly one <see cref="RandomStream.NextDouble"/> (inverse CDF), so the stream's later draws
    /// and every other parameter of the sample keep their values. Without bins this is bit for bit
    /// <c>rng.Uniform(Min, Max)</c>: datasets that weight nothing keep their bytes.
    /// </summary>
    public double Draw(ref RandomStream rng) => Bins is null ? rng.Uniform(Min, Max) : Bins.Quantile(rng.NextDouble());

    /// <summary>The same range with every bound (and bin edge) multiplied by <paramref name="factor"/> &gt; 0.</summary>
    public ValueRange Scaled(double factor) =>
        new(Min * factor, Max * factor, Bins?.Scaled(factor));

    /// <summary>
    /// The distribution restricted to [lo, hi] (hi ≤ Max), renormalised: what the curriculum's moving lower end draws
    /// from. Uniform ranges give exactly [lo, hi]; a weighted one keeps each bin's density, its first bin reaching
    /// down to lo when lo &lt; Min, and falls back to uniform when the window holds no weight.
    /// </summary>
    public ValueRange Window(double lo, double hi) =>
        Bins is null || !(hi > lo) ? new ValueRange(lo, hi) : new ValueRange(lo, hi, Bins.Window(lo, hi));

    public override string ToString() => Bins is null
        ? FormattableString.Invariant($"{Min}–{Max}")
        : FormattableString.Invariant($"{Min}–{Max} weighted {Bins}");
}

/// <summary>
/// The bins of a weighted <see cref="ValueRange"/>: n + 1 strictly increasing edges (first = min, last = max) and n
/// probabilities (the weights divided by their sum; zero allowed). Compared by value, so specs compare as they hash.
/// </summary>
public sealed class RangeBins : IEquatable<RangeBins>
{
    /// <summary>Most bins a range may have (the schema says the same).</summary>
    public const int MaxBins = 64;

    private readonly double[] _edges, _probabilities, _cumulative;

    private RangeBins(double[] edges, double[] probabilities)
    {
        (_edges, _probabilities) = (edges, probabilities);
        _cumulative = new double[probabilities.Length + 1];
        for (int i = 0; i < probabilities.Length; i++) _cumulative[i + 1] = _cumulative[i] + probabilities[i];
        // From the last bin with weight on, the sum is 1 exactly: every u in [0, 1) lands in a bin with weight,
        // whatever the rounding of the sum.
        int last = Array.FindLastIndex(probabilities, p => p > 0);
        for (int i = last + 1; i < _cumulative.Length; i++) _cumulative[i] = 1;
    }

    public IReadOnlyList<double> Edges => _edges;
    public IReadOnlyList<double> Probabilities => _probabilities;

    /// <summary>
    /// Bins for [min, max] from weights (≥ 0, finite, some &gt; 0) and optional edges (weights.Count + 1, strictly
    /// increasing, from min to max; equal-width bins without them). Null when the density is uniform anyway (one bin,
    /// an empty range, or equal weights on equal-width bins): such ranges draw and hash exactly as if no weights were
    /// given, so a config overlay that changes nothing changes no sample. The caller has validated the input.
    /// </summary>
    public static RangeBins? Create(double min, double max, IReadOnlyList<double> weights, IReadOnlyList<double>? edges = null)
    {
        int n = weights.Count;
        if (n <= 1 || !(max > min)) return null;
        double[] e = EqualEdges(min, max, n);
        // Edges that are equal-width up to rounding in the decimal text are the equal-width ones: same bins, same hash.
        if (edges is not null && !Enumerable.Range(0, n + 1).All(i => Math.Abs(edges[i] - e[i]) <= 1e-9 * (max - min)))
            e = [.. edges];
        bool equalWidth = e.SequenceEqual(EqualEdges(min, max, n));
        if (equalWidth && weights.All(w => w == weights[0])) return null;
        double sum = weights.Sum();
        return new RangeBins(e, weights.Select(w => w / sum).ToArray());
    }

    private static double[] EqualEdges(double min, double max, int n)
    {
        var e = new double[n + 1];
        for (int i = 0; i <= n; i++) e[i] = min + (max - min) * i / n;
        e[n] = max;
        return e;
    }

    /// <summary>The value whose cumulative probability is u ∈ [0, 1): the bin holding u, then linear inside it.</summary>
    public double Quantile(double u)
    {
        int k = 0;
        while (k < _probabilities.Length - 1 && u >= _cumulative[k + 1]) k++;
        double lo = _edges[k], hi = _edges[k + 1];
        double t = (u - _cumulative[k]) / (_cumulative[k + 1] - _cumulative[k]);
        return Math.Clamp(lo + (hi - lo) * t, lo, hi);
    }

    internal RangeBins Scaled(double factor) => new(_edges.Select(e => e * factor).ToArray(), _probabilities);

    /// <summary>See <see cref="ValueRange.Window"/>; null (uniform) when no weight lies inside [lo, hi].</summary>
    internal RangeBins? Window(double lo, double hi)
    {
        var edges = new List<double> { lo };
        var mass = new List<double>();
        for (int k = 0; k < _probabilities.Length; k++)
        {
            double a = k == 0 ? Math.Min(_edges[0], lo) : _edges[k], b = _edges[k + 1];
            double from = Math.Max(a, lo), to = Math.Min(b, hi);
            if (to <= from) continue;
            // The bin's density (its probability over its own width) times the part of it inside the window.
            mass.Add(_probabilities[k] / (_edges[k + 1] - _edges[k]) * (to - from));
            edges.Add(to);
        }
        double sum = mass.Sum();
        if (!(sum > 0)) return null;
        edges[^1] = hi;
        return new RangeBins([.. edges], mass.Select(m => m / sum).ToArray());
    }

    public bool Equals(RangeBins? other) =>
        other is not null && _edges.SequenceEqual(other._edges) && _probabilities.SequenceEqual(other._probabilities);

    public override bool Equals(object? obj) => Equals(obj as RangeBins);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (double e in _edges) h.Add(e);
        foreach (double p in _probabilities) h.Add(p);
        return h.ToHashCode();
    }

    public override string ToString() => FormattableString.Invariant(
        $"[{string.Join(", ", _probabilities.Select((p, i) => $"{_edges[i]}–{_edges[i + 1]}: {p:0.###}"))}]");
}

public readonly record struct IntRange(int Min, int Max);

public sealed record CategorySpec(
    int Id,
    string Name,
    ShapeKind Shape,
    double Weight,
    ValueRange Size,
    ValueRange Radius,
    ValueRange Height,
    Vec3? Color,
    ValueRange Length = default,
    IReadOnlyList<string>? Kinds = null,
    double OnSideProbability = 0,
    MeshRef? Mesh = null);

public sealed record CameraSpec(
    double Fx, double Fy, double Cx, double Cy,
    Vec3 Position, Vec3 LookAt,
    double PositionNoise, double OrientationNoise, double FocalLengthVariation,
    LensDistortion Distortion = default);

/// <param name="ColorTemperature">Kelvin range of the light's black-body colour (null: white); the per-channel
/// <see cref="ColorVariation"/> jitter multiplies it.</param>
public sealed record LightingSpec(ValueRange Intensity, double ColorVariation, ValueRange Ambient, ValueRange Elevation,
    bool Shadows = false, ValueRange? ColorTemperature = null, PointLightSpec? PointLights = null)
{
    public PointLightSpec PointLightsOrNone => PointLights ?? PointLightSpec.None;
}

/// <summary>
/// Point lights per sample: a count, an intensity (1000 = unit irradiance at 1 m) and a position drawn uniformly in the
/// box [PositionMin, PositionMax] (world metres). Colour: the lighting's temperature and jitter, drawn per light.
/// </summary>
public sealed record PointLightSpec(IntRange Count, ValueRange Intensity, Vec3 PositionMin, Vec3 PositionMax)
{
    public static readonly PointLightSpec None = new(new IntRange(0, 0), DatasetSpec.Defaults.PointLightIntensity,
        DatasetSpec.Defaults.PointLightPositionMin, DatasetSpec.Defaults.PointLightPositionMax);
}

/// <summary>
/// Textures: each surface gets one with <see cref="Probability"/>, pattern drawn from the list. The pattern
/// <see cref="TexturePattern.Image"/> takes a random image of <see cref="Folder"/>, tiled <see cref="ImageScale"/> times per metre.
/// </summary>
public sealed record TextureSpec(double Probability, IReadOnlyList<TexturePattern> Patterns, ValueRange Scale,
    ImageFolderRef? Folder = null, ValueRange ImageScale = default)
{
    public static readonly TextureSpec None = new(0, [TexturePattern.Checker], new ValueRange(10, 40));
}

/// <summary>Unlabelled objects per scene (rendered, casting shadows and occluding, with no annotation).</summary>
public sealed record DistractorSpec(IntRange Count, ValueRange Size, IReadOnlyList<ShapeKind> Shapes)
{
    public static readonly DistractorSpec None = new(new IntRange(0, 0), DatasetSpec.Defaults.DistractorSize, DatasetSpec.Defaults.DistractorShapes);
}

public sealed record MaterialSpec(ValueRange Roughness, ValueRange Metallic, double ColorJitter, TextureSpec? Textures = null);

/// <param name="DeadPixels">Fraction of RGB pixels that always read black (the same pixels in every sample).</param>
/// <param name="DepthNoise">Depth noise std at 1 m, in metres; grows with z² (structured-light/stereo model).</param>
/// <param name="DepthQuantization">Depth step in millimetres (values are rounded to multiples of it).</param>
/// <param name="DepthEdgeThreshold">A depth jump to a 4-neighbour larger than this (m) invalidates the pixel; 0 = off.</param>
public sealed record SensorSpec(double GaussianNoiseStd, double DepthDropout, double DeadPixels = 0, double DepthNoise = 0,
    double DepthQuantization = 1, double DepthEdgeThreshold = 0);

/// <param name="Truncation">Probability that an object may cross the image border (otherwise it is placed fully in view).</param>
/// <param name="Stacking">Probability that an object rests on the top face of a box placed before it instead of on the table.</param>
public sealed record PlacementSpec(double Truncation, double Stacking = 0)
{
    public static readonly PlacementSpec Default = new(0);
}

/// <param name="Supersampling">RGB is rendered at this factor per axis and box-filtered; labels use native pixels.</param>
public sealed record RenderSpec(int Supersampling)
{
    public static readonly RenderSpec Default = new(1);
}

/// <summary>Optional per-sample outputs besides rgb, depth, instance segmentation and annotations.</summary>
public sealed record OutputSpec(bool Semantic, bool PointCloud, bool Normals)
{
    public static readonly OutputSpec Default = new(true, false, false);
}

public enum CurriculumSchedule { None, Linear, Stepped }

/// <summary>
/// Difficulty d(index) in [0, 1] ramps over the first <see cref="Length"/> sample indices (linear, or in
/// <see cref="Steps"/> equal phases) and stays at 1 after; each tuned parameter moves from its start value (d = 0)
/// to its end value (d = 1). Depends on the index only, never on the sample count.
/// </summary>
public sealed record CurriculumSpec(CurriculumSchedule Schedule, int Length, int Steps,
    ValueRange? LightIntensityMin, ValueRange? DepthDropout, ValueRange? ObjectsMax, ValueRange? Truncation)
{
    public static readonly CurriculumSpec None = new(CurriculumSchedule.None, 1, 1, null, null, null, null);

    public double Difficulty(long index)
    {
        if (Schedule == CurriculumSchedule.None) return 0;
        double d = Length <= 1 ? 1 : Math.Min(1.0, (double)index / (Length - 1));
        if (Schedule == CurriculumSchedule.Stepped && Steps > 1) d = Math.Min(Steps - 1, Math.Floor(d * Steps)) / (Steps - 1);
        return d;
    }

    public static double Lerp(ValueRange r, double d) => r.Min + (r.Max - r.Min) * d;
}

/// <summary>Train/val/test fractions; they add up to 1.</summary>
public sealed record SplitSpec(double Train, double Val, double Test);

/// <summary>How object categories are chosen: by weight (a random draw per object), or balanced by construction
/// (equal class counts up to how many objects each scene holds; weights ignored).</summary>
public enum CategoryBalance { Weighted, Balanced }

/// <param name="Mode">"gradient" (vertical gradient) or "procedural" (gradient with a procedural pattern).</param>
/// <param name="Blend">Opacity of the background laid over the whole image (the original tool's look); 0 = off.</param>
/// <param name="Images">User images, one drawn per sample and composited where nothing is rendered (instead of the gradient).</param>
/// <param name="ImageZoom">Zoom of the image beyond just covering the frame (1 = the whole short side fits); the crop is placed at random.</param>
/// <param name="TableImageScale">Tiles per metre of an image texture on the table.</param>
public sealed record BackgroundSpec(IReadOnlyList<Vec3> Colors, IReadOnlyList<Vec3> TableColors, double TableSizeX, double TableSizeY,
    string Mode = "gradient", IReadOnlyList<TexturePattern>? TablePatterns = null, double Blend = 0,
    ImageFolderRef? Images = null, ValueRange ImageZoom = default, ValueRange TableImageScale = default);

/// <summary>
/// The validated, effective dataset config: every default filled in, overrides applied. Immutable.
/// <see cref="Samples"/> and <see cref="Name"/> do not influence any one sample's content; everything else does
/// (see <see cref="Canonical"/>).
/// </summary>
public sealed record DatasetSpec(
    string Name,
    int Samples,
    ulong Seed,
    int Width,
    int Height,
    IntRange ObjectsPerScene,
    IReadOnlyList<CategorySpec> Categories,
    CameraSpec Camera,
    LightingSpec Lighting,
    MaterialSpec Materials,
    SensorSpec Sensor,
    BackgroundSpec Background,
    SplitSpec Splits,
    ConfigSection? Augmentation = null,
    CategoryBalance CategoryBalance = CategoryBalance.Weighted,
    PlacementSpec? Placement = null,
    RenderSpec? Render = null,
    OutputSpec? Outputs = null,
    CurriculumSpec? Curriculum = null,
    DistractorSpec? Distractors = null,
    DerivedFrom? DerivedFrom = null)
{
    public DistractorSpec DistractorsOrNone => Distractors ?? DistractorSpec.None;
    public PlacementSpec PlacementOrDefault => Placement ?? PlacementSpec.Default;
    public RenderSpec RenderOrDefault => Render ?? RenderSpec.Default;
    public OutputSpec OutputsOrDefault => Outputs ?? OutputSpec.Default;
    public CurriculumSpec CurriculumOrDefault => Curriculum ?? CurriculumSpec.None;

    /// <summary>Defaults of the original tool, used for every key the config leaves out.</summary>
    public static class Defaults
    {
        public const int Samples = 100;
        public const ulong Seed = 42;
        public const int Width = 640, Height = 480;
        public static readonly IntRange ObjectsPerScene = new(3, 8);
        public const double Fx = 500, Fy = 500, Cx = 320, Cy = 240;
        public static readonly Vec3 CameraPosition = new(0, -0.75, 0.65);
        public static readonly Vec3 CameraLookAt = new(0, 0, 0);
        public const double PositionNoise = 0.02, OrientationNoise = 0.05, FocalLengthVariation = 0.1;
        public static readonly ValueRange LightIntensity = new(200, 1000);
        public const double LightColorVariation = 0.2;
        public static readonly ValueRange Ambient = new(0.1, 0.5);
        public static readonly ValueRange LightElevation = new(0.5, 1.4);
        public static readonly ValueRange Roughness = new(0.1, 0.9);
        public static readonly ValueRange Metallic = new(0.0, 0.5);
        public const double ColorJitter = 0.3;
        public const double GaussianNoiseStd = 5, DepthDropout = 0.01;
        public static readonly ValueRange BoxSize = new(0.05, 0.3);
        public static readonly ValueRange Radius = new(0.02, 0.15);
        public static readonly ValueRange CylinderHeight = new(0.05, 0.3);
        public const double TableSizeX = 1.6, TableSizeY = 1.2;
        public static readonly SplitSpec Splits = new(0.8, 0.1, 0.1);
        public static readonly ValueRange MugRadius = new(0.035, 0.05), MugHeight = new(0.08, 0.11);
        public static readonly ValueRange BottleRadius = new(0.03, 0.045), BottleHeight = new(0.18, 0.3);
        public static readonly ValueRange ToolLength = new(0.12, 0.25), PartSize = new(0.03, 0.08);
        public static readonly IReadOnlyList<string> ToolKinds = ["wrench", "screwdriver"];
        public static readonly IReadOnlyList<string> PartKinds = ["hexNut", "lBracket"];
        public const double CylinderOnSide = 0.3, BottleOnSide = 0.2;
        public static readonly TextureSpec Textures = new(0.5,
            [TexturePattern.Checker, TexturePattern.Stripes, TexturePattern.Noise, TexturePattern.Wood], new ValueRange(15, 60));
        public static readonly IReadOnlyList<TexturePattern> TablePatterns =
            [TexturePattern.Wood, TexturePattern.Noise, TexturePattern.Checker, TexturePattern.None];
        public static readonly ValueRange PointLightIntensity = new(20, 150);
        public static readonly Vec3 PointLightPositionMin = new(-0.8, -0.6, 0.3), PointLightPositionMax = new(0.8, 0.6, 1.2);
        public static readonly ValueRange ImageZoom = new(1, 1.5), TextureImageScale = new(2, 6), TableImageScale = new(1, 3);
        /// <summary>Texture images are box-filtered down to at most this many texels per side at load.</summary>
        public const int TextureImageMaxSide = 256;
        public static readonly ValueRange DistractorSize = new(0.03, 0.15);
        public static readonly IReadOnlyList<ShapeKind> DistractorShapes = [ShapeKind.Box, ShapeKind.Cylinder, ShapeKind.Sphere];
        public const double DeadPixels = 0.0005, DepthNoise = 0.0015, DepthQuantization = 1, DepthEdgeThreshold = 0.05;

        public static IReadOnlyList<Vec3> BackgroundColors { get; } =
        [
            new(0.80, 0.82, 0.85), new(0.35, 0.40, 0.48), new(0.62, 0.55, 0.45), new(0.20, 0.22, 0.25),
            new(0.55, 0.65, 0.60), new(0.90, 0.88, 0.80), new(0.45, 0.35, 0.40), new(0.12, 0.15, 0.22),
        ];

        public static IReadOnlyList<Vec3> TableColors { get; } =
        [
            new(0.45, 0.30, 0.18), new(0.60, 0.60, 0.58), new(0.30, 0.30, 0.32), new(0.70, 0.62, 0.48), new(0.25, 0.35, 0.30),
        ];
    }
}
