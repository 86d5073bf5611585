using System.Globalization;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace Ovnsim.Capture;

/// <summary>
/// Frames decoded with PacketDotNet for people to read: a tcpdump-like one-line summary, and the header fields layer
/// by layer so that two frames can be compared field by field (<see cref="Differences"/>). Not on the hot path.
/// </summary>
public static class PacketDecode
{
    /// <summary>The header fields of <paramref name="frame"/>, outermost first, each as <c>layer.field</c> and its value.</summary>
    public static IReadOnlyList<(string Field, string Value)> Fields(byte[] frame)
    {
        var fields = new List<(string, string)>();
        Packet? packet;
        try
        {
            packet = Packet.ParsePacket(LinkLayers.Ethernet, frame);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            fields.Add(("frame", $"not decodable ({e.Message})"));
            return fields;
        }

        for (var p = packet; p is not null; p = p.PayloadPacket)
        {
            switch (p)
            {
                case EthernetPacket eth:
                    fields.Add(("eth.dst", Mac(eth.DestinationHardwareAddress)));
                    fields.Add(("eth.src", Mac(eth.SourceHardwareAddress)));
                    fields.Add(("eth.type", $"0x{(ushort)eth.Type:x4}"));
                    break;
                case Ieee8021QPacket vlan:
                    fields.Add(("vlan.id", I(vlan.VlanIdentifier)));
                    fields.Add(("vlan.pcp", I((int)vlan.PriorityControlPoint)));
                    break;
                case ArpPacket arp:
                    fields.Add(("arp.op", arp.Operation == ArpOperation.Request ? "request" : arp.Operation == ArpOperation.Response ? "reply" : I((int)arp.Operation)));
                    fields.Add(("arp.sha", Mac(arp.SenderHardwareAddress)));
                    fields.Add(("arp.spa", arp.SenderProtocolAddress.ToString()));
                    fields.Add(("arp.tha", Mac(arp.TargetHardwareAddress)));
                    fields.Add(("arp.tpa", arp.TargetProtocolAddress.ToString()));
                    break;
                case IPv4Packet ip:
                    fields.Add(("ip4.src", ip.SourceAddress.ToString()));
                    fields.Add(("ip4.dst", ip.DestinationAddress.ToString()));
                    fields.Add(("ip.ttl", I(ip.TimeToLive)));
                    fields.Add(("ip.tos", $"0x{ip.TypeOfService:x2}"));
                    fields.Add(("ip.id", I(ip.Id)));
                    fields.Add(("ip.len", I(ip.TotalLength)));
                    fields.Add(("ip.frag", $"0x{(ip.FragmentFlags << 13) | ip.FragmentOffset:x4}"));
                    fields.Add(("ip.proto", I((int)ip.Protocol)));
                    fields.Add(("ip4.checksum", $"0x{ip.Checksum:x4}{(ip.ValidIPChecksum ? "" : " (bad)")}"));
                    break;
                case IPv6Packet ip6:
                    fields.Add(("ip6.src", ip6.SourceAddress.ToString()));
                    fields.Add(("ip6.dst", ip6.DestinationAddress.ToString()));
                    fields.Add(("ip.ttl", I(ip6.HopLimit)));
                    fields.Add(("ip6.next", I((int)ip6.NextHeader)));
                    fields.Add(("ip6.plen", I(ip6.PayloadLength)));
                    break;
                case TcpPacket tcp:
                    fields.Add(("tcp.src", I(tcp.SourcePort)));
                    fields.Add(("tcp.dst", I(tcp.DestinationPort)));
                    fields.Add(("tcp.flags", TcpFlags(tcp)));
                    fields.Add(("tcp.seq", tcp.SequenceNumber.ToString(CultureInfo.InvariantCulture)));
                    fields.Add(("tcp.ack", tcp.AcknowledgmentNumber.ToString(CultureInfo.InvariantCulture)));
                    fields.Add(("tcp.win", I(tcp.WindowSize)));
                    fields.Add(("tcp.checksum", $"0x{tcp.Checksum:x4}"));
                    break;
                case UdpPacket udp:
                    fields.Add(("udp.src", I(udp.SourcePort)));
                    fields.Add(("udp.dst", I(udp.DestinationPort)));
                    fields.Add(("udp.len", I(udp.Length)));
                    fields.Add(("udp.checksum", $"0x{udp.Checksum:x4}"));
                    break;
                case IcmpV4Packet icmp:
                    fields.Add(("icmp4.type", I((int)icmp.TypeCode >> 8)));
                    fields.Add(("icmp4.code", I((int)icmp.TypeCode & 0xff)));
                    fields.Add(("icmp4.checksum", $"0x{icmp.Checksum:x4}"));
                    break;
                case IcmpV6Packet icmp6:
                    fields.Add(("icmp6.type", I((int)icmp6.Type)));
                    fields.Add(("icmp6.code", I(icmp6.Code)));
                    fields.Add(("icmp6.checksum", $"0x{icmp6.Checksum:x4}"));
                    break;
                default:
                    if (p.PayloadPacket is null && p.HasPayloadData)
                    {
                        fields.Add(("payload", Convert.ToHexString(p.PayloadData)));
                    }

                    break;
            }

            if (p is TransportPacket or ArpPacket && p.PayloadData is { Length: > 0 } data)
            {
                fields.Add(("payload", Convert.ToHexString(data)));
            }
        }

        fields.Add(("frame.len", I(frame.Length)));
        return fields;
    }

    /// <summary>A tcpdump-like one-line summary of <paramref name="frame"/>.</summary>
    public static string Summary(byte[] frame)
    {
        var f = Fields(frame).ToDictionary(x => x.Field, x => x.Value, StringComparer.Ordinal);
        string V(string k) => f.GetValueOrDefault(k) ?? "?";
        string l2 = $"{V("eth.src")} > {V("eth.dst")}";
        if (f.ContainsKey("arp.op"))
        {
            return V("arp.op") == "request"
                ? $"{l2}, ARP who-has {V("arp.tpa")} tell {V("arp.spa")}"
                : $"{l2}, ARP {V("arp.spa")} is-at {V("arp.sha")}";
        }

        string? src = f.GetValueOrDefault("ip4.src") ?? f.GetValueOrDefault("ip6.src");
        string? dst = f.GetValueOrDefault("ip4.dst") ?? f.GetValueOrDefault("ip6.dst");
        if (src is null)
        {
            return $"{l2}, ethertype {V("eth.type")}, length {frame.Length}";
        }

        string ttl = $"ttl {V("ip.ttl")}";
        if (f.ContainsKey("tcp.src"))
        {
            return $"{l2}, {src}.{V("tcp.src")} > {dst}.{V("tcp.dst")}: Flags [{V("tcp.flags")}], seq {V("tcp.seq")}, ack {V("tcp.ack")}, {ttl}";
        }

        if (f.ContainsKey("udp.src"))
        {
            return $"{l2}, {src}.{V("udp.src")} > {dst}.{V("udp.dst")}: UDP, {ttl}";
        }

        if (f.ContainsKey("icmp4.type") || f.ContainsKey("icmp6.type"))
        {
            string v = f.ContainsKey("icmp4.type") ? "4" : "6";
            return $"{l2}, {src} > {dst}: ICMP{(v == "6" ? "v6" : "")} type {V($"icmp{v}.type")} code {V($"icmp{v}.code")}, {ttl}";
        }

        return $"{l2}, {src} > {dst}: proto {V("ip.proto")}{V("ip6.next").Replace("?", "", StringComparison.Ordinal)}, {ttl}";
    }

    /// <summary>
    /// The fields in which <paramref name="actual"/> differs from <paramref name="expected"/>, as
    /// <c>field: expected X, got Y</c>; the raw bytes' first difference when the decoded fields agree.
    /// </summary>
    public static IReadOnlyList<string> Differences(byte[] expected, byte[] actual)
    {
        var e = Fields(expected);
        var a = Fields(actual);
        var diffs = new List<string>();
        var av = a.GroupBy(x => x.Field).ToDictionary(g => g.Key, g => g.Select(x => x.Value).ToList(), StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (field, value) in e)
        {
            int n = seen[field] = seen.GetValueOrDefault(field) + 1;
            string? got = av.TryGetValue(field, out var list) && list.Count >= n ? list[n - 1] : null;
            if (got != value)
            {
                diffs.Add($"{field}: expected {value}, got {got ?? "(absent)"}");
            }
        }

        var expectedFields = e.Select(x => x.Field).ToHashSet(StringComparer.Ordinal);
        foreach (var (field, value) in a.Where(x => !expectedFields.Contains(x.Field)))
        {
            diffs.Add($"{field}: expected (absent), got {value}");
        }

        if (diffs.Count == 0 && !expected.AsSpan().SequenceEqual(actual))
        {
            int at = expected.AsSpan().CommonPrefixLength(actual);
            diffs.Add($"byte {at}: expected {(at < expected.Length ? $"0x{expected[at]:x2}" : "(end)")}, got {(at < actual.Length ? $"0x{actual[at]:x2}" : "(end)")}");
        }

        return diffs;
    }

    private static string TcpFlags(TcpPacket tcp)
    {
        string s = (tcp.Synchronize ? "S" : "") + (tcp.Finished ? "F" : "") + (tcp.Reset ? "R" : "") + (tcp.Push ? "P" : "")
            + (tcp.Urgent ? "U" : "") + (tcp.Acknowledgment ? "." : "");
        return s.Length == 0 ? "none" : s;
    }

    private static string Mac(PhysicalAddress a) =>
        string.Join(':', a.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
}
