using System.Buffers.Binary;

namespace Ovnsim.OpenFlow;

/// <summary>
/// OpenFlow 1.5 wire encoding of actions (lib/ofp-actions.c <c>ofpacts_put_openflow_actions</c> with
/// OFP15_VERSION), for the actions OVN nests inside <c>controller</c> userdata: Set-Field, Copy-Field (a move),
/// and the Nicira resubmit, push and pop.
/// </summary>
public static class OfWire
{
    private const ushort SetField = 25;
    private const ushort CopyField = 28;
    private const ushort Experimenter = 0xffff;
    private const uint NiciraVendor = 0x2320;
    private const ushort NxResubmitTable = 14;
    private const ushort NxStackPush = 27;
    private const ushort NxStackPop = 28;
    private const ushort InPortPseudoPort = 0xfff8;

    /// <summary>Appends the actions' OpenFlow 1.5 encoding to <paramref name="output"/>.</summary>
    public static void Encode(IEnumerable<OfAction> actions, List<byte> output)
    {
        foreach (var action in actions)
        {
            int start = output.Count;
            switch (action)
            {
                case SetFieldAction sf:
                {
                    UInt128 all = sf.Field.Bits == 128 ? UInt128.MaxValue : (UInt128.One << sf.Field.Bits) - 1;
                    bool masked = (sf.Mask & all) != all;
                    PutU16(output, SetField);
                    PutU16(output, 0); // length, set below
                    PutU32(output, sf.Field.Header(openFlow15: true, masked));
                    PutValue(output, sf.Value & sf.Mask, sf.Field.Bytes);
                    if (masked)
                    {
                        PutValue(output, sf.Mask, sf.Field.Bytes);
                    }

                    break;
                }

                case MoveAction move:
                    PutU16(output, CopyField);
                    PutU16(output, 0);
                    PutU16(output, (ushort)move.Source.Bits);
                    PutU16(output, (ushort)move.Source.Offset);
                    PutU16(output, (ushort)move.Destination.Offset);
                    PutU16(output, 0);
                    PutU32(output, move.Source.Field.Header(openFlow15: true));
                    PutU32(output, move.Destination.Field.Header(openFlow15: true));
                    break;
                case ResubmitAction resubmit:
                    PutNicira(output, NxResubmitTable);
                    PutU16(output, InPortPseudoPort);
                    output.Add((byte)resubmit.Table);
                    break;
                case PushAction push:
                    PutStack(output, NxStackPush, push.Subfield);
                    break;
                case PopAction pop:
                    PutStack(output, NxStackPop, pop.Subfield);
                    break;
                default:
                    throw new NotSupportedException($"OpenFlow 1.5 encoding of {action} is not simulated yet");
            }

            // Pad to a multiple of 8 and fill in the length.
            while ((output.Count - start) % 8 != 0)
            {
                output.Add(0);
            }

            int length = output.Count - start;
            output[start + 2] = (byte)(length >> 8);
            output[start + 3] = (byte)length;
        }
    }

    private static void PutNicira(List<byte> output, ushort subtype)
    {
        PutU16(output, Experimenter);
        PutU16(output, 0);
        PutU32(output, NiciraVendor);
        PutU16(output, subtype);
    }

    /// <summary><c>nx_action_stack</c>: offset, the field's NXM header, bit count.</summary>
    private static void PutStack(List<byte> output, ushort subtype, OvsSubfield subfield)
    {
        PutNicira(output, subtype);
        PutU16(output, (ushort)subfield.Offset);
        PutU32(output, subfield.Field.Header(openFlow15: false));
        PutU16(output, (ushort)subfield.Bits);
    }

    private static void PutU16(List<byte> output, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        output.AddRange(b);
    }

    internal static void PutU32(List<byte> output, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        output.AddRange(b);
    }

    /// <summary>A right-aligned value in network byte order, <paramref name="bytes"/> long.</summary>
    private static void PutValue(List<byte> output, UInt128 value, int bytes)
    {
        for (int i = bytes - 1; i >= 0; i--)
        {
            output.Add((byte)(value >> (8 * i)));
        }
    }
}
