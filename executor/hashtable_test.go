package executor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// TestGroupTableLayouts checks that every layout (single int, coded, coded
// turning generic, generic) gives equal rows equal groups and different rows
// different groups, and stores each group's key.
func TestGroupTableLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	cases := []struct {
		name  string
		types []catalog.Type
		gen   func(c, i int) any
	}{
		{"single int", []catalog.Type{tI8}, func(c, i int) any { return int64(rng.IntN(5000)) }},
		{"two text", []catalog.Type{tT, tChar(3)}, func(c, i int) any {
			if c == 0 {
				return fmt.Sprintf("long-string-%d", rng.IntN(50))
			}
			return []string{"a", "a  ", "b", "xyz"}[rng.IntN(4)]
		}},
		{"float bool", []catalog.Type{tF8, tB}, func(c, i int) any {
			if c == 0 {
				return []float64{0, 1.5, -2}[rng.IntN(3)]
			}
			return rng.IntN(2) == 0
		}},
		// 4 columns get 16 bits of code each: 70000 distinct values in the
		// first column force the generic fallback midway.
		{"coded to generic", []catalog.Type{tI8, tI4, tT, tI8}, func(c, i int) any {
			switch c {
			case 0:
				return int64(i)
			case 2:
				return fmt.Sprint(i % 3)
			}
			return int64(i % 7)
		}},
		{"five columns", []catalog.Type{tI8, tI8, tI8, tI8, tT}, func(c, i int) any { return fmt.Sprint(rng.IntN(3)) }},
	}
	for _, c := range cases {
		gt := newGroupTable(c.types)
		byKey := map[string]int32{}
		const rows = 100_000
		for from := 0; from < rows; from += vec.BatchSize {
			n := min(vec.BatchSize, rows-from)
			b := vec.NewBatch(c.types, n)
			keys := make([]string, n)
			for i := range n {
				for k, ty := range c.types {
					var x any
					if rng.IntN(10) > 0 {
						x = c.gen(k, from+i)
					}
					if s, ok := x.(string); ok && ty.IsInteger() {
						var v int64
						fmt.Sscan(s, &v)
						x = v
					}
					switch x := x.(type) {
					case nil:
						b.Cols[k].AppendNull()
					case int64:
						b.Cols[k].AppendInt64(x)
					case float64:
						b.Cols[k].AppendFloat64(x)
					case bool:
						b.Cols[k].AppendBool(x)
					case string:
						b.Cols[k].AppendBytes([]byte(x))
						if ty.Kind == catalog.Bpchar {
							x = string(trimSpaces([]byte(x)))
						}
						keys[i] += "|" + x
						continue
					}
					keys[i] += "|" + fmt.Sprint(x)
				}
			}
			gids := make([]int32, n)
			gt.find(b.Cols, n, gids)
			for i, k := range keys {
				if g, ok := byKey[k]; ok {
					if g != gids[i] {
						t.Fatalf("%s: key %s got group %d, earlier %d", c.name, k, gids[i], g)
					}
				} else {
					byKey[k] = gids[i]
				}
			}
		}
		if gt.ngroups != len(byKey) {
			t.Errorf("%s: %d groups, want %d", c.name, gt.ngroups, len(byKey))
		}
		if c.name == "coded to generic" && gt.coders != nil {
			t.Errorf("%s: still coded", c.name)
		}
		// Stored keys render back to the key each group was found for.
		for k, g := range byKey {
			var got string
			for _, v := range gt.keys {
				r := render(v, int(g))
				if s, ok := r.(string); ok && v.Type.Kind == catalog.Bpchar {
					r = string(trimSpaces([]byte(s)))
				}
				if r == nil {
					got += "|<nil>"
				} else {
					got += "|" + fmt.Sprint(r)
				}
			}
			if got != k {
				t.Fatalf("%s: group %d stores %s, want %s", c.name, g, got, k)
			}
		}
	}
}
