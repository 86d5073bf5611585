using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;

namespace Ovnsim.Logical.Actions;

/// <summary>One action of a logical flow (ovn-sb(5) "actions").</summary>
public abstract record LogicalAction;

/// <summary><c>next;</c>, <c>next(N);</c> or <c>next(pipeline=P, table=N);</c>.</summary>
/// <param name="Pipeline">"ingress" or "egress" when written, else null.</param>
/// <param name="Table">The table when written, else null (the next one).</param>
public sealed record NextAction(string? Pipeline, int? Table) : LogicalAction;

/// <summary><c>output;</c>.</summary>
public sealed record OutputAction : LogicalAction;

/// <summary><c>field = constant;</c> (a load).</summary>
/// <param name="Destination">The field written.</param>
/// <param name="Value">The constant.</param>
public sealed record LoadAction(FieldRef Destination, Constant Value) : LogicalAction;

/// <summary><c>field = field;</c> (a move).</summary>
/// <param name="Destination">The field written.</param>
/// <param name="Source">The field read.</param>
public sealed record MoveAction(FieldRef Destination, FieldRef Source) : LogicalAction;

/// <summary><c>a &lt;-&gt; b;</c>.</summary>
/// <param name="Left">One field.</param>
/// <param name="Right">The other.</param>
public sealed record ExchangeAction(FieldRef Left, FieldRef Right) : LogicalAction;

/// <summary><c>ip.ttl--;</c>.</summary>
public sealed record DecrementTtlAction : LogicalAction;

/// <summary><c>field = function(args);</c>: lookup_arp, check_in_port_sec, get_fdb, chk_lb_hairpin, ….</summary>
/// <param name="Destination">Where the result goes.</param>
/// <param name="Function">The function name.</param>
/// <param name="Arguments">Its arguments, as tokens.</param>
public sealed record ResultAction(FieldRef Destination, string Function, ValueList<ArgumentToken> Arguments) : LogicalAction;

/// <summary><c>name { actions };</c>: clone, arp, nd_ns, nd_na, nd_na_router, icmp4, icmp6, tcp_reset, reject, ct_commit, ….</summary>
/// <param name="Name">The action name.</param>
/// <param name="Body">The nested actions.</param>
public sealed record NestedAction(string Name, ValueList<LogicalAction> Body) : LogicalAction;

/// <summary>
/// <c>name;</c> or <c>name(args);</c>: ct_next, ct_dnat, ct_snat(_in_czone), ct_lb_mark, ct_clear, ct_commit_nat,
/// put_arp, get_arp, put_nd, get_nd, put_fdb, handle_svc_check, trigger_event, ….
/// </summary>
/// <param name="Name">The action name.</param>
/// <param name="Arguments">The tokens between the parentheses, or null when there were none.</param>
public sealed record CallAction(string Name, ValueList<ArgumentToken>? Arguments) : LogicalAction;

/// <summary>A token of a call's arguments, compared by meaning (type and value), printed canonically.</summary>
/// <param name="Type">Token type.</param>
/// <param name="Text">Identifier or string text.</param>
/// <param name="Value">Integer value.</param>
/// <param name="Mask">Mask of a masked integer.</param>
/// <param name="Format">Integer format.</param>
public sealed record ArgumentToken(TokenType Type, string Text, UInt128 Value, UInt128 Mask, IntegerFormat Format);

/// <summary>A flow's actions: a list, or <c>drop;</c>.</summary>
/// <param name="Actions">The actions; empty for <c>drop;</c>.</param>
public sealed record ActionList(ValueList<LogicalAction> Actions)
{
    /// <summary>Whether the actions are <c>drop;</c>.</summary>
    public bool IsDrop => Actions.Count == 0;
}
