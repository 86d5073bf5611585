using BenchmarkDotNet.Attributes;
using Ovnsim.Engine;

namespace Ovnsim.Bench;

/// <summary>
/// Where tuple-space search earns its keep: 32,000 exact rules of one mask (source, destination, port: a big ACL or
/// load-balancer table), 256 lookups of rules picked at random, against the linear scan of the same rules.
/// </summary>
[MemoryDiagnoser]
public class LargeTableBenchmarks
{
    private const int Rules = 32_000;
    private Classifier<int> _classifier = null!;
    private (FlowKey Value, FlowKey Mask)[] _rules = [];
    private FlowKey[] _keys = [];

    [GlobalSetup]
    public void Setup()
    {
        var mask = KeyFields.MaskOf(KeyFields.NwSrc, KeyFields.NwDst, KeyFields.TpDst);
        _classifier = new Classifier<int>();
        _rules = new (FlowKey, FlowKey)[Rules];
        for (int i = 0; i < Rules; i++)
        {
            _rules[i] = (Key(i), mask);
            _classifier.Insert(_rules[i].Value, mask, 100, i);
        }

        var random = new Random(1);
        _keys = [.. Enumerable.Range(0, 256).Select(_ => Key(random.Next(Rules)))];
    }

    private static FlowKey Key(int i)
    {
        var k = default(FlowKey);
        KeyFields.NwSrc.Set64(ref k, 0x0a000000u | (uint)i);
        KeyFields.NwDst.Set64(ref k, (uint)i * 2_654_435_761u);
        KeyFields.TpDst.Set64(ref k, (ulong)(i % 65_521));
        return k;
    }

    [Benchmark(Baseline = true)]
    public int Classifier()
    {
        int hits = 0;
        foreach (ref readonly var key in _keys.AsSpan())
        {
            if (_classifier.Lookup(key) is not null)
            {
                hits++;
            }
        }

        return hits;
    }

    /// <summary>The reference: rules read in place, a vector compare each, the first that matches wins.</summary>
    [Benchmark]
    public int Linear()
    {
        int hits = 0;
        foreach (ref readonly var key in _keys.AsSpan())
        {
            foreach (ref readonly var rule in _rules.AsSpan())
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
