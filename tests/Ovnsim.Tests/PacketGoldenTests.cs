using Ovnsim.Capture;
using Ovnsim.Engine;
using Ovnsim.Ovsdb;

namespace Ovnsim.Tests;

/// <summary>
/// Golden packet runs of the real OVS + OVN (Data/packets, made by tools/northd-golden.sh --controller from each
/// topology's commands.nbctl and packets.tsv): injected in the same order into ovnsim with the run's own SB and
/// Open_vSwitch databases, every step sends exactly the frames the real run sent on each interface, and leaves the
/// same conntrack entries, MAC bindings and FDB entries.
/// </summary>
public sealed class PacketGoldenTests
{
    public static TheoryData<string> Topologies() =>
        new(Directory.GetDirectories(TestData.Path("packets")).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal)!);

    /// <summary>The runs that also saved br-int and the SB after their last step.</summary>
    public static TheoryData<string> TopologiesWithStateAfter() =>
        new(Directory.GetDirectories(TestData.Path("packets")).Where(d => File.Exists(System.IO.Path.Combine(d, "openflow-after.txt")))
            .Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal)!);

    private sealed record StepState(string Name, Dictionary<string, long> TxBytes, List<string> Conntrack, List<string> Bindings, List<string> Fdb)
    {
        /// <summary>When the step's frame went in, in ms after the first step's.</summary>
        public long AtMs { get; set; }
    }

    /// <summary>steps.txt: the start, then each step's state.</summary>
    private static List<StepState> ReadSteps(string file)
    {
        var steps = new List<StepState>();
        foreach (string line in File.ReadAllLines(file))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string kind = line[..space], rest = line[(space + 1)..];
            switch (kind)
            {
                case "step":
                    steps.Add(new StepState(rest, [], [], [], []));
                    break;
                case "at":
                    steps[^1].AtMs = long.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "tx":
                    var parts = rest.Split(' ');
                    steps[^1].TxBytes[parts[0]] = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "conntrack":
                    steps[^1].Conntrack.Add(rest);
                    break;
                case "mac-binding":
                    steps[^1].Bindings.Add(rest.Replace("\"", "", StringComparison.Ordinal));
                    break;
                case "fdb":
                    steps[^1].Fdb.Add(rest.Replace("\"", "", StringComparison.Ordinal));
                    break;
                default:
                    throw new FormatException($"{file}: unknown line {line}");
            }
        }

        return steps;
    }

    /// <summary>The frames of a pcap with the byte offset at which each record ends, and its time.</summary>
    private static List<(long End, string Hex, long TimeNs)> Frames(string file)
    {
        var frames = new List<(long, string, long)>();
        long offset = 24;
        foreach (var p in PcapReader.ReadAll(file))
        {
            offset += 16 + p.Data.Length;
            frames.Add((offset, Convert.ToHexString(p.Data), p.TimestampNs));
        }

        return frames;
    }

    /// <summary>A simulator of the run's own SB and hypervisor databases, with its interface names.</summary>
    internal static Simulator Load(string dir)
    {
        var ovs = DatabaseSources.LoadOpenVswitch(System.IO.Path.Combine(dir, "conf.db"));
        var sim = new Simulator(DatabaseSources.LoadSouthbound(System.IO.Path.Combine(dir, "sb.db")),
            Ovnsim.OpenFlow.Hypervisor.FromOpenVswitch(ovs));
        sim.AddAliases(ovs);
        return sim;
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public void Announcements_are_the_gratuitous_arps_real_ovn_controller_sent_after_start(string topology)
    {
        var differences = CompareAnnouncements(TestData.Path("packets", topology));
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    /// <summary>
    /// How the gratuitous ARPs and RARPs ovnsim announces after start differ, interface by interface and round by
    /// round (the first frame's time + 0, 2, 6, 14 and 30 s), from what a real run sent before its first step.
    /// </summary>
    internal static List<string> CompareAnnouncements(string dir)
    {
        var sim = Load(dir);
        sim.AnnounceAddresses(0);
        var outputs = sim.AdvanceTo(60_000);
        var start = ReadSteps(System.IO.Path.Combine(dir, "steps.txt"))[0];
        var differences = new List<string>();
        foreach (var (iface, bytes) in start.TxBytes.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var real = Frames(System.IO.Path.Combine(dir, $"tx-{iface}.pcap")).Where(f => f.End <= bytes).ToList();
            long t0 = real.Count > 0 ? real[0].TimeNs : 0;
            string Rounds(IEnumerable<(long Ms, string Hex)> frames) => string.Join("\n", frames
                .GroupBy(f => new long[] { 0, 2000, 6000, 14000, 30000 }.MinBy(r => Math.Abs(r - f.Ms)))
                .Select(g => $"{g.Key}: {string.Join(" ", g.Select(f => f.Hex).Order(StringComparer.Ordinal))}"));
            string? port = sim.TryResolve(iface, out var p) ? p : null;
            string expected = Rounds(real.Select(f => ((f.TimeNs - t0) / 1_000_000, f.Hex)));
            string actual = Rounds(outputs.Where(o => LeftBy(o, iface, port)).Select(o => (o.AtMs!.Value, Convert.ToHexString(o.Frame))));
            if (expected != actual)
            {
                differences.Add($"announcements on {iface}: expected\n{expected}\ngot\n{actual}");
            }
        }

        return differences;
    }

    /// <summary>Whether <paramref name="output"/> left by interface <paramref name="iface"/>, which stands for <paramref name="port"/>.</summary>
    private static bool LeftBy(OutputPacket output, string iface, string? port) =>
        output.Interface is null ? output.Port == port : output.Interface == iface;

    [Theory]
    [MemberData(nameof(Topologies))]
    public void Each_step_sends_what_the_real_run_sent_and_leaves_the_same_state(string topology)
    {
        var failures = CompareSteps(TestData.Path("packets", topology));
        if (Environment.GetEnvironmentVariable("OVNSIM_GOLDEN_REPORT") is { } report)
        {
            File.WriteAllText(System.IO.Path.Combine(report, $"{topology}.txt"), string.Join("\n", failures));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Injects a real run's steps (packets.tsv, steps.txt and the tx pcaps of tools/northd-golden.sh --controller)
    /// into ovnsim one by one; returns how each step's frames, conntrack entries, MAC bindings and FDB entries
    /// differ from the real run's (nothing when they agree).
    /// </summary>
    /// <param name="dir">The run's directory.</param>
    /// <param name="ordered">Whether each interface's frames of a step must come in the real order (false: as a
    /// multiset, for runs where a provider bridge floods to several localnets: NORMAL floods in the order of a hash
    /// of its ports' addresses in memory, which no replay can know).</param>
    internal static List<string> CompareSteps(string dir, bool ordered = true)
    {
        var sim = Load(dir);
        var steps = ReadSteps(System.IO.Path.Combine(dir, "steps.txt"));
        var interfaces = steps[0].TxBytes.Keys.Order(StringComparer.Ordinal).ToList();
        var frames = interfaces.ToDictionary(i => i, i => Frames(System.IO.Path.Combine(dir, $"tx-{i}.pcap")));
        var inputs = File.ReadAllLines(System.IO.Path.Combine(dir, "packets.tsv")).Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal(inputs.Count, steps.Count - 1);

        // The run waited out ovn-controller's announcements (0 to 30 s after it started) before the first step: what
        // they taught (MAC bindings, FDB entries, a provider bridge's MACs) is there when the steps begin.
        const long firstStepMs = 35_000;
        var failures = new List<string>();
        sim.AnnounceAddresses(0);
        sim.AdvanceTo(firstStepMs);
        CompareState(sim, steps[0], failures);
        for (int s = 1; s < steps.Count; s++)
        {
            var (name, iface, hex) = (inputs[s - 1][0], inputs[s - 1][1], inputs[s - 1][2]);
            Assert.Equal(name, steps[s].Name);
            var outputs = sim.Inject(iface, Convert.FromHexString(hex), firstStepMs + steps[s].AtMs);
            foreach (string tx in interfaces)
            {
                var expected = frames[tx].Where(f => f.End > steps[s - 1].TxBytes[tx] && f.End <= steps[s].TxBytes[tx]).Select(f => f.Hex).ToList();
                // An uplink whose topology has no localnet port stands for no logical port: nothing can leave there.
                string? port = sim.TryResolve(tx, out var p) ? p : null;
                var actual = outputs.Where(o => LeftBy(o, tx, port)).Select(o => Convert.ToHexString(o.Frame)).ToList();
                if (ordered ? !expected.SequenceEqual(actual) : !expected.Order(StringComparer.Ordinal).SequenceEqual(actual.Order(StringComparer.Ordinal)))
                {
                    failures.Add($"{name} on {tx}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]"
                        + (sim.Events.Count > 0 ? $"; events: {string.Join("; ", sim.Events)}" : ""));
                }
            }

            CompareState(sim, steps[s], failures);
        }

        return failures;
    }

    /// <summary>How ovnsim's conntrack entries, MAC bindings and FDB entries differ from a step's in the real run.</summary>
    private static void CompareState(Simulator sim, StepState step, List<string> failures)
    {
        string name = step.Name;
        var conntrack = sim.Bridge.Conntrack.Dump().Order(StringComparer.Ordinal).ToList();
        if (!conntrack.SequenceEqual(step.Conntrack.Order(StringComparer.Ordinal)))
        {
            failures.Add($"{name} conntrack: expected [{string.Join(" | ", step.Conntrack)}] got [{string.Join(" | ", conntrack)}]");
        }

        var bindings = sim.Southbound.MacBindings.Select(m => $"{m.LogicalPort},{m.Ip},{m.Mac}").Order(StringComparer.Ordinal).ToList();
        if (!bindings.SequenceEqual(step.Bindings.Order(StringComparer.Ordinal)))
        {
            failures.Add($"{name} MAC bindings: expected [{string.Join(" | ", step.Bindings)}] got [{string.Join(" | ", bindings)}]");
        }

        var fdb = sim.Southbound.Fdb.Select(f => $"{f.Mac},{f.DpKey},{f.PortKey}").Order(StringComparer.Ordinal).ToList();
        if (!fdb.SequenceEqual(step.Fdb.Order(StringComparer.Ordinal)))
        {
            failures.Add($"{name} FDB: expected [{string.Join(" | ", step.Fdb)}] got [{string.Join(" | ", fdb)}]");
        }
    }

    /// <summary>
    /// br-int as ovnsim builds it from the SB the real run ended with (MAC_Binding and FDB rows ovn-controller wrote
    /// while the steps ran) is what the real ovn-controller had installed by then, every table, line for line.
    /// </summary>
    [Theory]
    [MemberData(nameof(TopologiesWithStateAfter))]
    public void Br_int_after_the_steps_is_what_real_ovn_controller_installed_for_what_it_learnt(string topology)
    {
        string dir = TestData.Path("packets", topology);
        var sb = DatabaseSources.LoadSouthbound(System.IO.Path.Combine(dir, "sb-after.db"));
        var hv = Ovnsim.OpenFlow.Hypervisor.FromOpenVswitch(DatabaseSources.LoadOpenVswitch(System.IO.Path.Combine(dir, "conf.db")));
        var br = Ovnsim.OpenFlow.IntegrationBridge.Build(sb, hv);
        var realGroups = GroupTexts.Real(dir);
        var real = File.ReadLines(System.IO.Path.Combine(dir, "openflow-after.txt")).Where(l => l.StartsWith(' '))
            .Select(l => GroupTexts.Inline(l, realGroups)).ToHashSet(StringComparer.Ordinal);
        var ours = br.Flows.Select(f => GroupTexts.Inline(f.ToOfctlLine(), br.Groups)).ToHashSet(StringComparer.Ordinal);
        var differences = real.Except(ours).Select(l => "real only:   " + l)
            .Concat(ours.Except(real).Select(l => "ovnsim only: " + l)).Order(StringComparer.Ordinal).ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} differ:\n{string.Join("\n", differences.Take(20))}");
    }
}
