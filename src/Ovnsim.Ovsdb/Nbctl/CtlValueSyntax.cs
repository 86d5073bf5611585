using System.Globalization;
using System.Text;
using System.Text.Json;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>
/// The value syntax of the ovs-vsctl family's database commands (ovs-vsctl(8) "Database Values",
/// <c>lib/ovsdb-data.c</c>): tokens that end at <c>:=, []{}!&lt;&gt;</c> unless backslash-escaped or inside double
/// quotes; strings bare or as JSON strings; sets as <c>[a, b]</c> or bare lists; maps as <c>{k=v, …}</c>.
/// </summary>
internal static class CtlValueSyntax
{
    private const string Delimiters = ":=, []{}!<>";

    /// <summary>
    /// Reads one token from <paramref name="s"/> at <paramref name="pos"/> (<c>ovsdb_token_parse</c>): a backslash
    /// escapes the next character (and is dropped outside quotes); double quotes are kept and make delimiters literal.
    /// </summary>
    public static string ReadToken(string s, ref int pos)
    {
        var token = new StringBuilder();
        bool inQuotes = false;
        while (pos < s.Length)
        {
            char c = s[pos++];
            if (c == '\\')
            {
                if (inQuotes)
                {
                    token.Append('\\');
                }

                if (pos >= s.Length)
                {
                    throw new FormatException($"{s}: backslash at end of argument");
                }

                token.Append(s[pos++]);
            }
            else if (!inQuotes && Delimiters.Contains(c, StringComparison.Ordinal))
            {
                pos--;
                break;
            }
            else
            {
                token.Append(c);
                if (c == '"')
                {
                    inQuotes = !inQuotes;
                }
            }
        }

        if (inQuotes)
        {
            throw new FormatException($"{s}: quoted string extends past end of argument");
        }

        return token.ToString();
    }

    /// <summary>Parses one atom from a token (<c>ovsdb_atom_from_string</c>), resolving <c>@name</c> UUIDs.</summary>
    public static Atom ParseAtom(string token, BaseType type, Func<string, Guid>? symbol)
    {
        Atom atom;
        switch (type.Type)
        {
            case AtomType.Integer:
                atom = long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i)
                    ? Atom.FromInteger(i)
                    : throw new FormatException($"\"{token}\" is not a valid integer");
                break;
            case AtomType.Real:
                atom = double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double r)
                    ? Atom.FromReal(r)
                    : throw new FormatException($"\"{token}\" is not a valid real number");
                break;
            case AtomType.Boolean:
                atom = token switch
                {
                    "true" or "yes" or "on" or "1" => Atom.FromBoolean(true),
                    "false" or "no" or "off" or "0" => Atom.FromBoolean(false),
                    _ => throw new FormatException($"\"{token}\" is not a valid boolean (use \"true\" or \"false\")"),
                };
                break;
            case AtomType.String:
                atom = Atom.FromString(ParseString(token));
                break;
            default:
                if (token.StartsWith('@') && symbol is not null)
                {
                    atom = Atom.FromUuid(symbol(token));
                }
                else
                {
                    atom = UuidText.TryParse(token, out var uuid)
                        ? Atom.FromUuid(uuid)
                        : throw new FormatException($"\"{token}\" is not a valid UUID");
                }

                break;
        }

        if (type.CheckConstraints(atom) is { } error)
        {
            throw new FormatException(error);
        }

        return atom;
    }

    /// <summary>
    /// Parses a whole value of <paramref name="type"/> (<c>ovsdb_datum_from_string</c>): atoms or key=value pairs
    /// separated by spaces or commas, optionally in <c>[]</c> (set) or <c>{}</c> (map), which an empty value needs.
    /// </summary>
    public static Datum ParseDatum(string s, ColumnType type, Func<string, Guid>? symbol)
    {
        bool isMap = type.IsMap;
        int p = SkipSpaces(s, 0);
        char end = '\0';
        if (p < s.Length && s[p] == (isMap ? '{' : '['))
        {
            end = isMap ? '}' : ']';
            p = SkipSpaces(s, p + 1);
        }
        else if (p >= s.Length)
        {
            throw new FormatException(isMap ? "use \"{}\" to specify the empty map" : "use \"[]\" to specify the empty set");
        }

        var keys = new List<Atom>();
        var values = new List<Atom>();
        while (p < s.Length && s[p] != end)
        {
            if (Delimiters.Contains(s[p], StringComparison.Ordinal))
            {
                throw new FormatException($"{s}: unexpected \"{s[p]}\" parsing {Describe(type)}");
            }

            keys.Add(ParseAtom(ReadToken(s, ref p), type.Key, symbol));
            if (type.Value is { } valueType)
            {
                p = SkipSpaces(s, p);
                if (p >= s.Length || s[p] != '=')
                {
                    throw new FormatException($"{s}: syntax error at \"{(p < s.Length ? s[p] : ' ')}\" expecting \"=\"");
                }

                p = SkipSpaces(s, p + 1);
                values.Add(ParseAtom(ReadToken(s, ref p), valueType, symbol));
            }

            p = SkipSpaces(s, p);
            if (p < s.Length && s[p] == ',')
            {
                p = SkipSpaces(s, p + 1);
            }
        }

        if (end != '\0')
        {
            if (p >= s.Length)
            {
                throw new FormatException($"{s}: missing \"{end}\" at end of data");
            }

            if (SkipSpaces(s, p + 1) < s.Length)
            {
                throw new FormatException($"{s}: trailing garbage after \"{end}\"");
            }
        }
        else if (p < s.Length)
        {
            throw new FormatException($"{s}: unexpected \"{s[p]}\" parsing {Describe(type)}");
        }

        if (keys.Count < type.Min)
        {
            throw new FormatException($"{s}: {keys.Count} {(isMap ? "pair(s)" : "value(s)")} specified but the minimum number is {type.Min}");
        }

        if (keys.Count > type.Max)
        {
            throw new FormatException($"{s}: {keys.Count} {(isMap ? "pair(s)" : "value(s)")} specified but the maximum number is {type.Max}");
        }

        try
        {
            return isMap ? Datum.Map(keys.Zip(values, KeyValuePair.Create)) : Datum.Set(keys);
        }
        catch (ArgumentException)
        {
            throw new FormatException(isMap ? $"{s}: map contains duplicate key" : $"{s}: set contains duplicate value");
        }
    }

    /// <summary>A string atom: a JSON string when it starts with a quote, else the text itself.</summary>
    public static string ParseString(string token)
    {
        if (token.Length == 0)
        {
            throw new FormatException("An empty string is not valid as input; use \"\" to represent the empty string");
        }

        if (token[0] != '"')
        {
            return token;
        }

        if (token.Length < 2 || token[^1] != '"')
        {
            throw new FormatException($"{token}: missing quote at end of quoted string");
        }

        try
        {
            return JsonSerializer.Deserialize<string>(token) ?? "";
        }
        catch (JsonException e)
        {
            throw new FormatException($"{token}: {e.Message}");
        }
    }

    private static int SkipSpaces(string s, int p)
    {
        while (p < s.Length && char.IsWhiteSpace(s[p]))
        {
            p++;
        }

        return p;
    }

    private static string Describe(ColumnType type) => type.IsMap ? "map" : type.Max > 1 ? "set" : "value";
}
