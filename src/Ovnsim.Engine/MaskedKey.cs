using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ovnsim.Engine;

/// <summary>Which vector width the masked compare and hash use.</summary>
public enum SimdWidth
{
    /// <summary>One 64-bit word at a time.</summary>
    Scalar,

    /// <summary>Vector128 (two words).</summary>
    V128,

    /// <summary>Vector256 (four words).</summary>
    V256,

    /// <summary>Vector512 (eight words).</summary>
    V512,
}

/// <summary>
/// Masked compare and hash of <see cref="FlowKey"/>s over the 4-word chunks a mask touches, with a vector path per
/// width and a scalar twin that computes the same hash. A chunk is the unit whatever the width: a Vector512 step
/// covers two chunks, a Vector128 step half of one, so every width gives the same result.
/// </summary>
public static class MaskedKey
{
    /// <summary>Words per chunk.</summary>
    public const int ChunkWords = 4;

    /// <summary>The widest vector path this machine accelerates.</summary>
    public static SimdWidth Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.V512
        : Vector256.IsHardwareAccelerated ? SimdWidth.V256
        : Vector128.IsHardwareAccelerated ? SimdWidth.V128
        : SimdWidth.Scalar;

    /// <summary>The multiplier that mixes a hash.</summary>
    internal const ulong Mix = 0x9E3779B97F4A7C15;

    /// <summary>The chunks (0..7) in which <paramref name="mask"/> has a bit set.</summary>
    public static int[] ActiveChunks(in FlowKey mask)
    {
        var chunks = new List<int>();
        for (int c = 0; c < FlowKey.Words / ChunkWords; c++)
        {
            for (int w = 0; w < ChunkWords; w++)
            {
                if (mask[(c * ChunkWords) + w] != 0)
                {
                    chunks.Add(c);
                    break;
                }
            }
        }

        return [.. chunks];
    }

    /// <summary>
    /// Hash of <paramref name="key"/> AND <paramref name="mask"/> over <paramref name="chunks"/>: per lane (a word's
    /// place in its chunk), the sum of the masked words each turned by its chunk's <see cref="ChunkRotation"/>; the
    /// four lanes folded into one word; one multiply to mix. Identical for every width. A chunk the mask leaves out
    /// adds nothing, so the hash can also be summed over more chunks than the mask's, and for several masks at once
    /// (the classifier's <c>HashGroup</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in FlowKey key, in FlowKey mask, ReadOnlySpan<int> chunks, SimdWidth width)
    {
        ref ulong k = ref Words(key);
        ref ulong m = ref Words(mask);
        return width switch
        {
            SimdWidth.V512 => V512Ops.Hash(ref k, ref m, chunks),
            SimdWidth.V256 => V256Ops.Hash(ref k, ref m, chunks),
            SimdWidth.V128 => V128Ops.Hash(ref k, ref m, chunks),
            _ => ScalarOps.Hash(ref k, ref m, chunks),
        };
    }

    /// <summary>How far the words of chunk <paramref name="c"/> are turned before they are summed: a different amount per chunk, never 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ChunkRotation(int c) => 5 + (c << 3);

    /// <summary>A key's words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref ulong Words(in FlowKey key) => ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));

    /// <summary>
    /// A hash's lanes, already folded to two (lane 0 with lane 2 turned half round, lane 1 with lane 3), folded to
    /// one word and mixed: the same for every width. The upper half is folded into the lower before the multiply, so
    /// that every bit reaches the low bits a table's bucket is chosen by.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Finish(ulong x0, ulong x1)
    {
        ulong x = x0 ^ BitOperations.RotateLeft(x1, 16);
        ulong h = (x ^ (x >> 32)) * Mix;
        return h ^ (h >> 32);
    }

    /// <summary>Hashes per bucket of a classifier subtable's table (one 512-bit compare).</summary>
    public const int BucketSlots = 8;

    /// <summary>Words per pair of chunks: a Vector512, the unit of a packed value (see <see cref="PackedLayout"/>).</summary>
    public const int PairWords = 2 * ChunkWords;

    /// <summary>Copies the pairs of chunks of <paramref name="value"/> that <paramref name="layout"/> keeps, one after another, into <paramref name="packed"/>.</summary>
    public static void Pack(in FlowKey value, PackedLayout layout, Span<ulong> packed)
    {
        for (int i = 0; i < layout.Pairs.Length; i++)
        {
            for (int w = 0; w < PairWords; w++)
            {
                packed[(i * PairWords) + w] = value[(layout.Pairs[i] * PairWords) + w];
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> AND <paramref name="mask"/> equals the value packed by <see cref="Pack"/> at
    /// <paramref name="offset"/> of <paramref name="packed"/>: a pair of chunks a step at Vector512, a chunk a step below.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MatchesPacked(in FlowKey key, in FlowKey mask, ulong[] packed, int offset, PackedLayout layout, SimdWidth width)
    {
        ref ulong k = ref Words(key);
        ref ulong m = ref Words(mask);
        ref ulong v = ref Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(packed), offset);
        return width switch
        {
            SimdWidth.V512 => V512Ops.Matches(ref k, ref m, ref v, layout),
            SimdWidth.V256 => V256Ops.Matches(ref k, ref m, ref v, layout),
            SimdWidth.V128 => V128Ops.Matches(ref k, ref m, ref v, layout),
            _ => ScalarOps.Matches(ref k, ref m, ref v, layout),
        };
    }

    /// <summary>ORs the <paramref name="chunks"/> of <paramref name="mask"/> into <paramref name="into"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OrInto(ref FlowKey into, in FlowKey mask, ReadOnlySpan<int> chunks)
    {
        ref ulong d = ref Unsafe.As<FlowKey, ulong>(ref into);
        ref ulong m = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in mask));
        foreach (int c in chunks)
        {
            nuint at = (nuint)(c * ChunkWords);
            if (Vector256.IsHardwareAccelerated)
            {
                (Vector256.LoadUnsafe(ref d, at) | Vector256.LoadUnsafe(ref m, at)).StoreUnsafe(ref d, at);
            }
            else
            {
                for (nuint w = at; w < at + ChunkWords; w++)
                {
                    Unsafe.Add(ref d, w) |= Unsafe.Add(ref m, w);
                }
            }
        }
    }

    /// <summary>Whether every word of <paramref name="a"/> and <paramref name="b"/> is equal, a vector at a time (without copying either).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Equal(in FlowKey a, in FlowKey b) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref Words(a), FlowKey.Words)
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref Words(b), FlowKey.Words));

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> agree on the bits of <paramref name="mask"/>, a vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualMasked(in FlowKey a, in FlowKey b, in FlowKey mask)
    {
        ref ulong x = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in a));
        ref ulong y = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in b));
        ref ulong m = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in mask));
        if (Vector256.IsHardwareAccelerated)
        {
            var diff = Vector256<ulong>.Zero;
            for (nuint at = 0; at < FlowKey.Words; at += 4)
            {
                diff |= (Vector256.LoadUnsafe(ref x, at) ^ Vector256.LoadUnsafe(ref y, at)) & Vector256.LoadUnsafe(ref m, at);
            }

            return diff == Vector256<ulong>.Zero;
        }

        for (nuint w = 0; w < FlowKey.Words; w++)
        {
            if (((Unsafe.Add(ref x, w) ^ Unsafe.Add(ref y, w)) & Unsafe.Add(ref m, w)) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>As <see cref="EqualMasked(in FlowKey, in FlowKey, in FlowKey)"/>, over only <paramref name="chunks"/> (those where <paramref name="mask"/> has bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualMasked(in FlowKey a, in FlowKey b, in FlowKey mask, ReadOnlySpan<int> chunks)
    {
        ref ulong x = ref Words(a);
        ref ulong y = ref Words(b);
        ref ulong m = ref Words(mask);
        if (Vector256.IsHardwareAccelerated)
        {
            var diff = Vector256<ulong>.Zero;
            foreach (int c in chunks)
            {
                nuint at = (nuint)(c * ChunkWords);
                diff |= (Vector256.LoadUnsafe(ref x, at) ^ Vector256.LoadUnsafe(ref y, at)) & Vector256.LoadUnsafe(ref m, at);
            }

            return diff == Vector256<ulong>.Zero;
        }

        ulong d = 0;
        foreach (int c in chunks)
        {
            for (nuint w = (nuint)(c * ChunkWords), end = w + ChunkWords; w < end; w++)
            {
                d |= (Unsafe.Add(ref x, w) ^ Unsafe.Add(ref y, w)) & Unsafe.Add(ref m, w);
            }
        }

        return d == 0;
    }

    /// <summary><paramref name="key"/> with the bits of <paramref name="mask"/> taken from <paramref name="from"/>, a vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Blend(ref FlowKey key, in FlowKey from, in FlowKey mask) => Select(ref key, key, from, mask);

    /// <summary>As <see cref="Blend(ref FlowKey, in FlowKey, in FlowKey)"/>, over only <paramref name="chunks"/> (those where <paramref name="mask"/> has bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Blend(ref FlowKey key, in FlowKey from, in FlowKey mask, ReadOnlySpan<int> chunks)
    {
        ref ulong k = ref Unsafe.As<FlowKey, ulong>(ref key);
        ref ulong f = ref Words(from);
        ref ulong m = ref Words(mask);
        foreach (int c in chunks)
        {
            nuint at = (nuint)(c * ChunkWords);
            if (Vector256.IsHardwareAccelerated)
            {
                var mv = Vector256.LoadUnsafe(ref m, at);
                Vector256.ConditionalSelect(mv, Vector256.LoadUnsafe(ref f, at), Vector256.LoadUnsafe(ref k, at)).StoreUnsafe(ref k, at);
            }
            else
            {
                for (nuint w = at; w < at + ChunkWords; w++)
                {
                    Unsafe.Add(ref k, w) = (Unsafe.Add(ref k, w) & ~Unsafe.Add(ref m, w)) | (Unsafe.Add(ref f, w) & Unsafe.Add(ref m, w));
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="key"/> becomes <paramref name="from"/> where <paramref name="mask"/> is set and
    /// <paramref name="other"/> elsewhere, in one pass (<paramref name="other"/> may be <paramref name="key"/> itself:
    /// each vector is read before it is written).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Select(ref FlowKey key, in FlowKey other, in FlowKey from, in FlowKey mask)
    {
        ref ulong k = ref Unsafe.As<FlowKey, ulong>(ref key);
        ref ulong o = ref Words(other);
        ref ulong f = ref Words(from);
        ref ulong m = ref Words(mask);
        if (Vector256.IsHardwareAccelerated)
        {
            for (nuint at = 0; at < FlowKey.Words; at += 4)
            {
                var mv = Vector256.LoadUnsafe(ref m, at);
                Vector256.ConditionalSelect(mv, Vector256.LoadUnsafe(ref f, at), Vector256.LoadUnsafe(ref o, at)).StoreUnsafe(ref k, at);
            }

            return;
        }

        for (nuint w = 0; w < FlowKey.Words; w++)
        {
            Unsafe.Add(ref k, w) = (Unsafe.Add(ref o, w) & ~Unsafe.Add(ref m, w)) | (Unsafe.Add(ref f, w) & Unsafe.Add(ref m, w));
        }
    }

    /// <summary><paramref name="key"/> AND <paramref name="mask"/>.</summary>
    public static FlowKey And(in FlowKey key, in FlowKey mask)
    {
        var r = default(FlowKey);
        for (int i = 0; i < FlowKey.Words; i++)
        {
            r[i] = key[i] & mask[i];
        }

        return r;
    }
}

/// <summary>
/// How a mask's masked value is kept packed: the pairs of chunks the mask touches, one after another (a Vector512
/// compare each); and, for the narrower compares, where each touched chunk is in the key and in the packed value (a
/// pair half-used by the mask costs them no more than its used chunk).
/// </summary>
public sealed class PackedLayout
{
    /// <summary>The layout of <paramref name="mask"/>'s values.</summary>
    public PackedLayout(in FlowKey mask)
    {
        Chunks = MaskedKey.ActiveChunks(mask);
        Pairs = [.. Chunks.Select(c => c / 2).Distinct()];
        KeyWords = [.. Chunks.Select(c => c * MaskedKey.ChunkWords)];
        PackedWords = [.. Chunks.Select(c => (Array.IndexOf(Pairs, c / 2) * MaskedKey.PairWords) + (c % 2 * MaskedKey.ChunkWords))];
    }

    /// <summary>The chunks (0..7) the mask touches, in order (<see cref="MaskedKey.ActiveChunks"/>).</summary>
    public int[] Chunks { get; }

    /// <summary>The pairs of chunks (0..3) the mask touches, in order.</summary>
    public int[] Pairs { get; }

    /// <summary>Each touched chunk's first word in the key.</summary>
    public int[] KeyWords { get; }

    /// <summary>Each touched chunk's first word in the packed value.</summary>
    public int[] PackedWords { get; }

    /// <summary>Words of a packed value.</summary>
    public int Words => Pairs.Length * MaskedKey.PairWords;
}
