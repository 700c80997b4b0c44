using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Scene;

/// <summary>
/// Draws one sample's scene from the spec: camera around its nominal mount, light, background, table and
/// 3–8 objects resting on the table without interpenetrating, entirely inside the camera's view.
/// A function of (spec, index) only: each aspect draws from its own stream, so e.g. changing the lighting
/// settings never moves an object.
/// </summary>
public sealed class SceneSampler(DatasetSpec spec)
{
    private const int PositionAttempts = 150;
    private const int SizeAttempts = 4;
    private const double ClearanceMetres = 0.005; // gap kept between footprints so meshes never touch

    private readonly double[] _cumulativeWeights = CumulativeWeights(spec.Categories);
    private readonly CategoryBalancer? _balancer =
        spec.CategoryBalance == CategoryBalance.Balanced ? new CategoryBalancer(spec.Seed, spec.Categories.Count) : null;

    public SceneDescription Sample(long index)
    {
        CameraModel camera = SampleCamera(RandomStream.For(spec.Seed, index, "camera"));
        Lighting light = SampleLighting(RandomStream.For(spec.Seed, index, "lighting"));
        var bgRng = RandomStream.For(spec.Seed, index, "background");
        var bg = spec.Background;
        var background = new Background(Pick(bg.Colors, ref bgRng), Pick(bg.Colors, ref bgRng));
        Vec3 tableColor = Jitter(Pick(bg.TableColors, ref bgRng), 0.1, ref bgRng);
        var table = new Table(bg.TableSizeX, bg.TableSizeY, new Material(tableColor, bgRng.Uniform(0.5, 0.9), 0));
        var objects = SampleObjects(index, RandomStream.For(spec.Seed, index, "objects"), camera, table);
        return new SceneDescription(camera, objects, light, table, background);
    }

    private CameraModel SampleCamera(RandomStream rng)
    {
        var c = spec.Camera;
        Vec3 eye = c.Position + new Vec3(rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian()) * c.PositionNoise;
        RigidTransform nominal = CameraModel.LookAt(eye, c.LookAt);
        // Orientation noise is a small rotation of the camera about its own axes.
        Mat3 wobble = Mat3.FromAxisAngle(new Vec3(rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian()) * c.OrientationNoise);
        Mat3 r = wobble * nominal.Rotation;
        var worldToCamera = new RigidTransform(r, -(r * eye));
        double focalScale = 1 + rng.Uniform(-c.FocalLengthVariation, c.FocalLengthVariation);
        return new CameraModel(spec.Width, spec.Height, c.Fx * focalScale, c.Fy * focalScale, c.Cx, c.Cy, worldToCamera);
    }

    private Lighting SampleLighting(RandomStream rng)
    {
        var l = spec.Lighting;
        double elevation = rng.Uniform(l.Elevation.Min, l.Elevation.Max);
        double azimuth = rng.Uniform(0, 2 * Math.PI);
        var direction = new Vec3(Math.Cos(elevation) * Math.Cos(azimuth), Math.Cos(elevation) * Math.Sin(azimuth), Math.Sin(elevation));
        double v = l.ColorVariation;
        var tint = new Vec3(1 + rng.Uniform(-v, v), 1 + rng.Uniform(-v, v), 1 + rng.Uniform(-v, v));
        return new Lighting(direction, tint, rng.Uniform(l.Intensity.Min, l.Intensity.Max), rng.Uniform(l.Ambient.Min, l.Ambient.Max));
    }

    private List<SceneObject> SampleObjects(long index, RandomStream rng, CameraModel camera, Table table)
    {
        int wanted = rng.NextInt(spec.ObjectsPerScene.Min, spec.ObjectsPerScene.Max);
        var placed = new List<SceneObject>(wanted);
        var footprints = new List<(double X, double Y, double R)>(wanted);
        // Candidate positions cover the table; the view test below keeps only what the camera sees whole.
        double halfX = table.SizeX / 2, halfY = table.SizeY / 2;

        for (int n = 0; n < wanted; n++)
        {
            // Each object slot has its own stream so one hard-to-place object never shifts the others' draws.
            var objRng = rng.Derive("object", n);
            CategorySpec category = PickCategory(index, n, ref objRng);
            bool done = false;
            for (int sizeTry = 0; sizeTry < SizeAttempts && !done; sizeTry++)
            {
                (Vec3 dims, double footprint) = SampleDimensions(category, ref objRng);
                double yaw = objRng.Uniform(0, 2 * Math.PI);
                for (int attempt = 0; attempt < PositionAttempts; attempt++)
                {
                    double x = objRng.Uniform(-halfX + footprint, halfX - footprint);
                    double y = objRng.Uniform(-halfY + footprint, halfY - footprint);
                    if (Overlaps(footprints, x, y, footprint)) continue;
                    var pose = new RigidTransform(Mat3.RotationZ(yaw), new Vec3(x, y, dims.Z / 2));
                    if (!FullyInView(camera, pose, dims)) continue;
                    footprints.Add((x, y, footprint));
                    placed.Add(new SceneObject(placed.Count + 1, category.Id, category.Name, category.Shape, dims, pose,
                        SampleMaterial(category, ref objRng)));
                    done = true;
                    break;
                }
            }
        }
        return placed;
    }

    private static bool Overlaps(List<(double X, double Y, double R)> footprints, double x, double y, double r)
    {
        foreach (var f in footprints)
        {
            double dx = f.X - x, dy = f.Y - y, min = f.R + r + ClearanceMetres;
            if (dx * dx + dy * dy < min * min) return true;
        }
        return false;
    }

    /// <summary>All 8 corners of the object's box project inside the image, in front of the camera.</summary>
    private static bool FullyInView(CameraModel camera, RigidTransform pose, Vec3 dims)
    {
        for (int i = 0; i < 8; i++)
        {
            var local = new Vec3(((i & 1) == 0 ? -0.5 : 0.5) * dims.X, ((i & 2) == 0 ? -0.5 : 0.5) * dims.Y, ((i & 4) == 0 ? -0.5 : 0.5) * dims.Z);
            Vec3 pc = camera.WorldToCamera.Apply(pose.Apply(local));
            if (pc.Z < 0.05) return false;
            var (u, v) = camera.Project(pc);
            if (u < 1 || v < 1 || u > camera.Width - 1 || v > camera.Height - 1) return false;
        }
        return true;
    }

    /// <summary>Full extents in the object frame and the radius of its footprint on the table.</summary>
    private static (Vec3 Dims, double Footprint) SampleDimensions(CategorySpec c, ref RandomStream rng)
    {
        switch (c.Shape)
        {
            case ShapeKind.Box:
            {
                double w = rng.Uniform(c.Size.Min, c.Size.Max), d = rng.Uniform(c.Size.Min, c.Size.Max), h = rng.Uniform(c.Size.Min, c.Size.Max);
                return (new Vec3(w, d, h), 0.5 * Math.Sqrt(w * w + d * d));
            }
            case ShapeKind.Cylinder:
            {
                double r = rng.Uniform(c.Radius.Min, c.Radius.Max), h = rng.Uniform(c.Height.Min, c.Height.Max);
                return (new Vec3(2 * r, 2 * r, h), r);
            }
            default:
            {
                double r = rng.Uniform(c.Radius.Min, c.Radius.Max);
                return (new Vec3(2 * r, 2 * r, 2 * r), r);
            }
        }
    }

    private Material SampleMaterial(CategorySpec c, ref RandomStream rng)
    {
        Vec3 baseColor = c.Color ?? HsvToRgb(rng.NextDouble(), rng.Uniform(0.35, 0.9), rng.Uniform(0.35, 0.95));
        Vec3 albedo = Jitter(baseColor, spec.Materials.ColorJitter, ref rng);
        var m = spec.Materials;
        return new Material(albedo, rng.Uniform(m.Roughness.Min, m.Roughness.Max), rng.Uniform(m.Metallic.Min, m.Metallic.Max));
    }

    /// <summary>Weighted: a draw by category weight. Balanced: <see cref="CategoryBalancer"/> (weights ignored);
    /// the draw is still taken so the slot's later draws are the same in both modes.</summary>
    private CategorySpec PickCategory(long index, int slot, ref RandomStream rng)
    {
        double u = rng.NextDouble() * _cumulativeWeights[^1];
        if (_balancer is not null) return spec.Categories[_balancer.CategoryFor(index, slot)];
        for (int i = 0; i < _cumulativeWeights.Length; i++)
            if (u < _cumulativeWeights[i]) return spec.Categories[i];
        return spec.Categories[^1];
    }

    private static double[] CumulativeWeights(IReadOnlyList<CategorySpec> categories)
    {
        var cum = new double[categories.Count];
        double total = 0;
        for (int i = 0; i < categories.Count; i++) cum[i] = total += categories[i].Weight;
        return cum;
    }

    private static Vec3 Pick(IReadOnlyList<Vec3> palette, ref RandomStream rng) => palette[rng.NextInt(0, palette.Count - 1)];

    /// <summary>Multiplies each channel by 1 + U(−j, j), clamped to [0, 1].</summary>
    private static Vec3 Jitter(Vec3 c, double j, ref RandomStream rng) => new(
        Math.Clamp(c.X * (1 + rng.Uniform(-j, j)), 0, 1),
        Math.Clamp(c.Y * (1 + rng.Uniform(-j, j)), 0, 1),
        Math.Clamp(c.Z * (1 + rng.Uniform(-j, j)), 0, 1));

    internal static Vec3 HsvToRgb(double h, double s, double v)
    {
        double hh = (h - Math.Floor(h)) * 6;
        int sector = (int)hh;
        double f = hh - sector, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return sector switch
        {
            0 => new(v, t, p), 1 => new(q, v, p), 2 => new(p, v, t),
            3 => new(p, q, v), 4 => new(t, p, v), _ => new(v, p, q),
        };
    }
}
