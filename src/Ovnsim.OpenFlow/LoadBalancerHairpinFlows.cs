using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.OpenFlow;

/// <summary>
/// ovn-controller's load-balancer hairpin flows (controller/lflow.c <c>consider_lb_hairpin_flows</c>) for each SB
/// Load_Balancer that applies to a local datapath: table 68 recognizes a backend reaching itself through the VIP
/// (and learns the reply's flow into table 69), table 70 SNATs such a packet to the VIP (or hairpin_snat_ip).
/// Balancers without <c>options:hairpin_orig_tuple=true</c> (older northds) are reported, not simulated.
/// </summary>
public static class LoadBalancerHairpinFlows
{
    private const int LookupLbHairpinBit = 7;

    /// <summary>Adds the flows to <paramref name="flows"/>; returns what was not simulated.</summary>
    public static IReadOnlyList<string> Build(SouthboundDatabase sb, ChassisView view, DesiredFlows flows)
    {
        var warnings = new List<string>();
        bool useCtMark = true; // DEFAULT_SB_GLOBAL_LB_HAIRPIN_USE_CT_MARK
        if (sb.Database.Tables.TryGetValue("SB_Global", out var globals) && globals.Rows is [var global, ..]
            && global.GetMap("options").GetValueOrDefault("lb_hairpin_use_ct_mark") is { } flag)
        {
            useCtMark = flag == "true";
        }

        foreach (var lb in sb.LoadBalancers)
        {
            var datapaths = lb.Row.GetRefs("datapaths").Select(r => r.Uuid).ToList();
            if (lb.Row.GetRef("datapath_group") is { } group)
            {
                datapaths.AddRange(group.GetRefs("datapaths").Select(r => r.Uuid));
            }

            if (!datapaths.Any(view.IsLocal))
            {
                continue;
            }

            var options = lb.Row.GetMap("options");
            if (options.GetValueOrDefault("hairpin_orig_tuple") != "true")
            {
                warnings.Add($"load balancer {lb.Name}: hairpin flows without hairpin_orig_tuple are not simulated");
                continue;
            }

            if (options.ContainsKey("hairpin_snat_ip"))
            {
                warnings.Add($"load balancer {lb.Name}: hairpin_snat_ip is not simulated");
                continue;
            }

            byte proto = lb.Protocol switch { "udp" => 17, "sctp" => 132, _ => 6 };
            uint cookie = UuidText.FirstPart(lb.Uuid);
            foreach (var (key, value) in lb.Vips)
            {
                if (ParseEndpoint(key) is not { } vip)
                {
                    continue;
                }

                foreach (string backendText in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (ParseEndpoint(backendText) is { } backend && backend.Address.AddressFamily == vip.Address.AddressFamily)
                    {
                        AddVipHairpinFlow(flows, vip, backend, proto, cookie, useCtMark);
                    }
                }

                AddSnatFlow(flows, vip, proto, cookie);
            }
        }

        return warnings;
    }

    private readonly record struct Endpoint(IPAddress Address, int Port)
    {
        public bool IsV6 => Address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    /// <summary>"10.0.0.1", "10.0.0.1:80", "fd00::1" or "[fd00::1]:80".</summary>
    private static Endpoint? ParseEndpoint(string text)
    {
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(text[1..close], out var a6))
            {
                return null;
            }

            int port = close + 2 <= text.Length && text.Length > close + 1 && text[close + 1] == ':'
                ? int.Parse(text[(close + 2)..], CultureInfo.InvariantCulture) : 0;
            return new Endpoint(a6, port);
        }

        if (IPAddress.TryParse(text, out var plain))
        {
            return new Endpoint(plain, 0);
        }

        int colon = text.LastIndexOf(':');
        return colon > 0 && IPAddress.TryParse(text[..colon], out var a4)
            && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int p)
            ? new Endpoint(a4, p) : null;
    }

    private static string ProtoName(byte proto, string suffix) => proto switch
    {
        17 => $"NXM_OF_UDP_{suffix}[]",
        132 => $"OXM_OF_SCTP_{suffix}[]",
        _ => $"NXM_OF_TCP_{suffix}[]",
    };

    /// <summary><c>add_lb_vip_hairpin_flows</c> with the original destination northd saved in reg1/xxreg1 and reg2.</summary>
    private static void AddVipHairpinFlow(DesiredFlows flows, Endpoint vip, Endpoint backend, byte proto, uint cookie, bool useCtMark)
    {
        var m = new OvsMatch();
        if (!vip.IsV6)
        {
            uint b = (uint)AddressText.Value(backend.Address);
            m.DlType = 0x0800;
            m.NwSrc = (b, uint.MaxValue);
            m.NwDst = (b, uint.MaxValue);
            m.Regs[1] = ((uint)AddressText.Value(vip.Address), uint.MaxValue);
        }
        else
        {
            UInt128 b = AddressText.Value(backend.Address), v = AddressText.Value(vip.Address);
            m.DlType = 0x86dd;
            m.Ipv6Src = (b, UInt128.MaxValue);
            m.Ipv6Dst = (b, UInt128.MaxValue);
            m.SetXxreg(1, v);
        }

        if (backend.Port != 0)
        {
            m.NwProto = proto;
            m.TpDst = ((ushort)backend.Port, 0xffff);
            m.Regs[2] = ((uint)vip.Port, 0xffff);
        }

        if (useCtMark)
        {
            m.CtMark = (2, 2);
        }
        else
        {
            m.CtLabel = (2, 2);
        }

        var specs = new List<string>
        {
            "OXM_OF_METADATA[]",
            vip.IsV6 ? "eth_type=0x86dd" : "eth_type=0x800",
            vip.IsV6 ? "NXM_NX_IPV6_SRC[]" : "NXM_OF_IP_SRC[]",
            vip.IsV6 ? $"ipv6_dst={vip.Address}" : $"ip_dst={vip.Address}",
        };
        if (backend.Port != 0)
        {
            specs.Add($"nw_proto={proto}");
            specs.Add($"{ProtoName(proto, "SRC")}={ProtoName(proto, "DST")}");
        }
        else
        {
            specs.Add("NXM_OF_IP_PROTO[]");
        }

        specs.Add($"load:0x1->NXM_NX_REG10[{LookupLbHairpinBit}]");
        var reg10 = OvsField.Get("reg10");
        flows.Add(OfTable.ChkLbHairpin, 100, cookie, m,
            [new SetFieldAction(reg10, 1u << LookupLbHairpinBit, 1u << LookupLbHairpinBit),
             new LearnAction(OfTable.ChkLbHairpinReply, true, cookie, specs)]);
    }

    /// <summary><c>add_lb_ct_snat_hairpin_vip_flow</c> without hairpin_snat_ip: one flow per VIP, any datapath.</summary>
    private static void AddSnatFlow(DesiredFlows flows, Endpoint vip, byte proto, uint cookie)
    {
        var m = new OvsMatch();
        if (!vip.IsV6)
        {
            m.DlType = 0x0800;
            m.Regs[1] = ((uint)AddressText.Value(vip.Address), uint.MaxValue);
        }
        else
        {
            m.DlType = 0x86dd;
            m.SetXxreg(1, AddressText.Value(vip.Address));
        }

        if (vip.Port != 0)
        {
            m.NwProto = proto;
            m.Regs[2] = ((uint)vip.Port, 0xffff);
        }

        var nat = new NatSpec("src", vip.Address.ToString(), vip.IsV6, 0, 0);
        flows.Add(OfTable.CtSnatHairpin, vip.Port != 0 ? 100 : 90, cookie, m,
            [new CtAction(true, null, new OvsSubfield(OvsField.Get("reg12"), 0, 16), nat, [])]);
    }
}
