package executor

import (
	"cmp"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// ---- AT TIME ZONE, clock_timestamp ----

// atTimeZoneNode is timezone(zone, x), x AT TIME ZONE zone: a timestamp
// read as wall-clock time in zone gives the instant (timestamptz), an
// instant gives zone's wall-clock time (timestamp).
type atTimeZoneNode struct {
	nodeMeta
	zone, x node
	toLocal bool   // timestamptz → timestamp
	name    string // the zone of the last row, and its Zone
	z       *pgtype.Zone
	out     vecBuf
}

func newAtTimeZone(e *plan.Expr) (node, error) {
	zn, err := compile(plan.CastOf(e.Args[0], catalog.TypeText))
	if err != nil {
		return nil, err
	}
	xn, err := compile(e.Args[1])
	if err != nil {
		return nil, err
	}
	n := &atTimeZoneNode{zone: zn, x: xn, toLocal: e.Args[1].Type.Kind == catalog.TimestampTZ}
	n.nodeMeta = metaOf(e.Type, true, zn, xn)
	n.out.init(e.Type)
	return n, nil
}

func (n *atTimeZoneNode) eval(b *vec.Batch) (*vec.Vector, error) {
	zv, err := n.zone.eval(b)
	if err != nil {
		return nil, err
	}
	xv, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	nl := strictNulls(&n.out, []*vec.Vector{zv, xv}, rows)
	r, x := n.out.i64(rows), xv.I64[:rows]
	for i := range r {
		t := x[i]
		if (nl != nil && nl[i]) || t == pgtype.TimestampNegInfinity || t == pgtype.TimestampPosInfinity {
			r[i] = t
			continue
		}
		if name := zv.Data[zv.Offsets[i]:zv.Offsets[i+1]]; n.z == nil || string(name) != n.name {
			if n.z, err = pgtype.ZoneForName(string(name)); err != nil {
				return nil, err
			}
			n.name = string(name)
		}
		if n.toLocal {
			t = n.z.ToLocal(t)
		} else {
			t = n.z.FromLocal(t)
		}
		if t < minTimestamp || t >= endTimestamp {
			return nil, errTimestampRange
		}
		r[i] = t
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// clockNode is clock_timestamp(): the time when each row is computed.
type clockNode struct {
	nodeMeta
	out vecBuf
}

func (n *clockNode) eval(b *vec.Batch) (*vec.Vector, error) {
	rows := b.N
	n.out.copyNulls(nil, rows)
	r := n.out.i64(rows)
	for i := range r {
		r[i] = time.Now().UnixMicro() - pgEpochUnixMicros
	}
	return &n.out.Vector, nil
}

// pgEpochUnixMicros is 2000-01-01 00:00:00 UTC in µs since the Unix epoch.
const pgEpochUnixMicros = 946_684_800_000_000

// ---- timestamp − timestamp ----

// timestampDiffNode is timestamp_mi (also timestamptz_mi): the difference
// in µs with whole days split off (interval_justify_hours), as an
// interval of days and µs.
type timestampDiffNode struct {
	nodeMeta
	a, b node
	out  vecBuf
}

var errInfiniteDiff = sqlerr.New(sqlerr.DatetimeFieldOverflow, "cannot subtract infinite timestamps")

func newTimestampDiff(e *plan.Expr) (node, error) {
	ns, err := compileAll(e.Args)
	if err != nil {
		return nil, err
	}
	n := &timestampDiffNode{a: ns[0], b: ns[1]}
	n.nodeMeta = metaOf(e.Type, true, ns...)
	n.out.init(e.Type)
	return n, nil
}

func (n *timestampDiffNode) eval(b *vec.Batch) (*vec.Vector, error) {
	av, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	bv, err := n.b.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	o := &n.out
	nl := strictNulls(o, []*vec.Vector{av, bv}, rows)
	o.resetStr()
	for i := range rows {
		if nl == nil || !nl[i] {
			x, y := av.I64[i], bv.I64[i]
			if x == pgtype.TimestampNegInfinity || x == pgtype.TimestampPosInfinity || y == pgtype.TimestampNegInfinity || y == pgtype.TimestampPosInfinity {
				return nil, errInfiniteDiff
			}
			d := x - y
			o.Data = append(o.Data, pgtype.IntervalFields(0, d/usecPerDay, d%usecPerDay)...)
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// cmpInterval orders intervals (held form) as PostgreSQL's interval_cmp:
// by their span, a month counting 30 days and a day 24 hours (in 128 bits
// when the span passes int64, as it can for intervals of 10^8 days).
func cmpInterval(a, b []byte) int {
	am, ad, au := pgtype.ParseIntervalFields(a)
	bm, bd, bu := pgtype.ParseIntervalFields(b)
	adays, bdays := am*30+ad, bm*30+bd
	const safe = 100_000_000 // days × µs per day fits int64 below this
	if adays > -safe && adays < safe && bdays > -safe && bdays < safe {
		return cmp.Compare(adays*usecPerDay+au, bdays*usecPerDay+bu)
	}
	span := func(days, us int64) *big.Int {
		x := new(big.Int).Mul(big.NewInt(days), big.NewInt(usecPerDay))
		return x.Add(x, big.NewInt(us))
	}
	return span(adays, au).Cmp(span(bdays, bu))
}

// canonInterval is the key intervals of equal span share (hashing).
func canonInterval(s []byte) []byte {
	m, d, us := pgtype.ParseIntervalFields(s)
	x := new(big.Int).Mul(big.NewInt(m*30+d), big.NewInt(usecPerDay))
	return x.Add(x, big.NewInt(us)).Append(nil, 10)
}

// ---- to_timestamp(double precision) ----

// toTimestampNode is to_timestamp(seconds since 1970-01-01 UTC), as
// PostgreSQL's float8_timestamptz: ±Infinity are ±infinity, NaN and values
// outside the timestamp range are 22008, the rest round to µs.
type toTimestampNode struct {
	nodeMeta
	x   node
	out vecBuf
}

func newToTimestamp(e *plan.Expr) (node, error) {
	x, err := compile(plan.CastOf(e.Args[0], catalog.TypeFloat8))
	if err != nil {
		return nil, err
	}
	n := &toTimestampNode{x: x}
	n.nodeMeta = metaOf(e.Type, true, x)
	n.out.init(e.Type)
	return n, nil
}

// The seconds since 1970 of PostgreSQL's first timestamp (4714-11-24 BC)
// and of the end of its range (294277-01-01).
const (
	minUnixSeconds = -210866803200.0
	endUnixSeconds = 9224318016000.0
)

func (n *toTimestampNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	n.out.copyNulls(v.Nulls, rows)
	r := n.out.i64(rows)
	for i := range r {
		r[i] = 0
		if v.IsNull(i) {
			continue
		}
		f := v.F64[i]
		switch {
		case math.IsNaN(f):
			return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp cannot be NaN")
		case math.IsInf(f, 1):
			r[i] = pgtype.TimestampPosInfinity
		case math.IsInf(f, -1):
			r[i] = pgtype.TimestampNegInfinity
		case f < minUnixSeconds || f >= endUnixSeconds:
			return nil, sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", strconv.FormatFloat(f, 'g', 6, 64))
		default:
			us := int64(math.RoundToEven((f - unixEpoch2000Seconds) * 1e6))
			if us < minTimestamp || us >= endTimestamp {
				return nil, sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", strconv.FormatFloat(f, 'g', 6, 64))
			}
			r[i] = us
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// unixEpoch2000Seconds is 2000-01-01 in seconds since 1970-01-01.
const unixEpoch2000Seconds = 946684800.0
