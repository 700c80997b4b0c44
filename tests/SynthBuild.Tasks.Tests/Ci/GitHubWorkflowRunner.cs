using YamlDotNet.RepresentationModel;

namespace SynthBuild.Tasks.Tests.Ci;

/// <summary>The event that starts a run: <c>push</c> (a branch or a tag) or <c>pull_request</c>.</summary>
/// <param name="Sha">The commit checked out: the tip of the pushed ref, or the pull request's head (its branch is
/// based on the base's tip in these tests, so GitHub's merge commit would have the same tree).</param>
public sealed record GitHubEvent(string Name, string Ref, string Sha, string? BaseRef = null, string? HeadRef = null);

/// <summary>
/// Runs one job of a GitHub Actions workflow on this machine, the way a runner does, for the subset the dataset
/// template uses. <c>run:</c> steps run in order with <c>bash -e</c> (GitHub's default shell) in the workspace, with
/// the variables a runner sets: <c>GITHUB_STEP_SUMMARY</c>, <c>GITHUB_OUTPUT</c>, <c>GITHUB_ENV</c> (a file per step,
/// read back after it), <c>GITHUB_WORKSPACE</c>, <c>GITHUB_EVENT_NAME</c>, <c>GITHUB_REF</c>, <c>GITHUB_REF_NAME</c>,
/// <c>GITHUB_REF_TYPE</c>, <c>GITHUB_SHA</c>, <c>GITHUB_BASE_REF</c>, <c>GITHUB_HEAD_REF</c>, <c>GITHUB_ACTIONS</c>,
/// <c>CI</c>, <c>RUNNER_OS</c>, <c>RUNNER_TEMP</c>. <c>if:</c> is evaluated by <see cref="CiExpression"/> (default
/// <c>success()</c>), <c>${{ }}</c> in <c>with:</c> and <c>run:</c> too. Actions are emulated, nothing is downloaded:
/// <list type="bullet">
/// <item><c>actions/checkout</c>: <c>git clone</c> of the origin folder, then the event's commit, detached.</item>
/// <item><c>actions/setup-dotnet</c>: nothing; the machine's dotnet is used.</item>
/// <item><c>actions/cache</c>: a folder per key under the cache folder. At the step: the exact key, else the newest key
/// starting with a <c>restore-keys</c> line, is copied back (output <c>cache-hit</c> true only for the exact key); after
/// the last step, if the job succeeded and the key was not hit, the paths are saved under the key (keys are immutable,
/// as on GitHub).</item>
/// <item><c>actions/upload-artifact</c>: each path is copied into the artifacts folder under the artifact's name
/// (a folder's contents at its root); <c>if-no-files-found</c> error/warn/ignore.</item>
/// </list>
/// Any other action, key or expression throws <see cref="NotSupportedException"/>.
/// </summary>
public sealed class GitHubWorkflowRunner(string workflowFile, string originRepository, string cacheDirectory)
{
    private static readonly HashSet<string> StepKeys = ["name", "id", "if", "run", "uses", "with", "shell"];

    public static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(file)) yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    public static IReadOnlyList<YamlMappingNode> Steps(YamlMappingNode workflow, string job)
    {
        var jobNode = (YamlMappingNode)((YamlMappingNode)workflow["jobs"])[job];
        foreach (var key in jobNode.Children.Keys.Select(k => k.ToString()))
            if (key is not ("runs-on" or "steps")) throw new NotSupportedException($"job key '{key}' is not supported by the test runner");
        return ((YamlSequenceNode)jobNode["steps"]).Children.Cast<YamlMappingNode>().ToList();
    }

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;

    public CiJobResult Run(string job, GitHubEvent ev, string workspace, string artifactsDirectory, IDictionary<string, string>? extraEnv = null)
    {
        var workflow = Load(workflowFile);
        Directory.CreateDirectory(workspace);
        Directory.CreateDirectory(artifactsDirectory);
        string temp = Path.Combine(Path.GetDirectoryName(workspace)!, Path.GetFileName(workspace) + "-runner-temp");
        Directory.CreateDirectory(temp);
        var result = new CiJobResult { ArtifactsDirectory = artifactsDirectory };
        var env = new Dictionary<string, string>(extraEnv ?? new Dictionary<string, string>())
        {
            ["CI"] = "true", ["GITHUB_ACTIONS"] = "true", ["GITHUB_WORKSPACE"] = workspace,
            ["GITHUB_EVENT_NAME"] = ev.Name, ["GITHUB_REF"] = ev.Ref, ["GITHUB_SHA"] = ev.Sha,
            ["GITHUB_REF_NAME"] = ev.Ref.Split('/', 3)[^1], ["GITHUB_REF_TYPE"] = ev.Ref.StartsWith("refs/tags/", StringComparison.Ordinal) ? "tag" : "branch",
            ["GITHUB_BASE_REF"] = ev.BaseRef ?? "", ["GITHUB_HEAD_REF"] = ev.HeadRef ?? "",
            ["GITHUB_REPOSITORY"] = "example/dataset", ["RUNNER_OS"] = "Linux", ["RUNNER_TEMP"] = temp,
        };
        var saves = new List<(string Key, string[] Paths)>();
        bool cancelled = false;

        object? Call(string name, object?[] args) => name.ToLowerInvariant() switch
        {
            "success" when args.Length == 0 => result.Succeeded,
            "failure" when args.Length == 0 => !result.Succeeded,
            "always" when args.Length == 0 => true,
            "cancelled" when args.Length == 0 => cancelled,
            "startswith" when args.Length == 2 => CiExpression.AsString(args[0]).StartsWith(CiExpression.AsString(args[1]), StringComparison.OrdinalIgnoreCase),
            "endswith" when args.Length == 2 => CiExpression.AsString(args[0]).EndsWith(CiExpression.AsString(args[1]), StringComparison.OrdinalIgnoreCase),
            "contains" when args.Length == 2 => CiExpression.AsString(args[0]).Contains(CiExpression.AsString(args[1]), StringComparison.OrdinalIgnoreCase),
            _ => throw new NotSupportedException($"function {name}/{args.Length} is not supported by the test runner"),
        };
        object? Lookup(IReadOnlyList<string> path) => path switch
        {
            ["github", "event_name"] => ev.Name,
            ["github", "ref"] => ev.Ref,
            ["github", "sha"] => ev.Sha,
            ["github", "base_ref"] => ev.BaseRef ?? "",
            ["github", "head_ref"] => ev.HeadRef ?? "",
            ["github", "workspace"] => workspace,
            ["runner", "os"] => "Linux",
            ["steps", string id, "outputs", string name] => result.Output(id, name),
            ["steps", string id, "outcome" or "conclusion"] => result.Steps.LastOrDefault(s => s.Name == id)?.Outcome ?? "",
            ["env", string name] => env.GetValueOrDefault(name, ""),
            _ => throw new NotSupportedException($"context {string.Join('.', path)} is not supported by the test runner"),
        };
        string Interpolate(string text) => CiExpression.Interpolate(text, Call, Lookup);

        int index = 0;
        foreach (var step in Steps(workflow, job))
        {
            index++;
            foreach (var key in step.Children.Keys.Select(k => k.ToString()))
                if (!StepKeys.Contains(key)) throw new NotSupportedException($"step key '{key}' is not supported by the test runner");
            string? uses = Scalar(step, "uses"), run = Scalar(step, "run");
            string id = Scalar(step, "id") ?? Scalar(step, "name") ?? uses ?? $"step{index}";
            string condition = Scalar(step, "if") ?? "success()";
            if (condition.StartsWith("${{", StringComparison.Ordinal)) condition = condition.Trim()[3..^2];
            if (!CiExpression.Truthy(CiExpression.Evaluate(condition, Call, Lookup)))
            {
                result.Steps.Add(new CiStepResult(id, "skipped", $"if: {condition} is false"));
                continue;
            }
            var with = step.Children.TryGetValue(new YamlScalarNode("with"), out var w)
                ? ((YamlMappingNode)w).Children.ToDictionary(kv => kv.Key.ToString(), kv => Interpolate(((YamlScalarNode)kv.Value).Value ?? ""))
                : new Dictionary<string, string>();
            if (run is not null)
            {
                if (Scalar(step, "shell") is { } shell && shell != "bash") throw new NotSupportedException($"shell '{shell}'");
                string outputFile = Path.Combine(temp, $"output-{index}"), envFile = Path.Combine(temp, $"env-{index}"), summaryFile = Path.Combine(temp, $"summary-{index}");
                foreach (string f in new[] { outputFile, envFile, summaryFile }) File.WriteAllText(f, "");
                var stepEnv = new Dictionary<string, string>(env) { ["GITHUB_OUTPUT"] = outputFile, ["GITHUB_ENV"] = envFile, ["GITHUB_STEP_SUMMARY"] = summaryFile };
                var (code, log) = CiShell.Bash(Interpolate(run), "-e", workspace, stepEnv, temp);
                result.Outputs[id] = CiShell.ReadKeyValueFile(outputFile);
                foreach (var (k, v) in CiShell.ReadKeyValueFile(envFile)) env[k] = v;
                result.Summary.Append(File.ReadAllText(summaryFile));
                result.Steps.Add(new CiStepResult(id, code == 0 ? "success" : "failure", $"exit {code}\n{log}"));
                continue;
            }
            string action = uses?.Split('@')[0] ?? throw new NotSupportedException($"step {id} has neither run nor uses");
            string log2;
            switch (action)
            {
                case "actions/checkout":
                    CiShell.Git(workspace, $"clone --quiet {originRepository} .");
                    CiShell.Git(workspace, $"checkout --quiet --detach {ev.Sha}");
                    log2 = $"cloned {originRepository} at {ev.Sha}";
                    break;
                case "actions/setup-dotnet":
                    log2 = "emulated: the machine's dotnet is used";
                    break;
                case "actions/cache":
                {
                    string key = with["key"];
                    string[] paths = Lines(with["path"]);
                    string? hit = Directory.Exists(Path.Combine(cacheDirectory, key)) ? key : null;
                    string? restored = hit ?? Lines(with.GetValueOrDefault("restore-keys", ""))
                        .Select(prefix => Directory.Exists(cacheDirectory)
                            ? Directory.GetDirectories(cacheDirectory).Select(Path.GetFileName).Where(k => k!.StartsWith(prefix, StringComparison.Ordinal))
                                .Where(k => !k!.EndsWith(".partial", StringComparison.Ordinal))
                                .OrderByDescending(k => Directory.GetLastWriteTimeUtc(Path.Combine(cacheDirectory, k!))).FirstOrDefault()
                            : null)
                        .FirstOrDefault(k => k is not null);
                    if (restored is not null)
                        for (int i = 0; i < paths.Length; i++)
                        {
                            string stored = Path.Combine(cacheDirectory, restored, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                            if (Directory.Exists(stored) || File.Exists(stored)) CiShell.Copy(stored, Path.Combine(workspace, paths[i]));
                        }
                    result.Outputs[id] = new() { ["cache-hit"] = hit is not null ? "true" : "false" };
                    if (hit is null) saves.Add((key, paths));
                    log2 = hit is not null ? $"cache hit: {key}" : restored is not null ? $"restored from {restored} (key {key} missed)" : $"cache miss: {key}";
                    break;
                }
                case "actions/upload-artifact":
                {
                    string target = Path.Combine(artifactsDirectory, with["name"]);
                    int copied = 0;
                    foreach (string p in Lines(with["path"]))
                    {
                        string source = Path.Combine(workspace, p);
                        if (File.Exists(source)) { CiShell.Copy(source, Path.Combine(target, Path.GetFileName(source))); copied++; }
                        else if (Directory.Exists(source)) { CiShell.Copy(source, target); copied++; }
                    }
                    string mode = with.GetValueOrDefault("if-no-files-found", "warn");
                    if (copied == 0 && mode == "error") { result.Steps.Add(new CiStepResult(id, "failure", "no files found")); continue; }
                    log2 = copied == 0 ? $"{mode}: no files found" : $"uploaded {with["name"]}";
                    break;
                }
                default:
                    throw new NotSupportedException($"action {uses} is not emulated by the test runner");
            }
            result.Steps.Add(new CiStepResult(id, "success", log2));
        }

        // actions/cache's post step: saves only after a successful job, and never over an existing key.
        if (result.Succeeded)
            foreach (var (key, paths) in saves)
            {
                string entry = Path.Combine(cacheDirectory, key);
                if (Directory.Exists(entry)) continue;
                string staging = entry + ".partial";
                for (int i = 0; i < paths.Length; i++)
                {
                    string source = Path.Combine(workspace, paths[i]);
                    if (Directory.Exists(source) || File.Exists(source))
                        CiShell.Copy(source, Path.Combine(staging, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
                Directory.CreateDirectory(staging);
                Directory.Move(staging, entry);
                Directory.SetLastWriteTimeUtc(entry, DateTime.UtcNow); // the newest entry is what a restore-keys prefix finds
                result.Steps.Add(new CiStepResult($"Post {key}", "success", $"cache saved: {key}"));
            }
        return result;
    }

    private static string[] Lines(string value) =>
        value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
