using Ovnsim.Northd.Flows;
using Ovnsim.Northd.Southbound;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Northd.Topology;

/// <summary>
/// The Southbound rows other than logical flows: port tunnel keys and Port_Binding rows (northd.c
/// <c>build_ports</c>, <c>ovn_port_update_sbrec</c>), Multicast_Group rows (<c>build_mcast_groups</c>), the derived
/// Address_Set rows (<c>sync_address_sets</c>) and SB Load_Balancer rows (<c>sync_lbs</c>).
/// </summary>
internal static class SouthboundBuilder
{
    private const long McFloodKey = 32768;
    private const long McUnknownKey = 32769;
    private const long McFloodL2Key = 32772;

    /// <summary>
    /// Port tunnel keys: <c>requested-tnl-key</c> first, then the key an existing SB binding of the same port on
    /// the same datapath has, then new keys per datapath after the largest key already taken, in NB order.
    /// </summary>
    public static void AssignPortKeys(NorthdTopology topology, SouthboundDatabase? sb)
    {
        var existing = new Dictionary<string, PortBinding>(StringComparer.Ordinal);
        foreach (var binding in sb?.PortBindings ?? [])
        {
            existing.TryAdd(binding.LogicalPort, binding);
        }

        foreach (var od in topology.Datapaths)
        {
            var ports = PortsInNbOrder(topology, od);
            var used = new HashSet<long>();
            long hint = 0;
            bool Take(Port op, long key)
            {
                if (key <= 0 || key > 32767 || !used.Add(key))
                {
                    return false;
                }

                op.TunnelKey = key;
                hint = Math.Max(hint, key);
                return true;
            }

            foreach (var op in ports)
            {
                var options = op.Nbsp?.Options ?? (op.IsChassisRedirect ? null : op.Options);
                if (options?.GetValueOrDefault("requested-tnl-key") is { } requested && long.TryParse(requested, out long key)
                    && !Take(op, key))
                {
                    topology.Warnings.Add($"Logical {(op.Nbsp is not null ? "switch" : "router")} port {op.Key} requests same tunnel key {key} as another LSP or LRP");
                }
            }

            var both = ports.Where(op => op.TunnelKey == 0 && existing.TryGetValue(op.Key, out var b)
                                         && b.Datapath?.Uuid == od.Sb.Uuid).ToList();
            foreach (var op in both)
            {
                Take(op, existing[op.Key].TunnelKey);
            }

            foreach (var op in both.Concat(ports.Except(both)).Where(op => op.TunnelKey == 0))
            {
                long next = hint;
                for (int tries = 0; tries < 32767 && op.TunnelKey == 0; tries++)
                {
                    next = next >= 32767 ? 1 : next + 1;
                    Take(op, next);
                }

                if (op.TunnelKey == 0)
                {
                    topology.Warnings.Add($"all port tunnel ids exhausted; port {op.Key} is dropped");
                }
            }
        }
    }

    /// <summary>A datapath's ports as join_logical_ports meets them: NB order, each chassis-redirect port after its LRP.</summary>
    private static List<Port> PortsInNbOrder(NorthdTopology topology, Datapath od)
    {
        var list = new List<Port>();
        foreach (var op in od.Ports)
        {
            list.Add(op);
            if (op.CrPort is not null)
            {
                list.Add(op.CrPort);
            }
        }

        return list;
    }

    public static List<SbPortBinding> PortBindings(NorthdTopology topology, SouthboundDatabase? sb)
    {
        var chassisNames = new HashSet<string>((sb?.Chassis ?? []).Select(c => c.Name), StringComparer.Ordinal);
        var result = new List<SbPortBinding>();
        foreach (var od in topology.Datapaths)
        {
            foreach (var op in PortsInNbOrder(topology, od).Where(p => p.TunnelKey != 0))
            {
                result.Add(op.Nbrp is not null ? RouterPortBinding(op) : SwitchPortBinding(topology, op));
            }
        }

        return result;
    }

    private static SbPortBinding RouterPortBinding(Port op)
    {
        var nbrp = op.Nbrp!;
        string? chassis = op.Od.Options.GetValueOrDefault("chassis");
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string type;
        var ha = new List<(string, long)>();
        string? haGroup = null;
        if (op.IsChassisRedirect)
        {
            type = "chassisredirect";
            options["distributed-port"] = nbrp.Name;
            bool alwaysRedirect = !op.Od.NatEntries.Any(n => n.Nb.Type == "dnat_and_snat" && n.Nb.LogicalPort is not null
                                                              && n.Nb.ExternalMac is not null);
            if (nbrp.Options.GetValueOrDefault("redirect-type") is { } redirectType)
            {
                options["redirect-type"] = redirectType;
                if (redirectType == "bridged")
                {
                    alwaysRedirect = false;
                }
            }

            if (alwaysRedirect)
            {
                options["always-redirect"] = "true";
            }

            if (nbrp.GatewayChassis.Count > 0)
            {
                haGroup = nbrp.Name;
                ha.AddRange(nbrp.GatewayChassis.Select(g => (g.ChassisName, g.Priority)));
            }
        }
        else
        {
            type = chassis is not null ? "l3gateway" : "patch";
            if (op.Peer is not null)
            {
                options["peer"] = op.Peer.Key;
                if (op.CrPort is not null)
                {
                    options["chassis-redirect-port"] = op.CrPort.Key;
                }
            }

            if (chassis is not null)
            {
                options["l3gateway-chassis"] = chassis;
            }
        }

        return new SbPortBinding
        {
            LogicalPort = op.Key,
            Datapath = op.Od.Sb,
            TunnelKey = op.TunnelKey,
            Type = type,
            Options = options,
            Mac = [string.Join(' ', new[] { nbrp.Mac }.Concat(nbrp.Networks))],
            ExternalIds = nbrp.ExternalIds,
            HaChassis = ha,
            HaChassisGroup = haGroup,
        };
    }

    private static SbPortBinding SwitchPortBinding(NorthdTopology topology, Port op)
    {
        var nbsp = op.Nbsp!;
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string type = TopologyBuilder.KnownLspTypes.Contains(nbsp.Type) ? nbsp.Type : ""; // northd leaves an unknown type unset
        var natAddresses = new List<string>();
        if (!op.IsRouterLsp)
        {
            foreach (var (k, v) in nbsp.Options)
            {
                options[k] = v;
            }

            if (FlowContext.GetBool(op.Od.Options, "vlan-passthru", false))
            {
                options["vlan-passthru"] = "true";
            }
        }
        else
        {
            string? chassis = op.Peer?.Od.Nbr?.Options.GetValueOrDefault("chassis");
            type = chassis is not null ? "l3gateway" : "patch";
            if (nbsp.Options.GetValueOrDefault("router-port") is { } routerPort)
            {
                options["peer"] = routerPort;
            }

            if (chassis is not null)
            {
                options["l3gateway-chassis"] = chassis;
            }

            natAddresses.AddRange(NatAddresses(op, chassis));
        }

        var ids = nbsp.ExternalIds.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        if (ids.GetValueOrDefault("neutron:port_name") is { Length: > 0 } name)
        {
            ids["name"] = name;
        }

        return new SbPortBinding
        {
            LogicalPort = op.Key,
            Datapath = op.Od.Sb,
            TunnelKey = op.TunnelKey,
            Type = type,
            Options = options,
            Mac = nbsp.Addresses,
            PortSecurity = nbsp.PortSecurity,
            NatAddresses = [.. natAddresses.Order(StringComparer.Ordinal)],
            ParentPort = nbsp.ParentName,
            Tag = nbsp.Tag,
            ExternalIds = ids,
        };
    }

    /// <summary>
    /// The nat_addresses of a router-type switch port (what ovn-controller sends gratuitous ARPs for): the router's
    /// NAT and VIP addresses when <c>nat-addresses=router</c>, or an explicit list, plus the router port's own
    /// addresses on a gateway port.
    /// </summary>
    private static IEnumerable<string> NatAddresses(Port op, string? chassis)
    {
        var peer = op.Peer;
        string? setting = op.Options.GetValueOrDefault("nat-addresses");
        bool dgw = peer is not null && peer.Od.L3dgwPorts.Count > 0;
        if (setting == "router")
        {
            if (peer is not null && (chassis is not null || dgw))
            {
                bool includeLb = !FlowContext.GetBool(op.Options, "exclude-lb-vips-from-garp", false);
                foreach (string entry in GatewayNatAddresses(peer, includeLb))
                {
                    yield return entry;
                }
            }
        }
        else if (setting is not null && (chassis is not null || dgw) && LportAddresses.ParseLsp(setting) is not null)
        {
            var gw = peer!.IsL3dgw ? peer : peer.Od.L3dgwPorts.FirstOrDefault();
            yield return gw is not null ? $"{setting} is_chassis_resident({gw.CrPort!.JsonKey})" : setting;
        }

        if (peer?.Nbrp is not null && peer.Od.L3dgwPorts.Count > 0
            && (peer.IsL3dgw || (FlowContext.GetBool(peer.Options, "reside-on-redirect-chassis", false) && peer.Od.L3dgwPorts.Count == 1)))
        {
            var gw = peer.IsL3dgw ? peer : peer.Od.L3dgwPorts[0];
            yield return string.Join(' ', new[] { peer.LrpNetworks.EaS }.Concat(peer.LrpNetworks.Ipv4.Select(a => a.AddrS)))
                         + $" is_chassis_resident({gw.CrPort!.JsonKey})";
        }
    }

    /// <summary><c>get_nat_addresses(op, false, include_lb_ips)</c>.</summary>
    private static IEnumerable<string> GatewayNatAddresses(Port op, bool includeLbIps)
    {
        var od = op.Od;
        if ((od.Nbr!.Nat.Count == 0 && !od.HasLbVip) || !LportAddresses.TryParseMac(op.Nbrp!.Mac, out ulong mac))
        {
            yield break;
        }

        var central = new List<string>();
        foreach (var nat in od.Nbr.Nat)
        {
            if (!Ipv4NetAddr.TryParse(nat.ExternalIp, out _) || !RouterIpInputFlows.IsNatGatewayPort(new NatEntry(nat), op))
            {
                continue;
            }

            if (od.L3dgwPorts.Count > 0 && nat.Type == "dnat_and_snat" && nat.LogicalPort is not null && nat.ExternalMac is { } ext)
            {
                if (LportAddresses.TryParseMac(ext, out ulong extMac))
                {
                    yield return $"{LportAddresses.FormatMac(extMac)} {nat.ExternalIp} is_chassis_resident(\"{nat.LogicalPort}\")";
                }
            }
            else if (!op.LrpNetworks.Ipv4.Any(a => a.AddrS == nat.ExternalIp) && !op.LrpNetworks.Ipv6.Any(a => a.AddrS == nat.ExternalIp))
            {
                central.Add(nat.ExternalIp);
            }
        }

        if (includeLbIps)
        {
            central.AddRange(TopologyBuilder.LbIpOrder(od, v6: false, routable: false));
            central.AddRange(TopologyBuilder.LbIpOrder(od, v6: true, routable: false));
        }

        if (central.Count > 0)
        {
            yield return LportAddresses.FormatMac(mac) + " " + string.Join(' ', central)
                         + (op.IsL3dgw ? $" is_chassis_resident({op.CrPort!.JsonKey})" : "");
        }
    }

    /// <summary>
    /// Multicast groups: every enabled switch port floods (<c>_MC_flood</c>), non-router ones also at L2
    /// (<c>_MC_flood_l2</c>), ports with "unknown" receive unknown destinations (<c>_MC_unknown</c>).
    /// </summary>
    public static List<SbMulticastGroup> MulticastGroups(NorthdTopology topology)
    {
        var groups = new List<SbMulticastGroup>();
        foreach (var od in topology.Datapaths.Where(d => d.IsSwitch))
        {
            var enabled = od.Ports.Where(p => p.LspEnabled && p.TunnelKey != 0).ToList();
            void Add(string name, long key, IEnumerable<Port> members)
            {
                var names = members.Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
                if (names.Count > 0)
                {
                    groups.Add(new SbMulticastGroup(od.Sb, name, key, names));
                }
            }

            Add(Reg.McFlood, McFloodKey, enabled);
            Add(Reg.McFloodL2, McFloodL2Key, enabled.Where(p => !p.IsRouterLsp));
            Add(Reg.McUnknown, McUnknownKey, enabled.Where(p => p.HasUnknown && !p.IsExternal));
        }

        return groups;
    }

    /// <summary>A locally administered unicast MAC derived from <paramref name="seed"/>.</summary>
    private static string DerivedMac(Guid seed)
    {
        byte[] b = System.Security.Cryptography.SHA1.HashData(seed.ToByteArray());
        b[0] = (byte)((b[0] & 0xfe) | 0x02);
        return string.Join(":", b.Take(6).Select(x => x.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The address sets northd derives: <c>svc_monitor_mac</c> (NB_Global options:svc_monitor_mac, which northd
    /// otherwise makes up at random) and each router's VIPs as <c>_rtr_lb_KEY_ip4</c> / <c>_ip6</c>.
    /// </summary>
    public static List<SbAddressSet> AddressSets(NorthdTopology topology, SouthboundDatabase? sb)
    {
        var sets = new List<SbAddressSet>();
        string? monitorMac = topology.Nb.Global?.Options.GetValueOrDefault("svc_monitor_mac");
        if (monitorMac is null && sb?.AddressSets.FirstOrDefault(a => a.Name == "svc_monitor_mac") is { Addresses: [var mac, ..] })
        {
            monitorMac = mac;
        }
        // northd makes one up at random (eth_addr_random, marked locally administered unicast) and saves it in NB;
        // ovnsim derives one from the NB_Global row instead, so the same NB gives the same SB.
        monitorMac ??= DerivedMac(topology.Nb.Global?.Uuid ?? Guid.Empty);
        sets.Add(new SbAddressSet("svc_monitor_mac", [monitorMac]));

        foreach (var od in topology.Datapaths.Where(d => !d.IsSwitch))
        {
            if (od.LbIps.V4Reachable.Count > 0)
            {
                sets.Add(new SbAddressSet($"_rtr_lb_{od.TunnelKey}_ip4", [.. od.LbIps.V4Reachable.Order(StringComparer.Ordinal)]));
            }

            if (od.LbIps.V6Reachable.Count > 0)
            {
                sets.Add(new SbAddressSet($"_rtr_lb_{od.TunnelKey}_ip6", [.. od.LbIps.V6Reachable.Order(StringComparer.Ordinal)]));
            }
        }

        return sets;
    }

    /// <summary>SB Load_Balancer rows: one per balancer that applies to a switch.</summary>
    public static List<SbLoadBalancerRow> LoadBalancers(NorthdTopology topology) =>
        [.. topology.LoadBalancers.Where(lb => lb.Switches.Count > 0).Select(lb =>
        {
            var options = lb.Nb.Options.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            options["hairpin_orig_tuple"] = "true";
            return new SbLoadBalancerRow(lb.Nb.Name, lb.Nb.Uuid, lb.Nb.Protocol ?? "tcp", lb.Nb.Vips, options,
                [.. lb.Switches.Select(d => d.Sb)]);
        })];
}
