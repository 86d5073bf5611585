using System.Buffers.Binary;

namespace Ovnsim.Engine;

/// <summary>
/// Writes the header fields a translation changed back into the frame, as the datapath's set actions do
/// (lib/packets.c <c>packet_set_*</c>), with checksums updated incrementally the way OVS updates them
/// (<c>recalc_csum16</c> on the raw 16-bit words as an x86 host reads them), so that even a wrong checksum stays
/// as wrong as OVS leaves it.
/// </summary>
public static class HeaderCommit
{
    /// <summary>
    /// Writes into the packet every header field where <paramref name="key"/> differs from
    /// <paramref name="committed"/> (what the bytes hold), then records that the bytes now hold <paramref name="key"/>.
    /// </summary>
    public static void Commit(Packet packet, ref FlowKey committed, in FlowKey key)
    {
        var chunks = HeaderChunks.Of(key);
        if (HeaderChunks.Equal(chunks, committed, key))
        {
            return;
        }

        // The Ethernet and IPv4 fields are read a word at a time (see KeyLayout): on the per-packet path.
        ulong types = key[KeyLayout.Types], dst = key[KeyLayout.EthDst], src = key[KeyLayout.EthSrc];
        var d = packet.Data;
        if (d.Length >= 14)
        {
            if (((dst ^ committed[KeyLayout.EthDst]) & KeyLayout.Mac) != 0)
            {
                WriteMac(d, dst & KeyLayout.Mac);
            }

            if (((src ^ committed[KeyLayout.EthSrc]) & KeyLayout.Mac) != 0)
            {
                WriteMac(d[6..], src & KeyLayout.Mac);
            }
        }

        if ((types ^ committed[KeyLayout.Types]) >> KeyLayout.VlanShift != 0)
        {
            Vlan(packet, committed, key);
            d = packet.Data;
        }

        if (packet.L3 >= 0)
        {
            switch ((types >> KeyLayout.DlTypeShift) & 0xffff)
            {
                case 0x0800:
                    Ipv4(packet, d, committed, key);
                    break;
                case 0x86dd:
                    Ipv6(packet, d, committed, key);
                    break;
                case 0x0806 or 0x8035:
                    Arp(d[packet.L3..], committed, key);
                    break;
            }
        }

        HeaderChunks.Copy(chunks, ref committed, key);
    }

    /// <summary>
    /// Records that the bytes of a packet whose key is <paramref name="key"/> hold its header fields (the start of
    /// a pass). Only the header chunks of the packet's Ethernet type are copied: the others are never read back.
    /// </summary>
    public static void Snapshot(ref FlowKey committed, in FlowKey key) => HeaderChunks.Copy(HeaderChunks.Of(key), ref committed, key);

    /// <summary>Writes a 48-bit MAC.</summary>
    public static void WriteMac(Span<byte> d, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(d[2..], (uint)mac);
    }

    private static void Vlan(Packet packet, in FlowKey old, in FlowKey key)
    {
        ushort was = (ushort)KeyFields.VlanTci.Get64(old), now = (ushort)KeyFields.VlanTci.Get64(key);
        if (was == now)
        {
            return;
        }

        bool hadTag = (was & 0x1000) != 0, hasTag = (now & 0x1000) != 0;
        if (hadTag && !hasTag)
        {
            packet.PopVlan();
        }
        else if (!hadTag && hasTag)
        {
            packet.PushVlan(0x8100, (ushort)(now & ~0x1000));
        }
        else if (packet.L2_5 >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.Data[(packet.L2_5 + 2)..], (ushort)(now & ~0x1000));
        }
    }

    private static void Ipv4(Packet packet, Span<byte> d, in FlowKey old, in FlowKey key)
    {
        var ip = d[packet.L3..];
        if (ip.Length < 20)
        {
            return;
        }

        byte proto = ip[9];
        var l4 = packet.L4 >= 0 ? d[packet.L4..packet.L3End] : [];
        ulong addrs = key[KeyLayout.IpAddrs], oldAddrs = old[KeyLayout.IpAddrs];
        if (addrs != oldAddrs)
        {
            if ((uint)addrs != (uint)oldAddrs)
            {
                SetIpv4Address(ip, 12, proto, l4, (uint)addrs);
            }

            if (addrs >> 32 != oldAddrs >> 32)
            {
                SetIpv4Address(ip, 16, proto, l4, (uint)(addrs >> 32));
            }
        }

        byte tos = (byte)(key[KeyLayout.EthDst] >> KeyLayout.TosShift);
        if (ip[1] != tos)
        {
            SetCsum(ip, 10, Recalc16(Csum(ip, 10), (ushort)(ip[1] << 8), (ushort)(tos << 8)));
            ip[1] = tos;
        }

        byte ttl = (byte)(key[KeyLayout.EthSrc] >> KeyLayout.TtlShift);
        if (ip[8] != ttl)
        {
            SetCsum(ip, 10, Recalc16(Csum(ip, 10), ip[8], ttl));
            ip[8] = ttl;
        }

        if (l4.Length > 0 && (uint)(key[KeyLayout.Ports] ^ old[KeyLayout.Ports]) != 0)
        {
            Transport(proto, l4, old, key);
        }
    }

    /// <summary><c>packet_set_ipv4_addr</c>: the address at <paramref name="at"/> of the IPv4 header, with the IP
    /// checksum and the TCP or (non-zero) UDP checksum of <paramref name="l4"/> updated when its header is whole.</summary>
    internal static void SetIpv4Address(Span<byte> ip, int at, byte proto, Span<byte> l4, uint value)
    {
        uint oldRaw = BinaryPrimitives.ReadUInt32LittleEndian(ip[at..]);
        uint newRaw = BinaryPrimitives.ReverseEndianness(value);
        if (proto == 6 && l4.Length >= 20)
        {
            SetCsum(l4, 16, Recalc32(Csum(l4, 16), oldRaw, newRaw));
        }
        else if (proto == 17 && l4.Length >= 8 && Csum(l4, 6) != 0)
        {
            ushort c = Recalc32(Csum(l4, 6), oldRaw, newRaw);
            SetCsum(l4, 6, c == 0 ? (ushort)0xffff : c);
        }

        SetCsum(ip, 10, Recalc32(Csum(ip, 10), oldRaw, newRaw));
        BinaryPrimitives.WriteUInt32LittleEndian(ip[at..], newRaw);
    }

    private static void Transport(byte proto, Span<byte> l4, in FlowKey old, in FlowKey key)
    {
        ulong ports = key[KeyLayout.Ports];
        ushort sp = (ushort)ports, dp = (ushort)(ports >> 16);
        switch (proto)
        {
            case 6 when l4.Length >= 20:
                SetPort(l4, 0, sp, 16, udp: false);
                SetPort(l4, 2, dp, 16, udp: false);
                break;
            case 17 when l4.Length >= 8:
                SetPort(l4, 0, sp, 6, udp: true);
                SetPort(l4, 2, dp, 6, udp: true);
                break;
            case 132 when l4.Length >= 12:
                SetSctpPorts(l4, sp, dp);
                break;
            case 1 or 58 when l4.Length >= 8:
                if (l4[0] != (byte)sp || l4[1] != (byte)dp)
                {
                    ushort oldRaw = BinaryPrimitives.ReadUInt16LittleEndian(l4);
                    l4[0] = (byte)sp;
                    l4[1] = (byte)dp;
                    SetCsum(l4, 2, Recalc16(Csum(l4, 2), oldRaw, BinaryPrimitives.ReadUInt16LittleEndian(l4)));
                }

                break;
        }
    }

    /// <summary>
    /// <c>packet_set_sctp_port</c>: the ports rewritten and the CRC32c moved by the difference between the correct
    /// CRCs before and after, so that a wrong CRC stays wrong by the same amount.
    /// </summary>
    private static void SetSctpPorts(Span<byte> l4, ushort sp, ushort dp)
    {
        if (BinaryPrimitives.ReadUInt16BigEndian(l4) == sp && BinaryPrimitives.ReadUInt16BigEndian(l4[2..]) == dp)
        {
            return;
        }

        uint old = BinaryPrimitives.ReadUInt32LittleEndian(l4[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(l4[8..], 0);
        uint oldCorrect = Crc32c(l4);
        BinaryPrimitives.WriteUInt16BigEndian(l4, sp);
        BinaryPrimitives.WriteUInt16BigEndian(l4[2..], dp);
        BinaryPrimitives.WriteUInt32LittleEndian(l4[8..], old ^ oldCorrect ^ Crc32c(l4));
    }

    /// <summary>
    /// <c>packet_set_tcp_port</c> or <c>packet_set_udp_port</c> on a header that may be cut short (the one an ICMP
    /// error quotes): the ports, and the checksum when the header reaches it.
    /// </summary>
    internal static void SetPorts(Span<byte> l4, ushort sp, ushort dp, bool udp)
    {
        int csumAt = udp ? 6 : 16;
        if (l4.Length >= csumAt + 2)
        {
            SetPort(l4, 0, sp, csumAt, udp);
            SetPort(l4, 2, dp, csumAt, udp);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4, sp);
            BinaryPrimitives.WriteUInt16BigEndian(l4[2..], dp);
        }
    }

    private static void SetPort(Span<byte> l4, int at, ushort port, int csumAt, bool udp)
    {
        ushort oldRaw = BinaryPrimitives.ReadUInt16LittleEndian(l4[at..]);
        BinaryPrimitives.WriteUInt16BigEndian(l4[at..], port);
        ushort newRaw = BinaryPrimitives.ReadUInt16LittleEndian(l4[at..]);
        if (oldRaw == newRaw || (udp && Csum(l4, csumAt) == 0))
        {
            return;
        }

        ushort c = Recalc16(Csum(l4, csumAt), oldRaw, newRaw);
        SetCsum(l4, csumAt, udp && c == 0 ? (ushort)0xffff : c);
    }

    private static void Ipv6(Packet packet, Span<byte> d, in FlowKey old, in FlowKey key)
    {
        var ip = d[packet.L3..];
        var l4 = packet.L4 >= 0 ? d[packet.L4..packet.L3End] : [];
        byte proto = (byte)KeyFields.NwProto.Get64(key);
        int csumAt = proto switch { 6 => 16, 17 => 6, 58 => 2, _ => -1 };
        if (l4.Length < csumAt + 2)
        {
            csumAt = -1;
        }

        SetIpv6Address(ip, 8, KeyFields.Ipv6Src.Get(key), l4, csumAt, proto == 17);
        SetIpv6Address(ip, 24, KeyFields.Ipv6Dst.Get(key), l4, csumAt, proto == 17);
        uint first = BinaryPrimitives.ReadUInt32BigEndian(ip);
        uint want = (6u << 28) | ((uint)KeyFields.NwTos.Get64(key) << 20) | (uint)KeyFields.Ipv6Label.Get64(key);
        if (first != want)
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, want);
        }

        ip[7] = (byte)KeyFields.NwTtl.Get64(key);
        if (l4.Length > 0)
        {
            Transport(proto, l4, old, key);
            if (proto == 58 && l4.Length >= 24 && l4[0] is FlowExtractor.NdSolicit or FlowExtractor.NdAdvert)
            {
                UInt128 target = KeyFields.NdTarget.Get(key);
                if (target != KeyFields.NdTarget.Get(old))
                {
                    Replace(l4, 8, target, 2);
                }

                SetNdLinkAddress(l4, KeyFields.ArpSha.Get64(key), KeyFields.ArpTha.Get64(key));
            }
        }
    }

    internal static void SetIpv6Address(Span<byte> ip, int at, UInt128 value, Span<byte> l4, int csumAt, bool udp)
    {
        if (BinaryPrimitives.ReadUInt128BigEndian(ip[at..]) == value)
        {
            return;
        }

        if (csumAt >= 0 && !(udp && Csum(l4, csumAt) == 0))
        {
            Span<byte> b = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(b, value);
            ushort c = Csum(l4, csumAt);
            for (int i = 0; i < 16; i += 2)
            {
                c = Recalc16(c, BinaryPrimitives.ReadUInt16LittleEndian(ip[(at + i)..]), BinaryPrimitives.ReadUInt16LittleEndian(b[i..]));
            }

            SetCsum(l4, csumAt, udp && c == 0 ? (ushort)0xffff : c);
        }

        BinaryPrimitives.WriteUInt128BigEndian(ip[at..], value);
    }

    /// <summary>
    /// <c>packet_set_nd</c>'s options part: the first source (for sll) or target (for tll) link-layer address option
    /// of one 8-byte unit takes the key's address, the ICMPv6 checksum following.
    /// </summary>
    private static void SetNdLinkAddress(Span<byte> nd, ulong sll, ulong tll)
    {
        for (int at = 24; at + 8 <= nd.Length && nd[at + 1] != 0; at += nd[at + 1] * 8)
        {
            if (nd[at + 1] == 1 && nd[at] is 1 or 2)
            {
                ulong want = nd[at] == 1 ? sll : tll;
                Span<byte> mac = stackalloc byte[6];
                WriteMac(mac, want);
                if (!mac.SequenceEqual(nd.Slice(at + 2, 6)))
                {
                    ushort c = Csum(nd, 2);
                    for (int i = 0; i < 6; i += 2)
                    {
                        c = Recalc16(c, BinaryPrimitives.ReadUInt16LittleEndian(nd[(at + 2 + i)..]), BinaryPrimitives.ReadUInt16LittleEndian(mac[i..]));
                    }

                    SetCsum(nd, 2, c);
                    mac.CopyTo(nd[(at + 2)..]);
                }

                return; // a message carries one such option
            }
        }
    }

    /// <summary>Replaces 16 bytes at <paramref name="at"/> of an ICMPv6 message, updating its checksum.</summary>
    private static void Replace(Span<byte> l4, int at, UInt128 value, int csumAt)
    {
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, value);
        ushort c = Csum(l4, csumAt);
        for (int i = 0; i < 16; i += 2)
        {
            c = Recalc16(c, BinaryPrimitives.ReadUInt16LittleEndian(l4[(at + i)..]), BinaryPrimitives.ReadUInt16LittleEndian(b[i..]));
        }

        SetCsum(l4, csumAt, c);
        b.CopyTo(l4[at..]);
    }

    private static void Arp(Span<byte> arp, in FlowKey old, in FlowKey key)
    {
        if (arp.Length < 28)
        {
            return;
        }

        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], (ushort)KeyFields.NwProto.Get64(key));
        WriteMac(arp[8..], KeyFields.ArpSha.Get64(key));
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], (uint)KeyFields.NwSrc.Get64(key));
        WriteMac(arp[18..], KeyFields.ArpTha.Get64(key));
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], (uint)KeyFields.NwDst.Get64(key));
    }

    /// <summary>The raw (host-order read) 16-bit checksum word at <paramref name="at"/>.</summary>
    internal static ushort Csum(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt16LittleEndian(d[at..]);

    internal static void SetCsum(Span<byte> d, int at, ushort raw) => BinaryPrimitives.WriteUInt16LittleEndian(d[at..], raw);

    /// <summary><c>recalc_csum16</c> (RFC 1624), on raw words, with OVS's single fold.</summary>
    internal static ushort Recalc16(ushort oldCsum, ushort oldWord, ushort newWord)
    {
        uint sum = (uint)(ushort)~oldCsum + (ushort)~oldWord + newWord;
        ushort folded = (ushort)(sum + (sum >> 16));
        return (ushort)~folded;
    }

    /// <summary><c>recalc_csum32</c>: the low raw half, then the high.</summary>
    internal static ushort Recalc32(ushort oldCsum, uint oldRaw, uint newRaw) =>
        Recalc16(Recalc16(oldCsum, (ushort)oldRaw, (ushort)newRaw), (ushort)(oldRaw >> 16), (ushort)(newRaw >> 16));

    /// <summary>
    /// SCTP's CRC32c (RFC 4960 appendix B, OVS lib/crc32c.c) of <paramref name="data"/>, to be stored little-endian
    /// in the common header's checksum field (which must be zero while it is computed).
    /// </summary>
    public static uint Crc32c(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        for (; data.Length >= 8; data = data[8..])
        {
            crc = System.Numerics.BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
        }

        foreach (byte b in data)
        {
            crc = System.Numerics.BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    /// <summary>
    /// The checksum of an IPv6 upper-layer message <paramref name="l4"/> (its checksum field zero) under the pseudo
    /// header of <paramref name="ip"/>'s addresses, its length and <paramref name="nextHeader"/>, as a big-endian value.
    /// </summary>
    public static ushort UpperLayerChecksum6(ReadOnlySpan<byte> ip, ReadOnlySpan<byte> l4, byte nextHeader)
    {
        uint sum = (uint)l4.Length + nextHeader;
        for (int i = 8; i < 40; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        }

        return InternetChecksum(l4, sum);
    }

    /// <summary>The Internet checksum of <paramref name="data"/> (for building packets), as a big-endian value.</summary>
    public static ushort InternetChecksum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        uint sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}

/// <summary>
/// The chunks of <see cref="KeyFields.HeaderMask"/> a packet of one Ethernet type can have in its bytes: those of
/// Ethernet, VLAN, IPv4 and transport for every type; with ARP's addresses for ARP; with IPv6's addresses, label and
/// ND fields for IPv6. A commit compares and copies only those (a packet keeps its Ethernet type for its whole life,
/// as OVS cannot set it), and a vector at a time, as the replay wrote them: a 64-bit read of a word a vector store has
/// just written waits for the store.
/// </summary>
internal static class HeaderChunks
{
    private static readonly KeyField[] CommonFields = [KeyFields.DlDst, KeyFields.DlSrc, KeyFields.DlType,
        KeyFields.VlanTci, KeyFields.NwProto, KeyFields.NwTos, KeyFields.NwTtl, KeyFields.NwFrag, KeyFields.NwSrc,
        KeyFields.NwDst, KeyFields.TpSrc, KeyFields.TpDst, KeyFields.TcpFlags];

    private static readonly KeyField[] ArpFields = [.. CommonFields, KeyFields.ArpSha, KeyFields.ArpTha];

    private static readonly int[] Common = MaskedKey.ActiveChunks(KeyFields.MaskOf(CommonFields));

    private static readonly int[] Arp = MaskedKey.ActiveChunks(KeyFields.MaskOf(ArpFields));

    private static readonly int[] Ipv6 = MaskedKey.ActiveChunks(
        KeyFields.MaskOf([.. ArpFields, KeyFields.Ipv6Src, KeyFields.Ipv6Dst, KeyFields.NdTarget, KeyFields.Ipv6Label]));

    static HeaderChunks()
    {
        if (!Ipv6.SequenceEqual(MaskedKey.ActiveChunks(KeyFields.HeaderMask)))
        {
            throw new InvalidOperationException("HeaderChunks does not cover KeyFields.HeaderMask");
        }
    }

    /// <summary>The header chunks of <paramref name="key"/>'s Ethernet type.</summary>
    public static int[] Of(in FlowKey key) =>
        ((key[KeyLayout.Types] >> KeyLayout.DlTypeShift) & 0xffff) switch
        {
            0x86dd => Ipv6,
            0x0806 or 0x8035 => Arp,
            _ => Common,
        };

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> agree on the header bits of <paramref name="chunks"/>.</summary>
    public static bool Equal(int[] chunks, in FlowKey a, in FlowKey b) => MaskedKey.EqualMasked(a, b, KeyFields.HeaderMask, chunks);

    /// <summary>Copies the header bits of <paramref name="chunks"/> from <paramref name="from"/> into <paramref name="to"/>.</summary>
    public static void Copy(int[] chunks, ref FlowKey to, in FlowKey from) => MaskedKey.Blend(ref to, from, KeyFields.HeaderMask, chunks);
}
