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
    private const ushort NxController2 = 37;
    private const ushort Controller2Userdata = 3;
    private const ushort Controller2Pause = 4;
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
                case ControllerAction controller:
                    // nx_action_controller2 and its properties, as encode_CONTROLLER writes them for ovn-controller's
                    // actions (max_len, controller id and reason at their defaults, so left out).
                    PutNicira(output, NxController2);
                    output.AddRange(new byte[6]);
                    PutProperty(output, Controller2Userdata, controller.Userdata);
                    if (controller.Pause)
                    {
                        PutProperty(output, Controller2Pause, []);
                    }

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

    /// <summary>
    /// Decodes what <see cref="Encode"/> writes (as <c>ofpacts_pull_openflow_actions</c> does for the actions
    /// ovn-controller's pinctrl reads back from controller userdata).
    /// </summary>
    /// <exception cref="FormatException">The bytes are not actions of the kinds encoded here.</exception>
    public static IReadOnlyList<OfAction> Decode(ReadOnlySpan<byte> data)
    {
        var actions = new List<OfAction>();
        while (data.Length > 0)
        {
            if (data.Length < 8)
            {
                throw new FormatException($"{data.Length} trailing bytes are not an action");
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(data);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            if (length < 8 || length % 8 != 0 || length > data.Length)
            {
                throw new FormatException($"action of type {type} has bad length {length}");
            }

            var a = data[..length];
            switch (type)
            {
                case SetField:
                {
                    uint header = BinaryPrimitives.ReadUInt32BigEndian(a[4..]);
                    var field = FieldByHeader(header & ~0x1ffu);
                    bool masked = (header & 0x100) != 0;
                    UInt128 value = ReadValue(a.Slice(8, field.Bytes));
                    UInt128 all = field.Bits == 128 ? UInt128.MaxValue : (UInt128.One << field.Bits) - 1;
                    UInt128 mask = masked ? ReadValue(a.Slice(8 + field.Bytes, field.Bytes)) : all;
                    actions.Add(new SetFieldAction(field, value, mask));
                    break;
                }

                case CopyField:
                {
                    int bits = BinaryPrimitives.ReadUInt16BigEndian(a[4..]);
                    int srcOffset = BinaryPrimitives.ReadUInt16BigEndian(a[6..]);
                    int dstOffset = BinaryPrimitives.ReadUInt16BigEndian(a[8..]);
                    var src = FieldByHeader(BinaryPrimitives.ReadUInt32BigEndian(a[12..]) & ~0x1ffu);
                    var dst = FieldByHeader(BinaryPrimitives.ReadUInt32BigEndian(a[16..]) & ~0x1ffu);
                    actions.Add(new MoveAction(new OvsSubfield(src, srcOffset, bits), new OvsSubfield(dst, dstOffset, bits)));
                    break;
                }

                case Experimenter when BinaryPrimitives.ReadUInt32BigEndian(a[4..]) == NiciraVendor:
                {
                    ushort subtype = BinaryPrimitives.ReadUInt16BigEndian(a[8..]);
                    switch (subtype)
                    {
                        case NxResubmitTable:
                            actions.Add(new ResubmitAction(a[12]));
                            break;
                        case NxStackPush or NxStackPop:
                        {
                            int offset = BinaryPrimitives.ReadUInt16BigEndian(a[10..]);
                            var field = FieldByHeader(BinaryPrimitives.ReadUInt32BigEndian(a[12..]) & ~0x1ffu);
                            int bits = BinaryPrimitives.ReadUInt16BigEndian(a[16..]);
                            var sub = new OvsSubfield(field, offset, bits);
                            actions.Add(subtype == NxStackPush ? new PushAction(sub) : new PopAction(sub));
                            break;
                        }

                        case NxController2:
                            actions.Add(DecodeController2(a[16..]));
                            break;

                        default:
                            throw new FormatException($"Nicira action subtype {subtype} is not simulated");
                    }

                    break;
                }

                default:
                    throw new FormatException($"OpenFlow action type {type} is not simulated");
            }

            data = data[length..];
        }

        return actions;
    }

    /// <summary>The userdata and pause properties of an <c>nx_action_controller2</c> (others are not simulated).</summary>
    private static ControllerAction DecodeController2(ReadOnlySpan<byte> properties)
    {
        byte[] userdata = [];
        bool pause = false;
        while (properties.Length >= 4)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(properties);
            int length = BinaryPrimitives.ReadUInt16BigEndian(properties[2..]);
            int padded = (length + 7) & ~7;
            if (length < 4 || padded > properties.Length)
            {
                throw new FormatException($"controller property {type} has bad length {length}");
            }

            switch (type)
            {
                case Controller2Userdata:
                    userdata = properties[4..length].ToArray();
                    break;
                case Controller2Pause:
                    pause = true;
                    break;
                default:
                    throw new FormatException($"controller property {type} is not simulated");
            }

            properties = properties[padded..];
        }

        return new ControllerAction(userdata, pause);
    }

    private static UInt128 ReadValue(ReadOnlySpan<byte> bytes)
    {
        UInt128 v = 0;
        foreach (byte b in bytes)
        {
            v = (v << 8) | b;
        }

        return v;
    }

    private static readonly Lazy<Dictionary<uint, OvsField>> FieldsByHeader = new(() =>
    {
        var map = new Dictionary<uint, OvsField>();
        foreach (string name in OvsField.AllNames)
        {
            var f = OvsField.Get(name);
            if (f.Oxm is { } o)
            {
                map.TryAdd(o, f);
            }

            if (f.Nxm is { } n)
            {
                map.TryAdd(n, f);
            }
        }

        return map;
    });

    private static OvsField FieldByHeader(uint classField) =>
        FieldsByHeader.Value.TryGetValue(classField, out var f) ? f : throw new FormatException($"unknown field header 0x{classField:x8}");

    private static void PutNicira(List<byte> output, ushort subtype)
    {
        PutU16(output, Experimenter);
        PutU16(output, 0);
        PutU32(output, NiciraVendor);
        PutU16(output, subtype);
    }

    /// <summary><c>ofpprop_put</c>: type, length (without padding), the data, padded to 8 bytes.</summary>
    private static void PutProperty(List<byte> output, ushort type, ReadOnlySpan<byte> data)
    {
        int start = output.Count;
        PutU16(output, type);
        PutU16(output, (ushort)(4 + data.Length));
        output.AddRange(data);
        while ((output.Count - start) % 8 != 0)
        {
            output.Add(0);
        }
    }

    /// <summary><c>nx_action_stack</c>: offset, the field's NXM header, bit count.</summary>
    private static void PutStack(List<byte> output, ushort subtype, OvsSubfield subfield)
    {
        PutNicira(output, subtype);
        PutU16(output, (ushort)subfield.Offset);
        PutU32(output, subfield.Field.Header(openFlow15: false));
        PutU16(output, (ushort)subfield.Bits);
    }

    internal static void PutU16(List<byte> output, ushort value)
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
