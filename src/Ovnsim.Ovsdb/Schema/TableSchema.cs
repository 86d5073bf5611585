using System.Text.Json;

namespace Ovnsim.Ovsdb.Schema;

/// <summary>One column of a table schema.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Index">The column's position in <see cref="TableSchema.Columns"/>.</param>
/// <param name="Type">The column type.</param>
/// <param name="Mutable">False for columns the schema marks immutable.</param>
/// <param name="Ephemeral">True for columns ovsdb-server does not write to disk.</param>
public sealed record ColumnSchema(string Name, int Index, ColumnType Type, bool Mutable, bool Ephemeral);

/// <summary>One table of a database schema (RFC 7047 section 3.2, <c>&lt;table-schema&gt;</c>).</summary>
public sealed class TableSchema
{
    private readonly Dictionary<string, ColumnSchema> _byName;

    private TableSchema(string name, List<ColumnSchema> columns, bool isRoot, long maxRows, List<string[]> indexes)
    {
        Name = name;
        Columns = columns;
        IsRoot = isRoot;
        MaxRows = maxRows;
        Indexes = indexes;
        _byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>The table name.</summary>
    public string Name { get; }

    /// <summary>The columns, in the order the schema lists them (not counting <c>_uuid</c> and <c>_version</c>).</summary>
    public IReadOnlyList<ColumnSchema> Columns { get; }

    /// <summary>True for a root table, whose rows live without being referenced.</summary>
    public bool IsRoot { get; }

    /// <summary>The maximum number of rows, or <see cref="long.MaxValue"/>.</summary>
    public long MaxRows { get; }

    /// <summary>The unique indexes: each a list of column names.</summary>
    public IReadOnlyList<string[]> Indexes { get; }

    /// <summary>Finds a column by exact name.</summary>
    public ColumnSchema? FindColumn(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Finds a column by exact name or throws naming the table.</summary>
    public ColumnSchema GetColumn(string name) =>
        FindColumn(name) ?? throw new KeyNotFoundException($"table {Name} has no column {name}");

    internal static TableSchema Parse(string name, JsonElement json)
    {
        var columns = new List<ColumnSchema>();
        if (!json.TryGetProperty("columns", out var cols) || cols.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbSchemaException($"table {name}: missing \"columns\"");
        }

        foreach (var col in cols.EnumerateObject())
        {
            string where = $"table {name} column {col.Name}";
            if (!col.Value.TryGetProperty("type", out var typeJson))
            {
                throw new OvsdbSchemaException($"{where}: missing \"type\"");
            }

            bool mutable = !col.Value.TryGetProperty("mutable", out var m) || m.GetBoolean();
            bool ephemeral = col.Value.TryGetProperty("ephemeral", out var e) && e.GetBoolean();
            columns.Add(new ColumnSchema(col.Name, columns.Count, ColumnType.Parse(typeJson, where), mutable, ephemeral));
        }

        bool isRoot = json.TryGetProperty("isRoot", out var r) && r.GetBoolean();
        long maxRows = json.TryGetProperty("maxRows", out var mr) ? mr.GetInt64() : long.MaxValue;
        var indexes = new List<string[]>();
        if (json.TryGetProperty("indexes", out var idx))
        {
            foreach (var index in idx.EnumerateArray())
            {
                indexes.Add([.. index.EnumerateArray().Select(c => c.GetString()!)]);
            }
        }

        return new TableSchema(name, columns, isRoot, maxRows, indexes);
    }
}
