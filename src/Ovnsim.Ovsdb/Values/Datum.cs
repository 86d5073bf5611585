using Ovnsim.Ovsdb.Schema;

namespace Ovnsim.Ovsdb.Values;

/// <summary>
/// The value of one column: a sorted set of atoms, or for a map, sorted keys with their values. As in OVS's
/// <c>struct ovsdb_datum</c>, a scalar is a set of one and an optional value is a set of zero or one. Immutable.
/// </summary>
public sealed class Datum : IEquatable<Datum>
{
    private readonly Atom[] _keys;
    private readonly Atom[]? _values;

    private Datum(Atom[] keys, Atom[]? values)
    {
        _keys = keys;
        _values = values;
    }

    /// <summary>The empty set or map.</summary>
    public static Datum Empty { get; } = new([], null);

    /// <summary>The keys, in OVSDB order.</summary>
    public ReadOnlySpan<Atom> Keys => _keys;

    /// <summary>For a map, the values in key order; empty for a set.</summary>
    public ReadOnlySpan<Atom> Values => _values;

    /// <summary>True when this datum holds map values.</summary>
    public bool IsMap => _values is not null;

    /// <summary>The number of elements.</summary>
    public int Count => _keys.Length;

    /// <summary>A datum of one atom.</summary>
    public static Datum Scalar(Atom atom) => new([atom], null);

    /// <summary>A set from atoms in any order; throws <see cref="ArgumentException"/> on a duplicate.</summary>
    public static Datum Set(IEnumerable<Atom> atoms)
    {
        var keys = atoms.ToArray();
        Array.Sort(keys);
        for (int i = 1; i < keys.Length; i++)
        {
            if (keys[i] == keys[i - 1])
            {
                throw new ArgumentException($"set contains duplicate value {keys[i]}");
            }
        }

        return new Datum(keys, null);
    }

    /// <summary>A map from pairs in any order; throws <see cref="ArgumentException"/> on a duplicate key.</summary>
    public static Datum Map(IEnumerable<KeyValuePair<Atom, Atom>> pairs)
    {
        var list = pairs.ToArray();
        Array.Sort(list, (a, b) => a.Key.CompareTo(b.Key));
        for (int i = 1; i < list.Length; i++)
        {
            if (list[i].Key == list[i - 1].Key)
            {
                throw new ArgumentException($"map contains duplicate key {list[i].Key}");
            }
        }

        return new Datum([.. list.Select(p => p.Key)], [.. list.Select(p => p.Value)]);
    }

    /// <summary>A string-to-string map.</summary>
    public static Datum StringMap(IEnumerable<KeyValuePair<string, string>> pairs) =>
        Map(pairs.Select(p => KeyValuePair.Create(Atom.FromString(p.Key), Atom.FromString(p.Value))));

    /// <summary>The default value of a column type: empty when the minimum is 0, else one default atom (or pair).</summary>
    public static Datum Default(ColumnType type)
    {
        if (type.Min == 0)
        {
            return type.IsMap ? new Datum([], []) : Empty;
        }

        var key = Atom.Default(type.Key.Type);
        return type.Value is { } v ? new Datum([key], [Atom.Default(v.Type)]) : new Datum([key], null);
    }

    /// <summary>Finds <paramref name="key"/> by binary search; returns its index or a negative number.</summary>
    public int IndexOf(Atom key) => Array.BinarySearch(_keys, key);

    /// <summary>True when the set or map contains <paramref name="key"/>.</summary>
    public bool Contains(Atom key) => IndexOf(key) >= 0;

    /// <summary>For a string map, the value of <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        if (_values is null)
        {
            return null;
        }

        int i = IndexOf(Atom.FromString(key));
        return i >= 0 ? _values[i].String : null;
    }

    /// <summary>
    /// The union of two sets or maps (OVS <c>ovsdb_datum_union</c>): for a map, a key already here keeps its value.
    /// </summary>
    public Datum Union(Datum other)
    {
        var keys = new List<Atom>(_keys);
        var values = _values is null && other._values is null ? null : new List<Atom>(_values ?? []);
        for (int i = 0; i < other._keys.Length; i++)
        {
            if (IndexOf(other._keys[i]) < 0)
            {
                keys.Add(other._keys[i]);
                values?.Add(other._values![i]);
            }
        }

        return values is null
            ? Set(keys)
            : Map(keys.Zip(values, KeyValuePair.Create));
    }

    /// <summary>
    /// Removes elements (OVS <c>ovsdb_datum_subtract</c>): for a map, <paramref name="other"/> either names keys (a
    /// set) or key/value pairs, which are removed only when the value matches.
    /// </summary>
    public Datum Subtract(Datum other)
    {
        var keys = new List<Atom>();
        var values = _values is null ? null : new List<Atom>();
        for (int i = 0; i < _keys.Length; i++)
        {
            int j = other.IndexOf(_keys[i]);
            bool remove = j >= 0 && (_values is null || other._values is null || other._values[j] == _values[i]);
            if (!remove)
            {
                keys.Add(_keys[i]);
                values?.Add(_values![i]);
            }
        }

        return new Datum([.. keys], values?.ToArray());
    }

    /// <summary>
    /// Applies a diff as the database file's <c>"_is_diff": true</c> transactions carry it
    /// (<c>ovsdb_datum_apply_diff_in_place</c>): an element absent here is added; present, it is removed; for a map,
    /// a key present with another value takes the new value.
    /// </summary>
    public Datum ApplyDiff(Datum diff)
    {
        var keys = new List<Atom>(_keys);
        var values = _values is null ? null : new List<Atom>(_values);
        for (int i = 0; i < diff._keys.Length; i++)
        {
            int pos = keys.BinarySearch(diff._keys[i]);
            if (pos < 0)
            {
                keys.Insert(~pos, diff._keys[i]);
                values?.Insert(~pos, diff._values![i]);
            }
            else if (values is not null && values[pos] != diff._values![i])
            {
                values[pos] = diff._values[i];
            }
            else
            {
                keys.RemoveAt(pos);
                values?.RemoveAt(pos);
            }
        }

        return new Datum([.. keys], values?.ToArray());
    }

    /// <summary>Checks the datum against a column type: element count and every atom's constraints.</summary>
    public string? Check(ColumnType type)
    {
        if (Count < type.Min || Count > type.Max)
        {
            string max = type.Max == int.MaxValue ? "unlimited" : type.Max.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return $"{Count} element(s) where the column allows {type.Min} to {max}";
        }

        for (int i = 0; i < _keys.Length; i++)
        {
            if (_keys[i].Type != type.Key.Type)
            {
                return $"{_keys[i]} is {_keys[i].Type.ToString().ToLowerInvariant()}, not {type.Key.Type.ToString().ToLowerInvariant()}";
            }

            if (type.Key.CheckConstraints(_keys[i]) is { } error)
            {
                return error;
            }

            if (type.Value is { } vt && _values is not null && vt.CheckConstraints(_values[i]) is { } verror)
            {
                return verror;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public bool Equals(Datum? other) =>
        other is not null
        && _keys.AsSpan().SequenceEqual(other._keys)
        && (_values ?? []).AsSpan().SequenceEqual(other._values ?? []);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Datum);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var k in _keys)
        {
            h.Add(k);
        }

        return h.ToHashCode();
    }

    /// <summary>The datum in RFC 7047 JSON, as ovsdb-server writes it.</summary>
    public override string ToString() => DatumJson.ToJson(this);
}
