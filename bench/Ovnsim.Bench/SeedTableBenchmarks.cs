using BenchmarkDotNet.Attributes;
using Ovnsim.Engine;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb;

namespace Ovnsim.Bench;

/// <summary>
/// Classifier lookups on the seed's own tables: every lookup br-int made while the seed's seven reference packets went
/// through it (table and key, taken from a trace; 885 lookups in 49 tables), replayed against each table's flows built into
/// classifiers at the widest vector width and scalar, beside a linear scan of each table's flows in priority order.
/// </summary>
[MemoryDiagnoser]
public class SeedTableBenchmarks
{
    private readonly Dictionary<int, Classifier<int>> _vector = [];
    private readonly Dictionary<int, Classifier<int>> _scalar = [];
    private readonly Dictionary<int, (FlowKey Value, FlowKey Mask, int Priority)[]> _linear = [];
    private (int Table, FlowKey Key)[] _lookups = [];

    [GlobalSetup]
    public void Setup()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Data/seed");
        var ovs = DatabaseSources.LoadOpenVswitch(Path.Combine(dir, "conf.db"));
        var sim = new Simulator(DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db")), Hypervisor.FromOpenVswitch(ovs));
        sim.AddAliases(ovs);
        sim.Bridge.Trace = [];
        foreach (string line in File.ReadAllLines(Path.Combine(dir, "pcap/inputs.tsv")).Skip(1))
        {
            var f = line.Split('\t');
            var p = Ovnsim.Capture.PcapReader.ReadAll(Path.Combine(dir, "pcap", f[2])).Single();
            sim.Inject(f[1], p.Data, p.TimestampNs / 1_000_000);
        }

        _lookups = [.. sim.Bridge.Trace.Select(t => (t.Table, t.Key))];
        foreach (var group in sim.Bridge.Flows.Select(f => f.Flow).Where(f => !f.ActionList.Any(a => a is ConjunctionAction)).GroupBy(f => f.Table))
        {
            var rules = group.Select(f => (FlowMatch.From(f.Match), f.Priority)).ToList();
            _vector[group.Key] = Build(rules, MaskedKey.Best);
            _scalar[group.Key] = Build(rules, SimdWidth.Scalar);
            _linear[group.Key] = [.. rules.Select(r => (MaskedKey.And(r.Item1.Value, r.Item1.Mask), r.Item1.Mask, r.Priority)).OrderByDescending(r => r.Priority)];
        }
    }

    private static Classifier<int> Build(List<((FlowKey Value, FlowKey Mask), int Priority)> rules, SimdWidth width)
    {
        var c = new Classifier<int>(width);
        foreach (var ((value, mask), priority) in rules)
        {
            c.Insert(value, mask, priority, priority);
        }

        return c;
    }

    // Keys are read in place (by reference), as the bridge's lookups read them: copying a 256-byte key or rule per
    // lookup would cost more than the lookups themselves.
    private int Run(Dictionary<int, Classifier<int>> tables)
    {
        int hits = 0;
        var lookups = _lookups;
        for (int i = 0; i < lookups.Length; i++)
        {
            ref readonly var lookup = ref lookups[i];
            if (tables.TryGetValue(lookup.Table, out var c) && c.Lookup(lookup.Key) is not null)
            {
                hits++;
            }
        }

        return hits;
    }

    [Benchmark(Baseline = true)]
    public int SeedTables_Vector() => Run(_vector);

    [Benchmark]
    public int SeedTables_Scalar() => Run(_scalar);

    /// <summary>The reference: each table's flows in priority order, the first that matches wins.</summary>
    [Benchmark]
    public int SeedTables_Linear()
    {
        int hits = 0;
        var lookups = _lookups;
        for (int i = 0; i < lookups.Length; i++)
        {
            ref readonly var lookup = ref lookups[i];
            if (!_linear.TryGetValue(lookup.Table, out var rules))
            {
                continue;
            }

            foreach (ref readonly var rule in rules.AsSpan())
            {
                if (MaskedKey.EqualMasked(lookup.Key, rule.Value, rule.Mask))
                {
                    hits++;
                    break;
                }
            }
        }

        return hits;
    }
}
