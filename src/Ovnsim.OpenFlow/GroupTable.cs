namespace Ovnsim.OpenFlow;

/// <summary>
/// The select groups ct_lb/ct_lb_mark create (<c>ovn_extend_table</c>): one per distinct group text, shared by the
/// flows that ask for the same one, numbered from 1 in the order first asked for.
/// </summary>
public sealed class GroupTable
{
    private readonly Dictionary<string, uint> _ids = new(StringComparer.Ordinal);
    private readonly List<(uint Id, string Text)> _groups = [];
    private readonly List<SelectGroup> _structured = [];

    /// <summary>The groups, in the order they were created: id and the text after <c>group_id=N,</c>.</summary>
    public IReadOnlyList<(uint Id, string Text)> Groups => _groups;

    /// <summary>The group with id <paramref name="id"/> (from 1), as the datapath runs it.</summary>
    public SelectGroup Get(uint id) => _structured[(int)id - 1];

    /// <summary>The id of <paramref name="group"/>, whose ofctl text is <paramref name="text"/>, creating it when new.</summary>
    public uint Assign(string text, SelectGroup group)
    {
        if (!_ids.TryGetValue(text, out uint id))
        {
            id = (uint)_groups.Count + 1;
            _ids[text] = id;
            _groups.Add((id, text));
            _structured.Add(group);
        }

        return id;
    }
}

/// <summary>One bucket of a select group.</summary>
/// <param name="Id">bucket_id.</param>
/// <param name="Weight">Its weight.</param>
/// <param name="Actions">Its actions.</param>
public sealed record GroupBucket(uint Id, int Weight, IReadOnlyList<OfAction> Actions);

/// <summary>A select group: how it picks a bucket, and the buckets.</summary>
/// <param name="SelectionMethod"><c>dp_hash</c> or <c>hash</c>.</param>
/// <param name="HashFields">The fields <c>hash</c> hashes, or null.</param>
/// <param name="Buckets">The buckets, in order.</param>
public sealed record SelectGroup(string SelectionMethod, IReadOnlyList<string>? HashFields, IReadOnlyList<GroupBucket> Buckets)
{
}
