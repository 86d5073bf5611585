using BenchmarkDotNet.Attributes;
using Ovnsim.Northd;
using Ovnsim.Ovsdb.Nbctl;
using Ovnsim.Ovsdb.Northbound;

namespace Ovnsim.Bench;

/// <summary>
/// Compiling a large NB into logical flows: 1,000 tenant routers, each with its own tenant switch (two VMs), a
/// distributed gateway port on one shared provider switch, SNAT, a default route and a port-forwarding balancer of
/// 10 VIPs — 1,001 switches, 1,000 routers, 10,000 VIPs. The seed is compiled beside it.
/// </summary>
[MemoryDiagnoser]
public class NorthdCompileBenchmarks
{
    private NorthboundDatabase _large = null!;
    private NorthboundDatabase _seed = null!;

    /// <summary>The number of routers (and tenant switches, and balancers of 10 VIPs).</summary>
    [Params(1000)]
    public int Routers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _large = NbctlScript.Run(LargeTopology(Routers), "large.nbctl");
        _seed = NbctlScript.Run(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data/seed/seed.nbctl")), "seed.nbctl");
    }

    [Benchmark(Baseline = true)]
    public int Seed() => NorthdCompiler.Compile(_seed).FlowCount;

    [Benchmark]
    public int LargeNeutronCloud() => NorthdCompiler.Compile(_large).FlowCount;

    /// <summary>The topology as an nbctl command file; many commands per line so loading it stays quick.</summary>
    public static string LargeTopology(int routers)
    {
        var lines = new List<string>
        {
            "ls-add public -- lsp-add public provnet -- lsp-set-type provnet localnet -- lsp-set-addresses provnet unknown "
            + "-- lsp-set-options provnet network_name=physnet1",
        };
        for (int r = 0; r < routers; r++)
        {
            string net = $"10.{r / 250}.{r % 250}";
            string ext = $"172.{16 + (r / 250)}.{r % 250}";
            var cmds = new List<string>
            {
                $"ls-add sw{r}",
                $"lsp-add sw{r} vm{r}a", $"lsp-set-addresses vm{r}a \"fa:16:3e:{r / 256:x2}:{r % 256:x2}:0a {net}.10\"",
                $"lsp-add sw{r} vm{r}b", $"lsp-set-addresses vm{r}b \"fa:16:3e:{r / 256:x2}:{r % 256:x2}:0b {net}.11\"",
                $"lr-add lr{r}", $"set Logical_Router lr{r} options:dynamic_neigh_routers=true",
                $"lrp-add lr{r} lr{r}-gw fa:16:3f:{r / 256:x2}:{r % 256:x2}:01 {ext}.1/24",
                $"lrp-set-gateway-chassis lr{r}-gw hv{r % 3} 1",
                $"lrp-add lr{r} lr{r}-in fa:16:3f:{r / 256:x2}:{r % 256:x2}:02 {net}.1/24",
                $"lsp-add sw{r} sw{r}-lr", $"lsp-set-type sw{r}-lr router", $"lsp-set-addresses sw{r}-lr router",
                $"lsp-set-options sw{r}-lr router-port=lr{r}-in",
                $"lsp-add public pub-lr{r}", $"lsp-set-type pub-lr{r} router", $"lsp-set-addresses pub-lr{r} router",
                $"lsp-set-options pub-lr{r} router-port=lr{r}-gw nat-addresses=router",
                $"lr-nat-add lr{r} snat {ext}.1 {net}.0/24",
                $"lr-route-add lr{r} 0.0.0.0/0 {ext}.254",
            };
            for (int v = 0; v < 10; v++)
            {
                cmds.Add($"lb-add pf{r} {ext}.100:{2200 + v} {net}.{10 + (v % 2)}:22 tcp");
            }

            cmds.Add($"lr-lb-add lr{r} pf{r}");
            lines.Add(string.Join(" -- ", cmds));
        }

        return string.Join('\n', lines);
    }
}
