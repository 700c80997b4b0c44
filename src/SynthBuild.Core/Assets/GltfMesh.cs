using SharpGLTF.Schema2;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Assets;

/// <summary>
/// Reads the geometry of a glTF 2.0 file (.gltf with embedded or external buffers, or .glb): the triangles of every
/// primitive (lists, strips and fans; points and lines are skipped) of every mesh node of the default scene (all root
/// nodes when there is none), each placed by its node's world transform, scaled, centred on the bounding box. Resting
/// poses as for OBJ (<see cref="ObjMesh.RestingPoses"/>). Node transforms are composed in double precision here, not
/// with System.Numerics (whose SIMD paths may round differently), so the mesh is the same on every machine.
/// </summary>
public static class GltfMesh
{
    public static bool IsGltf(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".gltf" or ".glb";

    /// <summary>The mesh (its content hash, the file plus every buffer it uses, is <see cref="Config.AssetHash.Mesh"/>).</summary>
    /// <exception cref="FormatException">The file is not readable glTF 2.0, or holds no triangles.</exception>
    public static UserMesh Load(string path, double scale)
    {
        ModelRoot model;
        try { model = ModelRoot.Load(path); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new FormatException($"{Path.GetFileName(path)}: not a readable glTF 2.0 file ({ex.GetType().Name}: {FirstLine(ex.Message)})", ex);
        }

        var m = new MeshAssembler();
        IEnumerable<Node> roots = model.DefaultScene?.VisualChildren ?? model.LogicalNodes.Where(n => n.VisualParent is null);
        foreach (Node root in roots) AddNode(root, Affine.Identity, scale, m);
        var (mesh, dims) = m.Build();
        if (mesh.TriangleCount == 0) throw new FormatException($"{Path.GetFileName(path)}: no triangles in the scene's meshes.");
        return new UserMesh(mesh, dims, ObjMesh.RestingPoses(mesh));
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static void AddNode(Node node, Affine parent, double scale, MeshAssembler m)
    {
        Affine world = parent * Affine.Local(node);
        if (node.Mesh is SharpGLTF.Schema2.Mesh mesh)
            foreach (MeshPrimitive primitive in mesh.Primitives)
                AddPrimitive(primitive, world, scale, m);
        foreach (Node child in node.VisualChildren) AddNode(child, world, scale, m);
    }

    private static void AddPrimitive(MeshPrimitive primitive, Affine world, double scale, MeshAssembler m)
    {
        var positions = primitive.GetVertexAccessor("POSITION")?.AsVector3Array();
        if (positions is null) return;
        var normals = primitive.GetVertexAccessor("NORMAL")?.AsVector3Array();
        var uvs = primitive.GetVertexAccessor("TEXCOORD_0")?.AsVector2Array();
        Affine normalMatrix = world.NormalMatrix();
        var ids = new int[positions.Count];
        Vec3 Position(int i) => world.Apply(new Vec3(positions[i].X, positions[i].Y, positions[i].Z)) * scale;
        bool smooth = normals is not null && normals.Count == positions.Count;
        if (smooth)
            for (int i = 0; i < positions.Count; i++)
                ids[i] = m.Add(Position(i), normalMatrix.Linear(new Vec3(normals![i].X, normals[i].Y, normals[i].Z)),
                    uvs is null ? 0 : uvs[i].X, uvs is null ? 0 : uvs[i].Y);
        foreach (var (a, b, c) in primitive.GetTriangleIndices())
        {
            if (smooth) { m.Triangle(ids[a], ids[b], ids[c]); continue; }
            // No normals: flat triangles with the geometric normal of the file's counter-clockwise winding.
            Vec3 pa = Position(a), pb = Position(b), pc = Position(c);
            Vec3 n = Vec3.Cross(pb - pa, pc - pa) * (world.Determinant < 0 ? -1 : 1);
            if (n.Length == 0) continue;
            double U(int i) => uvs is null ? 0 : uvs[i].X;
            double V(int i) => uvs is null ? 0 : uvs[i].Y;
            m.Triangle(m.Add(pa, n, U(a), V(a)), m.Add(pb, n, U(b), V(b)), m.Add(pc, n, U(c), V(c)));
        }
    }

    /// <summary>A 3×4 affine transform in double precision (row-major linear part L and translation T).</summary>
    private readonly record struct Affine(Mat3 L, Vec3 T)
    {
        public static readonly Affine Identity = new(Mat3.Identity, Vec3.Zero);

        public static Affine operator *(Affine a, Affine b) => new(a.L * b.L, a.L * b.T + a.T);

        public Vec3 Apply(Vec3 p) => L * p + T;
        public Vec3 Linear(Vec3 v) => L * v;

        public double Determinant =>
            L.M00 * (L.M11 * L.M22 - L.M12 * L.M21) - L.M01 * (L.M10 * L.M22 - L.M12 * L.M20) + L.M02 * (L.M10 * L.M21 - L.M11 * L.M20);

        /// <summary>Normals take the inverse transpose; the cofactor matrix is proportional to it (times det).</summary>
        public Affine NormalMatrix()
        {
            var c = new Mat3(
                L.M11 * L.M22 - L.M12 * L.M21, L.M12 * L.M20 - L.M10 * L.M22, L.M10 * L.M21 - L.M11 * L.M20,
                L.M02 * L.M21 - L.M01 * L.M22, L.M00 * L.M22 - L.M02 * L.M20, L.M01 * L.M20 - L.M00 * L.M21,
                L.M01 * L.M12 - L.M02 * L.M11, L.M02 * L.M10 - L.M00 * L.M12, L.M00 * L.M11 - L.M01 * L.M10);
            double s = Determinant < 0 ? -1 : 1;
            return new Affine(new Mat3(c.M00 * s, c.M01 * s, c.M02 * s, c.M10 * s, c.M11 * s, c.M12 * s, c.M20 * s, c.M21 * s, c.M22 * s), Vec3.Zero);
        }

        /// <summary>The node's local transform: its matrix (glTF column-major; System.Numerics stores the transpose,
        /// row vectors), or translation · rotation · scale from TRS.</summary>
        public static Affine Local(Node node)
        {
            var t = node.LocalTransform;
            if (t.IsMatrix)
            {
                var x = t.Matrix;
                return new Affine(new Mat3(x.M11, x.M21, x.M31, x.M12, x.M22, x.M32, x.M13, x.M23, x.M33), new Vec3(x.M41, x.M42, x.M43));
            }
            double qx = t.Rotation.X, qy = t.Rotation.Y, qz = t.Rotation.Z, qw = t.Rotation.W;
            double n = Math.Sqrt(qx * qx + qy * qy + qz * qz + qw * qw);
            if (n > 0) { qx /= n; qy /= n; qz /= n; qw /= n; }
            Mat3 r = new Quaternion(qw, qx, qy, qz).ToMatrix();
            double sx = t.Scale.X, sy = t.Scale.Y, sz = t.Scale.Z;
            var rs = new Mat3(r.M00 * sx, r.M01 * sy, r.M02 * sz, r.M10 * sx, r.M11 * sy, r.M12 * sz, r.M20 * sx, r.M21 * sy, r.M22 * sz);
            return new Affine(rs, new Vec3(t.Translation.X, t.Translation.Y, t.Translation.Z));
        }
    }
}
