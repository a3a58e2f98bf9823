package executor

import (
	"reflect"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

func TestNumericFunctions(t *testing.T) {
	runExprCases(t, []exprCase{
		// fixed scale in, fixed scale out
		{name: "round half up", e: call("round", tNum(0), num(25, 1)), want: "3"},
		{name: "round half away neg", e: call("round", tNum(0), num(-25, 1)), want: "-3"},
		{name: "round k=1", e: call("round", tNum(1), num(-145, 2), i4(1)), want: "-1.5"},
		{name: "round k<0", e: call("round", tNum(0), num(-1250, 0), i4(-2)), want: "-1300"},
		{name: "round k>scale", e: call("round", tNum(3), num(15, 1), i4(3)), want: "1.500"},
		{name: "round k far below", e: call("round", tNum(0), num(12345, 2), i4(-25)), want: "0"},
		{name: "trunc", e: call("trunc", tNum(1), num(-2789, 3), i4(1)), want: "-2.7"},
		{name: "trunc k<0", e: call("trunc", tNum(0), num(12345, 1), i4(-2)), want: "1200"},
		{name: "ceil", e: call("ceil", tNum(0), num(-15, 1)), want: "-1"},
		{name: "floor", e: call("floor", tNum(0), num(-1, 3)), want: "-1"},
		{name: "sign", e: call("sign", tNum(0), num(-32, 1)), want: "-1"},
		// dynamic
		{name: "dyn round", e: call("round", tDyn, dyn("2.4999999999999999999999"), i4(0)), want: "2"},
		{name: "dyn round carry", e: call("round", tDyn, dyn("-99.995"), i4(2)), want: "-100.00"},
		{name: "dyn round to zero", e: call("round", tDyn, dyn("-0.0049"), i4(2)), want: "0.00"},
		{name: "dyn round k<0", e: call("round", tDyn, dyn("123456789012345678901234.5"), i4(-3)), want: "123456789012345678901000"},
		{name: "dyn ceil", e: call("ceil", tDyn, dyn("0.0000000000000000000001")), want: "1"},
		{name: "dyn floor", e: call("floor", tDyn, dyn("-0.5")), want: "-1"},
		{name: "dyn trunc grows", e: call("trunc", tDyn, dyn("1.5"), i4(3)), want: "1.500"},
		{name: "dyn sign", e: call("sign", tDyn, dyn("-0.001")), want: "-1"},
		{name: "div", e: call("div", tDyn, num(-75, 1), num(2, 0)), want: "-3"},
		{name: "div zero", e: call("div", tDyn, num(1, 0), num(0, 0)), code: "22012"},
		{name: "sqrt", e: call("sqrt", tDyn, num(20, 1)), want: "1.414213562373095"},
		{name: "sqrt scale", e: call("sqrt", tDyn, num(1, 4)), want: "0.01000000000000000"},
		{name: "sqrt neg", e: call("sqrt", tDyn, num(-1, 0)), code: "2201F"},
		{name: "exp", e: call("exp", tDyn, num(10, 1)), want: "2.7182818284590452"},
		{name: "exp 10", e: call("exp", tDyn, num(100, 1)), want: "22026.465794806717"},
		{name: "ln", e: call("ln", tDyn, num(105, 2)), want: "0.048790164169432003"},
		{name: "ln small", e: call("ln", tDyn, num(1, 3)), want: "-6.9077552789821371"},
		{name: "ln zero", e: call("ln", tDyn, num(0, 1)), code: "2201E"},
		{name: "log10", e: call("log10", tDyn, num(10000, 1)), want: "3.0000000000000000"},
		{name: "log base", e: call("log", tDyn, num(20, 1), num(100, 1)), want: "3.3219280948873623"},
		{name: "power int", e: call("power", tDyn, num(5, 1), num(20, 0)), want: "0.0000009536743164"},
		{name: "power neg int", e: call("power", tDyn, num(-20, 1), num(3, 0)), want: "-8.0000000000000000"},
		{name: "power inv", e: call("power", tDyn, num(20, 1), num(-3, 0)), want: "0.1250000000000000"},
		{name: "power frac", e: call("power", tDyn, num(11, 1), num(25, 1)), want: "1.2690587062858834"},
		{name: "power complex", e: call("power", tDyn, num(-80, 1), num(5, 1)), code: "2201F"},
		{name: "power zero neg", e: call("power", tDyn, num(0, 1), num(-1, 0)), code: "2201F"},
		// float8
		{name: "f round even", e: call("round", tF8, f8(2.5)), want: 2.0},
		{name: "f round even 2", e: call("round", tF8, f8(3.5)), want: 4.0},
		{name: "f trunc", e: call("trunc", tF8, f8(-2.7)), want: -2.0},
		{name: "f sign", e: call("sign", tF8, f8(-0.1)), want: -1.0},
		{name: "f sqrt neg", e: call("sqrt", tF8, f8(-1)), code: "2201F"},
		{name: "f ln zero", e: call("ln", tF8, f8(0)), code: "2201E"},
		{name: "f ln neg", e: call("log10", tF8, f8(-1)), code: "2201E"},
		{name: "f exp overflow", e: call("exp", tF8, f8(1000)), code: "22003"},
		{name: "f power complex", e: call("power", tF8, f8(-8), f8(0.5)), code: "2201F"},
		{name: "f power", e: call("power", tF8, f8(2), f8(10)), want: 1024.0},
		{name: "f null sqrt", e: call("sqrt", tF8, null(tF8)), want: nil},
	})
}

func TestNumericFunctionsColumns(t *testing.T) {
	b := mkBatch([]catalog.Type{tNum(3), tI4, tF8},
		[]any{2500, 1, -2.5}, []any{nil, 2, nil}, []any{-499, nil, 0.0}, []any{1234565, -1, 1e300})
	for _, c := range []struct {
		e    *plan.Expr
		want []any
	}{
		{call("round", tNum(1), col(0, tNum(3)), i4(1)), []any{"2.5", nil, "-0.5", "1234.6"}},
		{call("round", tDyn, col(0, tNum(3)), col(1, tI4)), []any{"2.5", nil, nil, "1230"}},
		{call("ceil", tNum(0), col(0, tNum(3))), []any{"3", nil, "0", "1235"}},
		{call("round", tF8, col(2, tF8)), []any{-2.0, nil, 0.0, 1e300}},
		{call("sqrt", tF8, col(2, tF8)), nil}, // -2.5: error
		{call("ln", tF8, col(2, tF8)), nil},   // -2.5: error
	} {
		got, err := evalExpr(c.e, b)
		if c.want == nil {
			if err == nil {
				t.Errorf("%s: no error", c.e.Op)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.e.Op, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.e.Op, got, c.want)
		}
	}
}

func TestStringFuncs(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "btrim", e: call("btrim", tT, txt("  a b  ")), want: "a b"},
		{name: "ltrim chars", e: call("ltrim", tT, txt("ééaé"), txt("é")), want: "aé"},
		{name: "rtrim chars", e: call("rtrim", tT, txt("xaxyyx"), txt("xy")), want: "xa"},
		{name: "strpos", e: call("strpos", tI4, txt("héllo"), txt("l")), want: int64(3)},
		{name: "strpos empty", e: call("strpos", tI4, txt("abc"), txt("")), want: int64(1)},
		{name: "strpos none", e: call("strpos", tI4, txt("abc"), txt("z")), want: int64(0)},
		{name: "octet_length", e: call("octet_length", tI4, txt("hé")), want: int64(3)},
		{name: "octet_length char", e: call("octet_length", tI4, plan.ConstOf(tChar(4), plan.Datum{S: "é"})), want: int64(5)},
		{name: "concat nulls", e: call("concat_func", tT, txt("a"), null(tT), txt("b")), want: "ab"},
		{name: "concat bool char", e: call("concat_func", tT, bln(true), plan.ConstOf(tChar(3), plan.Datum{S: "x"}), txt("|")), want: "tx  |"},
		{name: "concat_ws", e: call("concat_ws", tT, txt(","), txt("a"), null(tT), txt("b")), want: "a,b"},
		{name: "concat_ws null sep", e: call("concat_ws", tT, null(tT), txt("a")), want: nil},
		{name: "replace", e: call("replace", tT, txt("abcabc"), txt("bc"), txt("X")), want: "aXaX"},
		{name: "replace empty", e: call("replace", tT, txt("abc"), txt(""), txt("X")), want: "abc"},
		{name: "left", e: call("left", tT, txt("héllo"), i4(2)), want: "hé"},
		{name: "left neg", e: call("left", tT, txt("héllo"), i4(-2)), want: "hél"},
		{name: "right", e: call("right", tT, txt("héllo"), i4(4)), want: "éllo"},
		{name: "right neg", e: call("right", tT, txt("héllo"), i4(-4)), want: "o"},
		{name: "right big neg", e: call("right", tT, txt("ab"), i4(-9)), want: ""},
		{name: "lpad", e: call("lpad", tT, txt("ab"), i4(5), txt("éx")), want: "éxéab"},
		{name: "rpad trunc", e: call("rpad", tT, txt("héllo"), i4(2)), want: "hé"},
		{name: "lpad empty fill", e: call("lpad", tT, txt("ab"), i4(5), txt("")), want: "ab"},
		{name: "reverse", e: call("reverse", tT, txt("héllo")), want: "olléh"},
		{name: "repeat", e: call("repeat", tT, txt("ab"), i4(3)), want: "ababab"},
		{name: "repeat neg", e: call("repeat", tT, txt("ab"), i4(-1)), want: ""},
		{name: "split_part", e: call("split_part", tT, txt("a,b,,c"), txt(","), i4(2)), want: "b"},
		{name: "split_part neg", e: call("split_part", tT, txt("a,b,,c"), txt(","), i4(-1)), want: "c"},
		{name: "split_part past", e: call("split_part", tT, txt("a,b"), txt(","), i4(-3)), want: ""},
		{name: "split_part zero", e: call("split_part", tT, txt("a,b"), txt(","), i4(0)), code: "22023"},
		{name: "starts_with", e: call("starts_with", tB, txt("abc"), txt("ab")), want: true},
		{name: "initcap", e: call("initcap", tT, txt("hello wORLD 2nd-try")), want: "Hello World 2nd-Try"},
		{name: "initcap C locale", e: call("initcap", tT, txt("élan")), want: "éLan"},
		{name: "md5", e: call("md5", tT, txt("")), want: "d41d8cd98f00b204e9800998ecf8427e"},
		{name: "greatest", e: call("greatest", tI4, i4(1), null(tI4), i4(3)), want: int64(3)},
		{name: "least text", e: call("least", tT, txt("b"), txt("a"), null(tT)), want: "a"},
		{name: "greatest all null", e: call("greatest", tI4, null(tI4), null(tI4)), want: nil},
		{name: "greatest dyn", e: call("greatest", tDyn, dyn("1.50"), dyn("1.6")), want: "1.6"},
	})
}

func TestToCharAndDates(t *testing.T) {
	ts := func(s string) *plan.Expr { return cast(txt(s), tTS) }
	runExprCases(t, []exprCase{
		{name: "to_char ts", e: call("to_char", tT, ts("2024-01-05 13:04:09.5"), txt("YYYY-MM-DD HH24:MI:SS.MS")), want: "2024-01-05 13:04:09.500"},
		{name: "to_char names", e: call("to_char", tT, ts("2024-01-05 00:00:00"), txt("Day, Month DD")), want: "Friday   , January   05"},
		{name: "to_char FM", e: call("to_char", tT, ts("2024-01-05 00:00:00"), txt("FMDay, FMMonth FMDD HH12 AM Q")), want: "Friday, January 5 12 AM 1"},
		{name: "to_char quoted", e: call("to_char", tT, ts("2024-01-05 00:00:00"), txt(`"Year" YYYY`)), want: "Year 2024"},
		{name: "to_char num", e: call("to_char", tT, num(123456, 2), txt("999,999.99")), want: "   1,234.56"},
		{name: "to_char num neg", e: call("to_char", tT, num(-5, 0), txt("999")), want: "  -5"},
		{name: "to_char num overflow", e: call("to_char", tT, num(12345, 0), txt("999")), want: " ###"},
		{name: "to_char num FM", e: call("to_char", tT, num(15, 1), txt("FM9990.00")), want: "1.50"},
		{name: "to_char num zeros", e: call("to_char", tT, i4(7), txt("0000")), want: " 0007"},
		{name: "to_char literals", e: call("to_char", tT, num(-5, 0), txt(`$"x"99\9`)), want: "$x -59"},
		{name: "to_char S unsupported", e: call("to_char", tT, num(5, 0), txt("S999")), code: "0A000"},
		{name: "to_char float", e: call("to_char", tT, f8(2.25), txt("9.9")), want: " 2.2"}, // printf: exact binary value, ties to even,
		{name: "to_date", e: call("to_date", tD, txt("2024-3-5"), txt("YYYY-MM-DD")), want: "2024-03-05"},
		{name: "to_date names", e: call("to_date", tD, txt("march 5 2024"), txt("Month DD YYYY")), want: "2024-03-05"},
		{name: "to_date bad", e: call("to_date", tD, txt("2024-02-30"), txt("YYYY-MM-DD")), code: "22008"},
		{name: "to_date junk", e: call("to_date", tD, txt("2024-xx-01"), txt("YYYY-MM-DD")), code: "22007"},
		{name: "make_date", e: call("make_date", tD, i4(2024), i4(2), i4(29)), want: "2024-02-29"},
		{name: "make_date bc", e: call("make_date", tD, i4(-1), i4(1), i4(1)), want: "0001-01-01 BC"},
		{name: "make_date bad", e: call("make_date", tD, i4(2023), i4(2), i4(29)), code: "22008"},
		{name: "trunc week", e: call("date_trunc", tTS, txt("week"), ts("2024-01-07 10:00:00")), want: "2024-01-01 00:00:00"},
		{name: "trunc quarter", e: call("date_trunc", tTS, txt("quarter"), ts("2024-08-07 10:00:00")), want: "2024-07-01 00:00:00"},
		{name: "trunc century", e: call("date_trunc", tTS, txt("century"), ts("2000-12-31 10:00:00")), want: "1901-01-01 00:00:00"},
		{name: "trunc before 2000", e: call("date_trunc", tTS, txt("hour"), ts("1999-12-31 23:59:59.9")), want: "1999-12-31 23:00:00"},
	})
}

// TestFuncKernelsDoNotAllocate checks that the string and numeric kernels
// reuse their buffers batch after batch.
func TestFuncKernelsDoNotAllocate(t *testing.T) {
	types := []catalog.Type{tT, tNum(2), tI4, tTS}
	var rows [][]any
	for i := range vec.BatchSize {
		rows = append(rows, []any{"héllo, wörld", int64(i*37 - 5000), i % 7, int64(i-300) * 28_800_000_123})
	}
	b := mkBatch(types, rows...)
	for _, e := range []*plan.Expr{
		call("lpad", tT, col(0, tT), i4(20), txt("*")),
		call("replace", tT, col(0, tT), txt("l"), txt("LL")),
		call("btrim", tT, col(0, tT), txt("hd")),
		call("split_part", tT, col(0, tT), txt(","), i4(2)),
		call("concat_ws", tT, txt("-"), col(0, tT), txt("x")),
		call("round", tNum(1), col(1, tNum(2)), i4(1)),
		call("round", tDyn, col(1, tNum(2)), col(2, tI4)),
		call("to_char", tT, col(1, tNum(2)), txt("FM999,990.00")),
		call("greatest", tI4, col(2, tI4), i4(3)),
		call("to_char", tT, col(3, tTS), txt("FMDay, DD Mon YYYY HH24:MI:SS.US")),
		call("date_trunc", tTS, txt("week"), col(3, tTS)),
		call("strpos", tI4, col(0, tT), txt("wö")),
	} {
		ev, err := Compile(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Op, err)
		}
		if _, err := ev.Eval(b); err != nil {
			t.Fatalf("%s: %v", e.Op, err)
		}
		if n := testing.AllocsPerRun(10, func() { ev.Eval(b) }); n > 0 {
			t.Errorf("%s %v: %v allocations per batch", e.Op, e.Type, n)
		}
	}
}

func TestStringAgg(t *testing.T) {
	types := []catalog.Type{tI4, tT, tT}
	data := mkBatch(types,
		[]any{1, "b", ","}, []any{2, "x", ";"}, []any{1, nil, ","}, []any{1, "a", "-"},
		[]any{2, "y", nil}, []any{3, nil, ","}, []any{1, "c", ","})
	arg := func(keys ...*plan.Expr) *plan.Expr {
		return call("string_agg", tT, append([]*plan.Expr{col(1, tT), col(2, tT)}, keys...)...)
	}
	// Arrival order, per-row delimiters, NULL values skipped, NULL
	// delimiter empty, a group of NULLs is NULL.
	sa := &plan.AggCall{Func: "string_agg", Arg: arg(), Type: tT}
	rows := runPlan(t, aggNode(srcNode(types, splitBatches(data, 3)...), plan.Complete, []*plan.Expr{col(0, tI4)}, sa), testEnv)
	want := [][]any{{int64(1), "b-a,c"}, {int64(2), "xy"}, {int64(3), nil}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("string_agg: got %v, want %v", rows, want)
	}
	// ORDER BY value DESC.
	sa = &plan.AggCall{Func: "string_agg", Arg: arg(call("desc nulls first", tT, col(1, tT))), Type: tT}
	rows = runPlan(t, aggNode(srcNode(types, data), plan.Complete, []*plan.Expr{col(0, tI4)}, sa), testEnv)
	want = [][]any{{int64(1), "c,b-a"}, {int64(2), "y;x"}, {int64(3), nil}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("string_agg order by: got %v, want %v", rows, want)
	}
	// DISTINCT, ordered by the value.
	sa = &plan.AggCall{Func: "string_agg", Distinct: true, Arg: call("string_agg", tT, col(1, tT), txt(","), call("asc nulls last", tT, col(1, tT))), Type: tT}
	dup := mkBatch(types, []any{1, "b", nil}, []any{1, "a", nil}, []any{1, "b", nil}, []any{1, nil, nil}, []any{1, "a", nil})
	rows = runPlan(t, aggNode(srcNode(types, dup), plan.Complete, nil, sa), testEnv)
	if want := [][]any{{"a,b"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("string_agg(DISTINCT): got %v, want %v", rows, want)
	}
	// Two phases with a constant delimiter.
	two := &plan.AggCall{Func: "string_agg", Arg: call("string_agg", tT, col(1, tT), txt("/")), Type: tT}
	p1 := aggNode(srcNode(types, mkBatch(types, []any{1, "a", nil}, []any{2, "x", nil})), plan.Partial, nil, two)
	p2 := aggNode(srcNode(types, mkBatch(types, []any{1, "b", nil}, []any{3, nil, nil})), plan.Partial, nil, two)
	var parts []*vec.Batch
	for _, p := range []plan.Node{p1, p2} {
		op, err := Build(t.Context(), p, testEnv)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Drain(t.Context(), op)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, b)
	}
	final := aggNode(srcNode([]catalog.Type{tT}, parts...), plan.Final, nil, two)
	rows = runPlan(t, final, testEnv)
	if want := [][]any{{"a/x/b"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("string_agg two phases: got %v, want %v", rows, want)
	}
}
