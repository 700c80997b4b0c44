using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Config;

internal sealed partial class ConfigBinder
{
    private LightingSpec BindLighting(ConfigNode? lighting) => new(
        RangeOf(lighting, "intensity", DatasetSpec.Defaults.LightIntensity),
        lighting?.Dbl("colorVariation") ?? DatasetSpec.Defaults.LightColorVariation,
        RangeOf(lighting, "ambient", DatasetSpec.Defaults.Ambient),
        RangeOf(lighting, "elevation", DatasetSpec.Defaults.LightElevation),
        lighting?.Bool("shadows") ?? true,
        lighting?.Object("colorTemperature") is not null ? RangeOf(lighting, "colorTemperature", default) : null,
        BindPointLights(lighting?.Object("pointLights")));

    private PointLightSpec? BindPointLights(ConfigNode? p)
    {
        if (p is not { } lights) return null;
        var d = PointLightSpec.None;
        Vec3 min = d.PositionMin, max = d.PositionMax;
        if (lights.Object("position") is { } pos)
        {
            min = pos.Vec("min")!.Value;
            max = pos.Vec("max")!.Value;
            if (min.X > max.X || min.Y > max.Y || min.Z > max.Z)
                Error(SynCodes.ConfigContradictory, pos["min"]!.Value, "lighting.pointLights.position: min must be ≤ max on every axis.", atKey: true);
            if (min.Z <= 0)
                Error(SynCodes.ConfigContradictory, pos["min"]!.Value, "lighting.pointLights.position: lights must be above the table (min z > 0).", atKey: true);
        }
        return new PointLightSpec(IntRangeOf(lights, "count", new IntRange(1, 1)), RangeOf(lights, "intensity", d.Intensity), min, max);
    }
}
