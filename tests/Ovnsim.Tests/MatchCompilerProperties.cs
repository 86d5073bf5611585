using FsCheck;
using FsCheck.Fluent;
using Ovnsim.Logical.Expressions;
using Ovnsim.Ovsdb;

namespace Ovnsim.Tests;

/// <summary>
/// FsCheck property: for every logical flow of the seed and the golden topologies and random packets, the OpenFlow
/// matches the match compiles to (with conjunctive matches) accept exactly the packets that evaluating the logical
/// match directly accepts (<see cref="MatchInterpreter"/>). Packets are drawn near the compiled matches: one match's
/// fields satisfied, then sometimes one field disturbed, over a random protocol.
/// </summary>
public sealed class MatchCompilerProperties
{
    private sealed record Case(string Match, Func<string, bool> Resident, Func<string, long?> Lookup, IReadOnlyList<ExprMatch> Compiled,
                               MatchInterpreter Interpreter)
    {
        public override string ToString() => Match;
    }

    private static List<Case> Cases()
    {
        var cases = new List<Case>();
        foreach (string dir in new[] { TestData.Path("seed") }.Concat(NorthdGoldenTests.GoldenNames().Select(n => TestData.Path("northd", n))))
        {
            var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
            var addressSets = sb.AddressSets.ToDictionary(a => a.Name, a => (IReadOnlyList<string>)a.Addresses);
            var compiler = new MatchCompiler(name => addressSets.GetValueOrDefault(name));
            var interpreter = new MatchInterpreter(name => addressSets.GetValueOrDefault(name));
            var resident = sb.PortBindings.Where(p => p.Chassis is not null).Select(p => p.LogicalPort).ToHashSet();
            foreach (var flow in sb.LogicalFlows.DistinctBy(f => f.Match))
            {
                var dp = flow.LogicalDatapath ?? flow.LogicalDpGroup!.Datapaths[0];
                var ports = sb.PortBindings.Where(p => p.Datapath?.Uuid == dp.Uuid).ToDictionary(p => p.LogicalPort, p => p.TunnelKey);
                long? Lookup(string name) => name == "none" ? 0 : ports.TryGetValue(name, out long k) ? k : null;
                var compiled = compiler.Compile(flow.Match, resident.Contains, Lookup, out _);
                cases.Add(new Case(flow.Match, resident.Contains, Lookup, compiled, interpreter));
            }
        }

        return cases;
    }

    private static readonly Lazy<List<Case>> AllCases = new(Cases);

    private static bool Matches(ExprMatch m, IReadOnlyDictionary<string, UInt128> packet) =>
        m.Fields.All(f => (packet.GetValueOrDefault(f.Key) & f.Value.Mask) == (f.Value.Value & f.Value.Mask));

    /// <summary>What the OpenFlow matches accept: a plain flow, or a conj_id flow whose every clause has a matching clause flow.</summary>
    private static bool CompiledAccepts(IReadOnlyList<ExprMatch> compiled, IReadOnlyDictionary<string, UInt128> packet)
    {
        if (compiled.Any(m => m.ConjId == 0 && m.Conjunctions.Count == 0 && Matches(m, packet)))
        {
            return true;
        }

        foreach (var conj in compiled.Where(m => m.ConjId != 0 && Matches(m, packet)))
        {
            var clauses = compiled.SelectMany(m => m.Conjunctions.Where(c => c.Id == conj.ConjId).Select(c => (m, c))).ToList();
            int n = clauses.Count > 0 ? clauses[0].c.Clauses : 0;
            if (n > 0 && Enumerable.Range(0, n).All(k => clauses.Any(x => x.c.Clause == k && Matches(x.m, packet))))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly string[] Fields =
    [
        "eth_type", "ip_proto", "xxreg0", "xxreg1", "xreg4", "reg10", "reg14", "reg15", "eth_src", "eth_dst", "ipv4_src", "ipv4_dst",
        "ipv6_src", "ipv6_dst", "arp_op", "arp_spa", "arp_tpa", "arp_sha", "icmp_type", "icmp_code", "icmpv6_type", "icmpv6_code",
        "nw_ttl", "nw_frag", "ct_state", "ct_mark", "tcp_dst", "tcp_src", "udp_dst", "udp_src", "vlan_tci", "nd_target",
    ];

    private static Dictionary<string, UInt128> Packet(Case c, int seed)
    {
        var rng = new Random(seed);
        UInt128 R() => ((UInt128)(ulong)rng.NextInt64() << 64) | (ulong)rng.NextInt64();
        var packet = new Dictionary<string, UInt128>
        {
            ["eth_type"] = new UInt128[] { 0x800, 0x86dd, 0x806, 0x8035, 0x88cc }[rng.Next(5)],
            ["ip_proto"] = new UInt128[] { 1, 2, 6, 17, 58, 132 }[rng.Next(6)],
            ["nw_ttl"] = new UInt128[] { 0, 1, 64, 255 }[rng.Next(4)],
            ["nw_frag"] = (UInt128)rng.Next(4),
            ["ct_state"] = (UInt128)rng.Next(256),
            ["reg14"] = (UInt128)rng.Next(0, 6),
            ["reg15"] = (UInt128)rng.Next(0, 6),
        };
        if (c.Compiled.Count > 0 && rng.Next(4) > 0)
        {
            var target = c.Compiled[rng.Next(c.Compiled.Count)];
            foreach (var (field, f) in target.Fields)
            {
                packet[field] = (R() & ~f.Mask) | (f.Value & f.Mask);
            }

            // Conjunctive matches: satisfy one clause flow of each clause too, now and then.
            foreach (var clause in c.Compiled.Where(m => m.Conjunctions.Count > 0 && rng.Next(2) == 0))
            {
                foreach (var (field, f) in clause.Fields)
                {
                    packet[field] = (packet.GetValueOrDefault(field) & ~f.Mask) | (f.Value & f.Mask);
                }
            }
        }

        if (rng.Next(2) == 0)
        {
            string field = Fields[rng.Next(Fields.Length)];
            packet[field] = rng.Next(3) == 0 ? 0 : packet.GetValueOrDefault(field) ^ (UInt128.One << rng.Next(0, 128));
        }

        // A real packet's fields have no bits beyond their width.
        foreach (string field in packet.Keys.ToList())
        {
            int width = Width(field);
            packet[field] &= width == 128 ? UInt128.MaxValue : (UInt128.One << width) - 1;
        }

        return packet;
    }

    private static int Width(string field) => field switch
    {
        "xxreg0" or "xxreg1" or "ipv6_src" or "ipv6_dst" or "nd_target" or "ct_label" => 128,
        "xreg4" => 64,
        "eth_src" or "eth_dst" or "arp_sha" or "arp_tha" or "nd_sll" or "nd_tll" => 48,
        "eth_type" or "arp_op" or "vlan_tci" or "tcp_src" or "tcp_dst" or "udp_src" or "udp_dst" or "sctp_src" or "sctp_dst" => 16,
        "ip_proto" or "nw_ttl" or "icmp_type" or "icmp_code" or "icmpv6_type" or "icmpv6_code" or "ct_state" => 8,
        "nw_frag" => 2,
        _ => 32,
    };

    [Fact]
    public void Compiled_matches_accept_exactly_what_the_logical_match_accepts()
    {
        var cases = AllCases.Value;
        Assert.True(cases.Count > 300, $"only {cases.Count} distinct matches");
        var gen = Gen.Choose(0, cases.Count - 1).SelectMany(i => Gen.Choose(0, int.MaxValue).Select(seed => (Case: cases[i], Seed: seed)));
        var property = Prop.ForAll(Arb.From(gen), sample =>
        {
            var packet = Packet(sample.Case, sample.Seed);
            bool direct = sample.Case.Interpreter.Evaluate(sample.Case.Match, packet, sample.Case.Resident, sample.Case.Lookup);
            bool compiled = CompiledAccepts(sample.Case.Compiled, packet);
            return direct == compiled;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20000), property);
    }
}
