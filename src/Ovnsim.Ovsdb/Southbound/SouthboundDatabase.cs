namespace Ovnsim.Ovsdb.Southbound;

/// <summary>The OVN_Southbound database (ovn-sb(5)) with typed views of the tables the pipeline reads.</summary>
public sealed class SouthboundDatabase : TypedDatabase
{
    /// <summary>The schema name.</summary>
    public const string SchemaName = "OVN_Southbound";

    /// <summary>Wraps a loaded database; throws if it is not OVN_Southbound.</summary>
    public SouthboundDatabase(Database database)
        : base(database, SchemaName)
    {
    }

    /// <summary>Chassis.</summary>
    public IReadOnlyList<Chassis> Chassis => Rows("Chassis", r => new Chassis(r));

    /// <summary>Tunnel encapsulations.</summary>
    public IReadOnlyList<Encap> Encaps => Rows("Encap", r => new Encap(r));

    /// <summary>Datapath bindings.</summary>
    public IReadOnlyList<DatapathBinding> DatapathBindings => Rows("Datapath_Binding", r => new DatapathBinding(r));

    /// <summary>Port bindings.</summary>
    public IReadOnlyList<PortBinding> PortBindings => Rows("Port_Binding", r => new PortBinding(r));

    /// <summary>Logical flows.</summary>
    public IReadOnlyList<LogicalFlow> LogicalFlows => Rows("Logical_Flow", r => new LogicalFlow(r));

    /// <summary>Logical datapath groups.</summary>
    public IReadOnlyList<LogicalDpGroup> LogicalDpGroups => Rows("Logical_DP_Group", r => new LogicalDpGroup(r));

    /// <summary>Multicast groups.</summary>
    public IReadOnlyList<MulticastGroup> MulticastGroups => Rows("Multicast_Group", r => new MulticastGroup(r));

    /// <summary>Address sets.</summary>
    public IReadOnlyList<AddressSet> AddressSets => Rows("Address_Set", r => new AddressSet(r));

    /// <summary>Load balancers.</summary>
    public IReadOnlyList<SbLoadBalancer> LoadBalancers => Rows("Load_Balancer", r => new SbLoadBalancer(r));

    /// <summary>MAC bindings learnt by ovn-controller.</summary>
    public IReadOnlyList<MacBinding> MacBindings => Rows("MAC_Binding", r => new MacBinding(r));

    /// <summary>The port binding with tunnel key <paramref name="portKey"/> on the datapath with tunnel key
    /// <paramref name="datapathKey"/> (ovn-controller's <c>lport_lookup_by_key</c>), or null.</summary>
    public PortBinding? PortByKeys(long datapathKey, long portKey) =>
        PortBindings.FirstOrDefault(p => p.TunnelKey == portKey && p.Datapath is { } d && d.TunnelKey == datapathKey);

    /// <summary>FDB: the MACs ovn-controller learnt on switch ports with unknown addresses (put_fdb).</summary>
    public IReadOnlyList<FdbEntry> Fdb => Rows("FDB", r => new FdbEntry(r));
}

/// <summary>Chassis: one hypervisor or gateway.</summary>
public sealed class Chassis(Row row) : RowView(row)
{
    /// <summary>The chassis name (its system-id).</summary>
    public string Name => Row.GetString("name");

    /// <summary>The hostname.</summary>
    public string Hostname => Row.GetString("hostname");

    /// <summary>The encapsulations.</summary>
    public IReadOnlyList<Encap> Encaps => [.. Row.GetRefs("encaps").Select(r => new Encap(r))];

    /// <summary>The <c>other_config</c> column, which carries the feature flags northd reads.</summary>
    public IReadOnlyDictionary<string, string> OtherConfig => Row.GetMap("other_config");
}

/// <summary>Encap: a tunnel endpoint of a chassis.</summary>
public sealed class Encap(Row row) : RowView(row)
{
    /// <summary>geneve, vxlan or stt.</summary>
    public string Type => Row.GetString("type");

    /// <summary>The tunnel IP.</summary>
    public string Ip => Row.GetString("ip");

    /// <summary>The chassis name.</summary>
    public string ChassisName => Row.GetString("chassis_name");

    /// <summary>The options (csum, …).</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");
}

/// <summary>Datapath_Binding: a logical switch or router and its tunnel key.</summary>
public sealed class DatapathBinding(Row row) : RowView(row)
{
    /// <summary>The tunnel key (the OpenFlow metadata value).</summary>
    public long TunnelKey => Row.GetOptionalInteger("tunnel_key") ?? 0;

    /// <summary>The <c>external_ids:name</c> northd sets: the switch or router name.</summary>
    public string Name => ExternalIds.GetValueOrDefault("name") ?? "";
}

/// <summary>Port_Binding: a logical port, where it is bound, and its tunnel key.</summary>
public sealed class PortBinding(Row row) : RowView(row)
{
    /// <summary>The logical port name.</summary>
    public string LogicalPort => Row.GetString("logical_port");

    /// <summary>The port type (patch, localnet, localport, chassisredirect, l3gateway, "" …).</summary>
    public string Type => Row.GetString("type");

    /// <summary>The tunnel key within the datapath.</summary>
    public long TunnelKey => Row.GetOptionalInteger("tunnel_key") ?? 0;

    /// <summary>The datapath.</summary>
    public DatapathBinding? Datapath => Row.GetRef("datapath") is { } r ? new DatapathBinding(r) : null;

    /// <summary>The chassis the port is bound to, or null.</summary>
    public Chassis? Chassis => Row.GetRef("chassis") is { } r ? new Chassis(r) : null;

    /// <summary>The MAC (and IP) entries.</summary>
    public IReadOnlyList<string> Mac => Row.GetStrings("mac");

    /// <summary>The options (peer, network_name, distributed-port, …).</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");

    /// <summary>The VLAN tag, or null.</summary>
    public long? Tag => Row.GetOptionalInteger("tag");

    /// <summary>nat_addresses: "MAC IP… [is_chassis_resident(\"PORT\")]" entries ovn-controller announces.</summary>
    public IReadOnlyList<string> NatAddresses => Row.GetStrings("nat_addresses");
}

/// <summary>Logical_Flow: one flow of one stage of one datapath (or datapath group).</summary>
public sealed class LogicalFlow(Row row) : RowView(row)
{
    /// <summary>"ingress" or "egress".</summary>
    public string Pipeline => Row.GetString("pipeline");

    /// <summary>The stage's table number within its pipeline.</summary>
    public long TableId => Row.GetOptionalInteger("table_id") ?? 0;

    /// <summary>The priority.</summary>
    public long Priority => Row.GetOptionalInteger("priority") ?? 0;

    /// <summary>The match expression.</summary>
    public string Match => Row.GetString("match");

    /// <summary>The actions.</summary>
    public string Actions => Row.GetString("actions");

    /// <summary>The single datapath, or null when the flow is on a group.</summary>
    public DatapathBinding? LogicalDatapath => Row.GetRef("logical_datapath") is { } r ? new DatapathBinding(r) : null;

    /// <summary>The datapath group, or null.</summary>
    public LogicalDpGroup? LogicalDpGroup => Row.GetRef("logical_dp_group") is { } r ? new LogicalDpGroup(r) : null;

    /// <summary>The <c>external_ids:stage-name</c>.</summary>
    public string StageName => ExternalIds.GetValueOrDefault("stage-name") ?? "";
}

/// <summary>Logical_DP_Group: datapaths that share flows.</summary>
public sealed class LogicalDpGroup(Row row) : RowView(row)
{
    /// <summary>The member datapaths.</summary>
    public IReadOnlyList<DatapathBinding> Datapaths => [.. Row.GetRefs("datapaths").Select(r => new DatapathBinding(r))];
}

/// <summary>Multicast_Group: _MC_flood, _MC_unknown, … of a datapath.</summary>
public sealed class MulticastGroup(Row row) : RowView(row)
{
    /// <summary>The group name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The tunnel key (32768 and up).</summary>
    public long TunnelKey => Row.GetOptionalInteger("tunnel_key") ?? 0;

    /// <summary>The datapath.</summary>
    public DatapathBinding? Datapath => Row.GetRef("datapath") is { } r ? new DatapathBinding(r) : null;

    /// <summary>The member ports.</summary>
    public IReadOnlyList<PortBinding> Ports => [.. Row.GetRefs("ports").Select(r => new PortBinding(r))];
}

/// <summary>Address_Set: a named set of addresses used as <c>$name</c> in matches.</summary>
public sealed class AddressSet(Row row) : RowView(row)
{
    /// <summary>The set name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The addresses.</summary>
    public IReadOnlyList<string> Addresses => Row.GetStrings("addresses");
}

/// <summary>SB Load_Balancer.</summary>
public sealed class SbLoadBalancer(Row row) : RowView(row)
{
    /// <summary>The balancer name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The protocol, or null.</summary>
    public string? Protocol => Row.GetOptionalString("protocol");

    /// <summary>VIP to backends.</summary>
    public IReadOnlyDictionary<string, string> Vips => Row.GetMap("vips");
}

/// <summary>MAC_Binding: an IP-to-MAC binding a logical router learnt on a port.</summary>
public sealed class MacBinding(Row row) : RowView(row)
{
    /// <summary>The logical port.</summary>
    public string LogicalPort => Row.GetString("logical_port");

    /// <summary>The IP address.</summary>
    public string Ip => Row.GetString("ip");

    /// <summary>The MAC address.</summary>
    public string Mac => Row.GetString("mac");
}

/// <summary>FDB: a MAC learnt on a logical switch port, by tunnel keys.</summary>
public sealed class FdbEntry(Row row) : RowView(row)
{
    /// <summary>The MAC address, as pinctrl writes it (lower-case, colon-separated).</summary>
    public string Mac => Row.GetString("mac");

    /// <summary>The logical switch's tunnel key.</summary>
    public long DpKey => Row.GetOptionalInteger("dp_key") ?? 0;

    /// <summary>The port's tunnel key.</summary>
    public long PortKey => Row.GetOptionalInteger("port_key") ?? 0;
}
