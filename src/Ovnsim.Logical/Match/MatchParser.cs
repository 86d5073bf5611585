using Ovnsim.Logical.Lexing;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Match;

/// <summary>
/// Parses and checks OVN match expressions as lib/expr.c's <c>expr_parse</c> does: fields and subfields of the
/// symbol table, relational operators, constants and <c>{…}</c> sets, <c>$address_set</c> and <c>@port_group</c>,
/// <c>!</c>, <c>&amp;&amp;</c> and <c>||</c> (which must be parenthesized when mixed), ranges like
/// <c>1 &lt; tcp.dst &lt; 100</c>, and <c>is_chassis_resident()</c>. Errors carry OVN's message and the column.
/// </summary>
public sealed class MatchParser
{
    private const int MaxParenDepth = 100;

    private readonly Lexer _lexer;
    private readonly SymbolTable _symbols;
    private readonly Func<string, bool>? _addressSetExists;
    private bool _not;
    private int _parenDepth;

    private MatchParser(string input, SymbolTable symbols, Func<string, bool>? addressSetExists)
    {
        _lexer = new Lexer(input);
        _symbols = symbols;
        _addressSetExists = addressSetExists;
    }

    /// <summary>
    /// Parses a whole match. <paramref name="addressSetExists"/>, if given, says which <c>$name</c>s exist (OVN
    /// rejects unknown ones); without it any name is accepted.
    /// </summary>
    public static MatchExpr Parse(string input, SymbolTable? symbols = null, Func<string, bool>? addressSetExists = null)
    {
        var parser = new MatchParser(input, symbols ?? SymbolTable.Ovn, addressSetExists);
        parser.CheckLexError();
        var expr = parser.ParseOr();
        parser.ForceEnd();
        return expr;
    }

    /// <summary>Parses a field reference alone (a subfield's expansion, an action's operand).</summary>
    public static FieldRef ParseFieldReference(string input, SymbolTable symbols)
    {
        var parser = new MatchParser(input, symbols, null);
        var field = parser.ParseField();
        parser.ForceEnd();
        return field;
    }

    /// <summary>Parses a field at the lexer's current token (used by the action parser).</summary>
    internal static FieldRef ParseField(Lexer lexer, SymbolTable symbols) => new MatchParser(lexer, symbols).ParseField();

    /// <summary>Parses a constant set at the lexer's current token (used by the action parser).</summary>
    internal static ConstantSet ParseConstantSet(Lexer lexer, SymbolTable symbols) => new MatchParser(lexer, symbols).ParseConstants();

    /// <summary>Parses a match expression at the lexer's current token, stopping at a token it cannot use.</summary>
    internal static MatchExpr ParseExpression(Lexer lexer, SymbolTable symbols) => new MatchParser(lexer, symbols).ParseOr();

    private MatchParser(Lexer lexer, SymbolTable symbols)
    {
        _lexer = lexer;
        _symbols = symbols;
    }

    private Token Current => _lexer.Current;

    private void CheckLexError()
    {
        if (Current.Type == TokenType.Error)
        {
            throw new LogicalSyntaxException(Current.Text, Current.Position + 1);
        }
    }

    /// <summary><c>lexer_error</c>: a plain message at the current token.</summary>
    internal static LogicalSyntaxException Error(Lexer lexer, string message) =>
        lexer.Current.Type == TokenType.Error
            ? new LogicalSyntaxException(lexer.Current.Text, lexer.Current.Position + 1)
            : new LogicalSyntaxException(message, lexer.Current.Position + 1);

    /// <summary><c>lexer_syntax_error</c>: "Syntax error at `TOKEN' MESSAGE."</summary>
    internal static LogicalSyntaxException SyntaxError(Lexer lexer, string message)
    {
        var token = lexer.Current;
        if (token.Type == TokenType.Error)
        {
            return new LogicalSyntaxException(token.Text, token.Position + 1);
        }

        string where = token.Type == TokenType.End ? " at end of input" : $" at `{TokenText(lexer)}'";
        return new LogicalSyntaxException($"Syntax error{where}{(message.Length > 0 ? " " + message : "")}.", token.Position + 1);
    }

    /// <summary>The source text of the current token.</summary>
    private static string TokenText(Lexer lexer)
    {
        int start = lexer.Current.Position;
        int p = start;
        Lexer.Parse(lexer.Input, ref p);
        return lexer.Input[start..p].TrimEnd();
    }

    private LogicalSyntaxException Error(string message) => Error(_lexer, message);

    private LogicalSyntaxException SyntaxError(string message) => SyntaxError(_lexer, message);

    private void ForceEnd()
    {
        if (Current.Type != TokenType.End)
        {
            throw SyntaxError("expecting end of input");
        }
    }

    private void ForceMatch(TokenType type, string text)
    {
        if (!_lexer.Match(type))
        {
            throw SyntaxError($"expecting `{text}'");
        }
    }

    /// <summary><c>expr_parse__</c>: one operand, or a chain joined by one of &amp;&amp; and ||.</summary>
    private MatchExpr ParseOr()
    {
        var first = ParseNot();
        var type = Current.Type;
        if (type is not (TokenType.LogAnd or TokenType.LogOr))
        {
            return first;
        }

        var operands = new List<MatchExpr>();
        Add(first);
        _lexer.Advance();
        do
        {
            Add(ParseNot());
        }
        while (_lexer.Match(type));

        if (Current.Type is TokenType.LogAnd or TokenType.LogOr)
        {
            throw Error("&& and || must be parenthesized when used together.");
        }

        return type == TokenType.LogAnd ? new AndExpr(new(operands)) : new OrExpr(new(operands));

        // expr_combine: a parenthesized operand of the same kind joins the list.
        void Add(MatchExpr e)
        {
            switch (e)
            {
                case AndExpr a when type == TokenType.LogAnd: operands.AddRange(a.Operands); break;
                case OrExpr o when type == TokenType.LogOr: operands.AddRange(o.Operands); break;
                default: operands.Add(e); break;
            }
        }
    }

    /// <summary><c>expr_parse_not</c>.</summary>
    private MatchExpr ParseNot()
    {
        if (!_lexer.Match(TokenType.LogNot))
        {
            return ParsePrimary(out _);
        }

        _not = !_not;
        var operand = ParsePrimary(out bool atomic);
        _not = !_not;
        if (!atomic)
        {
            throw Error("Missing parentheses around operand of !.");
        }

        return new NotExpr(operand);
    }

    /// <summary><c>expr_parse_primary</c>.</summary>
    private MatchExpr ParsePrimary(out bool atomic)
    {
        atomic = false;
        CheckLexError();
        if (_lexer.Match(TokenType.LParen))
        {
            if (_parenDepth >= MaxParenDepth)
            {
                throw Error("Parentheses nested too deeply.");
            }

            _parenDepth++;
            var inner = ParseOr();
            _parenDepth--;
            ForceMatch(TokenType.RParen, ")");
            atomic = true;
            return inner;
        }

        if (Current.Type == TokenType.Template)
        {
            throw Error("Unexpanded template.");
        }

        if (Current.Type == TokenType.Id)
        {
            if (_lexer.Lookahead() == TokenType.LParen)
            {
                if (_lexer.MatchId("is_chassis_resident"))
                {
                    _lexer.Advance();
                    atomic = true;
                    if (Current.Type != TokenType.String)
                    {
                        throw SyntaxError("expecting string");
                    }

                    string port = Current.Text;
                    _lexer.Advance();
                    ForceMatch(TokenType.RParen, ")");
                    return new ChassisResident(port);
                }

                throw Error("parsing function name");
            }

            var field = ParseField();
            if (ToRelop(Current.Type) is not { } op)
            {
                if (Current.Type == TokenType.Equals)
                {
                    throw SyntaxError("expecting relational operator");
                }

                if (field.Width > 1 && !_not)
                {
                    throw Error("Explicit `!= 0' is required for inequality test of multibit field against 0.");
                }

                atomic = true;
                CheckNominal(field, Relop.Ne, [new IntegerConstant(0, null, IntegerFormat.Hexadecimal)], inCurlies: false);
                return new FieldTest(field);
            }

            _lexer.Advance();
            var constants = ParseConstants();
            return MakeComparison(field, op, constants);
        }

        var c1 = ParseConstants();
        if (ToRelop(Current.Type) is null && c1.Values.Count == 1 && !c1.InCurlies
            && c1.Values[0] is IntegerConstant { Format: IntegerFormat.Decimal, Mask: null } bit && bit.Value <= 1)
        {
            atomic = true;
            return new BooleanLiteral(bit.Value == 1);
        }

        var r1 = ToRelop(Current.Type) ?? throw SyntaxError("expecting relational operator");
        _lexer.Advance();
        var f = ParseField();
        if (ToRelop(Current.Type) is not { } r2)
        {
            return MakeComparison(f, Turn(r1), c1);
        }

        _lexer.Advance();
        var c2 = ParseConstants();
        bool ascending = r1 is Relop.Lt or Relop.Le && r2 is Relop.Lt or Relop.Le;
        bool descending = r1 is Relop.Gt or Relop.Ge && r2 is Relop.Gt or Relop.Ge;
        if (!ascending && !descending)
        {
            throw Error("Range expressions must have the form `x < field < y' or `x > field > y', with each `<' "
                        + "optionally replaced by `<=' or `>' by `>=').");
        }

        return new AndExpr(new([MakeComparison(f, Turn(r1), c1), MakeComparison(f, r2, c2)]));
    }

    private static Relop? ToRelop(TokenType type) => type switch
    {
        TokenType.Eq => Relop.Eq,
        TokenType.Ne => Relop.Ne,
        TokenType.Lt => Relop.Lt,
        TokenType.Le => Relop.Le,
        TokenType.Gt => Relop.Gt,
        TokenType.Ge => Relop.Ge,
        _ => null,
    };

    /// <summary><c>expr_relop_turn</c>: <c>a &lt; f</c> is <c>f &gt; a</c>.</summary>
    private static Relop Turn(Relop r) => r switch
    {
        Relop.Lt => Relop.Gt,
        Relop.Le => Relop.Ge,
        Relop.Gt => Relop.Lt,
        Relop.Ge => Relop.Le,
        _ => r,
    };

    /// <summary><c>parse_field</c>: a symbol name, optionally <c>[low]</c> or <c>[low..high]</c>.</summary>
    private FieldRef ParseField()
    {
        CheckLexError();
        if (Current.Type != TokenType.Id || _symbols.Find(Current.Text) is not { } symbol)
        {
            throw SyntaxError("expecting field name");
        }

        _lexer.Advance();
        if (!_lexer.Match(TokenType.LSquare))
        {
            return new FieldRef(symbol, 0, symbol.Width, HasRange: false);
        }

        if (symbol.IsString)
        {
            throw Error($"Cannot select subfield of string field {symbol.Name}.");
        }

        int low = ForceInt();
        int high = _lexer.Match(TokenType.Ellipsis) ? ForceInt() : low;
        ForceMatch(TokenType.RSquare, "]");
        if (low > high)
        {
            throw Error($"Invalid bit range {low} to {high}.");
        }

        if (high >= symbol.Width)
        {
            throw Error($"Cannot select bits {low} to {high} of {symbol.Width}-bit field {symbol.Name}.");
        }

        if (symbol.Level == SymbolLevel.Nominal && (low != 0 || high != symbol.Width - 1))
        {
            throw Error($"Cannot select subfield of nominal field {symbol.Name}.");
        }

        return new FieldRef(symbol, low, high - low + 1, HasRange: true);
    }

    private int ForceInt()
    {
        if (Current.Type == TokenType.Integer && Current.Format == IntegerFormat.Decimal && Current.Value <= int.MaxValue)
        {
            int value = (int)Current.Value;
            _lexer.Advance();
            return value;
        }

        throw SyntaxError("expecting small integer");
    }

    /// <summary><c>parse_constant_set</c>.</summary>
    private ConstantSet ParseConstants()
    {
        var values = new List<Constant>();
        bool? integers = null;
        if (_lexer.Match(TokenType.LCurly))
        {
            do
            {
                ParseConstant(values, ref integers);
                _lexer.Match(TokenType.Comma);
            }
            while (!_lexer.Match(TokenType.RCurly));
            return new ConstantSet(new(values), InCurlies: true);
        }

        ParseConstant(values, ref integers);
        return new ConstantSet(new(values), InCurlies: false);
    }

    /// <summary><c>parse_constant</c>: all constants of a set are integers or all are strings.</summary>
    private void ParseConstant(List<Constant> values, ref bool? integers)
    {
        CheckLexError();
        var token = Current;
        switch (token.Type)
        {
            case TokenType.Template:
                throw Error("Unexpanded template.");
            case TokenType.String:
                SetKind(ref integers, false);
                values.Add(new StringConstant(token.Text));
                break;
            case TokenType.Integer or TokenType.MaskedInteger:
                SetKind(ref integers, true);
                values.Add(new IntegerConstant(token.Value, token.Type == TokenType.MaskedInteger ? token.Mask : null, token.Format));
                break;
            case TokenType.Macro:
                if (_addressSetExists is not null && !_addressSetExists(token.Text))
                {
                    throw SyntaxError("expecting address set name");
                }

                SetKind(ref integers, true);
                values.Add(new AddressSetRef(token.Text));
                break;
            case TokenType.PortGroup:
                SetKind(ref integers, false);
                values.Add(new PortGroupRef(token.Text));
                break;
            default:
                throw SyntaxError("expecting constant");
        }

        _lexer.Advance();
    }

    private void SetKind(ref bool? integers, bool isInteger)
    {
        if (integers is { } kind && kind != isInteger)
        {
            throw SyntaxError(kind ? "expecting integer" : "expecting string");
        }

        integers = isInteger;
    }

    /// <summary><c>make_cmp</c>: type and width checks, operator rules for sets, masks and nominal fields.</summary>
    private Comparison MakeComparison(FieldRef field, Relop op, ConstantSet set)
    {
        bool isString = set.Values.Count > 0 && set.Values[0] is StringConstant or PortGroupRef;
        if (set.Values.Count > 0 && isString != field.Symbol.IsString)
        {
            throw Error($"{(field.Symbol.IsString ? "String" : "Integer")} field {field.Symbol.Name} is not compatible with "
                        + $"{(isString ? "string" : "integer")} constant.");
        }

        if (!field.Symbol.IsString)
        {
            foreach (var c in set.Values.OfType<IntegerConstant>())
            {
                int width = ConstantWidth(c);
                if (width > field.Symbol.Width)
                {
                    throw Error($"{width}-bit constant is not compatible with {field.Symbol.Width}-bit field {field.Symbol.Name}.");
                }
            }
        }

        if (op is not (Relop.Eq or Relop.Ne))
        {
            if (set.InCurlies)
            {
                throw Error("Only == and != operators may be used with value sets.");
            }

            if (field.Symbol.Level is SymbolLevel.Nominal or SymbolLevel.Boolean)
            {
                throw Error($"Only == and != operators may be used with {LevelName(field.Symbol.Level)} field {field.Symbol.Name}.");
            }

            if (set.Values.Count == 0)
            {
                throw Error("Only == and != operators may be used to compare a field against an empty value set.");
            }

            if (set.Values[0] is IntegerConstant { Mask: not null })
            {
                throw Error("Only == and != operators may be used with masked constants.  Consider using subfields instead "
                            + "(e.g. eth.src[0..15] > 0x1111 in place of eth.src > 00:00:00:00:11:11/00:00:00:00:ff:ff).");
            }
        }

        CheckNominal(field, op, set.Values, set.InCurlies);
        return new Comparison(field, op, set);
    }

    /// <summary>Nominal predicates only positively, nominal fields only for equality (counting enclosing <c>!</c>s).</summary>
    private void CheckNominal(FieldRef field, Relop op, IReadOnlyList<Constant> values, bool inCurlies)
    {
        _ = inCurlies;
        var symbol = field.Symbol;
        if (symbol.Level != SymbolLevel.Nominal)
        {
            return;
        }

        if (symbol.Predicate is not null)
        {
            foreach (var value in values)
            {
                // A bare predicate is "!= 0", i.e. tested positively; an address set's values count as nonzero.
                bool positive = value is not IntegerConstant integer || (integer.Value & 1) != 0;
                positive ^= op == Relop.Ne;
                positive ^= _not;
                if (!positive)
                {
                    string n = symbol.Name;
                    throw Error($"Nominal predicate {n} may only be tested positively, e.g. `{n}' or `{n} == 1' but not `!{n}' or `{n} == 0'.");
                }
            }
        }
        else if (op != (_not ? Relop.Ne : Relop.Eq))
        {
            throw Error($"Nominal field {symbol.Name} may only be tested for equality (taking enclosing `!' operators into account).");
        }
    }

    private static string LevelName(SymbolLevel level) => level switch
    {
        SymbolLevel.Nominal => "nominal",
        SymbolLevel.Boolean => "Boolean",
        _ => "ordinal",
    };

    /// <summary><c>expr_constant_width</c>.</summary>
    internal static int ConstantWidth(IntegerConstant c)
    {
        if (c.Mask is { } mask)
        {
            return BitWidth(mask);
        }

        return c.Format switch
        {
            IntegerFormat.Ipv4 => 32,
            IntegerFormat.Ipv6 => 128,
            IntegerFormat.Ethernet => 48,
            _ => BitWidth(c.Value),
        };
    }

    private static int BitWidth(UInt128 value) => value == 0 ? 0 : 128 - (int)UInt128.LeadingZeroCount(value);
}
