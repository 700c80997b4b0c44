namespace SynthBuild.Evaluation.Tests;

public class RleTests
{
    [Theory]
    [InlineData(new uint[] { 3, 2, 4 }, "324")]
    [InlineData(new uint[] { 3, 2, 4, 1 }, "324O")]       // 4th count is stored as 1 - 2 = -1 → 0x1f
    [InlineData(new uint[] { 16 }, "`0")]                 // 16 needs a continuation group (sign bit would be set)
    [InlineData(new uint[] { 0, 5, 20 }, "05d0")]         // 3rd count is not delta coded
    public void Compressed_string_matches_hand_encoding(uint[] counts, string expected)
    {
        ulong total = 0;
        foreach (var c in counts) total += c;
        var rle = new Rle((int)total, 1, counts);
        Assert.Equal(expected, rle.ToCompressedString());
        var back = Rle.FromCompressedString(expected, (int)total, 1, out var err);
        Assert.Null(err);
        Assert.Equal(counts, back!.Counts);
    }

    [Fact]
    public void Compressed_round_trip_on_random_masks()
    {
        var rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int h = rnd.Next(1, 40), w = rnd.Next(1, 40);
            var mask = new byte[h * w];
            double p = rnd.NextDouble();
            for (int i = 0; i < mask.Length; i++) mask[i] = rnd.NextDouble() < p ? (byte)1 : (byte)0;
            var rle = Rle.FromColumnMajorMask(mask, h, w);
            var s = rle.ToCompressedString();
            var back = Rle.FromCompressedString(s, h, w, out var err);
            Assert.Null(err);
            Assert.Equal(rle.Counts, back!.Counts);
            Assert.Equal(mask, back.ToColumnMajorMask());
        }
    }

    [Theory]
    [InlineData("32z", "invalid character")]
    [InlineData("3`", "inside a number")]
    [InlineData("32", "add up to 5")]
    public void Malformed_compressed_strings_are_rejected(string s, string fragment)
    {
        var rle = Rle.FromCompressedString(s, 3, 3, out var err);
        Assert.Null(rle);
        Assert.Contains(fragment, err);
    }

    [Fact]
    public void Integer_box_covers_exactly_its_pixels()
    {
        // Hand-traced rleFrPoly: corners (5,5)..(15,15) on the 5x grid; crossings at columns 1, 2, rows 1 and 3.
        var rle = Rle.FromBbox([1, 1, 2, 2], 5, 5);
        Assert.Equal(new uint[] { 6, 2, 3, 2, 12 }, rle.Counts);
        Assert.Equal(4u, rle.Area());
        Assert.Equal(new double[] { 1, 1, 2, 2 }, rle.ToBbox());
    }

    [Fact]
    public void Half_pixel_box_rounds_towards_the_lower_right()
    {
        // Corners 1.5 → (int)(7.5 + .5) = 8, 3.5 → 18 on the 5x grid; crossings land on columns 2, 3 and rows 2..3.
        var rle = Rle.FromPolygon([1.5, 1.5, 1.5, 3.5, 3.5, 3.5, 3.5, 1.5], 5, 5);
        Assert.Equal(new uint[] { 12, 2, 3, 2, 6 }, rle.Counts);
    }

    [Fact]
    public void Small_triangle_hand_traced()
    {
        // (0,0) (2,0) (0,2) → ×5: (0,0) (10,0) (0,10). Column crossings: bottom edge at columns 0, 1 (row 0);
        // hypotenuse at column 1 (row ceil(0) = 0) and column 0 (row ceil(1.0) = 1). Sorted positions 0,1,3,3,9
        // give runs 0,1,2,0,6 and the empty run merges: [0, 1, 8] — only pixel (0,0), whose centre is strictly inside.
        var rle = Rle.FromPolygon([0, 0, 2, 0, 0, 2], 3, 3);
        Assert.Equal(new uint[] { 0, 1, 8 }, rle.Counts);
    }

    [Fact]
    public void Degenerate_polygons_do_not_crash()
    {
        Assert.Equal(0u, Rle.FromPolygon([5, 5, 5, 5, 5, 5], 10, 10).Area());             // all vertices equal
        Assert.Equal(100ul, Rle.FromPolygon([1, 1, 1.01, 1, 6, 1, 6, 6, 1, 6], 10, 10).TotalLength()); // repeated vertex on the 5x grid
        Assert.Equal(new uint[] { 100 }, Rle.FromPolygon([], 10, 10).Counts);
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool Integer_boxes_rasterize_to_exactly_w_times_h_pixels(byte x, byte y, byte w, byte h)
    {
        int bx = x % 40, by = y % 40, bw = 1 + w % 30, bh = 1 + h % 30;
        var rle = Rle.FromBbox([bx, by, bw, bh], 80, 90);
        var bb = rle.ToBbox();
        return rle.Area() == (uint)(bw * bh) && bb[0] == bx && bb[1] == by && bb[2] == bw && bb[3] == bh
               && rle.TotalLength() == 80ul * 90ul;
    }

    [Fact]
    public void Polygon_equals_box_for_a_rectangle_and_area_is_close_to_shoelace()
    {
        var poly = Rle.FromPolygon([10, 20, 10, 50, 40, 50, 40, 20], 100, 80);
        var box = Rle.FromBbox([10, 20, 30, 30], 100, 80);
        Assert.Equal(box.Counts, poly.Counts);
        Assert.Equal(900u, poly.Area());

        // A big triangle: area within a perimeter's worth of pixels of the exact area.
        var tri = Rle.FromPolygon([5, 5, 95, 10, 40, 90], 100, 100);
        double exact = Math.Abs((95 - 5) * (90 - 5) - (40 - 5) * (10 - 5)) / 2.0;
        Assert.InRange(tri.Area(), exact - 250, exact + 250);
        Assert.Equal(tri.Area(), (uint)tri.ToColumnMajorMask().Count(b => b == 1));
    }

    [Fact]
    public void Polygon_outside_the_image_is_clipped()
    {
        var rle = Rle.FromBbox([-5, -5, 8, 8], 10, 10);
        Assert.Equal(9u, rle.Area()); // pixels 0..2 × 0..2
        Assert.Equal(100ul, rle.TotalLength());
    }

    [Fact]
    public void Merge_is_union()
    {
        var a = Rle.FromBbox([0, 0, 2, 2], 4, 4);
        var b = Rle.FromBbox([1, 1, 2, 2], 4, 4);
        var u = Rle.Merge([a, b]);
        Assert.Equal(7u, u.Area());
        Assert.Equal(1u, Rle.Merge([a, b], intersect: true).Area());
    }

    [Fact]
    public void Box_iou_hand_computed()
    {
        Assert.Equal(50.0 / 150.0, Rle.BoxIou([5, 0, 10, 10], [0, 0, 10, 10], crowd: false));
        Assert.Equal(0.5, Rle.BoxIou([5, 0, 10, 10], [0, 0, 10, 10], crowd: true)); // union = detection area
        Assert.Equal(0.0, Rle.BoxIou([10, 0, 10, 10], [0, 0, 10, 10], crowd: false)); // touching edges
    }

    [Fact]
    public void Mask_iou_hand_computed_with_crowd_and_size_mismatch()
    {
        var g = Rle.FromBbox([0, 0, 4, 4], 10, 10);
        var d = Rle.FromBbox([2, 0, 4, 4], 10, 10);
        Assert.Equal(8.0 / 24.0, Rle.MaskIou(d, d.ToBbox(), g, g.ToBbox(), false));
        Assert.Equal(8.0 / 16.0, Rle.MaskIou(d, d.ToBbox(), g, g.ToBbox(), true));
        var other = Rle.FromBbox([2, 0, 4, 4], 10, 12);
        Assert.Equal(-1.0, Rle.MaskIou(other, other.ToBbox(), g, g.ToBbox(), false));
    }

    [Fact]
    public void ToBbox_spans_full_height_when_a_run_crosses_columns()
    {
        // Foreground run from (x=0, y=3) through (x=1, y=1) in a 4-high image: pycocotools widens ys..ye to the full height.
        var rle = new Rle(4, 3, [3, 3, 6]);
        Assert.Equal(new double[] { 0, 0, 2, 4 }, rle.ToBbox());
    }
}
