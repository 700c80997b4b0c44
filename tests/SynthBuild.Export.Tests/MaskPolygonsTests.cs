using SynthBuild.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using SynthBuild.Evaluation;

namespace SynthBuild.Export.Tests;

/// <summary>Traced polygons rasterized as pycocotools does (Rle.FromPolygon, union over polygons) give back the mask.</summary>
public class MaskPolygonsTests
{
    private static byte[] Rasterize(IEnumerable<int[]> polygons, int w, int h)
    {
        var rles = polygons.Select(p => Rle.FromPolygon(p.Select(v => (double)v).ToArray(), h, w)).ToList();
        var colMajor = Rle.Merge(rles).ToColumnMajorMask();
        var rowMajor = new byte[w * h];
        for (int x = 0; x < w; x++)
            for (int y = 0; y < h; y++) rowMajor[y * w + x] = colMajor[x * h + y];
        return rowMajor;
    }

    private static byte[] Parse(string[] rows) =>
        rows.SelectMany(r => r.Select(c => c == '#' ? (byte)1 : (byte)0)).ToArray();

    [Fact]
    public void A_ring_with_a_hole_and_an_island_in_it_is_exact()
    {
        string[] rows =
        [
            "#########.",
            "#.......#.",
            "#..###..#.",
            "#..#.#..#.",
            "#..###..#.",
            "#.......#.",
            "#########.",
            "..........",
            "##......##",
        ];
        var mask = Parse(rows);
        int w = rows[0].Length, h = rows.Length;
        var polys = MaskPolygons.Polygons(mask, w, h);
        Assert.Equal(4, polys.Count); // frame (+hole), island (+hole), two bottom pieces
        Assert.Equal(mask, Rasterize(polys, w, h));
        Assert.Equal(mask, Rasterize([MaskPolygons.SinglePolygon(mask, w, h)], w, h));
    }

    [Fact]
    public void Diagonal_neighbours_and_holes_touching_the_outside_at_a_corner_are_exact()
    {
        string[] rows =
        [
            "#.#.",
            ".#.#",
            "#.#.",
            "###.",
        ];
        var mask = Parse(rows);
        var polys = MaskPolygons.Polygons(mask, 4, 4);
        Assert.Single(polys); // 8-connected: one part
        Assert.Equal(mask, Rasterize(polys, 4, 4));
    }

    [Fact]
    public void Offsets_move_the_polygons()
    {
        var polys = MaskPolygons.Polygons([1], 1, 1, offsetX: 5, offsetY: 7);
        Assert.Equal([5, 7, 6, 7, 6, 8, 5, 8], Assert.Single(polys));
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Random_masks_round_trip_exactly_through_pycocotools_rasterization()
    {
        var gen = from w in Gen.Choose(1, 14)
                  from h in Gen.Choose(1, 14)
                  from density in Gen.Choose(20, 80)
                  from bits in Gen.ArrayOf(Gen.Choose(0, 99), w * h)
                  select (w, h, bits.Select(b => b < density ? (byte)1 : (byte)0).ToArray());
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (w, h, mask) = t;
            var polys = MaskPolygons.Polygons(mask, w, h);
            bool any = mask.Any(b => b != 0);
            if (!any) return polys.Count == 0;
            return Rasterize(polys, w, h).AsSpan().SequenceEqual(mask)
                && Rasterize([MaskPolygons.SinglePolygon(mask, w, h)], w, h).AsSpan().SequenceEqual(mask);
        });
    }
}

/// <summary>The same round trip, rasterized by the Python re-implementation of pycocotools in interop/.</summary>
public class MaskPolygonsInteropTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Independent_rasterizer_gives_back_masks_with_holes_and_parts_exactly()
    {
        var cases = new List<object>();
        for (int k = 0; k < 300; k++)
        {
            var rng = SynthBuild.Core.Randomness.RandomStream.For(11, k, "polygon-case");
            int w = 3 + (int)(rng.NextDouble() * 20), h = 3 + (int)(rng.NextDouble() * 20);
            double density = 0.3 + 0.5 * rng.NextDouble();
            var mask = new byte[w * h];
            for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < density ? (byte)1 : (byte)0;
            if (k % 3 == 0) // a frame with a hole and an island, placed at random, on top of the noise
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        mask[y * w + x] = (byte)(x == 0 || y == 0 || x == w - 1 || y == h - 1 || (x == w / 2 && y == h / 2) ? 1 : x == 1 || y == 1 || x == w - 2 || y == h - 2 ? 0 : mask[y * w + x]);
            cases.Add(new
            {
                width = w,
                height = h,
                mask = Enumerable.Range(0, h).Select(y => string.Concat(mask.Skip(y * w).Take(w).Select(b => b == 1 ? '1' : '0'))).ToArray(),
                polygons = MaskPolygons.Polygons(mask, w, h),
                single = MaskPolygons.SinglePolygon(mask, w, h),
            });
        }
        string file = Path.Combine(SmallDataset.TempDir(), "cases.json");
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(cases));

        var psi = new System.Diagnostics.ProcessStartInfo(InteropChecker.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "interop", "check_polygons.py"));
        psi.Environment["POLYGON_CASES"] = file;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        output.WriteLine(stdout);
        Assert.True(p.ExitCode == 0, stdout + err.Result);
        Assert.EndsWith("OK", stdout.TrimEnd());
        Assert.DoesNotContain("with holes: 0,", stdout);
    }
}
