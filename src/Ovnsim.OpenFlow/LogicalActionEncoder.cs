using System.Globalization;
using System.Text;
using Ovnsim.Logical.Actions;
using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;
using LogicalMove = Ovnsim.Logical.Actions.MoveAction;

namespace Ovnsim.OpenFlow;

/// <summary>What the encoding of one logical flow's actions depends on (<c>struct ovnact_encode_params</c>).</summary>
/// <param name="Ingress">Whether the flow is in the ingress pipeline.</param>
/// <param name="Table">Its logical table.</param>
/// <param name="IsSwitch">Whether its datapath is a logical switch (conntrack zone reg13) or a router (reg11/12).</param>
/// <param name="LookupPort">A port or multicast group name of the datapath to its tunnel key, or null.</param>
/// <param name="Groups">Where ct_lb groups are created.</param>
/// <param name="SnatCtZone">Whether the datapath has external_ids:snat-ct-zone (then the common NAT zone is the SNAT zone).</param>
public sealed record ActionEncodeContext(bool Ingress, int Table, bool IsSwitch, Func<string, long?> LookupPort,
                                         GroupTable Groups, bool SnatCtZone = false);

/// <summary>
/// ovn-controller's encoding of logical actions into OpenFlow actions (lib/actions.c <c>encode_*</c>). Actions that
/// need ovn-controller itself (arp, icmp4, put_arp, …) become <c>controller(userdata=…)</c> with OVN's opcode and,
/// for nested actions, those actions in OpenFlow 1.5 wire format. Actions outside the simulated scope (DHCP, DNS,
/// logging, meters, ECMP, affinity, …) raise <see cref="NotSupportedException"/> naming the action.
/// </summary>
public static class LogicalActionEncoder
{
    internal const int LookupMacBit = 6;
    private const int LookupLbHairpinBit = 7;
    internal const int LookupFdbBit = 8;
    private const int CheckPortSecBit = 12;

    /// <summary>The opcodes of actions whose nested actions ovn-controller runs (include/ovn/actions.h).</summary>
    private static readonly Dictionary<string, int> NestedOpcodes = new(StringComparer.Ordinal)
    {
        ["arp"] = 0, ["nd_na"] = 3, ["nd_ns"] = 9, ["icmp4"] = 10, ["icmp6"] = 10, ["tcp_reset"] = 11,
        ["nd_na_router"] = 12, ["icmp4_error"] = 14, ["icmp6_error"] = 20, ["reject"] = 22, ["sctp_abort"] = 24,
    };

    private const int OpcodePutArp = 1;
    private const int OpcodePutNd = 4;
    private const int OpcodeEvent = 15;
    private const int OpcodeIgmp = 16;
    private const int OpcodeHandleSvcCheck = 18;
    private const int OpcodeDhcp6Server = 19;
    private const int OpcodePutFdb = 25;

    /// <summary><c>ACTION_OPCODE_PUT_ICMP4_FRAG_MTU</c>: pinctrl writes the value into the ICMPv4 error's next-hop MTU.</summary>
    public const int OpcodePutIcmp4FragMtu = 13;

    /// <summary><c>ACTION_OPCODE_PUT_ICMP6_FRAG_MTU</c>: pinctrl writes the value into the ICMPv6 Packet Too Big's MTU.</summary>
    public const int OpcodePutIcmp6FragMtu = 21;

    /// <summary>Encodes a flow's actions.</summary>
    public static IReadOnlyList<OfAction> Encode(ActionList actions, ActionEncodeContext context)
    {
        var result = new List<OfAction>();
        Encode(actions.Actions, context, result);
        return result;
    }

    private static void Encode(IEnumerable<LogicalAction> actions, ActionEncodeContext c, List<OfAction> output)
    {
        foreach (var action in actions)
        {
            EncodeOne(action, c, output);
        }
    }

    private static int FirstTable(bool ingress) => ingress ? OfTable.LogicalIngress : OfTable.LogicalEgress;

    private static OvsSubfield Zone(string register) => new(OvsField.Get(register), 0, 16);

    private static OvsSubfield DefaultZone(ActionEncodeContext c) => Zone(c.IsSwitch ? "reg13" : "reg11");

    private static void EncodeOne(LogicalAction action, ActionEncodeContext c, List<OfAction> o)
    {
        switch (action)
        {
            case NextAction next:
                bool ingress = next.Pipeline is null ? c.Ingress : next.Pipeline == "ingress";
                o.Add(new ResubmitAction(FirstTable(ingress) + (next.Table ?? (c.Table + 1))));
                break;
            case OutputAction:
                o.Add(new ResubmitAction(c.Ingress ? OfTable.OutputInit : OfTable.SaveInport));
                break;
            case LoadAction { Destination.Symbol.Name: "icmp4.frag_mtu" or "icmp6.frag_mtu" } frag:
                o.Add(EncodeFragMtu(frag));
                break;
            case LoadAction load:
                o.Add(EncodeLoad(load, c));
                break;
            case LogicalMove move:
                o.Add(new MoveAction(Resolve(move.Source), Resolve(move.Destination)));
                break;
            case ExchangeAction x:
                o.Add(new PushAction(Resolve(x.Right)));
                o.Add(new PushAction(Resolve(x.Left)));
                o.Add(new PopAction(Resolve(x.Right)));
                o.Add(new PopAction(Resolve(x.Left)));
                break;
            case DecrementTtlAction:
                o.Add(new DecTtlAction());
                break;
            case ResultAction r:
                EncodeResult(r, o);
                break;
            case NestedAction { Name: "clone" } clone:
                var inner = new List<OfAction>();
                Encode(clone.Body, c, inner);
                o.Add(new CloneAction(inner));
                break;
            case NestedAction { Name: "ct_commit" } commit:
                o.Add(CtCommit(commit.Body, c));
                break;
            case NestedAction nested when NestedOpcodes.TryGetValue(nested.Name, out int opcode):
                // encode_nested_actions: the inner actions, in OpenFlow 1.5 wire format, ride in the userdata.
                var body = new List<OfAction>();
                Encode(nested.Body, c, body);
                var userdata = ControllerHeader(opcode);
                OfWire.Encode(body, userdata);
                o.Add(new ControllerAction([.. userdata]));
                break;
            case CallAction call:
                EncodeCall(call, c, o);
                break;
            default:
                throw new NotSupportedException($"encoding of {Describe(action)} is not simulated yet");
        }
    }

    private static string Describe(LogicalAction action) => action switch
    {
        NestedAction n => n.Name,
        CallAction call => call.Name,
        ResultAction r => r.Function,
        _ => action.GetType().Name,
    };

    /// <summary><c>encode_LOAD</c>: a set_field on the field the symbol resolves to, masked to its bits.</summary>
    private static SetFieldAction EncodeLoad(LoadAction load, ActionEncodeContext c)
    {
        var dst = Resolve(load.Destination);
        UInt128 bitsMask = dst.Bits == 128 ? UInt128.MaxValue : (UInt128.One << dst.Bits) - 1;
        switch (load.Value)
        {
            case IntegerConstant i:
                UInt128 mask = (i.Mask ?? bitsMask) & bitsMask;
                return new SetFieldAction(dst.Field, (i.Value & bitsMask) << dst.Offset, mask << dst.Offset);
            case StringConstant s:
                UInt128 all = dst.Field.Bits == 128 ? UInt128.MaxValue : (UInt128.One << dst.Field.Bits) - 1;
                return new SetFieldAction(dst.Field, (UInt128)(ulong)(c.LookupPort(s.Value) ?? 0), all);
            default:
                throw new NotSupportedException($"loading {load.Value} is not simulated");
        }
    }

    /// <summary>
    /// <c>encode_OVNFIELD_LOAD</c>: an OVN field only pinctrl understands, so a paused controller action that hands
    /// it the value (icmp4.frag_mtu 16 bits, icmp6.frag_mtu 32, big-endian after the action header).
    /// </summary>
    private static ControllerAction EncodeFragMtu(LoadAction load)
    {
        if (load.Value is not IntegerConstant i)
        {
            throw new NotSupportedException($"{load.Destination.Symbol.Name} takes a number, not {load.Value}");
        }

        bool v4 = load.Destination.Symbol.Name == "icmp4.frag_mtu";
        var userdata = ControllerHeader(v4 ? OpcodePutIcmp4FragMtu : OpcodePutIcmp6FragMtu);
        if (v4)
        {
            OfWire.PutU16(userdata, (ushort)i.Value);
        }
        else
        {
            OfWire.PutU32(userdata, (uint)i.Value);
        }

        return new ControllerAction([.. userdata], Pause: true);
    }

    /// <summary><c>expr_resolve_field</c>: a symbol's bits on the OVS field at the root of its subfield chain.</summary>
    public static OvsSubfield Resolve(FieldRef field)
    {
        var symbol = field.Symbol;
        int offset = field.HasRange ? field.Low : 0;
        while (symbol.Parent is { } parent)
        {
            offset += symbol.ParentOffset;
            symbol = parent;
        }

        var ovs = OvsField.Get(symbol.OpenFlowField ?? throw new NotSupportedException($"{symbol.Name} has no field"));
        int bits = field.HasRange ? field.Width : (field.Symbol.IsString ? ovs.Bits : field.Symbol.Width);
        return new OvsSubfield(ovs, offset, bits);
    }

    private static void EncodeResult(ResultAction r, List<OfAction> o)
    {
        var dst = Resolve(r.Destination);
        switch (r.Function)
        {
            case "check_in_port_sec":
                ResultBit(dst, OfTable.ChkInPortSec, CheckPortSecBit, o);
                break;
            case "check_out_port_sec":
                ResultBit(dst, OfTable.ChkOutPortSec, CheckPortSecBit, o);
                break;
            case "chk_lb_hairpin":
                ResultBit(dst, OfTable.ChkLbHairpin, LookupLbHairpinBit, o);
                break;
            case "chk_lb_hairpin_reply":
                ResultBit(dst, OfTable.ChkLbHairpinReply, LookupLbHairpinBit, o);
                break;
            case "lookup_arp" or "lookup_nd":
            {
                var a = FieldArguments(r.Arguments);
                var args = new[]
                {
                    (a[0], OvsSubfield.Whole("reg14")),
                    (a[1], OvsSubfield.Whole(r.Function == "lookup_arp" ? "reg0" : "xxreg0")),
                    (a[2], OvsSubfield.Whole("eth_src")),
                };
                SetupArguments(args, o);
                ResultBit(dst, OfTable.MacLookup, LookupMacBit, o);
                RestoreArguments(args, o);
                break;
            }

            case "lookup_arp_ip" or "lookup_nd_ip":
            {
                var a = FieldArguments(r.Arguments);
                var args = new[]
                {
                    (a[0], OvsSubfield.Whole("reg15")),
                    (a[1], OvsSubfield.Whole(r.Function == "lookup_arp_ip" ? "reg0" : "xxreg0")),
                };
                SetupArguments(args, o);
                o.Add(new PushAction(OvsSubfield.Whole("eth_dst")));
                ResultBit(dst, OfTable.MacBinding, LookupMacBit, o);
                o.Add(new PopAction(OvsSubfield.Whole("eth_dst")));
                RestoreArguments(args, o);
                break;
            }

            case "get_fdb":
            {
                var args = new[] { (FieldArguments(r.Arguments)[0], OvsSubfield.Whole("eth_dst")) };
                var outport = OvsSubfield.Whole("reg15");
                SetupArguments(args, o);
                o.Add(new SetFieldAction(outport.Field, 0, uint.MaxValue));
                o.Add(new ResubmitAction(OfTable.GetFdb));
                RestoreArguments(args, o);
                if (dst.Field != outport.Field)
                {
                    o.Add(new MoveAction(outport, dst));
                }

                break;
            }

            case "lookup_fdb":
            {
                var a = FieldArguments(r.Arguments);
                var args = new[] { (a[0], OvsSubfield.Whole("reg14")), (a[1], OvsSubfield.Whole("eth_src")) };
                var flags = OvsField.Get("reg10");
                SetupArguments(args, o);
                o.Add(new SetFieldAction(flags, 0, UInt128.One << LookupFdbBit));
                o.Add(new ResubmitAction(OfTable.LookupFdb));
                RestoreArguments(args, o);
                o.Add(new MoveAction(new OvsSubfield(flags, LookupFdbBit, 1), dst));
                break;
            }

            case "check_pkt_larger" when r.Arguments is [{ Type: TokenType.Integer } length]:
                // encode_CHECK_PKT_LARGER: OVS's own action, the result written straight into the bit.
                o.Add(new CheckPktLargerAction((int)length.Value, dst));
                break;

            default:
                throw new NotSupportedException($"encoding of {r.Function} is not simulated yet");
        }
    }

    /// <summary><c>encode_result_action__</c>: clear the flag bit, resubmit to the table, move the bit to the result.</summary>
    private static void ResultBit(OvsSubfield dst, int table, int bit, List<OfAction> o)
    {
        var flags = OvsField.Get("reg10");
        o.Add(new SetFieldAction(flags, 0, UInt128.One << bit));
        o.Add(new ResubmitAction(table));
        o.Add(new MoveAction(new OvsSubfield(flags, bit, 1), dst));
    }

    /// <summary>
    /// <c>encode_setup_args</c>: save each destination that differs from its source, push the sources in reverse
    /// order, pop them into the destinations.
    /// </summary>
    private static void SetupArguments((OvsSubfield Source, OvsSubfield Destination)[] args, List<OfAction> o)
    {
        foreach (var (src, dst) in args.Where(a => a.Source.Field != a.Destination.Field))
        {
            o.Add(new PushAction(dst));
        }

        foreach (var (src, dst) in args.Reverse().Where(a => a.Source.Field != a.Destination.Field))
        {
            o.Add(new PushAction(src));
        }

        foreach (var (src, dst) in args.Where(a => a.Source.Field != a.Destination.Field))
        {
            o.Add(new PopAction(dst));
        }
    }

    /// <summary><c>encode_restore_args</c>: pop the saved destinations back, last first.</summary>
    private static void RestoreArguments((OvsSubfield Source, OvsSubfield Destination)[] args, List<OfAction> o)
    {
        foreach (var (src, dst) in args.Reverse().Where(a => a.Source.Field != a.Destination.Field))
        {
            o.Add(new PopAction(dst));
        }
    }

    /// <summary>The comma-separated field arguments of a function, resolved.</summary>
    private static List<OvsSubfield> FieldArguments(ValueList<ArgumentToken> tokens)
    {
        var result = new List<OvsSubfield>();
        var text = new StringBuilder();
        foreach (var t in tokens.Append(new ArgumentToken(TokenType.Comma, "", 0, 0, IntegerFormat.Decimal)))
        {
            switch (t.Type)
            {
                case TokenType.Comma:
                    result.Add(Resolve(MatchParser.ParseFieldReference(text.ToString(), SymbolTable.Ovn)));
                    text.Clear();
                    break;
                case TokenType.Id: text.Append(t.Text); break;
                case TokenType.LSquare: text.Append('['); break;
                case TokenType.RSquare: text.Append(']'); break;
                case TokenType.Ellipsis: text.Append(".."); break;
                case TokenType.Integer: text.Append(t.Value.ToString(CultureInfo.InvariantCulture)); break;
                default: throw new NotSupportedException($"argument token {t.Type} is not a field");
            }
        }

        return result;
    }

    /// <summary><c>encode_CT_COMMIT_V2</c>: commit in the datapath's zone with all-zero SNAT, nested actions in exec.</summary>
    private static CtAction CtCommit(IEnumerable<LogicalAction> body, ActionEncodeContext c)
    {
        var exec = new List<OfAction>();
        Encode(body, c, exec);
        return new CtAction(true, null, DefaultZone(c), new NatSpec("src", null, false, 0, 0), exec);
    }

    private static void EncodeCall(CallAction call, ActionEncodeContext c, List<OfAction> o)
    {
        int nextTable = FirstTable(c.Ingress) + c.Table + 1;
        switch (call.Name)
        {
            case "ct_next":
                o.Add(new CtAction(false, nextTable, DefaultZone(c), null, []));
                break;
            case "ct_clear":
                o.Add(new CtClearAction());
                break;
            case "ct_commit" when call.Arguments is null:
                o.Add(CtCommit([], c));
                break;
            case "ct_dnat" or "ct_snat" or "ct_dnat_in_czone" or "ct_snat_in_czone":
            {
                string zone = call.Name switch
                {
                    "ct_dnat" => "reg11",
                    "ct_snat" => "reg12",
                    _ => c.SnatCtZone ? "reg12" : "reg11",
                };
                var nat = NatArguments(call, call.Name.StartsWith("ct_dnat", StringComparison.Ordinal) ? "dst" : "src");
                o.Add(new CtAction(nat.Kind is not null, nextTable, Zone(zone), nat, []));
                break;
            }

            case "ct_commit_nat":
                o.Add(new CtAction(true, nextTable, DefaultZone(c), new NatSpec(null, null, false, 0, 0), []));
                break;
            case "ct_lb" or "ct_lb_mark":
                EncodeCtLb(call, c, nextTable, o);
                break;
            case "ct_snat_to_vip":
                o.Add(new ResubmitAction(OfTable.CtSnatHairpin));
                break;
            case "put_arp" or "put_nd":
            {
                var a = FieldArguments(call.Arguments!);
                var args = new[]
                {
                    (a[0], OvsSubfield.Whole("reg14")),
                    (a[1], OvsSubfield.Whole(call.Name == "put_arp" ? "reg0" : "xxreg0")),
                    (a[2], OvsSubfield.Whole("eth_src")),
                };
                ControllerWithArguments(args, call.Name == "put_arp" ? OpcodePutArp : OpcodePutNd, o);
                break;
            }

            case "put_fdb":
            {
                var a = FieldArguments(call.Arguments!);
                ControllerWithArguments([(a[0], OvsSubfield.Whole("reg14")), (a[1], OvsSubfield.Whole("eth_src"))], OpcodePutFdb, o);
                break;
            }

            case "handle_svc_check":
                ControllerWithArguments([(FieldArguments(call.Arguments!)[0], OvsSubfield.Whole("reg14"))], OpcodeHandleSvcCheck, o);
                break;
            case "handle_dhcpv6_reply":
                o.Add(new ControllerAction([.. ControllerHeader(OpcodeDhcp6Server)]));
                break;
            case "trigger_event":
                o.Add(TriggerEvent(call));
                break;
            case "igmp":
                o.Add(new ControllerAction([.. ControllerHeader(OpcodeIgmp)]));
                break;
            case "get_arp" or "get_nd":
            {
                // encode_get_mac: look the binding up in table 66 with eth.dst cleared first.
                var a = FieldArguments(call.Arguments!);
                var args = new[]
                {
                    (a[0], OvsSubfield.Whole("reg15")),
                    (a[1], OvsSubfield.Whole(call.Name == "get_arp" ? "reg0" : "xxreg0")),
                };
                SetupArguments(args, o);
                o.Add(new SetFieldAction(OvsField.Get("eth_dst"), 0, (UInt128.One << 48) - 1));
                o.Add(new ResubmitAction(OfTable.MacBinding));
                RestoreArguments(args, o);
                break;
            }
            default:
                throw new NotSupportedException($"encoding of {call.Name} is not simulated yet");
        }
    }

    /// <summary>OVN's <c>struct action_header</c>: the opcode, big-endian, and 4 bytes of padding.</summary>
    private static List<byte> ControllerHeader(int opcode)
    {
        var bytes = new List<byte>();
        OfWire.PutU32(bytes, (uint)opcode);
        bytes.AddRange(new byte[4]);
        return bytes;
    }

    /// <summary>
    /// <c>encode_TRIGGER_EVENT</c>: the event type (empty_lb_backends, 0) then each option as code, length and
    /// string, in the order written (vip 1, protocol 2, load_balancer 3).
    /// </summary>
    private static ControllerAction TriggerEvent(CallAction call)
    {
        var args = call.Arguments!.ToList();
        var userdata = ControllerHeader(OpcodeEvent);
        for (int i = 0; i + 2 < args.Count; i += 4)
        {
            string name = args[i].Text, value = args[i + 2].Text;
            if (name == "event")
            {
                if (value != "empty_lb_backends")
                {
                    throw new NotSupportedException($"trigger_event event \"{value}\" is not simulated");
                }

                OfWire.PutU32(userdata, 0);
                continue;
            }

            int code = name switch
            {
                "vip" => 1,
                "protocol" => 2,
                "load_balancer" => 3,
                _ => throw new NotSupportedException($"trigger_event option {name} is not simulated"),
            };
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            userdata.AddRange([0, (byte)code, (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            userdata.AddRange(bytes);
        }

        return new ControllerAction([.. userdata]);
    }

    /// <summary><c>encode_controller_op</c> between <c>encode_setup_args</c> and <c>encode_restore_args</c>.</summary>
    private static void ControllerWithArguments((OvsSubfield, OvsSubfield)[] args, int opcode, List<OfAction> o)
    {
        SetupArguments(args, o);
        o.Add(new ControllerAction([.. ControllerHeader(opcode)]));
        RestoreArguments(args, o);
    }

    /// <summary>The optional <c>(address[,port[-port]])</c> of ct_dnat/ct_snat; a plain nat without one.</summary>
    private static NatSpec NatArguments(CallAction call, string kind)
    {
        if (call.Arguments is not { Count: > 0 } args)
        {
            return new NatSpec(null, null, false, 0, 0);
        }

        var address = args[0];
        bool v6 = address.Format == IntegerFormat.Ipv6;
        string text = v6 ? OvsField.Ipv6(address.Value) : OvsField.Ipv4((uint)address.Value);
        int low = 0, high = 0;
        if (args.Count >= 3 && args[1].Type == TokenType.Comma)
        {
            low = (int)args[2].Value;
            if (args.Count >= 5 && args[3].Type == TokenType.Hyphen)
            {
                high = (int)args[4].Value;
            }
        }

        return new NatSpec(kind, text, v6, low, high);
    }

    /// <summary>
    /// <c>encode_ct_lb</c>: without backends, <c>ct(table=next,zone,nat)</c>; with them, a select group whose buckets
    /// each DNAT to one backend and commit, marking the connection natted (and skip/force SNAT when asked).
    /// </summary>
    private static void EncodeCtLb(CallAction call, ActionEncodeContext c, int nextTable, List<OfAction> o)
    {
        var args = call.Arguments is null ? [] : call.Arguments.ToList();
        if (args.Count == 0)
        {
            o.Add(new CtAction(false, nextTable, DefaultZone(c), new NatSpec(null, null, false, 0, 0), []));
            return;
        }

        int i = 0;
        if (args[i].Type != TokenType.Id || args[i].Text != "backends")
        {
            throw new NotSupportedException("ct_lb without backends= is not simulated");
        }

        i += 2; // backends =
        var backends = new List<(string Address, bool V6, int Port)>();
        while (i < args.Count && args[i].Type is not TokenType.Semicolon)
        {
            bool bracket = args[i].Type == TokenType.LSquare;
            if (bracket)
            {
                i++;
            }

            var a = args[i++];
            bool v6 = a.Format == IntegerFormat.Ipv6;
            if (bracket)
            {
                i++; // ]
            }

            int port = 0;
            if (i < args.Count && args[i].Type == TokenType.Colon)
            {
                port = (int)args[i + 1].Value;
                i += 2;
            }

            backends.Add((v6 ? OvsField.Ipv6(a.Value) : OvsField.Ipv4((uint)a.Value), v6, port));
            if (i < args.Count && args[i].Type == TokenType.Comma)
            {
                i++;
            }
        }

        string? hashFields = null;
        string? flag = null;
        for (i++; i < args.Count; i++)
        {
            if (args[i].Type == TokenType.Id && args[i].Text == "hash_fields")
            {
                hashFields = args[i + 2].Text;
                i += 2;
            }
            else if (args[i].Type == TokenType.Id && args[i].Text is "skip_snat" or "force_snat")
            {
                flag = args[i].Text;
            }
        }

        string flagField = call.Name == "ct_lb_mark" ? "ct_mark" : "ct_label";
        var markField = OvsField.Get(flagField);
        var text = new StringBuilder("type=select,selection_method=").Append(hashFields is null ? "dp_hash" : "hash");
        if (hashFields is not null)
        {
            text.Append(",fields(").Append(hashFields).Append(')');
        }

        var zone = DefaultZone(c);
        var buckets = new List<GroupBucket>();
        for (int b = 0; b < backends.Count; b++)
        {
            var (address, v6, port) = backends[b];
            var exec = new List<OfAction> { new SetFieldAction(markField, 2, 2) };
            if (flag is not null)
            {
                uint bit = flag == "skip_snat" ? 4u : 8u;
                exec.Add(new SetFieldAction(markField, bit, bit));
            }

            var bucket = new CtAction(true, nextTable, zone, new NatSpec("dst", address, v6, port, 0), exec);
            buckets.Add(new GroupBucket((uint)b, 100, [bucket]));
            text.Append(",bucket=bucket_id:").Append(b.ToString(CultureInfo.InvariantCulture)).Append(",weight:100,actions=")
                .Append(bucket);
        }

        var group = new SelectGroup(hashFields is null ? "dp_hash" : "hash", hashFields?.Split(','), buckets);
        o.Add(new GroupAction(c.Groups.Assign(text.ToString(), group)));
    }
}
