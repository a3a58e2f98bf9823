package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Subqueries are never run once per outer row. Each becomes one of:
//
//   - an init plan (plan.Subquery): an uncorrelated scalar subquery, or an
//     uncorrelated EXISTS, runs once before the query and becomes a
//     constant;
//   - a join of the enclosing query block with the decorrelated subquery:
//     EXISTS / IN among the WHERE conjuncts → semi join, NOT EXISTS → anti
//     join, NOT IN → null-aware anti join, a correlated scalar subquery →
//     single join whose value column replaces the subquery.
//
// Decorrelation: the WHERE conjuncts of the subquery that reference
// columns of the enclosing block are pulled out of it and become the
// join's condition; the subquery outputs the inner columns they use. When
// the subquery aggregates, each pulled-out conjunct must be an equality
// between an inner and an outer expression, and the inner expression
// becomes a grouping key (one group per correlation value). A scalar
// aggregate over no rows still yields a row (count = 0), which the grouped
// form cannot: the subquery then also outputs a constant TRUE, and a NULL
// there (no group matched) selects the aggregate's value over no rows.

type subMode uint8

const (
	subExists subMode = iota
	subIn
	subScalar
)

// correlation collects, while a subquery is bound, what its decorrelation
// needs; see query() and finish.
type correlation struct {
	mode subMode
	// hoisted are the pulled-out conjuncts (over outer ids and outIDs).
	hoisted []*plan.Expr
	// nvisible is the number of the subquery's own output columns; the
	// marker (if any) and the correlation outputs follow.
	nvisible int
	// marker is set when a constant TRUE column follows the visible ones.
	marker bool
	// emptyVal is the first output's value over no rows (with marker).
	emptyVal *plan.Expr
	// outIDs are the ids, at the enclosing level, of the outputs after the
	// visible ones and the marker.
	outIDs []int
	// dropAgg tells the block to ignore its aggregation (a correlated
	// EXISTS over GROUP BY without HAVING: rows exist iff groups do).
	dropAgg bool
	// dropLimit tells the block to ignore its LIMIT; with firstPerKey it
	// keeps the first row (in its ORDER BY) per correlation value instead.
	dropLimit, firstPerKey bool
	// lifted is a scalar subquery's value computed by the enclosing block
	// (it mixes aggregates with outer columns); the subquery outputs the
	// aggregates liftedAggs (ids of its block) instead.
	lifted     *plan.Expr
	liftedAggs []int
	// domain is set for a scalar aggregate correlated by conditions other
	// than equalities (see domainOutputs).
	domain *domainAgg
}

// domainAgg describes a scalar aggregate subquery correlated by arbitrary
// conditions, decorrelated through the domain of its outer values: the
// subquery block outputs its rows unaggregated (the aggregates' arguments,
// then the columns the conditions read), and where the enclosing block
// joins it, the distinct outer values D are joined with those rows on the
// conditions and aggregated per value of D; each outer row then finds its
// aggregate by its values (a value without matching rows gets the
// aggregates over no rows, through the marker as for grouped subqueries).
type domainAgg struct {
	calls []*plan.AggCall // over the subquery's outputs: Arg is Col(k) of output k
	value *plan.Expr      // over the block's aggregate ids (aggIDBase+i)
}

// domainOutputs shapes a subquery for domain decorrelation: the block
// outputs each aggregate's argument and the inner columns of the hoisted
// conditions, and aggregates nothing.
func (c *correlation) domainOutputs(b *binder, qb *queryBlock, value *plan.Expr, agg *aggContext, hoisted []*plan.Expr) ([]*plan.Expr, []OutputColumn, []*plan.Expr) {
	d := &domainAgg{value: value}
	var targets []*plan.Expr
	var cols []OutputColumn
	for _, call := range agg.calls {
		if call.Distinct {
			failf(sqlerr.FeatureNotSupported, "DISTINCT aggregates in a subquery correlated by non-equality conditions are not supported yet")
		}
		nc := *call
		output := func(e *plan.Expr) *plan.Expr {
			targets = append(targets, e)
			cols = append(cols, OutputColumn{Name: "?column?", Type: e.Type})
			return plan.Col(len(targets)-1, e.Type)
		}
		switch {
		case call.Func == "string_agg" && call.Arg != nil:
			// string_agg(value, delimiter, order keys…): each argument
			// (each key inside its order call) is an output.
			sa := *call.Arg
			sa.Args = make([]*plan.Expr, len(call.Arg.Args))
			for i, a := range call.Arg.Args {
				if i < 2 {
					sa.Args[i] = output(a)
					continue
				}
				k := *a
				k.Args = []*plan.Expr{output(a.Args[0])}
				sa.Args[i] = &k
			}
			nc.Arg = &sa
		case call.Arg != nil:
			nc.Arg = output(call.Arg)
		}
		d.calls = append(d.calls, &nc)
	}
	c.domain = d
	c.dropAgg = true
	c.emptyVal = substituteEmptyAggs(value, agg.calls)
	c.marker = !definitelyNull(c.emptyVal)
	c.nvisible = len(targets)
	seen := map[int]bool{}
	for _, h := range hoisted {
		forRefs(h, func(r *plan.Expr) {
			if owns(qb, r.Col) && !seen[r.Col] {
				seen[r.Col] = true
				targets = append(targets, plan.Col(r.Col, r.Type))
				cols = append(cols, OutputColumn{Name: "?column?", Type: r.Type})
				c.outIDs = append(c.outIDs, r.Col)
			}
		})
	}
	c.hoisted = hoisted
	return targets, cols, nil
}

// subJoin is a WHERE subquery joined with the query block.
type subJoin struct {
	kind  plan.JoinKind
	rng   int
	conds []*plan.Expr
	done  bool
	// postAgg marks a subquery in a select list, HAVING or ORDER BY: in an
	// aggregated block it joins the aggregate's output (its outer
	// references must be grouping expressions), else the FROM tree.
	postAgg bool
	// domain, with the ids of its per-value outputs (the aggregates, then
	// the marker), makes it a domain-decorrelated aggregate (joinDomain).
	domain    *domainAgg
	domainOut []int
}

// owns reports whether id is a column of the block (a FROM item, a
// subquery joined to it, or an aggregate or grouping output).
func owns(qb *queryBlock, id int) bool {
	if id >= aggIDBase || qb.srfIDs[id] {
		return true
	}
	_, ok := qb.rangeOf(id)
	return ok
}

func foreign(qb *queryBlock, e *plan.Expr) bool {
	ids := map[int]bool{}
	collectIDs(e, ids)
	for id := range ids {
		if !owns(qb, id) {
			return true
		}
	}
	return false
}

// split separates the WHERE conjuncts that reference enclosing blocks.
func (c *correlation) split(qb *queryBlock, where []*plan.Expr) (keep, hoisted []*plan.Expr) {
	for _, e := range where {
		if foreign(qb, e) {
			hoisted = append(hoisted, e)
		} else {
			keep = append(keep, e)
		}
	}
	return keep, hoisted
}

// finish shapes a decorrelated subquery's outputs: it returns the targets
// (the visible ones, then the marker and the correlation outputs) and the
// grouping keys, and rewrites the hoisted conjuncts over the outputs' ids.
func (c *correlation) finish(b *binder, qb *queryBlock, sel *pg_query.SelectStmt, targets []*plan.Expr, cols []OutputColumn, groups []*plan.Expr, agg *aggContext, having *plan.Expr, hoisted []*plan.Expr) ([]*plan.Expr, []OutputColumn, []*plan.Expr) {
	aggregated := len(agg.calls) > 0 || len(groups) > 0 || having != nil
	if c.mode == subScalar && aggregated && len(groups) == 0 && having == nil && len(targets) == 1 && foreign(qb, targets[0]) && len(hoisted) > 0 {
		// The value mixes the aggregates with outer columns (max(x) -
		// outer.y): the subquery outputs the aggregates, the enclosing
		// block computes the value.
		c.lifted = targets[0]
		targets, cols = nil, nil
		forRefs(c.lifted, func(r *plan.Expr) {
			if r.Col >= aggIDBase && r.Col < groupIDBase && !containsExpr(targets, r) {
				targets = append(targets, plan.Col(r.Col, r.Type))
				cols = append(cols, OutputColumn{Name: "?column?", Type: r.Type})
				c.liftedAggs = append(c.liftedAggs, r.Col)
			}
		})
		if len(targets) == 0 {
			failf(sqlerr.FeatureNotSupported, "a correlated reference outside the WHERE clause of a subquery is not supported yet")
		}
	}
	for _, e := range append(append(append([]*plan.Expr(nil), targets...), groups...), having) {
		if e != nil && foreign(qb, e) {
			failf(sqlerr.FeatureNotSupported, "a correlated reference outside the WHERE clause of a subquery is not supported yet")
		}
	}
	if c.mode == subExists {
		if len(hoisted) > 0 && aggregated {
			switch {
			case len(groups) == 0 && having == nil:
				// An aggregate without GROUP BY always yields a row.
				hoisted = nil
			case having == nil:
				// Groups exist exactly where rows do: the aggregation does
				// not change the answer.
				c.dropAgg, aggregated, groups = true, false, nil
			case len(groups) == 0 && !falseOverNoRows(substituteEmptyAggs(having, agg.calls)):
				failf(sqlerr.FeatureNotSupported, "a correlated EXISTS over an aggregate whose HAVING may hold over no rows is not supported yet")
			}
		}
		targets, cols = nil, nil
		if len(hoisted) == 0 {
			targets = []*plan.Expr{plan.ConstOf(catalog.TypeBool, plan.Datum{B: true})}
			cols = []OutputColumn{{Name: "?column?", Type: catalog.TypeBool}}
		}
	}
	c.nvisible = len(targets)
	if len(hoisted) == 0 {
		return targets, cols, groups
	}
	if sel.LimitCount != nil || sel.LimitOffset != nil {
		count := int64(-1)
		if sel.LimitCount != nil {
			count = b.limitValue(sel.LimitCount, "LIMIT", -1)
		}
		switch {
		case sel.LimitOffset != nil:
			failf(sqlerr.FeatureNotSupported, "OFFSET in a correlated subquery is not supported yet")
		case c.mode == subExists && count != 0:
			// EXISTS asks for one row: a positive LIMIT changes nothing.
			c.dropLimit = true
		case c.mode == subScalar && count == 1 && !aggregated:
			// The first row per correlation value: DISTINCT ON the
			// correlation columns, ordered as the subquery orders.
			c.dropLimit, c.firstPerKey = true, true
		default:
			failf(sqlerr.FeatureNotSupported, "LIMIT in a correlated subquery is not supported yet")
		}
	}
	extra := func(e *plan.Expr, id int) {
		targets = append(targets, e)
		cols = append(cols, OutputColumn{Name: "?column?", Type: e.Type})
		c.outIDs = append(c.outIDs, id)
	}
	if !aggregated {
		// Output the inner columns the hoisted conjuncts read, under their
		// own ids.
		seen := map[int]bool{}
		for _, h := range hoisted {
			forRefs(h, func(r *plan.Expr) {
				if owns(qb, r.Col) && !seen[r.Col] {
					seen[r.Col] = true
					extra(plan.Col(r.Col, r.Type), r.Col)
				}
			})
		}
		c.hoisted = hoisted
		if c.firstPerKey {
			out := map[int]bool{}
			for _, id := range c.outIDs {
				out[id] = true
			}
			for _, h := range hoisted {
				ok := h.Kind == plan.Call && h.Op == "=" && len(h.Args) == 2 &&
					((innerCol(h.Args[0], out) && !refsIDs(h.Args[1], out)) || (innerCol(h.Args[1], out) && !refsIDs(h.Args[0], out)))
				if !ok {
					failf(sqlerr.FeatureNotSupported, "LIMIT in a correlated subquery needs equality conditions on its columns")
				}
			}
		}
		return targets, cols, groups
	}
	if having != nil && c.mode != subExists {
		failf(sqlerr.FeatureNotSupported, "HAVING in a correlated subquery is not supported yet")
	}
	allEqual := true
	for _, h := range hoisted {
		if _, _, ok := splitEquality(qb, h); !ok {
			allEqual = false
		}
	}
	if !allEqual && c.mode == subScalar && len(groups) == 0 && c.lifted == nil && len(targets) == 1 {
		return c.domainOutputs(b, qb, targets[0], agg, hoisted)
	}
	if len(groups) == 0 && c.mode == subScalar {
		value := targets[0]
		if c.lifted != nil {
			value = c.lifted
		}
		c.emptyVal = substituteEmptyAggs(value, agg.calls)
		if !definitelyNull(c.emptyVal) {
			c.marker = true
			targets = append(targets, plan.ConstOf(catalog.TypeBool, plan.Datum{B: true}))
			cols = append(cols, OutputColumn{Name: "?column?", Type: catalog.TypeBool})
		}
	}
	for _, h := range hoisted {
		inner, outer, ok := splitEquality(qb, h)
		if !ok {
			failf(sqlerr.FeatureNotSupported, "a correlated aggregate subquery needs equality conditions on the outer columns")
		}
		groups = append(groups, inner)
		id := b.newIDs(1)[0]
		extra(inner, id)
		c.hoisted = append(c.hoisted, plan.CallOf("=", catalog.TypeBool, plan.Col(id, inner.Type), outer))
	}
	return targets, cols, groups
}

// splitEquality splits inner = outer (either order).
func splitEquality(qb *queryBlock, e *plan.Expr) (inner, outer *plan.Expr, ok bool) {
	if e.Kind != plan.Call || e.Op != "=" {
		return nil, nil, false
	}
	a, b := e.Args[0], e.Args[1]
	fa, fb := foreign(qb, a), foreign(qb, b)
	local := func(x *plan.Expr) bool {
		ids := map[int]bool{}
		collectIDs(x, ids)
		for id := range ids {
			if !owns(qb, id) {
				return false
			}
		}
		return len(ids) > 0
	}
	switch {
	case !fa && fb && local(a) && !refsAny(qb, b):
		return a, b, true
	case fa && !fb && local(b) && !refsAny(qb, a):
		return b, a, true
	}
	return nil, nil, false
}

// refsAny reports whether e references a column of the block.
func refsAny(qb *queryBlock, e *plan.Expr) bool {
	ids := map[int]bool{}
	collectIDs(e, ids)
	for id := range ids {
		if owns(qb, id) {
			return true
		}
	}
	return false
}

func forRefs(e *plan.Expr, f func(*plan.Expr)) {
	if e == nil {
		return
	}
	if e.Kind == plan.ColumnRef {
		f(e)
	}
	for _, a := range e.Args {
		forRefs(a, f)
	}
}

// substituteEmptyAggs replaces aggregate results by their values over no
// rows: count is 0, every other aggregate NULL.
func substituteEmptyAggs(e *plan.Expr, calls []*plan.AggCall) *plan.Expr {
	if e.Kind == plan.ColumnRef && e.Col >= aggIDBase && e.Col < groupIDBase {
		call := calls[e.Col-aggIDBase]
		if call.Func == "count" {
			return plan.ConstOf(e.Type, plan.Datum{})
		}
		return plan.NullOf(e.Type)
	}
	if len(e.Args) == 0 {
		return e
	}
	c := *e
	c.Args = make([]*plan.Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = substituteEmptyAggs(a, calls)
	}
	return &c
}

// definitelyNull reports whether e is NULL whatever its input: a NULL
// constant, or a strict operator or cast over such.
func definitelyNull(e *plan.Expr) bool {
	switch e.Kind {
	case plan.Const:
		return e.Value.Null
	case plan.Cast:
		return definitelyNull(e.Args[0])
	case plan.Call:
		switch e.Op {
		case "+", "-", "*", "/", "%", "neg", "=", "<>", "<", "<=", ">", ">=", "abs", "concat", "lower", "upper", "length", "substr":
			for _, a := range e.Args {
				if definitelyNull(a) {
					return true
				}
			}
		}
	}
	return false
}

// boundSub is a bound subquery: its plan outputs the visible columns, the
// marker and the correlation outputs.
type boundSub struct {
	q    *Query
	corr *correlation
}

func (bs *boundSub) correlated() bool { return len(bs.corr.hoisted) > 0 }

// bindSub binds a subquery of the current block with scope s.
func (b *binder) bindSub(n *pg_query.Node, s *scope, mode subMode) *boundSub {
	return b.bindSubN(n, s, mode, 1)
}

// bindSubN binds a subquery that must output width columns (unless EXISTS).
func (b *binder) bindSubN(n *pg_query.Node, s *scope, mode subMode, width int) *boundSub {
	sel := n.GetSelectStmt()
	if sel == nil {
		failf(sqlerr.FeatureNotSupported, "subquery form not supported yet")
	}
	cb := b.child()
	cb.corr = &correlation{mode: mode}
	q := cb.query(sel, s)
	c := cb.corr
	if c == nil {
		failf(sqlerr.Internal, "planner: subquery lost its correlation state")
	}
	if mode != subExists && c.lifted == nil && c.domain == nil && c.nvisible != width {
		if c.nvisible > width {
			failf(sqlerr.SyntaxError, "subquery must return only one column")
		}
		failf(sqlerr.SyntaxError, "subquery has too few columns")
	}
	return &boundSub{q: q, corr: c}
}

// where binds a WHERE clause into conjuncts; EXISTS, NOT EXISTS, IN and
// NOT IN subqueries among them join the query block instead.
func (b *binder) where(n *pg_query.Node, s *scope) []*plan.Expr {
	var out []*plan.Expr
	for _, c := range rawConjuncts(n) {
		if b.whereSubquery(c, s) {
			continue
		}
		out = append(out, conjuncts(boolArg(b.expr(c, s, catalog.TypeBool), "WHERE"))...)
	}
	return out
}

func rawConjuncts(n *pg_query.Node) []*pg_query.Node {
	if be := n.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range be.Args {
			out = append(out, rawConjuncts(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

// whereSubquery turns a WHERE conjunct that is [NOT] EXISTS or [NOT] IN
// over a subquery into a join, reporting whether it did.
func (b *binder) whereSubquery(n *pg_query.Node, s *scope) bool {
	negated := false
	if be := n.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_NOT_EXPR {
		negated, n = true, be.Args[0]
	}
	sl := n.GetSubLink()
	if sl == nil || b.qb == nil {
		return false
	}
	switch sl.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		bs := b.bindSub(sl.Subselect, s, subExists)
		if !bs.correlated() {
			return false // an init plan
		}
		kind := plan.SemiJoin
		if negated {
			kind = plan.AntiJoin
		}
		b.joinSub(bs, kind, nil)
		return true
	case pg_query.SubLinkType_ALL_SUBLINK:
		if opName(sl.OperName) == "<>" && !negated && sl.Testexpr.GetRowExpr() == nil {
			// <> ALL is NOT IN.
			lhs := b.expr(sl.Testexpr, s, catalog.TypeUnknown)
			b.joinSub(b.bindSub(sl.Subselect, s, subIn), plan.NullAwareAntiJoin, lhs)
			return true
		}
		return b.quantifiedJoin(sl, s, true, negated)
	case pg_query.SubLinkType_ANY_SUBLINK:
		if len(sl.OperName) > 0 && opName(sl.OperName) != "=" {
			return b.quantifiedJoin(sl, s, false, negated)
		}
		if row := sl.Testexpr.GetRowExpr(); row != nil {
			// (a, b) IN (SELECT x, y ...): a semi join on every column.
			if negated {
				failf(sqlerr.FeatureNotSupported, "NOT IN with a row of values is not supported yet")
			}
			var lhs []*plan.Expr
			for _, a := range row.Args {
				lhs = append(lhs, b.expr(a, s, catalog.TypeUnknown))
			}
			bs := b.bindSubN(sl.Subselect, s, subIn, len(lhs))
			b.joinSubRow(bs, plan.SemiJoin, lhs)
			return true
		}
		lhs := b.expr(sl.Testexpr, s, catalog.TypeUnknown)
		bs := b.bindSub(sl.Subselect, s, subIn)
		kind := plan.SemiJoin
		if negated {
			kind = plan.NullAwareAntiJoin
		}
		b.joinSub(bs, kind, lhs)
		return true
	}
	return false
}

// joinSub adds a subquery range and its join to the current block. For IN,
// lhs = the subquery's first column is part of the condition. It returns
// the range's ids.
func (b *binder) joinSub(bs *boundSub, kind plan.JoinKind, lhs *plan.Expr) []int {
	return b.joinSubAt(bs, kind, lhs, false)
}

// joinSubRow is joinSub for IN with a row of values on the left.
func (b *binder) joinSubRow(bs *boundSub, kind plan.JoinKind, lhs []*plan.Expr) {
	ids := b.joinSubAt(bs, kind, nil, false)
	sj := b.qb.subJoins[len(b.qb.subJoins)-1]
	for i, l := range lhs {
		sj.conds = append(sj.conds, binaryOp("=", l, plan.Col(ids[i], bs.q.Columns[i].Type)))
	}
}

func (b *binder) joinSubAt(bs *boundSub, kind plan.JoinKind, lhs *plan.Expr, postAgg bool) []int {
	qb := b.qb
	c := bs.corr
	nhead := c.nvisible
	if c.marker {
		nhead++
	}
	ids := append(b.newIDs(nhead), c.outIDs...)
	b.addRange(qb, &rangeEntry{sub: bs.q, ids: ids}, len(ids))
	conds := append([]*plan.Expr(nil), c.hoisted...)
	if lhs != nil {
		conds = append(conds, binaryOp("=", lhs, plan.Col(ids[0], bs.q.Columns[0].Type)))
	}
	for _, e := range conds {
		if foreign(qb, e) {
			failf(sqlerr.FeatureNotSupported, "a subquery referencing a query block more than one level out is not supported yet")
		}
	}
	qb.subJoins = append(qb.subJoins, &subJoin{kind: kind, rng: len(qb.ranges) - 1, conds: conds, postAgg: postAgg})
	return ids
}

// sublink binds a subquery used as a value: an uncorrelated one becomes an
// init plan; a correlated scalar subquery joins the block (single join).
func (b *binder) sublink(sl *pg_query.SubLink, s *scope) *plan.Expr {
	switch sl.SubLinkType {
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		return b.arraySublink(sl, s)
	case pg_query.SubLinkType_EXPR_SUBLINK:
		if lateralFunctionIn(sl.Subselect.GetSelectStmt()) {
			return b.subPlan(sl.Subselect.GetSelectStmt(), s)
		}
		bs := b.bindSub(sl.Subselect, s, subScalar)
		if bs.corr.domain != nil {
			return b.domainJoin(bs, s)
		}
		t := bs.q.Columns[0].Type
		if bs.corr.lifted != nil {
			t = bs.corr.lifted.Type
		}
		if !bs.correlated() {
			return &plan.Expr{Kind: plan.Subquery, Type: t, Sub: bs.q.Plan}
		}
		if b.qb == nil {
			failf(sqlerr.FeatureNotSupported, "a correlated subquery is not supported here")
		}
		ids := b.joinSubAt(bs, plan.SingleJoin, nil, s.agg != nil && !s.agg.inAgg)
		v := plan.Col(ids[0], t)
		if c := bs.corr; c.lifted != nil {
			at := map[int]*plan.Expr{}
			for i, id := range c.liftedAggs {
				at[id] = plan.Col(ids[i], bs.q.Columns[i].Type)
			}
			v = replaceRefs(c.lifted, at)
		}
		if bs.corr.marker {
			empty := coerce(bs.corr.emptyVal, t)
			return &plan.Expr{Kind: plan.Case, Type: t, Else: true, Args: []*plan.Expr{
				plan.CallOf("isnull", catalog.TypeBool, plan.Col(ids[bs.corr.nvisible], catalog.TypeBool)), empty, v}}
		}
		return v
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		bs := b.bindSub(sl.Subselect, s, subExists)
		if bs.correlated() {
			return b.existsValue(bs, s)
		}
		one := &plan.Limit{Input: bs.q.Plan, Count: 1}
		sub := &plan.Expr{Kind: plan.Subquery, Type: catalog.TypeBool, Sub: one}
		return plan.CallOf("coalesce", catalog.TypeBool, sub, plan.ConstOf(catalog.TypeBool, plan.Datum{B: false}))
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		return b.quantified(sl, s)
	}
	failf(sqlerr.FeatureNotSupported, "subquery form not supported yet")
	return nil
}

// applySubJoins joins the block's pending WHERE subqueries whose
// conditions node (covering ranges covered) can evaluate.
func (b *binder) applySubJoins(qb *queryBlock, node plan.Node, layout []int, covered map[int]bool) (plan.Node, []int, map[int]bool) {
	for progress := true; progress; {
		progress = false
		for _, sj := range qb.subJoins {
			if sj.done || (sj.postAgg && qb.aggregated) {
				continue
			}
			need := map[int]bool{}
			for _, c := range sj.conds {
				for r := range rangesOf(qb, c) {
					if r != sj.rng {
						need[r] = true
					}
				}
			}
			if !subset(need, covered) {
				continue
			}
			sj.done, progress = true, true
			if sj.domain != nil {
				node, layout, covered = b.joinDomain(qb, sj, node, layout, covered)
				continue
			}
			node, layout, covered = b.joinSubquery(qb, sj, node, layout, covered)
		}
	}
	return node, layout, covered
}

func (b *binder) joinSubquery(qb *queryBlock, sj *subJoin, node plan.Node, layout []int, covered map[int]bool) (plan.Node, []int, map[int]bool) {
	right, rl := b.buildRange(qb, sj.rng, nil, nil)
	j := &plan.Join{Left: node, Right: right, Kind: sj.kind}
	var residual []*plan.Expr
	if sj.kind == plan.NullAwareAntiJoin {
		// NOT IN's key is its own comparison (the last condition); the
		// correlation decides which right rows count, per left row.
		last := len(sj.conds) - 1
		residual = append(sj.conds[:last:last], equiKeys(j, sj.conds[last:], layout, rl)...)
	} else {
		residual = equiKeys(j, sj.conds, layout, rl)
	}
	if sj.kind == plan.NullAwareAntiJoin && len(j.LeftKeys) != 1 {
		failf(sqlerr.FeatureNotSupported, "NOT IN over this condition is not supported yet")
	}
	both := append(append([]int(nil), layout...), rl...)
	if len(residual) > 0 {
		j.Residual = remap(andAll(residual), both)
	}
	if sj.kind == plan.SingleJoin {
		nc := map[int]bool{sj.rng: true}
		for k := range covered {
			nc[k] = true
		}
		return j, both, nc
	}
	return j, layout, covered
}

// cte is a WITH query, bound afresh where it is referenced.
type cte struct {
	name    string
	query   *pg_query.Node
	colv    []string
	visible []*cte // the CTEs its own body may reference
}

// with returns a binder that sees the WITH clause's queries.
func (b *binder) with(w *pg_query.WithClause) *binder {
	if w.Recursive {
		failf(sqlerr.FeatureNotSupported, "WITH RECURSIVE is not supported yet")
	}
	nb := *b
	nb.ctes = append([]*cte(nil), b.ctes...)
	seen := map[string]bool{}
	for _, n := range w.Ctes {
		ce := n.GetCommonTableExpr()
		if seen[ce.Ctename] {
			failf(sqlerr.DuplicateAlias, "WITH query name %q specified more than once", ce.Ctename)
		}
		seen[ce.Ctename] = true
		if ce.Ctequery.GetSelectStmt() == nil {
			failf(sqlerr.FeatureNotSupported, "data-modifying statements in WITH are not supported")
		}
		c := &cte{name: ce.Ctename, query: ce.Ctequery, visible: append([]*cte(nil), nb.ctes...)}
		for _, a := range ce.Aliascolnames {
			c.colv = append(c.colv, a.GetString_().Sval)
		}
		nb.ctes = append(nb.ctes, c)
	}
	return &nb
}

func (b *binder) lookupCTE(name string) *cte {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if b.ctes[i].name == name {
			return b.ctes[i]
		}
	}
	return nil
}

// cteRange binds a reference to a WITH query as a FROM item.
func (b *binder) cteRange(qb *queryBlock, rv *pg_query.RangeVar, c *cte, s *scope) *joinNode {
	cb := b.child()
	cb.ctes = c.visible
	sub := cb.query(c.query.GetSelectStmt(), s.outer)
	if len(c.colv) > len(sub.Columns) {
		failf(sqlerr.InvalidColumnReference, "WITH query %q has %d columns available but %d columns specified", c.name, len(sub.Columns), len(c.colv))
	}
	alias := c.name
	var colAliases []string
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
		for _, a := range rv.Alias.Colnames {
			colAliases = append(colAliases, a.GetString_().Sval)
		}
	}
	b.checkAlias(qb, alias)
	r := b.addRange(qb, &rangeEntry{alias: alias, sub: sub}, len(sub.Columns))
	for i, col := range sub.Columns {
		name := col.Name
		if i < len(c.colv) {
			name = c.colv[i]
		}
		if i < len(colAliases) {
			name = colAliases[i]
		}
		s.cols = append(s.cols, scopeCol{id: r.ids[i], rel: alias, name: name, typ: col.Type, tableOID: col.TableOID, attnum: col.Attnum, fields: col.Fields})
	}
	return &joinNode{rng: len(qb.ranges) - 1}
}

// joinPostAgg joins, over an aggregate's output, the subqueries of a select
// list, HAVING or ORDER BY whose outer references are grouping expressions
// (rewritten by post to the aggregate's outputs).
func (b *binder) joinPostAgg(qb *queryBlock, node plan.Node, layout []int, post func(*plan.Expr) *plan.Expr) (plan.Node, []int) {
	for _, sj := range qb.subJoins {
		if !sj.postAgg || sj.done {
			continue
		}
		if sj.domain != nil {
			failf(sqlerr.FeatureNotSupported, "a subquery correlated by non-equality conditions is not supported after aggregation yet")
		}
		sj.done = true
		right, rl := b.buildRange(qb, sj.rng, nil, nil)
		j := &plan.Join{Left: node, Right: right, Kind: sj.kind}
		conds := make([]*plan.Expr, len(sj.conds))
		for i, c := range sj.conds {
			conds[i] = post(c)
		}
		residual := equiKeys(j, conds, layout, rl)
		both := append(append([]int(nil), layout...), rl...)
		if len(residual) > 0 {
			j.Residual = remap(andAll(residual), both)
		}
		node = j
		if sj.kind == plan.SingleJoin {
			layout = both
		}
	}
	return node, layout
}

// postAggIDs are the columns of the subqueries joined after aggregation,
// which the post-aggregation rewrite must leave alone.
func postAggIDs(qb *queryBlock) map[int]bool {
	out := map[int]bool{}
	for id := range qb.srfIDs {
		out[id] = true
	}
	for _, sj := range qb.subJoins {
		if sj.postAgg {
			for _, id := range qb.ranges[sj.rng].ids {
				out[id] = true
			}
		}
	}
	return out
}

// falseOverNoRows reports whether e, a HAVING condition with aggregates
// replaced by their values over no rows, is surely not true: it folds
// integer comparisons, casts between integers and boolean connectives.
func falseOverNoRows(e *plan.Expr) bool {
	v, null, ok := foldBool(e)
	return ok && (null || !v)
}

func foldInt(e *plan.Expr) (v int64, null, ok bool) {
	switch {
	case e.Kind == plan.Const && (e.Type.IsInteger() || e.Value.Null):
		return e.Value.I, e.Value.Null, true
	case e.Kind == plan.Cast && e.Type.IsInteger():
		return foldInt(e.Args[0])
	}
	return 0, false, false
}

func foldBool(e *plan.Expr) (v, null, ok bool) {
	if e.Kind == plan.Const && (e.Type.Kind == catalog.Bool || e.Value.Null) {
		return e.Value.B, e.Value.Null, true
	}
	if e.Kind != plan.Call {
		return false, false, false
	}
	switch e.Op {
	case "=", "<>", "<", "<=", ">", ">=":
		a, an, aok := foldInt(e.Args[0])
		b, bn, bok := foldInt(e.Args[1])
		if !aok || !bok {
			return false, false, false
		}
		if an || bn {
			return false, true, true
		}
		r := map[string]bool{"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[e.Op]
		return r, false, true
	case "not":
		a, an, ok := foldBool(e.Args[0])
		return !a, an, ok
	case "and", "or":
		a, an, aok := foldBool(e.Args[0])
		b, bn, bok := foldBool(e.Args[1])
		if !aok || !bok {
			return false, false, false
		}
		if e.Op == "and" {
			switch {
			case (!a && !an) || (!b && !bn):
				return false, false, true
			case an || bn:
				return false, true, true
			}
			return true, false, true
		}
		switch {
		case (a && !an) || (b && !bn):
			return true, false, true
		case an || bn:
			return false, true, true
		}
		return false, false, true
	}
	return false, false, false
}

// quantifiedJoin turns a WHERE conjunct x op ANY/ALL (S), maybe negated,
// into a semi or anti join whose residual compares x with each row of S
// (where a NULL answer filters the row out as false does):
//
//	x op ANY (S)       semi  (x op s)
//	NOT x op ANY (S)   anti  (x op s) OR x IS NULL OR s IS NULL
//	x op ALL (S)       anti  NOT (x op s) OR x IS NULL OR s IS NULL
//	NOT x op ALL (S)   semi  NOT (x op s)
func (b *binder) quantifiedJoin(sl *pg_query.SubLink, s *scope, all, negated bool) bool {
	if sl.Testexpr.GetRowExpr() != nil || b.qb == nil {
		return false
	}
	op := opName(sl.OperName)
	lhs := b.expr(sl.Testexpr, s, catalog.TypeUnknown)
	bs := b.bindSub(sl.Subselect, s, subIn)
	ids := b.joinSubAt(bs, plan.SemiJoin, nil, false)
	sj := b.qb.subJoins[len(b.qb.subJoins)-1]
	col := plan.Col(ids[0], bs.q.Columns[0].Type)
	cmp := binaryOp(op, lhs, col)
	unknown := plan.CallOf("or", catalog.TypeBool, plan.CallOf("isnull", catalog.TypeBool, lhs), plan.CallOf("isnull", catalog.TypeBool, col))
	not := func(e *plan.Expr) *plan.Expr { return plan.CallOf("not", catalog.TypeBool, e) }
	switch {
	case !all && !negated:
		sj.conds = append(sj.conds, cmp)
	case !all && negated:
		sj.kind = plan.AntiJoin
		sj.conds = append(sj.conds, plan.CallOf("or", catalog.TypeBool, cmp, unknown))
	case all && !negated:
		sj.kind = plan.AntiJoin
		sj.conds = append(sj.conds, plan.CallOf("or", catalog.TypeBool, not(cmp), unknown))
	default:
		sj.conds = append(sj.conds, not(cmp))
	}
	return true
}

// replaceRefs substitutes column references by id.
func replaceRefs(e *plan.Expr, at map[int]*plan.Expr) *plan.Expr {
	if e.Kind == plan.ColumnRef {
		if r, ok := at[e.Col]; ok {
			return r
		}
		return e
	}
	if len(e.Args) == 0 {
		return e
	}
	c := *e
	c.Args = make([]*plan.Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = replaceRefs(a, at)
	}
	return &c
}

// domainJoin adds a domain-decorrelated scalar subquery (see domainAgg) to
// the block and returns its value.
func (b *binder) domainJoin(bs *boundSub, s *scope) *plan.Expr {
	c := bs.corr
	if b.qb == nil {
		failf(sqlerr.FeatureNotSupported, "a correlated subquery is not supported here")
	}
	qb := b.qb
	ids := append(b.newIDs(c.nvisible), c.outIDs...)
	b.addRange(qb, &rangeEntry{sub: bs.q, ids: ids}, len(ids))
	sj := &subJoin{kind: plan.SingleJoin, rng: len(qb.ranges) - 1, conds: c.hoisted, postAgg: s.agg != nil && !s.agg.inAgg}
	sj.domain = c.domain
	sj.domainOut = b.newIDs(len(c.domain.calls) + 1) // the aggregates, then the marker
	qb.subJoins = append(qb.subJoins, sj)
	for _, e := range c.hoisted {
		if foreign(qb, e) {
			failf(sqlerr.FeatureNotSupported, "a subquery referencing a query block more than one level out is not supported yet")
		}
	}
	at := map[int]*plan.Expr{}
	for i, call := range c.domain.calls {
		at[aggIDBase+i] = plan.Col(sj.domainOut[i], call.Type)
	}
	v := replaceRefs(c.domain.value, at)
	if c.marker {
		marker := plan.Col(sj.domainOut[len(c.domain.calls)], catalog.TypeBool)
		return &plan.Expr{Kind: plan.Case, Type: v.Type, Else: true, Args: []*plan.Expr{
			plan.CallOf("isnull", catalog.TypeBool, marker), coerce(c.emptyVal, v.Type), v}}
	}
	return v
}

// joinDomain applies a domain-decorrelated subquery to node (see
// domainAgg): D = the distinct outer values the conditions read, joined
// with the subquery's rows on the conditions, aggregated per D, then
// single-joined with node on the outer values.
func (b *binder) joinDomain(qb *queryBlock, sj *subJoin, node plan.Node, layout []int, covered map[int]bool) (plan.Node, []int, map[int]bool) {
	own := map[int]bool{}
	for _, id := range qb.ranges[sj.rng].ids {
		own[id] = true
	}
	// The outer columns the conditions read.
	var outer []int
	seen := map[int]bool{}
	for _, c := range sj.conds {
		forRefs(c, func(r *plan.Expr) {
			if !own[r.Col] && !seen[r.Col] {
				seen[r.Col] = true
				outer = append(outer, r.Col)
			}
		})
	}
	types := node.Types()
	typeOf := func(id int) catalog.Type {
		for i, x := range layout {
			if x == id {
				return types[i]
			}
		}
		failf(sqlerr.Internal, "planner: column id %d not in input", id)
		return catalog.Type{}
	}
	// D: distinct outer values, under fresh ids.
	dIDs := b.newIDs(len(outer))
	var groups []*plan.Expr
	at := map[int]*plan.Expr{}
	for i, id := range outer {
		t := typeOf(id)
		groups = append(groups, remap(plan.Col(id, t), layout))
		at[id] = plan.Col(dIDs[i], t)
	}
	dom := &plan.Aggregate{Input: node, Groups: groups, Phase: plan.Complete}
	right, rl := b.buildRange(qb, sj.rng, nil, nil)
	jl := append(append([]int(nil), dIDs...), rl...)
	j := &plan.Join{Left: dom, Right: right, Kind: plan.InnerJoin}
	conds := make([]*plan.Expr, len(sj.conds))
	for i, c := range sj.conds {
		conds[i] = replaceRefs(c, at)
	}
	residual := equiKeys(j, conds, dIDs, rl)
	if len(residual) > 0 {
		j.Residual = remap(andAll(residual), jl)
	}
	if len(j.LeftKeys) == 0 && j.Residual == nil {
		j.Kind = plan.CrossJoin
	}
	// Aggregate per D value; the aggregates' arguments are the subquery's
	// first outputs.
	var dg []*plan.Expr
	for i := range dIDs {
		dg = append(dg, plan.Col(i, at[outer[i]].Type))
	}
	var aggs []*plan.AggCall
	for _, call := range sj.domain.calls {
		nc := *call
		if call.Arg != nil {
			nc.Arg = shiftCols(call.Arg, len(dIDs))
		}
		aggs = append(aggs, &nc)
	}
	a := &plan.Aggregate{Input: j, Groups: dg, Aggs: aggs, Phase: plan.Complete}
	proj := make([]*plan.Expr, 0, len(dIDs)+len(aggs)+1)
	at2 := a.Types()
	for i, t := range at2 {
		proj = append(proj, plan.Col(i, t))
	}
	proj = append(proj, boolConst(true))
	per := &plan.Project{Input: a, Exprs: proj}
	perIDs := append(append([]int(nil), dIDs...), sj.domainOut...)
	// Each outer row finds its values' aggregates, NULLs matching NULLs (a
	// condition may hold for a NULL outer value: x < o OR y > 0): each value
	// is keyed as (COALESCE(v, zero), v IS NULL).
	sjn := &plan.Join{Left: node, Right: per, Kind: plan.SingleJoin}
	nullSafe := func(v *plan.Expr) []*plan.Expr {
		return []*plan.Expr{
			plan.CallOf("coalesce", v.Type, v, plan.ConstOf(v.Type, zeroDatum(v.Type))),
			plan.CallOf("isnull", catalog.TypeBool, v),
		}
	}
	for i, id := range outer {
		t := typeOf(id)
		sjn.LeftKeys = append(sjn.LeftKeys, nullSafe(remap(plan.Col(id, t), layout))...)
		sjn.RightKeys = append(sjn.RightKeys, nullSafe(plan.Col(i, t))...)
	}
	both := append(append([]int(nil), layout...), perIDs...)
	nc := map[int]bool{sj.rng: true}
	for k := range covered {
		nc[k] = true
	}
	return sjn, both, nc
}

// refsOnly reports whether e references columns and only ids.
func refsOnly(e *plan.Expr, ids []int) bool {
	set := map[int]bool{}
	for _, id := range ids {
		set[id] = true
	}
	any, only := false, true
	forRefs(e, func(r *plan.Expr) {
		any = true
		if !set[r.Col] {
			only = false
		}
	})
	return any && only
}

// zeroDatum is a non-NULL value of type t.
func zeroDatum(t catalog.Type) plan.Datum {
	switch {
	case t.IsDynamicNumeric():
		return plan.Datum{S: "0"}
	case t.IsBytesBacked():
		return plan.Datum{S: ""}
	}
	return plan.Datum{}
}

// arraySublink binds ARRAY(SELECT x FROM … [ORDER BY k]) as the scalar
// subquery (SELECT array_agg(x ORDER BY k) FROM …), which no rows make
// NULL, so an empty result is '{}' as in PostgreSQL. A correlated one is
// decorrelated as any aggregated subquery.
func (b *binder) arraySublink(sl *pg_query.SubLink, s *scope) *plan.Expr {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil || sel.Op != pg_query.SetOperation_SETOP_NONE || len(sel.TargetList) != 1 ||
		len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.DistinctClause) > 0 || sel.LimitCount != nil ||
		sel.LimitOffset != nil || len(sel.WithClause.GetCtes()) > 0 {
		failf(sqlerr.FeatureNotSupported, "ARRAY(subquery) with set operations, grouping, DISTINCT or LIMIT is not supported yet")
	}
	rt := sel.TargetList[0].GetResTarget()
	if rt == nil || rt.Val.GetColumnRef().GetFields() != nil && rt.Val.GetColumnRef().GetFields()[len(rt.Val.GetColumnRef().GetFields())-1].GetAStar() != nil {
		failf(sqlerr.FeatureNotSupported, "ARRAY(SELECT *) is not supported")
	}
	var order []*pg_query.Node
	for _, o := range sel.SortClause {
		sb := o.GetSortBy()
		key := sb.Node
		if c := key.GetAConst(); c != nil && c.GetIval() != nil {
			if c.GetIval().Ival != 1 {
				failf(sqlerr.InvalidColumnReference, "ORDER BY position %d is not in select list", c.GetIval().Ival)
			}
			key = rt.Val
		} else if cr := key.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && rt.Name != "" && cr.Fields[0].GetString_().GetSval() == rt.Name {
			key = rt.Val
		}
		order = append(order, &pg_query.Node{Node: &pg_query.Node_SortBy{SortBy: &pg_query.SortBy{
			Node: key, SortbyDir: sb.SortbyDir, SortbyNulls: sb.SortbyNulls, Location: -1}}})
	}
	agg := &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode("array_agg")}, Args: []*pg_query.Node{rt.Val},
		AggOrder: order, Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL, Location: -1}
	ns := &pg_query.SelectStmt{
		TargetList:  []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: agg}}, Location: -1}}}},
		FromClause:  sel.FromClause,
		WhereClause: sel.WhereClause,
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	e := b.sublink(&pg_query.SubLink{SubLinkType: pg_query.SubLinkType_EXPR_SUBLINK, Subselect: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: ns}}, Location: sl.Location}, s)
	return plan.CallOf("coalesce", e.Type, e, plan.ConstOf(e.Type, plan.Datum{S: "{}"}))
}

// shiftCols returns e with every column reference moved right by n.
func shiftCols(e *plan.Expr, n int) *plan.Expr {
	c := *e
	if c.Kind == plan.ColumnRef {
		c.Col += n
		return &c
	}
	c.Args = make([]*plan.Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = shiftCols(a, n)
	}
	return &c
}
