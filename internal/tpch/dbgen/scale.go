package dbgen

import (
	"fmt"
	"math"
)

// scaling reproduces how dbgen turns -s SF into row counts. For SF >= 1 the
// integer part of SF multiplies the base counts (so SF 1.5 is SF 1, as in
// dbgen). For SF < 1, dbgen keeps scale = 1 and scales the base counts by
// int(1000·SF)/1000 (truncating, at least 1 row).
type scaling struct {
	scale    int64
	part     int64 // base rows before multiplying by scale
	supp     int64
	cust     int64
	orders   int64
	clerks   int64 // clerk numbers are drawn in [1, clerks]
	updOrder int64 // new orders (and deleted orders) per refresh set
}

const (
	basePart   = 200000
	baseSupp   = 10000
	baseCust   = 150000
	baseOrders = 150000 * 10 // ORDERS_PER_CUST
	maxSF      = 30000       // dbgen switches o_custkey/l_partkey to a 64-bit RNG from here on
)

func newScaling(sf float64) (scaling, error) {
	if !(sf > 0) || math.IsInf(sf, 0) || sf >= maxSF {
		return scaling{}, fmt.Errorf("dbgen: scale factor %v out of range (0, %d)", sf, maxSF)
	}
	sc := scaling{scale: 1, part: basePart, supp: baseSupp, cust: baseCust, orders: baseOrders}
	if sf < 1 {
		intScale := int64(1000 * sf)
		f := func(base int64) int64 {
			n := intScale * base / 1000
			return max(n, 1)
		}
		sc.part, sc.supp, sc.cust, sc.orders = f(basePart), f(baseSupp), f(baseCust), f(baseOrders)
	} else {
		sc.scale = int64(sf)
	}
	sc.clerks = max(sc.scale*1000, 1000)
	sc.updOrder = sc.orders / 10000 * sc.scale * 10 // UPD_PCT
	return sc, nil
}

func (sc scaling) partRows() int64   { return sc.part * sc.scale }
func (sc scaling) suppRows() int64   { return sc.supp * sc.scale }
func (sc scaling) custRows() int64   { return sc.cust * sc.scale }
func (sc scaling) ordersRows() int64 { return sc.orders * sc.scale }
