using BenchmarkDotNet.Attributes;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Bench;

/// <summary>
/// ovn-controller's translation of the seed's logical flows (221 SB rows, 285 flow/datapath pairs on the chassis)
/// into OpenFlow flows and groups: parsing, match compilation, action encoding and formatting, from a loaded SB; and
/// the whole integration bridge (479 flows).
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private SouthboundDatabase _sb = null!;
    private ChassisView _chassis = null!;
    private Hypervisor _hypervisor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sb = DatabaseSources.LoadSouthbound(Path.Combine(AppContext.BaseDirectory, "Data/seed/sb.db"));
        _hypervisor = Hypervisor.FromOpenVswitch(DatabaseSources.LoadOpenVswitch(Path.Combine(AppContext.BaseDirectory, "Data/seed/conf.db")));
        _chassis = ChassisView.Of(_sb, _hypervisor.ChassisName, _hypervisor.VifOfports.Keys);
    }

    [Benchmark(Baseline = true)]
    public int TranslateSeed() => LogicalFlowTranslator.Translate(_sb, _chassis).Flows.Count;

    /// <summary>All of br-int: the logical flows plus physical, hairpin, port-security and neighbor flows (479).</summary>
    [Benchmark]
    public int WholeBridgeSeed() => IntegrationBridge.Build(_sb, _hypervisor).Flows.Count;
}
