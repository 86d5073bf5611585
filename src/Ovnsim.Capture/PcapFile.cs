using System.Buffers.Binary;

namespace Ovnsim.Capture;

/// <summary>One captured frame.</summary>
/// <param name="TimestampNs">Nanoseconds since the Unix epoch.</param>
/// <param name="Data">The bytes captured.</param>
/// <param name="OriginalLength">The frame's length on the wire.</param>
public sealed record CapturedPacket(long TimestampNs, byte[] Data, int OriginalLength)
{
    /// <summary>The capture interface (an index into <see cref="ICaptureReader.Interfaces"/>; 0 in a pcap file).</summary>
    public int Interface { get; init; }
}

/// <summary>An interface a capture file describes.</summary>
/// <param name="Index">Its number in the file, counted across sections.</param>
/// <param name="Name">Its name (pcapng's <c>if_name</c>), or null.</param>
/// <param name="LinkType">The link type (1 = Ethernet).</param>
/// <param name="SnapLength">The most bytes captured per packet (0 = no limit).</param>
public sealed record CaptureInterface(int Index, string? Name, int LinkType, int SnapLength);

/// <summary>A capture file read as a stream of packets.</summary>
public interface ICaptureReader : IDisposable
{
    /// <summary>The file's name, for messages.</summary>
    string Name { get; }

    /// <summary>The interfaces described so far (a pcapng file can describe more as it goes).</summary>
    IReadOnlyList<CaptureInterface> Interfaces { get; }

    /// <summary>The next packet, or null at the end.</summary>
    /// <exception cref="InvalidDataException">A truncated or corrupt record, named by its number.</exception>
    CapturedPacket? Next();
}

/// <summary>Opens capture files of either format, telling them apart by their first bytes.</summary>
public static class CaptureFile
{
    /// <summary>Opens a pcap or pcapng file.</summary>
    /// <exception cref="InvalidDataException">Neither format.</exception>
    public static ICaptureReader Open(string path) => Open(File.OpenRead(path), path);

    /// <summary>Reads a pcap or pcapng stream (seekable: its first bytes are looked at, then read again); the reader
    /// owns it, and disposes it also when the stream is neither format.</summary>
    /// <exception cref="InvalidDataException">Neither format.</exception>
    public static ICaptureReader Open(Stream stream, string name)
    {
        try
        {
            Span<byte> magic = stackalloc byte[4];
            int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            stream.Position = 0;
            return got == 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(magic) == PcapngReader.SectionHeader
                ? new PcapngReader(stream, name)
                : new PcapReader(stream, name);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads every packet of a file (for small files; replays stream instead).</summary>
    public static List<CapturedPacket> ReadAll(string path) => Drain(Open(path));

    /// <summary>Reads every packet left in <paramref name="reader"/>, then disposes it.</summary>
    public static List<CapturedPacket> Drain(ICaptureReader reader)
    {
        using (reader)
        {
            var list = new List<CapturedPacket>();
            while (reader.Next() is { } p)
            {
                list.Add(p);
            }

            return list;
        }
    }
}

/// <summary>
/// Classic pcap files (the libpcap format): microsecond or nanosecond timestamps, either byte order, read as a stream
/// one record at a time. A truncated or corrupt record is an error naming it; the records before it have been
/// returned already.
/// </summary>
public sealed class PcapReader : ICaptureReader
{
    private readonly Stream _stream;
    private readonly string _name;
    private readonly bool _swap;
    private readonly bool _nanos;
    private int _record;

    /// <summary>Opens a pcap stream and reads its header.</summary>
    /// <exception cref="InvalidDataException">Not a pcap file.</exception>
    public PcapReader(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
        Span<byte> h = stackalloc byte[24];
        if (!ReadExactly(h))
        {
            throw new InvalidDataException($"{name}: too short for a pcap file header");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(h);
        (_swap, _nanos) = magic switch
        {
            0xa1b2c3d4 => (false, false),
            0xa1b23c4d => (false, true),
            0xd4c3b2a1 => (true, false),
            0x4d3cb2a1 => (true, true),
            _ => throw new InvalidDataException($"{name}: not a pcap file (magic 0x{magic:x8})"),
        };
        LinkType = (int)U32(h[20..]);
        if (LinkType != 1)
        {
            throw new InvalidDataException($"{name}: link type {LinkType} is not Ethernet");
        }

        Interfaces = [new CaptureInterface(0, null, LinkType, (int)U32(h[16..]))];
    }

    /// <inheritdoc/>
    public string Name => _name;

    /// <inheritdoc/>
    public IReadOnlyList<CaptureInterface> Interfaces { get; }

    /// <summary>The link type (1 = Ethernet).</summary>
    public int LinkType { get; }

    /// <summary>Opens a file.</summary>
    public static PcapReader Open(string path) => new(File.OpenRead(path), path);

    /// <summary>Reads every packet of a file.</summary>
    public static List<CapturedPacket> ReadAll(string path) => CaptureFile.Drain(Open(path));

    /// <inheritdoc/>
    public CapturedPacket? Next()
    {
        Span<byte> h = stackalloc byte[16];
        int got = _stream.ReadAtLeast(h, 16, throwOnEndOfStream: false);
        if (got == 0)
        {
            return null;
        }

        _record++;
        if (got < 16)
        {
            throw new InvalidDataException($"{_name}: record {_record}: truncated record header ({got} of 16 bytes)");
        }

        long seconds = U32(h);
        long fraction = U32(h[4..]);
        int included = (int)U32(h[8..]);
        int original = (int)U32(h[12..]);
        if (included < 0 || included > 262_144)
        {
            throw new InvalidDataException($"{_name}: record {_record}: captured length {included} is not plausible");
        }

        var data = new byte[included];
        if (!ReadExactly(data))
        {
            throw new InvalidDataException($"{_name}: record {_record}: truncated packet data ({included} bytes expected)");
        }

        long ns = (seconds * 1_000_000_000) + (_nanos ? fraction : fraction * 1000);
        return new CapturedPacket(ns, data, original);
    }

    private uint U32(ReadOnlySpan<byte> b) => _swap ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    private bool ReadExactly(Span<byte> b) => _stream.ReadAtLeast(b, b.Length, throwOnEndOfStream: false) == b.Length;

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}

/// <summary>Writes classic pcap files (little-endian, microsecond timestamps, Ethernet), as tcpdump and OVS's tx_pcap do.</summary>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;

    /// <summary>Starts a pcap stream.</summary>
    public PcapWriter(Stream stream)
    {
        _stream = stream;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 262_144);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        _stream.Write(h);
    }

    /// <summary>Creates a file.</summary>
    public static PcapWriter Create(string path) => new(File.Create(path));

    /// <summary>Appends a packet.</summary>
    public void Write(long timestampNs, ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(timestampNs / 1_000_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(timestampNs % 1_000_000_000 / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)data.Length);
        _stream.Write(h);
        _stream.Write(data);
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
