package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
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
	case lt == catalog.Interval && op == "+" && (rt == catalog.Date || rt == catalog.Timestamp || rt == catalog.TimestampTZ || rt == catalog.Unknown):
		return intervalArithmetic(op, r, l)
	case lt == catalog.TimestampTZ && rt == catalog.Interval && (op == "+" || op == "-"):
		if r.Value.Null {
			return plan.NullOf(catalog.TypeTimestampTZ)
		}
		iv := intervalOf(r)
		if op == "-" {
			iv = iv.neg()
		}
		// Months and days are added to the session zone's wall clock (a
		// day across a DST change is 23 or 25 hours), the rest to the
		// instant, as PostgreSQL's timestamptz_pl_interval does.
		x := l
		if iv.months != 0 || iv.days != 0 {
			x = coerce(plan.CallOf("addinterval", catalog.TypeTimestamp, coerce(x, catalog.TypeTimestamp),
				plan.ConstOf(catalog.TypeInt4, plan.Datum{I: iv.months}),
				plan.ConstOf(catalog.TypeInt4, plan.Datum{I: iv.days}),
				plan.ConstOf(catalog.TypeInt8, plan.Datum{I: 0})), catalog.TypeTimestampTZ)
		}
		if iv.micros == 0 {
			return x
		}
		return plan.CallOf("addinterval", catalog.TypeTimestampTZ, x,
			plan.ConstOf(catalog.TypeInt4, plan.Datum{I: 0}),
			plan.ConstOf(catalog.TypeInt4, plan.Datum{I: 0}),
			plan.ConstOf(catalog.TypeInt8, plan.Datum{I: iv.micros}))
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

// extractInterval binds EXTRACT(field FROM interval) (numeric; seconds
// and the epoch with 6 decimals, milliseconds with 3) and date_part
// (float8), as PostgreSQL 15's interval_part_common.
func extractInterval(name, field string, x *plan.Expr) *plan.Expr {
	scale := int32(0)
	switch field {
	case "microseconds", "minute", "hour", "day", "month", "quarter", "year", "decade", "century", "millennium":
	case "second", "epoch":
		scale = 6
	case "milliseconds":
		scale = 3
	case "dow", "isodow", "doy", "week", "isoyear", "timezone", "timezone_hour", "timezone_minute":
		failf(sqlerr.FeatureNotSupported, "unit %q not supported for type interval", field)
	default:
		failf(sqlerr.InvalidParameterValue, "unit %q not recognized for type interval", field)
	}
	fc := plan.ConstOf(catalog.TypeText, plan.Datum{S: field})
	if name == "date_part" {
		return plan.CallOf("extract", catalog.TypeFloat8, fc, x)
	}
	return plan.CallOf("extract", catalog.NumericType(0, scale), fc, x)
}

// timestampDifference binds timestamp − timestamp and timestamptz −
// timestamptz (a date or untyped literal converts to the other side's
// type): an interval of days and microseconds, as PostgreSQL's
// timestamp_mi computes it (the difference in µs, whole days split off;
// it does not depend on the time zone). nil when op and the operands are
// something else.
func timestampDifference(op string, l, r *plan.Expr) *plan.Expr {
	lt, rt := l.Type, r.Type
	if op != "-" || !(lt.IsTimestamp() || rt.IsTimestamp()) {
		return nil
	}
	if lt.Kind == catalog.Unknown {
		lt = rt
	}
	if rt.Kind == catalog.Unknown {
		rt = lt
	}
	if !lt.IsDateTime() || !rt.IsDateTime() {
		return nil
	}
	t := dateTimeUnion(lt, rt)
	return plan.CallOf("timestamp_mi", catalog.TypeInterval, coerce(l, t), coerce(r, t))
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
	if x.Type.Kind == catalog.Interval {
		return extractInterval(name, field, x)
	}
	if x.Type.Kind == catalog.Unknown {
		x = coerce(x, catalog.TypeTimestamp)
	}
	if !x.Type.IsDateTime() {
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
		if x.Type.IsTimestamp() {
			switch field {
			case "second", "epoch":
				scale = 6
			case "milliseconds":
				scale = 3
			}
		}
	case "timezone", "timezone_hour", "timezone_minute":
		if x.Type.Kind != catalog.TimestampTZ {
			failf(sqlerr.FeatureNotSupported, "unit %q not supported for type %s", field, x.Type)
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

// Timestamp with time zone. A timestamptz is an instant (µs since
// 2000-01-01 UTC, the same int64 as a timestamp); what depends on the
// session's TimeZone and DateStyle — text input and output, conversions to
// and from timestamp and date, fields, truncation, calendar arithmetic —
// is computed in the session zone's wall-clock time, as PostgreSQL's
// STABLE functions do. The binder records the settings on the expressions
// that need them (plan.Expr.DT; stampDateTime), so participants compute
// them as the session would.

// dt returns the session's datetime settings, shared by the statement's
// expressions.
func (b *binder) dt() *plan.DateTime {
	if b.ctx.dt == nil {
		b.ctx.dt = &plan.DateTime{TimeZone: b.ctx.TimeZone, DateStyle: b.ctx.DateStyle}
	}
	return b.ctx.dt
}

// literal binds a constant; an untyped string literal records the
// session's settings, with which it is read once its type is known.
func (b *binder) literal(c *pg_query.A_Const) *plan.Expr {
	e := constant(c)
	if e.Type.Kind == catalog.Unknown && !e.Value.Null {
		e.DT = b.dt()
	}
	return e
}

// intervalZone is the TimeZone setting SET TIME ZONE INTERVAL gives: the
// fixed offset east, named as PostgreSQL names it ("<+05:30>-05:30"). An
// interval with months or days, or beyond a week, is 22023.
func intervalZone(e *plan.Expr) string {
	iv := intervalOf(e)
	text := string(pgtype.AppendInterval(nil, []byte(e.Value.S)))
	bad := func(detail string) {
		fail(sqlerr.Errorf(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", "TimeZone", "INTERVAL '"+text+"'").WithDetail(detail))
	}
	switch {
	case iv.months != 0:
		bad("Cannot specify months in time zone interval.")
	case iv.days != 0:
		bad("Cannot specify days in time zone interval.")
	case iv.micros >= 168*3_600_000_000 || iv.micros <= -168*3_600_000_000:
		bad("UTC timezone offset is out of range.")
	}
	return pgtype.OffsetZone(iv.micros / 1_000_000).Name
}

// dateTimeUnion is the common type of two datetime types: timestamptz if
// either is one, else timestamp if either is one, else date (PostgreSQL's
// preferred type and implicit casts of the datetime category).
func dateTimeUnion(a, b catalog.Type) catalog.Type {
	switch {
	case a.Kind == catalog.TimestampTZ || b.Kind == catalog.TimestampTZ:
		return catalog.TypeTimestampTZ
	case a.Kind == catalog.Timestamp || b.Kind == catalog.Timestamp:
		return catalog.TypeTimestamp
	}
	return catalog.TypeDate
}

// tzArg makes x a timestamptz argument (dates, timestamps and untyped
// literals convert); nil when it cannot be one.
func tzArg(x *plan.Expr) *plan.Expr {
	if x.Type.IsDateTime() || x.Type.Kind == catalog.Unknown {
		return coerce(x, catalog.TypeTimestampTZ)
	}
	return nil
}

// atTimeZone binds x AT TIME ZONE zone (timezone(zone, x)): a timestamp
// read as wall-clock time in zone gives the instant (timestamptz); an
// instant gives zone's wall-clock time (timestamp). The zone is a name
// (Europe/Berlin), an abbreviation (PST) or a POSIX zone ('+05' is five
// hours west, as in PostgreSQL).
func (b *binder) atTimeZone(zone, x *plan.Expr) *plan.Expr {
	if zone.Kind == plan.Const && !zone.Value.Null {
		if _, err := pgtype.ZoneForName(zone.Value.S); err != nil {
			fail(err)
		}
	}
	switch x.Type.Kind {
	case catalog.Timestamp:
		return plan.CallOf("timezone", catalog.TypeTimestampTZ, zone, x)
	case catalog.Date:
		return plan.CallOf("timezone", catalog.TypeTimestampTZ, zone, coerce(x, catalog.TypeTimestamp))
	case catalog.TimestampTZ, catalog.Unknown:
		return plan.CallOf("timezone", catalog.TypeTimestamp, zone, coerce(x, catalog.TypeTimestampTZ))
	}
	failf(sqlerr.UndefinedFunction, "function timezone(text, %s) does not exist", x.Type)
	return nil
}

// dateTruncTZ binds date_trunc(field, timestamptz [, zone]): truncated in
// the zone's (default: the session's) wall-clock time; see the executor's
// truncTZ.
func (b *binder) dateTruncTZ(f, x *plan.Expr, zone []*plan.Expr) *plan.Expr {
	tx := tzArg(x)
	if tx == nil {
		failf(sqlerr.UndefinedFunction, "function date_trunc(%s) does not exist", argTypes(append([]*plan.Expr{f, x}, zone...)))
	}
	x = tx
	if f = truncField(f, x.Type); f == nil {
		return plan.NullOf(catalog.TypeTimestampTZ)
	}
	if len(zone) == 1 {
		z := coerceStringFor("date_trunc", zone[0])
		if z.Kind == plan.Const && !z.Value.Null {
			if _, err := pgtype.ZoneForName(z.Value.S); err != nil {
				fail(err)
			}
		}
		return plan.CallOf("date_trunc", catalog.TypeTimestampTZ, f, x, z)
	}
	return plan.CallOf("date_trunc", catalog.TypeTimestampTZ, f, x)
}

// truncField checks date_trunc's field argument for a value of type t: a
// constant unit name (nil: NULL).
func truncField(f *plan.Expr, t catalog.Type) *plan.Expr {
	f = coerceStringFor("date_trunc", f)
	if f.Kind != plan.Const {
		failf(sqlerr.FeatureNotSupported, "date_trunc needs a constant field name")
	}
	if f.Value.Null {
		return nil
	}
	switch strings.ToLower(f.Value.S) {
	case "microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium":
	default:
		failf(sqlerr.FeatureNotSupported, "unit %q not supported for type %s", f.Value.S, t)
	}
	return f
}

// stampDateTime records dt on the expressions of the statement whose value
// depends on the session's TimeZone or DateStyle: casts and calls with a
// timestamptz argument or result, and casts between datetime types and
// strings.
func stampDateTime(st Statement, dt *plan.DateTime) {
	var expr func(e *plan.Expr)
	var node func(n plan.Node)
	expr = func(e *plan.Expr) {
		if e == nil {
			return
		}
		if e.DT == nil && needsDateTime(e) {
			e.DT = dt
		}
		for _, a := range e.Args {
			expr(a)
		}
		for _, p := range e.Params {
			expr(p)
		}
		if e.Sub != nil {
			node(e.Sub)
		}
	}
	node = func(n plan.Node) {
		if n == nil {
			return
		}
		plan.VisitExprs(n, expr)
		switch n := n.(type) {
		case *plan.Remote:
			for _, sh := range n.Shuffles {
				for _, k := range sh.Keys {
					expr(k)
				}
				node(sh.Input)
			}
		case *plan.Shuffle:
			for _, k := range n.Keys {
				expr(k)
			}
		}
		for _, c := range plan.Children(n) {
			node(c)
		}
	}
	switch st := st.(type) {
	case *Query:
		node(st.Plan)
	case *Explain:
		node(st.Query.Plan)
	case *Insert:
		node(st.Source)
	case *Delete:
		node(st.Query)
	case *Update:
		node(st.Query)
	case *CopyTo:
		node(st.Query.Plan)
	case *DeclareCursor:
		node(st.Query.Plan)
	}
}

func needsDateTime(e *plan.Expr) bool {
	if e.Kind != plan.Cast && e.Kind != plan.Call {
		return false
	}
	tz := e.Type.Kind == catalog.TimestampTZ
	for _, a := range e.Args {
		tz = tz || a.Type.Kind == catalog.TimestampTZ
	}
	if tz || e.Kind != plan.Cast || len(e.Args) != 1 {
		return tz
	}
	from, to := e.Args[0].Type, e.Type
	text := func(t catalog.Type) bool { return t.IsString() || t.Kind == catalog.Unknown }
	return (from.IsDateTime() && text(to)) || (text(from) && to.IsDateTime())
}
