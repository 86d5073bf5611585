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

    private const ulong M1 = 0x9E3779B97F4A7C15, M2 = 0xC2B2AE3D27D4EB4F, M3 = 0x165667B19E3779F9, M4 = 0x27D4EB2F165667C5;

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
    /// Hash of <paramref name="key"/> AND <paramref name="mask"/> over <paramref name="chunks"/>: per lane, a rotate-add
    /// of the masked words, then the four lanes mixed. Identical for every width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in FlowKey key, in FlowKey mask, ReadOnlySpan<int> chunks, SimdWidth width)
    {
        ref ulong k = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ref ulong m = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in mask));
        ulong a0, a1, a2, a3;
        switch (width)
        {
            case SimdWidth.V256:
            case SimdWidth.V512: // hashing is per chunk; 512-bit steps gain nothing here
            {
                var acc = Vector256<ulong>.Zero;
                foreach (int c in chunks)
                {
                    var v = Vector256.LoadUnsafe(ref k, (nuint)(c * ChunkWords)) & Vector256.LoadUnsafe(ref m, (nuint)(c * ChunkWords));
                    acc = ((acc << 5) | (acc >>> 59)) + v;
                }

                a0 = acc[0];
                a1 = acc[1];
                a2 = acc[2];
                a3 = acc[3];
                break;
            }

            case SimdWidth.V128:
            {
                var lo = Vector128<ulong>.Zero;
                var hi = Vector128<ulong>.Zero;
                foreach (int c in chunks)
                {
                    nuint at = (nuint)(c * ChunkWords);
                    var v0 = Vector128.LoadUnsafe(ref k, at) & Vector128.LoadUnsafe(ref m, at);
                    var v1 = Vector128.LoadUnsafe(ref k, at + 2) & Vector128.LoadUnsafe(ref m, at + 2);
                    lo = ((lo << 5) | (lo >>> 59)) + v0;
                    hi = ((hi << 5) | (hi >>> 59)) + v1;
                }

                a0 = lo[0];
                a1 = lo[1];
                a2 = hi[0];
                a3 = hi[1];
                break;
            }

            default:
                a0 = a1 = a2 = a3 = 0;
                foreach (int c in chunks)
                {
                    int at = c * ChunkWords;
                    a0 = ((a0 << 5) | (a0 >> 59)) + (Unsafe.Add(ref k, at) & Unsafe.Add(ref m, at));
                    a1 = ((a1 << 5) | (a1 >> 59)) + (Unsafe.Add(ref k, at + 1) & Unsafe.Add(ref m, at + 1));
                    a2 = ((a2 << 5) | (a2 >> 59)) + (Unsafe.Add(ref k, at + 2) & Unsafe.Add(ref m, at + 2));
                    a3 = ((a3 << 5) | (a3 >> 59)) + (Unsafe.Add(ref k, at + 3) & Unsafe.Add(ref m, at + 3));
                }

                break;
        }

        ulong h = (a0 * M1) ^ (a1 * M2) ^ (a2 * M3) ^ (a3 * M4);
        h ^= h >> 29;
        h *= M1;
        return h ^ (h >> 32);
    }

    /// <summary>Copies the <paramref name="chunks"/> of <paramref name="value"/> one after another into <paramref name="packed"/>.</summary>
    public static void Pack(in FlowKey value, ReadOnlySpan<int> chunks, Span<ulong> packed)
    {
        for (int i = 0; i < chunks.Length; i++)
        {
            for (int w = 0; w < ChunkWords; w++)
            {
                packed[(i * ChunkWords) + w] = value[(chunks[i] * ChunkWords) + w];
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> AND <paramref name="mask"/> equals the value packed by <see cref="Pack"/> at
    /// <paramref name="offset"/> of <paramref name="packed"/>, chunk by chunk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MatchesPacked(in FlowKey key, in FlowKey mask, ulong[] packed, int offset, ReadOnlySpan<int> chunks, SimdWidth width)
    {
        ref ulong k = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ref ulong m = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in mask));
        ref ulong v = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(packed);
        nuint p = (nuint)offset;
        switch (width)
        {
            case SimdWidth.V512:
                for (int i = 0; i < chunks.Length; i++)
                {
                    nuint at = (nuint)(chunks[i] * ChunkWords);

                    // Two adjacent chunks of the key make one 512-bit step (they are adjacent in the packed value too).
                    if (i + 1 < chunks.Length && chunks[i + 1] == chunks[i] + 1)
                    {
                        if ((Vector512.LoadUnsafe(ref k, at) & Vector512.LoadUnsafe(ref m, at)) != Vector512.LoadUnsafe(ref v, p))
                        {
                            return false;
                        }

                        p += 2 * ChunkWords;
                        i++;
                        continue;
                    }

                    if ((Vector256.LoadUnsafe(ref k, at) & Vector256.LoadUnsafe(ref m, at)) != Vector256.LoadUnsafe(ref v, p))
                    {
                        return false;
                    }

                    p += ChunkWords;
                }

                return true;
            case SimdWidth.V256:
                foreach (int c in chunks)
                {
                    nuint at = (nuint)(c * ChunkWords);
                    if ((Vector256.LoadUnsafe(ref k, at) & Vector256.LoadUnsafe(ref m, at)) != Vector256.LoadUnsafe(ref v, p))
                    {
                        return false;
                    }

                    p += ChunkWords;
                }

                return true;
            case SimdWidth.V128:
                foreach (int c in chunks)
                {
                    nuint at = (nuint)(c * ChunkWords);
                    if ((Vector128.LoadUnsafe(ref k, at) & Vector128.LoadUnsafe(ref m, at)) != Vector128.LoadUnsafe(ref v, p)
                        || (Vector128.LoadUnsafe(ref k, at + 2) & Vector128.LoadUnsafe(ref m, at + 2)) != Vector128.LoadUnsafe(ref v, p + 2))
                    {
                        return false;
                    }

                    p += ChunkWords;
                }

                return true;
            default:
                foreach (int c in chunks)
                {
                    int at = c * ChunkWords;
                    for (int w = 0; w < ChunkWords; w++)
                    {
                        if ((Unsafe.Add(ref k, at + w) & Unsafe.Add(ref m, at + w)) != Unsafe.Add(ref v, p + (nuint)w))
                        {
                            return false;
                        }
                    }

                    p += ChunkWords;
                }

                return true;
        }
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

    /// <summary><paramref name="key"/> with the bits of <paramref name="mask"/> taken from <paramref name="from"/>, a vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Blend(ref FlowKey key, in FlowKey from, in FlowKey mask)
    {
        ref ulong k = ref Unsafe.As<FlowKey, ulong>(ref key);
        ref ulong f = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in from));
        ref ulong m = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in mask));
        if (Vector256.IsHardwareAccelerated)
        {
            for (nuint at = 0; at < FlowKey.Words; at += 4)
            {
                var mv = Vector256.LoadUnsafe(ref m, at);
                Vector256.ConditionalSelect(mv, Vector256.LoadUnsafe(ref f, at), Vector256.LoadUnsafe(ref k, at)).StoreUnsafe(ref k, at);
            }

            return;
        }

        for (nuint w = 0; w < FlowKey.Words; w++)
        {
            Unsafe.Add(ref k, w) = (Unsafe.Add(ref k, w) & ~Unsafe.Add(ref m, w)) | (Unsafe.Add(ref f, w) & Unsafe.Add(ref m, w));
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
