using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Ovnsim.Logical;
using Ovnsim.Logical.Actions;
using Ovnsim.Logical.Match;

namespace Ovnsim.Tests;

/// <summary>
/// FsCheck properties of the logical language: generated expressions round-trip through the printer, and any
/// damage to a real match or action gives a <see cref="LogicalSyntaxException"/> (with a column inside the input)
/// or a tree that round-trips — never another exception.
/// </summary>
public sealed class LogicalLanguageProperties
{
    private static readonly string[] OrdinalFields =
        ["reg0", "reg9[2]", "xreg0[0..47]", "ip4.src", "ip4.dst", "eth.src", "tcp.dst", "udp.src", "ct_mark.natted", "flags.loopback", "ip6.dst"];

    private static readonly string[] BooleanAtoms =
        ["ct.trk", "ct.est", "eth.mcast", "ip.later_frag", "flags.loopback", "reg9[3]", "is_chassis_resident(\"cr-lrp\")"];

    private static readonly string[] NominalTests =
        ["ip4", "ip6", "tcp", "udp", "arp", "nd_ns", "eth.type == 0x800", "ip.proto == 17", "inport == \"p1\"", "outport == {\"a\", \"b\"}"];

    private static Gen<string> Constant(string field) => field switch
    {
        "ip4.src" or "ip4.dst" => Gen.Elements("10.0.0.1", "10.0.0.0/24", "{10.0.0.1, 10.0.0.2}", "$as1", "0.0.0.0/0"),
        "eth.src" => Gen.Elements("fa:16:3e:00:00:01", "01:00:00:00:00:00/01:00:00:00:00:00"),
        "ip6.dst" => Gen.Elements("fe80::1", "ff02::1:ff00:0/104", "{fd00::1, fd00::2}"),
        "xreg0[0..47]" => Gen.Elements("fa:16:3e:00:00:01", "0x123456"),
        _ => Gen.Choose(0, 1).Select(i => i.ToString(CultureInfo.InvariantCulture)),
    };

    private static Gen<string> Atom() =>
        Gen.OneOf(
            Gen.Elements(BooleanAtoms),
            Gen.Elements(NominalTests),
            Gen.Elements(OrdinalFields).SelectMany(f => Gen.Elements("==", "!=").SelectMany(op => Constant(f).Select(c => $"{f} {op} {c}"))),
            Gen.Elements("tcp.dst", "udp.src").SelectMany(f => Gen.Choose(1, 60000).Select(n => $"{f} < {n}")));

    private static Gen<string> Expression(int depth) =>
        depth == 0
            ? Atom()
            : Gen.OneOf(
                Atom(),
                Gen.Elements(BooleanAtoms).Select(a => "!" + a),
                Gen.Elements(" && ", " || ").SelectMany(op =>
                    Gen.ListOf(Expression(depth - 1).Select(e => $"({e})")).Where(l => l.Count >= 2 && l.Count <= 4)
                        .Select(l => string.Join(op, l))));

    [Fact]
    public void Generated_matches_round_trip()
    {
        var property = Prop.ForAll(Arb.From(Expression(3)), text =>
        {
            var tree = MatchParser.Parse(text);
            var again = MatchParser.Parse(MatchFormatter.Format(tree));
            return tree.Equals(again);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void Damaged_matches_and_actions_fail_cleanly()
    {
        var corpus = MatchParserTests.GoldenFlows().SelectMany(f => new[] { (f.Match, true), (f.Actions, false) }).ToArray();
        var gen = Gen.Elements(corpus).SelectMany(item =>
            Gen.Choose(0, Math.Max(0, item.Item1.Length - 1)).SelectMany(at =>
                Gen.Choose(0, 3).SelectMany(kind =>
                    Gen.Elements('(', ')', '{', '"', '=', '!', '&', '|', ';', '.', ':', '/', '*', '$', '@', '^', '-', '<', 'x', '9', ' ')
                        .Select(c => (Text: Damage(item.Item1, at, kind, c), IsMatch: item.Item2)))));
        var property = Prop.ForAll(Arb.From(gen), sample =>
        {
            try
            {
                if (sample.IsMatch)
                {
                    var tree = MatchParser.Parse(sample.Text);
                    return tree.Equals(MatchParser.Parse(MatchFormatter.Format(tree)));
                }

                var actions = ActionParser.Parse(sample.Text);
                return actions.Equals(ActionParser.Parse(ActionFormatter.Format(actions)));
            }
            catch (LogicalSyntaxException e)
            {
                return e.Column >= 1 && e.Column <= sample.Text.Length + 1 && e.OvnMessage.Length > 0;
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);
    }

    private static string Damage(string text, int at, int kind, char c) => kind switch
    {
        0 => text.Remove(at, 1),
        1 => text.Insert(at, c.ToString()),
        2 => text[..at],
        _ => text.Remove(at, 1).Insert(at, c.ToString()),
    };
}
