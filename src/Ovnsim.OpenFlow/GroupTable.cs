namespace Ovnsim.OpenFlow;

/// <summary>
/// The select groups ct_lb/ct_lb_mark create (<c>ovn_extend_table</c>): one per distinct group text, shared by the
/// flows that ask for the same one, numbered from 1 in the order first asked for.
/// </summary>
public sealed class GroupTable
{
    private readonly Dictionary<string, uint> _ids = new(StringComparer.Ordinal);
    private readonly List<(uint Id, string Text)> _groups = [];

    /// <summary>The groups, in the order they were created: id and the text after <c>group_id=N,</c>.</summary>
    public IReadOnlyList<(uint Id, string Text)> Groups => _groups;

    /// <summary>The id of the group with this text, creating it when new.</summary>
    public uint Assign(string text)
    {
        if (!_ids.TryGetValue(text, out uint id))
        {
            id = (uint)_groups.Count + 1;
            _ids[text] = id;
            _groups.Add((id, text));
        }

        return id;
    }
}
