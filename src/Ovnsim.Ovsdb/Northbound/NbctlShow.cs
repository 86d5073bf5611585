using System.Text;
using Ovnsim.Ovsdb.Ordering;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Northbound;

/// <summary>
/// What <c>ovn-nbctl show</c> prints (<c>utilities/ovn-nbctl.c</c>, <c>print_ls</c> and <c>print_lr</c> of 23.03):
/// every switch, then every router, with their ports, addresses, gateway chassis and NAT rules.
/// </summary>
/// <remarks>
/// Ports and NAT rules come out in the order ovsdb keeps a set of UUIDs in (sorted). Switches and routers come out in
/// the order <c>NBREC_*_FOR_EACH</c> walks the IDL's rows, which is the end of a chain of hash tables, each filled in
/// the iteration order of the one before: ovsdb-server's table (<see cref="Table.ServerOrder"/>), its monitor's
/// change set (keyed by UUID), the JSON object of the update (a <c>shash</c> keyed by the UUID text), one more table
/// keyed by UUID, the client's parse of the JSON (keyed by text) and the IDL's table (keyed by UUID).
/// <see cref="OvsHmap{T}"/> replays each stage. The stages come from reading the OVS sources, except the fourth,
/// which was found by fitting real <c>ovn-nbctl show</c> output; the chain matches every golden file in
/// tests/Ovnsim.Tests/Data/show-order (made by tools/nb-golden.sh), switches and routers, row for row.
/// </remarks>
public static class NbctlShow
{
    /// <summary>Renders the whole database, as <c>ovn-nbctl show</c> with no argument.</summary>
    public static string Render(NorthboundDatabase nb)
    {
        var s = new StringBuilder();
        foreach (var row in IdlOrder(nb.Database.GetTable("Logical_Switch")))
        {
            PrintSwitch(new LogicalSwitch(row), s);
        }

        foreach (var row in IdlOrder(nb.Database.GetTable("Logical_Router")))
        {
            PrintRouter(new LogicalRouter(row), s);
        }

        return s.ToString();
    }

    /// <summary>The order in which an IDL client of ovsdb-server (such as ovn-nbctl) walks a table's rows.</summary>
    public static IReadOnlyList<Row> IdlOrder(Table table)
    {
        static uint UuidHash(Row r) => UuidText.FirstPart(r.Uuid);
        static uint TextHash(Row r) => OvsHash.String(UuidText.Format(r.Uuid));
        var changes = OvsHmap.Order(table.ServerOrder, UuidHash);
        var sent = OvsHmap.Order(changes, TextHash);
        var relayed = OvsHmap.Order(sent, UuidHash);
        var parsed = OvsHmap.Order(relayed, TextHash);
        return OvsHmap.Order(parsed, UuidHash);
    }

    private static void PrintSwitch(LogicalSwitch ls, StringBuilder s)
    {
        s.Append("switch ").Append(UuidText.Format(ls.Uuid)).Append(" (").Append(ls.Name).Append(')');
        PrintAlias(ls.ExternalIds, "neutron:network_name", s);
        s.Append('\n');
        foreach (var lsp in ls.Ports)
        {
            s.Append("    port ").Append(lsp.Name);
            PrintAlias(lsp.ExternalIds, "neutron:port_name", s);
            s.Append('\n');
            if (lsp.Type.Length > 0)
            {
                s.Append("        type: ").Append(lsp.Type).Append('\n');
            }

            if (lsp.ParentName is { } parent)
            {
                s.Append("        parent: ").Append(parent).Append('\n');
            }

            if (lsp.Tag is { } tag)
            {
                s.Append("        tag: ").Append(tag).Append('\n');
            }

            // A lone "router" address is not printed: ovn-nbctl calls it clutter.
            var addresses = lsp.Addresses;
            if (addresses.Count > 0 && !(addresses.Count == 1 && addresses[0] == "router"))
            {
                s.Append("        addresses: [").AppendJoin(", ", addresses.Select(Quote)).Append("]\n");
            }

            if (lsp.Options.GetValueOrDefault("router-port") is { } routerPort)
            {
                s.Append("        router-port: ").Append(routerPort).Append('\n');
            }
        }
    }

    private static void PrintRouter(LogicalRouter lr, StringBuilder s)
    {
        s.Append("router ").Append(UuidText.Format(lr.Uuid)).Append(" (").Append(lr.Name).Append(')');
        PrintAlias(lr.ExternalIds, "neutron:router_name", s);
        s.Append('\n');
        foreach (var lrp in lr.Ports)
        {
            s.Append("    port ").Append(lrp.Name).Append('\n');
            s.Append("        mac: ").Append(Quote(lrp.Mac)).Append('\n');
            if (lrp.Networks.Count > 0)
            {
                s.Append("        networks: [").AppendJoin(", ", lrp.Networks.Select(Quote)).Append("]\n");
            }

            if (lrp.Options.GetValueOrDefault("route_table") is { } routeTable)
            {
                s.Append("        route-table: ").Append(routeTable).Append('\n');
            }

            var gateways = lrp.GatewayChassis;
            if (gateways.Count > 0)
            {
                // Highest priority first; equal priorities by name, descending (compare_chassis_prio_).
                var ordered = gateways
                    .OrderByDescending(g => g.Priority)
                    .ThenByDescending(g => g.Name, Comparer<string>.Create(Atom.CompareUtf8));
                s.Append("        gateway chassis: [").AppendJoin(' ', ordered.Select(g => g.ChassisName)).Append("]\n");
            }
        }

        foreach (var nat in lr.Nat)
        {
            s.Append("    nat ").Append(UuidText.Format(nat.Uuid)).Append('\n');
            s.Append("        external ip: ").Append(Quote(nat.ExternalIp)).Append('\n');
            if (nat.ExternalPortRange.Length > 0)
            {
                s.Append("        external port(s): ").Append(Quote(nat.ExternalPortRange)).Append('\n');
            }

            s.Append("        logical ip: ").Append(Quote(nat.LogicalIp)).Append('\n');
            s.Append("        type: ").Append(Quote(nat.Type)).Append('\n');
        }
    }

    private static void PrintAlias(IReadOnlyDictionary<string, string> externalIds, string key, StringBuilder s)
    {
        if (externalIds.GetValueOrDefault(key) is { Length: > 0 } alias)
        {
            s.Append(" (aka ").Append(alias).Append(')');
        }
    }

    // ovn-nbctl prints these with "\"%s\"", no escaping.
    private static string Quote(string value) => "\"" + value + "\"";
}
