namespace Ovnsim.Logical.Symbols;

/// <summary>
/// How a symbol may be compared (include/ovn/expr.h <c>enum expr_level</c>): nominal fields only for equality,
/// Boolean ones as true/false, ordinal ones with any relational operator and bit ranges.
/// </summary>
public enum SymbolLevel
{
    /// <summary>Only == and != (eth.type, ip.proto, inport, …); nominal predicates only positively.</summary>
    Nominal,

    /// <summary>A Boolean predicate built from ordinal comparisons.</summary>
    Boolean,

    /// <summary>Any relational operator, masks and bit ranges (eth.src, ip4.dst, reg0, …).</summary>
    Ordinal,
}

/// <summary>Where a field may be written (<c>enum expr_write_scope</c>).</summary>
public enum WriteScope
{
    /// <summary>Read-only.</summary>
    None,

    /// <summary>Anywhere.</summary>
    Any,

    /// <summary>Only inside <c>ct_commit { }</c> (ct_mark, ct_label).</summary>
    CtCommit,
}

/// <summary>
/// A symbol of the logical language (<c>struct expr_symbol</c>): a field (with its OpenFlow field and width), a
/// subfield of another symbol, a predicate (a Boolean expression), or a string field (inport, outport).
/// </summary>
public sealed class Symbol
{
    internal Symbol(string name)
    {
        Name = name;
    }

    /// <summary>The name, e.g. <c>ip4.dst</c>.</summary>
    public string Name { get; }

    /// <summary>Width in bits; 0 for a string field.</summary>
    public int Width { get; internal init; }

    /// <summary>How it may be compared.</summary>
    public SymbolLevel Level { get; internal init; }

    /// <summary>An expression that must hold wherever the symbol is used (e.g. <c>ip4</c> for ip4.src), or null.</summary>
    public string? Prereqs { get; internal init; }

    /// <summary>Never used as a conjunctive-match dimension (eth.type, ip.proto, icmp6.type/code).</summary>
    public bool MustCrossproduct { get; internal init; }

    /// <summary>The OpenFlow field a field symbol is (ovs-fields(7) name, e.g. <c>reg14</c>, <c>ipv4_dst</c>).</summary>
    public string? OpenFlowField { get; internal init; }

    /// <summary>For a subfield: the symbol it is a part of.</summary>
    public Symbol? Parent { get; internal init; }

    /// <summary>For a subfield: its lowest bit within <see cref="Parent"/>.</summary>
    public int ParentOffset { get; internal init; }

    /// <summary>For a predicate: the expression it stands for.</summary>
    public string? Predicate { get; internal init; }

    /// <summary>Where it may be written.</summary>
    public WriteScope Write { get; internal init; }

    /// <summary>A string field (inport, outport): compared with port names.</summary>
    public bool IsString => Width == 0;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
