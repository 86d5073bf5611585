using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>
/// The address syntaxes ovn-nbctl validates and normalizes: Ethernet addresses, IPv4/IPv6 addresses and CIDRs
/// (<c>ip_parse_cidr</c>, <c>normalize_ipv4_prefix</c> in <c>lib/ovn-util.c</c>), and load-balancer keys.
/// </summary>
internal static class AddressText
{
    /// <summary>An Ethernet address: six groups of one or two hex digits separated by colons.</summary>
    public static bool IsMac(string s)
    {
        var parts = s.Split(':');
        return parts.Length == 6 && parts.All(p => p.Length is 1 or 2 && p.All(char.IsAsciiHexDigit));
    }

    /// <summary>A strict dotted-quad IPv4 address, as <c>inet_pton(AF_INET)</c> accepts.</summary>
    public static bool TryParseIPv4(string s, out IPAddress address)
    {
        address = IPAddress.None;
        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            string p = parts[i];
            if (p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')
                || !byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>An IPv6 address in the text forms <c>inet_pton(AF_INET6)</c> accepts (no scope, no brackets).</summary>
    public static bool TryParseIPv6(string s, out IPAddress address)
    {
        address = IPAddress.IPv6None;
        if (s.Length == 0 || !s.Contains(':', StringComparison.Ordinal) || s.Contains('%', StringComparison.Ordinal)
            || s.Contains('[', StringComparison.Ordinal) || !IPAddress.TryParse(s, out var parsed)
            || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>
    /// Parses "IP", "IP/len" or "IP/mask" of one family and returns the normalized prefix OVN writes: the network
    /// address (host bits cleared), with "/len" unless the length is the full width.
    /// </summary>
    public static string? NormalizePrefix(string s, bool ipv6)
    {
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        string host = slash < 0 ? s : s[..slash];
        IPAddress address;
        if (!(ipv6 ? TryParseIPv6(host, out address) : TryParseIPv4(host, out address)))
        {
            return null;
        }

        int width = ipv6 ? 128 : 32;
        int plen = width;
        if (slash >= 0)
        {
            string len = s[(slash + 1)..];
            if (len.Length > 0 && len.All(char.IsAsciiDigit)
                && int.TryParse(len, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= width)
            {
                plen = n;
            }
            else if ((ipv6 ? TryParseIPv6(len, out var mask) : TryParseIPv4(len, out mask)) && CidrLength(mask) is int m)
            {
                plen = m;
            }
            else
            {
                return null;
            }
        }

        byte[] bytes = address.GetAddressBytes();
        for (int bit = plen; bit < width; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        string network = new IPAddress(bytes).ToString();
        return plen == width ? network : $"{network}/{plen}";
    }

    /// <summary>A plain address of one family, normalized (<c>normalize_ipv4_addr_str</c>).</summary>
    public static string? NormalizeAddress(string s, bool ipv6) =>
        s.Contains('/', StringComparison.Ordinal) ? null : NormalizePrefix(s, ipv6);

    /// <summary>An address or prefix of either family, normalized (<c>normalize_prefix_str</c>).</summary>
    public static string? NormalizeAnyPrefix(string s) => NormalizePrefix(s, false) ?? NormalizePrefix(s, true);

    /// <summary>True when <paramref name="ip"/> is the address of one of the port's networks ("IP/len" each).</summary>
    public static bool IsPortAddress(IEnumerable<string> networks, string ip) =>
        networks.Any(n => NormalizeAnyPrefix(n.Split('/')[0]) == ip);

    /// <summary>
    /// Parses a load-balancer VIP or backend the way <c>ip_address_and_port_from_lb_key</c> does: "IPv4",
    /// "IPv4:port", "IPv6", "[IPv6]" or "[IPv6]:port". Returns false on bad syntax. A port of 0 means none.
    /// </summary>
    public static bool TryParseLbKey(string key, out string ip, out int port, out bool ipv6)
    {
        ip = "";
        port = 0;
        ipv6 = false;
        string host = key;
        string? portText = null;
        if (key.StartsWith('['))
        {
            int close = key.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = key[1..close];
            string rest = key[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                portText = rest[1..];
            }
        }
        else if (!TryParseIPv6(key, out _))
        {
            int colon = key.LastIndexOf(':');
            if (colon >= 0)
            {
                host = key[..colon];
                portText = key[(colon + 1)..];
            }
        }

        if (portText is not null && (portText.Length == 0 || !portText.All(char.IsAsciiDigit)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
        {
            return false;
        }

        if (TryParseIPv4(host, out var v4))
        {
            ip = v4.ToString();
            return !key.StartsWith('[');
        }

        if (TryParseIPv6(host, out var v6))
        {
            ipv6 = true;
            ip = v6.ToString();
            return true;
        }

        return false;
    }

    private static int? CidrLength(IPAddress mask)
    {
        int n = 0;
        bool zeros = false;
        foreach (byte b in mask.GetAddressBytes())
        {
            for (int bit = 7; bit >= 0; bit--)
            {
                bool one = ((b >> bit) & 1) != 0;
                if (one && zeros)
                {
                    return null;
                }

                if (one)
                {
                    n++;
                }
                else
                {
                    zeros = true;
                }
            }
        }

        return n;
    }
}
