package executor

import (
	"math"
	"reflect"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

type exprCase struct {
	name string
	e    *plan.Expr
	want any    // rendered value (see render)
	code string // expected SQLSTATE instead of a value
	msg  string // expected message, if set
}

func runExprCases(t *testing.T, cases []exprCase) {
	t.Helper()
	for _, c := range cases {
		got, err := evalConst(c.e)
		if c.code != "" {
			if codeOf(err) != c.code {
				t.Errorf("%s: got %v (err %v), want SQLSTATE %s", c.name, got, err, c.code)
			} else if c.msg != "" && err.Error() != c.msg {
				t.Errorf("%s: message %q, want %q", c.name, err.Error(), c.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, got, c.want)
		}
	}
}

func TestIntArithmetic(t *testing.T) {
	i2 := func(v int64) *plan.Expr { return cI(tI2, v) }
	runExprCases(t, []exprCase{
		{name: "add", e: call("+", tI4, i4(2), i4(3)), want: int64(5)},
		{name: "int4 overflow", e: call("+", tI4, i4(math.MaxInt32), i4(1)), code: "22003", msg: "integer out of range"},
		{name: "int4 mul overflow", e: call("*", tI4, i4(65536), i4(65536)), code: "22003", msg: "integer out of range"},
		{name: "int2 overflow", e: call("*", tI2, i2(300), i2(300)), code: "22003", msg: "smallint out of range"},
		{name: "int8 overflow", e: call("+", tI8, i8(math.MaxInt64), i8(1)), code: "22003", msg: "bigint out of range"},
		{name: "int8 sub overflow", e: call("-", tI8, i8(math.MinInt64), i8(1)), code: "22003", msg: "bigint out of range"},
		{name: "int8 mul overflow", e: call("*", tI8, i8(math.MinInt64), i8(-1)), code: "22003"},
		{name: "int8 mul big", e: call("*", tI8, i8(3037000500), i8(3037000500)), code: "22003"},
		{name: "int8 mul ok", e: call("*", tI8, i8(-3037000499), i8(3037000499)), want: int64(-9223372030926249001)},
		{name: "int8 div overflow", e: call("/", tI8, i8(math.MinInt64), i8(-1)), code: "22003", msg: "bigint out of range"},
		{name: "int4 div overflow", e: call("/", tI4, i4(math.MinInt32), i4(-1)), code: "22003", msg: "integer out of range"},
		{name: "div trunc", e: call("/", tI4, i4(-7), i4(2)), want: int64(-3)},
		{name: "mod sign", e: call("%", tI4, i4(-7), i4(2)), want: int64(-1)},
		{name: "mod neg divisor", e: call("%", tI4, i4(7), i4(-2)), want: int64(1)},
		{name: "mod min -1", e: call("%", tI8, i8(math.MinInt64), i8(-1)), want: int64(0)},
		{name: "div by zero", e: call("/", tI4, i4(1), i4(0)), code: "22012", msg: "division by zero"},
		{name: "mod by zero", e: call("%", tI4, i4(1), i4(0)), code: "22012"},
		{name: "neg", e: call("neg", tI4, i4(5)), want: int64(-5)},
		{name: "neg overflow", e: call("neg", tI4, i4(math.MinInt32)), code: "22003", msg: "integer out of range"},
		{name: "abs", e: call("abs", tI4, i4(-5)), want: int64(5)},
		{name: "abs overflow", e: call("abs", tI4, i4(math.MinInt32)), code: "22003"},
		{name: "null arg", e: call("+", tI4, i4(1), null(tI4)), want: nil},
		{name: "null div zero", e: call("/", tI4, null(tI4), i4(0)), want: nil},
		{name: "date + int", e: call("+", tD, cI(tD, 0), i4(31)), want: "2000-02-01"},
		{name: "date - date", e: call("-", tI4, cI(tD, 10), cI(tD, 3)), want: int64(7)},
	})
}

func TestIntArithmeticColumns(t *testing.T) {
	b := mkBatch([]catalog.Type{tI4, tI4},
		[]any{10, 2}, []any{nil, 0}, []any{7, nil}, []any{-9, 3})
	// NULL slots hold junk: make sure a 0 divisor under NULL does not fail
	// and junk under NULL does not overflow.
	b.Cols[0].I64[1] = math.MaxInt32
	for _, tc := range []struct {
		e    *plan.Expr
		want []any
	}{
		{call("/", tI4, col(0, tI4), col(1, tI4)), []any{int64(5), nil, nil, int64(-3)}},
		{call("+", tI4, col(0, tI4), col(1, tI4)), []any{int64(12), nil, nil, int64(-6)}},
		{call("*", tI4, col(0, tI4), i4(2)), []any{int64(20), nil, int64(14), int64(-18)}},
		{call("-", tI4, i4(100), col(0, tI4)), []any{int64(90), nil, int64(93), int64(109)}},
		{call("%", tI4, col(0, tI4), col(1, tI4)), []any{int64(0), nil, nil, int64(0)}},
		{call("/", tI4, col(0, tI4), i4(-1)), []any{int64(-10), nil, int64(-7), int64(9)}},
	} {
		got, err := evalExpr(tc.e, b)
		if err != nil {
			t.Fatalf("%v: %v", tc.e.Op, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.e.Op, got, tc.want)
		}
	}
	// A real zero divisor fails.
	b2 := mkBatch([]catalog.Type{tI4}, []any{1}, []any{0})
	if _, err := evalExpr(call("/", tI4, i4(5), col(0, tI4)), b2); codeOf(err) != "22012" {
		t.Errorf("div by zero column: %v", err)
	}
	if _, err := evalExpr(call("*", tI4, col(0, tI4), i4(math.MaxInt32)), mkBatch([]catalog.Type{tI4}, []any{2})); codeOf(err) != "22003" {
		t.Errorf("overflow column: %v", err)
	}
}

func TestNumericArithmetic(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "add scales", e: call("+", tNum(2), num(125, 2), num(5, 1)), want: "1.75"},
		{name: "sub scales", e: call("-", tNum(2), num(5, 1), num(125, 2)), want: "-0.75"},
		{name: "add int", e: call("+", tNum(2), num(125, 2), i4(1)), want: "2.25"},
		{name: "mul", e: call("*", tNum(3), num(125, 2), num(5, 1)), want: "0.625"},
		{name: "mul round", e: call("*", tNum(2), num(125, 2), num(5, 1)), want: "0.63"},
		{name: "mul round neg", e: call("*", tNum(2), num(-125, 2), num(5, 1)), want: "-0.63"},
		{name: "mul upscale", e: call("*", tNum(4), num(125, 2), num(5, 1)), want: "0.6250"},
		{name: "mul tpch", e: call("*", tNum(4), num(9000000, 2), call("-", tNum(2), i4(1), num(5, 2))), want: "85500.0000"},
		{name: "div", e: call("/", tNum(4), num(2, 0), num(3, 0)), want: "0.6667"},
		{name: "div neg", e: call("/", tNum(4), num(-2, 0), num(3, 0)), want: "-0.6667"},
		{name: "div 16", e: call("/", tNum(16), num(1, 0), num(3, 0)), want: "0.3333333333333333"},
		{name: "div scales", e: call("/", tNum(6), num(100, 2), num(3, 1)), want: "3.333333"},
		{name: "div half", e: call("/", tNum(0), num(5, 0), num(2, 0)), want: "3"},
		{name: "div half neg", e: call("/", tNum(0), num(-5, 0), num(2, 0)), want: "-3"},
		{name: "div downscale", e: call("/", tNum(0), num(1234, 3), num(1, 3)), want: "1234"},
		{name: "div by zero", e: call("/", tNum(2), num(1, 0), num(0, 2)), code: "22012"},
		{name: "div overflow", e: call("/", tNum(10), num(math.MaxInt64, 0), num(1, 2)), code: "22003"},
		{name: "mod", e: call("%", tNum(1), num(75, 1), num(2, 0)), want: "1.5"},
		{name: "add overflow", e: call("+", tNum(0), num(math.MaxInt64, 0), num(1, 0)), code: "22003", msg: "value overflows numeric format"},
		{name: "mul overflow", e: call("*", tNum(4), num(math.MaxInt64/10, 2), num(1000, 2)), code: "22003"},
		{name: "neg", e: call("neg", tNum(2), num(150, 2)), want: "-1.50"},
		{name: "abs", e: call("abs", tNum(2), num(-150, 2)), want: "1.50"},
	})
}

func TestFloatArithmetic(t *testing.T) {
	a, b := 0.1, 0.2
	runExprCases(t, []exprCase{
		{name: "add", e: call("+", tF8, f8(0.1), f8(0.2)), want: a + b},
		{name: "div", e: call("/", tF8, f8(1), f8(4)), want: 0.25},
		{name: "div zero", e: call("/", tF8, f8(1), f8(0)), code: "22012"},
		{name: "overflow", e: call("*", tF8, f8(1e308), f8(10)), code: "22003"},
		{name: "inf ok", e: call("+", tF8, f8(math.Inf(1)), f8(1)), want: math.Inf(1)},
		{name: "int promoted", e: call("*", tF8, f8(1.5), i4(2)), want: 3.0},
		{name: "float4", e: call("+", tF4, plan.ConstOf(tF4, plan.Datum{F: 0.1}), plan.ConstOf(tF4, plan.Datum{F: 0.2})), want: float64(float32(a + b))},
		{name: "neg", e: call("neg", tF8, f8(2)), want: -2.0},
	})
}

func TestCasts(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "int8→int4", e: cast(i8(5), tI4), want: int64(5)},
		{name: "int8→int4 overflow", e: cast(i8(1<<40), tI4), code: "22003", msg: "integer out of range"},
		{name: "int4→int2 overflow", e: cast(i4(40000), tI2), code: "22003", msg: "smallint out of range"},
		{name: "int→numeric", e: cast(i4(5), tNumP(5, 2)), want: "5.00"},
		{name: "int→numeric overflow", e: cast(i4(1000), tNumP(5, 2)), code: "22003", msg: "numeric field overflow"},
		{name: "numeric round", e: cast(num(123456, 3), tNumP(5, 2)), want: "123.46"},
		{name: "numeric round neg", e: cast(num(-5, 3), tNumP(3, 2)), want: "-0.01"},
		{name: "numeric round to overflow", e: cast(num(999995, 3), tNumP(5, 2)), code: "22003"},
		{name: "numeric upscale", e: cast(num(15, 1), tNum(3)), want: "1.500"},
		{name: "numeric→int half", e: cast(num(25, 1), tI4), want: int64(3)},
		{name: "numeric→int half neg", e: cast(num(-25, 1), tI4), want: int64(-3)},
		{name: "numeric→int down", e: cast(num(24, 1), tI4), want: int64(2)},
		{name: "numeric→int overflow", e: cast(num(30000000000, 1), tI4), code: "22003"},
		{name: "numeric→float", e: cast(num(125, 2), tF8), want: 1.25},
		{name: "float→int even", e: cast(f8(2.5), tI4), want: int64(2)},
		{name: "float→int even 3.5", e: cast(f8(3.5), tI4), want: int64(4)},
		{name: "float→int neg", e: cast(f8(-2.5), tI4), want: int64(-2)},
		{name: "float→int overflow", e: cast(f8(1e10), tI4), code: "22003", msg: "integer out of range"},
		{name: "float→int8 overflow", e: cast(f8(9.3e18), tI8), code: "22003", msg: "bigint out of range"},
		{name: "float→int NaN", e: cast(f8(math.NaN()), tI4), code: "22003"},
		{name: "float→numeric", e: cast(f8(2.675), tNumP(10, 2)), want: "2.68"},
		{name: "float→numeric 0.1", e: cast(f8(0.1), tNum(3)), want: "0.100"},
		{name: "float8→float4", e: cast(f8(0.1), tF4), want: float64(float32(0.1))},
		{name: "float8→float4 overflow", e: cast(f8(1e300), tF4), code: "22003"},
		{name: "bool→int", e: cast(bln(true), tI4), want: int64(1)},
		{name: "int→bool", e: cast(i4(0), tB), want: false},
		{name: "date→timestamp", e: cast(cI(tD, 1), tTS), want: "2000-01-02 00:00:00"},
		{name: "timestamp→date", e: cast(cI(tTS, -1), tD), want: "1999-12-31"},
		{name: "null→int", e: cast(null(tUnk), tI4), want: nil},
		{name: "unknown literal→int", e: cast(plan.ConstOf(tUnk, plan.Datum{S: "42"}), tI4), want: int64(42)},
	})
}

func TestTextCasts(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "int→text", e: cast(i4(-42), tT), want: "-42"},
		{name: "numeric→text", e: cast(num(150, 2), tT), want: "1.50"},
		{name: "numeric small→text", e: cast(num(-5, 3), tT), want: "-0.005"},
		{name: "float→text", e: cast(f8(0.1), tT), want: "0.1"},
		{name: "float big→text", e: cast(f8(1e15), tT), want: "1e+15"},
		{name: "float 15 digits→text", e: cast(f8(123456789012345), tT), want: "123456789012345"},
		{name: "float small→text", e: cast(f8(0.00001234), tT), want: "1.234e-05"},
		{name: "float 1e-4→text", e: cast(f8(0.0001), tT), want: "0.0001"},
		{name: "float nan", e: cast(f8(math.NaN()), tT), want: "NaN"},
		{name: "float inf", e: cast(f8(math.Inf(-1)), tT), want: "-Infinity"},
		{name: "float4 →text", e: cast(plan.ConstOf(tF4, plan.Datum{F: float64(float32(1234567))}), tT), want: "1.234567e+06"},
		{name: "bool→text", e: cast(bln(true), tT), want: "true"},
		{name: "date→text", e: cast(cI(tD, -486), tT), want: "1998-09-02"},
		{name: "date BC", e: cast(cI(tD, daysFromCivil(0, 1, 1)), tT), want: "0001-01-01 BC"},
		{name: "timestamp→text", e: cast(cI(tTS, 1_500_000), tT), want: "2000-01-01 00:00:01.5"},
		{name: "text→int", e: cast(txt(" 42 "), tI4), want: int64(42)},
		{name: "text→int bad", e: cast(txt("4x"), tI4), code: "22P02", msg: `invalid input syntax for type integer: "4x"`},
		{name: "text→int range", e: cast(txt("3000000000"), tI4), code: "22003", msg: `value "3000000000" is out of range for type integer`},
		{name: "text→int8 min", e: cast(txt("-9223372036854775808"), tI8), want: int64(math.MinInt64)},
		{name: "text→int8 over", e: cast(txt("9223372036854775808"), tI8), code: "22003"},
		{name: "text→numeric", e: cast(txt("1.005"), tNumP(5, 2)), want: "1.01"},
		{name: "text→numeric exp", e: cast(txt("1e2"), tNumP(5, 2)), want: "100.00"},
		{name: "text→numeric neg", e: cast(txt("-.5"), tNum(0)), want: "-1"},
		{name: "text→numeric overflow", e: cast(txt("1000"), tNumP(5, 2)), code: "22003", msg: "numeric field overflow"},
		{name: "text→numeric bad", e: cast(txt("1.2.3"), tNum(2)), code: "22P02"},
		{name: "text→float", e: cast(txt("1.5e3"), tF8), want: 1500.0},
		{name: "text→float inf", e: cast(txt("-Infinity"), tF8), want: math.Inf(-1)},
		{name: "text→float bad", e: cast(txt("abc"), tF8), code: "22P02"},
		{name: "text→bool", e: cast(txt("yes"), tB), want: true},
		{name: "text→bool off", e: cast(txt("OFF"), tB), want: false},
		{name: "text→bool bad", e: cast(txt("o"), tB), code: "22P02"},
		{name: "text→date", e: cast(txt("1998-09-02"), tD), want: "1998-09-02"},
		{name: "text→date leap", e: cast(txt("2000-02-29"), tD), want: "2000-02-29"},
		{name: "text→date bad day", e: cast(txt("1999-02-29"), tD), code: "22008"},
		{name: "text→date bad", e: cast(txt("yesterday-ish"), tD), code: "22007"},
		{name: "text→timestamp", e: cast(txt("1998-09-02 10:11:12.5"), tTS), want: "1998-09-02 10:11:12.5"},
		{name: "text→timestamp T zone", e: cast(txt("1998-09-02T10:11:12+00"), tTS), want: "1998-09-02 10:11:12"},
		{name: "text→char pad", e: cast(txt("ab"), tChar(4)), want: "ab  "},
		{name: "text→char trunc", e: cast(txt("abcdef"), tChar(3)), want: "abc"},
		{name: "text→char utf8", e: cast(txt("héllo"), tChar(2)), want: "hé"},
		{name: "char→text strips", e: cast(plan.ConstOf(tChar(4), plan.Datum{S: "ab  "}), tT), want: "ab"},
		{name: "text→varchar trunc", e: cast(txt("abc"), tVarc(2)), want: "ab"},
		{name: "int→char", e: cast(i4(7), tChar(3)), want: "7  "},
	})
}

func TestComparisons(t *testing.T) {
	ch := func(s string, n int32) *plan.Expr { return plan.ConstOf(tChar(n), plan.Datum{S: s}) }
	runExprCases(t, []exprCase{
		{name: "int lt", e: call("<", tB, i4(1), i4(2)), want: true},
		{name: "int8 vs int4", e: call("=", tB, i8(2), i4(2)), want: true},
		{name: "numeric scales", e: call("=", tB, num(150, 2), num(15, 1)), want: true},
		{name: "numeric vs int", e: call(">", tB, num(150, 2), i4(1)), want: true},
		{name: "text", e: call("<", tB, txt("abc"), txt("abd")), want: true},
		{name: "text bytewise", e: call("<", tB, txt("B"), txt("a")), want: true},
		{name: "text prefix", e: call("<", tB, txt("ab"), txt("abc")), want: true},
		{name: "text ne", e: call("<>", tB, txt("a"), txt("a")), want: false},
		{name: "bpchar trailing", e: call("=", tB, ch("a  ", 3), ch("a", 1)), want: true},
		{name: "bpchar vs text", e: call("=", tB, ch("a  ", 3), txt("a")), want: true},
		{name: "null", e: call("=", tB, i4(1), null(tI4)), want: nil},
		{name: "nan eq", e: call("=", tB, f8(math.NaN()), f8(math.NaN())), want: true},
		{name: "nan gt", e: call(">", tB, f8(math.NaN()), f8(math.Inf(1))), want: true},
		{name: "float vs int", e: call("<", tB, f8(1.5), i4(2)), want: true},
		{name: "bool", e: call("<", tB, bln(false), bln(true)), want: true},
		{name: "date vs ts", e: call("<", tB, cI(tD, 1), cI(tTS, usecPerDay+1)), want: true},
	})
}

func TestLogic(t *testing.T) {
	T, F, N := bln(true), bln(false), null(tB)
	vals := []*plan.Expr{T, F, N}
	v := func(e *plan.Expr) any {
		if e.Value.Null {
			return nil
		}
		return e.Value.B
	}
	for _, a := range vals {
		for _, b := range vals {
			va, vb := v(a), v(b)
			// Expected, by SQL's three-valued logic.
			var and, or any
			switch {
			case va == false || vb == false:
				and = false
			case va == nil || vb == nil:
				and = nil
			default:
				and = true
			}
			switch {
			case va == true || vb == true:
				or = true
			case va == nil || vb == nil:
				or = nil
			default:
				or = false
			}
			runExprCases(t, []exprCase{
				{name: "and", e: call("and", tB, a, b), want: and},
				{name: "or", e: call("or", tB, a, b), want: or},
			})
		}
	}
	runExprCases(t, []exprCase{
		{name: "not null", e: call("not", tB, N), want: nil},
		{name: "not", e: call("not", tB, T), want: false},
		{name: "isnull", e: call("isnull", tB, N), want: true},
		{name: "isnotnull", e: call("isnotnull", tB, i4(1)), want: true},
		{name: "and3", e: call("and", tB, T, T, F), want: false},
	})
	// Column versions, with NULLs, against the scalar results.
	b := mkBatch([]catalog.Type{tB, tB},
		[]any{true, true}, []any{true, false}, []any{true, nil},
		[]any{false, true}, []any{false, false}, []any{false, nil},
		[]any{nil, true}, []any{nil, false}, []any{nil, nil})
	gotAnd, err := evalExpr(call("and", tB, col(0, tB), col(1, tB)), b)
	if err != nil {
		t.Fatal(err)
	}
	gotOr, err := evalExpr(call("or", tB, col(0, tB), col(1, tB)), b)
	if err != nil {
		t.Fatal(err)
	}
	wantAnd := []any{true, false, nil, false, false, false, nil, false, nil}
	wantOr := []any{true, true, true, true, false, nil, true, nil, nil}
	if !reflect.DeepEqual(gotAnd, wantAnd) || !reflect.DeepEqual(gotOr, wantOr) {
		t.Errorf("and %v\nor %v", gotAnd, gotOr)
	}
}

func TestLazyEvaluation(t *testing.T) {
	b := mkBatch([]catalog.Type{tI4}, []any{0}, []any{5}, []any{nil}, []any{-2})
	x := col(0, tI4)
	div := call("/", tI4, i4(10), x)
	// CASE WHEN x = 0 THEN 0 ELSE 10 / x END
	got, err := evalExpr(&plan.Expr{Kind: plan.Case, Type: tI4, Else: true,
		Args: []*plan.Expr{call("=", tB, x, i4(0)), i4(0), div}}, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{int64(0), int64(2), nil, int64(-5)}; !reflect.DeepEqual(got, want) {
		t.Errorf("case: %v, want %v", got, want)
	}
	// CASE without ELSE, several WHENs.
	got, err = evalExpr(&plan.Expr{Kind: plan.Case, Type: tT,
		Args: []*plan.Expr{call(">", tB, x, i4(1)), txt("big"), call("<", tB, x, i4(0)), txt("neg")}}, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{nil, "big", nil, "neg"}; !reflect.DeepEqual(got, want) {
		t.Errorf("case text: %v, want %v", got, want)
	}
	// x <> 0 AND 10 / x > 1
	got, err = evalExpr(call("and", tB, call("<>", tB, x, i4(0)), call(">", tB, div, i4(1))), b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{false, true, nil, false}; !reflect.DeepEqual(got, want) {
		t.Errorf("and: %v, want %v", got, want)
	}
	// x = 0 OR 10 / x > 1
	got, err = evalExpr(call("or", tB, call("=", tB, x, i4(0)), call(">", tB, div, i4(1))), b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{true, true, nil, false}; !reflect.DeepEqual(got, want) {
		t.Errorf("or: %v, want %v", got, want)
	}
	// coalesce(nullif-ish, 10 / x): the second argument only for NULL rows.
	b2 := mkBatch([]catalog.Type{tI4, tI4}, []any{1, 0}, []any{nil, 5}, []any{nil, nil})
	got, err = evalExpr(call("coalesce", tI4, col(0, tI4), call("/", tI4, i4(10), col(1, tI4)), i4(-1)), b2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{int64(1), int64(2), int64(-1)}; !reflect.DeepEqual(got, want) {
		t.Errorf("coalesce: %v, want %v", got, want)
	}
	// The same division unguarded fails.
	if _, err := evalExpr(div, b); codeOf(err) != "22012" {
		t.Errorf("unguarded division: %v", err)
	}
}

func TestFilterShortCircuit(t *testing.T) {
	b := mkBatch([]catalog.Type{tI4}, []any{0}, []any{5}, []any{nil}, []any{-2}, []any{1})
	x := col(0, tI4)
	f, err := NewBatchFilter(call("and", tB, call("<>", tB, x, i4(0)), call(">", tB, call("/", tI4, i4(10), x), i4(1))))
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Apply(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmtRows(rowsOf(out)), "5\n1\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	// All rows pass: the input comes back as is.
	f2, _ := NewBatchFilter(call("isnotnull", tB, i4(1)))
	if out, _ := f2.Apply(b); out != b {
		t.Error("all-pass filter copied")
	}
}

func TestLike(t *testing.T) {
	cases := []struct {
		s, p string
		op   string
		want any
	}{
		{"abc", "abc", "like", true},
		{"abc", "ab", "like", false},
		{"abc", "a%", "like", true},
		{"abc", "%c", "like", true},
		{"abc", "%b%", "like", true},
		{"abc", "%d%", "like", false},
		{"abc", "_b_", "like", true},
		{"abc", "__", "like", false},
		{"abc", "%", "like", true},
		{"", "%", "like", true},
		{"", "_", "like", false},
		{"", "", "like", true},
		{"a%c", `a\%c`, "like", true},
		{"abc", `a\%c`, "like", false},
		{"a_c", `a\_c`, "like", true},
		{`a\c`, `a\\c`, "like", true},
		{"aXbXc", "%X%X%", "like", true},
		{"aXbc", "%X%X%", "like", false},
		{"abcabc", "a%c", "like", true},
		{"abcab", "a%c", "like", false},
		{"ab", "a%b%", "like", true},
		{"aab", "a%ab", "like", true},
		{"ab", "a%ab", "like", false},
		{"Customer Foo Complaints", "%Customer%Complaints%", "like", true},
		{"héllo", "h_llo", "like", true},
		{"héllo", "h__llo", "like", false},
		{"xyz", "%y_", "like", true},
		{"xyzyz", "%y_", "like", true},
		{"xyzy", "%y_", "like", false},
		{"ABC", "a%", "like", false},
		{"ABC", "a%", "ilike", true},
		{"ÄBC", "ä_c", "ilike", true},
		{"abc", "a%", "notlike", false},
		{"abc", "x%", "notilike", true},
	}
	for _, c := range cases {
		got, err := evalConst(call(c.op, tB, txt(c.s), txt(c.p)))
		if err != nil {
			t.Errorf("%q %s %q: %v", c.s, c.op, c.p, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q %s %q = %v, want %v", c.s, c.op, c.p, got, c.want)
		}
	}
	if _, err := evalConst(call("like", tB, txt("a"), txt(`a\`))); codeOf(err) != "22025" {
		t.Errorf("trailing escape: %v", err)
	}
	if got, _ := evalConst(call("like", tB, txt("a"), null(tT))); got != nil {
		t.Errorf("null pattern: %v", got)
	}
	// char(n) LIKE sees the padding, as in PostgreSQL.
	if got, _ := evalConst(call("like", tB, plan.ConstOf(tChar(3), plan.Datum{S: "a  "}), txt("a"))); got != false {
		t.Errorf("char like: %v", got)
	}
	// Column pattern, varying per row.
	b := mkBatch([]catalog.Type{tT, tT}, []any{"abc", "a%"}, []any{"abc", "b%"}, []any{"abc", nil}, []any{nil, "%"}, []any{"xbc", "_b%"})
	got, err := evalExpr(call("like", tB, col(0, tT), col(1, tT)), b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{true, false, nil, nil, true}; !reflect.DeepEqual(got, want) {
		t.Errorf("column patterns: %v", got)
	}
}

func TestStringFunctions(t *testing.T) {
	ch := plan.ConstOf(tChar(5), plan.Datum{S: "ab   "})
	sub := func(s string, args ...int64) *plan.Expr {
		es := []*plan.Expr{txt(s)}
		for _, a := range args {
			es = append(es, i4(a))
		}
		return call("substr", tT, es...)
	}
	runExprCases(t, []exprCase{
		{name: "concat", e: call("concat", tT, txt("a"), txt("b"), txt("c")), want: "abc"},
		{name: "concat null", e: call("concat", tT, txt("a"), null(tT)), want: nil},
		{name: "concat char", e: call("concat", tT, ch, txt("x")), want: "abx"},
		{name: "concat int", e: call("concat", tT, txt("n"), i4(5)), want: "n5"},
		{name: "lower", e: call("lower", tT, txt("AbC")), want: "abc"},
		{name: "upper utf8", e: call("upper", tT, txt("äbc")), want: "ÄBC"},
		{name: "length", e: call("length", tI4, txt("héllo")), want: int64(5)},
		{name: "length char", e: call("length", tI4, ch), want: int64(2)},
		{name: "length null", e: call("length", tI4, null(tT)), want: nil},
		{name: "substr", e: sub("hello", 2, 3), want: "ell"},
		{name: "substr from 0", e: sub("hello", 0, 2), want: "h"},
		{name: "substr negative start", e: sub("hello", -1, 3), want: "h"},
		{name: "substr past end", e: sub("hello", 10), want: ""},
		{name: "substr no len", e: sub("hello", 2), want: "ello"},
		{name: "substr zero len", e: sub("hello", 2, 0), want: ""},
		{name: "substr long", e: sub("hello", 4, 100), want: "lo"},
		{name: "substr negative len", e: sub("hello", 1, -1), code: "22011", msg: "negative substring length not allowed"},
		{name: "substr utf8", e: sub("héllo", 2, 2), want: "él"},
		{name: "substr big", e: sub("hello", 2, math.MaxInt32), want: "ello"},
		{name: "coalesce", e: call("coalesce", tI4, null(tI4), i4(2), i4(3)), want: int64(2)},
		{name: "coalesce all null", e: call("coalesce", tI4, null(tI4), null(tI4)), want: nil},
		{name: "extract year", e: call("extract", tNum(0), txt("year"), cI(tD, -486)), want: "1998"},
		{name: "extract month", e: call("date_part", tF8, txt("month"), cI(tD, -486)), want: 9.0},
		{name: "extract dow", e: call("extract", tI4, txt("dow"), cI(tD, 1)), want: int64(0)},
	})
}

func TestCalendar(t *testing.T) {
	for d := int64(-800000); d < 800000; d += 997 {
		y, m, dd := civilFromDays(d)
		if daysFromCivil(y, m, dd) != d {
			t.Fatalf("day %d → %d-%d-%d", d, y, m, dd)
		}
	}
	if y, m, d := civilFromDays(0); y != 2000 || m != 1 || d != 1 {
		t.Errorf("epoch: %d-%d-%d", y, m, d)
	}
}

func TestUntypedNulls(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "null and false", e: call("and", tB, null(tUnk), bln(false)), want: false},
		{name: "null or true", e: call("or", tB, null(tUnk), bln(true)), want: true},
		{name: "not null", e: call("not", tB, null(tUnk)), want: nil},
		{name: "null = null", e: call("=", tB, null(tUnk), null(tUnk)), want: nil},
		{name: "case null cond", e: &plan.Expr{Kind: plan.Case, Type: tI4, Else: true, Args: []*plan.Expr{null(tUnk), i4(1), i4(2)}}, want: int64(2)},
		{name: "isnull", e: call("isnull", tB, null(tUnk)), want: true},
		{name: "null + 1", e: call("+", tI4, null(tUnk), i4(1)), want: nil},
		{name: "coalesce untyped", e: call("coalesce", tT, null(tUnk), txt("x")), want: "x"},
	})
}
