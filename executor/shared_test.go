package executor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// countingOp counts the batches a source hands out.
type countingOp struct {
	Operator
	n *atomic.Int64
}

func (c *countingOp) Next(ctx context.Context) (*vec.Batch, error) {
	b, err := c.Operator.Next(ctx)
	if b != nil {
		c.n.Add(1)
	}
	return b, err
}

func (c *countingOp) Types() []catalog.Type { return typesOf(c.Operator) }

// Workers running copies of a plan with one Env.Shared build each join
// once (the other copies never read their build input) and together
// produce what one copy over all probe rows produces.
func TestSharedJoinBuild(t *testing.T) {
	lt := []catalog.Type{tI8, tT}
	rt := []catalog.Type{tI8, tT}
	var lrows, rrows [][]any
	for i := range 5000 {
		lrows = append(lrows, []any{i % 700, "l"})
		if i%3 == 0 {
			rrows = append(rrows, []any{i % 1000, "r"})
		}
	}
	lrows = append(lrows, []any{nil, "lnull"})
	rrows = append(rrows, []any{nil, "rnull"}, []any{5, "r5b"})
	left := mkBatch(lt, lrows...)
	right := mkBatch(rt, rrows...)
	const workers = 4
	for _, kind := range []plan.JoinKind{plan.InnerJoin, plan.LeftJoin, plan.SemiJoin, plan.AntiJoin, plan.RightJoin} {
		// The plan of worker w probes every workers'th left batch; a
		// second join above the first checks nested builds.
		parts := splitBatches(left, 512)
		mk := func(w int) plan.Node {
			mine := parts
			if w >= 0 {
				mine = nil
				for i := w; i < len(parts); i += workers {
					mine = append(mine, parts[i])
				}
			}
			inner := joinNode(srcNode(lt, mine...), srcNode(rt, splitBatches(right, 300)...), kind,
				[]*plan.Expr{col(0, tI8)}, []*plan.Expr{col(0, tI8)}, nil)
			if kind == plan.RightJoin {
				return inner
			}
			return joinNode(inner, srcNode(rt, splitBatches(right, 300)...), plan.SemiJoin,
				[]*plan.Expr{col(0, tI8)}, []*plan.Expr{col(0, tI8)}, nil)
		}
		want := runPlan(t, mk(-1), testEnv)

		var builds atomic.Int64
		shared := NewShared()
		var mu sync.Mutex
		var got [][]any
		var wg sync.WaitGroup
		plans := make([]plan.Node, workers)
		for w := range plans {
			plans[w] = mk(w) // before any worker runs: srcNode writes scanData
		}
		for w := range workers {
			n := plans[w]
			builds0 := map[*plan.Scan]bool{}
			var mark func(n plan.Node)
			mark = func(n plan.Node) {
				if j, ok := n.(*plan.Join); ok {
					if s, ok := j.Right.(*plan.Scan); ok {
						builds0[s] = true
					}
				}
				for _, c := range plan.Children(n) {
					mark(c)
				}
			}
			mark(n)
			env := &Env{Shared: shared, OpenScan: func(ctx context.Context, s *plan.Scan) (Operator, error) {
				op := NewSliceSource(s.Types(), scanData[s])
				if builds0[s] {
					return &countingOp{op, &builds}, nil
				}
				return op, nil
			}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				rows, err := tryPlan(n, env)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				got = append(got, rows...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if kind == plan.RightJoin {
			// Not shared: every worker builds, and each pads all
			// unmatched build rows.
			if builds.Load() != int64(workers*len(splitBatches(right, 300))) {
				t.Errorf("right join: %d build batches read", builds.Load())
			}
			continue
		}
		if sortedRows(got) != sortedRows(want) {
			t.Errorf("kind %d: %d rows, want %d", kind, len(got), len(want))
		}
		if b := builds.Load(); b != int64(2*len(splitBatches(right, 300))) {
			t.Errorf("kind %d: %d build batches read, want each build side once", kind, b)
		}
	}
}
