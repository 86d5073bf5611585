using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// ls_in_arp_rsp: the switch answers ARP and neighbour solicitations for the addresses its ports own
/// (northd.c <c>build_lswitch_arp_nd_responder_*</c>; ovn-northd(8) "Ingress Table 19").
/// </summary>
internal static class SwitchArpNdResponderFlows
{
    public static void Build(FlowContext ctx, Datapath od) => ctx.Add(od, Stages.LsInArpNdRsp, 0, "1", "next;");

    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbsp is null)
        {
            return;
        }

        var od = op.Od;
        if (op.IsLocalnet)
        {
            // Requests from the physical network are answered there, not by every chassis.
            ctx.Add(od, Stages.LsInArpNdRsp, 100, $"inport == {op.JsonKey}", "next;", op);
        }

        if (op.LspType == "virtual")
        {
            BuildVirtual(ctx, op);
        }
        else if (AnswersFor(ctx, op))
        {
            foreach (var addrs in op.LspAddrs)
            {
                foreach (var ip in addrs.Ipv4)
                {
                    string match = $"arp.tpa == {ip.AddrS} && arp.op == 1";
                    ctx.Add(od, Stages.LsInArpNdRsp, 50, match,
                        $"eth.dst = eth.src; eth.src = {addrs.EaS}; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; "
                        + $"arp.sha = {addrs.EaS}; arp.tpa = arp.spa; arp.spa = {ip.AddrS}; outport = inport; "
                        + "flags.loopback = 1; output;");
                    // The owner's own request (duplicate address detection) goes the usual way.
                    ctx.Add(od, Stages.LsInArpNdRsp, 100, $"{match} && inport == {op.JsonKey}", "next;", op);
                }

                foreach (var ip in addrs.Ipv6)
                {
                    string match = $"nd_ns && ip6.dst == {{{ip.AddrS}, {ip.SnAddrS}}} && nd.target == {ip.AddrS}";
                    string action = op.IsRouterLsp ? "nd_na_router" : "nd_na";
                    ctx.Add(od, Stages.LsInArpNdRsp, 50, match,
                        $"{action} {{ eth.src = {addrs.EaS}; ip6.src = {ip.AddrS}; nd.target = {ip.AddrS}; "
                        + $"nd.tll = {addrs.EaS}; outport = inport; flags.loopback = 1; output; }};");
                    ctx.Add(od, Stages.LsInArpNdRsp, 100, $"{match} && inport == {op.JsonKey}", "next;", op);
                }
            }
        }

        if (op.Peer is not null && op.Options.GetValueOrDefault("arp_proxy") is { } proxy
            && LportAddresses.ParseIps(proxy) is { Ipv4.Count: > 0 } proxyAddrs)
        {
            string match = "arp.op == 1 && arp.tpa == {" + string.Join(",", proxyAddrs.Ipv4.Select(a => a.AddrS)) + "}";
            string mac = op.Peer.LrpNetworks.EaS;
            ctx.Add(od, Stages.LsInArpNdRsp, 50, match,
                $"eth.dst = eth.src; eth.src = {mac}; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = {mac}; "
                + "arp.tpa <-> arp.spa; outport = inport; flags.loopback = 1; output;");
        }
    }

    /// <summary>
    /// Whether the switch answers for the port's addresses: not for "unknown" or external ports, not on a VLAN
    /// transparent switch, and (with <c>ignore_lsp_down=false</c>) only while the port is up.
    /// </summary>
    private static bool AnswersFor(FlowContext ctx, Port op)
    {
        bool up = op.Nbsp!.Row.GetOptionalBoolean("up") == true;
        if (ctx.CheckLspIsUp && !up && !op.IsRouterLsp && op.LspType != "localport")
        {
            return false;
        }

        return !op.IsExternal && !op.HasUnknown && !FlowContext.GetBool(op.Od.Options, "vlan-passthru", false);
    }

    /// <summary>A virtual port: its parents' ARP/ND for the virtual IP bind it (<c>bind_vport</c>).</summary>
    private static void BuildVirtual(FlowContext ctx, Port op)
    {
        string? vip = op.Options.GetValueOrDefault("virtual-ip");
        string? parents = op.Options.GetValueOrDefault("virtual-parents");
        if (vip is null || parents is null)
        {
            return;
        }

        bool isV4 = vip.Contains('.', StringComparison.Ordinal);
        UInt128 v6 = 0;
        if (isV4 ? !Ipv4NetAddr.TryParse(vip, out _) : !Ipv6NetAddr.TryParse(vip, out v6))
        {
            return;
        }

        foreach (string parent in parents.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!ctx.Topology.Ports.TryGetValue(parent, out var vp) || vp.Od != op.Od)
            {
                continue;
            }

            string match = isV4
                ? $"inport == \"{parent}\" && ((arp.op == 1 && arp.spa == {vip} && arp.tpa == {vip}) || (arp.op == 2 && arp.spa == {vip}))"
                : $"inport == \"{parent}\" && ((nd_ns && ip6.dst == {{{vip}, {new Ipv6NetAddr(v6, 128).SnAddrS}}} && nd.target == {vip}) ||(nd_na && nd.target == {vip}))";
            ctx.Add(op.Od, Stages.LsInArpNdRsp, 100, match, $"bind_vport({op.JsonKey}, inport); next;");
        }
    }
}
