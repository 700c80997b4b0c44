using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Tests.Rendering;

public class TextureSamplerTests
{
    /// <summary>
    /// The sampler keeps the last lattice cell of each noise octave; walking it across an image in scan order (as
    /// the renderer does), and backwards, must give exactly a fresh evaluation's value at every point.
    /// </summary>
    [Theory]
    [InlineData(TexturePattern.Checker)]
    [InlineData(TexturePattern.Stripes)]
    [InlineData(TexturePattern.Noise)]
    [InlineData(TexturePattern.Wood)]
    public void Cached_lattice_cells_give_the_values_of_a_fresh_evaluation(TexturePattern pattern)
    {
        var texture = new Texture(pattern, new Vec3(0.2, 0.3, 0.4), 37, Seed: 12345);
        var sampler = new TextureSampler(texture);
        int distinct = 0;
        double previous = double.NaN;
        for (int pass = 0; pass < 2; pass++)
            for (int y = 0; y < 60; y++)
                for (int k = 0; k < 80; k++)
                {
                    int x = pass == 0 ? k : 79 - k;
                    double u = -0.4 + x * 0.0117, v = 0.25 - y * 0.0093;
                    double value = sampler.Sample(u, v);
                    Assert.Equal(Textures.Evaluate(texture, u, v), value);
                    if (value != previous) distinct++;
                    previous = value;
                }
        Assert.True(distinct > 100, $"only {distinct} changes: the walk did not cross the pattern");
    }

    [Fact]
    public void Shadow_map_tiling_stores_every_texel_in_its_own_slot()
    {
        var seen = new bool[ShadowMapper.Size * ShadowMapper.Size];
        for (int y = 0; y < ShadowMapper.Size; y++)
            for (int x = 0; x < ShadowMapper.Size; x++)
            {
                int i = ShadowMapper.Index(x, y);
                Assert.False(seen[i], $"texel ({x}, {y}) shares slot {i}");
                seen[i] = true;
            }
    }
}
