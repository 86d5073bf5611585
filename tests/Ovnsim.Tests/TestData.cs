using System.Text;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Tests;

/// <summary>Paths of the test data and helpers shared by the tests.</summary>
internal static class TestData
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "Data", .. parts]);

    public static string Seed(string file) => Path("seed", file);

    /// <summary>A scratch copy of a data file that a test may damage.</summary>
    public static string Scratch(byte[] content, string name = "scratch.db")
    {
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ovnsim-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = System.IO.Path.Combine(dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>The byte offsets of each record's header line in an OVSDB log file.</summary>
    public static List<(long Offset, int HeaderLength, int BodyLength)> Records(byte[] file)
    {
        var list = new List<(long, int, int)>();
        int pos = 0;
        while (pos < file.Length)
        {
            int nl = Array.IndexOf(file, (byte)'\n', pos);
            string header = Encoding.ASCII.GetString(file, pos, nl - pos);
            int length = int.Parse(header.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
            list.Add((pos, nl - pos + 1, length));
            pos = nl + 1 + length;
        }

        return list;
    }

    /// <summary>
    /// The database's rows as comparable text without row UUIDs: each row's columns, with references replaced by the
    /// text of the row they point at, sorted per table. <paramref name="skip"/> names "Table.column" to leave out.
    /// </summary>
    public static SortedDictionary<string, List<string>> Canonical(Database db, ISet<string>? skip = null)
    {
        var memo = new Dictionary<Guid, string>();
        string RowText(Row row)
        {
            if (memo.TryGetValue(row.Uuid, out var cached))
            {
                return cached;
            }

            memo[row.Uuid] = "(cycle)";
            var s = new StringBuilder("{");
            foreach (var column in row.Table.Schema.Columns)
            {
                if (skip?.Contains($"{row.Table.Name}.{column.Name}") == true)
                {
                    continue;
                }

                var datum = row[column];
                s.Append(column.Name).Append('=');
                var keys = new List<string>();
                for (int i = 0; i < datum.Count; i++)
                {
                    string k = AtomText(db, column.Type.Key.RefTable, datum.Keys[i], RowText);
                    string v = datum.IsMap ? "=" + AtomText(db, column.Type.Value!.RefTable, datum.Values[i], RowText) : "";
                    keys.Add(k + v);
                }

                keys.Sort(StringComparer.Ordinal);
                s.Append('[').AppendJoin(',', keys).Append("] ");
            }

            string text = s.Append('}').ToString();
            memo[row.Uuid] = text;
            return text;
        }

        var result = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var table in db.Tables.Values)
        {
            var rows = table.Rows.Select(RowText).ToList();
            rows.Sort(StringComparer.Ordinal);
            result[table.Name] = rows;
        }

        return result;
    }

    private static string AtomText(Database db, string? refTable, Atom atom, Func<Row, string> rowText)
    {
        if (refTable is not null && db.GetTable(refTable).Find(atom.Uuid) is { } target)
        {
            return rowText(target);
        }

        return atom.Type == AtomType.String ? "\"" + atom.String + "\"" : atom.ToString();
    }
}
