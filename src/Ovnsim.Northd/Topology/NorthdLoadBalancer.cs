using System.Globalization;
using Ovnsim.Ovsdb.Northbound;

namespace Ovnsim.Northd.Topology;

/// <summary>One backend of a VIP (lib/lb.h <c>ovn_lb_backend</c>).</summary>
internal sealed record LbBackend(string IpStr, bool IsV6, int Port)
{
    public string? PortStr => Port == 0 ? null : Port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One VIP of a load balancer (lib/lb.h <c>ovn_lb_vip</c> with northd's <c>backend_ips</c>).</summary>
internal sealed class LbVip
{
    /// <summary>The vips map key this VIP was parsed from.</summary>
    public required string Key { get; init; }

    /// <summary>The VIP address, normalized (<c>vip_str</c>).</summary>
    public required string VipStr { get; init; }

    public required bool IsV6 { get; init; }

    public int Port { get; init; }

    public string? PortStr => Port == 0 ? null : Port.ToString(CultureInfo.InvariantCulture);

    public List<LbBackend> Backends { get; } = [];

    /// <summary>The backends as the NB value spells them (<c>ct_lb_mark(backends=…)</c> uses it verbatim).</summary>
    public required string BackendIps { get; init; }

    public bool EmptyBackendReject { get; init; }
}

/// <summary>
/// A load balancer as northd holds it (lib/lb.c <c>ovn_northd_lb</c>): its parsed VIPs, protocol, options and the
/// switches and routers it applies to.
/// </summary>
internal sealed class NorthdLoadBalancer
{
    public NorthdLoadBalancer(LoadBalancer nb, ICollection<string> warnings)
    {
        Nb = nb;
        Proto = nb.Protocol switch { "udp" => "udp", "sctp" => "sctp", _ => "tcp" };
        var options = nb.Options;
        SkipSnat = Bool(options, "skip_snat");
        Routable = Bool(options, "add_route");
        ControllerEvent = Bool(options, "event");
        NeighborResponder = options.GetValueOrDefault("neighbor_responder") switch
        {
            "all" => "all",
            "none" => "none",
            _ => "reachable",
        };
        if (Bool(options, "template"))
        {
            warnings.Add($"load balancer {nb.Name}: template load balancers are not simulated; ignored");
            return;
        }

        if (options.ContainsKey("affinity_timeout") || nb.Row["health_check"].Count > 0
            || nb.Row["selection_fields"].Count > 0 || nb.Row["ip_port_mappings"].Count > 0)
        {
            warnings.Add($"load balancer {nb.Name}: affinity, health checks, selection fields and ip_port_mappings "
                         + "are not simulated yet; the VIPs are compiled without them");
        }

        bool reject = Bool(options, "reject");
        // The VIPs in smap order: the datum's sorted keys, as the IDL gives them.
        foreach (var (key, value) in nb.Vips.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var vip = ParseVip(key, value, reject, out string? error);
            if (vip is null)
            {
                warnings.Add($"load balancer {nb.Name}: Failed to initialize LB VIP: {error}");
                continue;
            }

            Vips.Add(vip);
            (vip.IsV6 ? IpsV6 : IpsV4).Add(vip.VipStr);
        }
    }

    public LoadBalancer Nb { get; }

    public string Proto { get; }

    public bool SkipSnat { get; }

    public bool Routable { get; }

    public bool ControllerEvent { get; }

    /// <summary>"reachable" (the default), "all" or "none".</summary>
    public string NeighborResponder { get; }

    public List<LbVip> Vips { get; } = [];

    public HashSet<string> IpsV4 { get; } = new(StringComparer.Ordinal);

    public HashSet<string> IpsV6 { get; } = new(StringComparer.Ordinal);

    /// <summary>The switches it applies to (<c>nb_ls_map</c>), in datapath order.</summary>
    public List<Datapath> Switches { get; } = [];

    /// <summary>The routers it applies to (<c>nb_lr_map</c>).</summary>
    public List<Datapath> Routers { get; } = [];

    private static bool Bool(IReadOnlyDictionary<string, string> options, string key) =>
        options.TryGetValue(key, out string? v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>ovn_lb_vip_init_explicit</c>: "IP[:PORT]" or "[IPv6]:PORT" with "IP[:PORT],…" backends.</summary>
    private static LbVip? ParseVip(string key, string value, bool reject, out string? error)
    {
        if (!TryParseIpPort(key, out string vipStr, out bool isV6, out int port))
        {
            error = $"{key}: should be an IP address (or an IP address and a port number with : as a separator).";
            return null;
        }

        var vip = new LbVip { Key = key, VipStr = vipStr, IsV6 = isV6, Port = port, BackendIps = value, EmptyBackendReject = reject };
        var errors = new List<string>();
        foreach (string token in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseIpPort(token, out string ip, out bool backendV6, out int backendPort))
            {
                errors.Add(port != 0 ? $"{token}: should be an IP address and a port number with : as a separator"
                                     : $"{token}: should be an IP address");
                continue;
            }

            if (backendV6 != isV6)
            {
                errors.Add($"{token}: IP address family is different from VIP {vipStr}");
                continue;
            }

            if ((port != 0) != (backendPort != 0))
            {
                errors.Add(port != 0 ? $"{token}: should be an IP address and a port number with : as a separator"
                                     : $"{token}: should be an IP address");
                continue;
            }

            vip.Backends.Add(new LbBackend(ip, backendV6, backendPort));
        }

        error = errors.Count > 0 ? string.Join(", ", errors) + "." : null;
        return errors.Count > 0 ? null : vip;
    }

    /// <summary><c>ip_address_and_port_from_lb_key</c>.</summary>
    internal static bool TryParseIpPort(string text, out string ip, out bool isV6, out int port)
    {
        ip = "";
        isV6 = false;
        port = 0;
        string address = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            address = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                portText = rest[1..];
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            address = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (portText is not null
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            return false;
        }

        if (Ipv4NetAddr.TryParse(address, out uint v4))
        {
            ip = Ipv4NetAddr.Format(v4);
            return true;
        }

        if (Ipv6NetAddr.TryParse(address, out var v6))
        {
            ip = Ipv6NetAddr.Format(v6);
            isV6 = true;
            return true;
        }

        return false;
    }
}
