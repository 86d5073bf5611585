namespace Ovnsim.Capture;

/// <summary>
/// <c>replay --expect DIR</c>: each port's frames, as they leave, compared in order with the port's expected capture
/// in DIR, streamed (one expected packet read ahead per port). A port's expected file is the first of
/// <c>NAME.pcap</c>, <c>NAME.pcapng</c>, <c>all-NAME-tx.pcap</c> and <c>tx-NAME.pcap</c> (the names of
/// ovnsim's outputs, of the seed reference's and of tools/northd-golden.sh's) for any name of the port: its logical
/// name, then its other names (interface, Neutron). Frames are compared byte for byte; timestamps are not compared.
/// </summary>
public sealed class ExpectedOutputs : IDisposable
{
    private readonly Dictionary<string, Port> _ports = new(StringComparer.Ordinal);
    private readonly List<string> _differences = [];

    /// <summary>Finds the expected file of each port in <paramref name="dir"/>.</summary>
    /// <param name="dir">The folder.</param>
    /// <param name="ports">Each logical port with the other names it goes by.</param>
    public ExpectedOutputs(string dir, IEnumerable<(string Port, IReadOnlyList<string> Names)> ports)
    {
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"--expect {dir}: no such folder");
        }

        foreach (var (port, names) in ports)
        {
            string? file = names.Prepend(port).SelectMany(n => new[] { $"{n}.pcap", $"{n}.pcapng", $"all-{n}-tx.pcap", $"tx-{n}.pcap" })
                .Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
            _ports[port] = new Port(file is null ? null : CaptureFile.Open(file), file);
        }
    }

    /// <summary>The differences found so far, one line each.</summary>
    public IReadOnlyList<string> Differences => _differences;

    /// <summary>Ports compared, with their files.</summary>
    public IEnumerable<(string Port, string File)> Compared =>
        _ports.Where(p => p.Value.File is not null).Select(p => (p.Key, p.Value.File!));

    /// <summary>Ports with no expected file (not compared).</summary>
    public IEnumerable<string> NotCompared => _ports.Where(p => p.Value.File is null).Select(p => p.Key);

    /// <summary>Compares a frame that left by <paramref name="port"/> with the next expected one.</summary>
    public void Check(string port, byte[] frame)
    {
        if (!_ports.TryGetValue(port, out var p) || p.Reader is null)
        {
            return;
        }

        p.Count++;
        CapturedPacket? expected = p.Next();
        if (expected is null)
        {
            _differences.Add($"{port} packet {p.Count}: not expected (the expected file has {p.Count - 1}): {PacketDecode.Summary(frame)}");
            return;
        }

        if (!expected.Data.AsSpan().SequenceEqual(frame))
        {
            _differences.Add($"{port} packet {p.Count}: differs\n      expected: {PacketDecode.Summary(expected.Data)}\n      got:      {PacketDecode.Summary(frame)}\n"
                + string.Join('\n', PacketDecode.Differences(expected.Data, frame).Select(d => $"      {d}")));
        }
    }

    /// <summary>After the replay: every expected packet that never came is a difference.</summary>
    public void Finish()
    {
        foreach (var (port, p) in _ports.Where(p => p.Value.Reader is not null))
        {
            while (p.Next() is { } missing)
            {
                p.Count++;
                _differences.Add($"{port} packet {p.Count}: expected but not sent: {PacketDecode.Summary(missing.Data)}");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var p in _ports.Values)
        {
            p.Reader?.Dispose();
        }
    }

    private sealed class Port(ICaptureReader? reader, string? file)
    {
        public ICaptureReader? Reader { get; } = reader;

        public string? File { get; } = file;

        public int Count { get; set; }

        public CapturedPacket? Next()
        {
            try
            {
                return Reader!.Next();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"--expect: {e.Message}", e);
            }
        }
    }
}
