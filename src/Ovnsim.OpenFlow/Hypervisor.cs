using Ovnsim.Ovsdb.OpenVswitch;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.OpenFlow;

/// <summary>
/// What ovn-controller reads from the chassis's own Open_vSwitch database: its chassis name (system-id), the
/// OpenFlow port of each VIF by <c>iface-id</c>, the OpenFlow port of each localnet port's patch port on br-int
/// (<c>external_ids:ovn-localnet-port</c>), and the conntrack zones it saved on br-int
/// (<c>external_ids:ct-zone-NAME</c>), which it restores when it starts.
/// </summary>
/// <param name="ChassisName">The chassis name, or null for whichever chassis the SB binds ports to.</param>
/// <param name="VifOfports">iface-id to OpenFlow port.</param>
/// <param name="LocalnetOfports">Localnet port name to the OpenFlow port of its patch port.</param>
/// <param name="CtZones">Zone user (a logical port, or DATAPATH-UUID_dnat / _snat) to zone.</param>
/// <param name="PortNames">OpenFlow port to the name of its interface on the integration bridge.</param>
public sealed record Hypervisor(string? ChassisName, IReadOnlyDictionary<string, long> VifOfports,
                                IReadOnlyDictionary<string, long> LocalnetOfports, IReadOnlyDictionary<string, int> CtZones,
                                IReadOnlyDictionary<long, string> PortNames)
{
    /// <summary>Reads a chassis's Open_vSwitch database (the integration bridge is br-int unless ovn-bridge says otherwise).</summary>
    public static Hypervisor FromOpenVswitch(OpenVswitchDatabase ovs)
    {
        string bridgeName = ovs.Root?.ExternalIds.GetValueOrDefault("ovn-bridge") ?? "br-int";
        var bridge = ovs.Bridges.FirstOrDefault(b => b.Name == bridgeName);
        var vifs = new Dictionary<string, long>(StringComparer.Ordinal);
        var localnets = new Dictionary<string, long>(StringComparer.Ordinal);
        var zones = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new Dictionary<long, string>();
        if (bridge is not null)
        {
            foreach (var port in bridge.Ports)
            {
                // ovn-controller's patch.c tags the Port (not the Interface) of a localnet patch port.
                string? localnet = port.ExternalIds.GetValueOrDefault("ovn-localnet-port");
                foreach (var iface in port.Interfaces)
                {
                    if (iface.OfPort is not { } ofport || ofport <= 0)
                    {
                        continue;
                    }

                    names.TryAdd(ofport, iface.Name);

                    if (iface.IfaceId is { } id)
                    {
                        vifs.TryAdd(id, ofport);
                    }

                    if (iface.Type == "patch" && localnet is not null)
                    {
                        localnets.TryAdd(localnet, ofport);
                    }
                }
            }

            foreach (var (key, value) in bridge.ExternalIds)
            {
                if (key.StartsWith("ct-zone-", StringComparison.Ordinal) && int.TryParse(value, out int zone))
                {
                    zones[key["ct-zone-".Length..]] = zone;
                }
            }
        }

        return new Hypervisor(ovs.SystemId, vifs, localnets, zones, names);
    }

    /// <summary>
    /// A hypervisor for an SB without its Open_vSwitch database: the chassis the SB binds ports to (else its first
    /// chassis, else one named hv1), every localnet port of its local datapaths patched to br-int (bridge mappings for every network),
    /// and every VIF bound to it or to no chassis attached (so ovn-controller would claim it); OpenFlow ports are numbered from 1, localnet ports first, then VIFs, each in name order; no
    /// saved conntrack zones (they are allocated in name order). A VIF's interface is named as its logical port, a
    /// localnet port's patch port as ovn-controller names it (<c>patch-br-int-to-PORT</c>).
    /// </summary>
    public static Hypervisor Default(SouthboundDatabase sb)
    {
        string chassis = ChassisView.Of(sb, null, []).ChassisName ?? "hv1";
        var vifs = sb.PortBindings.Where(p => p.Type == "" && (p.Chassis is null ? p.Datapath is not null : p.Chassis.Name == chassis))
            .Select(p => p.LogicalPort).Order(StringComparer.Ordinal).ToList();
        var view = ChassisView.Of(sb, chassis, vifs);
        var localnets = sb.PortBindings.Where(p => p.Type == "localnet" && p.Datapath is { } dp && view.IsLocal(dp.Uuid))
            .Select(p => p.LogicalPort).Order(StringComparer.Ordinal).ToList();
        long next = 1;
        var localnetPorts = localnets.ToDictionary(n => n, _ => next++, StringComparer.Ordinal);
        var vifPorts = vifs.ToDictionary(n => n, _ => next++, StringComparer.Ordinal);
        var names = localnetPorts.ToDictionary(p => p.Value, p => "patch-br-int-to-" + p.Key);
        foreach (var (name, ofport) in vifPorts)
        {
            names[ofport] = name;
        }

        return new Hypervisor(view.ChassisName, vifPorts, localnetPorts, new Dictionary<string, int>(), names);
    }
}
