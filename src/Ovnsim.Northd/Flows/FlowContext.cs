using Ovnsim.Northd.Topology;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// The feature flags northd derives from the chassis (northd.c <c>build_chassis_features</c>): each is on only if
/// every local chassis advertises it in other_config, and on when there is no chassis at all.
/// </summary>
internal sealed record ChassisFeatures(bool CtNoMaskedLabel, bool CtLbRelated, bool MacBindingTimestamp)
{
    public static ChassisFeatures From(SouthboundDatabase? sb)
    {
        bool noMasked = true, lbRelated = true, timestamp = true;
        foreach (var chassis in sb?.Chassis ?? [])
        {
            var config = chassis.OtherConfig;
            if (IsTrue(config, "is-remote"))
            {
                continue;
            }

            noMasked &= IsTrue(config, "ct-no-masked-label");
            lbRelated &= IsTrue(config, "ovn-ct-lb-related");
            timestamp &= IsTrue(config, "mac-binding-timestamp");
        }

        return new ChassisFeatures(noMasked, lbRelated, timestamp);
    }

    private static bool IsTrue(IReadOnlyDictionary<string, string> map, string key) =>
        map.TryGetValue(key, out string? v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Everything a flow builder reads: the topology, the chassis features, NB_Global options, and the table.</summary>
internal sealed class FlowContext
{
    public FlowContext(NorthdTopology topology, ChassisFeatures features)
    {
        Topology = topology;
        Features = features;
        var options = topology.Nb.Global?.Options ?? new Dictionary<string, string>();
        UseCtInvMatch = GetBool(options, "use_ct_inv_match", true);
        CheckLspIsUp = !GetBool(options, "ignore_lsp_down", true);
        DefaultAclDrop = GetBool(options, "default_acl_drop", false);
        ControllerEvent = GetBool(options, "controller_event", false);
    }

    public NorthdTopology Topology { get; }

    public ChassisFeatures Features { get; }

    public FlowTable Flows { get; } = new();

    public bool UseCtInvMatch { get; }

    public bool CheckLspIsUp { get; }

    public bool DefaultAclDrop { get; }

    public bool ControllerEvent { get; }

    /// <summary><c>ct_mark</c> or <c>ct_label</c>, as <c>ct-no-masked-label</c> decides.</summary>
    public string CtFlagReg => Features.CtNoMaskedLabel ? "ct_mark" : "ct_label";

    /// <summary>northd's <c>debug_drop_action()</c> without a debug drop domain.</summary>
    public static string Drop => "drop;";

    public void Add(Datapath od, Stage stage, int priority, string match, string actions) =>
        Flows.Add(od, stage, priority, match, actions);

    /// <summary><c>ovn_lflow_add_with_lport_and_hint</c>: a flow tagged with the port its match names.</summary>
    public void Add(Datapath od, Stage stage, int priority, string match, string actions, Port inOutPort) =>
        Flows.Add(od, stage, priority, match, actions, inOutPort.Key);

    /// <summary>smap_get_bool: "true" (any case) is true, anything else false, a missing key the default.</summary>
    public static bool GetBool(IReadOnlyDictionary<string, string> map, string key, bool @default) =>
        map.TryGetValue(key, out string? v) ? string.Equals(v, "true", StringComparison.OrdinalIgnoreCase) : @default;
}

/// <summary>The register bits and fields northd names (northd.c's REGBIT_/REG_ macros).</summary>
internal static class Reg
{
    public const string ConntrackDefrag = "reg0[0]";
    public const string ConntrackCommit = "reg0[1]";
    public const string ConntrackNat = "reg0[2]";
    public const string DnsLookupResult = "reg0[4]";
    public const string Hairpin = "reg0[6]";
    public const string AclHintAllowNew = "reg0[7]";
    public const string AclHintAllow = "reg0[8]";
    public const string AclHintDrop = "reg0[9]";
    public const string AclHintBlock = "reg0[10]";
    public const string LkupFdb = "reg0[11]";
    public const string HairpinReply = "reg0[12]";
    public const string AclLabel = "reg0[13]";
    public const string FromRamp = "reg0[14]";
    public const string PortSecDrop = "reg0[15]";
    public const string AclStateless = "reg0[16]";
    public const string AclHintAllowRel = "reg0[17]";
    public const string OrigDipIpv4 = "reg1";
    public const string OrigDipIpv6 = "xxreg1";
    public const string OrigTpDport = "reg2[0..15]";
    public const string EgressLoopback = "reg9[0]";
    public const string PktLarger = "reg9[1]";
    public const string LookupNeighborResult = "reg9[2]";
    public const string LookupNeighborIpResult = "reg9[3]";
    public const string DstNatIpLocal = "reg9[4]";
    public const string InportEthAddr = "xreg0[0..47]";
    public const string EcmpGroupId = "reg8[0..15]";
    public const string NextHopIpv4 = "reg0";
    public const string NextHopIpv6 = "xxreg0";
    public const string SrcIpv4 = "reg1";
    public const string SrcIpv6 = "xxreg1";
    public const string RouteTableId = "reg7";
    public const string Label = "reg3";
    public const string FlagNotVxlan = "flags[1] == 0";
    public const string McFlood = "_MC_flood";
    public const string McFloodL2 = "_MC_flood_l2";
    public const string McUnknown = "_MC_unknown";
    public const string Ipv6CtOmitMatch = "nd || nd_ra || nd_rs || mldv1 || mldv2";
}
