package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// setOp binds UNION [ALL], INTERSECT and EXCEPT. Each column takes the
// common type of its two sides (as PostgreSQL resolves it) and the names of
// the left side. UNION ALL appends; the other forms compare whole rows,
// NULLs equal (as GROUP BY does): UNION groups the appended rows;
// INTERSECT and EXCEPT tag each row with its side, group, and keep groups
// seen on both sides (INTERSECT) or only on the left (EXCEPT).
func (b *binder) setOp(sel *pg_query.SelectStmt, outer *scope) *Query {
	if sel.WithClause != nil {
		b = b.with(sel.WithClause)
	}
	name := map[pg_query.SetOperation]string{
		pg_query.SetOperation_SETOP_UNION:     "UNION",
		pg_query.SetOperation_SETOP_INTERSECT: "INTERSECT",
		pg_query.SetOperation_SETOP_EXCEPT:    "EXCEPT",
	}[sel.Op]
	branch := func(s *pg_query.SelectStmt) *Query {
		cb := b.child()
		cb.keepUnknown = true
		return cb.query(s, outer)
	}
	l, r := branch(sel.Larg), branch(sel.Rarg)
	if len(l.Columns) != len(r.Columns) {
		failf(sqlerr.SyntaxError, "each %s query must have the same number of columns", name)
	}
	cols := make([]OutputColumn, len(l.Columns))
	types := make([]catalog.Type, len(l.Columns))
	for i := range l.Columns {
		lt, rt := l.Columns[i].Type, r.Columns[i].Type
		t := commonType([]*plan.Expr{plan.Col(0, lt), plan.Col(0, rt)}, name)
		if lt == rt && lt.Kind != catalog.Unknown {
			t = lt // identical types keep their modifiers
		}
		types[i] = t
		cols[i] = OutputColumn{Name: l.Columns[i].Name, Type: t}
	}
	side := func(q *Query, tag int64, tagged bool) plan.Node {
		for i, c := range q.Columns {
			if c.Type.Kind == catalog.Unknown {
				retypeUnknown(q.Plan, i, types[i])
				q.Columns[i].Type = types[i]
			}
		}
		var exprs []*plan.Expr
		for i, c := range q.Columns {
			exprs = append(exprs, coerce(plan.Col(i, c.Type), types[i]))
		}
		if tagged {
			exprs = append(exprs, plan.ConstOf(catalog.TypeInt4, plan.Datum{I: tag}))
		}
		return project(q.Plan, exprs)
	}
	var groups []*plan.Expr
	for i, t := range types {
		groups = append(groups, plan.Col(i, t))
	}
	var node plan.Node
	switch {
	case sel.Op == pg_query.SetOperation_SETOP_UNION:
		node = &plan.Append{Inputs: []plan.Node{side(l, 0, false), side(r, 1, false)}}
		if !sel.All {
			node = &plan.Aggregate{Input: node, Groups: groups, Phase: plan.Complete}
		}
	case sel.All:
		failf(sqlerr.FeatureNotSupported, "%s ALL is not supported yet", name)
	default:
		tag := plan.Col(len(types), catalog.TypeInt4)
		in := &plan.Append{Inputs: []plan.Node{side(l, 0, true), side(r, 1, true)}}
		agg := &plan.Aggregate{Input: in, Groups: groups, Phase: plan.Complete, Aggs: []*plan.AggCall{
			{Func: "min", Arg: tag, Type: catalog.TypeInt4},
			{Func: "max", Arg: tag, Type: catalog.TypeInt4},
		}}
		n := len(types)
		minTag, maxTag := plan.Col(n, catalog.TypeInt4), plan.Col(n+1, catalog.TypeInt4)
		zero := plan.ConstOf(catalog.TypeInt4, plan.Datum{I: 0})
		one := plan.ConstOf(catalog.TypeInt4, plan.Datum{I: 1})
		keep := plan.CallOf("=", catalog.TypeBool, maxTag, zero) // EXCEPT: left only
		if sel.Op == pg_query.SetOperation_SETOP_INTERSECT {
			keep = plan.CallOf("and", catalog.TypeBool,
				plan.CallOf("=", catalog.TypeBool, minTag, zero),
				plan.CallOf("=", catalog.TypeBool, maxTag, one))
		}
		node = project(&plan.Filter{Input: agg, Pred: keep}, groups)
	}
	return b.orderLimit(&Query{Plan: node, Columns: cols}, sel)
}

// retypeUnknown types output column i of a branch, an untyped literal, as
// t where the literal is computed (the branch's projection or VALUES rows,
// under any ORDER BY or LIMIT).
func retypeUnknown(n plan.Node, i int, t catalog.Type) {
	switch n := n.(type) {
	case *plan.Sort:
		retypeUnknown(n.Input, i, t)
		return
	case *plan.Limit:
		retypeUnknown(n.Input, i, t)
		return
	case *plan.Project:
		n.Exprs[i] = coerce(n.Exprs[i], t)
		return
	case *plan.Values:
		for _, r := range n.Rows {
			r[i] = coerce(r[i], t)
		}
		n.ColTypes[i] = t
		return
	}
	failf(sqlerr.FeatureNotSupported, "an untyped literal in this %T branch of a set operation is not supported", n)
}
