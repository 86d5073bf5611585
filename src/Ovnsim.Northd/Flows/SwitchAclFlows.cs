using Ovnsim.Northd.Topology;

namespace Ovnsim.Northd.Flows;

/// <summary>
/// ls_in_pre_acl / ls_out_pre_acl, ls_in_acl_hint / ls_out_acl_hint, ls_in_acl / ls_out_acl, ls_in_acl_after_lb,
/// ls_in_qos_* / ls_out_qos_* and ls_in_stateful / ls_out_stateful (northd.c <c>build_pre_acls</c>,
/// <c>build_acl_hints</c>, <c>build_acls</c>, <c>build_qos</c>, <c>build_stateful</c>). ACL, port group and QoS rows
/// are a later issue: these are the flows of a switch without them, with or without load balancers.
/// </summary>
internal static class SwitchAclFlows
{
    public static void Build(FlowContext ctx, Datapath od)
    {
        BuildPreAcls(ctx, od);
        BuildAclHints(ctx, od);
        BuildAcls(ctx, od);
        BuildQos(ctx, od);
        BuildStateful(ctx, od);
    }

    private static void BuildPreAcls(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LsInPreAcl, 0, "1", "next;");
        ctx.Add(od, Stages.LsOutPreAcl, 0, "1", "next;");
        ctx.Add(od, Stages.LsInPreAcl, 110, "eth.dst == $svc_monitor_mac", "next;");
        ctx.Add(od, Stages.LsOutPreAcl, 110, "eth.src == $svc_monitor_mac", "next;");
    }

    private static void BuildAclHints(FlowContext ctx, Datapath od)
    {
        string blocked = $"{ctx.CtFlagReg}.blocked";
        foreach (var stage in new[] { Stages.LsInAclHint, Stages.LsOutAclHint })
        {
            ctx.Add(od, stage, !od.HasAcls && !od.HasLbVip ? 65535 : 0, "1", "next;");
            if (!od.HasStatefulAcl && !od.HasLbVip)
            {
                continue;
            }

            ctx.Add(od, stage, 7, "ct.new && !ct.est", $"{Reg.AclHintAllowNew} = 1; {Reg.AclHintDrop} = 1; next;");
            ctx.Add(od, stage, 6, $"!ct.new && ct.est && !ct.rpl && {blocked} == 1",
                $"{Reg.AclHintAllowNew} = 1; {Reg.AclHintDrop} = 1; next;");
            ctx.Add(od, stage, 5, "!ct.trk", $"{Reg.AclHintAllow} = 1; {Reg.AclHintDrop} = 1; next;");
            ctx.Add(od, stage, 4, $"!ct.new && ct.est && !ct.rpl && {blocked} == 0",
                $"{Reg.AclHintAllow} = 1; {Reg.AclHintBlock} = 1; next;");
            ctx.Add(od, stage, 3, "!ct.est", $"{Reg.AclHintDrop} = 1; next;");
            ctx.Add(od, stage, 2, $"ct.est && {blocked} == 1", $"{Reg.AclHintDrop} = 1; next;");
            ctx.Add(od, stage, 1, $"ct.est && {blocked} == 0", $"{Reg.AclHintBlock} = 1; next;");
        }
    }

    private static void BuildAcls(FlowContext ctx, Datapath od)
    {
        string defaultAction = ctx.DefaultAclDrop ? FlowContext.Drop : "next;";
        bool hasStateful = od.HasStatefulAcl || od.HasLbVip;
        string blocked = $"{ctx.CtFlagReg}.blocked";
        if (!od.HasAcls)
        {
            int priority = od.HasLbVip ? 0 : 65535;
            ctx.Add(od, Stages.LsInAcl, priority, "1", "next;");
            ctx.Add(od, Stages.LsOutAcl, priority, "1", "next;");
            ctx.Add(od, Stages.LsInAclAfterLb, 0, "1", "next;");
        }
        else
        {
            ctx.Add(od, Stages.LsInAcl, 0, "1", defaultAction);
            ctx.Add(od, Stages.LsOutAcl, 0, "1", defaultAction);
            ctx.Add(od, Stages.LsInAclAfterLb, 0, "1", defaultAction);
        }

        if (hasStateful)
        {
            string commit = $"{Reg.ConntrackCommit} = 1; next;";
            ctx.Add(od, Stages.LsInAcl, 1, $"ip && ct.est && {blocked} == 1", commit);
            ctx.Add(od, Stages.LsOutAcl, 1, $"ip && ct.est && {blocked} == 1", commit);
            string newAction = ctx.DefaultAclDrop ? FlowContext.Drop : commit;
            ctx.Add(od, Stages.LsInAcl, 1, "ip && !ct.est", newAction);
            ctx.Add(od, Stages.LsOutAcl, 1, "ip && !ct.est", newAction);

            string inv = ctx.UseCtInvMatch ? "ct.inv || " : "";
            ctx.Add(od, Stages.LsInAcl, 65532, $"{inv}(ct.est && ct.rpl && {blocked} == 1)", FlowContext.Drop);
            ctx.Add(od, Stages.LsOutAcl, 65532, $"{inv}(ct.est && ct.rpl && {blocked} == 1)", FlowContext.Drop);

            string notInv = ctx.UseCtInvMatch ? " && !ct.inv" : "";
            string reply = $"ct.est && !ct.rel && !ct.new{notInv} && ct.rpl && {blocked} == 0";
            ctx.Add(od, Stages.LsInAcl, 65532, reply,
                $"{Reg.AclHintDrop} = 0; {Reg.AclHintBlock} = 0; {Reg.AclHintAllowRel} = 1; next;");
            ctx.Add(od, Stages.LsOutAcl, 65532, reply, "next;");

            string related = $"!ct.est && ct.rel && !ct.new{notInv} && {blocked} == 0";
            ctx.Add(od, Stages.LsInAcl, 65532, related, ctx.Features.CtLbRelated
                ? $"{Reg.AclHintAllowRel} = 1; ct_commit_nat;"
                : $"{Reg.AclHintAllowRel} = 1; next;");
            ctx.Add(od, Stages.LsOutAcl, 65532, related, ctx.Features.CtLbRelated ? "ct_commit_nat;" : "next;");
            ctx.Add(od, Stages.LsInAclAfterLb, 65532, $"{Reg.AclHintAllowRel} == 1", "next;");
        }

        ctx.Add(od, Stages.LsInAcl, 65532, Reg.Ipv6CtOmitMatch, "next;");
        ctx.Add(od, Stages.LsOutAcl, 65532, Reg.Ipv6CtOmitMatch, "next;");
        ctx.Add(od, Stages.LsInAclAfterLb, 65532, Reg.Ipv6CtOmitMatch, "next;");

        if (od.HasAcls || od.HasLbVip)
        {
            ctx.Add(od, Stages.LsInAcl, 34000, "eth.dst == $svc_monitor_mac", "next;");
            ctx.Add(od, Stages.LsOutAcl, 34000, "eth.src == $svc_monitor_mac", "next;");
        }
    }

    private static void BuildQos(FlowContext ctx, Datapath od)
    {
        ctx.Add(od, Stages.LsInQosMark, 0, "1", "next;");
        ctx.Add(od, Stages.LsOutQosMark, 0, "1", "next;");
        ctx.Add(od, Stages.LsInQosMeter, 0, "1", "next;");
        ctx.Add(od, Stages.LsOutQosMeter, 0, "1", "next;");
    }

    private static void BuildStateful(FlowContext ctx, Datapath od)
    {
        string blocked = $"{ctx.CtFlagReg}.blocked";
        ctx.Add(od, Stages.LsInLb, 0, "1", "next;");
        ctx.Add(od, Stages.LsInStateful, 0, "1", "next;");
        ctx.Add(od, Stages.LsOutStateful, 0, "1", "next;");

        string withLabel = $"ct_commit {{ {blocked} = 0; ct_label.label = {Reg.Label}; }}; next;";
        ctx.Add(od, Stages.LsInStateful, 100, $"{Reg.ConntrackCommit} == 1 && {Reg.AclLabel} == 1", withLabel);
        ctx.Add(od, Stages.LsOutStateful, 100, $"{Reg.ConntrackCommit} == 1 && {Reg.AclLabel} == 1", withLabel);
        string plain = $"ct_commit {{ {blocked} = 0; }}; next;";
        ctx.Add(od, Stages.LsInStateful, 100, $"{Reg.ConntrackCommit} == 1 && {Reg.AclLabel} == 0", plain);
        ctx.Add(od, Stages.LsOutStateful, 100, $"{Reg.ConntrackCommit} == 1 && {Reg.AclLabel} == 0", plain);
    }
}
