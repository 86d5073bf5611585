using System.Globalization;
using System.Net;
using System.Text;
using Ovnsim.Logical.Lexing;

namespace Ovnsim.Logical.Match;

/// <summary>
/// Prints a parsed match in canonical form: single spaces around operators, <c>{a, b}</c> sets, parentheses only
/// where the grammar needs them, constants as <c>lex_token_format</c> writes them (CIDR prefixes for IPv4 and IPv6
/// masks). Parsing the output gives back an equal tree.
/// </summary>
public static class MatchFormatter
{
    /// <summary>The canonical text of <paramref name="expr"/>.</summary>
    public static string Format(MatchExpr expr)
    {
        var s = new StringBuilder();
        Append(s, expr);
        return s.ToString();
    }

    private static void Append(StringBuilder s, MatchExpr expr)
    {
        switch (expr)
        {
            case BooleanLiteral b:
                s.Append(b.Value ? '1' : '0');
                break;
            case FieldTest t:
                AppendField(s, t.Field);
                break;
            case Comparison c:
                AppendField(s, c.Field);
                s.Append(' ').Append(RelopText(c.Op)).Append(' ');
                AppendConstants(s, c.Values);
                break;
            case ChassisResident r:
                s.Append("is_chassis_resident(").Append(QuoteString(r.Port)).Append(')');
                break;
            case NotExpr n:
                s.Append('!');
                AppendAtomic(s, n.Operand);
                break;
            case AndExpr a:
                AppendJoined(s, a.Operands, " && ");
                break;
            case OrExpr o:
                AppendJoined(s, o.Operands, " || ");
                break;
            default:
                throw new InvalidOperationException($"unknown match node {expr.GetType().Name}");
        }
    }

    private static void AppendJoined(StringBuilder s, ValueList<MatchExpr> operands, string op)
    {
        for (int i = 0; i < operands.Count; i++)
        {
            if (i > 0)
            {
                s.Append(op);
            }

            if (operands[i] is AndExpr or OrExpr)
            {
                s.Append('(');
                Append(s, operands[i]);
                s.Append(')');
            }
            else
            {
                Append(s, operands[i]);
            }
        }
    }

    /// <summary>The operand of <c>!</c> must be atomic: a bare field, a literal, a call, or parenthesized.</summary>
    private static void AppendAtomic(StringBuilder s, MatchExpr expr)
    {
        if (expr is FieldTest or BooleanLiteral or ChassisResident)
        {
            Append(s, expr);
        }
        else
        {
            s.Append('(');
            Append(s, expr);
            s.Append(')');
        }
    }

    /// <summary>A field reference: <c>name</c>, <c>name[bit]</c> or <c>name[low..high]</c>.</summary>
    public static string FormatField(FieldRef field)
    {
        var s = new StringBuilder();
        AppendField(s, field);
        return s.ToString();
    }

    private static void AppendField(StringBuilder s, FieldRef field)
    {
        s.Append(field.Symbol.Name);
        if (field.HasRange)
        {
            s.Append('[').Append(field.Low.ToString(CultureInfo.InvariantCulture));
            if (field.Width > 1)
            {
                s.Append("..").Append(field.High.ToString(CultureInfo.InvariantCulture));
            }

            s.Append(']');
        }
    }

    /// <summary>A constant or <c>{…}</c> set.</summary>
    public static string FormatConstants(ConstantSet set)
    {
        var s = new StringBuilder();
        AppendConstants(s, set);
        return s.ToString();
    }

    private static void AppendConstants(StringBuilder s, ConstantSet set)
    {
        if (!set.InCurlies)
        {
            AppendConstant(s, set.Values[0]);
            return;
        }

        s.Append('{');
        for (int i = 0; i < set.Values.Count; i++)
        {
            if (i > 0)
            {
                s.Append(", ");
            }

            AppendConstant(s, set.Values[i]);
        }

        s.Append('}');
    }

    /// <summary>One constant, as <c>lex_token_format</c> prints it.</summary>
    public static string FormatConstant(Constant c)
    {
        var s = new StringBuilder();
        AppendConstant(s, c);
        return s.ToString();
    }

    private static void AppendConstant(StringBuilder s, Constant c)
    {
        switch (c)
        {
            case StringConstant str:
                s.Append(QuoteString(str.Value));
                break;
            case AddressSetRef a:
                s.Append('$').Append(a.Name);
                break;
            case PortGroupRef g:
                s.Append('@').Append(g.Name);
                break;
            case IntegerConstant i:
                s.Append(FormatValue(i.Value, i.Format));
                if (i.Mask is { } mask)
                {
                    s.Append('/');
                    if (i.Format == IntegerFormat.Ipv4 && IsCidr(mask, 32))
                    {
                        s.Append(PrefixLength(mask).ToString(CultureInfo.InvariantCulture));
                    }
                    else if (i.Format == IntegerFormat.Ipv6 && IsCidr(mask, 128))
                    {
                        s.Append(PrefixLength(mask).ToString(CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        s.Append(FormatValue(mask, i.Format));
                    }
                }

                break;
            default:
                throw new InvalidOperationException($"unknown constant {c.GetType().Name}");
        }
    }

    /// <summary>A value in the given form; hexadecimal zero prints as 0x0 so it reads back as hexadecimal.</summary>
    public static string FormatValue(UInt128 value, IntegerFormat format) => format switch
    {
        IntegerFormat.Decimal => value.ToString(CultureInfo.InvariantCulture),
        IntegerFormat.Hexadecimal => "0x" + value.ToString("x", CultureInfo.InvariantCulture),
        IntegerFormat.Ipv4 => $"{(uint)(value >> 24) & 0xff}.{(uint)(value >> 16) & 0xff}.{(uint)(value >> 8) & 0xff}.{(uint)value & 0xff}",
        IntegerFormat.Ipv6 => FormatIpv6(value),
        _ => string.Join(':', Enumerable.Range(0, 6).Select(b => ((ulong)(value >> (40 - (8 * b))) & 0xff).ToString("x2", CultureInfo.InvariantCulture))),
    };

    private static string FormatIpv6(UInt128 value)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return new IPAddress(bytes).ToString();
    }

    private static bool IsCidr(UInt128 mask, int width)
    {
        UInt128 full = width == 128 ? UInt128.MaxValue : (UInt128.One << width) - 1;
        UInt128 inverse = ~mask & full;
        return (mask & ~full) == 0 && (inverse & (inverse + 1)) == 0;
    }

    private static int PrefixLength(UInt128 mask) => (int)UInt128.PopCount(mask);

    /// <summary>A JSON-quoted string, as <c>json_string_escape</c> writes it.</summary>
    public static string QuoteString(string value)
    {
        var s = new StringBuilder("\"");
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': s.Append("\\\""); break;
                case '\\': s.Append("\\\\"); break;
                case '\n': s.Append("\\n"); break;
                case '\t': s.Append("\\t"); break;
                case '\r': s.Append("\\r"); break;
                case '\b': s.Append("\\b"); break;
                case '\f': s.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        s.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        s.Append(c);
                    }

                    break;
            }
        }

        return s.Append('"').ToString();
    }

    internal static string RelopText(Relop op) => op switch
    {
        Relop.Eq => "==",
        Relop.Ne => "!=",
        Relop.Lt => "<",
        Relop.Le => "<=",
        Relop.Gt => ">",
        _ => ">=",
    };
}
