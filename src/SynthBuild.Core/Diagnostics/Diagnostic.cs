namespace SynthBuild.Core.Diagnostics;

public enum DiagnosticSeverity { Error, Warning, Info }

/// <summary>
/// A problem reported as a value. Codes are SYNnnnn grouped by stage (1xxx config, 2xxx generation,
/// 3xxx storage/incremental, 4xxx export, 5xxx quality gates, 6xxx lineage, 7xxx evaluation, 9xxx sharding), each defined once in
/// <see cref="SynCodes"/> with its meaning in <see cref="DiagnosticCatalogue"/>.
/// Line and column are 1-based; 0 means "no position".
/// </summary>
public sealed record Diagnostic(
    string Code,
    DiagnosticSeverity Severity,
    string Message,
    string? File = null,
    int Line = 0,
    int Column = 0)
{
    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>Canonical MSBuild-style text: <c>file(line,col): error SYN1006: message</c>.</summary>
    public override string ToString()
    {
        string where = File is null ? "" : Line > 0 ? $"{File}({Line},{Column}): " : $"{File}: ";
        string sev = Severity switch { DiagnosticSeverity.Error => "error", DiagnosticSeverity.Warning => "warning", _ => "info" };
        return $"{where}{sev} {Code}: {Message}";
    }

    public static Diagnostic Error(string code, string message, string? file = null, int line = 0, int column = 0) =>
        new(code, DiagnosticSeverity.Error, message, file, line, column);

    public static Diagnostic Warning(string code, string message, string? file = null, int line = 0, int column = 0) =>
        new(code, DiagnosticSeverity.Warning, message, file, line, column);
}

/// <summary>Thrown inside Core to abort a stage with a diagnostic; callers turn it back into a value.</summary>
public sealed class DiagnosticException(Diagnostic diagnostic) : Exception(diagnostic.Message)
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}
