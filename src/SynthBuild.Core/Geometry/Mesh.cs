
namespace SynthBuild.Core.Geometry;

/// <summary>A mesh vertex in the object frame; (U, V) are texture coordinates in metres along the surface.</summary>
public readonly record struct MeshVertex(Vec3 Position, Vec3 Normal, double U = 0, double V = 0);

/// <summary>
/// A closed triangle mesh. Triangles are wound counter-clockwise seen from outside, i.e.
/// (p1 − p0) × (p2 − p0) points out of the solid.
/// </summary>
public sealed class Mesh
{
    public Mesh(MeshVertex[] vertices, int[] indices)
    {
        if (indices.Length % 3 != 0) throw new ArgumentException("Index count must be a multiple of 3.", nameof(indices));
        Vertices = vertices;
        Indices = indices;
    }

    public MeshVertex[] Vertices { get; }
    public int[] Indices { get; }
    public int TriangleCount => Indices.Length / 3;
}
