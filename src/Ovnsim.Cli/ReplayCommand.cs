using System.Diagnostics;
using System.Globalization;
using Ovnsim.Capture;
using Ovnsim.Engine;

namespace Ovnsim.Cli;

/// <summary><c>ovnsim replay</c> and <c>ovnsim conntrack</c>: capture files through a simulated chassis.</summary>
internal static partial class Commands
{
    /// <summary>Exit status of a replay whose outputs differ from --expect's.</summary>
    public const int ExpectFailed = 3;

    /// <summary>Most controller event lines a replay prints before it only counts them.</summary>
    private const int MaxEventLines = 50;

    /// <summary>Where a replay draws its progress bar (the terminal's stderr), or null for none.</summary>
    public static TextWriter? ProgressTo { get; set; }

    /// <summary>
    /// <c>ovnsim replay (--nb FILE | --sb FILE) [--ovs FILE] --in [PORT=]FILE … --out DIR [--pcapng FILE]
    /// [--expect DIR] [--no-megaflows] [--garps | --garps-before SECONDS]</c>: injects the packets of capture files
    /// on logical ports, in timestamp order across files, with conntrack, MAC bindings and held packets carried from
    /// packet to packet; writes one pcap per logical port with what left it (and with --pcapng, everything in one
    /// file), conntrack.txt, mac-bindings.txt and fdb.txt; prints a summary; with --expect, compares each port's frames with
    /// the expected capture, packet by packet.
    /// </summary>
    public static int Replay(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        string outDir = line.Require("--out", "replay");
        var (sim, replayer) = OpenReplay(line, "replay", stderr);
        using var _ = replayer;
        Directory.CreateDirectory(outDir);
        var writers = sim.Ports.ToDictionary(p => p, p => PcapWriter.Create(Path.Combine(outDir, SafeName(p) + ".pcap")), StringComparer.Ordinal);
        PcapngWriter? all = line.Get("--pcapng") is { } allPath ? PcapngWriter.Create(allPath) : null;
        var allIds = new Dictionary<string, int>(StringComparer.Ordinal);
        if (all is not null)
        {
            foreach (string p in sim.Ports)
            {
                allIds[p] = all.AddInterface(p);
            }
        }

        using ExpectedOutputs? expect = line.Get("--expect") is { } expectDir
            ? new ExpectedOutputs(expectDir, sim.Ports.Select(p => (p, sim.NamesOf(p))))
            : null;
        int events = 0;
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(ProgressTo, replayer);
        ReplaySummary summary = replayer.Summary;
        InvalidDataException? damage = null;
        try
        {
            replayer.Run(step =>
            {
                if (step.InPort is not null && all is not null)
                {
                    all.Write(allIds[step.InPort], step.TimeNs, step.Frame, inbound: true);
                }

                foreach (var o in step.Outputs)
                {
                    long ns = o.AtMs is { } ms ? ms * 1_000_000 : step.TimeNs;
                    if (writers.TryGetValue(o.Port, out var w))
                    {
                        w.Write(ns, o.Frame);
                    }

                    if (all is not null && allIds.TryGetValue(o.Port, out int id))
                    {
                        all.Write(id, ns, o.Frame, inbound: false);
                    }

                    expect?.Check(o.Port, o.Frame);
                }

                foreach (string e in sim.Events)
                {
                    if (++events <= MaxEventLines)
                    {
                        stdout.WriteLine($"  {e}");
                    }
                }

                progress.Tick();
            }, GarpsLead(line));
        }
        catch (InvalidDataException e)
        {
            // A damaged input: what came before it has been replayed; keep its outputs and say where it stopped.
            damage = e;
        }
        finally
        {
            progress.Clear();
            foreach (var w in writers.Values)
            {
                w.Dispose();
            }

            all?.Dispose();
        }

        if (events > MaxEventLines)
        {
            stdout.WriteLine($"  ({events - MaxEventLines} more controller events not shown)");
        }

        File.WriteAllLines(Path.Combine(outDir, "conntrack.txt"), sim.Bridge.Conntrack.Dump());
        File.WriteAllLines(Path.Combine(outDir, "mac-bindings.txt"),
            sim.Southbound.MacBindings.Select(m => $"{m.LogicalPort} {m.Ip} {m.Mac}"));
        File.WriteAllLines(Path.Combine(outDir, "fdb.txt"), sim.Southbound.Fdb.Select(f =>
        {
            var dp = sim.Southbound.DatapathBindings.FirstOrDefault(d => d.TunnelKey == f.DpKey);
            var port = sim.Southbound.PortByKeys(f.DpKey, f.PortKey);
            return $"{f.Mac} {dp?.Name ?? $"datapath {f.DpKey}"} {port?.LogicalPort ?? $"port {f.PortKey}"}";
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replayed {summary.Packets} packets in {seconds:F2} s ({(seconds > 0 ? summary.Packets / seconds : 0):F0} packets/s); outputs in {outDir}"));
        summary.Print(stdout, p => sim.NamesOf(p) is { Count: > 0 } names ? $"{p} ({string.Join(", ", names)})" : p);
        if (sim.Bridge.UseMegaflows)
        {
            stdout.WriteLine($"  megaflows: {sim.Bridge.MegaflowHits} passes replayed from the cache, {sim.Bridge.MegaflowMisses} translated, "
                + $"{sim.Bridge.MegaflowCount} cached under {sim.Bridge.MegaflowMasks} masks");
        }

        if (damage is not null)
        {
            stderr.WriteLine($"ovnsim: {damage.Message} (the packets before it were replayed and their outputs written)");
            return Program.UserError;
        }

        if (expect is null)
        {
            return 0;
        }

        expect.Finish();
        foreach (var (port, file) in expect.Compared)
        {
            stdout.WriteLine($"  expect: {port} against {file}");
        }

        foreach (string port in expect.NotCompared)
        {
            stdout.WriteLine($"  expect: {port} not compared (no expected file for it)");
        }

        if (expect.Differences.Count == 0)
        {
            stdout.WriteLine("expect: every compared port sent exactly the expected packets");
            return 0;
        }

        stdout.WriteLine($"expect: {expect.Differences.Count} difference(s)");
        foreach (string d in expect.Differences)
        {
            stdout.WriteLine($"  {d}");
        }

        return ExpectFailed;
    }

    /// <summary>
    /// <c>ovnsim conntrack (--nb FILE | --sb FILE) [--ovs FILE] --in [PORT=]FILE … [--zone N]</c>: replays the
    /// packets as <c>replay</c> does and prints the connection tracker's entries as
    /// <c>ovs-appctl dpctl/dump-conntrack [zone=N]</c> prints them.
    /// </summary>
    public static int Conntrack(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        ushort? zone = line.Get("--zone") is { } z
            ? ushort.TryParse(z, out ushort n) ? n : throw new UsageException($"--zone {z}: expected a zone number (0-65535)")
            : null;
        var (sim, replayer) = OpenReplay(line, "conntrack", stderr);
        using (replayer)
        {
            replayer.Run(_ => { }, GarpsLead(line));
        }

        foreach (string entry in sim.Bridge.Conntrack.Dump(zone))
        {
            stdout.WriteLine(entry);
        }

        return 0;
    }

    /// <summary>The simulator of the chassis, and a replay of every --in: <c>PORT=FILE</c>, or a pcapng FILE whose
    /// interface names say the ports.</summary>
    private static (Simulator Sim, Replayer Replayer) OpenReplay(CommandLine line, string command, TextWriter stderr)
    {
        var inputs = line.GetAll("--in").ToList();
        if (inputs.Count == 0)
        {
            throw new UsageException($"'{command}' needs at least one --in PORT=FILE (or --in FILE.pcapng, its interfaces named as ports)");
        }

        var sim = NewSimulator(line, command, stderr);
        var replayer = new Replayer(sim);
        try
        {
            foreach (string input in inputs)
            {
                int eq = input.IndexOf('=', StringComparison.Ordinal);
                if (File.Exists(input) || eq <= 0)
                {
                    replayer.AddInput(input, null);
                }
                else
                {
                    replayer.AddInput(input[(eq + 1)..], input[..eq]);
                }
            }
        }
        catch
        {
            replayer.Dispose();
            throw;
        }

        return (sim, replayer);
    }

    /// <summary>The simulated chassis of --nb/--sb and --ovs (its interface names as aliases), megaflows on unless --no-megaflows.</summary>
    private static Simulator NewSimulator(CommandLine line, string command, TextWriter stderr)
    {
        var (sb, hv, ovs) = Chassis(line, command, stderr);
        var sim = new Simulator(sb, hv);
        sim.Bridge.UseMegaflows = !line.Has("--no-megaflows");
        foreach (string warning in sim.Warnings)
        {
            stderr.WriteLine($"ovnsim: {warning}");
        }

        if (ovs is not null)
        {
            sim.AddAliases(ovs);
        }

        return sim;
    }

    /// <summary>--garps: announcements from the first packet on; --garps-before S: as if ovn-controller had started S seconds before it.</summary>
    private static long? GarpsLead(CommandLine line)
    {
        if (line.Get("--garps-before") is { } s)
        {
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0 && seconds < 1e9
                ? (long)(seconds * 1000)
                : throw new UsageException($"--garps-before {s}: expected a number of seconds");
        }

        return line.Has("--garps") ? 0 : null;
    }

    private static string SafeName(string port) => string.Concat(port.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <summary>A progress bar on the terminal for long replays: drawn only after a second, redrawn at most five times a second.</summary>
    private sealed class ProgressBar(TextWriter? to, Replayer replayer)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _nextDraw = 1000;
        private long _packets;
        private bool _drawn;

        public void Tick()
        {
            _packets++;
            if (to is null || (_packets & 255) != 0 || _clock.ElapsedMilliseconds < _nextDraw)
            {
                return;
            }

            _nextDraw = _clock.ElapsedMilliseconds + 200;
            long total = Math.Max(1, replayer.TotalBytes);
            double done = Math.Min(1, (double)replayer.BytesRead / total);
            int filled = (int)(done * 30);
            to.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {done * 100,5:F1}%  {_packets:N0} packets  {_packets / _clock.Elapsed.TotalSeconds:N0}/s"));
            _drawn = true;
        }

        public void Clear()
        {
            if (_drawn)
            {
                to!.Write("\r" + new string(' ', 79) + "\r");
            }
        }
    }
}
