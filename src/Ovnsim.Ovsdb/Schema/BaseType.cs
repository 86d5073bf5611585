using System.Text.Json;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Schema;

/// <summary>Whether a UUID reference keeps its target alive (RFC 7047 section 3.2, <c>refType</c>).</summary>
public enum RefType
{
    /// <summary>The target must exist and is kept while referenced.</summary>
    Strong,

    /// <summary>The reference disappears when its target is deleted.</summary>
    Weak,
}

/// <summary>An RFC 7047 <c>&lt;base-type&gt;</c>: an atomic type with its constraints.</summary>
public sealed class BaseType
{
    /// <summary>Makes an unconstrained base type.</summary>
    public BaseType(AtomType type) => Type = type;

    /// <summary>The atomic type.</summary>
    public AtomType Type { get; }

    /// <summary>The allowed values, or null when any value of <see cref="Type"/> is allowed.</summary>
    public IReadOnlyList<Atom>? Enum { get; init; }

    /// <summary>Integer minimum, inclusive.</summary>
    public long MinInteger { get; init; } = long.MinValue;

    /// <summary>Integer maximum, inclusive.</summary>
    public long MaxInteger { get; init; } = long.MaxValue;

    /// <summary>Real minimum, inclusive.</summary>
    public double MinReal { get; init; } = double.NegativeInfinity;

    /// <summary>Real maximum, inclusive.</summary>
    public double MaxReal { get; init; } = double.PositiveInfinity;

    /// <summary>Minimum string length in Unicode code points.</summary>
    public long MinLength { get; init; }

    /// <summary>Maximum string length in Unicode code points.</summary>
    public long MaxLength { get; init; } = long.MaxValue;

    /// <summary>For a UUID, the table it refers to, or null.</summary>
    public string? RefTable { get; init; }

    /// <summary>For a reference, strong or weak.</summary>
    public RefType RefType { get; init; } = RefType.Strong;

    /// <summary>Returns why <paramref name="atom"/> violates this type's constraints, or null when it does not.</summary>
    public string? CheckConstraints(Atom atom)
    {
        if (Enum is { } allowed)
        {
            foreach (var a in allowed)
            {
                if (a == atom)
                {
                    return null;
                }
            }

            return $"{Describe(atom)} is not one of the allowed values ({string.Join(", ", allowed.Select(Describe))})";
        }

        switch (Type)
        {
            case AtomType.Integer when atom.Integer < MinInteger || atom.Integer > MaxInteger:
                return $"{atom.Integer} is not in the range {MinInteger} to {MaxInteger}";
            case AtomType.Real when atom.Real < MinReal || atom.Real > MaxReal:
                return $"{atom.Real} is not in the range {MinReal} to {MaxReal}";
            case AtomType.String:
                long length = CodePoints(atom.String);
                if (length < MinLength)
                {
                    return $"\"{atom.String}\" length {length} is less than minimum allowed length {MinLength}";
                }

                if (length > MaxLength)
                {
                    return $"\"{atom.String}\" length {length} is greater than maximum allowed length {MaxLength}";
                }

                break;
        }

        return null;
    }

    /// <summary>Parses a <c>&lt;base-type&gt;</c>: either a bare atomic type name or an object.</summary>
    internal static BaseType Parse(JsonElement json, string where)
    {
        if (json.ValueKind == JsonValueKind.String)
        {
            return new BaseType(ParseAtomType(json.GetString()!, where));
        }

        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("type", out var typeJson)
            || typeJson.ValueKind != JsonValueKind.String)
        {
            throw new OvsdbSchemaException($"{where}: base type must be a type name or an object with \"type\"");
        }

        var type = ParseAtomType(typeJson.GetString()!, where);
        var unconstrained = new BaseType(type);
        List<Atom>? enumValues = null;
        if (json.TryGetProperty("enum", out var enumJson))
        {
            var setType = new ColumnType(unconstrained, null, 1, int.MaxValue);
            enumValues = [.. DatumJson.Parse(enumJson, setType, where + " enum").Keys];
        }

        string? refTable = json.TryGetProperty("refTable", out var rt) ? rt.GetString() : null;
        var refType = RefType.Strong;
        if (json.TryGetProperty("refType", out var rk))
        {
            refType = rk.GetString() switch
            {
                "strong" => RefType.Strong,
                "weak" => RefType.Weak,
                var other => throw new OvsdbSchemaException($"{where}: refType \"{other}\" is not strong or weak"),
            };
        }

        return new BaseType(type)
        {
            Enum = enumValues,
            MinInteger = json.TryGetProperty("minInteger", out var a) ? a.GetInt64() : long.MinValue,
            MaxInteger = json.TryGetProperty("maxInteger", out var b) ? b.GetInt64() : long.MaxValue,
            MinReal = json.TryGetProperty("minReal", out var c) ? c.GetDouble() : double.NegativeInfinity,
            MaxReal = json.TryGetProperty("maxReal", out var d) ? d.GetDouble() : double.PositiveInfinity,
            MinLength = json.TryGetProperty("minLength", out var e) ? e.GetInt64() : 0,
            MaxLength = json.TryGetProperty("maxLength", out var f) ? f.GetInt64() : long.MaxValue,
            RefTable = refTable,
            RefType = refType,
        };
    }

    private static AtomType ParseAtomType(string name, string where) => name switch
    {
        "integer" => AtomType.Integer,
        "real" => AtomType.Real,
        "boolean" => AtomType.Boolean,
        "string" => AtomType.String,
        "uuid" => AtomType.Uuid,
        _ => throw new OvsdbSchemaException($"{where}: unknown atomic type \"{name}\""),
    };

    private static string Describe(Atom atom) => atom.Type == AtomType.String ? $"\"{atom.String}\"" : atom.ToString();

    private static long CodePoints(string s)
    {
        long n = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            n++;
        }

        return n;
    }
}
