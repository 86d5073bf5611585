using Ovnsim.Engine;

namespace Ovnsim.Capture;

/// <summary>One packet of a replay and what it caused.</summary>
/// <param name="InPort">The logical port it went in on; null for what ovn-controller sent on its own (gratuitous ARPs).</param>
/// <param name="TimeNs">Its capture time.</param>
/// <param name="Frame">The frame; null with <paramref name="InPort"/>.</param>
/// <param name="Outputs">Every frame that left, in order.</param>
/// <param name="Fate">What became of it; null with <paramref name="InPort"/>.</param>
public sealed record ReplayStep(string? InPort, long TimeNs, byte[]? Frame, IReadOnlyList<OutputPacket> Outputs, PacketFate? Fate);

/// <summary>Per logical port: packets that went in, came out, went in and were dropped, went in and went to ovn-controller.</summary>
public sealed class PortCounters
{
    /// <summary>Packets injected on the port.</summary>
    public long In { get; set; }

    /// <summary>Frames that left by the port.</summary>
    public long Out { get; set; }

    /// <summary>Packets injected on the port that nothing came out for and ovn-controller did not get.</summary>
    public long Dropped { get; set; }

    /// <summary>Packets injected on the port that went to ovn-controller instead of out.</summary>
    public long ToController { get; set; }
}

/// <summary>What a replay did, counted.</summary>
/// <param name="ports">The chassis's ports (each listed, even with nothing counted).</param>
public sealed class ReplaySummary(IEnumerable<string> ports)
{
    /// <summary>Packets injected.</summary>
    public long Packets { get; set; }

    /// <summary>Counters by logical port (every port of the chassis).</summary>
    public SortedDictionary<string, PortCounters> Ports { get; } =
        new(ports.ToDictionary(p => p, _ => new PortCounters(), StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Dropped packets by stage and reason.</summary>
    public Dictionary<(string Stage, string Reason), long> Drops { get; } = [];

    /// <summary>Packets ovn-controller got instead of their going out, by what it was asked to do.</summary>
    public Dictionary<string, long> Controller { get; } = new(StringComparer.Ordinal);

    /// <summary>Counts one step.</summary>
    public void Add(ReplayStep step)
    {
        foreach (var o in step.Outputs)
        {
            Port(o.Port).Out++;
        }

        if (step.InPort is null || step.Fate is null)
        {
            return;
        }

        Packets++;
        var c = Port(step.InPort);
        c.In++;
        switch (step.Fate.Kind)
        {
            case FateKind.Dropped:
                c.Dropped++;
                var key = (step.Fate.Stage ?? "?", step.Fate.Reason ?? "?");
                Drops[key] = Drops.GetValueOrDefault(key) + 1;
                break;
            case FateKind.Controller:
                c.ToController++;
                Controller[step.Fate.Stage ?? "?"] = Controller.GetValueOrDefault(step.Fate.Stage ?? "?") + 1;
                break;
        }
    }

    /// <summary>The counters of <paramref name="port"/>.</summary>
    public PortCounters Port(string port)
    {
        if (!Ports.TryGetValue(port, out var c))
        {
            Ports[port] = c = new PortCounters();
        }

        return c;
    }

    /// <summary>Prints the table of ports, then the drops by stage and reason, then what went to ovn-controller.</summary>
    /// <param name="output">Where.</param>
    /// <param name="label">A port's name as shown (the logical name with the names people know it by).</param>
    public void Print(TextWriter output, Func<string, string> label)
    {
        var rows = Ports.Select(p => (Name: label(p.Key), p.Value)).ToList();
        int width = Math.Max(4, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length));
        output.WriteLine($"  {"port".PadRight(width)}  {"in",8} {"out",8} {"dropped",8} {"to controller",14}");
        foreach (var (name, c) in rows)
        {
            output.WriteLine($"  {name.PadRight(width)}  {c.In,8} {c.Out,8} {c.Dropped,8} {c.ToController,14}");
        }

        if (Drops.Count > 0)
        {
            output.WriteLine("  drops by stage and reason:");
            foreach (var ((stage, reason), n) in Drops.OrderByDescending(d => d.Value).ThenBy(d => d.Key.Stage, StringComparer.Ordinal))
            {
                output.WriteLine($"  {n,8}  {stage}: {reason}");
            }
        }

        if (Controller.Count > 0)
        {
            output.WriteLine("  to ovn-controller instead of out:");
            foreach (var (what, n) in Controller.OrderByDescending(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"  {n,8}  {what}");
            }
        }
    }
}

/// <summary>
/// Replays capture files through a <see cref="Simulator"/>: every packet of every input, in timestamp order across
/// the files (then by input, then by position), streamed so that memory stays constant however long the files are.
/// An input is either a file for one logical port or a pcapng file whose interface names name the ports (a logical
/// port, an interface name of the chassis, or a Neutron port name).
/// </summary>
public sealed class Replayer : IDisposable
{
    private readonly Simulator _sim;
    private readonly List<Input> _inputs = [];

    /// <summary>A replay through <paramref name="sim"/>.</summary>
    public Replayer(Simulator sim)
    {
        _sim = sim;
        Summary = new ReplaySummary(sim.Ports);
    }

    /// <summary>What the replay has done so far (all of it once <see cref="Run"/> returns; up to the damage when an
    /// input turns out corrupt).</summary>
    public ReplaySummary Summary { get; }

    /// <summary>Total bytes of the inputs (for progress).</summary>
    public long TotalBytes => _inputs.Sum(i => i.Length);

    /// <summary>Bytes of the inputs read so far.</summary>
    public long BytesRead => _inputs.Sum(i => i.Position);

    /// <summary>Adds an input file: every packet on <paramref name="port"/>, or, when null, each packet on the port its
    /// pcapng interface names.</summary>
    /// <exception cref="InvalidDataException">Not a capture file.</exception>
    /// <exception cref="ArgumentException">The port is not on the chassis.</exception>
    public void AddInput(string path, string? port)
    {
        string? resolved = port is null ? null : _sim.Resolve(port);
        var stream = File.OpenRead(path);
        var reader = CaptureFile.Open(stream, path);

        if (resolved is null && reader is not PcapngReader)
        {
            reader.Dispose();
            throw new ArgumentException($"{path}: a pcap file has no interface names; say its port as PORT={path}");
        }

        _inputs.Add(new Input(_inputs.Count, path, reader, stream, resolved));
    }

    /// <summary>
    /// Runs the replay: each step to <paramref name="each"/>. With <paramref name="garpsLeadMs"/>, ovn-controller's
    /// gratuitous ARPs for NAT addresses are sent as if it had started that long before the first packet (0: with
    /// it), those due after the last packet last.
    /// </summary>
    /// <exception cref="InvalidDataException">A corrupt input record (the packets before it have been replayed).</exception>
    public ReplaySummary Run(Action<ReplayStep> each, long? garpsLeadMs = null)
    {
        var summary = Summary;
        void Emit(ReplayStep step)
        {
            summary.Add(step);
            each(step);
        }

        var queue = new PriorityQueue<Input, (long Time, int Input, long Index)>();
        foreach (var input in _inputs)
        {
            if (input.Advance())
            {
                queue.Enqueue(input, (input.Current!.TimestampNs, input.Number, input.Index));
            }
        }

        bool first = true;
        while (queue.TryDequeue(out var input, out _))
        {
            var packet = input.Current!;
            string port = input.PortOf(packet, _sim);
            if (first && garpsLeadMs is { } lead)
            {
                _sim.AnnounceAddresses((packet.TimestampNs / 1_000_000) - lead);
            }

            first = false;
            var outputs = _sim.Inject(port, packet.Data, packet.TimestampNs / 1_000_000);
            Emit(new ReplayStep(port, packet.TimestampNs, packet.Data, outputs, _sim.LastFate));
            if (input.Advance())
            {
                queue.Enqueue(input, (input.Current!.TimestampNs, input.Number, input.Index));
            }
        }

        if (garpsLeadMs is not null && !first)
        {
            var rest = _sim.AdvanceTo(long.MaxValue);
            if (rest.Count > 0)
            {
                Emit(new ReplayStep(null, 0, null, rest, null));
            }
        }

        return summary;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var input in _inputs)
        {
            input.Reader.Dispose();
        }
    }

    private sealed class Input(int number, string path, ICaptureReader reader, FileStream stream, string? port)
    {
        private readonly Dictionary<int, string> _ports = [];

        public int Number { get; } = number;

        public ICaptureReader Reader { get; } = reader;

        public CapturedPacket? Current { get; private set; }

        public long Index { get; private set; } = -1;

        public long Length { get; } = stream.Length;

        public long Position => stream.CanSeek ? stream.Position : 0;

        public bool Advance()
        {
            Current = Reader.Next();
            Index++;
            return Current is not null;
        }

        /// <summary>The logical port of a packet: the input's, or the one its pcapng interface names.</summary>
        public string PortOf(CapturedPacket packet, Simulator sim)
        {
            var iface = Reader.Interfaces[packet.Interface];
            if (iface.LinkType != 1)
            {
                throw new InvalidDataException($"{path}: packet {Index + 1} is on interface {iface.Index} ({iface.Name ?? "unnamed"}) of link type {iface.LinkType}, not Ethernet");
            }

            if (port is not null)
            {
                return port;
            }

            if (_ports.TryGetValue(packet.Interface, out var known))
            {
                return known;
            }

            if (iface.Name is null)
            {
                throw new ArgumentException($"{path}: interface {iface.Index} has no name (if_name), so no port; say the file's port as PORT={path}");
            }

            if (!sim.TryResolve(iface.Name, out var resolved))
            {
                throw new ArgumentException($"{path}: interface {iface.Index} is named {iface.Name}, which is no logical port, interface or Neutron port name on this chassis (ports here: {string.Join(", ", sim.Ports)})");
            }

            return _ports[packet.Interface] = resolved;
        }
    }
}
