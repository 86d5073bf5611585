using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb;

/// <summary>One row of a table: its UUID and one <see cref="Datum"/> per schema column.</summary>
public sealed class Row
{
    private readonly Datum[] _fields;

    internal Row(Table table, Guid uuid)
    {
        Table = table;
        Uuid = uuid;
        _fields = [.. table.Schema.Columns.Select(c => Datum.Default(c.Type))];
    }

    /// <summary>The table the row belongs to.</summary>
    public Table Table { get; }

    /// <summary>The row's <c>_uuid</c>.</summary>
    public Guid Uuid { get; }

    /// <summary>The value of a column, by schema column.</summary>
    public Datum this[ColumnSchema column] => _fields[column.Index];

    /// <summary>The value of a column, by name.</summary>
    public Datum this[string column] => _fields[Table.Schema.GetColumn(column).Index];

    /// <summary>A scalar or optional string column: its value, or "" when empty.</summary>
    public string GetString(string column)
    {
        var d = this[column];
        return d.Count > 0 ? d.Keys[0].String : "";
    }

    /// <summary>An optional string column: its value, or null when empty.</summary>
    public string? GetOptionalString(string column)
    {
        var d = this[column];
        return d.Count > 0 ? d.Keys[0].String : null;
    }

    /// <summary>A scalar or optional integer column: its value, or null when empty.</summary>
    public long? GetOptionalInteger(string column)
    {
        var d = this[column];
        return d.Count > 0 ? d.Keys[0].Integer : null;
    }

    /// <summary>A scalar or optional boolean column: its value, or null when empty.</summary>
    public bool? GetOptionalBoolean(string column)
    {
        var d = this[column];
        return d.Count > 0 ? d.Keys[0].Boolean : null;
    }

    /// <summary>A set of strings, in OVSDB order.</summary>
    public IReadOnlyList<string> GetStrings(string column)
    {
        var d = this[column];
        var result = new string[d.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = d.Keys[i].String;
        }

        return result;
    }

    /// <summary>A string-to-string map, in key order.</summary>
    public IReadOnlyDictionary<string, string> GetMap(string column)
    {
        var d = this[column];
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < d.Count; i++)
        {
            result[d.Keys[i].String] = d.Values[i].String;
        }

        return result;
    }

    /// <summary>The rows a reference column points at, in UUID order (the order ovsdb keeps a set in).</summary>
    public IReadOnlyList<Row> GetRefs(string column)
    {
        var schema = Table.Schema.GetColumn(column);
        var target = Table.Database.GetTable(schema.Type.Key.RefTable
            ?? throw new InvalidOperationException($"{Table.Name}.{column} is not a reference column"));
        var d = _fields[schema.Index];
        var rows = new List<Row>(d.Count);
        foreach (var atom in d.Keys)
        {
            if (target.Find(atom.Uuid) is { } row)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>The row an optional reference column points at, or null.</summary>
    public Row? GetRef(string column) => GetRefs(column) is [var row, ..] ? row : null;

    internal void Set(ColumnSchema column, Datum value) => _fields[column.Index] = value;

    /// <inheritdoc/>
    public override string ToString() => $"{Table.Name} {UuidText.Format(Uuid)}";
}
