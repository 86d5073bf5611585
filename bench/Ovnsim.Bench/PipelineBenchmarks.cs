using BenchmarkDotNet.Attributes;
using Ovnsim.Engine;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb;

namespace Ovnsim.Bench;

/// <summary>
/// The br-int pipeline for the seed's port-forwarding traffic: the established ACK from the provider network to
/// 172.24.4.111:2222, DNATed to vm2, after the handshake has been replayed. Without the megaflow cache every
/// packet goes through every table it visits, with conntrack and recirculation; with it, each pass is one cache
/// lookup and its datapath actions (conntrack still runs for every packet, as in OVS).
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private Simulator _sim = null!;
    private Simulator _cached = null!;
    private byte[] _ack = null!;
    private uint _port;
    private readonly CountingSink _sink = new();

    [GlobalSetup]
    public void Setup()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Data/seed");
        var ovs = DatabaseSources.LoadOpenVswitch(Path.Combine(dir, "conf.db"));
        _sim = Build(dir, ovs, megaflows: false);
        _cached = Build(dir, ovs, megaflows: true);
    }

    private Simulator Build(string dir, Ovnsim.Ovsdb.OpenVswitch.OpenVswitchDatabase ovs, bool megaflows)
    {
        var sim = new Simulator(DatabaseSources.LoadSouthbound(Path.Combine(dir, "sb.db")), Hypervisor.FromOpenVswitch(ovs));
        sim.Bridge.UseMegaflows = megaflows;
        sim.AddAliases(ovs);
        byte[] Frame(string hex) => Convert.FromHexString(hex);
        sim.Inject("provnet", Frame("fa163ef7370b5254000004010800450000280001000040061a2fac180401ac18046f9c4008ae000003e8000000005002faf0ab7a0000"), 1000);
        sim.Inject("vm2p", Frame("fa163ed38c20fa163eb03fbf080045000028000200004006c0a90a00000cac18040100169c4000001388000003e95012faf046f50000"), 2000);
        sim.Inject("provnet", Frame("fa163ef7370b52540000040108060001080006040002525400000401ac180401fa163ef7370bac180414"), 3000);
        _ack = Frame("fa163ef7370b5254000004010800450000280003000040061a2dac180401ac18046f9c4008ae000003e9000013895010faf097e20000");
        _port = sim.OfPort("provnet");
        sim.Bridge.Receive(_ack, _port, _sink);
        return sim;
    }

    [Benchmark(Baseline = true)]
    public int EstablishedAck_Uncached()
    {
        _sink.Outputs = 0;
        _sim.Bridge.Receive(_ack, _port, _sink);
        return _sink.Outputs;
    }

    [Benchmark]
    public int EstablishedAck_Megaflows()
    {
        _sink.Outputs = 0;
        _cached.Bridge.Receive(_ack, _port, _sink);
        return _sink.Outputs;
    }

    private sealed class CountingSink : IBridgeSink
    {
        public int Outputs { get; set; }

        public void Output(uint port, ReadOnlySpan<byte> frame) => Outputs++;

        public void PacketIn(ControllerAction action, in FlowKey key, ReadOnlySpan<byte> frame)
        {
        }
    }
}
