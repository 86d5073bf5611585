using Ovnsim.OpenFlow;

namespace Ovnsim.Tests;

/// <summary>The OpenFlow 1.5 wire format of nested actions (what ovn-controller puts in controller userdata).</summary>
public sealed class OfWireTests
{
    /// <summary>
    /// icmp4.frag_mtu = 1400 inside an icmp4_error, as real ovn-controller encoded it (the bytes of gateway-mtu's
    /// openflow-nostats.txt): an nx_action_controller2 with the userdata property (opcode 13, padding, the MTU) and pause.
    /// </summary>
    [Fact]
    public void A_paused_controller_action_is_encoded_as_ovs_encodes_it_and_decodes_back()
    {
        byte[] userdata = [0, 0, 0, 0x0d, 0, 0, 0, 0, 0x05, 0x78];
        var actions = new OfAction[] { new ControllerAction(userdata, Pause: true), new ResubmitAction(8) };
        var bytes = new List<byte>();
        OfWire.Encode(actions, bytes);

        const string real = "ff.ff.00.28.00.00.23.20.00.25.00.00.00.00.00.00.00.03.00.0e.00.00.00.0d.00.00.00.00.05.78.00.00"
            + ".00.04.00.04.00.00.00.00.ff.ff.00.10.00.00.23.20.00.0e.ff.f8.08.00.00.00";
        Assert.Equal(real.Replace(".", "", StringComparison.Ordinal), Convert.ToHexString([.. bytes]), ignoreCase: true);
        Assert.Equal(actions, OfWire.Decode([.. bytes]));
    }

    [Fact]
    public void A_controller_action_without_pause_has_no_pause_property()
    {
        var bytes = new List<byte>();
        OfWire.Encode([new ControllerAction([0, 0, 0, 1, 0, 0, 0, 0])], bytes);
        Assert.Equal(32, bytes.Count); // 16 of header, 12 of userdata property padded to 16
        var decoded = Assert.IsType<ControllerAction>(Assert.Single(OfWire.Decode([.. bytes])));
        Assert.False(decoded.Pause);
    }
}
