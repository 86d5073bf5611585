using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Ovnsim.Ovsdb.Ordering;

/// <summary>
/// Open vSwitch's general-purpose hash (<c>lib/hash.c</c>, <c>lib/hash.h</c>): MurmurHash3's mixing over 32-bit
/// little-endian words, as the portable build (Debian's) computes it. <c>struct shash</c> hashes its keys with
/// <see cref="String"/> and basis 0.
/// </summary>
public static class OvsHash
{
    /// <summary><c>hash_bytes(p, n, basis)</c>.</summary>
    public static uint Bytes(ReadOnlySpan<byte> data, uint basis)
    {
        uint hash = basis;
        int i = 0;
        for (; data.Length - i >= 4; i += 4)
        {
            hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
        }

        if (i < data.Length)
        {
            Span<byte> tail = stackalloc byte[4];
            tail.Clear();
            data[i..].CopyTo(tail);
            hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(tail));
        }

        return Finish(hash ^ (uint)data.Length);
    }

    /// <summary><c>hash_string(s, basis)</c>: the hash of the string's UTF-8 bytes.</summary>
    public static uint String(string s, uint basis = 0)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        Span<byte> bytes = n <= 256 ? stackalloc byte[n] : new byte[n];
        Encoding.UTF8.GetBytes(s, bytes);
        return Bytes(bytes, basis);
    }

    /// <summary><c>hash_int(x, basis)</c>, which is <c>hash_2words(x, basis)</c> in the portable build.</summary>
    public static uint Int(uint x, uint basis) => Finish(Add(Add(x, 0), basis) ^ 8);

    /// <summary><c>hash_finish(hash, final)</c>.</summary>
    public static uint FinishWith(uint hash, uint final) => Finish(hash ^ final);

    /// <summary><c>hash_add64</c>: the low word, then the high.</summary>
    public static uint Add64(uint hash, ulong data) => Add(Add(hash, (uint)data), (uint)(data >> 32));

    /// <summary><c>hash_add</c> (<c>mhash_add</c>): zero data leaves the hash as it is before the rotation, as in OVS.</summary>
    public static uint Add(uint hash, uint data)
    {
        if (data != 0)
        {
            data *= 0xcc9e2d51;
            data = BitOperations.RotateLeft(data, 15);
            data *= 0x1b873593;
            hash ^= data;
        }

        hash = BitOperations.RotateLeft(hash, 13);
        return (hash * 5) + 0xe6546b64;
    }

    private static uint Finish(uint hash)
    {
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }
}
