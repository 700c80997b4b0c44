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

/// <summary>
/// Which of the task folder's assemblies a task has loaded: the generation task should load only the managed engine,
/// never the native-backed stages (OpenCV, libgit2, Skia). Logged at low importance (-v:detailed) and tested.
/// </summary>
internal static class TaskAssemblies
{
    public static void LogLoaded(this TaskLoggingHelper log, string task)
    {
        if (!log.LogsMessagesOfImportance(Microsoft.Build.Framework.MessageImportance.Low)) return; // costs ~30 ms in-proc
        string folder = Path.GetDirectoryName(typeof(TaskAssemblies).Assembly.Location) ?? "";
        var names = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && a.Location.Length > 0 && Path.GetDirectoryName(a.Location) == folder)
            .Select(a => a.GetName().Name)
            .Order(StringComparer.Ordinal);
        log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "{0}: assemblies loaded from the task folder: {1}", task, string.Join(", ", names));
    }
}
