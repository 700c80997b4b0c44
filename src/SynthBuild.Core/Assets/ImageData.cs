namespace SynthBuild.Core.Assets;

/// <summary>A decoded 8-bit sRGB image (R, G, B per pixel, row-major) with its file's SHA-256.</summary>
public sealed class ImageData(string name, string sha256, byte[] rgb, int width, int height)
{
    public string Name { get; } = name;
    public string Sha256 { get; } = sha256;
    public byte[] Rgb { get; } = rgb;
    public int Width { get; } = width;
    public int Height { get; } = height;
    /// <summary>Linear RGB per texel (3 floats per pixel), for shading with image textures.</summary>
    public float[] Linear => _linear ??= ToLinear();
    private float[]? _linear;

    private float[] ToLinear()
    {
        var l = new float[Rgb.Length];
        for (int i = 0; i < l.Length; i++) l[i] = (float)Srgb.Decode(Rgb[i]);
        return l;
    }
}
