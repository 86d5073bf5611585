using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ovnsim.Northd.Topology;

/// <summary>An IPv4 address with its prefix, as lib/ovn-util.c's <c>ipv4_netaddr</c> (address, network, broadcast).</summary>
internal sealed record Ipv4NetAddr(uint Addr, int Plen)
{
    public uint Mask => Plen == 0 ? 0 : uint.MaxValue << (32 - Plen);

    public uint Network => Addr & Mask;

    public string AddrS => Format(Addr);

    public string NetworkS => Format(Network);

    public string BcastS => Format(Addr | ~Mask);

    public bool Contains(uint addr) => (addr & Mask) == Network;

    public static uint Parse(string text) =>
        TryParse(text, out uint addr) ? addr : throw new FormatException($"not an IPv4 address: {text}");

    public static string Format(uint addr) =>
        $"{addr >> 24}.{(addr >> 16) & 0xff}.{(addr >> 8) & 0xff}.{addr & 0xff}";

    public static bool TryParse(string text, out uint addr)
    {
        addr = 0;
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit)
                || !uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out uint octet) || octet > 255)
            {
                return false;
            }

            addr = (addr << 8) | octet;
        }

        return true;
    }
}

/// <summary>An IPv6 address with its prefix, as <c>ipv6_netaddr</c> (with the solicited-node multicast address).</summary>
internal sealed record Ipv6NetAddr(UInt128 Addr, int Plen)
{
    public UInt128 Mask => Plen == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - Plen);

    public UInt128 Network => Addr & Mask;

    public string AddrS => Format(Addr);

    public string NetworkS => Format(Network);

    /// <summary>ff02::1:ffXX:XXXX, from the low 24 bits (RFC 4291 2.7.1).</summary>
    public string SnAddrS => Format((UInt128.Parse("ff0200000000000000000001ff000000", NumberStyles.HexNumber, CultureInfo.InvariantCulture))
                                    | (Addr & 0xffffff));

    public bool Contains(UInt128 addr) => (addr & Mask) == Network;

    public static string Format(UInt128 addr)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, addr);
        return new IPAddress(bytes).ToString();
    }

    public static UInt128 Parse(string text) =>
        TryParse(text, out var addr) ? addr : throw new FormatException($"not an IPv6 address: {text}");

    public static bool TryParse(string text, out UInt128 addr)
    {
        addr = 0;
        if (!text.Contains(':', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal)
            || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        addr = BinaryPrimitives.ReadUInt128BigEndian(ip.GetAddressBytes());
        return true;
    }

    /// <summary>lib/ovn-util.h <c>in6_is_lla</c>: the first 64 bits are fe80::.</summary>
    public static bool IsLinkLocal(UInt128 addr) => (ulong)(addr >> 64) == 0xfe80000000000000UL;

    /// <summary>The EUI-64 link-local address of a MAC (<c>in6_generate_lla</c>).</summary>
    public static UInt128 LinkLocal(ulong mac)
    {
        ulong eui = ((mac >> 24) << 40) | (0xfffeUL << 24) | (mac & 0xffffff);
        eui ^= 0x0200000000000000UL;
        return ((UInt128)0xfe80000000000000UL << 64) | eui;
    }
}

/// <summary>
/// A MAC with its IPv4 and IPv6 addresses: lib/ovn-util.c's <c>lport_addresses</c>, parsed from an LSP address entry
/// ("MAC IP…") or from a router port's mac and networks (plus its link-local address).
/// </summary>
internal sealed class LportAddresses
{
    public ulong Ea { get; init; }

    public string EaS => FormatMac(Ea);

    public List<Ipv4NetAddr> Ipv4 { get; } = [];

    public List<Ipv6NetAddr> Ipv6 { get; } = [];

    public static string FormatMac(ulong mac) => string.Join(':',
        Enumerable.Range(0, 6).Select(i => ((mac >> (40 - (8 * i))) & 0xff).ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary><c>eth_addr_from_string</c>: six hex octets separated by colons.</summary>
    public static bool TryParseMac(string text, out ulong mac)
    {
        mac = 0;
        string[] parts = text.Split(':');
        if (parts.Length != 6)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 2
                || !ulong.TryParse(part, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong octet))
            {
                return false;
            }

            mac = (mac << 8) | octet;
        }

        return true;
    }

    /// <summary><c>extract_lsp_addresses</c>: "MAC [IP[/PLEN]…]"; null when there is no MAC.</summary>
    public static LportAddresses? ParseLsp(string entry)
    {
        string[] words = entry.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !TryParseMac(words[0], out ulong mac))
        {
            return null;
        }

        var addresses = new LportAddresses { Ea = mac };
        foreach (string word in words.Skip(1))
        {
            if (!addresses.TryAdd(word))
            {
                break;
            }
        }

        return addresses;
    }

    /// <summary><c>extract_ip_addresses</c>: "IP[/PLEN] …" without a MAC; null when none parses.</summary>
    public static LportAddresses? ParseIps(string text)
    {
        var addresses = new LportAddresses();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!addresses.TryAdd(word))
            {
                break;
            }
        }

        return addresses.Ipv4.Count + addresses.Ipv6.Count > 0 ? addresses : null;
    }

    /// <summary><c>extract_lrp_networks</c>: the router port's MAC and networks, then its link-local address.</summary>
    public static LportAddresses? ParseLrp(string mac, IEnumerable<string> networks)
    {
        if (!TryParseMac(mac, out ulong ea))
        {
            return null;
        }

        var addresses = new LportAddresses { Ea = ea };
        foreach (string network in networks)
        {
            if (TryParseCidr4(network, out uint ip4, out int plen4))
            {
                if (ip4 != 0)
                {
                    addresses.Ipv4.Add(new Ipv4NetAddr(ip4, plen4));
                }
            }
            else if (TryParseCidr6(network, out var ip6, out int plen6))
            {
                addresses.Ipv6.Add(new Ipv6NetAddr(ip6, plen6));
            }
        }

        addresses.Ipv6.Add(new Ipv6NetAddr(Ipv6NetAddr.LinkLocal(ea), 64));
        return addresses;
    }

    private bool TryAdd(string word)
    {
        if (TryParseCidr4(word, out uint ip4, out int plen4))
        {
            Ipv4.Add(new Ipv4NetAddr(ip4, plen4));
            return true;
        }

        if (TryParseCidr6(word, out var ip6, out int plen6))
        {
            Ipv6.Add(new Ipv6NetAddr(ip6, plen6));
            return true;
        }

        return false;
    }

    public static bool TryParseCidr4(string text, out uint addr, out int plen)
    {
        plen = 32;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string ip = slash < 0 ? text : text[..slash];
        if (!Ipv4NetAddr.TryParse(ip, out addr))
        {
            return false;
        }

        if (slash >= 0)
        {
            string rest = text[(slash + 1)..];
            if (Ipv4NetAddr.TryParse(rest, out uint mask))
            {
                uint inverse = ~mask;
                if ((inverse & (inverse + 1)) != 0)
                {
                    return false; // not a contiguous netmask
                }

                plen = System.Numerics.BitOperations.PopCount(mask);
            }
            else if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out plen) || plen > 32)
            {
                return false;
            }
        }

        return true;
    }

    public static bool TryParseCidr6(string text, out UInt128 addr, out int plen)
    {
        plen = 128;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string ip = slash < 0 ? text : text[..slash];
        if (!Ipv6NetAddr.TryParse(ip, out addr))
        {
            return false;
        }

        return slash < 0
               || (int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out plen) && plen <= 128);
    }
}
