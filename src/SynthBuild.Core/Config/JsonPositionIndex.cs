using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>
/// Where each value of a JSON document starts (and, for an object member, where its key starts), by path in the
/// schema validator's notation ("camera.intrinsics.fx", "categories[0].name", "" for the root), as 1-based line and
/// character column. A <see cref="Utf8JsonReader"/> pass over the text checks the syntax strictly (comments allowed,
/// trailing commas and duplicate keys not); the positions are recorded by a second pass on the first lookup, since a
/// valid config, the common case, never needs one.
/// </summary>
public sealed class JsonPositionIndex
{
    private Dictionary<string, (int Key, int Value)>? _offsets;
    private readonly byte[] _utf8;
    private readonly List<int> _lineStarts = [0];
    // The overlays merged over this document (ConfigOverlay), last one last: a path any of them has is positioned in
    // the last one that has it, since a merge patch's later value replaces an earlier one at the same path.
    private IReadOnlyList<JsonPositionIndex> _overlays = [];

    public string File { get; }

    private JsonPositionIndex(byte[] utf8, string file)
    {
        _utf8 = utf8;
        File = file;
        for (int i = 0; i < utf8.Length; i++) if (utf8[i] == (byte)'\n') _lineStarts.Add(i + 1);
    }

    /// <summary>The index of <paramref name="text"/>, or the syntax error (SYN1001) that stops it.</summary>
    public static (JsonPositionIndex? Index, Diagnostic? SyntaxError) Build(string text, string file)
    {
        var index = new JsonPositionIndex(Encoding.UTF8.GetBytes(text), file);
        return (index.Scan(null), index) switch
        {
            (null, var i) => (i, null),
            (var error, _) => (null, error),
        };
    }

    /// <summary>This document's index with <paramref name="overlays"/> merged over it (in order): positions of the
    /// merged document, each in the file its value came from. <see cref="File"/> stays this document's (paths in the
    /// config resolve against it).</summary>
    internal JsonPositionIndex WithOverlays(IReadOnlyList<JsonPositionIndex> overlays) => new(_utf8, File) { _overlays = overlays };

    private bool Has(string path)
    {
        EnsureOffsets();
        return _offsets!.ContainsKey(path);
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_offsets))]
    private void EnsureOffsets()
    {
        if (_offsets is not null) return;
        var offsets = new Dictionary<string, (int Key, int Value)>(StringComparer.Ordinal);
        Scan(offsets);
        _offsets = offsets;
    }

    /// <summary>The start of the value at <paramref name="path"/>; (1, 1) for a path the document does not have.</summary>
    public SourcePosition Value(string path) => At(path, key: false);

    /// <summary>The start of the key of the object member at <paramref name="path"/> (the value's start for an array item).</summary>
    public SourcePosition Key(string path) => At(path, key: true);

    /// <summary>An error at <paramref name="at"/>'s value (or its key).</summary>
    public Diagnostic Error(string code, ConfigNode at, string message, bool atKey = false)
    {
        SourcePosition p = atKey ? Key(at.Path) : Value(at.Path);
        return Diagnostic.Error(code, message, p.File, p.Line, p.Column);
    }

    private SourcePosition At(string path, bool key)
    {
        // The root is the base config's (a missing top-level key is reported there, not in an overlay).
        if (path.Length > 0)
            for (int i = _overlays.Count - 1; i >= 0; i--)
                if (_overlays[i].Has(path)) return _overlays[i].At(path, key);
        EnsureOffsets();
        if (!_offsets.TryGetValue(path, out var o)) return new SourcePosition(File, 1, 1, path);
        var (line, column) = LineColumn(key && o.Key >= 0 ? o.Key : o.Value);
        return new SourcePosition(File, line, column, path);
    }

    /// <summary>1-based line and character (not byte) column of a UTF-8 offset.</summary>
    private (int Line, int Column) LineColumn(int offset)
    {
        int line = _lineStarts.BinarySearch(offset);
        if (line < 0) line = ~line - 1;
        int start = _lineStarts[line];
        return (line + 1, Encoding.UTF8.GetCharCount(_utf8, start, offset - start) + 1);
    }

    /// <param name="offsets">Receives each value's offsets when not null.</param>
    private Diagnostic? Scan(Dictionary<string, (int Key, int Value)>? offsets)
    {
        var reader = new Utf8JsonReader(_utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        // One frame per open container: its path, the next array index, the keys seen (objects).
        var frames = new Stack<(string Path, int Next, HashSet<string>? Keys)>();
        Diagnostic? duplicate = null;
        int pendingKey = -1;
        string? pendingPath = null;
        try
        {
            while (reader.Read())
            {
                int start = (int)reader.TokenStartIndex;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                    {
                        string name = reader.GetString()!;
                        var (path, _, keys) = frames.Peek();
                        if (offsets is null && !keys!.Add(name) && duplicate is null)
                        {
                            // Reported where a reader that stops at the key would: at the colon after it.
                            var (line, column) = LineColumn(Colon(start + 1 + reader.ValueSpan.Length + 1));
                            duplicate = Diagnostic.Error(SynCodes.ConfigSyntax,
                                $"Invalid JSON: Property with the name '{name}' already exists in the current JSON object.", File, line, column);
                        }
                        pendingKey = start;
                        pendingPath = offsets is null ? "" : path.Length == 0 ? name : path + "." + name;
                        continue;
                    }
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.Pop();
                        continue;
                }
                string valuePath = pendingPath ?? ItemPath(frames, offsets is not null);
                if (offsets is not null) offsets[valuePath] = (pendingKey, start);
                pendingKey = -1;
                pendingPath = null;
                if (reader.TokenType == JsonTokenType.StartObject) frames.Push((valuePath, 0, offsets is null ? new HashSet<string>(StringComparer.Ordinal) : null));
                else if (reader.TokenType == JsonTokenType.StartArray) frames.Push((valuePath, 0, null));
            }
        }
        catch (JsonException ex)
        {
            return SyntaxError(ex);
        }
        return duplicate;
    }

    /// <summary>The path of the next item of the array on top of the stack (the root when there is none).</summary>
    private static string ItemPath(Stack<(string Path, int Next, HashSet<string>? Keys)> frames, bool named)
    {
        if (frames.Count == 0) return "";
        var (path, next, keys) = frames.Pop();
        frames.Push((path, next + 1, keys));
        return named ? $"{path}[{next}]" : "";
    }

    private int Colon(int from)
    {
        int i = from;
        while (i < _utf8.Length && _utf8[i] != (byte)':') i++;
        return Math.Min(i, _utf8.Length);
    }

    private Diagnostic SyntaxError(JsonException ex)
    {
        // Positions are 0-based, and the column is in UTF-8 bytes: convert to a 1-based character column.
        int line = (int)(ex.LineNumber ?? 0);
        int bytes = (int)(ex.BytePositionInLine ?? 0);
        int column = bytes + 1;
        if (line < _lineStarts.Count)
        {
            int start = _lineStarts[line];
            int end = line + 1 < _lineStarts.Count ? _lineStarts[line + 1] - 1 : _utf8.Length;
            column = Encoding.UTF8.GetCharCount(_utf8, start, Math.Min(bytes, end - start)) + 1;
        }
        string message = ex.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut].TrimEnd('.', ' ') + ".";
        return Diagnostic.Error(SynCodes.ConfigSyntax, $"Invalid JSON: {message}", File, line + 1, column);
    }
}
