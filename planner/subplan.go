package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// SubPlans. A correlated scalar subquery whose FROM calls a function over
// the enclosing query's columns (psql's `generate_series(0,
// array_upper(pr.prattrs::int2[], 1))`, `unnest(tc.reloptions)`) cannot be
// decorrelated into a join: the function's rows depend on the outer row.
// It is bound as a plan.SubPlan instead: the enclosing block's columns are
// parameters (plan.Param) of the subquery, which is bound as an
// uncorrelated query, and the executor runs it once per outer row, on the
// coordinator, as PostgreSQL runs a SubPlan. Catalog queries, whose outer
// rows are few, are what needs it.

// lateralFunctionIn reports whether a SELECT's FROM has a function call
// whose arguments name columns (of the enclosing query, as a subquery's
// FROM function cannot see its own FROM items without LATERAL).
func lateralFunctionIn(sel *pg_query.SelectStmt) bool {
	if sel == nil {
		return false
	}
	found := false
	var walk func(n *pg_query.Node)
	walk = func(n *pg_query.Node) {
		switch x := n.GetNode().(type) {
		case *pg_query.Node_RangeFunction:
			for _, f := range x.RangeFunction.Functions {
				for _, item := range f.GetList().GetItems() {
					if fc := item.GetFuncCall(); fc != nil {
						for _, a := range fc.Args {
							found = found || mentionsColumn(a)
						}
					}
				}
			}
		case *pg_query.Node_JoinExpr:
			walk(x.JoinExpr.Larg)
			walk(x.JoinExpr.Rarg)
		}
	}
	for _, f := range sel.FromClause {
		walk(f)
	}
	return found
}

// mentionsColumn reports whether an expression's syntax tree holds a
// column reference (outside subqueries).
func mentionsColumn(n *pg_query.Node) bool {
	if n == nil {
		return false
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return true
	case *pg_query.Node_FuncCall:
		for _, a := range x.FuncCall.Args {
			if mentionsColumn(a) {
				return true
			}
		}
	case *pg_query.Node_TypeCast:
		return mentionsColumn(x.TypeCast.Arg)
	case *pg_query.Node_AExpr:
		return mentionsColumn(x.AExpr.Lexpr) || mentionsColumn(x.AExpr.Rexpr)
	case *pg_query.Node_AIndirection:
		return mentionsColumn(x.AIndirection.Arg)
	case *pg_query.Node_CoalesceExpr:
		for _, a := range x.CoalesceExpr.Args {
			if mentionsColumn(a) {
				return true
			}
		}
	}
	return false
}

// subPlan binds a correlated scalar subquery as a plan.SubPlan over the
// columns of the enclosing block (scope s).
func (b *binder) subPlan(sel *pg_query.SelectStmt, s *scope) *plan.Expr {
	q, params, args := b.paramQuery(sel, s)
	if len(q.Columns) != 1 {
		failf(sqlerr.SyntaxError, "subquery must return only one column")
	}
	return &plan.Expr{Kind: plan.SubPlan, Type: q.Columns[0].Type, Sub: q.Plan, Params: params, Args: args}
}

// paramQuery binds a query over the columns of scope s as parameters
// (plan.Param), as PostgreSQL binds a SubPlan's or a lateral subquery's
// references to the enclosing rows, and distributes it. It returns the
// parameters the query reads, numbered from 0, and for each the
// expression over s's columns whose value it takes.
func (b *binder) paramQuery(sel *pg_query.SelectStmt, s *scope) (q *Query, params, args []*plan.Expr) {
	// Every column of the enclosing block stands for a parameter; those
	// the subquery reads become the arguments.
	ps := &scope{outer: paramOuter(s.outer)}
	var all, values []*plan.Expr
	for _, c := range s.cols {
		if c.hidden {
			continue
		}
		p := &plan.Expr{Kind: plan.Param, Type: c.typ, Col: len(all)}
		v := c.expr
		if v == nil {
			v = plan.Col(c.id, c.typ)
		}
		all, values = append(all, p), append(values, v)
		pc := c
		pc.expr = p
		ps.cols = append(ps.cols, pc)
	}
	q = b.child().top(b.child().query(sel, ps))
	// Keep the parameters the subquery reads, numbered anew.
	used := map[*plan.Expr]bool{}
	var walk func(n plan.Node)
	var walkExpr func(e *plan.Expr)
	walkExpr = func(e *plan.Expr) {
		if e == nil {
			return
		}
		if e.Kind == plan.Param {
			if e.Col < 0 {
				failf(sqlerr.FeatureNotSupported, "a subquery referencing a query block more than one level out is not supported yet")
			}
			used[e] = true
		}
		if e.Sub != nil {
			walk(e.Sub)
		}
		for _, a := range e.Args {
			walkExpr(a)
		}
	}
	walk = func(n plan.Node) {
		plan.VisitExprs(n, walkExpr)
		if r, ok := n.(*plan.Remote); ok {
			walk(r.Fragment)
			return
		}
		for _, c := range plan.Children(n) {
			walk(c)
		}
	}
	walk(q.Plan)
	for i, p := range all {
		if used[p] {
			p.Col = len(params)
			params = append(params, p)
			args = append(args, values[i])
		}
	}
	return q, params, args
}

// paramOuter is the scope of blocks further out, which a SubPlan may not
// read (its parameters are the enclosing block's columns): their columns
// bind to a Param numbered -1, refused once the subquery is bound.
func paramOuter(s *scope) *scope {
	if s == nil {
		return nil
	}
	out := &scope{outer: paramOuter(s.outer)}
	for _, c := range s.cols {
		c.expr = &plan.Expr{Kind: plan.Param, Type: catalog.TypeUnknown, Col: -1}
		out.cols = append(out.cols, c)
	}
	return out
}
