using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Files;
using Ovnsim.Ovsdb.Nbctl;
using Ovnsim.Ovsdb.Northbound;

namespace Ovnsim.Tests;

/// <summary>ovn-nbctl command files: the rows they make and the errors they give.</summary>
public sealed class NbctlScriptTests
{
    // Columns ovn-northd writes into NB (ovn-nb(5)); the seed's nb.db was saved with northd running. nb_cfg is
    // what `ovn-nbctl --wait` bumps, not a topology command.
    private static readonly HashSet<string> NorthdColumns =
    [
        "NB_Global.nb_cfg",
        "NB_Global.options", "NB_Global.sb_cfg", "NB_Global.sb_cfg_timestamp", "NB_Global.hv_cfg",
        "NB_Global.hv_cfg_timestamp", "NB_Global.nb_cfg_timestamp", "Logical_Switch_Port.up",
        "Logical_Switch_Port.dynamic_addresses",
    ];

    [Fact]
    public void The_seed_command_file_makes_the_rows_of_the_seed_nb_db()
    {
        var fromScript = NbctlScript.Run(File.ReadAllText(TestData.Seed("seed.nbctl")), "seed.nbctl").Database;
        var real = DatabaseFile.Load(TestData.Seed("nb.db"));

        var expected = TestData.Canonical(real, NorthdColumns);
        var actual = TestData.Canonical(fromScript, NorthdColumns);

        foreach (var (table, rows) in expected)
        {
            Assert.True(rows.SequenceEqual(actual[table]),
                $"{table}:\nexpected\n  {string.Join("\n  ", rows)}\nactual\n  {string.Join("\n  ", actual[table])}");
        }

        Assert.Equal(7, fromScript.GetTable("Logical_Switch_Port").Count);
    }

    [Theory]
    [InlineData("show-order/many")]
    [InlineData("show-order/flat")]
    public void Command_files_make_exactly_the_rows_real_ovn_nbctl_made(string dir)
    {
        // No ovn-northd ran for these goldens (tools/nb-golden.sh), so every column is compared.
        var fromScript = DatabaseSources.LoadNorthbound(TestData.Path(dir, "commands.nbctl")).Database;
        var real = DatabaseFile.Load(TestData.Path(dir, "nb.db"));
        Assert.Equal(TestData.Canonical(real), TestData.Canonical(fromScript));
    }

    [Fact]
    public void The_same_file_always_gives_the_same_uuids()
    {
        string text = File.ReadAllText(TestData.Seed("seed.nbctl"));
        var a = NbctlScript.Run(text, "seed.nbctl").LogicalSwitches.Select(s => s.Uuid);
        var b = NbctlScript.Run(text, "seed.nbctl").LogicalSwitches.Select(s => s.Uuid);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("ls-add sw0\nlsp-add sw9 p1\n", 2, "lsp-add", "sw9: switch name not found")]
    [InlineData("ls-add sw0\nls-add sw0\n", 2, "ls-add", "sw0: a switch with this name already exists")]
    [InlineData("lr-add r\nlrp-add r p1 zz:00:00:00:00:01 10.0.0.1/24\n", 2, "lrp-add", "p1: invalid mac address zz:00:00:00:00:01")]
    [InlineData("lr-add r\nlrp-add r p1 00:00:00:00:00:01 10.0.0.300/24\n", 2, "lrp-add", "p1: invalid network address: 10.0.0.300/24")]
    [InlineData("ls-add $SW\n", 1, "$SW", "shell expansions are not run")]
    [InlineData("ls-add sw0 ; ls-add sw1\n", 1, ";", "shell operator")]
    [InlineData("frobnicate sw0\n", 1, "frobnicate", "unknown command")]
    [InlineData("show\n", 1, "show", "this command only prints")]
    [InlineData("ls-add a b\n", 1, "ls-add", "takes at most 1 arguments")]
    [InlineData("--frob ls-add a\n", 1, "--frob", "'ls-add' command has no '--frob' option")]
    [InlineData("lb-add lb0 1.2.3.4:80 10.0.0.1 tcp\n", 1, "lb-add", "10.0.0.1: should be an IP address and a port number")]
    [InlineData("lb-add lb0 1.2.3.4:80 10.0.0.1:80 icmp\n", 1, "lb-add", "icmp: protocol must be one of")]
    [InlineData("lr-add r\nlr-nat-add r masquerade 1.2.3.4 10.0.0.0/24\n", 2, "lr-nat-add", "masquerade: type must be one of")]
    [InlineData("ls-add sw0\nset Logical_Switch sw0 bogus=1\n", 2, "set", "does not contain a column whose name matches \"bogus\"")]
    [InlineData("ls-add sw0\nset Logical_Switch sw9 name=x\n", 2, "set", "no row \"sw9\" in table Logical_Switch")]
    [InlineData("ls-add sw0 -- add Logical_Switch sw0 ports @p\n", 1, "@p", "referenced but never created")]
    [InlineData("ls-add sw0\nlsp-add sw0 p1 -- lsp-set-addresses p1 \"00:00:00:00:00:01 10.0.0.5\"\nlsp-add sw0 p2 -- lsp-set-addresses p2 \"00:00:00:00:00:02 10.0.0.5\"\n",
        3, "lsp-set-addresses", "duplicate IPv4 address '10.0.0.5' found on logical switch port 'p1'")]
    [InlineData("ls-add sw0 \\\n  -- lsp-add sw0 p1 \\\n  -- lsp-set-type p1 weird\n", 3, "lsp-set-type", "type 'weird' is unrecognized")]
    [InlineData("ls-add \"sw0\n", 1, null, "unterminated double quote")]
    public void Errors_name_the_file_line_and_word(string text, int line, string? word, string problem)
    {
        var e = Assert.Throws<NbctlException>(() => NbctlScript.Run(text, "topo.nbctl"));
        Assert.Equal(line, e.Line);
        Assert.Equal(word, e.Word);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"topo.nbctl:{line}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_nothing_refers_to_are_garbage_collected_as_ovsdb_does()
    {
        var nb = NbctlScript.Run("create Logical_Switch_Port name=orphan\nls-add sw0\n", "gc.nbctl");
        Assert.Empty(nb.LogicalSwitchPorts);
        Assert.Single(nb.LogicalSwitches);
    }

    [Fact]
    public void Generic_commands_edit_columns_with_ovs_vsctl_value_syntax()
    {
        var nb = NbctlScript.Run("""
            ovn-nbctl ls-add sw0
            set Logical_Switch sw0 other_config:subnet=10.0.0.0/24 'external_ids={a=1, "b c"="x=y"}'
            add Logical_Switch sw0 other_config mcast_snoop=true
            remove Logical_Switch sw0 other_config subnet
            lsp-add sw0 p1 -- lsp-set-port-security p1 "00:00:00:00:00:01 10.0.0.5" -- lsp-set-options p1 a=1 b=2
            clear Logical_Switch_Port p1 options
            --id=@lb create Load_Balancer name=lb1 vips:\"10.0.0.9:80\"=\"10.0.0.5:80\" -- add Logical_Switch sw0 load_balancer @lb
            """, "edit.nbctl");

        var sw = Assert.Single(nb.LogicalSwitches);
        Assert.Equal(new Dictionary<string, string> { ["mcast_snoop"] = "true" }, sw.OtherConfig);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b c"] = "x=y" }, sw.ExternalIds);
        var port = Assert.Single(sw.Ports);
        Assert.Empty(port.Options);
        Assert.Equal(["00:00:00:00:00:01 10.0.0.5"], port.PortSecurity);
        var lb = Assert.Single(sw.LoadBalancers);
        Assert.Equal("10.0.0.5:80", lb.Vips["10.0.0.9:80"]);
    }

    [Fact]
    public void Router_commands_normalize_addresses_as_ovn_nbctl_does()
    {
        var nb = NbctlScript.Run("""
            lr-add r
            lrp-add r r-gw 00:00:00:00:00:01 172.24.4.20/24
            lrp-set-gateway-chassis r-gw hv1 10
            lrp-set-gateway-chassis r-gw hv2 20
            lr-route-add r 10.1.2.3/16 172.24.4.1
            lr-nat-add r snat 172.24.4.20 10.0.0.5/26
            lr-nat-add r dnat_and_snat 172.24.4.30 10.0.0.7
            lb-add lb6 [fd00:0::10]:80 [fd00::0:2]:8080,[fd00::3]:8080 udp
            lr-lb-add r lb6
            """, "router.nbctl");

        var lr = Assert.Single(nb.LogicalRouters);
        var route = Assert.Single(lr.StaticRoutes);
        Assert.Equal("10.1.0.0/16", route.IpPrefix);
        Assert.Equal("172.24.4.1", route.Nexthop);
        var nats = lr.Nat.ToDictionary(n => n.Type);
        Assert.Equal("10.0.0.0/26", nats["snat"].LogicalIp);
        Assert.Equal("false", nats["dnat_and_snat"].Options["stateless"]);
        Assert.Equal(["hv2", "hv1"], lr.Ports[0].GatewayChassis.OrderByDescending(g => g.Priority).Select(g => g.ChassisName));
        var lb = Assert.Single(lr.LoadBalancers);
        Assert.Equal("udp", lb.Protocol);
        Assert.Equal("[fd00::2]:8080,[fd00::3]:8080", lb.Vips["[fd00::10]:80"]);
        Assert.Contains("hv1", NbctlShow.Render(nb), StringComparison.Ordinal);
    }
}
