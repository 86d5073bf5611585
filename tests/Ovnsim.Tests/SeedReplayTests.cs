using Ovnsim.Capture;
using Ovnsim.Engine;
using Ovnsim.Ovsdb;

namespace Ovnsim.Tests;

/// <summary>
/// The seed's seven packets, injected in order as the reference run injected them into real OVS + OVN
/// (Data/seed/pcap, from ../shared/reference/seed/pcap), give exactly the frames real OVS sent on each interface,
/// byte for byte, and the same conntrack entries and MAC bindings after each step.
/// </summary>
public sealed class SeedReplayTests
{
    private static readonly string[] Interfaces = ["provnet", "vm1p", "vm2p"];

    internal static Simulator SeedSimulator()
    {
        var sb = DatabaseSources.LoadSouthbound(TestData.Seed("sb.db"));
        var ovs = DatabaseSources.LoadOpenVswitch(TestData.Seed("conf.db"));
        var sim = new Simulator(sb, Ovnsim.OpenFlow.Hypervisor.FromOpenVswitch(ovs));
        sim.AddAliases(ovs);
        return sim;
    }

    internal static IEnumerable<(string Name, string Iface, byte[] Frame, long TimeNs)> Steps()
    {
        foreach (string line in File.ReadAllLines(TestData.Seed("pcap/inputs.tsv")).Skip(1))
        {
            var f = line.Split('\t');
            var p = PcapReader.ReadAll(TestData.Seed($"pcap/{f[2]}")).Single();
            yield return (f[0], f[1], p.Data, p.TimestampNs);
        }
    }

    [Fact]
    public void Each_step_sends_exactly_the_reference_frames_on_each_interface()
    {
        var sim = SeedSimulator();
        var failures = new List<string>();
        foreach (var (name, iface, frame, time) in Steps())
        {
            var outputs = sim.Inject(iface, frame, time / 1_000_000);
            foreach (string tx in Interfaces)
            {
                string port = sim.Resolve(tx);
                string expectedFile = TestData.Seed($"pcap/out-{name}-{tx}-tx.pcap");
                var expected = File.Exists(expectedFile) ? PcapReader.ReadAll(expectedFile).Select(p => Convert.ToHexString(p.Data)).ToList() : [];
                var actual = outputs.Where(o => o.Port == port).Select(o => Convert.ToHexString(o.Frame)).ToList();
                if (!expected.SequenceEqual(actual))
                {
                    failures.Add($"step {name} on {tx}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]; events: {string.Join("; ", sim.Events)}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData(9_900, true)]
    [InlineData(10_100, false)]
    public void The_held_syn_ack_goes_out_with_the_arp_reply_only_within_ten_seconds(long delayMs, bool released)
    {
        // pinctrl keeps a held packet 10 s after the last one for its next hop (buffered_packets_map_gc, run by the
        // main loop before the learnt MAC_Binding row reaches run_buffered_binding).
        var sim = SeedSimulator();
        var steps = Steps().ToList();
        long synAck = 0;
        var outputs = new List<OutputPacket>();
        foreach (var (name, iface, frame, time) in steps.Take(4))
        {
            long at = name == "04-arp-reply-ext-gw" ? synAck + delayMs : time / 1_000_000;
            if (name == "03-synack-from-vm2")
            {
                synAck = at;
            }

            outputs = [.. sim.Inject(iface, frame, at)];
        }

        string provnet = sim.Resolve("provnet");
        bool sent = outputs.Any(o => o.Port == provnet && o.Frame.Length > 34 && o.Frame[23] == 6);
        Assert.Equal(released, sent);
        Assert.Contains(sim.Southbound.MacBindings, m => m.Ip == "172.24.4.1");
    }

    [Fact]
    public void Conntrack_and_mac_bindings_after_each_step_are_the_reference_ones()
    {
        var sim = SeedSimulator();
        var steps = ReferenceState();
        var failures = new List<string>();
        foreach (var (name, iface, frame, time) in Steps())
        {
            sim.Inject(iface, frame, time / 1_000_000);
            var (conntrack, bindings) = steps[name];
            var ct = sim.Bridge.Conntrack.Dump().Order(StringComparer.Ordinal).ToList();
            if (!ct.SequenceEqual(conntrack.Order(StringComparer.Ordinal)))
            {
                failures.Add($"{name} conntrack: expected [{string.Join(" | ", conntrack)}] got [{string.Join(" | ", ct)}]");
            }

            var mb = sim.Southbound.MacBindings.Select(m => $"{m.LogicalPort} {m.Ip} {m.Mac}").ToList();
            if (!mb.SequenceEqual(bindings))
            {
                failures.Add($"{name} MAC bindings: expected [{string.Join(" | ", bindings)}] got [{string.Join(" | ", mb)}]");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The conntrack lines and MAC_Binding rows steps.txt records after each step.</summary>
    private static Dictionary<string, (List<string> Conntrack, List<string> Bindings)> ReferenceState()
    {
        var result = new Dictionary<string, (List<string>, List<string>)>();
        string? step = null;
        string section = "";
        string? port = null, ip = null;
        foreach (string line in File.ReadAllLines(TestData.Seed("pcap/steps.txt")))
        {
            if (line.StartsWith("STEP ", StringComparison.Ordinal))
            {
                step = line[5..line.IndexOf(':', StringComparison.Ordinal)];
                result[step] = ([], []);
                section = "";
            }
            else if (line.StartsWith("---", StringComparison.Ordinal))
            {
                section = line;
            }
            else if (step is not null && section.Contains("dump-conntrack", StringComparison.Ordinal) && line.Length > 0)
            {
                result[step].Item1.Add(line);
            }
            else if (step is not null && section.Contains("MAC_Binding", StringComparison.Ordinal) && line.Contains(':', StringComparison.Ordinal))
            {
                string key = line[..line.IndexOf(':', StringComparison.Ordinal)].Trim();
                string value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Trim('"');
                if (key == "logical_port")
                {
                    port = value;
                }
                else if (key == "ip")
                {
                    ip = value;
                }
                else if (key == "mac")
                {
                    result[step].Item2.Add($"{port} {ip} {value}");
                }
            }
        }

        return result;
    }
}
