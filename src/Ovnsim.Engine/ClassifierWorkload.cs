namespace Ovnsim.Engine;

/// <summary>
/// The random workload of Open vSwitch's <c>ovstest test-classifier benchmark N_RULES N_PRIORITIES N_SUBTABLES 1
/// N_LOOKUPS</c> (tests/test-classifier.c, OVS 3.1), generated with the same xorshift generator and seed (lib/random.c), so
/// the same rules and lookups come out. OVS 3.1's <c>make_rule</c> matches every one of the 13 fields exactly whatever
/// the wildcard pattern (which only decides whether the priority is 0), so its rules all land in one subtable;
/// <see cref="HonourWildcards"/> builds the variant that matches only the pattern's fields, giving the named number
/// of subtables.
/// </summary>
public sealed class ClassifierWorkload
{
    private const int Fields = 13;

    // test-classifier.c's two values per field, in CLS_FIELDS order.
    private static readonly ulong[] TunId = [0, 0xfedcba9876543210];
    private static readonly ulong[] Metadata = [0, 0xfedcba9876543210];
    private static readonly ulong[] NwSrc = [0xc0a80001, 0xc0a04455];
    private static readonly ulong[] NwDst = [0xc0a80002, 0xc0a04455];
    private static readonly ulong[] InPort = [1, 0xfffe];
    private static readonly ulong[] VlanTci = [101, 0];
    private static readonly ulong[] DlType = [0x0800, 0x0806];
    private static readonly ulong[] TpSrc = [49362, 80];
    private static readonly ulong[] TpDst = [6667, 22];
    private static readonly ulong[] DlSrc = [0x0002e30f80a4, 0x5e337f5f1e99];
    private static readonly ulong[] DlDst = [0x4a2771ae64c1, 0xffffffffffff];
    private static readonly ulong[] NwProto = [6, 1];
    private static readonly ulong[] NwDscp = [48, 0];

    private static readonly (KeyField Field, ulong[] Values, UInt128 Mask)[] Columns =
    [
        (KeyFields.TunId, TunId, ulong.MaxValue), (KeyFields.Metadata, Metadata, ulong.MaxValue),
        (KeyFields.NwSrc, NwSrc, uint.MaxValue), (KeyFields.NwDst, NwDst, uint.MaxValue),
        (KeyFields.InPort, InPort, 0xffff), (KeyFields.VlanTci, VlanTci, 0xffff), (KeyFields.DlType, DlType, 0xffff),
        (KeyFields.TpSrc, TpSrc, 0xffff), (KeyFields.TpDst, TpDst, 0xffff), (KeyFields.DlSrc, DlSrc, 0xffffffffffff),
        (KeyFields.DlDst, DlDst, 0xffffffffffff), (KeyFields.NwProto, NwProto, 0xff), (KeyFields.NwTos, NwDscp, 0xfc),
    ];

    private uint _seed;

    /// <summary>Builds the workload.</summary>
    public ClassifierWorkload(int rules, int priorities, int subtables, bool honourWildcards = false)
    {
        HonourWildcards = honourWildcards;
        _seed = 1;
        var wcfs = new uint[subtables];
        for (int i = 0; i < subtables; i++)
        {
            do
            {
                wcfs[i] = Next() & ((1u << Fields) - 1);
            }
            while (Array.IndexOf(wcfs, wcfs[i], 0, i) >= 0);
        }

        var prios = new int[priorities];
        for (int i = 0; i < priorities; i++)
        {
            prios[i] = (i * 129) & int.MaxValue;
        }

        // shuffle()
        for (int i = 0, n = priorities; n > 1; n--, i++)
        {
            int q = i + (int)Range((uint)n);
            (prios[i], prios[q]) = (prios[q], prios[i]);
        }

        const int flowValues = 1 << Fields;

        // The order test-classifier.c draws a lookup flow's fields in.
        int[] order = [2, 3, 0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        Lookups = new FlowKey[2 * flowValues];
        for (int i = 0; i < Lookups.Length; i++)
        {
            uint x = Range(flowValues);

            ref var key = ref Lookups[i];
            foreach (int f in order)
            {
                var (field, values, _) = Columns[f];
                ulong v = values[x % 2];
                x /= 2;
                field.Set(ref key, v, field.AllOnes);
            }
        }

        var seen = new HashSet<(FlowKey, FlowKey, int)>();
        for (int i = 0; i < rules; i++)
        {
            int priority = prios[Range((uint)priorities)];
            uint wcf = wcfs[Range((uint)subtables)];
            uint pattern = Next() & ((1u << Fields) - 1);
            var (value, mask) = MakeRule(wcf, pattern);
            int p = wcf != 0 ? (priority == int.MaxValue ? priority - 1 : priority) : 0;
            if (seen.Add((MaskedKey.And(value, mask), mask, p)))
            {
                Rules.Add((value, mask, p));
            }
        }
    }

    /// <summary>Whether rules match only their pattern's fields (not OVS 3.1's behaviour).</summary>
    public bool HonourWildcards { get; }

    /// <summary>The rules: value, mask, priority (duplicates dropped, as <c>classifier_find_rule_exactly</c> does).</summary>
    public List<(FlowKey Value, FlowKey Mask, int Priority)> Rules { get; } = [];

    /// <summary>The 16,384 lookup flows.</summary>
    public FlowKey[] Lookups { get; }

    /// <summary>The lookup sequence's indexes: the generator re-seeded with 1, then <c>random_range</c> of the flows.</summary>
    public int[] LookupOrder(int count)
    {
        var draw = DrawLookups();
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = draw.Next();
        }

        return order;
    }

    /// <summary>
    /// The same sequence one index at a time, as test-classifier's lookup thread draws it (<c>random_range</c> before
    /// each lookup).
    /// </summary>
    public LookupDraw DrawLookups() => new(Lookups.Length);

    /// <summary>Draws lookup indexes: lib/random.c's generator seeded with 1, <c>random_range</c> of the flows.</summary>
    public struct LookupDraw(int flows)
    {
        private uint _seed = 1;

        /// <summary>The next index.</summary>
        public int Next() => (int)(XorShift(ref _seed) % (uint)flows);
    }

    private (FlowKey Value, FlowKey Mask) MakeRule(uint wcf, uint pattern)
    {
        var value = default(FlowKey);
        var mask = default(FlowKey);
        for (int f = 0; f < Fields; f++)
        {
            if (HonourWildcards && (wcf & (1u << f)) == 0)
            {
                continue;
            }

            var (field, values, m) = Columns[f];
            field.Set(ref value, values[(pattern >> f) & 1], field.AllOnes);
            field.Set(ref mask, m, field.AllOnes);
        }

        return (value, mask);
    }

    /// <summary>lib/random.c <c>random_next</c>.</summary>
    private uint Next() => XorShift(ref _seed);

    private static uint XorShift(ref uint seed)
    {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        return seed;
    }

    private uint Range(uint max) => Next() % max;
}
