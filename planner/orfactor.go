package planner

import (
	"sort"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// factorOr rewrites WHERE conjuncts that are disjunctions, as PostgreSQL
// and DuckDB do, so that joins and scans can use them:
//
//   - a conjunct common to every disjunct is pulled out (A∧B ∨ A∧C → A ∧
//     (B ∨ C)), which turns a join condition repeated in each branch into
//     a hash join key;
//   - for each table that every disjunct restricts, the disjunction of
//     those restrictions is added as a filter that can be pushed into the
//     table's scan ((A1∧B1) ∨ (A2∧B2) implies A1 ∨ A2); the disjunction
//     itself stays.
func factorOr(qb *queryBlock, where []*plan.Expr) []*plan.Expr {
	var out []*plan.Expr
	for _, c := range where {
		if c.Kind != plan.Call || c.Op != "or" {
			out = append(out, c)
			continue
		}
		var branches [][]*plan.Expr
		for _, d := range disjuncts(c) {
			branches = append(branches, conjuncts(d))
		}
		// Common conjuncts.
		var common []*plan.Expr
		for _, x := range branches[0] {
			inAll := true
			for _, br := range branches[1:] {
				if !containsExpr(br, x) {
					inAll = false
					break
				}
			}
			if inAll && !containsExpr(common, x) {
				common = append(common, x)
			}
		}
		out = append(out, common...)
		trivial := false
		var rest []*plan.Expr
		for _, br := range branches {
			var left []*plan.Expr
			for _, x := range br {
				if !containsExpr(common, x) {
					left = append(left, x)
				}
			}
			if len(left) == 0 {
				trivial = true // one branch is just the common part: the OR holds
				break
			}
			rest = append(rest, andAll(left))
		}
		if trivial {
			continue
		}
		or := orAll(rest)
		out = append(out, or)
		// Per-table implied disjunctions (an OR over one table already is
		// one).
		ranges := sortedRanges(rangesOf(qb, or))
		if len(ranges) < 2 {
			continue
		}
		for _, r := range ranges {
			var parts []*plan.Expr
			for _, br := range branches {
				var mine []*plan.Expr
				for _, x := range br {
					if containsExpr(common, x) {
						continue
					}
					rs := rangesOf(qb, x)
					if len(rs) == 1 && rs[r] {
						mine = append(mine, x)
					}
				}
				if len(mine) == 0 {
					parts = nil
					break
				}
				parts = append(parts, andAll(mine))
			}
			if len(parts) > 0 {
				out = append(out, orAll(parts))
			}
		}
	}
	return out
}

func disjuncts(e *plan.Expr) []*plan.Expr {
	if e.Kind == plan.Call && e.Op == "or" {
		return append(disjuncts(e.Args[0]), disjuncts(e.Args[1])...)
	}
	return []*plan.Expr{e}
}

func orAll(es []*plan.Expr) *plan.Expr {
	e := es[0]
	for _, x := range es[1:] {
		e = plan.CallOf("or", catalog.TypeBool, e, x)
	}
	return e
}

func containsExpr(es []*plan.Expr, x *plan.Expr) bool {
	for _, e := range es {
		if exprEqual(e, x) {
			return true
		}
	}
	return false
}

func sortedRanges(m map[int]bool) []int {
	var out []int
	for r := range m {
		out = append(out, r)
	}
	sort.Ints(out)
	return out
}
