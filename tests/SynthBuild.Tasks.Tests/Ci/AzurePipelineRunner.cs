using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SynthBuild.Tasks.Tests.Ci;

/// <summary>
/// Runs an Azure Pipelines YAML (a single job: top-level <c>steps:</c>) on this machine for the subset the dataset
/// template uses. <c>script:</c> steps run in order with bash in the sources folder, with the pipeline's variables as
/// environment variables (upper case, '.' as '_', as the agent does: <c>BUILD_REASON</c>, <c>BUILD_SOURCEBRANCH</c>,
/// <c>SYSTEM_PULLREQUEST_TARGETBRANCH</c>, <c>AGENT_OS</c>, <c>AGENT_TEMPDIRECTORY</c>, <c>TF_BUILD</c>…); the logging
/// commands <c>##vso[task.setvariable]</c> and <c>##vso[task.uploadsummary]</c> in their output are obeyed.
/// <c>condition:</c> is evaluated by <see cref="CiExpression"/> (default <c>succeeded()</c>); <c>$(var)</c> macros are
/// expanded in task inputs. Emulated: <c>checkout: self</c> (git clone of the origin folder, the given commit detached),
/// <c>UseDotNet@2</c> (nothing: the machine's dotnet), <c>Cache@2</c> (the same folder cache as the GitHub runner; the
/// key is its segments joined by '|' after macro expansion; string segments only), <c>publish:</c> (a copy into the
/// artifacts folder). Anything else throws <see cref="NotSupportedException"/>.
/// </summary>
public sealed class AzurePipelineRunner(string pipelineFile, string originRepository, string cacheDirectory)
{
    private static readonly HashSet<string> StepKeys = ["script", "task", "checkout", "publish", "artifact", "name", "displayName", "condition", "inputs", "fetchDepth"];
    private static readonly Regex SetVariable = new(@"##vso\[task\.setvariable variable=([^;\]]+)((?:;[^\]]*)?)\](.*)$", RegexOptions.Multiline);
    private static readonly Regex UploadSummary = new(@"##vso\[task\.uploadsummary\](.*)$", RegexOptions.Multiline);

    public static IReadOnlyList<YamlMappingNode> Steps(YamlMappingNode pipeline) =>
        ((YamlSequenceNode)pipeline["steps"]).Children.Cast<YamlMappingNode>().ToList();

    /// <param name="variables">Predefined variables by their pipeline names, e.g. Build.Reason = PullRequest.</param>
    public CiJobResult Run(string sha, IDictionary<string, string> variables, string sources, string artifactsDirectory, IDictionary<string, string>? extraEnv = null)
    {
        var pipeline = GitHubWorkflowRunner.Load(pipelineFile);
        foreach (var key in pipeline.Children.Keys.Select(k => k.ToString()))
            if (key is not ("trigger" or "pr" or "pool" or "steps")) throw new NotSupportedException($"pipeline key '{key}' is not supported by the test runner");
        Directory.CreateDirectory(sources);
        Directory.CreateDirectory(artifactsDirectory);
        string temp = Path.Combine(Path.GetDirectoryName(sources)!, Path.GetFileName(sources) + "-agent-temp");
        Directory.CreateDirectory(temp);
        var vars = new Dictionary<string, string>(variables, StringComparer.OrdinalIgnoreCase)
        {
            ["TF_BUILD"] = "True", ["Agent.OS"] = "Linux", ["Agent.TempDirectory"] = temp,
            ["Build.SourcesDirectory"] = sources, ["System.DefaultWorkingDirectory"] = sources, ["Build.SourceVersion"] = sha,
        };
        var result = new CiJobResult { ArtifactsDirectory = artifactsDirectory };
        var saves = new List<(string Key, string Path)>();

        object? Call(string name, object?[] a) => (name.ToLowerInvariant(), a.Length) switch
        {
            ("succeeded", 0) => result.Succeeded,
            ("failed", 0) => !result.Succeeded,
            ("succeededorfailed", 0) or ("always", 0) => true,
            ("canceled", 0) => false,
            ("and", >= 2) => a.All(CiExpression.Truthy),
            ("or", >= 2) => a.Any(CiExpression.Truthy),
            ("not", 1) => !CiExpression.Truthy(a[0]),
            ("eq", 2) => CiExpression.Equal(a[0], a[1]),
            ("ne", 2) => !CiExpression.Equal(a[0], a[1]),
            ("startswith", 2) => CiExpression.AsString(a[0]).StartsWith(CiExpression.AsString(a[1]), StringComparison.OrdinalIgnoreCase),
            ("endswith", 2) => CiExpression.AsString(a[0]).EndsWith(CiExpression.AsString(a[1]), StringComparison.OrdinalIgnoreCase),
            _ => throw new NotSupportedException($"function {name}/{a.Length} is not supported by the test runner"),
        };
        object? Lookup(IReadOnlyList<string> path) => path switch
        {
            ["variables", string name] => vars.GetValueOrDefault(name, ""),
            _ => throw new NotSupportedException($"context {string.Join('.', path)} is not supported by the test runner"),
        };
        string Expand(string text) => Regex.Replace(text, @"\$\(([A-Za-z0-9_.\-]+)\)",
            m => vars.TryGetValue(m.Groups[1].Value, out var v) ? v : throw new NotSupportedException($"variable {m.Value} is not set"));

        int index = 0;
        foreach (var step in Steps(pipeline))
        {
            index++;
            foreach (var key in step.Children.Keys.Select(k => k.ToString()))
                if (!StepKeys.Contains(key)) throw new NotSupportedException($"step key '{key}' is not supported by the test runner");
            string? S(string key) => GitHubWorkflowRunner.Scalar(step, key);
            string id = S("name") ?? S("displayName") ?? S("script") ?? S("task") ?? $"step{index}";
            string condition = S("condition") ?? "succeeded()";
            if (!CiExpression.Truthy(CiExpression.Evaluate(condition, Call, Lookup)))
            {
                result.Steps.Add(new CiStepResult(id, "skipped", $"condition: {condition} is false"));
                continue;
            }
            var inputs = step.Children.TryGetValue(new YamlScalarNode("inputs"), out var n)
                ? ((YamlMappingNode)n).Children.ToDictionary(kv => kv.Key.ToString(), kv => Expand(((YamlScalarNode)kv.Value).Value ?? ""))
                : new Dictionary<string, string>();
            if (S("script") is { } script)
            {
                var env = new Dictionary<string, string>(extraEnv ?? new Dictionary<string, string>());
                foreach (var (k, v) in vars) env[k.Replace('.', '_').ToUpperInvariant()] = v;
                var (code, log) = CiShell.Bash(script, "", sources, env, temp);
                var outputs = new Dictionary<string, string>();
                foreach (Match m in SetVariable.Matches(log))
                {
                    string name = m.Groups[1].Value, value = m.Groups[3].Value.TrimEnd('\r');
                    if (m.Groups[2].Value.Contains("isOutput=true", StringComparison.OrdinalIgnoreCase)) { outputs[name] = value; vars[$"{id}.{name}"] = value; }
                    else vars[name] = value;
                }
                result.Outputs[id] = outputs;
                foreach (Match m in UploadSummary.Matches(log)) result.Summary.Append(File.ReadAllText(m.Groups[1].Value.Trim()));
                result.Steps.Add(new CiStepResult(id, code == 0 ? "success" : "failure", $"exit {code}\n{log}"));
                continue;
            }
            string log2;
            if (S("checkout") is { } checkout)
            {
                if (checkout != "self") throw new NotSupportedException($"checkout: {checkout}");
                CiShell.Git(sources, $"clone --quiet {originRepository} .");
                CiShell.Git(sources, $"checkout --quiet --detach {sha}");
                log2 = $"cloned {originRepository} at {sha}";
            }
            else if (S("publish") is { } publish)
            {
                string source = Path.Combine(sources, publish), target = Path.Combine(artifactsDirectory, S("artifact") ?? "drop");
                if (File.Exists(source)) CiShell.Copy(source, Path.Combine(target, Path.GetFileName(source)));
                else if (Directory.Exists(source)) CiShell.Copy(source, target);
                else { result.Steps.Add(new CiStepResult(id, "failure", $"publish: {publish} not found")); continue; }
                log2 = $"published {publish}";
            }
            else switch (S("task"))
            {
                case "UseDotNet@2":
                    log2 = "emulated: the machine's dotnet is used";
                    break;
                case "Cache@2":
                {
                    string key = CacheKey(inputs["key"]), path = inputs["path"];
                    string? hit = Directory.Exists(Path.Combine(cacheDirectory, key)) ? key : null;
                    string? restored = hit ?? inputs.GetValueOrDefault("restoreKeys", "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(CacheKey)
                        .Select(prefix => Directory.Exists(cacheDirectory)
                            ? Directory.GetDirectories(cacheDirectory).Select(Path.GetFileName)
                                .Where(k => k!.StartsWith(prefix + "|", StringComparison.Ordinal) && !k.EndsWith(".partial", StringComparison.Ordinal))
                                .OrderByDescending(k => Directory.GetLastWriteTimeUtc(Path.Combine(cacheDirectory, k!))).FirstOrDefault()
                            : null)
                        .FirstOrDefault(k => k is not null);
                    if (restored is not null) CiShell.Copy(Path.Combine(cacheDirectory, restored, "0"), Path.Combine(sources, path));
                    if (hit is null) saves.Add((key, path));
                    vars["CACHE_RESTORED"] = hit is not null ? "true" : "false";
                    log2 = hit is not null ? $"cache hit: {key}" : restored is not null ? $"restored from {restored}" : $"cache miss: {key}";
                    break;
                }
                default:
                    throw new NotSupportedException($"task {S("task")} is not emulated by the test runner");
            }
            result.Steps.Add(new CiStepResult(id, "success", log2));
        }
        // Cache@2's post-job step: saves after a successful job when the key was not hit.
        if (result.Succeeded)
            foreach (var (key, path) in saves)
            {
                string entry = Path.Combine(cacheDirectory, key), source = Path.Combine(sources, path);
                if (Directory.Exists(entry) || !Directory.Exists(source)) continue;
                CiShell.Copy(source, Path.Combine(entry + ".partial", "0"));
                Directory.Move(entry + ".partial", entry);
                Directory.SetLastWriteTimeUtc(entry, DateTime.UtcNow);
            }
        return result;
    }

    /// <summary>A Cache@2 key: segments separated by '|', each a quoted or bare string (file-path segments are not emulated).</summary>
    private static string CacheKey(string key) => string.Join("|", key.Split('|').Select(s =>
    {
        string t = s.Trim();
        if (t.Length >= 2 && t[0] == '"' && t[^1] == '"') return t[1..^1];
        if (t.Contains('/') || t.Contains('*')) throw new NotSupportedException($"Cache@2 file segment '{t}' is not emulated");
        return t;
    }));
}
