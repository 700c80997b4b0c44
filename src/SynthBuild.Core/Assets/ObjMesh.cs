using System.Globalization;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Assets;

/// <summary>A user mesh loaded from a Wavefront OBJ file, centred on its bounding box, with its stable resting poses.</summary>
public sealed record UserMesh(Mesh Mesh, Vec3 Dimensions, IReadOnlyList<Mat3> RestingPoses);

/// <summary>
/// Reads the geometry of Wavefront OBJ files (v, vt, vn, f with any of the v/vt/vn forms and negative indices;
/// polygons are fanned; other statements are ignored) and derives resting poses: of the six axis-aligned
/// orientations, those where the centre of mass lies over the support polygon (the convex hull of the vertices
/// touching the table), with a margin.
/// </summary>
public static class ObjMesh
{
    /// <exception cref="FormatException">With the 1-based line number of the problem.</exception>
    public static UserMesh Load(string path, double scale)
    {
        var positions = new List<Vec3>();
        var normals = new List<Vec3>();
        var uvs = new List<(double, double)>();
        var m = new MeshAssembler();
        var faceNormals = new List<int>();
        int lineNo = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            string[] t = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            try
            {
                switch (t[0])
                {
                    case "v": positions.Add(new Vec3(D(t[1]), D(t[2]), D(t[3])) * scale); break;
                    case "vn": normals.Add(new Vec3(D(t[1]), D(t[2]), D(t[3])).Normalized()); break;
                    case "vt": uvs.Add((D(t[1]), t.Length > 2 ? D(t[2]) : 0)); break;
                    case "f":
                    {
                        if (t.Length < 4) throw new FormatException("a face needs at least 3 vertices");
                        var corners = new (Vec3 P, Vec3? N, double U, double V)[t.Length - 1];
                        for (int k = 1; k < t.Length; k++)
                        {
                            string[] parts = t[k].Split('/');
                            Vec3 p = positions[Index(parts[0], positions.Count)];
                            (double u, double v) = parts.Length > 1 && parts[1].Length > 0 ? uvs[Index(parts[1], uvs.Count)] : (0, 0);
                            Vec3? n = parts.Length > 2 && parts[2].Length > 0 ? normals[Index(parts[2], normals.Count)] : null;
                            corners[k - 1] = (p, n, u, v);
                        }
                        // Polygon normal (Newell) stands in where the file has none, and orients the fan's triangles.
                        Vec3 poly = Vec3.Zero;
                        for (int k = 0; k < corners.Length; k++)
                        {
                            Vec3 a = corners[k].P, b = corners[(k + 1) % corners.Length].P;
                            poly += new Vec3((a.Y - b.Y) * (a.Z + b.Z), (a.Z - b.Z) * (a.X + b.X), (a.X - b.X) * (a.Y + b.Y));
                        }
                        var ids = corners.Select(c => m.Add(c.P, c.N ?? poly, c.U, c.V)).ToArray();
                        for (int k = 1; k + 1 < ids.Length; k++) m.Triangle(ids[0], ids[k], ids[k + 1]);
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw new FormatException($"{Path.GetFileName(path)}({lineNo}): cannot read '{line}': {ex.Message}", ex);
            }
        }
        if (positions.Count < 4) throw new FormatException($"{Path.GetFileName(path)}: no mesh (found {positions.Count} vertices).");
        var (mesh, dims) = m.Build();
        if (mesh.TriangleCount == 0) throw new FormatException($"{Path.GetFileName(path)}: no faces.");
        return new UserMesh(mesh, dims, RestingPoses(mesh));
    }

    private static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int Index(string s, int count)
    {
        int i = int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);
        int k = i < 0 ? count + i : i - 1;
        if (k < 0 || k >= count) throw new FormatException($"index {i} is outside 1..{count}");
        return k;
    }

    // The six "face down" orientations as exact rotations: which object axis points down.
    private static readonly Mat3[] AxisAligned =
    [
        Mat3.Identity,                                  // −z down
        new(1, 0, 0, 0, -1, 0, 0, 0, -1),               // +z down
        new(0, 0, -1, 0, 1, 0, 1, 0, 0),                // −x down (x up... object +x → world +z)
        new(0, 0, 1, 0, 1, 0, -1, 0, 0),                // +x down
        new(1, 0, 0, 0, 0, -1, 0, 1, 0),                // −y down
        new(1, 0, 0, 0, 0, 1, 0, -1, 0),                // +y down
    ];

    /// <summary>Rotations (object → resting) in which the mesh is stable; the identity when none is.</summary>
    public static IReadOnlyList<Mat3> RestingPoses(Mesh mesh)
    {
        Vec3 com = CentreOfMass(mesh);
        var stable = new List<Mat3>();
        foreach (Mat3 r in AxisAligned)
        {
            double lowest = double.MaxValue, highest = double.MinValue;
            foreach (var v in mesh.Vertices) { double z = (r * v.Position).Z; lowest = Math.Min(lowest, z); highest = Math.Max(highest, z); }
            double eps = 0.01 * (highest - lowest);
            var contact = new List<(double X, double Y)>();
            foreach (var v in mesh.Vertices)
            {
                Vec3 p = r * v.Position;
                if (p.Z <= lowest + eps) contact.Add((p.X, p.Y));
            }
            Vec3 c = r * com;
            var hull = ConvexHull(contact);
            if (hull.Count >= 3 && InsideWithMargin(hull, c.X, c.Y, 0.01)) stable.Add(r);
        }
        return stable.Count > 0 ? stable : [Mat3.Identity];
    }

    /// <summary>Centroid of the enclosed volume (divergence theorem); the vertex mean for open meshes.</summary>
    private static Vec3 CentreOfMass(Mesh mesh)
    {
        double vol = 0; Vec3 acc = Vec3.Zero;
        for (int k = 0; k < mesh.Indices.Length; k += 3)
        {
            Vec3 a = mesh.Vertices[mesh.Indices[k]].Position, b = mesh.Vertices[mesh.Indices[k + 1]].Position, c = mesh.Vertices[mesh.Indices[k + 2]].Position;
            double v = Vec3.Dot(a, Vec3.Cross(b, c)) / 6;
            vol += v;
            acc += (a + b + c) * (v / 4);
        }
        if (Math.Abs(vol) > 1e-15) return acc / vol;
        Vec3 mean = Vec3.Zero;
        foreach (var v in mesh.Vertices) mean += v.Position;
        return mean / mesh.Vertices.Length;
    }

    private static List<(double X, double Y)> ConvexHull(List<(double X, double Y)> pts)
    {
        var p = pts.Distinct().OrderBy(q => q.X).ThenBy(q => q.Y).ToList();
        if (p.Count < 3) return p;
        var hull = new List<(double X, double Y)>();
        static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) => (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);
        for (int pass = 0; pass < 2; pass++)
        {
            int start = hull.Count;
            foreach (var q in pass == 0 ? p : Enumerable.Reverse(p))
            {
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], q) <= 0) hull.RemoveAt(hull.Count - 1);
                hull.Add(q);
            }
            hull.RemoveAt(hull.Count - 1);
        }
        return hull;
    }

    /// <summary>Inside the CCW polygon and at least margin × (its size) from every edge.</summary>
    private static bool InsideWithMargin(List<(double X, double Y)> hull, double x, double y, double margin)
    {
        double size = 0;
        foreach (var a in hull) foreach (var b in hull) size = Math.Max(size, Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y)));
        for (int i = 0; i < hull.Count; i++)
        {
            var a = hull[i]; var b = hull[(i + 1) % hull.Count];
            double ex = b.X - a.X, ey = b.Y - a.Y, len = Math.Sqrt(ex * ex + ey * ey);
            if (len == 0) continue;
            double d = (ex * (y - a.Y) - ey * (x - a.X)) / len; // > 0: left of the edge = inside for CCW
            if (d < margin * size) return false;
        }
        return true;
    }
}
