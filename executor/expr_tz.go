package executor

import (
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
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
