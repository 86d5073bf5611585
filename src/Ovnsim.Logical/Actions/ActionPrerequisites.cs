using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Actions;

/// <summary>
/// The prerequisites a flow's actions add to its match, in the order lib/actions.c adds them: the prerequisites of
/// every field an action reads or writes (<c>arp.op = 2</c> needs <c>arp</c>), <c>ip</c> for conntrack actions and
/// <c>ip.ttl--</c>, and each nested action's own (<c>arp { }</c> needs <c>ip4</c>, <c>nd_na { }</c> needs
/// <c>nd_ns</c>; <c>clone</c> and <c>reject</c> pass their body's on). ovn-controller ANDs them into the match.
/// </summary>
public static class ActionPrerequisites
{
    private static readonly HashSet<string> NeedsIp = new(StringComparer.Ordinal)
    {
        "ct_next", "ct_commit", "ct_dnat", "ct_snat", "ct_dnat_in_czone", "ct_snat_in_czone", "ct_commit_nat", "ct_lb", "ct_lb_mark",
    };

    /// <summary>The prerequisite expressions, in order.</summary>
    public static IReadOnlyList<string> Collect(ActionList actions, SymbolTable? symbols = null)
    {
        var result = new List<string>();
        Collect(actions.Actions, symbols ?? SymbolTable.Ovn, result);
        return result;
    }

    private static void Collect(IEnumerable<LogicalAction> actions, SymbolTable symbols, List<string> result)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case LoadAction l:
                    Field(l.Destination, result);
                    break;
                case MoveAction m:
                    Field(m.Destination, result);
                    Field(m.Source, result);
                    break;
                case ExchangeAction x:
                    Field(x.Left, result);
                    Field(x.Right, result);
                    break;
                case DecrementTtlAction:
                    result.Add("ip");
                    break;
                case ResultAction r:
                    Field(r.Destination, result);
                    if (r.Function == "dns_lookup")
                    {
                        result.Add("udp");
                    }

                    ArgumentFields(r.Arguments, symbols, result);
                    break;
                case CallAction c:
                    if (NeedsIp.Contains(c.Name))
                    {
                        result.Add("ip");
                    }
                    else if (c.Arguments is not null && c.Name is "get_arp" or "put_arp" or "get_nd" or "put_nd" or "put_fdb"
                                 or "handle_svc_check" or "bind_vport" or "push" or "pop")
                    {
                        ArgumentFields(c.Arguments, symbols, result);
                    }

                    break;
                case NestedAction n:
                    string? own = n.Name switch
                    {
                        "ct_commit" => "ip",
                        "arp" or "icmp4" or "icmp4_error" => "ip4",
                        "icmp6" or "icmp6_error" or "nd_ns" => "ip6",
                        "tcp_reset" => "tcp",
                        "sctp_abort" => "sctp",
                        "nd_na" or "nd_na_router" => "nd_ns",
                        _ => null,
                    };
                    if (own is not null)
                    {
                        result.Add(own);
                    }
                    else
                    {
                        // expr_combine(AND, inner, outer): the body's prerequisites come first.
                        var inner = new List<string>();
                        Collect(n.Body, symbols, inner);
                        result.InsertRange(0, inner);
                    }

                    break;
            }
        }
    }

    private static void Field(FieldRef field, List<string> result)
    {
        if (field.Symbol.Prereqs is { } prereqs)
        {
            result.Add(prereqs);
        }
    }

    private static void ArgumentFields(IReadOnlyList<ArgumentToken> tokens, SymbolTable symbols, List<string> result)
    {
        foreach (var token in tokens)
        {
            if (token.Type == TokenType.Id && symbols.Find(token.Text) is { Prereqs: { } prereqs })
            {
                result.Add(prereqs);
            }
        }
    }
}
