using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ovnsim.Ovsdb.Files;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Tests;

/// <summary>The database file readers against the real files of the seed and against damaged copies.</summary>
public sealed class DatabaseFileTests
{
    [Theory]
    [InlineData("nb.db", "nb.json")]
    [InlineData("nb-txnlog.db", "nb.json")]
    [InlineData("nb-clustered.db", "nb.json")]
    [InlineData("sb.db", "sb.json")]
    [InlineData("conf.db", "ovs-conf.json")]
    public void Every_row_and_column_equals_what_ovsdb_client_dump_printed(string dbFile, string dumpFile)
    {
        var db = DatabaseFile.Load(TestData.Seed(dbFile));
        Assert.Empty(db.Warnings);
        int tables = 0, rows = 0;
        foreach (string line in File.ReadLines(TestData.Seed(dumpFile)))
        {
            using var doc = JsonDocument.Parse(line);
            string caption = doc.RootElement.GetProperty("caption").GetString()!;
            var table = db.GetTable(caption[..^" table".Length]);
            var headings = doc.RootElement.GetProperty("headings").EnumerateArray().Select(h => h.GetString()!).ToList();
            var data = doc.RootElement.GetProperty("data").EnumerateArray().ToList();
            Assert.Equal(data.Count, table.Count);
            foreach (var rowJson in data)
            {
                var uuid = Guid.Parse(rowJson[headings.IndexOf("_uuid")][1].GetString()!);
                var row = table.Find(uuid);
                Assert.NotNull(row);
                for (int i = 0; i < headings.Count; i++)
                {
                    var column = headings[i].StartsWith('_') ? null : table.Schema.GetColumn(headings[i]);
                    if (column is null || column.Ephemeral)
                    {
                        // _uuid/_version, and columns ovsdb-server keeps in memory only (not in the file).
                        continue;
                    }

                    var expected = DatumJson.Parse(rowJson[i], column.Type, "dump");
                    Assert.True(expected.Equals(row[column]),
                        $"{table.Name} {uuid} {column.Name}: dump {expected}, loaded {row[column]}");
                }

                rows++;
            }

            tables++;
        }

        Assert.True(tables > 10 && rows > 10, $"compared {tables} tables, {rows} rows");
    }

    [Fact]
    public void A_clustered_log_applies_committed_entries_after_the_snapshot()
    {
        // Made by real ovsdb-server 3.1 in a one-server cluster: init, ls-add sw0, lsp-add sw0 p1.
        var db = DatabaseFile.Load(TestData.Path("nb-raft-log.db"));
        Assert.Empty(db.Warnings);
        var ls = Assert.Single(db.GetTable("Logical_Switch").Rows);
        Assert.Equal("sw0", ls.GetString("name"));
        Assert.Equal("p1", Assert.Single(ls.GetRefs("ports")).GetString("name"));
        Assert.Single(db.GetTable("NB_Global").Rows);
    }

    [Fact]
    public void A_raft_entry_past_the_last_commit_index_is_reported_and_not_loaded()
    {
        byte[] file = File.ReadAllBytes(TestData.Path("nb-raft-log.db"));
        var records = TestData.Records(file);
        var last = records[^1];
        string lastBody = Encoding.UTF8.GetString(file, (int)last.Offset + last.HeaderLength, last.BodyLength);
        Assert.Contains("commit_index", lastBody, StringComparison.Ordinal);

        var db = DatabaseFile.Load(TestData.Scratch(file[..(int)last.Offset]));

        Assert.Contains(db.Warnings, w => w.Contains("1 raft log entry after the commit index", StringComparison.Ordinal));
        Assert.Empty(db.GetTable("Logical_Switch_Port").Rows);
        Assert.Equal("sw0", Assert.Single(db.GetTable("Logical_Switch").Rows).GetString("name"));
    }

    [Fact]
    public void A_malformed_raft_record_is_an_error_naming_it()
    {
        byte[] file = File.ReadAllBytes(TestData.Path("nb-raft-log.db"));
        var header = TestData.Records(file)[0];
        byte[] headerRecord = file[..(header.HeaderLength + header.BodyLength)];
        byte[] body = Encoding.UTF8.GetBytes("{\"commit_index\": \"soon\"}\n");
        byte[] bad = [.. Encoding.ASCII.GetBytes($"OVSDB CLUSTER {body.Length} {Convert.ToHexStringLower(SHA1.HashData(body))}\n"), .. body];

        var e = Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load(TestData.Scratch([.. headerRecord, .. bad])));

        Assert.Equal(2, e.Record);
        Assert.Contains("bad raft record", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_byte_is_an_error_naming_the_file_record_and_offset()
    {
        byte[] file = File.ReadAllBytes(TestData.Seed("nb-txnlog.db"));
        var records = TestData.Records(file);
        var third = records[2];
        file[third.Offset + third.HeaderLength + 5] ^= 0x01;
        string path = TestData.Scratch(file);

        var e = Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load(path));

        Assert.Equal(3, e.Record);
        Assert.Equal(third.Offset, e.Offset);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains($"record 3 at byte offset {third.Offset}", e.Message, StringComparison.Ordinal);
        Assert.Contains("SHA-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_last_record_is_a_warning_and_every_earlier_transaction_is_kept()
    {
        byte[] file = File.ReadAllBytes(TestData.Seed("nb-txnlog.db"));
        var records = TestData.Records(file);
        var last = records[^1];
        var full = DatabaseFile.Load(TestData.Seed("nb-txnlog.db"));
        var withoutLast = DatabaseFile.Load(TestData.Scratch(file[..(int)last.Offset]));

        var torn = DatabaseFile.Load(TestData.Scratch(file[..(int)(last.Offset + last.HeaderLength + (last.BodyLength / 2))]));

        string warning = Assert.Single(torn.Warnings);
        Assert.Contains($"record {records.Count} at byte offset {last.Offset}", warning, StringComparison.Ordinal);
        Assert.Contains("torn", warning, StringComparison.Ordinal);
        Assert.Equal(TestData.Canonical(withoutLast), TestData.Canonical(torn));
        Assert.NotEqual(TestData.Canonical(full), TestData.Canonical(torn));
    }

    [Fact]
    public void A_file_cut_inside_a_header_line_is_a_torn_write()
    {
        byte[] file = File.ReadAllBytes(TestData.Seed("nb.db"));
        var second = TestData.Records(file)[1];

        var db = DatabaseFile.Load(TestData.Scratch(file[..(int)(second.Offset + 12)]));

        Assert.Contains("inside the header line", Assert.Single(db.Warnings), StringComparison.Ordinal);
        Assert.Equal(0, db.GetTable("Logical_Switch").Count);
    }

    [Fact]
    public void Garbage_between_records_is_an_error_not_a_warning()
    {
        byte[] file = File.ReadAllBytes(TestData.Seed("nb-txnlog.db"));
        var second = TestData.Records(file)[1];
        byte[] damaged = [.. file[..(int)second.Offset], .. "garbage line\n"u8, .. file[(int)second.Offset..]];

        var e = Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load(TestData.Scratch(damaged)));

        Assert.Equal(2, e.Record);
        Assert.Contains("parse error in header line \"garbage line\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_with_a_good_checksum_but_bad_json_names_the_record()
    {
        string path = TestData.Scratch(Concat(SchemaRecord(), Record("{\"Logical_Switch\": {")));
        var e = Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load(path));
        Assert.Equal(2, e.Record);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"No_Such_Table\": {}}", "no table named No_Such_Table")]
    [InlineData("{\"Logical_Switch\": {\"not-a-uuid\": {}}}", "is not a valid UUID")]
    [InlineData("{\"Logical_Switch\": {\"6da70abe-b446-47b0-9675-94d145fd4eda\": {\"name\": 5}}}", "expected string, got 5")]
    [InlineData("{\"Logical_Switch\": {\"6da70abe-b446-47b0-9675-94d145fd4eda\": {\"bogus\": 5}}}", "has no column bogus")]
    [InlineData("{\"Logical_Switch\": {\"6da70abe-b446-47b0-9675-94d145fd4eda\": null}}", "deletes row")]
    [InlineData("{\"Logical_Switch_Port\": {\"6da70abe-b446-47b0-9675-94d145fd4eda\": {\"type\": \"bogus-type\", \"name\": \"p\"}}}", null)]
    [InlineData("{\"Logical_Switch\": {\"6da70abe-b446-47b0-9675-94d145fd4eda\": {\"ports\": [\"uuid\", \"8ba9387f-7efa-4232-8823-ef044d339dec\"]}}}", "referential integrity violation")]
    public void Transactions_that_do_not_fit_the_schema_are_errors(string txn, string? expected)
    {
        string path = TestData.Scratch(Concat(SchemaRecord(), Record(txn)));
        if (expected is null)
        {
            // LSP type is a free string in the schema: loading it is right, refusing it is northd's business.
            Assert.Equal("bogus-type", Assert.Single(DatabaseFile.Load(path).GetTable("Logical_Switch_Port").Rows).GetString("type"));
            return;
        }

        var e = Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_or_missing_file_is_an_error()
    {
        Assert.Contains("empty", Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load(TestData.Scratch([]))).Message,
            StringComparison.Ordinal);
        Assert.Contains("cannot open", Assert.Throws<OvsdbFileException>(() => DatabaseFile.Load("/nonexistent/nb.db")).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_transactions_add_remove_and_update_set_and_map_elements()
    {
        const string ls = "6da70abe-b446-47b0-9675-94d145fd4eda";
        string path = TestData.Scratch(Concat(
            SchemaRecord(),
            Record($"{{\"Logical_Switch\": {{\"{ls}\": {{\"name\": \"a\", \"external_ids\": [\"map\", [[\"k1\", \"v1\"], [\"k2\", \"v2\"]]]}}}}, \"_is_diff\": true}}"),
            Record($"{{\"Logical_Switch\": {{\"{ls}\": {{\"external_ids\": [\"map\", [[\"k1\", \"v1\"], [\"k2\", \"new\"], [\"k3\", \"v3\"]]]}}}}, \"_is_diff\": true}}"),
            Record($"{{\"Logical_Switch\": {{\"{ls}\": {{\"name\": \"b\"}}}}, \"_is_diff\": true}}")));

        var row = Assert.Single(DatabaseFile.Load(path).GetTable("Logical_Switch").Rows);

        Assert.Equal("b", row.GetString("name"));
        Assert.Equal(new Dictionary<string, string> { ["k2"] = "new", ["k3"] = "v3" }, row.GetMap("external_ids"));
    }

    private static byte[] SchemaRecord()
    {
        byte[] file = File.ReadAllBytes(TestData.Seed("nb.db"));
        var second = TestData.Records(file)[1];
        return file[..(int)second.Offset];
    }

    private static byte[] Record(string json)
    {
        byte[] body = Encoding.UTF8.GetBytes(json + "\n");
        string header = $"OVSDB JSON {body.Length} {Convert.ToHexStringLower(SHA1.HashData(body))}\n";
        return [.. Encoding.ASCII.GetBytes(header), .. body];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
