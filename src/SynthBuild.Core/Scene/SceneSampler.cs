using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Scene;

/// <summary>
/// Draws one sample's scene from the spec: camera around its nominal mount, light, background, textured table and
/// 3–8 objects resting on the table in a stable pose without interpenetrating (their footprint circles keep a
/// gap), inside the camera's view or, with placement.truncation, crossing its border.
/// A function of (spec, index) only: each aspect draws from its own stream, so e.g. changing the lighting
/// settings never moves an object. The spec's meshes and images come decoded from <paramref name="assets"/>.
/// </summary>
/// <exception cref="ArgumentException">The library lacks an asset the spec refers to.</exception>
public sealed class SceneSampler(DatasetSpec spec, AssetLibrary assets)
{
    private const int PositionAttempts = 150;
    private const int SizeAttempts = 4;
    private const double ClearanceMetres = 0.005; // gap kept between footprints so meshes never touch

    private readonly double[] _cumulativeWeights = CumulativeWeights(spec.Categories);
    private readonly CategoryBalancer? _balancer =
        spec.CategoryBalance == CategoryBalance.Balanced ? new CategoryBalancer(spec.Seed, spec.Categories.Count) : null;
    // Resolved once, so a missing asset fails here rather than in some sample.
    private readonly ImageFolder? _textureImages = spec.Materials.Textures?.Folder is { } t ? assets.Images(t) : null;
    private readonly ImageFolder? _backgroundImages = spec.Background.Images is { } b ? assets.Images(b) : null;
    private readonly Dictionary<MeshRef, UserMesh> _meshes = spec.Categories.Select(c => c.Mesh).OfType<MeshRef>()
        .Distinct().ToDictionary(m => m, assets.Mesh);

    /// <param name="attempt">
    /// 0 for the sample's scene. A scene in which fewer than objectsPerScene.min objects end up visible is redrawn
    /// with attempt 1, 2, ...: only the object layout changes, and it stays a function of (spec, index).
    /// </param>
    public SceneDescription Sample(long index, int attempt = 0)
    {
        CurriculumSpec curriculum = spec.CurriculumOrDefault;
        double difficulty = curriculum.Difficulty(index);
        CameraModel camera = SampleCamera(RandomStream.For(spec.Seed, index, "camera"));
        Lighting light = SampleLighting(RandomStream.For(spec.Seed, index, "lighting"), curriculum, difficulty, out double? kelvin);
        var bgRng = RandomStream.For(spec.Seed, index, "background");
        var bg = spec.Background;
        Vec3 top = Pick(bg.Colors, ref bgRng), bottom = Pick(bg.Colors, ref bgRng);
        Vec3 tableColor = Jitter(Pick(bg.TableColors, ref bgRng), 0.1, ref bgRng);
        double tableRoughness = bgRng.Uniform(0.5, 0.9);
        // Draws below come after the foundation's, so adding them moved nothing that was drawn before.
        var tableRng = bgRng.Derive("table");
        var tablePatterns = bg.TablePatterns ?? DatasetSpec.Defaults.TablePatterns;
        TexturePattern tablePattern = tablePatterns[tableRng.NextInt(0, tablePatterns.Count - 1)];
        Texture tableTexture = tablePattern == TexturePattern.None ? default : new Texture(tablePattern,
            Jitter(tableColor * tableRng.Uniform(0.45, 0.8), 0.1, ref tableRng),
            tablePattern == TexturePattern.Wood ? tableRng.Uniform(8, 20) : tableRng.Uniform(4, 12), tableRng.NextInt(0, 1 << 20));
        if (tablePattern == TexturePattern.Image && _textureImages is ImageFolder tableImages)
        {
            var imgRng = tableRng.Derive("image");
            tableTexture = tableTexture with
            {
                Picture = tableImages.Images[imgRng.NextInt(0, tableImages.Images.Count - 1)],
                Scale = bg.TableImageScale.Draw(ref imgRng),
            };
        }
        var table = new Table(bg.TableSizeX, bg.TableSizeY, new Material(tableColor, tableRoughness, 0, tableTexture));
        Texture backgroundPattern = default;
        if (bg.Mode == "procedural")
        {
            var pRng = bgRng.Derive("pattern");
            var patterns = DatasetSpec.Defaults.Textures.Patterns;
            backgroundPattern = new Texture(patterns[pRng.NextInt(0, patterns.Count - 1)], Pick(bg.Colors, ref pRng),
                pRng.Uniform(3, 12), pRng.NextInt(0, 1 << 20));
        }
        BackgroundCrop? crop = _backgroundImages is ImageFolder images ? SampleCrop(images, bgRng.Derive("image")) : null;
        var background = new Background(top, bottom, backgroundPattern, bg.Blend, crop);
        var footprints = new List<(double X, double Y, double R)>();
        var objects = SampleObjects(index, RandomStream.For(spec.Seed, index, attempt == 0 ? "objects" : "objects-retry-" + attempt), camera, table, curriculum, difficulty, footprints);
        var distractors = SampleDistractors(RandomStream.For(spec.Seed, index, attempt == 0 ? "distractors" : "distractors-retry-" + attempt), camera, table, footprints);
        return new SceneDescription(camera, objects, light, table, background, distractors) { Draws = new SceneDraws(kelvin, difficulty) };
    }

    /// <summary>A random image, cropped to the frame's aspect, zoomed by imageZoom beyond covering the frame, at a random offset.</summary>
    private BackgroundCrop SampleCrop(ImageFolder images, RandomStream rng)
    {
        ImageData img = images.Images[rng.NextInt(0, images.Images.Count - 1)];
        double aspect = (double)spec.Width / spec.Height;
        double spanX = Math.Min(img.Width, img.Height * aspect);
        double zoom = spec.Background.ImageZoom.Draw(ref rng);
        spanX /= zoom;
        double spanY = spanX / aspect;
        return new BackgroundCrop(img, rng.Uniform(0, img.Width - spanX), rng.Uniform(0, img.Height - spanY), spanX, spanY);
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
        return new CameraModel(spec.Width, spec.Height, c.Fx * focalScale, c.Fy * focalScale, c.Cx, c.Cy, worldToCamera, c.Distortion);
    }

    private Lighting SampleLighting(RandomStream rng, CurriculumSpec curriculum, double difficulty, out double? kelvin)
    {
        var l = spec.Lighting;
        double elevation = l.Elevation.Draw(ref rng);
        double azimuth = rng.Uniform(0, 2 * Math.PI);
        var direction = new Vec3(Math.Cos(elevation) * Math.Cos(azimuth), Math.Cos(elevation) * Math.Sin(azimuth), Math.Sin(elevation));
        double v = l.ColorVariation;
        var tint = new Vec3(1 + rng.Uniform(-v, v), 1 + rng.Uniform(-v, v), 1 + rng.Uniform(-v, v));
        // The curriculum moves the lower end: the intensity's distribution (weighted or not) restricted to what is left.
        ValueRange intensityRange = curriculum.LightIntensityMin is ValueRange lm
            ? l.Intensity.Window(Math.Min(CurriculumSpec.Lerp(lm, difficulty), l.Intensity.Max), l.Intensity.Max) : l.Intensity;
        double intensity = intensityRange.Draw(ref rng), ambient = l.Ambient.Draw(ref rng);
        // Later additions draw from derived streams, so datasets without them keep every earlier draw.
        tint = Tinted(tint, rng.Derive("temperature"), out kelvin);
        PointLightSpec pls = l.PointLightsOrNone;
        List<PointLight>? points = null;
        if (pls.Count.Max > 0)
        {
            var pRng = rng.Derive("points");
            int count = pRng.NextInt(pls.Count.Min, pls.Count.Max);
            points = new List<PointLight>(count);
            for (int j = 0; j < count; j++)
            {
                var jRng = pRng.Derive("light", j);
                Vec3 a = pls.PositionMin, b = pls.PositionMax;
                var position = new Vec3(jRng.Uniform(a.X, b.X), jRng.Uniform(a.Y, b.Y), jRng.Uniform(a.Z, b.Z));
                double pi = pls.Intensity.Draw(ref jRng);
                var pTint = new Vec3(1 + jRng.Uniform(-v, v), 1 + jRng.Uniform(-v, v), 1 + jRng.Uniform(-v, v));
                points.Add(new PointLight(position, Tinted(pTint, jRng.Derive("temperature"), out _), pi));
            }
        }
        return new Lighting(direction, tint, intensity, ambient, l.Shadows, points);
    }

    /// <summary>The jitter <paramref name="tint"/> times the black-body colour of a temperature drawn from lighting.colorTemperature.</summary>
    private Vec3 Tinted(Vec3 tint, RandomStream rng, out double? kelvin)
    {
        kelvin = null;
        if (spec.Lighting.ColorTemperature is not ValueRange k) return tint;
        kelvin = k.Draw(ref rng);
        Vec3 c = ColorTemperature.ToLinearRgb(kelvin.Value);
        return new Vec3(tint.X * c.X, tint.Y * c.Y, tint.Z * c.Z);
    }

    /// <summary>The top face of a box resting on the table (or on another box): a rectangle at height TopZ,
    /// half extents HalfX, HalfY along the box's yawed axes; at most one object rests on it.</summary>
    private sealed record Support(double X, double Y, Mat3 Yaw, double HalfX, double HalfY, double TopZ)
    {
        public bool Occupied { get; set; }
    }

    private List<SceneObject> SampleObjects(long index, RandomStream rng, CameraModel camera, Table table, CurriculumSpec curriculum, double difficulty,
        List<(double X, double Y, double R)> footprints)
    {
        int max = spec.ObjectsPerScene.Max;
        if (curriculum.ObjectsMax is ValueRange om) max = Math.Max(spec.ObjectsPerScene.Min, (int)Math.Round(CurriculumSpec.Lerp(om, difficulty)));
        double truncation = curriculum.Truncation is ValueRange tr ? CurriculumSpec.Lerp(tr, difficulty) : spec.PlacementOrDefault.Truncation;
        double stacking = spec.PlacementOrDefault.Stacking;
        int wanted = rng.NextInt(spec.ObjectsPerScene.Min, max);
        var placed = new List<SceneObject>(wanted);
        var supports = new List<Support>();
        // Candidate positions cover the table; the view test below keeps only what the camera sees.
        double halfX = table.SizeX / 2, halfY = table.SizeY / 2;

        bool TryPlace(int n, bool allowTruncation)
        {
            // Each object slot has its own stream so one hard-to-place object never shifts the others' draws.
            var objRng = rng.Derive("object", n);
            CategorySpec category = PickCategory(index, n, ref objRng);
            bool mayTruncate = allowTruncation && truncation > 0 && objRng.Derive("truncation").Chance(truncation);
            var stackRng = objRng.Derive("stack");
            bool stack = stacking > 0 && stackRng.Chance(stacking);
            for (int sizeTry = 0; sizeTry < SizeAttempts; sizeTry++)
            {
                ObjectShape shape = SampleShape(category, ref objRng);
                double yaw = objRng.Uniform(0, 2 * Math.PI);
                Mat3 rotation = Mat3.RotationZ(yaw) * shape.Rest;
                double footprint = shape.FootprintRadius;
                if (stack && TryStack(shape, rotation, ref stackRng, mayTruncate) is RigidTransform stacked)
                {
                    placed.Add(new SceneObject(placed.Count + 1, category.Id, category.Name, category.Shape, shape.Dimensions, stacked,
                        SampleMaterial(category, ref objRng), shape.Mesh, shape.Kind));
                    AddSupport(category.Shape, shape, yaw, stacked);
                    return true;
                }
                for (int attempt = 0; attempt < PositionAttempts; attempt++)
                {
                    double x = objRng.Uniform(-halfX + footprint, halfX - footprint);
                    double y = objRng.Uniform(-halfY + footprint, halfY - footprint);
                    if (Overlaps(footprints, x, y, footprint)) continue;
                    var pose = new RigidTransform(rotation, new Vec3(x, y, shape.RestHeight));
                    if (mayTruncate ? !CentreInView(camera, pose) : !FullyInView(camera, pose, shape.Dimensions)) continue;
                    footprints.Add((x, y, footprint));
                    placed.Add(new SceneObject(placed.Count + 1, category.Id, category.Name, category.Shape, shape.Dimensions, pose,
                        SampleMaterial(category, ref objRng), shape.Mesh, shape.Kind));
                    AddSupport(category.Shape, shape, yaw, pose);
                    return true;
                }
            }
            return false;
        }

        // A box's top face can carry one object: its world-axis extents before the yaw are |rest| · dimensions.
        void AddSupport(ShapeKind kind, ObjectShape shape, double yaw, RigidTransform pose)
        {
            if (kind != ShapeKind.Box || stacking <= 0) return;
            Mat3 r = shape.Rest;
            Vec3 d = shape.Dimensions;
            double ex = Math.Abs(r.M00) * d.X + Math.Abs(r.M01) * d.Y + Math.Abs(r.M02) * d.Z;
            double ey = Math.Abs(r.M10) * d.X + Math.Abs(r.M11) * d.Y + Math.Abs(r.M12) * d.Z;
            double ez = Math.Abs(r.M20) * d.X + Math.Abs(r.M21) * d.Y + Math.Abs(r.M22) * d.Z;
            supports.Add(new Support(pose.Translation.X, pose.Translation.Y, Mat3.RotationZ(yaw), ex / 2, ey / 2, pose.Translation.Z + ez / 2));
        }

        // On a free support whose top holds the whole footprint circle (so the centre of mass is over the face and
        // nothing overhangs into a neighbour), at a random offset within the slack; null when none fits or is in view.
        RigidTransform? TryStack(ObjectShape shape, Mat3 rotation, ref RandomStream srng, bool mayTruncate)
        {
            double r = shape.FootprintRadius + ClearanceMetres;
            var free = supports.Where(s => !s.Occupied && s.HalfX >= r && s.HalfY >= r).ToList();
            for (int attempt = 0; attempt < 8 && free.Count > 0; attempt++)
            {
                Support s = free[srng.NextInt(0, free.Count - 1)];
                Vec3 offset = s.Yaw * new Vec3(srng.Uniform(-(s.HalfX - r), s.HalfX - r), srng.Uniform(-(s.HalfY - r), s.HalfY - r), 0);
                var pose = new RigidTransform(rotation, new Vec3(s.X + offset.X, s.Y + offset.Y, s.TopZ + shape.RestHeight));
                if (mayTruncate ? !CentreInView(camera, pose) : !FullyInView(camera, pose, shape.Dimensions)) continue;
                s.Occupied = true;
                return pose;
            }
            return null;
        }

        for (int n = 0; n < wanted; n++) TryPlace(n, allowTruncation: true);
        // A crowded table can leave a scene short of objectsPerScene.min; extra slots (fully in view) make up for
        // it. They only exist in scenes that fell short, so every other scene is unchanged.
        for (int extra = 0; placed.Count < spec.ObjectsPerScene.Min && extra < 4 * spec.ObjectsPerScene.Min; extra++)
            TryPlace(wanted + extra, allowTruncation: false);
        return placed;
    }

    /// <summary>
    /// Unlabelled distractors on the free table (footprints kept clear of the objects' and each other's), their
    /// centre in view; a distractor that finds no place is left out.
    /// </summary>
    private List<SceneObject>? SampleDistractors(RandomStream rng, CameraModel camera, Table table, List<(double X, double Y, double R)> footprints)
    {
        DistractorSpec d = spec.DistractorsOrNone;
        if (d.Count.Max <= 0) return null;
        int count = rng.NextInt(d.Count.Min, d.Count.Max);
        var result = new List<SceneObject>(count);
        double halfX = table.SizeX / 2, halfY = table.SizeY / 2;
        var radius = d.Size.Scaled(0.5); // exact: halving changes no bit of a uniform draw
        for (int n = 0; n < count; n++)
        {
            var dRng = rng.Derive("distractor", n);
            ShapeKind kind = d.Shapes[dRng.NextInt(0, d.Shapes.Count - 1)];
            // The primitives' own samplers with the distractor size range stand in for a category.
            var stand = new CategorySpec(0, "distractor", kind, 1, d.Size, radius, d.Size, null);
            ObjectShape shape = SampleShape(stand, ref dRng);
            Mat3 rotation = Mat3.RotationZ(dRng.Uniform(0, 2 * Math.PI)) * shape.Rest;
            for (int attempt = 0; attempt < PositionAttempts; attempt++)
            {
                double x = dRng.Uniform(-halfX + shape.FootprintRadius, halfX - shape.FootprintRadius);
                double y = dRng.Uniform(-halfY + shape.FootprintRadius, halfY - shape.FootprintRadius);
                if (Overlaps(footprints, x, y, shape.FootprintRadius)) continue;
                var pose = new RigidTransform(rotation, new Vec3(x, y, shape.RestHeight));
                if (!CentreInView(camera, pose)) continue;
                footprints.Add((x, y, shape.FootprintRadius));
                result.Add(new SceneObject(0, 0, "distractor", kind, shape.Dimensions, pose, SampleMaterial(stand, ref dRng), shape.Mesh));
                break;
            }
        }
        return result;
    }

    /// <summary>
    /// A mesh in its object frame, the rotation that sets it in a stable resting pose, the height of the object
    /// origin in that pose (its lowest vertex touches z = 0) and the radius of its footprint around the origin.
    /// </summary>
    private readonly record struct ObjectShape(Mesh Mesh, Vec3 Dimensions, string? Kind, Mat3 Rest, double RestHeight, double FootprintRadius);

    // Exact quarter turns (Math.Cos(π/2) is not 0): x up, y up, and a cylinder's axis laid along y.
    private static readonly Mat3 XUp = new(0, 0, -1, 0, 1, 0, 1, 0, 0);
    private static readonly Mat3 YUp = new(1, 0, 0, 0, 0, -1, 0, 1, 0);

    private ObjectShape SampleShape(CategorySpec c, ref RandomStream rng)
    {
        (Mesh Mesh, Vec3 Dims) built;
        string? kind = null;
        Mat3 rest = Mat3.Identity;
        switch (c.Shape)
        {
            case ShapeKind.Box:
                built = ProceduralMeshes.Box(new Vec3(c.Size.Draw(ref rng), c.Size.Draw(ref rng), c.Size.Draw(ref rng)));
                rest = rng.NextInt(0, 2) switch { 0 => Mat3.Identity, 1 => XUp, _ => YUp }; // on any pair of faces
                break;
            case ShapeKind.Cylinder:
                built = ProceduralMeshes.Cylinder(c.Radius.Draw(ref rng), c.Height.Draw(ref rng));
                if (rng.Chance(c.OnSideProbability)) rest = YUp;
                break;
            case ShapeKind.Sphere:
                built = ProceduralMeshes.Sphere(c.Radius.Draw(ref rng));
                // Any orientation rests; a random one shows the texture from all sides.
                rest = Mat3.FromAxisAngle(new Vec3(rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian()).Normalized() * rng.Uniform(0, Math.PI));
                break;
            case ShapeKind.Mug:
                built = ProceduralMeshes.Mug(c.Radius.Draw(ref rng), c.Height.Draw(ref rng));
                break;
            case ShapeKind.Bottle:
                built = ProceduralMeshes.Bottle(c.Radius.Draw(ref rng), c.Height.Draw(ref rng));
                if (rng.Chance(c.OnSideProbability)) rest = YUp;
                break;
            case ShapeKind.Tool:
            {
                var kinds = c.Kinds ?? DatasetSpec.Defaults.ToolKinds;
                kind = kinds[rng.NextInt(0, kinds.Count - 1)];
                double length = c.Length.Draw(ref rng);
                built = kind == "wrench" ? ProceduralMeshes.Wrench(length) : ProceduralMeshes.Screwdriver(length);
                break;
            }
            case ShapeKind.Mesh:
            {
                UserMesh user = c.Mesh is MeshRef mesh ? _meshes[mesh] : throw new InvalidOperationException($"Category '{c.Name}' has no mesh.");
                built = (user.Mesh, user.Dimensions);
                rest = user.RestingPoses[rng.NextInt(0, user.RestingPoses.Count - 1)];
                break;
            }
            default:
            {
                var kinds = c.Kinds ?? DatasetSpec.Defaults.PartKinds;
                kind = kinds[rng.NextInt(0, kinds.Count - 1)];
                double size = c.Size.Draw(ref rng);
                built = kind == "hexNut" ? ProceduralMeshes.HexNut(size) : ProceduralMeshes.LBracket(size);
                break;
            }
        }
        double lowest = double.MaxValue, footprint = 0;
        foreach (MeshVertex v in built.Mesh.Vertices)
        {
            Vec3 p = rest * v.Position;
            lowest = Math.Min(lowest, p.Z);
            footprint = Math.Max(footprint, p.X * p.X + p.Y * p.Y);
        }
        return new ObjectShape(built.Mesh, built.Dims, kind, rest, -lowest, Math.Sqrt(footprint));
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
            Vec3 local = ObjectBox.Corner(dims, i);
            Vec3 pc = camera.WorldToCamera.Apply(pose.Apply(local));
            if (pc.Z < 0.05) return false;
            var (u, v) = camera.Project(pc);
            if (u < 1 || v < 1 || u > camera.Width - 1 || v > camera.Height - 1) return false;
        }
        return true;
    }

    /// <summary>The object's centre projects inside the image: at least part of it is in view.</summary>
    private static bool CentreInView(CameraModel camera, RigidTransform pose)
    {
        Vec3 pc = camera.WorldToCamera.Apply(pose.Translation);
        if (pc.Z < 0.05) return false;
        var (u, v) = camera.Project(pc);
        return u >= 0 && v >= 0 && u < camera.Width && v < camera.Height;
    }

    private Material SampleMaterial(CategorySpec c, ref RandomStream rng)
    {
        Vec3 baseColor = c.Color ?? HsvToRgb(rng.NextDouble(), rng.Uniform(0.35, 0.9), rng.Uniform(0.35, 0.95));
        Vec3 albedo = Jitter(baseColor, spec.Materials.ColorJitter, ref rng);
        var m = spec.Materials;
        double roughness = m.Roughness.Draw(ref rng), metallic = m.Metallic.Draw(ref rng);
        var texRng = rng.Derive("texture");
        TextureSpec t = m.Textures ?? TextureSpec.None;
        Texture texture = default;
        if (texRng.Chance(t.Probability))
            texture = new Texture(t.Patterns[texRng.NextInt(0, t.Patterns.Count - 1)],
                HsvToRgb(texRng.NextDouble(), texRng.Uniform(0.2, 0.9), texRng.Uniform(0.15, 0.95)),
                t.Scale.Draw(ref texRng), texRng.NextInt(0, 1 << 20));
        if (texture.Pattern == TexturePattern.Image && _textureImages is ImageFolder folder)
        {
            var imgRng = texRng.Derive("image");
            texture = texture with
            {
                Picture = folder.Images[imgRng.NextInt(0, folder.Images.Count - 1)],
                Scale = t.ImageScale.Draw(ref imgRng),
            };
        }
        return new Material(albedo, roughness, metallic, texture);
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
