using BenchmarkDotNet.Attributes;
using Ovnsim.Ovsdb.Files;
using Ovnsim.Ovsdb.Nbctl;

namespace Ovnsim.Bench;

/// <summary>
/// Loading database files: the seed's SB (131 KB, 221 logical flows), its NB transaction log (40 records), and a
/// generated ovn-nbctl command file of 1,000 switches with one port each.
/// </summary>
[MemoryDiagnoser]
public class DatabaseLoadBenchmarks
{
    private string _script = "";

    [GlobalSetup]
    public void Setup()
    {
        var lines = new List<string>();
        for (int i = 0; i < 1000; i++)
        {
            lines.Add($"ls-add sw{i} -- lsp-add sw{i} p{i} -- lsp-set-addresses p{i} \"00:00:00:00:{i / 256:x2}:{i % 256:x2} 10.{i / 256}.{i % 256}.10\"");
        }

        _script = string.Join('\n', lines);
    }

    [Benchmark]
    public int SeedSouthbound() => DatabaseFile.Load(Path.Combine(AppContext.BaseDirectory, "Data/seed/sb.db")).GetTable("Logical_Flow").Count;

    [Benchmark]
    public int SeedNorthboundTransactionLog() => DatabaseFile.Load(Path.Combine(AppContext.BaseDirectory, "Data/seed/nb-txnlog.db")).GetTable("Logical_Switch").Count;

    [Benchmark]
    public int NbctlThousandSwitches() => NbctlScript.Run(_script, "bench.nbctl").LogicalSwitches.Count;
}
