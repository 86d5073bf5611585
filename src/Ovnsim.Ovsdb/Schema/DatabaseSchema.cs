using System.Text.Json;

namespace Ovnsim.Ovsdb.Schema;

/// <summary>A database schema (RFC 7047 section 3.2, <c>&lt;database-schema&gt;</c>) as a database file holds it.</summary>
public sealed class DatabaseSchema
{
    private readonly Dictionary<string, TableSchema> _tables;

    private DatabaseSchema(string name, string version, string? checksum, Dictionary<string, TableSchema> tables, string json)
    {
        Name = name;
        Version = version;
        Checksum = checksum;
        _tables = tables;
        Json = json;
    }

    /// <summary>The database name, e.g. <c>OVN_Northbound</c>.</summary>
    public string Name { get; }

    /// <summary>The schema version, e.g. <c>7.0.0</c>.</summary>
    public string Version { get; }

    /// <summary>The schema's <c>cksum</c>, when present.</summary>
    public string? Checksum { get; }

    /// <summary>The schema's JSON text, kept so a database built from it can be written out again.</summary>
    public string Json { get; }

    /// <summary>The tables, by name.</summary>
    public IReadOnlyDictionary<string, TableSchema> Tables => _tables;

    /// <summary>Finds a table by exact name.</summary>
    public TableSchema? FindTable(string name) => _tables.GetValueOrDefault(name);

    /// <summary>Parses a schema from its JSON text.</summary>
    public static DatabaseSchema Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Parse(doc.RootElement);
    }

    /// <summary>Parses a schema from a JSON object.</summary>
    public static DatabaseSchema Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbSchemaException("schema must be a JSON object");
        }

        string name = json.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : throw new OvsdbSchemaException("schema has no \"name\"");
        string version = json.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "";
        string? cksum = json.TryGetProperty("cksum", out var c) ? c.GetString() : null;
        if (!json.TryGetProperty("tables", out var tablesJson) || tablesJson.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbSchemaException($"schema {name} has no \"tables\"");
        }

        var tables = new Dictionary<string, TableSchema>(StringComparer.Ordinal);
        foreach (var t in tablesJson.EnumerateObject())
        {
            tables[t.Name] = TableSchema.Parse(t.Name, t.Value);
        }

        foreach (var table in tables.Values)
        {
            foreach (var column in table.Columns)
            {
                foreach (var bt in new[] { column.Type.Key, column.Type.Value })
                {
                    if (bt?.RefTable is { } target && !tables.ContainsKey(target))
                    {
                        throw new OvsdbSchemaException(
                            $"table {table.Name} column {column.Name} refers to undefined table {target}");
                    }
                }
            }
        }

        return new DatabaseSchema(name, version, cksum, tables, json.GetRawText());
    }
}
