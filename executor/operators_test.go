package executor

import (
	"context"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

func sortedRows(rows [][]any) string {
	lines := strings.Split(strings.TrimSuffix(fmtRows(rows), "\n"), "\n")
	if len(rows) == 0 {
		lines = nil
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func wantRows(t *testing.T, got [][]any, want string) {
	t.Helper()
	if g := strings.TrimSpace(fmtRows(got)); g != strings.TrimSpace(want) {
		t.Errorf("got:\n%s\nwant:\n%s", g, strings.TrimSpace(want))
	}
}

func TestValues(t *testing.T) {
	v := &plan.Values{
		ColTypes: []catalog.Type{tI4, tT, tNumP(5, 2)},
		Rows: [][]*plan.Expr{
			{i4(1), txt("a"), num(150, 2)},
			{call("+", tI4, i4(1), i4(2)), cast(i4(5), tT), cast(txt("2.345"), tNumP(5, 2))},
			{null(tUnk), null(tT), i4(7)},
		},
	}
	wantRows(t, runPlan(t, v, nil), `
1 a 1.50
3 5 2.35
<nil> <nil> 7.00`)
	bad := &plan.Values{ColTypes: []catalog.Type{tI4}, Rows: [][]*plan.Expr{{call("/", tI4, i4(1), i4(0))}}}
	if _, err := tryPlan(bad, nil); codeOf(err) != "22012" {
		t.Errorf("values error: %v", err)
	}
	// Zero columns, several rows (SELECT without FROM).
	op, _ := Build(context.Background(), &plan.Values{Rows: [][]*plan.Expr{{}, {}}}, nil)
	b, err := Drain(context.Background(), op)
	if err != nil || b.N != 2 {
		t.Errorf("zero-column values: %v %v", b, err)
	}
	// Many rows come out in batches.
	big := &plan.Values{ColTypes: []catalog.Type{tI8}}
	for i := range 5000 {
		big.Rows = append(big.Rows, []*plan.Expr{i8(int64(i))})
	}
	rows := runPlan(t, big, nil)
	if len(rows) != 5000 || rows[4999][0] != int64(4999) {
		t.Errorf("big values: %d rows", len(rows))
	}
}

func TestFilterProject(t *testing.T) {
	types := []catalog.Type{tI4, tT, tNum(2)}
	src := srcNode(types, mkBatch(types,
		[]any{1, "apple", 150}, []any{2, "banana", nil}, []any{3, nil, 275}, []any{4, "cherry", 300}))
	n := &plan.Project{
		Input: &plan.Filter{Input: src, Pred: call("or", tB, call("like", tB, col(1, tT), txt("%an%")), call(">", tB, col(2, tNum(2)), num(200, 2)))},
		Exprs: []*plan.Expr{col(0, tI4), call("upper", tT, col(1, tT)), call("*", tNum(3), col(2, tNum(2)), num(2, 1))},
	}
	wantRows(t, runPlan(t, n, testEnv), `
2 BANANA <nil>
3 <nil> 0.550
4 CHERRY 0.600`)
	// A scan filter is applied by Build unless the opener says it did.
	s2 := srcNode(types, mkBatch(types, []any{1, "a", 1}, []any{2, "b", 2}))
	s2.Filter = call("=", tB, col(0, tI4), i4(2))
	wantRows(t, runPlan(t, s2, testEnv), "2 b 0.02")
	env := *testEnv
	env.ScanAppliesFilter = true
	if got := runPlan(t, s2, &env); len(got) != 2 {
		t.Errorf("ScanAppliesFilter: %v", got)
	}
}

func TestSort(t *testing.T) {
	types := []catalog.Type{tI4, tT, tF8}
	rows := mkBatch(types,
		[]any{3, "b", 1.5}, []any{1, nil, 2.5}, []any{2, "a", nil}, []any{1, "c", 0.5},
		[]any{nil, "a", 9.0}, []any{2, "b", math.NaN()}, []any{3, "a", 1.5})
	src := func() plan.Node { return srcNode(types, splitBatches(rows, 3)...) }
	// ORDER BY c0 (NULLS LAST), c1 DESC (NULLS FIRST)
	n := &plan.Sort{Input: src(), Keys: []plan.SortKey{
		{Expr: col(0, tI4)},
		{Expr: col(1, tT), Desc: true, NullsFirst: true},
	}}
	wantRows(t, runPlan(t, n, testEnv), `
1 <nil> 2.5
1 c 0.5
2 b NaN
2 a <nil>
3 b 1.5
3 a 1.5
<nil> a 9`)
	// ORDER BY c2 DESC NULLS LAST (NaN sorts highest), stable on ties.
	n = &plan.Sort{Input: src(), Keys: []plan.SortKey{{Expr: col(2, tF8), Desc: true}}}
	wantRows(t, runPlan(t, n, testEnv), `
2 b NaN
<nil> a 9
1 <nil> 2.5
3 b 1.5
3 a 1.5
1 c 0.5
2 a <nil>`)
	// Sort on an expression, many rows, across batches.
	var big []*vec.Batch
	for k := range 5 {
		b := vec.NewBatch([]catalog.Type{tI8}, 1000)
		for i := range 1000 {
			b.Cols[0].AppendInt64(int64((i*7919 + k*31) % 5000))
		}
		b.N = 1000
		big = append(big, b)
	}
	n = &plan.Sort{Input: srcNode([]catalog.Type{tI8}, big...), Keys: []plan.SortKey{{Expr: call("neg", tI8, col(0, tI8))}}}
	got := runPlan(t, n, testEnv)
	if len(got) != 5000 {
		t.Fatalf("rows %d", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i-1][0].(int64) < got[i][0].(int64) {
			t.Fatalf("not descending at %d", i)
		}
	}
}

func TestLimit(t *testing.T) {
	b := vec.NewBatch([]catalog.Type{tI8, tT}, 0)
	for i := range 10 {
		b.Cols[0].AppendInt64(int64(i))
		b.Cols[1].AppendBytes([]byte{byte('a' + i)})
	}
	b.N = 10
	for _, c := range []struct {
		count, offset int64
		want          string
	}{
		{3, 0, "0 a\n1 b\n2 c"},
		{3, 2, "2 c\n3 d\n4 e"},
		{-1, 8, "8 i\n9 j"},
		{0, 0, ""},
		{5, 9, "9 j"},
		{2, 20, ""},
		{4, 3, "3 d\n4 e\n5 f\n6 g"},
	} {
		n := &plan.Limit{Input: srcNode(b.Types(), splitBatches(b, 3)...), Count: c.count, Offset: c.offset}
		got := strings.TrimSpace(fmtRows(runPlan(t, n, testEnv)))
		if got != c.want {
			t.Errorf("limit %d offset %d: got %q want %q", c.count, c.offset, got, c.want)
		}
	}
}

func aggNode(in plan.Node, phase plan.AggPhase, groups []*plan.Expr, aggs ...*plan.AggCall) *plan.Aggregate {
	return &plan.Aggregate{Input: in, Groups: groups, Aggs: aggs, Phase: phase}
}

func TestAggregateBasics(t *testing.T) {
	types := []catalog.Type{tI4, tT, tNum(2), tF8}
	data := mkBatch(types,
		[]any{1, "x", 100, 1.0}, []any{2, "y", 250, nil}, []any{nil, "x", nil, 3.0},
		[]any{1, nil, 50, 2.0}, []any{nil, nil, 1, 4.0}, []any{2, "y", 250, 5.0})
	aggs := func() []*plan.AggCall {
		return []*plan.AggCall{
			{Func: "count", Type: tI8},
			{Func: "count", Arg: col(2, tNum(2)), Type: tI8},
			{Func: "sum", Arg: col(2, tNum(2)), Type: tNum(2)},
			{Func: "avg", Arg: col(2, tNum(2)), Type: tNum(4)},
			{Func: "min", Arg: col(1, tT), Type: tT},
			{Func: "max", Arg: col(3, tF8), Type: tF8},
			{Func: "sum", Arg: col(0, tI4), Type: tI8},
			{Func: "avg", Arg: col(3, tF8), Type: tF8},
			{Func: "count", Arg: col(2, tNum(2)), Distinct: true, Type: tI8},
		}
	}
	n := aggNode(srcNode(types, splitBatches(data, 4)...), plan.Complete, []*plan.Expr{col(0, tI4)}, aggs()...)
	got := sortedRows(runPlan(t, n, testEnv))
	want := sortedRows([][]any{
		{int64(1), int64(2), int64(2), "1.50", "0.7500", "x", 2.0, int64(2), 1.5, int64(2)},
		{int64(2), int64(2), int64(2), "5.00", "2.5000", "y", 5.0, int64(4), 5.0, int64(1)},
		{nil, int64(2), int64(1), "0.01", "0.0100", "x", 4.0, nil, 3.5, int64(1)},
	})
	if got != want {
		t.Errorf("grouped:\n%s\nwant:\n%s", got, want)
	}
	// No GROUP BY over empty input: one row.
	empty := aggNode(srcNode(types), plan.Complete, nil, aggs()...)
	wantRows(t, runPlan(t, empty, testEnv), "0 0 <nil> <nil> <nil> <nil> <nil> <nil> 0")
	// GROUP BY over empty input: no rows.
	if rows := runPlan(t, aggNode(srcNode(types), plan.Complete, []*plan.Expr{col(0, tI4)}, aggs()...), testEnv); len(rows) != 0 {
		t.Errorf("grouped empty: %v", rows)
	}
	// Two phases give what one does.
	partial := aggNode(srcNode(types, splitBatches(data, 2)...), plan.Partial, []*plan.Expr{col(0, tI4)}, aggs()[:8]...)
	final := aggNode(partial, plan.Final, []*plan.Expr{col(0, tI4)}, aggs()[:8]...)
	got2 := runPlan(t, final, testEnv)
	want2 := runPlan(t, aggNode(srcNode(types, data), plan.Complete, []*plan.Expr{col(0, tI4)}, aggs()[:8]...), testEnv)
	if sortedRows(got2) != sortedRows(want2) {
		t.Errorf("two-phase:\n%s\nwant:\n%s", sortedRows(got2), sortedRows(want2))
	}
	// Two phases, no groups, empty input.
	p0 := aggNode(srcNode(types), plan.Partial, nil, aggs()[:8]...)
	wantRows(t, runPlan(t, aggNode(p0, plan.Final, nil, aggs()[:8]...), testEnv), "0 0 <nil> <nil> <nil> <nil> <nil> <nil>")
}

func TestAggregateOverflow(t *testing.T) {
	types := []catalog.Type{tI8}
	data := mkBatch(types, []any{math.MaxInt64}, []any{1})
	n := aggNode(srcNode(types, data), plan.Complete, nil, &plan.AggCall{Func: "sum", Arg: col(0, tI8), Type: tNum(0)})
	if _, err := tryPlan(n, testEnv); codeOf(err) != "22003" || err.Error() != "bigint out of range" {
		t.Errorf("sum overflow: %v", err)
	}
	n = aggNode(srcNode(types, data), plan.Complete, []*plan.Expr{i4(1)}, &plan.AggCall{Func: "avg", Arg: col(0, tI8), Type: tNum(2)})
	if _, err := tryPlan(n, testEnv); codeOf(err) != "22003" {
		t.Errorf("avg overflow: %v", err)
	}
	// sum(int8) is numeric; sum(int4) is bigint.
	n = aggNode(srcNode(types, mkBatch(types, []any{5}, []any{7})), plan.Complete, nil,
		&plan.AggCall{Func: "sum", Arg: col(0, tI8), Type: tNum(0)},
		&plan.AggCall{Func: "avg", Arg: col(0, tI8), Type: tNum(16)})
	wantRows(t, runPlan(t, n, testEnv), "12 6.0000000000000000")
	// Distinct is refused in two phases.
	n = aggNode(srcNode(types), plan.Partial, nil, &plan.AggCall{Func: "count", Arg: col(0, tI8), Distinct: true, Type: tI8})
	if _, err := tryPlan(n, testEnv); codeOf(err) != "0A000" {
		t.Errorf("partial distinct: %v", err)
	}
}

func TestAggregateStringKeysAndMinMax(t *testing.T) {
	types := []catalog.Type{tChar(3), tT, tI4}
	data := mkBatch(types,
		[]any{"a  ", "pear", 1}, []any{"a", "apple", 2}, []any{"b", "fig", 3}, []any{nil, "kiwi", 4},
		[]any{"b  ", nil, 5}, []any{nil, "zucchini", 6})
	n := aggNode(srcNode(types, splitBatches(data, 2)...), plan.Complete, []*plan.Expr{col(0, tChar(3))},
		&plan.AggCall{Func: "min", Arg: col(1, tT), Type: tT},
		&plan.AggCall{Func: "max", Arg: col(1, tT), Type: tT},
		&plan.AggCall{Func: "sum", Arg: col(2, tI4), Type: tI8},
		&plan.AggCall{Func: "sum", Arg: col(2, tI4), Distinct: true, Type: tI8})
	wantRows(t, runPlan(t, n, testEnv), `
a   apple pear 3 3
b fig fig 8 8
<nil> kiwi zucchini 10 10`)
}

func joinNode(l, r plan.Node, kind plan.JoinKind, lk, rk []*plan.Expr, res *plan.Expr) *plan.Join {
	return &plan.Join{Left: l, Right: r, Kind: kind, LeftKeys: lk, RightKeys: rk, Residual: res}
}

func TestJoinKinds(t *testing.T) {
	lt := []catalog.Type{tI4, tT}
	rt := []catalog.Type{tI8, tT}
	left := mkBatch(lt, []any{1, "l1"}, []any{2, "l2"}, []any{2, "l2b"}, []any{nil, "lnull"}, []any{4, "l4"})
	right := mkBatch(rt, []any{2, "r2"}, []any{2, "r2b"}, []any{1, "r1"}, []any{nil, "rnull"}, []any{3, "r3"})
	keys := func() ([]*plan.Expr, []*plan.Expr) {
		return []*plan.Expr{col(0, tI4)}, []*plan.Expr{col(0, tI8)}
	}
	cases := []struct {
		kind plan.JoinKind
		res  *plan.Expr
		want [][]any
	}{
		{plan.InnerJoin, nil, [][]any{
			{int64(1), "l1", int64(1), "r1"}, {int64(2), "l2", int64(2), "r2"}, {int64(2), "l2", int64(2), "r2b"},
			{int64(2), "l2b", int64(2), "r2"}, {int64(2), "l2b", int64(2), "r2b"}}},
		{plan.LeftJoin, nil, [][]any{
			{int64(1), "l1", int64(1), "r1"}, {int64(2), "l2", int64(2), "r2"}, {int64(2), "l2", int64(2), "r2b"},
			{int64(2), "l2b", int64(2), "r2"}, {int64(2), "l2b", int64(2), "r2b"},
			{nil, "lnull", nil, nil}, {int64(4), "l4", nil, nil}}},
		{plan.RightJoin, nil, [][]any{
			{int64(1), "l1", int64(1), "r1"}, {int64(2), "l2", int64(2), "r2"}, {int64(2), "l2", int64(2), "r2b"},
			{int64(2), "l2b", int64(2), "r2"}, {int64(2), "l2b", int64(2), "r2b"},
			{nil, nil, nil, "rnull"}, {nil, nil, int64(3), "r3"}}},
		{plan.FullJoin, nil, [][]any{
			{int64(1), "l1", int64(1), "r1"}, {int64(2), "l2", int64(2), "r2"}, {int64(2), "l2", int64(2), "r2b"},
			{int64(2), "l2b", int64(2), "r2"}, {int64(2), "l2b", int64(2), "r2b"},
			{nil, "lnull", nil, nil}, {int64(4), "l4", nil, nil},
			{nil, nil, nil, "rnull"}, {nil, nil, int64(3), "r3"}}},
		// Residual as part of ON: l.c1 < r.c1 keeps l2/r2b, l2b/... none.
		{plan.LeftJoin, call("<", tB, col(1, tT), col(3, tT)), [][]any{
			{int64(1), "l1", int64(1), "r1"}, {int64(2), "l2", int64(2), "r2"}, {int64(2), "l2", int64(2), "r2b"},
			{int64(2), "l2b", int64(2), "r2"}, {int64(2), "l2b", int64(2), "r2b"},
			{nil, "lnull", nil, nil}, {int64(4), "l4", nil, nil}}},
		{plan.FullJoin, call("=", tB, col(3, tT), txt("r2b")), [][]any{
			{int64(2), "l2", int64(2), "r2b"}, {int64(2), "l2b", int64(2), "r2b"},
			{int64(1), "l1", nil, nil}, {nil, "lnull", nil, nil}, {int64(4), "l4", nil, nil},
			{nil, nil, int64(2), "r2"}, {nil, nil, int64(1), "r1"}, {nil, nil, nil, "rnull"}, {nil, nil, int64(3), "r3"}}},
	}
	for _, c := range cases {
		lk, rk := keys()
		n := joinNode(srcNode(lt, splitBatches(left, 2)...), srcNode(rt, splitBatches(right, 2)...), c.kind, lk, rk, c.res)
		got := runPlan(t, n, testEnv)
		if sortedRows(got) != sortedRows(c.want) {
			t.Errorf("kind %d residual %v:\n%s\nwant:\n%s", c.kind, c.res != nil, sortedRows(got), sortedRows(c.want))
		}
	}
	// Cross join and inner join without keys (nested loop with residual).
	n := joinNode(srcNode(lt, left), srcNode(rt, right), plan.CrossJoin, nil, nil, nil)
	if got := runPlan(t, n, testEnv); len(got) != 25 {
		t.Errorf("cross join: %d rows", len(got))
	}
	n = joinNode(srcNode(lt, left), srcNode(rt, right), plan.InnerJoin, nil, nil,
		call(">", tB, col(0, tI4), col(2, tI8)))
	want := [][]any{{int64(2), "l2", int64(1), "r1"}, {int64(2), "l2b", int64(1), "r1"},
		{int64(4), "l4", int64(2), "r2"}, {int64(4), "l4", int64(2), "r2b"}, {int64(4), "l4", int64(1), "r1"}, {int64(4), "l4", int64(3), "r3"}}
	if got := runPlan(t, n, testEnv); sortedRows(got) != sortedRows(want) {
		t.Errorf("theta join:\n%s", sortedRows(got))
	}
	// Left join against an empty build side.
	n = joinNode(srcNode(lt, left), srcNode(rt), plan.LeftJoin, []*plan.Expr{col(0, tI4)}, []*plan.Expr{col(0, tI8)}, nil)
	if got := runPlan(t, n, testEnv); len(got) != 5 || got[0][2] != nil {
		t.Errorf("left join empty build: %v", got)
	}
}

func TestJoinSparseAndCompositeKeys(t *testing.T) {
	// Sparse int keys take the hash path; composite and string keys the
	// generic one.
	lt := []catalog.Type{tI8, tT}
	left := mkBatch(lt, []any{1 << 40, "a"}, []any{5, "b"}, []any{-(1 << 50), "c"}, []any{7, "d "})
	right := mkBatch(lt, []any{-(1 << 50), "c"}, []any{1 << 40, "x"}, []any{7, "d"}, []any{5, "b"})
	n := joinNode(srcNode(lt, left), srcNode(lt, right), plan.InnerJoin, []*plan.Expr{col(0, tI8)}, []*plan.Expr{col(0, tI8)}, nil)
	if got := runPlan(t, n, testEnv); len(got) != 4 {
		t.Errorf("sparse: %v", got)
	}
	n = joinNode(srcNode(lt, left), srcNode(lt, right), plan.InnerJoin,
		[]*plan.Expr{col(0, tI8), col(1, tT)}, []*plan.Expr{col(0, tI8), col(1, tT)}, nil)
	want := [][]any{{int64(5), "b", int64(5), "b"}, {int64(-(1 << 50)), "c", int64(-(1 << 50)), "c"}}
	if got := runPlan(t, n, testEnv); sortedRows(got) != sortedRows(want) {
		t.Errorf("composite:\n%s", sortedRows(got))
	}
	// char(n) keys ignore trailing spaces.
	ct := []catalog.Type{tI8, tChar(2)}
	n = joinNode(srcNode(ct, left), srcNode(ct, right), plan.InnerJoin, []*plan.Expr{col(1, tChar(2))}, []*plan.Expr{col(1, tChar(2))}, nil)
	if got := runPlan(t, n, testEnv); len(got) != 3 {
		t.Errorf("char keys: %v", got)
	}
	// Key types unified: int4 = numeric.
	n = joinNode(srcNode([]catalog.Type{tI4}, mkBatch([]catalog.Type{tI4}, []any{2}, []any{3})),
		srcNode([]catalog.Type{tNum(1)}, mkBatch([]catalog.Type{tNum(1)}, []any{20}, []any{25})),
		plan.InnerJoin, []*plan.Expr{col(0, tI4)}, []*plan.Expr{col(0, tNum(1))}, nil)
	wantRows(t, runPlan(t, n, testEnv), "2 2.0")
}

func TestJoinManyMatches(t *testing.T) {
	// One key with 3000 matches on each side: 9 M pairs would be too many;
	// use 100 × 3000 to cross batch boundaries within one probe row.
	types := []catalog.Type{tI8}
	l := vec.NewBatch(types, 100)
	for range 100 {
		l.Cols[0].AppendInt64(1)
	}
	l.N = 100
	r := vec.NewBatch(types, 3000)
	for range 3000 {
		r.Cols[0].AppendInt64(1)
	}
	r.N = 3000
	for _, kind := range []plan.JoinKind{plan.InnerJoin, plan.LeftJoin, plan.FullJoin} {
		n := joinNode(srcNode(types, l), srcNode(types, splitBatches(r, 1000)...), kind, []*plan.Expr{col(0, tI8)}, []*plan.Expr{col(0, tI8)}, nil)
		ctx := context.Background()
		op, err := Build(ctx, n, testEnv)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for {
			b, err := op.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			if b.N > vec.BatchSize {
				t.Fatalf("batch of %d rows", b.N)
			}
			total += b.N
		}
		op.Close()
		if total != 300000 {
			t.Errorf("kind %d: %d rows", kind, total)
		}
	}
}

func TestRemote(t *testing.T) {
	types := []catalog.Type{tI4}
	frag := srcNode(types)
	env := &Env{OpenRemote: func(ctx context.Context, r *plan.Remote) (Operator, error) {
		if r.Fragment != frag {
			t.Error("wrong fragment")
		}
		return NewSliceSource(types, []*vec.Batch{mkBatch(types, []any{1}, []any{2})}), nil
	}}
	n := aggNode(&plan.Remote{Fragment: frag}, plan.Complete, nil, &plan.AggCall{Func: "sum", Arg: col(0, tI4), Type: tI8})
	wantRows(t, runPlan(t, n, env), "3")
	if _, err := tryPlan(&plan.Remote{Fragment: frag}, nil); err == nil {
		t.Error("remote without opener")
	}
}

func TestDrainEmptyKeepsTypes(t *testing.T) {
	op, err := Build(context.Background(), &plan.Filter{Input: srcNode([]catalog.Type{tI4, tT}), Pred: bln(true)}, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Drain(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	if b.N != 0 || !reflect.DeepEqual(b.Types(), []catalog.Type{tI4, tT}) {
		t.Errorf("empty drain: %+v", b)
	}
}

func TestDeriveJoinKeys(t *testing.T) {
	// Left has 2 columns, right 2: #0 #1 | #2 #3.
	eq := func(a, b int) *plan.Expr { return call("=", tB, col(a, tI4), col(b, tI4)) }
	lt := call("<", tB, col(1, tI4), col(3, tI4))
	for _, c := range []struct {
		res  *plan.Expr
		want int
	}{
		{eq(0, 2), 1},
		{call("and", tB, eq(0, 2), lt, eq(3, 1)), 2},
		{call("or", tB, call("and", tB, eq(0, 2), lt), call("and", tB, eq(2, 0), eq(1, 3))), 1},
		{call("or", tB, eq(0, 2), eq(1, 3)), 0},
		{lt, 0},
		{eq(0, 1), 0}, // both left
	} {
		lk, rk := deriveJoinKeys(c.res, 2)
		if len(lk) != c.want || len(rk) != c.want {
			t.Errorf("%v: %d keys, want %d", c.res.Op, len(lk), c.want)
		}
		for i := range lk {
			if side(lk[i], 2) != sideLeft || side(rk[i], 2) != sideLeft {
				t.Errorf("key %d sides", i)
			}
		}
	}
}
