using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Ovnsim.Capture;

namespace Ovnsim.Tests;

/// <summary>
/// The capture file reader and writer against Wireshark's own tools (Data/capture, made by tools/capture-golden.sh
/// with text2pcap, mergecap, editcap and tshark) and against hand-built files for what those tools do not write
/// (big-endian sections, several sections, simple and obsolete packet blocks, damage).
/// </summary>
public sealed class CaptureTests
{
    [Fact]
    public void A_pcapng_made_by_mergecap_reads_as_tshark_reads_it()
    {
        var expected = File.ReadAllLines(TestData.Path("capture", "seed-inputs.tsv")).Select(l => l.Split('\t')).ToList();
        using var reader = CaptureFile.Open(TestData.Path("capture", "seed-inputs.pcapng"));
        var packets = new List<CapturedPacket>();
        while (reader.Next() is { } p)
        {
            packets.Add(p);
        }

        Assert.Equal(expected.Count, packets.Count);
        for (int i = 0; i < packets.Count; i++)
        {
            var (name, epoch, length, hex) = (expected[i][0], expected[i][1], expected[i][2], expected[i][3]);
            Assert.Equal(name, reader.Interfaces[packets[i].Interface].Name);
            Assert.Equal(long.Parse(epoch.Replace(".", "", StringComparison.Ordinal), CultureInfo.InvariantCulture), packets[i].TimestampNs);
            Assert.Equal(int.Parse(length, CultureInfo.InvariantCulture), packets[i].OriginalLength);
            Assert.Equal(hex, Convert.ToHexString(packets[i].Data), ignoreCase: true);
        }

        // The seed's own inputs, in the same order (mergecap merges by time).
        var seed = SeedReplayTests.Steps().ToList();
        Assert.Equal(seed.Select(s => Convert.ToHexString(s.Frame)), packets.Select(p => Convert.ToHexString(p.Data)));
        Assert.Equal(seed.Select(s => s.TimeNs), packets.Select(p => p.TimestampNs));
    }

    [Fact]
    public void Nanosecond_pcap_and_microsecond_pcapng_from_editcap_give_the_original_packet()
    {
        var original = CaptureFile.ReadAll(TestData.Seed("pcap/in-02-syn-2222.pcap")).Single();
        foreach (string file in new[] { "in-02-nsec.pcap", "in-02.pcapng" })
        {
            var p = CaptureFile.ReadAll(TestData.Path("capture", file)).Single();
            Assert.Equal(original.Data, p.Data);
            Assert.Equal(original.TimestampNs, p.TimestampNs);
        }
    }

    [Fact]
    public void What_the_pcapng_writer_writes_reads_back_with_names_times_and_bytes()
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(new NonClosing(ms)))
        {
            int a = w.AddInterface("vm2p");
            int b = w.AddInterface("provnet-c0458a6d");
            w.Write(a, 1_795_502_369_834_284_123, [1, 2, 3, 4, 5], inbound: true);
            w.Write(b, 1_795_502_369_834_284_124, new byte[60], inbound: false);
            w.Write(a, 5, [9]);
        }

        ms.Position = 0;
        using var r = new PcapngReader(ms, "mem");
        var p1 = r.Next()!;
        var p2 = r.Next()!;
        var p3 = r.Next()!;
        Assert.Null(r.Next());
        Assert.Equal(["vm2p", "provnet-c0458a6d"], r.Interfaces.Select(i => i.Name));
        Assert.Equal((0, 1_795_502_369_834_284_123L, "0102030405"), (p1.Interface, p1.TimestampNs, Convert.ToHexString(p1.Data)));
        Assert.Equal((1, 1_795_502_369_834_284_124L, 60), (p2.Interface, p2.TimestampNs, p2.Data.Length));
        Assert.Equal((0, 5L, "09"), (p3.Interface, p3.TimestampNs, Convert.ToHexString(p3.Data)));
    }

    [Fact]
    public void Big_endian_sections_simple_and_obsolete_blocks_and_interfaces_numbered_across_sections()
    {
        var file = new List<byte>();

        // Section 1, big-endian: an interface in 2^-10 s units, a name resolution block (skipped), an enhanced and a
        // simple packet block.
        file.AddRange(Block(true, 0x0A0D0D0A, [.. U32(true, 0x1A2B3C4D), 0, 1, 0, 0, .. U64(true, ulong.MaxValue)]));
        file.AddRange(Block(true, 1, [0, 1, 0, 0, .. U32(true, 0), .. Opt(true, 2, "eth-a"u8.ToArray()), .. Opt(true, 9, [0x8a]), 0, 0, 0, 0]));
        file.AddRange(Block(true, 4, [0, 0, 0, 0]));
        file.AddRange(Block(true, 6, [.. U32(true, 0), .. U32(true, 0), .. U32(true, 3 * 1024 + 512), .. U32(true, 3), .. U32(true, 3), 0xaa, 0xbb, 0xcc, 0]));
        file.AddRange(Block(true, 3, [.. U32(true, 2), 0xdd, 0xee, 0, 0]));

        // Section 2, little-endian: its interface 0 is the file's second; millisecond units; an obsolete packet block.
        file.AddRange(Block(false, 0x0A0D0D0A, [.. U32(false, 0x1A2B3C4D), 1, 0, 0, 0, .. U64(false, ulong.MaxValue)]));
        file.AddRange(Block(false, 1, [1, 0, 0, 0, .. U32(false, 0), .. Opt(false, 2, "eth-b"u8.ToArray()), .. Opt(false, 9, [3]), 0, 0, 0, 0]));
        file.AddRange(Block(false, 2, [0, 0, 0, 0, .. U32(false, 0), .. U32(false, 1500), .. U32(false, 1), .. U32(false, 1), 0x11, 0, 0, 0]));

        using var r = new PcapngReader(new MemoryStream([.. file]), "hand.pcapng");
        var a = r.Next()!;
        var simple = r.Next()!;
        var b = r.Next()!;
        Assert.Null(r.Next());
        Assert.Equal(["eth-a", "eth-b"], r.Interfaces.Select(i => i.Name));
        Assert.Equal((0, 3_500_000_000L, "AABBCC"), (a.Interface, a.TimestampNs, Convert.ToHexString(a.Data)));
        Assert.Equal((0, 3_500_000_000L, "DDEE"), (simple.Interface, simple.TimestampNs, Convert.ToHexString(simple.Data)));
        Assert.Equal((1, 1_500_000_000L, "11"), (b.Interface, b.TimestampNs, Convert.ToHexString(b.Data)));
    }

    [Fact]
    public void A_truncated_pcapng_keeps_every_packet_before_the_damage_and_names_the_block()
    {
        byte[] whole = File.ReadAllBytes(TestData.Path("capture", "seed-inputs.pcapng"));
        using var r = new PcapngReader(new MemoryStream(whole[..^10]), "cut.pcapng");
        int packets = 0;
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            while (r.Next() is not null)
            {
                packets++;
            }
        });
        Assert.Equal(6, packets);
        Assert.Matches(@"^cut\.pcapng: block \d+ \(offset \d+\): truncated block", e.Message);

        // A trailing length that disagrees with the leading one is named too.
        byte[] bad = (byte[])whole.Clone();
        bad[^1] ^= 0x40;
        using var r2 = new PcapngReader(new MemoryStream(bad), "bad.pcapng");
        var e2 = Assert.Throws<InvalidDataException>(() =>
        {
            while (r2.Next() is not null)
            {
            }
        });
        Assert.Contains("trailing block length", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pcap_in_the_other_byte_order_reads_the_same()
    {
        var original = CaptureFile.ReadAll(TestData.Seed("pcap/in-02-syn-2222.pcap")).Single();
        byte[] le = File.ReadAllBytes(TestData.Seed("pcap/in-02-syn-2222.pcap"));
        var be = (byte[])le.Clone();
        foreach (int at in new[] { 0, 8, 12, 16, 20, 24, 28, 32, 36 })
        {
            BinaryPrimitives.WriteUInt32BigEndian(be.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(le.AsSpan(at)));
        }

        foreach (int at in new[] { 4, 6 })
        {
            BinaryPrimitives.WriteUInt16BigEndian(be.AsSpan(at), BinaryPrimitives.ReadUInt16LittleEndian(le.AsSpan(at)));
        }

        using var r = new PcapReader(new MemoryStream(be), "be.pcap");
        var p = r.Next()!;
        Assert.Equal((original.TimestampNs, Convert.ToHexString(original.Data)), (p.TimestampNs, Convert.ToHexString(p.Data)));
    }

    [Fact]
    public void Not_a_capture_file_is_named()
    {
        string path = TestData.Scratch(Encoding.ASCII.GetBytes("hello, world, this is text"), "x.pcap");
        var e = Assert.Throws<InvalidDataException>(() => CaptureFile.Open(path));
        Assert.Contains("x.pcap: not a pcap file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Differences_name_the_fields_that_differ()
    {
        byte[] expected = CaptureFile.ReadAll(TestData.Seed("pcap/out-02-syn-2222-vm2p-tx.pcap")).Single().Data;
        byte[] actual = (byte[])expected.Clone();
        actual[14 + 8]--; // ttl 63 -> 62
        var diffs = PacketDecode.Differences(expected, actual);
        Assert.Contains("ip.ttl: expected 63, got 62", diffs);
        Assert.Contains(diffs, d => d.StartsWith("ip4.checksum: expected 0x", StringComparison.Ordinal) && d.EndsWith("(bad)", StringComparison.Ordinal));
        Assert.Equal(2, diffs.Count);
        Assert.Empty(PacketDecode.Differences(expected, expected));
        Assert.Equal("fa:16:3e:d3:8c:20 > fa:16:3e:b0:3f:bf, 172.24.4.1.40000 > 10.0.0.12.22: Flags [S], seq 1000, ack 0, ttl 63",
            PacketDecode.Summary(expected));
    }

    private static byte[] Block(bool be, uint type, byte[] body)
    {
        Assert.Equal(0, body.Length % 4);
        uint total = (uint)(12 + body.Length);
        return [.. U32(type == 0x0A0D0D0A ? false : be, type), .. U32(be, total), .. body, .. U32(be, total)];
    }

    private static byte[] Opt(bool be, ushort code, byte[] value)
    {
        var o = new List<byte>();
        o.AddRange(U16(be, code));
        o.AddRange(U16(be, (ushort)value.Length));
        o.AddRange(value);
        while (o.Count % 4 != 0)
        {
            o.Add(0);
        }

        return [.. o];
    }

    private static byte[] U16(bool be, ushort v) => Bytes(be, v, 2);

    private static byte[] U32(bool be, uint v) => Bytes(be, v, 4);

    private static byte[] U64(bool be, ulong v) => Bytes(be, v, 8);

    /// <summary>The low <paramref name="size"/> bytes of <paramref name="v"/> in the byte order asked for.</summary>
    private static byte[] Bytes(bool be, ulong v, int size)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i++)
        {
            b[be ? size - 1 - i : i] = (byte)(v >> (8 * i));
        }

        return b;
    }

    /// <summary>A stream whose Dispose leaves the underlying stream open (so a test can read what was written).</summary>
    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
