using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Config;

/// <summary>A closed interval [Min, Max].</summary>
public readonly record struct ValueRange(double Min, double Max)
{
    public override string ToString() => FormattableString.Invariant($"{Min}–{Max}");
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
    Vec3? Color);

public sealed record CameraSpec(
    double Fx, double Fy, double Cx, double Cy,
    Vec3 Position, Vec3 LookAt,
    double PositionNoise, double OrientationNoise, double FocalLengthVariation);

public sealed record LightingSpec(ValueRange Intensity, double ColorVariation, ValueRange Ambient, ValueRange Elevation);

public sealed record MaterialSpec(ValueRange Roughness, ValueRange Metallic, double ColorJitter);

public sealed record SensorSpec(double GaussianNoiseStd, double DepthDropout);

/// <summary>Train/val/test fractions; they add up to 1.</summary>
public sealed record SplitSpec(double Train, double Val, double Test);

/// <summary>How object categories are chosen: by weight (a random draw per object), or balanced by construction
/// (equal class counts up to how many objects each scene holds; weights ignored).</summary>
public enum CategoryBalance { Weighted, Balanced }

public sealed record BackgroundSpec(IReadOnlyList<Vec3> Colors, IReadOnlyList<Vec3> TableColors, double TableSizeX, double TableSizeY);

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
    Augmentation.AugmentationSpec? Augmentation = null,
    CategoryBalance CategoryBalance = CategoryBalance.Weighted)
{
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
