using System.Runtime.CompilerServices;

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
        if (sub.Insert(rule, Width) is null)
        {
            _count++;
        }

        if (reorder)
        {
            _ordered = [.. _subtables.OrderByDescending(s => s.MaxPriority)];
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
    public ClassifierRule<T>? Lookup(in FlowKey key, ref FlowKey wildcards)
    {
        bool collect = !Unsafe.IsNullRef(ref wildcards);
        ClassifierRule<T>? best = null;
        foreach (var sub in _ordered)
        {
            if (best is not null && sub.MaxPriority <= best.Priority)
            {
                break;
            }

            if (collect)
            {
                sub.Unwildcard(ref wildcards);
            }

            var r = sub.Find(key, Width);
            if (r is not null && (best is null || r.Priority > best.Priority))
            {
                best = r;
            }
        }

        return best;
    }

    /// <summary>Every rule matching <paramref name="key"/> with priority above <paramref name="above"/>, into <paramref name="output"/>.</summary>
    public void LookupAll(in FlowKey key, int above, List<ClassifierRule<T>> output) =>
        LookupAll(key, above, output, ref Unsafe.NullRef<FlowKey>());

    /// <summary>As <see cref="LookupAll(in FlowKey, int, List{ClassifierRule{T}})"/>, collecting wildcards as <see cref="Lookup(in FlowKey, ref FlowKey)"/> does.</summary>
    public void LookupAll(in FlowKey key, int above, List<ClassifierRule<T>> output, ref FlowKey wildcards)
    {
        bool collect = !Unsafe.IsNullRef(ref wildcards);
        foreach (var sub in _ordered)
        {
            if (sub.MaxPriority <= above)
            {
                break;
            }

            if (collect)
            {
                sub.Unwildcard(ref wildcards);
            }

            sub.FindAll(key, Width, above, output);
        }
    }

    private sealed class Subtable
    {
        private readonly int[] _chunks;
        private FlowKey _mask;
        private Entry?[] _slots = new Entry?[16];
        private int _used;

        public Subtable(in FlowKey mask)
        {
            _mask = mask;
            _chunks = MaskedKey.ActiveChunks(mask);
        }

        public int MaxPriority { get; private set; } = int.MinValue;

        public void Unwildcard(ref FlowKey wildcards) => MaskedKey.OrInto(ref wildcards, _mask, _chunks);

        public IEnumerable<ClassifierRule<T>> AllRules() => _slots.Where(e => e is not null).SelectMany(e => e!.Rules);

        public ClassifierRule<T>? Insert(ClassifierRule<T> rule, SimdWidth width)
        {
            MaxPriority = Math.Max(MaxPriority, rule.Priority);
            ulong h = MaskedKey.Hash(rule.ValueKey, _mask, _chunks, width);
            var e = FindEntry(rule.ValueKey, h, width);
            if (e is not null)
            {
                int at = e.Rules.FindIndex(r => r.Priority == rule.Priority);
                if (at >= 0)
                {
                    var old = e.Rules[at];
                    e.Rules[at] = rule;
                    return old;
                }

                e.Rules.Add(rule);
                e.Rules.Sort((a, b) => b.Priority.CompareTo(a.Priority));
                return null;
            }

            if ((_used + 1) * 2 > _slots.Length)
            {
                Grow();
            }

            Place(new Entry(h, rule));
            _used++;
            return null;
        }

        private void Grow()
        {
            var old = _slots;
            _slots = new Entry?[old.Length * 2];
            foreach (var e in old)
            {
                if (e is not null)
                {
                    Place(e);
                }
            }
        }

        private void Place(Entry e)
        {
            int mask = _slots.Length - 1;
            int i = (int)e.Hash & mask;
            while (_slots[i] is not null)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = e;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Entry? FindEntry(in FlowKey key, ulong h, SimdWidth width)
        {
            var slots = _slots;
            int mask = slots.Length - 1;
            for (int i = (int)h & mask; ; i = (i + 1) & mask)
            {
                var e = slots[i];
                if (e is null)
                {
                    return null;
                }

                if (e.Hash == h && MaskedKey.Matches(key, _mask, e.Rules[0].ValueKey, _chunks, width))
                {
                    return e;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ClassifierRule<T>? Find(in FlowKey key, SimdWidth width) =>
            FindEntry(key, MaskedKey.Hash(key, _mask, _chunks, width), width)?.First;

        public void FindAll(in FlowKey key, SimdWidth width, int above, List<ClassifierRule<T>> output)
        {
            var e = FindEntry(key, MaskedKey.Hash(key, _mask, _chunks, width), width);
            if (e is null)
            {
                return;
            }

            foreach (var r in e.Rules)
            {
                if (r.Priority > above)
                {
                    output.Add(r);
                }
            }
        }

        private sealed class Entry(ulong hash, ClassifierRule<T> first)
        {
            public ulong Hash { get; } = hash;

            public List<ClassifierRule<T>> Rules { get; } = [first];

            public ClassifierRule<T> First => Rules[0];
        }
    }
}
