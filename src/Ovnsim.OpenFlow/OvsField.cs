using System.Globalization;
using System.Net;
using System.Text;

namespace Ovnsim.OpenFlow;

/// <summary>How ovs-ofctl prints a field's value (lib/meta-flow.h <c>enum mf_string</c>).</summary>
public enum OvsFieldFormat
{
    /// <summary>Hexadecimal with a 0x prefix; zero is "0".</summary>
    Hexadecimal,

    /// <summary>Decimal.</summary>
    Decimal,

    /// <summary>An Ethernet address.</summary>
    Ethernet,

    /// <summary>An IPv4 address, a mask as a prefix length when it is one.</summary>
    Ipv4,

    /// <summary>An IPv6 address.</summary>
    Ipv6,

    /// <summary>An OpenFlow port: a number, or a reserved port's name (<c>ANY</c> for 0xffff).</summary>
    OfpPort,
}

/// <summary>
/// One Open vSwitch flow field as actions name it (lib/meta-flow.xml): the name <c>set_field</c> prints, the NXM or
/// OXM name <c>move</c>, <c>push</c> and <c>pop</c> print, its width and how its values print.
/// </summary>
/// <param name="Name">The field's name (<c>mf-&gt;name</c>), e.g. <c>ip_dst</c>, <c>reg15</c>.</param>
/// <param name="NxmName">Its NXM or OXM name, e.g. <c>NXM_OF_IP_DST</c>.</param>
/// <param name="Bits">Width in bits.</param>
/// <param name="Format">How values print.</param>
/// <param name="Nxm">The NXM header's class and field (<c>class &lt;&lt; 16 | field &lt;&lt; 9</c>), or null when the field has none.</param>
/// <param name="Oxm">The OpenFlow 1.2+ OXM header's class and field, or null.</param>
public sealed record OvsField(string Name, string NxmName, int Bits, OvsFieldFormat Format, uint? Nxm = null, uint? Oxm = null)
{
    /// <summary>Bytes the field's value takes.</summary>
    public int Bytes => (Bits + 7) / 8;

    /// <summary>The field's index among the known fields (0, 1, …; see <see cref="Count"/>), for tables indexed by field.</summary>
    public int Id { get; private init; }

    /// <summary>How many fields there are (one more than the largest <see cref="Id"/>).</summary>
    public static int Count => ByName.Values.Max(f => f.Id) + 1;

    /// <summary>
    /// The header <c>mf_oxm_header</c> picks for OpenFlow 1.5 (OXM where the field has one) or, for
    /// Nicira extension actions, for version 0 (NXM where the field has one); with the value length, and the
    /// has-mask bit (which doubles the length) when <paramref name="masked"/>.
    /// </summary>
    public uint Header(bool openFlow15, bool masked = false)
    {
        uint classField = (openFlow15 ? Oxm ?? Nxm : Nxm ?? Oxm)
                          ?? throw new InvalidOperationException($"field {Name} has no NXM or OXM header");
        return classField | (masked ? 0x100u | (uint)(2 * Bytes) : (uint)Bytes);
    }

    private static readonly Dictionary<string, OvsField> ByName = Build();

    private static readonly Dictionary<string, OvsField> ByNxmName =
        ByName.Values.DistinctBy(f => f.NxmName).ToDictionary(f => f.NxmName, StringComparer.Ordinal);

    /// <summary>The field whose NXM or OXM name (as <c>move</c> and <c>learn</c> print it) is <paramref name="nxmName"/>.</summary>
    public static OvsField GetByNxmName(string nxmName) =>
        ByNxmName.TryGetValue(nxmName, out var f) ? f : throw new ArgumentException($"no OVS field {nxmName}", nameof(nxmName));

    /// <summary>Every name <see cref="Get"/> accepts.</summary>
    public static IEnumerable<string> AllNames => ByName.Keys;

    /// <summary>
    /// The field called <paramref name="name"/>, by OVS name or by the name the logical symbol table gives it
    /// (<c>ipv4_dst</c> is OVS's <c>ip_dst</c>).
    /// </summary>
    public static OvsField Get(string name) =>
        ByName.TryGetValue(name, out var f) ? f : throw new ArgumentException($"no OVS field {name}", nameof(name));

    /// <summary>
    /// The value (and mask, when not all ones) as <c>mf_format</c> prints it. Values are right-aligned in a
    /// <see cref="UInt128"/>.
    /// </summary>
    public string FormatValue(UInt128 value, UInt128 mask)
    {
        UInt128 all = Bits == 128 ? UInt128.MaxValue : (UInt128.One << Bits) - 1;
        bool masked = (mask & all) != all;
        var s = new StringBuilder();
        switch (Format)
        {
            case OvsFieldFormat.Hexadecimal:
                s.Append(Hex(value));
                if (masked)
                {
                    s.Append('/').Append(Hex(mask));
                }

                break;
            case OvsFieldFormat.OfpPort:
                s.Append((ulong)value switch { 0xffff => "ANY", 0xfff8 => "IN_PORT", 0xfffd => "CONTROLLER", 0xfffe => "LOCAL", _ => value.ToString(CultureInfo.InvariantCulture) });
                break;
            case OvsFieldFormat.Decimal:
                s.Append(value.ToString(CultureInfo.InvariantCulture));
                if (masked)
                {
                    s.Append('/').Append(Hex(mask));
                }

                break;
            case OvsFieldFormat.Ethernet:
                s.Append(Mac((ulong)value));
                if (masked)
                {
                    s.Append('/').Append(Mac((ulong)mask));
                }

                break;
            case OvsFieldFormat.Ipv4:
                s.Append(Ipv4((uint)value));
                if (masked)
                {
                    int prefix = PrefixLength(mask, 32);
                    s.Append('/').Append(prefix >= 0 ? prefix.ToString(CultureInfo.InvariantCulture) : Ipv4((uint)mask));
                }

                break;
            case OvsFieldFormat.Ipv6:
                s.Append(Ipv6(value));
                if (masked)
                {
                    int prefix = PrefixLength(mask, 128);
                    s.Append('/').Append(prefix >= 0 ? prefix.ToString(CultureInfo.InvariantCulture) : Ipv6(mask));
                }

                break;
        }

        return s.ToString();
    }

    /// <summary><c>%#x</c>: "0" for zero, else 0x and the digits.</summary>
    internal static string Hex(UInt128 v) => v == 0 ? "0" : "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>A MAC address as text.</summary>
    public static string Mac(ulong v) => string.Join(":", Enumerable.Range(0, 6)
        .Select(i => ((byte)(v >> (8 * (5 - i)))).ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>An IPv4 address as text.</summary>
    public static string Ipv4(uint v) => $"{v >> 24}.{(v >> 16) & 0xff}.{(v >> 8) & 0xff}.{v & 0xff}";

    /// <summary>An IPv6 address as text.</summary>
    public static string Ipv6(UInt128 v)
    {
        var bytes = new byte[16];
        for (int i = 0; i < 16; i++)
        {
            bytes[i] = (byte)(v >> (8 * (15 - i)));
        }

        return new IPAddress(bytes).ToString();
    }

    /// <summary>The prefix length of a CIDR mask, or -1 when the mask is not one.</summary>
    private static int PrefixLength(UInt128 mask, int bits)
    {
        UInt128 all = bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
        int ones = (int)UInt128.PopCount(mask & all);
        UInt128 expected = ones == 0 ? 0 : (all << (bits - ones)) & all;
        return (mask & all) == expected ? ones : -1;
    }

    private static Dictionary<string, OvsField> Build()
    {
        const OvsFieldFormat hex = OvsFieldFormat.Hexadecimal, dec = OvsFieldFormat.Decimal,
            eth = OvsFieldFormat.Ethernet, ip4 = OvsFieldFormat.Ipv4, ip6 = OvsFieldFormat.Ipv6;
        var fields = new List<(string[] Names, OvsField Field)>
        {
            (["metadata"], new("metadata", "OXM_OF_METADATA", 64, hex, null, O(2))),
            (["in_port"], new("in_port", "NXM_OF_IN_PORT", 16, OvsFieldFormat.OfpPort, N0(0))),
            (["pkt_mark"], new("pkt_mark", "NXM_NX_PKT_MARK", 32, hex, N1(33))),
            (["ct_state"], new("ct_state", "NXM_NX_CT_STATE", 32, hex, N1(105))),
            (["ct_mark"], new("ct_mark", "NXM_NX_CT_MARK", 32, hex, N1(107))),
            (["ct_label"], new("ct_label", "NXM_NX_CT_LABEL", 128, hex, N1(108))),
            (["eth_src"], new("eth_src", "NXM_OF_ETH_SRC", 48, eth, N0(2), O(4))),
            (["eth_dst"], new("eth_dst", "NXM_OF_ETH_DST", 48, eth, N0(1), O(3))),
            (["eth_type"], new("eth_type", "NXM_OF_ETH_TYPE", 16, hex, N0(3), O(5))),
            (["vlan_tci"], new("vlan_tci", "NXM_OF_VLAN_TCI", 16, hex, N0(4))),
            (["ip_proto"], new("nw_proto", "NXM_OF_IP_PROTO", 8, dec, N0(6), O(10))),
            (["ip_dscp"], new("ip_dscp", "OXM_OF_IP_DSCP", 6, dec, null, O(8))),
            (["ip_ecn"], new("nw_ecn", "NXM_NX_IP_ECN", 2, dec, N1(28), O(9))),
            (["nw_ttl"], new("nw_ttl", "NXM_NX_IP_TTL", 8, dec, N1(29))),
            (["nw_frag"], new("ip_frag", "NXM_NX_IP_FRAG", 2, hex, N1(26))),
            (["ipv4_src", "ip_src"], new("ip_src", "NXM_OF_IP_SRC", 32, ip4, N0(7), O(11))),
            (["ipv4_dst", "ip_dst"], new("ip_dst", "NXM_OF_IP_DST", 32, ip4, N0(8), O(12))),
            (["ipv6_src"], new("ipv6_src", "NXM_NX_IPV6_SRC", 128, ip6, N1(19), O(26))),
            (["ipv6_dst"], new("ipv6_dst", "NXM_NX_IPV6_DST", 128, ip6, N1(20), O(27))),
            (["ipv6_label"], new("ipv6_label", "NXM_NX_IPV6_LABEL", 20, hex, N1(27), O(28))),
            (["arp_op"], new("arp_op", "NXM_OF_ARP_OP", 16, dec, N0(15), O(21))),
            (["arp_spa"], new("arp_spa", "NXM_OF_ARP_SPA", 32, ip4, N0(16), O(22))),
            (["arp_tpa"], new("arp_tpa", "NXM_OF_ARP_TPA", 32, ip4, N0(17), O(23))),
            (["arp_sha"], new("arp_sha", "NXM_NX_ARP_SHA", 48, eth, N1(17), O(24))),
            (["arp_tha"], new("arp_tha", "NXM_NX_ARP_THA", 48, eth, N1(18), O(25))),
            (["nd_target"], new("nd_target", "NXM_NX_ND_TARGET", 128, ip6, N1(23), O(31))),
            (["nd_sll"], new("nd_sll", "NXM_NX_ND_SLL", 48, eth, N1(24), O(32))),
            (["nd_tll"], new("nd_tll", "NXM_NX_ND_TLL", 48, eth, N1(25), O(33))),
            (["icmp_type"], new("icmp_type", "NXM_OF_ICMP_TYPE", 8, dec, N0(13), O(19))),
            (["icmp_code"], new("icmp_code", "NXM_OF_ICMP_CODE", 8, dec, N0(14), O(20))),
            (["icmpv6_type"], new("icmpv6_type", "NXM_NX_ICMPV6_TYPE", 8, dec, N1(21), O(29))),
            (["icmpv6_code"], new("icmpv6_code", "NXM_NX_ICMPV6_CODE", 8, dec, N1(22), O(30))),
            (["tcp_src"], new("tcp_src", "NXM_OF_TCP_SRC", 16, dec, N0(9), O(13))),
            (["tcp_dst"], new("tcp_dst", "NXM_OF_TCP_DST", 16, dec, N0(10), O(14))),
            (["udp_src"], new("udp_src", "NXM_OF_UDP_SRC", 16, dec, N0(11), O(15))),
            (["udp_dst"], new("udp_dst", "NXM_OF_UDP_DST", 16, dec, N0(12), O(16))),
            (["sctp_src"], new("sctp_src", "OXM_OF_SCTP_SRC", 16, dec, null, O(17))),
            (["sctp_dst"], new("sctp_dst", "OXM_OF_SCTP_DST", 16, dec, null, O(18))),
            (["tcp_flags"], new("tcp_flags", "NXM_NX_TCP_FLAGS", 12, hex, N1(34))),
        };
        for (int i = 0; i < 16; i++)
        {
            fields.Add(([$"reg{i}"], new($"reg{i}", $"NXM_NX_REG{i}", 32, hex, N1(i))));
        }

        for (int i = 0; i < 8; i++)
        {
            fields.Add(([$"xreg{i}"], new($"xreg{i}", $"OXM_OF_PKT_REG{i}", 64, hex, null, (0x8001u << 16) | ((uint)i << 9))));
        }

        for (int i = 0; i < 4; i++)
        {
            fields.Add(([$"xxreg{i}"], new($"xxreg{i}", $"NXM_NX_XXREG{i}", 128, hex, N1(111 + i))));
        }

        var map = new Dictionary<string, OvsField>(StringComparer.Ordinal);
        static uint N0(int field) => (uint)field << 9;
        static uint N1(int field) => (1u << 16) | ((uint)field << 9);
        static uint O(int field) => (0x8000u << 16) | ((uint)field << 9);
        for (int i = 0; i < fields.Count; i++)
        {
            var (names, field) = fields[i] = (fields[i].Names, fields[i].Field with { Id = i });
            foreach (string n in names)
            {
                map[n] = field;
            }

            map.TryAdd(field.Name, field);
        }

        return map;
    }
}

/// <summary>Bits <paramref name="Offset"/>.. of <paramref name="Field"/> (<c>struct mf_subfield</c>).</summary>
/// <param name="Field">The field.</param>
/// <param name="Offset">Lowest bit.</param>
/// <param name="Bits">Number of bits.</param>
public sealed record OvsSubfield(OvsField Field, int Offset, int Bits)
{
    /// <summary>The whole of a field.</summary>
    public static OvsSubfield Whole(string field)
    {
        var f = OvsField.Get(field);
        return new OvsSubfield(f, 0, f.Bits);
    }

    /// <summary><c>mf_format_subfield</c>: <c>NAME[]</c>, <c>NAME[bit]</c> or <c>NAME[lo..hi]</c>.</summary>
    public override string ToString() =>
        Offset == 0 && Bits == Field.Bits ? $"{Field.NxmName}[]"
        : Bits == 1 ? $"{Field.NxmName}[{Offset}]"
        : $"{Field.NxmName}[{Offset}..{Offset + Bits - 1}]";
}
