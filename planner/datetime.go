package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Intervals exist only while binding. An interval literal is a constant of
// catalog.TypeInterval whose Datum.S holds "months days microseconds"; date
// and timestamp arithmetic with it folds to a constant when the other side
// is one, and otherwise becomes the executor's addinterval(timestamp,
// months, days, micros). An interval never reaches a result column.

type interval struct {
	months, days int64
	micros       int64
}

func (iv interval) datum() plan.Datum {
	return plan.Datum{S: fmt.Sprintf("%d %d %d", iv.months, iv.days, iv.micros)}
}

func intervalOf(e *plan.Expr) interval {
	var iv interval
	fmt.Sscanf(e.Value.S, "%d %d %d", &iv.months, &iv.days, &iv.micros)
	return iv
}

func (iv interval) neg() interval { return interval{-iv.months, -iv.days, -iv.micros} }

// Interval field masks of the typmod (PostgreSQL's INTERVAL_MASK).
const (
	maskMonth  = 1 << 1
	maskYear   = 1 << 2
	maskDay    = 1 << 3
	maskHour   = 1 << 10
	maskMinute = 1 << 11
	maskSecond = 1 << 12
)

// intervalCast binds 'text'::interval and INTERVAL 'text' [field].
func (b *binder) intervalCast(tc *pg_query.TypeCast, s *scope) *plan.Expr {
	mask := int64(0x7FFF)
	if mods := tc.TypeName.Typmods; len(mods) > 0 {
		if c := mods[0].GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
				mask = int64(iv.Ival.Ival)
			}
		}
	}
	arg := b.expr(tc.Arg, s, catalog.TypeInterval)
	if arg.Kind != plan.Const || (arg.Type.Kind != catalog.Unknown && !arg.Type.IsString() && arg.Type.Kind != catalog.Interval) {
		failf(sqlerr.FeatureNotSupported, "only constant intervals are supported yet")
	}
	if arg.Value.Null {
		return plan.NullOf(catalog.TypeInterval)
	}
	if arg.Type.Kind == catalog.Interval {
		return arg
	}
	iv, err := parseInterval(arg.Value.S, mask)
	if err != nil {
		fail(err)
	}
	return plan.ConstOf(catalog.TypeInterval, iv.datum())
}

// parseInterval reads PostgreSQL's interval input: number-unit pairs
// ("1 year 2 mons -3 days"), hh:mm[:ss], and a bare number, whose unit is
// the lowest field of mask (seconds by default).
func parseInterval(text string, mask int64) (interval, error) {
	bad := func() (interval, error) {
		return interval{}, sqlerr.Errorf(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", text)
	}
	fields := strings.Fields(strings.ToLower(text))
	if len(fields) == 0 {
		return bad()
	}
	var iv interval
	ago := false
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f == "ago" && i == len(fields)-1 {
			ago = true
			continue
		}
		if strings.Contains(f, ":") {
			us, ok := parseClock(f)
			if !ok {
				return bad()
			}
			iv.micros += us
			continue
		}
		num, unit := f, ""
		if j := strings.IndexFunc(f, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' }); j > 0 {
			num, unit = f[:j], f[j:]
		} else if i+1 < len(fields) && !startsNumber(fields[i+1]) && fields[i+1] != "ago" {
			unit = fields[i+1]
			i++
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad()
		}
		if unit == "" {
			unit = defaultUnit(mask)
		}
		if !addUnit(&iv, v, strings.TrimPrefix(unit, "@")) {
			return bad()
		}
	}
	if ago {
		iv = iv.neg()
	}
	return iv, nil
}

func startsNumber(s string) bool {
	return s != "" && (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))
}

func defaultUnit(mask int64) string {
	switch {
	case mask&maskSecond != 0 || mask == 0x7FFF:
		return "second"
	case mask&maskMinute != 0:
		return "minute"
	case mask&maskHour != 0:
		return "hour"
	case mask&maskDay != 0:
		return "day"
	case mask&maskMonth != 0:
		return "month"
	case mask&maskYear != 0:
		return "year"
	}
	return "second"
}

func parseClock(f string) (int64, bool) {
	neg := strings.HasPrefix(f, "-")
	parts := strings.Split(strings.TrimLeft(f, "+-"), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	us := (h*3600 + m*60) * 1_000_000
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return 0, false
		}
		us += int64(sec*1e6 + 0.5)
	}
	if neg {
		us = -us
	}
	return us, true
}

func addUnit(iv *interval, v float64, unit string) bool {
	switch strings.TrimSuffix(unit, "s") {
	case "year", "yr", "y":
		iv.months += int64(v * 12)
	case "mon", "month":
		iv.months += int64(v)
		frac := v - float64(int64(v))
		iv.days += int64(frac * 30)
	case "week", "w":
		iv.days += int64(v * 7)
	case "day", "d":
		iv.days += int64(v)
		iv.micros += int64((v - float64(int64(v))) * 86400e6)
	case "hour", "hr", "h":
		iv.micros += int64(v * 3600e6)
	case "minute", "min", "m":
		iv.micros += int64(v * 60e6)
	case "second", "sec", "":
		iv.micros += int64(v * 1e6)
	case "millisecond", "msec", "ms":
		iv.micros += int64(v * 1e3)
	case "microsecond", "u":
		iv.micros += int64(v)
	default:
		return false
	}
	return true
}

var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// addIntervalConst adds iv to a timestamp (µs since 2000-01-01) as
// PostgreSQL does: months first (the day clamped to the month's end), then
// days, then microseconds.
func addIntervalConst(ts int64, iv interval) int64 {
	t := pgEpoch.Add(time.Duration(ts) * time.Microsecond)
	if iv.months != 0 {
		y, m, d := t.Date()
		total := int64(y)*12 + int64(m-1) + iv.months
		ny, nm := total/12, time.Month(total%12+1)
		if total%12 < 0 {
			ny, nm = (total-11)/12, time.Month((total%12+12)%12+1)
		}
		last := time.Date(int(ny), nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if d > last {
			d = last
		}
		h, mi, se := t.Clock()
		t = time.Date(int(ny), nm, d, h, mi, se, t.Nanosecond(), time.UTC)
	}
	t = t.AddDate(0, 0, int(iv.days))
	return t.Sub(pgEpoch).Microseconds() + iv.micros
}

// intervalArithmetic binds +/- with an interval operand (and interval ×
// number): date/timestamp ± interval is a timestamp.
func intervalArithmetic(op string, l, r *plan.Expr) *plan.Expr {
	lt, rt := l.Type.Kind, r.Type.Kind
	switch {
	case lt == catalog.Interval && rt == catalog.Interval && (op == "+" || op == "-"):
		if l.Value.Null || r.Value.Null {
			return plan.NullOf(catalog.TypeInterval)
		}
		a, b := intervalOf(l), intervalOf(r)
		if op == "-" {
			b = b.neg()
		}
		return plan.ConstOf(catalog.TypeInterval, interval{a.months + b.months, a.days + b.days, a.micros + b.micros}.datum())
	case lt == catalog.Interval && op == "+" && (rt == catalog.Date || rt == catalog.Timestamp || rt == catalog.Unknown):
		return intervalArithmetic(op, r, l)
	case (lt == catalog.Date || lt == catalog.Timestamp || lt == catalog.Unknown) && rt == catalog.Interval && (op == "+" || op == "-"):
		x := coerce(l, catalog.TypeTimestamp)
		if l.Kind == plan.Const && l.Type.Kind == catalog.Date && !l.Value.Null {
			x = plan.ConstOf(catalog.TypeTimestamp, plan.Datum{I: l.Value.I * 86_400_000_000})
		}
		if r.Value.Null {
			return plan.NullOf(catalog.TypeTimestamp)
		}
		iv := intervalOf(r)
		if op == "-" {
			iv = iv.neg()
		}
		if x.Kind == plan.Const {
			if x.Value.Null {
				return plan.NullOf(catalog.TypeTimestamp)
			}
			return plan.ConstOf(catalog.TypeTimestamp, plan.Datum{I: addIntervalConst(x.Value.I, iv)})
		}
		return plan.CallOf("addinterval", catalog.TypeTimestamp, x,
			plan.ConstOf(catalog.TypeInt4, plan.Datum{I: iv.months}),
			plan.ConstOf(catalog.TypeInt4, plan.Datum{I: iv.days}),
			plan.ConstOf(catalog.TypeInt8, plan.Datum{I: iv.micros}))
	case (lt == catalog.Interval && r.Kind == plan.Const && r.Type.IsInteger()) || (rt == catalog.Interval && l.Kind == plan.Const && l.Type.IsInteger()):
		if op == "*" {
			iv, n := l, r
			if rt == catalog.Interval {
				iv, n = r, l
			}
			if iv.Value.Null || n.Value.Null {
				return plan.NullOf(catalog.TypeInterval)
			}
			v, k := intervalOf(iv), n.Value.I
			return plan.ConstOf(catalog.TypeInterval, interval{v.months * k, v.days * k, v.micros * k}.datum())
		}
	}
	failf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", l.Type, op, r.Type)
	return nil
}

// dateVsTimestamp rewrites a comparison of a date expression with a
// constant timestamp into a comparison of dates (what the date would be
// cast to compares the same way), so the date column is not cast per row.
// It returns nil when the comparison has another shape.
func dateVsTimestamp(op string, l, r *plan.Expr) *plan.Expr {
	flip := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
	if l.Type.Kind == catalog.Timestamp && r.Type.Kind == catalog.Date {
		if _, ok := flip[op]; !ok {
			return nil
		}
		return dateVsTimestamp(flip[op], r, l)
	}
	if l.Type.Kind != catalog.Date || r.Type.Kind != catalog.Timestamp || r.Kind != plan.Const || r.Value.Null {
		return nil
	}
	const usPerDay = 86_400_000_000
	ts := r.Value.I
	day := ts / usPerDay
	if ts%usPerDay < 0 {
		day--
	}
	exact := ts == day*usPerDay
	d := plan.ConstOf(catalog.TypeDate, plan.Datum{I: day})
	if exact {
		return plan.CallOf(op, catalog.TypeBool, l, d)
	}
	// The timestamp lies inside day: a date (midnight) is < it iff <= day.
	switch op {
	case "<", "<=":
		return plan.CallOf("<=", catalog.TypeBool, l, d)
	case ">", ">=":
		return plan.CallOf(">", catalog.TypeBool, l, d)
	}
	return nil
}

// extract binds EXTRACT(field FROM x): numeric, as PostgreSQL 14+ returns.
func (b *binder) extract(args []*plan.Expr, name string) *plan.Expr {
	if len(args) != 2 {
		failf(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	f := args[0]
	if f.Kind != plan.Const || f.Value.Null || !(f.Type.Kind == catalog.Unknown || f.Type.IsString()) {
		failf(sqlerr.FeatureNotSupported, "%s needs a constant field name", name)
	}
	field := strings.ToLower(f.Value.S)
	x := args[1]
	if x.Type.Kind == catalog.Unknown {
		x = coerce(x, catalog.TypeTimestamp)
	}
	if x.Type.Kind != catalog.Date && x.Type.Kind != catalog.Timestamp {
		failf(sqlerr.UndefinedFunction, "function %s(unknown, %s) does not exist", name, x.Type)
	}
	fc := plan.ConstOf(catalog.TypeText, plan.Datum{S: field})
	if name == "date_part" {
		return plan.CallOf("extract", catalog.TypeFloat8, fc, x)
	}
	scale := int32(0)
	switch field {
	case "year", "month", "day", "quarter", "dow", "isodow", "doy", "decade", "century", "millennium", "week", "isoyear":
	case "hour", "minute", "second", "epoch", "microseconds", "milliseconds":
		if x.Type.Kind == catalog.Date && field != "epoch" {
			failf(sqlerr.FeatureNotSupported, "unit %q not supported for type date", field)
		}
		if x.Type.Kind == catalog.Timestamp {
			switch field {
			case "second", "epoch":
				scale = 6
			case "milliseconds":
				scale = 3
			}
		}
	default:
		failf(sqlerr.InvalidParameterValue, "unit %q not recognized for type %s", field, x.Type)
	}
	return plan.CallOf("extract", catalog.NumericType(0, scale), fc, x)
}

func isIntervalType(tn *pg_query.TypeName) bool {
	names := tn.Names
	if len(names) == 0 {
		return false
	}
	return names[len(names)-1].GetString_().Sval == "interval"
}
