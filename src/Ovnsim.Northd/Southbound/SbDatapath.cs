namespace Ovnsim.Northd.Southbound;

/// <summary>
/// A Datapath_Binding as northd writes it: the SB row's UUID, its tunnel key and the <c>external_ids</c> that name
/// it (<c>name</c>, <c>name2</c>, <c>logical-switch</c> or <c>logical-router</c>, …).
/// </summary>
/// <param name="Uuid">The SB row's UUID.</param>
/// <param name="TunnelKey">The datapath's tunnel key (the OpenFlow metadata).</param>
/// <param name="ExternalIds">The external_ids column.</param>
public sealed record SbDatapath(Guid Uuid, long TunnelKey, IReadOnlyDictionary<string, string> ExternalIds)
{
    /// <summary>The <c>external_ids:name</c>, or "".</summary>
    public string Name => ExternalIds.GetValueOrDefault("name") ?? "";
}

/// <summary>One logical flow as <c>ovn-sbctl dump-flows</c> lists it: one row per datapath it applies to.</summary>
/// <param name="Datapath">The datapath.</param>
/// <param name="Pipeline">"ingress" or "egress".</param>
/// <param name="Table">The table id.</param>
/// <param name="StageName">The <c>external_ids:stage-name</c>.</param>
/// <param name="Priority">The priority.</param>
/// <param name="Match">The match.</param>
/// <param name="Actions">The actions.</param>
public sealed record LflowListing(
    SbDatapath Datapath, string Pipeline, long Table, string StageName, long Priority, string Match, string Actions);
