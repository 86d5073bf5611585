using BenchmarkDotNet.Attributes;
using Ovnsim.Engine;

namespace Ovnsim.Bench;

/// <summary>
/// Classifier lookups on OVS's test-classifier benchmark workload (1,000 rules, 1,000 priorities, 30 subtable
/// patterns), as OVS 3.1 builds it (every field matched: one subtable) and with rules matching only their pattern's
/// fields (30 subtables), beside a plain linear scan of the same rules. Each benchmark does 16,384 lookups.
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private const int Lookups = 16_384;
    private Classifier<int> _ovsShape = null!;
    private Classifier<int> _thirty = null!;
    private Classifier<int> _scalar = null!;
    private List<(FlowKey Value, FlowKey Mask, int Priority)> _thirtyRules = null!;
    private FlowKey[] _keys = null!;
    private int[] _order = null!;

    [GlobalSetup]
    public void Setup()
    {
        var ovs = new ClassifierWorkload(1000, 1000, 30);
        var honour = new ClassifierWorkload(1000, 1000, 30, honourWildcards: true);
        _ovsShape = Build(ovs.Rules, MaskedKey.Best);
        _thirty = Build(honour.Rules, MaskedKey.Best);
        _scalar = Build(honour.Rules, SimdWidth.Scalar);
        _thirtyRules = honour.Rules.OrderByDescending(r => r.Priority).ToList();
        _keys = ovs.Lookups;
        _order = ovs.LookupOrder(Lookups);
    }

    private static Classifier<int> Build(List<(FlowKey Value, FlowKey Mask, int Priority)> rules, SimdWidth width)
    {
        var c = new Classifier<int>(width);
        foreach (var (v, m, p) in rules)
        {
            c.Insert(v, m, p, p);
        }

        return c;
    }

    private int Run(Classifier<int> c)
    {
        int hits = 0;
        foreach (int i in _order)
        {
            if (c.Lookup(_keys[i]) is not null)
            {
                hits++;
            }
        }

        return hits;
    }

    [Benchmark(Baseline = true)]
    public int OvsShape_OneSubtable() => Run(_ovsShape);

    [Benchmark]
    public int ThirtySubtables_Vector() => Run(_thirty);

    [Benchmark]
    public int ThirtySubtables_Scalar() => Run(_scalar);

    /// <summary>Collecting each lookup's wildcards (cleared first, as test-classifier's run with wildcards does).</summary>
    [Benchmark]
    public int ThirtySubtables_Wildcards()
    {
        int hits = 0;
        var wc = default(FlowKey);
        foreach (int i in _order)
        {
            wc = default;
            if (_thirty.Lookup(_keys[i], ref wc) is not null)
            {
                hits++;
            }
        }

        return hits;
    }

    /// <summary>The reference: the rules sorted by priority, the first that matches wins.</summary>
    [Benchmark]
    public int ThirtySubtables_Linear()
    {
        int hits = 0;
        foreach (int i in _order)
        {
            ref readonly var key = ref _keys[i];

            // Rules read in place and compared a vector at a time, as the classifier compares them.
            foreach (ref readonly var rule in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_thirtyRules))
            {
                if (MaskedKey.EqualMasked(key, rule.Value, rule.Mask))
                {
                    hits++;
                    break;
                }
            }
        }

        return hits;
    }
}
