using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.OpenFlow;

/// <summary>
/// ovn-controller's FDB flows (controller/lflow.c <c>consider_fdb_flows</c>, OVN 23.03.1) for the SB FDB rows of
/// local switches: table 71 answers get_fdb with the learnt port in reg15 (outport), table 72 answers lookup_fdb —
/// the MAC was learnt on this inport — by setting bit 8 of reg10. Both at priority 100, cookie the row's UUID.
/// </summary>
public static class FdbFlows
{
    private const uint LookupFdbFlag = 1u << LogicalActionEncoder.LookupFdbBit;

    /// <summary>Adds the flows to <paramref name="flows"/>.</summary>
    public static void Build(SouthboundDatabase sb, ChassisView view, DesiredFlows flows)
    {
        var local = sb.DatapathBindings.Where(d => view.IsLocal(d.Uuid)).Select(d => d.TunnelKey).ToHashSet();
        foreach (var fdb in sb.Fdb)
        {
            if (!local.Contains(fdb.DpKey) || AddressText.ParseMac(fdb.Mac) is not { } mac)
            {
                continue;
            }

            uint cookie = UuidText.FirstPart(fdb.Uuid);
            var get = new OvsMatch { Metadata = ((ulong)fdb.DpKey, ulong.MaxValue), DlDst = (mac, 0xffffffffffff) };
            flows.Add(OfTable.GetFdb, 100, cookie, get, [new SetFieldAction(OvsField.Get("reg15"), (ulong)(uint)fdb.PortKey, uint.MaxValue)]);

            var lookup = new OvsMatch { Metadata = ((ulong)fdb.DpKey, ulong.MaxValue), DlSrc = (mac, 0xffffffffffff) };
            lookup.Regs[14] = ((uint)fdb.PortKey, uint.MaxValue);
            flows.Add(OfTable.LookupFdb, 100, cookie, lookup, [new SetFieldAction(OvsField.Get("reg10"), LookupFdbFlag, LookupFdbFlag)]);
        }
    }
}
