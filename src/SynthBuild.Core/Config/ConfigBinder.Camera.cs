using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Config;

internal sealed partial class ConfigBinder
{
    private CameraSpec BindCamera(int width, int height)
    {
        ConfigNode? camera = root.Object("camera");
        ConfigNode? intr = camera?.Object("intrinsics");
        Vec3 position = camera?.Vec("position") ?? DatasetSpec.Defaults.CameraPosition;
        Vec3 lookAt = camera?.Vec("lookAt") ?? DatasetSpec.Defaults.CameraLookAt;
        if ((position - lookAt).Length < 1e-6)
            Error(SynCodes.ConfigContradictory, camera!.Value["lookAt"] ?? camera!.Value, "camera.lookAt must differ from camera.position.");
        else if (position.Z <= 0)
            Error(SynCodes.ConfigContradictory, camera!.Value["position"]!.Value, "camera.position must be above the table (z > 0).");
        var cameraSpec = new CameraSpec(
            intr?.Dbl("fx") ?? DatasetSpec.Defaults.Fx, intr?.Dbl("fy") ?? DatasetSpec.Defaults.Fy,
            intr?.Dbl("cx") ?? width / 2.0, intr?.Dbl("cy") ?? height / 2.0,
            position, lookAt,
            camera?.Dbl("positionNoise") ?? DatasetSpec.Defaults.PositionNoise,
            camera?.Dbl("orientationNoise") ?? DatasetSpec.Defaults.OrientationNoise,
            camera?.Dbl("focalLengthVariation") ?? DatasetSpec.Defaults.FocalLengthVariation,
            camera?.Object("distortion") is { } dist
                ? new LensDistortion(dist.Dbl("k1") ?? 0, dist.Dbl("k2") ?? 0, dist.Dbl("p1") ?? 0, dist.Dbl("p2") ?? 0, dist.Dbl("k3") ?? 0)
                : default);
        if (intr is { } i)
        {
            if (i["cx"] is { } cx && (cameraSpec.Cx < 0 || cameraSpec.Cx > width))
                Error(SynCodes.ConfigContradictory, cx, $"camera.intrinsics.cx = {Fmt(cameraSpec.Cx)} lies outside the image width 0–{width}.");
            if (i["cy"] is { } cy && (cameraSpec.Cy < 0 || cameraSpec.Cy > height))
                Error(SynCodes.ConfigContradictory, cy, $"camera.intrinsics.cy = {Fmt(cameraSpec.Cy)} lies outside the image height 0–{height}.");
        }
        return cameraSpec;
    }
}
