using SynthBuild.Core.Config;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Assets;

/// <summary>
/// Builds the primitive meshes. Unit meshes (extent 1 along each axis, centred at the origin) are built once;
/// <see cref="Scale"/> gives the per-axis scale that turns a unit mesh into the object's mesh.
/// </summary>
public static class MeshBuilder
{
    public const int CylinderSegments = 64;
    public const int SphereStacks = 48;
    public const int SphereSlices = 96;

    private static readonly Mesh UnitBoxMesh = BuildUnitBox();
    private static readonly Mesh UnitCylinderMesh = BuildUnitCylinder(CylinderSegments);
    private static readonly Mesh UnitSphereMesh = BuildUnitSphere(SphereStacks, SphereSlices);

    /// <summary>The shared unit mesh for <paramref name="kind"/>. Do not modify it.</summary>
    public static Mesh Unit(ShapeKind kind) => kind switch
    {
        ShapeKind.Box => UnitBoxMesh,
        ShapeKind.Cylinder => UnitCylinderMesh,
        ShapeKind.Sphere => UnitSphereMesh,
        _ => UnitBoxMesh, // meshed categories carry their own mesh; the box stands in for bounds only
    };

    /// <summary>
    /// Per-axis scale from the unit mesh to an object of <paramref name="dimensions"/>. Cylinders and spheres take
    /// their radius from X (so they stay round even if Y disagrees).
    /// </summary>
    public static Vec3 Scale(ShapeKind kind, Vec3 dimensions) => kind switch
    {
        ShapeKind.Box => dimensions,
        ShapeKind.Cylinder => new Vec3(dimensions.X, dimensions.X, dimensions.Z),
        ShapeKind.Sphere => new Vec3(dimensions.X, dimensions.X, dimensions.X),
        _ => dimensions,
    };

    /// <summary>A new mesh for an object of the given shape and dimensions, in the object frame.</summary>
    public static Mesh Build(ShapeKind kind, Vec3 dimensions)
    {
        Mesh unit = Unit(kind);
        Vec3 s = Scale(kind, dimensions);
        var vertices = new MeshVertex[unit.Vertices.Length];
        for (int i = 0; i < vertices.Length; i++)
        {
            MeshVertex v = unit.Vertices[i];
            Vec3 p = new(v.Position.X * s.X, v.Position.Y * s.Y, v.Position.Z * s.Z);
            // Normals transform with the inverse transpose of the scale; its adjugate is proportional and stays
            // finite when a dimension is zero.
            Vec3 n = new Vec3(v.Normal.X * s.Y * s.Z, v.Normal.Y * s.X * s.Z, v.Normal.Z * s.X * s.Y).Normalized();
            vertices[i] = new MeshVertex(p, n);
        }
        return new Mesh(vertices, (int[])unit.Indices.Clone());
    }

    private static Mesh BuildUnitBox()
    {
        var vertices = new List<MeshVertex>(24);
        var indices = new List<int>(36);
        Vec3 x = new(1, 0, 0), y = new(0, 1, 0), z = new(0, 0, 1);
        // (normal, u, v) with u × v = normal, so (0,1,2) and (0,2,3) wind outwards.
        (Vec3 N, Vec3 U, Vec3 V)[] faces =
        [
            (x, y, z), (-x, z, y),
            (y, z, x), (-y, x, z),
            (z, x, y), (-z, y, x),
        ];
        foreach (var (n, u, v) in faces)
        {
            int b = vertices.Count;
            vertices.Add(new MeshVertex(0.5 * (n - u - v), n));
            vertices.Add(new MeshVertex(0.5 * (n + u - v), n));
            vertices.Add(new MeshVertex(0.5 * (n + u + v), n));
            vertices.Add(new MeshVertex(0.5 * (n - u + v), n));
            indices.AddRange([b, b + 1, b + 2, b, b + 2, b + 3]);
        }
        return new Mesh(vertices.ToArray(), indices.ToArray());
    }

    private static Mesh BuildUnitCylinder(int segments)
    {
        const double r = 0.5, h = 0.5;
        var vertices = new MeshVertex[4 * segments + 2];
        // Rim positions are computed once and reused by side and cap vertices so shared edges are bit-identical.
        for (int i = 0; i < segments; i++)
        {
            double a = 2 * Math.PI * i / segments;
            double c = Math.Cos(a), s = Math.Sin(a);
            Vec3 bottom = new(r * c, r * s, -h), top = new(r * c, r * s, h);
            Vec3 radial = new(c, s, 0);
            vertices[i] = new MeshVertex(bottom, radial);
            vertices[segments + i] = new MeshVertex(top, radial);
            vertices[2 * segments + i] = new MeshVertex(bottom, new Vec3(0, 0, -1));
            vertices[3 * segments + i] = new MeshVertex(top, new Vec3(0, 0, 1));
        }
        int bottomCentre = 4 * segments, topCentre = 4 * segments + 1;
        vertices[bottomCentre] = new MeshVertex(new Vec3(0, 0, -h), new Vec3(0, 0, -1));
        vertices[topCentre] = new MeshVertex(new Vec3(0, 0, h), new Vec3(0, 0, 1));

        var indices = new int[12 * segments];
        int k = 0;
        for (int i = 0; i < segments; i++)
        {
            int j = (i + 1) % segments;
            int b0 = i, b1 = j, t0 = segments + i, t1 = segments + j;
            indices[k++] = b0; indices[k++] = b1; indices[k++] = t1;
            indices[k++] = b0; indices[k++] = t1; indices[k++] = t0;
            indices[k++] = topCentre; indices[k++] = 3 * segments + i; indices[k++] = 3 * segments + j;
            indices[k++] = bottomCentre; indices[k++] = 2 * segments + j; indices[k++] = 2 * segments + i;
        }
        return new Mesh(vertices, indices);
    }

    private static Mesh BuildUnitSphere(int stacks, int slices)
    {
        const double r = 0.5;
        int rings = stacks - 1;
        var vertices = new MeshVertex[rings * slices + 2];
        for (int j = 0; j < rings; j++)
        {
            double phi = Math.PI * (j + 1) / stacks; // from the north pole
            double z = Math.Cos(phi), rho = Math.Sin(phi);
            for (int i = 0; i < slices; i++)
            {
                double a = 2 * Math.PI * i / slices;
                Vec3 n = new(rho * Math.Cos(a), rho * Math.Sin(a), z);
                vertices[j * slices + i] = new MeshVertex(r * n, n);
            }
        }
        int north = rings * slices, south = north + 1;
        vertices[north] = new MeshVertex(new Vec3(0, 0, r), new Vec3(0, 0, 1));
        vertices[south] = new MeshVertex(new Vec3(0, 0, -r), new Vec3(0, 0, -1));

        var indices = new int[6 * slices * (stacks - 1)];
        int k = 0;
        for (int i = 0; i < slices; i++)
        {
            int i1 = (i + 1) % slices;
            indices[k++] = north; indices[k++] = i; indices[k++] = i1;
            for (int j = 0; j < rings - 1; j++)
            {
                int a = j * slices + i, b = (j + 1) * slices + i, c = (j + 1) * slices + i1, d = j * slices + i1;
                indices[k++] = a; indices[k++] = b; indices[k++] = c;
                indices[k++] = a; indices[k++] = c; indices[k++] = d;
            }
            int last = (rings - 1) * slices;
            indices[k++] = south; indices[k++] = last + i1; indices[k++] = last + i;
        }
        return new Mesh(vertices, indices);
    }
}
