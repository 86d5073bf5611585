namespace Ovnsim.Ovsdb.Northbound;

/// <summary>The OVN_Northbound database (ovn-nb(5)) with typed views of the tables the pipeline reads.</summary>
public sealed class NorthboundDatabase : TypedDatabase
{
    /// <summary>The schema name.</summary>
    public const string SchemaName = "OVN_Northbound";

    /// <summary>Wraps a loaded database; throws if it is not OVN_Northbound.</summary>
    public NorthboundDatabase(Database database)
        : base(database, SchemaName)
    {
    }

    /// <summary>The NB_Global row, if any.</summary>
    public NbGlobal? Global => Rows("NB_Global", r => new NbGlobal(r)) is [var g, ..] ? g : null;

    /// <summary>Logical switches.</summary>
    public IReadOnlyList<LogicalSwitch> LogicalSwitches => Rows("Logical_Switch", r => new LogicalSwitch(r));

    /// <summary>Logical switch ports.</summary>
    public IReadOnlyList<LogicalSwitchPort> LogicalSwitchPorts => Rows("Logical_Switch_Port", r => new LogicalSwitchPort(r));

    /// <summary>Logical routers.</summary>
    public IReadOnlyList<LogicalRouter> LogicalRouters => Rows("Logical_Router", r => new LogicalRouter(r));

    /// <summary>Logical router ports.</summary>
    public IReadOnlyList<LogicalRouterPort> LogicalRouterPorts => Rows("Logical_Router_Port", r => new LogicalRouterPort(r));

    /// <summary>Load balancers.</summary>
    public IReadOnlyList<LoadBalancer> LoadBalancers => Rows("Load_Balancer", r => new LoadBalancer(r));

    /// <summary>NAT rules.</summary>
    public IReadOnlyList<Nat> Nats => Rows("NAT", r => new Nat(r));

    /// <summary>Gateway chassis bindings.</summary>
    public IReadOnlyList<GatewayChassis> GatewayChassis => Rows("Gateway_Chassis", r => new GatewayChassis(r));

    /// <summary>Static routes.</summary>
    public IReadOnlyList<LogicalRouterStaticRoute> StaticRoutes =>
        Rows("Logical_Router_Static_Route", r => new LogicalRouterStaticRoute(r));
}

/// <summary>NB_Global: northd's options and the configuration sequence numbers.</summary>
public sealed class NbGlobal(Row row) : RowView(row)
{
    /// <summary>The <c>options</c> column (mac_prefix, svc_monitor_mac, northd flags).</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");

    /// <summary>The <c>nb_cfg</c> sequence number.</summary>
    public long NbCfg => Row.GetOptionalInteger("nb_cfg") ?? 0;
}

/// <summary>Logical_Switch.</summary>
public sealed class LogicalSwitch(Row row) : RowView(row)
{
    /// <summary>The switch name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The ports, in UUID order (ovsdb keeps a set sorted).</summary>
    public IReadOnlyList<LogicalSwitchPort> Ports => [.. Row.GetRefs("ports").Select(r => new LogicalSwitchPort(r))];

    /// <summary>Load balancers applied to the switch.</summary>
    public IReadOnlyList<LoadBalancer> LoadBalancers => [.. Row.GetRefs("load_balancer").Select(r => new LoadBalancer(r))];

    /// <summary>The <c>other_config</c> column.</summary>
    public IReadOnlyDictionary<string, string> OtherConfig => Row.GetMap("other_config");
}

/// <summary>Logical_Switch_Port.</summary>
public sealed class LogicalSwitchPort(Row row) : RowView(row)
{
    /// <summary>The port name (the logical port's identity everywhere in OVN).</summary>
    public string Name => Row.GetString("name");

    /// <summary>The port type: "" for a VIF, or router, localnet, localport, ….</summary>
    public string Type => Row.GetString("type");

    /// <summary>The <c>addresses</c> entries ("MAC IP…", "unknown", "router", "dynamic").</summary>
    public IReadOnlyList<string> Addresses => Row.GetStrings("addresses");

    /// <summary>The <c>port_security</c> entries.</summary>
    public IReadOnlyList<string> PortSecurity => Row.GetStrings("port_security");

    /// <summary>The <c>options</c> column (router-port, network_name, nat-addresses, requested-chassis, …).</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");

    /// <summary>The parent port for a container port, or null.</summary>
    public string? ParentName => Row.GetOptionalString("parent_name");

    /// <summary>The VLAN tag, or null.</summary>
    public long? Tag => Row.GetOptionalInteger("tag");

    /// <summary>The VLAN tag requested (a localnet port's tag on the physical network; a container's for a parent).</summary>
    public long? TagRequest => Row.GetOptionalInteger("tag_request");

    /// <summary>The <c>enabled</c> column: null means enabled.</summary>
    public bool? Enabled => Row.GetOptionalBoolean("enabled");
}

/// <summary>Logical_Router.</summary>
public sealed class LogicalRouter(Row row) : RowView(row)
{
    /// <summary>The router name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The router's ports, in UUID order.</summary>
    public IReadOnlyList<LogicalRouterPort> Ports => [.. Row.GetRefs("ports").Select(r => new LogicalRouterPort(r))];

    /// <summary>The NAT rules, in UUID order.</summary>
    public IReadOnlyList<Nat> Nat => [.. Row.GetRefs("nat").Select(r => new Nat(r))];

    /// <summary>The static routes, in UUID order.</summary>
    public IReadOnlyList<LogicalRouterStaticRoute> StaticRoutes =>
        [.. Row.GetRefs("static_routes").Select(r => new LogicalRouterStaticRoute(r))];

    /// <summary>Load balancers applied to the router.</summary>
    public IReadOnlyList<LoadBalancer> LoadBalancers => [.. Row.GetRefs("load_balancer").Select(r => new LoadBalancer(r))];

    /// <summary>The <c>options</c> column.</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");
}

/// <summary>Logical_Router_Port.</summary>
public sealed class LogicalRouterPort(Row row) : RowView(row)
{
    /// <summary>The port name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The port's Ethernet address.</summary>
    public string Mac => Row.GetString("mac");

    /// <summary>The port's networks, "IP/len" each.</summary>
    public IReadOnlyList<string> Networks => Row.GetStrings("networks");

    /// <summary>The gateway chassis of a distributed gateway port.</summary>
    public IReadOnlyList<GatewayChassis> GatewayChassis =>
        [.. Row.GetRefs("gateway_chassis").Select(r => new GatewayChassis(r))];

    /// <summary>The <c>options</c> column.</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");

    /// <summary>The peer router port, for router-to-router links, or null.</summary>
    public string? Peer => Row.GetOptionalString("peer");

    /// <summary>Whether the port is enabled (null: unset, which means enabled).</summary>
    public bool? Enabled => Row.GetOptionalBoolean("enabled");
}

/// <summary>Gateway_Chassis: one chassis that may host a distributed gateway port, with its priority.</summary>
public sealed class GatewayChassis(Row row) : RowView(row)
{
    /// <summary>The row name (conventionally "&lt;port&gt;-&lt;chassis&gt;").</summary>
    public string Name => Row.GetString("name");

    /// <summary>The chassis name.</summary>
    public string ChassisName => Row.GetString("chassis_name");

    /// <summary>The priority; the highest-priority live chassis hosts the port.</summary>
    public long Priority => Row.GetOptionalInteger("priority") ?? 0;
}

/// <summary>NAT: one snat, dnat or dnat_and_snat rule of a router.</summary>
public sealed class Nat(Row row) : RowView(row)
{
    /// <summary>snat, dnat or dnat_and_snat.</summary>
    public string Type => Row.GetString("type");

    /// <summary>The external address.</summary>
    public string ExternalIp => Row.GetString("external_ip");

    /// <summary>The logical address or network.</summary>
    public string LogicalIp => Row.GetString("logical_ip");

    /// <summary>For distributed NAT, the logical port, or null.</summary>
    public string? LogicalPort => Row.GetOptionalString("logical_port");

    /// <summary>For distributed NAT, the external MAC, or null.</summary>
    public string? ExternalMac => Row.GetOptionalString("external_mac");

    /// <summary>The <c>external_port_range</c>, or "".</summary>
    public string ExternalPortRange => Row.GetString("external_port_range");

    /// <summary>The <c>options</c> column.</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");
}

/// <summary>Load_Balancer.</summary>
public sealed class LoadBalancer(Row row) : RowView(row)
{
    /// <summary>The balancer name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>tcp, udp or sctp; null when unset (tcp).</summary>
    public string? Protocol => Row.GetOptionalString("protocol");

    /// <summary>VIP ("IP[:port]") to backends ("IP[:port],…").</summary>
    public IReadOnlyDictionary<string, string> Vips => Row.GetMap("vips");

    /// <summary>The <c>options</c> column.</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");
}

/// <summary>Logical_Router_Static_Route.</summary>
public sealed class LogicalRouterStaticRoute(Row row) : RowView(row)
{
    /// <summary>The destination (or source) prefix.</summary>
    public string IpPrefix => Row.GetString("ip_prefix");

    /// <summary>The next hop.</summary>
    public string Nexthop => Row.GetString("nexthop");

    /// <summary>The output port, or null.</summary>
    public string? OutputPort => Row.GetOptionalString("output_port");

    /// <summary>dst-ip or src-ip; null means dst-ip.</summary>
    public string? Policy => Row.GetOptionalString("policy");

    /// <summary>The route table name, "" for the main table.</summary>
    public string RouteTable => Row.GetString("route_table");
}
