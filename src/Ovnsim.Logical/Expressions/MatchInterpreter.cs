using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Expressions;

/// <summary>
/// Evaluates a logical match directly on a packet — the reference the compiled OpenFlow matches are checked against.
/// Fields are read from the packet's OpenFlow fields (<c>xxreg0</c>, <c>reg14</c>, <c>ipv4_dst</c>, … as
/// <see cref="ExprMatch"/> names them, absent fields read as 0). It has OVN's semantics (lib/expr.c annotation):
/// negation is pushed to the comparisons; a comparison on a field also requires the field's prerequisites, un-negated;
/// a negated predicate negates its whole expansion, prerequisites included (<c>!ip.later_frag</c> holds for non-IP
/// packets).
/// </summary>
public sealed class MatchInterpreter
{
    private readonly SymbolTable _symbols;
    private readonly Func<string, IReadOnlyList<string>?> _addressSets;
    private readonly Dictionary<string, MatchExpr> _parsed = new(StringComparer.Ordinal);

    /// <summary>Creates an interpreter; <paramref name="addressSets"/> gives an address set's addresses.</summary>
    public MatchInterpreter(Func<string, IReadOnlyList<string>?> addressSets, SymbolTable? symbols = null)
    {
        _symbols = symbols ?? SymbolTable.Ovn;
        _addressSets = addressSets;
    }

    /// <summary>Whether <paramref name="match"/> holds for the packet.</summary>
    public bool Evaluate(string match, IReadOnlyDictionary<string, UInt128> packet, Func<string, bool> isChassisResident,
                         Func<string, long?> lookupPort) =>
        Eval(Parse(match), negated: false, new Context(packet, isChassisResident, lookupPort));

    private sealed record Context(IReadOnlyDictionary<string, UInt128> Packet, Func<string, bool> Resident, Func<string, long?> LookupPort);

    private MatchExpr Parse(string text)
    {
        if (!_parsed.TryGetValue(text, out var tree))
        {
            tree = MatchParser.Parse(text, _symbols);
            _parsed[text] = tree;
        }

        return tree;
    }

    private bool Eval(MatchExpr expr, bool negated, Context ctx) => expr switch
    {
        BooleanLiteral b => b.Value ^ negated,
        ChassisResident r => ctx.Resident(r.Port) ^ negated,
        NotExpr n => Eval(n.Operand, !negated, ctx),
        AndExpr a => negated ? a.Operands.Any(o => Eval(o, true, ctx)) : a.Operands.All(o => Eval(o, false, ctx)),
        OrExpr o => negated ? o.Operands.All(x => Eval(x, true, ctx)) : o.Operands.Any(x => Eval(x, false, ctx)),
        FieldTest t => Compare(t.Field, Relop.Ne, [new IntegerConstant(0, null, IntegerFormat.Hexadecimal)], negated, ctx),
        Comparison c => Compare(c.Field, c.Op, Expand(c.Values.Values), negated, ctx),
        _ => throw new InvalidOperationException($"unknown match node {expr.GetType().Name}"),
    };

    private List<Constant> Expand(IEnumerable<Constant> values)
    {
        var result = new List<Constant>();
        foreach (var value in values)
        {
            if (value is AddressSetRef set)
            {
                foreach (string address in _addressSets(set.Name) ?? [])
                {
                    var token = new Lexer(address).Current;
                    result.Add(new IntegerConstant(token.Value, token.Type == TokenType.MaskedInteger ? token.Mask : null, token.Format));
                }
            }
            else
            {
                result.Add(value);
            }
        }

        return result;
    }

    /// <summary>A comparison after negation: == any of the values, or != each of them; then the prerequisites.</summary>
    private bool Compare(FieldRef field, Relop op, List<Constant> values, bool negated, Context ctx)
    {
        if (negated)
        {
            op = op switch
            {
                Relop.Eq => Relop.Ne,
                Relop.Ne => Relop.Eq,
                Relop.Lt => Relop.Ge,
                Relop.Le => Relop.Gt,
                Relop.Gt => Relop.Le,
                _ => Relop.Lt,
            };
        }

        var symbol = field.Symbol;
        if (symbol.Predicate is not null)
        {
            // A predicate compared with constants: each value says whether it is tested positively.
            bool predicate = Eval(Parse(symbol.Predicate), false, ctx);
            bool Test(Constant c)
            {
                bool positive = ((((IntegerConstant)c).Value & 1) != 0) ^ (op == Relop.Ne);
                return positive ? predicate : !predicate;
            }

            return values.Count == 0 ? op == Relop.Ne : op == Relop.Eq ? values.Any(Test) : values.All(Test);
        }

        bool result;
        if (values.Count == 0)
        {
            result = op == Relop.Ne;
        }
        else if (symbol.IsString)
        {
            long key = (long)Read(symbol, ctx);
            bool Equal(Constant c) => c is StringConstant s && ctx.LookupPort(s.Value) is { } k && k == key;
            result = op == Relop.Eq ? values.Any(Equal) : values.All(c => !Equal(c));
        }
        else
        {
            UInt128 bits = ExprBuilder.Ones(field.Width);
            UInt128 actual = (Read(symbol, ctx) >> field.Low) & bits;
            bool One(Constant c)
            {
                var integer = (IntegerConstant)c;
                UInt128 mask = (integer.Mask ?? bits) & bits;
                UInt128 v = integer.Value & mask;
                return op switch
                {
                    Relop.Eq => (actual & mask) == v,
                    Relop.Ne => (actual & mask) != v,
                    Relop.Lt => actual < integer.Value,
                    Relop.Le => actual <= integer.Value,
                    Relop.Gt => actual > integer.Value,
                    _ => actual >= integer.Value,
                };
            }

            result = op == Relop.Eq ? values.Any(One) : values.All(One);
        }

        return result && (symbol.Prereqs is null || Eval(Parse(symbol.Prereqs), false, ctx));
    }

    /// <summary>A symbol's whole value: a field's from the packet, a subfield's from its parent's bits.</summary>
    private static UInt128 Read(Symbol symbol, Context ctx)
    {
        if (symbol.Parent is { } parent)
        {
            return (Read(parent, ctx) >> symbol.ParentOffset) & ExprBuilder.Ones(symbol.Width);
        }

        return ctx.Packet.GetValueOrDefault(symbol.OpenFlowField ?? symbol.Name);
    }
}
