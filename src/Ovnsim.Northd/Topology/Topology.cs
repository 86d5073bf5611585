using Ovnsim.Northd.Southbound;
using Ovnsim.Ovsdb.Northbound;

namespace Ovnsim.Northd.Topology;

/// <summary>
/// One logical datapath as northd sees it (northd.c <c>struct ovn_datapath</c>): a switch or a router from NB, its
/// SB binding, its ports, and the facts the flow builders ask about it.
/// </summary>
internal sealed class Datapath
{
    public Datapath(LogicalSwitch? nbs, LogicalRouter? nbr)
    {
        Nbs = nbs;
        Nbr = nbr;
        Options = nbr?.Options ?? nbs!.OtherConfig;
        NbPortCount = nbs?.Row["ports"].Count ?? nbr!.Row["ports"].Count;
    }

    public LogicalSwitch? Nbs { get; }

    public LogicalRouter? Nbr { get; }

    public bool IsSwitch => Nbs is not null;

    public Guid NbUuid => Nbs?.Uuid ?? Nbr!.Uuid;

    public string Name => Nbs?.Name ?? Nbr!.Name;

    public long TunnelKey { get; set; }

    public SbDatapath Sb { get; set; } = null!;

    /// <summary>All ports of the datapath (<c>od->port_list</c>), in NB order.</summary>
    public List<Port> Ports { get; } = [];

    /// <summary>Switch: the router-type ports that have a peer (<c>od->router_ports</c>).</summary>
    public List<Port> RouterPorts { get; } = [];

    /// <summary>Switch: localnet ports.</summary>
    public List<Port> LocalnetPorts { get; } = [];

    /// <summary>Router: distributed gateway ports (<c>od->l3dgw_ports</c>).</summary>
    public List<Port> L3dgwPorts { get; } = [];

    /// <summary>Router: the switches it connects to (<c>od->ls_peers</c>).</summary>
    public List<Datapath> LsPeers { get; } = [];

    /// <summary>Router: its NAT entries (<c>od->nat_entries</c>), valid or not, in NB order.</summary>
    public List<NatEntry> NatEntries { get; } = [];

    /// <summary>Router: the load balancers attached to it, in NB order.</summary>
    public List<NorthdLoadBalancer> AttachedLoadBalancers { get; } = [];

    /// <summary>Router: the load-balancer VIPs (<c>od->lb_ips</c>).</summary>
    public LbIps LbIps { get; } = new();

    /// <summary>Router: external IPs of snat/dnat_and_snat entries (<c>od->snat_ips</c>) with their entries.</summary>
    public Dictionary<string, List<NatEntry>> SnatIps { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether an enabled port has the "unknown" address.</summary>
    public bool HasUnknown { get; set; }

    /// <summary>Whether a load balancer with a VIP applies (switch: attached; router: attached).</summary>
    public bool HasLbVip { get; set; }

    /// <summary>Switch: whether it has ACLs (a later issue simulates them; until then always false).</summary>
    public bool HasAcls { get; init; }

    /// <summary>Switch: whether an ACL is stateful (allow-related); false until ACLs are simulated.</summary>
    public bool HasStatefulAcl { get; init; }

    /// <summary>Router: a gateway router (options:chassis).</summary>
    public bool IsGatewayRouter => Nbr is not null && Nbr.Options.ContainsKey("chassis");

    /// <summary>The router's options or the switch's other_config, read once.</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>How many ports the NB row lists (<c>od->nbs->n_ports</c>).</summary>
    public int NbPortCount { get; }

    public override string ToString() => Name;
}

/// <summary>One logical port (northd.c <c>struct ovn_port</c>): an LSP, an LRP, or a chassis-redirect port.</summary>
internal sealed class Port
{
    private readonly LogicalSwitchPort? _nbsp;
    private readonly LogicalRouterPort? _nbrp;

    public Port(string key, Datapath od)
    {
        Key = key;
        Od = od;
    }

    /// <summary>The port name (the SB logical_port).</summary>
    public string Key { get; }

    /// <summary>The name as a quoted string, as flows print it (<c>op->json_key</c>).</summary>
    public string JsonKey => Json.Quote(Key);

    public Datapath Od { get; }

    public LogicalSwitchPort? Nbsp
    {
        get => _nbsp;
        init
        {
            _nbsp = value;
            Options = value?.Options ?? Options;
        }
    }

    public LogicalRouterPort? Nbrp
    {
        get => _nbrp;
        init
        {
            _nbrp = value;
            Options = value?.Options ?? Options;
        }
    }

    /// <summary>The LSP's or LRP's options, read once.</summary>
    public IReadOnlyDictionary<string, string> Options { get; private set; } = new Dictionary<string, string>();

    public Port? Peer { get; set; }

    /// <summary>A distributed gateway port's chassis-redirect port (<c>cr-NAME</c>).</summary>
    public Port? CrPort { get; set; }

    /// <summary>For a chassis-redirect port: the distributed gateway port it redirects for.</summary>
    public Port? L3dgwPort { get; set; }

    public long TunnelKey { get; set; }

    /// <summary>LSP: the parsed "MAC IP…" entries (and, for a router-type port, its peer's networks).</summary>
    public List<LportAddresses> LspAddrs { get; } = [];

    /// <summary>LSP: the parsed port_security entries.</summary>
    public List<LportAddresses> PsAddrs { get; } = [];

    public bool HasUnknown { get; set; }

    /// <summary>
    /// A distributed gateway port's routable addresses (<c>op->routables</c>): NAT external IPs and load-balancer VIPs
    /// with <c>add_route=true</c>, which routers sharing a switch with it route to and resolve directly.
    /// </summary>
    public List<LportAddresses> Routables { get; } = [];

    /// <summary>LRP: its MAC and networks, with the link-local address last.</summary>
    public LportAddresses LrpNetworks { get; set; } = new();

    public bool IsL3dgw => Nbrp is not null && CrPort is not null && L3dgwPort is null;

    public bool IsChassisRedirect => L3dgwPort is not null;

    public string LspType => Nbsp?.Type ?? "";

    public bool IsRouterLsp => Nbsp is not null && Nbsp.Type == "router";

    public bool IsLocalnet => Nbsp is not null && Nbsp.Type == "localnet";

    public bool IsExternal => Nbsp is not null && Nbsp.Type == "external";

    public bool LspEnabled => Nbsp?.Enabled != false;

    public bool LrpEnabled => Nbrp?.Enabled != false;

    public override string ToString() => Key;
}

/// <summary>A router's load-balancer VIPs (lib/lb.h <c>ovn_lb_ip_set</c>).</summary>
internal sealed class LbIps
{
    public HashSet<string> V4 { get; } = new(StringComparer.Ordinal);

    public HashSet<string> V6 { get; } = new(StringComparer.Ordinal);

    public HashSet<string> V4Routable { get; } = new(StringComparer.Ordinal);

    public HashSet<string> V6Routable { get; } = new(StringComparer.Ordinal);

    public HashSet<string> V4Reachable { get; } = new(StringComparer.Ordinal);

    public HashSet<string> V6Reachable { get; } = new(StringComparer.Ordinal);
}

/// <summary>A NAT rule of a router with its parsed addresses (northd.c <c>struct ovn_nat</c>).</summary>
internal sealed class NatEntry(Nat nb)
{
    public Nat Nb { get; } = nb;

    /// <summary>The external IP as one address; null when it does not parse (the entry is invalid).</summary>
    public LportAddresses? ExtAddrs { get; set; }

    public bool IsValid => ExtAddrs is not null;

    public bool IsV6 => ExtAddrs is { Ipv6.Count: > 0 };

    /// <summary>Whether the rule is applied on the chassis of its logical_port (distributed dnat_and_snat).</summary>
    public bool IsDistributed { get; set; }

    /// <summary>The distributed gateway port the rule is applied on (<c>nat->gateway_port</c> resolved).</summary>
    public Port? L3dgwPort { get; set; }
}

/// <summary>JSON string quoting as OVS's <c>json_string_escape</c> writes port names into flows.</summary>
internal static class Json
{
    public static string Quote(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}
