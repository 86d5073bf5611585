using System.Text;

namespace Ovnsim.Ovsdb.Nbctl;

internal static partial class NbctlCommands
{
    private static void LbAdd(NbctlTransaction tx, NbctlCommand cmd)
    {
        string name = cmd.Arg(0);
        bool mayExist = cmd.Has("--may-exist");
        bool addDuplicate = cmd.Has("--add-duplicate");
        bool reject = cmd.Has("--reject");
        bool evt = cmd.Has("--event");
        if (reject && evt)
        {
            throw new FormatException("--reject and --event can't specified at the same time");
        }

        if (cmd.Has("--template"))
        {
            throw new FormatException("--template load balancers are not simulated by ovnsim yet");
        }

        string protocol = "tcp";
        bool updateProtocol = false;
        if (cmd.Args.Count > 3)
        {
            protocol = cmd.Arg(3);
            updateProtocol = true;
            if (protocol is not ("tcp" or "udp" or "sctp"))
            {
                throw new FormatException($"{protocol}: protocol must be one of \"tcp\", \"udp\",  or \"sctp\".");
            }
        }

        var (vip, backends, hasPort) = NormalizeVip(cmd.Arg(1), cmd.Arg(2));
        if (updateProtocol && !hasPort)
        {
            throw new FormatException("Protocol is unnecessary when no port of vip is given.");
        }

        if (!addDuplicate && tx.LoadBalancer(name, mustExist: false) is { } lb)
        {
            var vips = new Dictionary<string, string>(lb.GetMap("vips"), StringComparer.Ordinal);
            if (vips.ContainsKey(vip) && !mayExist)
            {
                throw new FormatException($"{name}: a load balancer with this vip ({vip}) already exists");
            }

            vips[vip] = backends;
            if (updateProtocol)
            {
                NbctlTransaction.SetString(lb, "protocol", protocol);
            }

            NbctlTransaction.SetMap(lb, "vips", vips);
            return;
        }

        var row = tx.Insert("Load_Balancer");
        NbctlTransaction.SetString(row, "name", name);
        NbctlTransaction.SetString(row, "protocol", protocol);
        NbctlTransaction.SetMap(row, "vips", [KeyValuePair.Create(vip, backends)]);
        var options = new List<KeyValuePair<string, string>>();
        if (reject)
        {
            options.Add(new("reject", "true"));
        }

        if (evt)
        {
            options.Add(new("event", "true"));
        }

        if (cmd.Has("--add-route"))
        {
            options.Add(new("add_route", "true"));
        }

        NbctlTransaction.SetMap(row, "options", options);
    }

    /// <summary>
    /// Validates a VIP and its backends and formats them as <c>ovn_lb_vip_format</c> and
    /// <c>ovn_lb_vip_backends_format</c> do (lib/lb.c): addresses normalized, IPv6 in brackets when a port is given.
    /// </summary>
    private static (string Vip, string Backends, bool HasPort) NormalizeVip(string key, string value)
    {
        if (!AddressText.TryParseLbKey(key, out string vipIp, out int vipPort, out bool v6))
        {
            throw new FormatException($"{key}: should be an IP address (or an IP address and a port number with : as a separator).");
        }

        bool hasPort = vipPort != 0;
        var errors = new List<string>();
        var formatted = new List<string>();
        foreach (string token in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!AddressText.TryParseLbKey(token, out string ip, out int port, out bool bv6))
            {
                errors.Add(hasPort ? $"{token}: should be an IP address and a port number with : as a separator"
                                   : $"{token}: should be an IP address");
                continue;
            }

            if (bv6 != v6)
            {
                errors.Add($"{token}: IP address family is different from VIP {vipIp}");
                continue;
            }

            if (hasPort != (port != 0))
            {
                errors.Add(hasPort ? $"{token}: should be an IP address and a port number with : as a separator"
                                   : $"{token}: should be an IP address");
                continue;
            }

            formatted.Add(Format(ip, port, v6));
        }

        if (errors.Count > 0)
        {
            throw new FormatException(string.Join(", ", errors) + ".");
        }

        return (Format(vipIp, vipPort, v6), string.Join(',', formatted), hasPort);
    }

    private static string Format(string ip, int port, bool v6)
    {
        var s = new StringBuilder();
        s.Append(v6 && port != 0 ? $"[{ip}]" : ip);
        if (port != 0)
        {
            s.Append(':').Append(port);
        }

        return s.ToString();
    }
}
