using Ovnsim.OpenFlow;

namespace Ovnsim.Engine;

/// <summary>
/// The megaflow cache, as the OVS datapath keeps one in front of ofproto: each pass through the tables (the first,
/// and each after a recirculation) is recorded as the datapath actions it came to — outputs and ct actions, each
/// with the key as the actions had set it — under the bits of the pass's key the translation looked at. A later
/// packet whose key agrees on those bits replays the actions without visiting a table. The cache is emptied
/// whenever the tables change.
/// </summary>
public sealed partial class Bridge
{
    /// <summary>A stand-in for the datapath's per-packet RSS hash, kept in a spare word of the key so that a pass
    /// that picks a select-group bucket can depend on it.</summary>
    private static readonly KeyField RssHash = new("rss_hash", 30, 0, 32);

    /// <summary>What a megaflow always matches exactly, as ofproto-dpif's do: in_port, the Ethernet type and the
    /// recirculation id.</summary>
    private static readonly FlowKey AlwaysExact = KeyFields.MaskOf(KeyFields.InPort, KeyFields.DlType, KeyFields.RecircId);

    /// <summary>The most ct actions a cached pass may hold.</summary>
    private const int MaxCtPerPass = 16;

    /// <summary>The most megaflows kept; past this the cache is emptied (the datapath's flow limit).</summary>
    public const int MaxMegaflows = 65_536;

    private Classifier<Megaflow> _megaflows;

    /// <summary>The exact-match cache in front of the megaflows (dpif-netdev's EMC): slots by the full key's hash.</summary>
    private const int EmcSlots = 8192;

    private readonly EmcSlot[] _emc = new EmcSlot[EmcSlots];
    private int _generation = 1;

    /// <summary>Whether packets go through the megaflow cache (on by default; traces always translate).</summary>
    public bool UseMegaflows { get; set; } = true;

    /// <summary>Passes replayed from the cache.</summary>
    public long MegaflowHits { get; private set; }

    /// <summary>Passes translated through the tables while the cache was in use.</summary>
    public long MegaflowMisses { get; private set; }

    /// <summary>Megaflows now cached (those reached through another for the other side of a length check too).</summary>
    public int MegaflowCount => _megaflows.Count + _alternativeCount;

    private int _alternativeCount;

    /// <summary>Megaflow masks now in use (the datapath classifier's subtables).</summary>
    public int MegaflowMasks => _megaflows.SubtableCount;

    /// <summary>Every cached megaflow as its match (value and mask) and its datapath actions.</summary>
    public IEnumerable<(FlowKey Value, FlowKey Mask, string Actions)> Megaflows =>
        _megaflows.Rules.SelectMany(r => r.Payload.Alternatives.Select(a => (a.Value, a.Mask, a.Flow.ToString()))
            .Prepend((r.Value, r.Mask, r.Payload.ToString())));

    /// <summary>Empties the megaflow cache (after crediting its flows with what it forwarded).</summary>
    public void FlushMegaflows()
    {
        if (_megaflows.Count > 0)
        {
            PushMegaflowStats();
            _megaflows = new Classifier<Megaflow>(Width);
            _alternativeCount = 0;
            _generation++; // every exact-match slot now points at nothing
        }
    }

    /// <summary>
    /// The megaflow for <paramref name="key"/>: from the exact-match cache when the same key was seen since the last
    /// flush, else from the megaflow classifier (and remembered in the exact-match cache).
    /// </summary>
    private Megaflow? FindMegaflow(in FlowKey key)
    {
        // As dpif-netdev's EMC: slots by the packet's RSS hash mixed with its recirculation, the whole key compared.
        ulong h = ((ulong)RssHash.Get64(key) | ((ulong)KeyFields.RecircId.Get64(key) << 32)) * 0x9E3779B97F4A7C15;
        h ^= h >> 29;
        ref var slot = ref _emc[(int)(h >> 7) & (EmcSlots - 1)];
        if (slot.Generation == _generation && slot.Hash == h && MaskedKey.Equal(slot.Key, key))
        {
            return slot.Flow;
        }

        var flow = _megaflows.Lookup(key)?.Payload;
        if (flow is not null)
        {
            slot.Key = key;
            slot.Hash = h;
            slot.Flow = flow;
            slot.Generation = _generation;
        }

        return flow;
    }

    /// <summary>One exact-match slot: a whole key, its hash, and its megaflow as of a cache generation.</summary>
    private struct EmcSlot
    {
        public FlowKey Key;
        public ulong Hash;
        public Megaflow? Flow;
        public int Generation;
    }

    /// <summary>
    /// Credits every flow a megaflow went through with the packets and bytes the megaflow forwarded since the last
    /// push, as ofproto-dpif's revalidators push datapath flow statistics to the rules (instead of every replayed
    /// packet touching every rule).
    /// </summary>
    private void PushMegaflowStats()
    {
        foreach (var flow in _megaflows.Rules.SelectMany(r => r.Payload.Alternatives.Select(a => a.Flow).Prepend(r.Payload)))
        {
            long packets = flow.Packets - flow.PushedPackets, bytes = flow.Bytes - flow.PushedBytes;
            if (packets == 0)
            {
                continue;
            }

            foreach (var rule in flow.Rules)
            {
                rule.Packets += packets;
                rule.Bytes += bytes;
            }

            flow.PushedPackets = flow.Packets;
            flow.PushedBytes = flow.Bytes;
        }
    }

    /// <summary>Runs a cached pass: each action with the key as the recorded translation had set it.</summary>
    private void Replay(Xlate x, Megaflow flow)
    {
        // The keys later ops start from: kept only when there is a later op (most passes have one).
        var bases = x.ReplayBases;
        var ops = flow.Ops;
        int length = x.Packet.Length; // a recirculation may hand the packet on
        if (ops.Length > 1)
        {
            bases[0] = x.Key;
        }

        int next = 1;
        for (int i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            if (i == 0)
            {
                // The key is still the pass's own (base 0): only the chunks the actions set change.
                MaskedKey.Blend(ref x.Key, op.Key, op.Dirty, op.DirtyChunks);
            }
            else
            {
                MaskedKey.Select(ref x.Key, bases[op.Base], op.Key, op.Dirty);
            }

            // The first op's key differs from the bytes only where its actions set header fields.
            bool inBytes = i == 0 && !op.SetsHeaders;
            if (op.Ct is null)
            {
                Output(x, op.Port, inBytes);
            }
            else if (i + 1 < ops.Length)
            {
                ExecuteCt(x, op.Ct, op.Request, inBytes: inBytes);
                bases[next++] = x.Key;
            }
            else
            {
                ExecuteCt(x, op.Ct, op.Request, last: true, inBytes);
            }
        }

        flow.Packets++;
        flow.Bytes += length;
        x.Last = flow.Last;

        if (flow.LimitDropped)
        {
            LimitDrops++;
        }
    }

    /// <summary>
    /// One datapath action of a megaflow: an output, or a ct (with its recirculation). The keys are fields, not
    /// properties, so that replay passes them by reference (a property would hand over a 256-byte copy each time).
    /// </summary>
    private sealed class MegaflowOp(in FlowKey key, in FlowKey dirty, int @base, uint port, CtAction? ct, CtRequest request)
    {
        /// <summary>The key when the action ran.</summary>
        public readonly FlowKey Key = key;

        /// <summary>The bits of <see cref="Key"/> the pass's actions had set (since the key was <see cref="Base"/>);
        /// the rest are the base's, which come from the packet and conntrack.</summary>
        public readonly FlowKey Dirty = dirty;

        /// <summary>The chunks of <see cref="Dirty"/> with a bit set.</summary>
        public readonly int[] DirtyChunks = MaskedKey.ActiveChunks(dirty);

        /// <summary>Whether the actions set any header field (else the key's headers are its base's).</summary>
        public readonly bool SetsHeaders = !KeyFields.EqualMasked(dirty, default, KeyFields.HeaderMask);

        /// <summary>Which key the other bits come from: 0 for the pass's key, k for the key as the k-th ct action
        /// left it (a clone's end can go back to an earlier one).</summary>
        public readonly int Base = @base;

        /// <summary>The output port.</summary>
        public readonly uint Port = port;

        /// <summary>The ct action, or null for an output.</summary>
        public readonly CtAction? Ct = ct;

        /// <summary>The ct action's zone and NAT, worked out.</summary>
        public readonly CtRequest Request = request;

        public override string ToString() =>
            Ct is null ? Port.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : $"ct(zone={Request.Zone}{(Request.Commit ? ",commit" : "")}{(Request.Nat ? ",nat" : "")})"
                + (Ct.Table is { } t ? $",recirc(table={t})" : "");
    }

    /// <summary>
    /// A cached pass: its datapath actions, the flows it hit (credited with its statistics by
    /// <see cref="PushMegaflowStats"/>), whether it ran out of resubmits, and what it has forwarded.
    /// </summary>
    private sealed class Megaflow(MegaflowOp[] ops, ClassifierRule<FlowEntry>[] rules, bool limitDropped)
    {
        public MegaflowOp[] Ops { get; } = ops;

        public ClassifierRule<FlowEntry>[] Rules { get; } = rules;

        public bool LimitDropped { get; } = limitDropped;

        /// <summary>The pass's last lookup, for a packet nothing comes out for.</summary>
        public LastLookup Last { get; init; }

        public long Packets { get; set; }

        public long Bytes { get; set; }

        public long PushedPackets { get; set; }

        public long PushedBytes { get; set; }

        /// <summary>The packet-length checks its translation made; it replays only for packets that come out the same.</summary>
        public LengthGuard[] Guards { get; init; } = [];

        /// <summary>
        /// Megaflows for the same keys that the guards turned away (the other side of a length check), each with its
        /// own match; they are reached through this one, which the classifier holds.
        /// </summary>
        private List<(Megaflow Flow, FlowKey Value, FlowKey Mask)>? _alternatives;

        public IEnumerable<(Megaflow Flow, FlowKey Value, FlowKey Mask)> Alternatives => _alternatives ?? [];

        /// <summary>
        /// This megaflow or an alternative whose match and guards hold for the packet; null if none does. (A megaflow
        /// without guards admits every packet its match does, so only a guarded one ever gets alternatives.)
        /// </summary>
        public Megaflow? For(in FlowKey key, int length)
        {
            if (Admits(length))
            {
                return this;
            }

            if (_alternatives is not null)
            {
                foreach (var (flow, value, mask) in _alternatives)
                {
                    if (flow.Admits(length) && MaskedKey.EqualMasked(key, value, mask))
                    {
                        return flow;
                    }
                }
            }

            return null;
        }

        private bool Admits(int length)
        {
            foreach (var g in Guards)
            {
                if (length > g.Limit != g.Larger)
                {
                    return false;
                }
            }

            return true;
        }

        public void AddAlternative(Megaflow flow, in FlowKey value, in FlowKey mask) => (_alternatives ??= []).Add((flow, value, mask));

        public override string ToString() => Ops.Length == 0 ? "drop" : string.Join(',', Ops.Select(o => o.ToString()));
    }
}

/// <summary>A <c>check_pkt_larger</c> a cached pass depends on: the limit, and whether the packet was longer.</summary>
/// <param name="Limit">The length compared with.</param>
/// <param name="Larger">Whether the frame was longer than <paramref name="Limit"/>.</param>
internal readonly record struct LengthGuard(int Limit, bool Larger);
