package planner

import (
	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Co-located joins. Tables loaded in key order (TPC-H's lineitem and
// orders by orderkey) have files whose min/max statistics cover narrow key
// ranges. A join of a fragment's split scan with a build side scan on equal
// values of such a column can then run with both sides divided between
// participants by key ranges (Scan.Colocated): each participant builds only
// its range of the build side and probes it with its range of the probe
// side, and no row crosses the network. The coordinator picks the ranges
// from the probe table's statistics at dispatch.

// colocateMinRows is the smallest estimated build side worth dividing by
// ranges; smaller ones are broadcast whole.
const colocateMinRows = 50_000

// colocate marks a join of the fragments l (probe, with a split scan) and r
// (build) as co-located when a key pair traces to a column of l's split
// scan and a column of a scan of r, of the same type; it reports whether it
// did. l's split scan may already be co-located, on the same column.
func (b *binder) colocate(j *plan.Join, l, r plan.Node) bool {
	split := plan.FindScan(l)
	least := float64(colocateMinRows)
	if b.ctx.ColocateRows != 0 {
		least = b.ctx.ColocateRows
	}
	if split == nil || b.estimate(r) < least {
		return false
	}
	for i := range j.LeftKeys {
		ls, lc := traceScanCol(l, j.LeftKeys[i])
		rs, rc := traceScanCol(r, j.RightKeys[i])
		if ls != split || rs == nil || rs.Colocated || lc < 0 || rc < 0 {
			continue
		}
		lt, rt := ls.Table.Columns[lc].Type, rs.Table.Columns[rc].Type
		if !sameKeyValues(lt, rt) || (split.Colocated && split.ColocateCol != lc) {
			continue
		}
		if !b.clustered(ls.Table, lc) || !b.clustered(rs.Table, rc) {
			continue // every participant would read every file
		}
		split.Colocated, split.ColocateCol = true, lc
		markBroadcast(r)
		rs.Colocated, rs.ColocateCol = true, rc
		return true
	}
	return false
}

// sameKeyValues reports whether equal values of the two column types are
// held as equal int64s (so one set of ranges divides both).
func sameKeyValues(a, b catalog.Type) bool {
	switch {
	case a.IsInteger() && b.IsInteger():
		return true
	case a.Kind == catalog.Date && b.Kind == catalog.Date:
		return true
	case a.Kind == catalog.Numeric && b.Kind == catalog.Numeric:
		return a.Scale == b.Scale && !a.IsDynamicNumeric() && !b.IsDynamicNumeric()
	}
	return false
}

// traceScanCol follows output expression e of n down to the table column
// it reads unchanged (through filters, projections, integer widening casts
// and joins), returning the scan and the table column index, or nil.
func traceScanCol(n plan.Node, e *plan.Expr) (*plan.Scan, int) {
	for e.Kind == plan.Cast && e.Type.IsInteger() && e.Args[0].Type.IsInteger() {
		e = e.Args[0]
	}
	if e.Kind != plan.ColumnRef {
		return nil, -1
	}
	col := e.Col
	for {
		switch x := n.(type) {
		case *plan.Scan:
			if col >= len(x.Cols) || x.Cols[col] < 0 {
				return nil, -1
			}
			return x, x.Cols[col]
		case *plan.Filter:
			n = x.Input
		case *plan.Project:
			return traceScanCol(x.Input, x.Exprs[col])
		case *plan.Join:
			nl := len(x.Left.Types())
			if col < nl {
				n = x.Left
			} else {
				n, col = x.Right, col-nl
			}
		default:
			return nil, -1
		}
	}
}

// clustered reports whether the table's files hold column col in nearly
// disjoint ranges.
func (b *binder) clustered(t *catalog.Table, col int) bool {
	if b.ctx.Stats == nil {
		return false
	}
	st := b.ctx.Stats(t)
	return st != nil && col < len(st.Clustered) && st.Clustered[col]
}
