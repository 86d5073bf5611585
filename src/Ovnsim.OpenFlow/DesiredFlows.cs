namespace Ovnsim.OpenFlow;

/// <summary>
/// ovn-controller's desired flow table (controller/ofctrl.c): one flow per table, priority and match. A flow whose
/// table, priority and match are already there is not added again (the first one stays), except that
/// <see cref="AddOrAppend"/> (<c>ofctrl_add_or_append_flow</c>, which lflow.c uses for conjunction clauses) appends
/// its conjunction actions to an existing flow of conjunction actions.
/// </summary>
public sealed class DesiredFlows
{
    private readonly List<OpenFlowFlow> _flows = [];
    private readonly Dictionary<(int, int, string), int> _index = [];

    /// <summary>The flows, in the order first added.</summary>
    public IReadOnlyList<OpenFlowFlow> Flows => _flows;

    /// <summary><c>ofctrl_add_flow</c>: adds a flow unless one with its table, priority and match is there.</summary>
    public void Add(OpenFlowFlow flow) => Add(flow, append: false);

    /// <summary><c>ofctrl_add_or_append_flow</c>: as <see cref="Add(OpenFlowFlow)"/>, but conjunctions append.</summary>
    public void AddOrAppend(OpenFlowFlow flow) => Add(flow, append: true);

    private void Add(OpenFlowFlow flow, bool append)
    {
        var key = (flow.Table, flow.Priority, flow.MatchText);
        if (_index.TryGetValue(key, out int at))
        {
            if (append && IsConjunctions(flow.ActionList) && IsConjunctions(_flows[at].ActionList))
            {
                _flows[at] = _flows[at] with { ActionList = [.. _flows[at].ActionList, .. flow.ActionList] };
            }

            return;
        }

        _index[key] = _flows.Count;
        _flows.Add(flow);
    }

    /// <summary>Adds a flow built from a match and actions.</summary>
    public void Add(int table, int priority, uint cookie, OvsMatch match, IReadOnlyList<OfAction> actions) =>
        Add(new OpenFlowFlow(table, priority, cookie, match, actions));

    private static bool IsConjunctions(IReadOnlyList<OfAction> actions) => actions.Count > 0 && actions[0] is ConjunctionAction;
}
