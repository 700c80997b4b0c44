namespace SynthBuild.Core.Labels;

/// <summary>
/// A 256-bit difference hash (dHash): the image's luma box-averaged to 17×16, one bit per horizontally adjacent
/// pair ("is the left cell brighter?"). Robust to noise, re-encoding and small brightness shifts; two different
/// scenes differ in many bits.
/// </summary>
public readonly record struct PerceptualHash(ulong A, ulong B, ulong C, ulong D)
{
    public const int Bits = 256;
    internal const int GridWidth = 17, GridHeight = 16, Cells = GridWidth * GridHeight;

    public static int Distance(PerceptualHash x, PerceptualHash y) =>
        System.Numerics.BitOperations.PopCount(x.A ^ y.A) + System.Numerics.BitOperations.PopCount(x.B ^ y.B) +
        System.Numerics.BitOperations.PopCount(x.C ^ y.C) + System.Numerics.BitOperations.PopCount(x.D ^ y.D);

    /// <param name="rgb">8-bit RGB, row-major.</param>
    public static PerceptualHash Of(ReadOnlySpan<byte> rgb, int width, int height)
    {
        Span<long> sums = stackalloc long[Cells];
        Span<int> counts = stackalloc int[Cells];
        sums.Clear();
        counts.Clear();
        for (int y = 0; y < height; y++)
        {
            int row = CellRow(y, height);
            ReadOnlySpan<byte> line = rgb.Slice(y * width * 3, width * 3);
            for (int x = 0; x < width; x++)
            {
                int cell = row + CellColumn(x, width);
                sums[cell] += 299 * line[3 * x] + 587 * line[3 * x + 1] + 114 * line[3 * x + 2];
                counts[cell]++;
            }
        }
        return FromCells(sums, counts);
    }

    /// <summary>First cell of the grid row that image row <paramref name="y"/> falls in.</summary>
    internal static int CellRow(int y, int height) => (int)((long)y * GridHeight / height) * GridWidth;

    internal static int CellColumn(int x, int width) => (int)((long)x * GridWidth / width);

    /// <param name="sums">Per cell, the sum of 299·R + 587·G + 114·B over its pixels.</param>
    internal static PerceptualHash FromCells(ReadOnlySpan<long> sums, ReadOnlySpan<int> counts)
    {
        Span<double> cells = stackalloc double[Cells];
        for (int i = 0; i < Cells; i++) cells[i] = (double)sums[i] / Math.Max(1, counts[i]);
        Span<ulong> words = stackalloc ulong[4];
        words.Clear();
        int bit = 0;
        for (int y = 0; y < GridHeight; y++)
            for (int x = 0; x < GridWidth - 1; x++, bit++)
                if (cells[y * GridWidth + x] > cells[y * GridWidth + x + 1]) words[bit >> 6] |= 1UL << (bit & 63);
        return new PerceptualHash(words[0], words[1], words[2], words[3]);
    }

    /// <summary>64 hex digits, A first.</summary>
    public string ToHex() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{A:x16}{B:x16}{C:x16}{D:x16}");

    public static bool TryParse(string? hex, out PerceptualHash hash)
    {
        hash = default;
        if (hex is not { Length: 64 }) return false;
        var words = new ulong[4];
        for (int i = 0; i < 4; i++)
            if (!ulong.TryParse(hex.AsSpan(16 * i, 16), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out words[i]))
                return false;
        hash = new PerceptualHash(words[0], words[1], words[2], words[3]);
        return true;
    }
}
