package planner

import (
	"math"

	"github.com/cirrusdb/cirrus/planner/plan"
)

// Distribution. Binding puts every table scan under its own Remote node;
// distribute then moves work into the fragments participants run, bottom
// up:
//
//   - a filter or projection over a Remote runs inside it;
//   - a join whose left (probe) input is a Remote joins inside that
//     fragment when its right (build) input is a Remote of scans, filters,
//     projections and joins only and is estimated small enough: every
//     participant reads that side whole from shared storage (its scans are
//     marked Broadcast) while the probe side stays split by file;
//   - a join of two large Remote inputs with equality keys repartitions
//     both by the keys (Shuffle producers on every participant, exchanged
//     over Flight) and joins each partition on its participant;
//   - an aggregate over a Remote becomes a partial aggregate on the
//     participants and a final one on the coordinator (unless an aggregate
//     is DISTINCT);
//   - a join whose probe side is a Remote and whose build side the
//     coordinator computes (it aggregates, say, or reads a system
//     relation) runs in the probe side's
//     fragment, the build side shipped as rows (plan.InitRows), unless
//     the build side is estimated large and larger than the probe side;
//   - LIMIT (over ORDER BY: top-N) over a Remote also runs per participant,
//     keeping count+offset rows each, before the coordinator's.
//
// A fragment thus has one split scan (its leftmost leaf) or reads exchange
// sources, and has any number of broadcast scans.

// initRowsLimit is the estimated build side computed by the coordinator
// up to which it is always shipped to the participants as rows
// (plan.InitRows). A larger one is shipped too unless the probe side is
// estimated smaller: the coordinator computes the build side whole either
// way, and then moving it to every participant costs more than gathering
// the probe side and joining on the coordinator.
const initRowsLimit = 100_000

func initRowsPay(build, probe float64) bool { return build <= initRowsLimit || build <= probe }

// broadcastLimit is the largest estimated build side read whole by every
// participant.
const broadcastLimit = 2_000_000

func (b *binder) distribute(n plan.Node) plan.Node {
	switch n := n.(type) {
	case *plan.Filter:
		in := b.distribute(n.Input)
		if r, ok := in.(*plan.Remote); ok && !onCoordinator(n.Pred) {
			return &plan.Remote{Fragment: &plan.Filter{Input: r.Fragment, Pred: n.Pred}, Shuffles: r.Shuffles}
		}
		return &plan.Filter{Input: in, Pred: n.Pred}
	case *plan.Project:
		in := b.distribute(n.Input)
		if r, ok := in.(*plan.Remote); ok && !onCoordinator(n.Exprs...) {
			return &plan.Remote{Fragment: &plan.Project{Input: r.Fragment, Exprs: n.Exprs}, Shuffles: r.Shuffles}
		}
		return &plan.Project{Input: in, Exprs: n.Exprs}
	case *plan.Join:
		l, r := b.distribute(n.Left), b.distribute(n.Right)
		j := *n
		j.Left, j.Right = l, r
		lr, lok := l.(*plan.Remote)
		rr, rok := r.(*plan.Remote)
		if lok && !rok && probeSplit(j.Kind) && (len(plan.Scans(r)) > 0 || readsSystem(r)) && initRowsPay(b.estimate(r), b.estimate(lr.Fragment)) {
			// A build side the coordinator computes (it aggregates, say,
			// or reads a system relation) travels to the participants as
			// rows: inside the fragment when there are few, else streamed
			// to each participant through the exchange
			// (executor/initbroadcast.go).
			j.Left, j.Right = lr.Fragment, &plan.InitRows{Input: r}
			return &plan.Remote{Fragment: &j, Shuffles: lr.Shuffles}
		}
		if !lok || !rok {
			return &j
		}
		limit := float64(broadcastLimit)
		if b.ctx.BroadcastRows != 0 {
			limit = b.ctx.BroadcastRows
		}
		// Broadcast the side that costs less to read whole everywhere; the
		// other is split (an inner join's inputs can trade places).
		canR := probeSplit(j.Kind) && broadcastable(rr.Fragment) && b.estimate(rr.Fragment) <= limit
		canL := (j.Kind == plan.InnerJoin || j.Kind == plan.CrossJoin) && len(lr.Shuffles) == 0 && broadcastable(lr.Fragment) &&
			plan.FindScan(rr.Fragment) != nil && b.estimate(lr.Fragment) <= limit
		if probeSplit(j.Kind) && j.Kind != plan.NullAwareAntiJoin && broadcastable(rr.Fragment) && len(lr.Shuffles) == 0 && len(rr.Shuffles) == 0 && b.colocate(&j, lr.Fragment, rr.Fragment) {
			j.Left, j.Right = lr.Fragment, rr.Fragment
			return &plan.Remote{Fragment: &j}
		}
		if canL && b.scanRows(lr.Fragment) < b.scanRows(rr.Fragment) {
			// The bigger table probes: co-locate the inputs traded.
			t := plan.Join{LeftKeys: j.RightKeys, RightKeys: j.LeftKeys}
			if b.colocate(&t, rr.Fragment, lr.Fragment) {
				return &plan.Remote{Fragment: swapJoin(&j, rr.Fragment, lr.Fragment)}
			}
		}
		if canL && (!canR || b.scanRows(lr.Fragment) < b.scanRows(rr.Fragment)) {
			return &plan.Remote{Fragment: swapJoin(&j, rr.Fragment, markBroadcast(lr.Fragment)), Shuffles: rr.Shuffles}
		}
		if canR {
			j.Left, j.Right = lr.Fragment, markBroadcast(rr.Fragment)
			return &plan.Remote{Fragment: &j, Shuffles: lr.Shuffles}
		}
		if len(j.LeftKeys) > 0 && j.Kind != plan.NullAwareAntiJoin && shuffleable(lr.Fragment) && shuffleable(rr.Fragment) {
			// Both sides large: repartition both by the join keys, and join
			// each partition on its participant.
			ids := b.newIDs(2)
			ls := &plan.Shuffle{ID: ids[0], Input: lr.Fragment, Keys: j.LeftKeys}
			rs := &plan.Shuffle{ID: ids[1], Input: rr.Fragment, Keys: j.RightKeys}
			j.Left = &plan.ExchangeSource{ID: ids[0], ColTypes: lr.Fragment.Types()}
			j.Right = &plan.ExchangeSource{ID: ids[1], ColTypes: rr.Fragment.Types()}
			shuffles := append(append([]*plan.Shuffle{ls, rs}, lr.Shuffles...), rr.Shuffles...)
			return &plan.Remote{Fragment: &j, Shuffles: shuffles}
		}
		return &j
	case *plan.Aggregate:
		in := b.distribute(n.Input)
		a := *n
		a.Input = in
		r, ok := in.(*plan.Remote)
		if !ok || n.Phase != plan.Complete {
			return &a
		}
		for _, c := range n.Aggs {
			if c.Distinct || aggOnePhase(c) {
				return &a
			}
		}
		partial := &plan.Aggregate{Input: r.Fragment, Groups: n.Groups, Aggs: n.Aggs, Phase: plan.Partial}
		return &plan.Aggregate{Input: &plan.Remote{Fragment: partial, Shuffles: r.Shuffles}, Groups: n.Groups, Aggs: n.Aggs, Phase: plan.Final}
	case *plan.Limit:
		in := b.distribute(n.Input)
		l := *n
		l.Input = in
		if l.Count < 0 {
			return &l
		}
		keep := l.Count + l.Offset
		switch x := in.(type) {
		case *plan.Remote:
			l.Input = &plan.Remote{Fragment: &plan.Limit{Input: x.Fragment, Count: keep}, Shuffles: x.Shuffles}
		case *plan.Sort:
			if r, ok := x.Input.(*plan.Remote); ok {
				top := &plan.Limit{Input: &plan.Sort{Input: r.Fragment, Keys: x.Keys}, Count: keep}
				l.Input = &plan.Sort{Input: &plan.Remote{Fragment: top, Shuffles: r.Shuffles}, Keys: x.Keys}
			}
		}
		return &l
	case *plan.Sort:
		s := *n
		s.Input = b.distribute(n.Input)
		return &s
	case *plan.DistinctOn:
		return &plan.DistinctOn{Input: b.distribute(n.Input), Keys: n.Keys}
	case *plan.Window:
		w := *n
		w.Input = b.distribute(n.Input)
		if sorted, ok := w.Input.(*plan.Sort); ok && len(w.Partition) > 0 {
			if r, ok := sorted.Input.(*plan.Remote); ok && shuffleable(r.Fragment) && b.shuffleWindow(r.Fragment) {
				// Repartition by the PARTITION BY keys: each participant
				// sorts and computes whole partitions.
				types := r.Fragment.Types()
				var keys []*plan.Expr
				for _, c := range w.Partition {
					keys = append(keys, plan.Col(c, types[c]))
				}
				id := b.newIDs(1)[0]
				sh := &plan.Shuffle{ID: id, Input: r.Fragment, Keys: keys}
				w.Input = &plan.Sort{Input: &plan.ExchangeSource{ID: id, ColTypes: types}, Keys: sorted.Keys}
				return &plan.Remote{Fragment: &w, Shuffles: append([]*plan.Shuffle{sh}, r.Shuffles...)}
			}
		}
		return &w
	case *plan.ProjectSet:
		// Runs on the coordinator, over its input gathered.
		ps := *n
		ps.Input = b.distribute(n.Input)
		return &ps
	case *plan.LateralJoin:
		// So does a lateral join (its Sub was distributed when bound).
		lj := *n
		lj.Left = b.distribute(n.Left)
		return &lj
	case *plan.Append:
		a := &plan.Append{}
		for _, c := range n.Inputs {
			a.Inputs = append(a.Inputs, b.distribute(c))
		}
		return a
	}
	return n
}

// windowShuffleRows is the fewest estimated rows for which a window with
// PARTITION BY runs on the participants (repartitioned by its keys) rather
// than on the coordinator.
const windowShuffleRows = 100_000

// shuffleWindow reports whether a window over fragment n's rows runs on
// the participants: n is large, or shuffles are forced (cirrus.broadcast_rows
// = 0).
func (b *binder) shuffleWindow(n plan.Node) bool {
	return b.ctx.BroadcastRows < 0 || b.estimate(n) >= windowShuffleRows
}

// probeSplit reports whether a join can run on any share of its left
// input's rows with the whole right input: every left row's output depends
// only on it and the right side.
func probeSplit(k plan.JoinKind) bool {
	switch k {
	case plan.InnerJoin, plan.CrossJoin, plan.LeftJoin, plan.SemiJoin, plan.AntiJoin, plan.NullAwareAntiJoin, plan.SingleJoin:
		return true
	}
	return false
}

// broadcastable reports whether a fragment gives the same rows however its
// scans are split: no aggregate or limit inside.
func broadcastable(n plan.Node) bool {
	switch n.(type) {
	case *plan.Scan, *plan.Filter, *plan.Project, *plan.Join, *plan.Values:
	default:
		return false
	}
	for _, c := range plan.Children(n) {
		if !broadcastable(c) {
			return false
		}
	}
	return true
}

// shuffleable reports whether a fragment's rows can be repartitioned: it
// has no aggregate or limit (whose result depends on the split).
func shuffleable(n plan.Node) bool {
	switch n.(type) {
	case *plan.Scan, *plan.Filter, *plan.Project, *plan.Join, *plan.Values, *plan.ExchangeSource:
	default:
		return false
	}
	for _, c := range plan.Children(n) {
		if !shuffleable(c) {
			return false
		}
	}
	return true
}

// markBroadcast makes every scan of n read whole by every participant
// (a co-location inside n no longer holds: n is read whole).
func markBroadcast(n plan.Node) plan.Node {
	for _, s := range plan.Scans(n) {
		s.Broadcast, s.Colocated = true, false
	}
	return n
}

// estimate guesses a plan's output rows from table statistics.
func (b *binder) estimate(n plan.Node) float64 {
	switch n := n.(type) {
	case *plan.Scan:
		rows := 1000.0
		if b.ctx.Stats != nil {
			if st := b.ctx.Stats(n.Table); st != nil {
				rows = st.Rows
			}
		}
		if n.Filter != nil {
			rows *= selectivity(n.Filter)
		}
		return rows
	case *plan.Filter:
		return b.estimate(n.Input) * selectivity(n.Pred)
	case *plan.Join:
		l, r := b.estimate(n.Left), b.estimate(n.Right)
		switch n.Kind {
		case plan.SemiJoin, plan.AntiJoin, plan.NullAwareAntiJoin, plan.SingleJoin:
			return l
		case plan.CrossJoin:
			return l * r
		}
		return math.Max(l, r)
	case *plan.Values:
		return float64(len(n.Rows))
	case *plan.SystemScan:
		return 1000
	case *plan.ProjectSet:
		return math.Max(1000, 10*b.estimate(n.Input)) // unknown until it runs; as a table without statistics
	case *plan.Aggregate:
		switch {
		case len(n.Groups) == 0:
			return 1
		case n.Phase == plan.Partial:
			return b.estimate(n.Input) // the final phase reduces
		}
		// Groups are at most the product of the keys' distinct counts.
		src, groups := n.Input, n.Groups
		if n.Phase == plan.Final {
			if r, ok := n.Input.(*plan.Remote); ok {
				if p, ok := r.Fragment.(*plan.Aggregate); ok {
					src, groups = p.Input, p.Groups
				}
			}
		}
		in := b.estimate(n.Input)
		prod := 1.0
		for _, g := range groups {
			prod *= b.ndv(src, g, in)
		}
		return math.Min(in, prod)
	case *plan.Limit:
		if n.Count >= 0 {
			return math.Min(float64(n.Count), b.estimate(n.Input))
		}
	}
	var most float64
	for _, c := range plan.Children(n) {
		most = math.Max(most, b.estimate(c))
	}
	return most
}

// top finishes a statement's query: the plan and the plans of its init
// plans are distributed.
func (b *binder) top(q *Query) *Query {
	q.Plan = b.distribute(q.Plan)
	seen := map[*plan.Expr]bool{}
	var walkNode func(plan.Node)
	var walkExpr func(e *plan.Expr)
	walkExpr = func(e *plan.Expr) {
		if e == nil || seen[e] {
			return
		}
		seen[e] = true
		if e.Kind == plan.Subquery && e.Sub != nil {
			e.Sub = b.distribute(e.Sub)
			walkNode(e.Sub)
		}
		for _, a := range e.Args {
			walkExpr(a)
		}
	}
	walkNode = func(n plan.Node) {
		plan.VisitExprs(n, walkExpr)
		for _, c := range plan.Children(n) {
			walkNode(c)
		}
	}
	walkNode(q.Plan)
	return q
}

// scanRows is the number of table rows a fragment's scans read.
func (b *binder) scanRows(n plan.Node) float64 {
	var rows float64
	for _, s := range plan.Scans(n) {
		r := 1000.0
		if b.ctx.Stats != nil {
			if st := b.ctx.Stats(s.Table); st != nil {
				r = st.Rows
			}
		}
		rows += r
	}
	return rows
}

// swapJoin returns inner join j with its inputs traded (left = the old
// right input, now probed) under a projection restoring j's column order.
func swapJoin(j *plan.Join, left, right plan.Node) plan.Node {
	nl, nr := len(j.Left.Types()), len(j.Right.Types())
	// Old position i: left columns 0..nl-1, right nl..; new: right first.
	pos := func(i int) int {
		if i < nl {
			return nr + i
		}
		return i - nl
	}
	s := &plan.Join{Left: left, Right: right, Kind: j.Kind, LeftKeys: j.RightKeys, RightKeys: j.LeftKeys, Residual: moveCols(j.Residual, pos)}
	types := j.Types()
	out := make([]*plan.Expr, len(types))
	for i, t := range types {
		out[i] = plan.Col(pos(i), t)
	}
	return &plan.Project{Input: s, Exprs: out}
}

// moveCols renumbers an expression's column references.
func moveCols(e *plan.Expr, pos func(int) int) *plan.Expr {
	if e == nil {
		return nil
	}
	if e.Kind == plan.ColumnRef {
		return plan.Col(pos(e.Col), e.Type)
	}
	if len(e.Args) == 0 {
		return e
	}
	c := *e
	c.Args = make([]*plan.Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = moveCols(a, pos)
	}
	return &c
}

// ndv estimates the distinct values of expression e over n's output: a
// table column's distinct count from statistics, else rows (a key).
func (b *binder) ndv(n plan.Node, e *plan.Expr, rows float64) float64 {
	s, col := traceScanCol(n, e)
	if s == nil || b.ctx.Stats == nil {
		return rows
	}
	st := b.ctx.Stats(s.Table)
	if st == nil {
		return rows
	}
	if col < len(st.NDV) && st.NDV[col] > 0 {
		return st.NDV[col]
	}
	if len(s.Table.PrimaryKey) == 1 && s.Table.PrimaryKey[0] == col {
		return st.Rows
	}
	return rows
}
