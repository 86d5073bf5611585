namespace Ovnsim.Northd.Southbound;

/// <summary>
/// A Port_Binding as northd writes it (northd.c <c>ovn_port_update_sbrec</c>): the columns northd owns. Columns
/// ovn-controller writes (chassis, up, encap, …) are not part of northd's output.
/// </summary>
public sealed record SbPortBinding
{
    /// <summary>The logical port name.</summary>
    public required string LogicalPort { get; init; }

    /// <summary>The datapath.</summary>
    public required SbDatapath Datapath { get; init; }

    /// <summary>The port's tunnel key within its datapath.</summary>
    public required long TunnelKey { get; init; }

    /// <summary>"", localnet, localport, patch, chassisredirect, l3gateway, vtep, external, virtual, …</summary>
    public required string Type { get; init; }

    /// <summary>The options column.</summary>
    public required IReadOnlyDictionary<string, string> Options { get; init; }

    /// <summary>The mac column (the LSP's addresses, or the LRP's "MAC NETWORK…").</summary>
    public required IReadOnlyList<string> Mac { get; init; }

    /// <summary>The port_security column.</summary>
    public IReadOnlyList<string> PortSecurity { get; init; } = [];

    /// <summary>The nat_addresses column (router-type switch ports).</summary>
    public IReadOnlyList<string> NatAddresses { get; init; } = [];

    /// <summary>The parent port (container ports), or null.</summary>
    public string? ParentPort { get; init; }

    /// <summary>The VLAN tag (container ports), or null.</summary>
    public long? Tag { get; init; }

    /// <summary>The external_ids column.</summary>
    public required IReadOnlyDictionary<string, string> ExternalIds { get; init; }

    /// <summary>
    /// For a chassis-redirect port: its gateway chassis and their priorities, which northd writes as an
    /// HA_Chassis_Group named after the router port.
    /// </summary>
    public IReadOnlyList<(string Chassis, long Priority)> HaChassis { get; init; } = [];

    /// <summary>The name of that HA_Chassis_Group, or null.</summary>
    public string? HaChassisGroup { get; init; }
}

/// <summary>A Multicast_Group: <c>_MC_flood</c>, <c>_MC_flood_l2</c>, <c>_MC_unknown</c>, … of one datapath.</summary>
/// <param name="Datapath">The datapath.</param>
/// <param name="Name">The group name.</param>
/// <param name="TunnelKey">Its tunnel key (32768 and up).</param>
/// <param name="Ports">The member ports' names.</param>
public sealed record SbMulticastGroup(SbDatapath Datapath, string Name, long TunnelKey, IReadOnlyList<string> Ports);

/// <summary>An Address_Set northd derives (the service-monitor MAC, a router's load-balancer VIPs).</summary>
/// <param name="Name">The set's name, as flows reference it after <c>$</c>.</param>
/// <param name="Addresses">The addresses.</param>
public sealed record SbAddressSet(string Name, IReadOnlyList<string> Addresses);

/// <summary>A Load_Balancer row northd copies to SB for the switches a balancer applies to.</summary>
/// <param name="Name">The NB name.</param>
/// <param name="NbUuid">The NB row's UUID (external_ids:lb_id).</param>
/// <param name="Protocol">tcp, udp or sctp.</param>
/// <param name="Vips">The vips map.</param>
/// <param name="Options">The NB options plus hairpin_orig_tuple=true.</param>
/// <param name="Datapaths">The switches (its datapath group).</param>
public sealed record SbLoadBalancerRow(string Name, Guid NbUuid, string Protocol, IReadOnlyDictionary<string, string> Vips,
                                    IReadOnlyDictionary<string, string> Options, IReadOnlyList<SbDatapath> Datapaths);
