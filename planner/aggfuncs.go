package planner

import (
	"reflect"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Aggregates beyond aggregate()'s count/sum/avg/min/max, and the FILTER
// clause of every aggregate.
//
//	agg(x) FILTER (WHERE c)     → agg(CASE WHEN c THEN x END)
//	count(*) FILTER (WHERE c)   → count(CASE WHEN c THEN 1 END)
//
// which is exact for aggregates that skip NULL inputs (all of these).
//
//	bool_and(b), every(b)       → min(b) over booleans (false < true)
//	bool_or(b)                  → max(b)
//	string_agg(s, d [ORDER BY]) → AggCall string_agg whose Arg is the call
//	                              string_agg(s, d, key...) (see below)
//	array_agg(x [ORDER BY])     → array_wrap(string_agg(array_elem(x), ',' [ORDER BY]))

// orderInsensitiveAggs are the aggregates whose result an ORDER BY in the
// call cannot change (for sums of floats only in the last bits, and the
// order of an unordered sum is arbitrary anyway).
var orderInsensitiveAggs = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true, "bool_or": true, "every": true}

var extAggFuncs = map[string]bool{"string_agg": true, "array_agg": true, "bool_and": true, "bool_or": true, "every": true}

// aggregateExt binds an aggregate call that has a FILTER clause or is one
// of extAggFuncs; nil when it is neither.
func (b *binder) aggregateExt(name string, fc *pg_query.FuncCall, s *scope) *plan.Expr {
	if !aggFuncs[name] && !extAggFuncs[name] && scalarFuncs[name] && fc.Over == nil {
		what := ""
		switch {
		case fc.AggFilter != nil:
			what = "FILTER"
		case fc.AggDistinct:
			what = "DISTINCT"
		case len(fc.AggOrder) > 0:
			what = "ORDER BY"
		case fc.AggStar:
			what = name + "(*)"
		}
		if what != "" {
			failf(sqlerr.WrongObjectType, "%s specified, but %s is not an aggregate function", what, name)
		}
	}
	// ORDER BY does not change these results: it is dropped.
	order := fc.AggOrder
	if orderInsensitiveAggs[name] {
		order = nil
	}
	if !extAggFuncs[name] && (!aggFuncs[name] || (fc.AggFilter == nil && len(order) == len(fc.AggOrder))) {
		return nil
	}
	filtered := false
	if (fc.AggFilter != nil || len(order) != len(fc.AggOrder)) && fc.Over == nil {
		nf := &pg_query.FuncCall{Funcname: fc.Funcname, AggOrder: order, AggDistinct: fc.AggDistinct, AggStar: fc.AggStar, Funcformat: fc.Funcformat, Location: fc.Location}
		nf.Args = append(nf.Args, fc.Args...)
		if fc.AggFilter == nil {
			fc = nf
		}
	}
	if fc.AggFilter != nil && fc.Over == nil {
		filtered = true
		nf := &pg_query.FuncCall{Funcname: fc.Funcname, AggOrder: order, AggDistinct: fc.AggDistinct, Funcformat: fc.Funcformat, Location: fc.Location}
		nf.Args = append(nf.Args, fc.Args...)
		first := pg_query.MakeAConstIntNode(1, -1)
		if !fc.AggStar {
			if len(fc.Args) == 0 {
				failf(sqlerr.UndefinedFunction, "function %s() does not exist", name)
			}
			first = fc.Args[0]
		}
		when := &pg_query.Node{Node: &pg_query.Node_CaseWhen{CaseWhen: &pg_query.CaseWhen{Expr: fc.AggFilter, Result: first, Location: -1}}}
		cs := &pg_query.Node{Node: &pg_query.Node_CaseExpr{CaseExpr: &pg_query.CaseExpr{Args: []*pg_query.Node{when}, Location: -1}}}
		if fc.AggStar {
			nf.Args = []*pg_query.Node{cs}
		} else {
			nf.Args[0] = cs
		}
		fc = nf
	}
	if aggFuncs[name] {
		return b.aggregate(name, fc, s)
	}
	s = s.aggScope()
	if s.agg == nil {
		failf(sqlerr.GroupingError, "aggregate functions are not allowed here")
	}
	if s.agg.inAgg {
		failf(sqlerr.GroupingError, "aggregate function calls cannot be nested")
	}
	if fc.AggStar {
		failf(sqlerr.SyntaxError, "%s(*) is not allowed", name)
	}
	bind := func(n *pg_query.Node, hint catalog.Type) *plan.Expr {
		s.agg.inAgg = true
		defer func() { s.agg.inAgg = false }()
		return b.expr(n, s, hint)
	}
	call := &plan.AggCall{Func: name, Distinct: fc.AggDistinct}
	switch name {
	case "bool_and", "bool_or", "every":
		if len(fc.Args) != 1 {
			failf(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
		}
		arg := bind(fc.Args[0], catalog.TypeBool)
		if arg.Type.Kind == catalog.Unknown {
			arg = coerce(arg, catalog.TypeBool)
		}
		if arg.Type.Kind != catalog.Bool {
			failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, arg.Type)
		}
		call.Func, call.Arg, call.Type = "min", arg, catalog.TypeBool
		if name == "bool_or" {
			call.Func = "max"
		}
	case "string_agg":
		if len(fc.Args) != 2 {
			failf(sqlerr.UndefinedFunction, "function string_agg with %d arguments does not exist", len(fc.Args))
		}
		x := bind(fc.Args[0], catalog.TypeText)
		d := bind(fc.Args[1], catalog.TypeText)
		if fc.AggDistinct && d.Kind != plan.Const {
			failf(sqlerr.FeatureNotSupported, "string_agg(DISTINCT ...) with a delimiter that is not a constant is not supported")
		}
		if !(x.Type.IsString() || x.Type.Kind == catalog.Unknown) || !(d.Type.IsString() || d.Type.Kind == catalog.Unknown) {
			failf(sqlerr.UndefinedFunction, "function string_agg(%s, %s) does not exist", x.Type, d.Type)
		}
		args := []*plan.Expr{coerce(x, catalog.TypeText), coerce(d, catalog.TypeText)}
		for _, o := range fc.AggOrder {
			k, op := aggOrderKey(o.GetSortBy(), bind)
			if fc.AggDistinct {
				// The distinct values are the sort keys.
				v := args[0]
				if filtered && v.Kind == plan.Case && len(v.Args) >= 2 {
					v = v.Args[1]
				}
				if !reflect.DeepEqual(coerce(k, catalog.TypeText), v) {
					failf("42P10", "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
				}
				k = args[0]
			}
			args = append(args, plan.CallOf(op, k.Type, k))
		}
		if fc.AggDistinct && len(fc.AggOrder) == 0 {
			// PostgreSQL sorts the input of a DISTINCT aggregate.
			args = append(args, plan.CallOf("asc nulls last", catalog.TypeText, args[0]))
		}
		call.Arg = plan.CallOf("string_agg", catalog.TypeText, args...)
		call.Type = catalog.TypeText
	case "array_agg":
		// string_agg of the elements' array text, braced: NULL elements
		// are kept as NULL, no rows give NULL.
		if len(fc.Args) != 1 {
			failf(sqlerr.UndefinedFunction, "function array_agg with %d arguments does not exist", len(fc.Args))
		}
		if filtered || fc.AggDistinct {
			failf(sqlerr.FeatureNotSupported, "array_agg with FILTER or DISTINCT is not supported yet")
		}
		x := bind(fc.Args[0], catalog.TypeUnknown)
		if x.Type.Kind == catalog.Unknown {
			x = coerce(x, catalog.TypeText)
		}
		if x.Type.IsArray() {
			failf(sqlerr.FeatureNotSupported, "arrays of arrays are not supported")
		}
		args := []*plan.Expr{plan.CallOf("array_elem", catalog.TypeText, x), plan.ConstOf(catalog.TypeText, plan.Datum{S: ","})}
		for _, o := range fc.AggOrder {
			k, op := aggOrderKey(o.GetSortBy(), bind)
			args = append(args, plan.CallOf(op, k.Type, k))
		}
		call.Func, call.Arg, call.Type = "string_agg", plan.CallOf("string_agg", catalog.TypeText, args...), catalog.TypeText
		s.agg.calls = append(s.agg.calls, call)
		return plan.CallOf("array_wrap", catalog.ArrayOf(x.Type.Kind), plan.Col(aggIDBase+len(s.agg.calls)-1, call.Type))
	}
	s.agg.calls = append(s.agg.calls, call)
	return plan.Col(aggIDBase+len(s.agg.calls)-1, call.Type)
}

// aggOrderKey binds one ORDER BY key of an ordered aggregate: the key and
// the order op ("asc nulls last", …) string_agg's call carries.
func aggOrderKey(sb *pg_query.SortBy, bind func(*pg_query.Node, catalog.Type) *plan.Expr) (*plan.Expr, string) {
	if sb.UseOp != nil {
		failf(sqlerr.FeatureNotSupported, "ORDER BY ... USING is not supported")
	}
	k := bind(sb.Node, catalog.TypeUnknown)
	if k.Type.Kind == catalog.Unknown {
		k = coerce(k, catalog.TypeText)
	}
	desc, nullsFirst := sortDirection(sb)
	op := "asc"
	if desc {
		op = "desc"
	}
	if nullsFirst {
		return k, op + " nulls first"
	}
	return k, op + " nulls last"
}

// aggOnePhase reports whether an aggregate must see its whole input in one
// place (no partial states merged from participants): string_agg with an
// ORDER BY or a delimiter that is not a constant.
func aggOnePhase(c *plan.AggCall) bool {
	if c.Func != "string_agg" || c.Arg == nil {
		return false
	}
	return len(c.Arg.Args) > 2 || c.Arg.Args[1].Kind != plan.Const
}
