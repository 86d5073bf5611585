using FsCheck;
using FsCheck.Fluent;
using Ovnsim.Northd;
using Ovnsim.Northd.Southbound;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Nbctl;

namespace Ovnsim.Tests;

/// <summary>
/// Differential fuzzing against the real ovn-northd 23.03.1: random topologies within the northd issue's scope
/// (switches with VIF, unknown, localport, localnet and disabled ports and port security; routers with distributed
/// gateway ports, SNAT/DNAT/floating IPs centralized and distributed, default and static routes, several routers on
/// shared switches; TCP, UDP and IP-only load balancers, IPv4 and IPv6, on routers and switches) are built in real
/// OVN by tools/northd-golden.sh, and ovnsim must print exactly the same dump-flows from the same NB and SB. A
/// mismatch is shrunk and printed as the nbctl command file. OVNSIM_FUZZ_TOPOLOGIES sets the count (default 60).
/// </summary>
public sealed partial class NorthdDifferentialTests
{
    [Fact]
    public void Random_topologies_compile_exactly_as_real_ovn_northd_does()
    {
        if (RealOvn.OptedOut)
        {
            return;
        }

        RealOvn.RequireInstalled();
        int count = int.TryParse(Environment.GetEnvironmentVariable("OVNSIM_FUZZ_TOPOLOGIES"), out int n) ? n : 60;
        var gen = Gen.Choose(0, int.MaxValue).Select(seed => TopologySpec.Random(new Random(seed)));
        var arb = Arb.From(gen, spec => spec.Shrink());
        var property = Prop.ForAll(arb, spec => CompilesLikeRealNorthd(spec));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(count).WithQuietOnSuccess(true), property);
    }

    /// <summary>
    /// The same random topologies on a real hypervisor (ovs-vswitchd on the dummy datapath and ovn-controller): the
    /// OpenFlow flows (matches and actions) and groups ovnsim translates from the real SB print exactly as ovs-ofctl
    /// prints the installed ones, and so do the physical, hairpin and port-security flows (the whole of br-int).
    /// OVNSIM_FUZZ_HYPERVISORS sets the count (default 30).
    /// </summary>
    [Fact]
    public void Random_topologies_translate_logical_flows_as_real_ovn_controller()
    {
        if (RealOvn.OptedOut)
        {
            return;
        }

        RealOvn.RequireInstalled(hypervisor: true);
        int count = int.TryParse(Environment.GetEnvironmentVariable("OVNSIM_FUZZ_HYPERVISORS"), out int n) ? n : 30;
        var gen = Gen.Choose(0, int.MaxValue).Select(seed => TopologySpec.Random(new Random(seed)));
        var property = Prop.ForAll(Arb.From(gen, spec => spec.Shrink()), spec =>
        {
            string dir = RealOvn.RunNorthd(spec.Render(), withController: true);
            try
            {
                var (_, failures) = ActionEncoderTests.CompareFlowTexts(dir);
                failures.AddRange(PhysicalFlowsTests.Compare(dir).Where(d => !LogicalTable().IsMatch(d)));
                if (failures.Count == 0)
                {
                    return true;
                }

                throw new Xunit.Sdk.XunitException($"OpenFlow flows differ from ovn-controller's:\n{string.Join("\n", failures.Take(5))}"
                                                   + $"\n--- topology ---\n{spec.Render()}");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(count).WithQuietOnSuccess(true), property);
    }

    /// <summary>The generator's command files are valid for ovnsim's nbctl too (no real OVN needed).</summary>
    [Fact]
    public void Generated_command_files_run_in_ovnsims_nbctl_and_compile_without_crashing()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var spec = TopologySpec.Random(new Random(seed));
            var nb = NbctlScript.Run(spec.Render(), $"seed-{seed}.nbctl");
            var result = NorthdCompiler.Compile(nb);
            Assert.True(result.FlowCount > 0 || spec.Switches.Count == 0, $"seed {seed}: no flows");
        }
    }

    private static bool CompilesLikeRealNorthd(TopologySpec spec)
    {
        string dir = RealOvn.RunNorthd(spec.Render());
        try
        {
            var nb = DatabaseSources.LoadNorthbound(Path.Combine(dir, "nb.db"));
            var sb = DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db"));
            string expected = File.ReadAllText(Path.Combine(dir, "lflows.txt"));
            var result = NorthdCompiler.Compile(nb, sb);
            string actual = DumpFlows.Render(result.Listing());
            var (realPorts, ourPorts) = NorthdSouthboundTests.PortBindings(result, sb);
            var (realGroups, ourGroups) = NorthdSouthboundTests.MulticastGroups(result, sb);
            var (realRows, ourRows) = NorthdSouthboundTests.FlowRows(result, sb);
            if (expected == actual && realPorts.SequenceEqual(ourPorts) && realGroups.SequenceEqual(ourGroups)
                && realRows.SequenceEqual(ourRows))
            {
                return true;
            }

            string diff = FirstDifferences(expected, actual) + "\n"
                          + FirstDifferences(string.Join('\n', realPorts.Concat(realGroups)), string.Join('\n', ourPorts.Concat(ourGroups)))
                          + "\n" + FirstDifferences(string.Join('\n', realRows), string.Join('\n', ourRows));
            throw new Xunit.Sdk.XunitException($"ovnsim differs from ovn-northd:\n{diff}\n--- topology ---\n{spec.Render()}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The lines only one side has, a few of each.</summary>
    private static string FirstDifferences(string expected, string actual)
    {
        var real = expected.Split('\n').ToHashSet(StringComparer.Ordinal);
        var ours = actual.Split('\n').ToHashSet(StringComparer.Ordinal);
        var missing = real.Except(ours).Take(8).Select(l => "- real only: " + l);
        var extra = ours.Except(real).Take(8).Select(l => "+ ovnsim only: " + l);
        return string.Join('\n', missing.Concat(extra));
    }

    /// <summary>Lines of the logical tables (compared above, allowing for duplicate matches).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@" table=(8|9|[12][0-9]|3[0-6]|4[2-9]|5[0-9]|6[0-3]), ")]
    private static partial System.Text.RegularExpressions.Regex LogicalTable();
}
