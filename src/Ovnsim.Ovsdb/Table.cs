using Ovnsim.Ovsdb.Ordering;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb;

/// <summary>The rows of one table.</summary>
public sealed class Table
{
    private readonly Dictionary<Guid, Row> _rows = [];

    // ovsdb-server keeps a table's rows in an hmap keyed by uuid_hash (the UUID's first 32 bits); tools that list
    // rows without sorting them show that order, so it is tracked as rows come and go.
    private OvsHmap<Row> _serverOrder = new();

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

    /// <summary>
    /// The rows in the order ovsdb-server's own table hash map iterates them, given the order rows were inserted and
    /// deleted in (as a server that replayed this database's transactions has them).
    /// </summary>
    public IEnumerable<Row> ServerOrder => _serverOrder.Iterate();

    /// <summary>Finds a row by UUID.</summary>
    public Row? Find(Guid uuid) => _rows.GetValueOrDefault(uuid);

    internal Row Insert(Guid uuid)
    {
        var row = new Row(this, uuid);
        _rows.Add(uuid, row);
        _serverOrder.Insert(row, UuidText.FirstPart(uuid));
        return row;
    }

    /// <summary>
    /// Re-inserts every row into a fresh hash map in the current iteration order, as happens when ovsdb-server
    /// copies a loaded snapshot into the live database (raft snapshots; matched against real ovn-nbctl output).
    /// </summary>
    internal void RebuildServerOrder()
    {
        var rows = _serverOrder.Iterate().ToList();
        _serverOrder = new OvsHmap<Row>();
        foreach (var row in rows)
        {
            _serverOrder.Insert(row, UuidText.FirstPart(row.Uuid));
        }
    }

    internal bool Delete(Guid uuid)
    {
        if (!_rows.Remove(uuid, out var row))
        {
            return false;
        }

        _serverOrder.Remove(row, UuidText.FirstPart(uuid));
        return true;
    }

    internal IEnumerable<Row> UnorderedRows => _rows.Values;
}

/// <summary>Orders UUIDs as OVSDB does (<see cref="UuidText.Compare"/>).</summary>
public sealed class UuidComparer : IComparer<Guid>
{
    /// <summary>The one instance.</summary>
    public static UuidComparer Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(Guid x, Guid y) => UuidText.Compare(x, y);
}
