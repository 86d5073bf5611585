using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.OpenFlow;

/// <summary>
/// ovn-controller's physical flows (controller/physical.c) for one chassis: table 0 (packets from VIFs and localnet
/// ports into the logical ingress pipeline, and the chassis-MAC conjunction flows), tables 37-41 (output: remote,
/// local, loopback check), multicast group fan-out, tables 64 and 65 (loopback in_port handling and delivery to
/// VIFs, localnet ports and across patch ports), and their default flows. Tunnels to other chassis, VLAN-tagged
/// ports, nested containers, HA chassis groups, l3gateway, vtep and external ports are not simulated; the SB
/// features that need them are reported.
/// </summary>
public static class PhysicalFlows
{
    private const int AllowLoopback = 1 << 0;
    private const int RcvFromRamp = 1 << 1;
    private const int LocalOnly = 1 << 4;
    private const int LocalportFlag = 1 << 10;
    private const uint ChassisMacToRouterMacConjId = 100;

    private static readonly OvsField Reg10 = OvsField.Get("reg10");
    private static readonly OvsField Reg11 = OvsField.Get("reg11");
    private static readonly OvsField Reg12 = OvsField.Get("reg12");
    private static readonly OvsField Reg13 = OvsField.Get("reg13");
    private static readonly OvsField Reg14 = OvsField.Get("reg14");
    private static readonly OvsField Reg15 = OvsField.Get("reg15");
    private static readonly OvsField Metadata = OvsField.Get("metadata");

    /// <summary>Adds the physical flows to <paramref name="flows"/>; returns what was not simulated.</summary>
    public static IReadOnlyList<string> Build(SouthboundDatabase sb, ChassisView view, Hypervisor hv, DesiredFlows flows)
    {
        var warnings = new List<string>();
        var bindings = sb.PortBindings;
        var byName = bindings.ToDictionary(p => p.LogicalPort, StringComparer.Ordinal);
        var localnetOf = bindings.Where(p => p.Type == "localnet" && p.Datapath is not null)
            .GroupBy(p => p.Datapath!.Uuid).ToDictionary(g => g.Key, g => g.First());
        var patchesOf = bindings.Where(p => p.Type == "patch" && p.Datapath is not null).ToLookup(p => p.Datapath!.Uuid);
        var zones = Zones(bindings, sb, view, hv);
        var ctx = new Context(view, hv, flows, byName, localnetOf, patchesOf, zones, warnings);

        foreach (var pb in bindings)
        {
            if (pb.Datapath is { } dp && view.IsLocal(dp.Uuid))
            {
                ConsiderPortBinding(ctx, pb, dp);
            }
        }

        foreach (var mc in sb.MulticastGroups)
        {
            if (mc.Datapath is { } dp && view.IsLocal(dp.Uuid))
            {
                ConsiderMulticastGroup(ctx, mc, dp);
            }
        }

        if (sb.Chassis.Any(c => c.Name != view.ChassisName && view.ChassisName is not null))
        {
            warnings.Add("tunnels to other chassis are not simulated");
        }

        AddFixedFlows(flows);
        return warnings;
    }

    private sealed record Context(ChassisView View, Hypervisor Hv, DesiredFlows Flows,
                                  Dictionary<string, PortBinding> ByName, Dictionary<Guid, PortBinding> LocalnetOf,
                                  ILookup<Guid, PortBinding> PatchesOf, IReadOnlyDictionary<string, int> Zones, List<string> Warnings);

    private readonly record struct ZoneIds(int Ct, int Dnat, int Snat);

    /// <summary>
    /// The zones: those saved on br-int, then for users without one (each local logical port and each local
    /// datapath's dnat and snat) the lowest free zone from 1, in name order (ovn-controller takes its set's hash
    /// order, which ovnsim does not model).
    /// </summary>
    private static Dictionary<string, int> Zones(IReadOnlyList<PortBinding> bindings, SouthboundDatabase sb, ChassisView view, Hypervisor hv)
    {
        var zones = new Dictionary<string, int>(hv.CtZones, StringComparer.Ordinal);
        var users = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var pb in bindings.Where(p => p.Datapath is { } dp && view.IsLocal(dp.Uuid)))
        {
            bool local = pb.Type switch
            {
                "" or "localport" => hv.VifOfports.ContainsKey(pb.LogicalPort),
                "localnet" => true,
                "chassisredirect" or "l3gateway" => view.IsResident(pb.LogicalPort),
                _ => false,
            };
            if (local)
            {
                users.Add(pb.LogicalPort);
            }
        }

        foreach (var dp in sb.DatapathBindings.Where(d => view.IsLocal(d.Uuid)))
        {
            users.Add(UuidText.Format(dp.Uuid) + "_dnat");
            users.Add(UuidText.Format(dp.Uuid) + "_snat");
        }

        var used = zones.Values.ToHashSet();
        int next = 1;
        foreach (string user in users.Where(u => !zones.ContainsKey(u)))
        {
            while (used.Contains(next))
            {
                next++;
            }

            zones[user] = next;
            used.Add(next);
        }

        return zones;
    }

    private static ZoneIds ZonesOf(Context c, PortBinding pb)
    {
        string dp = UuidText.Format(pb.Datapath!.Uuid);
        return new ZoneIds(c.Zones.GetValueOrDefault(pb.LogicalPort), c.Zones.GetValueOrDefault(dp + "_dnat"),
                           c.Zones.GetValueOrDefault(dp + "_snat"));
    }

    private static SetFieldAction Load(OvsField field, UInt128 value) =>
        new(field, value, field.Bits == 128 ? UInt128.MaxValue : (UInt128.One << field.Bits) - 1);

    private static SetFieldAction LoadBits(OvsField field, int bits, bool set) =>
        new(field, set ? (UInt128)(uint)bits : 0, (uint)bits);

    /// <summary><c>put_zones_ofpacts</c>.</summary>
    private static void PutZones(ZoneIds z, List<OfAction> a)
    {
        if (z.Ct != 0)
        {
            a.Add(Load(Reg13, (uint)z.Ct));
        }

        if (z.Dnat != 0)
        {
            a.Add(Load(Reg11, (uint)z.Dnat));
        }

        if (z.Snat != 0)
        {
            a.Add(Load(Reg12, (uint)z.Snat));
        }
    }

    /// <summary><c>load_logical_ingress_metadata</c>.</summary>
    private static void PutIngressMetadata(PortBinding pb, ZoneIds z, List<OfAction> a)
    {
        PutZones(z, a);
        a.Add(Load(Metadata, (ulong)pb.Datapath!.TunnelKey));
        a.Add(Load(Reg14, (uint)pb.TunnelKey));
    }

    /// <summary><c>match_outport_dp_and_port_keys</c>.</summary>
    private static OvsMatch OutportMatch(long dpKey, long portKey)
    {
        var m = new OvsMatch { Metadata = ((ulong)dpKey, ulong.MaxValue) };
        m.Regs[15] = ((uint)portKey, uint.MaxValue);
        return m;
    }

    private static uint Cookie(PortBinding pb) => UuidText.FirstPart(pb.Uuid);

    private static void ConsiderPortBinding(Context c, PortBinding pb, DatapathBinding dp)
    {
        long dpKey = dp.TunnelKey, portKey = pb.TunnelKey;
        if (pb.Type == "patch")
        {
            if (pb.Options.GetValueOrDefault("peer") is not { } peerName || !c.ByName.TryGetValue(peerName, out var peer)
                || peer.Datapath is null)
            {
                return;
            }

            PutLocalCommonFlows(c, pb, ZonesOf(c, pb));

            // Table 65: deliver across the patch by re-entering the peer datapath's ingress pipeline.
            var clone = new List<OfAction> { new CtClearAction(), Load(Reg11, 0), Load(Reg12, 0), Load(Reg13, 0) };
            PutIngressMetadata(peer, ZonesOf(c, peer), clone);
            clone.Add(Load(Reg10, 0));
            clone.Add(Load(Reg15, 0));
            for (int i = 0; i < 10; i++)
            {
                clone.Add(Load(OvsField.Get($"reg{i}"), 0));
            }

            clone.Add(new ResubmitAction(OfTable.LogicalIngress));
            c.Flows.Add(OfTable.LogToPhy, 100, Cookie(pb), OutportMatch(dpKey, portKey), [new CloneAction(clone)]);
            return;
        }

        if (pb.Type == "chassisredirect")
        {
            if (c.View.IsResident(pb.LogicalPort))
            {
                // Table 40: output to the chassisredirect port becomes output to its distributed port.
                var actions = new List<OfAction>();
                if (pb.Options.GetValueOrDefault("distributed-port") is { } dist && c.ByName.TryGetValue(dist, out var distributed)
                    && distributed.Datapath?.Uuid == dp.Uuid)
                {
                    actions.Add(Load(Reg15, (uint)distributed.TunnelKey));
                    PutZones(ZonesOf(c, distributed), actions);
                    actions.Add(new ResubmitAction(OfTable.CheckLoopback));
                }

                c.Flows.Add(OfTable.LocalOutput, 100, Cookie(pb), OutportMatch(dpKey, portKey), actions);
                return;
            }
        }

        if (pb.Type is "l3gateway" or "vtep" or "external" or "virtual" or "l2gateway" || pb.Row.GetOptionalString("parent_port") is { Length: > 0 })
        {
            c.Warnings.Add($"port {pb.LogicalPort}: {(pb.Type.Length > 0 ? pb.Type : "nested container")} ports are not simulated in the physical tables");
            return;
        }

        long ofport = 0;
        int tag = 0;
        if (pb.Type == "localnet")
        {
            ofport = c.Hv.LocalnetOfports.GetValueOrDefault(pb.LogicalPort);
            if (ofport != 0 && pb.Tag is { } t)
            {
                tag = (int)t;
            }
        }
        else if (pb.Type is "" or "localport")
        {
            ofport = c.Hv.VifOfports.GetValueOrDefault(pb.LogicalPort);
            if (ofport != 0 && pb.Options.GetValueOrDefault("requested-chassis") is { Length: > 0 } requested
                && requested != c.View.ChassisName)
            {
                ofport = 0;
            }
        }

        c.LocalnetOf.TryGetValue(dp.Uuid, out var localnet);
        if (ofport == 0)
        {
            if (localnet is not null && c.Hv.LocalnetOfports.ContainsKey(localnet.LogicalPort))
            {
                // Table 40: a remote port behind the localnet port is reached through it.
                c.Flows.Add(OfTable.LocalOutput, 100, Cookie(pb), OutportMatch(dpKey, portKey),
                    [Load(Reg15, (uint)localnet.TunnelKey), new ResubmitAction(OfTable.LocalOutput)]);
            }

            // Remote ports reached over tunnels: no other chassis is simulated.
            return;
        }

        var zones = ZonesOf(c, pb);
        PutLocalCommonFlows(c, pb, zones);

        // Table 0: from the port into the ingress pipeline. A localnet port strips a priority tag (VLAN 0), and a
        // second flow takes frames without an 802.1Q header.
        var match = new OvsMatch { InPort = (uint)ofport };
        var actionsIn = new List<OfAction>();
        bool localnetPort = pb.Type == "localnet";
        if (localnetPort)
        {
            match.VlanTci = ((ushort)(0x1000 | tag), 0x1fff);
            actionsIn.Add(new PopVlanAction());
        }

        var metadata = new List<OfAction>();
        PutIngressMetadata(pb, zones, metadata);
        if (pb.Type == "localport")
        {
            metadata.Add(LoadBits(Reg10, LocalportFlag, true));
        }

        metadata.Add(new ResubmitAction(OfTable.LogicalIngress));
        c.Flows.Add(OfTable.PhysicalToLogical, tag != 0 ? 150 : 100, Cookie(pb), match, [.. actionsIn, .. metadata]);
        if (localnetPort && tag == 0)
        {
            var untagged = new OvsMatch { InPort = (uint)ofport, VlanTci = (0, 0x1000) };
            c.Flows.Add(OfTable.PhysicalToLogical, 100, Cookie(pb), untagged, metadata);
        }

        if (localnetPort)
        {
            PutReplaceChassisMacFlows(c, pb, zones, ofport, tag);
        }

        // Table 65: deliver to the port, tagged when the port has a VLAN.
        var deliver = new List<OfAction>();
        if (tag != 0)
        {
            deliver.Add(new PushVlanAction(pb.Options.GetValueOrDefault("ethtype") == "802.11ad" ? 0x88a8 : 0x8100));
            deliver.Add(new SetVlanVidAction(tag));
        }

        deliver.Add(new OutputPortAction((uint)ofport));
        if (tag != 0)
        {
            deliver.Add(new PopVlanAction());
        }

        c.Flows.Add(OfTable.LogToPhy, 100, Cookie(pb), OutportMatch(dpKey, portKey), deliver);

        if (localnetPort)
        {
            // Table 41: nothing from a localport, and nothing local-only, leaves through a localnet port.
            foreach (int flag in new[] { LocalportFlag, LocalOnly })
            {
                var m = OutportMatch(dpKey, portKey);
                m.Regs[10] = ((uint)flag, (uint)flag);
                c.Flows.Add(OfTable.CheckLoopback, 160, Cookie(pb), m, []);
            }
        }

        if (pb.Type == "localport")
        {
            // Table 39: traffic from a localport never leaves the chassis.
            var m = new OvsMatch { Metadata = ((ulong)dpKey, ulong.MaxValue) };
            m.Regs[14] = ((uint)portKey, uint.MaxValue);
            c.Flows.Add(OfTable.RemoteOutput, 150, Cookie(pb), m, [new ResubmitAction(OfTable.LocalOutput)]);
        }
    }

    /// <summary><c>put_local_common_flows</c>: tables 40, 41 and 64 for a port local to the chassis.</summary>
    private static void PutLocalCommonFlows(Context c, PortBinding pb, ZoneIds zones)
    {
        long dpKey = pb.Datapath!.TunnelKey, portKey = pb.TunnelKey;
        var toLoopback = new List<OfAction>();
        PutZones(zones, toLoopback);
        toLoopback.Add(new ResubmitAction(OfTable.CheckLoopback));
        c.Flows.Add(OfTable.LocalOutput, 100, Cookie(pb), OutportMatch(dpKey, portKey), toLoopback);

        var loop = new OvsMatch { Metadata = ((ulong)dpKey, ulong.MaxValue) };
        loop.Regs[10] = (0, AllowLoopback);
        loop.Regs[14] = ((uint)portKey, uint.MaxValue);
        loop.Regs[15] = ((uint)portKey, uint.MaxValue);
        c.Flows.Add(OfTable.CheckLoopback, 100, Cookie(pb), loop, []);

        var save = OutportMatch(dpKey, portKey);
        save.Regs[10] = (AllowLoopback, AllowLoopback);
        var inPort = OvsSubfield.Whole("in_port");
        c.Flows.Add(OfTable.SaveInport, 100, Cookie(pb), save,
            [new PushAction(inPort), Load(inPort.Field, 0xffff), new ResubmitAction(OfTable.LogToPhy), new PopAction(inPort)]);
    }

    /// <summary>
    /// <c>put_replace_chassis_mac_flows</c>: for each router port patched to the localnet port's switch, a table-0
    /// flow (conjunction 100 with a remote chassis's MAC) that enters the pipeline as the router port's MAC.
    /// </summary>
    private static void PutReplaceChassisMacFlows(Context c, PortBinding localnet, ZoneIds zones, long ofport, int tag)
    {
        (ushort, ushort) vlan = tag != 0 ? ((ushort)(0x1000 | tag), (ushort)0x1fff) : ((ushort)0, (ushort)0x1000);
        foreach (var patch in c.PatchesOf[localnet.Datapath!.Uuid])
        {
            if (patch.Options.GetValueOrDefault("peer") is not { } peerName || !c.ByName.TryGetValue(peerName, out var remote)
                || remote.Mac.Count == 0 || AddressText.ParseMac(remote.Mac[0].Split(' ')[0]) is not { } mac)
            {
                continue;
            }

            var match = new OvsMatch { InPort = (uint)ofport, ConjId = ChassisMacToRouterMacConjId, VlanTci = vlan };
            var actions = new List<OfAction>();
            if (tag != 0)
            {
                actions.Add(new PopVlanAction());
            }

            PutIngressMetadata(localnet, zones, actions);
            actions.Add(Load(OvsField.Get("eth_src"), mac));
            actions.Add(new ResubmitAction(OfTable.LogicalIngress));
            c.Flows.Add(OfTable.PhysicalToLogical, 180, Cookie(remote), match, actions);
            c.Flows.Add(OfTable.PhysicalToLogical, 180, Cookie(remote), new OvsMatch { VlanTci = vlan },
                [new ConjunctionAction(ChassisMacToRouterMacConjId, 1, 2)]);
        }
    }

    /// <summary><c>consider_mc_group</c> for a chassis without tunnels: local delivery and patch ports.</summary>
    private static void ConsiderMulticastGroup(Context c, MulticastGroup mc, DatapathBinding dp)
    {
        var local = new List<OfAction>();
        var remote = new List<OfAction>();
        c.LocalnetOf.TryGetValue(dp.Uuid, out var localnet);
        foreach (var port in mc.Ports)
        {
            if (port.Datapath?.Uuid != dp.Uuid)
            {
                continue;
            }

            if (c.Zones.GetValueOrDefault(port.LogicalPort) is var zone and not 0)
            {
                local.Add(Load(Reg13, (uint)zone));
            }

            if (port.Type == "patch")
            {
                remote.Add(Load(Reg15, (uint)port.TunnelKey));
                remote.Add(new ResubmitAction(OfTable.CheckLoopback));
            }

            if (port.Type == "localport")
            {
                remote.Add(Load(Reg15, (uint)port.TunnelKey));
                remote.Add(new ResubmitAction(OfTable.CheckLoopback));
            }
            else if (port.Type is "" && c.View.IsResident(port.LogicalPort) && c.Hv.VifOfports.ContainsKey(port.LogicalPort))
            {
                local.Add(Load(Reg15, (uint)port.TunnelKey));
                local.Add(new ResubmitAction(OfTable.CheckLoopback));
            }
            else if (c.Hv.LocalnetOfports.ContainsKey(port.LogicalPort))
            {
                local.Add(Load(Reg15, (uint)port.TunnelKey));
                local.Add(new ResubmitAction(OfTable.CheckLoopback));
            }
            else if (port.Type == "chassisredirect" && c.View.IsResident(port.LogicalPort)
                     && port.Options.GetValueOrDefault("distributed-port") is { } dist && c.ByName.TryGetValue(dist, out var distributed)
                     && distributed.Datapath?.Uuid == dp.Uuid)
            {
                local.Add(Load(Reg15, (uint)distributed.TunnelKey));
                local.Add(new ResubmitAction(OfTable.CheckLoopback));
            }
        }

        var match = OutportMatch(dp.TunnelKey, mc.TunnelKey);
        uint cookie = UuidText.FirstPart(mc.Uuid);
        bool localPorts = local.Count > 0;
        if (localPorts)
        {
            local.Add(Load(Reg15, (uint)mc.TunnelKey));
            c.Flows.Add(OfTable.LocalOutput, 100, cookie, match, local);
        }

        if (remote.Count > 0)
        {
            remote.Add(Load(Reg15, (uint)mc.TunnelKey));
            if (localPorts)
            {
                remote.Add(new ResubmitAction(OfTable.LocalOutput));
            }

            c.Flows.Add(OfTable.RemoteOutput, 100, cookie, match, remote);
        }
    }

    /// <summary>The flows <c>physical_run</c> always adds (no tunnels): defaults of tables 0, 37-41, 64 and 65.</summary>
    private static void AddFixedFlows(DesiredFlows flows)
    {
        OvsMatch Flags(int value, int mask)
        {
            var m = new OvsMatch();
            m.Regs[10] = ((uint)value, (uint)mask);
            return m;
        }

        flows.Add(OfTable.PhysicalToLogical, 0, 0, new OvsMatch(), []);
        flows.Add(OfTable.OutputInit, 0, 0, new OvsMatch(), [new ResubmitAction(OfTable.RemoteOutput)]);
        flows.Add(OfTable.OutputLargePktProcess, 10, 0, Flags(AllowLoopback, AllowLoopback), [new ResubmitAction(OfTable.LocalOutput)]);
        flows.Add(OfTable.OutputLargePktProcess, 0, 0, new OvsMatch(), [new ResubmitAction(OfTable.RemoteOutput)]);
        flows.Add(OfTable.RemoteOutput, 150, 0, Flags(RcvFromRamp, RcvFromRamp | AllowLoopback), [new ResubmitAction(OfTable.LocalOutput)]);
        flows.Add(OfTable.RemoteOutput, 150, 0, Flags(LocalOnly, LocalOnly), [new ResubmitAction(OfTable.LocalOutput)]);
        flows.Add(OfTable.RemoteOutput, 0, 0, new OvsMatch(), [new ResubmitAction(OfTable.LocalOutput)]);
        flows.Add(OfTable.LocalOutput, 0, 0, new OvsMatch(), []);
        var clear = Enumerable.Range(0, 10).Select(i => (OfAction)Load(OvsField.Get($"reg{i}"), 0)).ToList();
        clear.Add(new ResubmitAction(OfTable.LogicalEgress));
        flows.Add(OfTable.CheckLoopback, 0, 0, new OvsMatch(), clear);
        flows.Add(OfTable.SaveInport, 0, 0, new OvsMatch(), [new ResubmitAction(OfTable.LogToPhy)]);
        flows.Add(OfTable.LogToPhy, 0, 0, new OvsMatch(), []);
    }
}
