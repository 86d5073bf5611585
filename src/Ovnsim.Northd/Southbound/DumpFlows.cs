using System.Text;
using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Northd.Southbound;

/// <summary>
/// Prints logical flows as <c>ovn-sbctl dump-flows</c> (lflow-list) of OVN 23.03 does: one header per datapath and
/// pipeline, flows sorted by datapath name, datapath UUID, pipeline, table, descending priority, match and actions
/// (utilities/ovn-sbctl.c <c>sbctl_lflow_cmp</c>), a flow on a datapath group listed under each member.
/// </summary>
public static class DumpFlows
{
    /// <summary>Renders the listing.</summary>
    public static string Render(IEnumerable<LflowListing> flows)
    {
        var sorted = flows.ToList();
        sorted.Sort(Compare);
        var text = new StringBuilder();
        LflowListing? previous = null;
        foreach (var flow in sorted)
        {
            if (previous is null || previous.Datapath.Uuid != flow.Datapath.Uuid || previous.Pipeline != flow.Pipeline)
            {
                text.Append("Datapath: ").Append(DatapathName(flow.Datapath))
                    .Append(" (").Append(UuidText.Format(flow.Datapath.Uuid)).Append(")  Pipeline: ")
                    .Append(flow.Pipeline).Append('\n');
            }

            text.Append("  table=").Append(flow.Table.ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(2))
                .Append('(').Append(flow.StageName.PadRight(19)).Append("), priority=")
                .Append(flow.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(5))
                .Append(", match=(").Append(flow.Match).Append("), action=(").Append(flow.Actions).Append(")\n");
            previous = flow;
        }

        return text.ToString();
    }

    /// <summary>The listing of an SB database's own Logical_Flow rows, each under every datapath it applies to.</summary>
    public static IReadOnlyList<LflowListing> FromSouthbound(SouthboundDatabase sb)
    {
        var datapaths = new Dictionary<Guid, SbDatapath>();
        SbDatapath Get(DatapathBinding binding)
        {
            if (!datapaths.TryGetValue(binding.Uuid, out var dp))
            {
                dp = new SbDatapath(binding.Uuid, binding.TunnelKey, binding.ExternalIds);
                datapaths.Add(binding.Uuid, dp);
            }

            return dp;
        }

        var listing = new List<LflowListing>();
        foreach (var flow in sb.LogicalFlows)
        {
            var members = new List<DatapathBinding>();
            if (flow.LogicalDatapath is { } single)
            {
                members.Add(single);
            }

            if (flow.LogicalDpGroup is { } group)
            {
                members.AddRange(group.Datapaths);
            }

            foreach (var member in members)
            {
                listing.Add(new LflowListing(Get(member), flow.Pipeline, flow.TableId, flow.StageName, flow.Priority,
                    flow.Match, flow.Actions));
            }
        }

        return listing;
    }

    private static string DatapathName(SbDatapath dp)
    {
        string? name = dp.ExternalIds.GetValueOrDefault("name");
        string? name2 = dp.ExternalIds.GetValueOrDefault("name2");
        return (name, name2) switch
        {
            (not null, not null) => $"\"{name}\" aka \"{name2}\"",
            (not null, null) => $"\"{name}\"",
            (null, not null) => $"\"{name2}\"",
            _ => "",
        };
    }

    private static int Compare(LflowListing a, LflowListing b)
    {
        int cmp = string.CompareOrdinal(a.Datapath.Name, b.Datapath.Name);
        if (cmp != 0)
        {
            return cmp;
        }

        cmp = UuidText.Compare(a.Datapath.Uuid, b.Datapath.Uuid);
        if (cmp != 0)
        {
            return cmp;
        }

        cmp = PipelineOrder(a.Pipeline).CompareTo(PipelineOrder(b.Pipeline));
        if (cmp != 0)
        {
            return cmp;
        }

        cmp = a.Table.CompareTo(b.Table);
        if (cmp != 0)
        {
            return cmp;
        }

        cmp = b.Priority.CompareTo(a.Priority);
        if (cmp != 0)
        {
            return cmp;
        }

        cmp = string.CompareOrdinal(a.Match, b.Match);
        return cmp != 0 ? cmp : string.CompareOrdinal(a.Actions, b.Actions);
    }

    private static int PipelineOrder(string pipeline) => pipeline == "ingress" ? 0 : 1;
}
