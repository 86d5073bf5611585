using FsCheck.Xunit;
using Ovnsim.Engine;
using static Ovnsim.Tests.TestFrames;

namespace Ovnsim.Tests;

/// <summary>
/// The megaflow cache changes nothing but speed: random traffic on the seed topology (port forwarding, routed and
/// switched TCP, UDP, ICMP, ARP, TTL expiry, from the provider network and from both VMs), drawn from a small pool
/// so that packets repeat, gives the same frames on the same ports, the same conntrack entries, MAC bindings and
/// flow counters with the cache as without it; and what leaves has valid checksums.
/// </summary>
public sealed class MegaflowProperties
{
    private static readonly byte[] ExtMac = Mac("52:54:00:00:04:01"), ExtMac2 = Mac("52:54:00:00:04:02"),
        RouterExt = Mac("fa:16:3e:f7:37:0b"), RouterInt = Mac("fa:16:3e:d3:8c:20"),
        Vm1 = Mac("fa:16:3e:15:92:df"), Vm2 = Mac("fa:16:3e:b0:3f:bf"),
        Broadcast = Mac("ff:ff:ff:ff:ff:ff"), Zero = new byte[6];

    private static readonly string[] ExternalDestinations = ["172.24.4.111", "172.24.4.20", "172.24.4.99", "10.0.0.12"];
    private static readonly ushort[] FipPorts = [2221, 2222, 2223, 22];
    private static readonly byte[] TcpFlags = [0x02, 0x12, 0x10, 0x11, 0x04, 0x18];

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    private static (string Port, byte[] Frame) RandomPacket(Random r)
    {
        byte ttl = r.Next(8) == 0 ? (byte)1 : (byte)64;
        uint seq = Pick(r, new uint[] { 1000, 1001, 5000, 5001 }), ack = Pick(r, new uint[] { 0, 1001, 5001 });
        byte flags = Pick(r, TcpFlags);
        switch (r.Next(9))
        {
            case 0:
            case 1:
            {
                // From the provider network, mostly towards the floating IP's forwarded ports.
                uint src = Ip(r.Next(3) == 0 ? "172.24.4.2" : "172.24.4.1");
                var mac = src == Ip("172.24.4.1") ? ExtMac : ExtMac2;
                return ("provnet", Tcp(r.Next(6) == 0 ? Broadcast : RouterExt, mac, src, Ip(Pick(r, ExternalDestinations)), (ushort)(40000 + r.Next(2)), Pick(r, FipPorts), flags, seq, ack, ttl));
            }

            case 2:
                return ("provnet", r.Next(2) == 0
                    ? Udp(RouterExt, ExtMac, Ip("172.24.4.1"), Ip(Pick(r, ExternalDestinations)), 5353, Pick(r, FipPorts), ttl)
                    : IcmpEcho(RouterExt, ExtMac, Ip("172.24.4.1"), Ip(Pick(r, ExternalDestinations)), (ushort)r.Next(2), 1, ttl));
            case 3:
                return ("provnet", r.Next(2) == 0
                    ? Arp(Broadcast, ExtMac, 1, ExtMac, Ip("172.24.4.1"), Zero, Ip(Pick(r, ExternalDestinations)))
                    : Arp(RouterExt, ExtMac, 2, ExtMac, Ip("172.24.4.1"), RouterExt, Ip("172.24.4.20")));
            case 4:
            case 5:
            {
                // The VMs answering, or starting connections of their own (SNAT, or east-west).
                bool vm2 = r.Next(2) == 0;
                var mac = vm2 ? Vm2 : Vm1;
                uint src = Ip(vm2 ? "10.0.0.12" : "10.0.0.11");
                string dst = Pick(r, new[] { "172.24.4.1", "172.24.4.111", "10.0.0.11", "10.0.0.12", "8.8.8.8" });
                var dstMac = r.Next(5) == 0 ? Broadcast // flooded: to the other VM, and through the router (and its conntrack)
                    : dst.StartsWith("10.", StringComparison.Ordinal) ? (dst == "10.0.0.11" ? Vm1 : Vm2) : RouterInt;
                return (vm2 ? "vm2p" : "vm1p", Tcp(dstMac, mac, src, Ip(dst), Pick(r, new ushort[] { 22, 33000 }), (ushort)(40000 + r.Next(2)), flags, seq, ack, ttl));
            }

            case 6:
            {
                bool vm2 = r.Next(2) == 0;
                var mac = vm2 ? Vm2 : Vm1;
                uint src = Ip(vm2 ? "10.0.0.12" : "10.0.0.11");
                return (vm2 ? "vm2p" : "vm1p", r.Next(2) == 0
                    ? Udp(RouterInt, mac, src, Ip("172.24.4.1"), 33000, 53, ttl)
                    : IcmpEcho(RouterInt, mac, src, Ip(Pick(r, new[] { "172.24.4.1", "10.0.0.1" })), 7, 1, ttl));
            }

            default:
            {
                bool vm2 = r.Next(2) == 0;
                var mac = vm2 ? Vm2 : Vm1;
                uint src = Ip(vm2 ? "10.0.0.12" : "10.0.0.11");
                return (vm2 ? "vm2p" : "vm1p", Arp(Broadcast, mac, 1, mac, src, Zero, Ip(Pick(r, new[] { "10.0.0.1", "10.0.0.11", "10.0.0.12" }))));
            }
        }
    }

    private static string Describe(IEnumerable<OutputPacket> outputs) =>
        string.Join(", ", outputs.Select(o => $"{o.Port}:{Convert.ToHexString(o.Frame)}"));

    [Property(MaxTest = 30)]
    public void Cached_and_uncached_runs_send_the_same_frames_and_leave_the_same_state(int seed)
    {
        var r = new Random(seed);
        var pool = Enumerable.Range(0, 4 + r.Next(8)).Select(_ => RandomPacket(r)).ToList();
        var cached = SeedReplayTests.SeedSimulator();
        var uncached = SeedReplayTests.SeedSimulator();
        uncached.Bridge.UseMegaflows = false;
        long time = 1000;
        for (int i = 0; i < 50; i++)
        {
            var (port, frame) = Pick(r, pool);
            time += r.Next(4) * 700;
            string expected = Describe(uncached.Inject(port, frame, time));
            var outputs = cached.Inject(port, frame, time);
            Assert.Equal(expected, Describe(outputs));
            foreach (var o in outputs.Where(o => o.Frame.Length >= 34 && o.Frame[12] == 0x08 && o.Frame[13] == 0x00))
            {
                Assert.True(ChecksumsValid(o.Frame), $"bad checksum on {o.Port}: {Convert.ToHexString(o.Frame)}");
            }
        }

        Assert.Equal(uncached.Bridge.Conntrack.Dump().Order(StringComparer.Ordinal), cached.Bridge.Conntrack.Dump().Order(StringComparer.Ordinal));
        Assert.Equal(uncached.Southbound.MacBindings.Select(m => $"{m.LogicalPort} {m.Ip} {m.Mac}"),
            cached.Southbound.MacBindings.Select(m => $"{m.LogicalPort} {m.Ip} {m.Mac}"));
        Assert.Equal(uncached.Bridge.Flows.Select(f => $"{f.Flow.Table} {f.Flow.Priority} {f.Flow.MatchText} {f.Packets} {f.Bytes}"),
            cached.Bridge.Flows.Select(f => $"{f.Flow.Table} {f.Flow.Priority} {f.Flow.MatchText} {f.Packets} {f.Bytes}"));
        Assert.True(cached.Bridge.MegaflowHits > 0, "no pass was replayed from the cache");
    }

    /// <summary>
    /// The same equivalence on every golden packet topology (select groups by dp_hash and by field hash, hairpin,
    /// ACL rejects, ND, distributed floating IPs): random sequences drawn from the topology's own input frames, with
    /// the TCP/UDP source port sometimes changed so that new connections and new megaflows appear.
    /// </summary>
    [Property(MaxTest = 30)]
    public void Cached_and_uncached_runs_agree_on_every_golden_topology(int seed)
    {
        var r = new Random(seed);
        var topologies = Directory.GetDirectories(TestData.Path("packets")).Order(StringComparer.Ordinal).ToList();
        string dir = topologies[r.Next(topologies.Count)];
        var inputs = File.ReadAllLines(Path.Combine(dir, "packets.tsv")).Skip(1).Select(l => l.Split('\t'))
            .Select(f => (Port: f[1], Frame: Convert.FromHexString(f[2]))).ToList();
        var cached = PacketGoldenTests.Load(dir);
        var uncached = PacketGoldenTests.Load(dir);
        uncached.Bridge.UseMegaflows = false;
        long time = 1000;
        for (int i = 0; i < 40; i++)
        {
            var (port, original) = inputs[r.Next(inputs.Count)];
            var frame = (byte[])original.Clone();
            if (r.Next(3) == 0)
            {
                WithSourcePort(frame, (ushort)(30000 + r.Next(4)));
            }

            time += r.Next(3) * 500;
            string expected = Describe(uncached.Inject(port, frame, time));
            Assert.Equal(expected, Describe(cached.Inject(port, frame, time)));
        }

        Assert.Equal(uncached.Bridge.Conntrack.Dump().Order(StringComparer.Ordinal), cached.Bridge.Conntrack.Dump().Order(StringComparer.Ordinal));
        Assert.Equal(uncached.Southbound.MacBindings.Select(m => $"{m.LogicalPort} {m.Ip} {m.Mac}"),
            cached.Southbound.MacBindings.Select(m => $"{m.LogicalPort} {m.Ip} {m.Mac}"));
        Assert.Equal(uncached.Bridge.Flows.Select(f => $"{f.Flow.Table} {f.Flow.Priority} {f.Flow.MatchText} {f.Packets} {f.Bytes}"),
            cached.Bridge.Flows.Select(f => $"{f.Flow.Table} {f.Flow.Priority} {f.Flow.MatchText} {f.Packets} {f.Bytes}"));
    }

    /// <summary>Rewrites an IPv4 or IPv6 TCP/UDP frame's source port, fixing the transport checksum.</summary>
    private static void WithSourcePort(byte[] f, ushort port)
    {
        int type = (f[12] << 8) | f[13];
        int l4 = type == 0x0800 ? 14 + ((f[14] & 0xf) * 4) : type == 0x86dd ? 54 : -1;
        byte proto = type == 0x0800 ? f[23] : type == 0x86dd ? f[20] : (byte)0;
        if (l4 < 0 || proto is not (6 or 17) || f.Length < l4 + 8)
        {
            return;
        }

        int csumAt = l4 + (proto == 6 ? 16 : 6);
        int old = (f[l4] << 8) | f[l4 + 1];
        int sum = (~((f[csumAt] << 8) | f[csumAt + 1]) & 0xffff) + (~old & 0xffff) + port;
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        f[l4] = (byte)(port >> 8);
        f[l4 + 1] = (byte)port;
        f[csumAt] = (byte)(~sum >> 8);
        f[csumAt + 1] = (byte)~sum;
    }
}
