package executor

import (
	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Broadcast init rows. An InitRows node inside a Remote fragment is
// computed on the coordinator before the fragment is dispatched, like
// every init plan. A small result (at most valuesInitRows rows) still
// travels inside the fragment as a Values node; a larger one becomes a
// broadcast exchange source (plan.ExchangeSource with Broadcast set)
// holding the rows as batches (BroadcastRows). The coordinator, when it
// dispatches the Remote, streams those batches as Arrow to every
// participant of the dispatch within an exchange session (one producer:
// itself), and each participant keeps them whole for every pipeline that
// reads the source (participant/broadcast.go).

// valuesInitRows is the most rows an InitRows result ships as constants
// inside the fragment (JSON); more go through the exchange.
const valuesInitRows = 1000

// maxBroadcastRows bounds the rows of one broadcast init result (it is
// held in the coordinator's memory until every participant has it).
const maxBroadcastRows = 1 << 28

// BroadcastRows are the rows of a broadcast exchange source, held by the
// coordinator: immutable batches of the source's column types.
type BroadcastRows struct {
	Batches []*vec.Batch
	Rows    int
}

// broadcastRows runs an InitRows node inside a Remote fragment and returns
// its rows as a Values node or a broadcast exchange source.
func (ip *initPlans) broadcastRows(n *plan.InitRows) (plan.Node, error) {
	// The input runs on the coordinator: InitRows nodes within it belong
	// to its own Remote nodes, not to the fragment around n.
	saved := ip.remote
	ip.remote = 0
	in, err := ip.node(n.Input)
	ip.remote = saved
	if err != nil {
		return nil, err
	}
	op, err := build(ip.ctx, in, ip.env)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	types := n.Types()
	out := &BroadcastRows{}
	var cur *vec.Batch
	g := &guardOp{op}
	for {
		b, err := g.Next(ip.ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			break
		}
		if out.Rows+b.N > maxBroadcastRows {
			return nil, sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "executor: more than %d rows to broadcast to participants", maxBroadcastRows)
		}
		// Copy (the operator may reuse its batches), packing full batches.
		for from := 0; from < b.N; {
			if cur == nil || cur.N == vec.BatchSize {
				cur = vec.NewBatch(types, vec.BatchSize)
				out.Batches = append(out.Batches, cur)
			}
			k := min(vec.BatchSize-cur.N, b.N-from)
			for c := range types {
				appendVec(cur.Cols[c], b.Cols[c], from, from+k)
			}
			cur.N += k
			from += k
			out.Rows += k
		}
	}
	if out.Rows <= valuesInitRows {
		return valuesOf(types, out.Batches), nil
	}
	ip.bcastIDs++
	return &plan.ExchangeSource{ID: -ip.bcastIDs, ColTypes: types, Broadcast: true, Rows: out}, nil
}

// valuesOf turns batches into a Values node of constants.
func valuesOf(types []catalog.Type, batches []*vec.Batch) *plan.Values {
	v := &plan.Values{ColTypes: types}
	for _, b := range batches {
		for r := 0; r < b.N; r++ {
			row := make([]*plan.Expr, len(types))
			for c, t := range types {
				if b.Cols[c].IsNull(r) {
					row[c] = plan.NullOf(t)
				} else {
					row[c] = plan.ConstOf(t, datumOf(b.Cols[c], r))
				}
			}
			v.Rows = append(v.Rows, row)
		}
	}
	return v
}
