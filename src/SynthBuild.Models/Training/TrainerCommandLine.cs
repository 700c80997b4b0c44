using System.Text;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Training;

/// <summary>
/// A SynthTrainer's Command split into a program and its arguments, and its {placeholders} filled in. No shell runs:
/// the rules are a small, documented subset of a POSIX shell's (docs/models.md "External trainers"), so the same
/// line works on every OS and nothing in it (|, &gt;, $VAR, *) is interpreted.
/// </summary>
public static class TrainerCommandLine
{
    /// <summary>
    /// Splits at unquoted whitespace. '…' keeps everything literally; "…" keeps everything but \" and \\, which stand
    /// for " and \; outside quotes a backslash makes the next character literal. Quotes join with adjacent text
    /// (data="{yolo}" is one argument), and "" is an empty argument.
    /// </summary>
    /// <exception cref="FormatException">An unterminated quote or a trailing backslash.</exception>
    public static IReadOnlyList<string> Split(string commandLine)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < commandLine.Length; i++)
        {
            char c = commandLine[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) args.Add(current.ToString());
                current.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                int end = commandLine.IndexOf('\'', i + 1);
                if (end < 0) throw new FormatException($"unterminated ' starting at column {i + 1}");
                current.Append(commandLine, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                int start = i;
                for (i++; ; i++)
                {
                    if (i >= commandLine.Length) throw new FormatException($"unterminated \" starting at column {start + 1}");
                    char d = commandLine[i];
                    if (d == '"') break;
                    if (d == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\') d = commandLine[++i];
                    current.Append(d);
                }
            }
            else if (c == '\\')
            {
                if (i + 1 >= commandLine.Length) throw new FormatException("a trailing \\ escapes nothing");
                current.Append(commandLine[++i]);
            }
            else current.Append(c);
        }
        if (inWord) args.Add(current.ToString());
        return args;
    }

    /// <summary>The placeholder names in <paramref name="text"/>, in order ({{ and }} are literal braces).</summary>
    public static IEnumerable<string> Placeholders(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '{' && i + 1 < text.Length && text[i + 1] == '{') { i++; continue; }
            if (text[i] != '{') continue;
            int end = text.IndexOf('}', i + 1);
            if (end < 0) yield break;
            yield return text[(i + 1)..end];
            i = end;
        }
    }

    /// <summary>Replaces each {name} by its value; {{ and }} give literal braces. Substituted after splitting, so a
    /// path with spaces stays inside its argument.</summary>
    /// <param name="resolve">A name's value, or an exception naming what is wrong with it (unknown, export not declared).</param>
    public static string Substitute(string text, Func<string, string> resolve)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c) { sb.Append(c); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int end = text.IndexOf('}', i + 1);
            if (end < 0) throw new FormatException($"'{{' at column {i + 1} has no closing '}}' (write {{{{ for a literal brace)");
            sb.Append(resolve(text[(i + 1)..end]));
            i = end;
        }
        return sb.ToString();
    }

    /// <summary>How the line was run, for the log: arguments with spaces or quotes shown in '…'.</summary>
    public static string Display(IEnumerable<string> args) =>
        string.Join(" ", args.Select(a => a.Length > 0 && !a.Any(ch => char.IsWhiteSpace(ch) || ch is '\'' or '"' or '\\') ? a : "'" + a.Replace("'", "'\\''") + "'"));
}
