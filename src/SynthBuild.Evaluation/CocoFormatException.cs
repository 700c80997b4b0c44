namespace SynthBuild.Evaluation;

/// <summary>
/// A problem with an evaluation input, as a value: code (SYN7xxx), the file, where in it, and what was wrong.
/// <see cref="ToString"/> gives the one-line form printed by the command line:
/// <c>dt.json: error SYN7004: entry 17: image_id 999 is not in the ground truth</c>.
/// </summary>
public sealed record EvaluationDiagnostic(string Code, string File, string? Location, string Message, int Line = 0, int Column = 0)
{
    /// <summary>The stage-independent form the MSBuild layer logs.</summary>
    public SynthBuild.Core.Diagnostics.Diagnostic ToDiagnostic() =>
        SynthBuild.Core.Diagnostics.Diagnostic.Error(Code, Location is null ? Message : $"{Location}: {Message}", File, Line, Column);

    public override string ToString()
    {
        string where = Line > 0 ? $"{File}({Line},{Column})" : File;
        return Location is null
            ? $"{where}: error {Code}: {Message}"
            : $"{where}: error {Code}: {Location}: {Message}";
    }
}

/// <summary>Thrown by the COCO loaders; carries the diagnostic.</summary>
public sealed class CocoFormatException(EvaluationDiagnostic diagnostic) : Exception(diagnostic.ToString())
{
    public EvaluationDiagnostic Diagnostic { get; } = diagnostic;
}
