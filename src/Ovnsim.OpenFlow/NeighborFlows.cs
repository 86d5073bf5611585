using System.Net;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.OpenFlow;

/// <summary>
/// ovn-controller's neighbor flows (controller/lflow.c <c>consider_neighbor_flow</c>) for the MAC bindings of local
/// datapaths: table 66 answers get_arp/get_nd (and lookup_*_ip) with the bound MAC in eth.dst, table 67 answers
/// lookup_arp/lookup_nd; both set bit 6 of reg10. Learned MAC_Binding rows get priority 100; Static_MAC_Binding
/// rows 150 when they override learned ones, else 50.
/// </summary>
public static class NeighborFlows
{
    private const uint LookupMacFlag = 1u << LogicalActionEncoder.LookupMacBit;

    /// <summary>Adds the flows to <paramref name="flows"/>.</summary>
    public static void Build(SouthboundDatabase sb, ChassisView view, DesiredFlows flows)
    {
        var byName = sb.PortBindings.ToDictionary(p => p.LogicalPort, StringComparer.Ordinal);
        foreach (var row in Rows(sb, "MAC_Binding"))
        {
            Consider(row, 100);
        }

        foreach (var row in Rows(sb, "Static_MAC_Binding"))
        {
            Consider(row, row.GetOptionalBoolean("override_dynamic_mac") == true ? 150 : 50);
        }

        void Consider(Row row, int priority)
        {
            if (!byName.TryGetValue(row.GetString("logical_port"), out var pb) || pb.Datapath is not { } dp
                || !view.IsLocal(dp.Uuid) || AddressText.ParseMac(row.GetString("mac")) is not { } mac
                || !IPAddress.TryParse(row.GetString("ip"), out var ip))
            {
                return;
            }

            UInt128 value = AddressText.Value(ip);

            var get = new OvsMatch { Metadata = ((ulong)dp.TunnelKey, ulong.MaxValue) };
            var lookup = new OvsMatch { Metadata = ((ulong)dp.TunnelKey, ulong.MaxValue) };
            if (row.GetString("ip").Contains('.', StringComparison.Ordinal))
            {
                get.Regs[0] = ((uint)value, uint.MaxValue);
                lookup.Regs[0] = ((uint)value, uint.MaxValue);
                lookup.DlType = 0x0806;
            }
            else
            {
                get.SetXxreg(0, value);
                lookup.SetXxreg(0, value);

                lookup.DlType = 0x86dd;
                lookup.NwProto = 58;
                lookup.TpDst = (0, 0xffff);
            }

            get.Regs[15] = ((uint)pb.TunnelKey, uint.MaxValue);
            lookup.Regs[14] = ((uint)pb.TunnelKey, uint.MaxValue);
            lookup.DlSrc = (mac, 0xffffffffffff);
            uint cookie = UuidText.FirstPart(row.Uuid);
            var flag = new SetFieldAction(OvsField.Get("reg10"), LookupMacFlag, LookupMacFlag);
            flows.Add(OfTable.MacBinding, priority, cookie, get,
                [new SetFieldAction(OvsField.Get("eth_dst"), mac, 0xffffffffffff), flag]);
            flows.Add(OfTable.MacLookup, priority, cookie, lookup, [flag]);
        }
    }

    private static IReadOnlyList<Row> Rows(SouthboundDatabase sb, string table) =>
        sb.Database.Tables.TryGetValue(table, out var t) ? t.Rows : [];

}
