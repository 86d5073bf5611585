using Ovnsim.Logical.Expressions;

namespace Ovnsim.OpenFlow;

/// <summary>
/// Places a compiled logical match on Open vSwitch's flow fields as ovn-controller does (<c>mf_mask_subfield</c> on
/// the symbol's field): xxreg0/1 are reg0-3/reg4-7 (reg0 the most significant), xreg4 is reg8-9, flags reg10,
/// inport reg14, outport reg15, and the logical datapath is the metadata field.
/// </summary>
public static class LogicalMatchTranslator
{
    /// <summary>The OpenFlow match of one compiled logical match on datapath <paramref name="datapathKey"/>.</summary>
    public static OvsMatch Translate(ExprMatch match, long datapathKey)
    {
        var m = new OvsMatch { Metadata = ((ulong)datapathKey, ulong.MaxValue) };
        foreach (var (field, f) in match.Fields)
        {
            Apply(m, field, f.Value, f.Mask);
        }

        if (match.ConjId != 0)
        {
            m.ConjId = (uint)match.ConjId;
        }

        return m;
    }

    private static void Reg(OvsMatch m, int index, UInt128 value, UInt128 mask)
    {
        uint v = (uint)(value & uint.MaxValue), k = (uint)(mask & uint.MaxValue);
        if (k == 0)
        {
            return;
        }

        var (ov, ok) = m.Regs[index];
        m.Regs[index] = ((ov & ~k) | (v & k), ok | k);
    }

    private static void Apply(OvsMatch m, string field, UInt128 v, UInt128 k)
    {
        switch (field)
        {
            case "xxreg0" or "xxreg1":
                int first = field == "xxreg0" ? 0 : 4;
                for (int i = 0; i < 4; i++)
                {
                    int shift = 32 * (3 - i);
                    Reg(m, first + i, v >> shift, k >> shift);
                }

                break;
            case "xreg4":
                Reg(m, 8, v >> 32, k >> 32);
                Reg(m, 9, v, k);
                break;
            case "reg10": Reg(m, 10, v, k); break;
            case "reg14": Reg(m, 14, v, k); break;
            case "reg15": Reg(m, 15, v, k); break;
            case "ct_state": m.CtState = ((uint)(v & 0xff), (uint)(k & 0xff)); break;
            case "ct_mark": m.CtMark = ((uint)v, (uint)k); break;
            case "ct_label": m.CtLabel = (v, k); break;
            case "pkt_mark": m.PktMark = ((uint)v, (uint)k); break;
            case "eth_src": m.DlSrc = ((ulong)v, (ulong)k); break;
            case "eth_dst": m.DlDst = ((ulong)v, (ulong)k); break;
            case "eth_type": m.DlType = (ushort)v; break;
            case "vlan_tci": m.VlanTci = ((ushort)v, (ushort)k); break;
            case "ip_proto": m.NwProto = (byte)v; break;
            case "arp_op": m.NwProto = (byte)v; break;
            case "ip_dscp": m.NwTos = ((byte)((m.NwTos.Value & 0x03) | ((byte)v << 2)), (byte)(m.NwTos.Mask | 0xfc)); break;
            case "ip_ecn": m.NwTos = ((byte)((m.NwTos.Value & 0xfc) | ((byte)v & 3)), (byte)(m.NwTos.Mask | 0x03)); break;
            case "nw_ttl": m.NwTtl = (byte)v; break;
            case "nw_frag": m.NwFrag = ((byte)(v & 3), (byte)(k & 3)); break;
            case "ipv4_src" or "arp_spa": m.NwSrc = ((uint)v, (uint)k); break;
            case "ipv4_dst" or "arp_tpa": m.NwDst = ((uint)v, (uint)k); break;
            case "ipv6_src": m.Ipv6Src = (v, k); break;
            case "ipv6_dst": m.Ipv6Dst = (v, k); break;
            case "ipv6_label": m.Ipv6Label = ((uint)v, (uint)k); break;
            case "arp_sha" or "nd_sll": m.ArpSha = ((ulong)v, (ulong)k); break;
            case "arp_tha" or "nd_tll": m.ArpTha = ((ulong)v, (ulong)k); break;
            case "nd_target": m.NdTarget = (v, k); break;

            // ICMP type and code are exact matches on the whole transport port field.
            case "icmp_type" or "icmpv6_type": m.TpSrc = ((ushort)v, 0xffff); break;
            case "icmp_code" or "icmpv6_code": m.TpDst = ((ushort)v, 0xffff); break;
            case "tcp_src" or "udp_src" or "sctp_src": m.TpSrc = ((ushort)v, (ushort)k); break;
            case "tcp_dst" or "udp_dst" or "sctp_dst": m.TpDst = ((ushort)v, (ushort)k); break;
            case "tcp_flags": m.TcpFlags = ((ushort)v, (ushort)k); break;
            default:
                throw new InvalidOperationException($"logical field {field} has no OpenFlow field");
        }
    }
}
