package planner

import (
	"math"

	"github.com/cirrusdb/cirrus/planner/plan"
)

// TableStats is what the planner knows of a table's data.
type TableStats struct {
	Rows float64
	// NDV estimates each column's number of distinct values (0: unknown).
	NDV []float64
	// Clustered marks the columns whose values the table's files hold in
	// (nearly) disjoint ranges, as a table loaded in that column's order
	// has: a range of values is then a subset of the files.
	Clustered []bool
}

// Join ordering. An all-inner join tree (FROM lists, INNER JOINs) is
// rebuilt as a sequence: each step joins one more table to the set so far,
// and builds the hash table (the executor builds a join's right input) on
// the smaller of the two. The order is chosen greedily from every possible
// first table: each step joins the connected table that yields the fewest
// rows (a cross product only when nothing is connected); the cheapest of
// those orders (rows probed, built twice over, and produced) wins.
//
// Estimates: a table's rows times a guessed selectivity per pushed filter;
// an equi-join's output is |L|·|R| / the larger distinct count of its keys,
// where a key covering a primary key has as many distinct values as its
// table has rows, a column with min/max statistics at most its range, and
// a column nothing is known about is taken as a key of its table.

type joinGraph struct {
	est   []float64 // estimated rows after pushed filters, per range
	rows  []float64 // rows before filters
	edges []joinEdge
}

type joinEdge struct {
	a, b         int // ranges
	ndvA, ndvB   float64
	colA, colB   int  // column index in the table, -1 if not a base column
	uniqA, uniqB bool // the edges between a and b cover a's (b's) primary key
}

// coversKey reports whether the equi-join edges between r and other cover
// r's primary key.
func (g *joinGraph) coversKey(qb *queryBlock, r, other int) bool {
	t := qb.ranges[r].table
	if t == nil || len(t.PrimaryKey) == 0 {
		return false
	}
	covered := map[int]bool{}
	for _, f := range g.edges {
		switch {
		case f.a == r && f.b == other:
			covered[f.colA] = true
		case f.b == r && f.a == other:
			covered[f.colB] = true
		}
	}
	for _, k := range t.PrimaryKey {
		if !covered[k] {
			return false
		}
	}
	return true
}

// reorderJoins returns a left-deep join tree over the leaves of an
// all-inner tree jn, moving its ON conditions into attach.
func (b *binder) reorderJoins(qb *queryBlock, jn *joinNode, pushed [][]*plan.Expr, attach *[]*plan.Expr) *joinNode {
	var ls []int
	collectLeaves(jn, &ls)
	moveOn(jn, attach)
	if len(ls) < 2 {
		return jn
	}
	g := b.joinGraph(qb, ls, pushed, *attach)
	var best []int
	var bestSwaps []bool
	bestCost := math.Inf(1)
	for _, start := range ls {
		order, swaps, cost := g.greedy(ls, start)
		if cost < bestCost {
			best, bestSwaps, bestCost = order, swaps, cost
		}
	}
	out := &joinNode{rng: best[0]}
	for i, r := range best[1:] {
		out = &joinNode{rng: -1, kind: plan.CrossJoin, left: out, right: &joinNode{rng: r}, swap: bestSwaps[i+1]}
	}
	return out
}

func collectLeaves(jn *joinNode, out *[]int) {
	if jn.rng >= 0 {
		*out = append(*out, jn.rng)
		return
	}
	collectLeaves(jn.left, out)
	collectLeaves(jn.right, out)
}

func moveOn(jn *joinNode, attach *[]*plan.Expr) {
	if jn.rng >= 0 {
		return
	}
	*attach = append(*attach, jn.on...)
	jn.on = nil
	moveOn(jn.left, attach)
	moveOn(jn.right, attach)
}

func (b *binder) joinGraph(qb *queryBlock, ls []int, pushed [][]*plan.Expr, conds []*plan.Expr) *joinGraph {
	n := len(qb.ranges)
	g := &joinGraph{est: make([]float64, n), rows: make([]float64, n)}
	stats := make([]*TableStats, n)
	for _, r := range ls {
		rows := 1000.0
		if t := qb.ranges[r].table; t != nil && b.ctx.Stats != nil {
			if st := b.ctx.Stats(t); st != nil {
				stats[r] = st
				rows = math.Max(st.Rows, 1)
			}
		}
		g.rows[r] = rows
		sel := 1.0
		for _, f := range pushed[r] {
			sel *= selectivity(f)
		}
		for _, sj := range qb.subJoins {
			need := map[int]bool{}
			for _, c := range sj.conds {
				for x := range rangesOf(qb, c) {
					if x != sj.rng {
						need[x] = true
					}
				}
			}
			if len(need) == 1 && need[r] && sj.kind != plan.SingleJoin {
				sel *= 0.5
			}
		}
		g.est[r] = math.Max(rows*sel, 1)
	}
	colOf := func(e *plan.Expr) (int, int) {
		if e.Kind == plan.Cast && len(e.Args) == 1 {
			e = e.Args[0]
		}
		if e.Kind != plan.ColumnRef {
			return -1, -1
		}
		r, ok := qb.rangeOf(e.Col)
		if !ok || qb.ranges[r].table == nil {
			return r, -1
		}
		for k, id := range qb.ranges[r].ids {
			if id == e.Col {
				return r, k
			}
		}
		return r, -1
	}
	ndv := func(r, col int) float64 {
		if st := stats[r]; st != nil && col >= 0 && col < len(st.NDV) && st.NDV[col] > 0 {
			return math.Min(st.NDV[col], g.rows[r])
		}
		return g.rows[r]
	}
	for _, c := range conds {
		if c.Kind != plan.Call || c.Op != "=" {
			continue
		}
		ra, ca := colOf(c.Args[0])
		rb, cb := colOf(c.Args[1])
		rs := rangesOf(qb, c)
		if len(rs) != 2 || ra < 0 || rb < 0 || ra == rb {
			continue
		}
		g.edges = append(g.edges, joinEdge{a: ra, b: rb, colA: ca, colB: cb, ndvA: ndv(ra, ca), ndvB: ndv(rb, cb)})
	}
	// Edges whose keys cover a table's primary key are unique on that side.
	for i := range g.edges {
		e := &g.edges[i]
		e.uniqA = g.coversKey(qb, e.a, e.b)
		e.uniqB = g.coversKey(qb, e.b, e.a)
	}
	return g
}

// selectivity guesses the fraction of rows a filter keeps.
func selectivity(f *plan.Expr) float64 {
	if f.Kind != plan.Call {
		return 0.5
	}
	switch f.Op {
	case "and":
		return selectivity(f.Args[0]) * selectivity(f.Args[1])
	case "or":
		return math.Min(1, selectivity(f.Args[0])+selectivity(f.Args[1]))
	case "=":
		return 0.05
	case "<", "<=", ">", ">=":
		return 0.35
	case "like", "ilike":
		return 0.1
	case "<>", "notlike", "notilike", "isnotnull":
		return 0.9
	case "isnull":
		return 0.05
	}
	return 0.5
}

// joinOut estimates the rows of joining r to a set with card rows, and
// whether any equi-join connects them.
func (g *joinGraph) joinOut(in map[int]bool, card float64, r int) (float64, bool) {
	// Per table of the set joined with r: the most selective estimate of
	// its edges (several key parts are correlated; a unique key decides).
	sels := map[int]float64{}
	for _, e := range g.edges {
		var other int
		var ndvIn, ndvR float64
		var uniqIn, uniqR bool
		switch {
		case e.b == r && in[e.a]:
			other, ndvIn, ndvR, uniqIn, uniqR = e.a, e.ndvA, e.ndvB, e.uniqA, e.uniqB
		case e.a == r && in[e.b]:
			other, ndvIn, ndvR, uniqIn, uniqR = e.b, e.ndvB, e.ndvA, e.uniqB, e.uniqA
		default:
			continue
		}
		s := 1 / math.Max(math.Max(ndvIn, ndvR), 1)
		switch {
		case uniqR:
			s = 1 / g.rows[r] // each row of the set meets at most one row of r
		case uniqIn:
			s = 1 / g.rows[other]
		}
		if old, ok := sels[other]; !ok || s < old {
			sels[other] = s
		}
	}
	out := card * g.est[r]
	for _, s := range sels {
		out *= s
	}
	return math.Max(out, 1), len(sels) > 0
}

// greedy orders ls starting at start and returns the order, which steps
// build the set so far rather than the new table (the smaller side is
// built), and the cost: rows probed, rows built (three times: inserting is
// dearer than probing) and rows produced.
func (g *joinGraph) greedy(ls []int, start int) ([]int, []bool, float64) {
	in := map[int]bool{start: true}
	order := []int{start}
	swaps := []bool{false}
	card := g.est[start]
	cost := 0.0
	for len(order) < len(ls) {
		best, bestOut, bestConn := -1, math.Inf(1), false
		for _, r := range ls {
			if in[r] {
				continue
			}
			out, conn := g.joinOut(in, card, r)
			if best < 0 || (conn && !bestConn) || (conn == bestConn && out < bestOut) {
				best, bestOut, bestConn = r, out, conn
			}
		}
		build, probe := g.est[best], card
		swap := build > probe
		if swap {
			build, probe = probe, build
		}
		cost += probe + 3*build + bestOut
		card = bestOut
		in[best] = true
		order = append(order, best)
		swaps = append(swaps, swap)
	}
	return order, swaps, cost
}
