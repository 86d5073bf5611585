using System.Text.Json;
using Ovnsim.Ovsdb.Ordering;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb;

/// <summary>An in-memory OVSDB database: a schema and the rows of each of its tables.</summary>
public sealed class Database
{
    private readonly Dictionary<string, Table> _tables;

    /// <summary>Makes an empty database of a schema.</summary>
    public Database(DatabaseSchema schema)
    {
        Schema = schema;
        _tables = schema.Tables.Values.ToDictionary(t => t.Name, t => new Table(this, t), StringComparer.Ordinal);
    }

    /// <summary>The schema.</summary>
    public DatabaseSchema Schema { get; }

    /// <summary>The tables, by name.</summary>
    public IReadOnlyDictionary<string, Table> Tables => _tables;

    /// <summary>Where the database came from (a file path or a description), for messages.</summary>
    public string Source { get; init; } = "(memory)";

    /// <summary>What loading reported without failing: a torn last record, uncommitted raft entries.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The table of that name, or an exception naming the schema.</summary>
    public Table GetTable(string name) =>
        _tables.GetValueOrDefault(name) ?? throw new KeyNotFoundException($"database {Schema.Name} has no table {name}");

    /// <summary>Finds a table by name.</summary>
    public Table? FindTable(string name) => _tables.GetValueOrDefault(name);

    /// <summary>Inserts a row with default values.</summary>
    public Row Insert(string table, Guid uuid)
    {
        var t = GetTable(table);
        if (t.Find(uuid) is not null)
        {
            throw new OvsdbDataException($"table {table} already has a row {UuidText.Format(uuid)}");
        }

        return t.Insert(uuid);
    }

    /// <summary>Sets a column after checking the value against the column's type.</summary>
    public static void Write(Row row, string column, Datum value)
    {
        var schema = row.Table.Schema.GetColumn(column);
        if (value.Check(schema.Type) is { } error)
        {
            throw new OvsdbDataException($"{row.Table.Name} column {column}: {error}");
        }

        row.Set(schema, value);
    }

    /// <summary>Deletes a row.</summary>
    public static void Delete(Row row) => row.Table.Delete(row.Uuid);

    /// <summary>
    /// Applies one transaction as a database file records it: <c>{"Table": {"uuid": row-or-null}, "_date": …,
    /// "_comment": …, "_is_diff": …}</c>. A row object inserts or modifies; <c>null</c> deletes. With
    /// <c>"_is_diff": true</c>, a set or map column of an existing row holds the difference to apply
    /// (<c>ovsdb/file.c</c>).
    /// </summary>
    public void ApplyFileTransaction(JsonElement txn, string where)
    {
        if (txn.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbDataException($"{where}: transaction is not a JSON object");
        }

        bool isDiff = txn.TryGetProperty("_is_diff", out var d) && d.ValueKind == JsonValueKind.True;
        foreach (var member in txn.EnumerateObject())
        {
            if (member.Name is "_date" or "_comment" or "_is_diff")
            {
                continue;
            }

            var table = FindTable(member.Name)
                ?? throw new OvsdbDataException($"{where}: no table named {member.Name} in schema {Schema.Name}");
            if (member.Value.ValueKind != JsonValueKind.Object)
            {
                throw new OvsdbDataException($"{where}: table {member.Name}: object expected");
            }

            // ovsdb-server parses the object into a shash and applies its rows in that hash order, which decides
            // where new rows land in the table's hmap; do the same so listing order follows the server's.
            var rows = OvsHmap.Order(member.Value.EnumerateObject().ToList(), r => OvsHash.String(r.Name));
            foreach (var rowJson in rows)
            {
                ApplyRow(table, rowJson.Name, rowJson.Value, isDiff, where);
            }
        }
    }

    private static void ApplyRow(Table table, string uuidText, JsonElement json, bool isDiff, string where)
    {
        if (!UuidText.TryParse(uuidText, out var uuid))
        {
            throw new OvsdbDataException($"{where}: table {table.Name}: \"{uuidText}\" is not a valid UUID");
        }

        var row = table.Find(uuid);
        if (json.ValueKind == JsonValueKind.Null)
        {
            if (row is null)
            {
                throw new OvsdbDataException(
                    $"{where}: transaction deletes row {uuidText} that does not exist in table {table.Name}");
            }

            table.Delete(uuid);
            return;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbDataException($"{where}: table {table.Name} row {uuidText}: row must be a JSON object");
        }

        bool isNew = row is null;
        row ??= table.Insert(uuid);
        foreach (var col in json.EnumerateObject())
        {
            var column = table.Schema.FindColumn(col.Name)
                ?? throw new OvsdbDataException($"{where}: table {table.Name} has no column {col.Name}");
            string place = $"{where}: {table.Name} row {uuidText} column {col.Name}";
            if (isDiff && !isNew && column.Type.IsComposite && !IsDefault(row[column], column.Type))
            {
                // A diff need not respect the column's size on its own; the result must.
                var diff = DatumJson.Parse(col.Value, column.Type.WithSize(0, int.MaxValue), place);
                var result = row[column].ApplyDiff(diff);
                if (result.Check(column.Type) is { } error)
                {
                    throw new OvsdbDataException($"{place}: applying the diff gives {error}");
                }

                row.Set(column, result);
            }
            else
            {
                row.Set(column, DatumJson.Parse(col.Value, column.Type, place));
            }
        }
    }

    /// <summary>Replays the copy ovsdb-server makes of a raft snapshot into the live database (see <see cref="Table.ServerOrder"/>).</summary>
    internal void RebuildServerOrder()
    {
        foreach (var table in _tables.Values)
        {
            table.RebuildServerOrder();
        }
    }

    private static bool IsDefault(Datum datum, ColumnType type) => datum.Equals(Datum.Default(type));

    /// <summary>
    /// Checks that every strong reference names an existing row, as ovsdb-server's commit does; throws naming the
    /// first dangling one.
    /// </summary>
    public void CheckReferences()
    {
        foreach (var table in _tables.Values)
        {
            foreach (var column in table.Schema.Columns)
            {
                var refs = References(column);
                if (refs.Count == 0)
                {
                    continue;
                }

                foreach (var row in table.UnorderedRows)
                {
                    var datum = row[column];
                    foreach (var bt in refs)
                    {
                        if (bt.RefType != RefType.Strong)
                        {
                            continue;
                        }

                        var target = GetTable(bt.RefTable!);
                        foreach (var atom in bt == column.Type.Key ? datum.Keys : datum.Values)
                        {
                            if (target.Find(atom.Uuid) is null)
                            {
                                throw new OvsdbDataException(
                                    $"referential integrity violation: {table.Name} row {UuidText.Format(row.Uuid)} " +
                                    $"column {column.Name} refers to missing {target.Name} row {UuidText.Format(atom.Uuid)}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// What ovsdb-server does at the end of every commit: removes weak references to rows that no longer exist and
    /// deletes rows of non-root tables that no strong reference keeps (repeating until nothing changes).
    /// </summary>
    public void CollectGarbage()
    {
        while (true)
        {
            RemoveDanglingWeakReferences();
            var kept = new HashSet<Guid>();
            foreach (var table in _tables.Values)
            {
                foreach (var column in table.Schema.Columns)
                {
                    foreach (var bt in References(column).Where(b => b.RefType == RefType.Strong))
                    {
                        foreach (var row in table.UnorderedRows)
                        {
                            var datum = row[column];
                            var atoms = bt == column.Type.Key ? datum.Keys : datum.Values;
                            foreach (var atom in atoms)
                            {
                                kept.Add(atom.Uuid);
                            }
                        }
                    }
                }
            }

            var garbage = _tables.Values
                .Where(t => !t.Schema.IsRoot)
                .SelectMany(t => t.UnorderedRows.Where(r => !kept.Contains(r.Uuid)))
                .ToList();
            if (garbage.Count == 0)
            {
                return;
            }

            foreach (var row in garbage)
            {
                row.Table.Delete(row.Uuid);
            }
        }
    }

    private void RemoveDanglingWeakReferences()
    {
        foreach (var table in _tables.Values)
        {
            foreach (var column in table.Schema.Columns)
            {
                var weak = References(column).Where(b => b.RefType == RefType.Weak).ToList();
                if (weak.Count == 0)
                {
                    continue;
                }

                foreach (var row in table.UnorderedRows)
                {
                    var datum = row[column];
                    var keep = new List<int>();
                    for (int i = 0; i < datum.Count; i++)
                    {
                        bool ok = true;
                        foreach (var bt in weak)
                        {
                            var atom = bt == column.Type.Key ? datum.Keys[i] : datum.Values[i];
                            ok &= GetTable(bt.RefTable!).Find(atom.Uuid) is not null;
                        }

                        if (ok)
                        {
                            keep.Add(i);
                        }
                    }

                    if (keep.Count != datum.Count)
                    {
                        var keys = datum.Keys.ToArray();
                        var values = datum.Values.ToArray();
                        row.Set(column, datum.IsMap
                            ? Datum.Map(keep.Select(i => KeyValuePair.Create(keys[i], values[i])))
                            : Datum.Set(keep.Select(i => keys[i])));
                    }
                }
            }
        }
    }

    private static List<BaseType> References(ColumnSchema column)
    {
        var list = new List<BaseType>(2);
        if (column.Type.Key.RefTable is not null)
        {
            list.Add(column.Type.Key);
        }

        if (column.Type.Value?.RefTable is not null)
        {
            list.Add(column.Type.Value);
        }

        return list;
    }
}
