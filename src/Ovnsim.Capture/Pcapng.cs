using System.Buffers.Binary;
using System.Text;

namespace Ovnsim.Capture;

/// <summary>
/// pcapng files (draft-ietf-opsawg-pcapng): section header, interface description, enhanced, simple and obsolete
/// packet blocks, in either byte order and with several sections; other blocks are skipped. Read as a stream, one
/// block at a time, so memory stays constant however long the file is. Interfaces are numbered across sections in
/// the order they are described (a new section starts a new set, as the format says). A corrupt or truncated block
/// is an error naming it by number and byte offset; the packets before it have been returned already.
/// </summary>
public sealed class PcapngReader : ICaptureReader
{
    /// <summary>The section header block's type, the first four bytes of every pcapng file.</summary>
    public const uint SectionHeader = 0x0A0D0D0A;

    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescription = 1, ObsoletePacket = 2, SimplePacket = 3, EnhancedPacket = 6;
    private const int MaxBlock = 16 << 20;

    private readonly Stream _stream;
    private readonly string _name;
    private readonly List<CaptureInterface> _interfaces = [];
    private readonly List<Resolution> _resolutions = [];
    private int _sectionBase;
    private bool _swap;
    private long _offset;
    private int _block;
    private long _lastTimestamp;

    /// <summary>Opens a pcapng stream and reads its first section header.</summary>
    /// <exception cref="InvalidDataException">Not a pcapng file.</exception>
    public PcapngReader(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
        Span<byte> head = stackalloc byte[4];
        if (_stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4 || BinaryPrimitives.ReadUInt32LittleEndian(head) != SectionHeader)
        {
            throw new InvalidDataException($"{name}: not a pcapng file (no section header block at offset 0)");
        }

        ReadBlockAfterType(SectionHeader);
    }

    /// <inheritdoc/>
    public string Name => _name;

    /// <inheritdoc/>
    public IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    /// <summary>Opens a file.</summary>
    public static PcapngReader Open(string path) => new(File.OpenRead(path), path);

    /// <inheritdoc/>
    public CapturedPacket? Next()
    {
        Span<byte> head = stackalloc byte[4];
        while (true)
        {
            int got = _stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            if (got == 0)
            {
                return null;
            }

            if (got < 4)
            {
                throw Error(_block + 1, _offset, $"truncated block type ({got} of 4 bytes)");
            }

            uint type = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (type != SectionHeader && _swap)
            {
                type = BinaryPrimitives.ReverseEndianness(type);
            }

            if (ReadBlockAfterType(type) is { } packet)
            {
                return packet;
            }
        }
    }

    /// <summary>Reads the rest of a block whose type has been read; returns its packet, if it carries one.</summary>
    private CapturedPacket? ReadBlockAfterType(uint type)
    {
        long at = _offset;
        int number = ++_block;
        Span<byte> len = stackalloc byte[4];
        if (_stream.ReadAtLeast(len, 4, throwOnEndOfStream: false) < 4)
        {
            throw Error(number, at, "truncated block length");
        }

        if (type == SectionHeader)
        {
            // The byte order is the section's: read its magic before the length can be trusted.
            Span<byte> bom = stackalloc byte[4];
            if (_stream.ReadAtLeast(bom, 4, throwOnEndOfStream: false) < 4)
            {
                throw Error(number, at, "truncated section header");
            }

            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(bom);
            _swap = magic switch
            {
                ByteOrderMagic => false,
                0x4D3C2B1A => true,
                _ => throw Error(number, at, $"bad byte-order magic 0x{magic:x8} in section header"),
            };
        }

        uint total = U32(len);
        int headerRead = type == SectionHeader ? 12 : 8;
        if (total < 12 || total % 4 != 0 || total > MaxBlock || (type == SectionHeader && total < 28))
        {
            throw Error(number, at, $"block length {total} is not valid (a multiple of 4, at least 12, at most {MaxBlock})");
        }

        var body = new byte[total - headerRead];
        int read = _stream.ReadAtLeast(body, body.Length, throwOnEndOfStream: false);
        _offset += total;
        if (read < body.Length)
        {
            throw Error(number, at, $"truncated block ({headerRead + read} of {total} bytes)");
        }

        if (U32(body.AsSpan(body.Length - 4)) != total)
        {
            throw Error(number, at, $"trailing block length {U32(body.AsSpan(body.Length - 4))} differs from the leading {total}");
        }

        var content = body.AsSpan(0, body.Length - 4);
        switch (type)
        {
            case SectionHeader:
                // Version (2+2 bytes), section length (8), options: nothing needed here.
                _sectionBase = _interfaces.Count;
                _resolutions.Clear();
                return null;
            case InterfaceDescription:
                ReadInterface(content, number, at);
                return null;
            case EnhancedPacket:
            case ObsoletePacket:
            {
                // Both: interface, timestamp (high, low), captured and original length, data. The obsolete block's
                // interface is 16 bits (then a drop count).
                Need(content, 20, number, at, type == EnhancedPacket ? "enhanced packet block" : "packet block");
                int iface = Interface(type == EnhancedPacket ? (int)U32(content) : U16(content), number, at);
                long ts = ((long)U32(content[4..]) << 32) | U32(content[8..]);
                int captured = (int)U32(content[12..]);
                int original = (int)U32(content[16..]);
                if (captured < 0 || 20 + (long)captured > content.Length)
                {
                    throw Error(number, at, $"captured length {captured} runs past the block");
                }

                return Packet(iface, _resolutions[iface - _sectionBase].ToNs(ts), content.Slice(20, captured), original);
            }

            case SimplePacket:
            {
                Need(content, 4, number, at, "simple packet block");
                int iface = Interface(0, number, at);
                int original = (int)U32(content);
                int snap = _interfaces[iface].SnapLength;
                int captured = Math.Min(content.Length - 4, Math.Min(original, snap > 0 ? snap : int.MaxValue));

                // A simple packet block has no timestamp; it takes the previous packet's.
                return Packet(iface, _lastTimestamp, content.Slice(4, captured), original);
            }

            default:
                return null; // name resolution, statistics, custom blocks …
        }
    }

    private CapturedPacket Packet(int iface, long ns, ReadOnlySpan<byte> data, int original)
    {
        _lastTimestamp = ns;
        return new CapturedPacket(ns, data.ToArray(), original) { Interface = iface };
    }

    private void ReadInterface(ReadOnlySpan<byte> content, int number, long at)
    {
        Need(content, 8, number, at, "interface description block");
        int linkType = U16(content);
        int snap = (int)U32(content[4..]);
        string? name = null;
        var resolution = new Resolution(false, 6, 0);
        foreach (var (code, value) in Options(content[8..], number, at))
        {
            switch (code)
            {
                case 2: // if_name
                    name = Encoding.UTF8.GetString(value).TrimEnd('\0');
                    break;
                case 9 when value.Length >= 1: // if_tsresol
                    resolution = resolution with { Binary = (value[0] & 0x80) != 0, Exponent = value[0] & 0x7f };
                    break;
                case 14 when value.Length >= 8: // if_tsoffset, seconds
                    resolution = resolution with { OffsetSeconds = (long)U64(value) };
                    break;
            }
        }

        if (resolution.Binary ? resolution.Exponent > 62 : resolution.Exponent > 18)
        {
            throw Error(number, at, $"timestamp resolution {(resolution.Binary ? "2^-" : "10^-")}{resolution.Exponent} is not supported");
        }

        _interfaces.Add(new CaptureInterface(_interfaces.Count, name, linkType, snap));
        _resolutions.Add(resolution);
    }

    private List<(int Code, byte[] Value)> Options(ReadOnlySpan<byte> options, int number, long at)
    {
        var list = new List<(int, byte[])>();
        int p = 0;
        while (p + 4 <= options.Length)
        {
            int code = U16(options[p..]);
            int length = U16(options[(p + 2)..]);
            if (code == 0)
            {
                break;
            }

            if (p + 4 + length > options.Length)
            {
                throw Error(number, at, $"option {code} runs past the block");
            }

            list.Add((code, options.Slice(p + 4, length).ToArray()));
            p += 4 + ((length + 3) & ~3);
        }

        return list;
    }

    private int Interface(int id, int number, long at) =>
        id >= 0 && _sectionBase + id < _interfaces.Count
            ? _sectionBase + id
            : throw Error(number, at, $"packet on interface {id}, which the section has not described");

    private void Need(ReadOnlySpan<byte> content, int bytes, int number, long at, string what)
    {
        if (content.Length < bytes)
        {
            throw Error(number, at, $"{what} too short ({content.Length} bytes)");
        }
    }

    private InvalidDataException Error(int number, long at, string message) =>
        new($"{_name}: block {number} (offset {at}): {message}");

    private uint U32(ReadOnlySpan<byte> b) => _swap ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    private ulong U64(ReadOnlySpan<byte> b) => _swap ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);

    private ushort U16(ReadOnlySpan<byte> b) => _swap ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    /// <summary>An interface's timestamp unit (10^-n or 2^-n seconds) and offset.</summary>
    private readonly record struct Resolution(bool Binary, int Exponent, long OffsetSeconds)
    {
        public long ToNs(long ticks)
        {
            long offset = OffsetSeconds * 1_000_000_000;
            if (Binary)
            {
                var whole = ticks >> Exponent;
                var fraction = ticks & ((1L << Exponent) - 1);
                return offset + (whole * 1_000_000_000) + (long)((UInt128)(ulong)fraction * 1_000_000_000 >> Exponent);
            }

            return Exponent <= 9
                ? offset + (ticks * Pow10(9 - Exponent))
                : offset + (ticks / Pow10(Exponent - 9));
        }

        private static long Pow10(int n)
        {
            long r = 1;
            for (int i = 0; i < n; i++)
            {
                r *= 10;
            }

            return r;
        }
    }
}

/// <summary>
/// Writes pcapng files: one section (little-endian), an interface description per interface with its name and
/// nanosecond timestamps, and an enhanced packet block per packet with its direction (epb_flags) when known.
/// </summary>
public sealed class PcapngWriter : IDisposable
{
    private readonly Stream _stream;
    private int _interfaces;

    /// <summary>Starts a pcapng stream with its section header.</summary>
    public PcapngWriter(Stream stream)
    {
        _stream = stream;
        var options = new List<byte>();
        Option(options, 4, Encoding.UTF8.GetBytes("ovnsim")); // shb_userappl
        var body = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(body, 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(6), 0);
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), -1); // section length unknown
        Block(PcapngReader.SectionHeader, [.. body, .. options, 0, 0, 0, 0]);
    }

    /// <summary>Creates a file.</summary>
    public static PcapngWriter Create(string path) => new(File.Create(path));

    /// <summary>Describes an Ethernet interface named <paramref name="name"/>; returns its id for <see cref="Write"/>.</summary>
    public int AddInterface(string name)
    {
        var body = new List<byte>(64);
        Span<byte> fixedPart = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart, 1); // LINKTYPE_ETHERNET
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[4..], 262_144);
        body.AddRange(fixedPart);
        Option(body, 2, Encoding.UTF8.GetBytes(name)); // if_name
        Option(body, 9, [9]); // if_tsresol: nanoseconds
        Block(1, [.. body, 0, 0, 0, 0]);
        return _interfaces++;
    }

    /// <summary>Appends a packet seen on interface <paramref name="iface"/>; <paramref name="inbound"/> says its direction when known.</summary>
    public void Write(int iface, long timestampNs, ReadOnlySpan<byte> data, bool? inbound = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iface);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(iface, _interfaces);
        int padded = (data.Length + 3) & ~3;
        int optionBytes = inbound is null ? 0 : 12; // epb_flags, then opt_endofopt
        var body = new byte[20 + padded + optionBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)iface);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), (uint)((ulong)timestampNs >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), (uint)timestampNs);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(12), (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), (uint)data.Length);
        data.CopyTo(body.AsSpan(20));
        if (inbound is { } dir)
        {
            var o = body.AsSpan(20 + padded);
            BinaryPrimitives.WriteUInt16LittleEndian(o, 2); // epb_flags
            BinaryPrimitives.WriteUInt16LittleEndian(o[2..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(o[4..], dir ? 1u : 2u); // inbound / outbound
        }

        Block(6, body);
    }

    private static void Option(List<byte> into, ushort code, byte[] value)
    {
        Span<byte> h = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(h, code);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], (ushort)value.Length);
        into.AddRange(h);
        into.AddRange(value);
        for (int i = value.Length; i % 4 != 0; i++)
        {
            into.Add(0);
        }
    }

    private void Block(uint type, ReadOnlySpan<byte> body)
    {
        uint total = (uint)(12 + body.Length);
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], total);
        _stream.Write(h);
        _stream.Write(body);
        _stream.Write(h[4..]);
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
