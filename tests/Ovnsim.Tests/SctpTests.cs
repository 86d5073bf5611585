using System.Buffers.Binary;
using Ovnsim.Engine;
using Ovnsim.OpenFlow;
using static Ovnsim.Tests.TestFrames;

namespace Ovnsim.Tests;

/// <summary>SCTP's CRC32c: the checksum itself, and its upkeep when OVS rewrites an SCTP port.</summary>
public sealed class SctpTests
{
    private static readonly byte[] A = Mac("00:00:00:00:00:0a"), B = Mac("00:00:00:00:00:0b");

    /// <summary>An SCTP packet (one DATA chunk) with its CRC32c, then <paramref name="crcError"/> XORed into it.</summary>
    private static byte[] Sctp(ushort sport, ushort dport, uint crcError)
    {
        var l4 = new byte[12 + 20];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), 0xaabbccdd);
        l4[12] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 20);
        "ping"u8.CopyTo(l4.AsSpan(28));
        BinaryPrimitives.WriteUInt32LittleEndian(l4.AsSpan(8), HeaderCommit.Crc32c(l4) ^ crcError);
        return Ipv4(B, A, Ip("10.0.0.1"), Ip("10.0.0.2"), 132, l4, checksumAt: -1);
    }

    /// <summary>The stored CRC XOR the correct one: 0 for a valid packet.</summary>
    private static uint CrcError(byte[] frame)
    {
        var l4 = frame.AsSpan(34).ToArray();
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(l4.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(l4.AsSpan(8), 0);
        return stored ^ HeaderCommit.Crc32c(l4);
    }

    [Fact]
    public void Crc32c_of_rfc_3720s_test_vectors()
    {
        // RFC 3720 B.4: 32 bytes of zeros, of 0xff, and of 0..31; stored as aa 36 91 8a, 43 ab a8 62, 4e 79 dd 46.
        Assert.Equal(0x8a9136aau, HeaderCommit.Crc32c(new byte[32]));
        Assert.Equal(0x62a8ab43u, HeaderCommit.Crc32c(Enumerable.Repeat((byte)0xff, 32).ToArray()));
        Assert.Equal(0x46dd794eu, HeaderCommit.Crc32c([.. Enumerable.Range(0, 32).Select(i => (byte)i)]));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x00010000u)]
    public void Rewriting_an_sctp_port_keeps_the_crc_as_right_or_as_wrong_as_it_was(uint crcError)
    {
        // packet_set_sctp_port: the CRC moves by the difference between the correct CRCs before and after.
        var match = new OvsMatch { DlType = 0x0800, NwProto = 132 };
        var bridge = new Bridge(
            [new OpenFlowFlow(0, 100, 0, match, [new SetFieldAction(OvsField.Get("sctp_dst"), 5001, 0xffff), new OutputPortAction(2)])],
            new GroupTable());
        var sink = new RecordingSink();
        bridge.Receive(Sctp(40000, 5000, crcError), 1, sink);

        var sent = sink.Frames.Single().Frame;
        Assert.Equal(5001, BinaryPrimitives.ReadUInt16BigEndian(sent.AsSpan(36)));
        Assert.Equal(crcError, CrcError(sent));
    }
}
