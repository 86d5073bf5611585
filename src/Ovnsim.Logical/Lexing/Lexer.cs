using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ovnsim.Logical.Lexing;

/// <summary>
/// OVN's lexical analyzer for matches and actions, ported from lib/lex.c of OVN 23.03: identifiers (letters, digits,
/// '_' and '.'), strings with JSON escapes, integers in decimal, hexadecimal, IPv4, IPv6 and Ethernet form, each
/// optionally masked (<c>/N</c> CIDR or <c>/mask</c>), <c>$address_set</c>, <c>@port_group</c>, operators, and
/// <c>//</c> and <c>/* */</c> comments. Values are held in 128 bits (OVN allows wider hexadecimal constants; no
/// logical field is wider than 128 bits).
/// </summary>
public sealed class Lexer
{
    private readonly string _input;
    private int _next;

    /// <summary>Starts lexing <paramref name="input"/>; <see cref="Current"/> is the first token.</summary>
    public Lexer(string input)
    {
        _input = input;
        Advance();
    }

    /// <summary>The current token.</summary>
    public Token Current { get; private set; }

    /// <summary>The input being lexed.</summary>
    public string Input => _input;

    /// <summary>Moves to the next token and returns its type.</summary>
    public TokenType Advance()
    {
        Current = Parse(_input, ref _next);
        return Current.Type;
    }

    /// <summary>The type of the token after the current one, without moving.</summary>
    public TokenType Lookahead()
    {
        int position = _next;
        return Parse(_input, ref position).Type;
    }

    /// <summary>Consumes the current token if it has type <paramref name="type"/>.</summary>
    public bool Match(TokenType type)
    {
        if (Current.Type != type)
        {
            return false;
        }

        Advance();
        return true;
    }

    /// <summary>Consumes the current token if it is the identifier <paramref name="id"/>.</summary>
    public bool MatchId(string id)
    {
        if (Current.Type != TokenType.Id || Current.Text != id)
        {
            return false;
        }

        Advance();
        return true;
    }

    /// <summary>Every token of <paramref name="input"/>, up to and including End or the first Error.</summary>
    public static IReadOnlyList<Token> Tokenize(string input)
    {
        var tokens = new List<Token>();
        int position = 0;
        Token token;
        do
        {
            token = Parse(input, ref position);
            tokens.Add(token);
        }
        while (token.Type is not (TokenType.End or TokenType.Error));
        return tokens;
    }

    /// <summary><c>lex_token_parse</c>: the token at <paramref name="p"/>, which moves past it.</summary>
    internal static Token Parse(string s, ref int p)
    {
        while (true)
        {
            int start = p;
            char c = At(s, p);
            switch (c)
            {
                case '\0':
                    return new Token(TokenType.End, start);
                case ' ' or '\t' or '\n' or '\r' or '\v' or '\f':
                    p++;
                    continue;
                case '/':
                    p++;
                    if (At(s, p) == '/')
                    {
                        while (At(s, p) is not ('\0' or '\n'))
                        {
                            p++;
                        }

                        continue;
                    }

                    if (At(s, p) == '*')
                    {
                        p++;
                        while (true)
                        {
                            if (At(s, p) == '*' && At(s, p + 1) == '/')
                            {
                                p += 2;
                                break;
                            }

                            if (At(s, p) is '\0' or '\n')
                            {
                                return Error(start, "`/*' without matching `*/'.");
                            }

                            p++;
                        }

                        continue;
                    }

                    return Error(start, "`/' is only valid as part of `//' or `/*'.");
                case '(': p++; return new Token(TokenType.LParen, start);
                case ')': p++; return new Token(TokenType.RParen, start);
                case '{': p++; return new Token(TokenType.LCurly, start);
                case '}': p++; return new Token(TokenType.RCurly, start);
                case '[': p++; return new Token(TokenType.LSquare, start);
                case ']': p++; return new Token(TokenType.RSquare, start);
                case ',': p++; return new Token(TokenType.Comma, start);
                case ';': p++; return new Token(TokenType.Semicolon, start);
                case '=':
                    p++;
                    if (At(s, p) == '=')
                    {
                        p++;
                        return new Token(TokenType.Eq, start);
                    }

                    return new Token(TokenType.Equals, start);
                case '!':
                    p++;
                    if (At(s, p) == '=')
                    {
                        p++;
                        return new Token(TokenType.Ne, start);
                    }

                    return new Token(TokenType.LogNot, start);
                case '&':
                    p++;
                    if (At(s, p) == '&')
                    {
                        p++;
                        return new Token(TokenType.LogAnd, start);
                    }

                    return Error(start, "`&' is only valid as part of `&&'.");
                case '|':
                    p++;
                    if (At(s, p) == '|')
                    {
                        p++;
                        return new Token(TokenType.LogOr, start);
                    }

                    return Error(start, "`|' is only valid as part of `||'.");
                case '<':
                    p++;
                    if (At(s, p) == '=')
                    {
                        p++;
                        return new Token(TokenType.Le, start);
                    }

                    if (At(s, p) == '-' && At(s, p + 1) == '>')
                    {
                        p += 2;
                        return new Token(TokenType.Exchange, start);
                    }

                    return new Token(TokenType.Lt, start);
                case '>':
                    p++;
                    if (At(s, p) == '=')
                    {
                        p++;
                        return new Token(TokenType.Ge, start);
                    }

                    return new Token(TokenType.Gt, start);
                case '.':
                    p++;
                    if (At(s, p) == '.')
                    {
                        p++;
                        return new Token(TokenType.Ellipsis, start);
                    }

                    return Error(start, "`.' is only valid as part of `..' or a number.");
                case '-':
                    p++;
                    if (At(s, p) == '-')
                    {
                        p++;
                        return new Token(TokenType.Decrement, start);
                    }

                    return new Token(TokenType.Hyphen, start);
                case '$':
                    return ParsePrefixedId(s, ref p, TokenType.Macro, "`$' must be followed by a valid identifier.");
                case '@':
                    return ParsePrefixedId(s, ref p, TokenType.PortGroup, "`@' must be followed by a valid identifier.");
                case '^':
                    return ParsePrefixedId(s, ref p, TokenType.Template, "`^' must be followed by a valid identifier.");
                case ':' when At(s, p + 1) != ':':
                    p++;
                    return new Token(TokenType.Colon, start);
                case ':' or (>= '0' and <= '9'):
                    return ParseInteger(s, ref p);
                case '"':
                    return ParseString(s, ref p);
                case (>= 'a' and <= 'f') or (>= 'A' and <= 'F'):
                {
                    // An Ethernet or IPv6 address starts with hex digits followed by a colon; an identifier never does.
                    int q = p;
                    while (char.IsAsciiHexDigit(At(s, q)))
                    {
                        q++;
                    }

                    return At(s, q) == ':' ? ParseInteger(s, ref p) : ParseId(s, ref p, TokenType.Id);
                }

                default:
                    if (IsId1(c))
                    {
                        return ParseId(s, ref p, TokenType.Id);
                    }

                    p++;
                    return Error(start, c >= 0x20 && c < 0x7f
                        ? $"Invalid character `{c}' in input."
                        : $"Invalid byte 0x{(int)c:x} in input.");
            }
        }
    }

    private static char At(string s, int p) => p < s.Length ? s[p] : '\0';

    private static Token Error(int position, string message) => new(TokenType.Error, position, message);

    private static bool IsId1(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or '.';

    private static bool IsIdN(char c) => IsId1(c) || char.IsAsciiDigit(c);

    private static Token ParseId(string s, ref int p, TokenType type)
    {
        int start = p;
        do
        {
            p++;
        }
        while (IsIdN(At(s, p)));
        return new Token(type, start, s[start..p]);
    }

    private static Token ParsePrefixedId(string s, ref int p, TokenType type, string error)
    {
        int start = p;
        p++;
        if (!IsId1(At(s, p)))
        {
            return Error(start, error);
        }

        var id = ParseId(s, ref p, type);
        return id with { Position = start };
    }

    private static Token ParseString(string s, ref int p)
    {
        int start = p;
        p++;
        var text = new StringBuilder();
        while (true)
        {
            char c = At(s, p);
            if (c == '\0')
            {
                return Error(start, "Input ends inside quoted string.");
            }

            if (c == '"')
            {
                p++;
                return new Token(TokenType.String, start, text.ToString());
            }

            if (c == '\\')
            {
                p++;
                char e = At(s, p);
                p++;
                switch (e)
                {
                    case '"' or '\\' or '/': text.Append(e); break;
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case 'u' when p + 4 <= s.Length
                                  && int.TryParse(s.AsSpan(p, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int u):
                        text.Append((char)u);
                        p += 4;
                        break;
                    default:
                        return Error(start, $"Invalid escape `\\{e}' in string.");
                }

                continue;
            }

            text.Append(c);
            p++;
        }
    }

    /// <summary><c>lex_parse_integer</c>: an integer, then an optional <c>/mask</c>.</summary>
    private static Token ParseInteger(string s, ref int p)
    {
        var token = ParseIntegerPart(s, ref p);
        if (token.Type == TokenType.Integer && At(s, p) == '/')
        {
            p++;
            var mask = ParseIntegerPart(s, ref p);
            if (mask.Type == TokenType.Error)
            {
                return mask;
            }

            UInt128 maskValue;
            if (token.Format == mask.Format)
            {
                maskValue = mask.Value;
            }
            else if (token.Format == IntegerFormat.Ipv4 && mask.Format == IntegerFormat.Decimal && mask.Value <= 32)
            {
                maskValue = mask.Value == 0 ? 0 : (UInt128)(uint.MaxValue << (32 - (int)mask.Value));
            }
            else if (token.Format == IntegerFormat.Ipv6 && mask.Format == IntegerFormat.Decimal && mask.Value <= 128)
            {
                maskValue = mask.Value == 0 ? 0 : UInt128.MaxValue << (128 - (int)mask.Value);
            }
            else if (token.Format == IntegerFormat.Decimal && mask.Format == IntegerFormat.Hexadecimal && token.Value == 0)
            {
                token = token with { Format = IntegerFormat.Hexadecimal };
                maskValue = mask.Value;
            }
            else
            {
                return Error(token.Position, "Value and mask have incompatible formats.");
            }

            return token with { Type = TokenType.MaskedInteger, Value = token.Value & maskValue, Mask = maskValue };
        }

        return token;
    }

    /// <summary><c>lex_parse_integer__</c>.</summary>
    private static Token ParseIntegerPart(string s, ref int p)
    {
        int start = p;
        int end = p;
        bool sawDot = false;
        while (char.IsAsciiLetterOrDigit(At(s, end)) || (At(s, end) == ':' && !sawDot) || (At(s, end) == '.' && At(s, end + 1) != '.'))
        {
            sawDot |= At(s, end) == '.';
            end++;
        }

        p = end;
        string text = s[start..end];
        if (text.Length == 0)
        {
            return Error(start, "Integer constant expected.");
        }

        if (text.Length == 17 && TryParseMac(text, out ulong mac))
        {
            return new Token(TokenType.Integer, start, Value: mac, Format: IntegerFormat.Ethernet);
        }

        if (text.All(char.IsAsciiDigit))
        {
            if (text[0] == '0' && text.Length > 1)
            {
                return Error(start, "Decimal constants must not have leading zeros.");
            }

            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
                ? new Token(TokenType.Integer, start, Value: value, Format: IntegerFormat.Decimal)
                : Error(start, "Decimal constants must be less than 2**64.");
        }

        if (text.Length >= 2 && text[0] == '0' && text[1] is 'x' or 'X')
        {
            if (text.Length == 2)
            {
                return Error(start, $"Hex digits expected following 0{text[1]}.");
            }

            string digits = text[2..].TrimStart('0');
            if (!text[2..].All(char.IsAsciiHexDigit))
            {
                return Error(start, "Invalid syntax in hexadecimal constant.");
            }

            if (digits.Length > 32)
            {
                return Error(start, "Hexadecimal constant requires more than 128 bits.");
            }

            UInt128 hex = digits.Length == 0 ? 0 : UInt128.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            return new Token(TokenType.Integer, start, Value: hex, Format: IntegerFormat.Hexadecimal);
        }

        if (text.Length < 46)
        {
            if (TryParseIpv4(text, out uint v4))
            {
                return new Token(TokenType.Integer, start, Value: v4, Format: IntegerFormat.Ipv4);
            }

            if (text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out var ip)
                && ip.AddressFamily == AddressFamily.InterNetworkV6 && !text.Contains('%', StringComparison.Ordinal))
            {
                var bytes = ip.GetAddressBytes();
                return new Token(TokenType.Integer, start, Value: System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes),
                    Format: IntegerFormat.Ipv6);
            }
        }

        return Error(start, "Invalid numeric constant.");
    }

    private static bool TryParseMac(string text, out ulong mac)
    {
        mac = 0;
        string[] parts = text.Split(':');
        if (parts.Length != 6)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length != 2 || !byte.TryParse(part, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }

            mac = (mac << 8) | b;
        }

        return true;
    }

    /// <summary><c>ip_parse</c>: inet_pton's dotted quad.</summary>
    internal static bool TryParseIpv4(string text, out uint addr)
    {
        addr = 0;
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0')
                || !uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out uint octet) || octet > 255)
            {
                return false;
            }

            addr = (addr << 8) | octet;
        }

        return true;
    }
}
