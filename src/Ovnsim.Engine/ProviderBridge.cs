using System.Buffers.Binary;

namespace Ovnsim.Engine;

/// <summary>
/// A provider bridge (the bridge ovn-bridge-mappings names for a physical network, br-phys) as ovs-vswitchd runs it.
/// Its only flow is <c>priority=0 actions=NORMAL</c>, so it is a MAC-learning switch (ofproto-dpif-xlate's
/// <c>xlate_normal</c>) over its interfaces to the physical network and the patch ports ovn-controller gives each
/// local localnet port of the network. Every port is a trunk (no tag, no trunks): a frame keeps its VLAN header and
/// MACs are learnt per VLAN, forgotten after <see cref="MacAgingMs"/>. Ports are numbered: the interfaces first, in
/// the order given, then the patch ports.
/// </summary>
public sealed class ProviderBridge
{
    /// <summary>How long a learnt MAC stays (the default mac-aging-time, 300 s).</summary>
    public const long MacAgingMs = 300_000;

    private readonly Dictionary<(ushort Vlan, ulong Mac), (int Port, long At)> _macs = [];
    private readonly List<int> _out = [];

    /// <summary>A bridge with <paramref name="interfaces"/> to the physical network and patch ports to br-int.</summary>
    /// <param name="name">The bridge's name.</param>
    /// <param name="interfaces">Its interfaces to the physical network (not its own internal port).</param>
    /// <param name="patches">Each local localnet port of its network, with the br-int OpenFlow port of its patch.</param>
    public ProviderBridge(string name, IReadOnlyList<string> interfaces, IReadOnlyList<(string Localnet, uint Ofport)> patches)
    {
        Name = name;
        Interfaces = interfaces;
        Patches = patches;
    }

    /// <summary>The bridge's name.</summary>
    public string Name { get; }

    /// <summary>The interfaces to the physical network: ports 0 to <c>Interfaces.Count - 1</c>.</summary>
    public IReadOnlyList<string> Interfaces { get; }

    /// <summary>The patch ports, after the interfaces.</summary>
    public IReadOnlyList<(string Localnet, uint Ofport)> Patches { get; }

    /// <summary>The port of interface <paramref name="name"/>, or -1.</summary>
    public int InterfacePort(string name)
    {
        for (int i = 0; i < Interfaces.Count; i++)
        {
            if (Interfaces[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The port of the patch to br-int OpenFlow port <paramref name="ofport"/>, or -1.</summary>
    public int PatchPort(uint ofport)
    {
        for (int i = 0; i < Patches.Count; i++)
        {
            if (Patches[i].Ofport == ofport)
            {
                return Interfaces.Count + i;
            }
        }

        return -1;
    }

    /// <summary>Whether <paramref name="port"/> is a patch port, and then the localnet port and br-int OpenFlow port.</summary>
    public bool IsPatch(int port, out (string Localnet, uint Ofport) patch)
    {
        bool isPatch = port >= Interfaces.Count;
        patch = isPatch ? Patches[port - Interfaces.Count] : default;
        return isPatch;
    }

    /// <summary>
    /// The ports NORMAL sends a frame to that came in on <paramref name="from"/> at <paramref name="nowMs"/>,
    /// learning its source: the port its destination was learnt on (none when that is the input port), or every
    /// other port for a multicast or unknown destination. A frame to a reserved multicast address (01:80:c2:00:00:0x)
    /// or with a cut-off VLAN header goes nowhere. The list is reused by the next call.
    /// </summary>
    public IReadOnlyList<int> Forward(int from, ReadOnlySpan<byte> frame, long nowMs)
    {
        _out.Clear();
        if (frame.Length < 14)
        {
            return _out;
        }

        ushort vlan = 0;
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x8100)
        {
            if (frame.Length < 18)
            {
                return _out; // a partial VLAN tag
            }

            vlan = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0xfff);
        }

        ulong dst = Mac(frame), src = Mac(frame[6..]);
        if (dst >> 4 == 0x0180_c200_000)
        {
            return _out; // reserved multicast: dropped without forward-bpdu
        }

        if ((src & (1UL << 40)) == 0)
        {
            _macs[(vlan, src)] = (from, nowMs);
        }

        if ((dst & (1UL << 40)) == 0 && _macs.TryGetValue((vlan, dst), out var learnt) && nowMs - learnt.At < MacAgingMs)
        {
            if (learnt.Port != from)
            {
                _out.Add(learnt.Port);
            }

            return _out;
        }

        for (int port = 0; port < Interfaces.Count + Patches.Count; port++)
        {
            if (port != from)
            {
                _out.Add(port);
            }
        }

        return _out;
    }

    private static ulong Mac(ReadOnlySpan<byte> b) => ((ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32) | BinaryPrimitives.ReadUInt32BigEndian(b[2..]);
}
