namespace SynthBuild.Core.Geometry;

// Geometry is in double precision with plain scalar arithmetic on purpose: System.Numerics types may take
// SIMD paths (e.g. dot products) whose rounding differs from the scalar fallback, and outputs must be
// byte-identical with DOTNET_EnableHWIntrinsic=0.

/// <summary>A 3-vector in metres (or a direction).</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static readonly Vec3 Zero = new(0, 0, 0);
    public static readonly Vec3 UnitZ = new(0, 0, 1);

    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);
    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);
    public static Vec3 operator *(double s, Vec3 a) => new(a.X * s, a.Y * s, a.Z * s);
    public static Vec3 operator /(Vec3 a, double s) => new(a.X / s, a.Y / s, a.Z / s);

    public static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    public static Vec3 Cross(Vec3 a, Vec3 b) =>
        new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);
    public double Length => Math.Sqrt(X * X + Y * Y + Z * Z);
    public Vec3 Normalized() { double l = Length; return l > 0 ? this / l : this; }
    public double[] ToArray() => [X, Y, Z];
}

/// <summary>Row-major 3×3 matrix (rotations).</summary>
public readonly record struct Mat3(
    double M00, double M01, double M02,
    double M10, double M11, double M12,
    double M20, double M21, double M22)
{
    public static readonly Mat3 Identity = new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    public static Vec3 operator *(Mat3 m, Vec3 v) => new(
        m.M00 * v.X + m.M01 * v.Y + m.M02 * v.Z,
        m.M10 * v.X + m.M11 * v.Y + m.M12 * v.Z,
        m.M20 * v.X + m.M21 * v.Y + m.M22 * v.Z);

    public static Mat3 operator *(Mat3 a, Mat3 b) => new(
        a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20, a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21, a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20, a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21, a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20, a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21, a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);

    public Mat3 Transposed() => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    public static Mat3 FromRows(Vec3 r0, Vec3 r1, Vec3 r2) =>
        new(r0.X, r0.Y, r0.Z, r1.X, r1.Y, r1.Z, r2.X, r2.Y, r2.Z);

    public static Mat3 RotationZ(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        return new(c, -s, 0, s, c, 0, 0, 0, 1);
    }

    public static Mat3 RotationX(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        return new(1, 0, 0, 0, c, -s, 0, s, c);
    }

    /// <summary>Rotation by |v| radians about v (Rodrigues).</summary>
    public static Mat3 FromAxisAngle(Vec3 v)
    {
        double angle = v.Length;
        if (angle < 1e-15) return Identity;
        Vec3 k = v / angle;
        double c = Math.Cos(angle), s = Math.Sin(angle), t = 1 - c;
        return new(
            t * k.X * k.X + c, t * k.X * k.Y - s * k.Z, t * k.X * k.Z + s * k.Y,
            t * k.X * k.Y + s * k.Z, t * k.Y * k.Y + c, t * k.Y * k.Z - s * k.X,
            t * k.X * k.Z - s * k.Y, t * k.Y * k.Z + s * k.X, t * k.Z * k.Z + c);
    }

    public double[][] ToRows() => [[M00, M01, M02], [M10, M11, M12], [M20, M21, M22]];

    /// <summary>Unit quaternion (w, x, y, z) with w ≥ 0.</summary>
    public Quaternion ToQuaternion()
    {
        double w, x, y, z;
        double trace = M00 + M11 + M22;
        if (trace > 0)
        {
            double s = Math.Sqrt(trace + 1.0) * 2;
            w = 0.25 * s; x = (M21 - M12) / s; y = (M02 - M20) / s; z = (M10 - M01) / s;
        }
        else if (M00 > M11 && M00 > M22)
        {
            double s = Math.Sqrt(1.0 + M00 - M11 - M22) * 2;
            w = (M21 - M12) / s; x = 0.25 * s; y = (M01 + M10) / s; z = (M02 + M20) / s;
        }
        else if (M11 > M22)
        {
            double s = Math.Sqrt(1.0 + M11 - M00 - M22) * 2;
            w = (M02 - M20) / s; x = (M01 + M10) / s; y = 0.25 * s; z = (M12 + M21) / s;
        }
        else
        {
            double s = Math.Sqrt(1.0 + M22 - M00 - M11) * 2;
            w = (M10 - M01) / s; x = (M02 + M20) / s; y = (M12 + M21) / s; z = 0.25 * s;
        }
        return w < 0 ? new Quaternion(-w, -x, -y, -z) : new Quaternion(w, x, y, z);
    }
}

/// <summary>Unit quaternion, scalar first.</summary>
public readonly record struct Quaternion(double W, double X, double Y, double Z)
{
    public double[] ToArray() => [W, X, Y, Z];

    /// <summary>The rotation matrix of this unit quaternion (inverse of <see cref="Mat3.ToQuaternion"/>).</summary>
    public Mat3 ToMatrix() => new(
        1 - 2 * (Y * Y + Z * Z), 2 * (X * Y - W * Z), 2 * (X * Z + W * Y),
        2 * (X * Y + W * Z), 1 - 2 * (X * X + Z * Z), 2 * (Y * Z - W * X),
        2 * (X * Z - W * Y), 2 * (Y * Z + W * X), 1 - 2 * (X * X + Y * Y));
}

/// <summary>The object-frame box every <see cref="SceneObject"/> has (origin at its centre, full extents dims).</summary>
public static class ObjectBox
{
    /// <summary>Corner i (bit 0: +x, bit 1: +y, bit 2: +z); i = 8 is the centre.</summary>
    public static Vec3 Corner(Vec3 dims, int i) => i == 8 ? Vec3.Zero
        : new Vec3(((i & 1) == 0 ? -0.5 : 0.5) * dims.X, ((i & 2) == 0 ? -0.5 : 0.5) * dims.Y, ((i & 4) == 0 ? -0.5 : 0.5) * dims.Z);
}

/// <summary>A rigid transform p' = R p + T.</summary>
public readonly record struct RigidTransform(Mat3 Rotation, Vec3 Translation)
{
    public static readonly RigidTransform Identity = new(Mat3.Identity, Vec3.Zero);
    public Vec3 Apply(Vec3 p) => Rotation * p + Translation;
    public Vec3 ApplyToDirection(Vec3 d) => Rotation * d;
    public RigidTransform Inverse()
    {
        Mat3 rt = Rotation.Transposed();
        return new(rt, -(rt * Translation));
    }
    /// <summary>this ∘ other: first other, then this.</summary>
    public RigidTransform Compose(RigidTransform other) =>
        new(Rotation * other.Rotation, Rotation * other.Translation + Translation);
}
