using Ovnsim.Engine;
using Ovnsim.OpenFlow;
using static Ovnsim.Tests.TestFrames;

namespace Ovnsim.Tests;

/// <summary>The megaflow cache on hand-built tables: what it caches under, what it replays, and when it forgets.</summary>
public sealed class MegaflowTests
{
    private static readonly byte[] A = Mac("00:00:00:00:00:0a"), B = Mac("00:00:00:00:00:0b");

    private static OpenFlowFlow Flow(int table, int priority, OvsMatch match, params OfAction[] actions) =>
        new(table, priority, 0, match, actions);

    private static byte[] Syn(ushort sport, uint dst) => Tcp(B, A, Ip("10.0.0.1"), dst, sport, 80, 0x02, 1000, 0);

    private static List<string> Run(Bridge bridge, byte[] frame)
    {
        var sink = new RecordingSink();
        bridge.Receive(frame, 1, sink);
        return sink.Sent;
    }

    /// <summary>The same SYN three times through the cache and without it: what each run sent, the same both ways.</summary>
    private static (Bridge Cached, List<List<string>> Runs) ThreeSynsCachedAndUncached(OpenFlowFlow[] flows)
    {
        var cached = new Bridge(flows, new GroupTable());
        var uncached = new Bridge(flows, new GroupTable()) { UseMegaflows = false };
        var runs = new List<List<string>>();
        for (int i = 0; i < 3; i++)
        {
            var frame = Syn(1000, Ip("10.0.0.2"));
            var expected = Run(uncached, frame);
            Assert.Equal(expected, Run(cached, frame));
            runs.Add(expected);
        }

        return (cached, runs);
    }

    [Fact]
    public void Packets_differing_only_in_bits_no_flow_reads_share_one_megaflow()
    {
        // Only ip_dst is looked at: the source port does not split the megaflow.
        var toTwo = new OvsMatch { DlType = 0x0800, NwDst = (Ip("10.0.0.2"), uint.MaxValue) };
        var bridge = new Bridge([Flow(0, 100, toTwo, new OutputPortAction(2)), Flow(0, 0, new OvsMatch(), new OutputPortAction(3))], new GroupTable());

        Assert.StartsWith("2:", Run(bridge, Syn(1000, Ip("10.0.0.2"))).Single(), StringComparison.Ordinal);
        Assert.StartsWith("2:", Run(bridge, Syn(2000, Ip("10.0.0.2"))).Single(), StringComparison.Ordinal);
        Assert.Equal((1, 1L, 1L), (bridge.MegaflowCount, bridge.MegaflowHits, bridge.MegaflowMisses));

        Assert.StartsWith("3:", Run(bridge, Syn(1000, Ip("10.0.0.3"))).Single(), StringComparison.Ordinal);
        Assert.Equal(2, bridge.MegaflowCount);
        Assert.Equal(2, bridge.Flows.Single(f => f.Flow.Priority == 100).Packets);
    }

    [Fact]
    public void A_subtable_that_turns_the_key_away_early_leaves_the_later_fields_wildcarded()
    {
        // The TCP rule's subtable rejects 10.0.0.3 at the L3 stage, so the port it would have looked at next is
        // not part of the megaflow: two packets to different ports share it (OVS's staged lookup).
        var web = new OvsMatch { DlType = 0x0800, NwProto = 6, NwDst = (Ip("10.0.0.2"), uint.MaxValue), TpDst = (80, 0xffff) };
        var bridge = new Bridge([Flow(0, 100, web, new OutputPortAction(2)), Flow(0, 0, new OvsMatch(), new OutputPortAction(3))], new GroupTable());
        static byte[] To(ushort port) => Tcp(B, A, Ip("10.0.0.1"), Ip("10.0.0.3"), 1000, port, 0x02, 1000, 0);

        Assert.StartsWith("3:", Run(bridge, To(80)).Single(), StringComparison.Ordinal);
        Assert.StartsWith("3:", Run(bridge, To(443)).Single(), StringComparison.Ordinal);
        Assert.Equal((1, 1L), (bridge.MegaflowCount, bridge.MegaflowHits));
        Assert.Equal(0UL, KeyFields.TpDst.Get64(bridge.Megaflows.Single().Mask));
        Assert.Equal(uint.MaxValue, KeyFields.NwDst.Get64(bridge.Megaflows.Single().Mask));
    }

    [Fact]
    public void A_length_check_caches_each_side_of_the_limit_and_replays_each_only_for_its_own_side()
    {
        // check_pkt_larger(60) into reg0[0], then the bit picks the port: no key field holds the answer, so the two
        // sides are two megaflows for the same key, each guarded by the length.
        var larger = new OvsMatch();
        larger.Regs[0] = (1, 1);
        var bridge = new Bridge(
        [
            Flow(0, 0, new OvsMatch(), new CheckPktLargerAction(60, new OvsSubfield(OvsField.Get("reg0"), 0, 1)), new ResubmitAction(1)),
            Flow(1, 100, larger, new OutputPortAction(2)),
            Flow(1, 0, new OvsMatch(), new OutputPortAction(3)),
        ], new GroupTable());
        byte[] small = Syn(1000, Ip("10.0.0.2")); // 54 bytes
        byte[] big = [.. small, .. new byte[20]]; // the same headers, 74 bytes

        for (int round = 0; round < 2; round++)
        {
            Assert.StartsWith("3:", Run(bridge, small).Single(), StringComparison.Ordinal);
            Assert.StartsWith("2:", Run(bridge, big).Single(), StringComparison.Ordinal);
        }

        Assert.Equal((2, 2L, 2L), (bridge.MegaflowCount, bridge.MegaflowHits, bridge.MegaflowMisses));
        Assert.Equal(2, bridge.Flows.Single(f => f.Flow.Priority == 100).Packets);
        Assert.Equal(4, bridge.Flows.Single(f => f.Flow.Table == 0).Packets);
    }

    [Fact]
    public void New_flows_empty_the_cache()
    {
        var bridge = new Bridge([Flow(0, 0, new OvsMatch(), new OutputPortAction(2))], new GroupTable());
        Assert.StartsWith("2:", Run(bridge, Syn(1000, Ip("10.0.0.2"))).Single(), StringComparison.Ordinal);
        bridge.Install([Flow(0, 0, new OvsMatch(), new OutputPortAction(3))], new GroupTable());
        Assert.StartsWith("3:", Run(bridge, Syn(1000, Ip("10.0.0.2"))).Single(), StringComparison.Ordinal);
        Assert.Equal(0, bridge.MegaflowHits);
    }

    [Fact]
    public void An_output_after_a_clone_that_ran_conntrack_sends_the_packet_as_the_clone_found_it()
    {
        // The clone DNATs through conntrack and recirculates to table 1 (port 3); after it, port 2 gets the
        // packet with its original destination, which the replay has to rebuild from the pass's own key.
        var zone = new OvsSubfield(OvsField.Get("reg13"), 0, 16);
        var ct = new CtAction(true, 1, zone, new Ovnsim.OpenFlow.NatSpec("dst", "10.9.9.9", false, 0, 0), []);
        OpenFlowFlow[] flows =
        [
            Flow(0, 100, new OvsMatch { DlType = 0x0800 }, new CloneAction([ct]), new OutputPortAction(2)),
            Flow(1, 0, new OvsMatch(), new OutputPortAction(3)),
        ];
        var (cached, runs) = ThreeSynsCachedAndUncached(flows);
        foreach (var expected in runs)
        {
            Assert.Contains(expected, s => s.StartsWith("2:", StringComparison.Ordinal) && s.Contains("0A000002", StringComparison.Ordinal));
            Assert.Contains(expected, s => s.StartsWith("3:", StringComparison.Ordinal) && s.Contains("0A090909", StringComparison.Ordinal));
        }

        Assert.Equal(4, cached.MegaflowHits);
    }

    [Fact]
    public void A_pass_that_ends_in_a_ct_while_another_recirculation_waits_sends_each_packet_as_its_own_ct_left_it()
    {
        // The clone's ct DNATs and queues table 1 (port 3); the pass's last action, a ct in another zone, queues
        // table 2 (port 4) behind it. The last ct cannot hand its packet and key on in place, as table 1's pass runs
        // first: table 2 must still get the original destination and its own zone.
        var zone1 = new OvsSubfield(OvsField.Get("reg13"), 0, 16);
        var zone2 = new OvsSubfield(OvsField.Get("reg14"), 0, 16);
        var dnat = new CtAction(true, 1, zone1, new Ovnsim.OpenFlow.NatSpec("dst", "10.9.9.9", false, 0, 0), []);
        var plain = new CtAction(false, 2, zone2, null, []);
        OpenFlowFlow[] flows =
        [
            Flow(0, 100, new OvsMatch { DlType = 0x0800 }, new SetFieldAction(OvsField.Get("reg13"), 1, 0xffff), new SetFieldAction(OvsField.Get("reg14"), 2, 0xffff),
                new CloneAction([dnat]), plain),
            Flow(1, 0, new OvsMatch(), new OutputPortAction(3)),
            Flow(2, 0, new OvsMatch(), new OutputPortAction(4)),
        ];
        var (cached, runs) = ThreeSynsCachedAndUncached(flows);
        foreach (var expected in runs)
        {
            Assert.Equal(2, expected.Count);
            Assert.StartsWith("3:", expected[0], StringComparison.Ordinal);
            Assert.Contains("0A090909", expected[0], StringComparison.Ordinal);
            Assert.StartsWith("4:", expected[1], StringComparison.Ordinal);
            Assert.Contains("0A000002", expected[1], StringComparison.Ordinal);
        }

        Assert.True(cached.MegaflowHits >= 4);
    }
}
