using Ovnsim.Engine;

namespace Ovnsim.Tests;

/// <summary>
/// The provider bridge's NORMAL (ofproto-dpif-xlate's <c>xlate_normal</c> with default settings): flooding of
/// broadcasts and unknown destinations, MAC learning per VLAN with aging, the input port never sent back to, and
/// reserved multicast and cut-off VLAN headers dropped (other multicast floods).
/// </summary>
public sealed class ProviderBridgeTests
{
    // Ports: 0 = eth0 (interface), 1 = eth1 (interface), 2 = ln-a's patch (ofport 5), 3 = ln-b's patch (ofport 6).
    private static ProviderBridge NewBridge() => new("br-phys", ["eth0", "eth1"], [("ln-a", 5u), ("ln-b", 6u)]);

    private static byte[] Frame(string dst, string src, ushort? vlan = null)
    {
        var f = new List<byte>(TestFrames.Mac(dst));
        f.AddRange(TestFrames.Mac(src));
        if (vlan is { } v)
        {
            f.AddRange([0x81, 0x00, (byte)(v >> 8), (byte)v]);
        }

        f.AddRange([0x08, 0x00]);
        f.AddRange(new byte[46]);
        return [.. f];
    }

    [Fact]
    public void Ports_are_the_interfaces_then_the_patches()
    {
        var br = NewBridge();
        Assert.Equal(1, br.InterfacePort("eth1"));
        Assert.Equal(-1, br.InterfacePort("ln-a"));
        Assert.Equal(3, br.PatchPort(6));
        Assert.True(br.IsPatch(2, out var patch));
        Assert.Equal(("ln-a", 5u), patch);
        Assert.False(br.IsPatch(0, out _));
    }

    [Fact]
    public void Broadcast_and_unknown_destinations_flood_to_every_other_port()
    {
        var br = NewBridge();
        Assert.Equal([1, 2, 3], br.Forward(0, Frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:01"), 0));
        Assert.Equal([0, 1, 3], br.Forward(2, Frame("0a:00:00:00:00:09", "0a:00:00:00:00:02"), 0));
    }

    [Fact]
    public void A_learnt_destination_gets_the_frame_alone_and_its_own_port_gets_nothing()
    {
        var br = NewBridge();
        br.Forward(3, Frame("ff:ff:ff:ff:ff:ff", "0a:00:00:00:00:03"), 0);
        Assert.Equal([3], br.Forward(0, Frame("0a:00:00:00:00:03", "52:54:00:00:00:01"), 10));

        // Now both are learnt: the reply goes to eth0 only, and a frame to a MAC behind its own input port goes nowhere.
        Assert.Equal([0], br.Forward(3, Frame("52:54:00:00:00:01", "0a:00:00:00:00:03"), 20));
        Assert.Empty(br.Forward(3, Frame("0a:00:00:00:00:03", "0a:00:00:00:00:04"), 30));
    }

    [Fact]
    public void Macs_are_learnt_per_vlan_and_forgotten_after_the_aging_time()
    {
        var br = NewBridge();
        br.Forward(2, Frame("ff:ff:ff:ff:ff:ff", "0a:00:00:00:00:05", vlan: 100), 0);
        Assert.Equal([2], br.Forward(0, Frame("0a:00:00:00:00:05", "52:54:00:00:00:01", vlan: 100), 1000));
        Assert.Equal([1, 2, 3], br.Forward(0, Frame("0a:00:00:00:00:05", "52:54:00:00:00:01", vlan: 200), 1000));
        Assert.Equal([1, 2, 3], br.Forward(0, Frame("0a:00:00:00:00:05", "52:54:00:00:00:01"), 1000));
        Assert.Equal([1, 2, 3], br.Forward(0, Frame("0a:00:00:00:00:05", "52:54:00:00:00:01", vlan: 100), ProviderBridge.MacAgingMs));
    }

    [Fact]
    public void Reserved_multicast_and_cut_off_vlan_headers_are_dropped()
    {
        var br = NewBridge();
        Assert.Empty(br.Forward(0, Frame("01:80:c2:00:00:0e", "52:54:00:00:00:01"), 0));
        byte[] partial = [.. TestFrames.Mac("ff:ff:ff:ff:ff:ff"), .. TestFrames.Mac("52:54:00:00:00:01"), 0x81, 0x00, 0x00];
        Assert.Empty(br.Forward(0, partial, 0));
        Assert.Equal([0, 2, 3], br.Forward(1, Frame("01:00:5e:00:00:01", "52:54:00:00:00:02"), 0));
    }
}
