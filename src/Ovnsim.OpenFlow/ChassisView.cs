using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.OpenFlow;

/// <summary>A logical flow on one of the datapaths a chassis translates it for.</summary>
/// <param name="Flow">The logical flow.</param>
/// <param name="Datapath">The datapath.</param>
/// <param name="Table">Its OpenFlow table (8+N ingress, 42+N egress).</param>
/// <param name="LookupPort">A port or multicast group name of the datapath to its tunnel key, or null.</param>
public sealed record LocalLogicalFlow(LogicalFlow Flow, DatapathBinding Datapath, int Table, Func<string, long?> LookupPort);

/// <summary>
/// What ovn-controller on one chassis knows about where ports are (controller/binding.c): the ports bound to the
/// chassis, the interfaces of its integration bridge (their <c>iface-id</c>s), and from those the local datapaths
/// (those with a bound port, and every datapath reachable from them through patch ports) and the related ports
/// (bound here, with a local interface, or patch/localnet/vtep ports).
/// </summary>
public sealed class ChassisView
{
    private readonly HashSet<string> _resident;
    private readonly HashSet<string> _related;
    private readonly HashSet<Guid> _local;

    private ChassisView(string? chassisName, HashSet<string> resident, HashSet<string> related, HashSet<Guid> local)
    {
        ChassisName = chassisName;
        _resident = resident;
        _related = related;
        _local = local;
    }

    /// <summary>
    /// The view of the chassis named <paramref name="chassisName"/> (or, when null, of whichever chassis the SB
    /// binds ports to, else the SB's first chassis), whose bridge has interfaces with the given <c>iface-id</c>s.
    /// A port the SB binds to no chassis is claimed as ovn-controller claims it (binding.c): a VIF whose
    /// <c>iface-id</c> is on the bridge, and a chassisredirect port whose HA chassis group puts this chassis first.
    /// </summary>
    public static ChassisView Of(SouthboundDatabase sb, string? chassisName, IEnumerable<string> ifaceIds)
    {
        var ifaces = ifaceIds.ToHashSet(StringComparer.Ordinal);
        var bindings = sb.PortBindings;
        string? name = chassisName
                       ?? bindings.Select(p => p.Chassis?.Name).FirstOrDefault(n => n is not null)
                       ?? sb.Chassis.Select(c => c.Name).FirstOrDefault();
        bool Here(PortBinding p) => p.Chassis is { } c ? c.Name == name : name is not null && Claims(p, name, ifaces);
        var resident = bindings.Where(Here).Select(p => p.LogicalPort).ToHashSet(StringComparer.Ordinal);
        var related = bindings.Where(p => p.Type is "patch" or "localnet" or "vtep" || ifaces.Contains(p.LogicalPort) || Here(p))
            .Select(p => p.LogicalPort).ToHashSet(StringComparer.Ordinal);

        var byName = bindings.ToDictionary(p => p.LogicalPort);
        var local = new HashSet<Guid>();
        var queue = new Queue<Guid>();
        foreach (var pb in bindings.Where(p => Here(p) && p.Datapath is not null))
        {
            if (local.Add(pb.Datapath!.Uuid))
            {
                queue.Enqueue(pb.Datapath.Uuid);
            }
        }

        var patches = bindings.Where(p => p.Type == "patch" && p.Datapath is not null).ToLookup(p => p.Datapath!.Uuid);
        while (queue.Count > 0)
        {
            foreach (var pb in patches[queue.Dequeue()])
            {
                if (pb.Options.GetValueOrDefault("peer") is { } peer && byName.TryGetValue(peer, out var other)
                    && other.Datapath is { } otherDp && local.Add(otherDp.Uuid))
                {
                    queue.Enqueue(otherDp.Uuid);
                }
            }
        }

        return new ChassisView(name, resident, related, local);
    }

    /// <summary>
    /// Whether ovn-controller on chassis <paramref name="chassis"/> would claim an unbound port: a VIF with an
    /// interface on br-int, or a chassisredirect port whose highest-priority HA chassis is this one.
    /// </summary>
    private static bool Claims(PortBinding p, string chassis, HashSet<string> ifaces)
    {
        if (p.Type == "")
        {
            return ifaces.Contains(p.LogicalPort);
        }

        if (p.Type != "chassisredirect" || p.Row.GetRef("ha_chassis_group") is not { } group)
        {
            return false;
        }

        var first = group.GetRefs("ha_chassis").OrderByDescending(h => h.GetOptionalInteger("priority") ?? 0).FirstOrDefault();
        return first?.GetRef("chassis")?.GetString("name") == chassis;
    }

    /// <summary>The chassis's name, or null when the SB has no chassis at all.</summary>
    public string? ChassisName { get; }

    /// <summary><c>is_chassis_resident(port)</c>.</summary>
    public bool IsResident(string port) => _resident.Contains(port);

    /// <summary>Whether ovn-controller translates flows of this datapath.</summary>
    public bool IsLocal(Guid datapath) => _local.Contains(datapath);

    /// <summary>
    /// The logical flows ovn-controller translates, each once per local datapath of its datapath or group, in SB
    /// row order; flows tagged <c>in_out_port</c> with a port unrelated to the chassis are left out.
    /// </summary>
    public IEnumerable<LocalLogicalFlow> LocalFlows(SouthboundDatabase sb)
    {
        var portsByDatapath = sb.PortBindings.Where(p => p.Datapath is not null).GroupBy(p => p.Datapath!.Uuid)
            .ToDictionary(g => g.Key, g => g.ToDictionary(p => p.LogicalPort, p => p.TunnelKey, StringComparer.Ordinal));
        var groups = sb.MulticastGroups.GroupBy(g => g.Row.GetRef("datapath")!.Uuid)
            .ToDictionary(g => g.Key, g => g.ToDictionary(m => m.Row.GetString("name"), m => m.Row.GetOptionalInteger("tunnel_key") ?? 0));
        foreach (var flow in sb.LogicalFlows)
        {
            if (flow.Row.GetMap("tags").GetValueOrDefault("in_out_port") is { } ioPort && !_related.Contains(ioPort))
            {
                continue;
            }

            var datapaths = flow.LogicalDatapath is { } one ? [one] : flow.LogicalDpGroup?.Datapaths.ToList() ?? [];
            int table = (flow.Pipeline == "ingress" ? OfTable.LogicalIngress : OfTable.LogicalEgress) + (int)flow.TableId;
            foreach (var dp in datapaths.Where(d => _local.Contains(d.Uuid)))
            {
                var ports = portsByDatapath.GetValueOrDefault(dp.Uuid);
                var mc = groups.GetValueOrDefault(dp.Uuid);
                yield return new LocalLogicalFlow(flow, dp, table, name => LookupPort(name, ports, mc));
            }
        }
    }

    /// <summary>
    /// controller/lflow.c <c>lookup_port_cb</c>: "none" is 0, then a port of the datapath, then a multicast group of
    /// the datapath; anything else is unknown.
    /// </summary>
    private static long? LookupPort(string name, Dictionary<string, long>? ports, Dictionary<string, long>? groups)
    {
        if (name == "none")
        {
            return 0;
        }

        if (ports is not null && ports.TryGetValue(name, out long key))
        {
            return key;
        }

        return groups is not null && groups.TryGetValue(name, out long g) ? g : null;
    }
}
