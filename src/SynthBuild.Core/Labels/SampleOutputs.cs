using System.Buffers.Binary;
using System.Text;

namespace SynthBuild.Core.Labels;

/// <summary>Per-sample outputs derived from the label buffers: semantic mask, point cloud, normal map.</summary>
public static class SampleOutputs
{
    /// <summary>Category id per pixel from the (dense) instance ids and the annotation's objects.</summary>
    public static void Semantic(ReadOnlySpan<ushort> instanceIds, SampleAnnotation annotation, Span<ushort> semantic)
    {
        Span<ushort> categoryOf = stackalloc ushort[annotation.Objects.Count + 1];
        foreach (var o in annotation.Objects) categoryOf[o.InstanceId] = (ushort)o.CategoryId;
        for (int i = 0; i < instanceIds.Length; i++) semantic[i] = categoryOf[instanceIds[i]];
    }

    /// <summary>
    /// NumPy .npy (format 1.0, little-endian float32, C order, shape (N, 3)) of the camera-frame points of every
    /// pixel with a depth measurement, in row-major pixel order: x = (u + 0.5 − cx)·z/fx, y = (v + 0.5 − cy)·z/fy.
    /// </summary>
    public static byte[] PointCloudNpy(ReadOnlySpan<ushort> depthMm, int width, int height, CameraAnnotation k)
    {
        int n = 0;
        foreach (ushort d in depthMm) if (d != 0) n++;
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({n}, 3), }}";
        int headerLength = 10 + dict.Length + 1;
        int padded = (headerLength + 63) / 64 * 64;
        var bytes = new byte[padded + n * 12];
        bytes[0] = 0x93; "NUMPY"u8.CopyTo(bytes.AsSpan(1)); bytes[6] = 1; bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(padded - 10));
        Encoding.ASCII.GetBytes(dict, bytes.AsSpan(10));
        for (int p = 10 + dict.Length; p < padded - 1; p++) bytes[p] = (byte)' ';
        bytes[padded - 1] = (byte)'\n';
        int o = padded;
        for (int v = 0, i = 0; v < height; v++)
            for (int u = 0; u < width; u++, i++)
            {
                if (depthMm[i] == 0) continue;
                double z = depthMm[i] / 1000.0;
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(o), (float)((u + 0.5 - k.Cx) * z / k.Fx));
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(o + 4), (float)((v + 0.5 - k.Cy) * z / k.Fy));
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(o + 8), (float)z);
                o += 12;
            }
        return bytes;
    }

    /// <summary>Camera-frame normals → 8-bit RGB (n + 1) / 2 · 255; pixels with no surface stay black.</summary>
    public static byte[] NormalsRgb(ReadOnlySpan<float> normals)
    {
        var rgb = new byte[normals.Length];
        for (int i = 0; i < normals.Length; i += 3)
        {
            if (normals[i] == 0 && normals[i + 1] == 0 && normals[i + 2] == 0) continue;
            for (int c = 0; c < 3; c++) rgb[i + c] = (byte)Math.Clamp(Math.Round((normals[i + c] + 1) * 127.5), 0, 255);
        }
        return rgb;
    }
}
