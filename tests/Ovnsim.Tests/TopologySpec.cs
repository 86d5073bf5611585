using System.Globalization;
using System.Text;

namespace Ovnsim.Tests;

/// <summary>What kind of logical switch port a generated topology has.</summary>
internal enum PortKind
{
    Vif,
    Unknown,
    VifAndUnknown,
    MacOnly,
    Localport,
    Disabled,
}

internal sealed record PortSpec(PortKind Kind, bool PortSecurity);

internal sealed record SwitchSpec(List<PortSpec> Ports, bool Localnet, int? LocalnetTag);

/// <summary>A NAT rule: type, the VM it points at (switch, port), and whether it is distributed.</summary>
internal sealed record NatSpec(string Type, int Switch, int Port, bool Distributed);

/// <summary>
/// A router: the switches it has ports on (the first may be its distributed gateway), NAT rules, and whether it
/// routes to the other routers' subnets through shared switches.
/// </summary>
internal sealed record RouterSpec(List<int> Switches, int? Gateway, List<NatSpec> Nats, bool DefaultRoute, bool StaticRoutes,
                                  bool LearnFromArpRequest, int? GatewayMtu = null);

/// <summary>A VIP: family, L4 port (0 for IP-only) and the VMs behind it.</summary>
internal sealed record VipSpec(bool V6, int Port, List<(int Switch, int Port)> Backends);

internal sealed record LbSpec(string Protocol, List<VipSpec> Vips, List<int> Routers, List<int> Switches, List<string> Options);

/// <summary>
/// A random topology within the northd issue's scope, rendered as an ovn-nbctl command file. Addresses follow one
/// plan so every reference stays valid: switch k is 10.k.0.0/24 and fd00:k::/64, VM j on it is .1j, router r's port
/// on it is .(r+1), VIPs and floating IPs are .1xx of a gateway switch.
/// </summary>
internal sealed record TopologySpec(List<SwitchSpec> Switches, List<RouterSpec> Routers, List<LbSpec> Lbs, bool DualStack,
                                    List<string> GlobalOptions, List<string> ChassisOverrides)
{
    /// <summary>NB_Global options northd reads.</summary>
    private static readonly string[] GlobalOptionChoices =
        ["ignore_lsp_down=false", "use_ct_inv_match=false", "install_ls_lb_from_router=true", "controller_event=true"];

    /// <summary>Feature flags a chassis may lack (an older ovn-controller), which change northd's flows.</summary>
    private static readonly string[] ChassisChoices =
        ["ct-no-masked-label=false", "ovn-ct-lb-related=false", "mac-binding-timestamp=false"];

    /// <summary>Load balancer options northd reads.</summary>
    private static readonly string[] LbOptionChoices =
        ["skip_snat=true", "neighbor_responder=all", "neighbor_responder=none", "add_route=true", "reject=true", "event=true"];

    public static TopologySpec Random(Random rng)
    {
        bool dual = rng.Next(3) == 0;
        int nSwitches = rng.Next(1, 5);
        var switches = new List<SwitchSpec>();
        for (int k = 0; k < nSwitches; k++)
        {
            var ports = new List<PortSpec>();
            int nPorts = rng.Next(0, 5);
            for (int j = 0; j < nPorts; j++)
            {
                var kind = (PortKind)Weighted(rng, 8, 1, 1, 1, 1, 1);
                ports.Add(new PortSpec(kind, kind == PortKind.Vif && rng.Next(4) == 0));
            }

            bool localnet = rng.Next(3) == 0;
            switches.Add(new SwitchSpec(ports, localnet, localnet && rng.Next(3) == 0 ? rng.Next(1, 4095) : null));
        }

        var routers = new List<RouterSpec>();
        int nRouters = rng.Next(0, Math.Min(3, nSwitches + 1));
        for (int r = 0; r < nRouters; r++)
        {
            var attached = Enumerable.Range(0, nSwitches).Where(_ => rng.Next(2) == 0).ToList();
            if (attached.Count == 0)
            {
                attached.Add(rng.Next(nSwitches));
            }

            int? gateway = rng.Next(3) > 0 ? attached[rng.Next(attached.Count)] : null;
            var nats = new List<NatSpec>();
            if (gateway is not null)
            {
                int nNats = rng.Next(0, 4);
                for (int i = 0; i < nNats; i++)
                {
                    int sw = attached[rng.Next(attached.Count)];
                    string type = new[] { "snat", "dnat_and_snat", "dnat" }[rng.Next(3)];
                    nats.Add(new NatSpec(type, sw, rng.Next(0, Math.Max(1, switches[sw].Ports.Count)),
                        type == "dnat_and_snat" && rng.Next(2) == 0));
                }
            }

            routers.Add(new RouterSpec(attached, gateway, nats, gateway is not null && rng.Next(2) == 0, rng.Next(2) == 0,
                rng.Next(2) == 0, gateway is not null && rng.Next(3) == 0 ? 1200 + rng.Next(300) : null));
        }

        var lbs = new List<LbSpec>();
        int nLbs = rng.Next(0, 4);
        for (int i = 0; i < nLbs; i++)
        {
            string protocol = new[] { "tcp", "udp" }[rng.Next(2)];
            var vips = new List<VipSpec>();
            int nVips = rng.Next(1, 4);
            for (int v = 0; v < nVips; v++)
            {
                var backends = new List<(int, int)>();
                int nBackends = rng.Next(8) == 0 ? 0 : rng.Next(1, 4);
                for (int b = 0; b < nBackends; b++)
                {
                    int sw = rng.Next(nSwitches);
                    backends.Add((sw, rng.Next(0, Math.Max(1, switches[sw].Ports.Count))));
                }

                vips.Add(new VipSpec(dual && rng.Next(2) == 0, rng.Next(3) == 0 ? 0 : 1000 + rng.Next(100), backends));
            }

            lbs.Add(new LbSpec(protocol, vips,
                Enumerable.Range(0, nRouters).Where(_ => rng.Next(2) == 0).ToList(),
                Enumerable.Range(0, nSwitches).Where(_ => rng.Next(3) == 0).ToList(),
                Pick(rng, LbOptionChoices, 5)));
        }

        return new TopologySpec(switches, routers, lbs, dual, Pick(rng, GlobalOptionChoices, 4), Pick(rng, ChassisChoices, 5));
    }

    /// <summary>Each choice with probability 1/<paramref name="oneIn"/>, keys unique.</summary>
    private static List<string> Pick(Random rng, string[] choices, int oneIn)
    {
        var picked = new List<string>();
        foreach (string choice in choices)
        {
            string key = choice.Split('=')[0];
            if (rng.Next(oneIn) == 0 && !picked.Any(p => p.StartsWith(key + "=", StringComparison.Ordinal)))
            {
                picked.Add(choice);
            }
        }

        return picked;
    }

    private static int Weighted(Random rng, params int[] weights)
    {
        int pick = rng.Next(weights.Sum());
        for (int i = 0; i < weights.Length; i++)
        {
            if ((pick -= weights[i]) < 0)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>Smaller topologies: one switch, router, port, NAT, VIP or load balancer fewer.</summary>
    public IEnumerable<TopologySpec> Shrink()
    {
        for (int i = 0; i < Lbs.Count; i++)
        {
            yield return this with { Lbs = Without(Lbs, i) };
        }

        for (int r = 0; r < Routers.Count; r++)
        {
            yield return this with
            {
                Routers = Without(Routers, r),
                Lbs = [.. Lbs.Select(lb => lb with { Routers = [.. lb.Routers.Where(x => x != r).Select(x => x > r ? x - 1 : x)] })],
            };
        }

        for (int i = 0; i < Lbs.Count; i++)
        {
            for (int v = 0; v < Lbs[i].Vips.Count && Lbs[i].Vips.Count > 1; v++)
            {
                var lbs = Lbs.ToList();
                lbs[i] = Lbs[i] with { Vips = Without(Lbs[i].Vips, v) };
                yield return this with { Lbs = lbs };
            }
        }

        for (int r = 0; r < Routers.Count; r++)
        {
            for (int n = 0; n < Routers[r].Nats.Count; n++)
            {
                var routers = Routers.ToList();
                routers[r] = Routers[r] with { Nats = Without(Routers[r].Nats, n) };
                yield return this with { Routers = routers };
            }

            if (Routers[r].GatewayMtu is not null)
            {
                var routers = Routers.ToList();
                routers[r] = Routers[r] with { GatewayMtu = null };
                yield return this with { Routers = routers };
            }
        }

        for (int k = 0; k < Switches.Count; k++)
        {
            for (int j = 0; j < Switches[k].Ports.Count; j++)
            {
                var switches = Switches.ToList();
                switches[k] = Switches[k] with { Ports = Without(Switches[k].Ports, j) };
                yield return this with { Switches = switches };
            }
        }

        if (DualStack)
        {
            yield return this with { DualStack = false };
        }

        for (int i = 0; i < GlobalOptions.Count; i++)
        {
            yield return this with { GlobalOptions = Without(GlobalOptions, i) };
        }

        for (int i = 0; i < ChassisOverrides.Count; i++)
        {
            yield return this with { ChassisOverrides = Without(ChassisOverrides, i) };
        }

        for (int i = 0; i < Lbs.Count; i++)
        {
            for (int o = 0; o < Lbs[i].Options.Count; o++)
            {
                var lbs = Lbs.ToList();
                lbs[i] = Lbs[i] with { Options = Without(Lbs[i].Options, o) };
                yield return this with { Lbs = lbs };
            }
        }
    }

    private static List<T> Without<T>(List<T> list, int index) => [.. list.Where((_, i) => i != index)];

    public override string ToString() => Render();

    /// <summary>The ovn-nbctl command file.</summary>
    public string Render()
    {
        var s = new StringBuilder("# generated by NorthdDifferentialTests\n");
        if (ChassisOverrides.Count > 0)
        {
            s.Append("#! chassis-other-config ").AppendJoin(' ', ChassisOverrides).Append('\n');
        }

        foreach (string option in GlobalOptions)
        {
            s.Append("set NB_Global . options:").Append(option).Append('\n');
        }

        for (int k = 0; k < Switches.Count; k++)
        {
            var sw = Switches[k];
            s.Append(CultureInfo.InvariantCulture, $"ls-add sw{k}");
            if (k % 2 == 1)
            {
                s.Append(CultureInfo.InvariantCulture, $" -- set Logical_Switch sw{k} external_ids:neutron\\\\:network_name=net{k}");
            }

            s.Append('\n');
            for (int j = 0; j < sw.Ports.Count; j++)
            {
                var port = sw.Ports[j];
                string name = $"sw{k}-p{j}";
                string ips = $"{Mac(k, j)} {V4(k, 10 + j)}" + (DualStack ? $" {V6(k, 0x10 + j)}" : "");
                string line = port.Kind switch
                {
                    PortKind.Vif => $"lsp-add sw{k} {name} -- lsp-set-addresses {name} \"{ips}\"",
                    PortKind.Unknown => $"lsp-add sw{k} {name} -- lsp-set-addresses {name} unknown",
                    PortKind.VifAndUnknown => $"lsp-add sw{k} {name} -- lsp-set-addresses {name} \"{ips}\" unknown",
                    PortKind.MacOnly => $"lsp-add sw{k} {name} -- lsp-set-addresses {name} {Mac(k, j)}",
                    PortKind.Localport => $"lsp-add sw{k} {name} -- lsp-set-type {name} localport -- lsp-set-addresses {name} \"{ips}\"",
                    _ => $"lsp-add sw{k} {name} -- lsp-set-addresses {name} \"{ips}\" -- lsp-set-enabled {name} disabled",
                };
                if (port.PortSecurity)
                {
                    line += $" -- lsp-set-port-security {name} \"{ips}\"";
                }

                s.Append(line).Append('\n');
            }

            if (sw.Localnet)
            {
                s.Append(CultureInfo.InvariantCulture,
                    $"lsp-add sw{k} ln{k} -- lsp-set-type ln{k} localnet -- lsp-set-addresses ln{k} unknown -- lsp-set-options ln{k} network_name=physnet1\n");
                if (sw.LocalnetTag is { } tag)
                {
                    s.Append(CultureInfo.InvariantCulture, $"set Logical_Switch_Port ln{k} tag={tag}\n");
                }
            }
        }

        for (int r = 0; r < Routers.Count; r++)
        {
            var router = Routers[r];
            s.Append(CultureInfo.InvariantCulture, $"lr-add lr{r}\n");
            if (!router.LearnFromArpRequest)
            {
                s.Append(CultureInfo.InvariantCulture, $"set Logical_Router lr{r} options:always_learn_from_arp_request=false\n");
            }

            foreach (int k in router.Switches.Where(k => k < Switches.Count))
            {
                string lrp = $"lr{r}-sw{k}";
                string networks = $"{V4(k, r + 1)}/24" + (DualStack ? $" {V6(k, r + 1)}/64" : "");
                s.Append(CultureInfo.InvariantCulture, $"lrp-add lr{r} {lrp} 00:00:00:00:{r + 1:x2}:{k + 1:x2} {networks}\n");
                s.Append(CultureInfo.InvariantCulture,
                    $"lsp-add sw{k} sw{k}-lr{r} -- lsp-set-type sw{k}-lr{r} router -- lsp-set-addresses sw{k}-lr{r} router "
                    + $"-- lsp-set-options sw{k}-lr{r} router-port={lrp}\n");
                if (router.Gateway == k)
                {
                    s.Append(CultureInfo.InvariantCulture, $"lrp-set-gateway-chassis {lrp} hv1 1\n");
                    if (router.GatewayMtu is { } mtu)
                    {
                        s.Append(CultureInfo.InvariantCulture, $"set Logical_Router_Port {lrp} options:gateway_mtu={mtu}\n");
                    }
                }
            }

            if (router.Gateway is { } gw && gw < Switches.Count && router.Switches.Contains(gw))
            {
                var snatSubnets = new HashSet<int>();
                for (int n = 0; n < router.Nats.Count; n++)
                {
                    var nat = router.Nats[n];
                    if (nat.Switch >= Switches.Count || !router.Switches.Contains(nat.Switch))
                    {
                        continue;
                    }

                    string external = V4(gw, 100 + (r * 10) + n);
                    if (nat.Type == "snat")
                    {
                        if (!snatSubnets.Add(nat.Switch))
                        {
                            continue; // ovn-nbctl refuses a second snat for the same logical_ip
                        }

                        s.Append(CultureInfo.InvariantCulture, $"lr-nat-add lr{r} snat {external} 10.{nat.Switch}.0.0/24\n");
                        continue;
                    }

                    string logical = V4(nat.Switch, 10 + nat.Port);
                    bool vmExists = nat.Port < Switches[nat.Switch].Ports.Count;
                    string distributed = nat.Distributed && vmExists
                        ? $" sw{nat.Switch}-p{nat.Port} 0a:00:00:{r:x2}:{n:x2}:{nat.Switch:x2}" : "";
                    s.Append(CultureInfo.InvariantCulture, $"lr-nat-add lr{r} {nat.Type} {external} {logical}{distributed}\n");
                }

                if (router.DefaultRoute)
                {
                    s.Append(CultureInfo.InvariantCulture, $"lr-route-add lr{r} 0.0.0.0/0 {V4(gw, 254)}\n");
                }
            }

            if (router.StaticRoutes)
            {
                var prefixes = new HashSet<int>();
                // Reach other routers' switches through a switch both routers are on.
                for (int o = 0; o < Routers.Count; o++)
                {
                    if (o == r)
                    {
                        continue;
                    }

                    int? shared = router.Switches.Where(k => k < Switches.Count).Cast<int?>()
                        .FirstOrDefault(k => Routers[o].Switches.Contains(k!.Value));
                    if (shared is not { } via)
                    {
                        continue;
                    }

                    foreach (int k in Routers[o].Switches.Where(k => k < Switches.Count && !router.Switches.Contains(k) && prefixes.Add(k)))
                    {
                        s.Append(CultureInfo.InvariantCulture, $"lr-route-add lr{r} 10.{k}.0.0/24 {V4(via, o + 1)}\n");
                    }
                }
            }
        }

        for (int i = 0; i < Lbs.Count; i++)
        {
            var lb = Lbs[i];
            int gatewaySwitch = Routers.Select(r => r.Gateway).FirstOrDefault(g => g is not null && g < Switches.Count) ?? 0;
            bool any = false;
            for (int v = 0; v < lb.Vips.Count; v++)
            {
                var vip = lb.Vips[v];
                var backends = vip.Backends.Where(b => b.Switch < Switches.Count).ToList();
                if (backends.Count == 0 && vip.Backends.Count > 0)
                {
                    continue;
                }

                string Addr(int sw, int host, bool v6) => v6 ? V6(sw, host) : V4(sw, host);
                string WithPort(string ip, int port) => port == 0 ? ip : vip.V6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
                string vipText = WithPort(Addr(gatewaySwitch, 200 + (i * 10) + v, vip.V6), vip.Port);
                string backendText = string.Join(',', backends.Distinct()
                    .Select(b => WithPort(Addr(b.Switch, 10 + b.Port, vip.V6), vip.Port == 0 ? 0 : 8000 + b.Port)));
                string proto = vip.Port == 0 ? "" : " " + lb.Protocol;
                s.Append(CultureInfo.InvariantCulture, $"lb-add lb{i} {vipText} \"{backendText}\"{proto}\n");
                any = true;
            }

            if (!any)
            {
                continue;
            }

            foreach (string option in lb.Options)
            {
                s.Append(CultureInfo.InvariantCulture, $"set Load_Balancer lb{i} options:{option}\n");
            }

            foreach (int r in lb.Routers.Where(r => r < Routers.Count))
            {
                s.Append(CultureInfo.InvariantCulture, $"lr-lb-add lr{r} lb{i}\n");
            }

            foreach (int k in lb.Switches.Where(k => k < Switches.Count))
            {
                s.Append(CultureInfo.InvariantCulture, $"ls-lb-add sw{k} lb{i}\n");
            }
        }

        return s.ToString();
    }

    private static string Mac(int sw, int port) => $"0a:00:00:00:{sw + 1:x2}:{port + 1:x2}";

    private static string V4(int sw, int host) => $"10.{sw}.0.{host}";

    private static string V6(int sw, int host) => $"fd00:{sw}::{host:x}";
}
