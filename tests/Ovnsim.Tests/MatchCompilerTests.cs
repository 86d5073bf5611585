using System.Globalization;
using System.Net;
using Ovnsim.Logical.Actions;
using Ovnsim.Logical.Expressions;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Tests;

/// <summary>
/// The match half of ovn-controller's translation against the real one: for every logical flow of the seed's and
/// each golden topology's sb.db, the OpenFlow matches compiled from its match must be exactly the matches of the
/// OpenFlow flows real ovn-controller installed with that flow's cookie (openflow-nostats.txt, made by
/// tools/northd-golden.sh --controller), compared field by field with conjunction ids left out (they are allocated
/// differently in every run).
/// </summary>
public sealed partial class MatchCompilerTests
{
    public static TheoryData<string> Hypervisors()
    {
        var data = new TheoryData<string> { TestData.Path("seed") };
        foreach (string name in NorthdGoldenTests.GoldenNames())
        {
            if (File.Exists(TestData.Path("northd", name, "openflow-nostats.txt")))
            {
                data.Add(TestData.Path("northd", name));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Hypervisors))]
    public void Logical_flow_matches_compile_to_the_real_openflow_matches(string dir)
    {
        var reference = ReferenceMatches(File.ReadAllLines(Path.Combine(dir, "openflow-nostats.txt")));
        var failures = new List<string>();
        int compared = 0;
        foreach (var local in LocalFlows(dir))
        {
            var (flow, dp) = (local.Flow, local.Datapath);
            string cookie = UuidText.FirstPart(flow.Uuid).ToString("x", CultureInfo.InvariantCulture);
            var ours = local.Matches.Select(m => Canonical(m, dp.TunnelKey)).Order(StringComparer.Ordinal).ToList();
            var real = reference.GetValueOrDefault((cookie, local.Table, (int)flow.Priority, dp.TunnelKey), [])
                .Order(StringComparer.Ordinal).ToList();
            compared++;
            if (!ours.SequenceEqual(real))
            {
                failures.Add($"{flow.Pipeline} {flow.TableId} {flow.Priority} ({flow.Match}) on {dp.Name}\n"
                             + $"   ovnsim: {string.Join(" | ", ours)}\n   real:   {string.Join(" | ", real)}");
            }
        }

        Assert.True(compared > 50, $"only {compared} flows compared");
        Assert.True(failures.Count == 0, $"{failures.Count} of {compared} differ:\n" + string.Join("\n", failures.Take(30)));
    }

    [Theory]
    [MemberData(nameof(Hypervisors))]
    public void Logical_flow_matches_print_as_ovs_ofctl_prints_them(string dir)
    {
        var (compared, failures) = CompareMatchTexts(dir);
        Assert.True(compared > 50, $"only {compared} flows");
        Assert.True(failures.Count == 0, $"{failures.Count} of {compared} differ:\n" + string.Join("\n", failures.Take(20)));
    }

    /// <summary>
    /// For a directory with sb.db, conf.db and openflow-nostats.txt from the real programs: how many logical flows
    /// were compared, and a line for each whose OpenFlow match texts differ from what ovs-ofctl printed.
    /// </summary>
    internal static (int Compared, List<string> Failures) CompareMatchTexts(string dir)
    {
        // Compared without cookies: when two logical flows give the same table, priority and match, ovn-controller
        // installs one flow, under whichever it met first.
        var reference = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadLines(Path.Combine(dir, "openflow-nostats.txt")))
        {
            var m = System.Text.RegularExpressions.Regex.Match(raw, @"^ cookie=0x[0-9a-f]+, table=(\d+), (.*?) actions=");
            if (m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is (>= 8 and <= 36) or (>= 42 and <= 63))
            {
                reference.Add($"table={m.Groups[1].Value}, {ConjIds().Replace(m.Groups[2].Value, "conj_id=*")}");
            }
        }

        var ours = new HashSet<string>(StringComparer.Ordinal);
        int compared = 0;
        foreach (var local in LocalFlows(dir))
        {
            compared++;
            foreach (var match in local.Matches)
            {
                string text = Ovnsim.OpenFlow.OfctlMatchFormat.Format(
                    Ovnsim.OpenFlow.LogicalMatchTranslator.Translate(match, local.Datapath.TunnelKey), (int)local.Flow.Priority);
                ours.Add($"table={local.Table}, {ConjIds().Replace(text, "conj_id=*")}");
            }
        }

        var failures = reference.Except(ours).Order(StringComparer.Ordinal).Select(l => "real only:   " + l)
            .Concat(ours.Except(reference).Order(StringComparer.Ordinal).Select(l => "ovnsim only: " + l)).ToList();
        return (compared, failures);
    }

    /// <summary>One logical flow on one datapath, as ovn-controller on the golden's chassis translates it.</summary>
    internal sealed record LocalFlow(Ovnsim.Ovsdb.Southbound.LogicalFlow Flow, Ovnsim.Ovsdb.Southbound.DatapathBinding Datapath,
                                     int Table, ActionList Actions, IReadOnlyList<ExprMatch> Matches, Func<string, long?> LookupPort);

    /// <summary>
    /// The logical flows of a golden's sb.db that ovn-controller on its chassis (conf.db) translates, with their
    /// compiled matches: flows of local datapaths, not tagged with an unrelated port, whose actions parse.
    /// </summary>
    internal static IEnumerable<LocalFlow> LocalFlows(string dir)
    {
        var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        var addressSets = sb.AddressSets.ToDictionary(a => a.Name, a => (IReadOnlyList<string>)a.Addresses);
        var compiler = new MatchCompiler(name => addressSets.GetValueOrDefault(name));
        var ifaces = DatabaseSources.LoadOpenVswitch(Path.Combine(dir, "conf.db")).Interfaces
            .Select(i => i.ExternalIds.GetValueOrDefault("iface-id")).OfType<string>();
        var chassis = Ovnsim.OpenFlow.ChassisView.Of(sb, null, ifaces);
        foreach (var local in chassis.LocalFlows(sb))
        {
            ActionList actions;
            IReadOnlyList<ExprMatch> matches;
            try
            {
                actions = ActionParser.Parse(local.Flow.Actions);
                matches = compiler.Compile(local.Flow.Match, ActionPrerequisites.Collect(actions), chassis.IsResident,
                    local.LookupPort, out _);
            }
            catch (Ovnsim.Logical.LogicalSyntaxException)
            {
                continue; // ovn-controller logs what it cannot parse (an empty address set's "{}", say) and skips it
            }

            yield return new LocalFlow(local.Flow, local.Datapath, local.Table, actions, matches, local.LookupPort);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"conj_id=\d+")]
    private static partial System.Text.RegularExpressions.Regex ConjIds();

    /// <summary>Our match in the reference's canonical form: OVS register and field names, sorted.</summary>
    private static string Canonical(ExprMatch m, long datapathKey)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["metadata"] = Hex((ulong)datapathKey, ulong.MaxValue) };
        void Put(string name, UInt128 value, UInt128 mask)
        {
            if (mask != 0)
            {
                fields[name] = Hex(value & mask, mask);
            }
        }

        foreach (var (name, f) in m.Fields)
        {
            switch (name)
            {
                case "xxreg0" or "xxreg1":
                    int xx = name[^1] - '0';
                    for (int i = 0; i < 4; i++)
                    {
                        int shift = 32 * (3 - i);
                        Put($"reg{(xx * 4) + i}", (f.Value >> shift) & uint.MaxValue, (f.Mask >> shift) & uint.MaxValue);
                    }

                    break;
                case "xreg4":
                    Put("reg8", (f.Value >> 32) & uint.MaxValue, (f.Mask >> 32) & uint.MaxValue);
                    Put("reg9", f.Value & uint.MaxValue, f.Mask & uint.MaxValue);
                    break;
                default:
                    Put(name switch
                    {
                        "icmp_type" or "icmpv6_type" => "icmp_type",
                        "icmp_code" or "icmpv6_code" => "icmp_code",
                        "tcp_src" or "udp_src" or "sctp_src" => "tp_src",
                        "tcp_dst" or "udp_dst" or "sctp_dst" => "tp_dst",
                        _ => name,
                    }, f.Value, f.Mask);
                    break;
            }
        }

        if (m.ConjId != 0)
        {
            fields["conj_id"] = "*";
        }

        return string.Join(",", fields.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    private static string Hex(UInt128 value, UInt128 mask) => $"0x{value:x}/0x{mask:x}";

    /// <summary>The reference flows' matches by (cookie, table, priority, metadata), in the canonical form.</summary>
    private static Dictionary<(string, int, int, long), List<string>> ReferenceMatches(IEnumerable<string> lines)
    {
        var result = new Dictionary<(string, int, int, long), List<string>>();
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (!line.StartsWith("cookie=", StringComparison.Ordinal))
            {
                continue;
            }

            string match = line[..line.IndexOf(" actions=", StringComparison.Ordinal)];
            var tableText = System.Text.RegularExpressions.Regex.Match(match, @"table=(\d+)");
            int t = tableText.Success ? int.Parse(tableText.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            if (t is < 8 or > 63 || t is > 36 and < 42)
            {
                continue; // physical tables: not compiled from logical flows
            }

            string cookie = "";
            int table = 0, priority = 0;
            long metadata = 0;
            var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (string part in match.Replace(", ", ",", StringComparison.Ordinal).Split(','))
            {
                string[] kv = part.Split('=', 2);
                string key = kv[0];
                string value = kv.Length > 1 ? kv[1] : "";
                switch (key)
                {
                    case "cookie": cookie = value[2..]; break;
                    case "table": table = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "priority": priority = int.Parse(value, CultureInfo.InvariantCulture); break;
                    default:
                        foreach (var (name, v, m) in ParseField(key, value))
                        {
                            if (name == "metadata")
                            {
                                metadata = (long)v;
                            }

                            fields[name] = name == "conj_id" ? "*" : Hex(v & m, m);
                        }

                        break;
                }
            }

            var k = (cookie, table, priority, metadata);
            if (!result.TryGetValue(k, out var list))
            {
                result[k] = list = [];
            }

            list.Add(string.Join(",", fields.Select(f => $"{f.Key}={f.Value}")));
        }

        return result;
    }

    /// <summary>One ovs-ofctl match field as (logical field name, value, mask).</summary>
    private static IEnumerable<(string, UInt128, UInt128)> ParseField(string key, string value)
    {
        (UInt128, UInt128) Num(string text, int bits)
        {
            string[] p = text.Split('/');
            UInt128 full = bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
            return (ParseNumber(p[0]), p.Length > 1 ? ParseNumber(p[1]) : full);
        }

        (UInt128, UInt128) Addr(string text, int bits)
        {
            string[] p = text.Split('/');
            UInt128 v = ParseAddress(p[0]);
            UInt128 full = bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
            if (p.Length == 1)
            {
                return (v, full);
            }

            if (int.TryParse(p[1], out int prefix))
            {
                return (v, prefix == 0 ? 0 : full & (full << (bits - prefix)));
            }

            return (v, ParseAddress(p[1]));
        }

        switch (key)
        {
            case "ip": yield return ("eth_type", 0x800, 0xffff); break;
            case "ipv6": yield return ("eth_type", 0x86dd, 0xffff); break;
            case "arp": yield return ("eth_type", 0x806, 0xffff); break;
            case "rarp": yield return ("eth_type", 0x8035, 0xffff); break;
            case "tcp" or "udp" or "icmp" or "sctp":
                yield return ("eth_type", 0x800, 0xffff);
                yield return ("ip_proto", key switch { "tcp" => 6, "udp" => 17, "icmp" => 1, _ => 132 }, 0xff);
                break;
            case "tcp6" or "udp6" or "icmp6" or "sctp6":
                yield return ("eth_type", 0x86dd, 0xffff);
                yield return ("ip_proto", key switch { "tcp6" => 6, "udp6" => 17, "icmp6" => 58, _ => 132 }, 0xff);
                break;
            case "metadata": { var (v, m) = Num(value, 64); yield return ("metadata", v, m); break; }
            case "conj_id": yield return ("conj_id", 0, 0); break;
            case "dl_src": { var (v, m) = Addr(value, 48); yield return ("eth_src", v, m); break; }
            case "dl_dst": { var (v, m) = Addr(value, 48); yield return ("eth_dst", v, m); break; }
            case "vlan_tci": { var (v, m) = Num(value, 16); yield return ("vlan_tci", v, m); break; }
            case "nw_src": { var (v, m) = Addr(value, 32); yield return ("ipv4_src", v, m); break; }
            case "nw_dst": { var (v, m) = Addr(value, 32); yield return ("ipv4_dst", v, m); break; }
            case "ipv6_src": { var (v, m) = Addr(value, 128); yield return ("ipv6_src", v, m); break; }
            case "ipv6_dst": { var (v, m) = Addr(value, 128); yield return ("ipv6_dst", v, m); break; }
            case "nd_target": { var (v, m) = Addr(value, 128); yield return ("nd_target", v, m); break; }
            case "arp_spa": { var (v, m) = Addr(value, 32); yield return ("arp_spa", v, m); break; }
            case "arp_tpa": { var (v, m) = Addr(value, 32); yield return ("arp_tpa", v, m); break; }
            case "arp_sha": { var (v, m) = Addr(value, 48); yield return ("arp_sha", v, m); break; }
            case "arp_tha": { var (v, m) = Addr(value, 48); yield return ("arp_tha", v, m); break; }
            case "nd_sll": { var (v, m) = Addr(value, 48); yield return ("nd_sll", v, m); break; }
            case "nd_tll": { var (v, m) = Addr(value, 48); yield return ("nd_tll", v, m); break; }
            case "arp_op": yield return ("arp_op", ParseNumber(value), 0xffff); break;
            case "nw_ttl": yield return ("nw_ttl", ParseNumber(value), 0xff); break;
            case "nw_proto": yield return ("ip_proto", ParseNumber(value), 0xff); break;
            case "icmp_type": yield return ("icmp_type", ParseNumber(value), 0xff); break;
            case "icmp_code": yield return ("icmp_code", ParseNumber(value), 0xff); break;
            case "tp_src": { var (v, m) = Num(value, 16); yield return ("tp_src", v, m); break; }
            case "tp_dst": { var (v, m) = Num(value, 16); yield return ("tp_dst", v, m); break; }
            case "ct_mark": { var (v, m) = Num(value, 32); yield return ("ct_mark", v, m); break; }
            case "nw_frag":
                // no: 00/11, first: 01/11, later: 11/11, not_later: 00/10, yes: 01/01
                var (fv, fm) = value switch { "no" => (0, 3), "first" => (1, 3), "later" => (3, 3), "not_later" => (0, 2), _ => (1, 1) };
                yield return ("nw_frag", (UInt128)fv, (UInt128)fm);
                break;
            case "ct_state":
            {
                string[] names = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"];
                UInt128 v = 0, m = 0;
                for (int i = 0; i < value.Length;)
                {
                    bool set = value[i] == '+';
                    int j = i + 1;
                    while (j < value.Length && value[j] is not ('+' or '-'))
                    {
                        j++;
                    }

                    int bit = Array.IndexOf(names, value[(i + 1)..j]);
                    m |= UInt128.One << bit;
                    if (set)
                    {
                        v |= UInt128.One << bit;
                    }

                    i = j;
                }

                yield return ("ct_state", v, m);
                break;
            }

            default:
                if (key.StartsWith("reg", StringComparison.Ordinal))
                {
                    var (v, m) = Num(value, 32);
                    yield return (key, v, m);
                    break;
                }

                throw new InvalidOperationException($"reference field {key} not handled");
        }
    }

    private static UInt128 ParseNumber(string text) =>
        text.StartsWith("0x", StringComparison.Ordinal)
            ? UInt128.Parse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : UInt128.Parse(text, CultureInfo.InvariantCulture);

    private static UInt128 ParseAddress(string text)
    {
        if (text.Count(c => c == ':') == 5 && !text.Contains("::", StringComparison.Ordinal) && text.Length == 17)
        {
            return UInt128.Parse(text.Replace(":", "", StringComparison.Ordinal), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        var ip = IPAddress.Parse(text);
        var bytes = ip.GetAddressBytes();
        UInt128 v = 0;
        foreach (byte b in bytes)
        {
            v = (v << 8) | b;
        }

        return v;
    }
}
