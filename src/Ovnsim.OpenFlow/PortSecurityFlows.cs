using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.OpenFlow;

/// <summary>
/// ovn-controller's port-security flows (controller/lflow.c <c>consider_port_sec_flows</c>) for the ports bound to
/// the chassis that have <c>port_security</c>: table 73 (check_in_port_sec: the source MAC and IPs a port may
/// send from), table 74 (its ARP and ND checks) and table 75 (check_out_port_sec: what may be delivered to it). Each
/// flow sets or clears bit 12 of reg10, the result the logical pipeline reads. OVN's quirks are kept: the ND flows
/// match hop limit 225, not 255.
/// </summary>
public static class PortSecurityFlows
{
    private const int ChkInPortSecNd = 74;
    private const uint CheckPortSecBit = 1u << 12;

    private sealed record Ipv4Entry(uint Address, int Prefix)
    {
        public uint Mask => Prefix == 0 ? 0 : uint.MaxValue << (32 - Prefix);

        /// <summary>A host address (or one with host bits set) is matched exactly; a network by prefix.</summary>
        public bool Exact => Prefix == 32 || (Address & ~Mask) != 0;
    }

    private sealed record Ipv6Entry(UInt128 Address, int Prefix)
    {
        public UInt128 Mask => Prefix == 0 ? 0 : UInt128.MaxValue << (128 - Prefix);

        public bool Exact => Prefix == 128 || (Address & ~Mask) != 0;
    }

    private sealed record PortSecurity(ulong Mac, List<Ipv4Entry> V4, List<Ipv6Entry> V6);

    /// <summary>Adds the flows of every port bound to (or claimed by) the chassis.</summary>
    public static void Build(SouthboundDatabase sb, ChassisView view, DesiredFlows flows)
    {
        foreach (var pb in sb.PortBindings)
        {
            if (!view.IsResident(pb.LogicalPort) || pb.Datapath is null)
            {
                continue;
            }

            var entries = pb.Row.GetStrings("port_security").Select(Parse).OfType<PortSecurity>().ToList();
            if (entries.Count > 0)
            {
                PortFlows(pb, entries, flows);
            }
        }
    }

    /// <summary><c>extract_lsp_addresses</c>: a MAC, then IPv4 and IPv6 addresses with optional prefixes.</summary>
    private static PortSecurity? Parse(string text)
    {
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || AddressText.ParseMac(words[0]) is not { } mac)
        {
            return null;
        }

        var v4 = new List<Ipv4Entry>();
        var v6 = new List<Ipv6Entry>();
        foreach (string word in words.Skip(1))
        {
            string[] parts = word.Split('/');
            if (!IPAddress.TryParse(parts[0], out var ip))
            {
                return null;
            }

            bool isV6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
            int prefix = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : (isV6 ? 128 : 32);
            UInt128 value = AddressText.Value(ip);

            if (isV6)
            {
                v6.Add(new Ipv6Entry(value, prefix));
            }
            else
            {
                v4.Add(new Ipv4Entry((uint)value, prefix));
            }
        }

        return new PortSecurity(mac, v4, v6);
    }

    /// <summary><c>in6_generate_lla</c>: fe80::/64 with the EUI-64 of the MAC.</summary>
    private static UInt128 LinkLocal(ulong mac)
    {
        ulong eui = ((mac >> 24) << 40) | (0xfffeUL << 24) | (mac & 0xffffff);
        eui ^= 0x0200000000000000UL;
        return ((UInt128)0xfe80UL << 112) | eui;
    }

    private static OfAction[] Deny => [new SetFieldAction(OvsField.Get("reg10"), CheckPortSecBit, CheckPortSecBit)];

    private static OfAction[] Allow => [new SetFieldAction(OvsField.Get("reg10"), 0, CheckPortSecBit)];

    private static OfAction[] NdCheck => [new ResubmitAction(ChkInPortSecNd)];

    /// <summary><c>reset_match_for_port_sec_flows</c>: the port's datapath and its key in reg14 (in) or reg15 (out).</summary>
    private static OvsMatch Reset(PortBinding pb, int reg)
    {
        var m = new OvsMatch { Metadata = ((ulong)pb.Datapath!.TunnelKey, ulong.MaxValue) };
        m.Regs[reg] = ((uint)pb.TunnelKey, uint.MaxValue);
        return m;
    }

    private static OvsMatch Icmp6(OvsMatch m, byte ttl, ushort type, ushort? code)
    {
        m.DlType = 0x86dd;
        m.NwProto = 58;
        m.NwTtl = ttl;
        m.TpSrc = (type, 0xffff);
        if (code is { } c)
        {
            m.TpDst = (c, 0xffff);
        }

        return m;
    }

    private static void PortFlows(PortBinding pb, List<PortSecurity> entries, DesiredFlows flows)
    {
        uint cookie = UuidText.FirstPart(pb.Uuid);
        void Add(int table, int priority, OvsMatch m, OfAction[] actions) => flows.Add(table, priority, cookie, m, actions);

        // build_in_port_sec_default_flows
        Add(OfTable.ChkInPortSec, 80, Reset(pb, 14), Deny);
        var arp = Reset(pb, 14);
        arp.DlType = 0x0806;
        Add(OfTable.ChkInPortSec, 95, arp, NdCheck);
        var ndArp = Reset(pb, 14);
        ndArp.DlType = 0x0806;
        Add(ChkInPortSecNd, 80, ndArp, Deny);
        Add(ChkInPortSecNd, 80, Icmp6(Reset(pb, 14), 255, 136, null), Deny);
        Add(ChkInPortSecNd, 80, Icmp6(Reset(pb, 14), 255, 135, null), Allow);

        foreach (var ps in entries)
        {
            InFlows(pb, ps, Add);
        }

        Add(OfTable.ChkOutPortSec, 80, Reset(pb, 15), Deny);
        foreach (var ps in entries)
        {
            OutFlows(pb, ps, Add);
        }
    }

    private static void InFlows(PortBinding pb, PortSecurity ps, Action<int, int, OvsMatch, OfAction[]> add)
    {
        OvsMatch From(ushort? type)
        {
            var m = Reset(pb, 14);
            m.DlSrc = (ps.Mac, 0xffffffffffff);
            if (type is { } t)
            {
                m.DlType = t;
            }

            return m;
        }

        // build_in_port_sec_no_ip_flows
        if (ps.V4.Count == 0 && ps.V6.Count == 0)
        {
            add(OfTable.ChkInPortSec, 90, From(null), NdCheck);
        }

        // build_in_port_sec_ip4_flows
        if (ps.V4.Count > 0)
        {
            foreach (var a in ps.V4)
            {
                var m = From(0x0800);
                m.NwSrc = a.Exact ? (a.Address, uint.MaxValue) : (a.Address & a.Mask, a.Mask);
                add(OfTable.ChkInPortSec, 90, m, Allow);
            }

            var dhcp = From(0x0800);
            dhcp.NwSrc = (0, uint.MaxValue);
            dhcp.NwDst = (uint.MaxValue, uint.MaxValue);
            dhcp.NwProto = 17;
            dhcp.TpSrc = (68, 0xffff);
            dhcp.TpDst = (67, 0xffff);
            add(OfTable.ChkInPortSec, 90, dhcp, Allow);
        }

        // build_in_port_sec_arp_flows
        if (ps.V4.Count > 0 || ps.V6.Count == 0)
        {
            if (ps.V4.Count == 0)
            {
                var m = From(0x0806);
                m.ArpSha = (ps.Mac, 0xffffffffffff);
                add(ChkInPortSecNd, 90, m, Allow);
            }

            foreach (var a in ps.V4)
            {
                var m = From(0x0806);
                m.ArpSha = (ps.Mac, 0xffffffffffff);
                m.NwSrc = a.Exact ? (a.Address, uint.MaxValue) : (a.Address & a.Mask, a.Mask);
                add(ChkInPortSecNd, 90, m, Allow);
            }
        }

        // build_in_port_sec_ip6_flows
        if (ps.V6.Count > 0)
        {
            foreach (var a in ps.V6)
            {
                var m = From(0x86dd);
                m.Ipv6Src = a.Exact ? (a.Address, UInt128.MaxValue) : (a.Address & a.Mask, a.Mask);
                add(OfTable.ChkInPortSec, 90, m, NdCheck);
            }

            var lla = From(0x86dd);
            lla.Ipv6Src = (LinkLocal(ps.Mac), UInt128.MaxValue);
            add(OfTable.ChkInPortSec, 90, lla, NdCheck);
            foreach (var (type, actions) in new[] { ((ushort)131, Allow), ((ushort)143, Allow), ((ushort)135, NdCheck) })
            {
                var m = From(0x86dd);
                m.Ipv6Src = (0, UInt128.MaxValue);
                m.Ipv6Dst = ((UInt128)0xff02 << 112, (UInt128)0xffff << 112);
                m.NwProto = 58;
                m.TpSrc = (type, 0xffff);
                m.TpDst = (0, 0xffff);
                add(OfTable.ChkInPortSec, 90, m, actions);
            }
        }

        // build_in_port_sec_nd_flows (OVS keeps nd_sll only for solicitations and nd_tll only for advertisements,
        // so the solicitation's nd_sll that lib/lflow.c leaves in the match does not reach the advertisement flows)
        var ns = Icmp6(Reset(pb, 14), 225, 135, 0);
        ns.ArpSha = (0, 0xffffffffffff);
        add(ChkInPortSecNd, 90, ns, Allow);
        var nsMac = Icmp6(Reset(pb, 14), 225, 135, 0);
        nsMac.ArpSha = (ps.Mac, 0xffffffffffff);
        add(ChkInPortSecNd, 90, nsMac, Allow);
        if (ps.V6.Count > 0)
        {
            UInt128 lla = LinkLocal(ps.Mac);
            foreach (ulong tll in new[] { 0UL, ps.Mac })
            {
                var m = Icmp6(Reset(pb, 14), 225, 136, 0);
                m.ArpTha = (tll, 0xffffffffffff);
                m.NdTarget = (lla, UInt128.MaxValue);
                add(ChkInPortSecNd, 90, m, Allow);
            }

            foreach (var a in ps.V6)
            {
                foreach (ulong tll in new[] { 0UL, ps.Mac })
                {
                    var m = From(0x86dd);
                    m.NwProto = 58;
                    m.TpSrc = (136, 0xffff);
                    m.TpDst = (0, 0xffff);
                    m.ArpTha = (tll, 0xffffffffffff);
                    m.NdTarget = a.Exact ? (a.Address, UInt128.MaxValue) : (a.Address & a.Mask, a.Mask);
                    add(ChkInPortSecNd, 90, m, Allow);
                }
            }
        }
        else
        {
            foreach (ulong tll in new[] { 0UL, ps.Mac })
            {
                var m = Icmp6(Reset(pb, 14), 225, 136, 0);
                m.ArpTha = (tll, 0xffffffffffff);
                add(ChkInPortSecNd, 90, m, Allow);
            }
        }
    }

    private static void OutFlows(PortBinding pb, PortSecurity ps, Action<int, int, OvsMatch, OfAction[]> add)
    {
        OvsMatch To(ushort? type)
        {
            var m = Reset(pb, 15);
            m.DlDst = (ps.Mac, 0xffffffffffff);
            if (type is { } t)
            {
                m.DlType = t;
            }

            return m;
        }

        // build_out_port_sec_no_ip_flows
        add(OfTable.ChkOutPortSec, 85, To(null), Allow);
        if (ps.V4.Count == 0 && ps.V6.Count == 0)
        {
            return;
        }

        // build_out_port_sec_ip4_flows
        add(OfTable.ChkOutPortSec, 90, To(0x0800), Deny);
        if (ps.V4.Count > 0)
        {
            foreach (var a in ps.V4)
            {
                var m = To(0x0800);
                if (a.Exact)
                {
                    if (a.Prefix != 32)
                    {
                        var bcast = To(0x0800);
                        bcast.NwDst = (a.Address | ~a.Mask, uint.MaxValue);
                        add(OfTable.ChkOutPortSec, 95, bcast, Allow);
                    }

                    m.NwDst = (a.Address, uint.MaxValue);
                }
                else
                {
                    m.NwDst = (a.Address & a.Mask, a.Mask);
                }

                add(OfTable.ChkOutPortSec, 95, m, Allow);
            }

            var all = To(0x0800);
            all.NwDst = (uint.MaxValue, uint.MaxValue);
            add(OfTable.ChkOutPortSec, 95, all, Allow);
            var mcast = To(0x0800);
            mcast.NwDst = (0xe0000000, 0xf0000000);
            add(OfTable.ChkOutPortSec, 95, mcast, Allow);
        }

        // build_out_port_sec_ip6_flows
        add(OfTable.ChkOutPortSec, 90, To(0x86dd), Deny);
        if (ps.V6.Count > 0)
        {
            foreach (var a in ps.V6)
            {
                var m = To(0x86dd);
                m.Ipv6Dst = a.Exact ? (a.Address, UInt128.MaxValue) : (a.Address & a.Mask, a.Mask);
                add(OfTable.ChkOutPortSec, 95, m, Allow);
            }

            var lla = To(0x86dd);
            lla.Ipv6Dst = (LinkLocal(ps.Mac), UInt128.MaxValue);
            add(OfTable.ChkOutPortSec, 95, lla, Allow);
            var mcast = To(0x86dd);
            mcast.Ipv6Dst = ((UInt128)0xff << 120, (UInt128)0xff << 120);
            add(OfTable.ChkOutPortSec, 95, mcast, Allow);
        }
    }
}
