using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// ls_in_check_port_sec / ls_in_apply_port_sec, ls_in_lookup_fdb / ls_in_put_fdb and ls_out_check_port_sec /
/// ls_out_apply_port_sec (ovn-northd(8) "Ingress Table 0-3", "Egress Table 8-9").
/// </summary>
internal static class SwitchPortSecurityFlows
{
    /// <summary>Per switch: <c>build_lswitch_lflows_admission_control</c>, the FDB defaults and egress port security.</summary>
    public static void Build(FlowContext ctx, Datapath od)
    {
        if (!FlowContext.GetBool(od.Options, "vlan-passthru", false))
        {
            ctx.Add(od, Stages.LsInCheckPortSec, 100, "vlan.present", FlowContext.Drop);
        }

        ctx.Add(od, Stages.LsInCheckPortSec, 100, "eth.src[40]", FlowContext.Drop);
        ctx.Add(od, Stages.LsInCheckPortSec, 50, "1", $"{Reg.PortSecDrop} = check_in_port_sec(); next;");
        ctx.Add(od, Stages.LsInApplyPortSec, 50, $"{Reg.PortSecDrop} == 1", FlowContext.Drop);
        ctx.Add(od, Stages.LsInApplyPortSec, 0, "1", "next;");

        ctx.Add(od, Stages.LsInLookupFdb, 0, "1", "next;");
        ctx.Add(od, Stages.LsInPutFdb, 0, "1", "next;");

        ctx.Add(od, Stages.LsOutCheckPortSec, 100, "eth.mcast", $"{Reg.PortSecDrop} = 0; next;");
        ctx.Add(od, Stages.LsOutCheckPortSec, 0, "1", $"{Reg.PortSecDrop} = check_out_port_sec(); next;");
        ctx.Add(od, Stages.LsOutApplyPortSec, 50, $"{Reg.PortSecDrop} == 1", FlowContext.Drop);
        ctx.Add(od, Stages.LsOutApplyPortSec, 0, "1", "output;");
    }

    /// <summary>Per switch port: <c>build_lswitch_port_sec_op</c> and <c>build_lswitch_learn_fdb_op</c>.</summary>
    public static void Build(FlowContext ctx, Port op)
    {
        if (op.Nbsp is null || op.IsExternal)
        {
            return;
        }

        var od = op.Od;
        if (!op.LspEnabled)
        {
            ctx.Add(od, Stages.LsInCheckPortSec, 100, $"inport == {op.JsonKey}", $"{Reg.PortSecDrop} = 1; next;", op);
            ctx.Add(od, Stages.LsInL2Unknown, 50, $"outport == {op.JsonKey}", FlowContext.Drop, op);
        }
        else if (op.LspType == "vtep")
        {
            ctx.Add(od, Stages.LsInCheckPortSec, 70, $"inport == {op.JsonKey}",
                $"{Reg.FromRamp} = 1; next(pipeline=ingress, table={Stages.LsInHairpin.Table});", op);
        }

        // qdisc_queue_id comes from the SB port binding, which ovn-controller's QoS sets; not simulated.
        bool localnetLearns = op.IsLocalnet && FlowContext.GetBool(op.Options, "localnet_learn_fdb", false);
        if (op.PsAddrs.Count == 0 && op.HasUnknown && (op.LspType == "" || localnetLearns))
        {
            string match = $"inport == {op.JsonKey}";
            ctx.Add(od, Stages.LsInLookupFdb, 100, match, $"{Reg.LkupFdb} = lookup_fdb(inport, eth.src); next;", op);
            ctx.Add(od, Stages.LsInPutFdb, 100, $"{match} && {Reg.LkupFdb} == 0", "put_fdb(inport, eth.src); next;", op);
        }
    }
}
