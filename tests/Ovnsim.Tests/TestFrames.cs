using System.Buffers.Binary;
using Ovnsim.Engine;

namespace Ovnsim.Tests;

/// <summary>Ethernet frames built byte by byte for tests: IPv4 with TCP, UDP or ICMP echo (checksums right), and ARP.</summary>
internal static class TestFrames
{
    /// <summary>A MAC address from its text.</summary>
    public static byte[] Mac(string text) => Convert.FromHexString(text.Replace(":", "", StringComparison.Ordinal));

    /// <summary>An IPv4 address from its text, as a number.</summary>
    public static uint Ip(string text) => BinaryPrimitives.ReadUInt32BigEndian(System.Net.IPAddress.Parse(text).GetAddressBytes());

    /// <summary>An IPv4 frame carrying <paramref name="l4"/>, whose checksum (at <paramref name="checksumAt"/>, or none when negative) is filled in.</summary>
    public static byte[] Ipv4(byte[] dstMac, byte[] srcMac, uint src, uint dst, byte proto, byte[] l4, int checksumAt, byte ttl = 64, ushort id = 1)
    {
        var f = Ethernet(14 + 20 + l4.Length, dstMac, srcMac, 0x0800);
        var ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
        ip[8] = ttl;
        ip[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], HeaderCommit.InternetChecksum(ip[..20]));
        l4.CopyTo(f, 34);
        if (checksumAt >= 0)
        {
            uint pseudo = proto == 1 ? 0 : L4PseudoSum(f);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(34 + checksumAt), HeaderCommit.InternetChecksum(f.AsSpan(34), pseudo));
        }

        return f;
    }

    /// <summary>A frame of <paramref name="length"/> bytes with its Ethernet header written.</summary>
    private static byte[] Ethernet(int length, byte[] dstMac, byte[] srcMac, ushort type)
    {
        var f = new byte[length];
        dstMac.CopyTo(f, 0);
        srcMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), type);
        return f;
    }

    private static uint L4PseudoSum(byte[] f)
    {
        uint sum = f[23] + (uint)(f.Length - 34);
        for (int i = 26; i < 34; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(i));
        }

        return sum;
    }

    /// <summary>An IPv6 frame carrying <paramref name="l4"/> as next header <paramref name="nextHeader"/>, whose checksum (at <paramref name="checksumAt"/>, or none when negative) is filled in.</summary>
    public static byte[] Ipv6(byte[] dstMac, byte[] srcMac, UInt128 src, UInt128 dst, byte nextHeader, byte[] l4, int checksumAt, byte hopLimit = 64)
    {
        var f = Ethernet(14 + 40 + l4.Length, dstMac, srcMac, 0x86dd);
        var ip = f.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4.Length);
        ip[6] = nextHeader;
        ip[7] = hopLimit;
        BinaryPrimitives.WriteUInt128BigEndian(ip[8..], src);
        BinaryPrimitives.WriteUInt128BigEndian(ip[24..], dst);
        l4.CopyTo(f, 54);
        if (checksumAt >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(54 + checksumAt), HeaderCommit.UpperLayerChecksum6(ip, f.AsSpan(54), nextHeader));
        }

        return f;
    }

    /// <summary>A TCP segment over IPv6, without payload or options.</summary>
    public static byte[] Tcp6(byte[] dstMac, byte[] srcMac, UInt128 src, UInt128 dst, ushort sport, ushort dport, byte flags, uint seq, uint ack)
    {
        var tcp = Tcp(dstMac, srcMac, 0, 0, sport, dport, flags, seq, ack).AsSpan(34).ToArray();
        tcp[16] = tcp[17] = 0;
        return Ipv6(dstMac, srcMac, src, dst, 6, tcp, 16);
    }

    /// <summary>An ICMPv6 echo request.</summary>
    public static byte[] Icmp6Echo(byte[] dstMac, byte[] srcMac, UInt128 src, UInt128 dst, ushort ident, ushort seq, byte hopLimit = 64)
    {
        return Ipv6(dstMac, srcMac, src, dst, 58, EchoMessage(128, ident, seq), 2, hopLimit);
    }

    /// <summary>An ICMP or ICMPv6 echo message of <paramref name="type"/> with 8 bytes of zero data (checksum left zero).</summary>
    private static byte[] EchoMessage(byte type, ushort ident, ushort seq)
    {
        var icmp = new byte[16];
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), ident);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), seq);
        return icmp;
    }

    /// <summary>A UDP datagram over IPv6 with a 4-byte payload.</summary>
    public static byte[] Udp6(byte[] dstMac, byte[] srcMac, UInt128 src, UInt128 dst, ushort sport, ushort dport, byte hopLimit = 64)
    {
        var udp = UdpSegment(sport, dport);
        return Ipv6(dstMac, srcMac, src, dst, 17, udp, 6, hopLimit);
    }

    /// <summary>
    /// A neighbour solicitation for <paramref name="target"/> from <paramref name="src"/> with a source link-layer
    /// address option, to the target's solicited-node multicast address (hop limit 255).
    /// </summary>
    public static byte[] NdSolicit(byte[] srcMac, UInt128 src, UInt128 target)
    {
        UInt128 group = ((UInt128)0xff02_0000_0000_0000UL << 64) | 0x0000_0001_ff00_0000UL | (target & 0xff_ffff);
        var dstMac = new byte[] { 0x33, 0x33, 0xff, (byte)(target >> 16), (byte)(target >> 8), (byte)target };
        return Ipv6(dstMac, srcMac, src, group, 58, NdMessage(135, 0, target, 1, srcMac), 2, 255);
    }

    /// <summary>A solicited neighbour advertisement: <paramref name="src"/> is at <paramref name="srcMac"/> (target link-layer address option, override set).</summary>
    public static byte[] NdAdvert(byte[] dstMac, byte[] srcMac, UInt128 src, UInt128 dst) =>
        Ipv6(dstMac, srcMac, src, dst, 58, NdMessage(136, 0x60, src, 2, srcMac), 2, 255);

    /// <summary>An ND message (checksum left 0): ICMPv6 <paramref name="type"/>, <paramref name="flags"/>, the target address and one link-layer address option of <paramref name="optionType"/>.</summary>
    private static byte[] NdMessage(byte type, byte flags, UInt128 target, byte optionType, byte[] mac)
    {
        var m = new byte[32];
        m[0] = type;
        m[4] = flags;
        BinaryPrimitives.WriteUInt128BigEndian(m.AsSpan(8), target);
        m[24] = optionType;
        m[25] = 1;
        mac.CopyTo(m, 26);
        return m;
    }

    /// <summary>An IPv6 address.</summary>
    public static UInt128 Ip6(string text) => BinaryPrimitives.ReadUInt128BigEndian(System.Net.IPAddress.Parse(text).GetAddressBytes());

    /// <summary>Whether an IPv6 frame's TCP, UDP or ICMPv6 checksum (no extension headers) is right.</summary>
    public static bool Checksums6Valid(ReadOnlySpan<byte> f) =>
        f[20] is not (6 or 17 or 58) || HeaderCommit.UpperLayerChecksum6(f[14..], f[54..], f[20]) == 0;

    /// <summary>A TCP segment without payload or options.</summary>
    public static byte[] Tcp(byte[] dstMac, byte[] srcMac, uint src, uint dst, ushort sport, ushort dport, byte flags, uint seq, uint ack, byte ttl = 64, ushort id = 1)
    {
        var tcp = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 64240);
        return Ipv4(dstMac, srcMac, src, dst, 6, tcp, 16, ttl, id);
    }

    /// <summary>A UDP header and a 4-byte payload, the checksum left to fill in.</summary>
    private static byte[] UdpSegment(ushort sport, ushort dport)
    {
        var udp = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), 12);
        udp[8] = 0xde;
        udp[9] = 0xad;
        return udp;
    }

    /// <summary>A UDP datagram with a 4-byte payload.</summary>
    public static byte[] Udp(byte[] dstMac, byte[] srcMac, uint src, uint dst, ushort sport, ushort dport, byte ttl = 64)
    {
        var udp = UdpSegment(sport, dport);
        return Ipv4(dstMac, srcMac, src, dst, 17, udp, 6, ttl);
    }

    /// <summary>An ICMP echo request.</summary>
    public static byte[] IcmpEcho(byte[] dstMac, byte[] srcMac, uint src, uint dst, ushort ident, ushort seq, byte ttl = 64)
    {
        return Ipv4(dstMac, srcMac, src, dst, 1, EchoMessage(8, ident, seq), 2, ttl);
    }

    /// <summary>An ARP request (op 1) or reply (op 2).</summary>
    public static byte[] Arp(byte[] dstMac, byte[] srcMac, ushort op, byte[] sha, uint spa, byte[] tha, uint tpa)
    {
        var f = Ethernet(42, dstMac, srcMac, 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800);
        f[18] = 6;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), op);
        sha.CopyTo(f, 22);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(28), spa);
        tha.CopyTo(f, 32);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(38), tpa);
        return f;
    }

    /// <summary>Whether an IPv4 frame's header checksum and its TCP, UDP or ICMP checksum are right.</summary>
    public static bool ChecksumsValid(byte[] f)
    {
        if (HeaderCommit.InternetChecksum(f.AsSpan(14, 20)) != 0)
        {
            return false;
        }

        byte proto = f[23];
        if (proto == 17 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(40)) == 0)
        {
            return true;
        }

        uint pseudo = proto == 1 ? 0 : L4PseudoSum(f);
        return proto is not (1 or 6 or 17) || HeaderCommit.InternetChecksum(f.AsSpan(34), pseudo) == 0;
    }
}
