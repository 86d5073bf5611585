namespace Ovnsim.Ovsdb.Ordering;

/// <summary>
/// The iteration order of Open vSwitch's <c>struct hmap</c> (<c>lib/hmap.c</c>), reproduced so that output whose order
/// OVS takes from a hash table comes out in the same order. The rules: a node goes to the front of bucket
/// <c>hash &amp; mask</c>; after each insertion, when <c>n / 2 &gt; mask</c>, the table grows to
/// <c>calc_mask(n)</c> buckets by re-inserting the old buckets' nodes in iteration order; iteration walks the
/// buckets in index order, each from its front.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class OvsHmap<T>
{
    private List<(uint Hash, T Item)>[] _buckets = [[]];
    private int _count;

    /// <summary>The current mask (number of buckets minus one).</summary>
    public int Mask => _buckets.Length - 1;

    /// <summary>The number of elements.</summary>
    public int Count => _count;

    /// <summary>Inserts as <c>hmap_insert</c> does.</summary>
    public void Insert(T item, uint hash)
    {
        InsertFast(_buckets, item, hash);
        _count++;
        if (_count / 2 > Mask)
        {
            int newMask = CalcMask(_count);
            if (newMask > Mask)
            {
                Resize(newMask);
            }
        }
    }

    /// <summary>Removes an element as <c>hmap_remove</c> does (the table never shrinks); false when absent.</summary>
    public bool Remove(T item, uint hash)
    {
        var bucket = _buckets[hash & (uint)Mask];
        for (int i = 0; i < bucket.Count; i++)
        {
            if (EqualityComparer<T>.Default.Equals(bucket[i].Item, item))
            {
                bucket.RemoveAt(i);
                _count--;
                return true;
            }
        }

        return false;
    }

    /// <summary>The elements in <c>HMAP_FOR_EACH</c> order.</summary>
    public IEnumerable<T> Iterate()
    {
        foreach (var bucket in _buckets)
        {
            // Each bucket list is stored back to front: the front of the C list is the end of ours.
            for (int i = bucket.Count - 1; i >= 0; i--)
            {
                yield return bucket[i].Item;
            }
        }
    }

    // lib/hmap.c calc_mask(): half the capacity, rounded up to a power of two minus one, never 1.
    private static int CalcMask(int capacity)
    {
        uint mask = (uint)capacity / 2;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= (mask & 1) << 1;
        return (int)mask;
    }

    private void Resize(int newMask)
    {
        var fresh = new List<(uint, T)>[newMask + 1];
        for (int i = 0; i < fresh.Length; i++)
        {
            fresh[i] = [];
        }

        foreach (var bucket in _buckets)
        {
            for (int i = bucket.Count - 1; i >= 0; i--)
            {
                InsertFast(fresh, bucket[i].Item2, bucket[i].Item1);
            }
        }

        _buckets = fresh;
    }

    private static void InsertFast(List<(uint, T)>[] buckets, T item, uint hash) =>
        buckets[hash & (uint)(buckets.Length - 1)].Add((hash, item));
}

/// <summary>Helpers over <see cref="OvsHmap{T}"/>.</summary>
public static class OvsHmap
{
    /// <summary>Orders <paramref name="items"/> as an hmap filled in the given order would iterate them.</summary>
    public static IReadOnlyList<T> Order<T>(IEnumerable<T> items, Func<T, uint> hash)
    {
        var map = new OvsHmap<T>();
        foreach (var item in items)
        {
            map.Insert(item, hash(item));
        }

        return [.. map.Iterate()];
    }
}
