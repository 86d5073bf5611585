namespace Ovnsim.Ovsdb;

/// <summary>A typed view over one generic <see cref="Ovsdb.Row"/>. The row keeps every column, typed or not.</summary>
public abstract class RowView
{
    /// <summary>Wraps a row.</summary>
    protected RowView(Row row) => Row = row;

    /// <summary>The underlying row.</summary>
    public Row Row { get; }

    /// <summary>The row's <c>_uuid</c>.</summary>
    public Guid Uuid => Row.Uuid;

    /// <summary>The <c>external_ids</c> column (every OVN table has one).</summary>
    public IReadOnlyDictionary<string, string> ExternalIds => Row.GetMap("external_ids");

    /// <inheritdoc/>
    public override string ToString() => Row.ToString();
}

/// <summary>A database of a known schema, checked by name when wrapped.</summary>
public abstract class TypedDatabase
{
    /// <summary>Wraps <paramref name="database"/> after checking its schema name.</summary>
    protected TypedDatabase(Database database, string schemaName)
    {
        if (database.Schema.Name != schemaName)
        {
            throw new ArgumentException($"this is a {database.Schema.Name} database, not {schemaName}");
        }

        Database = database;
    }

    /// <summary>The generic database: every table and row, used by the typed views or not.</summary>
    public Database Database { get; }

    /// <summary>The rows of a table wrapped in a view, in UUID order; empty when the schema lacks the table.</summary>
    protected IReadOnlyList<T> Rows<T>(string table, Func<Row, T> wrap) =>
        Database.FindTable(table) is { } t ? [.. t.Rows.Select(wrap)] : [];
}
