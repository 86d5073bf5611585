using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Ovnsim.Engine;

/// <summary>ct_state bits (lib/packets.h <c>CS_*</c>).</summary>
[Flags]
public enum CtState : uint
{
    /// <summary>No bits.</summary>
    None = 0,

    /// <summary>new.</summary>
    New = 0x01,

    /// <summary>est.</summary>
    Established = 0x02,

    /// <summary>rel.</summary>
    Related = 0x04,

    /// <summary>rpl.</summary>
    Reply = 0x08,

    /// <summary>inv.</summary>
    Invalid = 0x10,

    /// <summary>trk.</summary>
    Tracked = 0x20,

    /// <summary>snat.</summary>
    SrcNat = 0x40,

    /// <summary>dnat.</summary>
    DstNat = 0x80,
}

/// <summary>TCP states as ct-dpif names them (<c>CT_DPIF_TCPS_*</c>), in OVS's order.</summary>
public enum TcpState : byte
{
    /// <summary>CLOSED.</summary>
    CLOSED,

    /// <summary>LISTEN.</summary>
    LISTEN,

    /// <summary>SYN_SENT.</summary>
    SYN_SENT,

    /// <summary>SYN_RECV.</summary>
    SYN_RECV,

    /// <summary>ESTABLISHED.</summary>
    ESTABLISHED,

    /// <summary>CLOSE_WAIT.</summary>
    CLOSE_WAIT,

    /// <summary>FIN_WAIT_1.</summary>
    FIN_WAIT_1,

    /// <summary>CLOSING.</summary>
    CLOSING,

    /// <summary>LAST_ACK.</summary>
    LAST_ACK,

    /// <summary>FIN_WAIT_2.</summary>
    FIN_WAIT_2,

    /// <summary>TIME_WAIT.</summary>
    TIME_WAIT,
}

/// <summary>One direction's addresses and ports (ICMP: the id in both ports, the type and code kept apart).</summary>
/// <param name="Src">Source address (IPv4 in the low 32 bits).</param>
/// <param name="Dst">Destination address.</param>
/// <param name="SrcPort">Source port or ICMP id.</param>
/// <param name="DstPort">Destination port or ICMP id.</param>
public readonly record struct CtTuple(UInt128 Src, UInt128 Dst, ushort SrcPort, ushort DstPort)
{
    /// <summary>The other direction.</summary>
    public CtTuple Reverse() => new(Dst, Src, DstPort, SrcPort);
}

/// <summary>What a ct action asked of the connection tracker.</summary>
/// <param name="Zone">The zone.</param>
/// <param name="Commit">Whether to commit.</param>
/// <param name="Nat">Whether NAT applies (with or without an address).</param>
/// <param name="NatKind">"src" or "dst" when an address is given, else null.</param>
/// <param name="NatAddress">The address to translate to.</param>
/// <param name="NatPortLow">First port, 0 for none.</param>
/// <param name="NatPortHigh">Last port.</param>
public readonly record struct CtRequest(ushort Zone, bool Commit, bool Nat, string? NatKind, UInt128 NatAddress, ushort NatPortLow, ushort NatPortHigh);

/// <summary>One tracked connection.</summary>
public sealed class Connection
{
    internal Connection(ushort zone, bool ipv6, byte proto, CtTuple orig, CtTuple reply, byte icmpType)
    {
        Zone = zone;
        IsIpv6 = ipv6;
        Protocol = proto;
        Original = orig;
        ReplyTuple = reply;
        IcmpType = icmpType;
    }

    /// <summary>The zone.</summary>
    public ushort Zone { get; }

    /// <summary>Whether IPv6.</summary>
    public bool IsIpv6 { get; }

    /// <summary>The IP protocol.</summary>
    public byte Protocol { get; }

    /// <summary>The original direction as first seen.</summary>
    public CtTuple Original { get; }

    /// <summary>What replies look like (after NAT).</summary>
    public CtTuple ReplyTuple { get; internal set; }

    /// <summary>ICMP type of the original direction.</summary>
    public byte IcmpType { get; }

    /// <summary>ct_mark.</summary>
    public uint Mark { get; internal set; }

    /// <summary>ct_label.</summary>
    public UInt128 Label { get; internal set; }

    /// <summary>"src", "dst" or null: the translation done.</summary>
    public string? NatKind { get; internal set; }

    /// <summary>TCP peers: [0] the originator, [1] the responder.</summary>
    internal TcpPeer[] Peers { get; } = [new(), new()];

    /// <summary>Whether a reply has been seen (UDP/ICMP/other).</summary>
    internal bool SeenReply { get; set; }

    /// <summary>When it expires, in milliseconds of the tracker's clock.</summary>
    public long ExpiresAt { get; internal set; }

    /// <summary>Where the connection sits in the tracker's list.</summary>
    internal LinkedListNode<Connection>? Node { get; set; }

    /// <summary>The TCP state as <c>dpctl/dump-conntrack</c> prints it (the later of both peers, SYN_RECV as ESTABLISHED, FIN_WAIT_2 as TIME_WAIT).</summary>
    public TcpState PrintedTcpState
    {
        get
        {
            var s = (TcpState)Math.Max((byte)Peers[0].State, (byte)Peers[1].State);
            return s switch { TcpState.FIN_WAIT_2 => TcpState.TIME_WAIT, TcpState.SYN_RECV => TcpState.ESTABLISHED, _ => s };
        }
    }
}

/// <summary>One TCP peer's tracking state (lib/conntrack-tcp.c <c>struct tcp_peer</c>).</summary>
internal sealed class TcpPeer
{
    public uint SeqLo;
    public uint SeqHi;
    public uint MaxWin;
    public byte WScale;
    public TcpState State;
}

/// <summary>
/// A model of Open vSwitch's userspace connection tracker (lib/conntrack.c): connections per zone keyed by both
/// directions' tuples, TCP tracking with the sequence-window checks of conntrack-tcp.c, UDP, ICMP and other
/// protocols, ct_mark and ct_label, commit, source and destination NAT with the reverse translation of replies,
/// related ICMP errors, OVS's default timeouts, and a bound on the number of connections.
/// </summary>
public sealed class Conntrack
{
    private readonly Dictionary<TableKey, (Connection Conn, bool Reply)> _table = [];
    private readonly LinkedList<Connection> _connections = [];
    private long _lastSweep = long.MinValue;

    /// <summary>A tracker holding at most <paramref name="limit"/> connections (OVS's default is 3,000,000).</summary>
    public Conntrack(int limit = 3_000_000) => Limit = limit;

    /// <summary>The most connections held; a new connection past it is not committed.</summary>
    public int Limit { get; }

    /// <summary>Connections not committed because the table was full.</summary>
    public long FullDrops { get; private set; }

    /// <summary>The clock, in milliseconds (the replay sets it from packet timestamps).</summary>
    public long NowMs { get; set; }

    /// <summary>Live connections, in the order created.</summary>
    public IReadOnlyList<Connection> Connections => [.. _connections.Where(c => c.ExpiresAt >= NowMs)];

    /// <summary>
    /// Runs a packet through the tracker (<c>conntrack_execute</c> for one packet): sets ct_state, ct_zone,
    /// ct_mark, ct_label and the original-direction fields in <paramref name="key"/>, commits and NATs as asked,
    /// rewriting the packet (and the header fields of <paramref name="key"/>) when a translation applies.
    /// </summary>
    /// <returns>The connection the packet belongs to, or null (untracked, invalid, or new and not committed).</returns>
    public Connection? Execute(Packet packet, ref FlowKey key, in CtRequest request, ref FlowKey committed)
    {
        Expire();
        var before = (CtState)(uint)key[KeyLayout.CtStateMark];
        ushort beforeZone = (ushort)KeyFields.CtZone.Get64(key);
        KeyFields.CtZone.Set64(ref key, request.Zone);
        if (packet.CtCached is { } cached && cached.Zone == request.Zone && before == packet.CtCachedState
            && beforeZone == request.Zone && cached.Node is not null)
        {
            return ExecuteCached(packet, ref key, request, cached, before, ref committed);
        }

        packet.CtCached = null;
        ushort dlType = (ushort)(key[KeyLayout.Types] >> KeyLayout.DlTypeShift);
        bool v6 = dlType == 0x86dd;
        if ((dlType != 0x0800 && !v6) || packet.L3 < 0 || ((key[KeyLayout.EthSrc] >> KeyLayout.FragShift) & FlowExtractor.FragLater) != 0)
        {
            SetInvalid(ref key);
            return null;
        }

        // process_one: the state a packet brings from the same zone stays (bits are added), another zone's is dropped.
        if (beforeZone != request.Zone)
        {
            before = CtState.None;
        }

        byte proto = (byte)(key[KeyLayout.EthDst] >> KeyLayout.ProtoShift);
        var tuple = TupleOf(key, v6, proto, out byte icmpType, out bool icmpError);
        if (icmpError)
        {
            return Related(packet, ref key, request, v6, before, ref committed);
        }

        if (proto is 1 or 58 && packet.L4 >= 0)
        {
            // ICMP queries are keyed by their identifier, in both directions (as Create stores them).
            ushort id = IcmpId(packet);
            tuple = tuple with { SrcPort = id, DstPort = id };
        }

        if (IsTransport(proto) && packet.L4 < 0)
        {
            SetInvalid(ref key);
            return null;
        }

        // initial_conn_lookup: a packet NATed by an earlier ct of this zone is found by its reversed tuple, and takes
        // the other direction of what that finds.
        const CtState natted = CtState.SrcNat | CtState.DstNat;
        bool wasNatted = (before & natted) != 0;
        var found = Find(request.Zone, v6, proto, wasNatted ? tuple.Reverse() : tuple);
        Connection? conn = found.Conn;
        bool reply = found.Reply != wasNatted;
        if (conn is null && wasNatted && !request.Nat)
        {
            // check_orig_tuple: the original direction the earlier ct recorded.
            conn = FindOriginal(request.Zone, v6, proto, key, tuple);
            reply = false;
        }

        CtState state = before;
        bool create = conn is null;
        if (conn is not null)
        {
            switch (Update(conn, packet, key, reply))
            {
                case UpdateResult.Valid:
                    state = (state & ~CtState.New) | CtState.Established | (reply ? CtState.Reply : 0);
                    break;
                case UpdateResult.ValidNew:
                    state |= CtState.New;
                    break;
                case UpdateResult.Invalid:
                    state = CtState.Invalid;
                    break;
                default:
                    // A new SYN on a closed connection replaces it.
                    Remove(conn);
                    conn = null;
                    create = true;
                    break;
            }

            // handle_nat: a packet this zone has NATed already is not NATed again; an invalid one is NATed too.
            if (conn is not null && request.Nat && conn.NatKind is not null && (before & natted) == 0)
            {
                state = (state & ~natted) | Translate(packet, ref key, conn, reply, related: false, ref committed);
            }
        }

        if (create && !_table.ContainsKey(new TableKey(request.Zone, v6, proto, tuple)))
        {
            // conn_not_found.
            if (!ValidNew(proto, key, icmpType))
            {
                state = CtState.Invalid;
            }
            else
            {
                state = CtState.New;
                if (request.Commit)
                {
                    if (_connections.Count >= Limit)
                    {
                        Expire(force: true);
                    }

                    if (_connections.Count >= Limit)
                    {
                        FullDrops++;
                    }
                    else
                    {
                        conn = Create(request, v6, proto, tuple, icmpType, packet, key);
                        if (request.Nat && conn.NatKind is not null)
                        {
                            state |= Translate(packet, ref key, conn, reply: false, related: false, ref committed);
                        }
                    }
                }
            }
        }

        WriteState(ref key, state | CtState.Tracked, conn, v6 ? null : (proto, tuple, icmpType, (byte)(key[KeyLayout.Ports] >> 16)));
        if (!request.Nat && conn is not null)
        {
            // set_cached_conn: the next ct of this zone (without force) reuses the connection without a lookup.
            packet.CtCached = conn;
            packet.CtCachedReply = reply;
            packet.CtCachedState = (CtState)(uint)key[KeyLayout.CtStateMark];
        }

        return conn;
    }

    /// <summary>
    /// <c>process_one_fast</c>: the packet's last ct found its connection in this zone without NAT, so this one takes
    /// it as it is: the state stays, the mark and label are the connection's, a NAT not yet done is done.
    /// </summary>
    private static Connection ExecuteCached(Packet packet, ref FlowKey key, in CtRequest request, Connection conn, CtState state, ref FlowKey committed)
    {
        const CtState natted = CtState.SrcNat | CtState.DstNat;
        if (request.Nat)
        {
            if (conn.NatKind is not null && (state & natted) == 0)
            {
                state |= Translate(packet, ref key, conn, packet.CtCachedReply, related: false, ref committed);
            }

            packet.CtCached = null;
        }

        key[KeyLayout.CtStateMark] = (uint)state | ((ulong)conn.Mark << 32);
        key[KeyLayout.CtLabel] = (ulong)(conn.Label >> 64);
        key[KeyLayout.CtLabel + 1] = (ulong)conn.Label;
        return conn;
    }

    private (Connection? Conn, bool Reply) Find(ushort zone, bool v6, byte proto, CtTuple tuple)
    {
        if (!_table.TryGetValue(new TableKey(zone, v6, proto, tuple), out var found))
        {
            return default;
        }

        if (found.Conn.ExpiresAt < NowMs)
        {
            // Expired but not yet swept: as good as gone (conn_key_lookup skips it).
            Remove(found.Conn);
            return default;
        }

        return found;
    }

    /// <summary>The connection whose original direction the key's ct_nw_*/ct_tp_* fields name (IPv4; ICMP by its identifier).</summary>
    private Connection? FindOriginal(ushort zone, bool v6, byte proto, in FlowKey key, CtTuple own)
    {
        byte ctProto = (byte)(key[KeyLayout.CtProto] >> KeyLayout.ProtoShift);
        if (v6 || ctProto == 0)
        {
            return null;
        }

        ulong addrs = key[KeyLayout.CtAddrs], ports = key[KeyLayout.CtPorts];
        var tuple = new CtTuple((uint)addrs, (uint)(addrs >> 32), (ushort)ports, (ushort)(ports >> 16));
        if (ctProto is 1)
        {
            // The fields hold the type and code; the table keys ICMP by the packet's identifier.
            tuple = tuple with { SrcPort = own.SrcPort, DstPort = own.DstPort };
        }

        var found = Find(zone, v6, ctProto, tuple);
        return found.Conn is { } c && !found.Reply && c.Protocol == proto ? c : null;
    }

    /// <summary>After a committing ct's exec: stores in the connection the mark and label the actions left in the key.</summary>
    public static void SetMarkAndLabel(Connection conn, in FlowKey key, uint markMask, UInt128 labelMask)
    {
        conn.Mark = (conn.Mark & ~markMask) | ((uint)KeyFields.CtMark.Get64(key) & markMask);
        conn.Label = (conn.Label & ~labelMask) | (KeyFields.CtLabel.Get(key) & labelMask);
    }

    /// <summary>A packet conntrack could not take (not IP, a later fragment, a truncated header, no related connection).</summary>
    private static void SetInvalid(ref FlowKey key) => WriteState(ref key, CtState.Tracked | CtState.Invalid, null, null);

    /// <summary>
    /// <c>write_ct_md</c>: the state, the connection's mark and label (else 0), and the original direction (ct_nw_*,
    /// ct_tp_*; IPv4 only): the connection's, else the packet's own tuple (<paramref name="own"/>), else none. Every
    /// packet through conntrack comes here: the ct words are written whole (see KeyLayout).
    /// </summary>
    private static void WriteState(ref FlowKey key, CtState state, Connection? conn, (byte Proto, CtTuple Tuple, byte IcmpType, byte IcmpCode)? own)
    {
        uint mark = conn?.Mark ?? 0;
        UInt128 label = conn?.Label ?? 0;
        key[KeyLayout.CtStateMark] = (uint)state | ((ulong)mark << 32);
        key[KeyLayout.CtLabel] = (ulong)(label >> 64);
        key[KeyLayout.CtLabel + 1] = (ulong)label;
        const ulong protoMask = 0xffUL << KeyLayout.ProtoShift, portsMask = 0xffff_ffff;
        ulong proto = 0, addrs = 0, ports = 0;
        if (conn is not null ? !conn.IsIpv6 : own is not null)
        {
            var (p, t, type, code) = conn is not null ? (conn.Protocol, conn.Original, conn.IcmpType, (byte)0) : own!.Value;
            proto = (ulong)p << KeyLayout.ProtoShift;
            addrs = (ulong)(uint)t.Src | ((ulong)(uint)t.Dst << 32);

            // ICMP's type and code stand in the ports.
            ports = p is 1 ? type | ((ulong)code << 16) : t.SrcPort | ((ulong)t.DstPort << 16);
        }

        key[KeyLayout.CtProto] = (key[KeyLayout.CtProto] & ~protoMask) | proto;
        key[KeyLayout.CtAddrs] = addrs;
        key[KeyLayout.CtPorts] = (key[KeyLayout.CtPorts] & ~portsMask) | ports;
    }

    /// <summary>
    /// The table's key: compared field by field and hashed by mixing its words. A struct with its own equality, so
    /// that the dictionary's default comparer is devirtualized and inlined (a value tuple of records goes through
    /// generic comparers, a comparer object through interface calls).
    /// </summary>
    private readonly struct TableKey(ushort zone, bool v6, byte proto, CtTuple tuple) : IEquatable<TableKey>
    {
        private readonly CtTuple _tuple = tuple;
        private readonly ushort _zone = zone;
        private readonly byte _proto = proto;
        private readonly bool _v6 = v6;

        public bool Equals(TableKey other) =>
            _zone == other._zone && _v6 == other._v6 && _proto == other._proto && _tuple.Src == other._tuple.Src
            && _tuple.Dst == other._tuple.Dst && _tuple.SrcPort == other._tuple.SrcPort && _tuple.DstPort == other._tuple.DstPort;

        public override bool Equals(object? obj) => obj is TableKey k && Equals(k);

        public override int GetHashCode()
        {
            ulong h = ((ulong)_zone << 48) ^ ((ulong)_proto << 40) ^ (_v6 ? 1UL << 39 : 0) ^ ((ulong)_tuple.SrcPort << 16) ^ _tuple.DstPort;
            h = (h ^ (ulong)_tuple.Src ^ (ulong)(_tuple.Src >> 64)) * 0x9E3779B97F4A7C15;
            h = (h ^ (ulong)_tuple.Dst ^ (ulong)(_tuple.Dst >> 64)) * 0xC2B2AE3D27D4EB4F;
            return (int)(h ^ (h >> 32));
        }
    }

    private static bool IsTransport(byte proto) => proto is 6 or 17 or 132 or 1 or 58;

    private static CtTuple TupleOf(in FlowKey key, bool v6, byte proto, out byte icmpType, out bool icmpError)
    {
        ulong addrs = key[KeyLayout.IpAddrs], ports = key[KeyLayout.Ports];
        UInt128 src = v6 ? KeyFields.Ipv6Src.Get(key) : (uint)addrs;
        UInt128 dst = v6 ? KeyFields.Ipv6Dst.Get(key) : (uint)(addrs >> 32);
        icmpType = 0;
        icmpError = false;
        ushort sp = (ushort)ports, dp = (ushort)(ports >> 16);
        if (proto is 1 or 58)
        {
            icmpType = (byte)sp;
            icmpError = proto == 1 ? icmpType is 3 or 5 or 11 or 12 : icmpType is >= 1 and <= 4;
            return new CtTuple(src, dst, 0, 0);
        }

        return proto is 6 or 17 or 132 ? new CtTuple(src, dst, sp, dp) : new CtTuple(src, dst, 0, 0);
    }

    private static bool ValidNew(byte proto, in FlowKey key, byte icmpType)
    {
        if (proto == 6)
        {
            ushort flags = (ushort)KeyFields.TcpFlags.Get64(key);
            return !InvalidFlags(flags) && (flags & (Syn | Ack)) != (Syn | Ack);
        }

        // ICMP: only echo requests (and the IPv6 equivalents) start connections.
        return proto switch { 1 => icmpType is 8 or 13 or 15 or 17, 58 => icmpType == 128, _ => true };
    }

    private const ushort Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;

    private static bool InvalidFlags(ushort flags)
    {
        if ((flags & Syn) != 0)
        {
            if ((flags & (Rst | Fin)) != 0)
            {
                return true;
            }
        }
        else if ((flags & (Ack | Rst)) == 0)
        {
            return true;
        }

        return (flags & Ack) == 0 && (flags & (Fin | Psh | Urg)) != 0;
    }

    private Connection Create(in CtRequest request, bool v6, byte proto, CtTuple tuple, byte icmpType, Packet packet, in FlowKey key)
    {
        var reply = tuple.Reverse();
        string? kind = null;
        if (request.Nat && request.NatKind is not null)
        {
            kind = request.NatKind;

            // find_addr: with no address (nat(src) or nat(dst) alone) the packet keeps its own; the connection is
            // still a NATed one (ct_state +snat or +dnat).
            if (kind == "dst")
            {
                // Replies come from the new destination.
                var address = request.NatAddress != 0 ? request.NatAddress : tuple.Dst;
                reply = reply with { Src = address, SrcPort = request.NatPortLow != 0 ? request.NatPortLow : reply.SrcPort };
            }
            else
            {
                var address = request.NatAddress != 0 ? request.NatAddress : tuple.Src;
                reply = reply with { Dst = address, DstPort = request.NatPortLow != 0 ? request.NatPortLow : reply.DstPort };
            }
        }

        if (proto is 1 or 58)
        {
            // ICMP has no ports to translate: the reply keeps the identifier Execute keyed the query by.
            reply = reply with { SrcPort = tuple.SrcPort, DstPort = tuple.DstPort };
        }

        var conn = new Connection(request.Zone, v6, proto, tuple, reply, icmpType) { NatKind = kind };
        if (proto == 6)
        {
            NewTcp(conn, packet);
            conn.ExpiresAt = NowMs + 30_000;
        }
        else
        {
            conn.ExpiresAt = NowMs + 60_000;
        }

        conn.Node = _connections.AddLast(conn);
        _table[new TableKey(request.Zone, v6, proto, conn.Original)] = (conn, false);
        _table[new TableKey(request.Zone, v6, proto, conn.ReplyTuple)] = (conn, true);
        return conn;
    }

    private static ushort IcmpId(Packet packet) =>
        packet.L4 >= 0 && packet.L3End - packet.L4 >= 8 ? BinaryPrimitives.ReadUInt16BigEndian(packet.Data[(packet.L4 + 4)..]) : (ushort)0;

    private void Remove(Connection conn)
    {
        if (conn.Node is not null)
        {
            _connections.Remove(conn.Node);
            conn.Node = null;
        }

        _table.Remove(new TableKey(conn.Zone, conn.IsIpv6, conn.Protocol, conn.Original));
        _table.Remove(new TableKey(conn.Zone, conn.IsIpv6, conn.Protocol, conn.ReplyTuple));
    }

    /// <summary>
    /// The sweeper: removes expired connections, at most once per second of the clock unless forced (lookups skip
    /// expired ones meanwhile), so that a packet costs no walk over the whole table.
    /// </summary>
    private void Expire(bool force = false)
    {
        if (!force && NowMs - _lastSweep < 1000)
        {
            return;
        }

        _lastSweep = NowMs;
        for (var node = _connections.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.ExpiresAt < NowMs)
            {
                Remove(node.Value);
            }

            node = next;
        }
    }

    /// <summary>What updating a connection with a packet found (<c>enum ct_update_res</c>).</summary>
    private enum UpdateResult
    {
        /// <summary>In the connection's window: +est.</summary>
        Valid,

        /// <summary>Still opening (a SYN again, or no reply yet): +new, the connection kept.</summary>
        ValidNew,

        /// <summary>A SYN on a closed connection: it is replaced by a new one.</summary>
        New,

        /// <summary>Out of window or bad flags: +inv.</summary>
        Invalid,
    }

    /// <summary>Updates a connection with a packet (<c>conn_update</c>): TCP tracking, or the other protocols' first/reply states.</summary>
    private UpdateResult Update(Connection conn, Packet packet, in FlowKey key, bool reply)
    {
        if (conn.Protocol == 6)
        {
            return UpdateTcp(conn, packet, key, reply);
        }

        // other_conn_update and icmp_conn_update: first (and multiple) 60 s, once a reply is seen 30 s.
        conn.SeenReply |= reply;
        conn.ExpiresAt = NowMs + (conn.SeenReply ? 30_000 : 60_000);
        return conn.SeenReply ? UpdateResult.Valid : UpdateResult.ValidNew;
    }

    private static void NewTcp(Connection conn, Packet packet)
    {
        var tcp = packet.Data[packet.L4..packet.L3End];
        var src = conn.Peers[0];
        var dst = conn.Peers[1];
        ushort flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(tcp[12..]) & 0xfff);
        src.SeqLo = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        src.SeqHi = src.SeqLo + (uint)PayloadLength(packet) + 1;
        if ((flags & Syn) != 0)
        {
            src.SeqHi++;
            src.WScale = WindowScale(tcp);
        }
        else
        {
            src.WScale = WscaleUnknown;
            dst.WScale = WscaleUnknown;
        }

        src.MaxWin = Math.Max(BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]), 1u);
        if ((src.WScale & WscaleMask) != 0)
        {
            int sws = src.WScale & WscaleMask;
            src.MaxWin = (uint)((src.MaxWin + (1 << sws) - 1) >> sws);
        }

        if ((flags & Fin) != 0)
        {
            src.SeqHi++;
        }

        dst.SeqHi = 1;
        dst.MaxWin = 1;
        src.State = TcpState.SYN_SENT;
        dst.State = TcpState.CLOSED;
    }

    private const byte WscaleFlag = 0x80, WscaleUnknown = 0x40, WscaleMask = 0x0f;
    private const int MaxWscale = 14;

    private static int PayloadLength(Packet packet)
    {
        var tcp = packet.Data[packet.L4..packet.L3End];
        return tcp.Length - ((tcp[12] >> 4) * 4);
    }

    /// <summary><c>tcp_get_wscale</c>: the window-scale option, with the flag bit, or 0.</summary>
    private static byte WindowScale(ReadOnlySpan<byte> tcp)
    {
        int len = ((tcp[12] >> 4) * 4) - 20;
        var opt = tcp.Slice(20, Math.Max(0, Math.Min(len, tcp.Length - 20)));
        byte wscale = 0;
        while (opt.Length >= 3)
        {
            switch (opt[0])
            {
                case 0:
                    return wscale;
                case 1:
                    opt = opt[1..];
                    break;
                case 3 when opt[1] == 3:
                    wscale = (byte)(WscaleFlag | Math.Min((int)opt[2], MaxWscale));
                    opt = opt[3..];
                    break;
                default:
                    int optLen = Math.Max((int)opt[1], 2);
                    if (optLen > opt.Length)
                    {
                        return wscale;
                    }

                    opt = opt[optLen..];
                    break;
            }
        }

        return wscale;
    }

    private static bool SeqGt(uint a, uint b) => (int)(a - b) > 0;

    private static bool SeqGeq(uint a, uint b) => (int)(a - b) >= 0;

    /// <summary><c>tcp_conn_update</c>.</summary>
    private UpdateResult UpdateTcp(Connection conn, Packet packet, in FlowKey key, bool reply)
    {
        var tcp = packet.Data[packet.L4..packet.L3End];
        var src = conn.Peers[reply ? 1 : 0];
        var dst = conn.Peers[reply ? 0 : 1];
        int sws = 0, dws = 0;
        ushort flags = (ushort)KeyFields.TcpFlags.Get64(key);
        uint win = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]);
        uint pLen = (uint)PayloadLength(packet);
        if (InvalidFlags(flags))
        {
            return UpdateResult.Invalid;
        }

        if ((flags & (Syn | Ack)) == Syn)
        {
            if (dst.State >= TcpState.FIN_WAIT_2 && src.State >= TcpState.FIN_WAIT_2)
            {
                src.State = dst.State = TcpState.CLOSED;
                return UpdateResult.New;
            }

            if (src.State <= TcpState.SYN_SENT)
            {
                src.State = TcpState.SYN_SENT;
                conn.ExpiresAt = NowMs + 30_000;
                return UpdateResult.ValidNew;
            }
        }

        if ((src.WScale & WscaleFlag) != 0 && (dst.WScale & WscaleFlag) != 0 && (flags & Syn) == 0)
        {
            sws = src.WScale & WscaleMask;
            dws = dst.WScale & WscaleMask;
        }
        else if ((src.WScale & WscaleUnknown) != 0 && (dst.WScale & WscaleUnknown) != 0 && (flags & Syn) == 0)
        {
            sws = dws = MaxWscale;
        }

        uint seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), origSeq = seq;
        uint ack, end;
        bool checkAckskew = true;
        if (src.State < TcpState.SYN_SENT)
        {
            ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
            end = seq + pLen;
            if ((flags & Syn) != 0)
            {
                end++;
                if ((dst.WScale & WscaleFlag) != 0)
                {
                    src.WScale = WindowScale(tcp);
                    if ((src.WScale & WscaleFlag) != 0)
                    {
                        sws = src.WScale & WscaleMask;
                        win = (uint)((win + (1 << sws) - 1) >> sws);
                        dws = dst.WScale & WscaleMask;
                    }
                    else
                    {
                        dst.MaxWin <<= dst.WScale & WscaleMask;
                        dst.WScale = 0;
                    }
                }
            }

            if ((flags & Fin) != 0)
            {
                end++;
            }

            src.SeqLo = seq;
            src.State = TcpState.SYN_SENT;
            if (src.SeqHi == 1 || SeqGeq(end + Math.Max(1u, dst.MaxWin << dws), src.SeqHi))
            {
                src.SeqHi = end + Math.Max(1u, dst.MaxWin << dws);
                checkAckskew = false;
            }

            if (win > src.MaxWin)
            {
                src.MaxWin = win;
            }
        }
        else
        {
            ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
            end = seq + pLen;
            if ((flags & Syn) != 0)
            {
                end++;
            }

            if ((flags & Fin) != 0)
            {
                end++;
            }
        }

        if ((flags & Ack) == 0)
        {
            ack = dst.SeqLo;
        }
        else if (ack == 0 && (flags & (Ack | Rst)) == (Ack | Rst))
        {
            ack = dst.SeqLo;
        }

        if (seq == end)
        {
            seq = src.SeqLo;
            end = seq;
        }

        int ackskew = checkAckskew ? (int)(dst.SeqLo - ack) : 0;
        const int MaxAckWindow = 0xffff + 1500;
        if (SeqGeq(src.SeqHi, end) && SeqGeq(seq, src.SeqLo - (dst.MaxWin << dws))
            && ackskew >= -MaxAckWindow && ackskew <= (MaxAckWindow << sws)
            && ((flags & Rst) == 0 || origSeq == src.SeqLo || origSeq == src.SeqLo + 1 || origSeq + 1 == src.SeqLo))
        {
            SlideWindows(src, dst, win, sws, ack, end);

            if ((flags & Syn) != 0 && src.State < TcpState.SYN_SENT)
            {
                src.State = TcpState.SYN_SENT;
            }

            if ((flags & Fin) != 0 && src.State < TcpState.CLOSING)
            {
                src.State = TcpState.CLOSING;
            }

            if ((flags & Ack) != 0)
            {
                if (dst.State == TcpState.SYN_SENT)
                {
                    dst.State = TcpState.ESTABLISHED;
                }
                else if (dst.State == TcpState.CLOSING)
                {
                    dst.State = TcpState.FIN_WAIT_2;
                }
            }

            if ((flags & Rst) != 0)
            {
                src.State = dst.State = TcpState.TIME_WAIT;
            }

            long timeout = src.State >= TcpState.FIN_WAIT_2 && dst.State >= TcpState.FIN_WAIT_2 ? 30_000
                : src.State >= TcpState.CLOSING && dst.State >= TcpState.CLOSING ? 45_000
                : src.State < TcpState.ESTABLISHED || dst.State < TcpState.ESTABLISHED ? 30_000
                : src.State >= TcpState.CLOSING || dst.State >= TcpState.CLOSING ? 900_000
                : 86_400_000;
            conn.ExpiresAt = NowMs + timeout;
            return UpdateResult.Valid;
        }

        if ((dst.State < TcpState.SYN_SENT || dst.State >= TcpState.FIN_WAIT_2 || src.State >= TcpState.FIN_WAIT_2)
            && SeqGeq(src.SeqHi + MaxAckWindow, end) && SeqGeq(seq, src.SeqLo - MaxAckWindow))
        {
            SlideWindows(src, dst, win, sws, ack, end);

            if ((flags & Fin) != 0 && src.State < TcpState.CLOSING)
            {
                src.State = TcpState.CLOSING;
            }

            if ((flags & Rst) != 0)
            {
                src.State = dst.State = TcpState.TIME_WAIT;
            }

            return UpdateResult.Valid;
        }

        return UpdateResult.Invalid;
    }

    /// <summary>A packet inside the window: the sender's window and sequence, and what the other end may send.</summary>
    private static void SlideWindows(TcpPeer src, TcpPeer dst, uint win, int sws, uint ack, uint end)
    {
        if (src.MaxWin < win)
        {
            src.MaxWin = win;
        }

        if (SeqGt(end, src.SeqLo))
        {
            src.SeqLo = end;
        }

        if (SeqGeq(ack + (win << sws), dst.SeqHi))
        {
            dst.SeqHi = ack + Math.Max(win << sws, 1u);
        }
    }

    /// <summary>
    /// <c>nat_packet</c>: translates the packet as the connection says for its direction. One address of the outer
    /// header changes (the source for an SNAT connection's packets and a DNAT connection's replies, else the
    /// destination), then the TCP or UDP ports or, for a related ICMP error, the quoted packet. Returns the ct_state
    /// bit of the translation in this direction (a reply to an SNAT connection is +dnat, as OVS reverses the action).
    /// </summary>
    private static CtState Translate(Packet packet, ref FlowKey key, Connection conn, bool reply, bool related, ref FlowKey committed)
    {
        // The direction's key: the original tuple for a reply, else the reply tuple; the action reversed for a reply.
        var tuple = reply ? conn.Original : conn.ReplyTuple;
        bool source = (conn.NatKind == "src") != reply;
        if (conn.IsIpv6)
        {
            if (source)
            {
                KeyFields.Ipv6Src.Set(ref key, tuple.Dst, UInt128.MaxValue);
            }
            else
            {
                KeyFields.Ipv6Dst.Set(ref key, tuple.Src, UInt128.MaxValue);
            }
        }
        else if (source)
        {
            KeyFields.NwSrc.Set64(ref key, (uint)tuple.Dst);
        }
        else
        {
            KeyFields.NwDst.Set64(ref key, (uint)tuple.Src);
        }

        if (!related && conn.Protocol is 6 or 17)
        {
            // pat_packet: TCP and UDP only.
            const ulong ports = 0xffff_ffff;
            key[KeyLayout.Ports] = (key[KeyLayout.Ports] & ~ports) | tuple.DstPort | ((ulong)tuple.SrcPort << 16);
        }

        HeaderCommit.Commit(packet, ref committed, key);
        if (related)
        {
            TranslateQuoted(packet, tuple, !source, conn.IsIpv6);
        }

        return source ? CtState.SrcNat : CtState.DstNat;
    }

    /// <summary>
    /// <c>nat_inner_packet</c>: the packet an ICMP error quotes goes the other way, so it takes the reversed tuple's
    /// ports and the other address (its source when <paramref name="source"/>), with the quoted headers' checksums
    /// updated as <c>packet_set_*</c> update them; then the ICMP checksum is computed afresh (ICMPv6's with the
    /// outer addresses as they now are).
    /// </summary>
    private static void TranslateQuoted(Packet packet, CtTuple tuple, bool source, bool v6)
    {
        var d = packet.Data;
        if (packet.L4 < 0 || !Quoted(d[packet.L4..packet.L3End], v6, out _, out byte proto, out int l4At))
        {
            return;
        }

        var icmp = d[packet.L4..packet.L3End];
        var inner = icmp[8..];
        var l4 = inner[l4At..];
        var rev = tuple.Reverse();
        if (proto is 6 or 17 && l4.Length >= 4)
        {
            // pat_packet on the quoted transport header.
            HeaderCommit.SetPorts(l4, rev.DstPort, rev.SrcPort, proto == 17);
        }

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], 0);
        if (v6)
        {
            int csumAt = proto switch { 6 => 16, 17 => 6, 58 => 2, _ => -1 };
            HeaderCommit.SetIpv6Address(inner, source ? 8 : 24, source ? rev.Dst : rev.Src, l4, l4.Length >= csumAt + 2 ? csumAt : -1, proto == 17);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], HeaderCommit.UpperLayerChecksum6(d[packet.L3..], icmp, 58));
        }
        else
        {
            HeaderCommit.SetIpv4Address(inner, source ? 12 : 16, proto, l4, (uint)(source ? rev.Dst : rev.Src));
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], HeaderCommit.InternetChecksum(icmp));
        }
    }

    /// <summary>
    /// The IP packet an ICMP or ICMPv6 error quotes (<paramref name="error"/> is the ICMP message), as
    /// <c>extract_l3_ipv4</c>/<c>extract_l3_ipv6</c> take it: its header, its transport protocol past IPv6's hop-by-hop,
    /// routing and destination options headers, and where that transport header starts, with at least its ports.
    /// </summary>
    private static bool Quoted(Span<byte> error, bool v6, out Span<byte> ip, out byte proto, out int l4At)
    {
        ip = error.Length > 8 ? error[8..] : [];
        proto = 0;
        l4At = 0;
        if (!v6)
        {
            if (ip.Length < 28)
            {
                return false;
            }

            l4At = (ip[0] & 0xf) * 4;
            proto = ip[9];
            return l4At >= 20 && ip.Length >= l4At + 4;
        }

        if (ip.Length < 44 || ip[0] >> 4 != 6)
        {
            return false;
        }

        proto = ip[6];
        l4At = 40;
        while (proto is 0 or 43 or 60 && ip.Length >= l4At + 8)
        {
            proto = ip[l4At];
            l4At += (ip[l4At + 1] + 1) * 8;
        }

        return proto is not (0 or 43 or 60) && ip.Length >= l4At + 4;
    }

    /// <summary>An ICMP error: related to the connection its quoted header belongs to, translated back if NATed.</summary>
    private Connection? Related(Packet packet, ref FlowKey key, in CtRequest request, bool v6, CtState before, ref FlowKey committed)
    {
        Connection? conn = null;
        bool reply = false;
        var error = packet.L4 >= 0 ? packet.Data[packet.L4..packet.L3End] : [];
        if (Quoted(error, v6, out var ip, out byte proto, out int l4At))
        {
            // ICMP queries are keyed by their identifier (as Execute keys them), the others by their ports.
            var l4 = ip[l4At..];
            ushort sp = 0, dp = 0;
            if (proto is 6 or 17 or 132)
            {
                sp = BinaryPrimitives.ReadUInt16BigEndian(l4);
                dp = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            }
            else if (proto is 1 or 58 && l4.Length >= 8)
            {
                sp = dp = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
            }

            // The quoted packet went the other way from the error: its tuple reversed is the error's own
            // (conn_key_extract reverses the inner key), as the connection holds it in one direction or the other.
            var quoted = v6
                ? new CtTuple(BinaryPrimitives.ReadUInt128BigEndian(ip[8..]), BinaryPrimitives.ReadUInt128BigEndian(ip[24..]), sp, dp)
                : new CtTuple(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), BinaryPrimitives.ReadUInt32BigEndian(ip[16..]), sp, dp);
            if (_table.TryGetValue(new TableKey(request.Zone, v6, proto, quoted.Reverse()), out var f))
            {
                (conn, reply) = f;
            }
        }

        if (conn is null)
        {
            SetInvalid(ref key);
            return null;
        }

        var state = before | CtState.Related | CtState.Tracked | (reply ? CtState.Reply : 0);
        const CtState natted = CtState.SrcNat | CtState.DstNat;
        if (request.Nat && conn.NatKind is not null && (before & natted) == 0)
        {
            state |= Translate(packet, ref key, conn, reply, related: true, ref committed);
        }

        WriteState(ref key, state, conn, null);
        return conn;
    }

    /// <summary>The entries as <c>ovs-appctl dpctl/dump-conntrack</c> prints them, one line each.</summary>
    public IEnumerable<string> Dump(ushort? zone = null) =>
        Connections.Where(c => zone is null || c.Zone == zone).Select(Format);

    /// <summary><c>ct_dpif_format_entry</c> without verbosity.</summary>
    public static string Format(Connection c)
    {
        var s = new StringBuilder();
        string proto = c.Protocol switch { 6 => "tcp", 17 => "udp", 132 => "sctp", 1 => "icmp", 58 => "icmpv6", _ => $"{c.Protocol}" };
        s.Append(proto).Append(",orig=(");
        Tuple(s, c, c.Original, c.IcmpType);
        s.Append("),reply=(");
        Tuple(s, c, c.ReplyTuple, ReplyIcmpType(c));
        s.Append(')');
        if (c.Zone != 0)
        {
            s.Append(",zone=").Append(c.Zone.ToString(CultureInfo.InvariantCulture));
        }

        if (c.Mark != 0)
        {
            s.Append(",mark=").Append(c.Mark.ToString(CultureInfo.InvariantCulture));
        }

        if (c.Label != 0)
        {
            s.Append(",labels=0x").Append(c.Label.ToString("x", CultureInfo.InvariantCulture));
        }

        if (c.Protocol == 6)
        {
            s.Append(",protoinfo=(state=").Append(c.PrintedTcpState).Append(')');
        }

        return s.ToString();
    }

    private static byte ReplyIcmpType(Connection c) => (c.Protocol, c.IcmpType) switch
    {
        (1, 8) => 0, (1, 13) => 14, (1, 15) => 16, (1, 17) => 18, (58, 128) => 129, _ => c.IcmpType,
    };

    private static void Tuple(StringBuilder s, Connection c, CtTuple t, byte icmpType)
    {
        s.Append("src=").Append(Address(c, t.Src)).Append(",dst=").Append(Address(c, t.Dst));
        if (c.Protocol is 1 or 58)
        {
            s.Append(",id=").Append(t.SrcPort.ToString(CultureInfo.InvariantCulture))
                .Append(",type=").Append(icmpType.ToString(CultureInfo.InvariantCulture)).Append(",code=0");
        }
        else if (c.Protocol is 6 or 17 or 132)
        {
            s.Append(",sport=").Append(t.SrcPort.ToString(CultureInfo.InvariantCulture))
                .Append(",dport=").Append(t.DstPort.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string Address(Connection c, UInt128 a) =>
        c.IsIpv6 ? Ovnsim.OpenFlow.OvsField.Ipv6(a) : Ovnsim.OpenFlow.OvsField.Ipv4((uint)a);
}
