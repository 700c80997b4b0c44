namespace SynthBuild.Core.Geometry;

/// <summary>
/// Collects vertices and triangles for a procedural mesh. Each triangle is oriented from its vertex normals
/// (the winding is flipped when the geometric normal disagrees), so builders state where "outside" is and never
/// have to get index order right by hand. Degenerate triangles (two equal positions) are dropped, which keeps
/// meshes closed where a profile touches the axis.
/// </summary>
internal sealed class MeshAssembler
{
    // Scenes build several meshes per sample: the working lists are handed from one assembler to the next on the
    // same thread (taken here, given back by Build), so only the finished arrays are allocated. An assembler created
    // while another is still open simply gets lists of its own.
    [ThreadStatic] private static List<MeshVertex>? t_vertices;
    [ThreadStatic] private static List<int>? t_indices;
    private readonly List<MeshVertex> _vertices;
    private readonly List<int> _indices;
    private bool _finished;
    private const int MaxKeptVertices = 1 << 14; // large user meshes do not pin their lists to the thread

    public MeshAssembler()
    {
        _vertices = t_vertices ?? new(1024);
        _indices = t_indices ?? new(4096);
        t_vertices = null;
        t_indices = null;
    }

    public int Add(Vec3 position, Vec3 normal, double u, double v)
    {
        ObjectDisposedException.ThrowIf(_finished, this); // its lists now belong to the next assembler
        _vertices.Add(new MeshVertex(position, normal.Normalized(), u, v));
        return _vertices.Count - 1;
    }

    public void Triangle(int a, int b, int c)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        Vec3 pa = _vertices[a].Position, pb = _vertices[b].Position, pc = _vertices[c].Position;
        if (pa == pb || pb == pc || pa == pc) return;
        Vec3 geometric = Vec3.Cross(pb - pa, pc - pa);
        Vec3 outward = _vertices[a].Normal + _vertices[b].Normal + _vertices[c].Normal;
        if (Vec3.Dot(geometric, outward) < 0) (b, c) = (c, b);
        _indices.Add(a); _indices.Add(b); _indices.Add(c);
    }

    /// <summary>Quad a-b-c-d around its perimeter (either direction).</summary>
    public void Quad(int a, int b, int c, int d)
    {
        Triangle(a, b, c);
        Triangle(a, c, d);
    }

    /// <summary>Flat quad from four positions with one normal; UVs from the positions projected on the face.</summary>
    public void FlatQuad(Vec3 a, Vec3 b, Vec3 c, Vec3 d, Vec3 normal)
    {
        Vec3 e1 = (b - a).Normalized(), e2 = Vec3.Cross(normal.Normalized(), e1);
        int ia = Add(a, normal, 0, 0);
        int ib = Add(b, normal, Vec3.Dot(b - a, e1), Vec3.Dot(b - a, e2));
        int ic = Add(c, normal, Vec3.Dot(c - a, e1), Vec3.Dot(c - a, e2));
        int id = Add(d, normal, Vec3.Dot(d - a, e1), Vec3.Dot(d - a, e2));
        Quad(ia, ib, ic, id);
    }

    /// <summary>
    /// The mesh moved so its axis-aligned bounding box is centred at the origin (the object-frame convention),
    /// and that box's full extents.
    /// </summary>
    public (Mesh Mesh, Vec3 Dimensions) Build()
    {
        double minX = double.MaxValue, minY = double.MaxValue, minZ = double.MaxValue;
        double maxX = double.MinValue, maxY = double.MinValue, maxZ = double.MinValue;
        foreach (var v in _vertices)
        {
            Vec3 p = v.Position;
            minX = Math.Min(minX, p.X); maxX = Math.Max(maxX, p.X);
            minY = Math.Min(minY, p.Y); maxY = Math.Max(maxY, p.Y);
            minZ = Math.Min(minZ, p.Z); maxZ = Math.Max(maxZ, p.Z);
        }
        var centre = new Vec3(0.5 * (minX + maxX), 0.5 * (minY + maxY), 0.5 * (minZ + maxZ));
        var vertices = new MeshVertex[_vertices.Count];
        for (int i = 0; i < vertices.Length; i++)
        {
            MeshVertex v = _vertices[i];
            vertices[i] = v with { Position = v.Position - centre };
        }
        var mesh = new Mesh(vertices, _indices.ToArray());
        _finished = true;
        if (_vertices.Capacity <= MaxKeptVertices && _indices.Capacity <= 6 * MaxKeptVertices)
        {
            _vertices.Clear();
            _indices.Clear();
            t_vertices = _vertices;
            t_indices = _indices;
        }
        return (mesh, new Vec3(maxX - minX, maxY - minY, maxZ - minZ));
    }
}
