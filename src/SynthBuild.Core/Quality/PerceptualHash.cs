namespace SynthBuild.Core.Quality;

/// <summary>
/// A 256-bit difference hash (dHash): the image's luma box-averaged to 17×16, one bit per horizontally adjacent
/// pair ("is the left cell brighter?"). Robust to noise, re-encoding and small brightness shifts; two different
/// scenes differ in many bits.
/// </summary>
public readonly record struct PerceptualHash(ulong A, ulong B, ulong C, ulong D)
{
    public const int Bits = 256;
    private const int GridWidth = 17, GridHeight = 16;

    public static int Distance(PerceptualHash x, PerceptualHash y) =>
        System.Numerics.BitOperations.PopCount(x.A ^ y.A) + System.Numerics.BitOperations.PopCount(x.B ^ y.B) +
        System.Numerics.BitOperations.PopCount(x.C ^ y.C) + System.Numerics.BitOperations.PopCount(x.D ^ y.D);

    /// <param name="rgb">8-bit RGB, row-major.</param>
    public static PerceptualHash Of(ReadOnlySpan<byte> rgb, int width, int height)
    {
        Span<double> cells = stackalloc double[GridWidth * GridHeight];
        Span<int> counts = stackalloc int[GridWidth * GridHeight];
        cells.Clear();
        counts.Clear();
        for (int y = 0; y < height; y++)
        {
            int row = (int)((long)y * GridHeight / height) * GridWidth;
            ReadOnlySpan<byte> line = rgb.Slice(y * width * 3, width * 3);
            for (int x = 0; x < width; x++)
            {
                int cell = row + (int)((long)x * GridWidth / width);
                cells[cell] += 299 * line[3 * x] + 587 * line[3 * x + 1] + 114 * line[3 * x + 2];
                counts[cell]++;
            }
        }
        for (int i = 0; i < cells.Length; i++) cells[i] /= Math.Max(1, counts[i]);
        Span<ulong> words = stackalloc ulong[4];
        words.Clear();
        int bit = 0;
        for (int y = 0; y < GridHeight; y++)
            for (int x = 0; x < GridWidth - 1; x++, bit++)
                if (cells[y * GridWidth + x] > cells[y * GridWidth + x + 1]) words[bit >> 6] |= 1UL << (bit & 63);
        return new PerceptualHash(words[0], words[1], words[2], words[3]);
    }
}
