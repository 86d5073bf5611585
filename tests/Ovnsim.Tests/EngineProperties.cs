using System.Buffers.Binary;
using FsCheck.Xunit;
using Ovnsim.Engine;

namespace Ovnsim.Tests;

/// <summary>
/// FsCheck properties of the engine: the tuple-space classifier picks the rule a plain linear scan picks, at every
/// vector width; conntrack's DNAT and the reply's un-DNAT restore the original tuple with valid checksums.
/// </summary>
public sealed class EngineProperties
{
    private static readonly KeyField[] Fields =
    [
        KeyFields.Metadata, KeyFields.InPort, KeyFields.DlType, KeyFields.NwSrc, KeyFields.NwDst, KeyFields.TpDst,
        KeyFields.Reg(14), KeyFields.Reg(15), KeyFields.CtState, KeyFields.Ipv6Dst, KeyFields.DlDst,
    ];

    /// <summary>The reference: every rule tried in turn, the highest priority wins.</summary>
    private static int? Linear(List<(FlowKey Value, FlowKey Mask, int Priority)> rules, in FlowKey key)
    {
        int? best = null;
        for (int i = 0; i < rules.Count; i++)
        {
            var (v, m, p) = rules[i];
            bool match = true;
            for (int w = 0; w < FlowKey.Words && match; w++)
            {
                match = (key[w] & m[w]) == (v[w] & m[w]);
            }

            if (match && (best is null || p > rules[best.Value].Priority))
            {
                best = i;
            }
        }

        return best;
    }

    private static FlowKey RandomKey(Random r, int fieldsMask, bool forMask)
    {
        var k = default(FlowKey);
        for (int f = 0; f < Fields.Length; f++)
        {
            if ((fieldsMask & (1 << f)) == 0)
            {
                continue;
            }

            // Few values per field, so that rules and packets meet often; masks are prefixes or all ones.
            UInt128 value = forMask
                ? (r.Next(3) == 0 ? Fields[f].AllOnes << r.Next(Fields[f].Bits / 2) : Fields[f].AllOnes)
                : (UInt128)(uint)r.Next(4);
            Fields[f].Set(ref k, value, Fields[f].AllOnes);
        }

        return k;
    }

    [Property(MaxTest = 200)]
    public bool Classifier_agrees_with_a_linear_scan_at_every_width(int seed)
    {
        var r = new Random(seed);
        int nMasks = 1 + r.Next(12);
        var masks = Enumerable.Range(0, nMasks).Select(_ => RandomKey(r, r.Next(1 << Fields.Length), forMask: true)).ToList();
        var rules = new List<(FlowKey, FlowKey, int)>();
        var priorities = Enumerable.Range(0, 1000).OrderBy(_ => r.Next()).ToList();
        int n = r.Next(1, 150);
        for (int i = 0; i < n; i++)
        {
            var mask = masks[r.Next(masks.Count)];
            rules.Add((RandomKey(r, (1 << Fields.Length) - 1, forMask: false), mask, priorities[i]));
        }

        var widths = new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }
            .Where(w => w <= MaskedKey.Best).ToList();
        var classifiers = widths.Select(w =>
        {
            var c = new Classifier<int>(w);
            for (int i = 0; i < rules.Count; i++)
            {
                c.Insert(rules[i].Item1, rules[i].Item2, rules[i].Item3, i);
            }

            return c;
        }).ToList();
        for (int p = 0; p < 200; p++)
        {
            var key = RandomKey(r, (1 << Fields.Length) - 1, forMask: false);
            int? expected = Linear(rules, key);
            foreach (var c in classifiers)
            {
                var hit = c.Lookup(key);
                if (hit?.Payload != expected)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// 32,000 rules of one mask just under the table's half load: about 2% of the 8-hash buckets overflow into the
    /// next, and a probe has to follow them there. Each rule is found (the key's other bits do not matter) and a key
    /// that differs in a masked bit finds nothing, at every width.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(7)] // looked in after seven higher subtables: by the grouped probes of the lookup, not one at a time
    public void A_subtable_of_thousands_of_rules_finds_each_one_and_nothing_else_at_every_width(int decoys)
    {
        const int n = 32_000;
        var mask = KeyFields.MaskOf(KeyFields.NwSrc, KeyFields.NwDst, KeyFields.TpDst);
        FlowKey Key(int i, uint noise)
        {
            var k = default(FlowKey);
            KeyFields.NwSrc.Set64(ref k, 0x0a000000u | (uint)i);
            KeyFields.NwDst.Set64(ref k, (uint)i * 2_654_435_761u);
            KeyFields.TpDst.Set64(ref k, (ulong)(i % 65_521));
            KeyFields.Reg(3).Set64(ref k, noise); // outside the mask
            return k;
        }

        foreach (var width in new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= MaskedKey.Best))
        {
            var c = new Classifier<int>(width);
            for (int i = 0; i < n; i++)
            {
                c.Insert(Key(i, 0), mask, 100, i);
            }

            // Higher subtables that no key matches (reg5 is 0 in every key).
            for (int d = 0; d < decoys; d++)
            {
                var decoy = default(FlowKey);
                KeyFields.Reg(5).Set64(ref decoy, 1ul << d);
                c.Insert(decoy, decoy, 200 + d, -1);
            }

            Assert.Equal(n + decoys, c.Count);
            Assert.Equal(1 + decoys, c.SubtableCount);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(i, c.Lookup(Key(i, (uint)i))?.Payload);
                var other = Key(i, 0);
                KeyFields.NwSrc.Set64(ref other, 0x0b000000u | (uint)i);
                Assert.Null(c.Lookup(other));
            }
        }
    }

    /// <summary>
    /// Two values with the same 64-bit hash, made on purpose: words 0 and 4 fall in the same lane of the hash (chunks 0
    /// and 1, turned by 5 and 13 bits before they are summed), so (x, 0) and (0, x turned 8 bits right) sum alike. The
    /// Vector512 lookup trusts equal hashes until the end; its winner's value must still be compared, and two slots of
    /// one bucket with the key's hash must both be weighed.
    /// </summary>
    [Fact]
    public void Values_whose_hashes_collide_are_told_apart_at_every_width()
    {
        var mask = default(FlowKey);
        mask[0] = ulong.MaxValue;
        mask[4] = ulong.MaxValue;
        const ulong x = 0x0123_4567_89ab_cdef;
        var a = default(FlowKey);
        a[0] = x;
        var b = default(FlowKey);
        b[4] = System.Numerics.BitOperations.RotateRight(x, 8);
        int[] chunks = [0, 1];
        Assert.Equal(MaskedKey.Hash(a, mask, chunks, SimdWidth.Scalar), MaskedKey.Hash(b, mask, chunks, SimdWidth.Scalar));

        // A lower subtable whose one rule b matches.
        var lower = default(FlowKey);
        lower[4] = ulong.MaxValue;
        foreach (var width in new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= MaskedKey.Best))
        {
            var c = new Classifier<string>(width);

            // Seven higher subtables that match nothing, so that the two above are looked in by a group of lanes.
            for (int d = 0; d < 7; d++)
            {
                var decoy = default(FlowKey);
                decoy[20] = 1ul << d;
                c.Insert(decoy, decoy, 100 + d, "decoy");
            }

            c.Insert(a, mask, 10, "a");
            c.Insert(b, lower, 5, "b lower");
            Assert.Equal("b lower", c.Lookup(b)?.Payload);
            Assert.Equal("a", c.Lookup(a)?.Payload);

            // Both values in the upper subtable: one bucket, two slots with the same hash.
            c.Insert(b, mask, 20, "b");
            Assert.Equal("b", c.Lookup(b)?.Payload);
            Assert.Equal("a", c.Lookup(a)?.Payload);
            c.Insert(a, mask, 30, "a higher");
            Assert.Equal("b", c.Lookup(b)?.Payload);
            Assert.Equal("a higher", c.Lookup(a)?.Payload);
        }
    }

    [Property(MaxTest = 200)]
    public bool Masked_hash_and_compare_are_the_same_at_every_width(int seed)
    {
        var r = new Random(seed);
        var key = default(FlowKey);
        var mask = default(FlowKey);
        for (int w = 0; w < FlowKey.Words; w++)
        {
            key[w] = (ulong)r.NextInt64();
            mask[w] = r.Next(3) == 0 ? 0 : (ulong)r.NextInt64();
        }

        var chunks = MaskedKey.ActiveChunks(mask);
        ulong h = MaskedKey.Hash(key, mask, chunks, SimdWidth.Scalar);
        var layout = new PackedLayout(mask);
        var packed = new ulong[layout.Words];
        MaskedKey.Pack(MaskedKey.And(key, mask), layout, packed);

        // A key differing in one masked bit must not match.
        var other = key;
        int word = Enumerable.Range(0, FlowKey.Words).FirstOrDefault(w => mask[w] != 0, -1);
        if (word >= 0)
        {
            other[word] ^= mask[word] & (ulong)-(long)mask[word];
        }

        return new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= MaskedKey.Best)
            .All(w => MaskedKey.Hash(key, mask, chunks, w) == h
                && MaskedKey.MatchesPacked(key, mask, packed, 0, layout, w)
                && (word < 0 || !MaskedKey.MatchesPacked(other, mask, packed, 0, layout, w)));
    }

    private static readonly byte[] NoMac = new byte[6];

    private static byte[] Tcp(uint src, uint dst, ushort sport, ushort dport, byte flags, uint seq, uint ack) =>
        TestFrames.Tcp(NoMac, NoMac, src, dst, sport, dport, flags, seq, ack);

    private static bool ChecksumsValid(byte[] f) => TestFrames.ChecksumsValid(f);

    private static byte[] Run(Conntrack ct, byte[] frame, CtRequest request)
    {
        var packet = new Packet();
        packet.Load(frame);
        var key = default(FlowKey);
        FlowExtractor.Extract(packet, ref key);
        var committed = key;
        ct.Execute(packet, ref key, request, ref committed);
        return packet.ToArray();
    }

    [Property(MaxTest = 300)]
    public bool Dnat_then_the_replys_undnat_restore_the_original_tuple_with_valid_checksums(
        uint client, uint vip, uint backend, ushort cport, ushort vport, ushort bport)
    {
        // Address 0 means "no address" to conntrack (find_addr keeps the packet's own), as in OVS.
        if (cport == 0 || vport == 0 || bport == 0 || backend == 0 || client == vip || client == backend)
        {
            return true;
        }

        var ct = new Conntrack();
        var dnat = new CtRequest(7, true, true, "dst", backend, bport, 0);
        var syn = Run(ct, Tcp(client, vip, cport, vport, 0x02, 1000, 0), dnat);
        bool forward = BinaryPrimitives.ReadUInt32BigEndian(syn.AsSpan(30)) == backend
            && BinaryPrimitives.ReadUInt16BigEndian(syn.AsSpan(36)) == bport && ChecksumsValid(syn);

        var undnat = new CtRequest(7, false, true, null, 0, 0, 0);
        var synack = Run(ct, Tcp(backend, client, bport, cport, 0x12, 5000, 1001), undnat);
        bool back = BinaryPrimitives.ReadUInt32BigEndian(synack.AsSpan(26)) == vip
            && BinaryPrimitives.ReadUInt16BigEndian(synack.AsSpan(34)) == vport
            && BinaryPrimitives.ReadUInt32BigEndian(synack.AsSpan(30)) == client && ChecksumsValid(synack);
        return forward && back && ct.Connections.Count == 1;
    }

    /// <summary>An ICMP destination-unreachable from <paramref name="src"/> to <paramref name="dst"/> quoting <paramref name="quoted"/>'s IP packet.</summary>
    private static byte[] IcmpError(uint src, uint dst, byte[] quoted)
    {
        return TestFrames.Ipv4(NoMac, NoMac, src, dst, 1, ErrorMessage(3, 3, quoted), 2);
    }

    /// <summary>An ICMP or ICMPv6 error message of <paramref name="type"/> and <paramref name="code"/> quoting the IP packet of the frame <paramref name="quoted"/> (checksum left zero).</summary>
    private static byte[] ErrorMessage(byte type, byte code, byte[] quoted)
    {
        var icmp = new byte[8 + quoted.Length - 14];
        icmp[0] = type;
        icmp[1] = code;
        quoted.AsSpan(14).CopyTo(icmp.AsSpan(8));
        return icmp;
    }

    /// <summary>The quoted packet's addresses and ports, and whether the ICMP and quoted IP checksums hold.</summary>
    private static (uint Src, uint Dst, ushort Sport, ushort Dport, bool Valid) Quoted(byte[] error)
    {
        var inner = error.AsSpan(42);
        bool valid = HeaderCommit.InternetChecksum(error.AsSpan(34)) == 0 && HeaderCommit.InternetChecksum(inner[..20]) == 0;
        return (BinaryPrimitives.ReadUInt32BigEndian(inner[12..]), BinaryPrimitives.ReadUInt32BigEndian(inner[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(inner[20..]), BinaryPrimitives.ReadUInt16BigEndian(inner[22..]), valid);
    }

    /// <summary>
    /// ICMP errors related to a DNAT connection are translated as OVS's <c>nat_packet</c> translates them: the
    /// backend's error about the translated packet leaves from the VIP and quotes the client's own packet; the
    /// client's error about a reply goes to the backend and quotes the backend's packet. One outer address changes,
    /// the quoted packet takes the other direction's addresses and ports, and the checksums stay valid.
    /// </summary>
    [Property(MaxTest = 200)]
    public bool Icmp_errors_related_to_a_dnat_connection_are_translated_both_ways(
        uint client, uint vip, uint backend, ushort cport, ushort vport, ushort bport)
    {
        if (cport == 0 || vport == 0 || bport == 0 || backend == 0 || client == 0 || vip == 0
            || client == vip || client == backend || vip == backend)
        {
            return true;
        }

        var ct = new Conntrack();
        var syn = Run(ct, Tcp(client, vip, cport, vport, 0x02, 1000, 0), new CtRequest(7, true, true, "dst", backend, bport, 0));
        var nat = new CtRequest(7, false, true, null, 0, 0, 0);

        // The backend cannot deliver what it was sent (client -> backend after DNAT).
        var fromBackend = Run(ct, IcmpError(backend, client, syn), nat);
        var q1 = Quoted(fromBackend);
        bool back = BinaryPrimitives.ReadUInt32BigEndian(fromBackend.AsSpan(26)) == vip
            && BinaryPrimitives.ReadUInt32BigEndian(fromBackend.AsSpan(30)) == client
            && q1 == (client, vip, cport, vport, true);

        // The client cannot deliver a reply it got (VIP -> client after un-DNAT).
        var reply = Tcp(vip, client, vport, cport, 0x12, 5000, 1001);
        var fromClient = Run(ct, IcmpError(client, vip, reply), nat);
        var q2 = Quoted(fromClient);
        bool forward = BinaryPrimitives.ReadUInt32BigEndian(fromClient.AsSpan(26)) == client
            && BinaryPrimitives.ReadUInt32BigEndian(fromClient.AsSpan(30)) == backend
            && q2 == (backend, client, bport, cport, true);
        return back && forward && ct.Connections.Count == 1;
    }

    /// <summary>
    /// The same for IPv6: ICMPv6 errors related to a DNAT connection are found by their quoted tuple and translated
    /// as <c>nat_packet</c> and <c>nat_inner_packet</c> translate them, the quoted TCP checksum updated and the
    /// ICMPv6 checksum computed under the new outer addresses.
    /// </summary>
    [Property(MaxTest = 200)]
    public bool Icmpv6_errors_related_to_a_dnat_connection_are_translated_both_ways(
        ulong client, ulong vip, ulong backend, ushort cport, ushort vport, ushort bport)
    {
        if (cport == 0 || vport == 0 || bport == 0 || backend == 0 || client == 0 || vip == 0
            || client == vip || client == backend || vip == backend)
        {
            return true;
        }

        UInt128 prefix = (UInt128)0xfd00_0000_0000_0001UL << 64;
        UInt128 c = prefix | client, v = prefix | vip, b = prefix | backend;
        var ct = new Conntrack();
        var syn = Run(ct, TestFrames.Tcp6(NoMac, NoMac, c, v, cport, vport, 0x02, 1000, 0), new CtRequest(7, true, true, "dst", b, bport, 0));
        var nat = new CtRequest(7, false, true, null, 0, 0, 0);

        // The backend cannot deliver what it was sent (client -> backend after DNAT).
        var fromBackend = Run(ct, Icmp6Error(b, c, syn), nat);
        var q1 = Quoted6(fromBackend);
        bool back = Address6(fromBackend, 22) == v && Address6(fromBackend, 38) == c && q1 == (c, v, cport, vport, true);

        // The client cannot deliver a reply it got (VIP -> client after un-DNAT).
        var reply = TestFrames.Tcp6(NoMac, NoMac, v, c, vport, cport, 0x12, 5000, 1001);
        var fromClient = Run(ct, Icmp6Error(c, v, reply), nat);
        var q2 = Quoted6(fromClient);
        bool forward = Address6(fromClient, 22) == c && Address6(fromClient, 38) == b && q2 == (b, c, bport, cport, true);
        return back && forward && ct.Connections.Count == 1;
    }

    private static UInt128 Address6(byte[] f, int at) => BinaryPrimitives.ReadUInt128BigEndian(f.AsSpan(at));

    /// <summary>An ICMPv6 destination-unreachable from <paramref name="src"/> to <paramref name="dst"/> quoting <paramref name="quoted"/>'s IPv6 packet.</summary>
    private static byte[] Icmp6Error(UInt128 src, UInt128 dst, byte[] quoted)
    {
        return TestFrames.Ipv6(NoMac, NoMac, src, dst, 58, ErrorMessage(1, 4, quoted), 2);
    }

    /// <summary>The quoted packet's addresses and ports, and whether the ICMPv6 and quoted TCP checksums hold.</summary>
    private static (UInt128 Src, UInt128 Dst, ushort Sport, ushort Dport, bool Valid) Quoted6(byte[] error)
    {
        var inner = error.AsSpan(62);
        bool valid = TestFrames.Checksums6Valid(error) && HeaderCommit.UpperLayerChecksum6(inner, inner[40..], 6) == 0;
        return (BinaryPrimitives.ReadUInt128BigEndian(inner[8..]), BinaryPrimitives.ReadUInt128BigEndian(inner[24..]),
            BinaryPrimitives.ReadUInt16BigEndian(inner[40..]), BinaryPrimitives.ReadUInt16BigEndian(inner[42..]), valid);
    }
}
