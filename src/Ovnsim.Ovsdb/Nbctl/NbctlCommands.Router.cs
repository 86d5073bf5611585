using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Nbctl;

internal static partial class NbctlCommands
{
    private static void LrAdd(NbctlTransaction tx, NbctlCommand cmd) => AddNamed(tx, cmd, "Logical_Router", "router");

    private static void LrpAdd(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lr = tx.Router(cmd.Arg(0))!;
        string name = cmd.Arg(1);
        string mac = cmd.Arg(2);
        var rest = cmd.Args.Skip(3).Select(w => w.Text).ToList();
        int nNetworks = rest.FindIndex(a => a.Contains('=', StringComparison.Ordinal));
        if (nNetworks < 0)
        {
            nNetworks = rest.Count;
        }

        var networks = rest.Take(nNetworks).ToList();
        var settings = rest.Skip(nNetworks).ToList();
        if (networks.Count == 0)
        {
            throw new FormatException($"{name}: router port requires specifying a network");
        }

        if (!AddressText.IsMac(mac))
        {
            throw new FormatException($"{name}: invalid mac address {mac}");
        }

        if (tx.RouterPort(name, mustExist: false) is { } existing)
        {
            if (!cmd.Has("--may-exist"))
            {
                throw new FormatException($"{name}: a port with this name already exists");
            }

            var owner = tx.RouterOf(existing);
            if (owner != lr)
            {
                string ownerName = owner.GetString("name") is { Length: > 0 } n ? n : UuidText.Format(owner.Uuid);
                throw new FormatException($"{name}: port already exists but in router {ownerName}");
            }

            if (!string.Equals(existing.GetString("mac"), mac, StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException($"{name}: port already exists with mac {existing.GetString("mac")}");
            }

            var wanted = NetworkSet(networks) ?? throw new FormatException($"{name}: Invalid networks configured");
            var had = NetworkSet(existing.GetStrings("networks"))
                ?? throw new FormatException($"{name}: Existing port has invalid networks configured");
            if (!wanted.SetEquals(had))
            {
                throw new FormatException($"{name}: port already exists with different network");
            }

            string? peer = settings.FirstOrDefault(s => s.StartsWith("peer=", StringComparison.Ordinal))?[5..];
            if (peer != existing.GetOptionalString("peer"))
            {
                throw new FormatException($"{name}: port already exists with mismatching peer");
            }

            return;
        }

        foreach (string network in networks)
        {
            if (!IsCidr(network))
            {
                throw new FormatException($"{name}: invalid network address: {network}");
            }
        }

        var lrp = tx.Insert("Logical_Router_Port");
        NbctlTransaction.SetString(lrp, "name", name);
        NbctlTransaction.SetString(lrp, "mac", mac);
        NbctlTransaction.SetStrings(lrp, "networks", networks);
        foreach (string setting in settings)
        {
            SetColumn(tx, lrp, setting);
        }

        NbctlTransaction.AddReference(lr, "ports", lrp);
    }

    // ip_parse_cidr / ipv6_parse_cidr: an address with an optional prefix length or mask.
    private static bool IsCidr(string network) =>
        AddressText.NormalizePrefix(network, false) is not null || AddressText.NormalizePrefix(network, true) is not null;

    private static HashSet<string>? NetworkSet(IEnumerable<string> networks)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string n in networks)
        {
            string? normalized = AddressText.NormalizeAnyPrefix(n);
            if (normalized is null)
            {
                return null;
            }

            set.Add(normalized);
        }

        return set;
    }

    private static void LrpSetGatewayChassis(NbctlTransaction tx, NbctlCommand cmd)
    {
        string lrpName = cmd.Arg(0);
        var lrp = tx.RouterPort(lrpName)!;
        string chassis = cmd.Arg(1);
        long priority = 0;
        if (cmd.Args.Count == 3 && (!long.TryParse(cmd.Arg(2), out priority) || priority is < 0 or > 32767))
        {
            throw new FormatException($"{cmd.Arg(2)}: priority must in range 0...32767");
        }

        string gcName = $"{lrpName}-{chassis}";
        var gc = tx.ByNameOrUuid("Gateway_Chassis", gcName, "gateway chassis", mustExist: false);
        if (gc is null)
        {
            gc = tx.Insert("Gateway_Chassis");
            NbctlTransaction.SetString(gc, "name", gcName);
            NbctlTransaction.SetString(gc, "chassis_name", chassis);
        }

        NbctlTransaction.SetInteger(gc, "priority", priority);
        NbctlTransaction.AddReference(lrp, "gateway_chassis", gc);
    }

    private static void LrRouteAdd(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lr = tx.Router(cmd.Arg(0))!;
        string? policy = cmd.Option("--policy");
        bool isSrcRoute = false;
        if (policy is not null)
        {
            isSrcRoute = policy switch
            {
                "src-ip" => true,
                "dst-ip" => false,
                _ => throw new FormatException($"bad policy: {policy}"),
            };
        }

        string? routeTable = cmd.Option("--route-table");
        bool v6 = false;
        string? prefix = AddressText.NormalizePrefix(cmd.Arg(1), false);
        if (prefix is null)
        {
            prefix = AddressText.NormalizePrefix(cmd.Arg(1), true);
            v6 = true;
        }

        if (prefix is null)
        {
            throw new FormatException($"bad prefix argument: {cmd.Arg(1)}");
        }

        bool discard = cmd.Arg(2) == "discard";
        Row? outPort = null;
        string nextHop;
        if (discard)
        {
            nextHop = "discard";
        }
        else
        {
            nextHop = AddressText.NormalizeAddress(cmd.Arg(2), v6) ?? "";
            if (nextHop.Length == 0)
            {
                outPort = tx.RouterPort(cmd.Arg(2), mustExist: false)
                    ?? throw new FormatException($"bad {(v6 ? "IPv6" : "IPv4")} nexthop argument: {cmd.Arg(2)}");
            }
        }

        if (cmd.Args.Count == 4)
        {
            outPort = tx.RouterPort(cmd.Arg(3));
        }

        if (cmd.Has("--bfd"))
        {
            throw new FormatException("--bfd is not simulated by ovnsim yet (BFD sessions are out of scope)");
        }

        bool ecmpSymmetric = cmd.Has("--ecmp-symmetric-reply");
        bool ecmp = cmd.Has("--ecmp") || ecmpSymmetric;
        var route = FindRoute(lr, prefix, nextHop, isSrcRoute, ecmp, routeTable);
        if (discard)
        {
            if (ecmp)
            {
                throw new FormatException("ecmp is not valid for discard routes.");
            }

            if (outPort is not null)
            {
                throw new FormatException("outport is not valid for discard routes.");
            }
        }

        if (!ecmp)
        {
            if (route is not null && !route.GetMap("external_ids").ContainsKey("ic-learned-route"))
            {
                if (!cmd.Has("--may-exist"))
                {
                    throw new FormatException($"duplicate prefix: {prefix} (policy: {(isSrcRoute ? "src-ip" : "dst-ip")}). " +
                                              "Use option --ecmp to allow this for ECMP routing.");
                }

                NbctlTransaction.SetString(route, "ip_prefix", prefix);
                NbctlTransaction.SetString(route, "nexthop", nextHop);
                if (outPort is not null)
                {
                    NbctlTransaction.SetString(route, "output_port", outPort.GetString("name"));
                }

                if (policy is not null)
                {
                    NbctlTransaction.SetString(route, "policy", policy);
                }

                return;
            }
        }
        else if (route is not null)
        {
            if (!cmd.Has("--may-exist"))
            {
                throw new FormatException("duplicate nexthop for the same ECMP route");
            }

            return;
        }

        if (FindRoute(lr, prefix, "discard", isSrcRoute, true, routeTable) is not null)
        {
            throw new FormatException("discard nexthop for the same ECMP route exists.");
        }

        var newRoute = tx.Insert("Logical_Router_Static_Route");
        NbctlTransaction.SetString(newRoute, "ip_prefix", prefix);
        NbctlTransaction.SetString(newRoute, "nexthop", nextHop);
        if (outPort is not null)
        {
            NbctlTransaction.SetString(newRoute, "output_port", outPort.GetString("name"));
        }

        if (policy is not null)
        {
            NbctlTransaction.SetString(newRoute, "policy", policy);
        }

        if (routeTable is not null)
        {
            NbctlTransaction.SetString(newRoute, "route_table", routeTable);
        }

        if (ecmpSymmetric)
        {
            NbctlTransaction.SetMap(newRoute, "options", [KeyValuePair.Create("ecmp_symmetric_reply", "true")]);
        }

        NbctlTransaction.AddReference(lr, "static_routes", newRoute);
    }

    // nbctl_lr_get_route: same route table, same policy, same normalized prefix (and next hop for ECMP).
    private static Row? FindRoute(Row lr, string prefix, string nextHop, bool isSrcRoute, bool ecmp, string? routeTable)
    {
        foreach (var route in lr.GetRefs("static_routes"))
        {
            if (route.GetString("route_table") != (routeTable ?? "")
                || (route.GetOptionalString("policy") == "src-ip") != isSrcRoute
                || AddressText.NormalizeAnyPrefix(route.GetString("ip_prefix")) != prefix
                || (ecmp && route.GetString("nexthop") != nextHop))
            {
                continue;
            }

            return route;
        }

        return null;
    }

    private static void LrLbAdd(NbctlTransaction tx, NbctlCommand cmd) =>
        AttachLoadBalancer(tx.Router(cmd.Arg(0))!, tx.LoadBalancer(cmd.Arg(1))!, cmd);
}
