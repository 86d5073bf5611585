using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ovnsim.Tests;

/// <summary>One packet of generated traffic: the step's name, the interface it goes in on, the frame and what it is.</summary>
internal sealed record TrafficStep(string Name, string Interface, byte[] Frame, string What);

/// <summary>
/// Random traffic for a <see cref="TopologySpec"/>, as a packets.tsv for tools/northd-golden.sh --controller: frames
/// that the topology's address plan makes meaningful (ARP and pings for router ports, switching and routing between
/// VMs with the next hop resolved afterwards, load balancer VIPs, TTL expiry, SNAT to the outside, and from the
/// uplink: ARP, pings and connections to floating IPs, VIPs and gateway ports; in dual-stack topologies also IPv6:
/// neighbour solicitations and advertisements, pings, routed SYNs, hop limit 1, and from the uplink). Interfaces are named as the script
/// names them: vif1, vif2, … for the VIF ports in name order, provnet for the uplink of every localnet port.
/// </summary>
internal sealed partial class TopologyTraffic
{
    private readonly TopologySpec _spec;
    private readonly Random _rng;
    private readonly List<Host> _vms = [];
    private readonly List<(int Router, int Switch)> _routerPorts = [];
    private readonly List<(string Ip, int Router)> _natExternals = [];
    private readonly List<(string Ip, int Port, string Protocol)> _vips = [];
    private readonly List<(string Ip, int Port, string Protocol)> _vips6 = [];
    private readonly List<int> _localnets;
    private readonly HashSet<int> _defaultRoutes = [];
    private readonly List<TrafficStep> _steps = [];
    private ushort _next = 1;

    /// <summary>A VM: its switch and port, interface, MAC and IPv4 address.</summary>
    private sealed record Host(int Switch, int Port, string Interface, string Mac, string Ip);

    private TopologyTraffic(TopologySpec spec, Random rng)
    {
        _spec = spec;
        _rng = rng;
        var vifs = new List<(int K, int J)>();
        for (int k = 0; k < spec.Switches.Count; k++)
        {
            for (int j = 0; j < spec.Switches[k].Ports.Count; j++)
            {
                if (spec.Switches[k].Ports[j].Kind != PortKind.Localport)
                {
                    vifs.Add((k, j));
                }
            }
        }

        // northd-golden.sh gives the VIF ports vif1, vif2, … in name order.
        var ordered = vifs.OrderBy(v => $"sw{v.K}-p{v.J}", StringComparer.Ordinal).ToList();
        for (int i = 0; i < ordered.Count; i++)
        {
            var (k, j) = ordered[i];
            _vms.Add(new Host(k, j, $"vif{i + 1}", $"0a:00:00:00:{k + 1:x2}:{j + 1:x2}", $"10.{k}.0.{10 + j}"));
        }

        for (int r = 0; r < spec.Routers.Count; r++)
        {
            foreach (int k in spec.Routers[r].Switches.Where(k => k < spec.Switches.Count))
            {
                _routerPorts.Add((r, k));
            }
        }

        _localnets = [.. Enumerable.Range(0, spec.Switches.Count).Where(k => spec.Switches[k].Localnet)];

        // The addresses the rendered commands actually configure (the renderer skips what ovn-nbctl would refuse).
        foreach (string line in spec.Render().Split('\n'))
        {
            if (NatLine().Match(line) is { Success: true } nat && nat.Groups[2].Value != "snat")
            {
                _natExternals.Add((nat.Groups[3].Value, int.Parse(nat.Groups[1].Value, CultureInfo.InvariantCulture)));
            }
            else if (LbLine().Match(line) is { Success: true } lb && !lb.Groups[1].Value.Contains(':', StringComparison.Ordinal))
            {
                _vips.Add((lb.Groups[1].Value, lb.Groups[2].Success ? int.Parse(lb.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
                    lb.Groups[3].Success ? lb.Groups[3].Value : "tcp"));
            }
            else if (LbLine6().Match(line) is { Success: true } lb6)
            {
                bool withPort = lb6.Groups[1].Success;
                _vips6.Add((withPort ? lb6.Groups[1].Value : lb6.Groups[3].Value,
                    withPort ? int.Parse(lb6.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
                    lb6.Groups[4].Success ? lb6.Groups[4].Value : "tcp"));
            }
            else if (RouteLine().Match(line) is { Success: true } route)
            {
                _defaultRoutes.Add(int.Parse(route.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>
    /// Logical flows northd gives one stage of one datapath with the same priority and match but other actions (as
    /// ovnsim's northd compiles the topology, which matches real northd's): ovn-controller installs one of them, the
    /// one its desired-flow table meets first, which follows the order of its SB rows and flow hashes and is not
    /// modelled. Two routers with one VIP on a switch do it (ls_in_l2_lkup's ARP for the VIP goes to either router).
    /// </summary>
    public static IEnumerable<string> FlowsOfOneMatch(TopologySpec spec)
    {
        var nb = Ovnsim.Ovsdb.Nbctl.NbctlScript.Run(spec.Render(), "topology.nbctl");
        return Ovnsim.Northd.NorthdCompiler.Compile(nb).Listing()
            .GroupBy(f => (f.Datapath, f.Pipeline, f.Table, f.Priority, f.Match))
            .Where(g => g.Select(f => f.Actions).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => $"table={g.Key.Table} priority={g.Key.Priority} match=({g.Key.Match})");
    }

    /// <summary>
    /// Whether a distributed NAT rule's external MAC is also the MAC of a VM on the router's gateway switch (the
    /// address plans can meet), where the two give that switch flows with the same match and priority.
    /// </summary>
    public static bool DistributedNatMacIsAVmMac(TopologySpec spec)
    {
        var vms = new TopologyTraffic(spec, new Random(0))._vms;
        foreach (string line in spec.Render().Split('\n'))
        {
            var words = line.Split(' ');
            if (NatLine().Match(line) is { Success: true } nat && words.Length >= 7
                && spec.Routers[int.Parse(nat.Groups[1].Value, CultureInfo.InvariantCulture)].Gateway is { } gateway
                && vms.Any(v => v.Switch == gateway && v.Mac == words[6]))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^lr-nat-add lr(\d+) (\S+) (\S+) ")]
    private static partial Regex NatLine();

    [GeneratedRegex(@"^lb-add lb\d+ ([0-9.]+)(?::(\d+))? ""[^""]*""(?: (tcp|udp))?")]
    private static partial Regex LbLine();

    [GeneratedRegex(@"^lb-add lb\d+ (?:\[([0-9a-f:]+)\]:(\d+)|([0-9a-f]*:[0-9a-f:]+)) ""[^""]*""(?: (tcp|udp))?")]
    private static partial Regex LbLine6();

    [GeneratedRegex(@"^lr-route-add lr(\d+) 0\.0\.0\.0/0 ")]
    private static partial Regex RouteLine();

    /// <summary>About <paramref name="count"/> steps of traffic (a step that needs a follow-up brings it along).</summary>
    public static List<TrafficStep> Generate(TopologySpec spec, Random rng, int count)
    {
        var t = new TopologyTraffic(spec, rng);
        for (int attempts = 0; t._steps.Count < count && attempts < count * 20; attempts++)
        {
            t.OneStep();
        }

        return t._steps;
    }

    /// <summary>The steps as packets.tsv.</summary>
    public static string Render(IEnumerable<TrafficStep> steps)
    {
        var s = new StringBuilder("step\tinterface\tframe\twhat\n");
        foreach (var step in steps)
        {
            s.Append(CultureInfo.InvariantCulture, $"{step.Name}\t{step.Interface}\t{Convert.ToHexString(step.Frame).ToLowerInvariant()}\t{step.What}\n");
        }

        return s.ToString();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

    /// <summary>Pairs of VMs on two switches of one router, with that router.</summary>
    private List<(Host Src, int Router, Host Dst)> RoutedPairs() =>
        [.. from a in _vms
            from via in _routerPorts
            where via.Switch == a.Switch
            from b in _vms
            where b.Switch != a.Switch && _routerPorts.Contains((via.Router, b.Switch))
            select (a, via.Router, b)];

    /// <summary>Each VM with a router port on its switch and each port of that router it can ping.</summary>
    private List<(Host Vm, (int Router, int Switch) Via, (int Router, int Switch) To)> RouterPortsReachable() =>
        [.. _vms.SelectMany(vm => _routerPorts.Where(p => p.Switch == vm.Switch)
            .SelectMany(p => _routerPorts.Where(q => q.Router == p.Router).Select(q => (vm, p, q))))];

    /// <summary>Each VM with each router on its switch.</summary>
    private List<(Host Vm, int Router)> VmsWithARouter() =>
        [.. _vms.SelectMany(vm => _routerPorts.Where(p => p.Switch == vm.Switch).Select(p => (vm, p.Router)))];

    private ushort NextId() => _next++;

    private void Add(string kind, string iface, byte[] frame, string what) =>
        _steps.Add(new TrafficStep($"{_steps.Count + 1:d2}-{kind}", iface, frame, what));

    private static byte[] Mac(string text) => TestFrames.Mac(text);

    private static uint Ip(string text) => TestFrames.Ip(text);

    private static string RouterMac(int r, int k) => $"00:00:00:00:{r + 1:x2}:{k + 1:x2}";

    private static string RouterIp(int r, int k) => $"10.{k}.0.{r + 1}";

    private const string Broadcast = "ff:ff:ff:ff:ff:ff";

    private void OneStep()
    {
        // Dual-stack topologies get IPv6 traffic a third of the time (the draw is made only for them, so that the
        // IPv4-only topologies of a seed keep their traffic).
        if (_spec.DualStack && _rng.Next(3) == 0)
        {
            OneStep6();
            return;
        }

        switch (_rng.Next(12))
        {
            case 0 or 1:
                ArpForRouter();
                break;
            case 2:
                SwitchedBetweenVms();
                break;
            case 3:
                PingRouter();
                break;
            case 4 or 5:
                RoutedBetweenVms();
                break;
            case 6:
                ToVip();
                break;
            case 7:
                TtlExpires();
                break;
            case 8:
                ToTheOutside();
                break;
            default:
                FromTheUplink();
                break;
        }
    }

    /// <summary>A VM and whom it asks for a MAC: a router on its switch, else a neighbour, else nobody (both null).</summary>
    private (Host Vm, int? Router, Host? Neighbour)? PickAsker()
    {
        if (_vms.Count == 0)
        {
            return null;
        }

        var vm = Pick(_vms);
        var ports = _routerPorts.Where(p => p.Switch == vm.Switch).ToList();
        return ports.Count > 0 ? (vm, Pick(ports).Router, null) : (vm, null, _vms.FirstOrDefault(v => v.Switch == vm.Switch && v != vm));
    }

    /// <summary>A VM asks for its router port's MAC (or, without one, for a neighbour's).</summary>
    private void ArpForRouter()
    {
        if (PickAsker() is not var (vm, router, neighbour))
        {
            return;
        }

        string target = router is { } r ? RouterIp(r, vm.Switch) : neighbour?.Ip ?? $"10.{vm.Switch}.0.99";
        Add("arp", vm.Interface, TestFrames.Arp(Mac(Broadcast), Mac(vm.Mac), 1, Mac(vm.Mac), Ip(vm.Ip), new byte[6], Ip(target)),
            $"ARP who-has {target} tell {vm.Ip}");
    }

    /// <summary>UDP from one VM to another on the same switch, or to a MAC nobody has.</summary>
    private void SwitchedBetweenVms()
    {
        if (_vms.Count == 0)
        {
            return;
        }

        var vm = Pick(_vms);
        var peers = _vms.Where(v => v.Switch == vm.Switch && v != vm).ToList();
        var peer = peers.Count > 0 && _rng.Next(4) > 0 ? Pick(peers) : null;
        var (mac, ip) = peer is not null ? (peer.Mac, peer.Ip) : ("0a:00:00:00:ee:ee", $"10.{vm.Switch}.0.98");
        ushort id = NextId();
        Add("udp", vm.Interface, TestFrames.Udp(Mac(mac), Mac(vm.Mac), Ip(vm.Ip), Ip(ip), (ushort)(20000 + id), 7), $"UDP {vm.Ip} -> {ip} ({mac})");
    }

    /// <summary>A VM pings one of its router's ports (its own subnet's or another's), over IPv4 or IPv6.</summary>
    private void PingRouter(bool v6 = false)
    {
        var choices = RouterPortsReachable();
        if (choices.Count == 0)
        {
            return;
        }

        var (host, via, to) = Pick(choices);
        ushort id = NextId();
        byte[] routerMac = Mac(RouterMac(via.Router, via.Switch)), hostMac = Mac(host.Mac);
        if (v6)
        {
            string dst6 = RouterIp6(to.Router, to.Switch);
            Add("ping6-router", host.Interface, TestFrames.Icmp6Echo(routerMac, hostMac, Ip6(Vm6(host)), Ip6(dst6), id, 1), $"{Vm6(host)} pings {dst6}");
            return;
        }

        string dst = RouterIp(to.Router, to.Switch);
        Add("ping-router", host.Interface, TestFrames.IcmpEcho(routerMac, hostMac, Ip(host.Ip), Ip(dst), id, 1), $"{host.Ip} pings {dst}");
    }

    /// <summary>
    /// A TCP SYN routed, over IPv4 or IPv6, from one VM to a VM on another of the router's switches (the router asks
    /// for the next hop), often followed by the destination's ARP reply or NA and its SYN-ACK back.
    /// </summary>
    private void RoutedBetweenVms(bool v6 = false)
    {
        var choices = RoutedPairs();
        if (choices.Count == 0)
        {
            return;
        }

        var (src, r, dst) = Pick(choices);
        ushort id = NextId();
        ushort sport = (ushort)(30000 + id);
        string srcIp = v6 ? Vm6(src) : src.Ip, dstIp = v6 ? Vm6(dst) : dst.Ip;
        byte[] Syn(string dstMac, string srcMac, string from, string to, ushort sp, ushort dp, byte flags, uint seq, uint ack) => v6
            ? TestFrames.Tcp6(Mac(dstMac), Mac(srcMac), Ip6(from), Ip6(to), sp, dp, flags, seq, ack)
            : TestFrames.Tcp(Mac(dstMac), Mac(srcMac), Ip(from), Ip(to), sp, dp, flags, seq, ack, id: id);

        Add(v6 ? "tcp6-routed" : "tcp-routed", src.Interface, Syn(RouterMac(r, src.Switch), src.Mac, srcIp, dstIp, sport, 80, 0x02, 1000, 0),
            $"SYN {srcIp} -> {dstIp} through lr{r}");
        if (_rng.Next(3) > 0)
        {
            string routerMac = RouterMac(r, dst.Switch);
            if (v6)
            {
                Add("na", dst.Interface, TestFrames.NdAdvert(Mac(routerMac), Mac(dst.Mac), Ip6(dstIp), Ip6(RouterIp6(r, dst.Switch))),
                    $"NA {dstIp} is-at {dst.Mac}");
            }
            else
            {
                Add("arp-reply", dst.Interface, TestFrames.Arp(Mac(routerMac), Mac(dst.Mac), 2, Mac(dst.Mac), Ip(dstIp), Mac(routerMac), Ip(RouterIp(r, dst.Switch))),
                    $"ARP reply {dstIp} is-at {dst.Mac}");
            }

            Add(v6 ? "tcp6-reply" : "tcp-reply", dst.Interface, Syn(routerMac, dst.Mac, dstIp, srcIp, 80, sport, 0x12, 5000, 1001),
                $"SYN-ACK {dstIp} -> {srcIp}");
        }
    }

    /// <summary>A VM connects to a load balancer VIP, IPv4 or IPv6 (through its router when it has one).</summary>
    private void ToVip(bool v6 = false)
    {
        var vips = v6 ? _vips6 : _vips;
        if (_vms.Count == 0 || vips.Count == 0)
        {
            return;
        }

        var vm = Pick(_vms);
        var (vip, port, protocol) = Pick(vips);
        var ports = _routerPorts.Where(p => p.Switch == vm.Switch).ToList();
        byte[] dstMac = Mac(ports.Count > 0 ? RouterMac(Pick(ports).Router, vm.Switch) : "0a:00:00:00:ee:ef"), srcMac = Mac(vm.Mac);
        ushort id = NextId();
        ushort sport = (ushort)(40000 + id), dport = port == 0 ? (ushort)80 : (ushort)port;
        byte[] frame = (v6, protocol) switch
        {
            (false, "udp") => TestFrames.Udp(dstMac, srcMac, Ip(vm.Ip), Ip(vip), sport, dport),
            (false, _) => TestFrames.Tcp(dstMac, srcMac, Ip(vm.Ip), Ip(vip), sport, dport, 0x02, 2000, 0, id: id),
            (true, "udp") => TestFrames.Udp6(dstMac, srcMac, Ip6(Vm6(vm)), Ip6(vip), sport, dport),
            (true, _) => TestFrames.Tcp6(dstMac, srcMac, Ip6(Vm6(vm)), Ip6(vip), sport, dport, 0x02, 2000, 0),
        };
        Add(v6 ? "vip6" : "vip", vm.Interface, frame, v6 ? $"{protocol} {Vm6(vm)} -> VIP [{vip}]:{dport}" : $"{protocol} {vm.Ip} -> VIP {vip}:{dport}");
    }

    /// <summary>A packet with TTL 1 sent through a router.</summary>
    private void TtlExpires()
    {
        var choices = VmsWithARouter();
        if (choices.Count == 0)
        {
            return;
        }

        var (vm, r) = Pick(choices);
        ushort id = NextId();
        Add("ttl1", vm.Interface, TestFrames.Udp(Mac(RouterMac(r, vm.Switch)), Mac(vm.Mac), Ip(vm.Ip), Ip("10.9.0.9"), (ushort)(50000 + id), 33434, ttl: 1),
            $"UDP with TTL 1 from {vm.Ip} through lr{r}");
    }

    /// <summary>A VM pings an address outside, through a router with a gateway (SNAT or a floating IP may apply).</summary>
    private void ToTheOutside()
    {
        var choices = _vms.SelectMany(vm => _routerPorts.Where(p => p.Switch == vm.Switch && _spec.Routers[p.Router].Gateway is not null)
            .Select(p => (vm, p.Router))).ToList();
        if (choices.Count == 0)
        {
            return;
        }

        var (vm, r) = Pick(choices);
        ushort id = NextId();
        string dst = _defaultRoutes.Contains(r) ? "8.8.8.8" : $"10.{_spec.Routers[r].Gateway}.0.250";
        Add("ping-out", vm.Interface, TestFrames.IcmpEcho(Mac(RouterMac(r, vm.Switch)), Mac(vm.Mac), Ip(vm.Ip), Ip(dst), id, 1),
            $"{vm.Ip} pings {dst} through lr{r}");
    }

    /// <summary>
    /// From a host on the uplink (a localnet switch's subnet): an ARP for a router port, floating IP or VIP, or a
    /// connection or ping to one (VLAN-tagged when the localnet port has a tag).
    /// </summary>
    private void FromTheUplink()
    {
        if (_localnets.Count == 0)
        {
            return;
        }

        int k = Pick(_localnets);
        string mac = $"52:54:00:00:{k + 1:x2}:fe", ip = $"10.{k}.0.250";
        var targets = new List<(string Ip, string? Mac, int Port)>();
        foreach (var (r, sw) in _routerPorts.Where(p => p.Switch == k))
        {
            targets.Add((RouterIp(r, k), RouterMac(r, k), 0));
            targets.AddRange(_natExternals.Where(n => n.Router == r).Select(n => (n.Ip, (string?)RouterMac(r, k), 22)));
        }

        string? gatewayMac = _routerPorts.Where(p => p.Switch == k).Select(p => RouterMac(p.Router, k)).FirstOrDefault();
        targets.AddRange(_vips.Select(v => (v.Ip, gatewayMac, v.Port == 0 ? 80 : v.Port)));
        targets.AddRange(_vms.Where(v => v.Switch == k).Select(v => (v.Ip, (string?)v.Mac, 0)));
        if (targets.Count == 0)
        {
            return;
        }

        var (target, targetMac, port) = Pick(targets);
        ushort id = NextId();
        byte[] frame;
        string what;
        switch (_rng.Next(3))
        {
            case 0:
                frame = TestFrames.Arp(Mac(Broadcast), Mac(mac), 1, Mac(mac), Ip(ip), new byte[6], Ip(target));
                what = $"ARP who-has {target} tell {ip}";
                break;
            case 1:
                frame = TestFrames.IcmpEcho(Mac(targetMac ?? Broadcast), Mac(mac), Ip(ip), Ip(target), id, 1);
                what = $"{ip} pings {target}";
                break;
            default:
                frame = TestFrames.Tcp(Mac(targetMac ?? Broadcast), Mac(mac), Ip(ip), Ip(target), (ushort)(45000 + id), (ushort)(port == 0 ? 80 : port), 0x02, 3000, 0, id: id);
                what = $"SYN {ip} -> {target}:{(port == 0 ? 80 : port)}";
                break;
        }

        AddFromUplink("uplink", k, frame, what);
    }

    private static UInt128 Ip6(string text) => TestFrames.Ip6(text);

    private static string Vm6(Host vm) => $"fd00:{vm.Switch}::{0x10 + vm.Port:x}";

    private static string RouterIp6(int r, int k) => $"fd00:{k}::{r + 1:x}";

    private void OneStep6()
    {
        // Only topologies with an IPv6 VIP draw from eight, so that the others keep their traffic.
        switch (_rng.Next(_vips6.Count > 0 ? 8 : 7))
        {
            case 7:
                ToVip(v6: true);
                break;
            case 0:
                SolicitRouter6();
                break;
            case 1:
                PingRouter(v6: true);
                break;
            case 2 or 3:
                RoutedBetweenVms(v6: true);
                break;
            case 4:
                HopLimitExpires6();
                break;
            default:
                FromTheUplink6();
                break;
        }
    }

    /// <summary>A VM solicits its router port's MAC (or, without one, a neighbour's).</summary>
    private void SolicitRouter6()
    {
        if (PickAsker() is not var (vm, router, neighbour))
        {
            return;
        }

        string target = router is { } r ? RouterIp6(r, vm.Switch) : neighbour is not null ? Vm6(neighbour) : $"fd00:{vm.Switch}::99";
        Add("ns", vm.Interface, TestFrames.NdSolicit(Mac(vm.Mac), Ip6(Vm6(vm)), Ip6(target)), $"NS who-has {target} tell {Vm6(vm)}");
    }

    /// <summary>A UDP datagram with hop limit 1 sent through a router.</summary>
    private void HopLimitExpires6()
    {
        var choices = VmsWithARouter();
        if (choices.Count == 0)
        {
            return;
        }

        var (vm, r) = Pick(choices);
        ushort id = NextId();
        Add("hop1", vm.Interface, TestFrames.Udp6(Mac(RouterMac(r, vm.Switch)), Mac(vm.Mac), Ip6(Vm6(vm)), Ip6("fd00:9::9"), (ushort)(50000 + id), 33434, hopLimit: 1),
            $"UDP with hop limit 1 from {Vm6(vm)} through lr{r}");
    }

    /// <summary>From a host on the uplink over IPv6: an NS for a router port or VM, or a ping or SYN to one.</summary>
    private void FromTheUplink6()
    {
        if (_localnets.Count == 0)
        {
            return;
        }

        int k = Pick(_localnets);
        string mac = $"52:54:00:00:{k + 1:x2}:fe", ip = $"fd00:{k}::fa";
        var targets = _routerPorts.Where(p => p.Switch == k).Select(p => (Ip: RouterIp6(p.Router, k), Mac: RouterMac(p.Router, k)))
            .Concat(_vms.Where(v => v.Switch == k).Select(v => (Ip: Vm6(v), v.Mac))).ToList();
        if (targets.Count == 0)
        {
            return;
        }

        var (target, targetMac) = Pick(targets);
        ushort id = NextId();
        byte[] frame;
        string what;
        switch (_rng.Next(3))
        {
            case 0:
                frame = TestFrames.NdSolicit(Mac(mac), Ip6(ip), Ip6(target));
                what = $"NS who-has {target} tell {ip}";
                break;
            case 1:
                frame = TestFrames.Icmp6Echo(Mac(targetMac), Mac(mac), Ip6(ip), Ip6(target), id, 1);
                what = $"{ip} pings {target}";
                break;
            default:
                frame = TestFrames.Tcp6(Mac(targetMac), Mac(mac), Ip6(ip), Ip6(target), (ushort)(45000 + id), 80, 0x02, 3000, 0);
                what = $"SYN {ip} -> [{target}]:80";
                break;
        }

        AddFromUplink("uplink6", k, frame, what);
    }

    /// <summary>A frame from the uplink host of localnet switch <paramref name="k"/>, tagged as its localnet port is.</summary>
    private void AddFromUplink(string kind, int k, byte[] frame, string what)
    {
        int? tag = _spec.Switches[k].LocalnetTag;
        Add(kind, "provnet", tag is { } t ? Tagged(frame, (ushort)t) : frame, what + (tag is { } v ? $" (VLAN {v})" : ""));
    }

    /// <summary>The frame with an 802.1Q tag inserted after the MACs.</summary>
    private static byte[] Tagged(byte[] frame, ushort vid)
    {
        var f = new byte[frame.Length + 4];
        frame.AsSpan(0, 12).CopyTo(f);
        f[12] = 0x81;
        f[13] = 0x00;
        f[14] = (byte)(vid >> 8);
        f[15] = (byte)vid;
        frame.AsSpan(12).CopyTo(f.AsSpan(16));
        return f;
    }
}
