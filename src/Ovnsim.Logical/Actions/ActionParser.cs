using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Actions;

/// <summary>
/// Parses OVN actions as lib/actions.c's <c>ovnacts_parse</c> does: <c>drop;</c> alone, or actions each ended by
/// <c>;</c> — assignments (<c>=</c>, <c>&lt;-&gt;</c>, results of functions like <c>lookup_arp()</c>), <c>next</c>,
/// <c>output</c>, <c>ip.ttl--</c>, nested actions (<c>clone { … }</c>, <c>arp { … }</c>, <c>ct_commit { … }</c>, …) and
/// the conntrack, neighbour and controller actions. Assignments are checked against the symbol table (known
/// field, writable in this scope, widths that fit).
/// </summary>
public sealed class ActionParser
{
    private static readonly HashSet<string> Nested = new(StringComparer.Ordinal)
    {
        "clone", "arp", "icmp4", "icmp4_error", "icmp6", "icmp6_error", "tcp_reset", "sctp_abort", "nd_na",
        "nd_na_router", "nd_ns", "reject",
    };

    private static readonly HashSet<string> Calls = new(StringComparer.Ordinal)
    {
        "ct_next", "ct_dnat", "ct_snat", "ct_dnat_in_czone", "ct_snat_in_czone", "ct_lb", "ct_lb_mark", "ct_clear",
        "ct_commit_nat", "igmp", "get_arp", "put_arp", "get_nd", "put_nd", "set_queue", "log", "set_meter",
        "trigger_event", "bind_vport", "handle_svc_check", "fwd_group", "handle_dhcpv6_reply", "handle_bfd_msg",
        "ct_snat_to_vip", "put_fdb", "commit_ecmp_nh", "commit_lb_aff", "sample", "push", "pop",
    };

    private static readonly HashSet<string> ResultFunctions = new(StringComparer.Ordinal)
    {
        "select", "put_dhcp_opts", "put_dhcpv6_opts", "dns_lookup", "put_nd_ra_opts", "check_pkt_larger", "lookup_arp",
        "lookup_nd", "lookup_arp_ip", "lookup_nd_ip", "chk_lb_hairpin", "chk_lb_hairpin_reply", "get_fdb", "lookup_fdb",
        "check_in_port_sec", "check_out_port_sec", "chk_ecmp_nh_mac", "chk_ecmp_nh", "chk_lb_aff",
    };

    private readonly Lexer _lexer;
    private readonly SymbolTable _symbols;
    private bool _inCtCommit;

    private ActionParser(string input, SymbolTable symbols)
    {
        _lexer = new Lexer(input);
        _symbols = symbols;
    }

    /// <summary>Parses a flow's actions.</summary>
    public static ActionList Parse(string input, SymbolTable? symbols = null)
    {
        var parser = new ActionParser(input, symbols ?? SymbolTable.Ovn);
        return new ActionList(new(parser.ParseActions(TokenType.End)));
    }

    private Token Current => _lexer.Current;

    private LogicalSyntaxException Error(string message) => MatchParser.Error(_lexer, message);

    private LogicalSyntaxException SyntaxError(string message) => MatchParser.SyntaxError(_lexer, message);

    private void ForceMatch(TokenType type, string text)
    {
        if (Current.Type == TokenType.Error)
        {
            throw Error(Current.Text);
        }

        if (!_lexer.Match(type))
        {
            throw type == TokenType.End ? SyntaxError("expecting end of input") : SyntaxError($"expecting `{text}'");
        }
    }

    /// <summary><c>parse_actions</c>: <c>drop;</c> alone, or actions up to the sentinel.</summary>
    private List<LogicalAction> ParseActions(TokenType sentinel)
    {
        var actions = new List<LogicalAction>();
        if (Current.Type == TokenType.Id && Current.Text == "drop" && _lexer.Lookahead() == TokenType.Semicolon)
        {
            _lexer.Advance();
            _lexer.Advance();
            ForceMatch(sentinel, sentinel == TokenType.End ? "" : "}");
            return actions;
        }

        while (!_lexer.Match(sentinel))
        {
            actions.Add(ParseAction());
        }

        return actions;
    }

    /// <summary><c>parse_action</c>.</summary>
    private LogicalAction ParseAction()
    {
        if (Current.Type == TokenType.Error)
        {
            throw Error(Current.Text);
        }

        if (Current.Type == TokenType.Template)
        {
            throw Error("Unexpanded template.");
        }

        if (Current.Type != TokenType.Id)
        {
            throw SyntaxError("");
        }

        LogicalAction action;
        var lookahead = _lexer.Lookahead();
        string name = Current.Text;
        if (lookahead is TokenType.Equals or TokenType.Exchange or TokenType.LSquare)
        {
            action = ParseSetAction();
        }
        else if (name == "next")
        {
            _lexer.Advance();
            action = ParseNext();
        }
        else if (name == "output")
        {
            _lexer.Advance();
            action = new OutputAction();
        }
        else if (name == "ip.ttl")
        {
            _lexer.Advance();
            ForceMatch(TokenType.Decrement, "--");
            action = new DecrementTtlAction();
        }
        else if (name == "ct_commit")
        {
            _lexer.Advance();
            if (_lexer.Match(TokenType.LCurly))
            {
                bool outer = _inCtCommit;
                _inCtCommit = true;
                var body = ParseActions(TokenType.RCurly);
                _inCtCommit = outer;
                action = new NestedAction(name, new(body));
            }
            else
            {
                action = new CallAction(name, ParseOptionalArguments());
            }
        }
        else if (Nested.Contains(name))
        {
            _lexer.Advance();
            ForceMatch(TokenType.LCurly, "{");
            var body = ParseActions(TokenType.RCurly);
            action = new NestedAction(name, new(body));
        }
        else if (Calls.Contains(name))
        {
            _lexer.Advance();
            action = new CallAction(name, ParseOptionalArguments());
            CheckCallArguments((CallAction)action);
        }
        else
        {
            throw SyntaxError("expecting action");
        }

        ForceMatch(TokenType.Semicolon, ";");
        return action;
    }

    /// <summary><c>parse_NEXT</c>.</summary>
    private NextAction ParseNext()
    {
        if (!_lexer.Match(TokenType.LParen))
        {
            return new NextAction(null, null);
        }

        string? pipeline = null;
        int? table = null;
        if (Current.Type == TokenType.Integer && Current.Format == IntegerFormat.Decimal && Current.Value <= int.MaxValue)
        {
            table = (int)Current.Value;
            _lexer.Advance();
        }
        else
        {
            do
            {
                if (_lexer.MatchId("pipeline"))
                {
                    ForceMatch(TokenType.Equals, "=");
                    if (_lexer.MatchId("ingress"))
                    {
                        pipeline = "ingress";
                    }
                    else if (_lexer.MatchId("egress"))
                    {
                        pipeline = "egress";
                    }
                    else
                    {
                        throw SyntaxError("expecting \"ingress\" or \"egress\"");
                    }
                }
                else if (_lexer.MatchId("table"))
                {
                    ForceMatch(TokenType.Equals, "=");
                    if (Current.Type != TokenType.Integer || Current.Format != IntegerFormat.Decimal || Current.Value > int.MaxValue)
                    {
                        throw SyntaxError("expecting small integer");
                    }

                    table = (int)Current.Value;
                    _lexer.Advance();
                }
                else
                {
                    throw SyntaxError("expecting \"pipeline\" or \"table\"");
                }
            }
            while (_lexer.Match(TokenType.Comma));
        }

        ForceMatch(TokenType.RParen, ")");
        return new NextAction(pipeline, table);
    }

    /// <summary><c>parse_set_action</c>: <c>=</c>, <c>&lt;-&gt;</c>, or a function result.</summary>
    private LogicalAction ParseSetAction()
    {
        var destination = MatchParser.ParseField(_lexer, _symbols);
        if (_lexer.Match(TokenType.Exchange))
        {
            var other = MatchParser.ParseField(_lexer, _symbols);
            CheckAssignment(destination, other, exchange: true);
            CheckWritable(destination);
            CheckWritable(other);
            return new ExchangeAction(destination, other);
        }

        ForceMatch(TokenType.Equals, "=");
        if (Current.Type == TokenType.Id && _lexer.Lookahead() == TokenType.LParen && ResultFunctions.Contains(Current.Text))
        {
            string function = Current.Text;
            _lexer.Advance();
            var arguments = ParseOptionalArguments() ?? new ValueList<ArgumentToken>([]);
            CheckWritable(destination);
            return new ResultAction(destination, function, arguments);
        }

        CheckWritable(destination);
        if (Current.Type == TokenType.Id)
        {
            var source = MatchParser.ParseField(_lexer, _symbols);
            CheckAssignment(destination, source, exchange: false);
            return new MoveAction(destination, source);
        }

        var constants = MatchParser.ParseConstantSet(_lexer, _symbols);
        if (constants.InCurlies || constants.Values.Count != 1)
        {
            throw Error("Assignments require a single value.");
        }

        var value = constants.Values[0];
        if (destination.Symbol.IsString != value is StringConstant)
        {
            throw Error($"{(destination.Symbol.IsString ? "String" : "Integer")} field {destination.Symbol.Name} is not compatible with "
                        + $"{(value is StringConstant ? "string" : "integer")} constant.");
        }

        // expr_constant_parse checks the width against the whole symbol, not the selected bits.
        if (value is IntegerConstant integer && MatchParser.ConstantWidth(integer) > destination.Symbol.Width)
        {
            throw Error($"{MatchParser.ConstantWidth(integer)}-bit constant is not compatible with {destination.Symbol.Width}-bit field "
                        + $"{destination.Symbol.Name}.");
        }

        return new LoadAction(destination, value);
    }

    /// <summary><c>expr_type_check</c> for a written field: modifiable here (ct_mark and ct_label only in ct_commit).</summary>
    private void CheckWritable(FieldRef field)
    {
        var scope = field.Symbol.Write;
        bool allowed = scope == WriteScope.Any || (scope == WriteScope.CtCommit && _inCtCommit);
        if (!allowed)
        {
            throw Error($"Field {field.Symbol.Name} is not modifiable.");
        }
    }

    /// <summary><c>parse_assignment_action</c>: both integer or both string, and the same width.</summary>
    private void CheckAssignment(FieldRef lhs, FieldRef rhs, bool exchange)
    {
        string Kind(FieldRef f) => f.Symbol.IsString ? "string" : "integer";
        if (lhs.Symbol.IsString != rhs.Symbol.IsString)
        {
            throw Error(exchange
                ? $"Can't exchange {Kind(lhs)} field ({lhs.Symbol.Name}) with {Kind(rhs)} field ({rhs.Symbol.Name})."
                : $"Can't assign {Kind(rhs)} field ({rhs.Symbol.Name}) to {Kind(lhs)} field ({lhs.Symbol.Name}).");
        }

        if (lhs.Width != rhs.Width)
        {
            throw Error(exchange
                ? $"Can't exchange {lhs.Width}-bit field with {rhs.Width}-bit field."
                : $"Can't assign {rhs.Width}-bit value to {lhs.Width}-bit destination.");
        }
    }

    /// <summary>The tokens of <c>( … )</c>, balanced, or null when there are no parentheses.</summary>
    private ValueList<ArgumentToken>? ParseOptionalArguments()
    {
        if (!_lexer.Match(TokenType.LParen))
        {
            return null;
        }

        var tokens = new List<ArgumentToken>();
        int depth = 0;
        while (true)
        {
            var t = Current;
            if (t.Type == TokenType.Error)
            {
                throw Error(t.Text);
            }

            if (t.Type == TokenType.End)
            {
                throw SyntaxError("expecting `)'");
            }

            if (t.Type == TokenType.Template)
            {
                throw Error("Unexpanded template.");
            }

            if (t.Type == TokenType.RParen && depth == 0)
            {
                _lexer.Advance();
                return new ValueList<ArgumentToken>(tokens);
            }

            depth += t.Type == TokenType.LParen ? 1 : t.Type == TokenType.RParen ? -1 : 0;
            tokens.Add(new ArgumentToken(t.Type, t.Text, t.Value, t.Mask, t.Format));
            _lexer.Advance();
        }
    }

    /// <summary>Actions whose arguments are fields: each must be a known field of the right kind.</summary>
    private void CheckCallArguments(CallAction call)
    {
        if (call.Name is not ("get_arp" or "put_arp" or "get_nd" or "put_nd" or "put_fdb" or "handle_svc_check") || call.Arguments is null)
        {
            return;
        }

        foreach (var token in call.Arguments.Where(t => t.Type == TokenType.Id))
        {
            if (_symbols.Find(token.Text) is null)
            {
                throw Error($"Syntax error at `{token.Text}' expecting field name.");
            }
        }
    }
}
