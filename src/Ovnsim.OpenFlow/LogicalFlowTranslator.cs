using Ovnsim.Logical;
using Ovnsim.Logical.Actions;
using Ovnsim.Logical.Expressions;
using Ovnsim.Ovsdb.Ordering;
using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.OpenFlow;

/// <summary>One OpenFlow flow ovn-controller installs.</summary>
/// <param name="Table">The OpenFlow table.</param>
/// <param name="Priority">The priority.</param>
/// <param name="Cookie">The cookie: the first 32 bits of the logical flow's UUID.</param>
/// <param name="Match">The match.</param>
/// <param name="ActionList">The actions.</param>
public sealed record OpenFlowFlow(int Table, int Priority, uint Cookie, OvsMatch Match, IReadOnlyList<OfAction> ActionList)
{
    /// <summary>The actions as ovs-ofctl prints them.</summary>
    public string Actions => OfAction.FormatList(ActionList);

    /// <summary>The match as ovs-ofctl prints it (with the priority in its place).</summary>
    public string MatchText => OfctlMatchFormat.Format(Match, Priority);

    /// <summary>The line <c>ovs-ofctl --no-stats dump-flows</c> prints for the flow.</summary>
    public string ToOfctlLine() =>
        $" {(Cookie != 0 ? $"cookie=0x{Cookie:x}, " : "")}{(Table != 0 ? $"table={Table}, " : "")}{MatchText} actions={Actions}";
}

/// <summary>The flows and groups ovn-controller derives from the logical flows, and what it left out.</summary>
/// <param name="Flows">The flows, in the order first installed.</param>
/// <param name="Groups">The select groups ct_lb_mark asked for.</param>
/// <param name="Skipped">Logical flows not translated, each with why (as ovn-controller logs and skips them).</param>
/// <param name="Translated">How many (logical flow, datapath) pairs were translated.</param>
public sealed record LogicalTranslation(IReadOnlyList<OpenFlowFlow> Flows, GroupTable Groups,
                                        IReadOnlyList<string> Skipped, int Translated);

/// <summary>
/// ovn-controller's lflow.c for one chassis: each logical flow of a datapath local to the chassis is compiled
/// (match and actions) into flows of table 8+N (ingress) or 42+N (egress) with the datapath's key in metadata.
/// </summary>
public static class LogicalFlowTranslator
{
    /// <summary>
    /// Translates the logical flows of <paramref name="sb"/> for the chassis whose bound ports
    /// <paramref name="chassis"/> describes.
    /// </summary>
    public static LogicalTranslation Translate(SouthboundDatabase sb, ChassisView chassis) =>
        Translate(sb, chassis, new DesiredFlows());

    /// <summary>Translates into <paramref name="flows"/>, which may already hold other flows.</summary>
    public static LogicalTranslation Translate(SouthboundDatabase sb, ChassisView chassis, DesiredFlows flows)
    {
        var addressSets = sb.AddressSets.ToDictionary(a => a.Name, a => (IReadOnlyList<string>)a.Addresses);
        var compiler = new MatchCompiler(name => addressSets.GetValueOrDefault(name));
        var groups = new GroupTable();
        var skipped = new List<string>();
        var usedConjIds = new HashSet<uint>();
        int translated = 0;
        foreach (var lf in chassis.LocalFlows(sb))
        {
            var flow = lf.Flow;
            IReadOnlyList<ExprMatch> matches;
            IReadOnlyList<OfAction> actions;
            try
            {
                var parsed = ActionParser.Parse(flow.Actions);
                var prerequisites = ActionPrerequisites.Collect(parsed);
                matches = compiler.Compile(flow.Match, prerequisites, chassis.IsResident, lf.LookupPort, out int conjunctions);
                actions = LogicalActionEncoder.Encode(parsed, new ActionEncodeContext(
                    flow.Pipeline == "ingress", (int)flow.TableId, lf.Datapath.ExternalIds.ContainsKey("logical-switch"),
                    lf.LookupPort, groups, lf.Datapath.ExternalIds.ContainsKey("snat-ct-zone")));
                translated++;
                uint conjOffset = conjunctions > 0 ? AllocateConjIds(flow, lf.Datapath, conjunctions, usedConjIds) - 1 : 0;
                uint cookie = UuidText.FirstPart(flow.Uuid);
                foreach (var match in matches)
                {
                    var ovs = LogicalMatchTranslator.Translate(match, lf.Datapath.TunnelKey);
                    if (ovs.ConjId != 0)
                    {
                        ovs.ConjId += conjOffset;
                    }

                    IReadOnlyList<OfAction> list = match.Conjunctions.Count == 0
                        ? actions
                        : [.. match.Conjunctions.Select(c => new ConjunctionAction((uint)(c.Id + conjOffset), c.Clause - 1, c.Clauses))];
                    flows.AddOrAppend(new OpenFlowFlow(lf.Table, (int)flow.Priority, cookie, ovs, list));
                }
            }
            catch (Exception e) when (e is LogicalSyntaxException or NotSupportedException)
            {
                skipped.Add($"{flow.Pipeline} table {flow.TableId} priority {flow.Priority} on {lf.Datapath.Name}: {e.Message}");
            }
        }

        return new LogicalTranslation(flows.Flows, groups, skipped, translated);
    }

    /// <summary>
    /// lflow-conj-ids.c <c>lflow_conj_ids_alloc</c>: a run of free ids starting at
    /// <c>hash_int(uuid_hash(lflow), uuid_hash(datapath))</c>, probing past ids in use.
    /// </summary>
    private static uint AllocateConjIds(LogicalFlow flow, DatapathBinding dp, int count, HashSet<uint> used)
    {
        uint start = OvsHash.Int(UuidText.FirstPart(flow.Uuid), UuidText.FirstPart(dp.Uuid));
        while (true)
        {
            if (start == 0)
            {
                start = 1;
            }

            bool available = true;
            uint id = start;
            for (int i = 0; i < count; i++, id++)
            {
                if (id == 0 || used.Contains(id))
                {
                    available = false;
                    break;
                }
            }

            if (available)
            {
                for (int i = 0; i < count; i++)
                {
                    used.Add(start + (uint)i);
                }

                return start;
            }

            start = id + 1;
        }
    }
}
