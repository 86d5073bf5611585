using System.Text;
using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// lr_in_ip_input: what the router itself answers or drops — ARP and NS for its addresses, NAT addresses and
/// load-balancer VIPs, ICMP echo, TTL expiry, traffic it must not forward (northd.c
/// <c>build_misc_local_traffic_drop_flows_for_lrouter</c>, <c>build_lrouter_arp_nd_for_datapath</c>,
/// <c>build_dhcpv6_reply_flows_for_lrouter_port</c>, <c>build_ipv6_input_flows_for_lrouter_port</c>,
/// <c>build_lrouter_ipv4_ip_input</c>; ovn-northd(8) "Ingress Table 3").
/// </summary>
internal static class RouterIpInputFlows
{
    /// <summary>Per router.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInIpInput, 100,
            "ip4.src_mcast ||ip4.src == 255.255.255.255 || ip4.src == 127.0.0.0/8 || ip4.dst == 127.0.0.0/8 || "
            + "ip4.src == 0.0.0.0/8 || ip4.dst == 0.0.0.0/8", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 85, "arp || nd", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 84, "nd_rs || nd_ra", "next;");
        ctx.Add(od, Stages.LrInIpInput, 83, "ip6.mcast_rsvd", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 82, "ip4.mcast || ip6.mcast", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 50, "eth.bcast", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 32, "ip.ttl == {0, 1} && !ip.later_frag && (ip4.mcast || ip6.mcast)", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 30, "ip.ttl == {0, 1}", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpInput, 0, "1", "next;");

        // ARP/NS for NAT external IPs, answered wherever the packet arrives (build_lrouter_arp_nd_for_datapath).
        foreach (var nat in od.NatEntries.Where(n => n.IsValid && n.Nb.Type != "snat"))
        {
            NatArpNdFlow(ctx, od, nat);
        }

        foreach (var entries in od.SnatIps.Values.Where(l => l.Count > 0))
        {
            NatArpNdFlow(ctx, od, entries[0]);
        }
    }

    /// <summary>Per router port.</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbrp is null || op.IsChassisRedirect)
        {
            return;
        }

        var od = op.Od;
        var networks = op.LrpNetworks;
        foreach (var ip in networks.Ipv6)
        {
            ctx.Add(od, Stages.LrInIpInput, 100, $"ip6.dst == {ip.AddrS} && udp.src == 547 && udp.dst == 546",
                "reg0 = 0; handle_dhcpv6_reply;");
        }

        BuildIpv6Input(ctx, op);
        BuildIpv4Input(ctx, op);
    }

    private static void BuildIpv6Input(FlowContext ctx, Port op)
    {
        var od = op.Od;
        var networks = op.LrpNetworks;
        if (networks.Ipv6.Count > 0)
        {
            ctx.Add(od, Stages.LrInIpInput, 90, $"ip6.dst == {V6Networks(op)} && icmp6.type == 128 && icmp6.code == 0",
                "ip6.dst <-> ip6.src; ip.ttl = 255; icmp6.type = 129; flags.loopback = 1; next; ");
        }

        foreach (var ip in networks.Ipv6)
        {
            string extra = op.IsL3dgw ? $"is_chassis_resident({op.CrPort!.JsonKey})" : "";
            NdFlow(ctx, od, op, "nd_na_router", ip.AddrS, ip.SnAddrS, Reg.InportEthAddr, extra, drop: false, 90);
        }

        if (!od.IsGatewayRouter && od.L3dgwPorts.Count == 0)
        {
            foreach (var ip in networks.Ipv6)
            {
                string prefix = $"ip6 && ip6.dst == {ip.AddrS} && !ip.later_frag";
                ctx.Add(od, Stages.LrInIpInput, 80, prefix + " && tcp",
                    "tcp_reset {eth.dst <-> eth.src; ip6.dst <-> ip6.src; next; };");
                ctx.Add(od, Stages.LrInIpInput, 80, prefix + " && sctp",
                    "sctp_abort {eth.dst <-> eth.src; ip6.dst <-> ip6.src; next; };");
                ctx.Add(od, Stages.LrInIpInput, 80, prefix + " && udp",
                    "icmp6 {eth.dst <-> eth.src; ip6.dst <-> ip6.src; ip.ttl = 255; icmp6.type = 1; icmp6.code = 4; next; };");
                ctx.Add(od, Stages.LrInIpInput, 70, prefix,
                    "icmp6 {eth.dst <-> eth.src; ip6.dst <-> ip6.src; ip.ttl = 255; icmp6.type = 1; icmp6.code = 3; next; };");
            }
        }

        foreach (var ip in networks.Ipv6)
        {
            if (Ipv6NetAddr.IsLinkLocal(ip.Network))
            {
                continue; // no TTL-exceeded for the link-local network
            }

            string swap = op.IsL3dgw ? "ip6.dst <-> ip6.src" : $"ip6.dst = ip6.src; ip6.src = {ip.AddrS}";
            ctx.Add(od, Stages.LrInIpInput, 31,
                $"inport == {op.JsonKey} && ip6 && ip6.src == {ip.NetworkS}/{ip.Plen} && ip.ttl == {{0, 1}} && !ip.later_frag",
                $"icmp6 {{eth.dst <-> eth.src; {swap} ; ip.ttl = 254; icmp6.type = 3; /* Time exceeded */ "
                + $"icmp6.code = 0; /* TTL exceeded in transit */ outport = {op.JsonKey}; flags.loopback = 1; output; }};");
        }
    }

    private static void BuildIpv4Input(FlowContext ctx, Port op)
    {
        var od = op.Od;
        var networks = op.LrpNetworks;
        if (networks.Ipv4.Count > 0)
        {
            ctx.Add(od, Stages.LrInIpInput, 100, $"ip4.src == {V4Networks(op, addBcast: true)} && {Reg.EgressLoopback} == 0",
                FlowContext.Drop);
            ctx.Add(od, Stages.LrInIpInput, 90, $"ip4.dst == {V4Networks(op, addBcast: false)} && icmp4.type == 8 && icmp4.code == 0",
                "ip4.dst <-> ip4.src; ip.ttl = 255; icmp4.type = 0; flags.loopback = 1; next; ");
        }

        foreach (var ip in networks.Ipv4)
        {
            string swap = op.IsL3dgw ? "ip4.dst <-> ip4.src" : $"ip4.dst = ip4.src; ip4.src = {ip.AddrS}";
            ctx.Add(od, Stages.LrInIpInput, 31, $"inport == {op.JsonKey} && ip4 && ip.ttl == {{0, 1}} && !ip.later_frag",
                $"icmp4 {{eth.dst <-> eth.src; icmp4.type = 11; /* Time exceeded */ icmp4.code = 0; /* TTL exceeded in transit */ "
                + $"{swap} ; ip.ttl = 254; outport = {op.JsonKey}; flags.loopback = 1; output; }};");
        }

        foreach (var ip in networks.Ipv4)
        {
            string extra = $"arp.spa == {ip.NetworkS}/{ip.Plen}";
            if (od.L3dgwPorts.Count > 0 && op.Peer is not null && op.Peer.Od.LocalnetPorts.Count > 0)
            {
                if (op.IsL3dgw)
                {
                    extra += $" && is_chassis_resident({op.CrPort!.JsonKey})";
                }
                else if (FlowContext.GetBool(op.Options, "reside-on-redirect-chassis", false) && od.L3dgwPorts.Count == 1)
                {
                    extra += $" && is_chassis_resident({od.L3dgwPorts[0].CrPort!.JsonKey})";
                }
            }

            ArpFlow(ctx, od, op, ip.AddrS, Reg.InportEthAddr, extra, drop: false, 90);
        }

        string resident = op.IsL3dgw ? $"is_chassis_resident({op.CrPort!.JsonKey})" : "";
        if (od.LbIps.V4Reachable.Count > 0)
        {
            ArpFlow(ctx, od, op, $"$_rtr_lb_{od.TunnelKey}_ip4", Reg.InportEthAddr, resident, drop: false, 90);
        }

        if (od.LbIps.V6Reachable.Count > 0)
        {
            NdFlow(ctx, od, op, "nd_na", $"$_rtr_lb_{od.TunnelKey}_ip6", null, Reg.InportEthAddr, resident, drop: false, 90);
        }

        if (!od.IsGatewayRouter && od.L3dgwPorts.Count == 0)
        {
            foreach (var ip in networks.Ipv4)
            {
                string prefix = $"ip4 && ip4.dst == {ip.AddrS} && !ip.later_frag";
                ctx.Add(od, Stages.LrInIpInput, 80, prefix + " && udp",
                    "icmp4 {eth.dst <-> eth.src; ip4.dst <-> ip4.src; ip.ttl = 255; icmp4.type = 3; icmp4.code = 3; next; };");
                ctx.Add(od, Stages.LrInIpInput, 80, prefix + " && tcp",
                    "tcp_reset {eth.dst <-> eth.src; ip4.dst <-> ip4.src; next; };");
                ctx.Add(od, Stages.LrInIpInput, 80, prefix + " && sctp",
                    "sctp_abort {eth.dst <-> eth.src; ip4.dst <-> ip4.src; next; };");
                ctx.Add(od, Stages.LrInIpInput, 70, prefix,
                    "icmp4 {eth.dst <-> eth.src; ip4.dst <-> ip4.src; ip.ttl = 255; icmp4.type = 3; icmp4.code = 2; next; };");
            }
        }

        DropOwnDestination(ctx, op, Stages.LrInIpInput, 60, dropSnatIp: false);
        if (!op.IsL3dgw)
        {
            return;
        }

        foreach (var nat in od.NatEntries.Where(n => n.IsValid && n.Nb.Type != "snat"))
        {
            PortNatArpNdFlow(ctx, op, nat);
        }

        foreach (var entries in od.SnatIps.Values.Where(l => l.Count > 0))
        {
            PortNatArpNdFlow(ctx, op, entries[0]);
        }
    }

    /// <summary>
    /// <c>build_lrouter_drop_own_dest</c>: drop IP traffic to the router's own addresses, either those that are not
    /// also SNAT or VIP addresses (in ip_input) or those that are (in arp_resolve, after NAT had its chance).
    /// </summary>
    public static void DropOwnDestination(FlowContext ctx, Port op, Stage stage, int priority, bool dropSnatIp)
    {
        var od = op.Od;
        var v4 = op.LrpNetworks.Ipv4.Select(a => a.AddrS)
            .Where(ip => dropSnatIp == (od.SnatIps.ContainsKey(ip) || od.LbIps.V4.Contains(ip))).ToList();
        if (v4.Count > 0)
        {
            ctx.Add(od, stage, priority, $"ip4.dst == {{{string.Join(", ", v4)}}}", FlowContext.Drop);
        }

        var v6 = op.LrpNetworks.Ipv6.Select(a => a.AddrS)
            .Where(ip => dropSnatIp == (od.SnatIps.ContainsKey(ip) || od.LbIps.V6.Contains(ip))).ToList();
        if (v6.Count > 0)
        {
            ctx.Add(od, stage, priority, $"ip6.dst == {{{string.Join(", ", v6)}}}", FlowContext.Drop);
        }
    }

    /// <summary><c>op_put_v4_networks</c>: one address bare, several (or with broadcasts) in braces.</summary>
    public static string V4Networks(Port op, bool addBcast)
    {
        var ips = op.LrpNetworks.Ipv4;
        if (!addBcast && ips.Count == 1)
        {
            return ips[0].AddrS;
        }

        var parts = new List<string>();
        foreach (var ip in ips)
        {
            parts.Add(ip.AddrS);
            if (addBcast)
            {
                parts.Add(ip.BcastS);
            }
        }

        return "{" + string.Join(", ", parts) + "}";
    }

    /// <summary><c>op_put_v6_networks</c>.</summary>
    public static string V6Networks(Port op)
    {
        var ips = op.LrpNetworks.Ipv6;
        return ips.Count == 1 ? ips[0].AddrS : "{" + string.Join(", ", ips.Select(a => a.AddrS)) + "}";
    }

    /// <summary><c>build_lrouter_arp_flow</c>.</summary>
    public static void ArpFlow(FlowContext ctx, Datapath od, Port? op, string ip, string ethAddr, string extraMatch,
                               bool drop, int priority)
    {
        var match = new StringBuilder();
        if (op is not null)
        {
            match.Append("inport == ").Append(op.JsonKey).Append(" && ");
        }

        match.Append("arp.op == 1 && arp.tpa == ").Append(ip);
        if (extraMatch.Length > 0)
        {
            match.Append(" && ").Append(extraMatch);
        }

        string actions = drop
            ? FlowContext.Drop
            : $"eth.dst = eth.src; eth.src = {ethAddr}; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = {ethAddr}; "
              + "arp.tpa <-> arp.spa; outport = inport; flags.loopback = 1; output;";
        ctx.Add(od, Stages.LrInIpInput, priority, match.ToString(), actions);
    }

    /// <summary><c>build_lrouter_nd_flow</c>.</summary>
    public static void NdFlow(FlowContext ctx, Datapath od, Port? op, string action, string ip, string? snIp,
                              string ethAddr, string extraMatch, bool drop, int priority)
    {
        var match = new StringBuilder();
        if (op is not null)
        {
            match.Append("inport == ").Append(op.JsonKey).Append(" && ");
        }

        if (snIp is not null)
        {
            match.Append("ip6.dst == {").Append(ip).Append(", ").Append(snIp).Append("} && ");
        }

        match.Append("nd_ns && nd.target == ").Append(ip);
        if (extraMatch.Length > 0)
        {
            match.Append(" && ").Append(extraMatch);
        }

        string actions = drop
            ? FlowContext.Drop
            : $"{action} {{ eth.src = {ethAddr}; ip6.src = nd.target; nd.tll = {ethAddr}; outport = inport; "
              + "flags.loopback = 1; output; };";
        ctx.Add(od, Stages.LrInIpInput, priority, match.ToString(), actions);
    }

    /// <summary><c>build_lrouter_nat_arp_nd_flow</c>: the router answers for a NAT address on any port.</summary>
    private static void NatArpNdFlow(FlowContext ctx, Datapath od, NatEntry nat)
    {
        var ext = nat.ExtAddrs!;
        if (nat.IsV6)
        {
            NdFlow(ctx, od, null, "nd_na", ext.Ipv6[0].AddrS, ext.Ipv6[0].SnAddrS, Reg.InportEthAddr, "", drop: false, 90);
        }
        else
        {
            ArpFlow(ctx, od, null, ext.Ipv4[0].AddrS, Reg.InportEthAddr, "", drop: false, 90);
        }
    }

    /// <summary>
    /// <c>build_lrouter_port_nat_arp_nd_flow</c>: on a distributed gateway port, the NAT address is answered only on
    /// the chassis that applies the rule (priority 92) and dropped elsewhere (91).
    /// </summary>
    private static void PortNatArpNdFlow(FlowContext ctx, Port op, NatEntry nat)
    {
        if (!IsNatGatewayPort(nat, op))
        {
            return;
        }

        string mac;
        string match;
        if (nat.Nb.ExternalMac is { } externalMac && LportAddresses.TryParseMac(externalMac, out _) && nat.Nb.LogicalPort is { } lport)
        {
            mac = externalMac;
            match = $"is_chassis_resident(\"{lport}\")";
        }
        else
        {
            mac = Reg.InportEthAddr;
            match = $"is_chassis_resident({op.CrPort!.JsonKey})";
        }

        var ext = nat.ExtAddrs!;
        if (nat.IsV6)
        {
            NdFlow(ctx, op.Od, op, "nd_na", ext.Ipv6[0].AddrS, ext.Ipv6[0].SnAddrS, mac, match, drop: false, 92);
            NdFlow(ctx, op.Od, op, "nd_na", ext.Ipv6[0].AddrS, ext.Ipv6[0].SnAddrS, mac, "", drop: true, 91);
        }
        else
        {
            ArpFlow(ctx, op.Od, op, ext.Ipv4[0].AddrS, mac, match, drop: false, 92);
            ArpFlow(ctx, op.Od, op, ext.Ipv4[0].AddrS, mac, "", drop: true, 91);
        }
    }

    /// <summary><c>is_nat_gateway_port</c>: with several gateway ports, the one whose network holds the IP.</summary>
    public static bool IsNatGatewayPort(NatEntry nat, Port op)
    {
        if (op.Od.L3dgwPorts.Count <= 1)
        {
            return true;
        }

        var gatewayPort = nat.Nb.Row.GetRef("gateway_port");
        return gatewayPort is null ? FindLrpMemberIp(op, nat.Nb.ExternalIp) is not null : gatewayPort.Uuid == op.Nbrp!.Uuid;
    }

    /// <summary>
    /// <c>find_lport_address</c> on the router port's networks: the port address whose network holds the IP, or null.
    /// </summary>
    public static string? FindLrpMemberIp(Port op, string ip)
    {
        if (Ipv4NetAddr.TryParse(ip, out uint v4))
        {
            return op.LrpNetworks.Ipv4.FirstOrDefault(n => n.Contains(v4))?.AddrS;
        }

        return Ipv6NetAddr.TryParse(ip, out var v6) ? op.LrpNetworks.Ipv6.FirstOrDefault(n => n.Contains(v6))?.AddrS : null;
    }
}
