using FsCheck;
using FsCheck.Fluent;
using Ovnsim.Engine;
using Ovnsim.Logical.Actions;
using Ovnsim.Logical.Expressions;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Tests;

/// <summary>
/// FsCheck property at the level of whole tables: for random packets on every logical pipeline stage of every local
/// datapath of the seed and the golden topologies, the compiled br-int table (all of it: every datapath's flows, and
/// conjunctive matches, looked up by the engine's classifier) hits a flow of the logical flow that interpreting the
/// stage's logical flows in priority order picks — or misses when no logical flow matches. Packets are drawn near
/// one of the stage's flows, then sometimes disturbed in one field.
/// </summary>
public sealed class PipelineDecisionProperties
{
    /// <summary>A logical flow of a stage: its effective match is its match and its actions' prerequisites (ct_next needs
    /// ip, say), as ovn-controller adds them.</summary>
    private sealed record StageFlow(LocalLogicalFlow Local, uint Cookie, string Match, IReadOnlyList<ExprMatch> Compiled);

    private static StageFlow Of(LocalLogicalFlow f, MatchCompiler compiler, ChassisView view)
    {
        var prerequisites = ActionPrerequisites.Collect(ActionParser.Parse(f.Flow.Actions));
        string match = $"({f.Flow.Match})" + string.Concat(prerequisites.Select(p => $" && ({p})"));
        return new StageFlow(f, UuidText.FirstPart(f.Flow.Uuid), match, compiler.Compile(f.Flow.Match, prerequisites, view.IsResident, f.LookupPort, out _));
    }

    private sealed record Stage(string Topology, Bridge Bridge, ChassisView View, MatchInterpreter Interpreter, int Table,
                                long Metadata, IReadOnlyList<StageFlow> Flows)
    {
        public override string ToString() => $"{Topology} table {Table} metadata {Metadata}";
    }

    private static List<Stage> Stages()
    {
        var stages = new List<Stage>();
        var topologies = new[] { ("seed", TestData.Path("seed")) }
            .Concat(NorthdGoldenTests.GoldenNames().Select(n => (n, TestData.Path("northd", n))));
        foreach (var (name, dir) in topologies)
        {
            var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
            var hv = Hypervisor.FromOpenVswitch(DatabaseSources.LoadOpenVswitch(Path.Combine(dir, "conf.db")));
            var br = IntegrationBridge.Build(sb, hv);
            var bridge = new Bridge(br.Flows, br.Groups);
            var view = ChassisView.Of(sb, hv.ChassisName, hv.VifOfports.Keys);
            var addressSets = sb.AddressSets.ToDictionary(a => a.Name, a => (IReadOnlyList<string>)a.Addresses);
            var compiler = new MatchCompiler(n => addressSets.GetValueOrDefault(n));
            var interpreter = new MatchInterpreter(n => addressSets.GetValueOrDefault(n));

            // Only logical flows ovn-controller installed take part (the golden flow comparisons check which those are).
            var installed = br.Flows.Select(f => (f.Table, f.Cookie)).ToHashSet();
            foreach (var stage in view.LocalFlows(sb).GroupBy(f => (f.Datapath.Uuid, f.Table)))
            {
                var flows = stage
                    .Select(f => Of(f, compiler, view))
                    .Where(f => installed.Contains((f.Local.Table, f.Cookie)))
                    .ToList();
                if (flows.Count > 0)
                {
                    stages.Add(new Stage(name, bridge, view, interpreter, stage.Key.Table, stage.First().Datapath.TunnelKey, flows));
                }
            }
        }

        return stages;
    }

    private static readonly Lazy<List<Stage>> AllStages = new(Stages);

    private static readonly string[] Disturbed =
    [
        "eth_type", "ip_proto", "xxreg0", "xxreg1", "reg10", "reg14", "reg15", "eth_src", "eth_dst", "ipv4_src", "ipv4_dst",
        "ipv6_src", "ipv6_dst", "arp_op", "icmp_type", "nw_ttl", "ip_frag", "ct_state", "ct_mark", "tp_dst", "tp_src",
    ];

    /// <summary>A key near one of the stage's flows, and every field name's value in it (aliases agreeing).</summary>
    private static (FlowKey Key, Dictionary<string, UInt128> Fields) Packet(Stage stage, int seed)
    {
        var rng = new Random(seed);
        UInt128 R() => ((UInt128)(ulong)rng.NextInt64() << 64) | (ulong)rng.NextInt64();
        var key = default(FlowKey);
        void Set(string name, UInt128 value, UInt128 mask)
        {
            if (KeyFields.Names.Contains(name))
            {
                KeyFields.Get(name).Set(ref key, value, mask);
            }
        }

        Set("eth_type", new UInt128[] { 0x800, 0x86dd, 0x806, 0x88cc }[rng.Next(4)], UInt128.MaxValue);
        Set("ip_proto", new UInt128[] { 1, 6, 17, 58, 132 }[rng.Next(5)], UInt128.MaxValue);
        Set("nw_ttl", new UInt128[] { 0, 1, 64 }[rng.Next(3)], UInt128.MaxValue);
        Set("ct_state", (UInt128)rng.Next(256), UInt128.MaxValue);
        Set("reg14", (UInt128)rng.Next(0, 6), UInt128.MaxValue);
        Set("reg15", (UInt128)rng.Next(0, 6), UInt128.MaxValue);
        Set("reg10", (UInt128)rng.Next(0, 64), UInt128.MaxValue);
        if (rng.Next(5) > 0)
        {
            var target = stage.Flows[rng.Next(stage.Flows.Count)];
            if (target.Compiled.Count > 0)
            {
                var m = target.Compiled[rng.Next(target.Compiled.Count)];
                foreach (var (field, f) in m.Fields)
                {
                    Set(field, (R() & ~f.Mask) | (f.Value & f.Mask), UInt128.MaxValue);
                }

                foreach (var clause in target.Compiled.Where(c => c.Conjunctions.Count > 0 && rng.Next(2) == 0))
                {
                    foreach (var (field, f) in clause.Fields)
                    {
                        Set(field, f.Value, f.Mask);
                    }
                }
            }
        }

        if (rng.Next(2) == 0)
        {
            var field = KeyFields.Get(Disturbed[rng.Next(Disturbed.Length)]);
            field.Set(ref key, rng.Next(3) == 0 ? 0 : field.Get(key) ^ (UInt128.One << rng.Next(field.Bits)), field.AllOnes);
        }

        // Only what a real packet can carry: ICMP type and code are 8 bits, the fragment flags 2.
        if ((byte)KeyFields.NwProto.Get(key) is 1 or 58)
        {
            KeyFields.TpSrc.Set(ref key, KeyFields.TpSrc.Get(key) & 0xff, 0xffff);
            KeyFields.TpDst.Set(ref key, KeyFields.TpDst.Get(key) & 0xff, 0xffff);
        }

        KeyFields.NwFrag.Set(ref key, KeyFields.NwFrag.Get(key) & 3, 0xff);

        // The stage's datapath, and no conjunction id (the classifier sets it).
        KeyFields.Metadata.Set(ref key, (ulong)stage.Metadata, ulong.MaxValue);
        KeyFields.ConjId.Set(ref key, 0, uint.MaxValue);
        var fields = KeyFields.Names.ToDictionary(n => n, n => KeyFields.Get(n).Get(key), StringComparer.Ordinal);
        return (key, fields);
    }

    /// <summary>Null when the outcomes agree, else what differs.</summary>
    private static string? Disagreement(Stage stage, int seed)
    {
        var (key, fields) = Packet(stage, seed);
        var hit = stage.Bridge.FlowFor(stage.Table, key);
        var matching = stage.Flows
            .Where(f => stage.Interpreter.Evaluate(f.Match, fields, stage.View.IsResident, f.Local.LookupPort))
            .ToList();
        if (matching.Count == 0)
        {
            return hit is null ? null : $"no logical flow matches, but OpenFlow hits {hit}";
        }

        long top = matching.Max(f => f.Local.Flow.Priority);
        var winners = matching.Where(f => f.Local.Flow.Priority == top).ToList();
        if (hit is not null && hit.Priority == top && winners.Any(w => w.Cookie == hit.Cookie))
        {
            return null;
        }

        return $"logical flows pick [{string.Join(" | ", winners.Select(w => $"{w.Local.Flow.Priority} {w.Match}"))}], "
            + $"OpenFlow hits {hit?.ToString() ?? "nothing"}";
    }

    [Fact]
    public void Compiled_tables_pick_the_logical_flow_the_logical_pipeline_picks()
    {
        var stages = AllStages.Value;
        Assert.True(stages.Count > 200, $"only {stages.Count} stages");
        var gen = Gen.Choose(0, stages.Count - 1).SelectMany(i => Gen.Choose(0, int.MaxValue).Select(seed => (Stage: stages[i], Seed: seed)));
        var property = Prop.ForAll(Arb.From(gen), sample =>
            Disagreement(sample.Stage, sample.Seed) is not { } d ? true : throw new InvalidOperationException($"{sample.Stage}, seed {sample.Seed}: {d}"));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20000).WithReplay(null), property);
    }

    [Fact]
    public void Every_stage_is_exercised_with_packets_that_some_logical_flow_matches()
    {
        // Guards the property against vacuity: most sampled packets must match a logical flow of their stage.
        var stages = AllStages.Value;
        int matched = 0, total = 0;
        foreach (var stage in stages)
        {
            for (int seed = 0; seed < 5; seed++, total++)
            {
                var (_, fields) = Packet(stage, seed);
                matched += stage.Flows.Any(f => stage.Interpreter.Evaluate(f.Match, fields, stage.View.IsResident, f.Local.LookupPort)) ? 1 : 0;
            }
        }

        Assert.True(matched > total / 2, $"{matched} of {total} packets matched a logical flow");
    }
}
