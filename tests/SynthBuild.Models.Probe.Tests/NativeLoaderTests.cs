using SynthBuild.Core.Diagnostics;
using SynthBuild.Models.Probe.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace SynthBuild.Models.Probe.Tests;

public class NativeLoaderTests
{
    private static string Original => TorchNativeLoader.FindOriginal() ?? throw new InvalidOperationException("libLibTorchSharp.so not in the test output");

    [Fact]
    public void Patch_changes_exactly_the_flags_of_the_glibcxx_3_4_32_requirement()
    {
        byte[] original = File.ReadAllBytes(Original);
        var r = ElfVerneedPatcher.Patch(original, "libstdc++.so.6", "GLIBCXX_3.4.32", Original);
        Assert.Equal(original.Length, r.Bytes.Length);
        Assert.True(r.Changed);
        Assert.Equal(0, r.FlagsBefore & 2);
        Assert.Equal(r.FlagsBefore | 2, r.FlagsAfter);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != r.Bytes[i]).ToList();
        // VER_FLG_WEAK is bit 1 of the little-endian vna_flags halfword: one byte, one bit.
        Assert.Equal([(int)r.FlagsOffset], differing);
        Assert.Equal(2, original[differing[0]] ^ r.Bytes[differing[0]]);
        // The input is not modified, and patching again changes nothing more.
        Assert.Equal(original, File.ReadAllBytes(Original));
        var again = ElfVerneedPatcher.Patch(r.Bytes, "libstdc++.so.6", "GLIBCXX_3.4.32");
        Assert.False(again.Changed);
        Assert.Equal(r.Bytes, again.Bytes);
    }

    [Fact]
    public void Patch_refuses_what_it_does_not_expect()
    {
        byte[] original = File.ReadAllBytes(Original);
        void Refused(byte[] bytes, string version, string why)
        {
            var ex = Assert.Throws<DiagnosticException>(() => ElfVerneedPatcher.Patch(bytes, "libstdc++.so.6", version, "x.so"));
            Assert.Equal(SynCodes.ProbeNativePatchRefused, ex.Diagnostic.Code);
            Assert.Contains(why, ex.Diagnostic.Message);
        }
        Refused("#!/bin/sh\necho not elf\n"u8.ToArray(), "GLIBCXX_3.4.32", "not an ELF file");
        Refused([], "GLIBCXX_3.4.32", "not an ELF file");
        var elf32 = (byte[])original.Clone(); elf32[4] = 1;
        Refused(elf32, "GLIBCXX_3.4.32", "not a 64-bit");
        Refused(original[..4096], "GLIBCXX_3.4.32", "section header table lies outside");
        Refused(original, "GLIBCXX_9.9.99", "does not require GLIBCXX_9.9.99");
        var exe = (byte[])original.Clone(); exe[0x10] = 2;
        Refused(exe, "GLIBCXX_3.4.32", "not a shared library");
    }

    [Fact]
    public void Needed_lists_the_libtorch_libraries()
    {
        var needed = ElfVerneedPatcher.Needed(File.ReadAllBytes(Original));
        Assert.Contains("libtorch_cpu.so", needed);
        Assert.Contains("libstdc++.so.6", needed);
    }

    [Fact]
    public void A_tensor_op_and_a_backward_pass_run()
    {
        var how = TorchNativeLoader.EnsureLoaded();
        Assert.Equal(!TorchNativeLoader.SystemHasVersion(), how.Patched);
        if (how.Patched) Assert.True(File.Exists(how.PatchedPath));
        var x = torch.tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(14f, y.item<float>());
        Assert.Equal(new float[] { 2, 4, 6 }, x.grad!.data<float>().ToArray());
    }
}
