using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ovnsim.Engine;

/// <summary>One rule: a masked value, a priority, what it carries, and its counters.</summary>
/// <typeparam name="T">The payload (a flow's actions, say).</typeparam>
public sealed class ClassifierRule<T>
{
    internal FlowKey ValueKey;
    internal FlowKey MaskKey;

    internal ClassifierRule(in FlowKey value, in FlowKey mask, int priority, T payload)
    {
        MaskKey = mask;
        ValueKey = MaskedKey.And(value, mask);
        Priority = priority;
        Payload = payload;
    }

    /// <summary>The priority.</summary>
    public int Priority { get; }

    /// <summary>The payload.</summary>
    public T Payload { get; }

    /// <summary>The value (masked).</summary>
    public FlowKey Value => ValueKey;

    /// <summary>The mask.</summary>
    public FlowKey Mask => MaskKey;

    /// <summary>Packets that hit the rule.</summary>
    public long Packets { get; set; }

    /// <summary>Bytes of the packets that hit the rule.</summary>
    public long Bytes { get; set; }
}

/// <summary>
/// Tuple-space search (lib/classifier.c): one hash table per distinct mask (a subtable); subtables kept in order of
/// the highest priority they hold, and a lookup stops once no later subtable can beat the best rule found. Within
/// a subtable, rules with the same masked value are kept in priority order. Masked compare and hashing go through
/// <see cref="MaskedKey"/> at <see cref="Width"/>.
/// </summary>
/// <typeparam name="T">The payload.</typeparam>
public sealed class Classifier<T>
{
    private readonly List<Subtable> _subtables = [];
    private readonly Dictionary<FlowKey, Subtable> _byMask = [];
    private Subtable[] _ordered = [];
    private HashGroup[] _groups = [];
    private int _count;

    /// <summary>A classifier using the widest accelerated vectors.</summary>
    public Classifier()
        : this(MaskedKey.Best)
    {
    }

    /// <summary>A classifier using <paramref name="width"/> for masked compares and hashing.</summary>
    public Classifier(SimdWidth width) => Width = width;

    /// <summary>The vector width used.</summary>
    public SimdWidth Width { get; }

    /// <summary>Number of rules.</summary>
    public int Count => _count;

    /// <summary>Number of subtables (distinct masks).</summary>
    public int SubtableCount => _subtables.Count;

    /// <summary>Every rule, subtable by subtable.</summary>
    public IEnumerable<ClassifierRule<T>> Rules => _subtables.SelectMany(s => s.AllRules());

    /// <summary>
    /// Inserts a rule and returns it. A rule with the same mask, value and priority is replaced (as OpenFlow's add
    /// replaces an identical flow).
    /// </summary>
    public ClassifierRule<T> Insert(in FlowKey value, in FlowKey mask, int priority, T payload)
    {
        bool reorder = false;
        if (!_byMask.TryGetValue(mask, out var sub))
        {
            sub = new Subtable(mask);
            _byMask[mask] = sub;
            _subtables.Add(sub);
            reorder = true;
        }

        var rule = new ClassifierRule<T>(value, mask, priority, payload);
        reorder |= priority > sub.MaxPriority;
        int buckets = sub.Buckets;
        bool crowded = sub.Crowded;
        if (sub.Insert(rule, Width) is null)
        {
            _count++;
        }

        if (!reorder && (sub.Buckets != buckets || sub.Crowded != crowded))
        {
            foreach (var group in _groups)
            {
                if (Array.IndexOf(group.Subtables, sub) >= 0)
                {
                    group.Refresh();
                }
            }
        }

        if (reorder)
        {
            _ordered = [.. _subtables.OrderByDescending(s => s.MaxPriority)];
            // After the first subtable, groups of eight; a last group too small to pay for its vector work goes one
            // subtable at a time.
            _groups = [.. _ordered.Skip(GroupedSingles).Chunk(HashGroup.Lanes).Where(g => g.Length >= HashGroup.MinLanes).Select(g => new HashGroup(g))];
        }

        return rule;
    }

    /// <summary>The highest-priority rule matching <paramref name="key"/>, or null.</summary>
    public ClassifierRule<T>? Lookup(in FlowKey key) => Lookup(key, ref Unsafe.NullRef<FlowKey>());

    /// <summary>
    /// As <see cref="Lookup(in FlowKey)"/>, and ORs into <paramref name="wildcards"/> the mask of every subtable looked
    /// in: the bits of <paramref name="key"/> the answer depends on (a megaflow's wildcards). A null reference
    /// collects nothing.
    /// </summary>
    public ClassifierRule<T>? Lookup(in FlowKey key, ref FlowKey wildcards) => Width switch
    {
        SimdWidth.V512 => Lookup<V512Ops>(key, ref wildcards),
        SimdWidth.V256 => Lookup<V256Ops>(key, ref wildcards),
        SimdWidth.V128 => Lookup<V128Ops>(key, ref wildcards),
        _ => Lookup<ScalarOps>(key, ref wildcards),
    };

    private ClassifierRule<T>? Lookup<TOps>(in FlowKey key, ref FlowKey wildcards)
        where TOps : struct, IMaskedOps
    {
        if (Unsafe.IsNullRef(ref wildcards))
        {
            return LookupPlain<TOps>(key);
        }

        ClassifierRule<T>? best = null;
        int floor = int.MinValue;
        foreach (var sub in _ordered)
        {
            if (sub.MaxPriority <= floor)
            {
                break;
            }

            if (!sub.PassesStages(key, Width, ref wildcards))
            {
                continue;
            }

            // Only a rule above the best so far is of interest; the probe skips the rest without comparing them.
            int slot = sub.FindSlot<TOps>(key, floor);
            if (slot >= 0)
            {
                best = sub.First(slot);
                floor = best.Priority;
            }
        }

        return best;
    }

    /// <summary>
    /// Subtables a grouped lookup probes one at a time first: a lookup of the pipeline's tables often ends in the first
    /// (measured: the seed's uncached ACK 2-4% slower with none; the 30-subtable workload no slower with one).
    /// </summary>
    private const int GroupedSingles = 1;

    /// <summary>Subtables probed one at a time before the grouped probes start: most lookups end within them.</summary>
    private const int SingleProbes = 4;

    /// <summary>The lookup that collects no wildcards: <see cref="LookupGrouped"/> at Vector512, else <see cref="LookupEach"/>.</summary>
    private ClassifierRule<T>? LookupPlain<TOps>(in FlowKey key)
        where TOps : struct, IMaskedOps =>
        typeof(TOps) == typeof(V512Ops) && Avx512F.IsSupported && _groups.Length > 0 ? LookupGrouped(key) : LookupEach<TOps>(key);

    /// <summary>
    /// The plain lookup, each subtable hashing the key for itself. After the first <see cref="SingleProbes"/>
    /// subtables, four at a time: the four home-bucket probes are computed first, with no branch between them, so
    /// that their hash chains overlap; then those with a candidate are compared in order. The last one to three go
    /// one by one.
    /// </summary>
    private ClassifierRule<T>? LookupEach<TOps>(in FlowKey key)
        where TOps : struct, IMaskedOps
    {
        Subtable? bestSub = null;
        int bestSlot = 0;
        int floor = int.MinValue;
        var ordered = _ordered;

        // The scalar path gains nothing from grouping: its four hashes are too many registers' work to overlap.
        int singles = typeof(TOps) == typeof(ScalarOps) ? ordered.Length : SingleProbes;
        for (int g = 0; g < ordered.Length;)
        {
            var s0 = ordered[g];
            if (s0.MaxPriority <= floor)
            {
                break;
            }

            if (g < singles || g + 3 >= ordered.Length)
            {
                int slot = s0.FindSlot<TOps>(key, floor);
                if (slot >= 0)
                {
                    bestSub = s0;
                    bestSlot = slot;
                    floor = s0.PriorityAt(slot);
                }

                g++;
                continue;
            }

            var s1 = ordered[g + 1];
            var s2 = ordered[g + 2];
            var s3 = ordered[g + 3];
            g += 4;
            uint p0 = s0.ProbeHome<TOps>(key, out int b0, out ulong h0);
            uint p1 = s1.ProbeHome<TOps>(key, out int b1, out ulong h1);
            uint p2 = s2.ProbeHome<TOps>(key, out int b2, out ulong h2);
            uint p3 = s3.ProbeHome<TOps>(key, out int b3, out ulong h3);
            if ((p0 | p1 | p2 | p3) == 0)
            {
                continue;
            }

            Take<TOps>(key, s0, p0, b0, h0, ref bestSub, ref bestSlot, ref floor);
            Take<TOps>(key, s1, p1, b1, h1, ref bestSub, ref bestSlot, ref floor);
            Take<TOps>(key, s2, p2, b2, h2, ref bestSub, ref bestSlot, ref floor);
            Take<TOps>(key, s3, p3, b3, h3, ref bestSub, ref bestSlot, ref floor);
        }

        return bestSub?.First(bestSlot);
    }

    /// <summary>
    /// The plain lookup at Vector512, a group of eight subtables at a time (<see cref="HashGroup"/>): their hashes of the
    /// key computed together, a lane each, and their home buckets found the same way; then each lane's bucket probed
    /// and the slots holding its hash gathered, eight bits a lane, before any is looked at. Equal 64-bit hashes are
    /// trusted until the end, when only the winner's value is compared (a mismatch, which takes a hash collision,
    /// looks again with <see cref="LookupEach"/>). Where a home bucket is full (only in a group with a crowded
    /// subtable is that asked), the buckets it overflowed into are probed after the group's lanes.
    /// </summary>
    private ClassifierRule<T>? LookupGrouped(in FlowKey key)
    {
        var best = new Best();
        var ordered = _ordered;
        int first = 0;
        for (; first < GroupedSingles; first++)
        {
            if (!best.Probe(key, ordered[first], first))
            {
                return Finish(best, key);
            }
        }

        ref ulong t = ref MaskedKey.Words(key);
        var homeOf = default(HashGroup.LaneInts);
        ref int home0 = ref homeOf[0];
        foreach (var group in _groups)
        {
            var subs = group.Subtables;
            if (subs[0].MaxPriority <= best.Priority)
            {
                break;
            }

            var hashes = group.Hash(ref t);
            var homes = ((hashes >>> 1) & group.BucketMasks) << 3;
            bool crowded = group.Crowded;
            ulong found = 0;
            uint full = 0;

            // Each lane's hash and home bucket taken out of the vectors by a permute, not through memory: a 64-bit
            // load of what a 512-bit store has just written waits for the store.
            var lane = Vector512<ulong>.Zero;
            for (int s = 0; s < subs.Length; s++)
            {
                var h = Avx512F.PermuteVar8x64(hashes, lane);
                int home = (int)Avx512F.PermuteVar8x64(homes, lane).ToScalar();
                Unsafe.Add(ref home0, s) = home;
                if (!crowded)
                {
                    found |= (ulong)subs[s].ProbeSlot(home, h) << (s * MaskedKey.BucketSlots);
                }
                else
                {
                    found |= (ulong)subs[s].ProbeSlot(home, h, out bool overflowed) << (s * MaskedKey.BucketSlots);
                    full |= (overflowed ? 1u : 0u) << s;
                }

                lane += Vector512<ulong>.One;
            }

            for (; found != 0; found &= found - 1)
            {
                int bit = BitOperations.TrailingZeroCount(found);
                int s = bit >> 3;
                best.Offer(subs[s], first + s, Unsafe.Add(ref home0, s) + (bit & (MaskedKey.BucketSlots - 1)));
            }

            // A full home bucket may have passed the key's value on to the next, and that one to the next.
            for (; full != 0; full &= full - 1)
            {
                int s = BitOperations.TrailingZeroCount(full);
                var sub = subs[s];
                var h = Avx512F.PermuteVar8x64(hashes, Vector512.Create((ulong)s));
                bool overflowed = true;
                for (int slot = sub.NextBucket(Unsafe.Add(ref home0, s)); overflowed; slot = sub.NextBucket(slot))
                {
                    for (uint bits = sub.ProbeSlot(slot, h, out overflowed); bits != 0; bits &= bits - 1)
                    {
                        best.Offer(sub, first + s, slot + BitOperations.TrailingZeroCount(bits));
                    }
                }
            }

            first += subs.Length;
        }

        for (; first < ordered.Length; first++)
        {
            if (!best.Probe(key, ordered[first], first))
            {
                break;
            }
        }

        return Finish(best, key);
    }

    /// <summary>The best candidate's rule; after a hash collision fooled the grouped lookup, the per-subtable lookup's answer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ClassifierRule<T>? Finish(in Best best, in FlowKey key)
    {
        var rule = best.Winner(key, out bool mismatch);
        return mismatch ? LookupEach<V512Ops>(key) : rule;
    }

    /// <summary>
    /// The best candidate of a grouped lookup so far: the highest priority, and of equal priorities the subtable
    /// first in order — the rule <see cref="LookupEach"/> finds, whatever order the candidates come in.
    /// </summary>
    private struct Best()
    {
        public Subtable? Subtable;
        public int Slot;
        public int Priority = int.MinValue;
        private int _order = int.MaxValue;
        private bool _compared;

        /// <summary>Weighs the slot of <paramref name="sub"/> (<paramref name="order"/>th in order) whose hash the key has; <paramref name="compared"/> if its value was compared too.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Offer(Subtable sub, int order, int slot, bool compared = false)
        {
            int priority = sub.PriorityAt(slot);
            if (priority > Priority || (priority == Priority && order < _order))
            {
                Subtable = sub;
                Slot = slot;
                Priority = priority;
                _order = order;
                _compared = compared;
            }
        }

        /// <summary>Looks in <paramref name="sub"/> alone, comparing values; false if it (and so every later subtable) cannot beat the best.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Probe(in FlowKey key, Subtable sub, int order)
        {
            if (sub.MaxPriority <= Priority)
            {
                return false;
            }

            int slot = sub.FindSlot<V512Ops>(key, Priority);
            if (slot >= 0)
            {
                Offer(sub, order, slot, compared: true);
            }

            return true;
        }

        /// <summary>
        /// The winner's rule, its value compared if it was not; if it does not match (a 64-bit hash collision), null, and
        /// <paramref name="mismatch"/> set.
        /// </summary>
        public ClassifierRule<T>? Winner(in FlowKey key, out bool mismatch)
        {
            mismatch = Subtable is not null && !_compared && !Subtable.Holds<V512Ops>(key, Slot);
            return mismatch ? null : Subtable?.First(Slot);
        }
    }

    /// <summary>Resolves one subtable's probe from <see cref="LookupEach"/>: a better rule becomes the best.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take<TOps>(in FlowKey key, Subtable sub, uint probe, int home, ulong h, ref Subtable? bestSub, ref int bestSlot, ref int floor)
        where TOps : struct, IMaskedOps
    {
        if (probe != 0 && sub.MaxPriority > floor)
        {
            int slot = sub.Resolve<TOps>(key, floor, probe, home, h);
            if (slot >= 0)
            {
                bestSub = sub;
                bestSlot = slot;
                floor = sub.PriorityAt(slot);
            }
        }
    }

    /// <summary>Every rule matching <paramref name="key"/> with priority above <paramref name="above"/>, into <paramref name="output"/>.</summary>
    public void LookupAll(in FlowKey key, int above, List<ClassifierRule<T>> output) =>
        LookupAll(key, above, output, ref Unsafe.NullRef<FlowKey>());

    /// <summary>As <see cref="LookupAll(in FlowKey, int, List{ClassifierRule{T}})"/>, collecting wildcards as <see cref="Lookup(in FlowKey, ref FlowKey)"/> does.</summary>
    public void LookupAll(in FlowKey key, int above, List<ClassifierRule<T>> output, ref FlowKey wildcards)
    {
        switch (Width)
        {
            case SimdWidth.V512:
                LookupAll<V512Ops>(key, above, output, ref wildcards);
                break;
            case SimdWidth.V256:
                LookupAll<V256Ops>(key, above, output, ref wildcards);
                break;
            case SimdWidth.V128:
                LookupAll<V128Ops>(key, above, output, ref wildcards);
                break;
            default:
                LookupAll<ScalarOps>(key, above, output, ref wildcards);
                break;
        }
    }

    private void LookupAll<TOps>(in FlowKey key, int above, List<ClassifierRule<T>> output, ref FlowKey wildcards)
        where TOps : struct, IMaskedOps
    {
        bool collect = !Unsafe.IsNullRef(ref wildcards);
        foreach (var sub in _ordered)
        {
            if (sub.MaxPriority <= above)
            {
                break;
            }

            if (!collect || sub.PassesStages(key, Width, ref wildcards))
            {
                sub.FindAll<TOps>(key, above, output);
            }
        }
    }

    /// <summary>
    /// One mask's rules: an open-addressing table of buckets of <see cref="MaskedKey.BucketSlots"/> hashes (0 marks
    /// an empty slot; a bucket fills from its first slot, overflows into the next bucket when full, and never
    /// empties, as rules are only added or replaced), compared a bucket at a time, beside each slot's best priority and its masked value packed to
    /// the pairs of chunks the mask touches (<see cref="PackedLayout"/>) — so a probe touches only contiguous arrays and reads no rule object unless it
    /// wins. For lookups that collect wildcards, OVS's staged lookup in front of it: the mask cut after each field
    /// group (<see cref="KeyFields.Stages"/>: metadata, L2, L3) with the set of the rules' hashes over each cut, so
    /// that a key no rule can match is turned away after the first group that differs — and only that far into the
    /// mask does the answer depend on the key (a megaflow's wildcards).
    /// </summary>
    private sealed class Subtable
    {
        private const int Slots = MaskedKey.BucketSlots;

        private readonly Stage[] _stages;
        private readonly int[] _chunks;
        private readonly PackedLayout _layout;
        private readonly int _stride;
        private FlowKey _mask;
        private ulong[] _hashes = new ulong[2 * Slots];
        private int[] _priorities = new int[2 * Slots];
        private ulong[] _values;
        private Entry?[] _slots = new Entry?[2 * Slots];
        private int _used;

        public Subtable(in FlowKey mask)
        {
            _mask = mask;
            _layout = new PackedLayout(mask);
            _chunks = _layout.Chunks;
            _stride = _layout.Words;
            _values = new ulong[_slots.Length * _stride];

            // The cuts that add bits and stop short of the whole mask.
            var stages = new List<Stage>();
            var previous = default(FlowKey);
            foreach (var upTo in KeyFields.Stages)
            {
                var cut = MaskedKey.And(mask, upTo);
                if (cut != previous && cut != mask)
                {
                    stages.Add(new Stage(cut));
                }

                previous = cut;
            }

            _stages = [.. stages];
        }

        public int MaxPriority { get; private set; } = int.MinValue;

        /// <summary>The mask.</summary>
        public FlowKey Mask => _mask;

        /// <summary>The chunks the mask touches.</summary>
        public int[] Chunks => _chunks;

        public IEnumerable<ClassifierRule<T>> AllRules() => _slots.Where(e => e is not null).SelectMany(e => e!.Rules);

        /// <summary>The best rule of a slot <see cref="FindSlot"/> found.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ClassifierRule<T> First(int slot) => _slots[slot]!.First;

        /// <summary>The best priority of a slot <see cref="FindSlot"/> found.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int PriorityAt(int slot) => _priorities[slot];

        /// <summary>The masked hash, never 0 (0 marks an empty slot).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong HashOf<TOps>(in FlowKey key)
            where TOps : struct, IMaskedOps =>
            TOps.Hash(ref MaskedKey.Words(key), ref MaskedKey.Words(_mask), _chunks) | 1;

        public ClassifierRule<T>? Insert(ClassifierRule<T> rule, SimdWidth width)
        {
            MaxPriority = Math.Max(MaxPriority, rule.Priority);
            foreach (var stage in _stages)
            {
                stage.Add(MaskedKey.Hash(rule.ValueKey, stage.Mask, stage.Chunks, width) | 1);
            }

            int slot = FindSlot<ScalarOps>(rule.ValueKey, int.MinValue);
            if (slot >= 0)
            {
                var e = _slots[slot]!;
                int at = e.Rules.FindIndex(r => r.Priority == rule.Priority);
                ClassifierRule<T>? old = null;
                if (at >= 0)
                {
                    old = e.Rules[at];
                    e.Rules[at] = rule;
                }
                else
                {
                    e.Rules.Add(rule);
                    e.Rules.Sort((a, b) => b.Priority.CompareTo(a.Priority));
                }

                e.First = e.Rules[0];
                _priorities[slot] = e.First.Priority;
                return old;
            }

            if ((_used + 1) * 2 > _slots.Length)
            {
                Grow();
            }

            Place(HashOf<ScalarOps>(rule.ValueKey), new Entry(rule));
            _used++;
            return null;
        }

        private void Grow()
        {
            var oldHashes = _hashes;
            var old = _slots;
            _hashes = new ulong[old.Length * 2];
            _priorities = new int[old.Length * 2];
            _values = new ulong[old.Length * 2 * _stride];
            _slots = new Entry?[old.Length * 2];
            Crowded = false;
            for (int i = 0; i < old.Length; i++)
            {
                if (old[i] is { } e)
                {
                    Place(oldHashes[i], e);
                }
            }
        }

        /// <summary>The bucket a hash starts in (bit 0 of a hash is always set).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int HomeBucket(ulong h, int buckets) => (int)(h >> 1) & (buckets - 1);

        private void Place(ulong h, Entry e)
        {
            int buckets = Buckets;
            for (int b = HomeBucket(h, buckets); ; b = (b + 1) & (buckets - 1))
            {
                for (int i = b * Slots; i < (b + 1) * Slots; i++)
                {
                    if (_hashes[i] == 0)
                    {
                        _hashes[i] = h;
                        Crowded |= i % Slots == Slots - 1;
                        _priorities[i] = e.First.Priority;
                        _slots[i] = e;
                        MaskedKey.Pack(e.First.ValueKey, _layout, _values.AsSpan(i * _stride, _stride));
                        return;
                    }
                }
            }
        }

        /// <summary>
        /// The slots of <paramref name="key"/>'s home bucket holding its hash (bits 0-7), and bit 31 if the bucket
        /// overflowed into the next; with the home bucket and the hash, for <see cref="Resolve"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint ProbeHome<TOps>(in FlowKey key, out int home, out ulong h)
            where TOps : struct, IMaskedOps
        {
            h = HashOf<TOps>(key);
            home = HomeBucket(h, Buckets);
            ref ulong bucket = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_hashes), home * Slots);
            return TOps.Probe(ref bucket, h) | (Unsafe.Add(ref bucket, Slots - 1) != 0 ? Overflowed : 0);
        }

        /// <summary>Buckets in the table.</summary>
        public int Buckets => _hashes.Length / Slots;

        /// <summary>Whether some bucket is full, so that a key's value may lie past its home bucket.</summary>
        public bool Crowded { get; private set; }

        /// <summary>
        /// The slots of the bucket starting at slot <paramref name="first"/> that hold the hash in every lane of
        /// <paramref name="h"/>, a bit each (one Vector512 compare).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint ProbeSlot(int first, Vector512<ulong> h) =>
            (uint)Vector512.Equals(Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_hashes), (nuint)(uint)first), h).ExtractMostSignificantBits();

        /// <summary>As <see cref="ProbeSlot(int, Vector512{ulong})"/>, and whether the bucket is full (so may have overflowed into the next).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint ProbeSlot(int first, Vector512<ulong> h, out bool full)
        {
            ref ulong bucket = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_hashes), (nuint)(uint)first);
            full = Unsafe.Add(ref bucket, Slots - 1) != 0;
            return (uint)Vector512.Equals(Vector512.LoadUnsafe(ref bucket), h).ExtractMostSignificantBits();
        }

        /// <summary>The first slot of the bucket after the one holding <paramref name="slot"/>, round the table.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int NextBucket(int slot) => (((slot / Slots) + 1) & (Buckets - 1)) * Slots;

        private const uint Overflowed = 0x8000_0000;

        /// <summary>Whether <paramref name="key"/> has the masked value of <paramref name="slot"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Holds<TOps>(in FlowKey key, int slot)
            where TOps : struct, IMaskedOps =>
            TOps.Matches(ref MaskedKey.Words(key), ref MaskedKey.Words(_mask), ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), slot * _stride), _layout);

        /// <summary>As <see cref="FindSlot"/>, given what <see cref="ProbeHome"/> found.</summary>
        public int Resolve<TOps>(in FlowKey key, int floor, uint probe, int home, ulong h)
            where TOps : struct, IMaskedOps
        {
            int slot = MatchAmong<TOps>(key, floor, probe & ~Overflowed, home);
            return slot >= 0 || (probe & Overflowed) == 0 ? slot : FindSlotFrom<TOps>(key, floor, h, (home + 1) & (Buckets - 1));
        }

        /// <summary>
        /// Of the slots of <paramref name="bucket"/> set in <paramref name="hits"/>, the one whose value the key has
        /// with a priority above <paramref name="floor"/>, or -1.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int MatchAmong<TOps>(in FlowKey key, int floor, uint hits, int bucket)
            where TOps : struct, IMaskedOps
        {
            for (; hits != 0; hits &= hits - 1)
            {
                int i = (bucket * Slots) + BitOperations.TrailingZeroCount(hits);
                if (_priorities[i] > floor
                    && TOps.Matches(ref MaskedKey.Words(key), ref MaskedKey.Words(_mask), ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), i * _stride), _layout))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>
        /// The slot holding <paramref name="key"/>'s masked value with a priority above <paramref name="floor"/>, or
        /// -1: the key's hash compared with a bucket of hashes at once, buckets in turn until one has a free slot.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int FindSlot<TOps>(in FlowKey key, int floor)
            where TOps : struct, IMaskedOps
        {
            ulong h = HashOf<TOps>(key);
            return FindSlotFrom<TOps>(key, floor, h, HomeBucket(h, Buckets));
        }

        /// <summary>As <see cref="FindSlot"/>, from bucket <paramref name="start"/> on.</summary>
        private int FindSlotFrom<TOps>(in FlowKey key, int floor, ulong h, int start)
            where TOps : struct, IMaskedOps
        {
            ref ulong hashes = ref MemoryMarshal.GetArrayDataReference(_hashes);
            int buckets = Buckets;
            for (int b = start; ; b = (b + 1) & (buckets - 1))
            {
                ref ulong bucket = ref Unsafe.Add(ref hashes, b * Slots);
                int slot = MatchAmong<TOps>(key, floor, TOps.Probe(ref bucket, h), b);
                if (slot >= 0)
                {
                    return slot;
                }

                // Slots fill from the first and are never emptied: a free last slot means the bucket never
                // overflowed into the next.
                if (Unsafe.Add(ref bucket, Slots - 1) == 0)
                {
                    return -1;
                }
            }
        }

        /// <summary>
        /// Whether some rule may match <paramref name="key"/> after the staged checks; ORs into
        /// <paramref name="wildcards"/> the bits looked at (up to the stage that turned the key away, or the whole
        /// mask). Only a lookup that collects wildcards needs them: the stages only narrow the wildcards, and a plain
        /// lookup goes straight to the table, which answers the same and, measured, sooner.
        /// </summary>
        public bool PassesStages(in FlowKey key, SimdWidth width, ref FlowKey wildcards)
        {
            foreach (var stage in _stages)
            {
                if (!stage.Contains(MaskedKey.Hash(key, stage.Mask, stage.Chunks, width) | 1))
                {
                    MaskedKey.OrInto(ref wildcards, stage.Mask, stage.Chunks);
                    return false;
                }
            }

            MaskedKey.OrInto(ref wildcards, _mask, _chunks);
            return true;
        }

        public void FindAll<TOps>(in FlowKey key, int above, List<ClassifierRule<T>> output)
            where TOps : struct, IMaskedOps
        {
            int slot = FindSlot<TOps>(key, above);
            if (slot < 0)
            {
                return;
            }

            foreach (var r in _slots[slot]!.Rules)
            {
                if (r.Priority > above)
                {
                    output.Add(r);
                }
            }
        }

        /// <summary>One cut of the mask and the set of the rules' hashes over it (open addressing; 0 marks a free slot).</summary>
        private sealed class Stage(FlowKey mask)
        {
            private ulong[] _set = new ulong[16];
            private int _count;

            public FlowKey Mask = mask;

            public int[] Chunks { get; } = MaskedKey.ActiveChunks(mask);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public bool Contains(ulong h)
            {
                var set = _set;
                int m = set.Length - 1;
                for (int i = (int)(h >> 1) & m; ; i = (i + 1) & m)
                {
                    if (set[i] == h)
                    {
                        return true;
                    }

                    if (set[i] == 0)
                    {
                        return false;
                    }
                }
            }

            public void Add(ulong h)
            {
                if (Contains(h))
                {
                    return;
                }

                if ((_count + 1) * 2 > _set.Length)
                {
                    var old = _set;
                    _set = new ulong[old.Length * 2];
                    foreach (ulong x in old)
                    {
                        if (x != 0)
                        {
                            Put(x);
                        }
                    }
                }

                Put(h);
                _count++;
            }

            private void Put(ulong h)
            {
                int m = _set.Length - 1;
                int i = (int)(h >> 1) & m;
                while (_set[i] != 0)
                {
                    i = (i + 1) & m;
                }

                _set[i] = h;
            }
        }

        /// <summary>The rules sharing one masked value, highest priority first.</summary>
        private sealed class Entry(ClassifierRule<T> first)
        {
            public ClassifierRule<T> First = first;

            public List<ClassifierRule<T>> Rules { get; } = [first];
        }
    }

    /// <summary>
    /// Up to <see cref="Lanes"/> consecutive subtables (in priority order) whose hashes of a key are computed together,
    /// one subtable per Vector512 lane: each word of the chunks any of them uses is turned (<see cref="MaskedKey.ChunkRotation"/>),
    /// broadcast, ANDed with the subtables' mask words side by side and added into its lane sum, then the four sums
    /// are folded and mixed lane-wise as <see cref="MaskedKey.Finish"/> does one. A subtable whose mask leaves a chunk
    /// out has zeros there and adds nothing, so each lane is exactly the subtable's own <see cref="MaskedKey.Hash"/>.
    /// </summary>
    private sealed class HashGroup
    {
        /// <summary>Subtables per group: the lanes of a Vector512 of words.</summary>
        public const int Lanes = 8;

        /// <summary>An int per lane.</summary>
        [InlineArray(Lanes)]
        public struct LaneInts
        {
            private int _first;
        }

        /// <summary>The fewest subtables worth a group: below this, hashing each subtable alone is cheaper.</summary>
        public const int MinLanes = 4;

        public HashGroup(Subtable[] subtables)
        {
            Subtables = subtables;
            Chunks = [.. subtables.SelectMany(s => s.Chunks).Distinct().Order()];
            Masks = new Vector512<ulong>[Chunks.Length * MaskedKey.ChunkWords];
            var lanes = new ulong[Lanes];
            for (int i = 0; i < Chunks.Length; i++)
            {
                int c = Chunks[i];
                for (int j = 0; j < MaskedKey.ChunkWords; j++)
                {
                    for (int s = 0; s < Lanes; s++)
                    {
                        lanes[s] = s < subtables.Length
                            ? BitOperations.RotateLeft(subtables[s].Mask[(c * MaskedKey.ChunkWords) + j], MaskedKey.ChunkRotation(c))
                            : 0;
                    }

                    Masks[(i * MaskedKey.ChunkWords) + j] = Vector512.Create(lanes);
                }
            }

            Refresh();
        }

        public Subtable[] Subtables { get; }

        /// <summary>Lane s: subtable s's bucket count less one (refreshed by <see cref="Refresh"/>).</summary>
        public Vector512<ulong> BucketMasks { get; private set; }

        /// <summary>Whether some subtable's buckets overflow (refreshed by <see cref="Refresh"/>).</summary>
        public bool Crowded { get; private set; }

        /// <summary>Takes the subtables' table sizes and whether any is crowded again, after an insert.</summary>
        public void Refresh()
        {
            var lanes = new ulong[Lanes];
            for (int s = 0; s < Subtables.Length; s++)
            {
                lanes[s] = (ulong)Subtables[s].Buckets - 1;
            }

            BucketMasks = Vector512.Create(lanes);
            Crowded = Subtables.Any(s => s.Crowded);
        }

        /// <summary>The chunks any of the subtables' masks touches.</summary>
        public int[] Chunks { get; }

        /// <summary>Per chunk and word of it, the subtables' mask words turned by the chunk's rotation, a lane each.</summary>
        public Vector512<ulong>[] Masks { get; }

        /// <summary>Lane s: the hash of the key <paramref name="k"/> over subtable s's mask, | 1 (as the subtable's own hash).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<ulong> Hash(ref ulong k)
        {
            Vector512<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
            ref var m = ref MemoryMarshal.GetArrayDataReference(Masks);
            foreach (int c in Chunks)
            {
                ref ulong kc = ref Unsafe.Add(ref k, c * MaskedKey.ChunkWords);
                int r = MaskedKey.ChunkRotation(c);
                a0 += Vector512.Create(BitOperations.RotateLeft(kc, r)) & m;
                a1 += Vector512.Create(BitOperations.RotateLeft(Unsafe.Add(ref kc, 1), r)) & Unsafe.Add(ref m, 1);
                a2 += Vector512.Create(BitOperations.RotateLeft(Unsafe.Add(ref kc, 2), r)) & Unsafe.Add(ref m, 2);
                a3 += Vector512.Create(BitOperations.RotateLeft(Unsafe.Add(ref kc, 3), r)) & Unsafe.Add(ref m, 3);
                m = ref Unsafe.Add(ref m, MaskedKey.ChunkWords);
            }

            var x0 = a0 ^ Rotl(a2, 32);
            var x1 = a1 ^ Rotl(a3, 32);
            var x = x0 ^ Rotl(x1, 16);
            var h = (x ^ (x >>> 32)) * MaskedKey.Mix;
            return (h ^ (h >>> 32)) | Vector512<ulong>.One;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> Rotl(Vector512<ulong> v, [System.Diagnostics.CodeAnalysis.ConstantExpected] byte r) => Avx512F.RotateLeft(v, r);
    }
}
