using System.Globalization;
using System.Text.RegularExpressions;
using Ovnsim.OpenFlow;

namespace Ovnsim.Tests;

/// <summary>
/// The whole of ovn-controller's translation of logical flows against the real one: the OpenFlow flows of the
/// logical tables (8-36 ingress, 42-63 egress) that ovnsim makes from a golden's sb.db are exactly the flows real
/// ovn-controller installed (match and actions as ovs-ofctl printed them, group references replaced by the group's
/// text, conjunction ids left out).
/// </summary>
public sealed partial class ActionEncoderTests
{
    [Theory]
    [MemberData(nameof(MatchCompilerTests.Hypervisors), MemberType = typeof(MatchCompilerTests))]
    public void Logical_flows_translate_to_the_openflow_flows_and_groups_real_ovn_controller_installed(string dir)
    {
        var (encoded, failures) = CompareFlowTexts(dir);
        Assert.True(encoded > 50, $"only {encoded} logical flows translated");
        Assert.True(failures.Count == 0, $"{failures.Count} differences ({encoded} logical flows translated):\n"
                                         + string.Join("\n", failures.Take(25)));
    }

    /// <summary>
    /// For a directory with sb.db, conf.db, openflow-nostats.txt and groups.txt from the real programs: how many
    /// logical flows were translated, and a line for each OpenFlow flow or group only one side has.
    /// </summary>
    internal static (int Encoded, List<string> Failures) CompareFlowTexts(string dir)
    {
        var realGroups = GroupTexts.Real(dir);

        // Keyed by table and match: when two logical flows give the same table, priority and match, ovn-controller
        // installs one OpenFlow flow with the actions of whichever it met first (its order of SB rows, which
        // ovnsim does not model), so the real actions must be one of ovnsim's candidates.
        var reference = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadLines(Path.Combine(dir, "openflow-nostats.txt")))
        {
            var m = Regex.Match(raw, @"^ cookie=0x[0-9a-f]+, table=(\d+), (.*)$");
            if (m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is (>= 8 and <= 36) or (>= 42 and <= 63))
            {
                string text = GroupTexts.Inline(m.Groups[2].Value, realGroups);
                int split = text.IndexOf(" actions=", StringComparison.Ordinal);
                reference[$"table={m.Groups[1].Value}, {ConjIds().Replace(text[..split], "conj_id=*")}"] =
                    Conjunctions().Replace(text[(split + 9)..], "conjunction");
            }
        }

        var groups = new GroupTable();
        var ours = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
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
            string actionText = GroupTexts.Inline(OfAction.FormatList(actions), groups);
            foreach (var match in local.Matches)
            {
                // A conjunctive clause's actions are its conjunction(id,k/n) memberships, compared without ids.
                string text = OfctlMatchFormat.Format(LogicalMatchTranslator.Translate(match, local.Datapath.TunnelKey),
                    (int)local.Flow.Priority);
                string actionsHere = match.Conjunctions.Count > 0 ? "conjunction" : actionText;
                string key = $"table={local.Table}, {ConjIds().Replace(text, "conj_id=*")}";
                if (!ours.TryGetValue(key, out var candidates))
                {
                    ours[key] = candidates = new HashSet<string>(StringComparer.Ordinal);
                }

                candidates.Add(actionsHere);
            }
        }

        var failures = reference.Where(r => !ours.TryGetValue(r.Key, out var c) || !c.Contains(r.Value))
            .Select(r => $"real only:   {r.Key} actions={r.Value}")
            .Concat(ours.Where(o => !reference.ContainsKey(o.Key)).Select(o => $"ovnsim only: {o.Key} actions={string.Join(" | ", o.Value)}"))
            .Order(StringComparer.Ordinal).ToList();
        var realGroupTexts = realGroups.Values.ToHashSet(StringComparer.Ordinal);
        var ourGroupTexts = groups.Groups.Select(g => g.Text).ToHashSet(StringComparer.Ordinal);
        failures.AddRange(realGroupTexts.Except(ourGroupTexts).Select(g => "real group only:   " + g));
        failures.AddRange(ourGroupTexts.Except(realGroupTexts).Select(g => "ovnsim group only: " + g));
        failures.AddRange(unsupported.Select(u => $"not translated: {u.Key} ({u.Value} flows)"));
        return (encoded, failures);
    }

    /// <summary>
    /// The library's translator for the golden's chassis gives the real logical-table flows line for line,
    /// cookies and conjunction ids included (ids from <c>hash_int</c> of the flow's and datapath's UUIDs); only
    /// group ids are replaced by the groups' texts.
    /// </summary>
    [Theory]
    [MemberData(nameof(MatchCompilerTests.Hypervisors), MemberType = typeof(MatchCompilerTests))]
    public void Translator_gives_the_real_logical_table_flows_with_cookies_and_conjunction_ids(string dir)
    {
        var sb = Ovnsim.Ovsdb.DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        var ifaces = Ovnsim.Ovsdb.DatabaseSources.LoadOpenVswitch(Path.Combine(dir, "conf.db")).Interfaces
            .Select(i => i.ExternalIds.GetValueOrDefault("iface-id")).OfType<string>();
        var result = LogicalFlowTranslator.Translate(sb, ChassisView.Of(sb, null, ifaces));
        var realGroups = GroupTexts.Real(dir);
        var real = File.ReadLines(Path.Combine(dir, "openflow-nostats.txt"))
            .Where(l => Regex.Match(l, @" table=(\d+),") is { Success: true } t
                        && int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture) is (>= 8 and <= 36) or (>= 42 and <= 63))
            .Select(l => GroupTexts.Inline(l, realGroups))
            .ToHashSet(StringComparer.Ordinal);
        var ours = result.Flows.Select(f => GroupTexts.Inline(f.ToOfctlLine(), result.Groups)).ToHashSet(StringComparer.Ordinal);
        var differences = real.Except(ours).Select(l => "real only:   " + l)
            .Concat(ours.Except(real).Select(l => "ovnsim only: " + l)).Order(StringComparer.Ordinal).ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} differ:\n{string.Join("\n", differences.Take(20))}");
    }

    [GeneratedRegex(@"conj_id=\d+")]
    private static partial Regex ConjIds();

    [GeneratedRegex(@"conjunction\(\d+,\d+/\d+\)(,conjunction\(\d+,\d+/\d+\))*")]
    private static partial Regex Conjunctions();

}
