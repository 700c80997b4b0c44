using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Config;

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

    [Fact]
    public void A_reused_shadow_map_equals_a_fresh_one_and_marks_exactly_the_covered_tiles()
    {
        // Builds clear only the tiles the previous build used; nothing of the first scene may survive into the second.
        var cam = Camera(new Vec3(0, -0.8, 0.8), new Vec3(0, 0, 0));
        var light = new Lighting(new Vec3(0.4, -0.3, 1).Normalized(), new Vec3(1, 1, 1), 800, 0.2, Shadows: true);
        SceneDescription Scene(params SceneObject[] objects) => MakeScene(cam, Table(), objects) with { Light = light };
        var first = Scene(Object(1, ShapeKind.Box, new Vec3(0.3, 0.1, 0.2), new Vec3(0.2, 0.1, 0.1)),
                          Object(2, ShapeKind.Sphere, new Vec3(0.2, 0.2, 0.2), new Vec3(-0.3, 0, 0.1)));
        var second = Scene(Object(1, ShapeKind.Cylinder, new Vec3(0.1, 0.1, 0.25), new Vec3(0, -0.1, 0.125)));

        var reused = new ShadowMapper();
        reused.Build(first, cam);
        reused.Build(second, cam);
        var fresh = new ShadowMapper();
        fresh.Build(second, cam);

        Assert.Equal(fresh.Map, reused.Map);
        Assert.Equal(fresh.TileUsed, reused.TileUsed);
        int tiles = ShadowMapper.Size / 8;
        for (int t = 0; t < tiles * tiles; t++)
        {
            bool anyDepth = fresh.Map.AsSpan(t * 64, 64).ContainsAnyExcept(float.MaxValue);
            Assert.True(anyDepth == (fresh.TileUsed[t] != 0), $"tile {t}: depth {anyDepth}, marked {fresh.TileUsed[t]}");
        }
        Assert.Contains(fresh.TileUsed, b => b != 0);
    }
}
