package executor

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// TestAggregateFusedFilterOracle runs aggregates over filtered scans at
// selectivities from none to all (the filter is fused into the aggregate:
// trash group, compaction, or the batch as is) and compares with the
// row-at-a-time definition.
func TestAggregateFusedFilterOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// (Keys render with fmt.Sprint: a number before the text key keeps
	// them unambiguous.)
	groupSets := [][]int{nil, {rK1}, {rK2}, {rK1, rK2}, {rB}, {rV, rK2}}
	for iter := range 10 {
		n := []int{1, 700, 5000, 9000, 3000}[iter%5]
		domain := []int{3, 50, 2000, 7}[iter%4]
		rows := randRows(rng, n, domain)
		batches := randBatches(rng, rows)
		// The same rows behind a leading filter-only column, projected away
		// above the filter (as the planner does).
		wideTypes := append([]catalog.Type{tI4}, randTypes...)
		var wide []*vec.Batch
		for from := 0; from < len(rows); from += 1500 {
			var rs [][]any
			for _, r := range rows[from:min(from+1500, len(rows))] {
				rs = append(rs, append([]any{r[rV]}, r...))
			}
			wide = append(wide, mkBatch(wideTypes, rs...))
		}
		var picks []*plan.Expr
		for c, t := range randTypes {
			picks = append(picks, col(c+1, t))
		}
		for _, cut := range []int64{-2000, -900, -300, 300, 900, 2000} {
			// v > cut: NULL v is dropped; cut -2000 keeps every non-NULL.
			pred := call(">", tB, col(rV, tI4), i4(cut))
			var kept [][]any
			for _, r := range rows {
				if r[rV] != nil && r[rV].(int64) > cut {
					kept = append(kept, r)
				}
			}
			for _, gs := range groupSets {
				all := oracleAggs()
				var groups []*plan.Expr
				for _, g := range gs {
					groups = append(groups, col(g, randTypes[g]))
				}
				var calls []*plan.AggCall
				for _, a := range all {
					calls = append(calls, a.call)
				}
				what := fmt.Sprintf("iter %d rows %d domain %d cut %d groups %v", iter, n, domain, cut, gs)
				scan := srcNode(randTypes, batches...)
				scan.Filter = pred
				got := runPlan(t, aggNode(scan, plan.Complete, groups, calls...), testEnv)
				diffRows(t, what, got, naiveAggregate(kept, gs, all))
				// Without DISTINCT the filter is fused.
				nd := all[:len(all)-2]
				scan = srcNode(randTypes, batches...)
				scan.Filter = pred
				got = runPlan(t, aggNode(scan, plan.Complete, groups, calls[:len(calls)-2]...), testEnv)
				diffRows(t, what+" fused", got, naiveAggregate(kept, gs, nd))
				scan = srcNode(wideTypes, wide...)
				scan.Filter = call(">", tB, col(0, tI4), i4(cut))
				proj := &plan.Project{Input: scan, Exprs: picks}
				got = runPlan(t, aggNode(proj, plan.Complete, groups, calls[:len(calls)-2]...), testEnv)
				diffRows(t, what+" fused through a projection", got, naiveAggregate(kept, gs, nd))
			}
		}
	}
}

// TestAggregateFusedFilterErrors: an argument failing on a row the filter
// drops is no error; on a row it keeps it is.
func TestAggregateFusedFilterErrors(t *testing.T) {
	types := []catalog.Type{tI4, tI4}
	var rows [][]any
	for i := range 3000 {
		rows = append(rows, []any{int64(i % 5), int64(i % 7)})
	}
	b := mkBatch(types, rows...)
	arg := call("/", tI4, i4(100), col(0, tI4))
	for _, c := range []struct {
		pred string
		cut  int64
		code string
	}{{"drop zeros", 0, ""}, {"keep zeros", -1, "22012"}} {
		scan := srcNode(types, splitBatches(b, 2048)...)
		scan.Filter = call(">", tB, col(0, tI4), i4(c.cut))
		n := aggNode(scan, plan.Complete, []*plan.Expr{col(1, tI4)},
			&plan.AggCall{Func: "sum", Arg: arg, Type: tI8}, &plan.AggCall{Func: "count", Type: tI8})
		got, err := tryPlan(n, testEnv)
		if codeOf(err) != c.code {
			t.Fatalf("%s: err %v, want %q", c.pred, err, c.code)
		}
		if err != nil {
			continue
		}
		want := map[int64][2]int64{}
		for _, r := range rows {
			if x := r[0].(int64); x > c.cut {
				w := want[r[1].(int64)]
				want[r[1].(int64)] = [2]int64{w[0] + 100/x, w[1] + 1}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d groups, want %d", c.pred, len(got), len(want))
		}
		for _, r := range got {
			w := want[r[0].(int64)]
			if fmt.Sprint(r[1]) != fmt.Sprint(w[0]) || r[2] != w[1] {
				t.Errorf("%s: group %v: got %v %v, want %v", c.pred, r[0], r[1], r[2], w)
			}
		}
	}
}

// TestAggregateWideSums checks exact numeric sums of int8 values across
// the int64 fast paths and their fallbacks: few and many groups, values
// small and near 2^63, with and without NULLs, in one and two phases.
func TestAggregateWideSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	types := []catalog.Type{tI8, tNum(0)}
	dyn := catalog.NumericType(0, catalog.DynamicScale)
	for _, c := range []struct {
		groups int
		mag    int64
		nulls  bool
	}{
		{4, 1000, false}, {4, math.MaxInt64, false}, {4, math.MaxInt64 / 3000, false}, {4, math.MaxInt64, true},
		{50, math.MaxInt64 / 5000, false}, {20000, math.MaxInt64, false}, {20000, math.MaxInt64 / 100000, true},
		{1, math.MaxInt64, false}, {0, math.MaxInt64 / 2000, false}, {0, math.MaxInt64, true},
	} {
		const n = 30000
		var rows [][]any
		sums := map[int64]*big.Int{}
		seen := map[int64]bool{}
		var order []int64
		for i := range n {
			k := int64(0)
			if c.groups > 0 {
				k = int64(rng.IntN(c.groups))
			}
			var v any
			x := rng.Int64N(c.mag) - rng.Int64N(c.mag)
			if i%3 == 0 {
				x = c.mag // a long run of maxima
			}
			if c.nulls && rng.IntN(4) == 0 {
				v = nil
			} else {
				v = x
			}
			rows = append(rows, []any{k, v})
			if sums[k] == nil {
				sums[k] = new(big.Int)
				order = append(order, k)
			}
			if v != nil {
				sums[k].Add(sums[k], big.NewInt(x))
				seen[k] = true
			}
		}
		b := mkBatch(types, rows...)
		var groups []*plan.Expr
		if c.groups > 0 {
			groups = []*plan.Expr{col(0, tI8)}
		}
		calls := []*plan.AggCall{
			{Func: "sum", Arg: col(1, tNum(0)), Type: dyn},
			{Func: "avg", Arg: col(1, tNum(0)), Type: dyn},
		}
		what := fmt.Sprintf("groups %d mag %d nulls %v", c.groups, c.mag, c.nulls)
		got := runPlan(t, aggNode(srcNode(types, splitBatches(b, 2048)...), plan.Complete, groups, calls...), testEnv)
		if len(got) != len(sums) {
			t.Fatalf("%s: %d groups, want %d", what, len(got), len(sums))
		}
		for _, r := range got {
			k := int64(0)
			if c.groups > 0 {
				k = r[0].(int64)
			}
			want := sums[k].String()
			if !seen[k] {
				want = "<nil>"
			}
			if s := fmt.Sprint(r[len(groups)]); s != want {
				t.Errorf("%s: group %d: sum %s, want %s", what, k, s, want)
			}
		}
	}
}

// TestGroupTableDirect: two-column keys index the direct table until a
// column outgrows its bits, then the table re-keys; ids stay stable.
func TestGroupTableDirect(t *testing.T) {
	types := []catalog.Type{tChar(1), tI4}
	gt := newGroupTable(types)
	if gt.direct == nil {
		t.Fatal("no direct index for two small keys")
	}
	ids := map[string]int32{}
	rng := rand.New(rand.NewPCG(9, 9))
	for round, domain := range []int{10, 40, 300, 5000} {
		bt := vec.NewBatch(types, vec.BatchSize)
		var ks []string
		for range vec.BatchSize {
			s := string(rune('a' + rng.IntN(3)))
			if rng.IntN(5) == 0 {
				s += " " // char(n): trailing spaces do not count
			}
			k := int64(rng.IntN(domain))
			bt.Cols[0].AppendBytes([]byte(s))
			if rng.IntN(10) == 0 {
				bt.Cols[1].AppendNull()
				ks = append(ks, fmt.Sprint(s[:1], "|NULL"))
			} else {
				bt.Cols[1].AppendInt64(k)
				ks = append(ks, fmt.Sprint(s[:1], "|", k))
			}
		}
		bt.N = vec.BatchSize
		gids := make([]int32, bt.N)
		keep := make([]bool, bt.N)
		for i := range keep {
			keep[i] = rng.IntN(3) > 0
		}
		gt.findMasked(bt.Cols, bt.N, gids, keep)
		for i, k := range ks {
			if !keep[i] {
				if gids[i] != -1 {
					t.Fatalf("round %d: dropped row %d has group %d", round, i, gids[i])
				}
				continue
			}
			if id, ok := ids[k]; ok && id != gids[i] {
				t.Fatalf("round %d: key %s: group %d, earlier %d", round, k, gids[i], id)
			}
			ids[k] = gids[i]
		}
		if gt.ngroups != len(ids) {
			t.Fatalf("round %d: %d groups, want %d", round, gt.ngroups, len(ids))
		}
		if domain >= 300 && gt.direct != nil {
			t.Errorf("round %d: still direct with %d values", round, domain)
		}
	}
}

// TestAggregateFuses: the filter under an aggregate, directly or through
// a column-only projection, is applied by the aggregate.
func TestAggregateFuses(t *testing.T) {
	types := []catalog.Type{tI4, tI4}
	scan := srcNode(types)
	scan.Filter = call(">", tB, col(0, tI4), i4(3))
	sum := &plan.AggCall{Func: "sum", Arg: col(0, tI4), Type: tI8}
	for _, c := range []struct {
		what string
		in   plan.Node
		want bool
	}{
		{"scan", scan, true},
		{"projection", &plan.Project{Input: scan, Exprs: []*plan.Expr{col(1, tI4), col(0, tI4)}}, true},
		{"computing projection", &plan.Project{Input: scan, Exprs: []*plan.Expr{call("+", tI4, col(1, tI4), i4(1)), col(0, tI4)}}, false},
	} {
		op, err := Build(context.Background(), aggNode(c.in, plan.Partial, []*plan.Expr{col(0, tI4)}, sum), testEnv)
		if err != nil {
			t.Fatal(err)
		}
		a := op.(*guardOp).Operator.(*aggOp)
		if got := a.filt != nil; got != c.want {
			t.Errorf("%s: fused %v, want %v", c.what, got, c.want)
		}
		op.Close()
	}
}

// TestAggregateCSE: Q1's charge reuses the discounted price computed for
// the sum before it; results equal those of arguments sharing nothing.
func TestAggregateCSE(t *testing.T) {
	types, batches := q1Batches(30_000)
	n := q1Plan(srcNode(types, batches...))
	cse := findAggCSE(n.Aggs, len(n.Input.Types()))
	if cse == nil || len(cse.defs) != 1 || cse.defs[0].String() != "(#1 * (100 - #2))" {
		t.Fatalf("common subexpressions: %+v", cse)
	}
	got := runPlan(t, n, testEnv)
	// The same charge as price * ((1 - discount) * (1 + tax)): only
	// (1 - discount) in common.
	m := q1Plan(srcNode(types, batches...))
	charge := m.Aggs[3].Arg // (price * (1 - disc)) * (1 + tax)
	price, oneMinus, onePlus := charge.Args[0].Args[0], charge.Args[0].Args[1], charge.Args[1]
	alt := call("*", charge.Type, price, call("*", tNum(4), oneMinus, onePlus))
	aggs := append([]*plan.AggCall(nil), m.Aggs...)
	c := *aggs[3]
	c.Arg = alt
	aggs[3] = &c
	m.Aggs = aggs
	if cse := findAggCSE(m.Aggs, len(m.Input.Types())); cse == nil || len(cse.defs) != 1 || cse.defs[0].String() != "(100 - #2)" {
		t.Fatalf("common subexpressions: %+v", cse)
	}
	want := runPlan(t, m, testEnv)
	diffRows(t, "q1", got, want)
	if len(got) != 4 {
		t.Fatalf("%d groups", len(got))
	}
}

// TestQ1PipelineSteadyAllocs: after the first batches, Q1's fused
// pipeline allocates nothing per batch.
func TestQ1PipelineSteadyAllocs(t *testing.T) {
	types, batches := q1Batches(200 * vec.BatchSize)
	allocs := func(nb int) float64 {
		n := q1Plan(srcNode(types, batches[:nb]...))
		return testing.AllocsPerRun(3, func() {
			op, err := Build(context.Background(), n, testEnv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Drain(context.Background(), op); err != nil {
				t.Fatal(err)
			}
		})
	}
	few, many := allocs(20), allocs(200)
	if many > few {
		t.Errorf("%v allocations over 200 batches, %v over 20", many, few)
	}
}
