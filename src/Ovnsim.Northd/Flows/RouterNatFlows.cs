using System.Text;
using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// NAT on a distributed router: lr_in_unsnat, lr_in_dnat, lr_out_chk_dnat_local, lr_out_undnat, lr_out_snat,
/// lr_out_egr_loop, the NAT entries of lr_in_arp_resolve / lr_in_gw_redirect / lr_in_ip_input / lr_in_admission, and
/// every stage's default (northd.c <c>build_lrouter_nat_defrag_and_lb</c> and the functions it calls; ovn-northd(8)
/// "Ingress Table 4-9", "Egress Table 0-5").
/// </summary>
internal static class RouterNatFlows
{
    public static void Build(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LrInDefrag, 0, "1", "next;");
        ctx.Add(od, Stages.LrInUnsnat, 0, "1", "next;");
        ctx.Add(od, Stages.LrOutChkDnatLocal, 0, "1", $"{Reg.DstNatIpLocal} = 0; next;");
        ctx.Add(od, Stages.LrOutSnat, 0, "1", "next;");
        ctx.Add(od, Stages.LrInDnat, 0, "1", "next;");
        ctx.Add(od, Stages.LrOutUndnat, 0, "1", "next;");
        ctx.Add(od, Stages.LrOutPostUndnat, 0, "1", "next;");
        ctx.Add(od, Stages.LrOutPostSnat, 0, "1", "next;");
        ctx.Add(od, Stages.LrOutEgrLoop, 0, "1", "next;");
        ctx.Add(od, Stages.LrInEcmpStateful, 0, "1", "next;");

        string ctFlag = ctx.CtFlagReg;
        if (od.HasLbVip && ctx.Features.CtLbRelated)
        {
            const string related = "ct.rel && !ct.est && !ct.new";
            ctx.Add(od, Stages.LrInDnat, 70, $"{related} && {ctFlag}.skip_snat == 1", "flags.skip_snat_for_lb = 1; ct_commit_nat;");
            ctx.Add(od, Stages.LrInDnat, 70, $"{related} && {ctFlag}.force_snat == 1", "flags.force_snat_for_lb = 1; ct_commit_nat;");
            ctx.Add(od, Stages.LrInDnat, 50, related, "ct_commit_nat;");
        }

        if (od.HasLbVip)
        {
            string established = $"ct.est && !ct.rel && !ct.new && {ctFlag}.natted";
            ctx.Add(od, Stages.LrInDnat, 70, $"{established} && {ctFlag}.skip_snat == 1", "flags.skip_snat_for_lb = 1; next;");
            ctx.Add(od, Stages.LrInDnat, 70, $"{established} && {ctFlag}.force_snat == 1", "flags.force_snat_for_lb = 1; next;");
            ctx.Add(od, Stages.LrInDnat, 50, established, "next;");
        }

        ctx.Add(od, Stages.LrOutSnat, 120, "nd_ns", "next;");
        if (od.L3dgwPorts.Count == 0)
        {
            return; // NAT needs a gateway port (or a gateway router, a later issue)
        }

        var seenExternal = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in od.NatEntries)
        {
            if (Check(ctx, od, entry) is not { } nat)
            {
                continue;
            }

            BuildUnsnat(ctx, od, nat);
            BuildDnat(ctx, od, nat);
            if (seenExternal.Add(entry.Nb.ExternalIp))
            {
                string ipv = nat.IsV6 ? "6" : "4";
                ctx.Add(od, Stages.LrInArpResolve, 150,
                    $"inport == {nat.Gw.JsonKey} && outport == {nat.Gw.JsonKey} && ip{ipv}.dst == {entry.Nb.ExternalIp}", FlowContext.Drop);
                ctx.Add(od, Stages.LrInArpResolve, 100,
                    $"outport == {nat.Gw.JsonKey} && {(nat.IsV6 ? Reg.NextHopIpv6 : Reg.NextHopIpv4)} == {entry.Nb.ExternalIp}",
                    $"eth.dst = {(nat.Distributed ? entry.Nb.ExternalMac : nat.Gw.LrpNetworks.EaS)}; next;");
                if (nat.Distributed && od.L3dgwPorts.Any(p => string.Equals(
                        p.Options.GetValueOrDefault("redirect-type"), "bridged", StringComparison.OrdinalIgnoreCase)))
                {
                    ctx.Add(od, Stages.LrInArpResolve, 90,
                        $"outport == {od.L3dgwPorts[0].JsonKey} && ip{ipv}.src == {entry.Nb.LogicalIp} && is_chassis_resident(\"{entry.Nb.LogicalPort}\")",
                        nat.IsV6 ? $"get_nd(outport, {Reg.NextHopIpv6}); next;" : $"get_arp(outport, {Reg.NextHopIpv4}); next;");
                }
            }

            BuildIsDnatLocal(ctx, od, nat);
            BuildUndnat(ctx, od, nat);
            BuildSnat(ctx, od, nat);
            BuildIngress(ctx, od, nat);
            if (nat.Distributed)
            {
                string ipv = nat.IsV6 ? "6" : "4";
                string match = $"ip{ipv}.src == {entry.Nb.LogicalIp} && outport == {nat.Gw.JsonKey}";
                if (ctx.Topology.Ports.TryGetValue(entry.Nb.LogicalPort!, out var lp) && lp.LspType == "virtual")
                {
                    ctx.Add(od, Stages.LrInGwRedirect, 80, match, FlowContext.Drop);
                }

                ctx.Add(od, Stages.LrInGwRedirect, 100, $"{match} && is_chassis_resident(\"{entry.Nb.LogicalPort}\")",
                    $"eth.src = {entry.Nb.ExternalMac}; {(nat.IsV6 ? Reg.SrcIpv6 : Reg.SrcIpv4)} = {entry.Nb.ExternalIp}; next;");
            }

            BuildEgressLoop(ctx, od, nat);
        }

        if (od.Nbr!.Nat.Count > 0)
        {
            ctx.Add(od, Stages.LrOutChkDnatLocal, 50, $"ip && {ctFlag}.natted == 1", $"{Reg.DstNatIpLocal} = 1; next;");
        }
    }

    /// <summary>A NAT rule that passed <c>lrouter_check_nat_entry</c>, with what the flow builders need.</summary>
    private sealed record CheckedNat(NatEntry Entry, bool IsV6, int CidrBits, bool Distributed, string Mac, Port Gw)
    {
        public Ovsdb.Northbound.Nat Nb => Entry.Nb;

        public bool Stateless => Nb.Type == "dnat_and_snat" && FlowContext.GetBool(Nb.Options, "stateless", false);
    }

    /// <summary><c>lrouter_check_nat_entry</c>: validates the rule and finds its gateway port.</summary>
    private static CheckedNat? Check(FlowContext ctx, Datapath od, NatEntry entry)
    {
        var nat = entry.Nb;
        if (nat.Row["allowed_ext_ips"].Count > 0 || nat.Row["exempted_ext_ips"].Count > 0)
        {
            ctx.Topology.Warnings.Add($"NAT {nat.ExternalIp}: allowed_ext_ips/exempted_ext_ips (address sets) are not simulated yet; ignored");
        }

        bool isV6;
        if (Ipv4NetAddr.TryParse(nat.ExternalIp, out _))
        {
            isV6 = false;
        }
        else if (Ipv6NetAddr.TryParse(nat.ExternalIp, out _))
        {
            isV6 = true;
        }
        else
        {
            ctx.Topology.Warnings.Add($"bad external ip {nat.ExternalIp} for nat");
            return null;
        }

        Port? gw = null;
        if (nat.Row.GetRef("gateway_port") is { } gwRow)
        {
            gw = od.L3dgwPorts.FirstOrDefault(p => p.Nbrp!.Uuid == gwRow.Uuid);
            if (gw is null)
            {
                ctx.Topology.Warnings.Add($"gateway_port of NAT {nat.ExternalIp} on logical router {od.Name} is not a valid distributed gateway port on that router");
                return null;
            }
        }
        else if (od.L3dgwPorts.Count == 1)
        {
            gw = od.L3dgwPorts[0];
        }
        else
        {
            gw = od.L3dgwPorts.FirstOrDefault(p => RouterIpInputFlows.FindLrpMemberIp(p, nat.ExternalIp) is not null);
            if (gw is null)
            {
                ctx.Topology.Warnings.Add($"Unable to determine gateway_port for NAT with external_ip: {nat.ExternalIp} "
                                          + $"configured on logical router: {od.Name} with multiple distributed gateway ports");
                return null;
            }
        }

        int cidrBits;
        if (isV6)
        {
            if (!LportAddresses.TryParseCidr6(nat.LogicalIp, out _, out cidrBits))
            {
                ctx.Topology.Warnings.Add($"bad ip {nat.LogicalIp} for NAT in router {od.NbUuid:D}");
                return null;
            }
        }
        else if (!LportAddresses.TryParseCidr4(nat.LogicalIp, out _, out cidrBits))
        {
            ctx.Topology.Warnings.Add($"bad ip network or ip {nat.LogicalIp} for NAT in router {od.NbUuid:D}");
            return null;
        }

        if (nat.Type != "snat" && cidrBits != (isV6 ? 128 : 32))
        {
            ctx.Topology.Warnings.Add($"bad ip {nat.LogicalIp} for dnat in router {od.NbUuid:D}");
            return null;
        }

        bool distributed = false;
        string mac = "ff:ff:ff:ff:ff:ff";
        if (nat.Type == "dnat_and_snat" && nat.LogicalPort is not null && nat.ExternalMac is { } ext)
        {
            if (!LportAddresses.TryParseMac(ext, out ulong parsed))
            {
                ctx.Topology.Warnings.Add($"bad mac {ext} for dnat in router {od.NbUuid:D}");
                return null;
            }

            distributed = true;
            mac = LportAddresses.FormatMac(parsed);
        }

        return new CheckedNat(entry, isV6, cidrBits, distributed, mac, gw);
    }

    private static string Resident(CheckedNat nat) =>
        nat.Distributed ? $"is_chassis_resident(\"{nat.Nb.LogicalPort}\")" : $"is_chassis_resident({nat.Gw.CrPort!.JsonKey})";

    private static void BuildUnsnat(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        if (nat.Nb.Type is not ("snat" or "dnat_and_snat"))
        {
            return;
        }

        string ipv = nat.IsV6 ? "6" : "4";
        string resident = nat.Distributed ? "" : $" && is_chassis_resident({nat.Gw.CrPort!.JsonKey})";
        ctx.Add(od, Stages.LrInUnsnat, 100,
            $"ip && ip{ipv}.dst == {nat.Nb.ExternalIp} && inport == {nat.Gw.JsonKey} && flags.loopback == 0{resident}",
            nat.Stateless ? "next;" : "ct_snat_in_czone;");
        if (!nat.Stateless)
        {
            ctx.Add(od, Stages.LrInUnsnat, 100,
                $"ip && ip{ipv}.dst == {nat.Nb.ExternalIp} && inport == {nat.Gw.JsonKey} && flags.loopback == 1 && flags.use_snat_zone == 1{resident}",
                "ct_snat;");
        }
    }

    private static void BuildDnat(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        if (nat.Nb.Type is not ("dnat" or "dnat_and_snat"))
        {
            return;
        }

        string ipv = nat.IsV6 ? "6" : "4";
        string match = $"ip && ip{ipv}.dst == {nat.Nb.ExternalIp} && inport == {nat.Gw.JsonKey}"
                       + (nat.Distributed ? "" : $" && is_chassis_resident({nat.Gw.CrPort!.JsonKey})");
        string actions = nat.Nb.Type == "dnat_and_snat" && nat.Stateless
            ? $"ip{ipv}.dst={nat.Nb.LogicalIp}; next;"
            : $"ct_dnat_in_czone({nat.Nb.LogicalIp}{PortRange(nat)});";
        ctx.Add(od, Stages.LrInDnat, 100, match, actions);
    }

    private static string PortRange(CheckedNat nat) =>
        nat.Nb.ExternalPortRange.Length > 0 ? "," + nat.Nb.ExternalPortRange : "";

    private static void BuildIsDnatLocal(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        ctx.Add(od, Stages.LrOutChkDnatLocal, 50, $"ip && ip{(nat.IsV6 ? "6" : "4")}.dst == {nat.Nb.ExternalIp} && {Resident(nat)}",
            $"{Reg.DstNatIpLocal} = 1; next;");
    }

    private static void BuildUndnat(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        if (nat.Nb.Type is not ("dnat" or "dnat_and_snat"))
        {
            return;
        }

        string match = $"ip && ip{(nat.IsV6 ? "6" : "4")}.src == {nat.Nb.LogicalIp} && outport == {nat.Gw.JsonKey}"
                       + (nat.Distributed ? "" : $" && is_chassis_resident({nat.Gw.CrPort!.JsonKey})");
        string actions = (nat.Distributed ? $"eth.src = {nat.Mac}; " : "") + (nat.Stateless ? "next;" : "ct_dnat_in_czone;");
        ctx.Add(od, Stages.LrOutUndnat, 100, match, actions);
    }

    private static void BuildSnat(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        if (nat.Nb.Type is not ("snat" or "dnat_and_snat"))
        {
            return;
        }

        string ipv = nat.IsV6 ? "6" : "4";
        int priority = nat.CidrBits + 1 + 128;
        string match = $"ip && ip{ipv}.src == {nat.Nb.LogicalIp} && outport == {nat.Gw.JsonKey} && {Resident(nat)}";
        string ethSrc = nat.Distributed ? $"eth.src = {nat.Mac}; " : "";
        string actions = ethSrc + (nat.Stateless
            ? $"ip{ipv}.src={nat.Nb.ExternalIp}; next;"
            : $"ct_snat_in_czone({nat.Nb.ExternalIp}{PortRange(nat)});");
        ctx.Add(od, Stages.LrOutSnat, priority, match, actions);
        if (!nat.Stateless)
        {
            ctx.Add(od, Stages.LrOutSnat, priority + 1, $"{match} && {Reg.DstNatIpLocal} == 1",
                $"{ethSrc}{Reg.DstNatIpLocal} = 0; ct_snat({nat.Nb.ExternalIp}{PortRange(nat)});");
        }
    }

    /// <summary><c>build_lrouter_ingress_flow</c>: SNAT replies enter, and a distributed NAT MAC is admitted.</summary>
    private static void BuildIngress(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        if (nat.Nb.Type == "snat")
        {
            ctx.Add(od, Stages.LrInIpInput, 120,
                $"inport == {nat.Gw.JsonKey} && {(nat.IsV6 ? "ip6.src" : "ip4.src")} == {nat.Nb.ExternalIp}", "next;");
        }

        if (nat.Distributed)
        {
            GatewayMtuFlows.Add(ctx, nat.Gw, Stages.LrInAdmission,
                $"eth.dst == {nat.Mac} && inport == {nat.Gw.JsonKey} && is_chassis_resident(\"{nat.Nb.LogicalPort}\")",
                $"{Reg.InportEthAddr} = {nat.Gw.LrpNetworks.EaS}; next;");
            int mtu = GatewayMtuFlows.GatewayMtu(nat.Gw);
            if (mtu != 0)
            {
                GatewayMtuFlows.NatPacketTooBig(ctx, od, nat.Gw, mtu, nat.IsV6, nat.Nb.ExternalIp, nat.Nb.ExternalMac!);
            }
        }
    }

    /// <summary>lr_out_egr_loop: traffic to a NAT address of the router itself re-enters the ingress pipeline.</summary>
    private static void BuildEgressLoop(FlowContext ctx, Datapath od, CheckedNat nat)
    {
        string match = $"ip{(nat.IsV6 ? "6" : "4")}.dst == {nat.Nb.ExternalIp} && outport == {nat.Gw.JsonKey} && {Resident(nat)}";
        var actions = new StringBuilder("clone { ct_clear; inport = outport; outport = \"\"; eth.dst <-> eth.src; flags = 0; "
                                        + $"flags.loopback = 1; flags.use_snat_zone = {Reg.DstNatIpLocal}; ");
        for (int j = 0; j < 10; j++)
        {
            actions.Append("reg").Append(j).Append(" = 0; ");
        }

        actions.Append(Reg.EgressLoopback).Append(" = 1; next(pipeline=ingress, table=")
            .Append(Stages.LrInAdmission.Table).Append("); };");
        ctx.Add(od, Stages.LrOutEgrLoop, 100, match, actions.ToString());
    }
}
