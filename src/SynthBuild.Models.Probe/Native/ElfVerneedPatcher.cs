using System.Buffers.Binary;
using System.Text;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Probe.Native;

/// <summary>
/// A minimal, bounds-checked editor of one ELF64 little-endian structure: the version requirements
/// (SHT_GNU_verneed) of a shared library. It does one thing: set VER_FLG_WEAK on the requirement of one version name
/// from one library (e.g. GLIBCXX_3.4.32 from libstdc++.so.6), so that the dynamic loader accepts a system library
/// without that version. Anything it does not expect is refused with SYN8101 rather than guessed at.
/// </summary>
public static class ElfVerneedPatcher
{
    private const uint ShtDynamic = 6;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    private const long DtNeeded = 1;

    /// <summary>What <see cref="Patch"/> did: the file offset of the flags halfword, its flags before and after.</summary>
    public sealed record Result(byte[] Bytes, long FlagsOffset, ushort FlagsBefore, ushort FlagsAfter)
    {
        public bool Changed => FlagsBefore != FlagsAfter;
    }

    /// <summary>Returns a copy of <paramref name="elf"/> whose requirement of <paramref name="version"/> from
    /// <paramref name="library"/> is weak; the input is not modified. Already weak: an identical copy.</summary>
    /// <exception cref="DiagnosticException">SYN8101 for anything that is not an ELF64 LE shared library with exactly
    /// one such requirement.</exception>
    public static Result Patch(byte[] elf, string library, string version, string? file = null)
    {
        var sections = Sections(elf, file);
        var verneeds = sections.Where(s => s.Type == ShtGnuVerneed).ToList();
        if (verneeds.Count != 1) throw Bad($"expected one SHT_GNU_verneed section, found {verneeds.Count}", file);
        var vn = verneeds[0];
        if (vn.Link >= sections.Count) throw Bad("the version section's string table index is out of range", file);
        var strtab = sections[(int)vn.Link];

        long found = -1;
        long offset = vn.Offset;
        for (uint i = 0; i < vn.Info; i++)
        {
            Need(elf, offset, 16, vn, file);
            ushort vnVersion = U16(elf, offset);
            ushort vnCnt = U16(elf, offset + 2);
            uint vnFile = U32(elf, offset + 4), vnAux = U32(elf, offset + 8), vnNext = U32(elf, offset + 12);
            if (vnVersion != 1) throw Bad($"unknown verneed version {vnVersion}", file);
            string fileName = Str(elf, strtab, vnFile, file);
            long aux = offset + vnAux;
            for (int j = 0; j < vnCnt; j++)
            {
                Need(elf, aux, 16, vn, file);
                uint name = U32(elf, aux + 8), next = U32(elf, aux + 12);
                if (fileName == library && Str(elf, strtab, name, file) == version)
                {
                    if (found >= 0) throw Bad($"{version} of {library} is required twice", file);
                    found = aux + 4;
                }
                if (next == 0) break;
                aux += next;
            }
            if (vnNext == 0) break;
            offset += vnNext;
        }
        if (found < 0) throw Bad($"it does not require {version} of {library}", file);

        var copy = (byte[])elf.Clone();
        ushort before = U16(copy, found);
        ushort after = (ushort)(before | VerFlgWeak);
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan((int)found, 2), after);
        return new Result(copy, found, before, after);
    }

    /// <summary>The DT_NEEDED names of the dynamic section (the libraries the loader maps first).</summary>
    public static IReadOnlyList<string> Needed(byte[] elf, string? file = null)
    {
        var sections = Sections(elf, file);
        var result = new List<string>();
        foreach (var dyn in sections.Where(s => s.Type == ShtDynamic))
        {
            if (dyn.Link >= sections.Count) throw Bad("the dynamic section's string table index is out of range", file);
            var strtab = sections[(int)dyn.Link];
            for (long o = dyn.Offset; o + 16 <= dyn.Offset + dyn.Size; o += 16)
            {
                long tag = (long)U64(elf, o);
                if (tag == 0) break;
                if (tag == DtNeeded) result.Add(Str(elf, strtab, U64(elf, o + 8), file));
            }
        }
        return result;
    }

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);

    private static List<Section> Sections(byte[] b, string? file)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw Bad("not an ELF file", file);
        if (b[4] != 2 || b[5] != 1) throw Bad("not a 64-bit little-endian ELF file", file);
        ushort type = U16(b, 0x10);
        if (type != 3) throw Bad($"not a shared library (e_type {type})", file);
        ulong shoff = U64(b, 0x28);
        ushort shentsize = U16(b, 0x3a), shnum = U16(b, 0x3c);
        if (shentsize != 64 || shnum == 0) throw Bad($"unexpected section header table (entry size {shentsize}, count {shnum})", file);
        if (shoff > (ulong)b.Length || (ulong)b.Length - shoff < (ulong)shnum * 64) throw Bad("the section header table lies outside the file", file);
        var list = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = (long)shoff + i * 64L;
            uint t = U32(b, h + 4);
            ulong off = U64(b, h + 0x18), size = U64(b, h + 0x20);
            if (t != 8 /* SHT_NOBITS */ && (off > (ulong)b.Length || (ulong)b.Length - off < size))
                throw Bad($"section {i} lies outside the file", file);
            list.Add(new Section(t, (long)off, (long)size, U32(b, h + 0x28), U32(b, h + 0x2c)));
        }
        return list;
    }

    private static void Need(byte[] b, long offset, int length, Section within, string? file)
    {
        if (offset < within.Offset || offset + length > within.Offset + within.Size)
            throw Bad("a version entry points outside its section", file);
    }

    private static string Str(byte[] b, Section strtab, ulong index, string? file)
    {
        if (index >= (ulong)strtab.Size) throw Bad("a name points outside its string table", file);
        int start = (int)(strtab.Offset + (long)index);
        int end = Array.IndexOf(b, (byte)0, start, (int)(strtab.Offset + strtab.Size - start));
        if (end < 0) throw Bad("an unterminated name in the string table", file);
        return Encoding.ASCII.GetString(b, start, end - start);
    }

    private static ushort U16(byte[] b, long o) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(checked((int)o), 2));
    private static uint U32(byte[] b, long o) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(checked((int)o), 4));
    private static ulong U64(byte[] b, long o) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(checked((int)o), 8));

    private static DiagnosticException Bad(string why, string? file) =>
        new(Diagnostic.Error(SynCodes.ProbeNativePatchRefused, $"Cannot make the libstdc++ requirement of this library weak: {why}.", file));
}
