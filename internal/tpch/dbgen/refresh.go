package dbgen

import "fmt"

// Refresh is update set n of dbgen -U: the rows RF1 inserts and the keys RF2
// deletes.
//
// How dbgen chooses the keys: order keys are sparse. Order number i (1-based)
// gets key ((i>>3)<<5) | seq<<3 | (i&7), so of every 32 keys the first 8 (seq 0)
// belong to the initial population and the next 8 (seq 1) to refresh data;
// the rest are never used. Each update set has R = 10 · (orders/10000) · scale
// orders (0.1% of the orders; integer division, so SF 0.01 has 10 and SF 1 has
// 1500). Set n inserts order numbers (n−1)·R+1 … n·R with seq 1, i.e. into
// the gaps after the base keys, with row values drawn from the random streams
// positioned after the last base order (as if the orders table went on), and
// deletes the base orders with the same numbers (seq 0). At SF 1, set 1
// inserts keys 9–15, 40–47, 72–79, …, 5992–5996 and deletes keys 1–7, 32–39,
// 64–71, …, 5984–5988 (order numbers 1–1500).
type Refresh struct {
	Orders     []byte  // orders.tbl.u<n>: rows in the orders.tbl format
	Lineitems  []byte  // lineitem.tbl.u<n>: rows in the lineitem.tbl format
	DeleteKeys []int64 // delete.<n>: order keys RF2 deletes (with their lineitems)
}

// DeleteFile returns the delete keys in the format of dbgen's delete.<n>
// file: one key per line.
func (r *Refresh) DeleteFile() []byte {
	var b []byte
	for _, k := range r.DeleteKeys {
		b = appendInt(b, k)
		b = append(b, '\n')
	}
	return b
}

// RefreshSet returns update set n (1-based) of scale factor sf, as dbgen -U n
// writes it into orders.tbl.u<n>, lineitem.tbl.u<n> and delete.<n>.
func RefreshSet(sf float64, n int) (*Refresh, error) {
	sc, err := newScaling(sf)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("dbgen: update set %d: sets are numbered from 1", n)
	}
	text := acquirePool()
	defer releasePool()

	r := sc.updOrder
	first := int64(n-1)*r + 1
	// dbgen moves the order streams past the base orders, and the lineitem
	// streams past 100 · (orders/100) orders (the same for all valid sizes).
	base := sc.ordersRows()
	gen := newGenerator(sc, text, "orders")
	for _, id := range gen.streams {
		skip := base
		if id >= sLQty && id <= sLCmnt || id == sHVar {
			skip = base / 100 * 100
		}
		gen.st[id].seek(streamDefs[id], skip+first)
	}
	seq := int64(1 + (n%10000)/1000)
	res := &Refresh{Orders: make([]byte, 0, 128*r), Lineitems: make([]byte, 0, 512*r)}
	for i := first; i < first+r; i++ {
		res.Orders, res.Lineitems, _ = gen.order(res.Orders, res.Lineitems, i, seq)
		gen.nextRow()
		res.DeleteKeys = append(res.DeleteKeys, sparseKey(i, int64(n/1000)&3))
	}
	return res, nil
}
