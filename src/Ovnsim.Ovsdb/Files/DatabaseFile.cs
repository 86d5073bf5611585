using System.Text.Json;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Files;

/// <summary>
/// Loads the database files ovsdb-server writes, without a server: the standalone format (also what
/// <c>ovsdb-client backup</c> writes) and the clustered (raft) format.
/// </summary>
public static class DatabaseFile
{
    /// <summary>True when the bytes start like an OVSDB log file (<c>OVSDB JSON</c> or <c>OVSDB CLUSTER</c>).</summary>
    public static bool LooksLikeDatabaseFile(ReadOnlySpan<byte> start) =>
        start.StartsWith("OVSDB JSON "u8) || start.StartsWith("OVSDB CLUSTER "u8);

    /// <summary>Loads a standalone or clustered database file, told apart by its first record's magic.</summary>
    public static Database Load(string path)
    {
        using var stream = OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads a database from a stream holding a database file; <paramref name="name"/> names it in messages.</summary>
    public static Database Load(Stream stream, string name)
    {
        using var reader = new OvsdbLogReader(stream, name);
        var first = reader.Next()
            ?? throw new OvsdbFileException(name, reader.TornTail ?? "the file is empty: no schema record");
        var db = first.Magic switch
        {
            "JSON" => LoadStandalone(reader, first, name),
            "CLUSTER" => LoadClustered(reader, first, name),
            _ => throw reader.Error(first.Number, first.Offset, $"unknown magic \"{first.Magic}\" (expected JSON or CLUSTER)"),
        };
        if (reader.TornTail is { } torn)
        {
            db.Warnings.Add(torn);
        }

        try
        {
            db.CheckReferences();
        }
        catch (OvsdbDataException e)
        {
            throw new OvsdbFileException(name, e.Message);
        }

        return db;
    }

    private static Database LoadStandalone(OvsdbLogReader reader, OvsdbLogRecord first, string name)
    {
        using var schemaDoc = Parse(reader, first);
        var db = new Database(ParseSchema(reader, first, schemaDoc.RootElement)) { Source = name };
        while (reader.Next() is { } record)
        {
            using var doc = Parse(reader, record);
            Apply(reader, record, db, doc.RootElement);
        }

        return db;
    }

    // The raft log (ovsdb/raft.c, raft-private.c): a header whose prev_data is [schema, snapshot], then records
    // that are entries {term, index, data: [schema|null, txn|null]}, commit_index, vote, leader, term or note.
    // Entries take effect once committed; an entry at an index already seen replaces it and all later ones.
    private static Database LoadClustered(OvsdbLogReader reader, OvsdbLogRecord first, string name)
    {
        using var headerDoc = Parse(reader, first);
        var header = headerDoc.RootElement;
        if (!header.TryGetProperty("prev_data", out var prevData) || prevData.ValueKind != JsonValueKind.Array
            || prevData.GetArrayLength() != 2)
        {
            throw reader.Error(first.Number, first.Offset,
                "clustered header has no snapshot (\"prev_data\": [schema, data]); a server that has only joined a " +
                "cluster and never received a snapshot has no data to load");
        }

        var db = new Database(ParseSchema(reader, first, prevData[0])) { Source = name };
        Apply(reader, first, db, prevData[1]);
        db.RebuildServerOrder();
        ulong prevIndex = header.TryGetProperty("prev_index", out var pi) ? pi.GetUInt64() : 0;

        var entries = new SortedDictionary<ulong, (OvsdbLogRecord Record, JsonDocument Doc)>();
        ulong commitIndex = prevIndex;
        try
        {
            while (reader.Next() is { } record)
            {
                var doc = Parse(reader, record);
                try
                {
                    ReadRaftRecord(reader, record, doc, entries, prevIndex, ref commitIndex);
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException)
                {
                    doc.Dispose();
                    throw reader.Error(record.Number, record.Offset, $"bad raft record: {e.Message}");
                }
            }

            int uncommitted = 0;
            foreach (var (index, (record, doc)) in entries)
            {
                if (index > commitIndex)
                {
                    uncommitted++;
                    continue;
                }

                if (!doc.RootElement.TryGetProperty("data", out var data))
                {
                    continue; // a configuration change (servers) or a no-op entry
                }

                JsonElement txn = data;
                if (data.ValueKind == JsonValueKind.Array)
                {
                    if (data.GetArrayLength() != 2)
                    {
                        throw reader.Error(record.Number, record.Offset, "entry data is not [schema, data]");
                    }

                    if (data[0].ValueKind != JsonValueKind.Null)
                    {
                        // A schema conversion: the new schema replaces the old, the entry's data is the whole database.
                        db = new Database(ParseSchema(reader, record, data[0])) { Source = name };
                    }

                    txn = data[1];
                }

                if (txn.ValueKind != JsonValueKind.Null)
                {
                    Apply(reader, record, db, txn);
                }
            }

            if (uncommitted > 0)
            {
                db.Warnings.Add($"{name}: {uncommitted} raft log entr{(uncommitted == 1 ? "y" : "ies")} after the " +
                                $"commit index {commitIndex} not loaded (not known to be committed)");
            }
        }
        finally
        {
            foreach (var (_, doc) in entries.Values)
            {
                doc.Dispose();
            }
        }

        return db;
    }

    private static void ReadRaftRecord(OvsdbLogReader reader, OvsdbLogRecord record, JsonDocument doc,
        SortedDictionary<ulong, (OvsdbLogRecord Record, JsonDocument Doc)> entries, ulong prevIndex, ref ulong commitIndex)
    {
        var json = doc.RootElement;
        if (json.TryGetProperty("commit_index", out var ci))
        {
            commitIndex = Math.Max(commitIndex, ci.GetUInt64());
            doc.Dispose();
        }
        else if (json.TryGetProperty("index", out var ix) && ix.GetUInt64() is var index and > 0
                 && !json.TryGetProperty("vote", out _) && !json.TryGetProperty("leader", out _))
        {
            if (index <= prevIndex)
            {
                throw reader.Error(record.Number, record.Offset,
                    $"entry index {index} is not after the snapshot's index {prevIndex}");
            }

            foreach (var later in entries.Keys.Where(k => k >= index).ToList())
            {
                entries[later].Doc.Dispose();
                entries.Remove(later);
            }

            entries[index] = (record, doc);
        }
        else
        {
            doc.Dispose();
        }
    }

    private static JsonDocument Parse(OvsdbLogReader reader, OvsdbLogRecord record)
    {
        try
        {
            var doc = JsonDocument.Parse(record.Body, new JsonDocumentOptions { MaxDepth = 256 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw reader.Error(record.Number, record.Offset, "record is not a JSON object");
            }

            return doc;
        }
        catch (JsonException e)
        {
            throw reader.Error(record.Number, record.Offset, $"record is not valid JSON ({e.Message})");
        }
    }

    private static DatabaseSchema ParseSchema(OvsdbLogReader reader, OvsdbLogRecord record, JsonElement json)
    {
        try
        {
            return DatabaseSchema.Parse(json);
        }
        catch (Exception e) when (e is OvsdbSchemaException or OvsdbDataException or InvalidOperationException
                                      or FormatException)
        {
            throw reader.Error(record.Number, record.Offset, $"bad schema: {e.Message}");
        }
    }

    private static void Apply(OvsdbLogReader reader, OvsdbLogRecord record, Database db, JsonElement txn)
    {
        try
        {
            db.ApplyFileTransaction(txn, "transaction");
        }
        catch (OvsdbDataException e)
        {
            throw reader.Error(record.Number, record.Offset, e.Message);
        }
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OvsdbFileException(path, $"cannot open: {e.Message}");
        }
    }
}
