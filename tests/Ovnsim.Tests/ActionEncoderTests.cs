using System.Globalization;
using System.Text.RegularExpressions;
using Ovnsim.OpenFlow;

namespace Ovnsim.Tests;

/// <summary>
/// The action half of ovn-controller's translation against the real one: every logical flow whose actions ovnsim
/// encodes gives, for each of its OpenFlow matches, exactly a flow that real ovn-controller installed (match and
/// actions as ovs-ofctl printed them, group references replaced by the group's text, conjunction ids left out).
/// </summary>
public sealed partial class ActionEncoderTests
{
    [Theory]
    [MemberData(nameof(MatchCompilerTests.Hypervisors), MemberType = typeof(MatchCompilerTests))]
    public void Encoded_actions_are_the_actions_real_ovn_controller_installed(string dir)
    {
        var realGroups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(Path.Combine(dir, "groups.txt")))
        {
            var g = Regex.Match(line, @"^ group_id=(\d+),(.*)$");
            if (g.Success)
            {
                realGroups[g.Groups[1].Value] = g.Groups[2].Value;
            }
        }

        var reference = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadLines(Path.Combine(dir, "openflow-nostats.txt")))
        {
            var m = Regex.Match(raw, @"^ cookie=0x[0-9a-f]+, table=(\d+), (.*)$");
            if (m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is (>= 8 and <= 36) or (>= 42 and <= 63))
            {
                string text = GroupRefs().Replace(m.Groups[2].Value, g => $"group:[{realGroups[g.Groups[1].Value]}]");
                reference.Add($"table={m.Groups[1].Value}, {ConjIds().Replace(text, "conj_id=*")}");
            }
        }

        var groups = new GroupTable();
        var failures = new List<string>();
        var unsupported = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int encoded = 0;
        foreach (var local in MatchCompilerTests.LocalFlows(dir))
        {
            IReadOnlyList<OfAction> actions;
            var context = new ActionEncodeContext(local.Flow.Pipeline == "ingress", (int)local.Flow.TableId,
                local.Datapath.ExternalIds.ContainsKey("logical-switch"), local.LookupPort, groups);
            try
            {
                actions = LogicalActionEncoder.Encode(local.Actions, context);
            }
            catch (NotSupportedException e)
            {
                unsupported[e.Message] = unsupported.GetValueOrDefault(e.Message) + 1;
                continue;
            }

            encoded++;
            string actionText = GroupRefs().Replace(OfAction.FormatList(actions),
                g => $"group:[{groups.Groups[int.Parse(g.Groups[1].Value, CultureInfo.InvariantCulture) - 1].Text}]");
            foreach (var match in local.Matches.Where(m => m.Conjunctions.Count == 0))
            {
                string text = OfctlMatchFormat.Format(LogicalMatchTranslator.Translate(match, local.Datapath.TunnelKey),
                    (int)local.Flow.Priority);
                string line = $"table={local.Table}, {ConjIds().Replace(text, "conj_id=*")} actions={actionText}";
                if (!reference.Contains(line))
                {
                    failures.Add($"{local.Flow.Pipeline} {local.Flow.TableId} ({local.Flow.Actions})\n   ovnsim: {line}");
                }
            }
        }

        Assert.True(encoded > 50, $"only {encoded} flows encoded; not encoded: {string.Join(", ", unsupported)}");
        Assert.True(failures.Count == 0, $"{failures.Count} flows of {encoded} are not among the real ones:\n"
                                         + string.Join("\n", failures.Take(25)));
        Console.WriteLine($"{Path.GetFileName(dir)}: {encoded} flows encoded; not yet: {string.Join(", ", unsupported)}");
    }

    [GeneratedRegex(@"conj_id=\d+")]
    private static partial Regex ConjIds();

    [GeneratedRegex(@"group:(\d+)")]
    private static partial Regex GroupRefs();
}
