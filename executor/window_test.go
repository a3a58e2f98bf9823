package executor

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// TestWindowFramesOracle checks frames against a row-at-a-time oracle that
// takes each frame from its definition (which rows satisfy the start and
// end bounds, less the exclusion) on random inputs: sum (the running
// 128-bit path), min (the aggregate-state path), count, first_value,
// last_value and nth_value, over ROWS, GROUPS and RANGE frames with
// offsets and every exclusion, in batches split at random.
func TestWindowFramesOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	types := []catalog.Type{tI8, tI8, tI4} // k, t, x
	for iter := 0; iter < 400; iter++ {
		n := r.IntN(60)
		rangeOffsets := r.IntN(3) == 0
		var rows [][]any
		for range n {
			row := []any{int64(r.IntN(4)), int64(r.IntN(8)), int64(r.IntN(41) - 20)}
			if r.IntN(8) == 0 {
				row[0] = nil
			}
			if r.IntN(8) == 0 && !rangeOffsets {
				row[1] = nil
			}
			if r.IntN(6) == 0 {
				row[2] = nil
			}
			rows = append(rows, row)
		}
		fr := randomFrame(r, rangeOffsets)
		desc := r.IntN(2) == 0
		noOrder := !rangeOffsets && fr.Mode != plan.GroupsFrame && r.IntN(5) == 0
		order := []plan.SortKey{{Expr: col(1, tI8), Desc: desc, NullsFirst: desc}}
		keys := []plan.SortKey{{Expr: col(0, tI8)}}
		if noOrder {
			order = nil
		} else {
			keys = append(keys, order[0])
		}
		// The sort below the window also orders by x, then the row, so
		// the order within peers is known to the oracle.
		keys = append(keys, plan.SortKey{Expr: col(2, tI4)})
		funcs := []*plan.WindowFunc{
			{Func: "agg", Agg: &plan.AggCall{Func: "sum", Arg: col(2, tI4), Type: tI8}, Type: tI8, Frame: fr},
			{Func: "agg", Agg: &plan.AggCall{Func: "min", Arg: col(2, tI4), Type: tI4}, Type: tI4, Frame: fr},
			{Func: "agg", Agg: &plan.AggCall{Func: "count", Arg: col(2, tI4), Type: tI8}, Type: tI8, Frame: fr},
			{Func: "first_value", Args: []*plan.Expr{col(2, tI4)}, Type: tI4, Frame: fr},
			{Func: "last_value", Args: []*plan.Expr{col(2, tI4)}, Type: tI4, Frame: fr},
			{Func: "nth_value", Args: []*plan.Expr{col(2, tI4), i4(2)}, Type: tI4, Frame: fr},
		}
		in := mkBatch(types, rows...)
		src := srcNode(types, splitBatches(in, 1+r.IntN(7))...)
		w := &plan.Window{Input: &plan.Sort{Input: src, Keys: keys}, Partition: []int{0}, Order: order, Funcs: funcs}
		got, err := tryPlan(w, testEnv)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		want := windowOracle(got, fr, !noOrder)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("iter %d, frame %s, order desc=%v none=%v:\ngot:\n%swant:\n%s", iter, fr, desc, noOrder, fmtRows(got), fmtRows(want))
		}
	}
}

func randomFrame(r *rand.Rand, rangeOffsets bool) plan.Frame {
	f := plan.Frame{Mode: plan.FrameMode(r.IntN(3))}
	bound := func(isStart bool) plan.FrameBound {
		kinds := []plan.BoundKind{plan.OffsetPreceding, plan.CurrentRow, plan.OffsetFollowing}
		if isStart {
			kinds = append(kinds, plan.UnboundedPreceding)
		} else {
			kinds = append(kinds, plan.UnboundedFollowing)
		}
		return plan.FrameBound{Kind: kinds[r.IntN(len(kinds))], Offset: plan.Datum{I: int64(r.IntN(4))}}
	}
	if rangeOffsets {
		f.Mode = plan.RangeFrame
	}
	f.Start, f.End = bound(true), bound(false)
	if f.Mode == plan.RangeFrame && !rangeOffsets {
		for _, b := range []*plan.FrameBound{&f.Start, &f.End} {
			if b.Kind == plan.OffsetPreceding || b.Kind == plan.OffsetFollowing {
				b.Kind = plan.CurrentRow
			}
		}
	}
	f.Exclude = plan.FrameExclude(r.IntN(4))
	return f
}

// windowOracle computes the six functions of TestWindowFramesOracle for
// the sorted rows (k, t, x, …) by the definition of each frame.
func windowOracle(sorted [][]any, f plan.Frame, ordered bool) [][]any {
	out := make([][]any, len(sorted))
	same := func(a, b any) bool { return reflect.DeepEqual(a, b) }
	for i, row := range sorted {
		// The partition's rows, and the peer group numbers.
		var part []int
		for j := range sorted {
			if same(sorted[j][0], row[0]) {
				part = append(part, j)
			}
		}
		group := map[int]int{}
		g := 0
		for q, j := range part {
			if q > 0 && ordered && !same(sorted[j][1], sorted[part[q-1]][1]) {
				g++
			}
			group[j] = g
		}
		desc := false
		if ordered && len(part) > 1 {
			for q := 1; q < len(part); q++ {
				a, b := sorted[part[q-1]][1], sorted[part[q]][1]
				if a != nil && b != nil && a.(int64) != b.(int64) {
					desc = a.(int64) > b.(int64)
					break
				}
			}
		}
		// satisfies reports whether row j is on the frame's side of bound b.
		satisfies := func(j int, b plan.FrameBound, isStart bool) bool {
			if b.Kind == plan.UnboundedPreceding || b.Kind == plan.UnboundedFollowing {
				return true
			}
			d := b.Offset.I
			if b.Kind == plan.CurrentRow {
				d = 0
			} else if b.Kind == plan.OffsetPreceding {
				d = -d
			}
			var cur, other int64
			switch {
			case f.Mode == plan.RowsFrame:
				cur, other = int64(i), int64(j)
			case f.Mode == plan.GroupsFrame || b.Kind == plan.CurrentRow || !ordered:
				cur, other = int64(group[i]), int64(group[j])
				if !ordered {
					cur, other = 0, 0
				}
			default: // RANGE with an offset: the key has no NULLs here
				cur, other = row[1].(int64), sorted[j][1].(int64)
				if desc {
					cur, other = -cur, -other
				}
			}
			if isStart {
				return other >= cur+d
			}
			return other <= cur+d
		}
		var frame []int
		for _, j := range part {
			if !satisfies(j, f.Start, true) || !satisfies(j, f.End, false) {
				continue
			}
			peer := group[j] == group[i]
			switch {
			case f.Exclude == plan.ExcludeCurrentRow && j == i,
				f.Exclude == plan.ExcludeGroup && peer,
				f.Exclude == plan.ExcludeTies && peer && j != i:
				continue
			}
			frame = append(frame, j)
		}
		var sum, cnt int64
		var minV, first, last, nth any
		for q, j := range frame {
			x := sorted[j][2]
			if q == 0 {
				first = x
			}
			if q == 1 {
				nth = x
			}
			last = x
			if x == nil {
				continue
			}
			sum += x.(int64)
			cnt++
			if minV == nil || x.(int64) < minV.(int64) {
				minV = x
			}
		}
		var sumV any
		if cnt > 0 {
			sumV = sum
		}
		out[i] = append(append([]any(nil), row[:3]...), sumV, minV, cnt, first, last, nth)
	}
	return out
}

// TestWindowLargeRunningSum checks the running 128-bit sums across chunk
// boundaries and a sum that overflows int8 (22003).
func TestWindowLargeRunningSum(t *testing.T) {
	types := []catalog.Type{tI8, tI8}
	var rows [][]any
	for i := range 5000 {
		rows = append(rows, []any{int64(i % 3), int64(i)})
	}
	src := srcNode(types, splitBatches(mkBatch(types, rows...), vec.BatchSize)...)
	w := &plan.Window{Input: &plan.Sort{Input: src, Keys: []plan.SortKey{{Expr: col(0, tI8)}, {Expr: col(1, tI8)}}},
		Partition: []int{0}, Order: []plan.SortKey{{Expr: col(1, tI8)}}, Funcs: []*plan.WindowFunc{
			{Func: "agg", Agg: &plan.AggCall{Func: "sum", Arg: col(1, tI8), Type: catalog.TypeNumericDynamic}, Type: catalog.TypeNumericDynamic, Frame: plan.DefaultFrame()},
			{Func: "agg", Agg: &plan.AggCall{Func: "avg", Arg: col(1, tI8), Type: catalog.TypeNumericDynamic}, Type: catalog.TypeNumericDynamic, Frame: plan.Frame{Mode: plan.RowsFrame,
				Start: plan.FrameBound{Kind: plan.OffsetPreceding, Offset: plan.Datum{I: 1}}, End: plan.FrameBound{Kind: plan.CurrentRow}}},
		}}
	got := runPlan(t, w, testEnv)
	sums := map[int64]int64{}
	prev := map[int64]int64{}
	for i, row := range got {
		k, x := row[0].(int64), row[1].(int64)
		sums[k] += x
		if want := fmt.Sprint(sums[k]); row[2] != want {
			t.Fatalf("row %d: running sum %v, want %s", i, row[2], want)
		}
		if p, ok := prev[k]; ok {
			if want := fmt.Sprintf("%d.%s", (p+x)/2, map[bool]string{true: "5000000000000000", false: "0000000000000000"}[(p+x)%2 == 1]); row[3] != want {
				t.Fatalf("row %d: avg %v, want %s", i, row[3], want)
			}
		}
		prev[k] = x
	}

	big := mkBatch(types, []any{0, int64(1) << 62}, []any{0, int64(1) << 62}, []any{0, int64(1) << 62})
	w.Input = &plan.Sort{Input: srcNode(types, big), Keys: []plan.SortKey{{Expr: col(0, tI8)}}}
	w.Funcs = []*plan.WindowFunc{{Func: "agg", Agg: &plan.AggCall{Func: "count", Type: tI8}, Type: tI8, Frame: plan.DefaultFrame()},
		{Func: "agg", Agg: &plan.AggCall{Func: "sum", Arg: col(1, tI8), Type: catalog.TypeNumericDynamic}, Type: catalog.TypeNumericDynamic, Frame: plan.DefaultFrame()}}
	got = runPlan(t, w, testEnv)
	if got[2][3] != "13835058055282163712" || got[2][2] != int64(3) {
		t.Fatalf("128-bit running sum: %v", got)
	}
}
