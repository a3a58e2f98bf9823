package executor

import (
	"math"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

func dateLit(s string) *plan.Expr { return cast(txt(s), tD) }
func tsLit(s string) *plan.Expr   { return cast(txt(s), tTS) }

// addIv is addinterval(x, months, days, µs) with constant parts.
func addIv(x *plan.Expr, months, days, us int64) *plan.Expr {
	return call("addinterval", tTS, x, i4(months), i4(days), i8(us))
}

func TestDateArithmetic(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "date + int", e: call("+", tD, dateLit("2000-01-31"), i4(1)), want: "2000-02-01"},
		{name: "int + date", e: call("+", tD, i4(366), dateLit("1999-12-31")), want: "2000-12-31"},
		{name: "date - int", e: call("-", tD, dateLit("2000-03-01"), i4(1)), want: "2000-02-29"},
		{name: "date + negative", e: call("+", tD, dateLit("2000-01-01"), i4(-1)), want: "1999-12-31"},
		{name: "date + int2", e: call("+", tD, dateLit("2000-01-01"), cI(tI2, 10)), want: "2000-01-11"},
		{name: "date + null", e: call("+", tD, dateLit("2000-01-01"), null(tI4)), want: nil},
		{name: "date + untyped null", e: call("+", tD, dateLit("2000-01-01"), null(tUnk)), want: nil},
		{name: "null date - int", e: call("-", tD, null(tD), i4(3)), want: nil},
		{name: "infinity + int", e: call("+", tD, dateLit("infinity"), i4(5)), want: "infinity"},
		{name: "-infinity - int", e: call("-", tD, dateLit("-infinity"), i4(5)), want: "-infinity"},
		{name: "date BC", e: call("-", tD, dateLit("0001-01-01"), i4(1)), want: "0001-12-31 BC"},
		{name: "date max + 1", e: call("+", tD, dateLit("5874897-12-31"), i4(1)), code: "22008", msg: "date out of range"},
		{name: "date min - 1", e: call("-", tD, dateLit("4714-11-24 BC"), i4(1)), code: "22008", msg: "date out of range"},
		{name: "date + huge", e: call("+", tD, dateLit("2000-01-01"), i4(math.MaxInt32)), code: "22008"},
		{name: "date - date", e: call("-", tI4, dateLit("2000-03-01"), dateLit("2000-02-01")), want: int64(29)},
		{name: "date - later date", e: call("-", tI4, dateLit("1999-12-31"), dateLit("2001-01-01")), want: int64(-367)},
		{name: "date - date span", e: call("-", tI4, dateLit("5874897-12-31"), dateLit("4714-11-24 BC")), want: int64(2147483493)},
		{name: "date - null date", e: call("-", tI4, dateLit("2000-01-01"), null(tD)), want: nil},
		{name: "date - untyped null", e: call("-", tI4, dateLit("2000-01-01"), null(tUnk)), want: nil},
		{name: "date - infinity", e: call("-", tI4, dateLit("2000-01-01"), dateLit("infinity")), code: "22008", msg: "cannot subtract infinite dates"},
		{name: "infinity - date", e: call("-", tI4, dateLit("-infinity"), dateLit("2000-01-01")), code: "22008", msg: "cannot subtract infinite dates"},
		{name: "date + date", e: call("+", tD, dateLit("2000-01-01"), dateLit("2000-01-01")), code: "42883"},
		{name: "date * int", e: call("*", tD, dateLit("2000-01-01"), i4(2)), code: "42883"},
		{name: "int - date", e: call("-", tD, i4(2), dateLit("2000-01-01")), code: "42883"},
		// Casts between dates and timestamps keep infinities.
		{name: "infinite date to ts", e: cast(dateLit("infinity"), tTS), want: "infinity"},
		{name: "-infinite date to ts", e: cast(dateLit("-infinity"), tTS), want: "-infinity"},
		{name: "infinite ts to date", e: cast(tsLit("-infinity"), tD), want: "-infinity"},
		{name: "date too late for ts", e: cast(dateLit("300000-01-01"), tTS), code: "22008", msg: "date out of range for timestamp"},
		{name: "last ts date", e: cast(dateLit("294276-12-31"), tTS), want: "294276-12-31 00:00:00"},
	})
}

func TestDateArithmeticColumns(t *testing.T) {
	types := []catalog.Type{tD, tI4, tD}
	// Many rows across batch sizes, NULLs on either side.
	n := 3*vec.BatchSize + 17
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i - 1000), int64(i%61 - 30), int64(-i)}
		if i%7 == 0 {
			rows[i][0] = nil
		}
		if i%11 == 0 {
			rows[i][1] = nil
		}
	}
	b := mkBatch(types, rows...)
	plus, err := evalExpr(call("+", tD, col(0, tD), col(1, tI4)), b)
	if err != nil {
		t.Fatal(err)
	}
	minus, err := evalExpr(call("-", tD, col(0, tD), i4(40)), b)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := evalExpr(call("-", tI4, col(0, tD), col(2, tD)), b)
	if err != nil {
		t.Fatal(err)
	}
	dateText := func(d int64) string {
		v := vec.NewVector(tD, 1)
		v.AppendInt64(d)
		return string(pgtype.AppendText(nil, v, 0))
	}
	for i, r := range rows {
		var wantPlus, wantMinus, wantDiff any
		if r[0] != nil {
			wantMinus = dateText(r[0].(int64) - 40)
			wantDiff = r[0].(int64) + int64(i)
			if r[1] != nil {
				wantPlus = dateText(r[0].(int64) + r[1].(int64))
			}
		}
		if plus[i] != wantPlus || minus[i] != wantMinus || diff[i] != wantDiff {
			t.Fatalf("row %d: %v %v %v, want %v %v %v", i, plus[i], minus[i], diff[i], wantPlus, wantMinus, wantDiff)
		}
	}
	// Infinities in a column, errors only from non-NULL rows.
	b = mkBatch(types,
		[]any{pgtype.DatePosInfinity, 1, 0}, []any{int64(5), 1, 0}, []any{pgtype.DateNegInfinity, 3, 0},
		[]any{nil, math.MaxInt32, 0})
	got, err := evalExpr(call("+", tD, col(0, tD), col(1, tI4)), b)
	if err != nil || got[0] != "infinity" || got[1] != "2000-01-07" || got[2] != "-infinity" || got[3] != nil {
		t.Errorf("infinities: %v %v", got, err)
	}
	if _, err := evalExpr(call("-", tI4, col(0, tD), col(2, tD)), b); codeOf(err) != "22008" {
		t.Errorf("infinite difference: %v", err)
	}
}

func TestAddInterval(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "one month clamps", e: addIv(tsLit("2000-01-31 10:00:00"), 1, 0, 0), want: "2000-02-29 10:00:00"},
		{name: "non-leap", e: addIv(tsLit("2001-01-31"), 1, 0, 0), want: "2001-02-28 00:00:00"},
		{name: "century non-leap", e: addIv(tsLit("1900-01-31"), 1, 0, 0), want: "1900-02-28 00:00:00"},
		{name: "minus a month", e: addIv(tsLit("2000-03-31 01:02:03.5"), -1, 0, 0), want: "2000-02-29 01:02:03.5"},
		{name: "30 day month", e: addIv(tsLit("2000-05-31"), 1, 0, 0), want: "2000-06-30 00:00:00"},
		{name: "year", e: addIv(tsLit("2000-02-29"), 12, 0, 0), want: "2001-02-28 00:00:00"},
		{name: "13 months", e: addIv(tsLit("2000-12-15"), 13, 0, 0), want: "2002-01-15 00:00:00"},
		{name: "-13 months", e: addIv(tsLit("2000-01-15"), -13, 0, 0), want: "1998-12-15 00:00:00"},
		{name: "-12 months", e: addIv(tsLit("2000-12-15"), -12, 0, 0), want: "1999-12-15 00:00:00"},
		{name: "-1 month in January", e: addIv(tsLit("2000-01-15"), -1, 0, 0), want: "1999-12-15 00:00:00"},
		// Months before days: Jan 30 + 1 month = Feb 29, + 1 day = Mar 1
		// (days first would give Feb 29).
		{name: "months then days", e: addIv(tsLit("2000-01-30"), 1, 1, 0), want: "2000-03-01 00:00:00"},
		{name: "days", e: addIv(tsLit("2000-02-28 12:00:00"), 0, 2, 0), want: "2000-03-01 12:00:00"},
		{name: "micros", e: addIv(tsLit("1999-12-31 23:00:00"), 0, 0, 2*3600*1_000_000), want: "2000-01-01 01:00:00"},
		{name: "day minus a microsecond", e: addIv(tsLit("2000-01-01"), 0, 1, -1), want: "2000-01-01 23:59:59.999999"},
		{name: "all parts", e: addIv(tsLit("1998-12-01"), -3, -90, 1_000_000), want: "1998-06-03 00:00:01"},
		{name: "BC leap", e: addIv(tsLit("0001-01-31 BC"), 1, 0, 0), want: "0001-02-29 00:00:00 BC"},
		{name: "into BC", e: addIv(tsLit("0001-01-15"), -1, 0, 0), want: "0001-12-15 00:00:00 BC"},
		{name: "date argument", e: call("addinterval", tTS, dateLit("2000-01-31"), i4(1), i4(0), i8(0)), want: "2000-02-29 00:00:00"},
		{name: "infinity", e: addIv(tsLit("infinity"), 1, 1, 1), want: "infinity"},
		{name: "-infinity", e: addIv(tsLit("-infinity"), -1, 0, 0), want: "-infinity"},
		{name: "null timestamp", e: addIv(null(tTS), 1, 0, 0), want: nil},
		{name: "null months", e: call("addinterval", tTS, tsLit("2000-01-01"), null(tI4), i4(0), i8(0)), want: nil},
		{name: "null micros", e: call("addinterval", tTS, tsLit("2000-01-01"), i4(0), i4(0), null(tUnk)), want: nil},
		{name: "out of range", e: addIv(tsLit("294276-12-31 23:59:59"), 0, 1, 0), code: "22008", msg: "timestamp out of range"},
		{name: "out of range months", e: addIv(tsLit("294276-12-31"), 1, 0, 0), code: "22008", msg: "timestamp out of range"},
		{name: "before range", e: addIv(tsLit("4714-11-24 00:00:00 BC"), 0, 0, -1), code: "22008"},
		{name: "huge months", e: addIv(tsLit("2000-01-01"), math.MaxInt32, 0, 0), code: "22008"},
		{name: "huge days", e: addIv(tsLit("2000-01-01"), 0, math.MinInt32, 0), code: "22008"},
		{name: "huge micros", e: addIv(tsLit("2000-01-01"), 0, 0, math.MaxInt64), code: "22008"},
		{name: "not a timestamp", e: call("addinterval", tTS, i4(1), i4(0), i4(0), i8(0)), code: "42883"},
	})
}

// TestAddIntervalColumns checks the month arithmetic against Go's calendar
// over many days, and the vectorized day/µs path over column batches.
func TestAddIntervalColumns(t *testing.T) {
	types := []catalog.Type{tTS, tI4, tI4, tI8}
	var rows [][]any
	start := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 800 {
		day := start.AddDate(0, 0, i)
		us := (day.Unix()-946684800)*1_000_000 + int64(i%5)*3_600_000_000 + 123
		rows = append(rows, []any{us, int64(i%51 - 25), int64(i%7 - 3), int64(i%3) * 1_000})
	}
	one, zero := int64(1), int64(0)
	rows = append(rows, []any{nil, one, one, one}, []any{zero, nil, one, one}, []any{zero, one, nil, one}, []any{zero, one, one, nil})
	b := mkBatch(types, rows...)
	ref := func(r []any, withDays bool) any {
		if r[0] == nil || r[1] == nil || (withDays && (r[2] == nil || r[3] == nil)) {
			return nil
		}
		tm := time.UnixMicro(r[0].(int64) + 946684800*1_000_000).UTC()
		y, m, d := tm.Date()
		first := time.Date(y, m+time.Month(r[1].(int64)), 1, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		res := first.AddDate(0, 0, min(d, last)-1)
		if withDays {
			res = res.AddDate(0, 0, int(r[2].(int64))).Add(time.Duration(r[3].(int64)) * time.Microsecond)
		}
		v := vec.NewVector(tTS, 1)
		v.AppendInt64(res.UnixMicro() - 946684800*1_000_000)
		return string(pgtype.AppendText(nil, v, 0))
	}
	// Column parts.
	got, err := evalExpr(call("addinterval", tTS, col(0, tTS), col(1, tI4), col(2, tI4), col(3, tI8)), b)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if want := ref(r, true); got[i] != want {
			t.Fatalf("row %d %v: got %v want %v", i, r, got[i], want)
		}
	}
	// Constant months over a column.
	for _, months := range []int64{-14, -1, 1, 2, 11, 25} {
		got, err := evalExpr(addIv(col(0, tTS), months, 0, 0), b)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			rr := append([]any{r[0], months}, r[2:]...)
			if want := ref(rr, false); got[i] != want {
				t.Fatalf("months %d row %d: got %v want %v", months, i, got[i], want)
			}
		}
	}
	// No months: the vectorized path, over several batch sizes, with an
	// infinity sending one batch through the exact pass.
	big := vec.NewBatch([]catalog.Type{tTS}, 0)
	for i := range 2*vec.BatchSize + 5 {
		switch {
		case i%13 == 0:
			big.Cols[0].AppendNull()
		case i == 7:
			big.Cols[0].AppendInt64(pgtype.TimestampPosInfinity)
		default:
			big.Cols[0].AppendInt64(int64(i) * 3_600_000_000)
		}
	}
	big.N = 2*vec.BatchSize + 5
	for _, part := range splitBatches(big, vec.BatchSize) {
		got, err := evalExpr(addIv(col(0, tTS), 0, -2, 5), part)
		if err != nil {
			t.Fatal(err)
		}
		for i := range part.N {
			var want any
			switch {
			case part.Cols[0].IsNull(i):
			case part.Cols[0].I64[i] == pgtype.TimestampPosInfinity:
				want = "infinity"
			default:
				v := vec.NewVector(tTS, 1)
				v.AppendInt64(part.Cols[0].I64[i] - 2*usecPerDay + 5)
				want = string(pgtype.AppendText(nil, v, 0))
			}
			if got[i] != want {
				t.Fatalf("row %d: got %v want %v", i, got[i], want)
			}
		}
	}
	// An error only from a non-NULL row.
	edge := mkBatch([]catalog.Type{tTS}, []any{nil}, []any{int64(0)})
	edge.Cols[0].I64[0] = endTimestamp - 1 // junk under the NULL
	if got, err := evalExpr(addIv(col(0, tTS), 0, 1, 0), edge); err != nil || got[0] != nil || got[1] != "2000-01-02 00:00:00" {
		t.Errorf("junk under NULL: %v %v", got, err)
	}
}
