package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Init plans. A plan.Subquery expression is an uncorrelated scalar
// subquery: Build runs its Sub plan once, before building the plan that
// contains it, and replaces the expression with the constant it produced.
// The substitution happens on a copy of the plan (only the nodes and
// expressions on the path to a subquery are copied; prepared statements
// reuse the caller's plan) and before any operator is built, so Remote
// fragments, which are shipped when their operator opens, carry constants.
// Subquery expressions are found everywhere: in every node's expressions,
// inside the Sub plans themselves and under Remote fragments. The same
// Subquery pointer is evaluated once.
//
// Unlike PostgreSQL, which runs an init plan the first time its value is
// needed, every subquery runs, even one whose value no row ever reaches
// (so its errors surface regardless).

type initPlans struct {
	ctx  context.Context
	env  *Env
	done map[*plan.Expr]*plan.Expr
	// remote counts the Remote fragments being substituted around the
	// current node; bcastIDs numbers broadcast sources (initbroadcast.go).
	remote   int
	bcastIDs int
}

// substituteSubqueries returns n with every Subquery expression replaced
// by its value; n itself when it has none.
func substituteSubqueries(ctx context.Context, n plan.Node, env *Env) (plan.Node, error) {
	ip := &initPlans{ctx: ctx, env: env}
	return ip.node(n)
}

func (ip *initPlans) node(n plan.Node) (plan.Node, error) {
	switch n := n.(type) {
	case *plan.Scan:
		f, err := ip.expr(n.Filter)
		if err != nil || f == n.Filter {
			return n, err
		}
		c := *n
		c.Filter = f
		return &c, nil
	case *plan.Values:
		var rows [][]*plan.Expr
		for i, row := range n.Rows {
			r, err := ip.exprs(row)
			if err != nil {
				return nil, err
			}
			if !sameExprs(r, row) && rows == nil {
				rows = make([][]*plan.Expr, len(n.Rows))
				copy(rows, n.Rows)
			}
			if rows != nil {
				rows[i] = r
			}
		}
		if rows == nil {
			return n, nil
		}
		c := *n
		c.Rows = rows
		return &c, nil
	case *plan.Filter:
		in, err := ip.node(n.Input)
		if err != nil {
			return nil, err
		}
		p, err := ip.expr(n.Pred)
		if err != nil {
			return nil, err
		}
		if in == n.Input && p == n.Pred {
			return n, nil
		}
		return &plan.Filter{Input: in, Pred: p}, nil
	case *plan.Project:
		in, err := ip.node(n.Input)
		if err != nil {
			return nil, err
		}
		es, err := ip.exprs(n.Exprs)
		if err != nil {
			return nil, err
		}
		if in == n.Input && sameExprs(es, n.Exprs) {
			return n, nil
		}
		return &plan.Project{Input: in, Exprs: es}, nil
	case *plan.Aggregate:
		in, err := ip.node(n.Input)
		if err != nil {
			return nil, err
		}
		gs, err := ip.exprs(n.Groups)
		if err != nil {
			return nil, err
		}
		var aggs []*plan.AggCall
		for i, a := range n.Aggs {
			arg, err := ip.expr(a.Arg)
			if err != nil {
				return nil, err
			}
			if arg == a.Arg {
				continue
			}
			if aggs == nil {
				aggs = append([]*plan.AggCall(nil), n.Aggs...)
			}
			ca := *a
			ca.Arg = arg
			aggs[i] = &ca
		}
		if in == n.Input && sameExprs(gs, n.Groups) && aggs == nil {
			return n, nil
		}
		c := *n
		c.Input, c.Groups = in, gs
		if aggs != nil {
			c.Aggs = aggs
		}
		return &c, nil
	case *plan.Join:
		l, err := ip.node(n.Left)
		if err != nil {
			return nil, err
		}
		r, err := ip.node(n.Right)
		if err != nil {
			return nil, err
		}
		lk, err := ip.exprs(n.LeftKeys)
		if err != nil {
			return nil, err
		}
		rk, err := ip.exprs(n.RightKeys)
		if err != nil {
			return nil, err
		}
		res, err := ip.expr(n.Residual)
		if err != nil {
			return nil, err
		}
		if l == n.Left && r == n.Right && sameExprs(lk, n.LeftKeys) && sameExprs(rk, n.RightKeys) && res == n.Residual {
			return n, nil
		}
		c := *n
		c.Left, c.Right, c.LeftKeys, c.RightKeys, c.Residual = l, r, lk, rk, res
		return &c, nil
	case *plan.Sort:
		in, err := ip.node(n.Input)
		if err != nil {
			return nil, err
		}
		var keys []plan.SortKey
		for i, k := range n.Keys {
			e, err := ip.expr(k.Expr)
			if err != nil {
				return nil, err
			}
			if e == k.Expr {
				continue
			}
			if keys == nil {
				keys = append([]plan.SortKey(nil), n.Keys...)
			}
			keys[i].Expr = e
		}
		if in == n.Input && keys == nil {
			return n, nil
		}
		c := *n
		c.Input = in
		if keys != nil {
			c.Keys = keys
		}
		return &c, nil
	case *plan.Limit:
		in, err := ip.node(n.Input)
		if err != nil || in == n.Input {
			return n, err
		}
		c := *n
		c.Input = in
		return &c, nil
	case *plan.InitRows:
		return ip.rows(n)
	case *plan.LateralJoin:
		l, err := ip.node(n.Left)
		if err != nil {
			return nil, err
		}
		args, err := ip.exprs(n.Args)
		if err != nil {
			return nil, err
		}
		c := *n
		c.Left, c.Args, c.Runner = l, args, ip.lateralRunner(n)
		return &c, nil
	case *plan.ProjectSet:
		in, err := ip.node(n.Input)
		if err != nil {
			return nil, err
		}
		c := *n
		c.Input, c.Funcs = in, make([]*plan.SetFunc, len(n.Funcs))
		same := in == n.Input
		for i, f := range n.Funcs {
			args, err := ip.exprs(f.Args)
			if err != nil {
				return nil, err
			}
			cf := *f
			cf.Args = args
			c.Funcs[i] = &cf
			same = same && sameExprs(args, f.Args)
		}
		if same {
			return n, nil
		}
		return &c, nil
	case *plan.Append:
		var ins []plan.Node
		for i, c := range n.Inputs {
			in, err := ip.node(c)
			if err != nil {
				return nil, err
			}
			if in != c && ins == nil {
				ins = append([]plan.Node(nil), n.Inputs...)
			}
			if ins != nil {
				ins[i] = in
			}
		}
		if ins == nil {
			return n, nil
		}
		return &plan.Append{Inputs: ins}, nil
	case *plan.DistinctOn:
		in, err := ip.node(n.Input)
		if err != nil || in == n.Input {
			return n, err
		}
		return &plan.DistinctOn{Input: in, Keys: n.Keys}, nil
	case *plan.Window:
		in, err := ip.node(n.Input)
		if err != nil || in == n.Input {
			return n, err
		}
		c := *n
		c.Input = in
		return &c, nil
	case *plan.Remote:
		ip.remote++
		defer func() { ip.remote-- }()
		f, err := ip.node(n.Fragment)
		if err != nil {
			return n, err
		}
		var shuffles []*plan.Shuffle
		for i, sh := range n.Shuffles {
			in, err := ip.node(sh.Input)
			if err != nil {
				return n, err
			}
			if in != sh.Input {
				if shuffles == nil {
					shuffles = append([]*plan.Shuffle(nil), n.Shuffles...)
				}
				cs := *sh
				cs.Input = in
				shuffles[i] = &cs
			}
		}
		if f == n.Fragment && shuffles == nil {
			return n, nil
		}
		c := *n
		c.Fragment = f
		if shuffles != nil {
			c.Shuffles = shuffles
		}
		return &c, nil
	}
	// nil or a node Build does not know: build reports it.
	return n, nil
}

func sameExprs(a, b []*plan.Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// exprs substitutes in a list; the list itself when nothing changed.
func (ip *initPlans) exprs(es []*plan.Expr) ([]*plan.Expr, error) {
	var out []*plan.Expr
	for i, e := range es {
		s, err := ip.expr(e)
		if err != nil {
			return nil, err
		}
		if s != e && out == nil {
			out = append([]*plan.Expr(nil), es...)
		}
		if out != nil {
			out[i] = s
		}
	}
	if out == nil {
		return es, nil
	}
	return out, nil
}

// expr substitutes in e; e itself when it holds no subquery.
func (ip *initPlans) expr(e *plan.Expr) (*plan.Expr, error) {
	if e == nil {
		return nil, nil
	}
	if e.Kind == plan.Subquery {
		return ip.eval(e)
	}
	args, err := ip.exprs(e.Args)
	if err != nil {
		return nil, err
	}
	if sameExprs(args, e.Args) && e.Kind != plan.SubPlan {
		return e, nil
	}
	c := *e
	c.Args = args
	if e.Kind == plan.SubPlan {
		c.Runner = ip.subPlanRunner(e)
	}
	return &c, nil
}

// subPlanRunner returns how a SubPlan's Sub runs for one row: its Params
// take the row's values, its init plans are evaluated and it is built and
// read afresh (the parameters are constants of that run).
func (ip *initPlans) subPlanRunner(e *plan.Expr) subPlanRun {
	ctx, env := ip.ctx, ip.env
	return func(vals []plan.Datum) (plan.Datum, error) {
		for i, p := range e.Params {
			p.Value = vals[i]
		}
		sub, err := substituteSubqueries(ctx, e.Sub, env)
		if err != nil {
			return plan.Datum{}, err
		}
		op, err := build(ctx, sub, env)
		if err != nil {
			return plan.Datum{}, err
		}
		d, _, err := firstValue(ctx, &guardOp{op}, e.Type)
		return d, err
	}
}

// lateralRunner returns how a LateralJoin's Sub runs for one row: as a
// SubPlan's, it is built afresh with its Params set to the row's values.
func (ip *initPlans) lateralRunner(n *plan.LateralJoin) lateralRun {
	ctx, env := ip.ctx, ip.env
	return func(vals []plan.Datum) (Operator, error) {
		for i, p := range n.Params {
			p.Value = vals[i]
		}
		sub, err := substituteSubqueries(ctx, n.Sub, env)
		if err != nil {
			return nil, err
		}
		op, err := build(ctx, sub, env)
		if err != nil {
			return nil, err
		}
		return &guardOp{op}, nil
	}
}

// lateralRun opens a LateralJoin's Sub for one row's parameter values.
type lateralRun func(vals []plan.Datum) (Operator, error)

// subPlanRun runs a SubPlan for one row's parameter values.
type subPlanRun func(vals []plan.Datum) (plan.Datum, error)

// newSubPlan compiles a SubPlan whose runner the init-plan pass set.
func newSubPlan(e *plan.Expr) (node, error) {
	run, ok := e.Runner.(subPlanRun)
	if !ok {
		return nil, sqlerr.New(sqlerr.Internal, "executor: a correlated subplan outside the coordinator")
	}
	return newRowFunc(e, false, true, func(ds []plan.Datum) (plan.Datum, error) {
		return run(append([]plan.Datum(nil), ds...))
	})
}

// eval runs the subquery e once and returns its value as a constant of
// type e.Type.
func (ip *initPlans) eval(e *plan.Expr) (*plan.Expr, error) {
	if c, ok := ip.done[e]; ok {
		return c, nil
	}
	if e.Sub == nil {
		return nil, sqlerr.New(sqlerr.Internal, "executor: subquery without a plan")
	}
	if ts := e.Sub.Types(); len(ts) != 1 {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: subquery returns %d columns", len(ts))
	}
	sub, err := ip.node(e.Sub)
	if err != nil {
		return nil, err
	}
	op, err := build(ip.ctx, sub, ip.env)
	if err != nil {
		return nil, err
	}
	d, st, err := firstValue(ip.ctx, &guardOp{op}, sub.Types()[0])
	if err != nil {
		return nil, err
	}
	var c *plan.Expr
	switch {
	case d.Null:
		c = plan.NullOf(e.Type)
	case st == e.Type:
		c = plan.ConstOf(e.Type, d)
	default:
		n, err := compile(plan.CastOf(plan.ConstOf(st, d), e.Type))
		if err != nil {
			return nil, err
		}
		v, err := n.eval(&vec.Batch{N: 1})
		if err != nil {
			return nil, err
		}
		c = plan.ConstOf(e.Type, datumOf(v, 0))
	}
	if ip.done == nil {
		ip.done = map[*plan.Expr]*plan.Expr{}
	}
	ip.done[e] = c
	return c, nil
}

// firstValue reads op's only value: NULL for no row, error 21000 for more
// than one. It closes op.
func firstValue(ctx context.Context, op Operator, t catalog.Type) (plan.Datum, catalog.Type, error) {
	defer op.Close()
	d := plan.Datum{Null: true}
	rows := 0
	for {
		b, err := op.Next(ctx)
		if err != nil {
			return d, t, err
		}
		if b == nil {
			return d, t, nil
		}
		if b.N == 0 {
			continue
		}
		rows += b.N
		if rows > 1 {
			return d, t, errSingleRow
		}
		d = datumOf(b.Cols[0], 0)
		t = b.Cols[0].Type
	}
}

// rows substitutes an InitRows node: inside a Remote fragment its rows are
// computed now and shipped (initbroadcast.go); anywhere else the
// coordinator runs its input in place.
func (ip *initPlans) rows(n *plan.InitRows) (plan.Node, error) {
	if ip.remote > 0 {
		return ip.broadcastRows(n)
	}
	return ip.node(n.Input)
}
