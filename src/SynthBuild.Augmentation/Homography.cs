namespace SynthBuild.Augmentation;

/// <summary>
/// A 3×3 projective map of pixel coordinates, row-major, dst = H · src. Geometric transforms build it in OpenCV's
/// pixel convention (pixel centres at integers); <see cref="ToCentreHalf"/> converts it to the project's
/// convention (pixel centres at integer + 0.5) for the annotations.
/// </summary>
public readonly record struct Homography(double M00, double M01, double M02, double M10, double M11, double M12, double M20, double M21, double M22)
{
    public static Homography Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    public static Homography Affine(double a, double b, double c, double d, double e, double f) => new(a, b, c, d, e, f, 0, 0, 1);

    public static Homography Translation(double tx, double ty) => Affine(1, 0, tx, 0, 1, ty);

    /// <summary>This map applied after <paramref name="first"/>.</summary>
    public Homography After(Homography first)
    {
        Homography a = this, b = first;
        return new(
            a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20, a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21, a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
            a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20, a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21, a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
            a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20, a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21, a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);
    }

    public (double X, double Y) Apply(double x, double y)
    {
        double w = M20 * x + M21 * y + M22;
        return ((M00 * x + M01 * y + M02) / w, (M10 * x + M11 * y + M12) / w);
    }

    /// <summary>Local area scale |det J| at (x, y): how much a small region around that point grows.</summary>
    public double AreaScaleAt(double x, double y)
    {
        double w = M20 * x + M21 * y + M22;
        double u = M00 * x + M01 * y + M02, v = M10 * x + M11 * y + M12;
        // J = (A w - [u v]^T [M20 M21]) / w²
        double j00 = (M00 * w - u * M20) / (w * w), j01 = (M01 * w - u * M21) / (w * w);
        double j10 = (M10 * w - v * M20) / (w * w), j11 = (M11 * w - v * M21) / (w * w);
        return Math.Abs(j00 * j11 - j01 * j10);
    }

    public Homography ToCentreHalf() => Translation(0.5, 0.5).After(this).After(Translation(-0.5, -0.5));

    /// <summary>No projective part.</summary>
    public bool IsAffine => M20 == 0 && M21 == 0 && M22 == 1;

    /// <summary>Affine with no rotation or shear: flips, scales, shifts (a pinhole K stays a pinhole K).</summary>
    public bool IsAxisAligned => IsAffine && M01 == 0 && M10 == 0;

    public Homography Inverse()
    {
        double c00 = M11 * M22 - M12 * M21, c01 = M02 * M21 - M01 * M22, c02 = M01 * M12 - M02 * M11;
        double c10 = M12 * M20 - M10 * M22, c11 = M00 * M22 - M02 * M20, c12 = M02 * M10 - M00 * M12;
        double c20 = M10 * M21 - M11 * M20, c21 = M01 * M20 - M00 * M21, c22 = M00 * M11 - M01 * M10;
        double det = M00 * c00 + M01 * c10 + M02 * c20;
        return new(c00 / det, c01 / det, c02 / det, c10 / det, c11 / det, c12 / det, c20 / det, c21 / det, c22 / det);
    }

    public double[] ToArray() => [M00, M01, M02, M10, M11, M12, M20, M21, M22];

    public double[] AffineRows() => [M00, M01, M02, M10, M11, M12];
}
