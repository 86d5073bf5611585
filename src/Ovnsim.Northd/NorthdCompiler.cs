using Ovnsim.Northd.Flows;
using Ovnsim.Northd.Southbound;
using Ovnsim.Northd.Topology;
using Ovnsim.Ovsdb.Northbound;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Northd;

/// <summary>
/// ovn-northd 23.03 in one call: compiles an NB database into the Southbound state it would write — datapath
/// bindings with tunnel keys and every logical flow — optionally against an existing SB database whose tunnel keys,
/// datapath UUIDs and chassis it keeps, as northd does when it restarts.
/// </summary>
public static class NorthdCompiler
{
    /// <summary>Compiles <paramref name="nb"/>; <paramref name="sb"/>, if given, supplies keys, UUIDs and chassis.</summary>
    public static NorthdResult Compile(NorthboundDatabase nb, SouthboundDatabase? sb = null)
    {
        var topology = TopologyBuilder.Build(nb, sb);
        var ctx = new FlowContext(topology, ChassisFeatures.From(sb));

        // The order of build_lswitch_and_lrouter_flows: per datapath, per port, per load balancer. Flows are a set
        // per datapath, so the order only matters for readability.
        foreach (var od in topology.Datapaths)
        {
            if (od.IsSwitch)
            {
                SwitchAclFlows.Build(ctx, od);
                SwitchLoadBalancerFlows.Build(ctx, od);
                SwitchPortSecurityFlows.Build(ctx, od);
                SwitchArpNdResponderFlows.Build(ctx, od);
                SwitchL2LookupFlows.Build(ctx, od);
            }
            else
            {
                RouterAdmissionFlows.Build(ctx, od);
                RouterRoutingFlows.Build(ctx, od);
                RouterArpResolveFlows.Build(ctx, od);
                RouterChassisRedirectFlows.Build(ctx, od);
                RouterArpRequestFlows.Build(ctx, od);
                RouterIpInputFlows.Build(ctx, od);
                RouterNatFlows.Build(ctx, od);
                RouterLoadBalancerFlows.Build(ctx, od);
            }
        }

        foreach (var op in topology.Ports.Values)
        {
            if (op.Nbsp is not null)
            {
                SwitchPortSecurityFlows.Build(ctx, op);
                SwitchArpNdResponderFlows.Build(ctx, op);
                SwitchL2LookupFlows.Build(ctx, op);
                RouterRoutingFlows.Build(ctx, op);
                RouterArpResolveFlows.Build(ctx, op);
            }
            else
            {
                RouterAdmissionFlows.Build(ctx, op);
                RouterRoutingFlows.Build(ctx, op);
                RouterArpResolveFlows.Build(ctx, op);
                RouterArpRequestFlows.Build(ctx, op);
                RouterIpInputFlows.Build(ctx, op);
                GatewayMtuFlows.Build(ctx, op);
            }
        }

        foreach (var lb in topology.LoadBalancers)
        {
            RouterLoadBalancerFlows.Build(ctx, lb);
            SwitchLoadBalancerFlows.Build(ctx, lb);
        }

        return new NorthdResult(topology, ctx.Flows)
        {
            PortBindings = SouthboundBuilder.PortBindings(topology, sb),
            MulticastGroups = SouthboundBuilder.MulticastGroups(topology),
            AddressSets = SouthboundBuilder.AddressSets(topology, sb),
            LoadBalancers = SouthboundBuilder.LoadBalancers(topology),
        };
    }
}

/// <summary>One Logical_Flow row: the flow and the datapath (one) or datapath group (several) it applies to.</summary>
/// <param name="Flow">The flow.</param>
/// <param name="Datapaths">Its datapaths.</param>
public sealed record SbLogicalFlowRow(LogicalFlow Flow, IReadOnlyList<SbDatapath> Datapaths)
{
    /// <summary>The row's <c>tags:in_out_port</c>, or null.</summary>
    public string? InOutPort { get; init; }
}

/// <summary>What <see cref="NorthdCompiler.Compile"/> produced.</summary>
public sealed class NorthdResult
{
    private readonly NorthdTopology _topology;
    private readonly FlowTable _flows;

    internal NorthdResult(NorthdTopology topology, FlowTable flows)
    {
        _topology = topology;
        _flows = flows;
        Warnings = [.. topology.Warnings.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The Datapath_Binding rows, in NB order (switches, then routers).</summary>
    public IReadOnlyList<SbDatapath> Datapaths => [.. _topology.Datapaths.Select(d => d.Sb)];

    /// <summary>The Port_Binding rows.</summary>
    public required IReadOnlyList<SbPortBinding> PortBindings { get; init; }

    /// <summary>The Multicast_Group rows.</summary>
    public required IReadOnlyList<SbMulticastGroup> MulticastGroups { get; init; }

    /// <summary>The Address_Set rows northd derives.</summary>
    public required IReadOnlyList<SbAddressSet> AddressSets { get; init; }

    /// <summary>The SB Load_Balancer rows.</summary>
    public required IReadOnlyList<SbLoadBalancerRow> LoadBalancers { get; init; }

    /// <summary>The flows of each datapath binding.</summary>
    public IReadOnlyDictionary<SbDatapath, IReadOnlyCollection<LogicalFlow>> Flows =>
        _flows.ByDatapath.ToDictionary(kv => kv.Key.Sb, kv => (IReadOnlyCollection<LogicalFlow>)kv.Value);

    /// <summary>The total number of logical flows as dump-flows counts them (one per datapath).</summary>
    public int FlowCount => _flows.Count;

    /// <summary>Input northd ignored or cannot simulate yet, one line each.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// The Logical_Flow rows northd writes: a flow built identically for several datapaths (same stage, priority,
    /// match and actions) is one row on a datapath group (<c>do_ovn_lflow_add</c> and the dp-group sync); a flow of
    /// one datapath is a row on that datapath.
    /// </summary>
    public IReadOnlyList<SbLogicalFlowRow> LogicalFlowRows() =>
        [.. _flows.ByDatapath.SelectMany(kv => kv.Value.Select(f => (Flow: f, kv.Key.Sb)))
            .GroupBy(x => x.Flow)
            .Select(g => new SbLogicalFlowRow(g.Key, [.. g.Select(x => x.Sb)]) { InOutPort = _flows.InOutPort(g.Key) })];

    /// <summary>The flows as <c>ovn-sbctl dump-flows</c> lists them.</summary>
    public IReadOnlyList<LflowListing> Listing() =>
        [.. _flows.ByDatapath.SelectMany(kv => kv.Value.Select(f => new LflowListing(
            kv.Key.Sb, f.Stage.PipelineName, f.Stage.Table, f.Stage.Name, f.Priority, f.Match, f.Actions)))];
}
