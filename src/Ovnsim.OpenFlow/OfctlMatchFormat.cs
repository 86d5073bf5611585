using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;

namespace Ovnsim.OpenFlow;

/// <summary>
/// Prints an <see cref="OvsMatch"/> as <c>ovs-ofctl</c> does (lib/match.c <c>match_format</c> of Open vSwitch 3.1):
/// priority, conj_id, conntrack fields, the protocol shorthand (ip, tcp6, arp, …), registers, metadata, in_port, VLAN,
/// Ethernet, network and transport fields in that fixed order, each as its formatter writes it.
/// </summary>
public static class OfctlMatchFormat
{
    private const int DefaultPriority = 32768;

    private static readonly string[] CtStates = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"];

    /// <summary>The match text with its priority, without the trailing comma.</summary>
    public static string Format(OvsMatch m, int priority)
    {
        var s = new StringBuilder();
        if (priority != DefaultPriority)
        {
            s.Append("priority=").Append(priority.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        Uint32Masked(s, "pkt_mark", m.PktMark.Value, m.PktMark.Mask);
        if (m.ConjId != 0)
        {
            s.Append("conj_id=").Append(m.ConjId.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        if (m.CtState.Mask != 0)
        {
            s.Append("ct_state=");
            if (m.CtState.Mask == 0xff)
            {
                var names = Enumerable.Range(0, 8).Where(b => (m.CtState.Value & (1u << b)) != 0).Select(b => CtStates[b]).ToList();
                s.Append(names.Count > 0 ? string.Join('|', names) : "0");
            }
            else
            {
                for (int b = 0; b < 8; b++)
                {
                    if ((m.CtState.Mask & (1u << b)) != 0)
                    {
                        s.Append((m.CtState.Value & (1u << b)) != 0 ? '+' : '-').Append(CtStates[b]);
                    }
                }
            }

            s.Append(',');
        }

        Uint32Masked(s, "ct_mark", m.CtMark.Value, m.CtMark.Mask);
        if (m.CtLabel.Mask != 0)
        {
            s.Append("ct_label=0x").Append(m.CtLabel.Value.ToString("x", CultureInfo.InvariantCulture));
            if (m.CtLabel.Mask != UInt128.MaxValue)
            {
                s.Append("/0x").Append(m.CtLabel.Mask.ToString("x", CultureInfo.InvariantCulture));
            }

            s.Append(',');
        }

        bool skipType = false, skipProto = false;
        if (m.DlType is { } dlType)
        {
            skipType = true;
            string? shorthand = (dlType, m.NwProto) switch
            {
                (0x0800, 1) => "icmp",
                (0x0800, 6) => "tcp",
                (0x0800, 17) => "udp",
                (0x0800, 132) => "sctp",
                (0x0800, _) => "ip",
                (0x86dd, 58) => "icmp6",
                (0x86dd, 6) => "tcp6",
                (0x86dd, 17) => "udp6",
                (0x86dd, 132) => "sctp6",
                (0x86dd, _) => "ipv6",
                (0x0806, _) => "arp",
                (0x8035, _) => "rarp",
                (0x8847, _) => "mpls",
                (0x8848, _) => "mplsm",
                _ => null,
            };
            skipProto = m.NwProto is not null && shorthand is "icmp" or "tcp" or "udp" or "sctp" or "icmp6" or "tcp6" or "udp6" or "sctp6";
            if (shorthand is null)
            {
                skipType = false;
            }
            else
            {
                s.Append(shorthand).Append(',');
            }
        }

        for (int i = 0; i < 16; i++)
        {
            Uint32Masked(s, $"reg{i}", m.Regs[i].Value, m.Regs[i].Mask);
        }

        if (m.Metadata.Mask != 0)
        {
            s.Append("metadata=").Append(HashHex(m.Metadata.Value));
            if (m.Metadata.Mask != ulong.MaxValue)
            {
                s.Append('/').Append(HashHex(m.Metadata.Mask));
            }

            s.Append(',');
        }

        if (m.InPort is { } inPort)
        {
            s.Append("in_port=").Append(inPort.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        FormatVlan(s, m.VlanTci.Value, m.VlanTci.Mask);
        EthMasked(s, "dl_src", m.DlSrc.Value, m.DlSrc.Mask);
        EthMasked(s, "dl_dst", m.DlDst.Value, m.DlDst.Mask);
        if (!skipType && m.DlType is { } type)
        {
            s.Append("dl_type=0x").Append(type.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
        }

        bool arp = m.DlType is 0x0806 or 0x8035;
        if (m.DlType == 0x86dd)
        {
            Ipv6Masked(s, "ipv6_src", m.Ipv6Src.Value, m.Ipv6Src.Mask);
            Ipv6Masked(s, "ipv6_dst", m.Ipv6Dst.Value, m.Ipv6Dst.Mask);
            if (m.Ipv6Label.Mask != 0)
            {
                s.Append("ipv6_label=0x").Append(m.Ipv6Label.Value.ToString("x5", CultureInfo.InvariantCulture));
                if (m.Ipv6Label.Mask != 0xfffff)
                {
                    s.Append("/0x").Append(m.Ipv6Label.Mask.ToString("x5", CultureInfo.InvariantCulture));
                }

                s.Append(',');
            }
        }
        else if (arp)
        {
            IpMasked(s, "arp_spa", m.NwSrc.Value, m.NwSrc.Mask);
            IpMasked(s, "arp_tpa", m.NwDst.Value, m.NwDst.Mask);
        }
        else
        {
            IpMasked(s, "nw_src", m.NwSrc.Value, m.NwSrc.Mask);
            IpMasked(s, "nw_dst", m.NwDst.Value, m.NwDst.Mask);
        }

        if (!skipProto && m.NwProto is { } proto)
        {
            s.Append(arp ? "arp_op=" : "nw_proto=").Append(proto.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        if (arp)
        {
            EthMasked(s, "arp_sha", m.ArpSha.Value, m.ArpSha.Mask);
            EthMasked(s, "arp_tha", m.ArpTha.Value, m.ArpTha.Mask);
        }

        if ((m.NwTos.Mask & 0xfc) != 0)
        {
            s.Append("nw_tos=").Append((m.NwTos.Value & 0xfc).ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        if ((m.NwTos.Mask & 0x03) != 0)
        {
            s.Append("nw_ecn=").Append((m.NwTos.Value & 0x03).ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        if (m.NwTtl is { } ttl)
        {
            s.Append("nw_ttl=").Append(ttl.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        switch (m.NwFrag.Mask & 3)
        {
            case 3:
                s.Append("nw_frag=").Append((m.NwFrag.Value & 1) != 0 ? ((m.NwFrag.Value & 2) != 0 ? "later" : "first")
                    : ((m.NwFrag.Value & 2) != 0 ? "<error>" : "no")).Append(',');
                break;
            case 1:
                s.Append("nw_frag=").Append((m.NwFrag.Value & 1) != 0 ? "yes" : "no").Append(',');
                break;
            case 2:
                s.Append("nw_frag=").Append((m.NwFrag.Value & 2) != 0 ? "later" : "not_later").Append(',');
                break;
        }

        if (m.DlType == 0x0800 && m.NwProto == 1)
        {
            Be16Masked(s, "icmp_type", m.TpSrc.Value, m.TpSrc.Mask);
            Be16Masked(s, "icmp_code", m.TpDst.Value, m.TpDst.Mask);
        }
        else if (m.DlType == 0x86dd && m.NwProto == 58)
        {
            Be16Masked(s, "icmp_type", m.TpSrc.Value, m.TpSrc.Mask);
            Be16Masked(s, "icmp_code", m.TpDst.Value, m.TpDst.Mask);
            Ipv6Masked(s, "nd_target", m.NdTarget.Value, m.NdTarget.Mask);
            EthMasked(s, "nd_sll", m.ArpSha.Value, m.ArpSha.Mask);
            EthMasked(s, "nd_tll", m.ArpTha.Value, m.ArpTha.Mask);
        }
        else
        {
            Be16Masked(s, "tp_src", m.TpSrc.Value, m.TpSrc.Mask);
            Be16Masked(s, "tp_dst", m.TpDst.Value, m.TpDst.Mask);
        }

        if (m.DlType is 0x0800 or 0x86dd && m.NwProto == 6 && m.TcpFlags.Mask != 0)
        {
            s.Append("tcp_flags=0x").Append(m.TcpFlags.Value.ToString("x3", CultureInfo.InvariantCulture));
            if (m.TcpFlags.Mask != 0x0fff)
            {
                s.Append("/0x").Append(m.TcpFlags.Mask.ToString("x3", CultureInfo.InvariantCulture));
            }

            s.Append(',');
        }

        if (s.Length > 0 && s[^1] == ',')
        {
            s.Length--;
        }

        return s.ToString();
    }

    /// <summary>C's <c>%#x</c>: 0 prints as "0", anything else with "0x".</summary>
    private static string HashHex(ulong value) => value == 0 ? "0" : "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static void Uint32Masked(StringBuilder s, string name, uint value, uint mask)
    {
        if (mask == 0)
        {
            return;
        }

        s.Append(name).Append('=').Append(HashHex(value));
        if (mask != uint.MaxValue)
        {
            s.Append('/').Append(HashHex(mask));
        }

        s.Append(',');
    }

    private static void Be16Masked(StringBuilder s, string name, ushort value, ushort mask)
    {
        if (mask == 0)
        {
            return;
        }

        s.Append(name).Append('=');
        s.Append(mask == 0xffff
            ? value.ToString(CultureInfo.InvariantCulture)
            : $"0x{value.ToString("x", CultureInfo.InvariantCulture)}/0x{mask.ToString("x", CultureInfo.InvariantCulture)}");
        s.Append(',');
    }

    private static string Mac(ulong mac) => string.Join(':', Enumerable.Range(0, 6)
        .Select(i => ((mac >> (40 - (8 * i))) & 0xff).ToString("x2", CultureInfo.InvariantCulture)));

    private static void EthMasked(StringBuilder s, string name, ulong value, ulong mask)
    {
        if (mask == 0)
        {
            return;
        }

        s.Append(name).Append('=').Append(Mac(value));
        if (mask != 0xffffffffffffUL)
        {
            s.Append('/').Append(Mac(mask));
        }

        s.Append(',');
    }

    private static string Ip(uint ip) => $"{ip >> 24}.{(ip >> 16) & 0xff}.{(ip >> 8) & 0xff}.{ip & 0xff}";

    private static void IpMasked(StringBuilder s, string name, uint value, uint mask)
    {
        if (mask == 0)
        {
            return;
        }

        s.Append(name).Append('=').Append(Ip(value));
        if (mask != uint.MaxValue)
        {
            uint inverse = ~mask;
            s.Append('/').Append((inverse & (inverse + 1)) == 0
                ? BitOperations.PopCount(mask).ToString(CultureInfo.InvariantCulture)
                : Ip(mask));
        }

        s.Append(',');
    }

    private static string Ipv6(UInt128 addr)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, addr);
        return new IPAddress(bytes).ToString();
    }

    private static void Ipv6Masked(StringBuilder s, string name, UInt128 value, UInt128 mask)
    {
        if (mask == 0)
        {
            return;
        }

        s.Append(name).Append('=').Append(Ipv6(value));
        if (mask != UInt128.MaxValue)
        {
            UInt128 inverse = ~mask;
            s.Append('/').Append((inverse & (inverse + 1)) == 0
                ? ((int)UInt128.PopCount(mask)).ToString(CultureInfo.InvariantCulture)
                : Ipv6(mask));
        }

        s.Append(',');
    }

    private static void FormatVlan(StringBuilder s, ushort value, ushort mask)
    {
        if (mask == 0)
        {
            return;
        }

        const ushort vidMask = 0x0fff, pcpMask = 0xe000, cfi = 0x1000;
        ushort vid = (ushort)(mask & vidMask), pcp = (ushort)(mask & pcpMask);
        if ((mask & cfi) != 0 && (value & cfi) != 0 && (vid == 0 || vid == vidMask) && (pcp == 0 || pcp == pcpMask) && (vid != 0 || pcp != 0))
        {
            if (vid != 0)
            {
                s.Append("dl_vlan=").Append((value & vidMask).ToString(CultureInfo.InvariantCulture)).Append(',');
            }

            if (pcp != 0)
            {
                s.Append("dl_vlan_pcp=").Append((value >> 13).ToString(CultureInfo.InvariantCulture)).Append(',');
            }
        }
        else if (mask == 0xffff)
        {
            s.Append("vlan_tci=0x").Append(value.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
        }
        else
        {
            s.Append("vlan_tci=0x").Append(value.ToString("x4", CultureInfo.InvariantCulture))
                .Append("/0x").Append(mask.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
        }
    }
}
