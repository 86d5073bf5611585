using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Expressions;

/// <summary>
/// Turns a parsed match into OVN's semantic tree and annotates it (lib/expr.c <c>make_cmp</c>, <c>expr_not</c>,
/// <c>expr_annotate</c>): sets become ORs (==) or ANDs (!=) of comparisons placed at the field's bits, address sets
/// expand to their addresses, subfields become their parent field's bits, predicates their expansion, and each
/// symbol's prerequisites are ANDed in (once for a subtree that uses only that symbol).
/// </summary>
internal sealed class ExprBuilder
{
    private readonly SymbolTable _symbols;
    private readonly Func<string, IReadOnlyList<string>?> _addressSets;
    private readonly Dictionary<string, MatchExpr> _parsed = new(StringComparer.Ordinal);

    public ExprBuilder(SymbolTable symbols, Func<string, IReadOnlyList<string>?> addressSets)
    {
        _symbols = symbols;
        _addressSets = addressSets;
    }

    /// <summary>Parses, lowers and annotates a match.</summary>
    public Expr Build(string match) => Annotate(Lower(Parse(match)), appendPrereqs: true);

    /// <summary>The match ANDed with the actions' prerequisites (controller/lflow.c), then annotated.</summary>
    public Expr BuildWithPrerequisites(string match, IReadOnlyList<string> prerequisites)
    {
        Expr? prereqs = null;
        foreach (string p in prerequisites)
        {
            prereqs = Expr.Combine(ExprType.And, prereqs, Lower(Parse(p)));
        }

        var expr = Expr.Combine(ExprType.And, Lower(Parse(match)), prereqs)!;
        return Annotate(expr, appendPrereqs: true);
    }

    private MatchExpr Parse(string text)
    {
        if (!_parsed.TryGetValue(text, out var tree))
        {
            tree = MatchParser.Parse(text, _symbols);
            _parsed[text] = tree;
        }

        return tree;
    }

    /// <summary>The tree expr_parse builds.</summary>
    public Expr Lower(MatchExpr syntax)
    {
        switch (syntax)
        {
            case BooleanLiteral b:
                return Expr.Boolean(b.Value);
            case ChassisResident r:
                return Expr.Condition(r.Port);
            case FieldTest t:
                return MakeCmp(t.Field, Relop.Ne, [new IntegerConstant(0, null, IntegerFormat.Hexadecimal)], asName: null);
            case Comparison c:
            {
                var values = new List<Constant>();
                string? asName = null;
                foreach (var value in c.Values.Values)
                {
                    if (value is AddressSetRef set)
                    {
                        var addresses = _addressSets(set.Name)
                                        ?? throw new LogicalSyntaxException($"Syntax error at `${set.Name}' expecting address set name.", 1);
                        if (values.Count == 0)
                        {
                            asName = set.Name;
                        }

                        foreach (string address in addresses)
                        {
                            var token = new Lexer(address).Current;
                            values.Add(new IntegerConstant(token.Value, token.Type == TokenType.MaskedInteger ? token.Mask : null, token.Format));
                        }
                    }
                    else
                    {
                        asName = null;
                        values.Add(value);
                    }
                }

                return MakeCmp(c.Field, c.Op, values, asName);
            }

            case NotExpr n:
            {
                var inner = Lower(n.Operand);
                inner.Not();
                return inner;
            }

            case AndExpr a:
                return a.Operands.Select(Lower).Aggregate((Expr?)null, (acc, e) => Expr.Combine(ExprType.And, acc, e))!;
            case OrExpr o:
                return o.Operands.Select(Lower).Aggregate((Expr?)null, (acc, e) => Expr.Combine(ExprType.Or, acc, e))!;
            default:
                throw new InvalidOperationException($"unknown match node {syntax.GetType().Name}");
        }
    }

    /// <summary><c>make_cmp</c> / <c>make_cmp__</c>.</summary>
    private static Expr MakeCmp(FieldRef field, Relop op, List<Constant> values, string? asName)
    {
        if (values.Count == 0)
        {
            return Expr.Boolean(op == Relop.Ne);
        }

        Expr? result = null;
        foreach (var value in values)
        {
            Expr cmp;
            if (field.Symbol.IsString)
            {
                cmp = Expr.CmpString(field.Symbol, op, value is StringConstant s ? s.Value : "");
            }
            else
            {
                var integer = (IntegerConstant)value;
                UInt128 bits = Ones(field.Width);
                UInt128 v = (integer.Value & bits) << field.Low;
                UInt128 m = integer.Mask is { } mask ? (mask & bits) << field.Low : bits << field.Low;
                cmp = Expr.Cmp(field.Symbol, op, v, m);
            }

            result = Expr.Combine(op == Relop.Eq ? ExprType.Or : ExprType.And, result, cmp);
        }

        if (op == Relop.Eq && result!.Type == ExprType.Or && asName is not null)
        {
            result.AsName = asName;
        }

        return result!;
    }

    internal static UInt128 Ones(int n) => n >= 128 ? UInt128.MaxValue : (UInt128.One << n) - 1;

    /// <summary><c>expr_annotate__</c>.</summary>
    public Expr Annotate(Expr expr, bool appendPrereqs)
    {
        switch (expr.Type)
        {
            case ExprType.Cmp:
                return AnnotateCmp(expr, appendPrereqs);
            case ExprType.And or ExprType.Or:
                if (appendPrereqs && expr.UniqueSymbol() is { } symbol)
                {
                    appendPrereqs = false;
                    if (symbol.Prereqs is { } prereqs)
                    {
                        expr = Expr.Combine(ExprType.And, expr, Annotate(Lower(Parse(prereqs)), appendPrereqs: true))!;
                    }
                }

                for (int i = 0; i < expr.Sub.Count;)
                {
                    var sub = expr.Sub[i];
                    expr.Sub.RemoveAt(i);
                    var annotated = Annotate(sub, appendPrereqs);
                    int before = expr.Sub.Count;
                    expr.Insert(i, annotated);
                    i += expr.Sub.Count - before;
                }

                return expr;
            default:
                return expr;
        }
    }

    /// <summary><c>expr_annotate_cmp</c>.</summary>
    private Expr AnnotateCmp(Expr expr, bool appendPrereqs)
    {
        var symbol = expr.Symbol;
        Expr? prereqs = appendPrereqs && symbol.Prereqs is { } p ? Annotate(Lower(Parse(p)), appendPrereqs: true) : null;
        if (symbol.Parent is { } parent)
        {
            expr.Symbol = parent;
            expr.Value <<= symbol.ParentOffset;
            expr.Mask <<= symbol.ParentOffset;
        }
        else if (symbol.Predicate is { } predicate)
        {
            var expansion = Annotate(Lower(Parse(predicate)), appendPrereqs: true);
            bool positive = (expr.Value & 1) != 0;
            positive ^= expr.Relop == Relop.Ne;
            if (!positive)
            {
                expansion.Not();
            }

            expr = expansion;
        }

        return prereqs is null ? expr : Expr.Combine(ExprType.And, expr, prereqs)!;
    }
}
