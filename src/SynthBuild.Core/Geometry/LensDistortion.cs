namespace SynthBuild.Core.Geometry;

/// <summary>
/// Brown–Conrady lens distortion in OpenCV's order and convention, on normalized image coordinates (x, y) = (X/Z, Y/Z):
/// x_d = x·(1 + k1 r² + k2 r⁴ + k3 r⁶) + 2 p1 x y + p2 (r² + 2 x²), y_d likewise with p1 and p2 swapped.
/// </summary>
public readonly record struct LensDistortion(double K1, double K2, double P1, double P2, double K3)
{
    public bool IsZero => K1 == 0 && K2 == 0 && P1 == 0 && P2 == 0 && K3 == 0;

    public double[] ToArray() => [K1, K2, P1, P2, K3];

    public (double X, double Y) Distort(double x, double y)
    {
        double r2 = x * x + y * y;
        double radial = 1 + r2 * (K1 + r2 * (K2 + r2 * K3));
        return (x * radial + 2 * P1 * x * y + P2 * (r2 + 2 * x * x), y * radial + P1 * (r2 + 2 * y * y) + 2 * P2 * x * y);
    }

    /// <summary>Inverse of <see cref="Distort"/> by fixed-point iteration (as OpenCV's undistortPoints), 20 steps.</summary>
    public (double X, double Y) Undistort(double xd, double yd)
    {
        double x = xd, y = yd;
        for (int it = 0; it < 20; it++)
        {
            double r2 = x * x + y * y;
            double radial = 1 + r2 * (K1 + r2 * (K2 + r2 * K3));
            double dx = 2 * P1 * x * y + P2 * (r2 + 2 * x * x), dy = P1 * (r2 + 2 * y * y) + 2 * P2 * x * y;
            x = (xd - dx) / radial;
            y = (yd - dy) / radial;
        }
        return (x, y);
    }

    /// <summary>Camera-frame point → distorted pixel coordinates.</summary>
    public (double U, double V) Project(double fx, double fy, double cx, double cy, Vec3 pc)
    {
        var (x, y) = Distort(pc.X / pc.Z, pc.Y / pc.Z);
        return (fx * x + cx, fy * y + cy);
    }
}
