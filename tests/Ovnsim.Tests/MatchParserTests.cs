using Ovnsim.Logical;
using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Tests;

/// <summary>The match language: every match northd wrote in the goldens parses, prints canonically and re-parses.</summary>
public sealed class MatchParserTests
{
    /// <summary>Every distinct match and action of the seed reference and the golden dump-flows files.</summary>
    internal static IEnumerable<(string Match, string Actions)> GoldenFlows()
    {
        var files = new[] { TestData.Seed("lflows.txt") }
            .Concat(NorthdGoldenTests.GoldenNames().Select(n => TestData.Path("northd", n, "lflows.txt")));
        var seen = new HashSet<(string, string)>();
        foreach (string file in files)
        {
            foreach (string line in File.ReadLines(file))
            {
                int m = line.IndexOf(", match=(", StringComparison.Ordinal);
                int a = line.LastIndexOf("), action=(", StringComparison.Ordinal);
                if (m < 0 || a < 0)
                {
                    continue;
                }

                var flow = (line[(m + 9)..a], line[(a + 11)..^1]);
                if (seen.Add(flow))
                {
                    yield return flow;
                }
            }
        }
    }

    [Fact]
    public void Every_golden_match_parses_prints_canonically_and_reparses_to_the_same_tree()
    {
        int count = 0;
        foreach (var (match, _) in GoldenFlows())
        {
            var tree = MatchParser.Parse(match);
            string canonical = MatchFormatter.Format(tree);
            var again = MatchParser.Parse(canonical);
            Assert.True(tree.Equals(again), $"{match}\n  -> {canonical}");
            Assert.Equal(canonical, MatchFormatter.Format(again));
            count++;
        }

        Assert.True(count > 500, $"only {count} flows");
    }

    [Theory]
    [InlineData("ip4.src == {10.0.0.1, 10.0.0.63} && reg9[0] == 0", "ip4.src == {10.0.0.1, 10.0.0.63} && reg9[0] == 0")]
    [InlineData("ip4.src_mcast ||ip4.src == 255.255.255.255", "ip4.src_mcast || ip4.src == 255.255.255.255")]
    [InlineData("ip6.dst == ff02::1:ff00:0000/104", "ip6.dst == ff02::1:ff00:0/104")]
    [InlineData("1 < tcp.dst <= 100", "tcp.dst > 1 && tcp.dst <= 100")]
    [InlineData("!(ip.later_frag || reg0==1)", "!(ip.later_frag || reg0 == 1)")]
    [InlineData("((a.b))", null)]
    public void Canonical_form(string input, string? expected)
    {
        if (expected is null)
        {
            Assert.Throws<LogicalSyntaxException>(() => MatchParser.Parse(input));
            return;
        }

        Assert.Equal(expected, MatchFormatter.Format(MatchParser.Parse(input)));
    }

    [Theory]
    [InlineData("ip4 && ip6 || tcp", 12, "&& and || must be parenthesized when used together.")]
    [InlineData("!ip4.src == 1.2.3.4", 20, "Missing parentheses around operand of !.")]
    [InlineData("reg0", 5, "Explicit `!= 0' is required for inequality test of multibit field against 0.")]
    [InlineData("eth.type > 5", 13, "Only == and != operators may be used with nominal field eth.type.")]
    [InlineData("!ip4", 5, "Nominal predicate ip4 may only be tested positively, e.g. `ip4' or `ip4 == 1' but not `!ip4' or `ip4 == 0'.")]
    [InlineData("ip4.src == 1.2.3.4 && foo == 1", 23, "Syntax error at `foo' expecting field name.")]
    [InlineData("reg0[40]", 9, "Cannot select bits 40 to 40 of 32-bit field reg0.")]
    [InlineData("inport == 5", 12, "String field inport is not compatible with integer constant.")]
    [InlineData("ip4.src == fe80::1", 19, "128-bit constant is not compatible with 32-bit field ip4.src.")]
    [InlineData("ip4.src == 1.2.3.4 &", 20, "`&' is only valid as part of `&&'.")]
    [InlineData("tcp.dst == 01", 12, "Decimal constants must not have leading zeros.")]
    [InlineData("tcp.dst == ", 12, "Syntax error at end of input expecting constant.")]
    [InlineData("inport == \"a", 11, "Input ends inside quoted string.")]
    [InlineData("tcp.dst == {1, 2} && (tcp.src == 1", 35, "Syntax error at end of input expecting `)'.")]
    [InlineData("tcp.dst == {1, 2} && (tcp.src", 30, "Explicit `!= 0' is required for inequality test of multibit field against 0.")]
    public void Bad_matches_get_ovns_message_and_the_column(string input, int column, string message)
    {
        var e = Assert.Throws<LogicalSyntaxException>(() => MatchParser.Parse(input));
        Assert.Equal(message, e.OvnMessage);
        Assert.Equal(column, e.Column);
    }

    [Fact]
    public void Symbol_levels_follow_ovn()
    {
        var t = SymbolTable.Ovn;
        Assert.Equal(SymbolLevel.Nominal, t.Find("ip4")!.Level);
        Assert.Equal(SymbolLevel.Nominal, t.Find("tcp")!.Level);
        Assert.Equal(SymbolLevel.Boolean, t.Find("ip.later_frag")!.Level);
        Assert.Equal(SymbolLevel.Ordinal, t.Find("reg0")!.Level);
        Assert.Equal(32, t.Find("reg9")!.Width);
        Assert.Equal("xreg4", t.Find("reg9")!.Parent!.Name);
        Assert.Equal(0, t.Find("reg9")!.ParentOffset);
        Assert.Equal(96, t.Find("reg0")!.ParentOffset);
        Assert.Null(t.Find("reg10"));
    }
}
