package executor

import (
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

var tDyn = catalog.TypeNumericDynamic

func dyn(s string) *plan.Expr { return plan.ConstOf(tDyn, plan.Datum{S: s}) }

func TestDynamicDivision(t *testing.T) {
	// Expected values are PostgreSQL's (select_div_scale), computed with
	// Python's decimal module.
	div := func(a int64, sa int32, b int64, sb int32) *plan.Expr {
		return call("/", tDyn, num(a, sa), num(b, sb))
	}
	runExprCases(t, []exprCase{
		{name: "1/3", e: div(1, 0, 3, 0), want: "0.33333333333333333333"},
		{name: "10/4", e: div(10, 0, 4, 0), want: "2.5000000000000000"},
		{name: "100000/3", e: div(100000, 0, 3, 0), want: "33333.333333333333"},
		{name: "1.00/3", e: div(100, 2, 3, 0), want: "0.33333333333333333333"},
		{name: "-7/2", e: div(-7, 0, 2, 0), want: "-3.5000000000000000"},
		{name: "2/3 rounds", e: div(2, 0, 3, 0), want: "0.66666666666666666667"},
		{name: "1/1e18", e: div(1, 0, 1_000_000_000_000_000_000, 0), want: "0.000000000000000001000000000000000000"},
		{name: "9e18/1", e: div(9_000_000_000_000_000_000, 0, 1, 0), want: "9000000000000000000"},
		{name: "big path", e: div(9_000_000_000_000_000_000, 0, 7, 18), want: "1285714285714285714285714285714285714.285714285714285714"},
		{name: "25.52/1", e: div(2552, 2, 1, 0), want: "25.5200000000000000"},
		{name: "0.00001/3", e: div(1, 5, 3, 0), want: "0.000003333333333333333333"},
		{name: "123.45/0.01", e: div(12345, 2, 1, 2), want: "12345.000000000000"},
		{name: "-1/-8", e: div(-1, 0, -8, 0), want: "0.12500000000000000000"},
		{name: "0/5", e: div(0, 0, 5, 0), want: "0.00000000000000000000"},
		{name: "int operands", e: call("/", tDyn, cast(i4(7), tNum(0)), cast(i4(2), tNum(0))), want: "3.5000000000000000"},
		{name: "by zero", e: div(1, 0, 0, 2), code: "22012"},
		{name: "null", e: call("/", tDyn, num(1, 0), null(tNum(0))), want: nil},
	})
}

func TestDynamicNumerics(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "eq scales", e: call("=", tB, dyn("1.50"), dyn("1.5")), want: true},
		{name: "lt neg", e: call("<", tB, dyn("-0.5"), dyn("0.25")), want: true},
		{name: "gt int part", e: call(">", tB, dyn("10"), dyn("9.99")), want: true},
		{name: "neg order", e: call("<", tB, dyn("-10"), dyn("-9.5")), want: true},
		{name: "zero signs", e: call("=", tB, dyn("-0.00"), dyn("0")), want: true},
		{name: "vs fixed", e: call("=", tB, dyn("2.5000"), num(250, 2)), want: true},
		{name: "vs int", e: call("<", tB, dyn("2.5"), i4(3)), want: true},
		{name: "→numeric(5,2)", e: cast(dyn("2.345"), tNumP(5, 2)), want: "2.35"},
		{name: "→numeric overflow", e: cast(dyn("1234.5"), tNumP(5, 2)), code: "22003"},
		{name: "→int", e: cast(dyn("2.5"), tI4), want: int64(3)},
		{name: "→int neg", e: cast(dyn("-2.5"), tI4), want: int64(-3)},
		{name: "→int overflow", e: cast(dyn("3000000000"), tI4), code: "22003", msg: "integer out of range"},
		{name: "→float", e: cast(dyn("0.1"), tF8), want: 0.1},
		{name: "→text", e: cast(dyn("1.50"), tT), want: "1.50"},
		{name: "int→", e: cast(i4(-7), tDyn), want: "-7"},
		{name: "fixed→", e: cast(num(150, 2), tDyn), want: "1.50"},
		{name: "float→", e: cast(f8(0.1), tDyn), want: "0.1"},
		{name: "float big→", e: cast(f8(1e20), tDyn), want: "100000000000000000000"},
		{name: "text→", e: cast(txt("1.5e3"), tDyn), want: "1500"},
		{name: "text→ bad", e: cast(txt("x"), tDyn), code: "22P02"},
		{name: "neg", e: call("neg", tDyn, dyn("2.50")), want: "-2.50"},
		{name: "neg neg", e: call("neg", tDyn, dyn("-2.50")), want: "2.50"},
		{name: "neg zero", e: call("neg", tDyn, dyn("0.00")), want: "0.00"},
		{name: "abs", e: call("abs", tDyn, dyn("-2.50")), want: "2.50"},
	})
}

func TestDynamicOperators(t *testing.T) {
	types := []catalog.Type{tDyn, tI4}
	data := mkBatch(types, []any{"1.50", 1}, []any{"1.5", 2}, []any{"-0.5", 3}, []any{nil, 4}, []any{"10", 5}, []any{"9.99", 6}, []any{"-0", 7}, []any{"0.000", 8})
	// GROUP BY a dynamic numeric: equal values form one group.
	n := aggNode(srcNode(types, data), plan.Complete, []*plan.Expr{col(0, tDyn)},
		&plan.AggCall{Func: "sum", Arg: col(1, tI4), Type: tI8})
	got := sortedRows(runPlan(t, n, testEnv))
	want := sortedRows([][]any{{"1.50", int64(3)}, {"-0.5", int64(3)}, {nil, int64(4)}, {"10", int64(5)}, {"9.99", int64(6)}, {"-0", int64(15)}})
	if got != want {
		t.Errorf("group by:\n%s\nwant:\n%s", got, want)
	}
	// ORDER BY a dynamic numeric sorts numerically.
	s := &plan.Sort{Input: srcNode(types, data), Keys: []plan.SortKey{{Expr: col(0, tDyn)}, {Expr: col(1, tI4)}}}
	wantRows(t, runPlan(t, s, testEnv), `
-0.5 3
-0 7
0.000 8
1.50 1
1.5 2
9.99 6
10 5
<nil> 4`)
	// Joining on dynamic numerics matches equal values.
	j := joinNode(srcNode(types, data), srcNode(types, mkBatch(types, []any{"1.5000", 0}, []any{"0", 0})), plan.InnerJoin,
		[]*plan.Expr{col(0, tDyn)}, []*plan.Expr{col(0, tDyn)}, nil)
	if got := runPlan(t, j, testEnv); len(got) != 4 {
		t.Errorf("join: %v", got)
	}
	// avg(int) and avg(numeric) are dynamic-scale, in one or two phases.
	it := []catalog.Type{tI4, tNum(2)}
	idata := mkBatch(it, []any{1, 2552}, []any{2, 100}, []any{nil, nil}, []any{4, 1})
	avgs := func() []*plan.AggCall {
		return []*plan.AggCall{
			{Func: "avg", Arg: col(0, tI4), Type: tDyn},
			{Func: "avg", Arg: col(1, tNum(2)), Type: tDyn},
		}
	}
	wantAvg := "2.3333333333333333 8.8433333333333333"
	wantRows(t, runPlan(t, aggNode(srcNode(it, idata), plan.Complete, nil, avgs()...), testEnv), wantAvg)
	partial := aggNode(srcNode(it, splitBatches(idata, 2)...), plan.Partial, nil, avgs()...)
	wantRows(t, runPlan(t, aggNode(partial, plan.Final, nil, avgs()...), testEnv), wantAvg)
	wantRows(t, runPlan(t, aggNode(srcNode(it), plan.Complete, nil, avgs()...), testEnv), "<nil> <nil>")
}
