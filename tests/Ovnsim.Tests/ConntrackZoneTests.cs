using System.Buffers.Binary;
using Ovnsim.Engine;

namespace Ovnsim.Tests;

/// <summary>
/// What one packet brings from one ct action to the next, as OVS 3.1's userspace conntrack (<c>process_one</c>,
/// <c>process_one_fast</c>, <c>handle_nat</c>) keeps it: a zone's state is added to, not replaced; a packet a zone
/// has NATed is found by its reversed tuple and not NATed again there; a connection not yet answered is kept (+new).
/// </summary>
public sealed class ConntrackZoneTests
{
    private static readonly byte[] NoMac = new byte[6];

    private const uint Client = 0x0a01_00fa, Vip = 0x0a01_0064, Backend = 0x0a01_000a, SnatIp = 0x0a01_0065;

    /// <summary>One packet going through several ct actions, its key carried between them as recirculation carries it.</summary>
    private sealed class OnePacket
    {
        private readonly Conntrack _ct;
        private FlowKey _key;
        private FlowKey _committed;

        public OnePacket(Conntrack ct, byte[] frame)
        {
            _ct = ct;
            Packet.Load(frame);
            FlowExtractor.Extract(Packet, ref _key);
            _committed = _key;
        }

        public Packet Packet { get; } = new();

        public CtState State => (CtState)(uint)_key[KeyLayout.CtStateMark];

        public uint Source => BinaryPrimitives.ReadUInt32BigEndian(Packet.Data[26..]);

        public uint Destination => BinaryPrimitives.ReadUInt32BigEndian(Packet.Data[30..]);

        public Connection? Ct(ushort zone, bool commit = false, string? nat = null, uint address = 0, bool natOnly = false) =>
            _ct.Execute(Packet, ref _key, new CtRequest(zone, commit, nat is not null || natOnly, nat, address, 0, 0), ref _committed);

        public void Clear()
        {
            // ct_clear: the ct fields of the key are zeroed.
            for (int w = 0; w < FlowKey.Words; w++)
            {
                _key[w] &= ~KeyFields.CtMask[w];
            }
        }
    }

    private static byte[] Syn() => TestFrames.Tcp(NoMac, NoMac, Client, Vip, 45002, 22, 0x02, 3000, 0);

    [Fact]
    public void A_packet_dnated_in_a_zone_is_not_snated_by_a_later_ct_of_the_same_zone()
    {
        // OVN's ct_dnat_in_czone then ct_snat_in_czone (a distributed router's dnat and snat on one gateway port):
        // the SYN from inside the snat's subnet to the dnat address keeps its source, as real OVS delivers it.
        var ct = new Conntrack();
        var p = new OnePacket(ct, Syn());
        var first = p.Ct(5, commit: true, nat: "dst", address: Backend);
        var second = p.Ct(5, commit: true, nat: "src", address: SnatIp);

        Assert.Same(first, second);
        Assert.Equal(Client, p.Source);
        Assert.Equal(Backend, p.Destination);
        Assert.Equal(CtState.Tracked | CtState.New | CtState.DstNat, p.State);
        Assert.Single(ct.Connections);
    }

    [Fact]
    public void A_packet_dnated_in_one_zone_is_snated_in_another()
    {
        var ct = new Conntrack();
        var p = new OnePacket(ct, Syn());
        p.Ct(5, commit: true, nat: "dst", address: Backend);
        p.Ct(6, commit: true, nat: "src", address: SnatIp);

        Assert.Equal(SnatIp, p.Source);
        Assert.Equal(Backend, p.Destination);
        Assert.Equal(CtState.Tracked | CtState.New | CtState.SrcNat, p.State);
        Assert.Equal(2, ct.Connections.Count);
    }

    [Fact]
    public void After_ct_clear_the_zone_treats_the_packet_afresh()
    {
        // Without its state the packet is not recognised as NATed: its translated tuple starts a connection of its own.
        var ct = new Conntrack();
        var p = new OnePacket(ct, Syn());
        p.Ct(5, commit: true, nat: "dst", address: Backend);
        p.Clear();
        p.Ct(5, commit: true, nat: "src", address: SnatIp);

        Assert.Equal(SnatIp, p.Source);
        Assert.Equal(2, ct.Connections.Count);
    }

    [Fact]
    public void A_udp_connection_not_yet_answered_is_kept_with_its_mark()
    {
        var ct = new Conntrack();
        byte[] frame = TestFrames.Udp(NoMac, NoMac, Client, Backend, 5000, 53);
        var first = new OnePacket(ct, frame);
        var conn = first.Ct(9, commit: true)!;
        var key = default(FlowKey);
        KeyFields.CtMark.Set64(ref key, 0x20);
        Conntrack.SetMarkAndLabel(conn, key, 0x20, 0);

        // The second packet the same way: +new, the same connection with its mark (OVS: CT_UPDATE_VALID_NEW).
        var second = new OnePacket(ct, frame);
        Assert.Same(conn, second.Ct(9));
        Assert.Equal(CtState.Tracked | CtState.New, second.State);
        Assert.Equal(0x20u, conn.Mark);

        // A reply makes it established, in the reply direction.
        var reply = new OnePacket(ct, TestFrames.Udp(NoMac, NoMac, Backend, Client, 53, 5000));
        Assert.Same(conn, reply.Ct(9));
        Assert.Equal(CtState.Tracked | CtState.Established | CtState.Reply, reply.State);
        Assert.Single(ct.Connections);
    }

    [Fact]
    public void A_retransmitted_syn_keeps_its_connection()
    {
        var ct = new Conntrack();
        var conn = new OnePacket(ct, Syn()).Ct(3, commit: true);
        var again = new OnePacket(ct, Syn());
        Assert.Same(conn, again.Ct(3, commit: true));
        Assert.Equal(CtState.Tracked | CtState.New, again.State);
        Assert.Single(ct.Connections);
    }

    [Fact]
    public void A_reply_tracked_without_nat_is_unnated_by_the_next_ct_of_its_zone()
    {
        // ls/lr pipelines: ct_next (no nat) then ct_dnat in the same zone; the second takes the cached connection and
        // still reverses the DNAT, adding to the state the first wrote +snat (a reply's source is what changes).
        var ct = new Conntrack();
        new OnePacket(ct, Syn()).Ct(5, commit: true, nat: "dst", address: Backend);
        var reply = new OnePacket(ct, TestFrames.Tcp(NoMac, NoMac, Backend, Client, 22, 45002, 0x12, 9000, 3001));
        var conn = reply.Ct(5);
        Assert.Equal(CtState.Tracked | CtState.Established | CtState.Reply, reply.State);
        Assert.Equal(Backend, reply.Source);

        Assert.Same(conn, reply.Ct(5, natOnly: true));
        Assert.Equal(Vip, reply.Source);
        Assert.Equal(CtState.Tracked | CtState.Established | CtState.Reply | CtState.SrcNat, reply.State);
    }

    [Fact]
    public void An_invalid_packet_of_a_natted_connection_is_still_translated()
    {
        // process_one calls handle_nat whatever conn_update_state made of the packet: a segment with SYN and FIN is +inv
        // and still DNATed (what OVN then does with it depends on its ct.inv flows).
        var ct = new Conntrack();
        new OnePacket(ct, Syn()).Ct(5, commit: true, nat: "dst", address: Backend);
        new OnePacket(ct, TestFrames.Tcp(NoMac, NoMac, Backend, Client, 22, 45002, 0x12, 9000, 3001)).Ct(5, natOnly: true);
        var stray = new OnePacket(ct, TestFrames.Tcp(NoMac, NoMac, Client, Vip, 45002, 22, 0x03, 3001, 0));
        stray.Ct(5, natOnly: true);
        Assert.Equal(CtState.Tracked | CtState.Invalid | CtState.DstNat, stray.State);
        Assert.Equal(Backend, stray.Destination);
    }
}
