using SynthBuild.Core.Diagnostics;
namespace SynthBuild.Core.Config;

/// <summary>Placement, distractors, rendering, outputs and the curriculum: how scenes are laid out and what is written.</summary>
internal sealed partial class ConfigBinder
{
    private static PlacementSpec BindPlacement(ConfigNode? placement) =>
        new(placement?.Dbl("truncation") ?? 0, placement?.Dbl("stacking") ?? 0);

    private DistractorSpec? BindDistractors(ConfigNode? distractors)
    {
        if (distractors is not { } o) return null;
        var d = DistractorSpec.None;
        return new DistractorSpec(
            IntRangeOf(o, "count", new IntRange(1, 3)),
            RangeOf(o, "size", d.Size),
            o.Array("shapes") is { } a ? a.Items.Select(x => Enum.Parse<ShapeKind>(x.AsString, ignoreCase: true)).ToList() : d.Shapes);
    }

    private RenderSpec BindRender(int width, int height)
    {
        ConfigNode? render = root.Object("render");
        var renderSpec = new RenderSpec((int?)render?.Long("supersampling") ?? 1);
        if ((long)width * height * renderSpec.Supersampling * renderSpec.Supersampling > 67_108_864)
            Error(SynCodes.ConfigContradictory, root["render"]!.Value, $"render.supersampling: {width}×{height} at {renderSpec.Supersampling}× per axis exceeds 67,108,864 rendered pixels.");
        return renderSpec;
    }

    private static OutputSpec BindOutputs(ConfigNode? outputs) =>
        new(outputs?.Bool("semantic") ?? true, outputs?.Bool("pointCloud") ?? false, outputs?.Bool("normals") ?? false);

    private CurriculumSpec BindCurriculum(ConfigNode? curriculum)
    {
        if (curriculum is not { } c) return CurriculumSpec.None;
        var schedule = Enum.Parse<CurriculumSchedule>(c.Str("schedule")!, ignoreCase: true);
        ValueRange? StartEnd(string key) =>
            c.Object(key) is { } o ? new ValueRange(o["start"]!.Value.AsDouble, o["end"]!.Value.AsDouble) : null;
        var spec = new CurriculumSpec(schedule, (int?)c.Long("length") ?? 1000, (int?)c.Long("steps") ?? 4,
            StartEnd("lightIntensityMin"), StartEnd("depthDropout"), StartEnd("objectsMax"), StartEnd("truncation"));
        foreach (var key in new[] { "depthDropout", "truncation" })
            if (c.Object(key) is { } o && (StartEnd(key)!.Value.Min > 1 || StartEnd(key)!.Value.Max > 1))
                Error(SynCodes.ConfigOutOfRange, o, $"curriculum.{key}: start and end are probabilities; expected values from 0 to 1.");
        if (c.Object("objectsMax") is { } om && (spec.ObjectsMax!.Value.Min < 1 || spec.ObjectsMax.Value.Max < 1))
            Error(SynCodes.ConfigOutOfRange, om, "curriculum.objectsMax: start and end must be at least 1.");
        if (schedule != CurriculumSchedule.None && spec.LightIntensityMin is null && spec.DepthDropout is null && spec.ObjectsMax is null && spec.Truncation is null)
            Error(SynCodes.ConfigContradictory, c, "curriculum: a schedule needs at least one parameter to move (lightIntensityMin, depthDropout, objectsMax, truncation).");
        return spec;
    }
}
