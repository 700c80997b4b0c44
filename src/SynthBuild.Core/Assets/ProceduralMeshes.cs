using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Assets;

/// <summary>
/// Closed, parametric meshes for the built-in categories, with UVs in metres (so a texture's scale is physical).
/// Every mesh comes back centred on its bounding box (the object-frame convention) with the box's extents; each
/// resting pose in <see cref="SceneSampler"/> assumes the shape as built here: mugs and bottles upright along +z,
/// tools and parts lying flat with their thin side along z.
/// Meshes may consist of several closed parts that interpenetrate (a mug's handle enters its wall): each part is
/// watertight, and the z-buffer resolves the union.
/// </summary>
public static class ProceduralMeshes
{
    private const int RoundSegments = 48;

    public static (Mesh Mesh, Vec3 Dimensions) Box(Vec3 d)
    {
        var m = new MeshAssembler();
        double x = d.X / 2, y = d.Y / 2, z = d.Z / 2;
        Vec3 P(double sx, double sy, double sz) => new(sx * x, sy * y, sz * z);
        m.FlatQuad(P(1, -1, -1), P(1, 1, -1), P(1, 1, 1), P(1, -1, 1), new Vec3(1, 0, 0));
        m.FlatQuad(P(-1, 1, -1), P(-1, -1, -1), P(-1, -1, 1), P(-1, 1, 1), new Vec3(-1, 0, 0));
        m.FlatQuad(P(1, 1, -1), P(-1, 1, -1), P(-1, 1, 1), P(1, 1, 1), new Vec3(0, 1, 0));
        m.FlatQuad(P(-1, -1, -1), P(1, -1, -1), P(1, -1, 1), P(-1, -1, 1), new Vec3(0, -1, 0));
        m.FlatQuad(P(-1, -1, 1), P(1, -1, 1), P(1, 1, 1), P(-1, 1, 1), new Vec3(0, 0, 1));
        m.FlatQuad(P(-1, 1, -1), P(1, 1, -1), P(1, -1, -1), P(-1, -1, -1), new Vec3(0, 0, -1));
        return m.Build();
    }

    public static (Mesh Mesh, Vec3 Dimensions) Cylinder(double radius, double height)
    {
        var m = new MeshAssembler();
        Lathe(m, [(0, 0), (radius, 0), (radius, height), (0, height)], RoundSegments, Mat3.Identity);
        return m.Build();
    }

    public static (Mesh Mesh, Vec3 Dimensions) Sphere(double radius)
    {
        const int stacks = 24;
        var profile = new (double R, double Z)[stacks + 1];
        for (int k = 0; k <= stacks; k++)
        {
            double phi = Math.PI * k / stacks;
            profile[k] = k == 0 ? (0, -radius) : k == stacks ? (0, radius) : (radius * Math.Sin(phi), -radius * Math.Cos(phi));
        }
        var m = new MeshAssembler();
        Lathe(m, profile, RoundSegments, Mat3.Identity);
        return m.Build();
    }

    /// <summary>A mug: hollow body (wall and bottom of real thickness) with a C-shaped tube handle on +x.</summary>
    public static (Mesh Mesh, Vec3 Dimensions) Mug(double radius, double height)
    {
        double wall = Math.Max(0.06 * radius, 0.002), bottom = Math.Max(0.06 * height, 0.003);
        var m = new MeshAssembler();
        Lathe(m, [(0, 0), (radius, 0), (radius, height), (radius - wall, height), (radius - wall, bottom), (0, bottom)],
            RoundSegments, Mat3.Identity);

        // Handle: a tube along a half-ellipse whose ends sit inside the wall (end caps hidden in the wall).
        double zc = 0.55 * height, reachZ = 0.3 * height, reachX = 0.55 * radius, tube = Math.Min(0.07 * height, 0.4 * radius);
        double x0 = radius - 0.5 * wall;
        const int pathSteps = 20;
        var path = new Vec3[pathSteps + 1];
        var tangents = new Vec3[pathSteps + 1];
        for (int k = 0; k <= pathSteps; k++)
        {
            double t = -Math.PI / 2 + Math.PI * k / pathSteps;
            double c = k == 0 || k == pathSteps ? 0 : Math.Cos(t), s = k == 0 ? -1 : k == pathSteps ? 1 : Math.Sin(t);
            path[k] = new Vec3(x0 + (reachX + 0.5 * wall) * c, 0, zc + reachZ * s);
            tangents[k] = new Vec3(-(reachX + 0.5 * wall) * s, 0, reachZ * c).Normalized();
        }
        Tube(m, path, tangents, tube, 16);
        return m.Build();
    }

    /// <summary>A bottle: turned profile with body, shoulder, neck and cap.</summary>
    public static (Mesh Mesh, Vec3 Dimensions) Bottle(double radius, double height)
    {
        double neck = 0.36 * radius, cap = 0.44 * radius;
        double body = 0.55 * height, shoulder = 0.2 * height, neckTop = 0.87 * height;
        var profile = new List<(double, double)> { (0, 0), (0.9 * radius, 0), (radius, 0.025 * height), (radius, body) };
        const int steps = 10;
        for (int k = 1; k <= steps; k++)
            profile.Add((neck + (radius - neck) * 0.5 * (1 + Math.Cos(Math.PI * k / steps)), body + shoulder * k / steps));
        profile.AddRange([(neck, neckTop), (cap, neckTop), (cap, height), (0, height)]);
        var m = new MeshAssembler();
        Lathe(m, profile.ToArray(), RoundSegments, Mat3.Identity);
        return m.Build();
    }

    /// <summary>Combination wrench lying flat: ring end at −x, open end at +x, flat handle between.</summary>
    public static (Mesh Mesh, Vec3 Dimensions) Wrench(double length)
    {
        double ro = 0.12 * length, ri = 0.07 * length, thick = 0.035 * length, width = 0.09 * length;
        var m = new MeshAssembler();
        double ring = -length / 2 + ro, open = length / 2 - ro;
        Band(m, Arc(ring, 0, ro, 0, 2 * Math.PI, 36, closed: true), Arc(ring, 0, ri, 0, 2 * Math.PI, 36, closed: true),
            closed: true, flatOuter: false, -thick / 2, thick / 2);
        double gap = 0.65; // half-opening of the jaw in radians, facing +x
        Band(m, Arc(open, 0, ro, gap, 2 * Math.PI - gap, 30, closed: false), Arc(open, 0, ri, gap, 2 * Math.PI - gap, 30, closed: false),
            closed: false, flatOuter: false, -thick / 2, thick / 2);
        double mid = 0.5 * (ri + ro), ht = 0.4 * thick;
        Prism(m, [(ring + mid, -width / 2), (open - mid, -width / 2), (open - mid, width / 2), (ring + mid, width / 2)],
            [(0, 1, 2), (0, 2, 3)], -ht, ht);
        return m.Build();
    }

    /// <summary>Screwdriver lying along x: turned handle, shaft and tip.</summary>
    public static (Mesh Mesh, Vec3 Dimensions) Screwdriver(double length)
    {
        double r = 0.075 * length, shaft = 0.02 * length;
        var m = new MeshAssembler();
        Mat3 zToX = new(0, 0, 1, 0, 1, 0, -1, 0, 0);
        Lathe(m, [(0, 0), (0.8 * r, 0), (r, 0.04 * length), (r, 0.36 * length), (0.75 * r, 0.4 * length),
                  (shaft, 0.4 * length), (shaft, 0.93 * length), (0, length)], 24, zToX);
        return m.Build();
    }

    /// <summary>Hex nut lying on a face; <paramref name="size"/> is the across-corners width.</summary>
    public static (Mesh Mesh, Vec3 Dimensions) HexNut(double size)
    {
        double rc = size / 2, hole = 0.5 * rc, thick = 0.8 * rc;
        const int n = 36; // multiple of 6: the hexagon's corners are sample points
        var outer = new (double X, double Y, double Nx, double Ny)[n];
        for (int k = 0; k < n; k++)
        {
            double a = 2 * Math.PI * k / n;
            double within = (k % 6) * (Math.PI / 18) - Math.PI / 6; // angle from the side's mid-normal
            double r = rc * Math.Cos(Math.PI / 6) / Math.Cos(within);
            outer[k] = (r * Math.Cos(a), r * Math.Sin(a), Math.Cos(a), Math.Sin(a));
        }
        var m = new MeshAssembler();
        Band(m, outer, Arc(0, 0, hole, 0, 2 * Math.PI, n, closed: true), closed: true, flatOuter: true, -thick / 2, thick / 2);
        return m.Build();
    }

    /// <summary>L-bracket lying on its long leg; <paramref name="size"/> is the long leg's length.</summary>
    public static (Mesh Mesh, Vec3 Dimensions) LBracket(double size)
    {
        double a = size, b = 0.7 * size, t = 0.08 * size, w = 0.4 * size;
        (double X, double Z)[] outline = [(0, 0), (a, 0), (a, t), (t, t), (t, b), (0, b)];
        var m = new MeshAssembler();
        // Outline in x–z, extruded along y: map (x, z) → (x, y, z).
        int[] front = new int[6], back = new int[6];
        for (int i = 0; i < 6; i++)
        {
            front[i] = m.Add(new Vec3(outline[i].X, -w / 2, outline[i].Z), new Vec3(0, -1, 0), outline[i].X, outline[i].Z);
            back[i] = m.Add(new Vec3(outline[i].X, w / 2, outline[i].Z), new Vec3(0, 1, 0), outline[i].X, outline[i].Z);
        }
        foreach (var (p, q, r) in new[] { (0, 1, 2), (0, 2, 3), (0, 3, 5), (3, 4, 5) })
        {
            m.Triangle(front[p], front[q], front[r]);
            m.Triangle(back[p], back[q], back[r]);
        }
        for (int i = 0; i < 6; i++)
        {
            var p0 = outline[i]; var p1 = outline[(i + 1) % 6];
            var normal = new Vec3(p1.Z - p0.Z, 0, -(p1.X - p0.X)); // CCW outline: outward is the edge turned right
            m.FlatQuad(new Vec3(p0.X, -w / 2, p0.Z), new Vec3(p1.X, -w / 2, p1.Z), new Vec3(p1.X, w / 2, p1.Z), new Vec3(p0.X, w / 2, p0.Z), normal);
        }
        return m.Build();
    }

    /// <summary>
    /// Surface of revolution of a profile (r, z) from the axis back to the axis, around z, then rotated by
    /// <paramref name="orient"/>. Normals are smooth across profile joints bending less than 35°, creased otherwise.
    /// </summary>
    private static void Lathe(MeshAssembler m, (double R, double Z)[] profile, int segments, Mat3 orient)
    {
        var cos = new double[segments];
        var sin = new double[segments];
        for (int j = 0; j < segments; j++)
        {
            double a = 2 * Math.PI * j / segments;
            cos[j] = Math.Cos(a); sin[j] = Math.Sin(a);
        }
        int n = profile.Length - 1;
        var segNormal = new (double R, double Z)[n];
        double rMax = 0;
        for (int s = 0; s < n; s++)
        {
            double dr = profile[s + 1].R - profile[s].R, dz = profile[s + 1].Z - profile[s].Z;
            double len = Math.Sqrt(dr * dr + dz * dz);
            segNormal[s] = (dz / len, -dr / len);
            rMax = Math.Max(rMax, profile[s].R);
        }
        double cosCrease = Math.Cos(35 * Math.PI / 180);
        (double R, double Z) JointNormal(int s, int neighbour)
        {
            if (neighbour < 0 || neighbour >= n) return segNormal[s];
            var a = segNormal[s]; var b = segNormal[neighbour];
            if (a.R * b.R + a.Z * b.Z < cosCrease) return a;
            double l = Math.Sqrt((a.R + b.R) * (a.R + b.R) + (a.Z + b.Z) * (a.Z + b.Z));
            return ((a.R + b.R) / l, (a.Z + b.Z) / l);
        }

        double arc = 0, circumference = 2 * Math.PI * rMax;
        var ringA = new int[segments + 1];
        var ringB = new int[segments + 1];
        for (int s = 0; s < n; s++)
        {
            var p0 = profile[s]; var p1 = profile[s + 1];
            double len = Math.Sqrt((p1.R - p0.R) * (p1.R - p0.R) + (p1.Z - p0.Z) * (p1.Z - p0.Z));
            var n0 = JointNormal(s, s - 1); var n1 = JointNormal(s, s + 1);
            for (int j = 0; j <= segments; j++)
            {
                int k = j % segments; // the seam reuses angle 0 so its positions are bit-identical
                double u = circumference * j / segments;
                ringA[j] = m.Add(orient * new Vec3(p0.R * cos[k], p0.R * sin[k], p0.Z), orient * new Vec3(n0.R * cos[k], n0.R * sin[k], n0.Z), u, arc);
                ringB[j] = m.Add(orient * new Vec3(p1.R * cos[k], p1.R * sin[k], p1.Z), orient * new Vec3(n1.R * cos[k], n1.R * sin[k], n1.Z), u, arc + len);
            }
            for (int j = 0; j < segments; j++) m.Quad(ringA[j], ringA[j + 1], ringB[j + 1], ringB[j]);
            arc += len;
        }
    }

    /// <summary>A capped tube of circular cross-section along a path (in a plane containing y as binormal).</summary>
    private static void Tube(MeshAssembler m, Vec3[] path, Vec3[] tangents, double radius, int sides)
    {
        var cos = new double[sides];
        var sin = new double[sides];
        for (int j = 0; j < sides; j++) { double a = 2 * Math.PI * j / sides; cos[j] = Math.Cos(a); sin[j] = Math.Sin(a); }
        var binormal = new Vec3(0, 1, 0);
        Vec3 Ring(int k, int j) => path[k] + (Vec3.Cross(binormal, tangents[k]) * cos[j] + binormal * sin[j]) * radius;
        Vec3 Dir(int k, int j) => Vec3.Cross(binormal, tangents[k]) * cos[j] + binormal * sin[j];
        int last = path.Length - 1;
        double v = 0;
        for (int k = 0; k < last; k++)
        {
            double len = (path[k + 1] - path[k]).Length;
            var a = new int[sides + 1];
            var b = new int[sides + 1];
            for (int j = 0; j <= sides; j++)
            {
                int q = j % sides;
                double u = 2 * Math.PI * radius * j / sides;
                a[j] = m.Add(Ring(k, q), Dir(k, q), u, v);
                b[j] = m.Add(Ring(k + 1, q), Dir(k + 1, q), u, v + len);
            }
            for (int j = 0; j < sides; j++) m.Quad(a[j], a[j + 1], b[j + 1], b[j]);
            v += len;
        }
        foreach (int k in new[] { 0, last })
        {
            Vec3 normal = k == 0 ? -tangents[0] : tangents[last];
            int centre = m.Add(path[k], normal, 0, 0);
            var ring = new int[sides];
            for (int j = 0; j < sides; j++) ring[j] = m.Add(Ring(k, j), normal, cos[j] * radius, sin[j] * radius);
            for (int j = 0; j < sides; j++) m.Triangle(centre, ring[j], ring[(j + 1) % sides]);
        }
    }

    /// <summary>Points (x, y) with outward unit normals on a circular arc from angle a0 to a1.</summary>
    private static (double X, double Y, double Nx, double Ny)[] Arc(double cx, double cy, double r, double a0, double a1, int steps, bool closed)
    {
        int count = closed ? steps : steps + 1;
        var pts = new (double, double, double, double)[count];
        for (int k = 0; k < count; k++)
        {
            double a = a0 + (a1 - a0) * k / steps;
            double c = Math.Cos(a), s = Math.Sin(a);
            pts[k] = (cx + r * c, cy + r * s, c, s);
        }
        return pts;
    }

    /// <summary>
    /// Extrudes the region between an outer and an inner polyline (same point count, point i facing point i)
    /// from z0 to z1: top, bottom, outer wall, inner wall, and end walls when the band is open.
    /// </summary>
    private static void Band(MeshAssembler m, (double X, double Y, double Nx, double Ny)[] outer,
        (double X, double Y, double Nx, double Ny)[] inner, bool closed, bool flatOuter, double z0, double z1)
    {
        int n = outer.Length, spans = closed ? n : n - 1;
        for (int i = 0; i < spans; i++)
        {
            var o0 = outer[i]; var o1 = outer[(i + 1) % n]; var i0 = inner[i]; var i1 = inner[(i + 1) % n];
            foreach (double z in new[] { z0, z1 })
            {
                var normal = new Vec3(0, 0, z == z1 ? 1 : -1);
                m.Quad(m.Add(new Vec3(o0.X, o0.Y, z), normal, o0.X, o0.Y), m.Add(new Vec3(o1.X, o1.Y, z), normal, o1.X, o1.Y),
                    m.Add(new Vec3(i1.X, i1.Y, z), normal, i1.X, i1.Y), m.Add(new Vec3(i0.X, i0.Y, z), normal, i0.X, i0.Y));
            }
            Vec3 flat = new Vec3(o1.Y - o0.Y, -(o1.X - o0.X), 0);
            if (Vec3.Dot(flat, new Vec3(o0.Nx + o1.Nx, o0.Ny + o1.Ny, 0)) < 0) flat = -flat;
            Vec3 on0 = flatOuter ? flat : new Vec3(o0.Nx, o0.Ny, 0), on1 = flatOuter ? flat : new Vec3(o1.Nx, o1.Ny, 0);
            double du = Math.Sqrt((o1.X - o0.X) * (o1.X - o0.X) + (o1.Y - o0.Y) * (o1.Y - o0.Y));
            m.Quad(m.Add(new Vec3(o0.X, o0.Y, z0), on0, 0, z0), m.Add(new Vec3(o1.X, o1.Y, z0), on1, du, z0),
                m.Add(new Vec3(o1.X, o1.Y, z1), on1, du, z1), m.Add(new Vec3(o0.X, o0.Y, z1), on0, 0, z1));
            // Inner wall faces the hole: its outward normal is the arc's normal reversed.
            Vec3 in0 = new(-i0.Nx, -i0.Ny, 0), in1 = new(-i1.Nx, -i1.Ny, 0);
            m.Quad(m.Add(new Vec3(i0.X, i0.Y, z0), in0, 0, z0), m.Add(new Vec3(i1.X, i1.Y, z0), in1, du, z0),
                m.Add(new Vec3(i1.X, i1.Y, z1), in1, du, z1), m.Add(new Vec3(i0.X, i0.Y, z1), in0, 0, z1));
        }
        if (closed) return;
        foreach (int end in new[] { 0, n - 1 })
        {
            var o = outer[end]; var i = inner[end]; var next = outer[end == 0 ? 1 : n - 2];
            Vec3 normal = new Vec3(o.X - next.X, o.Y - next.Y, 0); // away from the band's interior
            m.FlatQuad(new Vec3(o.X, o.Y, z0), new Vec3(i.X, i.Y, z0), new Vec3(i.X, i.Y, z1), new Vec3(o.X, o.Y, z1), normal);
        }
    }

    /// <summary>Extrudes a CCW polygon (given with its cap triangulation) from z0 to z1.</summary>
    private static void Prism(MeshAssembler m, (double X, double Y)[] outline, (int, int, int)[] capTriangles, double z0, double z1)
    {
        int n = outline.Length;
        var top = new int[n];
        var bottom = new int[n];
        for (int i = 0; i < n; i++)
        {
            top[i] = m.Add(new Vec3(outline[i].X, outline[i].Y, z1), new Vec3(0, 0, 1), outline[i].X, outline[i].Y);
            bottom[i] = m.Add(new Vec3(outline[i].X, outline[i].Y, z0), new Vec3(0, 0, -1), outline[i].X, outline[i].Y);
        }
        foreach (var (a, b, c) in capTriangles) { m.Triangle(top[a], top[b], top[c]); m.Triangle(bottom[a], bottom[b], bottom[c]); }
        for (int i = 0; i < n; i++)
        {
            var p0 = outline[i]; var p1 = outline[(i + 1) % n];
            m.FlatQuad(new Vec3(p0.X, p0.Y, z0), new Vec3(p1.X, p1.Y, z0), new Vec3(p1.X, p1.Y, z1), new Vec3(p0.X, p0.Y, z1),
                new Vec3(p1.Y - p0.Y, -(p1.X - p0.X), 0));
        }
    }
}
