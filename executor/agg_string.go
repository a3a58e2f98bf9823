package executor

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// stringAgg is string_agg(value, delimiter [ORDER BY key...]). The planner
// passes the arguments as the call string_agg(value, delimiter, key...) in
// AggCall.Arg, each key wrapped in a call "asc|desc nulls first|last".
//
// Rows with a non-NULL value are kept (group, value, delimiter, keys) in
// flat stores as they arrive; at the end they are ordered by group, then
// the keys, then arrival, and each group's values are joined: every value
// after the first is preceded by its own row's delimiter (a NULL delimiter
// counts as empty), as PostgreSQL's string_agg_transfn does. A group
// without values is NULL. With DISTINCT (one phase; the planner orders by
// the value) only the first of adjacent equal values is kept.
//
// Partial phase (only for a constant delimiter and no ORDER BY; see
// planner.aggOnePhase) emits each group's joined text; the Final phase
// joins the partial texts with the constant delimiter.
type stringAgg struct {
	phase plan.AggPhase
	val   node
	delim node
	keys  []node
	kinfo []sortKeyRT
	col   int // Final: the state column
	// distinct: keep one of equal values (the planner orders by the value,
	// so equal values are adjacent)
	distinct bool
	cdel     []byte // Final: the constant delimiter

	gids     []int32
	vals     vecBuf // stored values
	dels     vecBuf // stored delimiters (NULL as empty)
	keyStore []*vec.Vector
	ngroups  int

	sorted bool
	perm   []int32
	start  []int32 // per group: first index in perm (len ngroups+1)
}

func newStringAgg(call *plan.AggCall, phase plan.AggPhase, col int) (*stringAgg, error) {
	if call.Arg == nil || call.Arg.Kind != plan.Call || call.Arg.Op != "string_agg" || len(call.Arg.Args) < 2 {
		return nil, sqlerr.New(sqlerr.Internal, "executor: malformed string_agg")
	}
	if call.Distinct && (phase != plan.Complete || len(call.Arg.Args) < 3) {
		return nil, sqlerr.New(sqlerr.Internal, "executor: string_agg(DISTINCT) needs one phase ordered by its value")
	}
	a := &stringAgg{phase: phase, col: col, distinct: call.Distinct}
	a.vals.init(catalog.TypeText)
	a.dels.init(catalog.TypeText)
	args := call.Arg.Args
	if phase == plan.Final {
		d := args[1]
		if d.Kind != plan.Const || len(args) > 2 {
			return nil, sqlerr.New(sqlerr.Internal, "executor: string_agg cannot run in two phases")
		}
		a.cdel = []byte(d.Value.S) // NULL: empty
		return a, nil
	}
	if phase == plan.Partial && (args[1].Kind != plan.Const || len(args) > 2) {
		return nil, sqlerr.New(sqlerr.Internal, "executor: string_agg cannot run in two phases")
	}
	var err error
	if a.val, err = compile(plan.CastOf(args[0], catalog.TypeText)); err != nil {
		return nil, err
	}
	if a.delim, err = compile(plan.CastOf(args[1], catalog.TypeText)); err != nil {
		return nil, err
	}
	for _, k := range args[2:] {
		if k.Kind != plan.Call || len(k.Args) != 1 {
			return nil, sqlerr.New(sqlerr.Internal, "executor: malformed string_agg order key")
		}
		kn, err := compile(k.Args[0])
		if err != nil {
			return nil, err
		}
		t := k.Args[0].Type
		a.keys = append(a.keys, kn)
		a.kinfo = append(a.kinfo, sortKeyRT{p: physOf(t), desc: strings.HasPrefix(k.Op, "desc"), nullsFirst: strings.HasSuffix(k.Op, "nulls first"), trim: t.Kind == catalog.Bpchar, dec: isDynamic(t), iv: t.Kind == catalog.Interval})
		a.keyStore = append(a.keyStore, &vec.Vector{Type: t})
	}
	return a, nil
}

func (a *stringAgg) grow(n int) { a.ngroups = max(a.ngroups, n) }

// clear forgets every stored row (a window aggregate starting a new frame).
func (a *stringAgg) clear() {
	a.gids = a.gids[:0]
	a.vals.resetStr()
	a.dels.resetStr()
	for _, k := range a.keyStore {
		k.Reset()
	}
	a.sorted = false
}

// update stores the rows of b with a non-NULL value.
func (a *stringAgg) update(b *vec.Batch, gids []int32) error {
	var v, d *vec.Vector
	if a.phase == plan.Final {
		v = b.Cols[a.col]
	} else {
		var err error
		if v, err = a.val.eval(b); err != nil {
			return err
		}
		if d, err = a.delim.eval(b); err != nil {
			return err
		}
	}
	var kvs []*vec.Vector
	for _, k := range a.keys {
		kv, err := k.eval(b)
		if err != nil {
			return err
		}
		kvs = append(kvs, kv)
	}
	for i := range b.N {
		if v.Nulls != nil && v.Nulls[i] {
			continue
		}
		g := int32(0)
		if gids != nil {
			g = gids[i]
		}
		a.gids = append(a.gids, g)
		a.vals.Data = append(a.vals.Data, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
		a.vals.Offsets = append(a.vals.Offsets, int32(len(a.vals.Data)))
		if d == nil {
			a.dels.Data = append(a.dels.Data, a.cdel...)
		} else if d.Nulls == nil || !d.Nulls[i] {
			a.dels.Data = append(a.dels.Data, d.Data[d.Offsets[i]:d.Offsets[i+1]]...)
		}
		a.dels.Offsets = append(a.dels.Offsets, int32(len(a.dels.Data)))
		for k, kv := range kvs {
			appendVec(a.keyStore[k], kv, i, i+1)
		}
	}
	return nil
}

// order sorts the stored rows by group, keys, arrival.
func (a *stringAgg) order() {
	a.sorted = true
	n := len(a.gids)
	a.perm = iota32(a.perm, n)
	gids := a.gids
	ks := a.kinfo
	for i := range ks {
		ks[i].v = a.keyStore[i]
	}
	slices.SortStableFunc(a.perm, func(x, y int32) int {
		if c := cmp.Compare(gids[x], gids[y]); c != 0 {
			return c
		}
		for i := range ks {
			if c := ks[i].compare(x, y); c != 0 {
				return c
			}
		}
		return 0
	})
	a.start = make([]int32, a.ngroups+1)
	for _, g := range gids {
		a.start[g+1]++
	}
	for g := 1; g <= a.ngroups; g++ {
		a.start[g] += a.start[g-1]
	}
}

// emit writes the joined text of groups [from, to) into o.
func (a *stringAgg) emit(o *vecBuf, from, to int) {
	if !a.sorted {
		a.order()
	}
	n := to - from
	o.Type = catalog.TypeText
	o.resetStr()
	nl := o.nullsLen(n)
	vo, vd := a.vals.Offsets, a.vals.Data
	do, dd := a.dels.Offsets, a.dels.Data
	for g := from; g < to; g++ {
		rows := a.perm[a.start[g]:a.start[g+1]]
		if len(rows) == 0 {
			nl[g-from] = true
		}
		prev := int32(-1)
		for j, r := range rows {
			v := vd[vo[r]:vo[r+1]]
			if a.distinct && prev >= 0 && bytes.Equal(v, vd[vo[prev]:vo[prev+1]]) {
				continue
			}
			if j > 0 {
				o.Data = append(o.Data, dd[do[r]:do[r+1]]...)
			}
			o.Data = append(o.Data, v...)
			prev = r
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	if !anyTrue(nl) {
		o.clearNulls()
	}
}
