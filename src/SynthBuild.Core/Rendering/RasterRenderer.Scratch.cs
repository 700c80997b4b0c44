using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Rendering;

public sealed partial class RasterRenderer
{
    private sealed partial class Scratch
    {
        public double[] Points = [];
        public double[] EnsurePoints(int count)
        {
            if (Points.Length < 6 * count) Points = new double[6 * count];
            return Points;
        }

        public CamVertex[] Vertices = [];
        public int[] Stamps = [];
        private int _stamp;
        public double[] ColA = [], RowB = [];
        public int[] HitX = [];
        public double[] HitZ = [];
        public double[] HitR = [], HitG = [], HitB = [];
        public readonly double[] SpecLut = new double[ShadeSink.SpecSteps + 2];
        public readonly ShadowMapper Shadows = new();
        public int[] Order = new int[16];
        public double[] OrderKey = new double[16];

        public void Prepare(CameraModel cam)
        {
            int w = cam.Width, h = cam.Height;
            // Grown, never shrunk: a supersampled sample alternates between two sizes. Stamps left from a render of
            // another size are harmless, as every object draws with a stamp never used before.
            if (Stamps.Length < w * h) { Stamps = new int[w * h]; _stamp = 0; }
            if (ColA.Length < w) { ColA = new double[w]; HitX = new int[w]; HitZ = new double[w]; HitR = new double[w]; HitG = new double[w]; HitB = new double[w]; }
            if (RowB.Length < h) RowB = new double[h];
            for (int x = 0; x < w; x++) ColA[x] = (x + 0.5 - cam.Cx) / cam.Fx;
            for (int y = 0; y < h; y++) RowB[y] = (y + 0.5 - cam.Cy) / cam.Fy;
            SetClipPlanes(cam);
        }

        public int NextStamp()
        {
            if (_stamp == int.MaxValue) { Array.Clear(Stamps); _stamp = 0; }
            return ++_stamp;
        }

        public CamVertex[] EnsureVertices(int n)
        {
            if (Vertices.Length < n) Vertices = new CamVertex[n];
            return Vertices;
        }

        public void EnsureOrder(int n)
        {
            if (Order.Length < n) { Order = new int[n]; OrderKey = new double[n]; }
        }
    }
}
