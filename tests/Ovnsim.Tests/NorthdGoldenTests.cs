using System.Text.RegularExpressions;
using Ovnsim.Northd;
using Ovnsim.Northd.Southbound;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Nbctl;

namespace Ovnsim.Tests;

/// <summary>
/// The northd compiler against real ovn-northd 23.03.1 output: the seed reference and the golden topologies made by
/// tools/northd-golden.sh (Data/northd/*/: commands.nbctl, nb.db, sb.db, lflows.txt from the real programs).
/// </summary>
public sealed partial class NorthdGoldenTests
{
    public static TheoryData<string> Goldens() => new(GoldenNames());

    /// <summary>The golden topologies' names (the directories under Data/northd with a real lflows.txt).</summary>
    internal static IEnumerable<string> GoldenNames() =>
        Directory.GetDirectories(TestData.Path("northd")).Order(StringComparer.Ordinal)
            .Where(dir => File.Exists(Path.Combine(dir, "lflows.txt"))).Select(Path.GetFileName).OfType<string>();

    [Fact]
    public void The_seed_gives_the_286_reference_flows_identically()
    {
        var nb = DatabaseSources.LoadNorthbound(TestData.Seed("nb.db"));
        var sb = DatabaseSources.LoadSouthbound(TestData.Seed("sb.db"));
        var result = NorthdCompiler.Compile(nb, sb);
        Assert.Equal(286, result.FlowCount);
        Assert.Equal(File.ReadAllText(TestData.Seed("lflows.txt")), DumpFlows.Render(result.Listing()));
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void A_golden_topology_compiles_to_the_real_flows_with_its_sb(string name)
    {
        string dir = TestData.Path("northd", name);
        var nb = DatabaseSources.LoadNorthbound(Path.Combine(dir, "nb.db"));
        var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        var result = NorthdCompiler.Compile(nb, sb);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "lflows.txt")), DumpFlows.Render(result.Listing()));
        if (name == "odd-inputs")
        {
            // What northd logs and skips, ovnsim reports the same way, naming each row.
            Assert.Contains("lr0-bad: bad 'mac' zz:zz", result.Warnings);
            Assert.Contains("Bad ip address not-an-ip in nat configuration for router lr0", result.Warnings);
            Assert.Contains("No path for static route 10.9.0.0/16; next hop 192.0.2.1", result.Warnings);
            Assert.Contains(result.Warnings, w => w.StartsWith("bad 'ip_prefix' bogus in static route", StringComparison.Ordinal));
            Assert.Contains(result.Warnings, w => w.Contains("Failed to initialize LB VIP: 10.0.0.11", StringComparison.Ordinal));
            Assert.Contains("Unknown port type 'frobnicator' set on logical switch port 'odd-type'.", result.Warnings);
        }
        else
        {
            Assert.Empty(result.Warnings);
        }
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void A_golden_topology_compiles_from_nb_alone_with_the_same_tunnel_keys(string name)
    {
        string dir = TestData.Path("northd", name);
        var nb = DatabaseSources.LoadNorthbound(Path.Combine(dir, "nb.db"));
        var result = NorthdCompiler.Compile(nb);
        Assert.Equal(WithoutDatapathUuids(File.ReadAllText(Path.Combine(dir, "lflows.txt"))),
            WithoutDatapathUuids(DumpFlows.Render(result.Listing())));
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void A_golden_command_file_run_by_ovnsims_nbctl_compiles_to_the_real_flows(string name)
    {
        string dir = TestData.Path("northd", name);
        string script = File.ReadAllText(Path.Combine(dir, "commands.nbctl"));
        var nb = NbctlScript.Run(script, "commands.nbctl");
        var result = NorthdCompiler.Compile(nb);
        Assert.Equal(WithoutDatapathUuids(File.ReadAllText(Path.Combine(dir, "lflows.txt"))),
            WithoutDatapathUuids(DumpFlows.Render(result.Listing())));
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void An_sb_database_alone_prints_its_own_flows_as_dump_flows_does(string name)
    {
        string dir = TestData.Path("northd", name);
        var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "lflows.txt")), DumpFlows.Render(DumpFlows.FromSouthbound(sb)));
    }

    [Fact]
    public void Datapath_bindings_keep_the_sb_uuids_and_tunnel_keys_and_name_the_nb_rows()
    {
        var nb = DatabaseSources.LoadNorthbound(TestData.Seed("nb.db"));
        var sb = DatabaseSources.LoadSouthbound(TestData.Seed("sb.db"));
        var result = NorthdCompiler.Compile(nb, sb);
        var expected = sb.DatapathBindings.ToDictionary(d => d.Uuid);
        Assert.Equal(3, result.Datapaths.Count);
        foreach (var dp in result.Datapaths)
        {
            Assert.True(expected.TryGetValue(dp.Uuid, out var real));
            Assert.Equal(real.TunnelKey, dp.TunnelKey);
            Assert.Equal(real.ExternalIds.OrderBy(kv => kv.Key), dp.ExternalIds.OrderBy(kv => kv.Key));
        }
    }

    /// <summary>Datapath UUIDs differ between real runs; everything else must not.</summary>
    internal static string WithoutDatapathUuids(string dumpFlows) => DatapathUuid().Replace(dumpFlows, "(UUID)  Pipeline");

    [GeneratedRegex(@"\([0-9a-f-]{36}\)  Pipeline")]
    private static partial Regex DatapathUuid();
}
