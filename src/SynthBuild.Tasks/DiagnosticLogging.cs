using Microsoft.Build.Utilities;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Tasks;

/// <summary>The one place where Core diagnostics become MSBuild errors and warnings.</summary>
internal static class DiagnosticLogging
{
    public static void Log(this TaskLoggingHelper log, Diagnostic d)
    {
        if (d.Severity == DiagnosticSeverity.Error)
            log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, "{0}", d.Message);
        else if (d.Severity == DiagnosticSeverity.Warning)
            log.LogWarning(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, "{0}", d.Message);
        else
            log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "{0}", d.ToString());
    }
}
