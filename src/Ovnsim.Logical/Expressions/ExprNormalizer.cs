using Ovnsim.Logical.Match;
using Ovnsim.Logical.Symbols;

namespace Ovnsim.Logical.Expressions;

/// <summary>
/// lib/expr.c's <c>expr_simplify</c> (only equality tests remain: != becomes an OR of single-bit tests, &lt; and &gt;
/// ORs of masked values), <c>expr_evaluate_condition</c> (<c>is_chassis_resident</c> resolved) and
/// <c>expr_normalize</c> (an OR of ANDs whose clauses are a comparison or an OR of comparisons on one field, with
/// comparisons on one field crushed together).
/// </summary>
internal static class ExprNormalizer
{
    /// <summary><c>expr_simplify</c>.</summary>
    public static Expr Simplify(Expr expr)
    {
        switch (expr.Type)
        {
            case ExprType.Cmp:
                if (expr.Symbol.IsString)
                {
                    return expr;
                }

                return expr.Relop switch
                {
                    Relop.Eq => expr.Mask == 0 ? Expr.Boolean(true) : expr,
                    Relop.Ne => SimplifyNe(expr),
                    _ => SimplifyRelational(expr),
                };
            case ExprType.And or ExprType.Or:
                for (int i = 0; i < expr.Sub.Count;)
                {
                    var sub = expr.Sub[i];
                    expr.Sub.RemoveAt(i);
                    int before = expr.Sub.Count;
                    expr.Insert(i, Simplify(sub));
                    i += expr.Sub.Count - before;
                }

                return Expr.Fix(expr);
            default:
                return expr;
        }
    }

    private static bool Bit(UInt128 v, int i) => ((v >> i) & 1) != 0;

    /// <summary><c>expr_simplify_ne</c>: one single-bit inequality per mask bit, ORed.</summary>
    private static Expr SimplifyNe(Expr expr)
    {
        Expr? result = null;
        int w = expr.Symbol.Width;
        for (int i = 0; i < w; i++)
        {
            if (!Bit(expr.Mask, i))
            {
                continue;
            }

            var e = Expr.Cmp(expr.Symbol, Relop.Eq, Bit(expr.Value, i) ? 0 : UInt128.One << i, UInt128.One << i);
            result = Expr.Combine(ExprType.Or, result, e);
        }

        return result ?? Expr.Boolean(false);
    }

    /// <summary><c>expr_simplify_relational</c>.</summary>
    private static Expr SimplifyRelational(Expr expr)
    {
        int w = expr.Symbol.Width;
        int start = 0;
        while (start < w && !Bit(expr.Mask, start))
        {
            start++;
        }

        int end = start;
        while (end < w && Bit(expr.Mask, end))
        {
            end++;
        }

        bool lt = expr.Relop is Relop.Lt or Relop.Le;
        bool eq = expr.Relop is Relop.Le or Relop.Ge;
        int Scan(bool target, int from)
        {
            for (int i = from; i < end; i++)
            {
                if (Bit(expr.Value, i) == target)
                {
                    return i;
                }
            }

            return end;
        }

        if (Scan(!lt, start) == end)
        {
            return eq ? Expr.Boolean(true) : SimplifyNe(expr);
        }

        Expr? result = null;
        if (eq)
        {
            var copy = expr.Clone();
            copy.Relop = Relop.Eq;
            result = copy;
        }

        for (int z = Scan(lt, start); z < end; z = Scan(lt, z + 1))
        {
            var e = expr.Clone();
            e.Relop = Relop.Eq;
            e.Value ^= UInt128.One << z;
            UInt128 low = ExprBuilder.Ones(z - start) << start;
            e.Value &= ~low;
            e.Mask &= ~low;
            result = Expr.Combine(ExprType.Or, result, e);
        }

        return result ?? Expr.Boolean(false);
    }

    /// <summary><c>expr_evaluate_condition</c>.</summary>
    public static Expr EvaluateConditions(Expr expr, Func<string, bool> isChassisResident)
    {
        switch (expr.Type)
        {
            case ExprType.And or ExprType.Or:
                for (int i = 0; i < expr.Sub.Count;)
                {
                    var sub = expr.Sub[i];
                    expr.Sub.RemoveAt(i);
                    var e = Expr.Fix(EvaluateConditions(sub, isChassisResident));
                    int before = expr.Sub.Count;
                    expr.Insert(i, e);
                    i += expr.Sub.Count - before;
                }

                return Expr.Fix(expr);
            case ExprType.Condition:
                return Expr.Boolean(isChassisResident(expr.Str!) ^ expr.CondNot);
            default:
                return expr;
        }
    }

    /// <summary><c>expr_normalize</c>.</summary>
    public static Expr Normalize(Expr expr) => expr.Type switch
    {
        ExprType.And => NormalizeAnd(expr),
        ExprType.Or => NormalizeOr(expr),
        _ => expr,
    };

    /// <summary><c>mf_subvalue_intersect</c>: false when the two disagree on a bit both care about.</summary>
    private static bool Intersect(UInt128 av, UInt128 am, UInt128 bv, UInt128 bm, out UInt128 value, out UInt128 mask)
    {
        value = av | bv;
        mask = am | bm;
        return ((av ^ bv) & am & bm) == 0;
    }

    private static int CompareCmps(Expr a, Expr b)
    {
        if (a.Symbol.IsString)
        {
            return string.CompareOrdinal(a.Str, b.Str);
        }

        int d = a.Value.CompareTo(b.Value);
        return d != 0 ? d : a.Mask.CompareTo(b.Mask);
    }

    private static Expr CrushCmps(Expr expr, Symbol symbol) => expr.Type switch
    {
        ExprType.Or => CrushOr(expr, symbol),
        ExprType.And => symbol.IsString ? CrushAndString(expr, symbol) : CrushAndNumeric(expr, symbol),
        _ => expr,
    };

    private static Expr CrushOr(Expr expr, Symbol symbol)
    {
        for (int i = 0; i < expr.Sub.Count;)
        {
            var sub = expr.Sub[i];
            expr.Sub.RemoveAt(i);
            int before = expr.Sub.Count;
            expr.Insert(i, CrushCmps(sub, symbol));
            i += expr.Sub.Count - before;
        }

        expr = Expr.Fix(expr);
        if (expr.Type != ExprType.Or)
        {
            return expr;
        }

        // qsort by value and mask (glibc's merge sort is stable), then drop duplicates.
        var sorted = expr.Sub.OrderBy(x => x, Comparer<Expr>.Create(CompareCmps)).ToList();
        expr.Sub.Clear();
        expr.Sub.Add(sorted[0]);
        for (int i = 1; i < sorted.Count; i++)
        {
            if (CompareCmps(expr.Sub[^1], sorted[i]) != 0)
            {
                expr.Sub.Add(sorted[i]);
            }
            else
            {
                expr.AsName = null;
            }
        }

        return Expr.Fix(expr);
    }

    private static Expr CrushAndString(Expr expr, Symbol symbol)
    {
        Expr? singleton = null;
        var kept = new List<Expr>();
        foreach (var sub in expr.Sub.ToList())
        {
            var crushed = CrushCmps(sub, symbol);
            switch (crushed.Type)
            {
                case ExprType.Cmp:
                    if (singleton is null)
                    {
                        singleton = crushed;
                        kept.Add(crushed);
                    }
                    else if (crushed.Str != singleton.Str)
                    {
                        return Expr.Boolean(false);
                    }

                    break;
                case ExprType.Or:
                    kept.Add(crushed);
                    break;
                case ExprType.Boolean:
                    if (!crushed.Bool)
                    {
                        return crushed;
                    }

                    break;
            }
        }

        if (singleton is not null)
        {
            foreach (var k in kept.Where(k => k.Type == ExprType.Or))
            {
                if (!k.Sub.Any(s => s.Str == singleton.Str))
                {
                    return Expr.Boolean(false);
                }
            }

            return singleton;
        }

        // The intersection of the ORs' strings, in the sset's hash order.
        HashSet<string>? result = null;
        var order = new List<string>();
        foreach (var k in kept)
        {
            var strings = k.Sub.Select(s => s.Str!).ToList();
            if (result is null)
            {
                result = [.. strings];
                order = strings.Distinct().ToList();
            }
            else
            {
                result.IntersectWith(strings);
            }

            if (result.Count == 0)
            {
                return Expr.Boolean(false);
            }
        }

        var or = Expr.AndOr(ExprType.Or);
        foreach (string s in Ovsdb.Ordering.OvsHmap.Order(order.Where(result!.Contains).ToList(), x => Ovsdb.Ordering.OvsHash.String(x)))
        {
            or.Sub.Add(Expr.CmpString(symbol, Relop.Eq, s));
        }

        return Expr.Fix(or);
    }

    private static Expr CrushAndNumeric(Expr expr, Symbol symbol)
    {
        UInt128 value = 0, mask = 0;
        var ors = new List<Expr>();
        foreach (var sub in expr.Sub.ToList())
        {
            var crushed = CrushCmps(sub, symbol);
            switch (crushed.Type)
            {
                case ExprType.Cmp:
                    if (!Intersect(value, mask, crushed.Value, crushed.Mask, out value, out mask))
                    {
                        return Expr.Boolean(false);
                    }

                    break;
                case ExprType.Or:
                    ors.Add(crushed);
                    break;
                case ExprType.Boolean:
                    if (!crushed.Bool)
                    {
                        return crushed;
                    }

                    break;
            }
        }

        if (ors.Count == 0)
        {
            return mask == 0 ? Expr.Boolean(true) : Expr.Cmp(symbol, Relop.Eq, value, mask);
        }

        if (ors.Count == 1)
        {
            var or = Expr.AndOr(ExprType.Or);
            foreach (var sub in ors[0].Sub)
            {
                if (Intersect(value, mask, sub.Value, sub.Mask, out var v, out var m))
                {
                    sub.Value = v;
                    sub.Mask = m;
                    or.Sub.Add(sub);
                }
            }

            return or.Sub.Count switch
            {
                0 => Expr.Boolean(false),
                1 => or.Sub[0],
                _ => CrushCmps(or, symbol),
            };
        }

        var @as = ors[0];
        var bs = ors[1];
        var rest = ors.Skip(2).ToList();
        var product = Expr.AndOr(ExprType.Or);
        foreach (var a in @as.Sub)
        {
            if (!Intersect(value, mask, a.Value, a.Mask, out var av, out var am))
            {
                continue;
            }

            foreach (var b in bs.Sub)
            {
                if (Intersect(av, am, b.Value, b.Mask, out var v, out var m))
                {
                    product.Sub.Add(Expr.Cmp(symbol, Relop.Eq, v, m));
                }
            }
        }

        if (product.Sub.Count == 0)
        {
            return Expr.Boolean(false);
        }

        Expr remaining = Expr.AndOr(ExprType.And);
        remaining.Sub.AddRange(rest);
        if (product.Sub.Count == 1)
        {
            var cmp = product.Sub[0];
            return rest.Count == 0 ? CrushCmps(cmp, symbol) : CrushCmps(Expr.Combine(ExprType.And, cmp, remaining)!, symbol);
        }

        return rest.Count > 0 ? CrushCmps(Expr.Combine(ExprType.And, product, remaining)!, symbol) : CrushCmps(product, symbol);
    }

    /// <summary><c>expr_sort</c>: groups an AND's terms by symbol (stable) and crushes each group.</summary>
    private static Expr Sort(Expr expr)
    {
        var subs = expr.Sub.Select(s =>
        {
            var symbol = s.UniqueSymbol();
            return (Expr: s, Symbol: symbol, Type: symbol is not null ? ExprType.Cmp : s.Type);
        }).ToList();

        // compare_expr_sort: by kind; among single-symbol terms by symbol name (its tie-break compares a with itself,
        // so ties keep their order); among ANDs/ORs by size.
        subs = [.. subs.OrderBy(x => x, Comparer<(Expr Expr, Symbol? Symbol, ExprType Type)>.Create((a, b) =>
        {
            if (a.Type != b.Type)
            {
                return a.Type.CompareTo(b.Type);
            }

            if (a.Symbol is not null)
            {
                return string.CompareOrdinal(a.Symbol.Name, b.Symbol!.Name);
            }

            return a.Type is ExprType.And or ExprType.Or ? a.Expr.Sub.Count.CompareTo(b.Expr.Sub.Count) : 0;
        }))];

        Expr? result = null;
        for (int i = 0; i < subs.Count;)
        {
            if (subs[i].Symbol is { } symbol)
            {
                int j = i + 1;
                while (j < subs.Count && subs[j].Symbol == symbol)
                {
                    j++;
                }

                Expr crushed;
                if (j == i + 1)
                {
                    crushed = CrushCmps(subs[i].Expr, symbol);
                }
                else
                {
                    Expr combined = subs[i].Expr;
                    for (int k = i + 1; k < j; k++)
                    {
                        combined = Expr.Combine(ExprType.And, combined, subs[k].Expr)!;
                    }

                    crushed = CrushCmps(combined, symbol);
                }

                if (crushed.Type == ExprType.Boolean)
                {
                    if (!crushed.Bool)
                    {
                        return crushed;
                    }
                }
                else
                {
                    result = Expr.Combine(ExprType.And, result, crushed);
                }

                i = j;
            }
            else
            {
                result = Expr.Combine(ExprType.And, result, subs[i++].Expr);
            }
        }

        return result ?? Expr.Boolean(true);
    }

    /// <summary><c>expr_normalize_and</c>.</summary>
    private static Expr NormalizeAnd(Expr expr)
    {
        expr = Sort(expr);
        if (expr.Type != ExprType.And)
        {
            return expr;
        }

        for (int i = 0; i + 1 < expr.Sub.Count;)
        {
            var a = expr.Sub[i];
            var b = expr.Sub[i + 1];
            if (a.Type != ExprType.Cmp || b.Type != ExprType.Cmp || a.Symbol != b.Symbol)
            {
                i++;
                continue;
            }

            if (a.Symbol.IsString ? a.Str == b.Str : Intersect(a.Value, a.Mask, b.Value, b.Mask, out var v, out var m) && Assign(b, v, m))
            {
                expr.Sub.RemoveAt(i);
            }
            else
            {
                return Expr.Boolean(false);
            }
        }

        if (expr.Sub.Count == 1)
        {
            return expr.Sub[0];
        }

        foreach (var sub in expr.Sub)
        {
            if (sub.Type is ExprType.Cmp or ExprType.Condition)
            {
                continue;
            }

            var symbol = sub.UniqueSymbol();
            if (symbol is null || symbol.MustCrossproduct)
            {
                var or = Expr.AndOr(ExprType.Or);
                foreach (var k in sub.Sub)
                {
                    var and = Expr.AndOr(ExprType.And);
                    foreach (var m in expr.Sub)
                    {
                        var term = m == sub ? k : m;
                        if (term.Type == ExprType.And)
                        {
                            and.Sub.AddRange(term.Sub.Select(p => p.Clone()));
                        }
                        else
                        {
                            and.Sub.Add(term.Clone());
                        }
                    }

                    or.Sub.Add(and);
                }

                return NormalizeOr(or);
            }
        }

        return expr;

        static bool Assign(Expr target, UInt128 value, UInt128 mask)
        {
            target.Value = value;
            target.Mask = mask;
            return true;
        }
    }

    /// <summary><c>expr_normalize_or</c>.</summary>
    private static Expr NormalizeOr(Expr expr)
    {
        for (int i = 0; i < expr.Sub.Count;)
        {
            var sub = expr.Sub[i];
            if (sub.Type != ExprType.And)
            {
                i++;
                continue;
            }

            expr.Sub.RemoveAt(i);
            var normalized = NormalizeAnd(sub);
            if (normalized.Type == ExprType.Boolean)
            {
                if (normalized.Bool)
                {
                    return normalized;
                }

                continue;
            }

            int before = expr.Sub.Count;
            expr.Insert(i, normalized);
            i += expr.Sub.Count - before;
        }

        return expr.Sub.Count switch
        {
            0 => Expr.Boolean(false),
            1 => expr.Sub[0],
            _ => expr,
        };
    }
}
