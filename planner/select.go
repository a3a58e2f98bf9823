package planner

import (
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Binding a query block works on global column ids: every column of every
// FROM item gets an id (base columns from 0, aggregate results from
// aggIDBase, grouping results from groupIDBase). Expressions are bound with
// ids, and each plan node built afterwards has a layout (the ids of its
// output columns in order) into which expressions are remapped. This lets
// the planner decide which columns a scan reads, and where filters and
// aggregates run, after all names are resolved.
const groupIDBase = 1 << 25

// rangeEntry is one FROM item.
type rangeEntry struct {
	alias    string
	table    *catalog.Table // a base table, or
	sub      *Query         // a subquery (its plan outputs ids, in order)
	ids      []int          // global ids of the columns (of the table, or the subquery's plan outputs)
	nullable bool           // on the nullable side of an outer join
	// lateral, for set-returning functions over earlier FROM items, is
	// the ProjectSet of sub's plan with its arguments over those items'
	// ids; lateralSub, for a LATERAL subquery over them, the LateralJoin
	// running sub's plan with its Args over those ids. buildLateral puts
	// either over the join that produces them.
	lateral    *plan.ProjectSet
	lateralSub *plan.LateralJoin
}

// lateralArgs returns the expressions over earlier FROM items a lateral
// range reads.
func (r *rangeEntry) lateralArgs() []*plan.Expr {
	var out []*plan.Expr
	if r.lateral != nil {
		for _, f := range r.lateral.Funcs {
			out = append(out, f.Args...)
		}
	}
	if r.lateralSub != nil {
		out = append(out, r.lateralSub.Args...)
	}
	return out
}

// joinNode is the FROM clause's join tree: a leaf (rng >= 0) or a join.
type joinNode struct {
	rng         int
	kind        plan.JoinKind
	left, right *joinNode
	on          []*plan.Expr
	swap        bool // build the left side's rows (an inner join's inputs trade places)
	// lateral marks a join whose right side is a lateral range (a leaf
	// with rangeEntry.lateral), computed per row of the left side.
	lateral bool
}

type queryBlock struct {
	ranges     []*rangeEntry
	from       *joinNode
	subJoins   []*subJoin
	aggregated bool
	// srfIDs are the output columns of the select list's set-returning
	// functions.
	srfIDs map[int]bool
	// refs counts the references to each column id in the block's
	// expressions, counted the conditions (WHERE conjuncts, ON
	// conditions) among them: a column only a filter reads is dropped
	// once the filter has run.
	refs    map[int]int
	counted map[*plan.Expr]bool
}

// addRange adds a FROM item (or a subquery joined from WHERE) with n
// columns, allocating their ids.
func (b *binder) addRange(qb *queryBlock, r *rangeEntry, n int) *rangeEntry {
	if r.ids == nil {
		r.ids = b.newIDs(n)
	}
	qb.ranges = append(qb.ranges, r)
	return r
}

// newIDs allocates n global column ids, unique in the statement.
func (b *binder) newIDs(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = *b.ids
		*b.ids++
	}
	if *b.ids >= aggIDBase {
		failf(sqlerr.ProgramLimitExceeded, "statement has too many columns")
	}
	return ids
}

// query binds a SELECT. outer is the scope of the enclosing query blocks
// (nil at the top): names not found in the block resolve there.
func (b *binder) query(sel *pg_query.SelectStmt, outer *scope) *Query {
	if sel == nil {
		failf(sqlerr.FeatureNotSupported, "query form not supported yet")
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE {
		q := b.setOp(sel, outer)
		if b.corr != nil {
			b.corr.nvisible = len(q.Columns) // branches cannot be correlated (see query)
		}
		return q
	}
	if sel.WithClause != nil {
		b = b.with(sel.WithClause)
	}
	if sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		failf(sqlerr.FeatureNotSupported, "SELECT INTO and locking clauses are not supported yet")
	}
	if len(sel.ValuesLists) > 0 {
		v := b.values(sel.ValuesLists, nil)
		q := &Query{Plan: v}
		for i, t := range v.ColTypes {
			q.Columns = append(q.Columns, OutputColumn{Name: "column" + itoa(i+1), Type: t})
		}
		return b.orderLimit(q, sel)
	}

	hints := b.targetHints
	b.targetHints = nil
	corr := b.corr
	qb := &queryBlock{}
	b.qb = qb
	s := &scope{outer: outer}
	for _, f := range sel.FromClause {
		jn := b.fromItem(qb, f, s)
		if qb.from == nil {
			qb.from = jn
		} else {
			qb.from = &joinNode{rng: -1, kind: plan.CrossJoin, left: qb.from, right: jn, lateral: isLateral(qb, jn)}
		}
	}

	// WHERE: subqueries among its conjuncts become joins.
	var where []*plan.Expr
	if sel.WhereClause != nil {
		s.noSRF = "WHERE"
		where = b.where(sel.WhereClause, s)
		s.noSRF = ""
	}
	var hoisted []*plan.Expr
	if corr != nil {
		where, hoisted = corr.split(qb, where)
	}

	// Targets, with aggregates and window functions allowed.
	agg := &aggContext{}
	srf := &srfContext{}
	as := &scope{cols: s.cols, agg: agg, outer: outer, noSRF: "this place"}
	win := b.windowDefs(sel.WindowClause)
	ws := &scope{cols: s.cols, agg: agg, outer: outer, win: win, srf: srf}
	var targets []*plan.Expr
	var cols []OutputColumn
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			rel := ""
			if len(cr.Fields) == 2 {
				rel = cr.Fields[0].GetString_().Sval
			}
			found := false
			for _, c := range s.cols {
				if (rel != "" && c.rel != rel) || c.hidden || (rel == "" && c.merged) {
					continue
				}
				found = true
				b.reference(c.tableOID, c.attnum)
				if c.expr != nil {
					targets = append(targets, c.expr)
				} else {
					targets = append(targets, plan.Col(c.id, c.typ))
				}
				cols = append(cols, OutputColumn{Name: c.name, Type: c.typ, TableOID: c.tableOID, Attnum: c.attnum})
			}
			if rel != "" && !found {
				failf(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", rel)
			}
			if rel == "" && len(sel.FromClause) == 0 {
				failf(sqlerr.SyntaxError, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		hint := catalog.TypeUnknown
		if len(targets) < len(hints) {
			hint = hints[len(targets)]
		}
		e := b.expr(rt.Val, ws, hint)
		if e.Type.Kind == catalog.Unknown {
			switch {
			case hint.Kind != catalog.Unknown:
				e = coerce(e, hint)
			case !b.keepUnknown || len(sel.DistinctClause) > 0 || len(sel.GroupClause) > 0:
				e = coerce(e, catalog.TypeText)
			}
		}
		oc := OutputColumn{Name: rt.Name, Type: e.Type, Fields: b.fields[e]}
		if oc.Name == "" {
			oc.Name = figureColname(rt.Val)
		}
		if e.Kind == plan.ColumnRef {
			for _, c := range s.cols {
				if c.id == e.Col {
					oc.TableOID, oc.Attnum = c.tableOID, c.attnum
				}
			}
		}
		targets = append(targets, e)
		cols = append(cols, oc)
	}

	// GROUP BY: positions and output names are allowed, as in PostgreSQL.
	var groups []*plan.Expr
	for _, g := range sel.GroupClause {
		e := b.groupOrOrderExpr(g, s, targets, cols, false)
		ids := map[int]bool{}
		collectIDs(e, ids)
		for id := range ids {
			if id >= winIDBase {
				failf(sqlerr.WindowingError, "window functions are not allowed in GROUP BY")
			}
			if id >= aggIDBase {
				failf(sqlerr.GroupingError, "aggregate functions are not allowed in GROUP BY")
			}
			if slices.ContainsFunc(srf.ids, func(ids []int) bool { return slices.Contains(ids, id) }) {
				failf(sqlerr.FeatureNotSupported, "grouping by a set-returning function is not supported")
			}
		}
		groups = append(groups, e)
	}
	var having *plan.Expr
	if sel.HavingClause != nil {
		having = boolArg(b.expr(sel.HavingClause, as, catalog.TypeBool), "HAVING")
	}

	// ORDER BY terms: output columns by position or name, else expressions.
	type orderTerm struct {
		expr             *plan.Expr
		desc, nullsFirst bool
	}
	var order []orderTerm
	for _, o := range sel.SortClause {
		sb := o.GetSortBy()
		if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			failf(sqlerr.FeatureNotSupported, "ORDER BY USING is not supported")
		}
		e := b.groupOrOrderExpr(sb.Node, ws, targets, cols, true)
		desc, nf := sortDirection(sb)
		order = append(order, orderTerm{e, desc, nf})
	}

	distinct := len(sel.DistinctClause) > 0
	// DISTINCT ON (...) has non-nil items; plain DISTINCT is a single nil.
	var distinctOn []*plan.Expr
	if distinct && sel.DistinctClause[0] != nil && sel.DistinctClause[0].Node != nil {
		distinct = false
		for _, d := range sel.DistinctClause {
			distinctOn = append(distinctOn, b.groupOrOrderExpr(d, as, targets, cols, true))
		}
		// As PostgreSQL: the ORDER BY must start with the DISTINCT ON
		// expressions (in any order).
		for i := 0; i < len(order) && i < len(distinctOn); i++ {
			if !containsExpr(distinctOn, order[i].expr) {
				failf(sqlerr.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
			}
		}
		if len(order) > 0 && len(order) < len(distinctOn) {
			failf(sqlerr.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
		if len(order) == 0 {
			for _, d := range distinctOn {
				order = append(order, orderTerm{expr: d})
			}
		}
	}

	if corr != nil && len(win.calls) > 0 {
		failf(sqlerr.FeatureNotSupported, "window functions in correlated subqueries are not supported yet")
	}
	if len(srf.funcs) > 0 {
		if corr != nil {
			failf(sqlerr.FeatureNotSupported, "set-returning functions in the select list of a correlated subquery are not supported")
		}
		qb.srfIDs = map[int]bool{}
		for _, ids := range srf.ids {
			for _, id := range ids {
				qb.srfIDs[id] = true
			}
		}
	}
	if corr != nil {
		targets, cols, groups = corr.finish(b, qb, sel, targets, cols, groups, agg, having, hoisted)
		if corr.dropAgg {
			agg.calls, having, order = nil, nil, nil
		}
		if corr.firstPerKey {
			var keys []orderTerm
			for i, id := range corr.outIDs {
				e := plan.Col(id, targets[len(targets)-len(corr.outIDs)+i].Type)
				distinctOn = append(distinctOn, e)
				keys = append(keys, orderTerm{expr: e})
			}
			order = append(keys, order...)
		}
	} else if outer != nil {
		all := append(append(append([]*plan.Expr(nil), where...), targets...), groups...)
		all = append(all, win.exprs()...)
		for _, e := range append(all, having) {
			if e != nil && foreign(qb, e) {
				failf(sqlerr.FeatureNotSupported, "a correlated reference in a subquery in FROM or WITH is not supported yet")
			}
		}
	}

	aggregated := len(agg.calls) > 0 || len(groups) > 0 || having != nil
	qb.aggregated = aggregated
	if aggregated {
		keep := postAggIDs(qb)
		for i := range distinctOn {
			distinctOn[i] = rewritePostAgg(distinctOn[i], groups, s, keep)
		}
	}
	post := func(e *plan.Expr) *plan.Expr { return e }
	if aggregated {
		keep := postAggIDs(qb)
		post = func(e *plan.Expr) *plan.Expr { return rewritePostAgg(e, groups, s, keep) }
		for i := range targets {
			targets[i] = post(targets[i])
		}
		for _, f := range srf.funcs {
			for i := range f.Args {
				f.Args[i] = post(f.Args[i])
			}
		}
		if having != nil {
			having = post(having)
		}
		for i := range order {
			order[i].expr = post(order[i].expr)
		}
		win.rewrite(post)
	}

	// Build: scans (with pushed filters) under Remote nodes, joins, filter.
	used := map[int]bool{}
	qb.refs, qb.counted = map[int]int{}, map[*plan.Expr]bool{}
	collect := func(e *plan.Expr) {
		collectIDs(e, used)
		forRefs(e, func(r *plan.Expr) { qb.refs[r.Col]++ })
	}
	for _, e := range where {
		collect(e)
		qb.counted[e] = true
	}
	b.collectJoinIDs(qb.from, used)
	for _, r := range qb.ranges {
		for _, a := range r.lateralArgs() {
			collect(a)
		}
	}
	var countOn func(jn *joinNode)
	countOn = func(jn *joinNode) {
		if jn == nil || jn.rng >= 0 {
			return
		}
		for _, c := range jn.on {
			forRefs(c, func(r *plan.Expr) { qb.refs[r.Col]++ })
			qb.counted[c] = true
		}
		countOn(jn.left)
		countOn(jn.right)
	}
	countOn(qb.from)
	for _, sj := range qb.subJoins {
		for _, c := range sj.conds {
			collect(c)
		}
	}
	for _, c := range agg.calls {
		if c.Arg != nil {
			collect(c.Arg)
		}
	}
	for _, g := range groups {
		collect(g)
	}
	for _, e := range targets {
		collect(e)
	}
	for _, f := range srf.funcs {
		for _, a := range f.Args {
			collect(a)
		}
	}
	if having != nil {
		collect(having)
	}
	for _, o := range order {
		collect(o.expr)
	}
	for _, d := range distinctOn {
		collect(d)
	}
	for _, e := range win.exprs() {
		collect(e)
	}

	var node plan.Node
	var layout []int
	if qb.from == nil {
		node = &plan.Values{Rows: [][]*plan.Expr{{}}}
		node, layout, _ = b.applySubJoins(qb, node, layout, map[int]bool{})
	} else {
		node, layout, where = b.buildFrom(qb, qb.from, where, used)
	}
	if len(where) > 0 {
		node = &plan.Filter{Input: node, Pred: remap(andAll(where), layout)}
	}

	if aggregated {
		node, layout = b.buildAggregate(qb, node, layout, groups, agg.calls)
		node, layout = b.joinPostAgg(qb, node, layout, post)
		if having != nil {
			node = &plan.Filter{Input: node, Pred: remap(having, layout)}
		}
	}
	if len(win.calls) > 0 {
		node, layout = b.buildWindows(node, layout, win)
	}
	if len(srf.funcs) > 0 {
		node, layout = projectSet(node, layout, srf)
	}

	// Project the targets, plus hidden sort expressions that are not targets.
	proj := make([]*plan.Expr, 0, len(targets)+len(order))
	for _, t := range targets {
		proj = append(proj, remap(t, layout))
	}
	var keys []plan.SortKey
	for _, o := range order {
		pos := -1
		for i, t := range targets {
			if exprEqual(t, o.expr) {
				pos = i
				break
			}
		}
		if pos < 0 {
			if distinct {
				failf(sqlerr.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			pos = len(proj)
			proj = append(proj, remap(o.expr, layout))
		}
		keys = append(keys, plan.SortKey{Expr: plan.Col(pos, proj[pos].Type), Desc: o.desc, NullsFirst: o.nullsFirst})
	}
	var onKeys []int
	for _, d := range distinctOn {
		for _, k := range keys {
			if exprEqual(remap(d, layout), proj[k.Expr.Col]) {
				onKeys = append(onKeys, k.Expr.Col)
				break
			}
		}
	}
	node = project(node, proj)
	if distinct {
		var g []*plan.Expr
		for i, t := range targets {
			g = append(g, plan.Col(i, t.Type))
		}
		node = &plan.Aggregate{Input: node, Groups: g, Phase: plan.Complete}
	}
	q := &Query{Plan: node, Columns: cols}
	if len(keys) > 0 {
		q.Plan = &plan.Sort{Input: q.Plan, Keys: keys}
	}
	if len(distinctOn) > 0 {
		q.Plan = &plan.DistinctOn{Input: q.Plan, Keys: onKeys}
	}
	if corr == nil || !corr.dropLimit {
		q = b.limit(q, sel)
	}
	if len(proj) > len(targets) {
		var out []*plan.Expr
		for i, t := range targets {
			out = append(out, plan.Col(i, t.Type))
		}
		q.Plan = &plan.Project{Input: q.Plan, Exprs: out}
	}
	return q
}

// sortDirection is an ORDER BY item's direction and NULL placement (NULLS
// FIRST by default when descending, as in PostgreSQL).
func sortDirection(sb *pg_query.SortBy) (desc, nullsFirst bool) {
	desc = sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	nullsFirst = desc
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	return desc, nullsFirst
}

// projectSet runs the select list's set-returning functions over node
// (with layout), appending their columns to the layout.
func projectSet(node plan.Node, layout []int, srf *srfContext) (plan.Node, []int) {
	ps := &plan.ProjectSet{Input: node}
	layout = append([]int(nil), layout...)
	for _, f := range srf.funcs {
		rf := *f
		rf.Args = make([]*plan.Expr, len(f.Args))
		for i, a := range f.Args {
			rf.Args[i] = remap(a, layout)
		}
		ps.Funcs = append(ps.Funcs, &rf)
	}
	for _, ids := range srf.ids {
		layout = append(layout, ids...)
	}
	return ps, layout
}

// isLateral reports whether FROM item jn is a lateral range.
func isLateral(qb *queryBlock, jn *joinNode) bool {
	return jn.rng >= 0 && (qb.ranges[jn.rng].lateral != nil || qb.ranges[jn.rng].lateralSub != nil)
}

// project adds a projection unless it would pass its input through as is.
func project(in plan.Node, exprs []*plan.Expr) plan.Node {
	types := in.Types()
	if len(exprs) == len(types) {
		identity := true
		for i, e := range exprs {
			if e.Kind != plan.ColumnRef || e.Col != i || e.Type != types[i] {
				identity = false
				break
			}
		}
		if identity {
			return in
		}
	}
	return &plan.Project{Input: in, Exprs: exprs}
}

// orderLimit applies ORDER BY (positions or expressions over the output) and
// LIMIT to a query whose output columns are its plan's columns.
func (b *binder) orderLimit(q *Query, sel *pg_query.SelectStmt) *Query {
	if len(sel.SortClause) > 0 {
		s := &scope{}
		for i, c := range q.Columns {
			s.cols = append(s.cols, scopeCol{id: i, name: c.Name, typ: c.Type})
		}
		var keys []plan.SortKey
		for _, o := range sel.SortClause {
			sb := o.GetSortBy()
			var targets []*plan.Expr
			for i, c := range q.Columns {
				targets = append(targets, plan.Col(i, c.Type))
			}
			e := b.groupOrOrderExpr(sb.Node, s, targets, q.Columns, true)
			desc, nf := sortDirection(sb)
			keys = append(keys, plan.SortKey{Expr: e, Desc: desc, NullsFirst: nf})
		}
		q.Plan = &plan.Sort{Input: q.Plan, Keys: keys}
	}
	return b.limit(q, sel)
}

func (b *binder) limit(q *Query, sel *pg_query.SelectStmt) *Query {
	if sel.LimitCount == nil && sel.LimitOffset == nil {
		return q
	}
	l := &plan.Limit{Input: q.Plan, Count: -1}
	if sel.LimitCount != nil {
		l.Count = b.limitValue(sel.LimitCount, "LIMIT", -1)
	}
	if sel.LimitOffset != nil {
		l.Offset = b.limitValue(sel.LimitOffset, "OFFSET", 0)
	}
	q.Plan = l
	return q
}

func (b *binder) limitValue(n *pg_query.Node, what string, ifNull int64) int64 {
	e := coerce(b.expr(n, &scope{}, catalog.TypeInt8), catalog.TypeInt8)
	if e.Kind != plan.Const {
		failf(sqlerr.FeatureNotSupported, "%s must be a constant", what)
	}
	if e.Value.Null {
		return ifNull
	}
	if e.Value.I < 0 {
		code := "2201W" // invalid_row_count_in_limit_clause
		if what == "OFFSET" {
			code = "2201X"
		}
		failf(code, "%s must not be negative", what)
	}
	return e.Value.I
}

func isStar(cr *pg_query.ColumnRef) bool {
	last := cr.Fields[len(cr.Fields)-1]
	_, ok := last.Node.(*pg_query.Node_AStar)
	return ok
}

// groupOrOrderExpr binds a GROUP BY or ORDER BY item: an integer constant is
// an output column position; a bare name that is an output column's name is
// that column (for ORDER BY first; for GROUP BY only when no input column has
// the name); anything else is an expression over the input.
func (b *binder) groupOrOrderExpr(n *pg_query.Node, s *scope, targets []*plan.Expr, cols []OutputColumn, isOrder bool) *plan.Expr {
	what := "GROUP BY"
	if isOrder {
		what = "ORDER BY"
	}
	if c := n.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
			pos := int(iv.Ival.Ival)
			if pos < 1 || pos > len(targets) {
				failf(sqlerr.InvalidColumnReference, "%s position %d is not in select list", what, pos)
			}
			return targets[pos-1]
		}
	}
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		if str := cr.Fields[0].GetString_(); str != nil {
			name := str.Sval
			inInput := false
			for _, c := range s.cols {
				if c.name == name {
					inInput = true
				}
			}
			if isOrder || !inInput {
				match := -1
				for i, c := range cols {
					if c.Name == name {
						if match >= 0 && !exprEqual(targets[match], targets[i]) {
							failf(sqlerr.AmbiguousColumn, "%s %q is ambiguous", what, name)
						}
						if match < 0 {
							match = i
						}
					}
				}
				if match >= 0 {
					return targets[match]
				}
			}
		}
	}
	e := b.expr(n, s, catalog.TypeUnknown)
	if e.Type.Kind == catalog.Unknown {
		e = coerce(e, catalog.TypeText)
	}
	return e
}

// fromItem binds one FROM item, adding its columns to s.
func (b *binder) fromItem(qb *queryBlock, n *pg_query.Node, s *scope) *joinNode {
	switch f := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		if f.RangeVar.Schemaname == "" {
			if c := b.lookupCTE(f.RangeVar.Relname); c != nil {
				return b.cteRange(qb, f.RangeVar, c, s)
			}
		}
		t, sys := b.relation(f.RangeVar)
		if sys != nil {
			return b.systemRange(qb, f.RangeVar, sys, s)
		}
		if b.rowID {
			b.require(t, b.targetPriv) // a DELETE's or UPDATE's target
		} else {
			b.require(t, catalog.PrivSelect)
		}
		if t.IsView() {
			return b.viewRange(qb, f.RangeVar, t, s)
		}
		visible := t.VisibleColumns()
		alias, colAliases := rangeAliases(f.RangeVar, t.Name, len(visible))
		b.checkAlias(qb, alias)
		r := b.addRange(qb, &rangeEntry{alias: alias, table: t}, len(t.Columns))
		b.reference(t.OID, 0)
		for k, i := range visible {
			c := t.Columns[i]
			name := c.Name
			if k < len(colAliases) {
				name = colAliases[k]
			}
			s.cols = append(s.cols, scopeCol{id: r.ids[i], rel: alias, name: name, typ: c.Type, tableOID: t.OID, attnum: int16(i + 1)})
		}
		b.addRowID(qb, r, s)
		b.addTableOID(s, alias, t.OID)
		return &joinNode{rng: len(qb.ranges) - 1}
	case *pg_query.Node_RangeFunction:
		return b.functionRange(qb, f.RangeFunction, s)
	case *pg_query.Node_RangeSubselect:
		rs := f.RangeSubselect
		if rs.Alias == nil {
			failf(sqlerr.SyntaxError, "subquery in FROM must have an alias")
		}
		var sub *Query
		var lateral *plan.LateralJoin
		if rs.Lateral {
			// Its references to earlier FROM items are parameters, set
			// per row of the join of those items (buildLateral).
			q, params, args := b.paramQuery(rs.Subquery.GetSelectStmt(), &scope{cols: s.cols, outer: s.outer})
			sub = q
			if len(params) > 0 {
				lateral = &plan.LateralJoin{Sub: q.Plan, Params: params, Args: args}
			}
		}
		if lateral == nil {
			sub = b.child().query(rs.Subquery.GetSelectStmt(), s.outer)
		}
		if len(rs.Alias.Colnames) > len(sub.Columns) {
			failf(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", rs.Alias.Aliasname, len(sub.Columns), len(rs.Alias.Colnames))
		}
		alias := rs.Alias.Aliasname
		b.checkAlias(qb, alias)
		r := b.addRange(qb, &rangeEntry{alias: alias, sub: sub, lateralSub: lateral}, len(sub.Columns))
		for i, c := range sub.Columns {
			name := c.Name
			if i < len(rs.Alias.Colnames) {
				name = rs.Alias.Colnames[i].GetString_().Sval
			}
			// A subquery's column that comes straight from a table still
			// names it (PostgreSQL's markTargetListOrigin).
			s.cols = append(s.cols, scopeCol{id: r.ids[i], rel: alias, name: name, typ: c.Type, tableOID: c.TableOID, attnum: c.Attnum, fields: c.Fields})
		}
		return &joinNode{rng: len(qb.ranges) - 1}
	case *pg_query.Node_JoinExpr:
		j := f.JoinExpr
		if j.Alias != nil || j.JoinUsingAlias != nil {
			failf(sqlerr.FeatureNotSupported, "aliases on joins are not supported yet")
		}
		first := len(s.cols)
		left := b.fromItem(qb, j.Larg, s)
		mid := len(s.cols)
		right := b.fromItem(qb, j.Rarg, s)
		jn := &joinNode{rng: -1, left: left, right: right, lateral: isLateral(qb, right)}
		switch j.Jointype {
		case pg_query.JoinType_JOIN_INNER:
			jn.kind = plan.InnerJoin
			if j.Quals == nil {
				jn.kind = plan.CrossJoin
			}
		case pg_query.JoinType_JOIN_LEFT:
			jn.kind = plan.LeftJoin
			markNullable(qb, right)
		case pg_query.JoinType_JOIN_RIGHT:
			jn.kind = plan.RightJoin
			markNullable(qb, left)
		case pg_query.JoinType_JOIN_FULL:
			jn.kind = plan.FullJoin
			markNullable(qb, left)
			markNullable(qb, right)
		default:
			failf(sqlerr.FeatureNotSupported, "join type not supported")
		}
		if j.Quals != nil {
			// ON sees only the join's own inputs, as in PostgreSQL.
			on := boolArg(b.expr(j.Quals, &scope{cols: s.cols[first:], noSRF: "JOIN conditions"}, catalog.TypeBool), "JOIN/ON")
			jn.on = conjuncts(on)
		}
		if j.IsNatural || len(j.UsingClause) > 0 {
			jn.on = b.usingJoin(j, jn, s, first, mid)
		}
		return jn
	}
	failf(sqlerr.FeatureNotSupported, "FROM item not supported yet: %s", stmtName(n))
	return nil
}

// rangeAliases returns the alias of a relation named in FROM (its name when
// it has none) and its column aliases, which must be at most ncols.
func rangeAliases(rv *pg_query.RangeVar, name string, ncols int) (alias string, colAliases []string) {
	alias = name
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
		for _, c := range rv.Alias.Colnames {
			colAliases = append(colAliases, c.GetString_().Sval)
		}
	}
	if len(colAliases) > ncols {
		failf(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, ncols, len(colAliases))
	}
	return alias, colAliases
}

func (b *binder) checkAlias(qb *queryBlock, alias string) {
	for _, r := range qb.ranges {
		if r.alias == alias {
			failf(sqlerr.DuplicateAlias, "table name %q specified more than once", alias)
		}
	}
}

func markNullable(qb *queryBlock, jn *joinNode) {
	if jn.rng >= 0 {
		qb.ranges[jn.rng].nullable = true
		return
	}
	markNullable(qb, jn.left)
	markNullable(qb, jn.right)
}

func (b *binder) collectJoinIDs(jn *joinNode, used map[int]bool) {
	if jn == nil || jn.rng >= 0 {
		return
	}
	for _, e := range jn.on {
		collectIDs(e, used)
	}
	b.collectJoinIDs(jn.left, used)
	b.collectJoinIDs(jn.right, used)
}

// rangeOf returns the range that owns column id.
func (qb *queryBlock) rangeOf(id int) (int, bool) {
	for i, r := range qb.ranges {
		for _, x := range r.ids {
			if x == id {
				return i, true
			}
		}
	}
	return 0, false
}

// rangesOf returns the FROM items an expression references.
func rangesOf(qb *queryBlock, e *plan.Expr) map[int]bool {
	ids := map[int]bool{}
	collectIDs(e, ids)
	out := map[int]bool{}
	for id := range ids {
		if i, ok := qb.rangeOf(id); ok {
			out[i] = true
		}
	}
	return out
}

func leaves(jn *joinNode, out map[int]bool) {
	if jn.rng >= 0 {
		out[jn.rng] = true
		return
	}
	leaves(jn.left, out)
	leaves(jn.right, out)
}

func allInner(jn *joinNode) bool {
	if jn.rng >= 0 {
		return true
	}
	return !jn.lateral && (jn.kind == plan.InnerJoin || jn.kind == plan.CrossJoin) && allInner(jn.left) && allInner(jn.right)
}

// buildFrom builds the join tree. WHERE conjuncts that reference one base
// table (not on the nullable side of an outer join) are pushed into its scan;
// the others are attached at the lowest node that sees all their tables and
// is not on the nullable side of an outer join (in a tree with outer joins,
// psql's `FROM pg_class c, pg_class c2, pg_index i LEFT JOIN …`, that turns
// cross joins into hash joins). It returns the conjuncts left for a filter
// on top.
func (b *binder) buildFrom(qb *queryBlock, jn *joinNode, where []*plan.Expr, used map[int]bool) (plan.Node, []int, []*plan.Expr) {
	pushed := make([][]*plan.Expr, len(qb.ranges))
	var rest []*plan.Expr
	where = factorOr(qb, where)
	for _, c := range where {
		rs := rangesOf(qb, c)
		if len(rs) == 1 && !onCoordinator(c) { // a SubPlan or pg_cancel_backend runs on the coordinator
			for r := range rs {
				if !qb.ranges[r].nullable && qb.ranges[r].table != nil {
					pushed[r] = append(pushed[r], c)
					goto next
				}
			}
		}
		rest = append(rest, c)
	next:
	}
	inner := allInner(jn)
	attach := rest
	rest = nil
	if inner {
		jn = b.reorderJoins(qb, jn, pushed, &attach)
	}
	node, layout, covered := b.buildJoin(qb, jn, pushed, &attach, used, inner)
	node, layout, _ = b.applySubJoins(qb, node, layout, covered)
	return node, layout, attach
}

// buildJoin builds a join (sub)tree. WHERE conjuncts in attach are
// evaluated as soon as the tree built so far covers their ranges, unless
// it is on the nullable side of an outer join (which would drop rows the
// join must null-extend instead): in an all-inner tree (inner) anywhere,
// elsewhere at nodes with a leaf no outer join can null. WHERE subqueries
// join as soon as their conditions can be evaluated in an all-inner tree,
// elsewhere only at such leaves.
func (b *binder) buildJoin(qb *queryBlock, jn *joinNode, pushed [][]*plan.Expr, attach *[]*plan.Expr, used map[int]bool, inner bool) (plan.Node, []int, map[int]bool) {
	if jn.rng >= 0 {
		n, layout := b.buildRange(qb, jn.rng, pushed[jn.rng], used)
		covered := map[int]bool{jn.rng: true}
		if qb.ranges[jn.rng].nullable {
			return n, layout, covered
		}
		n, layout, covered = b.applySubJoins(qb, n, layout, covered)
		return filterCovered(qb, n, layout, covered, attach)
	}
	if jn.lateral {
		return b.buildLateral(qb, jn, pushed, attach, used, inner)
	}
	ln, ll, lr := b.buildJoin(qb, jn.left, pushed, attach, used, inner)
	rn, rl, rr := b.buildJoin(qb, jn.right, pushed, attach, used, inner)
	if jn.swap {
		ln, ll, lr, rn, rl, rr = rn, rl, rr, ln, ll, lr
	}
	all := map[int]bool{}
	for r := range lr {
		all[r] = true
	}
	for r := range rr {
		all[r] = true
	}
	conds := append([]*plan.Expr(nil), jn.on...)
	attachable := inner || hasFixedLeaf(qb, all)
	if attachable && (jn.kind == plan.InnerJoin || jn.kind == plan.CrossJoin) {
		conds = append(conds, takeCovered(qb, attach, all)...)
	}
	// An outer join's ON conditions on its nullable side alone filter that
	// side before the join (a row they reject matches nothing either way).
	switch jn.kind {
	case plan.LeftJoin:
		conds, rn, rl = pushSide(qb, conds, rr, rn, rl)
	case plan.RightJoin:
		conds, ln, ll = pushSide(qb, conds, lr, ln, ll)
	}
	kind := jn.kind
	if kind == plan.CrossJoin && len(conds) > 0 {
		kind = plan.InnerJoin
	}
	j := &plan.Join{Left: ln, Right: rn, Kind: kind}
	layout := append(append([]int(nil), ll...), rl...)
	if residual := equiKeys(j, conds, ll, rl); len(residual) > 0 {
		j.Residual = remap(andAll(residual), layout)
	}
	if !inner {
		if !attachable {
			return j, layout, all
		}
		return filterCovered(qb, j, layout, all, attach)
	}
	n, layout, all := b.applySubJoins(qb, j, layout, all)
	return filterCovered(qb, n, layout, all, attach)
}

// buildLateral builds a lateral join: its right side's set-returning
// functions run per row of its left side (a ProjectSet over it; Outer
// for LEFT JOIN). The left side, when all its joins are inner, is
// reordered and takes the WHERE conjuncts it covers like a FROM list of
// its own (they may be applied early: no outer join nulls it).
func (b *binder) buildLateral(qb *queryBlock, jn *joinNode, pushed [][]*plan.Expr, attach *[]*plan.Expr, used map[int]bool, inner bool) (plan.Node, []int, map[int]bool) {
	left := jn.left
	leftInner := allInner(left) && !inner && jn.kind != plan.RightJoin && jn.kind != plan.FullJoin
	ls := map[int]bool{}
	leaves(left, ls)
	for r := range ls {
		leftInner = leftInner && !qb.ranges[r].nullable
	}
	var ln plan.Node
	var ll []int
	var lr map[int]bool
	if leftInner {
		left = b.reorderJoins(qb, left, pushed, attach)
		ln, ll, lr = b.buildJoin(qb, left, pushed, attach, used, true)
	} else {
		ln, ll, lr = b.buildJoin(qb, left, pushed, attach, used, inner)
	}
	r := qb.ranges[jn.right.rng]
	conds := append([]*plan.Expr(nil), jn.on...)
	switch jn.kind {
	case plan.InnerJoin, plan.CrossJoin:
	case plan.LeftJoin:
		for _, c := range conds {
			if c.Kind != plan.Const || !c.Value.B || c.Value.Null {
				failf(sqlerr.FeatureNotSupported, "LEFT JOIN LATERAL is supported with ON true only")
			}
		}
		conds = nil
	default:
		failf(sqlerr.FeatureNotSupported, "a lateral function must be on the right of an inner or left join")
	}
	for _, a := range r.lateralArgs() {
		if !subset(rangesOf(qb, a), lr) {
			failf(sqlerr.FeatureNotSupported, "a LATERAL item may only refer to the FROM items of its join's left side here")
		}
	}
	var n plan.Node
	if r.lateralSub != nil {
		lj := *r.lateralSub
		lj.Left, lj.Outer = ln, jn.kind == plan.LeftJoin
		lj.Args = make([]*plan.Expr, len(r.lateralSub.Args))
		for i, a := range r.lateralSub.Args {
			lj.Args[i] = remap(a, ll)
		}
		n = &lj
	} else {
		ps := *r.lateral
		ps.Input, ps.Outer = ln, jn.kind == plan.LeftJoin
		ps.Funcs = make([]*plan.SetFunc, len(r.lateral.Funcs))
		for i, f := range r.lateral.Funcs {
			rf := *f
			rf.Args = make([]*plan.Expr, len(f.Args))
			for k, a := range f.Args {
				rf.Args[k] = remap(a, ll)
			}
			ps.Funcs[i] = &rf
		}
		n = &ps
	}
	layout := append(append([]int(nil), ll...), r.ids...)
	all := map[int]bool{jn.right.rng: true}
	for k := range lr {
		all[k] = true
	}
	if len(conds) > 0 {
		n = &plan.Filter{Input: n, Pred: remap(andAll(conds), layout)}
	}
	if !inner && !hasFixedLeaf(qb, all) {
		return n, layout, all
	}
	return filterCovered(qb, n, layout, all, attach)
}

// filterCovered filters a node by the attachable conjuncts it covers.
func filterCovered(qb *queryBlock, n plan.Node, layout []int, covered map[int]bool, attach *[]*plan.Expr) (plan.Node, []int, map[int]bool) {
	if cs := takeCovered(qb, attach, covered); len(cs) > 0 {
		n = &plan.Filter{Input: n, Pred: remap(andAll(cs), layout)}
	}
	return n, layout, covered
}

// hasFixedLeaf reports whether some range of a subtree is on no outer
// join's nullable side, so the subtree itself is on none.
func hasFixedLeaf(qb *queryBlock, ranges map[int]bool) bool {
	for r := range ranges {
		if !qb.ranges[r].nullable {
			return true
		}
	}
	return false
}

// takeCovered removes and returns the conjuncts whose ranges are covered.
func takeCovered(qb *queryBlock, attach *[]*plan.Expr, covered map[int]bool) []*plan.Expr {
	var take, keep []*plan.Expr
	for _, c := range *attach {
		if subset(rangesOf(qb, c), covered) {
			take = append(take, c)
		} else {
			keep = append(keep, c)
		}
	}
	*attach = keep
	return take
}

func subset(a, b map[int]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// buildRange builds the leaf for one FROM item: a Remote over a Scan of the
// used columns with the pushed filter, or a bound subquery.
func (b *binder) buildRange(qb *queryBlock, i int, filters []*plan.Expr, used map[int]bool) (plan.Node, []int) {
	r := qb.ranges[i]
	if r.sub != nil {
		layout := append([]int(nil), r.ids...)
		var n plan.Node = r.sub.Plan
		if len(filters) > 0 {
			n = &plan.Filter{Input: n, Pred: remap(andAll(filters), layout)}
		}
		return n, layout
	}
	var cols []int
	var layout []int
	for k, id := range r.ids {
		if used[id] {
			cols = append(cols, scanColumn(r.table, k))
			layout = append(layout, id)
		}
	}
	if len(cols) == 0 {
		// Nothing is read but the row count: scan the narrowest column.
		k := narrowestColumn(r.table)
		cols, layout = []int{k}, []int{r.ids[k]}
	}
	scan := &plan.Scan{Table: r.table, Cols: cols}
	if len(filters) > 0 {
		scan.Filter = remap(andAll(filters), layout)
	}
	n, layout := dropFilterOnly(qb, scan, layout, filters)
	return &plan.Remote{Fragment: n}, layout
}

// dropFilterOnly projects away the columns of n (with layout) that nothing
// but the given conditions, which n has applied, reads.
func dropFilterOnly(qb *queryBlock, n plan.Node, layout []int, applied []*plan.Expr) (plan.Node, []int) {
	if qb.refs == nil {
		return n, layout
	}
	left := map[int]int{}
	for _, f := range applied {
		if qb.counted[f] {
			forRefs(f, func(r *plan.Expr) { left[r.Col]++ })
		}
	}
	if len(left) == 0 {
		return n, layout
	}
	types := n.Types()
	var keep []*plan.Expr
	var kept []int
	for i, id := range layout {
		if k, ok := left[id]; ok && qb.refs[id] <= k {
			continue
		}
		keep = append(keep, plan.Col(i, types[i]))
		kept = append(kept, id)
	}
	if len(keep) == 0 || len(keep) == len(layout) {
		return n, layout
	}
	return &plan.Project{Input: n, Exprs: keep}, kept
}

func narrowestColumn(t *catalog.Table) int {
	best, bestSize := 0, int16(1<<14)
	for i, c := range t.Columns {
		sz := c.Type.Size()
		if sz < 0 {
			sz = 64
		}
		if sz < bestSize {
			best, bestSize = i, sz
		}
	}
	return best
}

// buildAggregate adds aggregation (distribute splits it into phases).
func (b *binder) buildAggregate(qb *queryBlock, node plan.Node, layout []int, groups []*plan.Expr, calls []*plan.AggCall) (plan.Node, []int) {
	var g []*plan.Expr
	for _, e := range groups {
		g = append(g, remap(e, layout))
	}
	var aggs []*plan.AggCall
	for _, c := range calls {
		nc := *c
		if c.Arg != nil {
			nc.Arg = remap(c.Arg, layout)
		}
		aggs = append(aggs, &nc)
	}
	var out []int
	for i := range groups {
		out = append(out, groupIDBase+i)
	}
	for i := range calls {
		out = append(out, aggIDBase+i)
	}
	return &plan.Aggregate{Input: node, Groups: g, Aggs: aggs, Phase: plan.Complete}, out
}

// rewritePostAgg replaces grouping expressions with references to the
// aggregate's group outputs; a base column left over is a grouping error.
func rewritePostAgg(e *plan.Expr, groups []*plan.Expr, s *scope, keep map[int]bool) *plan.Expr {
	for i, g := range groups {
		if exprEqual(e, g) {
			return plan.Col(groupIDBase+i, e.Type)
		}
	}
	if e.Kind == plan.ColumnRef {
		if e.Col >= aggIDBase || keep[e.Col] {
			return e
		}
		name := "?"
		for _, c := range s.cols {
			if c.id == e.Col {
				name = c.rel + "." + c.name
			}
		}
		failf(sqlerr.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
	}
	if len(e.Args) == 0 {
		return e
	}
	c := *e
	c.Args = make([]*plan.Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = rewritePostAgg(a, groups, s, keep)
	}
	return &c
}

// remap rewrites global column ids into positions of layout.
func remap(e *plan.Expr, layout []int) *plan.Expr {
	if e == nil {
		return nil
	}
	if e.Kind == plan.ColumnRef {
		for i, id := range layout {
			if id == e.Col {
				return plan.Col(i, e.Type)
			}
		}
		failf(sqlerr.Internal, "planner: column id %d not in input", e.Col)
	}
	if len(e.Args) == 0 {
		return e
	}
	c := *e
	c.Args = make([]*plan.Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = remap(a, layout)
	}
	return &c
}

func collectIDs(e *plan.Expr, out map[int]bool) {
	if e == nil {
		return
	}
	if e.Kind == plan.ColumnRef {
		out[e.Col] = true
	}
	for _, a := range e.Args {
		collectIDs(a, out)
	}
}

func conjuncts(e *plan.Expr) []*plan.Expr {
	if e.Kind == plan.Call && e.Op == "and" {
		return append(conjuncts(e.Args[0]), conjuncts(e.Args[1])...)
	}
	return []*plan.Expr{e}
}

func andAll(es []*plan.Expr) *plan.Expr {
	e := es[0]
	for _, x := range es[1:] {
		e = plan.CallOf("and", catalog.TypeBool, e, x)
	}
	return e
}

func exprEqual(a, b *plan.Expr) bool {
	if a.Kind != b.Kind || a.Type != b.Type || a.Col != b.Col || a.Op != b.Op || a.Value != b.Value || a.Else != b.Else || len(a.Args) != len(b.Args) {
		return false
	}
	for i := range a.Args {
		if !exprEqual(a.Args[i], b.Args[i]) {
			return false
		}
	}
	return true
}

// figureColname names an unnamed output column as PostgreSQL's FigureColname.
func figureColname(n *pg_query.Node) string {
	name, _ := figureColnameStrength(n)
	return name
}

// figureColnameStrength is PostgreSQL's FigureColnameInternal: the name
// and how sure it is (2: a column, function or keyword name; 1: a type
// cast's type name, which an outer cast's overrides; 0: none).
func figureColnameStrength(n *pg_query.Node) (string, int) {
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		f := x.ColumnRef.Fields[len(x.ColumnRef.Fields)-1]
		if s := f.GetString_(); s != nil {
			return s.Sval, 2
		}
	case *pg_query.Node_FuncCall:
		return opName(x.FuncCall.Funcname[len(x.FuncCall.Funcname)-1:]), 2
	case *pg_query.Node_SqlvalueFunction:
		name := strings.ToLower(strings.TrimPrefix(x.SqlvalueFunction.Op.String(), "SVFOP_"))
		return strings.TrimSuffix(name, "_n"), 2
	case *pg_query.Node_TypeCast:
		if name, strength := figureColnameStrength(x.TypeCast.Arg); strength > 1 {
			return name, strength
		}
		names := x.TypeCast.TypeName.Names
		return names[len(names)-1].GetString_().Sval, 1
	case *pg_query.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if sel := x.SubLink.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) > 0 {
				rt := sel.TargetList[0].GetResTarget()
				if rt.Name != "" {
					return rt.Name, 2
				}
				return figureColnameStrength(rt.Val)
			}
		}
	case *pg_query.Node_CaseExpr:
		if x.CaseExpr.Defresult != nil {
			if name, strength := figureColnameStrength(x.CaseExpr.Defresult); strength > 1 {
				return name, strength
			}
		}
		return "case", 1
	case *pg_query.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg_query.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg_query.MinMaxOp_IS_LEAST {
			return "least", 2
		}
		return "greatest", 2
	case *pg_query.Node_AArrayExpr:
		return "array", 2
	case *pg_query.Node_RowExpr:
		return "row", 2
	case *pg_query.Node_AIndirection:
		ind := x.AIndirection.Indirection
		if f := ind[len(ind)-1].GetString_(); f != nil {
			return f.Sval, 2 // a field selection
		}
		return figureColnameStrength(x.AIndirection.Arg)
	case *pg_query.Node_AExpr:
		if x.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	}
	return "?column?", 0
}

func itoa(i int) string {
	return string(appendInt(nil, i))
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// usingJoin binds JOIN ... USING (cols) and NATURAL JOIN: each named column
// pair must be equal, and becomes one output column (the left one; the
// right one for RIGHT JOIN; COALESCE of both for FULL JOIN), listed first
// by *, while the two inputs' columns stay reachable qualified only.
func (b *binder) usingJoin(j *pg_query.JoinExpr, jn *joinNode, s *scope, first, mid int) []*plan.Expr {
	visible := func(lo, hi int) []int {
		var out []int
		for i := lo; i < hi; i++ {
			if !s.cols[i].hidden && !s.cols[i].merged {
				out = append(out, i)
			}
		}
		return out
	}
	lcols, rcols := visible(first, mid), visible(mid, len(s.cols))
	var names []string
	if j.IsNatural {
		for _, li := range lcols {
			for _, ri := range rcols {
				if s.cols[li].name == s.cols[ri].name {
					names = append(names, s.cols[li].name)
					break
				}
			}
		}
	} else {
		for _, n := range j.UsingClause {
			names = append(names, n.GetString_().Sval)
		}
	}
	find := func(idx []int, name, side string) int {
		found := -1
		for _, i := range idx {
			if s.cols[i].name == name {
				if found >= 0 {
					failf(sqlerr.AmbiguousColumn, "common column name %q appears more than once in %s table", name, side)
				}
				found = i
			}
		}
		if found < 0 {
			failf(sqlerr.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, side)
		}
		return found
	}
	var conds []*plan.Expr
	var merged []scopeCol
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			failf(sqlerr.DuplicateColumn, "column name %q appears more than once in USING clause", name)
		}
		seen[name] = true
		li, ri := find(lcols, name, "left"), find(rcols, name, "right")
		lc, rc := s.cols[li], s.cols[ri]
		b.reference(lc.tableOID, lc.attnum)
		b.reference(rc.tableOID, rc.attnum)
		l, r := plan.Col(lc.id, lc.typ), plan.Col(rc.id, rc.typ)
		if lc.expr != nil {
			l = lc.expr
		}
		if rc.expr != nil {
			r = rc.expr
		}
		conds = append(conds, binaryOp("=", l, r))
		t := commonType([]*plan.Expr{l, r}, "JOIN/USING")
		m := scopeCol{name: name, typ: t}
		switch jn.kind {
		case plan.RightJoin:
			m.id, m.expr = rc.id, coerce(r, t)
		case plan.FullJoin:
			m.id, m.expr = lc.id, plan.CallOf("coalesce", t, coerce(l, t), coerce(r, t))
		default:
			m.id, m.expr = lc.id, coerce(l, t)
			m.tableOID, m.attnum = lc.tableOID, lc.attnum
		}
		if m.expr.Kind == plan.ColumnRef {
			m.expr = nil
		}
		merged = append(merged, m)
		s.cols[li].merged, s.cols[ri].merged = true, true
	}
	if jn.kind == plan.CrossJoin && len(conds) > 0 {
		jn.kind = plan.InnerJoin
	}
	// The merged columns come first, as PostgreSQL lists them.
	rest := append([]scopeCol(nil), s.cols[first:]...)
	s.cols = append(append(s.cols[:first], merged...), rest...)
	return append(jn.on, conds...)
}

// pushSide moves the conditions that reference only the ranges of one join
// input into a filter on that input.
func pushSide(qb *queryBlock, conds []*plan.Expr, side map[int]bool, n plan.Node, layout []int) ([]*plan.Expr, plan.Node, []int) {
	var keep, push []*plan.Expr
	for _, c := range conds {
		rs := rangesOf(qb, c)
		if len(rs) > 0 && subset(rs, side) {
			push = append(push, c)
		} else {
			keep = append(keep, c)
		}
	}
	if len(push) == 0 {
		return conds, n, layout
	}
	f, l := dropFilterOnly(qb, &plan.Filter{Input: n, Pred: remap(andAll(push), layout)}, layout, push)
	return keep, f, l
}

// equiKeys moves each condition that equates an expression over the left
// input's columns (ids ll) with one over the right input's (ids rl) into
// j's keys, remapped into each input's positions, and returns the other
// conditions.
func equiKeys(j *plan.Join, conds []*plan.Expr, ll, rl []int) []*plan.Expr {
	var rest []*plan.Expr
	for _, c := range conds {
		if c.Kind == plan.Call && c.Op == "=" {
			a, x := c.Args[0], c.Args[1]
			switch {
			case refsOnly(a, ll) && refsOnly(x, rl):
				j.LeftKeys, j.RightKeys = append(j.LeftKeys, remap(a, ll)), append(j.RightKeys, remap(x, rl))
				continue
			case refsOnly(x, ll) && refsOnly(a, rl):
				j.LeftKeys, j.RightKeys = append(j.LeftKeys, remap(x, ll)), append(j.RightKeys, remap(a, rl))
				continue
			}
		}
		rest = append(rest, c)
	}
	return rest
}
