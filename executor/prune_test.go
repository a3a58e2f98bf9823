package executor

import (
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
)

func TestPruner(t *testing.T) {
	cols := []catalog.Column{
		{Name: "i", Type: tI4},          // 0: [10, 20]
		{Name: "n", Type: tNumP(15, 2)}, // 1: [1.00, 2.50]
		{Name: "d", Type: tD},           // 2: [100, 200] days
		{Name: "s", Type: tT},           // 3: ["b", "d"]
		{Name: "c", Type: tChar(10)},    // 4: ["AIR       ", "RAIL      "]
		{Name: "nul", Type: tI8},        // 5: all NULL
		{Name: "f", Type: tF8},          // 6: no min/max
		{Name: "nn", Type: tI8},         // 7: [5, 5], no NULLs
	}
	bounds := []storage.Bounds{
		{Rows: 10, Nulls: 2, HasMinMax: true, MinI: 10, MaxI: 20},
		{Rows: 10, Nulls: 0, HasMinMax: true, MinI: 100, MaxI: 250},
		{Rows: 10, Nulls: 0, HasMinMax: true, MinI: 100, MaxI: 200},
		{Rows: 10, Nulls: 0, HasMinMax: true, MinB: []byte("b"), MaxB: []byte("d")},
		{Rows: 10, Nulls: 0, HasMinMax: true, MinB: []byte("AIR       "), MaxB: []byte("RAIL      ")},
		{Rows: 10, Nulls: 10},
		{Rows: 10, Nulls: -1},
		{Rows: 10, Nulls: 0, HasMinMax: true, MinI: 5, MaxI: 5},
	}
	// The scan reads the columns in reverse order, so that scan column k
	// is table column len-1-k.
	proj := make([]int, len(cols))
	for k := range proj {
		proj[k] = len(cols) - 1 - k
	}
	c := func(ci int) *plan.Expr { return col(len(cols)-1-ci, cols[ci].Type) }
	and := func(a ...*plan.Expr) *plan.Expr { return call("and", tB, a...) }
	or := func(a ...*plan.Expr) *plan.Expr { return call("or", tB, a...) }
	cmp := func(op string, a, b *plan.Expr) *plan.Expr { return call(op, tB, a, b) }
	ch := func(s string) *plan.Expr { return plan.ConstOf(tChar(0), plan.Datum{S: s}) }
	for _, tc := range []struct {
		name  string
		pred  *plan.Expr
		prune bool
	}{
		{"i = 15", cmp("=", c(0), i4(15)), false},
		{"i = 9", cmp("=", c(0), i4(9)), true},
		{"i > 20", cmp(">", c(0), i4(20)), true},
		{"i >= 20", cmp(">=", c(0), i4(20)), false},
		{"i < 10", cmp("<", c(0), i4(10)), true},
		{"10 > i", cmp(">", i4(10), c(0)), true},
		{"i <> 15", cmp("<>", c(0), i4(15)), false},
		{"nn <> 5", cmp("<>", c(7), i8(5)), true},
		{"nn = 5", cmp("=", c(7), i8(5)), false},
		{"i::int8 < 10::int8", cmp("<", cast(c(0), tI8), i8(10)), true},
		{"i = 9 + 1 (folded)", cmp("=", c(0), call("+", tI4, i4(9), i4(1))), false},
		{"i = 30 - 1 (folded)", cmp("=", c(0), call("-", tI4, i4(30), i4(1))), true},
		{"i = NULL", cmp("=", c(0), null(tI4)), true},
		{"i between 21 and 30", and(cmp(">=", c(0), i4(21)), cmp("<=", c(0), i4(30))), true},
		{"i between 15 and 30", and(cmp(">=", c(0), i4(15)), cmp("<=", c(0), i4(30))), false},
		{"i in (1, 2, 3)", or(cmp("=", c(0), i4(1)), cmp("=", c(0), i4(2)), cmp("=", c(0), i4(3))), true},
		{"i in (1, 12)", or(cmp("=", c(0), i4(1)), cmp("=", c(0), i4(12))), false},
		{"i = 1 or f > 0", or(cmp("=", c(0), i4(1)), cmp(">", c(6), f8(0))), false},
		{"i = 1 and f > 0", and(cmp("=", c(0), i4(1)), cmp(">", c(6), f8(0))), true},
		// numeric(15,2) against constants of other scales: 2.5 is 250.
		{"n > 2.5", cmp(">", c(1), num(25, 1)), true},
		{"n >= 2.5", cmp(">=", c(1), num(25, 1)), false},
		{"n > 2.499", cmp(">", c(1), num(2499, 3)), false},
		{"n < 1", cmp("<", c(1), i4(1)), true},
		{"n <= 1", cmp("<=", c(1), i4(1)), false},
		{"n < 0.999", cmp("<", c(1), num(999, 3)), true},
		// dates, and a date column against a timestamp.
		{"d < 100", cmp("<", c(2), cI(tD, 100)), true},
		{"d > 200", cmp(">", c(2), cI(tD, 200)), true},
		{"d = 150", cmp("=", c(2), cI(tD, 150)), false},
		{"d > ts(200 days + 1µs)", cmp(">", c(2), cI(tTS, 200*86400e6+1)), true},
		{"d >= ts(200 days)", cmp(">=", c(2), cI(tTS, 200*86400e6)), false},
		// strings, bytewise.
		{"s < 'b'", cmp("<", c(3), txt("b")), true},
		{"s <= 'b'", cmp("<=", c(3), txt("b")), false},
		{"s > 'd'", cmp(">", c(3), txt("d")), true},
		{"s > 'cz'", cmp(">", c(3), txt("cz")), false},
		{"s = 'a'", cmp("=", c(3), txt("a")), true},
		{"s = 'c'", cmp("=", c(3), txt("c")), false},
		// char: equality only, against padded statistics.
		{"c = 'AIR'", cmp("=", c(4), ch("AIR")), false},
		{"c = 'RAIL'", cmp("=", c(4), ch("RAIL")), false},
		{"c = 'RAIL  ' (padded constant)", cmp("=", c(4), ch("RAIL  ")), false},
		{"c = 'AI'", cmp("=", c(4), ch("AI")), true},
		{"c = 'SHIP'", cmp("=", c(4), ch("SHIP")), true},
		{"c = 'RAILS'", cmp("=", c(4), ch("RAILS")), true},
		{"c in ('MAIL', 'SHIP')", or(cmp("=", c(4), ch("MAIL")), cmp("=", c(4), ch("SHIP"))), false},
		{"c in ('A', 'TRUCK')", or(cmp("=", c(4), ch("A")), cmp("=", c(4), ch("TRUCK"))), true},
		{"c < 'A'", cmp("<", c(4), ch("A")), false}, // not used for char
		{"c::text = 'SHIP'", cmp("=", cast(c(4), tT), txt("SHIP")), false},
		// NULLs.
		{"nul = 1", cmp("=", c(5), i8(1)), true},
		{"nul is null", call("isnull", tB, c(5)), false},
		{"nul is not null", call("isnotnull", tB, c(5)), true},
		{"nn is null", call("isnull", tB, c(7)), true},
		{"i is null", call("isnull", tB, c(0)), false},
		{"f is null", call("isnull", tB, c(6)), false},
		{"false", bln(false), true},
		{"not (i = 9)", call("not", tB, cmp("=", c(0), i4(9))), false},
	} {
		sc := &plan.Scan{Table: &catalog.Table{Columns: cols}, Cols: proj, Filter: tc.pred}
		p := NewPruner(sc)
		pruned := p != nil && !p.MayMatch(func(ci int) storage.Bounds { return bounds[ci] })
		if pruned != tc.prune {
			t.Errorf("%s: pruned %v, want %v", tc.name, pruned, tc.prune)
		}
		// Without any statistics nothing is pruned, except what is
		// false whatever the rows.
		if p != nil && !p.MayMatch(func(ci int) storage.Bounds { return storage.Unknown(10) }) &&
			tc.name != "false" && tc.name != "i = NULL" {
			t.Errorf("%s: pruned without statistics", tc.name)
		}
	}
}
