using System.Security.Cryptography;
using System.Text;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>
/// The state one command line works in, as one ovn-nbctl invocation is one transaction: the database, the
/// <c>@name</c> symbols of <c>--id</c>, and lookups by name or UUID with ovn-nbctl's error messages.
/// </summary>
internal sealed class NbctlTransaction
{
    private readonly Dictionary<string, Guid> _symbols = new(StringComparer.Ordinal);
    private readonly HashSet<string> _createdSymbols = new(StringComparer.Ordinal);
    private readonly Func<Guid> _newUuid;

    public NbctlTransaction(Database db, Func<Guid> newUuid)
    {
        Db = db;
        _newUuid = newUuid;
    }

    public Database Db { get; }

    /// <summary>Inserts a row with a fresh UUID.</summary>
    public Row Insert(string table) => Db.Insert(table, _newUuid());

    /// <summary>Inserts a row with the UUID a symbol stands for.</summary>
    public Row InsertSymbol(string table, string symbol)
    {
        if (!_createdSymbols.Add(symbol))
        {
            throw new FormatException($"row id \"{symbol}\" may only be specified on one --id option");
        }

        return Db.Insert(table, Symbol(symbol));
    }

    /// <summary>The UUID a symbol (<c>@name</c>) stands for, made on first use.</summary>
    public Guid Symbol(string name)
    {
        if (!_symbols.TryGetValue(name, out var uuid))
        {
            uuid = _newUuid();
            _symbols[name] = uuid;
        }

        return uuid;
    }

    /// <summary>Symbols used but never created by <c>create --id</c>.</summary>
    public IEnumerable<string> DanglingSymbols => _symbols.Keys.Where(s => !_createdSymbols.Contains(s));

    /// <summary>
    /// Finds a row by UUID, then by its <c>name</c> column (<c>ls_by_name_or_uuid</c> and its siblings); two rows of
    /// that name is an error when <paramref name="kind"/>Plural is given.
    /// </summary>
    public Row? ByNameOrUuid(string table, string id, string kind, bool mustExist, string? plural = null,
        string nameColumn = "name")
    {
        bool isUuid = UuidText.TryParse(id, out var uuid);
        var t = Db.GetTable(table);
        var row = isUuid ? t.Find(uuid) : null;
        if (row is null)
        {
            // Several rows of one name: an error where ovn-nbctl makes it one, else the first in UUID order.
            foreach (var candidate in t.UnorderedRows)
            {
                if (candidate.GetString(nameColumn) != id)
                {
                    continue;
                }

                if (row is not null && plural is not null)
                {
                    throw new FormatException($"Multiple {plural} named '{id}'.  Use a UUID.");
                }

                if (row is null || UuidText.Compare(candidate.Uuid, row.Uuid) < 0)
                {
                    row = candidate;
                }
            }
        }

        if (row is null && mustExist)
        {
            throw new FormatException($"{id}: {kind} {(isUuid ? "UUID" : "name")} not found");
        }

        return row;
    }

    public Row? Switch(string id, bool mustExist = true) =>
        ByNameOrUuid("Logical_Switch", id, "switch", mustExist, "logical switches");

    public Row? Router(string id, bool mustExist = true) =>
        ByNameOrUuid("Logical_Router", id, "router", mustExist, "logical routers");

    public Row? SwitchPort(string id, bool mustExist = true) => ByNameOrUuid("Logical_Switch_Port", id, "port", mustExist);

    public Row? RouterPort(string id, bool mustExist = true) => ByNameOrUuid("Logical_Router_Port", id, "port", mustExist);

    public Row? LoadBalancer(string id, bool mustExist = true) =>
        ByNameOrUuid("Load_Balancer", id, "load balancer", mustExist, "load balancers");

    /// <summary>The switch whose <c>ports</c> holds the port.</summary>
    public Row SwitchOf(Row lsp) =>
        Db.GetTable("Logical_Switch").UnorderedRows.FirstOrDefault(ls => ls["ports"].Contains(Atom.FromUuid(lsp.Uuid)))
        ?? throw new FormatException($"logical port {lsp.GetString("name")} is not part of any logical switch");

    /// <summary>The router whose <c>ports</c> holds the port.</summary>
    public Row RouterOf(Row lrp) =>
        Db.GetTable("Logical_Router").UnorderedRows.FirstOrDefault(lr => lr["ports"].Contains(Atom.FromUuid(lrp.Uuid)))
        ?? throw new FormatException($"logical port {lrp.GetString("name")} is not part of any logical router");

    public static void SetString(Row row, string column, string? value) =>
        Database.Write(row, column, value is null ? Datum.Empty : Datum.Scalar(Atom.FromString(value)));

    public static void SetInteger(Row row, string column, long value) =>
        Database.Write(row, column, Datum.Scalar(Atom.FromInteger(value)));

    public static void SetStrings(Row row, string column, IEnumerable<string> values)
    {
        try
        {
            Database.Write(row, column, Datum.Set(values.Select(Atom.FromString)));
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message);
        }
    }

    public static void SetMap(Row row, string column, IEnumerable<KeyValuePair<string, string>> pairs) =>
        Database.Write(row, column, Datum.StringMap(pairs));

    /// <summary>Adds one UUID to a reference set (<c>nbrec_*_update_*_addvalue</c>).</summary>
    public static void AddReference(Row row, string column, Row target) =>
        Database.Write(row, column, row[column].Union(Datum.Scalar(Atom.FromUuid(target.Uuid))));

    /// <summary>A column by exact name or unique abbreviation, as db-ctl-base's <c>get_column</c> matches them.</summary>
    public static ColumnSchema Column(TableSchema table, string name)
    {
        if (table.FindColumn(name) is { } exact)
        {
            return exact;
        }

        var matches = table.Columns.Where(c => c.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new FormatException($"{table.Name} does not contain a column whose name matches \"{name}\""),
            _ => throw new FormatException($"{table.Name} contains more than one column whose name matches \"{name}\""),
        };
    }

    /// <summary>A table by exact name or unique case-insensitive abbreviation (<c>get_table</c>).</summary>
    public TableSchema Table(string name)
    {
        if (Db.Schema.FindTable(name) is { } exact)
        {
            return exact;
        }

        var matches = Db.Schema.Tables.Values
            .Where(t => t.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new FormatException($"unknown table \"{name}\""),
            _ => throw new FormatException($"multiple table names match \"{name}\""),
        };
    }

    /// <summary>
    /// Makes the UUID generator for one file: deterministic (SHA-1 of the file name and a counter, shaped as a
    /// version 4 UUID) so that a command file always yields the same database.
    /// </summary>
    public static Func<Guid> UuidGenerator(string seed)
    {
        long counter = 0;
        return () =>
        {
            byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes($"ovnsim-nbctl:{seed}:{counter++}"));
            hash[6] = (byte)((hash[6] & 0x0f) | 0x40);
            hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
            return new Guid(hash.AsSpan(0, 16), bigEndian: true);
        };
    }
}
