namespace Ovnsim.Ovsdb.Values;

/// <summary>UUID text and ordering as OVS's <c>lib/uuid.c</c> has them.</summary>
public static class UuidText
{
    /// <summary>Formats as OVS's <c>UUID_FMT</c>: lowercase 8-4-4-4-12.</summary>
    public static string Format(Guid uuid) => uuid.ToString("D");

    /// <summary>
    /// Parses the 36-character 8-4-4-4-12 form that <c>uuid_from_string</c> accepts (either case, no braces).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Guid uuid)
    {
        uuid = default;
        if (text.Length != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
        {
            return false;
        }

        for (int i = 0; i < 36; i++)
        {
            if (i is 8 or 13 or 18 or 23)
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(text[i]))
            {
                return false;
            }
        }

        return Guid.TryParseExact(text, "D", out uuid);
    }

    /// <summary>The first 32-bit part of the UUID (<c>uuid-&gt;parts[0]</c>), which OVS uses as the UUID's hash.</summary>
    public static uint FirstPart(Guid uuid)
    {
        Span<byte> bytes = stackalloc byte[16];
        uuid.TryWriteBytes(bytes, bigEndian: true, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>Compares as <c>uuid_compare_3way</c>: by parts[0..3] as unsigned 32-bit numbers, i.e. by text.</summary>
    public static int Compare(Guid a, Guid b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, bigEndian: true, out _);
        b.TryWriteBytes(y, bigEndian: true, out _);
        int c = x.SequenceCompareTo(y);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
}
