using Ovnsim.Logical;
using Ovnsim.Logical.Actions;

namespace Ovnsim.Tests;

/// <summary>The action language: every action northd wrote in the goldens parses, prints and re-parses.</summary>
public sealed class ActionParserTests
{
    [Fact]
    public void Every_golden_action_parses_prints_canonically_and_reparses_to_the_same_tree()
    {
        int count = 0;
        foreach (var (_, actions) in MatchParserTests.GoldenFlows())
        {
            var tree = ActionParser.Parse(actions);
            string canonical = ActionFormatter.Format(tree);
            var again = ActionParser.Parse(canonical);
            Assert.True(tree.Equals(again), $"{actions}\n  -> {canonical}");
            Assert.Equal(canonical, ActionFormatter.Format(again));
            count++;
        }

        Assert.True(count > 500, $"only {count} flows");
    }

    [Theory]
    [InlineData("drop;", "drop;")]
    [InlineData("eth.dst = eth.src; eth.src = fa:16:3e:d3:8c:20; arp.op = 2; /* ARP reply */ output;",
        "eth.dst = eth.src; eth.src = fa:16:3e:d3:8c:20; arp.op = 2; output;")]
    [InlineData("clone {outport = \"p1\"; output; }; outport = \"_MC_flood_l2\"; output;",
        "clone { outport = \"p1\"; output; }; outport = \"_MC_flood_l2\"; output;")]
    [InlineData("ct_lb_mark(backends=10.0.0.11:22,10.0.0.12:22);", "ct_lb_mark(backends=10.0.0.11:22, 10.0.0.12:22);")]
    [InlineData("reg9[2] = lookup_arp(inport, arp.spa, arp.sha); next;", "reg9[2] = lookup_arp(inport, arp.spa, arp.sha); next;")]
    [InlineData("ct_commit { ct_mark.blocked = 0; ct_label.label = reg3; }; next;", "ct_commit { ct_mark.blocked = 0; ct_label.label = reg3; }; next;")]
    [InlineData("next(pipeline=ingress, table=0);", "next(pipeline=ingress, table=0);")]
    [InlineData("ip.ttl--; xxreg0 = ip6.dst;", "ip.ttl--; xxreg0 = ip6.dst;")]
    public void Canonical_form(string input, string expected) =>
        Assert.Equal(expected, ActionFormatter.Format(ActionParser.Parse(input)));

    [Theory]
    [InlineData("next", 5, "Syntax error at end of input expecting `;'.")]
    [InlineData("drop; next;", 7, "Syntax error at `next' expecting end of input.")]
    [InlineData("frobnicate;", 1, "Syntax error at `frobnicate' expecting action.")]
    [InlineData("ct_mark.blocked = 1;", 19, "Field ct_mark.blocked is not modifiable.")]
    [InlineData("ip.proto = 6;", 12, "Field ip.proto is not modifiable.")]
    [InlineData("reg0[0] = 0x1ffffffff;", 22, "33-bit constant is not compatible with 32-bit field reg0.")]
    [InlineData("reg0 <-> inport;", 16, "Can't exchange integer field (reg0) with string field (inport).")]
    [InlineData("outport = 5;", 12, "String field outport is not compatible with integer constant.")]
    [InlineData("reg0 = eth.src;", 15, "Can't assign 48-bit value to 32-bit destination.")]
    [InlineData("clone { output; ", 17, "Syntax error at end of input.")]
    [InlineData("next(pipeline=sideways);", 15, "Syntax error at `sideways' expecting \"ingress\" or \"egress\".")]
    [InlineData("put_arp(inport, arp.spx, arp.sha);", 34, "Syntax error at `arp.spx' expecting field name.")]
    [InlineData("outport = \"p1\" output;", 16, "Syntax error at `output' expecting `;'.")]
    public void Bad_actions_get_ovns_message_and_the_column(string input, int column, string message)
    {
        var e = Assert.Throws<LogicalSyntaxException>(() => ActionParser.Parse(input));
        Assert.Equal(message, e.OvnMessage);
        Assert.Equal(column, e.Column);
    }
}
