using System.Globalization;

namespace Ovnsim.Ovsdb.Values;

/// <summary>
/// One OVSDB atom: an integer, real, boolean, string or UUID. Ordered as ovsdb-server orders atoms
/// (<c>ovsdb_atom_compare_3way</c>): numbers numerically, false before true, strings by their UTF-8 bytes,
/// UUIDs by their four 32-bit parts, which is the order of their text.
/// </summary>
public readonly struct Atom : IEquatable<Atom>, IComparable<Atom>
{
    private readonly long _bits;
    private readonly string? _string;
    private readonly Guid _uuid;

    private Atom(AtomType type, long bits, string? text, Guid uuid)
    {
        Type = type;
        _bits = bits;
        _string = text;
        _uuid = uuid;
    }

    /// <summary>The atom's type.</summary>
    public AtomType Type { get; }

    /// <summary>The integer value; throws unless <see cref="Type"/> is <see cref="AtomType.Integer"/>.</summary>
    public long Integer => Type == AtomType.Integer ? _bits : throw WrongType(AtomType.Integer);

    /// <summary>The real value; throws unless <see cref="Type"/> is <see cref="AtomType.Real"/>.</summary>
    public double Real => Type == AtomType.Real ? BitConverter.Int64BitsToDouble(_bits) : throw WrongType(AtomType.Real);

    /// <summary>The boolean value; throws unless <see cref="Type"/> is <see cref="AtomType.Boolean"/>.</summary>
    public bool Boolean => Type == AtomType.Boolean ? _bits != 0 : throw WrongType(AtomType.Boolean);

    /// <summary>The string value; throws unless <see cref="Type"/> is <see cref="AtomType.String"/>.</summary>
    public string String => Type == AtomType.String ? _string! : throw WrongType(AtomType.String);

    /// <summary>The UUID value; throws unless <see cref="Type"/> is <see cref="AtomType.Uuid"/>.</summary>
    public Guid Uuid => Type == AtomType.Uuid ? _uuid : throw WrongType(AtomType.Uuid);

    /// <summary>Makes an integer atom.</summary>
    public static Atom FromInteger(long value) => new(AtomType.Integer, value, null, default);

    /// <summary>Makes a real atom. Negative zero becomes zero, as OVS's JSON reader does.</summary>
    public static Atom FromReal(double value) =>
        new(AtomType.Real, BitConverter.DoubleToInt64Bits(value == 0.0 ? 0.0 : value), null, default);

    /// <summary>Makes a boolean atom.</summary>
    public static Atom FromBoolean(bool value) => new(AtomType.Boolean, value ? 1 : 0, null, default);

    /// <summary>Makes a string atom.</summary>
    public static Atom FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(AtomType.String, 0, value, default);
    }

    /// <summary>Makes a UUID atom.</summary>
    public static Atom FromUuid(Guid value) => new(AtomType.Uuid, 0, null, value);

    /// <summary>The default atom of a type: 0, 0.0, false, "" or the all-zero UUID (RFC 7047 section 5.1).</summary>
    public static Atom Default(AtomType type) => type switch
    {
        AtomType.Integer => FromInteger(0),
        AtomType.Real => FromReal(0),
        AtomType.Boolean => FromBoolean(false),
        AtomType.String => FromString(""),
        AtomType.Uuid => FromUuid(Guid.Empty),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <inheritdoc/>
    public int CompareTo(Atom other)
    {
        if (Type != other.Type)
        {
            return Type.CompareTo(other.Type);
        }

        return Type switch
        {
            AtomType.Integer or AtomType.Boolean => _bits.CompareTo(other._bits),
            AtomType.Real => Real.CompareTo(other.Real),
            AtomType.String => CompareUtf8(_string!, other._string!),
            _ => UuidText.Compare(_uuid, other._uuid),
        };
    }

    /// <inheritdoc/>
    public bool Equals(Atom other) => CompareTo(other) == 0;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Atom other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Type switch
    {
        AtomType.String => HashCode.Combine(Type, StringComparer.Ordinal.GetHashCode(_string!)),
        AtomType.Uuid => HashCode.Combine(Type, _uuid),
        _ => HashCode.Combine(Type, _bits),
    };

    /// <summary>Equality, as <see cref="Equals(Atom)"/>.</summary>
    public static bool operator ==(Atom left, Atom right) => left.Equals(right);

    /// <summary>Inequality, as <see cref="Equals(Atom)"/>.</summary>
    public static bool operator !=(Atom left, Atom right) => !left.Equals(right);

    /// <summary>The atom as text for messages: numbers and booleans as JSON writes them, strings bare, UUIDs in 8-4-4-4-12 form.</summary>
    public override string ToString() => Type switch
    {
        AtomType.Integer => _bits.ToString(CultureInfo.InvariantCulture),
        AtomType.Real => Real.ToString("R", CultureInfo.InvariantCulture),
        AtomType.Boolean => _bits != 0 ? "true" : "false",
        AtomType.String => _string!,
        _ => UuidText.Format(_uuid),
    };

    /// <summary>
    /// Compares two strings in the order of their UTF-8 encodings (C's <c>strcmp</c> on what OVS stores), which is
    /// code-point order. UTF-16 ordinal order differs only where a surrogate meets a code unit above U+DFFF.
    /// </summary>
    internal static int CompareUtf8(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y)
            {
                continue;
            }

            bool xs = char.IsSurrogate(x), ys = char.IsSurrogate(y);
            if (xs != ys)
            {
                return xs ? 1 : -1;
            }

            return x < y ? -1 : 1;
        }

        return a.Length.CompareTo(b.Length);
    }

    private InvalidOperationException WrongType(AtomType wanted) =>
        new($"atom is {Type.ToString().ToLowerInvariant()}, not {wanted.ToString().ToLowerInvariant()}");
}
