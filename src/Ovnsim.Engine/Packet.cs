using System.Buffers.Binary;

namespace Ovnsim.Engine;

/// <summary>
/// A frame being forwarded (OVS's <c>struct dp_packet</c>): its bytes, with headroom for pushing a VLAN tag, and the
/// offsets of its network and transport headers as extraction found them (-1 when absent). Reused between packets.
/// </summary>
public sealed class Packet
{
    private const int Headroom = 64;

    private byte[] _buffer = new byte[Headroom + 2048];

    /// <summary>Where the frame starts in the buffer.</summary>
    public int Start { get; private set; } = Headroom;

    /// <summary>Bytes in the frame.</summary>
    public int Length { get; private set; }

    /// <summary>Offset of the first VLAN tag's TPID, or -1.</summary>
    public int L2_5 { get; internal set; } = -1;

    /// <summary>Offset of the IPv4/IPv6/ARP header, or -1.</summary>
    public int L3 { get; internal set; } = -1;

    /// <summary>Offset of the transport header, or -1.</summary>
    public int L4 { get; internal set; } = -1;

    /// <summary>Bytes after the IP payload (Ethernet padding), not covered by the IP length.</summary>
    public int L3End { get; internal set; }

    /// <summary>The frame.</summary>
    public Span<byte> Data => _buffer.AsSpan(Start, Length);

    /// <summary>
    /// The connection the packet's last ct found, when that ct did no NAT (<c>md.conn</c>, set by
    /// <c>set_cached_conn</c>): the next ct of its zone takes it without a lookup. Valid while the key's ct_state is
    /// still <see cref="CtCachedState"/> (a ct_clear or another ct changes it).
    /// </summary>
    internal Connection? CtCached { get; set; }

    /// <summary>Whether <see cref="CtCached"/> was found in its reply direction.</summary>
    internal bool CtCachedReply { get; set; }

    /// <summary>The ct_state the ct that cached <see cref="CtCached"/> wrote.</summary>
    internal CtState CtCachedState { get; set; }

    /// <summary>Replaces the contents with <paramref name="frame"/>.</summary>
    public void Load(ReadOnlySpan<byte> frame)
    {
        if (_buffer.Length < Headroom + frame.Length)
        {
            _buffer = new byte[Headroom + frame.Length];
        }

        Start = Headroom;
        Length = frame.Length;
        frame.CopyTo(_buffer.AsSpan(Start));
        L2_5 = L3 = L4 = -1;
        CtCached = null;
    }

    /// <summary>A copy of the frame.</summary>
    public byte[] ToArray() => Data.ToArray();

    /// <summary>Copies another packet's frame and offsets.</summary>
    public void CopyFrom(Packet other)
    {
        Load(other.Data);
        L2_5 = other.L2_5;
        L3 = other.L3;
        L4 = other.L4;
        L3End = other.L3End;
        (CtCached, CtCachedReply, CtCachedState) = (other.CtCached, other.CtCachedReply, other.CtCachedState);
    }

    /// <summary>Inserts an 802.1Q/802.1ad tag after the Ethernet addresses (<c>eth_push_vlan</c>).</summary>
    public void PushVlan(ushort tpid, ushort tci)
    {
        if (Start < 4)
        {
            throw new InvalidOperationException("no headroom for a VLAN tag");
        }

        Start -= 4;
        Length += 4;
        var d = Data;
        d[4..16].CopyTo(d);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], tpid);
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], tci);
        Shift(4);
        L2_5 = 12;
    }

    /// <summary>Removes the outermost VLAN tag (<c>eth_pop_vlan</c>).</summary>
    public void PopVlan()
    {
        var d = Data;
        if (Length < 18)
        {
            return;
        }

        ushort tpid = BinaryPrimitives.ReadUInt16BigEndian(d[12..]);
        if (tpid is not (0x8100 or 0x88a8))
        {
            return;
        }

        for (int i = 11; i >= 0; i--)
        {
            d[i + 4] = d[i];
        }

        Start += 4;
        Length -= 4;
        Shift(-4);
        L2_5 = -1;
    }

    private void Shift(int by)
    {
        if (L3 >= 0)
        {
            L3 += by;
        }

        if (L4 >= 0)
        {
            L4 += by;
        }

        L3End += by;
    }
}
