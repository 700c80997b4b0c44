using SynthBuild.Core.Diagnostics;
namespace SynthBuild.Core.Config;

internal sealed partial class ConfigBinder
{
    private BackgroundSpec BindBackground(ConfigNode? bg, ImageFolderRef? textureImages)
    {
        double[]? tableSize = bg?.Array("tableSize") is { } ts ? ts.Items.Select(t => t.AsDouble).ToArray() : null;
        var backgroundSpec = new BackgroundSpec(
            bg?.Vecs("colors") ?? DatasetSpec.Defaults.BackgroundColors,
            bg?.Vecs("tableColors") ?? DatasetSpec.Defaults.TableColors,
            tableSize?[0] ?? DatasetSpec.Defaults.TableSizeX,
            tableSize?[1] ?? DatasetSpec.Defaults.TableSizeY,
            bg?.Str("mode") ?? "gradient",
            bg?.Array("tablePatterns") is { } tp ? tp.Items.Select(t => Enum.Parse<TexturePattern>(t.AsString, ignoreCase: true)).ToList() : DatasetSpec.Defaults.TablePatterns,
            bg?.Dbl("blend") ?? 0,
            bg?["images"] is { } folder ? ImageFolderOf(folder, 0) : null,
            RangeOf(bg, "imageZoom", DatasetSpec.Defaults.ImageZoom),
            RangeOf(bg, "tableImageScale", DatasetSpec.Defaults.TableImageScale));
        if (bg?.Array("tablePatterns") is { } tableArr && textureImages is null)
            foreach (ConfigNode t in tableArr.Items)
                if (t.AsString == "image")
                    Error(SynCodes.ConfigContradictory, t, "background.tablePatterns: 'image' needs a texture folder; set materials.textures.folder.");
        return backgroundSpec;
    }
}
