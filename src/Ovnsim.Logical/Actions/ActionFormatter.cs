using System.Globalization;
using System.Text;
using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Match;

namespace Ovnsim.Logical.Actions;

/// <summary>
/// Prints parsed actions in canonical form: each action ended by <c>;</c> and separated by one space, nested bodies
/// as <c>name { … };</c>, call arguments with a space after each comma and semicolon. Parsing the output gives back
/// an equal tree.
/// </summary>
public static class ActionFormatter
{
    /// <summary>The canonical text of <paramref name="actions"/>.</summary>
    public static string Format(ActionList actions) => FormatBody(actions.Actions);

    private static string FormatBody(ValueList<LogicalAction> actions) =>
        actions.Count == 0 ? "drop;" : string.Join(' ', actions.Select(FormatAction));

    /// <summary>One action with its <c>;</c>.</summary>
    public static string FormatAction(LogicalAction action) => action switch
    {
        NextAction n => FormatNext(n),
        OutputAction => "output;",
        DecrementTtlAction => "ip.ttl--;",
        LoadAction l => $"{MatchFormatter.FormatField(l.Destination)} = {MatchFormatter.FormatConstant(l.Value)};",
        MoveAction m => $"{MatchFormatter.FormatField(m.Destination)} = {MatchFormatter.FormatField(m.Source)};",
        ExchangeAction x => $"{MatchFormatter.FormatField(x.Left)} <-> {MatchFormatter.FormatField(x.Right)};",
        ResultAction r => $"{MatchFormatter.FormatField(r.Destination)} = {r.Function}({FormatArguments(r.Arguments)});",
        NestedAction n => $"{n.Name} {{ {FormatBody(n.Body)} }};",
        CallAction c => c.Arguments is null ? $"{c.Name};" : $"{c.Name}({FormatArguments(c.Arguments)});",
        _ => throw new InvalidOperationException($"unknown action {action.GetType().Name}"),
    };

    private static string FormatNext(NextAction n)
    {
        if (n.Pipeline is null && n.Table is null)
        {
            return "next;";
        }

        if (n.Pipeline is null)
        {
            return $"next({n.Table!.Value.ToString(CultureInfo.InvariantCulture)});";
        }

        return n.Table is null ? $"next(pipeline={n.Pipeline});" : $"next(pipeline={n.Pipeline}, table={n.Table.Value.ToString(CultureInfo.InvariantCulture)});";
    }

    /// <summary>
    /// Argument tokens: a space after each <c>,</c> and <c>;</c>, and between two tokens only where they would
    /// otherwise read back as one (<c>inport arp.spa</c>, <c>= =</c>).
    /// </summary>
    public static string FormatArguments(IReadOnlyList<ArgumentToken> tokens)
    {
        var s = new StringBuilder();
        string previous = "";
        foreach (var t in tokens)
        {
            string text = TokenText(t);
            if (previous.Length > 0 && !previous.EndsWith(' ') && !ReadsBackAsTwo(previous, text))
            {
                s.Append(' ');
            }

            s.Append(text);
            previous = text;
        }

        return s.ToString();
    }

    private static bool ReadsBackAsTwo(string first, string second)
    {
        var a = Lexer.Tokenize(first);
        var b = Lexer.Tokenize(second);
        var both = Lexer.Tokenize(first + second);
        return both.Count == 3 && a.Count == 2 && b.Count == 2
               && Same(both[0], a[0]) && Same(both[1], b[0]);

        static bool Same(Token x, Token y) =>
            x.Type == y.Type && x.Text == y.Text && x.Value == y.Value && x.Mask == y.Mask && x.Format == y.Format;
    }

    private static string TokenText(ArgumentToken t) =>
            t.Type switch
            {
                TokenType.Id => t.Text,
                TokenType.String => MatchFormatter.QuoteString(t.Text),
                TokenType.Integer => MatchFormatter.FormatValue(t.Value, t.Format),
                TokenType.MaskedInteger => MatchFormatter.FormatConstant(new IntegerConstant(t.Value, t.Mask, t.Format)),
                TokenType.Macro => "$" + t.Text,
                TokenType.PortGroup => "@" + t.Text,
                TokenType.LParen => "(",
                TokenType.RParen => ")",
                TokenType.LCurly => "{",
                TokenType.RCurly => "}",
                TokenType.LSquare => "[",
                TokenType.RSquare => "]",
                TokenType.Eq => "==",
                TokenType.Ne => "!=",
                TokenType.Lt => "<",
                TokenType.Le => "<=",
                TokenType.Gt => ">",
                TokenType.Ge => ">=",
                TokenType.LogNot => "!",
                TokenType.LogAnd => "&&",
                TokenType.LogOr => "||",
                TokenType.Ellipsis => "..",
                TokenType.Comma => ", ",
                TokenType.Semicolon => "; ",
                TokenType.Equals => "=",
                TokenType.Exchange => "<->",
                TokenType.Decrement => "--",
                TokenType.Colon => ":",
                TokenType.Hyphen => "-",
                _ => throw new InvalidOperationException($"token {t.Type} in arguments"),
            };
}
