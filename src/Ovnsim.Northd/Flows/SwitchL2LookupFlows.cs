using Ovnsim.Northd.Topology;
using Ovnsim.Ovsdb.Ordering;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// ls_in_l2_lkup and ls_in_l2_unknown: destination lookup by MAC, broadcast and multicast flooding, ARP/ND requests
/// for router-owned addresses sent only to that router, and unknown destinations (northd.c
/// <c>build_lswitch_destination_lookup_bmcast</c>, <c>build_lswitch_ip_unicast_lookup</c>,
/// <c>build_lswitch_rport_arp_req_flows</c>, <c>build_lswitch_flows</c>). Also the DHCP, DNS and external-port
/// stages' defaults, which have no other flows until those features arrive.
/// </summary>
internal static class SwitchL2LookupFlows
{
    /// <summary>Per switch.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LsInDhcpOptions, 0, "1", "next;");
        ctx.Add(od, Stages.LsInDhcpResponse, 0, "1", "next;");
        ctx.Add(od, Stages.LsInDnsLookup, 0, "1", "next;");
        ctx.Add(od, Stages.LsInDnsResponse, 0, "1", "next;");
        ctx.Add(od, Stages.LsInExternalPort, 0, "1", "next;");

        ctx.Add(od, Stages.LsInL2Lkup, 110, "eth.dst == $svc_monitor_mac && (tcp || icmp || icmp6)",
            "handle_svc_check(inport);");
        ctx.Add(od, Stages.LsInL2Lkup, 70, "eth.mcast", $"outport = \"{Reg.McFlood}\"; output;");
        ctx.Add(od, Stages.LsInL2Lkup, 0, "1", "outport = get_fdb(eth.dst); next;");

        ctx.Add(od, Stages.LsInL2Unknown, 50, "outport == \"none\"",
            od.HasUnknown ? $"outport = \"{Reg.McUnknown}\"; output;" : FlowContext.Drop);
        ctx.Add(od, Stages.LsInL2Unknown, 0, "1", "output;");
    }

    /// <summary>Per switch port: its MACs, and for a router-type port the router's owned addresses.</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbsp is null || op.IsExternal)
        {
            return;
        }

        var od = op.Od;
        if (op.IsRouterLsp)
        {
            BuildRouterPortArpRequests(ctx, op.Peer, op);
        }

        string Deliver() => op.LspEnabled ? $"outport = {op.JsonKey}; output;" : FlowContext.Drop;
        foreach (string address in op.Nbsp.Addresses)
        {
            if (address == "unknown")
            {
                continue;
            }

            if (LeadingMac(address) is { } mac && address != "router")
            {
                ctx.Add(od, Stages.LsInL2Lkup, 50, $"eth.dst == {LportAddresses.FormatMac(mac)}", Deliver());
            }
            else if (address == "router")
            {
                if (op.Peer?.Nbrp is not { } peerNbrp || !LportAddresses.TryParseMac(peerNbrp.Mac, out ulong routerMac))
                {
                    continue;
                }

                string match = $"eth.dst == {LportAddresses.FormatMac(routerMac)}";
                var peer = op.Peer;
                if (peer.Od.L3dgwPorts.Count > 0 && od.LocalnetPorts.Count > 0)
                {
                    if (peer.IsL3dgw)
                    {
                        match += $" && is_chassis_resident({peer.CrPort!.JsonKey})";
                    }
                    else if (FlowContext.GetBool(peerNbrp.Options, "reside-on-redirect-chassis", false)
                             && peer.Od.L3dgwPorts.Count == 1)
                    {
                        match += $" && is_chassis_resident({peer.Od.L3dgwPorts[0].CrPort!.JsonKey})";
                    }
                }

                ctx.Add(od, Stages.LsInL2Lkup, 50, match, Deliver());
                if (peer.IsL3dgw)
                {
                    foreach (var nat in peer.Od.Nbr!.Nat)
                    {
                        if (nat.Type == "dnat_and_snat" && nat.LogicalPort is { } lport && nat.ExternalMac is { } ext
                            && LportAddresses.TryParseMac(ext, out ulong extMac))
                        {
                            ctx.Add(od, Stages.LsInL2Lkup, 50,
                                $"eth.dst == {LportAddresses.FormatMac(extMac)} && is_chassis_resident(\"{lport}\")", Deliver());
                        }
                    }
                }
            }
            else if (address.StartsWith("dynamic", StringComparison.Ordinal) || address.EndsWith(" dynamic", StringComparison.Ordinal))
            {
                string? dynamic = op.Nbsp.Row.GetOptionalString("dynamic_addresses");
                if (dynamic is not null && LeadingMac(dynamic) is { } dynMac)
                {
                    ctx.Add(od, Stages.LsInL2Lkup, 50, $"eth.dst == {LportAddresses.FormatMac(dynMac)}", Deliver());
                }
            }
            else
            {
                ctx.Topology.Warnings.Add($"{op.Key}: invalid syntax '{address}' in addresses column");
            }
        }
    }

    /// <summary>ovs_scan with ETH_ADDR_SCAN_FMT: a MAC at the start of the entry.</summary>
    private static ulong? LeadingMac(string address)
    {
        string first = address.Split(' ')[0];
        return LportAddresses.TryParseMac(first, out ulong mac) ? mac : null;
    }

    /// <summary>
    /// <c>build_lswitch_rport_arp_req_flows</c>: ARP and NS for addresses the router owns (its networks, reachable
    /// VIPs, NAT external IPs) go only to the router port (priority 80); the router's own requests flood (75).
    /// </summary>
    private static void BuildRouterPortArpRequests(FlowContext ctx, Port? op, Port swOp)
    {
        if (op?.Nbrp is null || !op.LrpEnabled)
        {
            return;
        }

        var swOd = swOp.Od;
        var rtr = op.Od;
        foreach (string ip in rtr.LbIps.V4)
        {
            if (Ipv4NetAddr.TryParse(ip, out uint a) && op.LrpNetworks.Ipv4.Any(n => n.Contains(a)))
            {
                ArpRequestFlow(ctx, ip, v6: false, swOp, swOd);
            }
        }

        foreach (string ip in rtr.LbIps.V6)
        {
            if (Ipv6NetAddr.TryParse(ip, out var a) && op.LrpNetworks.Ipv6.Any(n => n.Contains(a)))
            {
                ArpRequestFlow(ctx, ip, v6: true, swOp, swOd);
            }
        }

        foreach (var nat in rtr.NatEntries.Where(n => n.IsValid && n.Nb.Type != "snat"))
        {
            var set = nat.IsV6 ? rtr.LbIps.V6 : rtr.LbIps.V4;
            if (!set.Contains(nat.Nb.ExternalIp))
            {
                ArpRequestFlow(ctx, nat.Nb.ExternalIp, nat.IsV6, swOp, swOd);
            }
        }

        foreach (var ip in op.LrpNetworks.Ipv4)
        {
            ArpRequestFlow(ctx, ip.AddrS, v6: false, swOp, swOd);
        }

        foreach (var ip in op.LrpNetworks.Ipv6)
        {
            ArpRequestFlow(ctx, ip.AddrS, v6: true, swOp, swOd);
        }

        if (swOd.RouterPorts.Count != swOd.NbPortCount)
        {
            // An sset of MACs, printed in its hash-table order.
            var macs = new List<string> { op.LrpNetworks.EaS };
            foreach (var nat in rtr.NatEntries.Where(n => n.IsValid && n.Nb.Type != "snat" && n.Nb.ExternalMac is not null))
            {
                if (!macs.Contains(nat.Nb.ExternalMac!))
                {
                    macs.Add(nat.Nb.ExternalMac!);
                }
            }

            var ordered = OvsHmap.Order(macs, m => OvsHash.String(m));
            ctx.Add(swOd, Stages.LsInL2Lkup, 75,
                $"eth.src == {{{string.Join(", ", ordered)}}} && (arp.op == 1 || rarp.op == 3 || nd_ns)",
                $"outport = \"{Reg.McFloodL2}\"; output;");
        }
    }

    private static void ArpRequestFlow(FlowContext ctx, string ips, bool v6, Port patchOp, Datapath od)
    {
        string match = Reg.FlagNotVxlan + " && " + (v6 ? $"nd_ns && nd.target == {ips}" : $"arp.op == 1 && arp.tpa == {ips}");
        string actions = od.RouterPorts.Count != od.NbPortCount
            ? $"clone {{outport = {patchOp.JsonKey}; output; }}; outport = \"{Reg.McFloodL2}\"; output;"
            : $"outport = {patchOp.JsonKey}; output;";
        ctx.Add(od, Stages.LsInL2Lkup, 80, match, actions);
    }
}
