package executor

import (
	"context"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// subq returns a scalar subquery over sub (one output column of type t).
func subq(t catalog.Type, sub plan.Node) *plan.Expr {
	return &plan.Expr{Kind: plan.Subquery, Type: t, Sub: sub}
}

// countingEnv opens test scans and counts how often each is opened.
func countingEnv() (*Env, map[*plan.Scan]int) {
	opened := map[*plan.Scan]int{}
	return &Env{OpenScan: func(ctx context.Context, s *plan.Scan) (Operator, error) {
		for orig := range scanData {
			if orig.Table == s.Table {
				opened[orig]++
				return NewSliceSource(s.Types(), scanData[orig]), nil
			}
		}
		opened[s]++
		return NewSliceSource(s.Types(), scanData[s]), nil
	}}, opened
}

// hasSubquery reports whether a plan tree still holds a Subquery.
func hasSubquery(n plan.Node) bool {
	var inExpr func(e *plan.Expr) bool
	inExpr = func(e *plan.Expr) bool {
		if e == nil {
			return false
		}
		if e.Kind == plan.Subquery {
			return true
		}
		for _, a := range e.Args {
			if inExpr(a) {
				return true
			}
		}
		return false
	}
	any := func(es ...*plan.Expr) bool {
		for _, e := range es {
			if inExpr(e) {
				return true
			}
		}
		return false
	}
	found := false
	switch n := n.(type) {
	case *plan.Scan:
		found = any(n.Filter)
	case *plan.Values:
		for _, r := range n.Rows {
			found = found || any(r...)
		}
	case *plan.Filter:
		found = any(n.Pred)
	case *plan.Project:
		found = any(n.Exprs...)
	case *plan.Aggregate:
		found = any(n.Groups...)
		for _, a := range n.Aggs {
			found = found || any(a.Arg)
		}
	case *plan.Join:
		found = any(n.LeftKeys...) || any(n.RightKeys...) || any(n.Residual)
	case *plan.Sort:
		for _, k := range n.Keys {
			found = found || any(k.Expr)
		}
	}
	for _, c := range plan.Children(n) {
		found = found || hasSubquery(c)
	}
	return found
}

// maxOf is SELECT max(c0) FROM src.
func maxOf(t catalog.Type, src plan.Node) plan.Node {
	return aggNode(src, plan.Complete, nil, &plan.AggCall{Func: "max", Arg: col(0, t), Type: t})
}

func TestSubqueryInFilterAndProject(t *testing.T) {
	types := []catalog.Type{tI4, tT}
	data := mkBatch(types, []any{1, "a"}, []any{5, "b"}, []any{3, "c"}, []any{nil, "d"})
	inner := srcNode([]catalog.Type{tI4}, mkBatch([]catalog.Type{tI4}, []any{2}, []any{3}, []any{nil}))
	sq := subq(tI4, maxOf(tI4, inner)) // 3
	// SELECT c1, c0 + (max) FROM t WHERE c0 >= (max): the same subquery
	// twice, evaluated once.
	n := &plan.Project{
		Input: &plan.Filter{Input: srcNode(types, data), Pred: call(">=", tB, col(0, tI4), sq)},
		Exprs: []*plan.Expr{col(1, tT), call("+", tI4, col(0, tI4), sq)},
	}
	env, opened := countingEnv()
	wantRows(t, runPlan(t, n, env), "b 8\nc 6")
	if opened[inner] != 1 {
		t.Errorf("subquery ran %d times", opened[inner])
	}
	// The caller's plan is untouched: a second Build runs it again.
	if !hasSubquery(n) || n.Exprs[1].Args[1] != sq || sq.Kind != plan.Subquery {
		t.Fatal("plan was modified")
	}
	wantRows(t, runPlan(t, n, env), "b 8\nc 6")
	if opened[inner] != 2 {
		t.Errorf("second build: subquery ran %d times in all", opened[inner])
	}
}

func TestSubqueryResults(t *testing.T) {
	it := []catalog.Type{tI4}
	rows := func(vals ...any) plan.Node {
		var rs [][]any
		for _, v := range vals {
			rs = append(rs, []any{v})
		}
		return srcNode(it, mkBatch(it, rs...))
	}
	one := &plan.Values{Rows: [][]*plan.Expr{{}}}
	project := func(e *plan.Expr) plan.Node { return &plan.Project{Input: one, Exprs: []*plan.Expr{e}} }
	const msg = "more than one row returned by a subquery used as an expression"
	for _, c := range []struct {
		name string
		e    *plan.Expr
		want string
	}{
		{"one row", subq(tI4, rows(7)), "7"},
		{"no row", subq(tI4, rows()), "<nil>"},
		{"null row", subq(tI4, rows(nil)), "<nil>"},
		{"two rows", subq(tI4, rows(1, 2)), "21000"},
		{"two rows across batches", subq(tI4, srcNode(it, mkBatch(it, []any{1}), mkBatch(it, []any{2}))), "21000"},
		{"null then row", subq(tI4, rows(nil, 1)), "21000"},
		// Expression type differs from the column's: converted.
		{"widened", subq(tI8, rows(7)), "7"},
		{"to numeric", subq(tNum(2), rows(7)), "7.00"},
		{"to text", subq(tT, rows(7)), "7"},
		// Other value kinds.
		{"text", subq(tT, &plan.Values{ColTypes: []catalog.Type{tT}, Rows: [][]*plan.Expr{{txt("héllo")}}}), "héllo"},
		{"float", subq(tF8, &plan.Values{ColTypes: []catalog.Type{tF8}, Rows: [][]*plan.Expr{{f8(2.5)}}}), "2.5"},
		{"bool", subq(tB, &plan.Values{ColTypes: []catalog.Type{tB}, Rows: [][]*plan.Expr{{bln(true)}}}), "true"},
		{"date", subq(tD, &plan.Values{ColTypes: []catalog.Type{tD}, Rows: [][]*plan.Expr{{cI(tD, 31)}}}), "2000-02-01"},
		{"numeric", subq(tNum(2), &plan.Values{ColTypes: []catalog.Type{tNum(2)}, Rows: [][]*plan.Expr{{num(1234, 2)}}}), "12.34"},
		// Errors inside the subquery surface.
		{"error", subq(tI4, &plan.Values{ColTypes: []catalog.Type{tI4}, Rows: [][]*plan.Expr{{call("/", tI4, i4(1), i4(0))}}}), "22012"},
		// Inside other expressions: CASE, calls, casts, coalesce.
		{"in case", &plan.Expr{Kind: plan.Case, Type: tT, Args: []*plan.Expr{
			call(">", tB, subq(tI4, rows(7)), i4(5)), subq(tT, rows(42)), txt("no")}, Else: true}, "42"},
		{"in coalesce", call("coalesce", tI4, subq(tI4, rows()), subq(tI4, rows(9))), "9"},
		// A subquery inside a subquery's plan.
		{"nested", subq(tI4, &plan.Filter{Input: rows(1, 5, 9), Pred: call(">", tB, col(0, tI4), subq(tI4, rows(6)))}), "9"},
	} {
		got, err := tryPlan(project(c.e), testEnv)
		switch {
		case len(c.want) == 5 && strings.Trim(c.want, "0123456789") == "":
			if codeOf(err) != c.want {
				t.Errorf("%s: got %v, %v; want error %s", c.name, got, err, c.want)
			} else if c.want == "21000" && err.Error() != msg {
				t.Errorf("%s: message %q", c.name, err.Error())
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		default:
			if g := strings.TrimSpace(fmtRows(got)); g != c.want {
				t.Errorf("%s: got %q want %q", c.name, g, c.want)
			}
		}
	}
	// A subquery must have one column.
	bad := subq(tI4, &plan.Values{ColTypes: []catalog.Type{tI4, tI4}, Rows: [][]*plan.Expr{{i4(1), i4(2)}}})
	if _, err := tryPlan(project(bad), testEnv); codeOf(err) != "XX000" {
		t.Errorf("two columns: %v", err)
	}
	// Compiling a subquery directly (without Build) is an internal error.
	if _, err := Compile(subq(tI4, rows(1))); codeOf(err) != "XX000" {
		t.Errorf("compile: %v", err)
	}
}

// TestSubqueryEverywhere puts a subquery in every place a plan holds
// expressions, including under a Remote fragment, and checks that the plan
// built (and the fragment shipped) holds only constants.
func TestSubqueryEverywhere(t *testing.T) {
	it := []catalog.Type{tI4}
	val := func(v int64) *plan.Expr {
		return subq(tI4, &plan.Values{ColTypes: it, Rows: [][]*plan.Expr{{i4(v)}}})
	}
	types := []catalog.Type{tI4, tT}
	data := mkBatch(types, []any{1, "a"}, []any{2, "b"}, []any{3, "c"}, []any{4, "d"})
	// Fragment: Scan with filter c0 >= (1), projected.
	scan := srcNode(types, data)
	scan.Filter = call(">=", tB, col(0, tI4), val(1))
	frag := &plan.Project{Input: scan, Exprs: []*plan.Expr{col(0, tI4), col(1, tT), call("*", tI4, col(0, tI4), val(10))}}
	remote := &plan.Remote{Fragment: frag}
	var shipped plan.Node
	env := &Env{
		OpenScan: testEnv.OpenScan,
		OpenRemote: func(ctx context.Context, r *plan.Remote) (Operator, error) {
			shipped = r.Fragment
			if _, err := plan.Encode(r.Fragment); err != nil {
				t.Errorf("encode fragment: %v", err)
			}
			// A participant builds the fragment it receives (its scan is
			// a copy: find the data by table).
			penv, _ := countingEnv()
			return Build(ctx, r.Fragment, penv)
		},
	}
	right := &plan.Values{ColTypes: []catalog.Type{tI4, tT}, Rows: [][]*plan.Expr{
		{val(2), txt("two")}, {i4(3), call("concat", tT, txt("th"), cast(val(3), tT))}, {i4(4), txt("4")}}}
	join := &plan.Join{Left: remote, Right: right, Kind: plan.InnerJoin,
		LeftKeys:  []*plan.Expr{call("+", tI4, col(0, tI4), val(0))},
		RightKeys: []*plan.Expr{col(0, tI4)},
		Residual:  call("<>", tB, col(4, tT), cast(val(4), tT))}
	agg := aggNode(join, plan.Complete, []*plan.Expr{call("%", tI4, col(0, tI4), val(2))},
		&plan.AggCall{Func: "sum", Arg: call("+", tI4, col(2, tI4), val(100)), Type: tI8},
		&plan.AggCall{Func: "count", Type: tI8})
	sorted := &plan.Sort{Input: agg, Keys: []plan.SortKey{{Expr: call("*", tI4, col(0, tI4), val(-1))}}}
	top := &plan.Limit{Input: &plan.Filter{Input: sorted, Pred: call(">", tB, col(2, tI8), val(0))}, Count: 10}
	// Rows joined: 2 (two) and 3 (th3); 4 is removed by the residual.
	// Groups c0 % 2: 0 → 20+100 = 120, 1 → 30+100 = 130; sorted descending.
	wantRows(t, runPlan(t, top, env), "1 130 1\n0 120 1")
	if shipped == nil || hasSubquery(shipped) {
		t.Errorf("fragment shipped with a subquery: %v", shipped)
	}
	if shipped == frag || !hasSubquery(frag) || !hasSubquery(top) || remote.Fragment != frag {
		t.Error("caller's plan was modified")
	}
	if plan.FindScan(shipped).Table != scan.Table || scan.Filter.Args[1].Kind != plan.Subquery {
		t.Error("scan copy")
	}
}

// TestSubqueryBeforeRemoteOpens checks the order: every subquery, even one
// above the Remote, has run when the fragment is dispatched.
func TestSubqueryBeforeRemoteOpens(t *testing.T) {
	it := []catalog.Type{tI4}
	var log []string
	sub := srcNode(it, mkBatch(it, []any{5}))
	frag := srcNode(it, mkBatch(it, []any{4}, []any{6}))
	env := &Env{
		OpenScan: func(ctx context.Context, s *plan.Scan) (Operator, error) {
			log = append(log, "scan")
			return testEnv.OpenScan(ctx, s)
		},
		OpenRemote: func(ctx context.Context, r *plan.Remote) (Operator, error) {
			log = append(log, "remote")
			return NewSliceSource(it, scanData[frag]), nil
		},
	}
	n := &plan.Filter{Input: &plan.Remote{Fragment: frag}, Pred: call(">", tB, col(0, tI4), subq(tI4, sub))}
	wantRows(t, runPlan(t, n, env), "6")
	if strings.Join(log, ",") != "scan,remote" {
		t.Errorf("order: %v", log)
	}
	// A failing subquery means nothing is dispatched.
	log = nil
	bad := &plan.Filter{Input: &plan.Remote{Fragment: frag}, Pred: call(">", tB, col(0, tI4),
		subq(tI4, srcNode(it, mkBatch(it, []any{1}, []any{2}))))}
	if _, err := tryPlan(bad, env); codeOf(err) != "21000" || strings.Contains(strings.Join(log, ","), "remote") {
		t.Errorf("failing subquery: %v, %v", err, log)
	}
}

func TestSubqueryWithoutSubquery(t *testing.T) {
	// A plan without subqueries is built as is.
	types := []catalog.Type{tI4}
	n := &plan.Filter{Input: srcNode(types, mkBatch(types, []any{1})), Pred: bln(true)}
	got, err := substituteSubqueries(context.Background(), n, testEnv)
	if err != nil || got != plan.Node(n) {
		t.Errorf("copied a plan without subqueries: %v", err)
	}
}
