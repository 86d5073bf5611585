namespace Ovnsim.Logical;

/// <summary>
/// A match or action that does not parse or check: OVN's own message (lib/lex.c, lib/expr.c, lib/actions.c) with
/// the 1-based column where the parser stopped.
/// </summary>
public sealed class LogicalSyntaxException : Exception
{
    /// <summary>Creates the error.</summary>
    public LogicalSyntaxException(string ovnMessage, int column)
        : base($"column {column}: {ovnMessage}")
    {
        OvnMessage = ovnMessage;
        Column = column;
    }

    /// <summary>The message as OVN words it.</summary>
    public string OvnMessage { get; }

    /// <summary>The 1-based column of the token where parsing stopped.</summary>
    public int Column { get; }
}
