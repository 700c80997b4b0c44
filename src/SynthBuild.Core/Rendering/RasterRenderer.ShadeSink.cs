using System.Runtime.CompilerServices;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Rendering;

public sealed partial class RasterRenderer
{
    internal struct ShadeSink : ICoverageSink
    {
        public float[] Depth;
        public ushort[] Ids;
        public byte[] Rgb;
        public int[] Stamps;
        public int Width;
        public double[] ColA, RowB;
        public int[] HitX; // per row run: the pixels that passed the depth test and their depth (scratch)
        public double[] HitZ;
        public double[] HitR, HitG, HitB; // per hit of the run: textured albedo (scratch)
        public double Lx, Ly, Lz;

        public ushort Id;
        public int Stamp; // 0 = do not track unoccluded coverage (table)
        public int Unoccluded;
        public PixelExtent Extent;
        public float DepthScale;
        public double AlbR, AlbG, AlbB, Amb, DifR, DifG, DifB, SpeR, SpeG, SpeB, SpecLo, SpecScale;
        public double[] SpecLut;

        // Point lights: 6 doubles each (camera-frame position, radiance at 1 m); Kd and F0·norm scale them per material.
        public int PointCount;
        public double[] Points;
        public double Kd, F0R, F0G, F0B;

        // Texture: the albedo mixes towards TexR/G/B by the pattern's value at the interpolated UV.
        public bool Textured;
        public TextureSampler Tex;
        public double TexR, TexG, TexB, UvScaleU, UvScaleV;
        public double Ku0, Ku1, Ku2, Kv0, Kv1, Kv2;

        // Shadow map lookup: camera point → (texel x, texel y, depth along the light) is an affine map.
        public float[]? ShadowMap;
        public byte[]? ShadowTiles; // which tiles of the map any caster covers
        public float[]? Normals;
        public ulong[]? Coverage; // the current object's unoccluded silhouette, when the target records it
        public int ShadowSize;
        public double S00, S01, S02, S03, S10, S11, S12, S13, S20, S21, S22, S23, ShadowTexel;

        public double Kz0, Kz1, Kz2;
        public bool Flat;
        public double Fx, Fy, Fz, FlatNdl, FlatShadowBias; // a flat triangle's normal, N·L and shadow bias
        public double N0x, N0y, N0z, N1x, N1y, N1z, N2x, N2y, N2z;

        public const int SpecSteps = 512;

        /// <summary>Depth bias of the shadow test, growing at grazing light where one texel spans more depth.</summary>
        public readonly double ShadowBias(double ndl) => ShadowTexel * Math.Min(1.5 + 1.5 / ndl, 12);

        public void SetFlatNormal(Vec3 n)
        {
            Flat = true;
            Fx = n.X; Fy = n.Y; Fz = n.Z;
            FlatNdl = Fx * Lx + Fy * Ly + Fz * Lz;
            FlatShadowBias = FlatNdl > 0 ? ShadowBias(FlatNdl) : 0;
        }

        /// <summary>Per-material constants; <paramref name="specLut"/> (SpecSteps + 2 entries) is reused scratch.</summary>
        /// <param name="specPeak">Largest radiance channel of any light (point lights at 1 m): sets the highlight cut-off.</param>
        public void SetMaterial(Material m, Vec3 radiance, double ambient, double specPeak, double[] specLut)
        {
            double metal = Math.Clamp(m.Metallic, 0, 1);
            Vec3 a = m.Albedo;
            AlbR = a.X; AlbG = a.Y; AlbB = a.Z; Amb = ambient;
            double kd = 1 - metal;
            Kd = kd;
            DifR = kd * radiance.X; DifG = kd * radiance.Y; DifB = kd * radiance.Z;
            Textured = m.Texture.Pattern != TexturePattern.None;
            Tex = new TextureSampler(m.Texture);
            TexR = m.Texture.Color.X; TexG = m.Texture.Color.Y; TexB = m.Texture.Color.Z;
            double rough = Math.Max(m.Roughness, 1e-3);
            double shin = Math.Clamp(2 / (rough * rough * rough * rough) - 2, 1, 2048);
            // (s + 8) / 8 keeps the highlight's energy roughly constant across roughness; without it shiny
            // metals (no diffuse) would render as nearly flat ambient.
            double norm = (shin + 8) / 8;
            F0R = (0.04 + (a.X - 0.04) * metal) * norm;
            F0G = (0.04 + (a.Y - 0.04) * metal) * norm;
            F0B = (0.04 + (a.Z - 0.04) * metal) * norm;
            SpeR = F0R * radiance.X;
            SpeG = F0G * radiance.Y;
            SpeB = F0B * radiance.Z;
            // Where (N·H)² < SpecLo the highlight adds < 1e-6 (invisible after 8-bit encoding). Above it,
            // (N·H)^s = ((N·H)²)^(s/2) comes from a table with linear interpolation (relative error ~1e-4): a
            // per-pixel pow would dominate the render time.
            double maxSpec = Math.Max(F0R, Math.Max(F0G, F0B)) * specPeak;
            SpecLo = maxSpec > 1e-6 ? ScalarMath.Exp(ScalarMath.Log(1e-6 / maxSpec) / (shin / 2)) : 2;
            if (SpecLo < 1)
            {
                SpecScale = SpecSteps / (1 - SpecLo);
                for (int k = 0; k < SpecSteps; k++) specLut[k] = ScalarMath.Pow(SpecLo + k / SpecScale, shin / 2);
                specLut[SpecSteps] = 1;
                specLut[SpecSteps + 1] = 1;
            }
            SpecLut = specLut;
        }

        /// <summary>
        /// Two passes over the run: the depth test and label buffers first, then shading of the pixels that passed.
        /// The first pass is a short loop, so the per-pixel divisions of neighbouring pixels overlap in the CPU
        /// instead of waiting on each other inside one long shading step.
        /// </summary>
        public void CoverRow(int y, int xStart, int xEnd, long w0, long w1, long w2, long dw0, long dw1, long dw2)
        {
            int row = y * Width, hits = 0;
            int[] hitX = HitX;
            double[] hitZ = HitZ;
            long e0 = w0, e1 = w1, e2 = w2;
            for (int x = xStart; x <= xEnd; x++, e0 += dw0, e1 += dw1, e2 += dw2)
            {
                int i = row + x;
                if (Stamp != 0 && Stamps[i] != Stamp)
                {
                    Stamps[i] = Stamp;
                    Unoccluded++;
                    Extent.Include(x, y);
                    if (Coverage is ulong[] cov) cov[i >> 6] |= 1UL << (i & 63);
                }
                double zc = 1.0 / (e0 * Kz0 + e1 * Kz1 + e2 * Kz2); // camera-frame depth (1/z interpolates linearly)
                float z = (float)zc;
                float zb = Depth[i];
                if (zb != 0 && z * DepthScale >= zb) continue;
                Depth[i] = z;
                Ids[i] = Id;
                hitX[hits] = x;
                hitZ[hits] = zc;
                hits++;
            }
            if (hits == 0) return;
            if (Textured)
            {
                // Texture lookups as a pass of their own: short loops keep several pixels in flight at once.
                for (int h = 0; h < hits; h++)
                {
                    long k = hitX[h] - xStart;
                    TextureAt(h, hitZ[h], w0 + k * dw0, w1 + k * dw1, w2 + k * dw2);
                }
            }
            for (int h = 0; h < hits; h++)
            {
                long k = hitX[h] - xStart;
                Shade(h, hitX[h], y, hitZ[h], w0 + k * dw0, w1 + k * dw1, w2 + k * dw2);
            }
        }

        /// <summary>Albedo of hit <paramref name="h"/> of the current run from the material's texture.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void TextureAt(int h, double zc, long w0, long w1, long w2)
        {
            double ar = AlbR, ag = AlbG, ab = AlbB;
            double tu = (w0 * Ku0 + w1 * Ku1 + w2 * Ku2) * zc, tv = (w0 * Kv0 + w1 * Kv1 + w2 * Kv2) * zc;
            if (Tex.Texture.Picture is ImageData picture)
            {
                Textures.SampleImage(picture, tu * Tex.Texture.Scale, tv * Tex.Texture.Scale, out ar, out ag, out ab);
            }
            else
            {
                double t = Tex.Sample(tu, tv);
                ar += (TexR - ar) * t; ag += (TexG - ag) * t; ab += (TexB - ab) * t;
            }
            HitR[h] = ar; HitG[h] = ag; HitB[h] = ab;
        }

        /// <summary>Colour of a visible pixel at camera depth <paramref name="zc"/> with edge functions w0..w2.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Shade(int h, int x, int y, double zc, long w0, long w1, long w2)
        {
            int i = y * Width + x;
            double nx, ny, nz, ndl;
            if (Flat)
            {
                nx = Fx; ny = Fy; nz = Fz; ndl = FlatNdl;
            }
            else
            {
                nx = w0 * N0x + w1 * N1x + w2 * N2x;
                ny = w0 * N0y + w1 * N1y + w2 * N2y;
                nz = w0 * N0z + w1 * N1z + w2 * N2z;
                double nl = Math.Sqrt(nx * nx + ny * ny + nz * nz);
                if (nl > 0) { nl = 1 / nl; nx *= nl; ny *= nl; nz *= nl; }
                ndl = nx * Lx + ny * Ly + nz * Lz;
            }

            if (Normals is float[] nb)
            {
                nb[i * 3] = (float)nx; nb[i * 3 + 1] = (float)ny; nb[i * 3 + 2] = (float)nz;
            }
            double ar = AlbR, ag = AlbG, ab = AlbB;
            if (Textured) { ar = HitR[h]; ag = HitG[h]; ab = HitB[h]; }
            double r = ar * Amb, g = ag * Amb, b = ab * Amb;
            if (ndl > 0 && ShadowMap is float[] map)
            {
                // Reconstruct the camera-frame point from the pixel ray and depth; compare with the light's nearest.
                double px = ColA[x] * zc, py = RowB[y] * zc;
                double sx = S00 * px + S01 * py + S02 * zc + S03, sy = S10 * px + S11 * py + S12 * zc + S13;
                if (sx >= 0 && sy >= 0 && sx < ShadowSize && sy < ShadowSize)
                {
                    // In range, so the CPU's conversion equals C#'s saturating cast. Tiles no caster covers hold
                    // nothing: the map itself (a likely cache miss) is read only where a shadow can be.
                    int tx = double.ConvertToIntegerNative<int>(sx), ty = double.ConvertToIntegerNative<int>(sy);
                    if (ShadowTiles![ShadowMapper.Tile(tx, ty)] != 0)
                    {
                        double sd = S20 * px + S21 * py + S22 * zc + S23;
                        double bias = Flat ? FlatShadowBias : ShadowBias(ndl);
                        if (sd - bias > map[ShadowMapper.Index(tx, ty)]) ndl = 0;
                    }
                }
            }
            if (ndl > 0)
            {
                r += ar * DifR * ndl; g += ag * DifG * ndl; b += ab * DifB * ndl;
                // Unnormalised view vector v = −(a, b, 1) towards the camera, |v| = vl. With h = l + v/|v|:
                // (n·h)² / |h|² = (vl·n·l + n·v)² / (2·vl·(vl + l·v)), so one sqrt and one division per pixel;
                // the table is indexed by (N·H)², i.e. holds t^(s/2).
                double va = ColA[x], vb = RowB[y];
                double vl = Math.Sqrt(va * va + vb * vb + 1);
                double num = ndl * vl - (nx * va + ny * vb + nz);
                double den = 2 * vl * (vl - (Lx * va + Ly * vb + Lz));
                // Most pixels are far from the highlight: compare before dividing (den > 0, so the test is the same).
                if (num > 0 && den > 0 && num * num > SpecLo * den)
                {
                    double sp = Highlight(num * num / den) * ndl;
                    r += SpeR * sp; g += SpeG * sp; b += SpeB * sp;
                }
            }
            // Passed and returned by value: a ref would pin r, g and b to memory for the whole of this method.
            if (PointCount > 0) (r, g, b) = AddPointLights(x, y, zc, nx, ny, nz, ar, ag, ab, r, g, b);
            int o = i * 3;
            Rgb[o] = Srgb.Encode(r);
            Rgb[o + 1] = Srgb.Encode(g);
            Rgb[o + 2] = Srgb.Encode(b);
        }

        /// <summary>
        /// Diffuse and Blinn–Phong specular from each point light at the camera-frame point of pixel (x, y) at depth
        /// zc, with inverse-square falloff. Point lights cast no shadows. Kept out of <see cref="Shade"/> so scenes
        /// without point lights pay one branch.
        /// </summary>
        private readonly (double R, double G, double B) AddPointLights(int x, int y, double zc, double nx, double ny, double nz,
            double ar, double ag, double ab, double r, double g, double b)
        {
            double px = ColA[x] * zc, py = RowB[y] * zc, pz = zc;
            double pl = Math.Sqrt(px * px + py * py + pz * pz);
            double vx = -px / pl, vy = -py / pl, vz = -pz / pl; // towards the camera
            for (int j = 0; j < PointCount; j++)
            {
                int k = 6 * j;
                double lx = Points[k] - px, ly = Points[k + 1] - py, lz = Points[k + 2] - pz;
                double d2 = lx * lx + ly * ly + lz * lz;
                double d = Math.Sqrt(d2);
                lx /= d; ly /= d; lz /= d;
                double ndl = nx * lx + ny * ly + nz * lz;
                if (ndl <= 0) continue;
                double e = ndl / d2;
                double er = Points[k + 3] * e, eg = Points[k + 4] * e, eb = Points[k + 5] * e;
                r += ar * Kd * er; g += ag * Kd * eg; b += ab * Kd * eb;
                double hx = lx + vx, hy = ly + vy, hz = lz + vz;
                double ndh = nx * hx + ny * hy + nz * hz, hh = hx * hx + hy * hy + hz * hz;
                if (ndh <= 0 || hh <= 0) continue;
                double ndh2 = ndh * ndh / hh;
                if (ndh2 <= SpecLo) continue;
                double sp = Highlight(ndh2);
                r += F0R * er * sp; g += F0G * eg * sp; b += F0B * eb * sp;
            }
            return (r, g, b);
        }

        /// <summary>(N·H)^s from the table, for (N·H)² = <paramref name="ndh2"/> above <see cref="SpecLo"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly double Highlight(double ndh2)
        {
            double f = (ndh2 - SpecLo) * SpecScale; // > 0, so in range for the CPU's own conversion below
            int k = SpecSteps;
            if (f < SpecSteps) k = double.ConvertToIntegerNative<int>(f); else f = k; // (N·H)² may round above 1
            double lo = SpecLut[k];
            return lo + (SpecLut[k + 1] - lo) * (f - k);
        }
    }
}
