using Ovnsim.Ovsdb.Schema;

namespace Ovnsim.Ovsdb;

/// <summary>The rows of one table.</summary>
public sealed class Table
{
    private readonly Dictionary<Guid, Row> _rows = [];

    internal Table(Database database, TableSchema schema)
    {
        Database = database;
        Schema = schema;
    }

    /// <summary>The database the table belongs to.</summary>
    public Database Database { get; }

    /// <summary>The table's schema.</summary>
    public TableSchema Schema { get; }

    /// <summary>The table name.</summary>
    public string Name => Schema.Name;

    /// <summary>The number of rows.</summary>
    public int Count => _rows.Count;

    /// <summary>The rows in UUID order, the order ovsdb-server's tools list a set of rows in.</summary>
    public IReadOnlyList<Row> Rows => [.. _rows.Values.OrderBy(r => r.Uuid, UuidComparer.Instance)];

    /// <summary>Finds a row by UUID.</summary>
    public Row? Find(Guid uuid) => _rows.GetValueOrDefault(uuid);

    internal Row Insert(Guid uuid)
    {
        var row = new Row(this, uuid);
        _rows.Add(uuid, row);
        return row;
    }

    internal bool Delete(Guid uuid) => _rows.Remove(uuid);

    internal IEnumerable<Row> UnorderedRows => _rows.Values;
}

/// <summary>Orders UUIDs as OVSDB does (<see cref="Values.UuidText.Compare"/>).</summary>
public sealed class UuidComparer : IComparer<Guid>
{
    /// <summary>The one instance.</summary>
    public static UuidComparer Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(Guid x, Guid y) => Values.UuidText.Compare(x, y);
}
