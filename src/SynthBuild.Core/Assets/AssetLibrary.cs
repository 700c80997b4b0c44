using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Assets;

public sealed record AssetLoadResult(AssetLibrary? Library, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Library is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// The decoded assets a spec refers to (user meshes, image folders), loaded once per build. Each file is decoded once
/// per content hash (and scale or size limit), however many categories or folders name it. A decode failure is a
/// SYN1008 (mesh) or SYN1009 (images) error at the config value that named the file.
/// </summary>
public sealed class AssetLibrary
{
    private readonly Dictionary<MeshRef, UserMesh> _meshes;
    private readonly Dictionary<ImageFolderRef, ImageFolder> _folders;

    private AssetLibrary(Dictionary<MeshRef, UserMesh> meshes, Dictionary<ImageFolderRef, ImageFolder> folders) =>
        (_meshes, _folders) = (meshes, folders);

    /// <summary>The library of a spec with no user assets.</summary>
    public static AssetLibrary Empty { get; } = new([], []);

    public static AssetLoadResult Load(DatasetSpec spec)
    {
        var diagnostics = new List<Diagnostic>();
        var meshes = new Dictionary<MeshRef, UserMesh>();
        var byContent = new Dictionary<(string Sha256, double Scale), UserMesh>();
        foreach (MeshRef mesh in spec.Categories.Select(c => c.Mesh).OfType<MeshRef>())
        {
            if (!byContent.TryGetValue((mesh.Sha256, mesh.Scale), out UserMesh? user))
            {
                try
                {
                    user = GltfMesh.IsGltf(mesh.Path) ? GltfMesh.Load(mesh.Path, mesh.Scale) : ObjMesh.Load(mesh.Path, mesh.Scale);
                }
                catch (Exception ex) when (AssetDecodeFailure.Is(ex))
                {
                    diagnostics.Add(mesh.At.Error(SynCodes.BadMesh, ex.Message.Contains(Path.GetFileName(mesh.Path), StringComparison.Ordinal)
                        ? ex.Message : $"'{mesh.Path}' cannot be read as a mesh: {ex.Message}"));
                    continue;
                }
                byContent[(mesh.Sha256, mesh.Scale)] = user;
            }
            meshes[mesh] = user;
        }

        var folders = new Dictionary<ImageFolderRef, ImageFolder>();
        var images = new Dictionary<(string Sha256, int MaxSide), ImageData>();
        foreach (ImageFolderRef folder in new[] { spec.Materials.Textures?.Folder, spec.Background.Images }.OfType<ImageFolderRef>())
        {
            try
            {
                var decoded = new List<ImageData>(folder.Images.Count);
                foreach (ImageRef image in folder.Images)
                {
                    if (!images.TryGetValue((image.Sha256, folder.MaxSide), out ImageData? data))
                        images[(image.Sha256, folder.MaxSide)] = data = ImageFolder.Load(folder.PathOf(image), image.Sha256, folder.MaxSide);
                    // Same content under another name: the name is what annotations and the fingerprint show.
                    decoded.Add(data.Name == image.Name ? data : new ImageData(image.Name, data.Sha256, data.Rgb, data.Width, data.Height));
                }
                folders[folder] = new ImageFolder(folder.Folder, decoded);
            }
            catch (Exception ex) when (AssetDecodeFailure.Is(ex))
            {
                diagnostics.Add(folder.At.Error(SynCodes.BadImages, ex.Message));
            }
        }
        return new AssetLoadResult(diagnostics.Count == 0 ? new AssetLibrary(meshes, folders) : null, diagnostics);
    }

    /// <summary>The spec's assets, or a <see cref="DiagnosticException"/> with the first decode error.</summary>
    public static AssetLibrary LoadOrThrow(DatasetSpec spec)
    {
        var loaded = Load(spec);
        return loaded.Library ?? throw new DiagnosticException(loaded.Diagnostics.First(d => d.IsError));
    }

    /// <exception cref="ArgumentException">The mesh is not one of the library's spec.</exception>
    public UserMesh Mesh(MeshRef mesh) =>
        _meshes.TryGetValue(mesh, out var m) ? m : throw new ArgumentException($"Mesh '{mesh.Path}' was not loaded into this asset library.", nameof(mesh));

    /// <exception cref="ArgumentException">The folder is not one of the library's spec.</exception>
    public ImageFolder Images(ImageFolderRef folder) =>
        _folders.TryGetValue(folder, out var f) ? f : throw new ArgumentException($"Image folder '{folder.Folder}' was not loaded into this asset library.", nameof(folder));
}

/// <summary>Which exceptions of a decoder mean "this file is not what it claims to be" (reported as SYN1008/SYN1009
/// naming the file), as opposed to the process being in trouble.</summary>
internal static class AssetDecodeFailure
{
    public static bool Is(Exception ex) => ex is not (OutOfMemoryException or OperationCanceledException or ThreadAbortException or StackOverflowException);
}
