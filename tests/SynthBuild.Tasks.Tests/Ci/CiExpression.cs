using System.Globalization;
using System.Text;

namespace SynthBuild.Tasks.Tests.Ci;

/// <summary>
/// A small evaluator for the expression subset the template's CI files use, shared by the GitHub Actions runner
/// (<c>if:</c>, <c>${{ }}</c>: <c>!</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>==</c>, <c>!=</c>, parentheses, function calls,
/// context paths such as <c>steps.key.outputs.key</c>) and the Azure Pipelines one (<c>condition:</c>: function calls
/// such as <c>and(not(canceled()), eq(variables['Build.Reason'], 'PullRequest'))</c>).
/// Literals: 'strings' ('' escapes a quote), numbers, true, false, null. Anything else (an unknown function or
/// context, another operator) throws <see cref="NotSupportedException"/>: a test must fail loudly rather than guess.
/// </summary>
public sealed class CiExpression
{
    private readonly string _text;
    private readonly Func<string, object?[], object?> _call;
    private readonly Func<IReadOnlyList<string>, object?> _lookup;
    private int _pos;

    private CiExpression(string text, Func<string, object?[], object?> call, Func<IReadOnlyList<string>, object?> lookup)
    {
        _text = text;
        _call = call;
        _lookup = lookup;
    }

    /// <param name="call">A function by name (case-insensitive, as both systems treat them) and its evaluated arguments.</param>
    /// <param name="lookup">A context path: <c>github.ref</c> is ["github", "ref"], <c>variables['Build.Reason']</c> is ["variables", "Build.Reason"].</param>
    public static object? Evaluate(string text, Func<string, object?[], object?> call, Func<IReadOnlyList<string>, object?> lookup)
    {
        var e = new CiExpression(text, call, lookup);
        object? value = e.Or();
        e.SkipSpace();
        if (e._pos != text.Length) throw e.Unsupported("unexpected text");
        return value;
    }

    /// <summary>Replaces every <c>${{ expr }}</c> in <paramref name="text"/> by its value as a string.</summary>
    public static string Interpolate(string text, Func<string, object?[], object?> call, Func<IReadOnlyList<string>, object?> lookup)
    {
        var sb = new StringBuilder();
        int at = 0;
        while (true)
        {
            int open = text.IndexOf("${{", at, StringComparison.Ordinal);
            if (open < 0) break;
            int close = text.IndexOf("}}", open, StringComparison.Ordinal);
            if (close < 0) throw new NotSupportedException($"unterminated ${{{{ in '{text}'");
            sb.Append(text, at, open - at).Append(AsString(Evaluate(text[(open + 3)..close].Trim(), call, lookup)));
            at = close + 2;
        }
        return sb.Append(text, at, text.Length - at).ToString();
    }

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        _ => true,
    };

    public static string AsString(object? v) => v switch
    {
        null => "",
        bool b => b ? "true" : "false",
        double d => d.ToString(CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>Both systems compare strings case-insensitively; mixed types are compared as strings here (the subset never mixes them).</summary>
    public static bool Equal(object? a, object? b) =>
        a is double x && b is double y ? x == y : string.Equals(AsString(a), AsString(b), StringComparison.OrdinalIgnoreCase);

    private object? Or()
    {
        object? left = And();
        while (Take("||")) { object? right = And(); left = Truthy(left) ? left : right; }
        return left;
    }

    private object? And()
    {
        object? left = Unary();
        while (Take("&&")) { object? right = Unary(); left = Truthy(left) ? right : left; }
        return left;
    }

    private object? Unary()
    {
        SkipSpace();
        if (Peek("!") && !Peek("!=")) { _pos++; return !Truthy(Unary()); }
        object? left = Primary();
        if (Take("==")) return Equal(left, Primary());
        if (Take("!=")) return !Equal(left, Primary());
        SkipSpace();
        if (_pos < _text.Length && "<>".Contains(_text[_pos])) throw Unsupported("comparison operator");
        return left;
    }

    private object? Primary()
    {
        SkipSpace();
        if (_pos >= _text.Length) throw Unsupported("expression ends early");
        char c = _text[_pos];
        if (c == '(') { _pos++; object? v = Or(); Expect(")"); return v; }
        if (c == '\'') return StringLiteral();
        if (char.IsDigit(c) || c == '-') return NumberLiteral();
        if (!char.IsLetter(c) && c != '_') throw Unsupported("unexpected character");
        string name = Identifier();
        SkipSpace();
        if (Peek("("))
        {
            _pos++;
            var args = new List<object?>();
            SkipSpace();
            if (!Peek(")"))
            {
                do args.Add(Or()); while (Take(","));
            }
            Expect(")");
            return _call(name, args.ToArray());
        }
        switch (name)
        {
            case "true": return true;
            case "false": return false;
            case "null": return null;
        }
        var path = new List<string> { name };
        while (true)
        {
            if (_pos < _text.Length && _text[_pos] == '.') { _pos++; path.Add(Identifier()); }
            else if (_pos < _text.Length && _text[_pos] == '[') { _pos++; SkipSpace(); path.Add(AsString(StringLiteral())); Expect("]"); }
            else break;
        }
        return _lookup(path);
    }

    private string Identifier()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-')) _pos++;
        if (_pos == start) throw Unsupported("identifier expected");
        return _text[start.._pos];
    }

    private object StringLiteral()
    {
        if (_text[_pos] != '\'') throw Unsupported("string literal expected");
        var sb = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _text.Length) throw Unsupported("unterminated string");
            if (_text[_pos] == '\'')
            {
                if (_pos + 1 < _text.Length && _text[_pos + 1] == '\'') { sb.Append('\''); _pos += 2; continue; }
                _pos++;
                return sb.ToString();
            }
            sb.Append(_text[_pos++]);
        }
    }

    private object NumberLiteral()
    {
        int start = _pos;
        _pos++;
        while (_pos < _text.Length && (char.IsDigit(_text[_pos]) || _text[_pos] == '.')) _pos++;
        return double.Parse(_text[start.._pos], CultureInfo.InvariantCulture);
    }

    private void SkipSpace() { while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++; }
    private bool Peek(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;
    private bool Take(string s) { SkipSpace(); if (!Peek(s)) return false; _pos += s.Length; return true; }
    private void Expect(string s) { if (!Take(s)) throw Unsupported($"'{s}' expected"); }
    private NotSupportedException Unsupported(string what) => new($"CI expression not supported by the test runner ({what} at {_pos}): {_text}");
}
