using System.Text.RegularExpressions;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb;

namespace Ovnsim.Tests;

/// <summary>
/// The whole of br-int as real ovn-controller fills it: the logical tables and the physical flows ovnsim makes from
/// a golden's sb.db and conf.db (conntrack zones restored from br-int's external_ids, as ovn-controller restores
/// them) against every line of the real <c>ovs-ofctl dump-flows</c>, cookies included, group ids replaced by the
/// groups' texts.
/// </summary>
public sealed partial class PhysicalFlowsTests
{
    [Theory]
    [MemberData(nameof(MatchCompilerTests.Hypervisors), MemberType = typeof(MatchCompilerTests))]
    public void Every_flow_on_br_int_is_the_real_one(string dir)
    {
        var differences = Compare(dir);
        Assert.True(differences.Count == 0, $"{differences.Count} differ:\n{string.Join("\n", differences.Take(30))}");
    }

    /// <summary>
    /// An SB whose ports no ovn-controller has bound yet (as northd alone writes it) gives the same br-int as the
    /// bound one: ovnsim claims the VIFs and the chassisredirect port as the chassis's ovn-controller would.
    /// </summary>
    [Theory]
    [MemberData(nameof(MatchCompilerTests.Hypervisors), MemberType = typeof(MatchCompilerTests))]
    public void Unbound_ports_are_claimed_as_ovn_controller_claims_them(string dir)
    {
        var bound = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        var expected = IntegrationBridge.Build(bound, Hypervisor.Default(bound)).Flows.Select(f => f.ToOfctlLine()).Order().ToList();

        var unbound = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        foreach (var pb in unbound.PortBindings.Where(p => p.Chassis is not null))
        {
            Database.Write(pb.Row, "chassis", Ovnsim.Ovsdb.Values.Datum.Empty);
        }

        Assert.DoesNotContain(unbound.PortBindings, p => p.Chassis is not null);
        var claimed = IntegrationBridge.Build(unbound, Hypervisor.Default(unbound)).Flows.Select(f => f.ToOfctlLine()).Order().ToList();
        Assert.True(expected.Count > 100, $"only {expected.Count} flows");
        Assert.Equal(expected, claimed);
    }

    /// <summary>
    /// The whole chain in one process: ovnsim's northd compiles the golden's nb.db (keeping sb.db's keys and rows,
    /// as northd does on restart) into an in-memory SB, and ovnsim's ovn-controller translates that: the same br-int
    /// as the real programs made, line for line.
    /// </summary>
    [Theory]
    [MemberData(nameof(MatchCompilerTests.Hypervisors), MemberType = typeof(MatchCompilerTests))]
    public void From_the_nb_database_northd_and_ovn_controller_give_the_real_br_int(string dir)
    {
        var nb = DatabaseSources.LoadNorthbound(Path.Combine(dir, "nb.db"));
        var existing = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        var sb = Ovnsim.Northd.Southbound.SouthboundWriter.Write(Ovnsim.Northd.NorthdCompiler.Compile(nb, existing), existing);
        var differences = Compare(dir, sb);
        Assert.True(differences.Count == 0, $"{differences.Count} differ:\n{string.Join("\n", differences.Take(30))}");
    }

    /// <summary>The lines only one side has, for a directory made by tools/northd-golden.sh --controller.</summary>
    internal static List<string> Compare(string dir, Ovnsim.Ovsdb.Southbound.SouthboundDatabase? sbOverride = null)
    {
        var sb = sbOverride ?? DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        var hv = Hypervisor.FromOpenVswitch(DatabaseSources.LoadOpenVswitch(Path.Combine(dir, "conf.db")));
        var bridge = IntegrationBridge.Build(sb, hv);
        var realGroups = GroupTexts.Real(dir);

        // The chassis-MAC flows of table 0 (priority 180) are the same match for every router port on a localnet
        // switch; ovn-controller keeps the one of whichever port it met first, an order that follows memory
        // addresses (the port-binding index breaks ties by row pointer), so they are compared without the cookie
        // and the router port's MAC.
        string Normalize(string line) => ChassisMacMac().Replace(ChassisMacFlow().Replace(line, "cookie=*, priority=180,"), "set_field:*->eth_src");
        var real = File.ReadLines(Path.Combine(dir, "openflow-nostats.txt")).Where(l => l.StartsWith(' '))
            .Select(l => Normalize(GroupTexts.Inline(l, realGroups)))
            .ToHashSet(StringComparer.Ordinal);
        var ours = bridge.Flows.Select(f => Normalize(GroupTexts.Inline(f.ToOfctlLine(), bridge.Groups)))
            .ToHashSet(StringComparer.Ordinal);
        return real.Except(ours).Select(l => "real only:   " + l)
            .Concat(ours.Except(real).Select(l => "ovnsim only: " + l)).Order(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"cookie=0x[0-9a-f]+, priority=180,(?=(conj_id=100,)?(in_port=\d+,)?(vlan_tci|dl_vlan)=)")]
    private static partial Regex ChassisMacFlow();

    [GeneratedRegex(@"(?<=cookie=\*, priority=180,conj_id=100,.*)set_field:[0-9a-f:]{17}->eth_src")]
    private static partial Regex ChassisMacMac();

}
