package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// distinctOnOp keeps the first row of each run of equal keys in its
// (sorted) input: SELECT DISTINCT ON. The last key seen is kept in
// one-row vectors so runs may span batches.
type distinctOnOp struct {
	in    Operator
	types []catalog.Type
	keys  []int
	kc    []keyCol
	prev  []*vec.Vector
	have  bool
	cur   []*vec.Vector
	sel   []int32
	out   *ownedBatch
}

func newDistinctOn(in Operator, n *plan.DistinctOn) Operator {
	types := n.Types()
	kt := make([]catalog.Type, len(n.Keys))
	for i, k := range n.Keys {
		kt[i] = types[k]
	}
	d := &distinctOnOp{in: in, types: types, keys: n.Keys, kc: keyColsOf(kt), out: newOwnedBatch(types)}
	for _, t := range kt {
		d.prev = append(d.prev, vec.NewVector(t, 1))
	}
	d.cur = make([]*vec.Vector, len(n.Keys))
	return d
}

func (d *distinctOnOp) Types() []catalog.Type { return d.types }
func (d *distinctOnOp) Close()                { d.in.Close() }

func (d *distinctOnOp) Next(ctx context.Context) (*vec.Batch, error) {
	for {
		b, err := d.in.Next(ctx)
		if err != nil || b == nil {
			return b, err
		}
		for i, k := range d.keys {
			d.cur[i] = b.Cols[k]
		}
		d.sel = d.sel[:0]
		for r := 0; r < b.N; r++ {
			if d.have && keysEqual(d.cur, r, d.prev, 0, d.kc) {
				continue
			}
			d.sel = append(d.sel, int32(r))
			for i, v := range d.prev {
				v.Reset()
				v.AppendFrom(d.cur[i], r)
			}
			d.have = true
		}
		if len(d.sel) > 0 {
			return d.out.gather(b, d.sel), nil
		}
	}
}
