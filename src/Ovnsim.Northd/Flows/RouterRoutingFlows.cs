using Ovnsim.Northd.Topology;
using Ovnsim.Ovsdb.Northbound;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// lr_in_nd_ra_*, lr_in_ip_routing_pre, lr_in_ip_routing (connected and static routes, longest prefix by
/// priority), lr_in_ip_routing_ecmp, lr_in_policy / lr_in_policy_ecmp (northd.c <c>add_route</c>,
/// <c>build_static_route_flows_for_lrouter</c>, <c>build_ip_routing_flows_for_lrouter_port</c>; ovn-northd(8)
/// "Ingress Table 10-16").
/// </summary>
internal static class RouterRoutingFlows
{
    private const int PrioOffsetStatic = 1;
    private const int PrioOffsetConnected = 2;

    /// <summary>Per router.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInNdRaOptions, 0, "1", "next;");
        ctx.Add(od, Stages.LrInNdRaResponse, 0, "1", "next;");
        ctx.Add(od, Stages.LrInIpRoutingPre, 0, "1", $"{Reg.RouteTableId} = 0; next;");

        ctx.Add(od, Stages.LrInIpRoutingEcmp, 0, "1", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpRouting, 0, "1", FlowContext.Drop);
        ctx.Add(od, Stages.LrInIpRoutingEcmp, 150, $"{Reg.EcmpGroupId} == 0", "next;");
        BuildStaticRoutes(ctx, od);

        // IP multicast relay is not simulated; without it northd only drops RS/RA here.
        ctx.Add(od, Stages.LrInIpRouting, 10550, "nd_rs || nd_ra", FlowContext.Drop);

        ctx.Add(od, Stages.LrInPolicy, 0, "1", $"{Reg.EcmpGroupId} = 0; next;");
        ctx.Add(od, Stages.LrInPolicyEcmp, 150, $"{Reg.EcmpGroupId} == 0", "next;");
        ctx.Add(od, Stages.LrInPolicyEcmp, 0, "1", FlowContext.Drop);
    }

    /// <summary>
    /// Per port: the connected routes of a router port's networks; for a router-type switch port, routes to the
    /// routable NAT and VIP addresses of the other routers' gateway ports on the same switch.
    /// </summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.IsRouterLsp)
        {
            BuildRoutesToRoutables(ctx, op);
            return;
        }

        if (op.Nbrp is null)
        {
            return;
        }

        if (op.Nbrp.Row["ipv6_ra_configs"].Count > 0 && op.Nbrp.Row.GetMap("ipv6_ra_configs").ContainsKey("address_mode"))
        {
            ctx.Topology.Warnings.Add($"router port {op.Key}: IPv6 router advertisements are not simulated yet; ignored");
        }

        if (op.Options.ContainsKey("route_table"))
        {
            ctx.Topology.Warnings.Add($"router port {op.Key}: route tables are not simulated yet; ignored");
        }

        foreach (var ip in op.LrpNetworks.Ipv4)
        {
            AddRoute(ctx, op.Od, op, ip.AddrS, ip.NetworkS, ip.Plen, null, isSrcRoute: false, isIpv4: true,
                isDiscard: false, PrioOffsetConnected);
        }

        foreach (var ip in op.LrpNetworks.Ipv6)
        {
            AddRoute(ctx, op.Od, op, ip.AddrS, ip.NetworkS, ip.Plen, null, isSrcRoute: false, isIpv4: false,
                isDiscard: false, PrioOffsetConnected);
        }
    }

    private static void BuildRoutesToRoutables(FlowContext ctx, Port op)
    {
        var peer = op.Peer;
        if (peer?.Nbrp is null || peer.LrpNetworks.Ipv4.Count == 0)
        {
            return;
        }

        foreach (var rp in op.Od.RouterPorts)
        {
            if (rp.Peer is not { Nbrp: not null } routerPort || routerPort == peer)
            {
                continue;
            }

            foreach (var laddrs in routerPort.Routables)
            {
                foreach (var ip in laddrs.Ipv4)
                {
                    AddRoute(ctx, peer.Od, peer, peer.LrpNetworks.Ipv4[0].AddrS, ip.NetworkS, ip.Plen, null,
                        isSrcRoute: false, isIpv4: true, isDiscard: false, PrioOffsetConnected);
                }
            }
        }
    }

    /// <summary><c>add_route</c>: one lr_in_ip_routing flow, priority from prefix length and origin.</summary>
    private static void AddRoute(FlowContext ctx, Datapath od, Port? op, string? lrpAddr, string network, int plen,
                                 string? gateway, bool isSrcRoute, bool isIpv4, bool isDiscard, int ofs)
    {
        Port? inport = null;
        if (!isIpv4 && Ipv6NetAddr.TryParse(network, out var net6) && Ipv6NetAddr.IsLinkLocal(net6))
        {
            inport = op; // link-local routes are scoped to their port
        }

        string dir = isSrcRoute ? "src" : "dst";
        if (isSrcRoute)
        {
            ofs = 0;
        }

        int priority = (plen * 3) + ofs;
        string match = (inport is not null ? $"inport == {inport.JsonKey} && " : "")
                       + (ofs == PrioOffsetStatic ? $"{Reg.RouteTableId} == 0 && " : "")
                       + $"ip{(isIpv4 ? "4" : "6")}.{dir} == {network}/{plen}";
        string actions;
        if (isDiscard)
        {
            actions = FlowContext.Drop;
        }
        else
        {
            string nextHop = string.IsNullOrEmpty(gateway) ? $"ip{(isIpv4 ? "4" : "6")}.dst" : gateway;
            actions = $"ip.ttl--; {Reg.EcmpGroupId} = 0; {(isIpv4 ? Reg.NextHopIpv4 : Reg.NextHopIpv6)} = {nextHop}; "
                      + $"{(isIpv4 ? Reg.SrcIpv4 : Reg.SrcIpv6)} = {lrpAddr}; eth.src = {op!.LrpNetworks.EaS}; "
                      + $"outport = {op.JsonKey}; flags.loopback = 1; next;";
        }

        ctx.Add(od, Stages.LrInIpRouting, priority, match, actions);
    }

    /// <summary>
    /// <c>build_static_route_flows_for_lrouter</c>: each valid static route, unless several share a prefix (ECMP,
    /// a later issue).
    /// </summary>
    private static void BuildStaticRoutes(FlowContext ctx, Datapath od)
    {
        var parsed = new List<(LogicalRouterStaticRoute Route, UInt128 Prefix, int Plen, bool IsV4, bool IsSrc, bool Discard)>();
        foreach (var route in od.Nbr!.StaticRoutes)
        {
            if (ParseRoute(ctx, od, route) is { } p)
            {
                parsed.Add(p);
            }
        }

        foreach (var group in parsed.GroupBy(p => (p.Prefix, p.IsV4, p.Plen, p.IsSrc, p.Route.RouteTable)))
        {
            var routes = group.ToList();
            if (routes.Count > 1)
            {
                ctx.Topology.Warnings.Add($"router {od.Name}: ECMP routes for {routes[0].Route.IpPrefix} are not simulated yet; "
                                          + "their flows are missing");
                continue;
            }

            var (route, prefix, plen, isV4, isSrc, discard) = routes[0];
            string? lrpAddr = null;
            Port? outPort = null;
            if (!discard && !FindStaticRouteOutport(ctx, od, route, isV4, out lrpAddr, out outPort))
            {
                continue;
            }

            int ofs = route.Row.GetMap("options").GetValueOrDefault("origin") == "connected" ? PrioOffsetConnected : PrioOffsetStatic;
            string network = isV4
                ? Ipv4NetAddr.Format((uint)prefix & (plen == 0 ? 0 : uint.MaxValue << (32 - plen)))
                : Ipv6NetAddr.Format(new Ipv6NetAddr(prefix, plen).Network);
            AddRoute(ctx, discard ? od : outPort!.Od, outPort, lrpAddr, network, plen, route.Nexthop, isSrc, isV4, discard, ofs);
        }
    }

    /// <summary><c>parsed_routes_add</c>: the route's prefix and next hop, validated.</summary>
    private static (LogicalRouterStaticRoute, UInt128, int, bool, bool, bool)? ParseRoute(
        FlowContext ctx, Datapath od, LogicalRouterStaticRoute route)
    {
        bool discard = route.Nexthop == "discard";
        bool validNexthop = route.Nexthop.Length > 0 && !discard;
        bool nexthopV4 = false;
        if (validNexthop)
        {
            if (LportAddresses.TryParseCidr4(route.Nexthop, out _, out int p4))
            {
                nexthopV4 = true;
                if (p4 != 32)
                {
                    ctx.Topology.Warnings.Add($"bad next hop mask {route.Nexthop} in static route {route.Uuid:D}");
                    return null;
                }
            }
            else if (LportAddresses.TryParseCidr6(route.Nexthop, out _, out int p6))
            {
                if (p6 != 128)
                {
                    ctx.Topology.Warnings.Add($"bad next hop mask {route.Nexthop} in static route {route.Uuid:D}");
                    return null;
                }
            }
            else
            {
                ctx.Topology.Warnings.Add($"bad 'nexthop' {route.Nexthop} in static route {route.Uuid:D}");
                return null;
            }
        }

        UInt128 prefix;
        int plen;
        bool isV4;
        if (LportAddresses.TryParseCidr4(route.IpPrefix, out uint v4, out plen))
        {
            prefix = v4;
            isV4 = true;
        }
        else if (LportAddresses.TryParseCidr6(route.IpPrefix, out prefix, out plen))
        {
            isV4 = false;
        }
        else
        {
            ctx.Topology.Warnings.Add($"bad 'ip_prefix' {route.IpPrefix} in static route {route.Uuid:D}");
            return null;
        }

        if (validNexthop && isV4 != nexthopV4)
        {
            ctx.Topology.Warnings.Add($"Address family doesn't match between 'ip_prefix' {route.IpPrefix} and 'nexthop' "
                                      + $"{route.Nexthop} in static route {route.Uuid:D}");
            return null;
        }

        if (!discard && !FindStaticRouteOutport(ctx, od, route, isV4, out _, out _))
        {
            return null;
        }

        if (route.RouteTable.Length > 0 || route.Row["bfd"].Count > 0)
        {
            ctx.Topology.Warnings.Add($"static route {route.IpPrefix}: route tables and BFD are not simulated yet; ignored");
        }

        return (route, prefix, plen, isV4, route.Policy == "src-ip", discard);
    }

    /// <summary><c>find_static_route_outport</c>: the port and its address that reach the next hop.</summary>
    private static bool FindStaticRouteOutport(FlowContext ctx, Datapath od, LogicalRouterStaticRoute route, bool isV4,
                                               out string? lrpAddr, out Port? outPort)
    {
        lrpAddr = null;
        outPort = null;
        if (route.OutputPort is { } name)
        {
            if (!ctx.Topology.Ports.TryGetValue(name, out outPort))
            {
                ctx.Topology.Warnings.Add($"Bad out port {name} for static route {route.IpPrefix}");
                return false;
            }

            if (route.Nexthop.Length > 0)
            {
                lrpAddr = RouterIpInputFlows.FindLrpMemberIp(outPort, route.Nexthop);
            }

            lrpAddr ??= isV4 ? outPort.LrpNetworks.Ipv4.FirstOrDefault()?.AddrS : outPort.LrpNetworks.Ipv6.FirstOrDefault()?.AddrS;
        }
        else
        {
            foreach (var lrp in od.Nbr!.Ports)
            {
                if (!ctx.Topology.Ports.TryGetValue(lrp.Name, out outPort))
                {
                    continue;
                }

                if (route.Nexthop.Length > 0)
                {
                    lrpAddr = RouterIpInputFlows.FindLrpMemberIp(outPort, route.Nexthop);
                }

                if (lrpAddr is not null)
                {
                    break;
                }
            }
        }

        if (outPort is null || lrpAddr is null)
        {
            ctx.Topology.Warnings.Add($"No path for static route {route.IpPrefix}; next hop {route.Nexthop}");
            return false;
        }

        return true;
    }
}
