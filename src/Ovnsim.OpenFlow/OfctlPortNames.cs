using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ovnsim.OpenFlow;

/// <summary>
/// What <c>ovs-ofctl --names</c> does to ports (lib/ofp-port.c, lib/namemap.c): a port number becomes its name as
/// the switch reports it in the port description (at most 15 characters), quoted as a JSON string unless it is a
/// letter followed by letters and digits; a name two ports share, or a port with two names, stays a number.
/// </summary>
public sealed partial class OfctlPortNames
{
    private const int MaxPortNameLength = 15;
    private readonly Dictionary<long, string> _names = [];

    /// <summary>Builds the map from each OpenFlow port's interface name.</summary>
    public OfctlPortNames(IReadOnlyDictionary<long, string> interfaces)
    {
        var byName = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        foreach (var (port, name) in interfaces)
        {
            string shown = name.Length > MaxPortNameLength ? name[..MaxPortNameLength] : name;
            if (!byName.TryGetValue(shown, out var ports))
            {
                byName[shown] = ports = [];
            }

            ports.Add(port);
        }

        foreach (var (name, ports) in byName)
        {
            if (ports.Count == 1)
            {
                _names[ports[0]] = NeedsQuotes(name) ? Quote(name) : name;
            }
        }
    }

    /// <summary>A flow line with <c>in_port=N</c> and <c>output:N</c> given as names where the map has them.</summary>
    public string Apply(string line)
    {
        string Name(Match m) => _names.TryGetValue(long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), out string? n)
            ? m.Groups[1].Value + n : m.Value;
        return Output().Replace(InPort().Replace(line, Name), Name);
    }

    private static bool NeedsQuotes(string name) =>
        name.Length == 0 || !char.IsAsciiLetter(name[0]) || name.Skip(1).Any(c => !char.IsAsciiLetterOrDigit(c));

    /// <summary><c>json_string_escape</c>.</summary>
    private static string Quote(string name)
    {
        var s = new StringBuilder("\"");
        foreach (char c in name)
        {
            s.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when c < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return s.Append('"').ToString();
    }

    [GeneratedRegex(@"([ ,]in_port=)(\d+)(?=[, ])")]
    private static partial Regex InPort();

    [GeneratedRegex(@"((?<=[=,(])output:)(\d+)(?=[,)]|$)")]
    private static partial Regex Output();
}
