using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Nbctl;

// The generic database commands of db-ctl-base (ovs-vsctl(8) "Database Commands"): set, add, remove, clear, create.
internal static partial class NbctlCommands
{
    // ovn-nbctl's ctl_table_class row_ids: the columns a record may be named by, besides its UUID.
    private static readonly Dictionary<string, (string Column, string? Key)[]> RowIds = new(StringComparer.Ordinal)
    {
        ["Logical_Switch"] = [("name", null), ("external_ids", "neutron:network_name")],
        ["Logical_Switch_Port"] = [("name", null), ("external_ids", "neutron:port_name")],
        ["Logical_Router"] = [("name", null), ("external_ids", "neutron:router_name")],
        ["Logical_Router_Port"] = [("name", null)],
        ["Address_Set"] = [("name", null)],
        ["Port_Group"] = [("name", null)],
        ["ACL"] = [("name", null)],
        ["HA_Chassis"] = [("chassis_name", null)],
        ["HA_Chassis_Group"] = [("name", null)],
        ["Load_Balancer"] = [("name", null)],
        ["Load_Balancer_Group"] = [("name", null)],
        ["Load_Balancer_Health_Check"] = [("vip", null)],
        ["Forwarding_Group"] = [("name", null)],
        ["Meter"] = [("name", null)],
        ["NAT"] = [("external_ip", null)],
        ["Chassis_Template_Var"] = [("chassis", null)],
        ["Connection"] = [("target", null)],
    };

    private static void DbSet(NbctlTransaction tx, NbctlCommand cmd)
    {
        var table = tx.Table(cmd.Arg(0));
        if (GetRecord(tx, table, cmd.Arg(1), !cmd.Has("--if-exists")) is not { } row)
        {
            return;
        }

        foreach (var arg in cmd.Args.Skip(2))
        {
            SetColumn(tx, row, arg.Text);
        }
    }

    private static void DbAdd(NbctlTransaction tx, NbctlCommand cmd)
    {
        var table = tx.Table(cmd.Arg(0));
        var column = NbctlTransaction.Column(table, cmd.Arg(2));
        if (GetRecord(tx, table, cmd.Arg(1), !cmd.Has("--if-exists")) is not { } row)
        {
            return;
        }

        CheckMutable(table, column);
        var value = row[column];
        var addType = column.Type.WithSize(1, int.MaxValue);
        foreach (var arg in cmd.Args.Skip(3))
        {
            value = value.Union(CtlValueSyntax.ParseDatum(arg.Text, addType, tx.Symbol));
        }

        if (value.Count > column.Type.Max)
        {
            throw new FormatException($"\"add\" operation would put {value.Count} {(column.Type.IsMap ? "pairs" : "values")} " +
                                      $"in column {column.Name} of table {table.Name} but the maximum number is {column.Type.Max}");
        }

        Database.Write(row, column.Name, value);
    }

    private static void DbRemove(NbctlTransaction tx, NbctlCommand cmd)
    {
        var table = tx.Table(cmd.Arg(0));
        var column = NbctlTransaction.Column(table, cmd.Arg(2));
        if (GetRecord(tx, table, cmd.Arg(1), !cmd.Has("--if-exists")) is not { } row)
        {
            return;
        }

        CheckMutable(table, column);
        var value = row[column];
        var rmType = column.Type.WithSize(1, int.MaxValue);
        foreach (var arg in cmd.Args.Skip(3))
        {
            Datum rm;
            try
            {
                rm = CtlValueSyntax.ParseDatum(arg.Text, rmType, tx.Symbol);
            }
            catch (FormatException) when (column.Type.IsMap)
            {
                // For a map, a bare list names keys to remove whatever their values.
                rm = CtlValueSyntax.ParseDatum(arg.Text, new ColumnType(column.Type.Key, null, 1, int.MaxValue), tx.Symbol);
            }

            value = value.Subtract(rm);
        }

        if (value.Count < column.Type.Min)
        {
            throw new FormatException($"\"remove\" operation would put {value.Count} {(column.Type.IsMap ? "pairs" : "values")} " +
                                      $"in column {column.Name} of table {table.Name} but the minimum number is {column.Type.Min}");
        }

        Database.Write(row, column.Name, value);
    }

    private static void DbClear(NbctlTransaction tx, NbctlCommand cmd)
    {
        var table = tx.Table(cmd.Arg(0));
        if (GetRecord(tx, table, cmd.Arg(1), !cmd.Has("--if-exists")) is not { } row)
        {
            return;
        }

        foreach (var arg in cmd.Args.Skip(2))
        {
            var column = NbctlTransaction.Column(table, arg.Text);
            CheckMutable(table, column);
            if (column.Type.Min > 0)
            {
                throw new FormatException($"\"clear\" operation cannot be applied to column {column.Name} of table " +
                                          $"{table.Name}, which is not allowed to be empty");
            }

            Database.Write(row, column.Name, column.Type.IsMap ? Datum.Map([]) : Datum.Empty);
        }
    }

    private static void DbCreate(NbctlTransaction tx, NbctlCommand cmd)
    {
        var table = tx.Table(cmd.Arg(0));
        string? id = cmd.Option("--id");
        Row row;
        if (id is null)
        {
            row = tx.Insert(table.Name);
        }
        else if (UuidText.TryParse(id, out var uuid))
        {
            row = tx.Db.Insert(table.Name, uuid);
        }
        else if (id.StartsWith('@') && id.Length > 1)
        {
            row = tx.InsertSymbol(table.Name, id);
        }
        else
        {
            throw new FormatException($"row id \"{id}\" does not begin with \"@\"");
        }

        foreach (var arg in cmd.Args.Skip(1))
        {
            SetColumn(tx, row, arg.Text);
        }
    }

    /// <summary>Applies one <c>COLUMN[:KEY]=VALUE</c> argument (db-ctl-base <c>set_column</c>).</summary>
    private static void SetColumn(NbctlTransaction tx, Row row, string arg)
    {
        var table = row.Table.Schema;
        int p = 0;
        string columnName = CtlValueSyntax.ReadToken(arg, ref p);
        if (columnName.Length == 0)
        {
            throw new FormatException($"{arg}: missing column name");
        }

        var column = NbctlTransaction.Column(table, columnName);
        string? key = null;
        if (p < arg.Length && arg[p] == ':')
        {
            p++;
            key = CtlValueSyntax.ReadToken(arg, ref p);
        }

        if (p >= arg.Length || arg[p] != '=' || p + 1 > arg.Length)
        {
            throw new FormatException($"{arg}: argument does not end in \"=\" followed by a value.");
        }

        string value = arg[(p + 1)..];
        CheckMutable(table, column);
        if (key is not null)
        {
            if (column.Type.Value is not { } valueType)
            {
                throw new FormatException($"cannot specify key to set for non-map column {column.Name}");
            }

            var k = CtlValueSyntax.ParseAtom(key, column.Type.Key, tx.Symbol);
            var v = CtlValueSyntax.ParseAtom(value, valueType, tx.Symbol);
            var pairs = new List<KeyValuePair<Atom, Atom>> { new(k, v) };
            var current = row[column];
            for (int i = 0; i < current.Count; i++)
            {
                if (current.Keys[i] != k)
                {
                    pairs.Add(new(current.Keys[i], current.Values[i]));
                }
            }

            Database.Write(row, column.Name, Datum.Map(pairs));
        }
        else
        {
            Database.Write(row, column.Name, CtlValueSyntax.ParseDatum(value, column.Type, tx.Symbol));
        }
    }

    private static void CheckMutable(TableSchema table, ColumnSchema column)
    {
        if (!column.Mutable)
        {
            throw new FormatException($"cannot modify read-only column {column.Name} in table {table.Name}");
        }
    }

    /// <summary>Finds a record as db-ctl-base's <c>ctl_get_row</c> does: UUID, ".", the row ids, then a UUID prefix.</summary>
    private static Row? GetRecord(NbctlTransaction tx, TableSchema schema, string id, bool mustExist)
    {
        var table = tx.Db.GetTable(schema.Name);
        Row? row = UuidText.TryParse(id, out var uuid) ? table.Find(uuid) : null;
        if (row is null && id.StartsWith('@'))
        {
            row = table.Find(tx.Symbol(id));
        }

        if (row is null && id == "." && table.Count == 1)
        {
            row = table.Rows[0];
        }

        if (row is null && RowIds.TryGetValue(schema.Name, out var ids))
        {
            foreach (var (column, key) in ids)
            {
                var matches = table.UnorderedRows.Where(r => key is null
                    ? r[column].Count == 1 && r[column].Keys[0].ToString() == id
                    : r[column].Get(key) == id).ToList();
                if (matches.Count > 1)
                {
                    throw new FormatException($"multiple rows in {schema.Name} match \"{id}\"");
                }

                if (matches.Count == 1)
                {
                    row = matches[0];
                    break;
                }
            }
        }

        if (row is null && id.Length >= 4 && id.All(c => char.IsAsciiHexDigit(c) || c == '-'))
        {
            var matches = table.Rows.Where(r => UuidText.Format(r.Uuid).StartsWith(id, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count > 1)
            {
                throw new FormatException($"{schema.Name} contains 2 or more rows whose UUIDs begin with {id}: at least " +
                                          $"{UuidText.Format(matches[0].Uuid)} and {UuidText.Format(matches[1].Uuid)}");
            }

            row = matches.FirstOrDefault();
        }

        if (row is null && mustExist)
        {
            throw new FormatException($"no row \"{id}\" in table {schema.Name}");
        }

        return row;
    }
}
