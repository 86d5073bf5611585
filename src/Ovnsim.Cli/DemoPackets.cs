using Ovnsim.Capture;
using Ovnsim.Engine;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Cli;

/// <summary>The packet part of <c>ovnsim demo</c>: the seed's seven packets, step by step.</summary>
internal static partial class Commands
{
    /// <summary>Longest actions text shown for a step of a logical path.</summary>
    private const int ActionsShown = 90;

    /// <summary>
    /// Injects the seed's seven packets (the reference run's inputs) one after another and shows, for each, the packet
    /// in, the logical flows it went through that did something (stage by stage; the <c>next;</c> flows left out),
    /// the packets out and the conntrack entries; writes each port's output pcap to <paramref name="outDir"/>.
    /// </summary>
    private static void DemoPackets(SouthboundDatabase sb, Ovnsim.OpenFlow.Hypervisor hv, string outDir, TextWriter stdout)
    {
        var sim = new Simulator(sb, hv) { RecordPath = true };
        var steps = ReadResource("seed/packets/steps.tsv").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.TrimEnd('\r').Split('\t')).ToList();
        stdout.WriteLine($"5. The seed's {steps.Count} packets, one after another, through that br-int with conntrack and ovn-controller:");
        Directory.CreateDirectory(outDir);
        var writers = sim.Ports.ToDictionary(p => p, p => PcapWriter.Create(Path.Combine(outDir, SafeName(sim.NamesOf(p) is [var n, ..] ? n : p) + ".pcap")), StringComparer.Ordinal);
        try
        {
            foreach (var step in steps)
            {
                var (name, port, file, what) = (step[0], step[1], step[2], step[3]);
                CapturedPacket packet;
                using (var reader = new PcapReader(OpenResource($"seed/packets/{file}"), file))
                {
                    packet = reader.Next() ?? throw new InvalidDataException($"{file}: no packet");
                }

                stdout.WriteLine();
                stdout.WriteLine($"   Step {name}: {what}");
                stdout.WriteLine($"     in  {Label(sim, sim.Resolve(port))}: {PacketDecode.Summary(packet.Data)}");
                var outputs = sim.Inject(port, packet.Data, packet.TimestampNs / 1_000_000);
                ShowPath(sim.LastPath, stdout);
                switch (sim.LastFate.Kind)
                {
                    case FateKind.Dropped:
                        stdout.WriteLine($"     dropped in {sim.LastFate.Stage}: {sim.LastFate.Reason}");
                        break;
                    case FateKind.Controller:
                        stdout.WriteLine($"     to ovn-controller: {sim.LastFate.Stage}");
                        break;
                }

                foreach (string e in sim.Events)
                {
                    stdout.WriteLine($"     {e}");
                }

                foreach (var o in outputs)
                {
                    stdout.WriteLine($"     out {Label(sim, o.Port)}: {PacketDecode.Summary(o.Frame)}");
                    writers[o.Port].Write(packet.TimestampNs, o.Frame);
                }

                if (outputs.Count == 0)
                {
                    stdout.WriteLine("     out: nothing");
                }

                var ct = sim.Bridge.Conntrack.Dump().ToList();
                stdout.WriteLine(ct.Count == 0 ? "     conntrack: empty" : "     conntrack (as 'ovs-appctl dpctl/dump-conntrack' prints it):");
                foreach (string entry in ct)
                {
                    stdout.WriteLine($"       {entry}");
                }
            }
        }
        finally
        {
            foreach (var w in writers.Values)
            {
                w.Dispose();
            }
        }

        stdout.WriteLine();
        stdout.WriteLine($"   What left each port is in {Path.GetFullPath(outDir)} (one pcap per port; open them with tcpdump -r or Wireshark).");
        stdout.WriteLine("   Your own pcaps: ovnsim replay --nb FILE --in PORT=FILE.pcap --out DIR [--expect DIR] (see ovnsim --help).");
    }

    private static string Label(Simulator sim, string port) => sim.NamesOf(port) is [var name, ..] ? name : port;

    /// <summary>The logical flows of a path that did more than <c>next;</c>, a header line whenever the datapath or
    /// pipeline changes, and a note where conntrack recirculated the packet.</summary>
    private static void ShowPath(IReadOnlyList<PathStep> path, TextWriter stdout)
    {
        string? where = null;
        int pass = 0;
        foreach (var s in path)
        {
            if (s.Pass != pass)
            {
                pass = s.Pass;
                stdout.WriteLine("         (back from conntrack: recirculated)");
            }

            string here = $"{s.Datapath} {s.Pipeline}";
            if (here != where)
            {
                where = here;
                stdout.WriteLine($"     {here}:");
            }

            string actions = s.Actions.Trim();
            if (actions == "next;" || (s.Priority == 0 && actions.StartsWith("next", StringComparison.Ordinal)))
            {
                continue;
            }

            if (actions.Length > ActionsShown)
            {
                actions = actions[..(ActionsShown - 1)] + "…";
            }

            stdout.WriteLine($"       {s.Stage} ({s.Priority}): {actions}");
        }
    }
}
