using Ovnsim.Logical.Match;

namespace Ovnsim.Logical.Symbols;

/// <summary>
/// The symbols of OVN 23.03's logical language (lib/logical-fields.c <c>ovn_init_symtab</c>, ovn-sb(5)), as one
/// declarative list: registers and their overlapping views, flags, conntrack state, mark and label, and the packet
/// fields and predicates from Ethernet to SCTP.
/// </summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Symbol> _symbols = new(StringComparer.Ordinal);

    private SymbolTable()
    {
    }

    /// <summary>OVN's symbol table.</summary>
    public static SymbolTable Ovn { get; } = BuildOvn();

    /// <summary>Every symbol, in definition order.</summary>
    public IReadOnlyList<Symbol> All { get; private set; } = [];

    /// <summary>The symbol of that name, or null.</summary>
    public Symbol? Find(string name) => _symbols.GetValueOrDefault(name);

    private static SymbolTable BuildOvn()
    {
        var t = new SymbolTable();
        var order = new List<Symbol>();

        // Logical ports live in registers 14 and 15 (MFF_LOG_INPORT / MFF_LOG_OUTPORT).
        t.AddString(order, "inport", "reg14");
        t.AddString(order, "outport", "reg15");

        // Registers: 128-bit xxregs, 64-bit xregs and 32-bit regs overlap; the narrower are subfields.
        // MFF_N_LOG_REGS is 10: xxreg0-1 are fields, xreg0-3 and reg0-7 their parts; xreg4 is a field with reg8-9.
        for (int xx = 0; xx < 2; xx++)
        {
            t.AddField(order, $"xxreg{xx}", $"xxreg{xx}", 128, maskable: true, prereqs: null, mustCrossproduct: false);
        }

        for (int x = 0; x < 5; x++)
        {
            if (x / 2 < 2)
            {
                int lsb = 64 * (1 - (x % 2));
                t.AddSubfield(order, $"xreg{x}", null, $"xxreg{x / 2}[{lsb}..{lsb + 63}]");
            }
            else
            {
                t.AddField(order, $"xreg{x}", $"xreg{x}", 64, maskable: true, prereqs: null, mustCrossproduct: false);
            }
        }

        for (int i = 0; i < 10; i++)
        {
            if (i / 4 < 2)
            {
                int lsb = 32 * (3 - (i % 4));
                t.AddSubfield(order, $"reg{i}", null, $"xxreg{i / 4}[{lsb}..{lsb + 31}]");
            }
            else
            {
                int lsb = 32 * (1 - (i % 2));
                t.AddSubfield(order, $"reg{i}", null, $"xreg{i / 2}[{lsb}..{lsb + 31}]");
            }
        }

        // Flags used in logical-to-physical translation (MFF_LOG_FLAGS is reg10).
        t.AddField(order, "flags", "reg10", 32, maskable: true, prereqs: null, mustCrossproduct: false);
        t.AddSubfield(order, "flags.loopback", null, "flags[0]");
        t.AddSubfield(order, "flags.force_snat_for_dnat", null, "flags[2]");
        t.AddSubfield(order, "flags.force_snat_for_lb", null, "flags[3]");
        t.AddSubfield(order, "flags.skip_snat_for_lb", null, "flags[9]");
        t.AddSubfield(order, "flags.use_snat_zone", null, "flags[11]");

        // Connection tracking.
        t.AddField(order, "ct_mark", "ct_mark", 32, maskable: true, prereqs: null, mustCrossproduct: false, write: WriteScope.CtCommit);
        t.AddSubfield(order, "ct_mark.blocked", null, "ct_mark[0]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_mark.natted", null, "ct_mark[1]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_mark.ecmp_reply_port", null, "ct_mark[16..31]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_mark.skip_snat", null, "ct_mark[2]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_mark.force_snat", null, "ct_mark[3]", WriteScope.CtCommit);
        t.AddField(order, "ct_label", "ct_label", 128, maskable: true, prereqs: null, mustCrossproduct: false, write: WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.blocked", null, "ct_label[0]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.natted", null, "ct_label[1]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.ecmp_reply_eth", null, "ct_label[32..79]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.ecmp_reply_port", null, "ct_label[80..95]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.label", null, "ct_label[96..127]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.skip_snat", null, "ct_label[2]", WriteScope.CtCommit);
        t.AddSubfield(order, "ct_label.force_snat", null, "ct_label[3]", WriteScope.CtCommit);
        t.AddField(order, "ct_state", "ct_state", 32, maskable: true, prereqs: null, mustCrossproduct: false, writable: false);
        string[] ctStates = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"];
        for (int bit = 0; bit < ctStates.Length; bit++)
        {
            t.AddSubfield(order, "ct." + ctStates[bit], bit == 5 ? null : "ct.trk", $"ct_state[{bit}]");
        }

        // Packet fields and predicates.
        t.AddField(order, "eth.src", "eth_src", 48, true, null, false);
        t.AddField(order, "eth.dst", "eth_dst", 48, true, null, false);
        t.AddField(order, "eth.type", "eth_type", 16, false, null, true, writable: false);
        t.AddPredicate(order, "eth.bcast", "eth.dst == ff:ff:ff:ff:ff:ff");
        t.AddSubfield(order, "eth.mcast", null, "eth.dst[40]");
        t.AddPredicate(order, "eth.mcastv6", "eth.dst[32..47] == 0x3333");
        t.AddField(order, "vlan.tci", "vlan_tci", 16, true, null, false);
        t.AddPredicate(order, "vlan.present", "vlan.tci[12]");
        t.AddSubfield(order, "vlan.pcp", "vlan.present", "vlan.tci[13..15]");
        t.AddSubfield(order, "vlan.vid", "vlan.present", "vlan.tci[0..11]");
        t.AddPredicate(order, "ip4", "eth.type == 0x800");
        t.AddPredicate(order, "ip6", "eth.type == 0x86dd");
        t.AddPredicate(order, "ip", "ip4 || ip6");
        t.AddField(order, "ip.proto", "ip_proto", 8, false, "ip", true, writable: false);
        t.AddField(order, "ip.dscp", "ip_dscp", 6, false, "ip", false);
        t.AddField(order, "ip.ecn", "ip_ecn", 2, false, "ip", false);
        t.AddField(order, "ip.ttl", "nw_ttl", 8, false, "ip", false);
        t.AddField(order, "ip4.src", "ipv4_src", 32, true, "ip4", false);
        t.AddField(order, "ip4.dst", "ipv4_dst", 32, true, "ip4", false);
        t.AddPredicate(order, "ip4.src_mcast", "ip4.src[28..31] == 0xe");
        t.AddPredicate(order, "ip4.mcast", "eth.mcast && ip4.dst[28..31] == 0xe");
        t.AddPredicate(order, "icmp4", "ip4 && ip.proto == 1");
        t.AddField(order, "icmp4.type", "icmp_type", 8, false, "icmp4", false);
        t.AddField(order, "icmp4.code", "icmp_code", 8, false, "icmp4", false);
        t.AddPredicate(order, "igmp", "ip4 && ip.proto == 2");
        t.AddField(order, "ip6.src", "ipv6_src", 128, true, "ip6", false);
        t.AddField(order, "ip6.dst", "ipv6_dst", 128, true, "ip6", false);
        t.AddField(order, "ip6.label", "ipv6_label", 20, true, "ip6", false);
        t.AddPredicate(order, "ip6.mcast_rsvd", "ip6.dst[116..127] == 0xff0 && ip6.dst[0..111] == 0x0");
        t.AddPredicate(order, "ip6.mcast_all_nodes", "ip6.dst == ff01::1 || ip6.dst == ff02::1");
        t.AddPredicate(order, "ip6.mcast_all_rtrs", "ip6.dst == ff01::2 || ip6.dst == ff02::2 || ip6.dst == ff05::2");
        t.AddPredicate(order, "ip6.mcast_sol_node", "ip6.dst == ff02::1:ff00:0000/104");
        t.AddPredicate(order, "ip6.mcast_flood",
            "eth.mcastv6 && (ip6.mcast_rsvd || ip6.mcast_all_nodes || ip6.mcast_all_rtrs || ip6.mcast_sol_node)");
        t.AddPredicate(order, "ip6.mcast", "eth.mcastv6 && ip6.dst[120..127] == 0xff");
        t.AddPredicate(order, "icmp6", "ip6 && ip.proto == 58");
        t.AddField(order, "icmp6.type", "icmpv6_type", 8, false, "icmp6", true);
        t.AddField(order, "icmp6.code", "icmpv6_code", 8, false, "icmp6", true);
        t.AddPredicate(order, "icmp", "icmp4 || icmp6");
        t.AddField(order, "ip.frag", "nw_frag", 2, true, "ip", false, writable: false);
        t.AddPredicate(order, "ip.is_frag", "ip.frag[0]");
        t.AddPredicate(order, "ip.later_frag", "ip.frag[1]");
        t.AddPredicate(order, "ip.first_frag", "ip.is_frag && !ip.later_frag");
        t.AddPredicate(order, "arp", "eth.type == 0x806");
        t.AddField(order, "arp.op", "arp_op", 16, false, "arp", false);
        t.AddField(order, "arp.spa", "arp_spa", 32, true, "arp", false);
        t.AddField(order, "arp.sha", "arp_sha", 48, true, "arp", false);
        t.AddField(order, "arp.tpa", "arp_tpa", 32, true, "arp", false);
        t.AddField(order, "arp.tha", "arp_tha", 48, true, "arp", false);
        t.AddPredicate(order, "rarp", "eth.type == 0x8035");
        t.AddField(order, "rarp.op", "arp_op", 16, false, "rarp", false);
        t.AddField(order, "rarp.spa", "arp_spa", 32, true, "rarp", false);
        t.AddField(order, "rarp.sha", "arp_sha", 48, true, "rarp", false);
        t.AddField(order, "rarp.tpa", "arp_tpa", 32, true, "rarp", false);
        t.AddField(order, "rarp.tha", "arp_tha", 48, true, "rarp", false);
        t.AddPredicate(order, "nd", "icmp6.type == {135, 136} && icmp6.code == 0 && ip.ttl == 255");
        t.AddPredicate(order, "nd_ns", "icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255");
        t.AddPredicate(order, "nd_na", "icmp6.type == 136 && icmp6.code == 0 && ip.ttl == 255");
        t.AddPredicate(order, "nd_rs", "icmp6.type == 133 && icmp6.code == 0 && ip.ttl == 255");
        t.AddPredicate(order, "nd_ra", "icmp6.type == 134 && icmp6.code == 0 && ip.ttl == 255");
        t.AddField(order, "nd.target", "nd_target", 128, true, "nd", false);
        t.AddField(order, "nd.sll", "nd_sll", 48, true, "nd_ns", false);
        t.AddField(order, "nd.tll", "nd_tll", 48, true, "nd_na", false);
        t.AddPredicate(order, "mldv1", "ip6.src == fe80::/10 && icmp6.type == {130, 131, 132}");
        t.AddPredicate(order, "mldv2", "ip6.dst == ff02::16 && icmp6.type == 143");
        t.AddPredicate(order, "tcp", "ip.proto == 6");
        t.AddField(order, "tcp.src", "tcp_src", 16, true, "tcp", false);
        t.AddField(order, "tcp.dst", "tcp_dst", 16, true, "tcp", false);
        t.AddField(order, "tcp.flags", "tcp_flags", 12, true, "tcp", false, writable: false);
        t.AddPredicate(order, "udp", "ip.proto == 17");
        t.AddField(order, "udp.src", "udp_src", 16, true, "udp", false);
        t.AddField(order, "udp.dst", "udp_dst", 16, true, "udp", false);
        t.AddPredicate(order, "sctp", "ip.proto == 132");
        t.AddField(order, "sctp.src", "sctp_src", 16, true, "sctp", false);
        t.AddField(order, "sctp.dst", "sctp_dst", 16, true, "sctp", false);
        t.AddField(order, "pkt.mark", "pkt_mark", 32, true, null, false);
        t.AddOvnField(order, "icmp4.frag_mtu", 16);
        t.AddOvnField(order, "icmp6.frag_mtu", 32);
        t.All = order;
        return t;
    }

    private void Add(List<Symbol> order, Symbol symbol)
    {
        _symbols.Add(symbol.Name, symbol);
        order.Add(symbol);
    }

    private void AddString(List<Symbol> order, string name, string field) =>
        Add(order, new Symbol(name) { Width = 0, Level = SymbolLevel.Nominal, OpenFlowField = field, Write = WriteScope.Any });

    /// <summary><c>expr_symtab_add_field</c>: ordinal if OpenFlow can mask it, nominal otherwise.</summary>
    private void AddField(List<Symbol> order, string name, string field, int width, bool maskable, string? prereqs,
                          bool mustCrossproduct, WriteScope write = WriteScope.Any, bool writable = true)
    {
        Add(order, new Symbol(name)
        {
            Width = width,
            Level = maskable ? SymbolLevel.Ordinal : SymbolLevel.Nominal,
            Prereqs = prereqs,
            MustCrossproduct = mustCrossproduct,
            OpenFlowField = field,
            Write = writable ? write : WriteScope.None,
        });
    }

    /// <summary><c>expr_symtab_add_subfield</c>: bits of another symbol, with its level.</summary>
    private void AddSubfield(List<Symbol> order, string name, string? prereqs, string expansion, WriteScope write = WriteScope.Any)
    {
        var field = MatchParser.ParseFieldReference(expansion, this);
        Add(order, new Symbol(name)
        {
            Width = field.Width,
            Level = field.Symbol.Level,
            Prereqs = prereqs,
            Parent = field.Symbol,
            ParentOffset = field.Low,
            Write = field.Symbol.Write == WriteScope.None ? WriteScope.None : write,
        });
    }

    /// <summary><c>expr_symtab_add_predicate</c>: a 1-bit symbol whose level is its expansion's.</summary>
    private void AddPredicate(List<Symbol> order, string name, string expansion)
    {
        var expr = MatchParser.Parse(expansion, this);
        Add(order, new Symbol(name) { Width = 1, Level = expr.Level(), Predicate = expansion });
    }

    /// <summary><c>expr_symtab_add_ovn_field</c>: a field only ovn-controller's actions understand.</summary>
    private void AddOvnField(List<Symbol> order, string name, int width) =>
        Add(order, new Symbol(name) { Width = width, Level = SymbolLevel.Nominal, Write = WriteScope.Any });
}
