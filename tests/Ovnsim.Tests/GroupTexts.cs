using System.Globalization;
using System.Text.RegularExpressions;
using Ovnsim.OpenFlow;

namespace Ovnsim.Tests;

/// <summary>
/// Group ids are allocated differently in every run, so flow dumps are compared with each <c>group:N</c> replaced by
/// the group's own text (what follows <c>group_id=N,</c> in <c>ovs-ofctl dump-groups</c>).
/// </summary>
internal static partial class GroupTexts
{
    /// <summary>A real groups.txt in DIR: id to text.</summary>
    public static Dictionary<string, string> Real(string dir) =>
        File.ReadLines(Path.Combine(dir, "groups.txt")).Select(l => GroupLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    /// <summary>A line with the real groups' texts in place of their ids.</summary>
    public static string Inline(string line, IReadOnlyDictionary<string, string> real) =>
        GroupRefs().Replace(line, g => $"group:[{real[g.Groups[1].Value]}]");

    /// <summary>A line with ovnsim's groups' texts in place of their ids.</summary>
    public static string Inline(string line, GroupTable groups) =>
        GroupRefs().Replace(line, g => $"group:[{groups.Groups[int.Parse(g.Groups[1].Value, CultureInfo.InvariantCulture) - 1].Text}]");

    [GeneratedRegex(@"^ group_id=(\d+),(.*)$")]
    private static partial Regex GroupLine();

    [GeneratedRegex(@"group:(\d+)")]
    private static partial Regex GroupRefs();
}
