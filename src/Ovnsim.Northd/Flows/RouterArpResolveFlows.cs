using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// lr_in_arp_resolve: the next hop's MAC from the addresses northd knows — router peers, switch ports behind a
/// router port, NAT addresses — and <c>get_arp</c>/<c>get_nd</c> for the rest (northd.c
/// <c>build_arp_resolve_flows_for_lrouter*</c>; ovn-northd(8) "Ingress Table 17").
/// </summary>
internal static class RouterArpResolveFlows
{
    /// <summary>Per router.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInArpResolve, 500, "ip4.mcast || ip6.mcast", "next;");
        ctx.Add(od, Stages.LrInArpResolve, 1, "ip4", $"get_arp(outport, {Reg.NextHopIpv4}); next;");
        ctx.Add(od, Stages.LrInArpResolve, 1, "ip6", $"get_nd(outport, {Reg.NextHopIpv6}); next;");
        ctx.Add(od, Stages.LrInArpResolve, 0, "1", FlowContext.Drop);
    }

    /// <summary>Per port (router ports, and switch ports whose switch has router ports).</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbsp is not null && !op.LspEnabled)
        {
            return;
        }

        if (op.Nbrp is not null)
        {
            BuildForRouterPort(ctx, op);
        }
        else if (op.Od.RouterPorts.Count > 0 && !op.IsRouterLsp && op.LspType != "virtual")
        {
            BuildForSwitchPort(ctx, op);
        }
        else if (op.Od.RouterPorts.Count > 0 && op.LspType == "virtual")
        {
            ctx.Topology.Warnings.Add($"virtual port {op.Key}: virtual ports are not simulated yet; its arp_resolve flows are missing");
        }
        else if (op.IsRouterLsp)
        {
            BuildForRouterTypeSwitchPort(ctx, op);
        }
    }

    private static void BuildForRouterPort(FlowContext ctx, Port op)
    {
        if (op.Peer is not null && op.Nbrp!.Peer is not null)
        {
            // A router port peered directly with another router's port.
            AddRouterPeer(ctx, op.Peer, op);
        }

        if (op.IsL3dgw && string.Equals(op.Options.GetValueOrDefault("redirect-type"), "bridged", StringComparison.OrdinalIgnoreCase))
        {
            ctx.Add(op.Od, Stages.LrInArpResolve, 50, $"outport == {op.JsonKey} && !is_chassis_resident({op.CrPort!.JsonKey})",
                $"eth.dst = {op.LrpNetworks.EaS}; next;");
        }

        RouterIpInputFlows.DropOwnDestination(ctx, op, Stages.LrInArpResolve, 2, dropSnatIp: true);
    }

    /// <summary>A VIF or localport behind a router port: its IPs on that port's networks resolve to its MAC.</summary>
    private static void BuildForSwitchPort(FlowContext ctx, Port op)
    {
        foreach (var addrs in op.LspAddrs)
        {
            foreach (var ip in addrs.Ipv4)
            {
                foreach (var rp in op.Od.RouterPorts)
                {
                    if (rp.Peer is { Nbrp: not null } peer && RouterIpInputFlows.FindLrpMemberIp(peer, ip.AddrS) is not null)
                    {
                        ctx.Add(peer.Od, Stages.LrInArpResolve, 100, $"outport == {peer.JsonKey} && {Reg.NextHopIpv4} == {ip.AddrS}",
                            $"eth.dst = {addrs.EaS}; next;");
                    }
                }
            }

            foreach (var ip in addrs.Ipv6)
            {
                foreach (var rp in op.Od.RouterPorts)
                {
                    if (rp.Peer is { Nbrp: not null } peer && RouterIpInputFlows.FindLrpMemberIp(peer, ip.AddrS) is not null)
                    {
                        ctx.Add(peer.Od, Stages.LrInArpResolve, 100, $"outport == {peer.JsonKey} && {Reg.NextHopIpv6} == {ip.AddrS}",
                            $"eth.dst = {addrs.EaS}; next;");
                    }
                }
            }
        }
    }

    /// <summary>
    /// A router-type switch port: the other routers on the same switch resolve to their router ports' MACs, so
    /// routers joined by a switch never ARP for each other.
    /// </summary>
    private static void BuildForRouterTypeSwitchPort(FlowContext ctx, Port op)
    {
        var peer = op.Peer;
        if (peer?.Nbrp is null || FlowContext.GetBool(peer.Od.Options, "dynamic_neigh_routers", false))
        {
            return;
        }

        foreach (var rp in op.Od.RouterPorts)
        {
            string? name = rp.Options.GetValueOrDefault("router-port");
            if (name is null || !ctx.Topology.Ports.TryGetValue(name, out var routerPort) || routerPort.Nbrp is null
                || routerPort == peer)
            {
                continue;
            }

            AddRouterPeer(ctx, peer, routerPort);
            if (peer.Od.IsGatewayRouter || peer.CrPort is not null)
            {
                // routable_addresses_to_lflows: the other router's routable NAT/VIP addresses.
                foreach (var laddrs in routerPort.Routables)
                {
                    ctx.Add(peer.Od, Stages.LrInArpResolve, 100,
                        $"outport == {peer.JsonKey} && {Reg.NextHopIpv4} == {{{string.Join(", ", laddrs.Ipv4.Select(a => a.AddrS))}}}",
                        $"eth.dst = {laddrs.EaS}; next;");
                }
            }
        }
    }

    /// <summary>Next hops on <paramref name="target"/>'s networks leave <paramref name="via"/> for its MAC.</summary>
    private static void AddRouterPeer(FlowContext ctx, Port via, Port target)
    {
        if (target.LrpNetworks.Ipv4.Count > 0)
        {
            // northd writes this one without a space before "==" (its "REG_NEXT_HOP_IPV4 \"== \"" format).
            string sep = via.Peer == target && target.Nbrp!.Peer is not null ? "== " : " == ";
            ctx.Add(via.Od, Stages.LrInArpResolve, 100,
                $"outport == {via.JsonKey} && {Reg.NextHopIpv4}{sep}{RouterIpInputFlows.V4Networks(target, addBcast: false)}",
                $"eth.dst = {target.LrpNetworks.EaS}; next;");
        }

        if (target.LrpNetworks.Ipv6.Count > 0)
        {
            ctx.Add(via.Od, Stages.LrInArpResolve, 100,
                $"outport == {via.JsonKey} && {Reg.NextHopIpv6} == {RouterIpInputFlows.V6Networks(target)}",
                $"eth.dst = {target.LrpNetworks.EaS}; next;");
        }
    }
}
