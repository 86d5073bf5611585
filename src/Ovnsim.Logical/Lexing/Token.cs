namespace Ovnsim.Logical.Lexing;

/// <summary>Token types of OVN's lexer (include/ovn/lex.h <c>enum lex_type</c>).</summary>
public enum TokenType
{
#pragma warning disable CS1591 // Each is the token its comment in lex.h names.
    End,
    Id,
    String,
    Integer,
    MaskedInteger,
    Macro,
    PortGroup,
    Template,
    Error,
    LParen,
    RParen,
    LCurly,
    RCurly,
    LSquare,
    RSquare,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogNot,
    LogAnd,
    LogOr,
    Ellipsis,
    Comma,
    Semicolon,
    Equals,
    Exchange,
    Decrement,
    Colon,
    Hyphen,
#pragma warning restore CS1591
}

/// <summary>How an integer constant was written, and so how it prints (<c>enum lex_format</c>).</summary>
public enum IntegerFormat
{
    /// <summary>12345.</summary>
    Decimal,

    /// <summary>0x1f.</summary>
    Hexadecimal,

    /// <summary>1.2.3.4.</summary>
    Ipv4,

    /// <summary>fe80::1.</summary>
    Ipv6,

    /// <summary>00:11:22:33:44:55.</summary>
    Ethernet,
}

/// <summary>One token: its type, text or value, and where it starts (a 0-based character offset).</summary>
/// <param name="Type">The token type.</param>
/// <param name="Position">Offset of its first character in the input.</param>
/// <param name="Text">Identifier, string contents, macro or port group name, or error message.</param>
/// <param name="Value">Integer value (up to 128 bits).</param>
/// <param name="Mask">Mask of a masked integer.</param>
/// <param name="Format">How the integer was written.</param>
public readonly record struct Token(
    TokenType Type, int Position, string Text = "", UInt128 Value = default, UInt128 Mask = default,
    IntegerFormat Format = IntegerFormat.Decimal);
