using Ovnsim.Northd;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Tests;

/// <summary>
/// The Southbound rows besides logical flows — Port_Binding, Multicast_Group, Address_Set, Load_Balancer — against
/// the rows the real ovn-northd wrote in each golden sb.db (and the seed reference).
/// </summary>
public sealed class NorthdSouthboundTests
{
    public static TheoryData<string> Databases()
    {
        var data = new TheoryData<string> { TestData.Path("seed") };
        foreach (string name in NorthdGoldenTests.GoldenNames())
        {
            data.Add(TestData.Path("northd", name));
        }

        return data;
    }

    private static (NorthdResult Result, SouthboundDatabase Sb) Compile(string dir)
    {
        var nb = DatabaseSources.LoadNorthbound(Path.Combine(dir, "nb.db"));
        var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        return (NorthdCompiler.Compile(nb, sb), sb);
    }

    private static string Map(IEnumerable<KeyValuePair<string, string>> map) =>
        "{" + string.Join(", ", map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) + "}";

    private static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Order(StringComparer.Ordinal)) + "]";

    [Theory]
    [MemberData(nameof(Databases))]
    public void Port_bindings_are_the_ones_northd_wrote(string dir)
    {
        var (result, sb) = Compile(dir);
        var (expected, actual) = PortBindings(result, sb);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    /// <summary>The real and the compiled Port_Binding rows as comparable lines.</summary>
    internal static (List<string> Expected, List<string> Actual) PortBindings(NorthdResult result, SouthboundDatabase sb)
    {
        var expected = sb.PortBindings.Select(pb =>
        {
            var group = pb.Row.GetRef("ha_chassis_group");
            string ha = group is null ? "" : group.GetString("name") + ":" + List(group.GetRefs("ha_chassis").Select(h =>
                $"{h.GetRef("chassis")?.GetString("name")}/{h.GetOptionalInteger("priority")}"));
            return $"{pb.LogicalPort} dp={pb.Datapath?.Name} key={pb.TunnelKey} type={pb.Type} options={Map(pb.Options)} "
                   + $"mac={List(pb.Mac)} ps={List(pb.Row.GetStrings("port_security"))} nat={List(pb.Row.GetStrings("nat_addresses"))} "
                   + $"tag={pb.Tag} parent={pb.Row.GetOptionalString("parent_port")} ids={Map(pb.ExternalIds)} ha={ha}";
        }).Order(StringComparer.Ordinal).ToList();
        var actual = result.PortBindings.Select(pb =>
        {
            string ha = pb.HaChassisGroup is null ? "" : pb.HaChassisGroup + ":" + List(pb.HaChassis.Select(h => $"{h.Chassis}/{h.Priority}"));
            return $"{pb.LogicalPort} dp={pb.Datapath.Name} key={pb.TunnelKey} type={pb.Type} options={Map(pb.Options)} "
                   + $"mac={List(pb.Mac)} ps={List(pb.PortSecurity)} nat={List(pb.NatAddresses)} "
                   + $"tag={pb.Tag} parent={pb.ParentPort} ids={Map(pb.ExternalIds)} ha={ha}";
        }).Order(StringComparer.Ordinal).ToList();
        return (expected, actual);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public void Multicast_groups_are_the_ones_northd_wrote(string dir)
    {
        var (result, sb) = Compile(dir);
        var (expected, actual) = MulticastGroups(result, sb);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    /// <summary>The real and the compiled Multicast_Group rows as comparable lines.</summary>
    internal static (List<string> Expected, List<string> Actual) MulticastGroups(NorthdResult result, SouthboundDatabase sb)
    {
        var expected = sb.MulticastGroups.Select(g => $"{g.Row.GetRef("datapath")?.GetMap("external_ids")["name"]} {g.Row.GetString("name")} "
            + $"{g.Row.GetOptionalInteger("tunnel_key")} {List(g.Row.GetRefs("ports").Select(p => p.GetString("logical_port")))}")
            .Order(StringComparer.Ordinal).ToList();
        var actual = result.MulticastGroups.Select(g => $"{g.Datapath.Name} {g.Name} {g.TunnelKey} {List(g.Ports)}")
            .Order(StringComparer.Ordinal).ToList();
        return (expected, actual);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public void Logical_flow_rows_share_datapath_groups_and_tags_as_northd_did(string dir)
    {
        var (result, sb) = Compile(dir);
        var (expected, actual) = FlowRows(result, sb);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected, actual);
    }

    /// <summary>Logical_Flow rows as (real, ovnsim) sorted lines: stage, match, actions, datapaths, in_out_port tag.</summary>
    internal static (List<string> Expected, List<string> Actual) FlowRows(NorthdResult result, SouthboundDatabase sb)
    {
        var expected = sb.LogicalFlows.Select(f =>
        {
            var dps = f.LogicalDatapath is { } one ? [one.Name] : f.LogicalDpGroup!.Datapaths.Select(d => d.Name).ToList();
            string tag = f.Row.GetMap("tags").GetValueOrDefault("in_out_port") is { } port ? $" in_out_port={port}" : "";
            return $"{f.Pipeline} {f.TableId} {f.StageName} {f.Priority} ({f.Match}) ({f.Actions}) on {List(dps)}{tag}";
        }).Order(StringComparer.Ordinal).ToList();
        var actual = result.LogicalFlowRows().Select(r =>
            $"{r.Flow.Stage.PipelineName} {r.Flow.Stage.Table} {r.Flow.Stage.Name} {r.Flow.Priority} ({r.Flow.Match}) ({r.Flow.Actions}) "
            + $"on {List(r.Datapaths.Select(d => d.Name))}{(r.InOutPort is { } port ? $" in_out_port={port}" : "")}")
            .Order(StringComparer.Ordinal).ToList();
        return (expected, actual);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public void Address_sets_are_the_ones_northd_wrote(string dir)
    {
        var (result, sb) = Compile(dir);
        var expected = sb.AddressSets.Select(a => $"{a.Name} {List(a.Addresses)}").Order(StringComparer.Ordinal);
        var actual = result.AddressSets.Select(a => $"{a.Name} {List(a.Addresses)}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public void Sb_load_balancers_are_the_ones_northd_wrote(string dir)
    {
        var (result, sb) = Compile(dir);
        var expected = sb.Database.Tables["Load_Balancer"].Rows.Select(lb =>
            $"{lb.GetString("name")} {lb.GetOptionalString("protocol")} {Map(lb.GetMap("vips"))} {Map(lb.GetMap("options"))} "
            + List((lb.GetRef("datapath_group")?.GetRefs("datapaths") ?? lb.GetRefs("datapaths"))
                .Select(d => d.GetMap("external_ids")["name"]))).Order(StringComparer.Ordinal);
        var actual = result.LoadBalancers.Select(lb =>
            $"{lb.Name} {lb.Protocol} {Map(lb.Vips)} {Map(lb.Options)} {List(lb.Datapaths.Select(d => d.Name))}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }
}
