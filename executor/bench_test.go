package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// benchBatches builds rows of int64 columns, column c of row i = gen(c, i),
// in batches of vec.BatchSize.
func benchBatches(rows int, ncols int, gen func(c, i int) int64) []*vec.Batch {
	types := make([]catalog.Type, ncols)
	for i := range types {
		types[i] = tI8
	}
	var out []*vec.Batch
	for from := 0; from < rows; from += vec.BatchSize {
		n := min(vec.BatchSize, rows-from)
		b := vec.NewBatch(types, n)
		for c := range ncols {
			v := b.Cols[c]
			v.I64 = v.I64[:n]
			for i := range n {
				v.I64[i] = gen(c, from+i)
			}
		}
		b.N = n
		out = append(out, b)
	}
	return out
}

// drainCount pulls every batch and counts rows.
func drainCount(b *testing.B, op Operator) int {
	ctx := context.Background()
	total := 0
	for {
		bt, err := op.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if bt == nil {
			break
		}
		total += bt.N
	}
	op.Close()
	return total
}

func BenchmarkHashAggregate(b *testing.B) {
	const rows = 6_000_000
	for _, c := range []struct {
		groups    int
		clustered bool
	}{{1_500_000, false}, {1_500_000, true}, {4, false}} {
		// Keys either in random order or in runs of 4 like lineitem's
		// orderkeys; a value column to sum.
		perm := rand.New(rand.NewPCG(1, 1)).Perm(rows)
		batches := benchBatches(rows, 2, func(col, i int) int64 {
			if col == 0 {
				if c.clustered {
					return int64(i/(rows/c.groups)) * 4
				}
				return int64(perm[i]%c.groups) * 4
			}
			return int64(i % 1000)
		})
		types := []catalog.Type{tI8, tI8}
		order := "random"
		if c.clustered {
			order = "clustered"
		}
		b.Run(fmt.Sprintf("groups=%d/%s", c.groups, order), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := aggNode(&plan.Scan{}, plan.Complete, []*plan.Expr{col(0, tI8)},
					&plan.AggCall{Func: "count", Type: tI8},
					&plan.AggCall{Func: "sum", Arg: col(1, tI8), Type: tNum(0)})
				op, err := newAggregate(NewSliceSource(types, batches), n)
				if err != nil {
					b.Fatal(err)
				}
				if got := drainCount(b, op); got != c.groups {
					b.Fatalf("%d groups", got)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}

func BenchmarkHashJoin(b *testing.B) {
	const buildRows, probeRows = 1_500_000, 6_000_000
	for _, dense := range []bool{true, false} {
		// Build: (key, payload); probe: (key, value), each probe key matching
		// exactly one build row, in random order.
		keyOf := func(i int) int64 {
			if dense {
				return int64(i)*4 + 1 // orderkey-like: sparse enough, direct array
			}
			return int64(uint64(i)*0x9e3779b97f4a7c15>>8) | 1 // hash table
		}
		rng := rand.New(rand.NewPCG(2, 2))
		build := benchBatches(buildRows, 2, func(c, i int) int64 {
			if c == 0 {
				return keyOf(i)
			}
			return int64(i)
		})
		probe := benchBatches(probeRows, 2, func(c, i int) int64 {
			if c == 0 {
				return keyOf(rng.IntN(buildRows))
			}
			return int64(i)
		})
		types := []catalog.Type{tI8, tI8}
		name := "hash"
		if dense {
			name = "direct"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := &plan.Join{Left: &plan.Values{ColTypes: types}, Right: &plan.Values{ColTypes: types}, Kind: plan.InnerJoin,
					LeftKeys: []*plan.Expr{col(0, tI8)}, RightKeys: []*plan.Expr{col(0, tI8)}}
				op, err := newJoin(NewSliceSource(types, probe), NewSliceSource(types, build), n)
				if err != nil {
					b.Fatal(err)
				}
				if got := drainCount(b, op); got != probeRows {
					b.Fatalf("%d rows", got)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/probeRows, "ns/probe-row")
		})
	}
}

func BenchmarkFilter(b *testing.B) {
	const rows = 6_000_000
	rng := rand.New(rand.NewPCG(3, 3))
	// shipdate-like days, discount 0..10 (scale 2), quantity 1..50.
	batches := benchBatches(rows, 3, func(c, i int) int64 {
		switch c {
		case 0:
			return int64(rng.IntN(2500)) - 3000
		case 1:
			return int64(rng.IntN(11))
		}
		return int64(1 + rng.IntN(50))
	})
	types := []catalog.Type{tD, tNum(2), tNum(2)}
	for _, bt := range batches {
		for i, t := range types {
			bt.Cols[i].Type = t
		}
	}
	preds := map[string]*plan.Expr{
		// One comparison, about half the rows pass.
		"simple": call("<=", tB, col(0, tD), cI(tD, -1750)),
		// TPC-H Q6: five conjuncts, about 2% pass.
		"q6": call("and", tB,
			call(">=", tB, col(0, tD), cI(tD, -1826)),
			call("<", tB, col(0, tD), cI(tD, -1461)),
			call(">=", tB, col(1, tNum(2)), num(5, 2)),
			call("<=", tB, col(1, tNum(2)), num(7, 2)),
			call("<", tB, col(2, tNum(2)), num(2400, 2))),
	}
	for _, name := range []string{"simple", "q6"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				op, err := NewFilter(NewSliceSource(types, batches), preds[name])
				if err != nil {
					b.Fatal(err)
				}
				drainCount(b, op)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}

func BenchmarkProjectNumeric(b *testing.B) {
	// Q1's charge: price * (1 - discount) * (1 + tax), scale 6.
	const rows = 6_000_000
	rng := rand.New(rand.NewPCG(4, 4))
	batches := benchBatches(rows, 3, func(c, i int) int64 {
		if c == 0 {
			return int64(90000 + rng.IntN(10_000_000))
		}
		return int64(rng.IntN(11))
	})
	types := []catalog.Type{tNum(2), tNum(2), tNum(2)}
	for _, bt := range batches {
		for i, t := range types {
			bt.Cols[i].Type = t
		}
	}
	one := num(100, 2)
	disc := call("*", tNum(4), col(0, tNum(2)), call("-", tNum(2), one, col(1, tNum(2))))
	charge := call("*", tNum(6), disc, call("+", tNum(2), one, col(2, tNum(2))))
	b.ReportAllocs()
	for b.Loop() {
		op, err := newProject(NewSliceSource(types, batches), []*plan.Expr{disc, charge})
		if err != nil {
			b.Fatal(err)
		}
		drainCount(b, op)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}

func BenchmarkHashAggregateStrings(b *testing.B) {
	// TPC-H Q1's shape: GROUP BY two char(1) flags (4 groups) with four sums.
	const rows = 6_000_000
	types := []catalog.Type{tChar(1), tChar(1), tNum(2), tNum(2)}
	rng := rand.New(rand.NewPCG(5, 5))
	var batches []*vec.Batch
	for from := 0; from < rows; from += vec.BatchSize {
		n := min(vec.BatchSize, rows-from)
		bt := vec.NewBatch(types, n)
		for range n {
			r := rng.IntN(4)
			bt.Cols[0].AppendBytes([]byte{"ANRR"[r]})
			bt.Cols[1].AppendBytes([]byte{"FFFO"[r]})
			bt.Cols[2].AppendInt64(int64(rng.IntN(5000)))
			bt.Cols[3].AppendInt64(int64(rng.IntN(10_000_000)))
		}
		bt.N = n
		batches = append(batches, bt)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := aggNode(&plan.Scan{}, plan.Complete, []*plan.Expr{col(0, tChar(1)), col(1, tChar(1))},
			&plan.AggCall{Func: "sum", Arg: col(2, tNum(2)), Type: tNum(2)},
			&plan.AggCall{Func: "sum", Arg: col(3, tNum(2)), Type: tNum(2)},
			&plan.AggCall{Func: "avg", Arg: col(2, tNum(2)), Type: tNum(6)},
			&plan.AggCall{Func: "count", Type: tI8})
		op, err := newAggregate(NewSliceSource(types, batches), n)
		if err != nil {
			b.Fatal(err)
		}
		if got := drainCount(b, op); got != 4 {
			b.Fatalf("%d groups", got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
