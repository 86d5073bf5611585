using System.Globalization;
using System.Runtime.CompilerServices;
using Ovnsim.OpenFlow;
using Ovnsim.Ovsdb.Ordering;

namespace Ovnsim.Engine;

/// <summary>One installed OpenFlow flow, as the bridge runs it.</summary>
/// <param name="Flow">The flow as ovn-controller installed it.</param>
/// <param name="Conjunctions">Its conjunction actions, when it is one clause of conjunctive matches.</param>
public sealed record FlowEntry(OpenFlowFlow Flow, IReadOnlyList<ConjunctionAction> Conjunctions)
{
    /// <summary>The actions.</summary>
    public IReadOnlyList<OfAction> Actions => Flow.ActionList;
}

/// <summary>Where a bridge's packets go: out of a port, or to the controller.</summary>
public interface IBridgeSink
{
    /// <summary>A frame leaves on OpenFlow port <paramref name="port"/>.</summary>
    void Output(uint port, ReadOnlySpan<byte> frame);

    /// <summary>A <c>controller</c> action: the frame as it is at that point and the flow's metadata.</summary>
    void PacketIn(ControllerAction action, in FlowKey key, ReadOnlySpan<byte> frame);

    /// <summary>
    /// A <c>controller</c> action with <c>pause</c>: the translation waits for the controller to resume it (a
    /// continuation). The controller may rewrite <paramref name="frame"/> in place, keeping its length; the translation
    /// then goes on after the action with the rewritten frame. By default it resumes at once, the frame unchanged.
    /// </summary>
    void Paused(ControllerAction action, in FlowKey key, Span<byte> frame)
    {
    }
}

/// <summary>A step of a packet's path through the tables, for traces.</summary>
/// <param name="Table">The table.</param>
/// <param name="Flow">The flow that matched, or null for a miss.</param>
/// <param name="Recirculation">0 for the first pass, then 1, 2, … for each recirculation.</param>
/// <param name="Key">The key the table was looked up with.</param>
public sealed record TraceStep(int Table, OpenFlowFlow? Flow, int Recirculation, FlowKey Key);

/// <summary>
/// The last table lookup a packet made (of its last pass): where a packet that nothing came out for ended — the flow
/// whose actions dropped it, or the table that had no flow for it.
/// </summary>
/// <param name="Table">The table.</param>
/// <param name="Flow">The flow hit, or null for a miss.</param>
/// <param name="Metadata">The packet's metadata (its logical datapath) at the lookup.</param>
/// <param name="LimitDropped">Whether the packet was dropped for running out of resubmits.</param>
public readonly record struct LastLookup(int Table, OpenFlowFlow? Flow, ulong Metadata, bool LimitDropped);

/// <summary>
/// An OpenFlow bridge in the manner of ovs-vswitchd's ofproto-dpif with the userspace datapath: tables of
/// <see cref="Classifier{T}"/>s (conjunctive matches included), select groups picked by <c>dp_hash</c> exactly as
/// OVS 3.1 picks them, the actions ovn-controller installs, the connection tracker, and recirculation after
/// <c>ct(table=…)</c>. Header changes are committed to the frame before every output, ct and controller action,
/// with OVS's incremental checksum updates.
/// </summary>
public sealed partial class Bridge
{
    /// <summary>OFPP_IN_PORT.</summary>
    public const uint PortInPort = 0xfff8;

    /// <summary>OFPP_CONTROLLER.</summary>
    public const uint PortController = 0xfffd;

    private const int MaxDepth = 64;
    private const int MaxResubmits = 4096;

    private readonly Dictionary<int, OfTableState> _tables = [];
    private readonly OfTableState?[] _tableById = new OfTableState?[256];
    private readonly Dictionary<uint, DpHashGroup> _groups = [];
    private readonly Dictionary<LearnAction, LearnSpec> _learnSpecs = new(ReferenceEqualityComparer.Instance);
    private readonly Xlate _x = new();

    /// <summary>A bridge with <paramref name="flows"/> installed and <paramref name="groups"/> defined.</summary>
    public Bridge(IEnumerable<OpenFlowFlow> flows, GroupTable groups, Conntrack? conntrack = null, SimdWidth? width = null)
    {
        Width = width ?? MaskedKey.Best;
        _megaflows = new Classifier<Megaflow>(Width);
        Conntrack = conntrack ?? new Conntrack();
        Install(flows, groups);
    }

    /// <summary>The classifier's vector width.</summary>
    public SimdWidth Width { get; }

    /// <summary>The connection tracker.</summary>
    public Conntrack Conntrack { get; }

    /// <summary>When set, every table lookup is reported here.</summary>
    public List<TraceStep>? Trace { get; set; }

    /// <summary>Packets dropped for exceeding the resubmit limits.</summary>
    public long LimitDrops { get; private set; }

    /// <summary>Replaces every flow and group (counters of unchanged flows are kept).</summary>
    public void Install(IEnumerable<OpenFlowFlow> flows, GroupTable groups)
    {
        PushMegaflowStats();
        var counters = _tables.Values.SelectMany(t => t.AllRules())
            .ToDictionary(r => (r.Payload.Flow.Table, r.Payload.Flow.Priority, r.Payload.Flow.MatchText), r => (r.Packets, r.Bytes));
        _tables.Clear();
        Array.Clear(_tableById);
        foreach (var f in flows)
        {
            var rule = Add(f);
            if (counters.TryGetValue((f.Table, f.Priority, f.MatchText), out var c))
            {
                rule.Packets = c.Packets;
                rule.Bytes = c.Bytes;
            }
        }

        _groups.Clear();
        foreach (var (id, _) in groups.Groups)
        {
            _groups[id] = new DpHashGroup(groups.Get(id));
        }

        FlushMegaflows();
    }

    /// <summary>Every flow with its counters, table by table.</summary>
    public IEnumerable<(OpenFlowFlow Flow, long Packets, long Bytes)> Flows
    {
        get
        {
            PushMegaflowStats();
            return _tables.OrderBy(t => t.Key).SelectMany(t => t.Value.AllRules().Select(r => (r.Payload.Flow, r.Packets, r.Bytes)));
        }
    }

    private ClassifierRule<FlowEntry> Add(OpenFlowFlow f)
    {
        var table = TableState(f.Table);

        var (value, mask) = FlowMatch.From(f.Match);
        var conj = f.ActionList.Count > 0 && f.ActionList.All(a => a is ConjunctionAction)
            ? f.ActionList.Cast<ConjunctionAction>().ToList() : null;
        var entry = new FlowEntry(f, conj ?? []);
        return (conj is null ? table.Hard : table.Soft).Insert(value, mask, f.Priority, entry);
    }

    /// <summary>
    /// A frame arrives on OpenFlow port <paramref name="inPort"/>: runs it through table 0 and every recirculation
    /// it causes, sending what comes out to <paramref name="sink"/>.
    /// </summary>
    public void Receive(ReadOnlySpan<byte> frame, uint inPort, IBridgeSink sink)
    {
        var x = Begin(frame, inPort, sink);
        RunPass(x, 0);
        RunRecirculations(x);
        Last = x.Last;
    }

    /// <summary>The last lookup of the packet <see cref="Receive"/> ran last.</summary>
    public LastLookup Last { get; private set; }

    /// <summary>
    /// A packet-out from the controller (in_port CONTROLLER): <paramref name="actions"/> run on the frame (the
    /// controller's actions begin by reloading the metadata and registers it saved).
    /// </summary>
    public void PacketOut(ReadOnlySpan<byte> frame, IReadOnlyList<OfAction> actions, IBridgeSink sink)
    {
        var x = Begin(frame, PortController, sink);
        x.Committed = x.Key;
        Run(x, actions);
        RunRecirculations(x);
    }

    /// <summary>The translation state for a new packet: the frame loaded, its key extracted with in_port and the RSS hash.</summary>
    private Xlate Begin(ReadOnlySpan<byte> frame, uint inPort, IBridgeSink sink)
    {
        var x = _x;
        x.Reset(sink);
        x.Packet.Load(frame);
        KeyFields.InPort.Set64(ref x.Key, inPort);
        FlowExtractor.ExtractCleared(x.Packet, ref x.Key); // Reset left the key all zero
        RssHash.Set64(ref x.Key, Hash5Tuple(x.Key));
        return x;
    }

    private void RunRecirculations(Xlate x)
    {
        int pass = 0;
        while (x.HasPending)
        {
            x.Pass = ++pass;
            RunPass(x, x.NextPending());
        }
    }

    /// <summary>
    /// One pass through the tables from <paramref name="table"/> (the first, or one after a recirculation): replayed
    /// from the megaflow cache when a megaflow matches, else translated, and cached when it can be.
    /// </summary>
    private void RunPass(Xlate x, int table)
    {
        HeaderCommit.Snapshot(ref x.Committed, x.Key);
        x.Depth = 0;
        x.Sp = 0;
        x.Table = -1;
        x.Resubmits = 0;
        if (!UseMegaflows || Trace is not null)
        {
            RunTable(x, table);
            return;
        }

        var found = FindMegaflow(x.Key);
        var hit = found is { Guards.Length: > 0 } ? found.For(x.Key, x.Packet.Length) : found;
        if (hit is not null)
        {
            MegaflowHits++;
            Replay(x, hit);
            return;
        }

        MegaflowMisses++;
        x.BeginRecording();
        RunTable(x, table);
        x.Recording = false;
        if (x.Uncacheable)
        {
            return;
        }

        if (MegaflowCount >= MaxMegaflows)
        {
            FlushMegaflows();
            found = null; // gone with the rest
        }

        var flow = new Megaflow([.. x.Ops], [.. x.Hits], x.LimitDropped) { Last = x.Last, Guards = [.. x.Guards] };
        if (flow.Guards.Length > 0 && found is not null)
        {
            // The other side of a length check (or another pass's): an alternative of the megaflow the pass's key
            // found before its guards turned the packet away.
            found.AddAlternative(flow, x.Input, x.Wc);
            _alternativeCount++;
            return;
        }

        _megaflows.Insert(x.Input, x.Wc, 0, flow);
    }

    private void RunTable(Xlate x, int table)
    {
        if (++x.Resubmits > MaxResubmits || x.Depth >= MaxDepth)
        {
            LimitDrops++;
            x.LimitDropped = true;
            x.Last = x.Last with { LimitDropped = true };
            x.Stop = true;
            return;
        }

        var rule = Lookup(x, table);
        x.Last = new LastLookup(table, rule?.Payload.Flow, KeyFields.Metadata.Get64(x.Key), false);
        Trace?.Add(new TraceStep(table, rule?.Payload.Flow, x.Pass, x.Key));
        if (rule is null)
        {
            return;
        }

        rule.Packets++;
        rule.Bytes += x.Packet.Length;
        if (x.Recording)
        {
            x.Hits.Add(rule);
        }

        // xlate_recursively: only a resubmit to the same or an earlier table deepens the translation.
        bool deepens = table <= x.Table;
        int oldTable = x.Table;
        x.Table = table;
        if (deepens)
        {
            x.Depth++;
        }

        Run(x, rule.Payload.Actions);
        if (deepens)
        {
            x.Depth--;
        }

        x.Table = oldTable;
    }

    /// <summary>
    /// The flow a packet with <paramref name="key"/> hits in <paramref name="table"/> (conjunctive matches included),
    /// or null for a miss: one step of a trace, without running any action.
    /// </summary>
    public OpenFlowFlow? FlowFor(int table, in FlowKey key)
    {
        var x = new Xlate { Key = key };
        return Lookup(x, table)?.Payload.Flow;
    }

    private readonly List<ClassifierRule<FlowEntry>> _soft = [];
    private readonly Dictionary<(uint Id, int Priority), uint> _clauses = [];

    /// <summary>
    /// The classifier lookup with conjunctive matches: the best flow without conjunctions, unless a conjunction
    /// of higher priority has every clause matched; then the flow matching its conj_id.
    /// </summary>
    private ClassifierRule<FlowEntry>? Lookup(Xlate x, int table)
    {
        var t = (uint)table < (uint)_tableById.Length ? _tableById[table] : null;
        if (t is null)
        {
            return null;
        }

        if (x.Recording && x.AfterNat)
        {
            x.Uncacheable = true; // the key now holds conntrack's translation, which the megaflow's match does not fix
        }

        ref FlowKey wc = ref x.Recording ? ref x.Wc : ref Unsafe.NullRef<FlowKey>();
        KeyFields.ConjId.Set(ref x.Key, 0, uint.MaxValue);
        var hard = t.Hard.Lookup(x.Key, ref wc);
        if (t.Soft.Count == 0)
        {
            return hard;
        }

        _soft.Clear();
        t.Soft.LookupAll(x.Key, hard?.Priority ?? int.MinValue, _soft, ref wc);
        if (_soft.Count == 0)
        {
            return hard;
        }

        _clauses.Clear();
        foreach (var r in _soft)
        {
            var conjunctions = r.Payload.Conjunctions;
            for (int i = 0; i < conjunctions.Count; i++)
            {
                var c = conjunctions[i];
                _clauses[(c.Id, r.Priority)] = _clauses.GetValueOrDefault((c.Id, r.Priority)) | (1u << c.Clause);
            }
        }

        uint bestId = 0;
        int bestPriority = int.MinValue;
        foreach (var r in _soft)
        {
            var conjunctions = r.Payload.Conjunctions;
            for (int i = 0; i < conjunctions.Count; i++)
            {
                var c = conjunctions[i];
                uint all = c.Clauses >= 32 ? uint.MaxValue : (1u << c.Clauses) - 1;
                if (_clauses[(c.Id, r.Priority)] == all && r.Priority > bestPriority)
                {
                    bestPriority = r.Priority;
                    bestId = c.Id;
                }
            }
        }

        if (bestId == 0)
        {
            return hard;
        }

        KeyFields.ConjId.Set(ref x.Key, bestId, uint.MaxValue);
        var conj = t.Hard.Lookup(x.Key, ref wc);
        KeyFields.ConjId.Set(ref x.Key, 0, uint.MaxValue);
        return conj is not null && conj.Priority >= bestPriority ? conj : hard;
    }

    private void Run(Xlate x, IReadOnlyList<OfAction> actions)
    {
        for (int i = 0; i < actions.Count && !x.Stop; i++)
        {
            switch (actions[i])
            {
                case ResubmitAction r:
                    RunTable(x, r.Table);
                    break;
                case SetFieldAction sf:
                    Field(sf.Field).Set(ref x.Key, sf.Value, sf.Mask);
                    x.Wrote(Field(sf.Field), sf.Mask);
                    break;
                case MoveAction mv:
                {
                    UInt128 bits = Bits(mv.Source.Bits);
                    var source = Field(mv.Source.Field);
                    x.Read(source, bits << mv.Source.Offset);
                    UInt128 v = (source.Get(x.Key) >> mv.Source.Offset) & bits;
                    Field(mv.Destination.Field).Set(ref x.Key, v << mv.Destination.Offset, bits << mv.Destination.Offset);
                    x.Wrote(Field(mv.Destination.Field), bits << mv.Destination.Offset);
                    break;
                }

                case PushAction push:
                    if (x.Sp < x.Stack.Length)
                    {
                        UInt128 bits = Bits(push.Subfield.Bits);
                        var source = Field(push.Subfield.Field);
                        x.Read(source, bits << push.Subfield.Offset);
                        x.Stack[x.Sp++] = (source.Get(x.Key) >> push.Subfield.Offset) & bits;
                    }

                    break;
                case PopAction pop:
                    if (x.Sp > 0)
                    {
                        UInt128 bits = Bits(pop.Subfield.Bits);
                        Field(pop.Subfield.Field).Set(ref x.Key, (x.Stack[--x.Sp] & bits) << pop.Subfield.Offset, bits << pop.Subfield.Offset);
                        x.Wrote(Field(pop.Subfield.Field), bits << pop.Subfield.Offset);
                    }

                    break;
                case DecTtlAction:
                {
                    x.Read(KeyFields.DlType, 0xffff);
                    ulong type = KeyFields.DlType.Get64(x.Key);
                    if (type is 0x0800 or 0x86dd)
                    {
                        x.Read(KeyFields.NwTtl, 0xff);
                        ulong ttl = KeyFields.NwTtl.Get64(x.Key);
                        if (ttl <= 1)
                        {
                            // No controller ids: the rest of this action list is skipped.
                            return;
                        }

                        KeyFields.NwTtl.Set(ref x.Key, ttl - 1, 0xff);
                        x.Wrote(KeyFields.NwTtl, 0xff);
                    }

                    break;
                }

                case CtClearAction:
                    ClearCt(ref x.Key);
                    if (x.Recording)
                    {
                        MaskedKey.Blend(ref x.Dirty, KeyFields.CtMask, KeyFields.CtMask);
                    }

                    break;
                case GroupAction g:
                    RunGroup(x, g.GroupId);
                    break;
                case OutputPortAction o:
                    if (x.Recording)
                    {
                        x.Ops.Add(new MegaflowOp(x.Key, x.Dirty, x.Base, o.Port, null, default));
                    }

                    Output(x, o.Port);
                    break;
                case CloneAction c:
                {
                    var saved = x.Key;
                    var recorded = x.SaveRecording();
                    int sp = x.Sp;
                    Run(x, c.Actions);
                    x.Key = saved;
                    x.RestoreRecording(recorded);
                    x.Sp = sp;
                    x.Stop = false;
                    break;
                }

                case CtAction ct:
                    RunCt(x, ct);
                    break;
                case ControllerAction { Pause: true } paused:
                    // Frozen and resumed in place: what comes after the action runs on the frame the controller
                    // returned (it rewrites only bytes the key does not hold, such as an ICMP error's MTU).
                    x.Uncacheable = true;
                    HeaderCommit.Commit(x.Packet, ref x.Committed, x.Key);
                    x.Sink!.Paused(paused, x.Key, x.Packet.Data);
                    break;
                case ControllerAction ca:
                    x.Uncacheable = true; // OVS slow-paths flows that send to the controller
                    HeaderCommit.Commit(x.Packet, ref x.Committed, x.Key);
                    x.Sink!.PacketIn(ca, x.Key, x.Packet.Data);
                    break;
                case CheckPktLargerAction check:
                {
                    // The whole frame's length against the limit. No key field holds the answer, so the megaflow
                    // keeps it as a guard: it replays only for packets on the same side of the limit (OVS gives the
                    // datapath both branches in one check_pkt_len action).
                    bool larger = x.Packet.Data.Length > check.PacketLength;
                    if (x.Recording)
                    {
                        // Against the length the pass started with (a VLAN tag the pass already wrote moved it).
                        x.Guards.Add(new LengthGuard(check.PacketLength - (x.Packet.Data.Length - x.InputLength), larger));
                    }

                    UInt128 bit = UInt128.One << check.Destination.Offset;
                    Field(check.Destination.Field).Set(ref x.Key, larger ? bit : 0, bit);
                    x.Wrote(Field(check.Destination.Field), bit);
                    break;
                }

                case PopVlanAction:
                    KeyFields.VlanTci.Set(ref x.Key, 0, 0xffff);
                    x.Wrote(KeyFields.VlanTci, 0xffff);
                    break;
                case PushVlanAction:
                    KeyFields.VlanTci.Set(ref x.Key, 0x1000, 0xffff);
                    x.Wrote(KeyFields.VlanTci, 0xffff);
                    break;
                case SetVlanVidAction vid:
                    KeyFields.VlanTci.Set(ref x.Key, (ulong)(0x1000 | vid.Vid), 0x1fff);
                    x.Wrote(KeyFields.VlanTci, 0x1fff);
                    break;
                case LearnAction learn:
                    x.Uncacheable = true; // learning changes the tables: every packet has to run it
                    Learn(x, learn);
                    break;
                case ConjunctionAction:
                    break;
                default:
                    throw new NotSupportedException($"action {actions[i]} is not simulated");
            }
        }
    }

    private static UInt128 Bits(int n) => n >= 128 ? UInt128.MaxValue : (UInt128.One << n) - 1;

    /// <summary>The key field of each OVS field, by <see cref="OvsField.Id"/> (filled in as actions first name them).</summary>
    private static readonly KeyField?[] FieldMap = new KeyField?[OvsField.Count];

    private static KeyField Field(OvsField f)
    {
        // Written without a lock: two threads that race store the same field.
        return FieldMap[f.Id] ??= KeyFields.Get(f.Name);
    }

    private static void ClearCt(ref FlowKey key) => KeyFields.CopyMasked(ref key, default, KeyFields.CtMask);

    /// <param name="x">The translation.</param>
    /// <param name="port">The port.</param>
    /// <param name="inBytes">Whether the packet's bytes are known to hold the key's header fields already.</param>
    private static void Output(Xlate x, uint port, bool inBytes = false)
    {
        uint inPort = (uint)KeyFields.InPort.Get64(x.Key);
        if (port == PortInPort)
        {
            port = inPort;
        }
        else if (port == inPort)
        {
            return; // OVS skips output to the input port
        }

        if (port >= 0xff00)
        {
            return;
        }

        if (!inBytes)
        {
            HeaderCommit.Commit(x.Packet, ref x.Committed, x.Key);
        }

        x.Sink!.Output(port, x.Packet.Data);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UInt128> _natAddresses = new(StringComparer.Ordinal);

    private void RunCt(Xlate x, CtAction ct)
    {
        var zoneField = Field(ct.Zone.Field);
        x.Read(zoneField, Bits(ct.Zone.Bits) << ct.Zone.Offset);
        ushort zone = (ushort)((zoneField.Get(x.Key) >> ct.Zone.Offset) & Bits(ct.Zone.Bits));
        UInt128 natAddress = ct.Nat?.Address is { } a ? _natAddresses.GetOrAdd(a, static t => ParseAddress(t)) : 0;
        var request = new CtRequest(zone, ct.Commit, ct.Nat is not null, ct.Nat?.Kind, natAddress,
            (ushort)(ct.Nat?.PortLow ?? 0), (ushort)(ct.Nat?.PortHigh ?? 0));
        if (!x.Recording)
        {
            ExecuteCt(x, ct, request);
            return;
        }

        x.Ops.Add(new MegaflowOp(x.Key, x.Dirty, x.Base, 0, ct, request));
        ExecuteCt(x, ct, request);

        // From here a replay starts from the key as conntrack left it (a new base), until a clone's restore goes back.
        if (++x.Bases >= MaxCtPerPass)
        {
            x.Uncacheable = true;
        }

        x.Base = x.Bases;
        x.Dirty = default;
        x.AfterNat |= request.Nat;
    }

    /// <summary>The datapath's ct action: commits the header changes, runs conntrack, and queues the recirculation.</summary>
    /// <param name="x">The translation.</param>
    /// <param name="ct">The action.</param>
    /// <param name="request">Its zone and NAT, worked out.</param>
    /// <param name="last">Whether nothing in the pass comes after it (the last datapath action of a replayed pass).</param>
    /// <param name="inBytes">Whether the packet's bytes are known to hold the key's header fields already.</param>
    private void ExecuteCt(Xlate x, CtAction ct, in CtRequest request, bool last = false, bool inBytes = false)
    {
        if (!inBytes)
        {
            HeaderCommit.Commit(x.Packet, ref x.Committed, x.Key);
        }

        if (ct.Table is { } next && last && !x.HasPending)
        {
            // A recirculating ct that ends the pass, with no other recirculation queued, hands the packet and its key
            // on as they are: nothing reads them after it, so nothing needs saving, copying or restoring.
            Track(x, ct, request);
            KeyFields.RecircId.Set64(ref x.Key, (uint)next + 1);
            x.HandOver(next);
            return;
        }

        var before = CtWords.Save(x.Key);
        Track(x, ct, request);
        if (ct.Table is { } table)
        {
            ref var key = ref x.Recirculate(table);
            key = x.Key;
            KeyFields.RecircId.Set64(ref key, (uint)table + 1);
        }

        // The translation continues with the ct fields as they were before (OVS only sees the new ones after recirculating).
        CtWords.Restore(ref x.Key, before);
    }

    /// <summary>Runs the packet through conntrack, and a commit's <c>exec</c> (ct_mark and ct_label) into its connection.</summary>
    private void Track(Xlate x, CtAction ct, in CtRequest request)
    {
        var conn = Conntrack.Execute(x.Packet, ref x.Key, request, ref x.Committed);
        if (!ct.Commit || ct.Exec.Count == 0 || conn is null)
        {
            return;
        }

        uint markMask = 0;
        UInt128 labelMask = 0;
        for (int i = 0; i < ct.Exec.Count; i++)
        {
            if (ct.Exec[i] is SetFieldAction sf)
            {
                var field = Field(sf.Field);
                field.Set(ref x.Key, sf.Value, sf.Mask);
                if (ReferenceEquals(field, KeyFields.CtMark))
                {
                    markMask |= (uint)sf.Mask;
                }
                else if (ReferenceEquals(field, KeyFields.CtLabel))
                {
                    labelMask |= sf.Mask;
                }
            }
        }

        Conntrack.SetMarkAndLabel(conn, x.Key, markMask, labelMask);
    }

    private void RunGroup(Xlate x, uint id)
    {
        if (!_groups.TryGetValue(id, out var group))
        {
            return;
        }

        GroupBucket? bucket;
        if (group.Group.SelectionMethod == "hash")
        {
            bucket = PickByHashFields(x, group.Group);
        }
        else
        {
            x.Read(RssHash, uint.MaxValue);
            bucket = group.Pick((uint)RssHash.Get(x.Key), ref x.Key);
            x.Wrote(KeyFields.DpHash, uint.MaxValue);
        }

        if (bucket is null)
        {
            return;
        }

        var saved = x.Key;
        var recorded = x.SaveRecording();
        Run(x, bucket.Actions);
        x.Key = saved;
        x.RestoreRecording(recorded);
    }

    /// <summary>
    /// The fields <c>selection_method=hash</c> can hash, in meta-flow's field order (the order OVS hashes them in,
    /// whatever order the group lists them in), each with its prerequisite and width in bytes.
    /// </summary>
    private static readonly (string Name, KeyField Field, int Bytes, ushort? EthType, byte? Proto)[] HashableFields =
    [
        ("eth_src", KeyFields.DlSrc, 6, null, null), ("eth_dst", KeyFields.DlDst, 6, null, null),
        ("ip_src", KeyFields.NwSrc, 4, 0x0800, null), ("ip_dst", KeyFields.NwDst, 4, 0x0800, null),
        ("ipv6_src", KeyFields.Ipv6Src, 16, 0x86dd, null), ("ipv6_dst", KeyFields.Ipv6Dst, 16, 0x86dd, null),
        ("tcp_src", KeyFields.TpSrc, 2, null, 6), ("tcp_dst", KeyFields.TpDst, 2, null, 6),
        ("udp_src", KeyFields.TpSrc, 2, null, 17), ("udp_dst", KeyFields.TpDst, 2, null, 17),
        ("sctp_src", KeyFields.TpSrc, 2, null, 132), ("sctp_dst", KeyFields.TpDst, 2, null, 132),
    ];

    /// <summary>
    /// <c>pick_hash_fields_select_group</c>: the listed fields whose prerequisites the packet meets, in meta-flow
    /// order, hashed with <c>hash_bytes</c> from <c>hash_uint64(0)</c>; then <c>group_best_live_bucket</c>, the
    /// bucket whose <c>(hash_int(bucket_id, basis) &amp; 0xffff) * weight</c> is highest (the last of equals).
    /// </summary>
    private static GroupBucket? PickByHashFields(Xlate x, SelectGroup group)
    {
        var listed = group.HashFields ?? [];
        uint basis = OvsHash.FinishWith(OvsHash.Add64(0, 0), 8);
        Span<byte> value = stackalloc byte[16];
        foreach (var (name, field, bytes, ethType, proto) in HashableFields)
        {
            if (!listed.Contains(name))
            {
                continue;
            }

            ulong dlType = KeyFields.DlType.Get64(x.Key);
            if (ethType is not null || proto is not null)
            {
                x.Read(KeyFields.DlType, 0xffff);
            }

            if (ethType is { } t && dlType != t)
            {
                continue;
            }

            if (proto is { } p)
            {
                x.Read(KeyFields.NwProto, 0xff);
                x.Read(KeyFields.NwFrag, 0xff);
                if (dlType is not (0x0800 or 0x86dd) || KeyFields.NwProto.Get64(x.Key) != p
                    || (KeyFields.NwFrag.Get64(x.Key) & FlowExtractor.FragLater) != 0)
                {
                    continue;
                }
            }

            x.Read(field, field.AllOnes);
            var v = value[..bytes];
            UInt128 raw = field.Get(x.Key);
            for (int i = 0; i < bytes; i++)
            {
                v[i] = (byte)(raw >> (8 * (bytes - 1 - i)));
            }

            basis = OvsHash.Bytes(v, basis);
        }

        GroupBucket? best = null;
        ulong bestScore = 0;
        foreach (var bucket in group.Buckets)
        {
            ulong score = (ulong)(OvsHash.Int(bucket.Id, basis) & 0xffff) * (ulong)bucket.Weight;
            if (score >= bestScore)
            {
                best = bucket;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>
    /// <c>miniflow_hash_5tuple(flow, 0)</c>: the hash the userspace datapath stores as a packet's RSS hash when it
    /// first sees it; <c>hash(l4(0))</c> later turns it into dp_hash.
    /// </summary>
    public static uint Hash5Tuple(in FlowKey key)
    {
        uint hash = 0;
        ulong type = (key[KeyLayout.Types] >> KeyLayout.DlTypeShift) & 0xffff;
        if (type == 0x86dd)
        {
            // Each 64-bit half as an x86 host reads it from network order.
            static uint AddAddress(uint hash, UInt128 v) =>
                OvsHash.Add64(OvsHash.Add64(hash, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ulong)(v >> 64))),
                    System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ulong)v));
            hash = AddAddress(AddAddress(hash, KeyFields.Ipv6Src.Get(key)), KeyFields.Ipv6Dst.Get(key));
        }
        else if (type is 0x0800 or 0x0806)
        {
            ulong addrs = key[KeyLayout.IpAddrs];
            hash = OvsHash.Add(hash, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)addrs));
            hash = OvsHash.Add(hash, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)(addrs >> 32)));
        }
        else
        {
            return OvsHash.FinishWith(hash, 42);
        }

        byte proto = (byte)(key[KeyLayout.EthDst] >> KeyLayout.ProtoShift);
        hash = OvsHash.Add(hash, proto);
        if (proto is 6 or 17 or 132 or 1 or 58)
        {
            // tp_src then tp_dst in network order, read as one little-endian word.
            uint p = (uint)key[KeyLayout.Ports];
            uint ports = ((p >> 8) & 0xff) | ((p & 0xff) << 8) | (((p >> 24) & 0xff) << 16) | (((p >> 16) & 0xff) << 24);
            hash = OvsHash.Add(hash, ports);
        }

        return OvsHash.FinishWith(hash, 42);
    }

    private void Learn(Xlate x, LearnAction learn)
    {
        if (!_learnSpecs.TryGetValue(learn, out var spec))
        {
            spec = LearnSpec.Parse(learn);
            _learnSpecs[learn] = spec;
        }

        var match = spec.Build(x.Key);
        var flow = new OpenFlowFlow(learn.Table, 32768, (uint)learn.Cookie, match, spec.Actions);
        var table = TableState(learn.Table);

        var (value, mask) = FlowMatch.From(match);
        table.Hard.Insert(value, mask, 32768, new FlowEntry(flow, []));
        FlushMegaflows();
    }

    /// <summary>An IPv4 or IPv6 address as a right-aligned number.</summary>
    internal static UInt128 ParseAddress(string text) =>
        System.Net.IPAddress.TryParse(text, out var ip) ? AddressText.Value(ip) : throw new FormatException($"bad IP address {text}");

    /// <summary>Table <paramref name="id"/> (0-254, as OpenFlow numbers them), made on first use.</summary>
    private OfTableState TableState(int id)
    {
        if ((uint)id >= (uint)_tableById.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, "OpenFlow tables are numbered 0-254");
        }

        if (_tableById[id] is not { } table)
        {
            table = new OfTableState(Width);
            _tables[id] = table;
            _tableById[id] = table;
        }

        return table;
    }

    private sealed class OfTableState(SimdWidth width)
    {
        public Classifier<FlowEntry> Hard { get; } = new(width);

        public Classifier<FlowEntry> Soft { get; } = new(width);

        public IEnumerable<ClassifierRule<FlowEntry>> AllRules() => Hard.Rules.Concat(Soft.Rules);
    }

    /// <summary>
    /// A select group as ofproto-dpif sets it up; for <c>selection_method=dp_hash</c>
    /// (<c>group_setup_dp_hash_table</c>): 16 or more hash values spread over the buckets by the Webster method, and
    /// the bucket for dp_hash &amp; mask.
    /// </summary>
    private sealed class DpHashGroup
    {
        private readonly GroupBucket[] _map;
        private readonly uint _mask;

        public DpHashGroup(SelectGroup group)
        {
            Group = group;
            var buckets = group.Buckets;
            if (buckets.Count == 0 || group.SelectionMethod != "dp_hash")
            {
                _map = [];
                return;
            }

            ulong total = 0;
            int minWeight = int.MaxValue;
            foreach (var b in buckets)
            {
                if (b.Weight > 0 && b.Weight < minWeight)
                {
                    minWeight = b.Weight;
                }

                total += (ulong)b.Weight;
            }

            if (total == 0)
            {
                _map = [];
                return;
            }

            ulong minSlots = (total + (ulong)minWeight - 1) / (ulong)minWeight;
            ulong minSlots2 = Math.Max(minSlots, Math.Min((ulong)buckets.Count * 4, 256));
            ulong pow2 = 1;
            while (pow2 < minSlots2)
            {
                pow2 <<= 1;
            }

            ulong nHash = Math.Max(16, pow2);
            _mask = (uint)(nHash - 1);
            _map = new GroupBucket[nHash];
            var divisor = new int[buckets.Count];
            var value = new double[buckets.Count];
            for (int i = 0; i < buckets.Count; i++)
            {
                divisor[i] = 1;
                value[i] = buckets[i].Weight;
            }

            for (int h = 0; h < (int)nHash; h++)
            {
                int winner = 0;
                for (int i = 1; i < buckets.Count; i++)
                {
                    if (value[i] > value[winner])
                    {
                        winner = i;
                    }
                }

                divisor[winner] += 2;
                value[winner] = (double)buckets[winner].Weight / divisor[winner];
                _map[h] = buckets[winner];
            }
        }

        public SelectGroup Group { get; }

        /// <summary>The bucket for a packet whose RSS hash is <paramref name="rss"/>; sets dp_hash in the key.</summary>
        public GroupBucket? Pick(uint rss, ref FlowKey key)
        {
            if (_map.Length == 0)
            {
                if (Group.SelectionMethod is not ("dp_hash" or "hash") && Group.Buckets.Count > 0)
                {
                    throw new NotSupportedException($"select group with selection_method={Group.SelectionMethod} is not simulated");
                }

                return null;
            }

            uint dpHash = OvsHash.Int(rss, 0);
            KeyFields.DpHash.Set(ref key, dpHash, uint.MaxValue);
            return _map[dpHash & _mask];
        }
    }

    /// <summary>The translation state of one packet (<c>struct xlate_ctx</c>), reused between packets.</summary>
    private sealed class Xlate
    {
        public FlowKey Key;
        public FlowKey Committed;
        public readonly UInt128[] Stack = new UInt128[128];
        public Packet Packet = new();
        private readonly Queue<PendingPass> _pending = new();
        private readonly Stack<PendingPass> _spare = new();
        public int Sp;
        public int Depth;
        public int Resubmits;
        public int Pass;
        public int Table = -1;
        public bool Stop;
        public IBridgeSink? Sink;

        // Recording a pass for the megaflow cache.
        public bool Recording;
        public FlowKey Input;
        public FlowKey Wc;
        public FlowKey Dirty;
        public bool Uncacheable;
        public bool AfterNat;
        public bool LimitDropped;
        public LastLookup Last;
        public int Base;
        public int Bases;
        public readonly List<MegaflowOp> Ops = [];
        public readonly FlowKey[] ReplayBases = new FlowKey[MaxCtPerPass];
        public readonly List<ClassifierRule<FlowEntry>> Hits = [];

        /// <summary>The packet's length when the recorded pass began.</summary>
        public int InputLength;

        /// <summary>The packet-length checks the pass made (<c>check_pkt_larger</c>) and how each came out.</summary>
        public readonly List<LengthGuard> Guards = [];

        public void Reset(IBridgeSink sink)
        {
            Key = default;
            Sp = Depth = Resubmits = Pass = 0;
            Table = -1;
            Stop = false;
            Recording = false;
            Sink = sink;
            Last = default;
        }

        public void BeginRecording()
        {
            Recording = true;
            Input = Key;
            InputLength = Packet.Length;
            Wc = AlwaysExact;
            Dirty = default;
            Uncacheable = AfterNat = LimitDropped = false;
            Base = Bases = 0;
            Ops.Clear();
            Hits.Clear();
            Guards.Clear();
        }

        /// <summary>What a clone or a group bucket restores when it ends, with the key.</summary>
        public (FlowKey Dirty, int Base, bool AfterNat) SaveRecording() => (Dirty, Base, AfterNat);

        public void RestoreRecording((FlowKey Dirty, int Base, bool AfterNat) saved) => (Dirty, Base, AfterNat) = saved;

        /// <summary>The translation's outcome depends on these bits of the key.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Read(KeyField field, UInt128 mask)
        {
            if (Recording)
            {
                Uncacheable |= AfterNat;
                field.Set(ref Wc, mask, mask);
            }
        }

        /// <summary>An action gave these bits of the key a value (the same for every packet of the megaflow).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Wrote(KeyField field, UInt128 mask)
        {
            if (Recording)
            {
                field.Set(ref Dirty, mask, mask);
            }
        }

        public bool HasPending => _pending.Count > 0;

        /// <summary>Queues a recirculation to <paramref name="table"/> of the packet as it is now; returns its key to fill in.</summary>
        public ref FlowKey Recirculate(int table)
        {
            var p = _spare.Count > 0 ? _spare.Pop() : new PendingPass();
            p.Packet.CopyFrom(Packet);
            p.Table = table;
            _pending.Enqueue(p);
            return ref p.Key;
        }

        /// <summary>
        /// Queues a recirculation to <paramref name="table"/> of the packet and key as they are, when nothing is queued
        /// and the pass has ended: the packet by exchange and the key left in place, to be the next pass's as they are.
        /// </summary>
        public void HandOver(int table)
        {
            var p = _spare.Count > 0 ? _spare.Pop() : new PendingPass();
            (Packet, p.Packet) = (p.Packet, Packet);
            p.Table = table;
            p.KeyInPlace = true;
            _pending.Enqueue(p);
        }

        /// <summary>Takes the next recirculation's packet and key for the translation (the packet by exchange, not by copy); returns its table.</summary>
        public int NextPending()
        {
            var p = _pending.Dequeue();
            (Packet, p.Packet) = (p.Packet, Packet);
            if (!p.KeyInPlace)
            {
                Key = p.Key;
            }

            p.KeyInPlace = false;
            _spare.Push(p);
            return p.Table;
        }

        /// <summary>A recirculation waiting to run: the packet as the ct action left it, its key (or, handed over, the
        /// translation's key as it stands) and table.</summary>
        private sealed class PendingPass
        {
            public Packet Packet = new();
            public FlowKey Key;
            public int Table;
            public bool KeyInPlace;
        }
    }

    /// <summary>A compiled <c>learn</c>: how to build the learned flow's match from the packet's key.</summary>
    private sealed class LearnSpec
    {
        private readonly List<(KeyField Dst, KeyField? Src, UInt128 Value)> _match = [];

        public IReadOnlyList<OfAction> Actions { get; private set; } = [];

        public static LearnSpec Parse(LearnAction learn)
        {
            var spec = new LearnSpec();
            var actions = new List<OfAction>();
            foreach (string s in learn.Specs)
            {
                if (s.StartsWith("load:", StringComparison.Ordinal))
                {
                    // load:VALUE->NXM_FIELD[bit] or [lo..hi]
                    string body = s[5..];
                    int arrow = body.IndexOf("->", StringComparison.Ordinal);
                    ulong value = Convert.ToUInt64(body[..arrow], 16);
                    var (field, offset, bits) = Subfield(body[(arrow + 2)..]);
                    UInt128 mask = Bits(bits) << offset;
                    actions.Add(new SetFieldAction(OvsField.Get(field.Name), (UInt128)value << offset, mask));
                }
                else if (s.Contains('=', StringComparison.Ordinal) && !s.Contains('[', StringComparison.Ordinal))
                {
                    int eq = s.IndexOf('=', StringComparison.Ordinal);
                    string name = s[..eq], text = s[(eq + 1)..];
                    var f = KeyFields.Get(name);
                    UInt128 v = text.Contains(':', StringComparison.Ordinal) || text.Count(c => c == '.') == 3 ? ParseAddress(text)
                        : text.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToUInt64(text[2..], 16)
                        : ulong.Parse(text, CultureInfo.InvariantCulture);
                    spec._match.Add((f, null, v));
                }
                else if (s.Contains('=', StringComparison.Ordinal))
                {
                    int eq = s.IndexOf('=', StringComparison.Ordinal);
                    spec._match.Add((Subfield(s[..eq]).Field, Subfield(s[(eq + 1)..]).Field, 0));
                }
                else
                {
                    var f = Subfield(s).Field;
                    spec._match.Add((f, f, 0));
                }
            }

            spec.Actions = actions;
            return spec;
        }

        private static (KeyField Field, int Offset, int Bits) Subfield(string text)
        {
            int bracket = text.IndexOf('[', StringComparison.Ordinal);
            string nxm = text[..bracket], range = text[(bracket + 1)..^1];
            var field = OvsField.GetByNxmName(nxm);
            var key = KeyFields.Get(field.Name);
            if (range.Length == 0)
            {
                return (key, 0, field.Bits);
            }

            int dots = range.IndexOf("..", StringComparison.Ordinal);
            if (dots < 0)
            {
                return (key, int.Parse(range, CultureInfo.InvariantCulture), 1);
            }

            int lo = int.Parse(range[..dots], CultureInfo.InvariantCulture), hi = int.Parse(range[(dots + 2)..], CultureInfo.InvariantCulture);
            return (key, lo, hi - lo + 1);
        }

        public OvsMatch Build(in FlowKey key)
        {
            var v = default(FlowKey);
            var m = default(FlowKey);
            foreach (var (dst, src, value) in _match)
            {
                UInt128 val = src is null ? value : src.Get(key);
                dst.Set(ref v, val, dst.AllOnes);
                dst.Set(ref m, UInt128.MaxValue, dst.AllOnes);
            }

            return ToMatch(v, m);
        }

        private static OvsMatch ToMatch(in FlowKey v, in FlowKey m)
        {
            var o = new OvsMatch();
            if (KeyFields.Metadata.Get(m) != 0)
            {
                o.Metadata = (KeyFields.Metadata.Get64(v), ulong.MaxValue);
            }

            if (KeyFields.DlType.Get(m) != 0)
            {
                o.DlType = (ushort)KeyFields.DlType.Get64(v);
            }

            if (KeyFields.NwProto.Get(m) != 0)
            {
                o.NwProto = (byte)KeyFields.NwProto.Get64(v);
            }

            o.NwSrc = ((uint)KeyFields.NwSrc.Get64(v), (uint)KeyFields.NwSrc.Get64(m));
            o.NwDst = ((uint)KeyFields.NwDst.Get64(v), (uint)KeyFields.NwDst.Get64(m));
            o.Ipv6Src = (KeyFields.Ipv6Src.Get(v), KeyFields.Ipv6Src.Get(m));
            o.Ipv6Dst = (KeyFields.Ipv6Dst.Get(v), KeyFields.Ipv6Dst.Get(m));
            o.TpSrc = ((ushort)KeyFields.TpSrc.Get64(v), (ushort)KeyFields.TpSrc.Get64(m));
            o.TpDst = ((ushort)KeyFields.TpDst.Get64(v), (ushort)KeyFields.TpDst.Get64(m));
            return o;
        }
    }
}
