using System.Buffers.Binary;

namespace Ovnsim.Engine;

/// <summary>
/// <c>flow_extract</c> (lib/flow.c <c>miniflow_extract</c>): the header fields of a frame into a
/// <see cref="FlowKey"/>. A frame too short or malformed for a header is parsed as far as it is valid and the rest
/// left zero, as OVS does; nothing here throws on bad input.
/// </summary>
public static class FlowExtractor
{
    /// <summary>FLOW_NW_FRAG_ANY.</summary>
    public const byte FragAny = 1;

    /// <summary>FLOW_NW_FRAG_LATER.</summary>
    public const byte FragLater = 2;

    /// <summary>ICMPv6 neighbor solicitation.</summary>
    public const int NdSolicit = 135;

    /// <summary>ICMPv6 neighbor advertisement.</summary>
    public const int NdAdvert = 136;

    /// <summary>Clears the header fields of <paramref name="key"/> and fills them from the packet, setting its offsets.</summary>
    public static void Extract(Packet packet, ref FlowKey key)
    {
        KeyFields.CopyMasked(ref key, default, KeyFields.HeaderMask);
        ExtractCleared(packet, ref key);
    }

    /// <summary>As <see cref="Extract"/>, into a key whose header fields are already clear (a bridge's new packet).</summary>
    internal static void ExtractCleared(Packet packet, ref FlowKey key)
    {
        packet.L2_5 = packet.L3 = packet.L4 = -1;
        ReadOnlySpan<byte> d = packet.Data;
        packet.L3End = d.Length;
        if (d.Length < 14)
        {
            return;
        }

        // The header fields were cleared above, so each is ORed into its word (see KeyLayout): every packet comes here.
        key[KeyLayout.EthDst] |= Mac(d);
        key[KeyLayout.EthSrc] |= Mac(d[6..]);
        int at = 12;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(d[at..]);
        bool first = true;
        while ((type is 0x8100 or 0x88a8) && d.Length - at >= 6)
        {
            if (first)
            {
                packet.L2_5 = at;
                ushort tci = BinaryPrimitives.ReadUInt16BigEndian(d[(at + 2)..]);
                key[KeyLayout.Types] |= (ulong)(ushort)(tci | 0x1000) << KeyLayout.VlanShift;
                first = false;
            }

            at += 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(d[at..]);
        }

        at += 2;
        if (type < 0x600)
        {
            type = 0x5ff; // FLOW_DL_TYPE_NONE: 802.2 frame
        }

        key[KeyLayout.Types] |= (ulong)type << KeyLayout.DlTypeShift;
        var l3 = d[at..];
        switch (type)
        {
            case 0x0800:
                Ipv4(packet, l3, at, ref key);
                break;
            case 0x86dd:
                Ipv6(packet, l3, at, ref key);
                break;
            case 0x0806 or 0x8035:
                Arp(packet, l3, at, ref key);
                break;
        }
    }

    private static void Ipv4(Packet packet, ReadOnlySpan<byte> ip, int at, ref FlowKey key)
    {
        if (ip.Length < 20)
        {
            return;
        }

        int ihl = (ip[0] & 0x0f) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > ip.Length || total < ihl || total > ip.Length)
        {
            return;
        }

        packet.L3 = at;
        packet.L3End = at + total;
        key[KeyLayout.IpAddrs] = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]) | ((ulong)BinaryPrimitives.ReadUInt32BigEndian(ip[16..]) << 32);
        byte proto = ip[9];
        key[KeyLayout.EthDst] |= ((ulong)proto << KeyLayout.ProtoShift) | ((ulong)ip[1] << KeyLayout.TosShift);
        key[KeyLayout.EthSrc] |= (ulong)ip[8] << KeyLayout.TtlShift;
        ushort frag = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        if ((frag & 0x3fff) != 0)
        {
            byte f = FragAny;
            if ((frag & 0x1fff) != 0)
            {
                f |= FragLater;
            }

            key[KeyLayout.EthSrc] |= (ulong)f << KeyLayout.FragShift;
            if ((f & FragLater) != 0)
            {
                return;
            }
        }

        Transport(packet, ip[ihl..total], at + ihl, proto, ref key);
    }

    private static void Ipv6(Packet packet, ReadOnlySpan<byte> ip, int at, ref FlowKey key)
    {
        if (ip.Length < 40 || (ip[0] >> 4) != 6)
        {
            return;
        }

        int payload = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (40 + payload > ip.Length)
        {
            return;
        }

        packet.L3 = at;
        packet.L3End = at + 40 + payload;
        uint first = BinaryPrimitives.ReadUInt32BigEndian(ip);
        KeyFields.Ipv6Label.Set(ref key, first & 0xfffff, 0xfffff);
        KeyFields.NwTos.Set(ref key, (first >> 20) & 0xff, 0xff);
        KeyFields.NwTtl.Set(ref key, ip[7], 0xff);
        KeyFields.Ipv6Src.Set(ref key, BinaryPrimitives.ReadUInt128BigEndian(ip[8..]), UInt128.MaxValue);
        KeyFields.Ipv6Dst.Set(ref key, BinaryPrimitives.ReadUInt128BigEndian(ip[24..]), UInt128.MaxValue);
        byte next = ip[6];
        int off = 40, end = 40 + payload;
        byte frag = 0;

        // parse_ipv6_ext_hdrs: hop-by-hop, routing, destination options, AH and fragment headers.
        while (true)
        {
            if (next is 0 or 43 or 60 or 51)
            {
                if (end - off < 8)
                {
                    return;
                }

                int len = next == 51 ? (ip[off + 1] + 2) * 4 : (ip[off + 1] + 1) * 8;
                if (len > end - off)
                {
                    return;
                }

                next = ip[off];
                off += len;
            }
            else if (next == 44)
            {
                if (end - off < 8)
                {
                    return;
                }

                ushort fo = BinaryPrimitives.ReadUInt16BigEndian(ip[(off + 2)..]);
                next = ip[off];
                off += 8;
                frag = FragAny;
                if ((fo & 0xfff8) != 0)
                {
                    frag |= FragLater;
                    break;
                }
            }
            else
            {
                break;
            }
        }

        KeyFields.NwProto.Set(ref key, next, 0xff);
        KeyFields.NwFrag.Set(ref key, frag, 0xff);
        if ((frag & FragLater) == 0)
        {
            Transport(packet, ip[off..end], at + off, next, ref key);
        }
    }

    private static void Transport(Packet packet, ReadOnlySpan<byte> l4, int at, byte proto, ref FlowKey key)
    {
        switch (proto)
        {
            case 6 when l4.Length >= 20:
                int hl = (l4[12] >> 4) * 4;
                if (hl < 20 || hl > l4.Length)
                {
                    return;
                }

                packet.L4 = at;
                Ports(l4, ref key);
                key[KeyLayout.Ports] |= (ulong)(BinaryPrimitives.ReadUInt16BigEndian(l4[12..]) & 0x0fff) << 32;
                break;
            case 17 when l4.Length >= 8:
            case 132 when l4.Length >= 12:
                packet.L4 = at;
                Ports(l4, ref key);
                break;
            case 1 when l4.Length >= 8:
                packet.L4 = at;
                KeyFields.TpSrc.Set(ref key, l4[0], 0xffff);
                KeyFields.TpDst.Set(ref key, l4[1], 0xffff);
                break;
            case 58 when l4.Length >= 8:
                packet.L4 = at;
                KeyFields.TpSrc.Set(ref key, l4[0], 0xffff);
                KeyFields.TpDst.Set(ref key, l4[1], 0xffff);
                if (l4[1] == 0 && l4[0] is NdSolicit or NdAdvert)
                {
                    NeighborDiscovery(l4, ref key);
                }

                break;
        }
    }

    /// <summary><c>parse_icmpv6</c> for ND: the target, and a source or target link-layer address option.</summary>
    private static void NeighborDiscovery(ReadOnlySpan<byte> icmp, ref FlowKey key)
    {
        if (icmp.Length < 24)
        {
            return;
        }

        KeyFields.NdTarget.Set(ref key, BinaryPrimitives.ReadUInt128BigEndian(icmp[8..]), UInt128.MaxValue);
        int off = 24;
        ulong sll = 0, tll = 0;
        while (icmp.Length - off >= 8)
        {
            int len = icmp[off + 1] * 8;
            if (len == 0 || len > icmp.Length - off)
            {
                // Invalid option: OVS clears what it found.
                KeyFields.NdTarget.Set(ref key, 0, UInt128.MaxValue);
                return;
            }

            if (icmp[off] == 1 && len == 8 && icmp[0] == NdSolicit)
            {
                if (sll != 0)
                {
                    return;
                }

                sll = Mac(icmp[(off + 2)..]);
            }
            else if (icmp[off] == 2 && len == 8 && icmp[0] == NdAdvert)
            {
                if (tll != 0)
                {
                    return;
                }

                tll = Mac(icmp[(off + 2)..]);
            }

            off += len;
        }

        KeyFields.ArpSha.Set(ref key, sll, ulong.MaxValue);
        KeyFields.ArpTha.Set(ref key, tll, ulong.MaxValue);
    }

    private static void Ports(ReadOnlySpan<byte> l4, ref FlowKey key)
    {
        key[KeyLayout.Ports] |= BinaryPrimitives.ReadUInt16BigEndian(l4) | ((ulong)BinaryPrimitives.ReadUInt16BigEndian(l4[2..]) << 16);
    }

    private static void Arp(Packet packet, ReadOnlySpan<byte> arp, int at, ref FlowKey key)
    {
        if (arp.Length < 28 || BinaryPrimitives.ReadUInt16BigEndian(arp) != 1
            || BinaryPrimitives.ReadUInt16BigEndian(arp[2..]) != 0x0800 || arp[4] != 6 || arp[5] != 4)
        {
            return;
        }

        packet.L3 = at;
        ushort op = BinaryPrimitives.ReadUInt16BigEndian(arp[6..]);
        if (op <= 0xff)
        {
            KeyFields.NwProto.Set(ref key, op, 0xff);
        }

        KeyFields.ArpSha.Set(ref key, Mac(arp[8..]), ulong.MaxValue);
        KeyFields.NwSrc.Set(ref key, BinaryPrimitives.ReadUInt32BigEndian(arp[14..]), uint.MaxValue);
        KeyFields.ArpTha.Set(ref key, Mac(arp[18..]), ulong.MaxValue);
        KeyFields.NwDst.Set(ref key, BinaryPrimitives.ReadUInt32BigEndian(arp[24..]), uint.MaxValue);
    }

    /// <summary>A 6-byte MAC address as a 48-bit number.</summary>
    public static ulong Mac(ReadOnlySpan<byte> b) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32) | BinaryPrimitives.ReadUInt32BigEndian(b[2..]);
}
