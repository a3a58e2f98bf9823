package executor

import (
	"context"
	"math"
	"math/bits"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Window functions (plan.Window), as PostgreSQL's nodeWindowAgg.c and
// windowfuncs.c compute them. The input arrives sorted by the partition
// keys, then the ORDER BY keys (a Sort below). The operator keeps every
// row column-wise, marks where partitions and peer groups (rows equal on
// the ORDER BY keys) start, computes each function into a column over all
// rows with typed loops, then emits the input columns with the results.
//
// Frames follow PostgreSQL exactly: a frame's head and tail are found per
// row (ROWS by position, GROUPS by peer group, RANGE by the ORDER BY key's
// value with PostgreSQL's in_range rules and NULL placement), and the
// EXCLUDE clause removes the current row, its peers or both. Aggregates
// run through the hash aggregate's states (one group) so their result
// types, overflow checks and numeric scales are the aggregate's: a frame
// that only grows (the default frame, UNBOUNDED PRECEDING) adds the new
// rows to the running state; a frame whose head moves is recomputed,
// except sum, count and avg over integers and fixed-scale numerics, which
// subtract the rows that left (exact, as PostgreSQL's inverse transition
// functions are); their EXCLUDE is taken out through prefix sums.
type windowOp struct {
	in      Operator
	n       *plan.Window
	inTypes []catalog.Type
	types   []catalog.Type
	store   []*vec.Vector
	rows    int

	// parts holds each partition's first row, then rows; peers the same
	// for peer groups, and peerOf each row's peer group.
	parts, peers []int32
	peerOf       []int32

	results []*vec.Vector
	done    bool
	pos     int
	out     *ownedBatch
}

func newWindow(in Operator, n *plan.Window) (Operator, error) {
	w := &windowOp{in: in, n: n, inTypes: n.Input.Types(), types: n.Types()}
	for _, c := range n.Partition {
		if c < 0 || c >= len(w.inTypes) {
			return nil, sqlerr.New(sqlerr.Internal, "executor: window partition key out of range")
		}
	}
	for _, k := range n.Order {
		if k.Expr.Kind != plan.ColumnRef || k.Expr.Col >= len(w.inTypes) {
			return nil, sqlerr.New(sqlerr.Internal, "executor: window order key is not an input column")
		}
	}
	for _, f := range n.Funcs {
		for _, a := range f.Args {
			if a.Kind != plan.Const && (a.Kind != plan.ColumnRef || a.Col >= len(w.inTypes)) {
				return nil, sqlerr.New(sqlerr.Internal, "executor: window function argument is not an input column")
			}
		}
	}
	w.store = make([]*vec.Vector, len(w.inTypes))
	for i, t := range w.inTypes {
		w.store[i] = vec.NewVector(t, 0)
	}
	return w, nil
}

func (w *windowOp) Types() []catalog.Type { return w.types }
func (w *windowOp) Close()                { w.in.Close() }

func (w *windowOp) consume(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := w.in.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			return nil
		}
		for i, c := range b.Cols {
			appendVec(w.store[i], c, 0, b.N)
		}
		w.rows += b.N
		if w.rows > math.MaxInt32-vec.BatchSize {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "window input has too many rows")
		}
	}
}

func (w *windowOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !w.done {
		if err := w.consume(ctx); err != nil {
			return nil, err
		}
		w.done = true
		w.segment()
		for _, f := range w.n.Funcs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r, err := w.compute(ctx, f)
			if err != nil {
				return nil, err
			}
			w.results = append(w.results, r)
		}
		w.out = newOwnedBatch(w.types)
	}
	if w.pos >= w.rows {
		return nil, nil
	}
	from, to := w.pos, min(w.pos+vec.BatchSize, w.rows)
	w.pos = to
	for i, c := range w.store {
		copyRange(&w.out.bufs[i], c, from, to)
	}
	for i, r := range w.results {
		copyRange(&w.out.bufs[len(w.store)+i], r, from, to)
	}
	w.out.N = to - from
	return &w.out.Batch, nil
}

// keyOf returns the comparator of an input column as a sort key.
func (w *windowOp) keyOf(col int, desc, nullsFirst bool) sortKeyRT {
	t := w.inTypes[col]
	return sortKeyRT{v: w.store[col], p: physOf(t), desc: desc, nullsFirst: nullsFirst, trim: t.Kind == catalog.Bpchar, dec: isDynamic(t), iv: t.Kind == catalog.Interval}
}

// segment finds the partitions and peer groups.
func (w *windowOp) segment() {
	n := w.rows
	brk := make([]bool, n)
	for _, c := range w.n.Partition {
		k := w.keyOf(c, false, false)
		markBreaks(brk, &k, n)
	}
	w.parts = starts(w.parts[:0], brk)
	for _, o := range w.n.Order {
		k := w.keyOf(o.Expr.Col, o.Desc, o.NullsFirst)
		markBreaks(brk, &k, n)
	}
	w.peers = starts(w.peers[:0], brk)
	w.peerOf = make([]int32, n)
	for g := 0; g+1 < len(w.peers); g++ {
		p := w.peerOf[w.peers[g]:w.peers[g+1]]
		for i := range p {
			p[i] = int32(g)
		}
	}
}

// markBreaks sets brk[i] where row i differs from row i-1 on key k.
func markBreaks(brk []bool, k *sortKeyRT, n int) {
	if k.p == pI64 && k.v.Nulls == nil {
		x := k.v.I64[:n]
		for i := 1; i < n; i++ {
			brk[i] = brk[i] || x[i] != x[i-1]
		}
		return
	}
	for i := 1; i < n; i++ {
		if !brk[i] && k.compare(int32(i-1), int32(i)) != 0 {
			brk[i] = true
		}
	}
}

// starts lists the rows where brk starts a run (row 0 always), then n.
func starts(dst []int32, brk []bool) []int32 {
	n := len(brk)
	if n > 0 {
		dst = append(dst, 0)
	}
	for i := 1; i < n; i++ {
		if brk[i] {
			dst = append(dst, int32(i))
		}
	}
	return append(dst, int32(n))
}

// compute returns function f's value for every row.
func (w *windowOp) compute(ctx context.Context, f *plan.WindowFunc) (*vec.Vector, error) {
	n := w.rows
	switch f.Func {
	case "row_number", "rank", "dense_rank":
		out := make([]int64, n)
		w.eachPartition(func(ps, pe, gs, ge int) {
			for r := ps; r < pe; r++ {
				switch f.Func {
				case "row_number":
					out[r] = int64(r - ps + 1)
				case "rank":
					out[r] = int64(int(w.peers[w.peerOf[r]]) - ps + 1)
				default:
					out[r] = int64(int(w.peerOf[r]) - gs + 1)
				}
			}
		})
		return &vec.Vector{Type: f.Type, I64: out}, nil
	case "percent_rank", "cume_dist":
		out := make([]float64, n)
		w.eachPartition(func(ps, pe, gs, ge int) {
			rows := float64(pe - ps)
			for r := ps; r < pe; r++ {
				g := w.peerOf[r]
				if f.Func == "cume_dist" {
					out[r] = float64(int(w.peers[g+1])-ps) / rows
				} else if pe-ps > 1 {
					out[r] = float64(int(w.peers[g])-ps) / (rows - 1)
				}
			}
		})
		return &vec.Vector{Type: f.Type, F64: out}, nil
	case "ntile":
		return w.ntile(f)
	case "lag", "lead":
		return w.lagLead(f)
	case "first_value", "last_value", "nth_value":
		return w.frameValue(f)
	case "agg":
		return w.aggregate(ctx, f)
	}
	return nil, sqlerr.Errorf(sqlerr.Internal, "executor: unknown window function %s", f.Func)
}

// eachPartition calls fn with each partition's rows [ps, pe) and peer
// groups [gs, ge).
func (w *windowOp) eachPartition(fn func(ps, pe, gs, ge int)) {
	for p := 0; p+1 < len(w.parts); p++ {
		ps, pe := int(w.parts[p]), int(w.parts[p+1])
		fn(ps, pe, int(w.peerOf[ps]), int(w.peerOf[pe-1])+1)
	}
}

// arg reads a function argument: an input column, or a constant (one
// value read at index 0 for every row).
type winArg struct {
	v     *vec.Vector
	shift uint // 0 for a column, 63 for a constant (row index r>>63 is 0)
}

func (w *windowOp) arg(e *plan.Expr) winArg {
	if e.Kind == plan.ColumnRef {
		return winArg{v: w.store[e.Col]}
	}
	v := vec.NewVector(e.Type, 1)
	appendDatum(v, e.Value)
	return winArg{v: v, shift: 63}
}

func (a winArg) at(r int) int        { return int(uint(r) >> a.shift) }
func (a winArg) null(r int) bool     { return a.v.IsNull(a.at(r)) }
func (a winArg) int64At(r int) int64 { return a.v.I64[a.at(r)] }

// ntile is PostgreSQL's window_ntile: the bucket count is read at the
// partition's first row (and again at each following row while it is
// NULL, whose result is NULL).
func (w *windowOp) ntile(f *plan.WindowFunc) (*vec.Vector, error) {
	nb := w.arg(f.Args[0])
	out := &vec.Vector{Type: f.Type, I64: make([]int64, w.rows)}
	var err error
	w.eachPartition(func(ps, pe, _, _ int) {
		if err != nil {
			return
		}
		total := int64(pe - ps)
		var tile, perBucket, boundary, remainder int64
		for r := ps; r < pe; r++ {
			if tile == 0 {
				if nb.null(r) {
					setNull(out, r)
					continue
				}
				buckets := nb.int64At(r)
				if buckets <= 0 {
					err = sqlerr.New(sqlerr.InvalidArgumentForNtile, "argument of ntile must be greater than zero")
					return
				}
				tile, perBucket = 1, 0
				boundary = total / buckets
				if boundary <= 0 {
					boundary = 1
				} else if remainder = total % buckets; remainder != 0 {
					boundary++
				}
			}
			perBucket++
			if boundary < perBucket {
				if remainder != 0 && tile == remainder {
					remainder = 0
					boundary--
				}
				tile++
				perBucket = 1
			}
			out.I64[r] = tile
		}
	})
	return out, err
}

// setNull marks value r of a vector with full-length value slices NULL.
func setNull(v *vec.Vector, r int) {
	if v.Nulls == nil {
		v.Nulls = make([]bool, v.Len())
	}
	v.Nulls[r] = true
}

// lagLead is lag/lead(x, offset, default): x at offset rows before (lag)
// or after (lead) the current row in its partition, default when that
// row is outside it, NULL for a NULL offset. The offset and default are
// read at the current row.
func (w *windowOp) lagLead(f *plan.WindowFunc) (*vec.Vector, error) {
	x, off, def := w.arg(f.Args[0]), w.arg(f.Args[1]), w.arg(f.Args[2])
	out := vec.NewVector(f.Type, w.rows)
	sign := int64(-1)
	if f.Func == "lead" {
		sign = 1
	}
	w.eachPartition(func(ps, pe, _, _ int) {
		for r := ps; r < pe; r++ {
			if off.null(r) {
				out.AppendNull()
				continue
			}
			j := int64(r) + sign*off.int64At(r)
			if j < int64(ps) || j >= int64(pe) {
				out.AppendFrom(def.v, def.at(r))
				continue
			}
			out.AppendFrom(x.v, x.at(int(j)))
		}
	})
	return out, nil
}

// frame finds rows' frames; a frame is [head, tail) minus the excluded
// rows. Like PostgreSQL, the RANGE and GROUPS head and tail move forward
// from the previous row's within a partition.
type frame struct {
	w  *windowOp
	f  plan.Frame
	ps int // the partition
	pe int
	// head and tail of the previous row (RANGE and GROUPS offsets)
	head, tail int
	key        sortKeyRT // RANGE offsets: the ORDER BY key
	keyP       phys
	desc       bool
	// keyMicros converts the key to the offset's unit: microseconds per
	// day for a date key (its offsets are intervals), else 1.
	keyMicros int64
}

func (w *windowOp) newFrame(f plan.Frame) *frame {
	fr := &frame{w: w, f: f}
	if len(w.n.Order) == 1 {
		o := w.n.Order[0]
		fr.key = w.keyOf(o.Expr.Col, o.Desc, o.NullsFirst)
		fr.keyP = physOf(w.inTypes[o.Expr.Col])
		fr.desc = o.Desc
		fr.keyMicros = 1
		if w.inTypes[o.Expr.Col].Kind == catalog.Date {
			fr.keyMicros = 86_400_000_000
		}
	}
	return fr
}

// start begins partition [ps, pe).
func (fr *frame) start(ps, pe int) { fr.ps, fr.pe, fr.head, fr.tail = ps, pe, ps, ps }

// bounds returns row r's frame [head, tail) before exclusion.
func (fr *frame) bounds(r int) (int, int) {
	fr.head = fr.bound(r, fr.f.Start, true)
	fr.tail = fr.bound(r, fr.f.End, false)
	return fr.head, max(fr.tail, fr.head)
}

func (fr *frame) bound(r int, b plan.FrameBound, isHead bool) int {
	w := fr.w
	noOrder := len(w.n.Order) == 0
	peerStart := func() int { return int(w.peers[w.peerOf[r]]) }
	peerEnd := func() int { return int(w.peers[w.peerOf[r]+1]) }
	switch b.Kind {
	case plan.UnboundedPreceding:
		return fr.ps
	case plan.UnboundedFollowing:
		return fr.pe
	case plan.CurrentRow:
		switch {
		case fr.f.Mode == plan.RowsFrame && isHead:
			return r
		case fr.f.Mode == plan.RowsFrame:
			return r + 1
		case noOrder && isHead:
			return fr.ps
		case noOrder:
			return fr.pe
		case isHead:
			return peerStart()
		}
		return peerEnd()
	}
	off := b.Offset
	following := b.Kind == plan.OffsetFollowing
	switch fr.f.Mode {
	case plan.RowsFrame:
		d := off.I
		if !following {
			d = -d
		}
		pos := addClamp(int64(r), d)
		if !isHead {
			pos = addClamp(pos, 1)
		}
		return int(min(max(pos, int64(fr.ps)), int64(fr.pe)))
	case plan.GroupsFrame:
		g := int64(w.peerOf[r])
		first, last := int64(w.peerOf[fr.ps]), int64(w.peerOf[fr.pe-1])
		d := off.I
		if !following {
			d = -d
		}
		target := addClamp(g, d)
		if isHead {
			// the first row of the first group >= target
			if target <= first {
				return fr.ps
			}
			if target > last {
				return fr.pe
			}
			return int(w.peers[target])
		}
		// the row after the last group <= target
		if target < first {
			return fr.ps
		}
		if target >= last {
			return fr.pe
		}
		return int(w.peers[target+1])
	}
	// RANGE with an offset.
	if noOrder {
		if isHead {
			return fr.ps
		}
		return fr.pe
	}
	if isHead {
		h := max(fr.head, fr.ps)
		sub := !following
		less := false
		if fr.desc {
			sub, less = !sub, true
		}
		for h < fr.pe {
			hn, cn := fr.key.v.IsNull(h), fr.key.v.IsNull(r)
			if hn || cn {
				if fr.key.nullsFirst {
					if !hn || cn {
						break
					}
				} else if hn || !cn {
					break
				}
			} else if fr.inRange(h, r, off, sub, less) {
				break
			}
			h++
		}
		return h
	}
	t := max(fr.tail, fr.ps)
	sub := !following
	less := true
	if fr.desc {
		sub, less = !sub, false
	}
	for t < fr.pe {
		tn, cn := fr.key.v.IsNull(t), fr.key.v.IsNull(r)
		if tn || cn {
			if fr.key.nullsFirst {
				if !tn {
					break
				}
			} else if !cn {
				break
			}
		} else if !fr.inRange(t, r, off, sub, less) {
			break
		}
		t++
	}
	return t
}

// inRange is PostgreSQL's in_range(val, base, offset, sub, less) for the
// key's rows val and base: val <= base ∓ offset when less, else >=.
func (fr *frame) inRange(val, base int, off plan.Datum, sub, less bool) bool {
	v := fr.key.v
	if fr.keyP == pF64 {
		x, b, o := v.F64[val], v.F64[base], off.F
		switch {
		case math.IsNaN(x):
			return math.IsNaN(b) || !less
		case math.IsNaN(b):
			return less
		case math.IsInf(o, 0) && math.IsInf(b, 0) && (sub && b > 0 || !sub && b < 0):
			return true
		}
		sum := b + o
		if sub {
			sum = b - o
		}
		if less {
			return x <= sum
		}
		return x >= sum
	}
	x, b, o := v.I64[val], v.I64[base], off.I
	if fr.keyMicros != 1 {
		// Dates compare as timestamps at midnight (in the range of
		// timestamps, so the products fit).
		x, b = x*fr.keyMicros, b*fr.keyMicros
	}
	if sub {
		o = -o
	}
	sum := b + o
	if (sum > b) != (o > 0) {
		// Overflow: the true sum is beyond every value.
		return sub != less
	}
	if less {
		return x <= sum
	}
	return x >= sum
}

// addClamp is a + b saturated at the int64 range.
func addClamp(a, b int64) int64 {
	s := a + b
	if (s > a) != (b > 0) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// segments returns the parts of frame [h, t) that row r's exclusion keeps,
// in order, appended to dst as pairs.
func (fr *frame) segments(dst []int, r, h, t int) []int {
	var xs, xe int // excluded rows [xs, xe)
	switch fr.f.Exclude {
	case plan.ExcludeNoOthers:
		if h < t {
			dst = append(dst, h, t)
		}
		return dst
	case plan.ExcludeCurrentRow:
		xs, xe = r, r+1
	default:
		xs, xe = fr.peerRange(r)
	}
	add := func(a, b int) {
		a, b = max(a, h), min(b, t)
		if a < b {
			dst = append(dst, a, b)
		}
	}
	if fr.f.Exclude == plan.ExcludeTies {
		add(h, xs)
		add(r, r+1)
		add(xe, t)
		return dst
	}
	add(h, xs)
	add(xe, t)
	return dst
}

// peerRange is row r's peer group (the whole partition without ORDER BY).
func (fr *frame) peerRange(r int) (int, int) {
	if len(fr.w.n.Order) == 0 {
		return fr.ps, fr.pe
	}
	g := fr.w.peerOf[r]
	return int(fr.w.peers[g]), int(fr.w.peers[g+1])
}

// frameValue is first_value, last_value and nth_value over each row's
// frame.
func (w *windowOp) frameValue(f *plan.WindowFunc) (*vec.Vector, error) {
	x := w.arg(f.Args[0])
	var nth winArg
	if f.Func == "nth_value" {
		nth = w.arg(f.Args[1])
	}
	out := vec.NewVector(f.Type, w.rows)
	fr := w.newFrame(f.Frame)
	var segs []int
	var err error
	w.eachPartition(func(ps, pe, _, _ int) {
		fr.start(ps, pe)
		for r := ps; r < pe && err == nil; r++ {
			h, t := fr.bounds(r)
			segs = fr.segments(segs[:0], r, h, t)
			pick := -1
			switch f.Func {
			case "first_value":
				if len(segs) > 0 {
					pick = segs[0]
				}
			case "last_value":
				if len(segs) > 0 {
					pick = segs[len(segs)-1] - 1
				}
			default:
				if nth.null(r) {
					break
				}
				k := nth.int64At(r)
				if k <= 0 {
					err = sqlerr.New(sqlerr.InvalidArgumentForNthValue, "argument of nth_value must be greater than zero")
					return
				}
				for i := 0; i < len(segs); i += 2 {
					if n := int64(segs[i+1] - segs[i]); k > n {
						k -= n
						continue
					}
					pick = segs[i] + int(k) - 1
					break
				}
			}
			if pick < 0 {
				out.AppendNull()
				continue
			}
			out.AppendFrom(x.v, x.at(pick))
		}
	})
	return out, err
}

// winAgg computes an aggregate over frames with the hash aggregate's
// state for one group.
type winAgg struct {
	a    *aggOp
	s    *aggState
	ob   *ownedBatch
	view vec.Batch
	cols []vec.Vector
	// reads lists the input columns the aggregate reads, with their
	// physical types: the only columns of view that add sets.
	reads []int
	phys  []phys
}

func (w *windowOp) newWinAgg(call *plan.AggCall) (*winAgg, error) {
	node := &plan.Aggregate{Input: &plan.Values{ColTypes: w.inTypes}, Aggs: []*plan.AggCall{call}, Phase: plan.Complete}
	op, err := newAggregate(NewSliceSource(w.inTypes, nil), node)
	if err != nil {
		return nil, err
	}
	a := op.(*aggOp)
	wa := &winAgg{a: a, s: a.aggs[0], ob: newOwnedBatch([]catalog.Type{call.Type})}
	wa.cols = make([]vec.Vector, len(w.store))
	wa.view.Cols = make([]*vec.Vector, len(w.store))
	for i := range wa.cols {
		wa.view.Cols[i] = &wa.cols[i]
		wa.cols[i].Type = w.inTypes[i]
	}
	seen := map[int]bool{}
	forRefsIn(call.Arg, func(c int) {
		if !seen[c] && c < len(w.store) {
			seen[c] = true
			wa.reads = append(wa.reads, c)
			wa.phys = append(wa.phys, physOf(w.inTypes[c]))
		}
	})
	return wa, nil
}

// reset empties the state.
func (wa *winAgg) reset() {
	s := wa.s
	if s.sagg != nil {
		s.sagg.clear()
		return
	}
	s.reset(0)
	s.bound = 0
	s.arena = s.arena[:0]
	if s.dsum != nil {
		s.dsum.clear(0)
	}
}

// add folds rows [from, to) of store into the state.
func (wa *winAgg) add(store []*vec.Vector, from, to int) error {
	if from >= to {
		return nil
	}
	for k, i := range wa.reads {
		v, c := store[i], &wa.cols[i]
		c.Nulls = nil
		switch wa.phys[k] {
		case pI64:
			c.I64 = v.I64[from:to]
		case pF64:
			c.F64 = v.F64[from:to]
		case pBool:
			c.Bool = v.Bool[from:to]
		case pStr:
			c.Offsets, c.Data = v.Offsets[from:to+1], v.Data
		}
		if v.Nulls != nil {
			c.Nulls = v.Nulls[from:to]
		}
	}
	wa.view.N = to - from
	if wa.s.sagg != nil {
		wa.s.sagg.sorted = false
	}
	return wa.a.update(wa.s, &wa.view, nil)
}

// value returns the aggregate of the rows added since the last reset.
func (wa *winAgg) value() (*vec.Vector, error) {
	if _, err := wa.a.emit(wa.s, wa.ob, 0, 0, 1); err != nil {
		return nil, err
	}
	return &wa.ob.bufs[0].Vector, nil
}

// aggregate computes an aggregate over each row's frame.
func (w *windowOp) aggregate(ctx context.Context, f *plan.WindowFunc) (*vec.Vector, error) {
	wa, err := w.newWinAgg(f.Agg)
	if err != nil {
		return nil, err
	}
	if out, ok, err := w.fastAggregate(f, wa); ok {
		return out, err
	}
	if out, ok, err := w.runningMinMax(f, wa); ok {
		return out, err
	}
	if out, ok, err := w.runningFloatSum(f, wa); ok {
		return out, err
	}
	out := vec.NewVector(f.Type, w.rows)
	fr := w.newFrame(f.Frame)
	var segs []int
	for p := 0; p+1 < len(w.parts); p++ {
		ps, pe := int(w.parts[p]), int(w.parts[p+1])
		fr.start(ps, pe)
		// The state holds rows [curH, curT) when curH >= 0.
		curH, curT := -1, -1
		var last *vec.Vector
		for r := ps; r < pe; r++ {
			if r%1024 == 0 {
				// Frames recomputed row by row can take long: stay cancellable.
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			h, t := fr.bounds(r)
			changed := true
			switch {
			case fr.f.Exclude == plan.ExcludeNoOthers && h == curH && t >= curT:
				if err := wa.add(w.store, curT, t); err != nil {
					return nil, err
				}
				changed = t > curT
				curT = t
			default:
				wa.reset()
				segs = fr.segments(segs[:0], r, h, t)
				for i := 0; i < len(segs); i += 2 {
					if err := wa.add(w.store, segs[i], segs[i+1]); err != nil {
						return nil, err
					}
				}
				curH, curT = h, t
				if fr.f.Exclude != plan.ExcludeNoOthers {
					curH = -1
				}
			}
			if changed || last == nil {
				if last, err = wa.value(); err != nil {
					return nil, err
				}
			}
			appendVec(out, last, 0, 1)
		}
	}
	return out, nil
}

// fastAggregate computes count, sum and avg over integers and fixed-scale
// numerics (and count(*)) with typed running 128-bit sums: rows entering
// the frame are added, rows leaving it subtracted. ok is false for other
// aggregates and for frames with an exclusion.
func (w *windowOp) fastAggregate(f *plan.WindowFunc, wa *winAgg) (out *vec.Vector, ok bool, err error) {
	s := wa.s
	if s.sagg != nil || s.dsum != nil {
		return nil, false, nil
	}
	if f.Agg.Arg != nil && f.Agg.Arg.Kind != plan.ColumnRef {
		return nil, false, nil
	}
	var vals []int64
	var nulls []bool
	switch s.fn {
	case fCountStar:
	case fCount:
		v := w.store[f.Agg.Arg.Col]
		nulls = v.Nulls
	case fSum, fAvg:
		if !s.wide {
			return nil, false, nil
		}
		v := w.store[f.Agg.Arg.Col]
		vals, nulls = v.I64, v.Nulls
	default:
		return nil, false, nil
	}
	fr := w.newFrame(f.Frame)
	// Frames are computed into the aggregate's state, one group per row,
	// and emitted BatchSize rows at a time.
	sl := newSlots(wa, f.Type, w.rows)
	var hi, lo, cnt int64 // the state of rows [curH, curT)
	add := func(from, to int, sign int64) {
		if vals == nil {
			if nulls == nil {
				cnt += sign * int64(to-from)
				return
			}
			for _, isNull := range nulls[from:to] {
				cnt += sign * int64(1-b2i(isNull))
			}
			return
		}
		x := vals[from:to]
		var nl []bool
		if nulls != nil {
			nl = nulls[from:to]
		}
		for i, v := range x {
			if nl != nil && nl[i] {
				continue
			}
			if sign > 0 {
				l, c := bits.Add64(uint64(lo), uint64(v), 0)
				lo, hi = int64(l), hi+v>>63+int64(c)
			} else {
				l, b := bits.Sub64(uint64(lo), uint64(v), 0)
				lo, hi = int64(l), hi-v>>63-int64(b)
			}
			cnt += sign
		}
	}
	var ex *excluded
	if f.Frame.Exclude != plan.ExcludeNoOthers {
		ex = newExcluded(vals, nulls, w.rows)
	}
	for p := 0; p+1 < len(w.parts); p++ {
		ps, pe := int(w.parts[p]), int(w.parts[p+1])
		fr.start(ps, pe)
		curH, curT := ps, ps
		hi, lo, cnt = 0, 0, 0
		for r := ps; r < pe; r++ {
			h, t := fr.bounds(r)
			if h >= curT || t <= curH || absInt(h-curH)+absInt(t-curT) > t-h {
				// Start over when that is cheaper than moving both ends.
				hi, lo, cnt = 0, 0, 0
				curH, curT = h, h
			}
			if h < curH {
				add(h, curH, 1)
				curH = h
			}
			if h > curH {
				add(curH, h, -1)
				curH = h
			}
			if t > curT {
				add(curT, t, 1)
				curT = t
			}
			if t < curT {
				add(t, curT, -1)
				curT = t
			}
			rh, rl, rc := hi, lo, cnt
			if ex != nil {
				rh, rl, rc = ex.apply(fr, r, h, t, rh, rl, rc)
			}
			g := sl.g
			switch s.fn {
			case fCountStar, fCount:
				s.cnt[g] = rc
			case fAvg:
				s.cnt[g] = rc
				s.hi[g], s.i64[g], s.has[g] = rh, rl, rc > 0
			default:
				s.hi[g], s.i64[g], s.has[g] = rh, rl, rc > 0
			}
			if err := sl.filled(); err != nil {
				return nil, true, err
			}
		}
	}
	return sl.out, true, sl.flush()
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// forRefsIn calls f with the input column of every column reference in e.
func forRefsIn(e *plan.Expr, f func(int)) {
	if e == nil {
		return
	}
	if e.Kind == plan.ColumnRef {
		f(e.Col)
	}
	for _, a := range e.Args {
		forRefsIn(a, f)
	}
}

// runningMinMax computes min and max over integers, fixed-scale numerics,
// dates, timestamps and floats for frames that start at the partition's
// start (their tails only move forward): one typed pass keeping the
// running extreme. ok is false otherwise.
func (w *windowOp) runningMinMax(f *plan.WindowFunc, wa *winAgg) (out *vec.Vector, ok bool, err error) {
	s := wa.s
	if (s.fn != fMin && s.fn != fMax) || f.Frame.Start.Kind != plan.UnboundedPreceding || f.Frame.Exclude != plan.ExcludeNoOthers ||
		f.Agg.Arg.Kind != plan.ColumnRef || (s.p != pI64 && s.p != pF64) {
		return nil, false, nil
	}
	v := w.store[f.Agg.Arg.Col]
	isMax := s.fn == fMax
	fr := w.newFrame(f.Frame)
	sl := newSlots(wa, f.Type, w.rows)
	for p := 0; p+1 < len(w.parts); p++ {
		ps, pe := int(w.parts[p]), int(w.parts[p+1])
		fr.start(ps, pe)
		curT, has := ps, false
		var xi int64
		var xf float64
		for r := ps; r < pe; r++ {
			_, t := fr.bounds(r)
			for ; curT < t; curT++ {
				if v.IsNull(curT) {
					continue
				}
				if s.p == pI64 {
					if y := v.I64[curT]; !has || (y > xi) == isMax && y != xi {
						xi = y
					}
				} else if y := v.F64[curT]; !has || (floatCmp(y, xf) > 0) == isMax && floatCmp(y, xf) != 0 {
					xf = y
				}
				has = true
			}
			s.has[sl.g] = has
			if s.p == pI64 {
				s.i64[sl.g] = xi
			} else {
				s.f64[sl.g] = xf
			}
			if err := sl.filled(); err != nil {
				return nil, true, err
			}
		}
	}
	return sl.out, true, sl.flush()
}

// runningFloatSum computes sum and avg over floats for frames that start
// at the partition's start, adding each row once in order, as
// PostgreSQL's float8pl and float8_accum do (floats have no inverse
// transition: a frame whose head moves is summed again from its head).
func (w *windowOp) runningFloatSum(f *plan.WindowFunc, wa *winAgg) (out *vec.Vector, ok bool, err error) {
	s := wa.s
	if (s.fn != fSum && s.fn != fAvg) || s.p != pF64 || f.Frame.Start.Kind != plan.UnboundedPreceding ||
		f.Frame.Exclude != plan.ExcludeNoOthers || f.Agg.Arg.Kind != plan.ColumnRef {
		return nil, false, nil
	}
	v := w.store[f.Agg.Arg.Col]
	fr := w.newFrame(f.Frame)
	sl := newSlots(wa, f.Type, w.rows)
	for p := 0; p+1 < len(w.parts); p++ {
		ps, pe := int(w.parts[p]), int(w.parts[p+1])
		fr.start(ps, pe)
		curT := ps
		var sum float64
		var cnt int64
		for r := ps; r < pe; r++ {
			_, t := fr.bounds(r)
			for ; curT < t; curT++ {
				if !v.IsNull(curT) {
					sum += v.F64[curT]
					cnt++
				}
			}
			s.f64[sl.g], s.has[sl.g] = sum, cnt > 0
			if s.fn == fAvg {
				s.cnt[sl.g] = cnt
			}
			if err := sl.filled(); err != nil {
				return nil, true, err
			}
		}
	}
	return sl.out, true, sl.flush()
}

// slots fills a window aggregate's state one group slot per row, BatchSize
// rows at a time, and appends the emitted values to out.
type slots struct {
	wa  *winAgg
	out *vec.Vector
	g   int
}

func newSlots(wa *winAgg, t catalog.Type, rows int) *slots {
	wa.a.setGroups(vec.BatchSize, false)
	return &slots{wa: wa, out: vec.NewVector(t, rows)}
}

// filled records that slot g holds the next row's state.
func (c *slots) filled() error {
	if c.g++; c.g == vec.BatchSize {
		return c.flush()
	}
	return nil
}

// flush emits the filled slots.
func (c *slots) flush() error {
	if c.g == 0 {
		return nil
	}
	if _, err := c.wa.a.emit(c.wa.s, c.wa.ob, 0, 0, c.g); err != nil {
		return err
	}
	appendVec(c.out, &c.wa.ob.bufs[0].Vector, 0, c.g)
	c.g = 0
	return nil
}

// excluded takes a frame's excluded rows out of a count or 128-bit sum
// through prefix sums over all rows (in O(1) per row however many peers
// the current row has).
type excluded struct {
	hi, lo, cnt []int64 // sums and counts of rows [0, i)
}

func newExcluded(vals []int64, nulls []bool, n int) *excluded {
	e := &excluded{hi: make([]int64, n+1), lo: make([]int64, n+1), cnt: make([]int64, n+1)}
	for i := range n {
		e.hi[i+1], e.lo[i+1], e.cnt[i+1] = e.hi[i], e.lo[i], e.cnt[i]
		if nulls != nil && nulls[i] {
			continue
		}
		e.cnt[i+1]++
		if vals != nil {
			l, c := bits.Add64(uint64(e.lo[i]), uint64(vals[i]), 0)
			e.lo[i+1], e.hi[i+1] = int64(l), e.hi[i]+vals[i]>>63+int64(c)
		}
	}
	return e
}

// apply returns the state (hi:lo, cnt) of frame [h, t) less row r's
// exclusion.
func (e *excluded) apply(fr *frame, r, h, t int, hi, lo, cnt int64) (int64, int64, int64) {
	sub := func(a, b int, sign int64) {
		a, b = max(a, h), min(b, t)
		if a >= b {
			return
		}
		dl, bw := bits.Sub64(uint64(e.lo[b]), uint64(e.lo[a]), 0)
		dh := e.hi[b] - e.hi[a] - int64(bw)
		if sign < 0 {
			l, bw := bits.Sub64(uint64(lo), dl, 0)
			lo, hi = int64(l), hi-dh-int64(bw)
		} else {
			l, c := bits.Add64(uint64(lo), dl, 0)
			lo, hi = int64(l), hi+dh+int64(c)
		}
		cnt += sign * (e.cnt[b] - e.cnt[a])
	}
	switch fr.f.Exclude {
	case plan.ExcludeCurrentRow:
		sub(r, r+1, -1)
	case plan.ExcludeGroup:
		xs, xe := fr.peerRange(r)
		sub(xs, xe, -1)
	case plan.ExcludeTies:
		xs, xe := fr.peerRange(r)
		sub(xs, xe, -1)
		sub(r, r+1, 1)
	}
	return hi, lo, cnt
}
