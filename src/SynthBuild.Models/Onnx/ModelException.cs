using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Onnx;

/// <summary>Helpers that make the stage's SYN8xxx diagnostics (thrown as <see cref="DiagnosticException"/>, which the
/// command line and the MSBuild layer print as one line).</summary>
internal static class ModelErrors
{
    public static DiagnosticException Error(string code, string message, string? file = null) =>
        new(Diagnostic.Error(code, message, file));
}
