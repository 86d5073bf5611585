using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Expressions;

/// <summary>One field's constraint in an OpenFlow match: the value of the bits the mask selects.</summary>
/// <param name="Value">The value (only masked bits set).</param>
/// <param name="Mask">Which bits are matched.</param>
public readonly record struct FieldMatch(UInt128 Value, UInt128 Mask);

/// <summary>A conjunction action <c>conjunction(id, clause/n_clauses)</c> on a clause flow (clause from 0 here).</summary>
/// <param name="Id">The conjunction id, from 1 within one expression.</param>
/// <param name="Clause">The clause index.</param>
/// <param name="Clauses">How many clauses.</param>
public readonly record struct Conjunction(int Id, int Clause, int Clauses);

/// <summary>
/// One OpenFlow match an expression compiles to (lib/expr.c <c>struct expr_match</c>): constraints on logical fields
/// (named by their base symbol), the conjunctions it carries when it is a clause flow, or the conj_id it matches.
/// </summary>
public sealed class ExprMatch
{
    /// <summary>
    /// Constraints by OpenFlow field (xxreg0, xreg4, reg10, reg14, eth_dst, arp_op, …); port names are already keys.
    /// </summary>
    public SortedDictionary<string, FieldMatch> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>The conjunction actions of a clause flow.</summary>
    public List<Conjunction> Conjunctions { get; } = [];

    /// <summary>The conjunction id this flow matches, or 0.</summary>
    public int ConjId { get; set; }

    /// <summary>A key that identifies equal matches (<c>match_equal</c>).</summary>
    public string Key => string.Join(",", Fields.Select(f => $"{f.Key}=0x{f.Value.Value:x}/0x{f.Value.Mask:x}"))
                         + (ConjId != 0 ? $",conj_id={ConjId}" : "");

    internal ExprMatch Copy()
    {
        var m = new ExprMatch { ConjId = ConjId };
        foreach (var (k, v) in Fields)
        {
            m.Fields[k] = v;
        }

        return m;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Key + (Conjunctions.Count > 0 ? " -> " + string.Join(",", Conjunctions.Select(c => $"conjunction({c.Id},{c.Clause + 1}/{c.Clauses})")) : "");
}

/// <summary>
/// <c>expr_to_matches</c>: a normalized expression as OpenFlow matches — one per disjunct, with conjunctive matches
/// (clause flows plus a conj_id flow) where an AND holds several ORs on different fields.
/// </summary>
internal static class ExprMatches
{
    public static List<ExprMatch> ToMatches(Expr expr, Func<string, long?> lookupPort, out int conjunctions)
    {
        var matches = new List<ExprMatch>();
        int nConjs = 0;
        switch (expr.Type)
        {
            case ExprType.Cmp:
                AddCmpFlow(expr, lookupPort, matches);
                break;
            case ExprType.And:
                AddConjunction(expr, lookupPort, ref nConjs, matches);
                break;
            case ExprType.Or:
                bool unique = expr.UniqueSymbol() is not null;
                foreach (var sub in expr.Sub)
                {
                    if (!unique && sub.Type == ExprType.And)
                    {
                        AddConjunction(sub, lookupPort, ref nConjs, matches);
                    }
                    else
                    {
                        AddCmpFlow(sub, lookupPort, matches);
                    }
                }

                break;
            case ExprType.Boolean when expr.Bool:
                Add(matches, new ExprMatch());
                break;
        }

        conjunctions = nConjs;
        return matches;
    }

    /// <summary><c>expr_match_add</c>: an equal match merges conjunctions (or drops them if either has none).</summary>
    private static void Add(List<ExprMatch> matches, ExprMatch match)
    {
        var existing = matches.FirstOrDefault(m => m.Key == match.Key);
        if (existing is null)
        {
            matches.Add(match);
            return;
        }

        if (existing.Conjunctions.Count == 0 || match.Conjunctions.Count == 0)
        {
            existing.Conjunctions.Clear();
        }
        else
        {
            existing.Conjunctions.Add(match.Conjunctions[0]);
        }
    }

    /// <summary><c>constrain_match</c>: false when a port name is unknown (that comparison can never match).</summary>
    private static bool Constrain(Expr cmp, Func<string, long?> lookupPort, ExprMatch m)
    {
        var symbol = cmp.Symbol;
        if (symbol.IsString)
        {
            if (lookupPort(cmp.Str!) is not { } port)
            {
                return false;
            }

            m.Fields[FieldName(symbol)] = new FieldMatch((UInt128)(ulong)port, uint.MaxValue);
            return true;
        }

        // Symbols that share an OpenFlow field (arp.op and rarp.op) constrain the same field.
        string name = FieldName(symbol);
        var old = m.Fields.GetValueOrDefault(name);
        m.Fields[name] = new FieldMatch((old.Value & ~cmp.Mask) | (cmp.Value & cmp.Mask), old.Mask | cmp.Mask);
        return true;
    }

    private static string FieldName(Symbol symbol) => symbol.OpenFlowField ?? symbol.Name;

    private static void AddCmpFlow(Expr cmp, Func<string, long?> lookupPort, List<ExprMatch> matches)
    {
        var m = new ExprMatch();
        if (Constrain(cmp, lookupPort, m))
        {
            Add(matches, m);
        }
    }

    private static bool AddDisjunction(Expr or, Func<string, long?> lookupPort, ExprMatch baseMatch, int clause, int clauses,
                                       int conjId, List<ExprMatch> matches)
    {
        int n = 0;
        foreach (var sub in or.Sub)
        {
            var m = baseMatch.Copy();
            if (conjId != 0)
            {
                m.Conjunctions.Add(new Conjunction(conjId, clause, clauses));
            }

            if (Constrain(sub, lookupPort, m))
            {
                Add(matches, m);
                n++;
            }
        }

        return n > 0;
    }

    private static void AddConjunction(Expr and, Func<string, long?> lookupPort, ref int nConjs, List<ExprMatch> matches)
    {
        var match = new ExprMatch();
        int clauses = 0;
        foreach (var sub in and.Sub)
        {
            if (sub.Type == ExprType.Cmp)
            {
                if (!Constrain(sub, lookupPort, match))
                {
                    return;
                }
            }
            else if (sub.Type == ExprType.Or)
            {
                clauses++;
            }
        }

        if (clauses == 0)
        {
            Add(matches, match);
        }
        else if (clauses == 1)
        {
            AddDisjunction(and.Sub.First(s => s.Type == ExprType.Or), lookupPort, match, 0, 0, 0, matches);
        }
        else
        {
            int clause = 0;
            nConjs++;
            foreach (var sub in and.Sub.Where(s => s.Type == ExprType.Or))
            {
                if (!AddDisjunction(sub, lookupPort, match, clause++, clauses, nConjs, matches))
                {
                    return;
                }
            }

            match.ConjId = nConjs;
            Add(matches, match);
        }
    }
}

/// <summary>
/// The expression half of ovn-controller's translation of a logical flow's match (controller/lflow.c with
/// lib/expr.c): parse, annotate, simplify, resolve <c>is_chassis_resident</c>, normalize, and convert to OpenFlow
/// matches over logical fields.
/// </summary>
public sealed class MatchCompiler
{
    private readonly ExprBuilder _builder;

    /// <summary>Creates a compiler; <paramref name="addressSets"/> gives an address set's addresses (null if none).</summary>
    public MatchCompiler(Func<string, IReadOnlyList<string>?> addressSets, SymbolTable? symbols = null)
    {
        _builder = new ExprBuilder(symbols ?? SymbolTable.Ovn, addressSets);
    }

    /// <summary>
    /// Compiles a match; <paramref name="isChassisResident"/> decides <c>is_chassis_resident()</c>, and
    /// <paramref name="lookupPort"/> maps a port name to its tunnel key (null: unknown, that comparison never matches).
    /// </summary>
    public IReadOnlyList<ExprMatch> Compile(string match, Func<string, bool> isChassisResident, Func<string, long?> lookupPort,
                                            out int conjunctions) =>
        Compile(match, [], isChassisResident, lookupPort, out conjunctions);

    /// <summary>
    /// Compiles a match with the prerequisites its actions add (<see cref="Actions.ActionPrerequisites"/>), ANDed in
    /// as ovn-controller does before annotating.
    /// </summary>
    public IReadOnlyList<ExprMatch> Compile(string match, IReadOnlyList<string> prerequisites, Func<string, bool> isChassisResident,
                                            Func<string, long?> lookupPort, out int conjunctions)
    {
        var expr = _builder.BuildWithPrerequisites(match, prerequisites);
        expr = ExprNormalizer.Simplify(expr);
        expr = ExprNormalizer.EvaluateConditions(expr, isChassisResident);
        expr = ExprNormalizer.Normalize(expr);
        return ExprMatches.ToMatches(expr, lookupPort, out conjunctions);
    }

    /// <summary>The annotated, simplified and normalized expression, for tests and traces.</summary>
    internal string Normalized(string match, Func<string, bool> isChassisResident)
    {
        var expr = _builder.Build(match);
        expr = ExprNormalizer.Simplify(expr);
        expr = ExprNormalizer.EvaluateConditions(expr, isChassisResident);
        return ExprNormalizer.Normalize(expr).ToString();
    }
}
