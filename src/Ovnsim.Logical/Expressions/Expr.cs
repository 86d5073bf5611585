using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Expressions;

/// <summary>Node kinds, in lib/expr.h's order (the order matters to <c>expr_sort</c>).</summary>
internal enum ExprType
{
    Cmp,
    And,
    Or,
    Boolean,
    Condition,
}

/// <summary>
/// OVN's semantic expression tree (include/ovn/expr.h <c>struct expr</c>), mutable as the C code manipulates it:
/// comparisons of a symbol's bits with a value and mask (or of a string field with a string), AND, OR, Boolean
/// constants and the <c>is_chassis_resident</c> condition. An AND or OR never has a child of its own kind.
/// </summary>
internal sealed class Expr
{
    private Expr(ExprType type)
    {
        Type = type;
    }

    public ExprType Type { get; set; }

    public Symbol Symbol { get; set; } = null!;

    public Relop Relop { get; set; }

    public UInt128 Value { get; set; }

    public UInt128 Mask { get; set; }

    public string? Str { get; set; }

    public List<Expr> Sub { get; } = [];

    public bool Bool { get; set; }

    public bool CondNot { get; set; }

    /// <summary>The address set an OR of comparisons came from (for OVN's address-set tracking).</summary>
    public string? AsName { get; set; }

    public static Expr Boolean(bool value) => new(ExprType.Boolean) { Bool = value };

    public static Expr Cmp(Symbol symbol, Relop relop, UInt128 value, UInt128 mask) =>
        new(ExprType.Cmp) { Symbol = symbol, Relop = relop, Value = value, Mask = mask };

    public static Expr CmpString(Symbol symbol, Relop relop, string value) =>
        new(ExprType.Cmp) { Symbol = symbol, Relop = relop, Str = value };

    public static Expr Condition(string port) => new(ExprType.Condition) { Str = port };

    public static Expr AndOr(ExprType type) => new(type);

    public Expr Clone()
    {
        var e = new Expr(Type)
        {
            Symbol = Symbol, Relop = Relop, Value = Value, Mask = Mask, Str = Str, Bool = Bool, CondNot = CondNot, AsName = AsName,
        };
        foreach (var s in Sub)
        {
            e.Sub.Add(s.Clone());
        }

        return e;
    }

    /// <summary><c>expr_combine</c>: AND/OR of two expressions, merging same-kind operands.</summary>
    public static Expr? Combine(ExprType type, Expr? a, Expr? b)
    {
        if (a is null)
        {
            return b;
        }

        if (b is null)
        {
            return a;
        }

        if (a.Type == type)
        {
            if (b.Type == type)
            {
                a.Sub.AddRange(b.Sub);
            }
            else
            {
                a.Sub.Add(b);
            }

            a.AsName = null;
            return a;
        }

        if (b.Type == type)
        {
            b.Sub.Insert(0, a);
            b.AsName = null;
            return b;
        }

        var e = AndOr(type);
        e.Sub.Add(a);
        e.Sub.Add(b);
        return e;
    }

    /// <summary><c>expr_insert_andor</c>: inserts at <paramref name="index"/>, splicing a same-kind node.</summary>
    public void Insert(int index, Expr node)
    {
        if (node.Type == Type)
        {
            Sub.InsertRange(index, node.Sub);
        }
        else
        {
            Sub.Insert(index, node);
        }
    }

    /// <summary><c>expr_not</c>: negation pushed to the leaves.</summary>
    public void Not()
    {
        switch (Type)
        {
            case ExprType.Cmp:
                Relop = Relop switch
                {
                    Relop.Eq => Relop.Ne,
                    Relop.Ne => Relop.Eq,
                    Relop.Lt => Relop.Ge,
                    Relop.Le => Relop.Gt,
                    Relop.Gt => Relop.Le,
                    _ => Relop.Lt,
                };
                break;
            case ExprType.And or ExprType.Or:
                foreach (var s in Sub)
                {
                    s.Not();
                }

                Type = Type == ExprType.And ? ExprType.Or : ExprType.And;
                break;
            case ExprType.Boolean:
                Bool = !Bool;
                break;
            default:
                CondNot = !CondNot;
                break;
        }
    }

    /// <summary><c>expr_fix</c>: drops Boolean operands and collapses one-operand nodes.</summary>
    public static Expr Fix(Expr e)
    {
        if (e.Type is not (ExprType.And or ExprType.Or))
        {
            return e;
        }

        bool shortCircuit = e.Type == ExprType.Or;
        for (int i = 0; i < e.Sub.Count; i++)
        {
            if (e.Sub[i].Type == ExprType.Boolean)
            {
                if (e.Sub[i].Bool == shortCircuit)
                {
                    return Boolean(shortCircuit);
                }

                e.Sub.RemoveAt(i--);
            }
        }

        return e.Sub.Count switch
        {
            0 => Boolean(!shortCircuit),
            1 => e.Sub[0],
            _ => e,
        };
    }

    /// <summary><c>expr_get_unique_symbol</c>: the one symbol every comparison under this node uses, or null.</summary>
    public Symbol? UniqueSymbol()
    {
        switch (Type)
        {
            case ExprType.Cmp:
                return Symbol;
            case ExprType.And or ExprType.Or:
                Symbol? previous = null;
                foreach (var s in Sub)
                {
                    var symbol = s.UniqueSymbol();
                    if (symbol is null || (previous is not null && symbol != previous))
                    {
                        return null;
                    }

                    previous = symbol;
                }

                return previous;
            default:
                return null;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        ExprType.Cmp => Str is not null
            ? $"{Symbol.Name} {MatchFormatter.RelopText(Relop)} \"{Str}\""
            : $"{Symbol.Name} {MatchFormatter.RelopText(Relop)} 0x{Value:x}/0x{Mask:x}",
        ExprType.And => "(" + string.Join(" && ", Sub) + ")",
        ExprType.Or => "(" + string.Join(" || ", Sub) + ")",
        ExprType.Boolean => Bool ? "1" : "0",
        _ => $"{(CondNot ? "!" : "")}is_chassis_resident(\"{Str}\")",
    };
}
