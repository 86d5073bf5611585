using System.Text.RegularExpressions;
using Ovnsim.Engine;

namespace Ovnsim.Tests;

/// <summary>
/// <see cref="ClassifierWorkload"/> against the real <c>ovstest test-classifier benchmark</c> of Open vSwitch 3.1
/// (Data/classifier/ovstest-benchmark.txt, made by tools/classifier-golden.sh): the same arguments must give the same
/// hits and misses, which takes the same rules and the same lookups — every draw of the generator, the classifier's
/// own while rules go in included.
/// </summary>
public sealed partial class ClassifierWorkloadTests
{
    public static TheoryData<int, int, int, int, int, int> Runs()
    {
        var data = new TheoryData<int, int, int, int, int, int>();
        foreach (string line in File.ReadLines(TestData.Path("classifier", "ovstest-benchmark.txt")))
        {
            if (Line().Match(line) is { Success: true } m)
            {
                int[] n = [.. Enumerable.Range(1, 6).Select(i => int.Parse(m.Groups[i].Value))];
                data.Add(n[0], n[1], n[2], n[3], n[4], n[5]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_workload_hits_what_the_real_benchmark_hits(int rules, int priorities, int subtables, int lookups, int hits, int misses)
    {
        var w = new ClassifierWorkload(rules, priorities, subtables);
        var cls = new Classifier<int>();
        foreach (var (value, mask, priority) in w.Rules)
        {
            cls.Insert(value, mask, priority, priority);
        }

        // OVS 3.1 matches every field whatever the pattern: one subtable.
        Assert.Equal(1, cls.SubtableCount);
        int found = 0;
        var draw = w.DrawLookups();
        for (int i = 0; i < lookups; i++)
        {
            found += cls.Lookup(w.Lookups[draw.Next()]) is null ? 0 : 1;
        }

        Assert.Equal((hits, misses), (found, lookups - found));
    }

    [Fact]
    public void The_golden_file_holds_every_run()
    {
        Assert.Equal(8, Runs().Count);
    }

    [GeneratedRegex(@"^(\d+) (\d+) (\d+) (\d+): hits: (\d+), misses: (\d+)$")]
    private static partial Regex Line();
}
