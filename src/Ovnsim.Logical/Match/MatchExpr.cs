using System.Collections;
using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Match;

/// <summary>A list with value equality, so syntax trees compare structurally.</summary>
public sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] _items;

    /// <summary>Wraps the items.</summary>
    public ValueList(IEnumerable<T> items)
    {
        _items = [.. items];
    }

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public T this[int index] => _items[index];

    /// <inheritdoc/>
    public bool Equals(ValueList<T>? other) => other is not null && _items.SequenceEqual(other._items);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ValueList<T>);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}

/// <summary>Relational operators of the match language.</summary>
public enum Relop
{
    /// <summary>==.</summary>
    Eq,

    /// <summary>!=.</summary>
    Ne,

    /// <summary>&lt;.</summary>
    Lt,

    /// <summary>&lt;=.</summary>
    Le,

    /// <summary>&gt;.</summary>
    Gt,

    /// <summary>&gt;=.</summary>
    Ge,
}

/// <summary>A reference to a symbol or some of its bits: <c>reg0</c>, <c>reg0[15]</c>, <c>ip6.dst[116..127]</c>.</summary>
/// <param name="Symbol">The symbol.</param>
/// <param name="Low">The lowest bit selected.</param>
/// <param name="Width">How many bits (the symbol's width when no range was written).</param>
/// <param name="HasRange">Whether <c>[…]</c> was written.</param>
public sealed record FieldRef(Symbol Symbol, int Low, int Width, bool HasRange)
{
    /// <summary>The highest bit selected.</summary>
    public int High => Low + Width - 1;
}

/// <summary>A constant of a comparison or assignment.</summary>
public abstract record Constant;

/// <summary>An integer in one of its written forms, optionally masked (<c>10.0.0.0/24</c>, <c>0/0x1000</c>).</summary>
/// <param name="Value">The value.</param>
/// <param name="Mask">The mask, or null when unmasked.</param>
/// <param name="Format">How it was written.</param>
public sealed record IntegerConstant(UInt128 Value, UInt128? Mask, IntegerFormat Format) : Constant;

/// <summary>A quoted string (port names).</summary>
/// <param name="Value">The string.</param>
public sealed record StringConstant(string Value) : Constant;

/// <summary>An address set reference, <c>$name</c>.</summary>
/// <param name="Name">The set name.</param>
public sealed record AddressSetRef(string Name) : Constant;

/// <summary>A port group reference, <c>@name</c>.</summary>
/// <param name="Name">The group name.</param>
public sealed record PortGroupRef(string Name) : Constant;

/// <summary>One constant or a <c>{…}</c> set of them.</summary>
/// <param name="Values">The constants.</param>
/// <param name="InCurlies">Whether braces were written.</param>
public sealed record ConstantSet(ValueList<Constant> Values, bool InCurlies);

/// <summary>A node of a parsed match expression.</summary>
public abstract record MatchExpr
{
    /// <summary>Its level as <c>expr_get_level</c> computes it (used for predicates' levels).</summary>
    public abstract SymbolLevel Level();
}

/// <summary><c>0</c> or <c>1</c>.</summary>
/// <param name="Value">The value.</param>
public sealed record BooleanLiteral(bool Value) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => SymbolLevel.Boolean;
}

/// <summary><c>field relop constants</c>.</summary>
/// <param name="Field">The field.</param>
/// <param name="Op">The operator.</param>
/// <param name="Values">The constant or set.</param>
public sealed record Comparison(FieldRef Field, Relop Op, ConstantSet Values) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => Field.Symbol.Level == SymbolLevel.Nominal ? SymbolLevel.Nominal : SymbolLevel.Boolean;
}

/// <summary>A bare field or predicate, true when nonzero: <c>ip4</c>, <c>reg0[15]</c>, <c>ct.trk</c>.</summary>
/// <param name="Field">The field.</param>
public sealed record FieldTest(FieldRef Field) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => Field.Symbol.Level == SymbolLevel.Nominal ? SymbolLevel.Nominal : SymbolLevel.Boolean;
}

/// <summary><c>!expr</c>.</summary>
/// <param name="Operand">The negated expression.</param>
public sealed record NotExpr(MatchExpr Operand) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => Operand.Level();
}

/// <summary><c>a &amp;&amp; b &amp;&amp; …</c>.</summary>
/// <param name="Operands">The operands.</param>
public sealed record AndExpr(ValueList<MatchExpr> Operands) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => Operands.Select(o => o.Level()).Prepend(SymbolLevel.Ordinal).Min();
}

/// <summary><c>a || b || …</c>.</summary>
/// <param name="Operands">The operands.</param>
public sealed record OrExpr(ValueList<MatchExpr> Operands) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => Operands.Select(o => o.Level()).Prepend(SymbolLevel.Ordinal).Min();
}

/// <summary><c>is_chassis_resident("port")</c>.</summary>
/// <param name="Port">The logical port.</param>
public sealed record ChassisResident(string Port) : MatchExpr
{
    /// <inheritdoc/>
    public override SymbolLevel Level() => SymbolLevel.Boolean;
}
