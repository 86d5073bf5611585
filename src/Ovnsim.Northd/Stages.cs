namespace Ovnsim.Northd;

/// <summary>Which kind of datapath a stage belongs to.</summary>
public enum DatapathKind
{
    /// <summary>A logical switch.</summary>
    Switch,

    /// <summary>A logical router.</summary>
    Router,
}

/// <summary>The two pipelines of a logical datapath.</summary>
public enum Pipeline
{
    /// <summary>The ingress pipeline (OpenFlow tables 8 and up).</summary>
    Ingress,

    /// <summary>The egress pipeline (OpenFlow tables 42 and up).</summary>
    Egress,
}

/// <summary>One stage (logical table) of a pipeline, as ovn-northd(8) names it.</summary>
/// <param name="Kind">Switch or router.</param>
/// <param name="Pipeline">Ingress or egress.</param>
/// <param name="Table">The table number within the pipeline.</param>
/// <param name="Name">The stage name <c>dump-flows</c> prints, e.g. <c>ls_in_l2_lkup</c>.</param>
public sealed record Stage(DatapathKind Kind, Pipeline Pipeline, int Table, string Name)
{
    /// <summary>"ingress" or "egress", as the SB Logical_Flow pipeline column spells it.</summary>
    public string PipelineName => Pipeline == Pipeline.Ingress ? "ingress" : "egress";

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// The stage table of ovn-northd 23.03 (its <c>PIPELINE_STAGES</c> list in northd/northd.c): every stage of both
/// pipelines of both datapath kinds, with its table number. The flow builders name stages through these fields.
/// </summary>
public static class Stages
{
#pragma warning disable CS1591 // Each field is the stage whose name it carries; the names are documented in ovn-northd(8).
    public static readonly Stage LsInCheckPortSec = In(DatapathKind.Switch, 0, "ls_in_check_port_sec");
    public static readonly Stage LsInApplyPortSec = In(DatapathKind.Switch, 1, "ls_in_apply_port_sec");
    public static readonly Stage LsInLookupFdb = In(DatapathKind.Switch, 2, "ls_in_lookup_fdb");
    public static readonly Stage LsInPutFdb = In(DatapathKind.Switch, 3, "ls_in_put_fdb");
    public static readonly Stage LsInPreAcl = In(DatapathKind.Switch, 4, "ls_in_pre_acl");
    public static readonly Stage LsInPreLb = In(DatapathKind.Switch, 5, "ls_in_pre_lb");
    public static readonly Stage LsInPreStateful = In(DatapathKind.Switch, 6, "ls_in_pre_stateful");
    public static readonly Stage LsInAclHint = In(DatapathKind.Switch, 7, "ls_in_acl_hint");
    public static readonly Stage LsInAcl = In(DatapathKind.Switch, 8, "ls_in_acl");
    public static readonly Stage LsInQosMark = In(DatapathKind.Switch, 9, "ls_in_qos_mark");
    public static readonly Stage LsInQosMeter = In(DatapathKind.Switch, 10, "ls_in_qos_meter");
    public static readonly Stage LsInLbAffCheck = In(DatapathKind.Switch, 11, "ls_in_lb_aff_check");
    public static readonly Stage LsInLb = In(DatapathKind.Switch, 12, "ls_in_lb");
    public static readonly Stage LsInLbAffLearn = In(DatapathKind.Switch, 13, "ls_in_lb_aff_learn");
    public static readonly Stage LsInPreHairpin = In(DatapathKind.Switch, 14, "ls_in_pre_hairpin");
    public static readonly Stage LsInNatHairpin = In(DatapathKind.Switch, 15, "ls_in_nat_hairpin");
    public static readonly Stage LsInHairpin = In(DatapathKind.Switch, 16, "ls_in_hairpin");
    public static readonly Stage LsInAclAfterLb = In(DatapathKind.Switch, 17, "ls_in_acl_after_lb");
    public static readonly Stage LsInStateful = In(DatapathKind.Switch, 18, "ls_in_stateful");
    public static readonly Stage LsInArpNdRsp = In(DatapathKind.Switch, 19, "ls_in_arp_rsp");
    public static readonly Stage LsInDhcpOptions = In(DatapathKind.Switch, 20, "ls_in_dhcp_options");
    public static readonly Stage LsInDhcpResponse = In(DatapathKind.Switch, 21, "ls_in_dhcp_response");
    public static readonly Stage LsInDnsLookup = In(DatapathKind.Switch, 22, "ls_in_dns_lookup");
    public static readonly Stage LsInDnsResponse = In(DatapathKind.Switch, 23, "ls_in_dns_response");
    public static readonly Stage LsInExternalPort = In(DatapathKind.Switch, 24, "ls_in_external_port");
    public static readonly Stage LsInL2Lkup = In(DatapathKind.Switch, 25, "ls_in_l2_lkup");
    public static readonly Stage LsInL2Unknown = In(DatapathKind.Switch, 26, "ls_in_l2_unknown");

    public static readonly Stage LsOutPreAcl = Out(DatapathKind.Switch, 0, "ls_out_pre_acl");
    public static readonly Stage LsOutPreLb = Out(DatapathKind.Switch, 1, "ls_out_pre_lb");
    public static readonly Stage LsOutPreStateful = Out(DatapathKind.Switch, 2, "ls_out_pre_stateful");
    public static readonly Stage LsOutAclHint = Out(DatapathKind.Switch, 3, "ls_out_acl_hint");
    public static readonly Stage LsOutAcl = Out(DatapathKind.Switch, 4, "ls_out_acl");
    public static readonly Stage LsOutQosMark = Out(DatapathKind.Switch, 5, "ls_out_qos_mark");
    public static readonly Stage LsOutQosMeter = Out(DatapathKind.Switch, 6, "ls_out_qos_meter");
    public static readonly Stage LsOutStateful = Out(DatapathKind.Switch, 7, "ls_out_stateful");
    public static readonly Stage LsOutCheckPortSec = Out(DatapathKind.Switch, 8, "ls_out_check_port_sec");
    public static readonly Stage LsOutApplyPortSec = Out(DatapathKind.Switch, 9, "ls_out_apply_port_sec");

    public static readonly Stage LrInAdmission = In(DatapathKind.Router, 0, "lr_in_admission");
    public static readonly Stage LrInLookupNeighbor = In(DatapathKind.Router, 1, "lr_in_lookup_neighbor");
    public static readonly Stage LrInLearnNeighbor = In(DatapathKind.Router, 2, "lr_in_learn_neighbor");
    public static readonly Stage LrInIpInput = In(DatapathKind.Router, 3, "lr_in_ip_input");
    public static readonly Stage LrInUnsnat = In(DatapathKind.Router, 4, "lr_in_unsnat");
    public static readonly Stage LrInDefrag = In(DatapathKind.Router, 5, "lr_in_defrag");
    public static readonly Stage LrInLbAffCheck = In(DatapathKind.Router, 6, "lr_in_lb_aff_check");
    public static readonly Stage LrInDnat = In(DatapathKind.Router, 7, "lr_in_dnat");
    public static readonly Stage LrInLbAffLearn = In(DatapathKind.Router, 8, "lr_in_lb_aff_learn");
    public static readonly Stage LrInEcmpStateful = In(DatapathKind.Router, 9, "lr_in_ecmp_stateful");
    public static readonly Stage LrInNdRaOptions = In(DatapathKind.Router, 10, "lr_in_nd_ra_options");
    public static readonly Stage LrInNdRaResponse = In(DatapathKind.Router, 11, "lr_in_nd_ra_response");
    public static readonly Stage LrInIpRoutingPre = In(DatapathKind.Router, 12, "lr_in_ip_routing_pre");
    public static readonly Stage LrInIpRouting = In(DatapathKind.Router, 13, "lr_in_ip_routing");
    public static readonly Stage LrInIpRoutingEcmp = In(DatapathKind.Router, 14, "lr_in_ip_routing_ecmp");
    public static readonly Stage LrInPolicy = In(DatapathKind.Router, 15, "lr_in_policy");
    public static readonly Stage LrInPolicyEcmp = In(DatapathKind.Router, 16, "lr_in_policy_ecmp");
    public static readonly Stage LrInArpResolve = In(DatapathKind.Router, 17, "lr_in_arp_resolve");
    public static readonly Stage LrInChkPktLen = In(DatapathKind.Router, 18, "lr_in_chk_pkt_len");
    public static readonly Stage LrInLargerPkts = In(DatapathKind.Router, 19, "lr_in_larger_pkts");
    public static readonly Stage LrInGwRedirect = In(DatapathKind.Router, 20, "lr_in_gw_redirect");
    public static readonly Stage LrInArpRequest = In(DatapathKind.Router, 21, "lr_in_arp_request");

    public static readonly Stage LrOutChkDnatLocal = Out(DatapathKind.Router, 0, "lr_out_chk_dnat_local");
    public static readonly Stage LrOutUndnat = Out(DatapathKind.Router, 1, "lr_out_undnat");
    public static readonly Stage LrOutPostUndnat = Out(DatapathKind.Router, 2, "lr_out_post_undnat");
    public static readonly Stage LrOutSnat = Out(DatapathKind.Router, 3, "lr_out_snat");
    public static readonly Stage LrOutPostSnat = Out(DatapathKind.Router, 4, "lr_out_post_snat");
    public static readonly Stage LrOutEgrLoop = Out(DatapathKind.Router, 5, "lr_out_egr_loop");
    public static readonly Stage LrOutDelivery = Out(DatapathKind.Router, 6, "lr_out_delivery");
#pragma warning restore CS1591

    /// <summary>Every stage, in table order within each datapath kind and pipeline.</summary>
    public static IReadOnlyList<Stage> All { get; } = typeof(Stages).GetFields()
        .Where(f => f.FieldType == typeof(Stage)).Select(f => (Stage)f.GetValue(null)!).ToArray();

    /// <summary>Finds a stage by its name, or null.</summary>
    public static Stage? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    private static Stage In(DatapathKind kind, int table, string name) => new(kind, Pipeline.Ingress, table, name);

    private static Stage Out(DatapathKind kind, int table, string name) => new(kind, Pipeline.Egress, table, name);
}
