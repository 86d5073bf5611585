using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ovnsim.Engine;

/// <summary>
/// A flow key: every field the pipelines match, in 32 64-bit words (Open vSwitch's <c>struct flow</c>, laid out for
/// masked compares a vector at a time). The packet's header fields and the pipeline's metadata (registers,
/// conntrack state, conjunction id, recirculation id) share one key, as they share <c>struct flow</c>. Fields
/// whose OpenFlow match is most common come first, so most masks touch only the first vectors.
/// </summary>
[InlineArray(Words)]
public struct FlowKey : IEquatable<FlowKey>
{
    /// <summary>Words in a key.</summary>
    public const int Words = 32;

    private ulong _word;

    /// <summary>Whether every word is equal.</summary>
    public readonly bool Equals(FlowKey other) =>
        ((ReadOnlySpan<ulong>)this).SequenceEqual(other);

    /// <summary>Equality.</summary>
    public static bool operator ==(FlowKey a, FlowKey b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(FlowKey a, FlowKey b) => !a.Equals(b);

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    /// <inheritdoc/>
    public override readonly int GetHashCode()
    {
        var h = new HashCode();
        foreach (ulong w in (ReadOnlySpan<ulong>)this)
        {
            h.Add(w);
        }

        return h.ToHashCode();
    }
}

/// <summary>Where one field lives in a <see cref="FlowKey"/>: bits <see cref="Shift"/>.. of word <see cref="Word"/>
/// (for 128-bit fields, the high half in <see cref="Word"/> and the low half in the next word).</summary>
/// <param name="Name">The OVS field name.</param>
/// <param name="Word">The word.</param>
/// <param name="Shift">The lowest bit within the word.</param>
/// <param name="Bits">The width.</param>
public sealed record KeyField(string Name, int Word, int Shift, int Bits)
{
    /// <summary>The field's bits in its word (for fields of 64 bits or fewer).</summary>
    public ulong WordMask { get; } = Bits >= 64 ? ulong.MaxValue : ((1UL << Bits) - 1) << Shift;

    /// <summary>The field's value as a 64-bit number (the low 64 bits of a 128-bit field): the quick form of <see cref="Get"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Get64(in FlowKey key) => Bits == 128 ? key[Word + 1] : (key[Word] & WordMask) >> Shift;

    /// <summary>All ones across the field's width.</summary>
    public UInt128 AllOnes => Bits == 128 ? UInt128.MaxValue : (UInt128.One << Bits) - 1;

    /// <summary>The field's value.</summary>
    public UInt128 Get(in FlowKey key)
    {
        if (Bits == 128)
        {
            return new UInt128(key[Word], key[Word + 1]);
        }

        return Bits == 64 ? key[Word] : (key[Word] >> Shift) & ((1UL << Bits) - 1);
    }

    /// <summary>Writes the whole field (of 64 bits or fewer) from <paramref name="value"/>: the quick form of <see cref="Set"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set64(ref FlowKey key, ulong value) =>
        key[Word] = (key[Word] & ~WordMask) | ((value << Shift) & WordMask);

    /// <summary>Writes the bits of <paramref name="value"/> that <paramref name="mask"/> selects.</summary>
    public void Set(ref FlowKey key, UInt128 value, UInt128 mask)
    {
        if (Bits == 128)
        {
            key[Word] = (key[Word] & ~(ulong)(mask >> 64)) | ((ulong)(value >> 64) & (ulong)(mask >> 64));
            key[Word + 1] = (key[Word + 1] & ~(ulong)mask) | ((ulong)value & (ulong)mask);
            return;
        }

        ulong m = ((ulong)mask << Shift) & WordMask, v = (ulong)value << Shift;
        key[Word] = (key[Word] & ~m) | (v & m);
    }
}

/// <summary>
/// Where the Ethernet, IPv4 and transport fields sit, as constants for the per-packet paths (extraction, header
/// commits) that read and write them a word at a time. <see cref="KeyFields"/> builds those fields from these.
/// </summary>
internal static class KeyLayout
{
    /// <summary>in_port (bits 0-31), dl_type (32-47), vlan_tci (48-63).</summary>
    public const int Types = 1;

    /// <summary>dl_dst (bits 0-47), nw_proto (48-55), nw_tos (56-63).</summary>
    public const int EthDst = 2;

    /// <summary>dl_src (bits 0-47), nw_ttl (48-55), nw_frag (56-63).</summary>
    public const int EthSrc = 3;

    /// <summary>nw_src (bits 0-31), nw_dst (32-63).</summary>
    public const int IpAddrs = 4;

    /// <summary>tp_src (bits 0-15), tp_dst (16-31), tcp_flags (32-47), ct_zone (48-63).</summary>
    public const int Ports = 5;

    /// <summary>A MAC's 48 bits.</summary>
    public const ulong Mac = 0xffff_ffff_ffff;

    /// <summary>dl_type's shift in <see cref="Types"/>.</summary>
    public const int DlTypeShift = 32;

    /// <summary>vlan_tci's shift in <see cref="Types"/>.</summary>
    public const int VlanShift = 48;

    /// <summary>nw_proto's shift in <see cref="EthDst"/>.</summary>
    public const int ProtoShift = 48;

    /// <summary>nw_tos's shift in <see cref="EthDst"/>.</summary>
    public const int TosShift = 56;

    /// <summary>nw_ttl's shift in <see cref="EthSrc"/>.</summary>
    public const int TtlShift = 48;

    /// <summary>nw_frag's shift in <see cref="EthSrc"/>.</summary>
    public const int FragShift = 56;

    /// <summary>ct_state (bits 0-31), ct_mark (32-63).</summary>
    public const int CtStateMark = 7;

    /// <summary>ct_label's high half; the low half is the next word.</summary>
    public const int CtLabel = 16;

    /// <summary>ct_nw_proto, at <see cref="ProtoShift"/> (as nw_proto in <see cref="EthDst"/>).</summary>
    public const int CtProto = 18;

    /// <summary>ct_nw_src (bits 0-31), ct_nw_dst (32-63).</summary>
    public const int CtAddrs = 20;

    /// <summary>ct_tp_src (bits 0-15), ct_tp_dst (16-31).</summary>
    public const int CtPorts = 21;
}

/// <summary>
/// The chunks of a key that hold conntrack's fields (<see cref="KeyFields.CtMask"/>), saved and put back around a ct
/// action without copying the whole key, a Vector256 at a time: the key was written a vector at a time, and a 64-bit
/// read of a word a vector store has just written waits for the store.
/// </summary>
internal static class CtWords
{
    private static readonly int[] Chunks = FindChunks();

    private static int[] FindChunks()
    {
        int[] chunks = MaskedKey.ActiveChunks(KeyFields.CtMask);
        return chunks.Length <= 4 ? chunks : throw new InvalidOperationException("the ct fields span more chunks than CtWords.Saved holds");
    }

    /// <summary>Up to four saved chunks.</summary>
    [InlineArray(16)]
    public struct Saved
    {
        private ulong _word;
    }

    /// <summary>The ct chunks of <paramref name="key"/>.</summary>
    public static Saved Save(in FlowKey key)
    {
        var saved = default(Saved);
        ref ulong from = ref MaskedKey.Words(key);
        ref ulong to = ref Unsafe.As<Saved, ulong>(ref saved);
        var chunks = Chunks;
        for (int i = 0; i < chunks.Length; i++)
        {
            nuint at = (nuint)(chunks[i] * MaskedKey.ChunkWords), into = (nuint)(i * MaskedKey.ChunkWords);
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256.LoadUnsafe(ref from, at).StoreUnsafe(ref to, into);
            }
            else
            {
                for (nuint w = 0; w < MaskedKey.ChunkWords; w++)
                {
                    Unsafe.Add(ref to, into + w) = Unsafe.Add(ref from, at + w);
                }
            }
        }

        return saved;
    }

    /// <summary>Puts the ct fields of <paramref name="saved"/> back into <paramref name="key"/>, leaving its other bits.</summary>
    public static void Restore(ref FlowKey key, in Saved saved)
    {
        ref ulong to = ref Unsafe.As<FlowKey, ulong>(ref key);
        ref ulong from = ref Unsafe.As<Saved, ulong>(ref Unsafe.AsRef(in saved));
        ref ulong mask = ref MaskedKey.Words(KeyFields.CtMask);
        var chunks = Chunks;
        for (int i = 0; i < chunks.Length; i++)
        {
            nuint at = (nuint)(chunks[i] * MaskedKey.ChunkWords), of = (nuint)(i * MaskedKey.ChunkWords);
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256.ConditionalSelect(Vector256.LoadUnsafe(ref mask, at), Vector256.LoadUnsafe(ref from, of),
                    Vector256.LoadUnsafe(ref to, at)).StoreUnsafe(ref to, at);
            }
            else
            {
                for (nuint w = 0; w < MaskedKey.ChunkWords; w++)
                {
                    ulong m = Unsafe.Add(ref mask, at + w);
                    Unsafe.Add(ref to, at + w) = (Unsafe.Add(ref to, at + w) & ~m) | (Unsafe.Add(ref from, of + w) & m);
                }
            }
        }
    }
}

/// <summary>The fields of <see cref="FlowKey"/> and their OVS names (lib/meta-flow.xml), aliases included.</summary>
public static class KeyFields
{
    // Word 0-7: the fields most matched (and all of test-classifier's).
    /// <summary>metadata.</summary>
    public static readonly KeyField Metadata = new("metadata", 0, 0, 64);

    /// <summary>in_port.</summary>
    public static readonly KeyField InPort = new("in_port", KeyLayout.Types, 0, 32);

    /// <summary>dl_type.</summary>
    public static readonly KeyField DlType = new("eth_type", KeyLayout.Types, KeyLayout.DlTypeShift, 16);

    /// <summary>The first VLAN's TCI (with the CFI/present bit 0x1000 set when there is a tag).</summary>
    public static readonly KeyField VlanTci = new("vlan_tci", KeyLayout.Types, KeyLayout.VlanShift, 16);

    /// <summary>dl_dst.</summary>
    public static readonly KeyField DlDst = new("eth_dst", KeyLayout.EthDst, 0, 48);

    /// <summary>nw_proto (ARP: the opcode's low byte).</summary>
    public static readonly KeyField NwProto = new("nw_proto", KeyLayout.EthDst, KeyLayout.ProtoShift, 8);

    /// <summary>The whole TOS byte.</summary>
    public static readonly KeyField NwTos = new("nw_tos", KeyLayout.EthDst, KeyLayout.TosShift, 8);

    /// <summary>dl_src.</summary>
    public static readonly KeyField DlSrc = new("eth_src", KeyLayout.EthSrc, 0, 48);

    /// <summary>nw_ttl / hop limit.</summary>
    public static readonly KeyField NwTtl = new("nw_ttl", KeyLayout.EthSrc, KeyLayout.TtlShift, 8);

    /// <summary>nw_frag: 1 any fragment, 2 a later fragment.</summary>
    public static readonly KeyField NwFrag = new("ip_frag", KeyLayout.EthSrc, KeyLayout.FragShift, 8);

    /// <summary>nw_src (ARP: spa).</summary>
    public static readonly KeyField NwSrc = new("ip_src", KeyLayout.IpAddrs, 0, 32);

    /// <summary>nw_dst (ARP: tpa).</summary>
    public static readonly KeyField NwDst = new("ip_dst", KeyLayout.IpAddrs, 32, 32);

    /// <summary>tp_src (ICMP type).</summary>
    public static readonly KeyField TpSrc = new("tp_src", KeyLayout.Ports, 0, 16);

    /// <summary>tp_dst (ICMP code).</summary>
    public static readonly KeyField TpDst = new("tp_dst", KeyLayout.Ports, 16, 16);

    /// <summary>tcp_flags.</summary>
    public static readonly KeyField TcpFlags = new("tcp_flags", KeyLayout.Ports, 32, 16);

    /// <summary>ct_zone.</summary>
    public static readonly KeyField CtZone = new("ct_zone", 5, 48, 16);

    /// <summary>tun_id.</summary>
    public static readonly KeyField TunId = new("tun_id", 6, 0, 64);

    /// <summary>ct_state.</summary>
    public static readonly KeyField CtState = new("ct_state", KeyLayout.CtStateMark, 0, 32);

    /// <summary>ct_mark.</summary>
    public static readonly KeyField CtMark = new("ct_mark", KeyLayout.CtStateMark, 32, 32);

    /// <summary>ip_dscp: the TOS byte's six DSCP bits, shifted down.</summary>
    public static readonly KeyField IpDscp = new("ip_dscp", 2, 58, 6);

    /// <summary>nw_ecn: the TOS byte's two ECN bits.</summary>
    public static readonly KeyField NwEcn = new("nw_ecn", 2, 56, 2);

    // Words 8-15: xreg0..7 (reg0 the high half of xreg0).

    /// <summary>ct_label (words 16-17).</summary>
    public static readonly KeyField CtLabel = new("ct_label", KeyLayout.CtLabel, 0, 128);

    /// <summary>arp_sha / nd_sll.</summary>
    public static readonly KeyField ArpSha = new("arp_sha", 18, 0, 48);

    /// <summary>ct_nw_proto.</summary>
    public static readonly KeyField CtNwProto = new("ct_nw_proto", KeyLayout.CtProto, KeyLayout.ProtoShift, 8);

    /// <summary>arp_tha / nd_tll.</summary>
    public static readonly KeyField ArpTha = new("arp_tha", 19, 0, 48);

    /// <summary>ct_nw_src.</summary>
    public static readonly KeyField CtNwSrc = new("ct_nw_src", KeyLayout.CtAddrs, 0, 32);

    /// <summary>ct_nw_dst.</summary>
    public static readonly KeyField CtNwDst = new("ct_nw_dst", KeyLayout.CtAddrs, 32, 32);

    /// <summary>ct_tp_src.</summary>
    public static readonly KeyField CtTpSrc = new("ct_tp_src", KeyLayout.CtPorts, 0, 16);

    /// <summary>ct_tp_dst.</summary>
    public static readonly KeyField CtTpDst = new("ct_tp_dst", KeyLayout.CtPorts, 16, 16);

    /// <summary>conj_id.</summary>
    public static readonly KeyField ConjId = new("conj_id", 21, 32, 32);

    /// <summary>ipv6_src (words 22-23).</summary>
    public static readonly KeyField Ipv6Src = new("ipv6_src", 22, 0, 128);

    /// <summary>ipv6_dst (words 24-25).</summary>
    public static readonly KeyField Ipv6Dst = new("ipv6_dst", 24, 0, 128);

    /// <summary>nd_target (words 26-27).</summary>
    public static readonly KeyField NdTarget = new("nd_target", 26, 0, 128);

    /// <summary>ipv6_label.</summary>
    public static readonly KeyField Ipv6Label = new("ipv6_label", 28, 0, 20);

    /// <summary>dp_hash.</summary>
    public static readonly KeyField DpHash = new("dp_hash", 28, 32, 32);

    /// <summary>recirc_id.</summary>
    public static readonly KeyField RecircId = new("recirc_id", 29, 0, 32);

    /// <summary>pkt_mark.</summary>
    public static readonly KeyField PktMark = new("pkt_mark", 29, 32, 32);

    // Words 30-31 are spare (ct_ipv6_src/dst are not modelled).
    private static readonly KeyField[] RegFields = [.. Enumerable.Range(0, 16).Select(i => new KeyField($"reg{i}", 8 + (i / 2), i % 2 == 0 ? 32 : 0, 32))];

    private static readonly KeyField[] XregFields = [.. Enumerable.Range(0, 8).Select(i => new KeyField($"xreg{i}", 8 + i, 0, 64))];

    private static readonly KeyField[] XxregFields = [.. Enumerable.Range(0, 4).Select(i => new KeyField($"xxreg{i}", 8 + (2 * i), 0, 128))];

    /// <summary>reg<paramref name="i"/>.</summary>
    public static KeyField Reg(int i) => RegFields[i];

    private static readonly Dictionary<string, KeyField> ByName = BuildNames();

    /// <summary>
    /// The bits of the packet's own header fields: what extraction fills in and what a commit writes back (in_port
    /// and the ct fields are metadata, not headers).
    /// </summary>
    public static readonly FlowKey HeaderMask = MaskOf(DlDst, DlSrc, DlType, VlanTci, NwProto, NwTos, NwTtl, NwFrag,
        NwSrc, NwDst, TpSrc, TpDst, TcpFlags, ArpSha, ArpTha, Ipv6Src, Ipv6Dst, NdTarget, Ipv6Label);

    /// <summary>
    /// The cumulative field groups of OVS's staged lookup (<c>flow_segment_u64s</c>): metadata (everything not a
    /// header: registers, conntrack, in_port, tunnel, recirculation), then with L2, then with L3. L4 completes the key.
    /// </summary>
    public static readonly FlowKey[] Stages = BuildStages();

    private static FlowKey[] BuildStages()
    {
        var l2 = MaskOf(DlDst, DlSrc, DlType, VlanTci);
        var l3 = MaskOf(NwSrc, NwDst, NwProto, NwTos, NwTtl, NwFrag, ArpSha, ArpTha, Ipv6Src, Ipv6Dst, Ipv6Label, NdTarget);
        var l4 = MaskOf(TpSrc, TpDst, TcpFlags);
        var metadata = default(FlowKey);
        var withL2 = default(FlowKey);
        var withL3 = default(FlowKey);
        for (int w = 0; w < FlowKey.Words; w++)
        {
            metadata[w] = ~(l2[w] | l3[w] | l4[w]);
            withL2[w] = metadata[w] | l2[w];
            withL3[w] = withL2[w] | l3[w];
        }

        return [metadata, withL2, withL3];
    }

    /// <summary>The bits conntrack sets: ct_state, ct_zone, ct_mark, ct_label and the original-direction fields.</summary>
    public static readonly FlowKey CtMask = MaskOf(CtState, CtZone, CtMark, CtLabel, CtNwProto, CtNwSrc, CtNwDst, CtTpSrc, CtTpDst);

    /// <summary><paramref name="key"/> with the bits of <paramref name="mask"/> taken from <paramref name="from"/>.</summary>
    public static void CopyMasked(ref FlowKey key, in FlowKey from, in FlowKey mask) => MaskedKey.Blend(ref key, from, mask);

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> agree on the bits of <paramref name="mask"/>.</summary>
    public static bool EqualMasked(in FlowKey a, in FlowKey b, in FlowKey mask) => MaskedKey.EqualMasked(a, b, mask);

    /// <summary>A mask with every bit of <paramref name="fields"/> set.</summary>
    public static FlowKey MaskOf(params KeyField[] fields)
    {
        var m = default(FlowKey);
        foreach (var f in fields)
        {
            f.Set(ref m, UInt128.MaxValue, f.AllOnes);
        }

        return m;
    }

    /// <summary>Every name <see cref="Get"/> accepts (aliases included).</summary>
    public static IEnumerable<string> Names => ByName.Keys;

    /// <summary>The field an OVS name (or an alias meta-flow accepts) denotes.</summary>
    public static KeyField Get(string name) =>
        ByName.TryGetValue(name, out var f) ? f : throw new ArgumentException($"field {name} is not in the flow key", nameof(name));

    private static Dictionary<string, KeyField> BuildNames()
    {
        var map = new Dictionary<string, KeyField>(StringComparer.Ordinal);
        foreach (var f in typeof(KeyFields).GetFields().Where(f => f.FieldType == typeof(KeyField)).Select(f => (KeyField)f.GetValue(null)!))
        {
            map[f.Name] = f;
        }

        foreach (var f in RegFields.Concat(XregFields).Concat(XxregFields))
        {
            map[f.Name] = f;
        }

        (string Alias, KeyField Field)[] aliases =
        [
            ("dl_type", DlType), ("dl_src", DlSrc), ("dl_dst", DlDst), ("ipv4_src", NwSrc), ("ipv4_dst", NwDst),
            ("nw_src", NwSrc), ("nw_dst", NwDst), ("arp_spa", NwSrc), ("arp_tpa", NwDst), ("arp_op", NwProto),
            ("ip_proto", NwProto), ("tcp_src", TpSrc), ("tcp_dst", TpDst), ("udp_src", TpSrc), ("udp_dst", TpDst),
            ("sctp_src", TpSrc), ("sctp_dst", TpDst), ("icmp_type", TpSrc), ("icmp_code", TpDst),
            ("icmpv6_type", TpSrc), ("icmpv6_code", TpDst), ("nd_sll", ArpSha), ("nd_tll", ArpTha),
            ("nw_frag", NwFrag), ("ip_ttl", NwTtl),
        ];
        foreach (var (alias, field) in aliases)
        {
            map[alias] = field;
        }

        return map;
    }
}
