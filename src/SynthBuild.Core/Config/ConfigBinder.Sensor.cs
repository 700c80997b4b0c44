namespace SynthBuild.Core.Config;

internal sealed partial class ConfigBinder
{
    private static SensorSpec BindSensor(ConfigNode? sensor) => new(
        sensor?.Dbl("gaussianNoiseStd") ?? DatasetSpec.Defaults.GaussianNoiseStd,
        sensor?.Dbl("depthDropout") ?? DatasetSpec.Defaults.DepthDropout,
        sensor?.Dbl("deadPixels") ?? DatasetSpec.Defaults.DeadPixels,
        sensor?.Dbl("depthNoise") ?? DatasetSpec.Defaults.DepthNoise,
        sensor?.Dbl("depthQuantization") ?? DatasetSpec.Defaults.DepthQuantization,
        sensor?.Dbl("depthEdgeThreshold") ?? DatasetSpec.Defaults.DepthEdgeThreshold);
}
