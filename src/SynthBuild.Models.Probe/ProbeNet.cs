using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SynthBuild.Models.Probe;

/// <summary>
/// A CenterNet-style anchor-free detector of ~0.3M parameters: a 4-stage strided conv backbone (strides 2..16), a
/// small top-down path with skips back to stride 4, and three heads at stride 4: a heatmap per category (sigmoid
/// logits), the box size (width, height in output cells) and the sub-cell offset of the centre.
/// </summary>
internal sealed class ProbeNet : Module<Tensor, (Tensor Heatmap, Tensor Size, Tensor Offset)>
{
    public const int Stride = 4;
    private readonly Sequential s2, s4, s8, s16, lat16, lat4, fuse8, fuse4, hm, wh, off;

    private static Sequential Cbr(long i, long o, long stride = 1, long k = 3) =>
        Sequential(Conv2d(i, o, k, stride: stride, padding: k / 2, bias: false), BatchNorm2d(o), ReLU());

    public ProbeNet(int categories) : base("probe")
    {
        s2 = Sequential(Cbr(3, 16, 2));
        s4 = Sequential(Cbr(16, 32, 2), Cbr(32, 32));
        s8 = Sequential(Cbr(32, 64, 2), Cbr(64, 64));
        s16 = Sequential(Cbr(64, 96, 2), Cbr(96, 96));
        lat16 = Cbr(96, 64, 1, 1);
        fuse8 = Cbr(64, 64);
        lat4 = Cbr(32, 64, 1, 1);
        fuse4 = Cbr(64, 48);
        Sequential Head(long outputs) => Sequential(Conv2d(48, 48, 3, padding: 1), ReLU(), Conv2d(48, outputs, 1));
        hm = Head(categories);
        wh = Head(2);
        off = Head(2);
        RegisterComponents();
        // Heatmap prior 0.1 (CenterNet): without it the focal loss of the empty background dominates the first steps.
        using (no_grad()) ((Conv2d)hm[2]).bias!.fill_(-2.19);
    }

    public override (Tensor Heatmap, Tensor Size, Tensor Offset) forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var c4 = s4.forward(s2.forward(x));
        var c8 = s8.forward(c4);
        var c16 = s16.forward(c8);
        var p8 = fuse8.forward(functional.interpolate(lat16.forward(c16), scale_factor: [2.0, 2.0]) + c8);
        var p4 = fuse4.forward(functional.interpolate(p8, scale_factor: [2.0, 2.0]) + lat4.forward(c4));
        return (hm.forward(p4).MoveToOuterDisposeScope(), wh.forward(p4).MoveToOuterDisposeScope(), off.forward(p4).MoveToOuterDisposeScope());
    }
}
