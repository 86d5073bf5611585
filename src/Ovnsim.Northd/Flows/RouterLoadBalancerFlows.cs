using System.Text;
using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// Load balancers on routers — how Neutron's port forwarding reaches a VM: lr_in_defrag sends VIP traffic to
/// conntrack, lr_in_dnat picks a backend with <c>ct_lb_mark</c> on the gateway chassis, lr_out_undnat reverses it for
/// replies (northd.c <c>build_lrouter_defrag_flows_for_lb</c>, <c>build_lrouter_nat_flows_for_lb</c>,
/// <c>build_lrouter_flows_for_lb</c>; ovn-northd(8) "Ingress Table 5-8").
/// </summary>
internal static class RouterLoadBalancerFlows
{
    /// <summary>Per router: the affinity stages' defaults (affinity itself is a later issue).</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInLbAffCheck, 0, "1", "next;");
        ctx.Add(od, Stages.LrInLbAffLearn, 0, "1", "next;");
    }

    /// <summary>Per load balancer attached to routers.</summary>
    public static void Build(FlowContext ctx, NorthdLoadBalancer lb)
    {
        if (lb.Routers.Count == 0)
        {
            return;
        }

        foreach (var vip in lb.Vips)
        {
            ctx.Flows.Add(lb.Routers, Stages.LrInDefrag, 100, $"ip && ip{(vip.IsV6 ? '6' : '4')}.dst == {vip.VipStr}", "ct_dnat;");
        }

        foreach (var vip in lb.Vips)
        {
            BuildNatFlows(ctx, lb, vip);
            if (SwitchLoadBalancerFlows.EmptyLbEvent(ctx, lb, vip) is var (match, action))
            {
                ctx.Flows.Add(lb.Routers, Stages.LrInDnat, 130, match, action);
            }
        }

        if (lb.SkipSnat)
        {
            ctx.Flows.Add(lb.Routers, Stages.LrOutSnat, 120, "flags.skip_snat_for_lb == 1 && ip", "next;");
        }
    }

    private static void BuildNatFlows(FlowContext ctx, NorthdLoadBalancer lb, LbVip vip)
    {
        string ip = vip.IsV6 ? "ip6" : "ip4";
        string normal = SwitchLoadBalancerFlows.VipActions(ctx, vip, lsDatapath: false, out string skipSnat, out string forceSnat);
        string newMatch = $"ct.new && !ct.rel && {ip} && {ip}.dst == {vip.VipStr}";
        int priority = 110;
        if (vip.PortStr is not null)
        {
            priority = 120;
            newMatch += $" && {lb.Proto} && {lb.Proto}.dst == {vip.PortStr}";
        }

        var undnat = new StringBuilder($"{ip} && (");
        foreach (var backend in vip.Backends)
        {
            undnat.Append('(').Append(ip).Append(".src == ").Append(backend.IpStr);
            undnat.Append(backend.PortStr is not null ? $" && {lb.Proto}.src == {backend.PortStr}) || " : ") || ");
        }

        undnat.Length -= 4;
        string unsnatMatch = $"{ip} && {ip}.dst == {vip.VipStr} && {lb.Proto}"
                             + (vip.PortStr is not null ? $" && {lb.Proto}.dst == {vip.PortStr}" : "");

        foreach (var od in lb.Routers)
        {
            // Gateway routers' lb_force_snat_ip is a later issue, so a VIP is "skip SNAT" or normal here.
            string action = lb.SkipSnat ? skipSnat : normal;
            if (od.L3dgwPorts.Count == 0)
            {
                ctx.Add(od, Stages.LrInDnat, priority, newMatch, action);
            }
            else
            {
                string match = newMatch;
                if (vip.Backends.Count > 0 || !vip.EmptyBackendReject)
                {
                    match += $" && is_chassis_resident({od.L3dgwPorts[0].CrPort!.JsonKey})";
                }

                ctx.Add(od, Stages.LrInDnat, priority, match, action);
                if (vip.Backends.Count > 0)
                {
                    string undnatAction = lb.SkipSnat ? "flags.skip_snat_for_lb = 1; next;"
                        : od.IsGatewayRouter ? "ct_dnat;" : "ct_dnat_in_czone;";
                    ctx.Add(od, Stages.LrOutUndnat, 120,
                        $"{undnat}) && outport == {od.L3dgwPorts[0].JsonKey} && is_chassis_resident({od.L3dgwPorts[0].CrPort!.JsonKey})",
                        undnatAction);
                }
            }

            if (od.Nbr!.Nat.Any(n => n.ExternalIp == vip.VipStr))
            {
                ctx.Add(od, Stages.LrInUnsnat, 120, unsnatMatch, "next;");
            }
        }
    }
}
