using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// lr_in_admission, lr_in_lookup_neighbor and lr_in_learn_neighbor (northd.c
/// <c>build_adm_ctrl_flows_for_lrouter*</c>, <c>build_neigh_learning_flows_for_lrouter*</c>; ovn-northd(8) "Ingress
/// Table 0-2").
/// </summary>
internal static class RouterAdmissionFlows
{
    /// <summary>Per router.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInAdmission, 100, "vlan.present || eth.src[40]", FlowContext.Drop);
        ctx.Add(od, Stages.LrInAdmission, 0, "1", FlowContext.Drop);

        bool learnFromArpRequest = FlowContext.GetBool(od.Options, "always_learn_from_arp_request", true);
        string ipResultSet = learnFromArpRequest ? "" : $"{Reg.LookupNeighborIpResult} = 1; ";
        ctx.Add(od, Stages.LrInLookupNeighbor, 100, "arp.op == 2",
            $"{Reg.LookupNeighborResult} = lookup_arp(inport, arp.spa, arp.sha); {ipResultSet}next;");
        ctx.Add(od, Stages.LrInLookupNeighbor, 100, "nd_na",
            $"{Reg.LookupNeighborResult} = lookup_nd(inport, nd.target, nd.tll); {ipResultSet}next;");
        if (!learnFromArpRequest)
        {
            ctx.Add(od, Stages.LrInLookupNeighbor, 110, "nd_na && ip6.src == fe80::/10 && ip6.dst == ff00::/8",
                $"{Reg.LookupNeighborResult} = lookup_nd(inport, ip6.src, nd.tll); "
                + $"{Reg.LookupNeighborIpResult} = lookup_nd_ip(inport, ip6.src); next;");
        }

        ctx.Add(od, Stages.LrInLookupNeighbor, 100, "nd_ns",
            $"{Reg.LookupNeighborResult} = lookup_nd(inport, ip6.src, nd.sll); "
            + (learnFromArpRequest ? "" : $"{Reg.LookupNeighborIpResult} = lookup_nd_ip(inport, ip6.src); ") + "next;");
        ctx.Add(od, Stages.LrInLookupNeighbor, 0, "1", $"{Reg.LookupNeighborResult} = 1; next;");

        ctx.Add(od, Stages.LrInLearnNeighbor, 100,
            $"{Reg.LookupNeighborResult} == 1" + (learnFromArpRequest ? "" : $" || {Reg.LookupNeighborIpResult} == 0"), "next;");
        ctx.Add(od, Stages.LrInLearnNeighbor, 90, "arp", "put_arp(inport, arp.spa, arp.sha); next;");
        ctx.Add(od, Stages.LrInLearnNeighbor, 95, "nd_ns && (ip6.src == 0 || nd.sll == 0)", "next;");
        ctx.Add(od, Stages.LrInLearnNeighbor, 95, "nd_na && nd.tll == 0", "put_nd(inport, nd.target, eth.src); next;");
        ctx.Add(od, Stages.LrInLearnNeighbor, 90, "nd_na", "put_nd(inport, nd.target, nd.tll); next;");
        ctx.Add(od, Stages.LrInLearnNeighbor, 90, "nd_ns", "put_nd(inport, ip6.src, nd.sll); next;");
        ctx.Add(od, Stages.LrInLearnNeighbor, 0, "1", FlowContext.Drop);
    }

    /// <summary>Per router port.</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbrp is null)
        {
            return;
        }

        var od = op.Od;
        if (op.LrpEnabled && !op.IsChassisRedirect)
        {
            // Store the receiving port's MAC so later stages need not match on inport (with a gateway MTU, check the
            // packet's length too).
            string store = $"{Reg.InportEthAddr} = {op.LrpNetworks.EaS}; next;";
            GatewayMtuFlows.Add(ctx, op, Stages.LrInAdmission, $"eth.mcast && inport == {op.JsonKey}", store);
            string unicast = $"eth.dst == {op.LrpNetworks.EaS} && inport == {op.JsonKey}";
            if (op.IsL3dgw)
            {
                unicast += $" && is_chassis_resident({op.CrPort!.JsonKey})";
            }

            GatewayMtuFlows.Add(ctx, op, Stages.LrInAdmission, unicast, store);
        }

        bool learnFromArpRequest = FlowContext.GetBool(od.Options, "always_learn_from_arp_request", true);
        string resident = op.IsL3dgw ? $" && is_chassis_resident({op.CrPort!.JsonKey})" : "";
        foreach (var ip in op.LrpNetworks.Ipv4)
        {
            if (!learnFromArpRequest)
            {
                ctx.Add(od, Stages.LrInLookupNeighbor, 110,
                    $"inport == {op.JsonKey} && arp.spa == {ip.NetworkS}/{ip.Plen} && arp.tpa == {ip.AddrS} && arp.op == 1{resident}",
                    $"{Reg.LookupNeighborResult} = lookup_arp(inport, arp.spa, arp.sha); {Reg.LookupNeighborIpResult} = 1; next;");
            }

            ctx.Add(od, Stages.LrInLookupNeighbor, 100,
                $"inport == {op.JsonKey} && arp.spa == {ip.NetworkS}/{ip.Plen} && arp.op == 1{resident}",
                $"{Reg.LookupNeighborResult} = lookup_arp(inport, arp.spa, arp.sha); "
                + (learnFromArpRequest ? "" : $"{Reg.LookupNeighborIpResult} = lookup_arp_ip(inport, arp.spa); ") + "next;");
        }
    }
}
