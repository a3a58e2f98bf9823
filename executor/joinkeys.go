package executor

import (
	"encoding/json"

	"github.com/cirrusdb/cirrus/planner/plan"
)

// deriveJoinKeys finds equalities between a left-only and a right-only
// expression that every row passing residual must satisfy: top-level
// conjuncts, or conjuncts common to every branch of an OR (TPC-H Q19's
// p_partkey = l_partkey repeated in three branches). A join without keys
// can hash on them instead of looping over all pairs; the residual is kept
// whole, so the keys only narrow the candidates. Right-side expressions are
// rebased onto the right input's columns.
func deriveJoinKeys(residual *plan.Expr, nleft int) (lk, rk []*plan.Expr) {
	pairs := keyPairs(residual, nleft)
	for _, p := range pairs {
		lk = append(lk, p[0])
		rk = append(rk, rebase(p[1], -nleft))
	}
	return lk, rk
}

// keyPairs returns the (left, right) equalities e implies.
func keyPairs(e *plan.Expr, nleft int) [][2]*plan.Expr {
	if e == nil || e.Kind != plan.Call {
		return nil
	}
	switch e.Op {
	case "and":
		var out [][2]*plan.Expr
		seen := map[string]bool{}
		for _, a := range e.Args {
			for _, p := range keyPairs(a, nleft) {
				if k := pairKey(p); !seen[k] {
					seen[k] = true
					out = append(out, p)
				}
			}
		}
		return out
	case "or":
		// Keep the pairs every branch implies.
		var common [][2]*plan.Expr
		for i, a := range e.Args {
			ps := keyPairs(a, nleft)
			if i == 0 {
				common = ps
				continue
			}
			have := map[string]bool{}
			for _, p := range ps {
				have[pairKey(p)] = true
			}
			kept := common[:0]
			for _, p := range common {
				if have[pairKey(p)] {
					kept = append(kept, p)
				}
			}
			common = kept
		}
		return common
	case "=":
		if len(e.Args) != 2 {
			return nil
		}
		a, b := e.Args[0], e.Args[1]
		sa, sb := side(a, nleft), side(b, nleft)
		switch {
		case sa == sideLeft && sb == sideRight:
			return [][2]*plan.Expr{{a, b}}
		case sa == sideRight && sb == sideLeft:
			return [][2]*plan.Expr{{b, a}}
		}
	}
	return nil
}

func pairKey(p [2]*plan.Expr) string {
	b, _ := json.Marshal(p)
	return string(b)
}

const (
	sideNone = iota
	sideLeft
	sideRight
	sideBoth
)

// side says which join input the columns of e come from.
func side(e *plan.Expr, nleft int) int {
	s := sideNone
	var walk func(e *plan.Expr)
	walk = func(e *plan.Expr) {
		if e.Kind == plan.ColumnRef {
			if e.Col < nleft {
				s |= sideLeft
			} else {
				s |= sideRight
			}
		}
		for _, a := range e.Args {
			walk(a)
		}
	}
	walk(e)
	return s
}

// rebase returns a copy of e with column references shifted by d.
func rebase(e *plan.Expr, d int) *plan.Expr {
	c := *e
	if c.Kind == plan.ColumnRef {
		c.Col += d
	}
	if len(e.Args) > 0 {
		c.Args = make([]*plan.Expr, len(e.Args))
		for i, a := range e.Args {
			c.Args[i] = rebase(a, d)
		}
	}
	return &c
}
