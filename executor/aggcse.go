package executor

import (
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Common subexpressions of aggregate arguments are evaluated once per
// batch. TPC-H Q1 sums l_extendedprice * (1 - l_discount) and, in the
// charge, the same product times (1 + l_tax): the product becomes an extra
// column after the input's, computed before the arguments, which read it
// as a column. Only arguments made of columns, constants, casts and
// + - * take part: they are evaluated over every row of the batch anyway,
// so evaluating a shared part once changes nothing but the work.

// aggCSE is the argument rewriting: args[i] replaces aggregate i's
// argument (nil: unchanged), defs are the extra columns' expressions over
// the input and earlier extra columns, starting at column base.
type aggCSE struct {
	base int
	args map[*plan.AggCall]*plan.Expr
	defs []*plan.Expr
}

// findAggCSE picks the repeated subexpressions of the aggregates'
// arguments, largest first.
func findAggCSE(aggs []*plan.AggCall, base int) *aggCSE {
	var calls []*plan.AggCall
	var args []*plan.Expr
	for _, c := range aggs {
		if c.Arg != nil && c.Func != "string_agg" && pureArith(c.Arg) {
			calls = append(calls, c)
			args = append(args, c.Arg)
		}
	}
	if len(args) < 2 {
		return nil
	}
	cse := &aggCSE{base: base, args: map[*plan.AggCall]*plan.Expr{}}
	for {
		var subs []*plan.Expr
		for _, a := range args {
			collectCalls(a, &subs)
		}
		var best *plan.Expr
		bestSize := 0
		for i, s := range subs {
			size := exprSize(s)
			if size <= bestSize {
				continue
			}
			for j, t := range subs {
				if j != i && sameExpr(s, t) {
					best, bestSize = s, size
					break
				}
			}
		}
		if best == nil {
			break
		}
		ref := plan.Col(base+len(cse.defs), best.Type)
		cse.defs = append(cse.defs, best)
		for i, a := range args {
			args[i] = replaceExpr(a, best, ref)
		}
	}
	if len(cse.defs) == 0 {
		return nil
	}
	for i, c := range calls {
		if args[i] != c.Arg {
			cse.args[c] = args[i]
		}
	}
	return cse
}

// collectCalls appends e's call subtrees (operators, not leaves or casts).
func collectCalls(e *plan.Expr, out *[]*plan.Expr) {
	if e.Kind == plan.Call {
		*out = append(*out, e)
	}
	for _, a := range e.Args {
		collectCalls(a, out)
	}
}

func exprSize(e *plan.Expr) int {
	n := 1
	for _, a := range e.Args {
		n += exprSize(a)
	}
	return n
}

// replaceExpr returns e with the subtrees equal to old replaced by ref,
// copying only what changes (plans are shared and never modified).
func replaceExpr(e, old, ref *plan.Expr) *plan.Expr {
	if sameExpr(e, old) {
		return ref
	}
	var args []*plan.Expr
	for i, a := range e.Args {
		r := replaceExpr(a, old, ref)
		if r != a && args == nil {
			args = append([]*plan.Expr(nil), e.Args...)
		}
		if args != nil {
			args[i] = r
		}
	}
	if args == nil {
		return e
	}
	c := *e
	c.Args = args
	return &c
}

// argOf returns the expression to compile for call's argument.
func (c *aggCSE) argOf(call *plan.AggCall) *plan.Expr {
	if c != nil {
		if e, ok := c.args[call]; ok {
			return e
		}
	}
	return call.Arg
}

// withCSE returns b with the extra columns appended (b itself when there
// are none).
func (a *aggOp) withCSE(b *vec.Batch) (*vec.Batch, error) {
	if len(a.cse) == 0 {
		return b, nil
	}
	x := &a.ext
	x.Cols = append(x.Cols[:0], b.Cols...)
	x.N = b.N
	for _, n := range a.cse {
		v, err := n.eval(x)
		if err != nil {
			return nil, err
		}
		x.Cols = append(x.Cols, v)
	}
	return x, nil
}
