package executor

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// q1Batches builds lineitem-like batches of Q1's seven columns: quantity,
// extendedprice, discount, tax (numeric(15,2)), returnflag, linestatus
// (char(1)) and shipdate, about 98% of rows on or before day -486 (the
// filter of TPC-H Q1).
func q1Batches(rows int) ([]catalog.Type, []*vec.Batch) {
	types := []catalog.Type{tNumP(15, 2), tNumP(15, 2), tNumP(15, 2), tNumP(15, 2), tChar(1), tChar(1), tD}
	rng := rand.New(rand.NewPCG(7, 7))
	var batches []*vec.Batch
	for from := 0; from < rows; from += vec.BatchSize {
		n := min(vec.BatchSize, rows-from)
		bt := vec.NewBatch(types, n)
		for range n {
			ship := int64(-2557 + rng.IntN(2526))
			rf, ls := "N", "O"
			switch {
			case ship > -700:
				rf, ls = "N", "O"
			case ship > -900 && rng.IntN(2) == 0:
				rf, ls = "N", "F"
			default:
				rf, ls = []string{"A", "R"}[rng.IntN(2)], "F"
			}
			bt.Cols[0].AppendInt64(int64(100 * (1 + rng.IntN(50))))
			bt.Cols[1].AppendInt64(int64(90000 + rng.IntN(10_400_000)))
			bt.Cols[2].AppendInt64(int64(rng.IntN(11)))
			bt.Cols[3].AppendInt64(int64(rng.IntN(9)))
			bt.Cols[4].AppendBytes([]byte(rf))
			bt.Cols[5].AppendBytes([]byte(ls))
			bt.Cols[6].AppendInt64(ship)
		}
		bt.N = n
		batches = append(batches, bt)
	}
	return types, batches
}

// q1Plan is TPC-H Q1's participant fragment: a partial aggregate over a
// filtered scan.
func q1Plan(scan *plan.Scan) *plan.Aggregate {
	n2 := tNumP(15, 2)
	qty, price, disc, tax := col(0, n2), col(1, n2), col(2, n2), col(3, n2)
	one := num(100, 2)
	discPrice := call("*", tNum(4), price, call("-", tNum(2), one, disc))
	charge := call("*", tNum(6), discPrice, call("+", tNum(2), one, tax))
	scan.Filter = call("<=", tB, col(6, tD), cI(tD, -486))
	// The planner drops l_shipdate, which only the filter reads.
	var picks []*plan.Expr
	for c, t := range scan.Types()[:6] {
		picks = append(picks, col(c, t))
	}
	proj := &plan.Project{Input: scan, Exprs: picks}
	return aggNode(proj, plan.Partial, []*plan.Expr{col(4, tChar(1)), col(5, tChar(1))},
		&plan.AggCall{Func: "sum", Arg: qty, Type: tNum(2)},
		&plan.AggCall{Func: "sum", Arg: price, Type: tNum(2)},
		&plan.AggCall{Func: "sum", Arg: discPrice, Type: tNum(4)},
		&plan.AggCall{Func: "sum", Arg: charge, Type: tNum(6)},
		&plan.AggCall{Func: "avg", Arg: qty, Type: catalog.NumericType(0, catalog.DynamicScale)},
		&plan.AggCall{Func: "avg", Arg: price, Type: catalog.NumericType(0, catalog.DynamicScale)},
		&plan.AggCall{Func: "avg", Arg: disc, Type: catalog.NumericType(0, catalog.DynamicScale)},
		&plan.AggCall{Func: "count", Type: tI8})
}

// BenchmarkQ1Pipeline runs Q1's participant pipeline (scan → filter →
// partial aggregate by two char(1) flags, four sums, three avgs, a count)
// over in-memory batches.
func BenchmarkQ1Pipeline(b *testing.B) {
	const rows = 2_000_000
	types, batches := q1Batches(rows)
	scan := srcNode(types, batches...)
	n := q1Plan(scan)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		op, err := Build(ctx, n, testEnv)
		if err != nil {
			b.Fatal(err)
		}
		if got := drainCount(b, op); got != 4 {
			b.Fatalf("%d groups", got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
