using SynthBuild.Core.Diagnostics;
namespace SynthBuild.Core.Config;

internal sealed partial class ConfigBinder
{
    private MaterialSpec BindMaterials(ConfigNode? materials) => new(
        RangeOf(materials, "roughness", DatasetSpec.Defaults.Roughness),
        RangeOf(materials, "metallic", DatasetSpec.Defaults.Metallic),
        materials?.Dbl("colorJitter") ?? DatasetSpec.Defaults.ColorJitter,
        BindTextures(materials?.Object("textures")));

    private TextureSpec BindTextures(ConfigNode? textures)
    {
        var d = DatasetSpec.Defaults.Textures;
        if (textures is not { } t) return d;
        ImageFolderRef? folder = t["folder"] is { } f ? ImageFolderOf(f, DatasetSpec.Defaults.TextureImageMaxSide) : null;
        // A folder without a pattern list means: texture with the folder's images.
        IReadOnlyList<TexturePattern> patterns = t.Array("patterns") is { } p
            ? p.Items.Select(x => Enum.Parse<TexturePattern>(x.AsString, ignoreCase: true)).ToList()
            : t["folder"] is not null ? [TexturePattern.Image] : d.Patterns;
        if (t.Array("patterns") is { } listed && t["folder"] is null)
            foreach (ConfigNode x in listed.Items)
                if (x.AsString == "image")
                    Error(SynCodes.ConfigContradictory, x, "materials.textures.patterns: 'image' needs materials.textures.folder (a folder of PNG/JPEG textures).");
        return new TextureSpec(
            t.Dbl("probability") ?? d.Probability,
            patterns,
            RangeOf(t, "scale", d.Scale),
            folder,
            RangeOf(t, "imageScale", DatasetSpec.Defaults.TextureImageScale));
    }

    /// <summary>The images of a folder relative to the config, hashed: SYN1000 when it does not exist, SYN1009 when
    /// it holds no PNG/JPEG. Whether they decode is the Assets stage's check.</summary>
    private ImageFolderRef? ImageFolderOf(ConfigNode token, int maxSide)
    {
        string relative = token.AsString;
        string folder = Resolve(relative);
        if (!Directory.Exists(folder))
        {
            Error(SynCodes.ConfigFileNotFound, token, $"{token.Path}: folder '{relative}' not found (looked for '{folder}').");
            return null;
        }
        try
        {
            ImageFolderRef images = ImageFolderRef.Scan(folder, maxSide, positions.Value(token.Path));
            if (images.Images.Count == 0)
            {
                Error(SynCodes.BadImages, token, $"{token.Path}: folder '{relative}' holds no images; expected .png, .jpg or .jpeg files.");
                return null;
            }
            return images;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Error(SynCodes.BadImages, token, $"{token.Path}: {ex.Message}");
            return null;
        }
    }
}
