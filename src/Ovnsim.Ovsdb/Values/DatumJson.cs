using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ovnsim.Ovsdb.Schema;

namespace Ovnsim.Ovsdb.Values;

/// <summary>
/// The RFC 7047 JSON notation of values (section 5.1): atoms, <c>["set", […]]</c>, <c>["map", [[k, v], …]]</c>,
/// <c>["uuid", "…"]</c>, typed by the column's schema.
/// </summary>
public static class DatumJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Parses a value of <paramref name="type"/>. <paramref name="where"/> names the place in errors. Constraints
    /// (enums, ranges, sizes) are checked too.
    /// </summary>
    public static Datum Parse(JsonElement json, ColumnType type, string where)
    {
        Datum datum;
        if (type.IsMap)
        {
            if (!IsTagged(json, "map", out var pairs))
            {
                throw new OvsdbDataException($"{where}: expected [\"map\", [...]] for a map column, got {Shorten(json)}");
            }

            var list = new List<KeyValuePair<Atom, Atom>>();
            foreach (var pair in pairs.EnumerateArray())
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2)
                {
                    throw new OvsdbDataException($"{where}: map element {Shorten(pair)} is not a [key, value] pair");
                }

                list.Add(KeyValuePair.Create(ParseAtom(pair[0], type.Key.Type, where), ParseAtom(pair[1], type.Value!.Type, where)));
            }

            datum = Build(() => Datum.Map(list), where);
        }
        else if (IsTagged(json, "set", out var elements))
        {
            var atoms = new List<Atom>();
            foreach (var e in elements.EnumerateArray())
            {
                atoms.Add(ParseAtom(e, type.Key.Type, where));
            }

            datum = Build(() => Datum.Set(atoms), where);
        }
        else
        {
            datum = Datum.Scalar(ParseAtom(json, type.Key.Type, where));
        }

        if (datum.Check(type) is { } error)
        {
            throw new OvsdbDataException($"{where}: {error}");
        }

        return datum;
    }

    /// <summary>Parses one atom of <paramref name="type"/>.</summary>
    public static Atom ParseAtom(JsonElement json, AtomType type, string where)
    {
        switch (type)
        {
            case AtomType.Integer when json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out long i):
                return Atom.FromInteger(i);
            case AtomType.Real when json.ValueKind == JsonValueKind.Number:
                return Atom.FromReal(json.GetDouble());
            case AtomType.Boolean when json.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return Atom.FromBoolean(json.GetBoolean());
            case AtomType.String when json.ValueKind == JsonValueKind.String:
                return Atom.FromString(json.GetString()!);
            case AtomType.Uuid when IsTagged(json, "uuid", out var text) && text.ValueKind == JsonValueKind.String:
                return UuidText.TryParse(text.GetString(), out var uuid)
                    ? Atom.FromUuid(uuid)
                    : throw new OvsdbDataException($"{where}: \"{text.GetString()}\" is not a valid UUID");
            default:
                throw new OvsdbDataException(
                    $"{where}: expected {type.ToString().ToLowerInvariant()}, got {Shorten(json)}");
        }
    }

    /// <summary>Writes a datum as ovsdb-server does: a map as <c>["map", …]</c>, one set element bare, else <c>["set", …]</c>.</summary>
    public static void Write(Utf8JsonWriter writer, Datum datum)
    {
        if (datum.IsMap)
        {
            writer.WriteStartArray();
            writer.WriteStringValue("map");
            writer.WriteStartArray();
            for (int i = 0; i < datum.Count; i++)
            {
                writer.WriteStartArray();
                WriteAtom(writer, datum.Keys[i]);
                WriteAtom(writer, datum.Values[i]);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndArray();
        }
        else if (datum.Count == 1)
        {
            WriteAtom(writer, datum.Keys[0]);
        }
        else
        {
            writer.WriteStartArray();
            writer.WriteStringValue("set");
            writer.WriteStartArray();
            foreach (var atom in datum.Keys)
            {
                WriteAtom(writer, atom);
            }

            writer.WriteEndArray();
            writer.WriteEndArray();
        }
    }

    /// <summary>Writes one atom.</summary>
    public static void WriteAtom(Utf8JsonWriter writer, Atom atom)
    {
        switch (atom.Type)
        {
            case AtomType.Integer:
                writer.WriteNumberValue(atom.Integer);
                break;
            case AtomType.Real:
                writer.WriteRawValue(atom.Real.ToString("R", CultureInfo.InvariantCulture));
                break;
            case AtomType.Boolean:
                writer.WriteBooleanValue(atom.Boolean);
                break;
            case AtomType.String:
                writer.WriteStringValue(atom.String);
                break;
            default:
                writer.WriteStartArray();
                writer.WriteStringValue("uuid");
                writer.WriteStringValue(UuidText.Format(atom.Uuid));
                writer.WriteEndArray();
                break;
        }
    }

    /// <summary>The datum as JSON text.</summary>
    public static string ToJson(Datum datum)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, datum);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static bool IsTagged(JsonElement json, string tag, out JsonElement payload)
    {
        payload = default;
        if (json.ValueKind == JsonValueKind.Array && json.GetArrayLength() == 2
            && json[0].ValueKind == JsonValueKind.String && json[0].ValueEquals(tag))
        {
            payload = json[1];
            return tag == "uuid" || payload.ValueKind == JsonValueKind.Array;
        }

        return false;
    }

    private static Datum Build(Func<Datum> build, string where)
    {
        try
        {
            return build();
        }
        catch (ArgumentException e)
        {
            throw new OvsdbDataException($"{where}: {e.Message}");
        }
    }

    private static string Shorten(JsonElement json)
    {
        string text = json.GetRawText();
        return text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
    }
}
