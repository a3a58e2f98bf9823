package executor

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// TestKernelShapes evaluates each operator with column/column,
// column/constant and constant/column operands over random values
// (extremes and NULLs included) and checks every row against an exact
// big-integer reference. A batch fails as a whole when any non-NULL row
// fails, with the code of a failing row.
func TestKernelShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	pick := func(lo, hi int64) int64 {
		switch rng.IntN(10) {
		case 0:
			return lo
		case 1:
			return hi
		case 2:
			return 0
		case 3:
			return -1
		}
		return rng.Int64N(hi/2+1) - rng.Int64N(-(lo/2)+1)
	}
	ref := func(op string, x, y int64, lo, hi int64) (int64, string) {
		a, b := big.NewInt(x), big.NewInt(y)
		r := new(big.Int)
		switch op {
		case "+":
			r.Add(a, b)
		case "-":
			r.Sub(a, b)
		case "*":
			r.Mul(a, b)
		case "/", "%":
			if y == 0 {
				return 0, "22012"
			}
			q, m := new(big.Int).QuoRem(a, b, new(big.Int))
			r = q
			if op == "%" {
				r = m
			}
		}
		if r.Cmp(big.NewInt(lo)) < 0 || r.Cmp(big.NewInt(hi)) > 0 {
			return 0, "22003"
		}
		return r.Int64(), ""
	}
	for _, ty := range []catalog.Type{tI2, tI4, tI8} {
		lo, hi := intBounds(ty.Kind)
		for _, op := range []string{"+", "-", "*", "/", "%"} {
			for iter := range 40 {
				n := 1 + rng.IntN(6)
				if iter%10 == 0 {
					n = 300
				}
				rows := make([][]any, n)
				for i := range rows {
					rows[i] = []any{pick(lo, hi), pick(lo, hi)}
					if rng.IntN(6) == 0 {
						rows[i][rng.IntN(2)] = nil
					}
				}
				b := mkBatch([]catalog.Type{ty, ty}, rows...)
				// Junk under NULLs must not matter.
				for c := range 2 {
					if nl := b.Cols[c].Nulls; nl != nil {
						for i := range nl {
							if nl[i] {
								b.Cols[c].I64[i] = []int64{0, lo, hi}[rng.IntN(3)]
							}
						}
					}
				}
				c := pick(lo, hi)
				shapes := []struct {
					name string
					e    *plan.Expr
					x, y func(i int) any
				}{
					{"vv", call(op, ty, col(0, ty), col(1, ty)), func(i int) any { return rows[i][0] }, func(i int) any { return rows[i][1] }},
					{"vc", call(op, ty, col(0, ty), cI(ty, c)), func(i int) any { return rows[i][0] }, func(int) any { return c }},
					{"cv", call(op, ty, cI(ty, c), col(1, ty)), func(int) any { return c }, func(i int) any { return rows[i][1] }},
				}
				for _, sh := range shapes {
					want := make([]any, n)
					wantCode := ""
					for i := range n {
						x, y := sh.x(i), sh.y(i)
						if x == nil || y == nil {
							continue
						}
						v, code := ref(op, x.(int64), y.(int64), lo, hi)
						if code != "" && wantCode == "" {
							wantCode = code
						}
						want[i] = v
					}
					got, err := evalExpr(sh.e, b)
					what := fmt.Sprintf("%s %s %s n=%d", ty, op, sh.name, n)
					if wantCode != "" {
						// Any failing row's code will do when several fail.
						if codeOf(err) != "22003" && codeOf(err) != "22012" {
							t.Fatalf("%s: got %v, %v; want SQLSTATE %s", what, got, err, wantCode)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					for i := range want {
						if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
							t.Fatalf("%s row %d (%v %s %v): got %v want %v", what, i, sh.x(i), op, sh.y(i), got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestCompareShapes checks every comparison operator, type and operand
// shape against a direct evaluation.
func TestCompareShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	type gen struct {
		ty  catalog.Type
		val func() any
		cmp func(a, b any) int
		mk  func(v any) *plan.Expr
	}
	gens := []gen{
		{tI8, func() any { return int64(rng.IntN(5) - 2) }, func(a, b any) int { return compareInt(a.(int64), b.(int64)) }, func(v any) *plan.Expr { return i8(v.(int64)) }},
		{tF8, func() any { return []float64{-1, 0, 2.5, math.NaN(), math.Inf(1)}[rng.IntN(5)] }, func(a, b any) int { return floatCmp(a.(float64), b.(float64)) }, func(v any) *plan.Expr { return f8(v.(float64)) }},
		{tB, func() any { return rng.IntN(2) == 0 }, func(a, b any) int { return boolCmp(a.(bool), b.(bool)) }, func(v any) *plan.Expr { return bln(v.(bool)) }},
		{tT, func() any { return []string{"", "a", "ab", "b", "B"}[rng.IntN(5)] }, func(a, b any) int { return compareStr(a.(string), b.(string)) }, func(v any) *plan.Expr { return txt(v.(string)) }},
		{tChar(3), func() any { return []string{"", "a", "a ", "ab", "b  "}[rng.IntN(5)] }, func(a, b any) int {
			return compareStr(string(trimSpaces([]byte(a.(string)))), string(trimSpaces([]byte(b.(string)))))
		}, func(v any) *plan.Expr { return plan.ConstOf(tChar(3), plan.Datum{S: v.(string)}) }},
	}
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	truthOf := func(op string, c int) bool {
		return map[string]bool{"=": c == 0, "<>": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
	}
	for _, g := range gens {
		rows := make([][]any, 200)
		for i := range rows {
			rows[i] = []any{g.val(), g.val()}
			if rng.IntN(8) == 0 {
				rows[i][rng.IntN(2)] = nil
			}
		}
		b := mkBatch([]catalog.Type{g.ty, g.ty}, rows...)
		c := g.val()
		for _, op := range ops {
			for shape, e := range []*plan.Expr{
				call(op, tB, col(0, g.ty), col(1, g.ty)),
				call(op, tB, col(0, g.ty), g.mk(c)),
				call(op, tB, g.mk(c), col(1, g.ty)),
			} {
				got, err := evalExpr(e, b)
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range rows {
					x, y := r[0], r[1]
					switch shape {
					case 1:
						y = c
					case 2:
						x = c
					}
					var want any
					if x != nil && y != nil {
						want = truthOf(op, g.cmp(x, y))
					}
					if got[i] != want {
						t.Fatalf("%s %v %s %v (shape %d): got %v want %v", g.ty, x, op, y, shape, got[i], want)
					}
				}
			}
		}
	}
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestFloatKernelShapes checks float arithmetic shapes against Go's.
func TestFloatKernelShapes(t *testing.T) {
	rows := [][]any{{1.5, 2.0}, {nil, 0.0}, {-3.0, nil}, {1e300, 1e-300}, {0.0, -4.0}}
	b := mkBatch([]catalog.Type{tF8, tF8}, rows...)
	for _, op := range []string{"+", "-", "*", "/"} {
		for shape, e := range []*plan.Expr{
			call(op, tF8, col(0, tF8), col(1, tF8)),
			call(op, tF8, col(0, tF8), f8(2)),
			call(op, tF8, f8(2), col(0, tF8)),
		} {
			got, err := evalExpr(e, b)
			if op == "/" && shape == 0 {
				// 1e300 / 1e-300 overflows.
				if codeOf(err) != "22003" {
					t.Errorf("/ overflow: %v", err)
				}
				continue
			}
			if op == "/" && shape == 2 {
				if codeOf(err) != "22012" {
					t.Errorf("2 / 0.0: %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s shape %d: %v", op, shape, err)
			}
			for i, r := range rows {
				x, y := r[0], r[1]
				switch shape {
				case 1:
					y = 2.0
				case 2:
					x, y = 2.0, r[0]
				}
				if x == nil || y == nil {
					if got[i] != nil {
						t.Errorf("%s row %d: %v, want NULL", op, i, got[i])
					}
					continue
				}
				var want float64
				a, c := x.(float64), y.(float64)
				switch op {
				case "+":
					want = a + c
				case "-":
					want = a - c
				case "*":
					want = a * c
				case "/":
					want = a / c
				}
				if got[i] != want {
					t.Errorf("%s row %d: %v, want %v", op, i, got[i], want)
				}
			}
		}
	}
}
