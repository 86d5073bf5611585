namespace Ovnsim.Ovsdb.OpenVswitch;

/// <summary>The Open_vSwitch database of one chassis (ovs-vswitchd.conf.db(5)).</summary>
public sealed class OpenVswitchDatabase : TypedDatabase
{
    /// <summary>The schema name.</summary>
    public const string SchemaName = "Open_vSwitch";

    /// <summary>Wraps a loaded database; throws if it is not Open_vSwitch.</summary>
    public OpenVswitchDatabase(Database database)
        : base(database, SchemaName)
    {
    }

    /// <summary>The Open_vSwitch row, if any.</summary>
    public OpenVswitchRoot? Root => Rows("Open_vSwitch", r => new OpenVswitchRoot(r)) is [var o, ..] ? o : null;

    /// <summary>Bridges.</summary>
    public IReadOnlyList<Bridge> Bridges => Rows("Bridge", r => new Bridge(r));

    /// <summary>Ports.</summary>
    public IReadOnlyList<Port> Ports => Rows("Port", r => new Port(r));

    /// <summary>Interfaces.</summary>
    public IReadOnlyList<Interface> Interfaces => Rows("Interface", r => new Interface(r));

    /// <summary>The chassis name: <c>external_ids:system-id</c>.</summary>
    public string? SystemId => Root?.ExternalIds.GetValueOrDefault("system-id");

    /// <summary>
    /// <c>external_ids:ovn-bridge-mappings</c> parsed as ovn-controller does: "physnet:bridge" pairs, comma separated.
    /// </summary>
    public IReadOnlyDictionary<string, string> BridgeMappings
    {
        get
        {
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            string mappings = Root?.ExternalIds.GetValueOrDefault("ovn-bridge-mappings") ?? "";
            foreach (string entry in mappings.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int colon = entry.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && colon < entry.Length - 1)
                {
                    result[entry[..colon]] = entry[(colon + 1)..];
                }
            }

            return result;
        }
    }
}

/// <summary>The Open_vSwitch table's single row.</summary>
public sealed class OpenVswitchRoot(Row row) : RowView(row)
{
    /// <summary>The bridges.</summary>
    public IReadOnlyList<Bridge> Bridges => [.. Row.GetRefs("bridges").Select(r => new Bridge(r))];
}

/// <summary>Bridge.</summary>
public sealed class Bridge(Row row) : RowView(row)
{
    /// <summary>The bridge name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The ports.</summary>
    public IReadOnlyList<Port> Ports => [.. Row.GetRefs("ports").Select(r => new Port(r))];

    /// <summary>The fail mode (secure, standalone) or null.</summary>
    public string? FailMode => Row.GetOptionalString("fail_mode");
}

/// <summary>Port.</summary>
public sealed class Port(Row row) : RowView(row)
{
    /// <summary>The port name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The interfaces.</summary>
    public IReadOnlyList<Interface> Interfaces => [.. Row.GetRefs("interfaces").Select(r => new Interface(r))];
}

/// <summary>Interface.</summary>
public sealed class Interface(Row row) : RowView(row)
{
    /// <summary>The interface name.</summary>
    public string Name => Row.GetString("name");

    /// <summary>The interface type ("", internal, patch, geneve, dummy, …).</summary>
    public string Type => Row.GetString("type");

    /// <summary>The OpenFlow port number, or null when unassigned.</summary>
    public long? OfPort => Row.GetOptionalInteger("ofport");

    /// <summary>The logical port it carries: <c>external_ids:iface-id</c>.</summary>
    public string? IfaceId => ExternalIds.GetValueOrDefault("iface-id");

    /// <summary>The options (peer for patch ports, remote_ip for tunnels, …).</summary>
    public IReadOnlyDictionary<string, string> Options => Row.GetMap("options");
}
