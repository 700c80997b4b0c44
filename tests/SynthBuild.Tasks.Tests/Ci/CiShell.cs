using System.Diagnostics;
using System.Text;

namespace SynthBuild.Tasks.Tests.Ci;

/// <summary>What one step did: <c>success</c>, <c>failure</c> or <c>skipped</c>, and its output.</summary>
public sealed record CiStepResult(string Name, string Outcome, string Log)
{
    public override string ToString() => $"--- {Name}: {Outcome}\n{Log}";
}

/// <summary>One job's run: its steps, the job summary (every step's, in order), each step's outputs and the uploaded artifacts.</summary>
public sealed class CiJobResult
{
    public List<CiStepResult> Steps { get; } = [];
    public StringBuilder Summary { get; } = new();
    public Dictionary<string, Dictionary<string, string>> Outputs { get; } = new();
    public required string ArtifactsDirectory { get; init; }
    public bool Succeeded => Steps.All(s => s.Outcome != "failure");
    public CiStepResult Step(string name) => Steps.Single(s => s.Name == name);
    public string Output(string step, string name) => Outputs.TryGetValue(step, out var o) && o.TryGetValue(name, out var v) ? v : "";
    public override string ToString() => string.Join("\n", Steps) + "\n=== summary\n" + Summary;
}

/// <summary>Processes and files for the CI runners: bash, git, folder copies (the cache and artifact emulations).</summary>
public static class CiShell
{
    public static (int ExitCode, string Output) Run(string file, string arguments, string workingDir, IDictionary<string, string> env, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDTERMINALLOGGER"] = "off";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var sb = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish:\n{sb}");
        }
        p.WaitForExit();
        lock (sb) return (p.ExitCode, sb.ToString());
    }

    /// <summary>A script as its own file, run with bash <paramref name="options"/> (GitHub: "-e"; Azure: none) in <paramref name="workingDir"/>.</summary>
    public static (int ExitCode, string Output) Bash(string script, string options, string workingDir, IDictionary<string, string> env, string tempDir)
    {
        string file = Path.Combine(tempDir, $"step-{Guid.NewGuid():N}.sh");
        File.WriteAllText(file, script);
        return Run("bash", $"--noprofile --norc {options} {file}".Replace("  ", " "), workingDir, env, TimeSpan.FromMinutes(8));
    }

    public static string Git(string workingDir, string arguments, IDictionary<string, string>? env = null)
    {
        var (code, output) = Run("git", arguments, workingDir, env ?? Identity);
        if (code != 0) throw new InvalidOperationException($"git {arguments} failed in {workingDir}:\n{output}");
        return output.Trim();
    }

    /// <summary>A fixed author and committer, so commits and tags work on a machine without git config.</summary>
    public static IDictionary<string, string> Identity { get; } = new Dictionary<string, string>
    {
        ["GIT_AUTHOR_NAME"] = "CI Test", ["GIT_AUTHOR_EMAIL"] = "ci@example.com",
        ["GIT_COMMITTER_NAME"] = "CI Test", ["GIT_COMMITTER_EMAIL"] = "ci@example.com",
    };

    /// <summary>Copies a file or folder tree, keeping modification times (as the cache's tar archives do).</summary>
    public static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
            File.SetLastWriteTimeUtc(to, File.GetLastWriteTimeUtc(from));
            return;
        }
        foreach (string f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
        Directory.CreateDirectory(to);
    }

    /// <summary>name=value lines and name&lt;&lt;DELIMITER blocks, the format of $GITHUB_OUTPUT and $GITHUB_ENV.</summary>
    public static Dictionary<string, string> ReadKeyValueFile(string file)
    {
        var result = new Dictionary<string, string>();
        if (!File.Exists(file)) return result;
        string[] lines = File.ReadAllLines(file);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0) continue;
            int heredoc = line.IndexOf("<<", StringComparison.Ordinal), eq = line.IndexOf('=');
            if (heredoc > 0 && (eq < 0 || heredoc < eq))
            {
                string name = line[..heredoc], delimiter = line[(heredoc + 2)..];
                var value = new List<string>();
                while (++i < lines.Length && lines[i] != delimiter) value.Add(lines[i]);
                result[name] = string.Join("\n", value);
            }
            else if (eq > 0) result[line[..eq]] = line[(eq + 1)..];
            else throw new FormatException($"{file}: line '{line}' is neither name=value nor name<<DELIMITER");
        }
        return result;
    }
}
