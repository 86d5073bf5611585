using System.Globalization;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Engine;

/// <summary>What became of an injected packet.</summary>
public enum FateKind
{
    /// <summary>The pipeline sent it (or copies of it) out of at least one port.</summary>
    Forwarded,

    /// <summary>Nothing left directly, but the pipeline handed it to ovn-controller (held for ARP/ND, learnt from,
    /// answered).</summary>
    Controller,

    /// <summary>Nothing left and ovn-controller got nothing.</summary>
    Dropped,
}

/// <summary>
/// What became of an injected packet, and for one that went nowhere, where: the logical stage (or physical table)
/// of its last lookup and why — the logical flow whose actions dropped it, or the table that had no flow for it.
/// </summary>
/// <param name="Kind">Forwarded, to the controller, or dropped.</param>
/// <param name="Stage">For a drop, the stage: <c>DATAPATH STAGE (table N)</c>, e.g. <c>router1 lr_in_ip_input
/// (table 3)</c>, or <c>physical table N</c>; for the controller, the actions it was sent for.</param>
/// <param name="Reason">For a drop: <c>drop action of a logical flow (priority P, match M)</c>, <c>no flow
/// matched</c>, …</param>
public sealed record PacketFate(FateKind Kind, string? Stage = null, string? Reason = null)
{
    /// <summary>The fate of a packet that left.</summary>
    public static PacketFate Forwarded { get; } = new(FateKind.Forwarded);
}

/// <summary>One logical flow a packet went through: a step of its logical path.</summary>
/// <param name="Pass">Which pass (0, then 1, 2 … after each recirculation).</param>
/// <param name="Datapath">The logical datapath's name (Neutron's name2 when there is one).</param>
/// <param name="Pipeline"><c>ingress</c> or <c>egress</c>.</param>
/// <param name="Table">The logical table.</param>
/// <param name="Stage">The stage (<c>lr_in_dnat</c>, …).</param>
/// <param name="Priority">The logical flow's priority.</param>
/// <param name="Match">Its match.</param>
/// <param name="Actions">Its actions.</param>
public sealed record PathStep(int Pass, string Datapath, string Pipeline, long Table, string Stage, long Priority, string Match, string Actions);

/// <summary>
/// Logical names for what the bridge did: the logical stage and the reason of a drop from the last lookup
/// (<see cref="LastLookup"/>), and the logical flows of a trace.
/// </summary>
internal sealed class DropExplainer
{
    private readonly Dictionary<uint, LogicalFlow> _byCookie = [];
    private readonly Dictionary<(bool Router, string Pipeline, long Table), string> _stages = [];
    private readonly Dictionary<long, (string Name, bool Router)> _datapaths = [];

    public DropExplainer(SouthboundDatabase sb)
    {
        foreach (var dp in sb.DatapathBindings)
        {
            var ids = dp.ExternalIds;
            bool router = ids.ContainsKey("logical-router");
            string name = ids.GetValueOrDefault("name2") ?? ids.GetValueOrDefault("name") ?? dp.Uuid.ToString()[..8];
            _datapaths[dp.TunnelKey] = (name, router);
        }

        foreach (var lf in sb.LogicalFlows)
        {
            _byCookie.TryAdd(uint.Parse(lf.Uuid.ToString()[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture), lf);
            bool router = lf.LogicalDatapath is { } d
                ? d.ExternalIds.ContainsKey("logical-router")
                : lf.LogicalDpGroup is { Datapaths: [var first, ..] } && first.ExternalIds.ContainsKey("logical-router");
            _stages.TryAdd((router, lf.Pipeline, lf.TableId), lf.StageName);
        }
    }

    /// <summary>The fate of a packet whose last lookup was <paramref name="last"/> (the same lookup, the same answer:
    /// kept, so a flood of identical drops costs no new strings).</summary>
    public PacketFate Explain(LastLookup last)
    {
        if (!_explained.TryGetValue(last, out var fate))
        {
            if (_explained.Count >= 4096)
            {
                _explained.Clear();
            }

            _explained[last] = fate = Describe(last);
        }

        return fate;
    }

    private readonly Dictionary<LastLookup, PacketFate> _explained = [];

    private PacketFate Describe(LastLookup last)
    {
        if (last.LimitDropped)
        {
            return new PacketFate(FateKind.Dropped, StageOf(last), "too many resubmits (the 4,096 limit of one translation)");
        }

        if (last.Flow is null)
        {
            return new PacketFate(FateKind.Dropped, StageOf(last), "no flow matched");
        }

        if (last.Flow.Cookie != 0 && _byCookie.TryGetValue(last.Flow.Cookie, out var lf) && IsLogical(last.Table))
        {
            string actions = lf.Actions.Trim();
            string what = actions is "drop;" or "" ? "drop action" : $"last logical flow ran '{actions}'";
            return new PacketFate(FateKind.Dropped, StageOf(last), $"{what} (priority {lf.Priority}, match ({lf.Match}))");
        }

        string flowActions = last.Flow.Actions;
        return new PacketFate(FateKind.Dropped, StageOf(last),
            flowActions is "drop" or "" ? $"dropped by priority {last.Flow.Priority} flow {last.Flow.MatchText}" : $"last flow ran {flowActions}");
    }

    /// <summary>The logical flows of a trace, in order (OpenFlow flows of no logical flow left out).</summary>
    public List<PathStep> Path(IEnumerable<TraceStep> trace)
    {
        var path = new List<PathStep>();
        foreach (var step in trace)
        {
            if (step.Flow is not { Cookie: not 0 } flow || !IsLogical(step.Table) || !_byCookie.TryGetValue(flow.Cookie, out var lf))
            {
                continue;
            }

            ulong md = KeyFields.Metadata.Get64(step.Key);
            string dp = _datapaths.TryGetValue((long)md, out var d) ? d.Name : $"datapath {md}";
            path.Add(new PathStep(step.Recirculation, dp, lf.Pipeline, lf.TableId, lf.StageName, lf.Priority, lf.Match, lf.Actions));
        }

        return path;
    }

    private static bool IsLogical(int table) =>
        table is >= OfTable.LogicalIngress and < OfTable.OutputInit or >= OfTable.LogicalEgress and < OfTable.SaveInport;

    private string StageOf(LastLookup last)
    {
        string pipeline = last.Table < OfTable.OutputInit ? "ingress" : "egress";
        long table = last.Table - (last.Table < OfTable.OutputInit ? OfTable.LogicalIngress : OfTable.LogicalEgress);
        if (!IsLogical(last.Table))
        {
            return last.Table switch
            {
                OfTable.PhysicalToLogical => "physical table 0 (physical-to-logical: in_port and VLAN to logical port)",
                OfTable.OutputInit or OfTable.OutputLargePktProcess => $"physical table {last.Table} (output: large packet check)",
                OfTable.RemoteOutput => "physical table 39 (output to other chassis)",
                OfTable.LocalOutput => "physical table 40 (output to this chassis)",
                OfTable.CheckLoopback => "physical table 41 (loopback check: no output back to the input port)",
                OfTable.SaveInport => "physical table 64 (egress to ingress loopback)",
                OfTable.LogToPhy => "physical table 65 (logical-to-physical: logical port to OpenFlow port)",
                _ => $"physical table {last.Table}",
            };
        }

        if (!_datapaths.TryGetValue((long)last.Metadata, out var dp))
        {
            return $"{pipeline} table {table} of datapath {last.Metadata}";
        }

        string stage = _stages.GetValueOrDefault((dp.Router, pipeline, table)) ?? $"{pipeline} table {table}";
        return $"{dp.Name} {stage} (table {table})";
    }
}
