namespace Ovnsim.OpenFlow;

/// <summary>
/// An OpenFlow match over Open vSwitch's flow fields (lib/match.h <c>struct match</c>: a flow and its wildcard
/// masks), with the fields OVN's pipelines use. Where OVS keeps two protocols in one field (ARP's sender address in
/// nw_src, ARP's opcode in nw_proto, ND's link-layer addresses in arp_sha/arp_tha, ICMP type and code in
/// tp_src/tp_dst), so does this.
/// </summary>
public sealed class OvsMatch
{
    /// <summary>Registers reg0..reg15 (value, mask).</summary>
    public (uint Value, uint Mask)[] Regs { get; } = new (uint, uint)[16];

    /// <summary>The metadata field (the logical datapath's key).</summary>
    public (ulong Value, ulong Mask) Metadata { get; set; }

    /// <summary>conj_id, or 0 when not matched.</summary>
    public uint ConjId { get; set; }

    /// <summary>The OpenFlow input port, or null when not matched.</summary>
    public uint? InPort { get; set; }

    /// <summary>ct_state (8 bits).</summary>
    public (uint Value, uint Mask) CtState { get; set; }

    /// <summary>ct_mark.</summary>
    public (uint Value, uint Mask) CtMark { get; set; }

    /// <summary>ct_label.</summary>
    public (UInt128 Value, UInt128 Mask) CtLabel { get; set; }

    /// <summary>pkt_mark.</summary>
    public (uint Value, uint Mask) PktMark { get; set; }

    /// <summary>The first VLAN TCI.</summary>
    public (ushort Value, ushort Mask) VlanTci { get; set; }

    /// <summary>dl_src.</summary>
    public (ulong Value, ulong Mask) DlSrc { get; set; }

    /// <summary>dl_dst.</summary>
    public (ulong Value, ulong Mask) DlDst { get; set; }

    /// <summary>dl_type (matched exactly or not at all).</summary>
    public ushort? DlType { get; set; }

    /// <summary>nw_src (IPv4 source, or ARP's sender protocol address).</summary>
    public (uint Value, uint Mask) NwSrc { get; set; }

    /// <summary>nw_dst (IPv4 destination, or ARP's target protocol address).</summary>
    public (uint Value, uint Mask) NwDst { get; set; }

    /// <summary>ipv6_src.</summary>
    public (UInt128 Value, UInt128 Mask) Ipv6Src { get; set; }

    /// <summary>ipv6_dst.</summary>
    public (UInt128 Value, UInt128 Mask) Ipv6Dst { get; set; }

    /// <summary>ipv6_label.</summary>
    public (uint Value, uint Mask) Ipv6Label { get; set; }

    /// <summary>nw_proto (IP protocol, or ARP opcode's low byte), matched exactly or not at all.</summary>
    public byte? NwProto { get; set; }

    /// <summary>arp_sha / nd_sll.</summary>
    public (ulong Value, ulong Mask) ArpSha { get; set; }

    /// <summary>arp_tha / nd_tll.</summary>
    public (ulong Value, ulong Mask) ArpTha { get; set; }

    /// <summary>The DSCP and ECN bits of nw_tos (value, mask).</summary>
    public (byte Value, byte Mask) NwTos { get; set; }

    /// <summary>nw_ttl, matched exactly or not at all.</summary>
    public byte? NwTtl { get; set; }

    /// <summary>nw_frag (2 bits: any, later).</summary>
    public (byte Value, byte Mask) NwFrag { get; set; }

    /// <summary>tp_src (also ICMP type).</summary>
    public (ushort Value, ushort Mask) TpSrc { get; set; }

    /// <summary>tp_dst (also ICMP code).</summary>
    public (ushort Value, ushort Mask) TpDst { get; set; }

    /// <summary>nd_target.</summary>
    public (UInt128 Value, UInt128 Mask) NdTarget { get; set; }

    /// <summary>tcp_flags.</summary>
    public (ushort Value, ushort Mask) TcpFlags { get; set; }

    /// <summary>
    /// <c>match_set_xxreg</c>: xxreg<paramref name="index"/> (reg 4·index … 4·index+3, the first the most
    /// significant) equal to <paramref name="value"/>.
    /// </summary>
    public void SetXxreg(int index, UInt128 value)
    {
        for (int i = 0; i < 4; i++)
        {
            Regs[(4 * index) + i] = ((uint)(value >> (32 * (3 - i))), uint.MaxValue);
        }
    }
}
