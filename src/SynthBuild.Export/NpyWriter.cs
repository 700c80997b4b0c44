using System.Globalization;
using System.Text;

namespace SynthBuild.Export;

/// <summary>
/// Streams an array into a NumPy <c>.npy</c> file (format 1.0, little-endian, C order): rows are appended one at a
/// time and the leading dimension is patched into the header when the writer is disposed, so memory does not grow
/// with the number of rows. The header is padded to a fixed size that leaves room for any row count.
/// </summary>
public sealed class NpyWriter : IDisposable
{
    private const int HeaderSize = 256; // magic + version + length + dict, a multiple of 64 as NumPy writes it
    private readonly FileStream _stream;
    private readonly string _descr;
    private readonly int[] _rowShape;
    private readonly long _rowBytes;
    private long _rows;
    private bool _closed;

    /// <param name="descr">NumPy dtype descriptor as a Python literal, e.g. <c>'&lt;u2'</c> or a structured list.</param>
    /// <param name="rowShape">Shape of one row (empty for a 1-D array).</param>
    /// <param name="rowBytes">Bytes per row.</param>
    public NpyWriter(string path, string descr, int[] rowShape, long rowBytes)
    {
        _descr = descr;
        _rowShape = rowShape;
        _rowBytes = rowBytes;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _stream.Write(Header(0));
    }

    public long Rows => _rows;

    /// <summary>Appends one row of exactly <c>rowBytes</c> little-endian bytes.</summary>
    public void WriteRow(ReadOnlySpan<byte> row)
    {
        if (row.Length != _rowBytes) throw new ArgumentException($"row has {row.Length} bytes, expected {_rowBytes}");
        _stream.Write(row);
        _rows++;
    }

    /// <summary>Appends several rows at once.</summary>
    public void WriteRows(ReadOnlySpan<byte> rows, long count)
    {
        if (rows.Length != _rowBytes * count) throw new ArgumentException($"{rows.Length} bytes for {count} rows of {_rowBytes}");
        _stream.Write(rows);
        _rows += count;
    }

    private byte[] Header(long rows)
    {
        var shape = new StringBuilder("(").Append(rows.ToString(CultureInfo.InvariantCulture));
        if (_rowShape.Length == 0) shape.Append(',');
        foreach (int d in _rowShape) shape.Append(", ").Append(d.ToString(CultureInfo.InvariantCulture));
        shape.Append(')');
        string dict = "{'descr': " + _descr + ", 'fortran_order': False, 'shape': " + shape + ", }";
        int dictSpace = HeaderSize - 10;
        if (dict.Length + 1 > dictSpace) throw new InvalidOperationException("NPY header too long: " + dict);
        var header = new byte[HeaderSize];
        header[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", header.AsSpan(1));
        header[6] = 1;
        header[7] = 0;
        header[8] = (byte)(dictSpace & 0xff);
        header[9] = (byte)(dictSpace >> 8);
        Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        header.AsSpan(10 + dict.Length, dictSpace - dict.Length - 1).Fill((byte)' ');
        header[HeaderSize - 1] = (byte)'\n';
        return header;
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        _stream.Position = 0;
        _stream.Write(Header(_rows));
        _stream.Dispose();
    }
}
