using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace SynthBuild.Export;

/// <summary>
/// TFRecord framing as TensorFlow writes it: uint64 length, masked CRC32C of the length bytes, the payload, masked
/// CRC32C of the payload (all little-endian).
/// </summary>
public sealed class TfRecordWriter(Stream stream) : IDisposable
{
    public void Write(ReadOnlySpan<byte> payload)
    {
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[8..], MaskedCrc(head[..8]));
        stream.Write(head);
        stream.Write(payload);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, MaskedCrc(payload));
        stream.Write(tail);
    }

    /// <summary>TensorFlow's crc32c::Mask: rotate right by 15 and add a constant.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }

    /// <summary>CRC-32C (Castagnoli), hardware-accelerated where the CPU has it.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8) crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    public void Dispose() => stream.Dispose();
}

/// <summary>
/// Encodes a <c>tensorflow.Example</c> (example.proto / feature.proto) without a protobuf runtime:
/// Example{1: Features{1: map&lt;string, Feature&gt;}}, Feature{1: BytesList, 2: FloatList, 3: Int64List},
/// each list a repeated field 1 (floats and int64s packed, as TensorFlow writes them). Features keep the order
/// they are added in, so equal inputs give equal bytes.
/// </summary>
public sealed class TfExampleBuilder
{
    private readonly MemoryStream _features = new();

    public TfExampleBuilder Bytes(string key, params byte[][] values)
    {
        var list = new MemoryStream();
        foreach (var v in values) WriteLengthDelimited(list, 1, v);
        return Feature(key, 1, list.ToArray());
    }

    public TfExampleBuilder Text(string key, params string[] values) =>
        Bytes(key, values.Select(Encoding.UTF8.GetBytes).ToArray());

    public TfExampleBuilder Int64(string key, params long[] values)
    {
        var packed = new MemoryStream();
        foreach (long v in values) WriteVarint(packed, unchecked((ulong)v));
        var list = new MemoryStream();
        WriteLengthDelimited(list, 1, packed.ToArray());
        return Feature(key, 3, list.ToArray());
    }

    public TfExampleBuilder Float(string key, params float[] values)
    {
        var packed = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(packed.AsSpan(4 * i), values[i]);
        var list = new MemoryStream();
        WriteLengthDelimited(list, 1, packed);
        return Feature(key, 2, list.ToArray());
    }

    private TfExampleBuilder Feature(string key, int kind, byte[] list)
    {
        var feature = new MemoryStream();
        WriteLengthDelimited(feature, kind, list);
        var entry = new MemoryStream();
        WriteLengthDelimited(entry, 1, Encoding.UTF8.GetBytes(key));
        WriteLengthDelimited(entry, 2, feature.ToArray());
        WriteLengthDelimited(_features, 1, entry.ToArray());
        return this;
    }

    /// <summary>The serialized Example.</summary>
    public byte[] ToArray()
    {
        var example = new MemoryStream();
        WriteLengthDelimited(example, 1, _features.ToArray());
        return example.ToArray();
    }

    private static void WriteLengthDelimited(Stream s, int field, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(s, (ulong)(field << 3 | 2));
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        s.WriteByte((byte)v);
    }
}
