package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// The oracle tests run the vectorized aggregate and join on random inputs
// (with NULLs, several batch shapes and key layouts) and compare them with
// a row-at-a-time evaluation written as plainly as possible.

// Columns of the random table.
const (
	rK1 = iota // int4 group/join key, small domain
	rK2        // text key
	rV         // int4 value
	rF         // float8 value
	rS         // text value
	rN         // numeric(2) value
	rB         // int8 key, sparse
	rCols
)

var randTypes = []catalog.Type{tI4, tT, tI4, tF8, tT, tNum(2), tI8}

func randRows(rng *rand.Rand, n, domain int) [][]any {
	rows := make([][]any, n)
	maybe := func(v any) any {
		if rng.IntN(8) == 0 {
			return nil
		}
		return v
	}
	for i := range rows {
		rows[i] = []any{
			maybe(int64(rng.IntN(domain))),
			maybe(fmt.Sprintf("k%d", rng.IntN(domain))),
			maybe(int64(rng.IntN(2001) - 1000)),
			maybe(float64(rng.IntN(1000)) / 8),
			maybe(fmt.Sprintf("s%03d", rng.IntN(300))),
			maybe(int64(rng.IntN(100001) - 50000)),
			maybe(int64(rng.IntN(domain)) * 1_000_000_007),
		}
	}
	return rows
}

// randBatches turns rows into batches of random sizes.
func randBatches(rng *rand.Rand, rows [][]any) []*vec.Batch {
	var out []*vec.Batch
	for from := 0; from < len(rows); {
		n := 1 + rng.IntN(3000)
		to := min(from+n, len(rows))
		out = append(out, mkBatch(randTypes, rows[from:to]...))
		from = to
	}
	return out
}

// key renders a group key; %#v quotes strings and the separator keeps
// ("k12", 25) and ("k1", 225) apart.
func key(vals ...any) string {
	s := ""
	for _, v := range vals {
		s += fmt.Sprintf("%#v\x00", v)
	}
	return s
}

// canon renders a row for comparison; floats are rounded so summation order
// does not matter.
func canon(row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		switch x := v.(type) {
		case float64:
			parts[i] = fmt.Sprintf("%.6g", x)
		case nil:
			parts[i] = "NULL"
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, "|")
}

func canonRows(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = canon(r)
	}
	sort.Strings(out)
	return out
}

func diffRows(t *testing.T, what string, got, want [][]any) {
	t.Helper()
	g, w := canonRows(got), canonRows(want)
	if len(g) != len(w) {
		t.Errorf("%s: %d rows, want %d", what, len(g), len(w))
	}
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Errorf("%s: first difference at %d:\n got %s\nwant %s", what, i, g[i], w[i])
			return
		}
	}
}

// rendered returns copies of raw random rows as render shows them
// (numeric as text).
func rendered(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		if r[rN] != nil {
			out[i][rN] = numText(r[rN].(int64), 2)
		}
	}
	return out
}

// numText renders a scaled integer as the numeric text form.
func numText(x int64, scale int32) string { return string(pgtype.AppendNumeric(nil, x, scale)) }

// roundDiv returns round(a / b) half away from zero.
func roundDiv(a, b int64) int64 {
	q, r := a/b, a%b
	if 2*abs64(r) >= abs64(b) {
		if (a < 0) != (b < 0) {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

type oracleAgg struct {
	call *plan.AggCall
	// naive computes the result over the non-grouped rows of one group.
	naive func(rows [][]any) any
}

func oracleAggs() []oracleAgg {
	vals := func(rows [][]any, c int) []any {
		var out []any
		for _, r := range rows {
			if r[c] != nil {
				out = append(out, r[c])
			}
		}
		return out
	}
	distinct := func(xs []any) []any {
		seen := map[any]bool{}
		var out []any
		for _, x := range xs {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
		return out
	}
	sumInt := func(xs []any) any {
		if len(xs) == 0 {
			return nil
		}
		var s int64
		for _, x := range xs {
			s += x.(int64)
		}
		return s
	}
	minMax := func(xs []any, less func(a, b any) bool, isMax bool) any {
		var best any
		for _, x := range xs {
			if best == nil || (isMax && less(best, x)) || (!isMax && less(x, best)) {
				best = x
			}
		}
		return best
	}
	lessInt := func(a, b any) bool { return a.(int64) < b.(int64) }
	lessStr := func(a, b any) bool { return a.(string) < b.(string) }
	lessF := func(a, b any) bool { return a.(float64) < b.(float64) }
	return []oracleAgg{
		{&plan.AggCall{Func: "count", Type: tI8}, func(rows [][]any) any { return int64(len(rows)) }},
		{&plan.AggCall{Func: "count", Arg: col(rV, tI4), Type: tI8}, func(rows [][]any) any { return int64(len(vals(rows, rV))) }},
		{&plan.AggCall{Func: "sum", Arg: col(rV, tI4), Type: tI8}, func(rows [][]any) any { return sumInt(vals(rows, rV)) }},
		{&plan.AggCall{Func: "avg", Arg: col(rV, tI4), Type: tNum(4)}, func(rows [][]any) any {
			xs := vals(rows, rV)
			if len(xs) == 0 {
				return nil
			}
			return numText(roundDiv(sumInt(xs).(int64)*10000, int64(len(xs))), 4)
		}},
		{&plan.AggCall{Func: "sum", Arg: col(rN, tNum(2)), Type: tNum(2)}, func(rows [][]any) any {
			s := sumInt(vals(rows, rN))
			if s == nil {
				return nil
			}
			return numText(s.(int64), 2)
		}},
		{&plan.AggCall{Func: "avg", Arg: col(rN, tNum(2)), Type: tNum(6)}, func(rows [][]any) any {
			xs := vals(rows, rN)
			if len(xs) == 0 {
				return nil
			}
			return numText(roundDiv(sumInt(xs).(int64)*10000, int64(len(xs))), 6)
		}},
		{&plan.AggCall{Func: "min", Arg: col(rV, tI4), Type: tI4}, func(rows [][]any) any { return minMax(vals(rows, rV), lessInt, false) }},
		{&plan.AggCall{Func: "max", Arg: col(rS, tT), Type: tT}, func(rows [][]any) any { return minMax(vals(rows, rS), lessStr, true) }},
		{&plan.AggCall{Func: "min", Arg: col(rS, tT), Type: tT}, func(rows [][]any) any { return minMax(vals(rows, rS), lessStr, false) }},
		{&plan.AggCall{Func: "max", Arg: col(rF, tF8), Type: tF8}, func(rows [][]any) any { return minMax(vals(rows, rF), lessF, true) }},
		{&plan.AggCall{Func: "sum", Arg: col(rF, tF8), Type: tF8}, func(rows [][]any) any {
			xs := vals(rows, rF)
			if len(xs) == 0 {
				return nil
			}
			s := 0.0
			for _, x := range xs {
				s += x.(float64)
			}
			return s
		}},
		{&plan.AggCall{Func: "avg", Arg: col(rF, tF8), Type: tF8}, func(rows [][]any) any {
			xs := vals(rows, rF)
			if len(xs) == 0 {
				return nil
			}
			s := 0.0
			for _, x := range xs {
				s += x.(float64)
			}
			return s / float64(len(xs))
		}},
		{&plan.AggCall{Func: "count", Arg: col(rS, tT), Distinct: true, Type: tI8}, func(rows [][]any) any { return int64(len(distinct(vals(rows, rS)))) }},
		{&plan.AggCall{Func: "sum", Arg: col(rV, tI4), Distinct: true, Type: tI8}, func(rows [][]any) any { return sumInt(distinct(vals(rows, rV))) }},
	}
}

func naiveAggregate(rows [][]any, groups []int, aggs []oracleAgg) [][]any {
	byKey := map[string][][]any{}
	var order []string
	keyVals := map[string][]any{}
	for _, r := range rows {
		kv := make([]any, len(groups))
		for i, g := range groups {
			kv[i] = r[g]
		}
		k := key(kv...)
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
			keyVals[k] = kv
		}
		byKey[k] = append(byKey[k], r)
	}
	if len(groups) == 0 && len(order) == 0 {
		order = append(order, "")
		keyVals[""] = nil
	}
	var out [][]any
	for _, k := range order {
		row := append([]any(nil), keyVals[k]...)
		for _, a := range aggs {
			row = append(row, a.naive(byKey[k]))
		}
		out = append(out, row)
	}
	return out
}

func TestAggregateOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	groupSets := [][]int{nil, {rK1}, {rK2}, {rK1, rK2}, {rB}, {rK2, rV}, {rF}}
	for iter := range 14 {
		n := []int{0, 1, 5, 700, 5000}[iter%5]
		domain := []int{1, 3, 50, 2000}[iter%4]
		rows := randRows(rng, n, domain)
		batches := randBatches(rng, rows)
		for _, gs := range groupSets {
			all := oracleAggs()
			var groups []*plan.Expr
			for _, g := range gs {
				groups = append(groups, col(g, randTypes[g]))
			}
			var calls []*plan.AggCall
			for _, a := range all {
				calls = append(calls, a.call)
			}
			what := fmt.Sprintf("iter %d rows %d domain %d groups %v", iter, n, domain, gs)
			got := runPlan(t, aggNode(srcNode(randTypes, batches...), plan.Complete, groups, calls...), testEnv)
			diffRows(t, what, got, naiveAggregate(rows, gs, all))

			// Two phases: three "participants" each run a Partial over a
			// share of the batches, a Final merges what a Remote gathers.
			nonDistinct := all[:len(all)-2]
			calls = calls[:len(calls)-2]
			shares := make([][]*vec.Batch, 3)
			for i, b := range batches {
				shares[i%3] = append(shares[i%3], b)
			}
			frag := aggNode(srcNode(randTypes), plan.Partial, groups, calls...)
			env := &Env{OpenScan: testEnv.OpenScan, OpenRemote: func(ctx context.Context, r *plan.Remote) (Operator, error) {
				var parts []*vec.Batch
				for _, sh := range shares {
					p := aggNode(srcNode(randTypes, sh...), plan.Partial, groups, calls...)
					op, err := Build(ctx, p, testEnv)
					if err != nil {
						return nil, err
					}
					b, err := Drain(ctx, op)
					if err != nil {
						return nil, err
					}
					parts = append(parts, b)
				}
				return NewSliceSource(r.Types(), parts), nil
			}}
			finalGroups := make([]*plan.Expr, len(groups))
			for i, g := range groups {
				finalGroups[i] = col(i, g.Type)
			}
			final := aggNode(&plan.Remote{Fragment: frag}, plan.Final, finalGroups, calls...)
			got = runPlan(t, final, env)
			// Without GROUP BY each participant emits a row even when its
			// share is empty; the final merge still produces exactly one.
			want := naiveAggregate(rows, gs, nonDistinct)
			diffRows(t, what+" two-phase", got, want)
		}
	}
}

// naiveJoin is the nested-loop definition of each join kind.
func naiveJoin(left, right [][]any, kind plan.JoinKind, lk, rk []int, residual func(l, r []any) any) [][]any {
	nl, nr := len(randTypes), len(randTypes)
	pad := func(n int) []any { return make([]any, n) }
	var out [][]any
	rmatched := make([]bool, len(right))
	for _, l := range left {
		matched := false
		for j, r := range right {
			ok := true
			for k := range lk {
				if l[lk[k]] == nil || r[rk[k]] == nil || l[lk[k]] != r[rk[k]] {
					ok = false
				}
			}
			if ok && residual != nil {
				ok = residual(l, r) == true
			}
			if ok {
				matched = true
				rmatched[j] = true
				out = append(out, append(append([]any(nil), l...), r...))
			}
		}
		if !matched && (kind == plan.LeftJoin || kind == plan.FullJoin) {
			out = append(out, append(append([]any(nil), l...), pad(nr)...))
		}
	}
	if kind == plan.RightJoin || kind == plan.FullJoin {
		for j, r := range right {
			if !rmatched[j] {
				out = append(out, append(pad(nl), r...))
			}
		}
	}
	for _, row := range out {
		for _, c := range []int{rN, rCols + rN} {
			if row[c] != nil {
				row[c] = numText(row[c].(int64), 2)
			}
		}
	}
	return out
}

func TestJoinOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type keySet struct {
		name   string
		lk, rk []int
	}
	keySets := []keySet{
		{"dense int", []int{rK1}, []int{rK1}},
		{"sparse int", []int{rB}, []int{rB}},
		{"text", []int{rK2}, []int{rK2}},
		{"composite", []int{rK1, rK2}, []int{rK1, rK2}},
		{"mixed width", []int{rK1}, []int{rV}},
		{"none", nil, nil},
	}
	lessV := func(l, r []any) any {
		if l[rV] == nil || r[rV] == nil {
			return nil
		}
		return l[rV].(int64) < r[rV].(int64)
	}
	resExpr := call("<", tB, col(rV, tI4), col(rCols+rV, tI4))
	// (l.k1 = r.k1 AND l.v < r.v) OR (r.k1 = l.k1 AND l.k2 = r.k2): no
	// declared keys, but k1 = k1 holds in every branch, so the join derives
	// it as its hash key.
	orEq := call("or", tB,
		call("and", tB, call("=", tB, col(rK1, tI4), col(rCols+rK1, tI4)), resExpr),
		call("and", tB, call("=", tB, col(rCols+rK1, tI4), col(rK1, tI4)), call("=", tB, col(rK2, tT), col(rCols+rK2, tT))))
	eq := func(a, b any) any {
		if a == nil || b == nil {
			return nil
		}
		return a == b
	}
	and := func(a, b any) any {
		switch {
		case a == false || b == false:
			return false
		case a == nil || b == nil:
			return nil
		}
		return true
	}
	orEqFn := func(l, r []any) any {
		x := and(eq(l[rK1], r[rK1]), lessV(l, r))
		y := and(eq(r[rK1], l[rK1]), eq(l[rK2], r[rK2]))
		switch {
		case x == true || y == true:
			return true
		case x == nil || y == nil:
			return nil
		}
		return false
	}
	for iter := range 12 {
		nl := []int{0, 1, 40, 900}[iter%4]
		nr := []int{0, 3, 60, 500, 1}[iter%5]
		domain := []int{2, 30, 400}[iter%3]
		left, allRight := randRows(rng, nl, domain), randRows(rng, nr, domain)
		lb := randBatches(rng, left)
		for _, ks := range keySets {
			for _, uniq := range []bool{false, true} {
				// uniq: keep one right row per key (NULL keys may repeat), the
				// build side of a primary-key join.
				right := allRight
				if uniq {
					if ks.lk == nil {
						continue
					}
					seen := map[string]bool{}
					right = nil
					for _, r := range allRight {
						var kv []any
						for _, c := range ks.rk {
							kv = append(kv, r[c])
						}
						k := key(kv...)
						if !seen[k] || strings.Contains(k, "nil") {
							seen[k] = true
							right = append(right, r)
						}
					}
				}
				rb := randBatches(rng, right)
				nr := len(right)
				for _, kind := range []plan.JoinKind{plan.InnerJoin, plan.LeftJoin, plan.RightJoin, plan.FullJoin, plan.CrossJoin} {
					if kind == plan.CrossJoin && ks.lk != nil {
						continue
					}
					for _, withRes := range []int{0, 1, 2} {
						if kind == plan.CrossJoin && withRes > 0 || withRes == 2 && ks.lk != nil {
							continue
						}
						// Keep the expected output small: the comparison formats
						// every value.
						if nl*nr > 20000*min(domain, 20) || ks.lk == nil && withRes != 2 && nl*nr > 20000 {
							continue
						}
						var lke, rke []*plan.Expr
						for i := range ks.lk {
							lke = append(lke, col(ks.lk[i], randTypes[ks.lk[i]]))
							rke = append(rke, col(ks.rk[i], randTypes[ks.rk[i]]))
						}
						var res *plan.Expr
						var resFn func(l, r []any) any
						switch withRes {
						case 1:
							res, resFn = resExpr, lessV
						case 2:
							res, resFn = orEq, orEqFn
						}
						n := joinNode(srcNode(randTypes, lb...), srcNode(randTypes, rb...), kind, lke, rke, res)
						what := fmt.Sprintf("iter %d (%d×%d, domain %d) %s unique %v kind %d residual %v", iter, nl, nr, domain, ks.name, uniq, kind, withRes)
						got := runPlan(t, n, testEnv)
						diffRows(t, what, got, naiveJoin(left, right, kind, ks.lk, ks.rk, resFn))
					}
				}
			}
		}
	}
}

func TestSortOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rows := randRows(rng, 3000, 20)
	batches := randBatches(rng, rows)
	keys := []plan.SortKey{
		{Expr: col(rK2, tT), NullsFirst: true},
		{Expr: col(rV, tI4), Desc: true},
		{Expr: col(rF, tF8), Desc: true, NullsFirst: false},
	}
	got := runPlan(t, &plan.Sort{Input: srcNode(randTypes, batches...), Keys: keys}, testEnv)
	want := append([][]any(nil), rows...)
	cmpVal := func(a, b any) int {
		switch x := a.(type) {
		case int64:
			y := b.(int64)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		case float64:
			return floatCmp(x, b.(float64))
		case string:
			return strings.Compare(x, b.(string))
		}
		return 0
	}
	sort.SliceStable(want, func(i, j int) bool {
		for _, k := range keys {
			c := k.Expr.Col
			a, b := want[i][c], want[j][c]
			if a == nil || b == nil {
				if a == nil && b == nil {
					continue
				}
				return (a == nil) == k.NullsFirst
			}
			r := cmpVal(a, b)
			if r == 0 {
				continue
			}
			if k.Desc {
				return r > 0
			}
			return r < 0
		}
		return false
	})
	want = rendered(want)
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if canon(got[i]) != canon(want[i]) {
			t.Fatalf("row %d: %s, want %s", i, canon(got[i]), canon(want[i]))
		}
	}
}

// TestFilterOracle checks compound predicates with NULLs against a scalar
// evaluation of each row.
func TestFilterOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := randRows(rng, 4000, 50)
	batches := randBatches(rng, rows)
	pred := call("and", tB,
		call("or", tB, call(">", tB, col(rV, tI4), i4(0)), call("like", tB, col(rS, tT), txt("s1%"))),
		call("<>", tB, col(rK1, tI4), i4(3)),
		call(">", tB, call("/", tI4, i4(1000), call("-", tI4, col(rK1, tI4), i4(3))), i4(20)))
	got := runPlan(t, &plan.Filter{Input: srcNode(randTypes, batches...), Pred: pred}, testEnv)
	var want [][]any
	for _, r := range rows {
		// SQL: (v > 0 OR s LIKE 's1%') AND k1 <> 3 AND 1000 / (k1 - 3) > 20:
		// the division by zero at k1 = 3 is never reached because the
		// conjunct before it is false there.
		var a any
		switch {
		case r[rV] != nil && r[rV].(int64) > 0:
			a = true
		case r[rS] != nil && strings.HasPrefix(r[rS].(string), "s1"):
			a = true
		case r[rV] == nil || r[rS] == nil:
			a = nil
		default:
			a = false
		}
		if a != true || r[rK1] == nil || r[rK1].(int64) == 3 {
			continue
		}
		if 1000/(r[rK1].(int64)-3) > 20 {
			want = append(want, r)
		}
	}
	diffRows(t, "filter", got, rendered(want))
}
