using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// lr_in_gw_redirect: traffic leaving a distributed gateway port is redirected to its chassis-redirect port
/// (<c>cr-…</c>), so it is processed on the gateway chassis; distributed NAT leaves locally (northd.c
/// <c>build_gateway_redirect_flows_for_lrouter</c>; ovn-northd(8) "Ingress Table 20").
/// </summary>
internal static class RouterChassisRedirectFlows
{
    public static void Build(FlowContext ctx, Datapath od)
    {
        foreach (var dgw in od.L3dgwPorts)
        {
            // Stateless NAT with allowed/exempted external IPs (address sets) is a later issue.
            ctx.Add(od, Stages.LrInGwRedirect, 50, $"outport == {dgw.JsonKey}", $"outport = {dgw.CrPort!.JsonKey}; next;");
        }

        ctx.Add(od, Stages.LrInGwRedirect, 0, "1", "next;");
    }
}

/// <summary>
/// lr_in_chk_pkt_len / lr_in_larger_pkts (defaults; a gateway MTU's flows are <see cref="GatewayMtuFlows"/>), lr_in_arp_request and
/// lr_out_delivery (northd.c <c>build_arp_request_flows_for_lrouter</c>, <c>build_egress_delivery_flows_for_lrouter_port</c>).
/// </summary>
internal static class RouterArpRequestFlows
{
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInChkPktLen, 0, "1", "next;");
        ctx.Add(od, Stages.LrInLargerPkts, 0, "1", "next;");

        foreach (var route in od.Nbr!.StaticRoutes)
        {
            if (!LportAddresses.TryParseCidr6(route.Nexthop, out var gw, out int plen) || plen != 128)
            {
                continue;
            }

            // An IPv6 next hop gets its NS sent to the solicited-node group directly.
            var sn = Ipv6NetAddr.Parse(new Ipv6NetAddr(gw, 128).SnAddrS);
            ulong mac = 0x333300000000UL | (ulong)(sn & 0xffffffff);
            ctx.Add(od, Stages.LrInArpRequest, 200,
                $"eth.dst == 00:00:00:00:00:00 && ip6 && {Reg.NextHopIpv6} == {route.Nexthop}",
                $"nd_ns {{ eth.dst = {LportAddresses.FormatMac(mac)}; ip6.dst = {Ipv6NetAddr.Format(sn)}; "
                + $"nd.target = {route.Nexthop}; output; }};");
        }

        ctx.Add(od, Stages.LrInArpRequest, 100, "eth.dst == 00:00:00:00:00:00 && ip4",
            $"arp {{ eth.dst = ff:ff:ff:ff:ff:ff; arp.spa = {Reg.SrcIpv4}; arp.tpa = {Reg.NextHopIpv4}; arp.op = 1; output; }};");
        ctx.Add(od, Stages.LrInArpRequest, 100, "eth.dst == 00:00:00:00:00:00 && ip6",
            $"nd_ns {{ nd.target = {Reg.NextHopIpv6}; output; }};");
        ctx.Add(od, Stages.LrInArpRequest, 0, "1", "output;");
    }

    /// <summary>Per router port: lr_out_delivery.</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbrp is null || !op.LrpEnabled || op.IsChassisRedirect)
        {
            return;
        }

        ctx.Add(op.Od, Stages.LrOutDelivery, 100, $"outport == {op.JsonKey}", "output;");
        ctx.Add(op.Od, Stages.LrOutDelivery, 0, "1", FlowContext.Drop);
    }
}
