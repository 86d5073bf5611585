using Ovnsim.Engine;
using Ovnsim.OpenFlow;

namespace Ovnsim.Tests;

/// <summary>A bridge sink that keeps what the bridge sent: each output as "port:HEX" (and "controller" for a packet-in), and the frames themselves.</summary>
internal sealed class RecordingSink : IBridgeSink
{
    public List<string> Sent { get; } = [];

    public List<(uint Port, byte[] Frame)> Frames { get; } = [];

    public void Output(uint port, ReadOnlySpan<byte> frame)
    {
        Sent.Add($"{port}:{Convert.ToHexString(frame)}");
        Frames.Add((port, frame.ToArray()));
    }

    public void PacketIn(ControllerAction action, in FlowKey key, ReadOnlySpan<byte> frame) => Sent.Add("controller");
}
