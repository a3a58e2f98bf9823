package executor

import (
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Date and timestamp arithmetic with PostgreSQL's semantics:
//
//   - date ± integer → date and integer + date → date (date_pli, date_mii):
//     infinite dates stay infinite, results outside 4714-11-24 BC ..
//     5874897-12-31 are error 22008 "date out of range";
//   - date - date → integer days (date_mi): an infinite operand is error
//     22008 "cannot subtract infinite dates";
//   - addinterval(ts, months, days, µs) → timestamp (timestamp_pl_interval):
//     months first, the day clamped to the end of the month (Jan 31 + 1
//     month = Feb 28 or 29), then days, then microseconds; infinite
//     timestamps stay infinite; a result (also an intermediate one) out of
//     range is error 22008 "timestamp out of range".
//
// Each kernel runs one loop over the batch that only flags trouble
// (infinities, range); a flagged batch is redone row by row, skipping NULL
// rows, to find the special rows and the error.

// Valid ranges (PostgreSQL's IS_VALID_DATE and IS_VALID_TIMESTAMP; the
// same bounds as internal/pgtype's text input).
const (
	minDate      = -2451545             // 4714-11-24 BC
	endDate      = 2147483494 - 2451545 // 5874898-01-01
	minTimestamp = -211813488000000000  // 4714-11-24 BC 00:00:00
	endTimestamp = 9223371331200000000  // 294277-01-01 00:00:00
)

var (
	errDateRange      = sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range")
	errTimestampRange = sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
	errInfiniteDates  = sqlerr.New(sqlerr.DatetimeFieldOverflow, "cannot subtract infinite dates")
	// errDateForTimestamp: a date past the last timestamp day (date2timestamp).
	errDateForTimestamp = sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range for timestamp")
)

// endTsDay is the first date that is not a valid timestamp's day.
const endTsDay = endTimestamp / usecPerDay

func isIntegerOrNull(t catalog.Type) bool { return t.IsInteger() || t.Kind == catalog.Unknown }

// newDateArith compiles + and - with a date operand; ok is false when
// neither operand is a date.
func newDateArith(e *plan.Expr) (n node, ok bool, err error) {
	a, b := e.Args[0], e.Args[1]
	da, db := a.Type.Kind == catalog.Date, b.Type.Kind == catalog.Date
	if !da && !db {
		return nil, false, nil
	}
	undefined := func() (node, bool, error) {
		return nil, true, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", a.Type, e.Op, b.Type)
	}
	var op byte
	switch {
	case e.Op == "+" && da && isIntegerOrNull(b.Type):
		op = '+'
	case e.Op == "+" && db && isIntegerOrNull(a.Type):
		op, a, b = '+', b, a
	case e.Op == "-" && e.Type.IsInteger() && (da || a.Type.Kind == catalog.Unknown) && (db || b.Type.Kind == catalog.Unknown):
		// date - date (an untyped NULL operand taken as a date).
		op = 'd'
		a, b = plan.CastOf(a, catalog.TypeDate), plan.CastOf(b, catalog.TypeDate)
	case e.Op == "-" && da && isIntegerOrNull(b.Type):
		op = '-'
	default:
		return undefined()
	}
	if op == 'd' {
		if !e.Type.IsInteger() {
			return undefined()
		}
	} else if e.Type.Kind != catalog.Date {
		return undefined()
	}
	if b.Type.Kind == catalog.Unknown {
		b = plan.CastOf(b, catalog.TypeInt4)
	}
	oa, ob, err := compileOperands(a, b)
	if err != nil {
		return nil, true, err
	}
	d := &dateArith{op: op, a: oa.n, b: ob.n, anyNull: oa.isNullConst() || ob.isNullConst()}
	d.nodeMeta = metaOf(e.Type, true, oa.n, ob.n)
	d.lo, d.hi = intBounds(e.Type.Kind)
	d.out.init(e.Type)
	return d, true, nil
}

// dateArith is date ± integer ('+', '-') or date - date ('d').
type dateArith struct {
	nodeMeta
	op      byte
	a, b    node
	anyNull bool // a NULL constant operand: the result is NULL
	lo, hi  int64
	out     vecBuf
}

func (n *dateArith) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	if n.anyNull {
		n.out.setAllNull(rows)
		return &n.out.Vector, nil
	}
	av, err := n.a.eval(bt)
	if err != nil {
		return nil, err
	}
	bv, err := n.b.eval(bt)
	if err != nil {
		return nil, err
	}
	x, y := av.I64[:rows], bv.I64[:rows]
	r := n.out.i64(rows)
	n.out.unionNulls(av.Nulls, bv.Nulls, rows)
	bad := false
	switch n.op {
	case '+':
		for i := range r {
			s := x[i] + y[i]
			r[i] = s
			bad = bad || s < minDate || s >= endDate || y[i] < math.MinInt32 || y[i] > math.MaxInt32
		}
	case '-':
		for i := range r {
			s := x[i] - y[i]
			r[i] = s
			bad = bad || s < minDate || s >= endDate || y[i] < math.MinInt32 || y[i] > math.MaxInt32
		}
	default:
		for i := range r {
			p, q := x[i], y[i]
			r[i] = p - q
			bad = bad || p < minDate || p >= endDate || q < minDate || q >= endDate
		}
	}
	if bad {
		if err := n.recheck(x, y, r, n.out.Nulls); err != nil {
			return nil, err
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// recheck redoes the flagged batch row by row with PostgreSQL's rules.
func (n *dateArith) recheck(x, y, r []int64, nulls []bool) error {
	for i := range r {
		if nulls != nil && nulls[i] {
			continue
		}
		p, q := x[i], y[i]
		finite := p != pgtype.DateNegInfinity && p != pgtype.DatePosInfinity
		if n.op == 'd' {
			if !finite || q == pgtype.DateNegInfinity || q == pgtype.DatePosInfinity {
				return errInfiniteDates
			}
			if r[i] < n.lo || r[i] > n.hi {
				return rangeErr(n.typ.Kind)
			}
			continue
		}
		if !finite {
			r[i] = p
			continue
		}
		if q < math.MinInt32 || q > math.MaxInt32 || r[i] < minDate || r[i] >= endDate {
			return errDateRange
		}
	}
	return nil
}

// ---- addinterval ----

// addIntervalNode is timestamp + interval, the interval given as its
// months, days and microseconds.
type addIntervalNode struct {
	nodeMeta
	x     node
	parts [3]node // months, days, µs (int8)
	out   vecBuf
}

func newAddInterval(e *plan.Expr) (node, error) {
	x := e.Args[0]
	switch x.Type.Kind {
	case catalog.Timestamp, catalog.TimestampTZ:
	case catalog.Date, catalog.Unknown:
		x = plan.CastOf(x, catalog.TypeTimestamp)
	default:
		return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s + interval", x.Type)
	}
	if e.Type != x.Type {
		// (timestamptz + interval adds only µs here: the binder adds
		// months and days in the session zone's wall-clock time.)
		return nil, sqlerr.Errorf(sqlerr.DatatypeMismatch, "executor: addinterval over %s returns %s, not %s", x.Type, x.Type, e.Type)
	}
	xn, err := compile(x)
	if err != nil {
		return nil, err
	}
	n := &addIntervalNode{x: xn}
	for i, p := range e.Args[1:] {
		if !isIntegerOrNull(p.Type) {
			return nil, sqlerr.Errorf(sqlerr.DatatypeMismatch, "executor: addinterval part of type %s", p.Type)
		}
		if n.parts[i], err = compile(plan.CastOf(p, catalog.TypeInt8)); err != nil {
			return nil, err
		}
	}
	n.nodeMeta = metaOf(e.Type, true, xn, n.parts[0], n.parts[1], n.parts[2])
	n.out.init(e.Type)
	return n, nil
}

func (n *addIntervalNode) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	var consts [3]*constNode
	allConst := true
	for i, p := range n.parts {
		consts[i] = asConst(p)
		if consts[i] != nil && consts[i].d.Null {
			n.out.setAllNull(rows)
			return &n.out.Vector, nil
		}
		allConst = allConst && consts[i] != nil
	}
	xv, err := n.x.eval(bt)
	if err != nil {
		return nil, err
	}
	x := xv.I64[:rows]
	r := n.out.i64(rows)
	var pv [3]*vec.Vector
	n.out.copyNulls(xv.Nulls, rows)
	if !allConst {
		for i, p := range n.parts {
			if pv[i], err = p.eval(bt); err != nil {
				return nil, err
			}
			switch pn := pv[i].Nulls; {
			case pn == nil:
			case n.out.Nulls == nil:
				n.out.copyNulls(pn, rows)
			default:
				nl := n.out.Nulls[:rows]
				for k := range nl {
					nl[k] = nl[k] || pn[k]
				}
			}
		}
	}
	nulls := n.out.Nulls
	if allConst {
		months, days, us := consts[0].d.I, consts[1].d.I, consts[2].d.I
		delta, ok := int64(0), months == 0
		if ok {
			delta, ok = intOp('*', days, usecPerDay)
		}
		if ok {
			delta, ok = intOp('+', delta, us)
		}
		if ok {
			// No months: one addition per row; infinities, overflow and
			// range send the batch to the exact pass.
			bad := false
			for i := range r {
				t := x[i]
				s := t + delta
				r[i] = s
				bad = bad || (s^t)&(s^delta) < 0 || s < minTimestamp || s >= endTimestamp
			}
			if !bad {
				n.out.zeroNullSlots()
				return &n.out.Vector, nil
			}
		}
		for i := range r {
			if nulls != nil && nulls[i] {
				r[i] = 0
				continue
			}
			if r[i], err = addInterval(x[i], months, days, us); err != nil {
				return nil, err
			}
		}
		return &n.out.Vector, nil
	}
	m, d, u := pv[0].I64[:rows], pv[1].I64[:rows], pv[2].I64[:rows]
	for i := range r {
		if nulls != nil && nulls[i] {
			r[i] = 0
			continue
		}
		if r[i], err = addInterval(x[i], m[i], d[i], u[i]); err != nil {
			return nil, err
		}
	}
	return &n.out.Vector, nil
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

var monthDays = [2][12]int64{
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
}

// Whole days a valid timestamp can be on (with margin for the time of
// day); a day count outside cannot be converted without overflow.
const (
	minTsDay = minTimestamp/usecPerDay - 1
	maxTsDay = endTimestamp/usecPerDay + 1
)

// fromDays returns day*usecPerDay + tod, or an error when it is not a
// valid timestamp.
func fromDays(day, tod int64) (int64, error) {
	if day < minTsDay || day > maxTsDay {
		return 0, errTimestampRange
	}
	ts := day*usecPerDay + tod
	if ts < minTimestamp || ts >= endTimestamp {
		return 0, errTimestampRange
	}
	return ts, nil
}

// addInterval is PostgreSQL's timestamp_pl_interval.
func addInterval(ts, months, days, us int64) (int64, error) {
	if ts == pgtype.TimestampNegInfinity || ts == pgtype.TimestampPosInfinity {
		return ts, nil
	}
	if ts < minTimestamp || ts >= endTimestamp {
		return 0, errTimestampRange
	}
	var err error
	if months != 0 {
		day := floorDiv(ts, usecPerDay)
		tod := ts - day*usecPerDay
		y, m, d := civilFromDays(day)
		if months < math.MinInt32 || months > math.MaxInt32 {
			return 0, errTimestampRange
		}
		m += months
		y += floorDiv(m-1, 12)
		m -= floorDiv(m-1, 12) * 12
		if md := monthDays[b2i(isLeap(y))][m-1]; d > md {
			d = md
		}
		if y < -300000 || y > 300000 {
			return 0, errTimestampRange
		}
		if ts, err = fromDays(daysFromCivil(y, m, d), tod); err != nil {
			return 0, err
		}
	}
	if days != 0 {
		day := floorDiv(ts, usecPerDay)
		tod := ts - day*usecPerDay
		if days < math.MinInt32 || days > math.MaxInt32 {
			return 0, errTimestampRange
		}
		if ts, err = fromDays(day+days, tod); err != nil {
			return 0, err
		}
	}
	s, ok := intOp('+', ts, us)
	if !ok || s < minTimestamp || s >= endTimestamp {
		return 0, errTimestampRange
	}
	return s, nil
}
