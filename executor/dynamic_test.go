package executor

import (
	"context"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Expected values in these tests are PostgreSQL 15's output for the same
// expressions over numeric literals (each literal keeps its own dscale, as
// a dynamic-scale value does).

func TestDynamicArithmetic(t *testing.T) {
	d := func(op string, a, b *plan.Expr) *plan.Expr { return call(op, tDyn, a, b) }
	runExprCases(t, []exprCase{
		// 0.2 * avg(x), avg(x) + 1
		{name: "fixed*dyn", e: d("*", num(2, 1), dyn("2.3333333333333333")), want: "0.46666666666666666"},
		{name: "dyn+fixed", e: d("+", dyn("2.3333333333333333"), num(1, 0)), want: "3.3333333333333333"},
		{name: "dyn+int", e: d("+", dyn("2.3333333333333333"), i4(1)), want: "3.3333333333333333"},
		{name: "dyn+unknown", e: d("+", dyn("2.3333333333333333"), plan.ConstOf(tUnk, plan.Datum{S: "1.50"})), want: "3.8333333333333333"},
		// (1::numeric/3) * 3, 1/3::numeric + 1/7::numeric
		{name: "third*3", e: d("*", d("/", num(1, 0), num(3, 0)), num(3, 0)), want: "0.99999999999999999999"},
		{name: "third+seventh", e: d("+", d("/", num(1, 0), num(3, 0)), d("/", num(1, 0), num(7, 0))), want: "0.47619047619047619047"},
		{name: "add scales", e: d("+", dyn("1.50"), dyn("2.25")), want: "3.75"},
		{name: "sub scales", e: d("-", dyn("1.5"), dyn("2.250")), want: "-0.750"},
		{name: "sub neg", e: d("-", dyn("-1.5"), num(2250, 3)), want: "-3.750"},
		{name: "sub keeps zeros", e: d("-", dyn("0.30"), dyn("0.1")), want: "0.20"},
		{name: "mul zero", e: d("*", dyn("0.001"), dyn("0")), want: "0.000"},
		{name: "mul neg zero", e: d("*", dyn("-0.001"), i4(0)), want: "0.000"},
		{name: "mul neg", e: d("*", dyn("-1.25"), dyn("4.0")), want: "-5.000"},
		{name: "mul scales", e: d("*", dyn("2.0"), num(300, 2)), want: "6.000"},
		{name: "mul big", e: d("*", dyn("123456789012345678.9"), dyn("98765432109876543.21")), want: "12193263113702179522374638011112635.269"},
		{name: "mul exact", e: d("*", dyn("1.99999999999999999995"), i4(1)), want: "1.99999999999999999995"},
		{name: "add big", e: d("+", dyn("99999999999999999999999"), dyn("1.5")), want: "100000000000000000000000.5"},
		{name: "sub big", e: d("-", dyn("-99999999999999999999999.99"), dyn("0.01")), want: "-100000000000000000000000.00"},
		{name: "add past int64", e: d("+", dyn("9223372036854775807"), i8(1)), want: "9223372036854775808"},
		{name: "add rescale past int64", e: d("+", dyn("922337203685477580"), dyn("0.01")), want: "922337203685477580.01"},
		{name: "div past int64", e: d("/", d("+", dyn("9223372036854775807"), i8(1)), i4(3)), want: "3074457345618258603"},
		{name: "div 16 digits", e: d("/", dyn("1.0000000000000000"), i4(3)), want: "0.33333333333333333333"},
		{name: "div dyn dyn", e: d("/", dyn("2.3333333333333333"), dyn("0.3333333333333333")), want: "7.0000000000000006"},
		{name: "div big", e: d("/", dyn("12345678901234567890.123"), dyn("0.0003")), want: "41152263004115226300410.0000"},
		{name: "div small", e: d("/", dyn("0.000001"), dyn("3.5")), want: "0.000000285714285714285714"},
		{name: "div neg", e: d("/", dyn("-5.5"), i4(2)), want: "-2.7500000000000000"},
		{name: "div tiny divisor", e: d("/", dyn("5.5"), dyn("-0.000000000000000000000000001")), want: "-5500000000000000000000000000.000000000000000000000000000"},
		{name: "div big divisor", e: d("/", i4(1), dyn("98765432109876543210987654321")), want: "0.000000000000000000000000000010124999998860937500"},
		{name: "div scales", e: d("/", dyn("0.6666666666666666666666"), dyn("0.0000000003")), want: "2222222222.2222222222220000000000"},
		{name: "div tiny", e: d("/", dyn("0.00000000000000000000000000015"), i4(2)), want: "0.000000000000000000000000000075000000000000000000"},
		{name: "rounding last digit", e: d("+", d("/", num(2, 0), num(3, 0)), dyn("0.00000000000000000005")), want: "0.66666666666666666672"},
		{name: "div by zero", e: d("/", dyn("1.5"), dyn("0.0")), code: "22012"},
		{name: "div by zero int", e: d("/", dyn("1.5"), i4(0)), code: "22012"},
		{name: "mod", e: d("%", dyn("7.5"), i4(2)), want: "1.5"},
		{name: "mod neg", e: d("%", dyn("-7.5"), dyn("2.25")), want: "-0.75"},
		{name: "mod neg divisor", e: d("%", dyn("7.5"), dyn("-2.25")), want: "0.75"},
		{name: "mod big", e: d("%", dyn("123456789012345678901234567890.5"), i4(7)), want: "0.5"},
		{name: "mod by zero", e: d("%", dyn("1.5"), i4(0)), code: "22012"},
		{name: "null", e: d("+", dyn("1.5"), null(tDyn)), want: nil},
		{name: "null fixed", e: d("*", null(tNum(2)), dyn("1.5")), want: nil},
		// A product of fixed numerics too wide for int64 scales.
		{name: "wide product", e: d("*", num(123456789012, 6), num(-987654321098, 6)), want: "-121932631136.585886175176"},
		// Float operands make float results; other result types convert.
		{name: "float", e: call("+", tF8, cast(dyn("0.5"), tF8), f8(0.25)), want: 0.75},
		{name: "to fixed", e: call("+", tNum(2), dyn("0.125"), num(1, 0)), want: "1.13"},
		{name: "neg of sum", e: call("neg", tDyn, d("+", dyn("1.50"), i4(1))), want: "-2.50"},
		{name: "abs of product", e: call("abs", tDyn, d("*", dyn("-1.5"), dyn("2"))), want: "3.0"},
		// Casts of dynamic values round half away from zero.
		{name: "long→numeric(10,4)", e: cast(dyn("0.33333333333333333333333"), tNumP(10, 4)), want: "0.3333"},
		{name: "→numeric(5,4) neg", e: cast(dyn("-0.00005"), tNumP(5, 4)), want: "-0.0001"},
		{name: "→int8 neg", e: cast(dyn("-2.5"), tI8), want: int64(-3)},
		{name: "big→int8", e: cast(dyn("12345678901234567890.5"), tI8), code: "22003"},
		{name: "big→float8", e: cast(dyn("12345678901234567890.5"), tF8), want: 1.2345678901234567e+19},
		{name: "tiny→float8", e: cast(dyn("0.000000000000000000000001"), tF8), want: 1e-24},
	})
}

func TestDynamicArithmeticColumns(t *testing.T) {
	// select a+b, b-a, a*d, a*3, d/c, 1/d from (values
	//   (1.5, 1.50::numeric(10,2), 3, 0.3333333333333333), ...) s(a,b,c,d)
	types := []catalog.Type{tDyn, tNum(2), tI4, tDyn}
	data := mkBatch(types,
		[]any{"1.5", 150, 3, "0.3333333333333333"},
		[]any{nil, 1, 1, "2"},
		[]any{"-0.001", nil, nil, "1"},
		[]any{"99999999999999999999.9", -1, 7, "-0.5"},
		[]any{"0", 0, 0, nil})
	cases := []struct {
		e    *plan.Expr
		want []any
	}{
		{call("+", tDyn, col(0, tDyn), col(1, tNum(2))), []any{"3.00", nil, nil, "99999999999999999999.89", "0.00"}},
		{call("-", tDyn, col(1, tNum(2)), col(0, tDyn)), []any{"0.00", nil, nil, "-99999999999999999999.91", "0.00"}},
		{call("*", tDyn, col(0, tDyn), col(3, tDyn)), []any{"0.49999999999999995", nil, "-0.001", "-49999999999999999999.95", nil}},
		{call("*", tDyn, col(0, tDyn), i4(3)), []any{"4.5", nil, "-0.003", "299999999999999999999.7", "0"}},
		{call("/", tDyn, col(3, tDyn), col(2, tI4)), []any{"0.11111111111111110000", "2.0000000000000000", nil, "-0.07142857142857142857", nil}},
		{call("/", tDyn, dyn("1"), col(3, tDyn)), []any{"3.0000000000000003", "0.50000000000000000000", "1.00000000000000000000", "-2.0000000000000000", nil}},
	}
	for _, c := range cases {
		got, err := evalExpr(c.e, data)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if fmtRows([][]any{got}) != fmtRows([][]any{c.want}) {
			t.Errorf("%s:\ngot  %v\nwant %v", c.e, got, c.want)
		}
	}
	// Division by zero in a row raises 22012; a NULL row does not.
	if _, err := evalExpr(call("/", tDyn, col(0, tDyn), col(2, tI4)), data); codeOf(err) != "22012" {
		t.Errorf("row division by zero: %v", err)
	}
}

func TestDynamicAggregates(t *testing.T) {
	// The PostgreSQL table: create temp table t(g int, x numeric, y numeric, c bool).
	types := []catalog.Type{tI4, tDyn, tDyn, tB}
	data := mkBatch(types,
		[]any{1, "1.5", "2", true},
		[]any{1, "2.25", "0.1", false},
		[]any{1, nil, "3", true},
		[]any{2, "-7", "1.000", true},
		[]any{2, "0.333", nil, false},
		[]any{3, "99999999999999999999999.5", "1", true},
		[]any{3, "1", "0.5", true},
		[]any{4, nil, nil, nil})
	caseExpr := &plan.Expr{Kind: plan.Case, Type: tDyn, Else: true, Args: []*plan.Expr{col(3, tB), num(125, 2), i4(0)}}
	aggs := func() []*plan.AggCall {
		return []*plan.AggCall{
			{Func: "sum", Arg: col(1, tDyn), Type: tDyn},
			{Func: "avg", Arg: col(1, tDyn), Type: tDyn},
			{Func: "min", Arg: col(1, tDyn), Type: tDyn},
			{Func: "max", Arg: col(1, tDyn), Type: tDyn},
			{Func: "count", Arg: col(1, tDyn), Type: tI8},
			{Func: "sum", Arg: col(2, tDyn), Type: tDyn},
			{Func: "sum", Arg: caseExpr, Type: tDyn},
			{Func: "avg", Arg: caseExpr, Type: tDyn},
		}
	}
	// insert into t values (1,'1.5',2,true),(1,'2.25','0.1',false),
	//   (1,null,'3',true),(2,'-7','1.000',true),(2,'0.333',null,false),
	//   (3,'99999999999999999999999.5','1',true),(3,'1','0.5',true),
	//   (4,null,null,null);
	// select g, sum(x), avg(x), min(x), max(x), count(x), sum(x)/sum(y),
	//   0.2*avg(x), avg(x)+1, sum(case when c then 1.25 else 0 end),
	//   avg(case when c then 1.25 else 0 end) from t group by g
	project := func(in plan.Node, grouped bool) plan.Node {
		k := 0
		var exprs []*plan.Expr
		if grouped {
			exprs = append(exprs, col(0, tI4))
			k = 1
		}
		c := func(i int) *plan.Expr { return col(k+i, tDyn) }
		exprs = append(exprs, c(0), c(1), c(2), c(3), col(k+4, tI8),
			call("/", tDyn, c(0), c(5)),
			call("*", tDyn, num(2, 1), c(1)),
			call("+", tDyn, c(1), num(1, 0)),
			c(6), c(7))
		return &plan.Project{Input: in, Exprs: exprs}
	}
	wantGrouped := `
1 3.75 1.8750000000000000 1.5 2.25 2 0.73529411764705882353 0.37500000000000000 2.8750000000000000 2.50 0.83333333333333333333
2 -6.667 -3.3335000000000000 -7 0.333 2 -6.6670000000000000 -0.66670000000000000 -2.3335000000000000 1.25 0.62500000000000000000
3 100000000000000000000000.5 50000000000000000000000.3 1 99999999999999999999999.5 2 66666666666666666666667.0 10000000000000000000000.06 50000000000000000000001.3 2.50 1.25000000000000000000
4 <nil> <nil> <nil> <nil> 0 <nil> <nil> <nil> 0 0.00000000000000000000`
	wantAll := `99999999999999999999997.583 16666666666666666666666.264 -7 99999999999999999999999.5 6 13157894736842105263157.577 3333333333333333333333.2528 16666666666666666666667.264 6.25 0.78125000000000000000`
	groups := []*plan.Expr{col(0, tI4)}
	for _, split := range []int{8, 3, 1} {
		in := func() plan.Node { return srcNode(types, splitBatches(data, split)...) }
		got := sortedRows(runPlan(t, project(aggNode(in(), plan.Complete, groups, aggs()...), true), testEnv))
		if got != sortedRows(parseRows(wantGrouped)) {
			t.Errorf("complete, batches of %d:\n%s\nwant:\n%s", split, got, sortedRows(parseRows(wantGrouped)))
		}
		partial := aggNode(in(), plan.Partial, groups, aggs()...)
		got = sortedRows(runPlan(t, project(aggNode(partial, plan.Final, groups, aggs()...), true), testEnv))
		if got != sortedRows(parseRows(wantGrouped)) {
			t.Errorf("two-phase, batches of %d:\n%s\nwant:\n%s", split, got, sortedRows(parseRows(wantGrouped)))
		}
		wantRows(t, runPlan(t, project(aggNode(in(), plan.Complete, nil, aggs()...), false), testEnv), wantAll)
		partial = aggNode(in(), plan.Partial, nil, aggs()...)
		wantRows(t, runPlan(t, project(aggNode(partial, plan.Final, nil, aggs()...), false), testEnv), wantAll)
	}
	// No rows: NULL sums and averages.
	wantRows(t, runPlan(t, project(aggNode(srcNode(types), plan.Complete, nil, aggs()...), false), testEnv),
		"<nil> <nil> <nil> <nil> 0 <nil> <nil> <nil> <nil> <nil>")
}

func TestDynamicAggregateScales(t *testing.T) {
	one := []catalog.Type{tDyn}
	cases := []struct {
		vals []any
		want string // sum avg min max
	}{
		// select sum(v), avg(v), min(v), max(v) from (values ...) s(v)
		{[]any{"0.05", "0.10", "0.2"}, "0.35 0.11666666666666666667 0.05 0.2"},
		{[]any{"-0.00001", "0.000", "-0.1"}, "-0.10001 -0.03333666666666666667 -0.1 0.000"},
		{[]any{"0", "0.00"}, "0.00 0.00000000000000000000 0.00 0.00"},
		{[]any{"99999999999999999999.99999", "99999999999999999999.99999", "1"}, "200000000000000000000.99998 66666666666666666666.99999 1 99999999999999999999.99999"},
		// Ties keep the later value, as numeric_larger/smaller do.
		{[]any{"1.5", "1.50", "1.500"}, "4.500 1.5000000000000000 1.500 1.500"},
		{[]any{"1.500", "1.50", "1.5"}, "4.500 1.5000000000000000 1.5 1.5"},
		// Sums beyond int64 mid-way.
		{[]any{"9223372036854775807", "9223372036854775807", "-9223372036854775807", "0.5"}, "9223372036854775807.5 2305843009213693951.9 -9223372036854775807 9223372036854775807"},
	}
	for _, c := range cases {
		rows := make([][]any, len(c.vals))
		for i, v := range c.vals {
			rows[i] = []any{v}
		}
		aggs := []*plan.AggCall{
			{Func: "sum", Arg: col(0, tDyn), Type: tDyn},
			{Func: "avg", Arg: col(0, tDyn), Type: tDyn},
			{Func: "min", Arg: col(0, tDyn), Type: tDyn},
			{Func: "max", Arg: col(0, tDyn), Type: tDyn},
		}
		wantRows(t, runPlan(t, aggNode(srcNode(one, mkBatch(one, rows...)), plan.Complete, nil, aggs...), testEnv), c.want)
		partial := aggNode(srcNode(one, splitBatches(mkBatch(one, rows...), 1)...), plan.Partial, nil, aggs...)
		wantRows(t, runPlan(t, aggNode(partial, plan.Final, nil, aggs...), testEnv), c.want)
	}
}

// parseRows splits wantRows-style text into rows of strings ("<nil>" as nil).
func parseRows(s string) [][]any {
	var out [][]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var row []any
		for _, f := range strings.Fields(line) {
			if f == "<nil>" {
				row = append(row, nil)
			} else {
				row = append(row, f)
			}
		}
		out = append(out, row)
	}
	return out
}

// BenchmarkDynamicSum is TPC-H Q14's shape: sum(case when c then
// price * (1 - discount) else 0 end), a dynamic-scale sum (scales 4 and 0).
func BenchmarkDynamicSum(b *testing.B) {
	const rows = 1 << 20
	types := []catalog.Type{tNum(2), tNum(2), tB}
	var batches []*vec.Batch
	for from := 0; from < rows; from += vec.BatchSize {
		n := min(vec.BatchSize, rows-from)
		bt := vec.NewBatch(types, n)
		for i := range n {
			bt.Cols[0].AppendInt64(int64(90000 + (from+i)%1000000))
			bt.Cols[1].AppendInt64(int64((from + i) % 11))
			bt.Cols[2].AppendBool((from+i)%4 == 0)
		}
		bt.N = n
		batches = append(batches, bt)
	}
	disc := call("-", tNum(2), num(1, 0), col(1, tNum(2)))
	volume := call("*", tNum(4), col(0, tNum(2)), disc)
	caseExpr := &plan.Expr{Kind: plan.Case, Type: tDyn, Else: true, Args: []*plan.Expr{col(2, tB), volume, i4(0)}}
	for _, c := range []struct {
		name string
		arg  *plan.Expr
		typ  catalog.Type
	}{{"fixed", volume, tNum(4)}, {"dynamic", caseExpr, tDyn}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				n := aggNode(srcNode(types, batches...), plan.Complete, nil, &plan.AggCall{Func: "sum", Arg: c.arg, Type: c.typ})
				op, err := Build(context.Background(), n, testEnv)
				if err != nil {
					b.Fatal(err)
				}
				drainCount(b, op)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
