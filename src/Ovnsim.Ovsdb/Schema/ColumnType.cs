using System.Text.Json;

namespace Ovnsim.Ovsdb.Schema;

/// <summary>An RFC 7047 <c>&lt;type&gt;</c>: a key type, an optional value type (a map), and a size range.</summary>
public sealed class ColumnType
{
    /// <summary>Makes a column type. <paramref name="max"/> is <see cref="int.MaxValue"/> for "unlimited".</summary>
    public ColumnType(BaseType key, BaseType? value, int min, int max)
    {
        Key = key;
        Value = value;
        Min = min;
        Max = max;
    }

    /// <summary>The key type (the element type for a set or scalar).</summary>
    public BaseType Key { get; }

    /// <summary>The value type for a map, otherwise null.</summary>
    public BaseType? Value { get; }

    /// <summary>The minimum number of elements (0 or 1).</summary>
    public int Min { get; }

    /// <summary>The maximum number of elements; <see cref="int.MaxValue"/> means unlimited.</summary>
    public int Max { get; }

    /// <summary>True for a map.</summary>
    public bool IsMap => Value is not null;

    /// <summary>True for a scalar: exactly one element, not a map.</summary>
    public bool IsScalar => Min == 1 && Max == 1 && Value is null;

    /// <summary>True when the value can hold more than one element (<c>ovsdb_type_is_composite</c>): only such
    /// columns carry diffs in <c>"_is_diff"</c> transactions; an optional value is replaced whole.</summary>
    public bool IsComposite => Max > 1;

    /// <summary>The same type with another size range, as ovs-vsctl's <c>add</c> and <c>remove</c> use.</summary>
    public ColumnType WithSize(int min, int max) => new(Key, Value, min, max);

    /// <summary>Parses a <c>&lt;type&gt;</c>.</summary>
    internal static ColumnType Parse(JsonElement json, string where)
    {
        if (json.ValueKind == JsonValueKind.String)
        {
            return new ColumnType(BaseType.Parse(json, where), null, 1, 1);
        }

        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("key", out var keyJson))
        {
            throw new OvsdbSchemaException($"{where}: type must be a type name or an object with \"key\"");
        }

        var key = BaseType.Parse(keyJson, where);
        BaseType? value = json.TryGetProperty("value", out var valueJson) ? BaseType.Parse(valueJson, where) : null;
        int min = json.TryGetProperty("min", out var minJson) ? minJson.GetInt32() : 1;
        int max = 1;
        if (json.TryGetProperty("max", out var maxJson))
        {
            max = maxJson.ValueKind == JsonValueKind.String && maxJson.GetString() == "unlimited"
                ? int.MaxValue
                : maxJson.GetInt32();
        }

        if (min is < 0 or > 1 || max < 1 || min > max)
        {
            throw new OvsdbSchemaException($"{where}: bad size range min {min}, max {max}");
        }

        return new ColumnType(key, value, min, max);
    }
}
