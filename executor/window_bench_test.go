package executor

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// windowBenchInput is n rows (k, t, x): k one of parts partition keys, t
// unique, x an int4 in [0, 1000), in random order, as 2,048-row batches.
func windowBenchInput(n, parts int) []*vec.Batch {
	r := rand.New(rand.NewPCG(1, 2))
	types := []catalog.Type{tI8, tI8, tI4}
	var out []*vec.Batch
	for from := 0; from < n; from += vec.BatchSize {
		m := min(vec.BatchSize, n-from)
		b := vec.NewBatch(types, m)
		for i := range m {
			b.Cols[0].I64 = append(b.Cols[0].I64, int64(r.IntN(parts)))
			b.Cols[1].I64 = append(b.Cols[1].I64, int64(r.Uint32()))
			b.Cols[2].I64 = append(b.Cols[2].I64, int64(r.IntN(1000)))
			_ = i
		}
		b.N = m
		out = append(out, b)
	}
	return out
}

// BenchmarkWindow runs sum(x) OVER (PARTITION BY k ORDER BY t) and other
// frames over 4 M rows in 1,000 partitions, sort included (the plan's Sort
// below the Window), and the Window alone over sorted input.
func BenchmarkWindow(b *testing.B) {
	const n, parts = 4_000_000, 1000
	in := windowBenchInput(n, parts)
	types := []catalog.Type{tI8, tI8, tI4}
	keys := []plan.SortKey{{Expr: col(0, tI8)}, {Expr: col(1, tI8)}}
	sumX := &plan.AggCall{Func: "sum", Arg: col(2, tI4), Type: tI8}
	frames := []struct {
		name string
		fn   *plan.WindowFunc
	}{
		{"sum_running", &plan.WindowFunc{Func: "agg", Agg: sumX, Type: tI8, Frame: plan.DefaultFrame()}},
		{"sum_rows_10_preceding", &plan.WindowFunc{Func: "agg", Agg: sumX, Type: tI8, Frame: plan.Frame{Mode: plan.RowsFrame,
			Start: plan.FrameBound{Kind: plan.OffsetPreceding, Offset: plan.Datum{I: 10}}, End: plan.FrameBound{Kind: plan.CurrentRow}}}},
		{"min_running", &plan.WindowFunc{Func: "agg", Agg: &plan.AggCall{Func: "min", Arg: col(2, tI4), Type: tI4}, Type: tI4, Frame: plan.DefaultFrame()}},
		{"row_number", &plan.WindowFunc{Func: "row_number", Type: tI8, Frame: plan.DefaultFrame()}},
	}
	ctx := context.Background()
	drain := func(b *testing.B, op Operator) {
		for {
			bt, err := op.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if bt == nil {
				return
			}
		}
	}
	// The sorted input, for the Window alone.
	sortOp, _ := newSort(NewSliceSource(types, in), &plan.Sort{Input: &plan.Values{ColTypes: types}, Keys: keys})
	all, err := Drain(ctx, sortOp)
	if err != nil {
		b.Fatal(err)
	}
	sorted := splitBatches(all, vec.BatchSize)
	for _, f := range frames {
		w := &plan.Window{Input: &plan.Values{ColTypes: types}, Partition: []int{0}, Order: keys[1:], Funcs: []*plan.WindowFunc{f.fn}}
		b.Run(f.name+"/window", func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				op, err := newWindow(NewSliceSource(types, sorted), w)
				if err != nil {
					b.Fatal(err)
				}
				drain(b, op)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/n, "cpu-ns/row")
		})
		b.Run(f.name+"/sort+window", func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				s, _ := newSort(NewSliceSource(types, in), &plan.Sort{Input: &plan.Values{ColTypes: types}, Keys: keys})
				op, err := newWindow(s, w)
				if err != nil {
					b.Fatal(err)
				}
				drain(b, op)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/n, "cpu-ns/row")
		})
	}
}

// cpuTime is the process's user and system CPU time in ns: on a shared
// machine a steadier measure than the wall clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
