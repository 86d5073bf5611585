using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ovnsim.Engine;

/// <summary>
/// The masked-key primitives at one vector width. Each width is a struct, so that code generic over the width (the
/// classifier's lookup) is compiled once per width with nothing left to decide per call. Every width computes the
/// same hash and the same answers as <see cref="ScalarOps"/>.
/// </summary>
internal interface IMaskedOps
{
    /// <summary>The hash of the key's words AND the mask's over the chunks (see <see cref="MaskedKey.Hash"/>).</summary>
    static abstract ulong Hash(ref ulong key, ref ulong mask, ReadOnlySpan<int> chunks);

    /// <summary>Whether the key AND the mask equals the value packed as <paramref name="layout"/> says at <paramref name="packed"/>.</summary>
    static abstract bool Matches(ref ulong key, ref ulong mask, ref ulong packed, PackedLayout layout);

    /// <summary>A bit per slot of the <see cref="MaskedKey.BucketSlots"/>-hash bucket at <paramref name="bucket"/> that holds <paramref name="hash"/>.</summary>
    static abstract uint Probe(ref ulong bucket, ulong hash);
}

/// <summary>One word at a time: the reference every vector width agrees with.</summary>
internal readonly struct ScalarOps : IMaskedOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ref ulong k, ref ulong m, ReadOnlySpan<int> chunks)
    {
        ulong a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        foreach (int c in chunks)
        {
            int at = c * MaskedKey.ChunkWords, r = MaskedKey.ChunkRotation(c);
            a0 += BitOperations.RotateLeft(Unsafe.Add(ref k, at) & Unsafe.Add(ref m, at), r);
            a1 += BitOperations.RotateLeft(Unsafe.Add(ref k, at + 1) & Unsafe.Add(ref m, at + 1), r);
            a2 += BitOperations.RotateLeft(Unsafe.Add(ref k, at + 2) & Unsafe.Add(ref m, at + 2), r);
            a3 += BitOperations.RotateLeft(Unsafe.Add(ref k, at + 3) & Unsafe.Add(ref m, at + 3), r);
        }

        return MaskedKey.Finish(a0 ^ BitOperations.RotateLeft(a2, 32), a1 ^ BitOperations.RotateLeft(a3, 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(ref ulong k, ref ulong m, ref ulong v, PackedLayout layout)
    {
        int[] keyWords = layout.KeyWords, packedWords = layout.PackedWords;
        for (int i = 0; i < keyWords.Length; i++)
        {
            int at = keyWords[i], p = packedWords[i];
            for (int w = 0; w < MaskedKey.ChunkWords; w++)
            {
                if ((Unsafe.Add(ref k, at + w) & Unsafe.Add(ref m, at + w)) != Unsafe.Add(ref v, p + w))
                {
                    return false;
                }
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Probe(ref ulong bucket, ulong hash)
    {
        // A bucket fills from its first slot and never empties (see the classifier's Subtable): the first free slot
        // ends what it holds.
        uint hits = 0;
        for (int i = 0; i < MaskedKey.BucketSlots; i++)
        {
            ulong h = Unsafe.Add(ref bucket, i);
            if (h == 0)
            {
                break;
            }

            hits |= (h == hash ? 1u : 0u) << i;
        }

        return hits;
    }

}

/// <summary>Vector128: half a chunk a step.</summary>
internal readonly struct V128Ops : IMaskedOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ref ulong k, ref ulong m, ReadOnlySpan<int> chunks)
    {
        var lo = Vector128<ulong>.Zero;
        var hi = Vector128<ulong>.Zero;
        foreach (int c in chunks)
        {
            nuint at = (nuint)(c * MaskedKey.ChunkWords);
            int r = MaskedKey.ChunkRotation(c);
            lo += Rotl(Vector128.LoadUnsafe(ref k, at) & Vector128.LoadUnsafe(ref m, at), r);
            hi += Rotl(Vector128.LoadUnsafe(ref k, at + 2) & Vector128.LoadUnsafe(ref m, at + 2), r);
        }

        var x = lo ^ Rotl32(hi);
        return MaskedKey.Finish(x.GetElement(0), x.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(ref ulong k, ref ulong m, ref ulong v, PackedLayout layout)
    {
        int[] keyWords = layout.KeyWords, packedWords = layout.PackedWords;
        for (int i = 0; i < keyWords.Length; i++)
        {
            nuint at = (nuint)keyWords[i], p = (nuint)packedWords[i];
            if ((Vector128.LoadUnsafe(ref k, at) & Vector128.LoadUnsafe(ref m, at)) != Vector128.LoadUnsafe(ref v, p)
                || (Vector128.LoadUnsafe(ref k, at + 2) & Vector128.LoadUnsafe(ref m, at + 2)) != Vector128.LoadUnsafe(ref v, p + 2))
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Probe(ref ulong bucket, ulong hash)
    {
        var h = Vector128.Create(hash);
        return Vector128.Equals(Vector128.LoadUnsafe(ref bucket), h).ExtractMostSignificantBits()
            | (Vector128.Equals(Vector128.LoadUnsafe(ref bucket, 2), h).ExtractMostSignificantBits() << 2)
            | (Vector128.Equals(Vector128.LoadUnsafe(ref bucket, 4), h).ExtractMostSignificantBits() << 4)
            | (Vector128.Equals(Vector128.LoadUnsafe(ref bucket, 6), h).ExtractMostSignificantBits() << 6);
    }


    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Rotl(Vector128<ulong> v, int r) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeftVariable(v, Vector128.Create((ulong)r)) : (v << r) | (v >>> (64 - r));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Rotl32(Vector128<ulong> v) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(v, 32) : (v << 32) | (v >>> 32);
}

/// <summary>Vector256: a chunk a step.</summary>
internal readonly struct V256Ops : IMaskedOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ref ulong k, ref ulong m, ReadOnlySpan<int> chunks)
    {
        var acc = Vector256<ulong>.Zero;
        foreach (int c in chunks)
        {
            nuint at = (nuint)(c * MaskedKey.ChunkWords);
            acc += Rotl(Vector256.LoadUnsafe(ref k, at) & Vector256.LoadUnsafe(ref m, at), MaskedKey.ChunkRotation(c));
        }

        return Fold(acc);
    }

    /// <summary>The lanes folded as <see cref="ScalarOps.Hash"/> folds them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Fold(Vector256<ulong> acc)
    {
        var upper = acc.GetUpper();
        var x = acc.GetLower() ^ (Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(upper, 32) : (upper << 32) | (upper >>> 32));
        return MaskedKey.Finish(x.GetElement(0), x.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(ref ulong k, ref ulong m, ref ulong v, PackedLayout layout)
    {
        int[] keyWords = layout.KeyWords, packedWords = layout.PackedWords;
        for (int i = 0; i < keyWords.Length; i++)
        {
            nuint at = (nuint)keyWords[i];
            if ((Vector256.LoadUnsafe(ref k, at) & Vector256.LoadUnsafe(ref m, at)) != Vector256.LoadUnsafe(ref v, (nuint)packedWords[i]))
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Probe(ref ulong bucket, ulong hash)
    {
        var h = Vector256.Create(hash);
        return Vector256.Equals(Vector256.LoadUnsafe(ref bucket), h).ExtractMostSignificantBits()
            | (Vector256.Equals(Vector256.LoadUnsafe(ref bucket, 4), h).ExtractMostSignificantBits() << 4);
    }


    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Rotl(Vector256<ulong> v, int r) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeftVariable(v, Vector256.Create((ulong)r)) : (v << r) | (v >>> (64 - r));
}

/// <summary>Vector512: a pair of chunks a step, a whole bucket a step.</summary>
internal readonly struct V512Ops : IMaskedOps
{
    // Hashing adds a chunk's four words into four lanes: a 512-bit step would only split into two 256-bit halves again.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ref ulong k, ref ulong m, ReadOnlySpan<int> chunks) => V256Ops.Hash(ref k, ref m, chunks);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(ref ulong k, ref ulong m, ref ulong v, PackedLayout layout)
    {
        nuint p = 0;
        foreach (int pair in layout.Pairs)
        {
            nuint at = (nuint)(pair * MaskedKey.PairWords);
            if ((Vector512.LoadUnsafe(ref k, at) & Vector512.LoadUnsafe(ref m, at)) != Vector512.LoadUnsafe(ref v, p))
            {
                return false;
            }

            p += MaskedKey.PairWords;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Probe(ref ulong bucket, ulong hash) =>
        (uint)Vector512.Equals(Vector512.LoadUnsafe(ref bucket), Vector512.Create(hash)).ExtractMostSignificantBits();

}
