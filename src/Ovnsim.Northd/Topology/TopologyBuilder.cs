using Ovnsim.Northd.Flows;
using Ovnsim.Northd.Southbound;
using Ovnsim.Ovsdb.Ordering;
using Ovnsim.Ovsdb.Northbound;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Northd.Topology;

/// <summary>
/// Builds northd's view of the NB database (northd.c <c>build_datapaths</c>, <c>build_lbs</c>, <c>build_ports</c>,
/// <c>join_logical_ports</c>, <c>init_nat_entries</c>): datapaths with tunnel keys, ports with their parsed addresses
/// and peers, chassis-redirect ports, NAT entries and load balancers.
/// </summary>
internal sealed class TopologyBuilder
{
    private readonly NorthdTopology _topology;
    private readonly SouthboundDatabase? _sb;

    private TopologyBuilder(NorthboundDatabase nb, SouthboundDatabase? sb)
    {
        _topology = new NorthdTopology(nb);
        _sb = sb;
    }

    public static NorthdTopology Build(NorthboundDatabase nb, SouthboundDatabase? sb)
    {
        var builder = new TopologyBuilder(nb, sb);
        builder.BuildDatapaths();
        builder.BuildLoadBalancers();
        builder.BuildPorts();
        SouthboundBuilder.AssignPortKeys(builder._topology, sb);
        builder.BuildNatEntries();
        builder.BuildLbReachability();
        builder.BuildRoutableAddresses();
        builder.ReportUnsimulated();
        return builder._topology;
    }

    private NorthboundDatabase Nb => _topology.Nb;

    private List<string> Warnings => _topology.Warnings;

    /// <summary>
    /// One datapath per NB switch and router. Tunnel keys: those an existing SB datapath for the same NB row has
    /// are kept; the rest are allocated from 1 in the order northd meets them (its IDL's table order, switches
    /// first), skipping keys in use and honouring <c>requested-tnl-key</c>.
    /// </summary>
    private void BuildDatapaths()
    {
        var sbByNb = new Dictionary<Guid, DatapathBinding>();
        if (_sb is not null)
        {
            foreach (var binding in _sb.DatapathBindings)
            {
                string? key = binding.ExternalIds.GetValueOrDefault("logical-switch")
                              ?? binding.ExternalIds.GetValueOrDefault("logical-router");
                if (key is not null && Guid.TryParse(key, out var nbUuid))
                {
                    sbByNb.TryAdd(nbUuid, binding);
                }
            }
        }

        var ordered = new List<Datapath>();
        foreach (var row in NbctlShow.IdlOrder(Nb.Database.Tables["Logical_Switch"]))
        {
            ordered.Add(new Datapath(new LogicalSwitch(row), null));
        }

        foreach (var row in NbctlShow.IdlOrder(Nb.Database.Tables["Logical_Router"]))
        {
            ordered.Add(new Datapath(null, new LogicalRouter(row)));
        }

        var used = new HashSet<long>();
        var both = new List<Datapath>();
        var nbOnly = new List<Datapath>();
        foreach (var od in ordered)
        {
            (sbByNb.ContainsKey(od.NbUuid) ? both : nbOnly).Add(od);
        }

        foreach (var od in both.Concat(nbOnly))
        {
            var options = od.IsSwitch ? od.Options : od.Options;
            if (options.TryGetValue("requested-tnl-key", out string? requested)
                && long.TryParse(requested, out long key) && key is > 0 and <= MaxDatapathKey && used.Add(key))
            {
                od.TunnelKey = key;
            }
        }

        foreach (var od in both)
        {
            long key = sbByNb[od.NbUuid].TunnelKey;
            if (od.TunnelKey == 0 && key > 0 && used.Add(key))
            {
                od.TunnelKey = key;
            }
        }

        long hint = 0;
        foreach (var od in both.Concat(nbOnly).Where(od => od.TunnelKey == 0))
        {
            od.TunnelKey = AllocateKey(used, 1, MaxDatapathKey, ref hint)
                           ?? throw new NorthdException($"all datapath tunnel keys are in use ({od.Name})");
        }

        foreach (var od in ordered)
        {
            var ids = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [od.IsSwitch ? "logical-switch" : "logical-router"] = od.NbUuid.ToString("D"),
                ["name"] = od.Name,
            };
            string? name2 = od.IsSwitch ? od.Nbs!.ExternalIds.GetValueOrDefault("neutron:network_name")
                                        : od.Nbr!.ExternalIds.GetValueOrDefault("neutron:router_name");
            if (!string.IsNullOrEmpty(name2))
            {
                ids["name2"] = name2;
            }

            if (od.IsSwitch && od.Options.TryGetValue("interconn-ts", out string? ts))
            {
                ids["interconn-ts"] = ts;
            }

            if (!od.IsSwitch)
            {
                if (int.TryParse(od.Options.GetValueOrDefault("snat-ct-zone"), out int zone) && zone >= 0)
                {
                    ids["snat-ct-zone"] = zone.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                string? learn = od.Options.GetValueOrDefault("always_learn_from_arp_request");
                if (learn is not null)
                {
                    ids["always_learn_from_arp_request"] = learn;
                }
            }

            Guid sbUuid = sbByNb.TryGetValue(od.NbUuid, out var existing) ? existing.Uuid : DerivedUuid("Datapath_Binding", od.NbUuid);
            od.Sb = new SbDatapath(sbUuid, od.TunnelKey, ids);
            _topology.Datapaths.Add(od);
        }
    }

    /// <summary>The load balancers and which switches and routers they apply to (<c>build_lbs</c>).</summary>
    private void BuildLoadBalancers()
    {
        var byUuid = new Dictionary<Guid, NorthdLoadBalancer>();
        foreach (var lb in Nb.LoadBalancers)
        {
            var nlb = new NorthdLoadBalancer(lb, Warnings);
            byUuid.Add(lb.Uuid, nlb);
            _topology.LoadBalancers.Add(nlb);
        }

        foreach (var od in _topology.Datapaths)
        {
            var attached = od.IsSwitch ? od.Nbs!.LoadBalancers : od.Nbr!.LoadBalancers;
            foreach (var lb in attached)
            {
                var nlb = byUuid[lb.Uuid];
                if (od.IsSwitch)
                {
                    nlb.Switches.Add(od);
                }
                else
                {
                    nlb.Routers.Add(od);
                    od.AttachedLoadBalancers.Add(nlb);
                    od.LbIps.V4.UnionWith(nlb.IpsV4);
                    od.LbIps.V6.UnionWith(nlb.IpsV6);
                    if (nlb.Routable)
                    {
                        od.LbIps.V4Routable.UnionWith(nlb.IpsV4);
                        od.LbIps.V6Routable.UnionWith(nlb.IpsV6);
                    }
                }

                od.HasLbVip |= lb.Vips.Count > 0;
            }

            if ((od.Nbs?.Row["load_balancer_group"].Count ?? od.Nbr!.Row["load_balancer_group"].Count) > 0)
            {
                Warnings.Add($"{od.Name}: load balancer groups are not simulated yet; ignored");
            }
        }
    }

    /// <summary>Ports, peers and chassis-redirect ports (<c>join_logical_ports</c>).</summary>
    private void BuildPorts()
    {
        var byName = _topology.Ports;
        foreach (var od in _topology.Datapaths)
        {
            if (od.IsSwitch)
            {
                foreach (var nbsp in od.Nbs!.Ports)
                {
                    if (byName.ContainsKey(nbsp.Name))
                    {
                        Warnings.Add($"duplicate logical port {nbsp.Name}");
                        continue;
                    }

                    var op = new Port(nbsp.Name, od) { Nbsp = nbsp };
                    if (!KnownLspTypes.Contains(nbsp.Type))
                    {
                        Warnings.Add($"Unknown port type '{nbsp.Type}' set on logical switch port '{nbsp.Name}'.");
                    }

                    byName.Add(op.Key, op);
                    od.Ports.Add(op);
                    if (op.IsLocalnet)
                    {
                        od.LocalnetPorts.Add(op);
                    }

                    foreach (string address in nbsp.Addresses)
                    {
                        if (address == "unknown")
                        {
                            op.HasUnknown = true;
                        }
                        else if (address is not "router" && !IsDynamic(address))
                        {
                            if (LportAddresses.ParseLsp(address) is { } parsed)
                            {
                                op.LspAddrs.Add(parsed);
                            }
                            else
                            {
                                Warnings.Add($"{nbsp.Name}: invalid syntax '{address}' in logical switch port addresses. No MAC address found");
                            }
                        }
                    }

                    foreach (string entry in nbsp.PortSecurity)
                    {
                        if (LportAddresses.ParseLsp(entry) is { } parsed)
                        {
                            op.PsAddrs.Add(parsed);
                        }
                    }
                }
            }
            else
            {
                foreach (var nbrp in od.Nbr!.Ports)
                {
                    var networks = LportAddresses.ParseLrp(nbrp.Mac, nbrp.Networks);
                    if (networks is null)
                    {
                        Warnings.Add($"{nbrp.Name}: bad 'mac' {nbrp.Mac}");
                        continue;
                    }

                    // The link-local address is always added, so "no networks" means only that one.
                    if (networks.Ipv4.Count == 0 && networks.Ipv6.Count == 1)
                    {
                        continue;
                    }

                    if (byName.ContainsKey(nbrp.Name))
                    {
                        Warnings.Add($"duplicate logical router port {nbrp.Name}");
                        continue;
                    }

                    var op = new Port(nbrp.Name, od) { Nbrp = nbrp, LrpNetworks = networks };
                    byName.Add(op.Key, op);
                    od.Ports.Add(op);
                    if (nbrp.GatewayChassis.Count > 0 || nbrp.Row["ha_chassis_group"].Count > 0)
                    {
                        if (od.Options.ContainsKey("chassis"))
                        {
                            Warnings.Add($"Bad configuration: distributed gateway port configured on port {nbrp.Name} on L3 gateway router");
                            continue;
                        }

                        var cr = new Port("cr-" + nbrp.Name, od) { Nbrp = nbrp, L3dgwPort = op };
                        op.CrPort = cr;
                        byName.Add(cr.Key, cr);
                        od.L3dgwPorts.Add(op);
                    }
                }
            }
        }

        foreach (var op in byName.Values)
        {
            if (op.IsRouterLsp)
            {
                string? routerPort = op.Options.GetValueOrDefault("router-port");
                if (routerPort is null || !byName.TryGetValue(routerPort, out var peer) || peer.Nbrp is null
                    || peer.IsChassisRedirect)
                {
                    continue;
                }

                op.Od.RouterPorts.Add(op);
                if (!peer.Od.LsPeers.Contains(op.Od))
                {
                    peer.Od.LsPeers.Add(op.Od);
                }

                peer.Peer = op;
                op.Peer = peer;
                if (op.Nbsp!.Addresses.Contains("router"))
                {
                    op.LspAddrs.Add(peer.LrpNetworks);
                }
            }
            else if (op.Nbrp is not null && !op.IsChassisRedirect && op.Nbrp.Peer is { } peerName
                     && byName.TryGetValue(peerName, out var peer))
            {
                if (peer.Nbrp is not null)
                {
                    op.Peer = peer;
                }
                else
                {
                    Warnings.Add($"Bad configuration: The peer of router port {op.Key} is a switch port");
                }
            }
        }

        foreach (var od in _topology.Datapaths)
        {
            od.HasUnknown = od.Ports.Any(p => p.HasUnknown && p.LspEnabled && p.Nbsp!.Type != "external");
        }
    }

    /// <summary>NAT entries, SNAT IPs and external IPs of each router (<c>init_nat_entries</c>).</summary>
    private void BuildNatEntries()
    {
        foreach (var od in _topology.Datapaths.Where(d => !d.IsSwitch))
        {
            foreach (var nat in od.Nbr!.Nat)
            {
                var entry = new NatEntry(nat);
                od.NatEntries.Add(entry);
                var ext = LportAddresses.ParseIps(nat.ExternalIp);
                if (ext is null || ext.Ipv4.Count + ext.Ipv6.Count != 1)
                {
                    Warnings.Add($"Bad ip address {nat.ExternalIp} in nat configuration for router {od.Name}");
                    continue;
                }

                entry.ExtAddrs = ext;
                if (nat.Type == "snat")
                {
                    string ip = entry.IsV6 ? ext.Ipv6[0].AddrS : ext.Ipv4[0].AddrS;
                    if (!od.SnatIps.TryGetValue(ip, out var list))
                    {
                        list = [];
                        od.SnatIps.Add(ip, list);
                    }

                    list.Add(entry);
                }
            }

            foreach (string key in new[] { "dnat_force_snat_ip", "lb_force_snat_ip" })
            {
                if (od.Options.ContainsKey(key))
                {
                    Warnings.Add($"router {od.Name}: options:{key} (gateway routers) is not simulated yet; ignored");
                }
            }
        }
    }

    /// <summary>Which VIPs each router answers ARP/ND for (<c>build_lrouter_lb_reachable_ips</c>).</summary>
    private void BuildLbReachability()
    {
        foreach (var lb in _topology.LoadBalancers)
        {
            foreach (var od in lb.Routers)
            {
                if (lb.NeighborResponder == "none")
                {
                    continue;
                }

                foreach (var vip in lb.Vips)
                {
                    bool reachable = lb.NeighborResponder == "all" || od.Ports.Any(op => vip.IsV6
                        ? Ipv6NetAddr.TryParse(vip.VipStr, out var a6) && op.LrpNetworks.Ipv6.Any(n => n.Contains(a6))
                        : Ipv4NetAddr.TryParse(vip.VipStr, out uint a4) && op.LrpNetworks.Ipv4.Any(n => n.Contains(a4)));
                    if (reachable)
                    {
                        (vip.IsV6 ? od.LbIps.V6Reachable : od.LbIps.V4Reachable).Add(vip.VipStr);
                    }
                }
            }
        }

        if (Nb.Global?.Options.GetValueOrDefault("install_ls_lb_from_router") == "true")
        {
            foreach (var lb in _topology.LoadBalancers)
            {
                foreach (var od in lb.Routers)
                {
                    foreach (var ls in od.LsPeers.Where(ls => !lb.Switches.Contains(ls)))
                    {
                        lb.Switches.Add(ls);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>assign_routable_addresses</c> with <c>get_nat_addresses(op, routable_only, include_lb_ips)</c>: for each
    /// distributed gateway port, one entry per distributed NAT rule with add_route, and one "MAC IP…" entry for the
    /// centralized ones followed by the routable VIPs (in their hash-set order).
    /// </summary>
    private void BuildRoutableAddresses()
    {
        foreach (var od in _topology.Datapaths.Where(d => !d.IsSwitch))
        {
            foreach (var op in od.L3dgwPorts)
            {
                if ((od.Nbr!.Nat.Count == 0 && !od.HasLbVip) || !LportAddresses.TryParseMac(op.Nbrp!.Mac, out ulong mac))
                {
                    continue;
                }

                var central = new List<string>();
                foreach (var nat in od.Nbr.Nat)
                {
                    if (nat.Type == "snat" || !FlowContext.GetBool(nat.Options, "add_route", false)
                        || !Ipv4NetAddr.TryParse(nat.ExternalIp, out _)
                        || !RouterIpInputFlows.IsNatGatewayPort(new NatEntry(nat), op))
                    {
                        continue;
                    }

                    if (nat.Type == "dnat_and_snat" && nat.LogicalPort is not null && nat.ExternalMac is { } ext)
                    {
                        if (LportAddresses.TryParseMac(ext, out ulong extMac))
                        {
                            var distributed = new LportAddresses { Ea = extMac };
                            distributed.Ipv4.Add(new Ipv4NetAddr(Ipv4NetAddr.Parse(nat.ExternalIp), 32));
                            op.Routables.Add(distributed);
                        }
                    }
                    else if (!op.LrpNetworks.Ipv4.Any(a => a.AddrS == nat.ExternalIp)
                             && !op.LrpNetworks.Ipv6.Any(a => a.AddrS == nat.ExternalIp))
                    {
                        central.Add(nat.ExternalIp);
                    }
                }

                central.AddRange(LbIpOrder(od, v6: false, routable: true));
                central.AddRange(LbIpOrder(od, v6: true, routable: true));
                if (central.Count > 0 && LportAddresses.ParseLsp(
                        LportAddresses.FormatMac(mac) + " " + string.Join(' ', central)) is { } parsed)
                {
                    op.Routables.Add(parsed);
                }
            }
        }
    }

    /// <summary>
    /// The iteration order of a router's VIP set (an sset: lib/sset.c, a hash map keyed by <c>hash_string</c>),
    /// given the order northd inserts them: attached balancers in NB order, each balancer's VIPs in its own set's
    /// order, which follows its vips smap's order.
    /// </summary>
    internal static IReadOnlyList<string> LbIpOrder(Datapath od, bool v6, bool routable)
    {
        var inserted = new List<string>();
        foreach (var lb in od.AttachedLoadBalancers)
        {
            if (routable && !lb.Routable)
            {
                continue;
            }

            var vipKeys = OvsHmap.Order(lb.Nb.Vips.Keys.Order(StringComparer.Ordinal).ToList(),
                k => OvsHash.String(k));
            var own = new List<string>();
            foreach (string key in vipKeys)
            {
                var vip = lb.Vips.FirstOrDefault(v => v.Key == key);
                if (vip is not null && vip.IsV6 == v6 && !own.Contains(vip.VipStr))
                {
                    own.Add(vip.VipStr);
                }
            }

            foreach (string ip in OvsHmap.Order(own, s => OvsHash.String(s)))
            {
                if (!inserted.Contains(ip))
                {
                    inserted.Add(ip);
                }
            }
        }

        return OvsHmap.Order(inserted, s => OvsHash.String(s));
    }

    /// <summary>Rows northd reads that later issues simulate: reported once each, never a crash.</summary>
    private void ReportUnsimulated()
    {
        foreach (var (table, what) in new[]
                 {
                     ("ACL", "ACLs"), ("Port_Group", "port groups"), ("Address_Set", "address sets"),
                     ("DHCP_Options", "DHCP options"), ("DNS", "DNS records"), ("HA_Chassis_Group", "HA chassis groups"),
                     ("Logical_Router_Policy", "router policies"), ("QoS", "QoS rules"), ("Meter", "meters"),
                     ("Forwarding_Group", "forwarding groups"), ("Load_Balancer_Health_Check", "load balancer health checks"),
                     ("BFD", "BFD sessions"), ("Static_MAC_Binding", "static MAC bindings"),
                 })
        {
            if (Nb.Database.Tables.TryGetValue(table, out var t) && t.Count > 0)
            {
                Warnings.Add($"{t.Count} {table} row(s): {what} are not simulated yet; their flows are missing");
            }
        }

        foreach (var od in _topology.Datapaths.Where(d => d.IsSwitch))
        {
            if (od.Options.GetValueOrDefault("mcast_snoop") == "true")
            {
                Warnings.Add($"switch {od.Name}: multicast snooping is not simulated yet");
            }
        }

        foreach (var od in _topology.Datapaths.Where(d => !d.IsSwitch))
        {
            if (od.IsGatewayRouter)
            {
                Warnings.Add($"router {od.Name}: gateway routers (options:chassis) are not simulated yet; compiled as a distributed router");
            }
        }
    }

    /// <summary>lib/ovn-util.c <c>ovn_is_known_nb_lsp_type</c>.</summary>
    internal static readonly HashSet<string> KnownLspTypes = new(StringComparer.Ordinal)
    {
        "", "l2gateway", "localnet", "localport", "router", "vtep", "external", "virtual", "remote",
    };

    private static bool IsDynamic(string address) =>
        address == "dynamic" || address.StartsWith("dynamic ", StringComparison.Ordinal)
        || address.EndsWith(" dynamic", StringComparison.Ordinal);

    /// <summary>OVN_MAX_DP_KEY - OVN_MAX_DP_GLOBAL_NUM (geneve): the largest datapath key northd allocates.</summary>
    private const long MaxDatapathKey = (1L << 24) - 1 - (1L << 16);

    /// <summary>lib/ovn-util.c <c>ovn_allocate_tnlid</c>: the next free key after the hint, wrapping once.</summary>
    private static long? AllocateKey(HashSet<long> used, long min, long max, ref long hint)
    {
        for (long key = hint + 1; key <= max; key++)
        {
            if (used.Add(key))
            {
                hint = key;
                return key;
            }
        }

        for (long key = min; key <= hint; key++)
        {
            if (used.Add(key))
            {
                hint = key;
                return key;
            }
        }

        return null;
    }

    /// <summary>A stable UUID for an SB row northd would create, derived from what it binds.</summary>
    internal static Guid DerivedUuid(string table, Guid nbUuid)
    {
        Span<byte> input = stackalloc byte[64];
        int n = System.Text.Encoding.ASCII.GetBytes(table, input);
        nbUuid.TryWriteBytes(input[n..]);
        byte[] hash = System.Security.Cryptography.SHA1.HashData(input[..(n + 16)]);
        hash[6] = (byte)((hash[6] & 0x0f) | 0x40);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        return new Guid(hash.AsSpan(0, 16));
    }
}

/// <summary>Northd's whole view of one NB database.</summary>
internal sealed class NorthdTopology(NorthboundDatabase nb)
{
    public NorthboundDatabase Nb { get; } = nb;

    public List<Datapath> Datapaths { get; } = [];

    public Dictionary<string, Port> Ports { get; } = new(StringComparer.Ordinal);

    public List<NorthdLoadBalancer> LoadBalancers { get; } = [];

    public List<string> Warnings { get; } = [];
}

/// <summary>An NB database northd cannot compile at all.</summary>
public sealed class NorthdException(string message) : Exception(message);
