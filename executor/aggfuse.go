package executor

import (
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// A filter directly below a partial or complete aggregate (a scan's pushed
// predicate, e.g. TPC-H Q1's l_shipdate <= date '1998-09-02' keeping 98%
// of lineitem) is fused into it. Compacting the batch would copy every
// column of every batch to drop a few rows; instead the aggregate
// evaluates the predicate into a row mask and:
//
//   - keeps the batch as it is when every row passes;
//   - when at least half the rows pass, evaluates the group keys and
//     arguments over all rows, finds groups only for the rows that pass and
//     sends the others to a trash group: a state slot after the real groups
//     that is never emitted (and is cleared before a new group takes its
//     index), so every aggregate kernel runs unchanged, without a selection;
//   - otherwise compacts only the columns the aggregate reads.
//
// A projection between the filter and the aggregate that only picks
// columns (the planner drops columns only the filter reads) is applied as
// a view, without copying.
//
// Evaluating over rows the filter drops must not raise errors PostgreSQL
// would not: if a key or argument fails, the batch is compacted and
// evaluated again over the rows that pass only. The fusion is limited to
// aggregates whose kernels are plain state columns (no DISTINCT,
// string_agg or dynamic-scale sums) and to predicates whose later
// conjuncts cannot fail (the filter evaluates those only on rows earlier
// ones kept).

// fuse takes over the filter below the aggregate (through a column-only
// projection) when it can.
func (a *aggOp) fuse(in Operator) {
	types := typesOf(in)
	if types == nil {
		return
	}
	var proj []int
	src := in
	if po, ok := in.(*projectOp); ok {
		for _, e := range po.exprs {
			c, ok := e.(*colNode)
			if !ok {
				return
			}
			proj = append(proj, c.idx)
		}
		src = po.in
	}
	fo, ok := src.(*filterOp)
	if !ok || !a.fusable(fo.f) {
		return
	}
	a.in, a.filt, a.proj = fo.in, fo.f, proj
	// The columns the keys and arguments read: the only ones compacted.
	a.need = make([]bool, len(types))
	var nodes []node
	nodes = append(nodes, a.groups...)
	nodes = append(nodes, a.cse...)
	for _, s := range a.aggs {
		if s.arg != nil {
			nodes = append(nodes, s.arg)
		}
	}
	for _, n := range nodes {
		for _, c := range n.meta().cols {
			if c >= len(types) && c < len(types)+len(a.cse) {
				continue // a common subexpression's column
			}
			if c < 0 || c >= len(types) {
				a.filt = nil // not expected: leave the filter operator alone
				a.in = in
				return
			}
			a.need[c] = true
		}
	}
	a.cbuf = newOwnedBatch(types)
	a.empty = make([]*vec.Vector, len(types))
	for i, t := range types {
		a.empty[i] = vec.NewVector(t, 0)
	}
	a.view.Cols = make([]*vec.Vector, len(types))
}

// project returns b (the filter's input) as the aggregate's input.
func (a *aggOp) project(b *vec.Batch) *vec.Batch {
	if a.proj == nil {
		return b
	}
	for i, c := range a.proj {
		a.view.Cols[i] = b.Cols[c]
	}
	a.view.N = b.N
	return &a.view
}

// compact returns the aggregate's input for the rows of b where keep is
// true, gathering only the columns the aggregate reads.
func (a *aggOp) compact(b *vec.Batch, keep []bool) *vec.Batch {
	a.sel = selectTrue(a.sel, keep)
	for i, need := range a.need {
		if !need {
			a.view.Cols[i] = a.empty[i]
			continue
		}
		c := i
		if a.proj != nil {
			c = a.proj[i]
		}
		gatherVec(&a.cbuf.bufs[i], b.Cols[c], a.sel)
		a.view.Cols[i] = &a.cbuf.bufs[i].Vector
	}
	a.view.N = len(a.sel)
	return &a.view
}

// fusable reports whether f can be applied by the aggregate.
func (a *aggOp) fusable(f *BatchFilter) bool {
	if len(f.conj) == 0 {
		return false
	}
	for _, c := range f.conj[1:] {
		if c.meta().canErr {
			return false
		}
	}
	for _, s := range a.aggs {
		if s.sagg != nil || s.dsum != nil || s.distinct != nil {
			return false
		}
	}
	return true
}

// applyFilter applies the fused filter to b: it returns the batch to
// aggregate as a whole (b itself, or b compacted), or done when b's rows
// have been aggregated (or none passed).
func (a *aggOp) applyFilter(b *vec.Batch) (*vec.Batch, bool, error) {
	n := b.N
	if cap(a.fmask) < n {
		a.fmask = make([]bool, n, max(n, vec.BatchSize))
	}
	mask := a.fmask[:n]
	live := n
	for k, c := range a.filt.conj {
		v, err := c.eval(b)
		if err != nil {
			return nil, false, err
		}
		vb := v.Bool[:n]
		if k == 0 {
			copy(mask, vb)
		} else {
			andBools(mask, vb)
		}
		if v.Nulls != nil {
			andNotBools(mask, v.Nulls[:n])
		}
		if live = countTrue(mask); live == 0 {
			return nil, true, nil
		}
	}
	if live == n {
		return a.project(b), false, nil
	}
	if 2*live >= n {
		ok, err := a.consumeMasked(a.project(b), mask)
		if err != nil || ok {
			return nil, true, err
		}
	}
	return a.compact(b, mask), false, nil
}

// consumeMasked aggregates the rows of b where keep is true; false when a
// key or argument failed to evaluate over all rows (nothing aggregated).
func (a *aggOp) consumeMasked(b *vec.Batch, keep []bool) (bool, error) {
	n := b.N
	b, err := a.withCSE(b)
	if err != nil {
		return false, nil
	}
	for k := range a.keyVecs {
		v, err := a.groups[k].eval(b)
		if err != nil {
			return false, nil
		}
		a.keyVecs[k] = v
	}
	for i, s := range a.aggs {
		a.argv[i] = nil
		if s.arg != nil {
			v, err := s.arg.eval(b)
			if err != nil {
				return false, nil
			}
			a.argv[i] = v
		}
	}
	a.histOK = false
	gids := a.gidBuf(n)
	ng := a.ngroups
	if a.table != nil {
		ng = a.table.findMasked(a.keyVecs, n, gids, keep)
		// Dropped rows have group -1: make it the trash group ng.
		t := int32(ng) + 1
		for i, g := range gids {
			gids[i] = g + g>>31&t
		}
	} else {
		for i, k := range keep {
			gids[i] = int32(1 - b2i(k))
		}
	}
	a.setGroups(ng, true)
	for i, s := range a.aggs {
		if err := a.updateVals(s, a.argv[i], gids, n); err != nil {
			return true, err
		}
	}
	return true, nil
}

// shareSums marks sums repeated over the same argument (sum(x) next to
// avg(x), as in TPC-H Q1) so only the first accumulates.
func (a *aggOp) shareSums() {
	for i, s := range a.aggs {
		if !s.wide || s.distinct != nil || s.dsum != nil || s.sagg != nil || s.arg == nil || !pureArith(s.call.Arg) {
			continue
		}
		for j, r := range a.aggs[:i] {
			if r.wide && r.shared < 0 && r.distinct == nil && r.dsum == nil && r.sagg == nil && r.arg != nil &&
				r.valT == s.valT && sameExpr(r.call.Arg, s.call.Arg) {
				s.shared = j
				break
			}
		}
	}
}

// pureArith reports whether e is built from columns, constants, casts and
// + - * only (deterministic, so two evaluations agree).
func pureArith(e *plan.Expr) bool {
	switch e.Kind {
	case plan.ColumnRef, plan.Const:
		return e.Sub == nil
	case plan.Cast:
	case plan.Call:
		if e.Op != "+" && e.Op != "-" && e.Op != "*" {
			return false
		}
	default:
		return false
	}
	if e.Sub != nil {
		return false
	}
	for _, x := range e.Args {
		if !pureArith(x) {
			return false
		}
	}
	return true
}

func sameExpr(x, y *plan.Expr) bool {
	if x.Kind != y.Kind || x.Type != y.Type || x.Col != y.Col || x.Value != y.Value || x.Op != y.Op ||
		x.Else != y.Else || len(x.Args) != len(y.Args) || x.Sub != nil || y.Sub != nil {
		return false
	}
	for i := range x.Args {
		if !sameExpr(x.Args[i], y.Args[i]) {
			return false
		}
	}
	return true
}
