package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Quantified comparisons with a subquery used as a value (x IN (S) in a
// select list or under OR, x op ANY/ALL (S)) and correlated EXISTS used as
// a value. The subquery S is uncorrelated; its size and NULL count are
// init plans, and SQL's three-valued answers follow from them:
//
//   - x op ANY (S), op an ordering: compare x with min(S) (> and >=) or
//     max(S) (< and <=); ALL the other way round; an empty S gives false
//     (ANY) or true (ALL); a failed comparison is NULL when S has NULLs.
//   - x = ANY (S) (IN): membership is a single join against the distinct
//     non-NULL values of S; a miss is NULL when x is NULL or S has NULLs.
//     x <> ALL (S) is its negation (NOT IN).
//   - x = ALL (S) holds when x equals both min(S) and max(S); x <> ANY (S)
//     is its negation.

func (b *binder) quantified(sl *pg_query.SubLink, s *scope) *plan.Expr {
	op := "="
	if len(sl.OperName) > 0 {
		op = opName(sl.OperName)
	}
	if op == "!=" {
		op = "<>"
	}
	all := sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
	lhs := b.expr(sl.Testexpr, s, catalog.TypeUnknown)
	bs := b.bindSub(sl.Subselect, s, subIn)
	if bs.correlated() {
		failf(sqlerr.FeatureNotSupported, "a correlated subquery with IN, ANY or ALL is only supported as a WHERE condition")
	}
	S := bs.q.Plan
	ct := bs.q.Columns[0].Type
	if lhs.Type.Kind == catalog.Unknown {
		lhs = coerce(lhs, ct)
	}
	col := plan.Col(0, ct)
	agg := func(fn string, t catalog.Type, arg *plan.Expr) *plan.Expr {
		a := &plan.Aggregate{Input: S, Phase: plan.Complete, Aggs: []*plan.AggCall{{Func: fn, Arg: arg, Type: t}}}
		return &plan.Expr{Kind: plan.Subquery, Type: t, Sub: a}
	}
	cnt := agg("count", catalog.TypeInt8, nil)
	nn := agg("count", catalog.TypeInt8, col)
	zero := plan.ConstOf(catalog.TypeInt8, plan.Datum{})
	empty := plan.CallOf("=", catalog.TypeBool, cnt, zero)
	hasNulls := plan.CallOf("<", catalog.TypeBool, nn, cnt)
	t, f := boolConst(true), boolConst(false)
	null := plan.NullOf(catalog.TypeBool)
	caseOf := func(args ...*plan.Expr) *plan.Expr {
		return &plan.Expr{Kind: plan.Case, Type: catalog.TypeBool, Args: args, Else: len(args)%2 == 1}
	}
	not := func(e *plan.Expr) *plan.Expr { return plan.CallOf("not", catalog.TypeBool, e) }
	minmax := func(fn string) *plan.Expr { return agg(fn, ct, col) }
	switch {
	case op == "<" || op == "<=" || op == ">" || op == ">=":
		greater := op[0] == '>'
		fn := "min"
		if greater == all {
			fn = "max"
		}
		cmp := binaryOp(op, lhs, minmax(fn))
		if all {
			return caseOf(empty, t, not(cmp), f, hasNulls, null, cmp)
		}
		return caseOf(empty, f, cmp, t, hasNulls, null, cmp)
	case (op == "=" && !all) || (op == "<>" && all):
		in := b.membership(lhs, S, ct, s)
		val := caseOf(in, t, empty, f, plan.CallOf("or", catalog.TypeBool, plan.CallOf("isnull", catalog.TypeBool, lhs), hasNulls), null, f)
		if op == "<>" {
			return not(val)
		}
		return val
	case (op == "=" && all) || (op == "<>" && !all):
		eq := plan.CallOf("and", catalog.TypeBool, binaryOp("=", lhs, minmax("min")), binaryOp("=", lhs, minmax("max")))
		val := caseOf(empty, t, not(eq), f, hasNulls, null, eq)
		if op == "<>" {
			return not(val)
		}
		return val
	}
	failf(sqlerr.FeatureNotSupported, "operator %s with ANY/ALL (subquery) is not supported yet", op)
	return nil
}

func boolConst(v bool) *plan.Expr { return plan.ConstOf(catalog.TypeBool, plan.Datum{B: v}) }

// membership joins the current block with the distinct non-NULL values of
// S (one column of type ct) on lhs = value, and returns whether the row
// found its value (never NULL).
func (b *binder) membership(lhs *plan.Expr, S plan.Node, ct catalog.Type, s *scope) *plan.Expr {
	if b.qb == nil {
		failf(sqlerr.FeatureNotSupported, "IN (subquery) is not supported here")
	}
	col := plan.Col(0, ct)
	distinct := &plan.Aggregate{Input: &plan.Filter{Input: S, Pred: plan.CallOf("isnotnull", catalog.TypeBool, col)}, Groups: []*plan.Expr{col}, Phase: plan.Complete}
	sub := &Query{Plan: &plan.Project{Input: distinct, Exprs: []*plan.Expr{col, boolConst(true)}},
		Columns: []OutputColumn{{Name: "?column?", Type: ct}, {Name: "?column?", Type: catalog.TypeBool}}}
	ids := b.newIDs(2)
	b.addRange(b.qb, &rangeEntry{sub: sub, ids: ids}, 2)
	cond := binaryOp("=", lhs, plan.Col(ids[0], ct))
	b.qb.subJoins = append(b.qb.subJoins, &subJoin{kind: plan.SingleJoin, rng: len(b.qb.ranges) - 1,
		conds: []*plan.Expr{cond}, postAgg: s.agg != nil && !s.agg.inAgg})
	return plan.CallOf("isnotnull", catalog.TypeBool, plan.Col(ids[1], catalog.TypeBool))
}

// existsValue is a correlated EXISTS used as a value: a single join with
// the distinct correlation values of the subquery (its conditions on the
// enclosing block must be equalities with its own columns), true where a
// row found one.
func (b *binder) existsValue(bs *boundSub, s *scope) *plan.Expr {
	c := bs.corr
	if b.qb == nil {
		failf(sqlerr.FeatureNotSupported, "a correlated EXISTS is not supported here")
	}
	inner := map[int]bool{}
	for _, id := range c.outIDs {
		inner[id] = true
	}
	for _, h := range c.hoisted {
		ok := h.Kind == plan.Call && h.Op == "=" && len(h.Args) == 2
		if ok {
			a, x := h.Args[0], h.Args[1]
			ok = (innerCol(a, inner) && !refsIDs(x, inner)) || (innerCol(x, inner) && !refsIDs(a, inner))
		}
		if !ok {
			failf(sqlerr.FeatureNotSupported, "a correlated EXISTS used as a value needs equality conditions on the subquery's columns")
		}
	}
	var groups []*plan.Expr
	for i, t := range bs.q.Plan.Types() {
		groups = append(groups, plan.Col(i, t))
	}
	outs := append([]*plan.Expr(nil), groups...)
	outs = append(outs, boolConst(true))
	sub := &Query{Plan: &plan.Project{Input: &plan.Aggregate{Input: bs.q.Plan, Groups: groups, Phase: plan.Complete}, Exprs: outs}}
	for _, e := range outs {
		sub.Columns = append(sub.Columns, OutputColumn{Name: "?column?", Type: e.Type})
	}
	// The plan's outputs: the correlation columns (ids c.outIDs), then the
	// marker.
	marker := b.newIDs(1)[0]
	ids := append(append([]int(nil), c.outIDs...), marker)
	b.addRange(b.qb, &rangeEntry{sub: sub, ids: ids}, len(ids))
	b.qb.subJoins = append(b.qb.subJoins, &subJoin{kind: plan.SingleJoin, rng: len(b.qb.ranges) - 1,
		conds: c.hoisted, postAgg: s.agg != nil && !s.agg.inAgg})
	return plan.CallOf("isnotnull", catalog.TypeBool, plan.Col(marker, catalog.TypeBool))
}

func refsIDs(e *plan.Expr, ids map[int]bool) bool {
	found := false
	forRefs(e, func(r *plan.Expr) {
		if ids[r.Col] {
			found = true
		}
	})
	return found
}

// innerCol reports whether e is one of the columns ids, maybe widened by a
// cast between integer types (which keeps distinct values distinct).
func innerCol(e *plan.Expr, ids map[int]bool) bool {
	if e.Kind == plan.Cast && e.Type.IsInteger() && e.Args[0].Type.IsInteger() {
		e = e.Args[0]
	}
	return e.Kind == plan.ColumnRef && ids[e.Col]
}
