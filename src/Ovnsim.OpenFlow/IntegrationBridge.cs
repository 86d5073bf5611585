using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.OpenFlow;

/// <summary>Everything ovn-controller installs on br-int for one chassis, and the groups.</summary>
/// <param name="Flows">The flows, in the order first installed.</param>
/// <param name="Groups">The select groups.</param>
/// <param name="Warnings">What was not translated or not simulated, one line each.</param>
public sealed record IntegrationBridge(IReadOnlyList<OpenFlowFlow> Flows, GroupTable Groups, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// ovn-controller's flows for the SB and the hypervisor: logical flows, physical flows, load-balancer
    /// hairpin, port security, neighbor and FDB flows.
    /// </summary>
    public static IntegrationBridge Build(SouthboundDatabase sb, Hypervisor hv)
    {
        var view = ChassisView.Of(sb, hv.ChassisName, hv.VifOfports.Keys);
        var flows = new DesiredFlows();
        var translation = LogicalFlowTranslator.Translate(sb, view, flows);
        var warnings = translation.Skipped.Select(s => $"logical flow not translated ({s})").ToList();
        warnings.AddRange(PhysicalFlows.Build(sb, view, hv, flows));
        warnings.AddRange(LoadBalancerHairpinFlows.Build(sb, view, flows));
        PortSecurityFlows.Build(sb, view, flows);
        NeighborFlows.Build(sb, view, flows);
        FdbFlows.Build(sb, view, flows);
        return new IntegrationBridge(flows.Flows, translation.Groups, warnings);
    }
}
