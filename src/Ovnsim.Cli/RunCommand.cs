using System.Runtime.InteropServices;
using Ovnsim.Capture;

namespace Ovnsim.Cli;

/// <summary><c>ovnsim run</c>: the simulated chassis between live ports.</summary>
internal static partial class Commands
{
    /// <summary>Stops a running <c>ovnsim run</c> (tests cancel it; Ctrl-C and SIGTERM cancel it too).</summary>
    internal static CancellationTokenSource? RunStop { get; set; }

    /// <summary>
    /// <c>ovnsim run (--nb FILE | --sb FILE) [--ovs FILE] --port PORT=tap:NAME|if:NAME … [--no-megaflows] [--garps]</c>:
    /// attaches logical ports to TAP devices (created) or existing interfaces (through libpcap) and forwards between
    /// them through the simulated topology until interrupted; then prints the summary a replay prints.
    /// </summary>
    public static int Run(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        var ports = line.GetAll("--port").ToList();
        if (ports.Count == 0)
        {
            throw new UsageException("'run' needs at least one --port PORT=tap:NAME or --port PORT=if:NAME");
        }

        var sim = NewSimulator(line, "run", stderr);
        using var live = new LiveRunner(sim);
        foreach (string spec in ports)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            string device = eq > 0 ? spec[(eq + 1)..] : "";
            ILivePort port = device switch
            {
                _ when device.StartsWith("tap:", StringComparison.Ordinal) => new TapPort(device[4..]),
                _ when device.StartsWith("if:", StringComparison.Ordinal) => new PcapPort(device[3..]),
                _ => throw new UsageException($"--port {spec}: expected PORT=tap:NAME or PORT=if:NAME"),
            };
            try
            {
                live.Attach(spec[..eq], port);
            }
            catch
            {
                port.Dispose();
                throw;
            }

            string logical = sim.Resolve(spec[..eq]);
            stdout.WriteLine($"  {(logical == spec[..eq] ? logical : $"{spec[..eq]} ({logical})")} on {port.Description}");
        }

        using var stop = RunStop ?? new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        stdout.WriteLine("forwarding; Ctrl-C stops");
        stdout.Flush();
        try
        {
            live.Run(stop.Token, line.Has("--garps"), step =>
            {
                foreach (string e in sim.Events)
                {
                    stdout.WriteLine($"  {e}");
                }
            });
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }

        stdout.WriteLine($"stopped after {live.Summary.Packets} packets{(live.Overruns > 0 ? $" ({live.Overruns} frames lost: the input queue was full)" : "")}");
        live.Summary.Print(stdout, p => sim.NamesOf(p) is { Count: > 0 } names ? $"{p} ({string.Join(", ", names)})" : p);
        return 0;
    }
}
