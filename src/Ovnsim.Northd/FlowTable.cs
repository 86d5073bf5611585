using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd;

/// <summary>A logical flow as a value: its stage, priority, match and actions (the datapath is where it is stored).</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Priority">The priority.</param>
/// <param name="Match">The match expression, as northd writes it.</param>
/// <param name="Actions">The actions, as northd writes them.</param>
public sealed record LogicalFlow(Stage Stage, int Priority, string Match, string Actions);

/// <summary>
/// The flows northd builds, per datapath. Adding the same flow to the same datapath twice keeps one, as northd's
/// <c>ovn_lflow_add</c> does; a flow on several datapaths is what northd stores once with a datapath group.
/// </summary>
internal sealed class FlowTable
{
    private readonly Dictionary<Datapath, HashSet<LogicalFlow>> _flows = [];
    private readonly Dictionary<LogicalFlow, string> _inOutPorts = [];
    private readonly HashSet<LogicalFlow> _seen = [];

    /// <summary>The flows of each datapath.</summary>
    public IReadOnlyDictionary<Datapath, HashSet<LogicalFlow>> ByDatapath => _flows;

    /// <summary>
    /// The <c>in_out_port</c> tag of a flow added with one (<c>ovn_lflow_add_with_lport_and_hint</c>): the port its
    /// match names, which lets ovn-controller skip the flow where the port is not local. The first flow added with
    /// the same stage, priority, match and actions keeps its tag (or lack of one), as northd's lflow map does.
    /// </summary>
    public string? InOutPort(LogicalFlow flow) => _inOutPorts.GetValueOrDefault(flow);

    /// <summary>Adds one flow to one datapath, tagged with the logical port its match is about.</summary>
    public void Add(Datapath od, Stage stage, int priority, string match, string actions, string? inOutPort)
    {
        var flow = new LogicalFlow(stage, priority, match, actions);
        bool known = _seen.Contains(flow);
        Add(od, stage, priority, match, actions);
        if (!known && inOutPort is not null)
        {
            _inOutPorts[flow] = inOutPort;
        }
    }

    /// <summary>Adds one flow to one datapath; the stage must belong to the datapath's kind.</summary>
    public void Add(Datapath od, Stage stage, int priority, string match, string actions)
    {
        if ((stage.Kind == DatapathKind.Switch) != od.IsSwitch)
        {
            throw new InvalidOperationException($"stage {stage.Name} added to {(od.IsSwitch ? "switch" : "router")} {od.Name}");
        }

        if (!_flows.TryGetValue(od, out var set))
        {
            set = [];
            _flows.Add(od, set);
        }

        var added = new LogicalFlow(stage, priority, match, actions);
        set.Add(added);
        _seen.Add(added);
    }

    /// <summary>Adds one flow to each datapath of a group (<c>ovn_lflow_add_with_dp_group</c>).</summary>
    public void Add(IEnumerable<Datapath> group, Stage stage, int priority, string match, string actions)
    {
        foreach (var od in group)
        {
            Add(od, stage, priority, match, actions);
        }
    }

    /// <summary>The number of flows summed over datapaths.</summary>
    public int Count => _flows.Values.Sum(s => s.Count);
}
