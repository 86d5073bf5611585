using System.Text;
using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// A switch's load-balancing stages: ls_in_pre_lb / ls_out_pre_lb, ls_in_pre_stateful / ls_out_pre_stateful,
/// ls_in_lb_aff_check, ls_in_lb, ls_in_lb_aff_learn and the hairpin stages (northd.c <c>build_pre_lb</c>,
/// <c>build_pre_stateful</c>, <c>build_lb_hairpin</c>, <c>build_lswitch_flows_for_lb</c>).
/// </summary>
internal static class SwitchLoadBalancerFlows
{
    /// <summary>Per switch.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        BuildPreLb(ctx, od);
        BuildPreStateful(ctx, od);
        BuildHairpin(ctx, od);
        ctx.Add(od, Stages.LsInLbAffCheck, 0, "1", "next;");
        ctx.Add(od, Stages.LsInLbAffLearn, 0, "1", "next;");
    }

    /// <summary>Per load balancer on switches: the VIP flows of ls_in_pre_stateful and ls_in_lb.</summary>
    public static void Build(FlowContext ctx, NorthdLoadBalancer lb)
    {
        if (lb.Switches.Count == 0)
        {
            return;
        }

        foreach (var vip in lb.Vips)
        {
            if (EmptyLbEvent(ctx, lb, vip) is var (eventMatch, eventAction))
            {
                ctx.Flows.Add(lb.Switches, Stages.LsInPreLb, 130, eventMatch, eventAction);
            }
        }

        string ctLb = ctx.Features.CtNoMaskedLabel ? "ct_lb_mark" : "ct_lb";
        foreach (var vip in lb.Vips)
        {
            string ipMatch = vip.IsV6 ? "ip6" : "ip4";
            var action = new StringBuilder();
            action.Append(vip.IsV6 ? Reg.OrigDipIpv6 : Reg.OrigDipIpv4).Append(" = ").Append(vip.VipStr).Append("; ");
            if (vip.PortStr is not null)
            {
                action.Append(Reg.OrigTpDport).Append(" = ").Append(vip.PortStr).Append("; ");
            }

            action.Append(ctLb).Append(';');
            string match = $"{Reg.ConntrackNat} == 1 && {ipMatch}.dst == {vip.VipStr}";
            if (vip.PortStr is not null)
            {
                match += $" && {lb.Proto}.dst == {vip.PortStr}";
            }

            ctx.Flows.Add(lb.Switches, Stages.LsInPreStateful, 120, match, action.ToString());
        }

        foreach (var vip in lb.Vips)
        {
            string ipMatch = vip.IsV6 ? "ip6" : "ip4";
            string action = VipActions(ctx, vip, lsDatapath: true, out _, out _, prefix: $"{Reg.ConntrackCommit} = 0; ");
            string match = $"ct.new && {ipMatch}.dst == {vip.VipStr}";
            int priority = 110;
            if (vip.PortStr is not null)
            {
                match += $" && {lb.Proto}.dst == {vip.PortStr}";
                priority = 120;
            }

            ctx.Flows.Add(lb.Switches, Stages.LsInLb, priority, match, action);
        }
    }

    /// <summary>
    /// northd.c <c>build_lb_vip_actions</c>: <c>ct_lb_mark(backends=…);</c>, or a drop or reject for a VIP without
    /// backends; on routers also the skip-SNAT and force-SNAT variants. A drop or reject replaces the whole
    /// action, <paramref name="prefix"/> included, as northd clears its buffer.
    /// </summary>
    public static string VipActions(FlowContext ctx, LbVip vip, bool lsDatapath, out string skipSnat, out string forceSnat,
                                    string prefix = "")
    {
        string ctLb = ctx.Features.CtNoMaskedLabel ? "ct_lb_mark" : "ct_lb";
        bool reject = vip.Backends.Count == 0 && vip.EmptyBackendReject;
        bool drop = vip.Backends.Count == 0 && !vip.EmptyBackendReject;
        string action = $"{prefix}{ctLb}(backends={vip.BackendIps}";
        if (reject)
        {
            int table = lsDatapath ? Stages.LsOutQosMark.Table : Stages.LrOutSnat.Table;
            action = $"reg0 = 0; reject {{ outport <-> inport; next(pipeline=egress,table={table});}};";
        }
        else if (drop)
        {
            action = FlowContext.Drop;
        }

        bool isLbAction = !(reject || drop);
        string enclose = isLbAction ? ");" : "";
        skipSnat = forceSnat = "";
        if (!lsDatapath)
        {
            bool flagSupported = isLbAction && ctx.Features.CtLbRelated;
            skipSnat = $"flags.skip_snat_for_lb = 1; {action}{(flagSupported ? "; skip_snat);" : enclose)}";
            forceSnat = $"flags.force_snat_for_lb = 1; {action}{(flagSupported ? "; force_snat);" : enclose)}";
        }

        return action + enclose;
    }

    /// <summary><c>build_empty_lb_event_flow</c>: the controller event for a VIP without backends, when enabled.</summary>
    public static (string Match, string Action)? EmptyLbEvent(FlowContext ctx, NorthdLoadBalancer lb, LbVip vip)
    {
        if (!(lb.ControllerEvent || ctx.ControllerEvent) || vip.Backends.Count > 0 || vip.EmptyBackendReject)
        {
            return null;
        }

        string match = $"ip{(vip.IsV6 ? "6" : "4")}.dst == {vip.VipStr} && {lb.Proto}";
        string shown = vip.VipStr;
        if (vip.PortStr is not null)
        {
            match += $" && {lb.Proto}.dst == {vip.PortStr}";
            shown = vip.IsV6 ? $"[{vip.VipStr}]:{vip.PortStr}" : $"{vip.VipStr}:{vip.PortStr}";
        }

        string action = $"trigger_event(event = \"empty_lb_backends\", vip = \"{shown}\", protocol = \"{lb.Proto}\", "
                        + $"load_balancer = \"{lb.Nb.Uuid:D}\");";
        return (match, action);
    }

    private static void BuildPreLb(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LsInPreLb, 110, "eth.mcast", "next;");
        ctx.Add(od, Stages.LsOutPreLb, 110, "eth.mcast", "next;");
        ctx.Add(od, Stages.LsInPreLb, 110, "nd || nd_rs || nd_ra || mldv1 || mldv2", "next;");
        ctx.Add(od, Stages.LsOutPreLb, 110, "nd || nd_rs || nd_ra || mldv1 || mldv2", "next;");
        ctx.Add(od, Stages.LsInPreLb, 110, "eth.dst == $svc_monitor_mac", "next;");
        ctx.Add(od, Stages.LsOutPreLb, 110, "eth.src == $svc_monitor_mac", "next;");
        ctx.Add(od, Stages.LsInPreLb, 0, "1", "next;");
        ctx.Add(od, Stages.LsOutPreLb, 0, "1", "next;");

        foreach (var op in od.RouterPorts)
        {
            SkipPortFromConntrack(ctx, od, op);
        }

        // Localnet traffic goes through conntrack only when the switch load-balances.
        if (!od.HasLbVip)
        {
            foreach (var op in od.LocalnetPorts)
            {
                SkipPortFromConntrack(ctx, od, op);
            }
        }

        ctx.Add(od, Stages.LsInPreLb, 110, $"{Reg.AclStateless} == 1", "next;");
        ctx.Add(od, Stages.LsOutPreLb, 110, $"{Reg.AclStateless} == 1", "next;");
        if (od.HasLbVip)
        {
            ctx.Add(od, Stages.LsInPreLb, 100, "ip", $"{Reg.ConntrackNat} = 1; next;");
            ctx.Add(od, Stages.LsOutPreLb, 100, "ip", $"{Reg.ConntrackNat} = 1; next;");
        }
    }

    /// <summary><c>skip_port_from_conntrack</c>: router and localnet ports bypass the switch's conntrack.</summary>
    private static void SkipPortFromConntrack(FlowContext ctx, Datapath od, Port op)
    {
        ctx.Add(od, Stages.LsInPreLb, 110, $"ip && inport == {op.JsonKey}", "next;", op);
        ctx.Add(od, Stages.LsOutPreLb, 110, $"ip && outport == {op.JsonKey}",
            od.HasStatefulAcl ? "next;" : "ct_clear; next;", op);
    }

    private static void BuildPreStateful(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LsInPreStateful, 0, "1", "next;");
        ctx.Add(od, Stages.LsOutPreStateful, 0, "1", "next;");
        string ctLb = ctx.Features.CtNoMaskedLabel ? "ct_lb_mark;" : "ct_lb;";
        ctx.Add(od, Stages.LsInPreStateful, 110, $"{Reg.ConntrackNat} == 1", ctLb);
        ctx.Add(od, Stages.LsOutPreStateful, 110, $"{Reg.ConntrackNat} == 1", ctLb);
        ctx.Add(od, Stages.LsInPreStateful, 100, $"{Reg.ConntrackDefrag} == 1", "ct_next;");
        ctx.Add(od, Stages.LsOutPreStateful, 100, $"{Reg.ConntrackDefrag} == 1", "ct_next;");
    }

    private static void BuildHairpin(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LsInPreHairpin, 0, "1", "next;");
        ctx.Add(od, Stages.LsInNatHairpin, 0, "1", "next;");
        ctx.Add(od, Stages.LsInHairpin, 0, "1", "next;");
        if (od.HasLbVip)
        {
            ctx.Add(od, Stages.LsInPreHairpin, 100, "ip && ct.trk",
                $"{Reg.Hairpin} = chk_lb_hairpin(); {Reg.HairpinReply} = chk_lb_hairpin_reply(); next;");
            ctx.Add(od, Stages.LsInNatHairpin, 100, $"ip && ct.new && ct.trk && {Reg.Hairpin} == 1", "ct_snat_to_vip; next;");
            ctx.Add(od, Stages.LsInNatHairpin, 100, $"ip && ct.est && ct.trk && {Reg.Hairpin} == 1", "ct_snat;");
            ctx.Add(od, Stages.LsInNatHairpin, 90, $"ip && {Reg.HairpinReply} == 1", "ct_snat;");
            ctx.Add(od, Stages.LsInHairpin, 1, $"({Reg.Hairpin} == 1 || {Reg.HairpinReply} == 1)",
                "eth.dst <-> eth.src; outport = inport; flags.loopback = 1; output;");
        }

        if (od.Ports.Any(p => p.LspType == "vtep"))
        {
            ctx.Add(od, Stages.LsInHairpin, 1000, $"{Reg.FromRamp} == 1",
                $"next(pipeline=ingress, table={Stages.LsInL2Lkup.Table});");
            foreach (var rp in od.RouterPorts)
            {
                if (rp.Peer is { IsL3dgw: true } peer)
                {
                    ctx.Add(od, Stages.LsInHairpin, 2000, $"{Reg.FromRamp} == 1 && is_chassis_resident({peer.CrPort!.JsonKey})", "next;");
                }
            }
        }
    }
}
