using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Rendering;

public sealed partial class RasterRenderer
{
    // Triangles are clipped to the image plus this margin so fixed-point coordinates stay small; the clip
    // edges lie outside the image, so they never change which pixels are covered.
    private const double GuardBandPixels = 1024;

    private struct ClipVertex
    {
        public Vec3 P, N;
        public double U, V;
    }

    private sealed partial class Scratch
    {
        private ClipVertex[] _a = new ClipVertex[16], _b = new ClipVertex[16];
        public ClipVertex[] ClipResult = [];
        // Plane i: Pa·x + Pb·y + Pc·z + Pd ≥ 0 is inside. 0 near, 1..4 guard band left/right/top/bottom.
        private readonly double[] _pa = new double[5], _pb = new double[5], _pc = new double[5], _pd = new double[5];

        /// <summary>Near plane and guard band of <paramref name="cam"/>.</summary>
        private void SetClipPlanes(CameraModel cam)
        {
            int w = cam.Width, h = cam.Height;
            double g = GuardBandPixels;
            SetPlane(0, 0, 0, 1, -NearPlane);
            SetPlane(1, cam.Fx, 0, cam.Cx + g, 0);
            SetPlane(2, -cam.Fx, 0, w + g - cam.Cx, 0);
            SetPlane(3, 0, cam.Fy, cam.Cy + g, 0);
            SetPlane(4, 0, -cam.Fy, h + g - cam.Cy, 0);
        }

        private void SetPlane(int i, double a, double b, double c, double d)
        {
            _pa[i] = a; _pb[i] = b; _pc[i] = c; _pd[i] = d;
        }

        private double Dist(int i, Vec3 p) => _pa[i] * p.X + _pb[i] * p.Y + _pc[i] * p.Z + _pd[i];

        public int OutCode(Vec3 p)
        {
            int code = 0;
            for (int i = 0; i < 5; i++)
                if (Dist(i, p) < 0) code |= 1 << i;
            return code;
        }

        /// <summary>Sutherland–Hodgman against the planes the triangle crosses; result in <see cref="ClipResult"/>.</summary>
        public int Clip(in CamVertex a, in CamVertex b, in CamVertex c)
        {
            ClipVertex[] src = _a, dst = _b;
            src[0] = new ClipVertex { P = a.P, N = a.N, U = a.U, V = a.V };
            src[1] = new ClipVertex { P = b.P, N = b.N, U = b.U, V = b.V };
            src[2] = new ClipVertex { P = c.P, N = c.N, U = c.U, V = c.V };
            int count = 3;
            int planes = a.Out | b.Out | c.Out;
            for (int i = 0; i < 5 && count >= 3; i++)
            {
                if ((planes & (1 << i)) == 0) continue;
                int m = 0;
                for (int j = 0; j < count; j++)
                {
                    ref ClipVertex cur = ref src[j];
                    ref ClipVertex nxt = ref src[j + 1 == count ? 0 : j + 1];
                    double dc = Dist(i, cur.P), dn = Dist(i, nxt.P);
                    bool cin = dc >= 0, nin = dn >= 0;
                    if (cin) dst[m++] = cur;
                    if (cin != nin)
                    {
                        // Always interpolate from the inside vertex so a shared edge gives the same point in
                        // both triangles.
                        dst[m++] = cin ? Lerp(cur, nxt, dc / (dc - dn)) : Lerp(nxt, cur, dn / (dn - dc));
                    }
                }
                (src, dst) = (dst, src);
                count = m;
            }
            ClipResult = src;
            return count;
        }

        private static ClipVertex Lerp(in ClipVertex a, in ClipVertex b, double t) => new()
        {
            P = a.P + (b.P - a.P) * t,
            N = a.N + (b.N - a.N) * t,
            U = a.U + (b.U - a.U) * t,
            V = a.V + (b.V - a.V) * t,
        };
    }
}
