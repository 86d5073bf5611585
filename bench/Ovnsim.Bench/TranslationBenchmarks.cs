using BenchmarkDotNet.Attributes;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Bench;

/// <summary>
/// ovn-controller's translation of the seed's logical flows (221 SB rows, 285 flow/datapath pairs on the chassis)
/// into OpenFlow flows and groups: parsing, match compilation, action encoding and formatting, from a loaded SB.
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private SouthboundDatabase _sb = null!;
    private ChassisView _chassis = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sb = DatabaseSources.LoadSouthbound(Path.Combine(AppContext.BaseDirectory, "Data/seed/sb.db"));
        var ifaces = DatabaseSources.LoadOpenVswitch(Path.Combine(AppContext.BaseDirectory, "Data/seed/conf.db")).Interfaces
            .Select(i => i.ExternalIds.GetValueOrDefault("iface-id")).OfType<string>();
        _chassis = ChassisView.Of(_sb, null, ifaces);
    }

    [Benchmark]
    public int TranslateSeed() => LogicalFlowTranslator.Translate(_sb, _chassis).Flows.Count;
}
