using System.Globalization;
using System.Net;

namespace Ovnsim.OpenFlow;

/// <summary>Addresses as the SB writes them, read as ovn-controller reads them, into right-aligned integers.</summary>
public static class AddressText
{
    /// <summary><c>eth_addr_from_string</c>: six colon-separated hex bytes, or null.</summary>
    public static ulong? ParseMac(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 6)
        {
            return null;
        }

        ulong mac = 0;
        foreach (string part in parts)
        {
            if (part.Length is < 1 or > 2
                || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                return null;
            }

            mac = (mac << 8) | b;
        }

        return mac;
    }

    /// <summary>An IPv4 or IPv6 address as an integer (IPv4 in the low 32 bits).</summary>
    public static UInt128 Value(IPAddress address)
    {
        UInt128 v = 0;
        foreach (byte b in address.GetAddressBytes())
        {
            v = (v << 8) | b;
        }

        return v;
    }
}
