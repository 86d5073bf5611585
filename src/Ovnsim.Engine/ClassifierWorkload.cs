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

        // N_FLOW_VALUES multiplies the value counts of every field but metadata, so a lookup flow's index has
        // twelve bits for thirteen fields: the last field drawn (nw_tos) always takes its first value.
        const int flowValues = 1 << (Fields - 1);

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
        var inserts = new InsertDraws();
        for (int i = 0; i < rules; i++)
        {
            int priority = prios[Range((uint)priorities)];
            uint wcf = wcfs[Range((uint)subtables)];
            uint pattern = Next() & ((1u << Fields) - 1);
            var (value, mask) = MakeRule(wcf, pattern);
            int p = wcf != 0 ? (priority == int.MaxValue ? priority - 1 : priority) : 0;
            if (seen.Add((MaskedKey.And(value, mask), mask, p)))
            {
                // classifier_insert shares the generator: its hash maps draw a basis as they are made and grown.
                for (int d = inserts.Insert(HonourWildcards ? wcf : (1u << Fields) - 1, pattern); d > 0; d--)
                {
                    Next();
                }

                Rules.Add((value, mask, p));
            }
        }
    }

    /// <summary>Whether rules match only their pattern's fields (not OVS 3.1's behaviour).</summary>
    public bool HonourWildcards { get; }

    /// <summary>The rules: value, mask, priority (duplicates dropped, as <c>classifier_find_rule_exactly</c> does).</summary>
    public List<(FlowKey Value, FlowKey Mask, int Priority)> Rules { get; } = [];

    /// <summary>The 8,192 lookup flows (<c>2 * N_FLOW_VALUES</c>).</summary>
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

    /// <summary>
    /// How many times OVS 3.1's <c>classifier_insert</c> calls <c>random_uint32</c> (lib/classifier.c, lib/cmap.c,
    /// lib/ccmap.c), which moves the generator test-classifier draws its rules from: a new subtable makes a
    /// <c>ccmap</c> per flow segment its mask touches (each draws a basis) and joins the classifier's <c>cmap</c> of
    /// subtables; a rule with a new masked value counts into each segment index's <c>ccmap</c> and joins the
    /// subtable's <c>cmap</c> of rules. A map draws again when it grows: a <c>cmap</c> (five entries a 64-byte
    /// bucket) once it holds 85% of its entries, starting empty; a <c>ccmap</c> (eight a bucket, starting with one
    /// bucket) once its distinct hashes reach 85%, checked before each count. Not modelled: a cuckoo insertion that
    /// fails and makes the map rehash with a new basis, which depends on OVS's hashes of the values and on where
    /// earlier entries sit. OVS's own shape met none in the eight workloads recorded from the real program; the
    /// variant that honours wildcards, with many small maps, does: against test-classifier patched the same way, its
    /// 1,000 rules in 30 subtables are the same rule for rule, but with 5,000 rules in 50 subtables they part after
    /// 250 rules.
    /// </summary>
    private sealed class InsertDraws
    {
        // struct flow's segments (flow_segment_u64s): metadata up to dl_dst, L2 up to nw_src, L3 up to nd_target,
        // then L4. A bit per field, in Columns order: tun_id, metadata and in_port; dl_* and vlan_tci; nw_*; tp_*.
        private static readonly uint[] Segments = [0b10011, 0b11001100000, 0b1100000001100, 0b110000000];

        private readonly Dictionary<uint, Subtable> _subtables = [];
        private readonly HashMap _subtableMap = HashMap.EmptyCmap;

        /// <summary>Inserts a rule matching the fields <paramref name="fields"/> with values <paramref name="pattern"/>; returns the draws.</summary>
        public int Insert(uint fields, uint pattern)
        {
            int draws = 0;
            if (!_subtables.TryGetValue(fields, out var sub))
            {
                sub = new Subtable();
                uint upTo = 0;
                for (int seg = 0; seg < Segments.Length - 1; seg++)
                {
                    upTo |= Segments[seg];
                    if ((fields & Segments[seg]) != 0)
                    {
                        draws++; // ccmap_init
                        sub.Indexes.Add((upTo, HashMap.NewCcmap, []));
                    }
                }

                // With nothing in the last segment, the last index would hash what the rules' map hashes: dropped.
                if (sub.Indexes.Count > 0 && (fields & Segments[^1]) == 0)
                {
                    sub.Indexes.RemoveAt(sub.Indexes.Count - 1);
                }

                _subtables[fields] = sub;
                draws += _subtableMap.Add();
            }

            if (sub.Values.Add(pattern & fields))
            {
                foreach (var (upTo, index, seen) in sub.Indexes)
                {
                    draws += index.Add(seen.Add(pattern & fields & upTo));
                }

                draws += sub.Rules.Add();
            }

            return draws;
        }

        private sealed class Subtable
        {
            public List<(uint UpTo, HashMap Index, HashSet<uint> Seen)> Indexes { get; } = [];

            public HashSet<uint> Values { get; } = [];

            public HashMap Rules { get; } = HashMap.EmptyCmap;
        }

        /// <summary>The size bookkeeping of a cmap or ccmap: buckets less one, entries a bucket, entries held.</summary>
        private sealed class HashMap(uint mask, int perBucket, bool made)
        {
            private const double MaxLoad = 0.85;
            private uint _mask = mask;
            private int _n;
            private bool _made = made;

            public static HashMap EmptyCmap => new(0, 5, false);

            public static HashMap NewCcmap => new(0, 8, true);

            /// <summary>calc_max_n: 85% of the entries (CMAP_MAX_LOAD is a 32-bit fraction), none for the empty cmap.</summary>
            private int MaxN => _made ? (int)(((ulong)(_mask + 1) * (ulong)perBucket * (uint)(uint.MaxValue * MaxLoad)) >> 32) : 0;

            /// <summary>
            /// cmap_insert of a new node, or ccmap_inc (<paramref name="isNew"/> false for a hash it holds: the growth
            /// check comes first all the same); the draws: 1 if the map grew (to twice the buckets), else 0.
            /// </summary>
            public int Add(bool isNew = true)
            {
                int draws = 0;
                if (_n >= MaxN)
                {
                    _mask = (_mask << 1) | 1;
                    _made = true;
                    draws = 1;
                }

                _n += isNew ? 1 : 0;
                return draws;
            }
        }
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
