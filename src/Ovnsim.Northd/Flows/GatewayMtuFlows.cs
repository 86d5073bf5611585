using System.Globalization;
using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// A router port's <c>options:gateway_mtu</c> (Neutron's <c>ovn_emit_need_to_frag</c>): the packet length checked
/// with <c>check_pkt_larger</c> on the way in (lr_in_admission) and on the way out (lr_in_chk_pkt_len), and a packet
/// too big answered with ICMP "fragmentation needed" / "packet too big" carrying the MTU (lr_in_larger_pkts,
/// lr_in_ip_input). northd.c 23.03: <c>build_gateway_mtu_flow</c>, <c>build_check_pkt_len_flows_for_lrp</c>,
/// <c>build_icmperr_pkt_big_flows</c>, <c>build_lrouter_ingress_nat_check_pkt_len</c>.
/// </summary>
internal static class GatewayMtuFlows
{
    /// <summary><c>smap_get_int(options, "gateway_mtu", 0)</c>: 0 when missing or not a whole decimal number (strtol: leading blanks and a sign allowed).</summary>
    public static int GatewayMtu(Port op) =>
        op.Options.TryGetValue("gateway_mtu", out string? v)
        && int.TryParse(v, NumberStyles.AllowLeadingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int mtu) ? mtu : 0;

    /// <summary>
    /// <c>build_gateway_mtu_flow</c>: the flow at priority 50, its actions led by the length check when the port has
    /// a gateway MTU; and with <c>options:gateway_mtu_bypass</c>, the same match narrowed by it at 55 without the check.
    /// </summary>
    public static void Add(FlowContext ctx, Port op, Stage stage, string match, string actions)
    {
        int mtu = GatewayMtu(op);
        string check = mtu > 0
            ? $"{Reg.PktLarger} = check_pkt_larger({(mtu + L2HeaderSize(op)).ToString(CultureInfo.InvariantCulture)}); "
            : "";
        ctx.Add(op.Od, stage, 50, match, check + actions);
        if (mtu > 0 && op.Options.TryGetValue("gateway_mtu_bypass", out string? bypass))
        {
            ctx.Add(op.Od, stage, 55, $"{match} && ({bypass})", actions);
        }
    }

    /// <summary><c>build_gateway_get_l2_hdr_size</c>: 18 when a localnet port of the peer switch requests a VLAN tag, else 14.</summary>
    private static int L2HeaderSize(Port op) =>
        op.Peer is { Od.IsSwitch: true } peer && peer.Od.LocalnetPorts.Any(l => l.Nbsp?.TagRequest is not null) ? 18 : 14;

    /// <summary>Per router port of the NB (not a chassis-redirect port): <c>build_check_pkt_len_flows_for_lrp</c>.</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        int mtu = GatewayMtu(op);
        if (op.Nbrp is null || op.IsChassisRedirect || mtu <= 0)
        {
            return;
        }

        Add(ctx, op, Stages.LrInChkPktLen, $"outport == {op.JsonKey}", "next;");

        // Too big coming in through the port, and too big going out of it from each other port.
        PacketTooBig(ctx, op, mtu, Stages.LrInIpInput, outport: null);
        foreach (var rp in op.Od.Ports.Where(p => p.Nbrp is not null && p != op && !p.IsChassisRedirect))
        {
            PacketTooBig(ctx, rp, mtu, Stages.LrInLargerPkts, outport: op);
        }
    }

    /// <summary>An address family's ICMP error for a packet too big: its match word, action, type and code, and MTU field.</summary>
    private sealed record Family(string Ip, string Action, string TypeAndCode, string FragMtu);

    private static readonly Family V4 = new("ip4", "icmp4_error",
        "icmp4.type = 3; /* Destination Unreachable. */ icmp4.code = 4; /* Frag Needed and DF was Set. */ ", "icmp4.frag_mtu");

    private static readonly Family V6 = new("ip6", "icmp6_error", "icmp6.type = 2; /* Packet Too Big. */ icmp6.code = 0; ", "icmp6.frag_mtu");

    /// <summary>The ICMP error's actions: loopback set, the length bit cleared, addressed back from <paramref name="source"/>, then <paramref name="then"/>.</summary>
    private static string TooBig(Family f, string eth, string source, int ttl, int mtu, string then) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{f.Action} {{{Reg.EgressLoopback} = 1; {Reg.PktLarger} = 0; {eth}{f.Ip}.dst = {f.Ip}.src; {f.Ip}.src = {source}; "
            + $"ip.ttl = {ttl}; {f.TypeAndCode}{f.FragMtu} = {mtu}; {then} }};");

    /// <summary><c>build_icmperr_pkt_big_flows</c>: the ICMP error, from <paramref name="op"/>'s first address, back into the ingress pipeline.</summary>
    private static void PacketTooBig(FlowContext ctx, Port op, int mtu, Stage stage, Port? outport)
    {
        string outportMatch = outport is null ? "" : $"outport == {outport.JsonKey} && ";
        string then = string.Create(CultureInfo.InvariantCulture, $"next(pipeline=ingress, table={Stages.LrInAdmission.Table});");
        foreach (var (f, first) in new[] { (V4, op.LrpNetworks.Ipv4.FirstOrDefault()?.AddrS), (V6, op.LrpNetworks.Ipv6.FirstOrDefault()?.AddrS) })
        {
            if (first is not null)
            {
                ctx.Add(op.Od, stage, 150, $"inport == {op.JsonKey} && {outportMatch}{f.Ip} && {Reg.PktLarger} && {Reg.EgressLoopback} == 0",
                    TooBig(f, $"eth.dst = {op.LrpNetworks.EaS}; ", first, 255, mtu, then));
            }
        }
    }

    /// <summary><c>build_lrouter_ingress_nat_check_pkt_len</c>: too big for a distributed NAT address, answered from it.</summary>
    public static void NatPacketTooBig(FlowContext ctx, Datapath od, Port gw, int mtu, bool v6, string externalIp, string externalMac)
    {
        var f = v6 ? V6 : V4;
        ctx.Add(od, Stages.LrInIpInput, 160,
            $"inport == {gw.JsonKey} && {Reg.PktLarger} && {Reg.EgressLoopback} == 0 && {f.Ip} && {f.Ip}.dst == {externalIp}",
            TooBig(f, $"eth.dst = eth.src; eth.src = {externalMac}; ", externalIp, 254, mtu, $"outport = {gw.JsonKey}; flags.loopback = 1; output;"));
    }
}
