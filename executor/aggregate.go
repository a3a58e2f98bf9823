package executor

import (
	"bytes"
	"context"
	"math/big"
	"math/bits"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Hash aggregation. Each input batch: evaluate the group keys, map rows to
// dense group ids through a groupTable, then run one typed loop per
// aggregate over (group id, value) pairs into state columns indexed by
// group id. Without GROUP BY there is one group and the loops accumulate
// into a local. Output is emitted in group-id order after the input ends.

type aggFunc uint8

const (
	fCountStar aggFunc = iota
	fCount
	fSum
	fAvg
	fMin
	fMax
)

// aggState holds one aggregate's state for every group.
type aggState struct {
	call *plan.AggCall
	fn   aggFunc
	arg  node // Complete/Partial: the argument (nil for count(*))
	cols []int
	valT catalog.Type // type of the values summed or compared
	p    phys
	trim bool // char(n) min/max
	// wide sums (over int64-backed values) are 128-bit: hi:i64 as words.
	wide  bool
	hi    []int64
	ovErr error
	// part holds per-group int64 partial sums added to hi:i64 by flush;
	// |part[g]| <= bound < 2^63 (see addWide).
	part  []int64
	bound uint64
	// shared >= 0: the sum is the same as aggregate shared's (sum(x) and
	// avg(x)), copied from it when the input ends instead of accumulated.
	shared int
	dsum   *dynSum // sum/avg over dynamic-scale numerics

	cnt   []int64
	i64   []int64
	f64   []float64
	bl    []bool
	has   []bool
	soff  []int64 // string min/max: value in arena[soff:soff+slen]
	slen  []int32
	arena []byte

	distinct *distinctFilter
	sagg     *stringAgg // string_agg (agg_string.go)
}

func (s *aggState) grow(n int) {
	if s.sagg != nil {
		s.sagg.grow(n)
		return
	}
	switch s.fn {
	case fCountStar, fCount:
		s.cnt = extend(s.cnt, n)
		return
	case fAvg:
		s.cnt = extend(s.cnt, n)
	}
	s.has = extend(s.has, n)
	if s.wide {
		s.hi = extend(s.hi, n)
		s.part = extend(s.part, n)
	}
	if s.dsum != nil {
		s.dsum.grow(n)
	}
	switch s.p {
	case pI64:
		s.i64 = extend(s.i64, n)
	case pF64:
		s.f64 = extend(s.f64, n)
	case pBool:
		s.bl = extend(s.bl, n)
	case pStr:
		s.soff = extend(s.soff, n)
		s.slen = extend(s.slen, n)
	}
}

type aggOp struct {
	in      Operator
	phase   plan.AggPhase
	ngroup  int
	groups  []node // Complete/Partial group expressions
	keyVecs []*vec.Vector
	table   *groupTable
	aggs    []*aggState
	types   []catalog.Type
	gids    []int32
	zeros   []int32
	ngroups int
	// stateLen is the length states are grown to: ngroups, plus the trash
	// group when one exists.
	stateLen int
	// Fused filter (aggfuse.go): filt's predicate is applied here rather
	// than by a filter operator below; rows it drops are aggregated into
	// the trash group (state index trash, never emitted) instead of being
	// compacted away. trash < 0: no trash group yet.
	filt  *BatchFilter
	proj  []int  // the aggregate's input columns in the filter's input (nil: same)
	need  []bool // input columns the aggregate reads
	fmask []bool
	sel   []int32
	cbuf  *ownedBatch
	view  vec.Batch
	empty []*vec.Vector
	trash int32
	argv  []*vec.Vector
	// cse computes the arguments' common subexpressions as columns after
	// the input's, in ext (aggcse.go).
	cse []node
	ext vec.Batch
	// hist counts the current batch's rows per group, for the counts.
	hist   []int64
	histOK bool

	done, emitted bool
	pos           int
	out           *ownedBatch
}

func newAggregate(in Operator, n *plan.Aggregate) (Operator, error) {
	a := &aggOp{in: in, phase: n.Phase, ngroup: len(n.Groups), types: n.Types()}
	var inTypes []catalog.Type
	var keyTypes []catalog.Type
	if n.Phase == plan.Final {
		inTypes = n.Input.Types()
		if len(inTypes) < len(n.Groups) {
			return nil, sqlerr.New(sqlerr.Internal, "executor: final aggregate input lacks group columns")
		}
		keyTypes = inTypes[:len(n.Groups)]
	} else {
		var err error
		if a.groups, err = compileAll(n.Groups); err != nil {
			return nil, err
		}
		keyTypes = exprTypesOf(n.Groups)
	}
	var cse *aggCSE
	if n.Phase != plan.Final {
		if cse = findAggCSE(n.Aggs, len(n.Input.Types())); cse != nil {
			for _, d := range cse.defs {
				c, err := compile(d)
				if err != nil {
					return nil, err
				}
				a.cse = append(a.cse, c)
			}
		}
	}
	col := len(n.Groups)
	for _, call := range n.Aggs {
		if call.Func == "string_agg" {
			sa, err := newStringAgg(call, n.Phase, col)
			if err != nil {
				return nil, err
			}
			a.aggs = append(a.aggs, &aggState{call: call, sagg: sa})
			col++
			continue
		}
		s := &aggState{call: call, shared: -1}
		switch call.Func {
		case "count":
			s.fn = fCount
			if call.Arg == nil {
				s.fn = fCountStar
			}
		case "sum":
			s.fn = fSum
		case "avg":
			s.fn = fAvg
		case "min":
			s.fn = fMin
		case "max":
			s.fn = fMax
		default:
			return nil, sqlerr.Unsupported("aggregate function %s is not supported", call.Func)
		}
		if call.Distinct && n.Phase != plan.Complete {
			return nil, sqlerr.Unsupported("%s(DISTINCT) cannot run in two phases", call.Func)
		}
		if s.fn != fCountStar && call.Arg == nil && n.Phase != plan.Final {
			return nil, sqlerr.Errorf(sqlerr.Internal, "executor: %s without argument", call.Func)
		}
		if n.Phase == plan.Final {
			nst := 1
			if s.fn != fCountStar && s.fn != fCount {
				nst = len(call.StateTypes())
			}
			if col+nst > len(inTypes) {
				return nil, sqlerr.New(sqlerr.Internal, "executor: final aggregate input lacks state columns")
			}
			for k := 0; k < nst; k++ {
				s.cols = append(s.cols, col+k)
			}
			s.valT = inTypes[col]
			if s.fn == fSum || s.fn == fAvg {
				s.valT = call.SumType()
			}
			col += nst
		} else if call.Arg != nil {
			var err error
			if s.arg, err = compile(cse.argOf(call)); err != nil {
				return nil, err
			}
			s.valT = call.Arg.Type
			if s.fn == fSum || s.fn == fAvg {
				if !call.Arg.Type.IsNumeric() {
					return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", call.Func, call.Arg.Type)
				}
				s.valT = call.SumType()
			}
		}
		if isDynamic(s.valT) && (s.fn == fSum || s.fn == fAvg) {
			s.dsum = &dynSum{}
		}
		s.p = physOf(s.valT)
		s.wide = (s.fn == fSum || s.fn == fAvg) && s.p == pI64
		s.trim = s.valT.Kind == catalog.Bpchar
		s.ovErr = errInt8Range
		if s.valT.Kind == catalog.Numeric {
			s.ovErr = errNumericOverflow
		}
		if call.Distinct && s.arg != nil {
			s.distinct = newDistinctFilter(call.Arg.Type)
		}
		a.aggs = append(a.aggs, s)
	}
	if len(n.Groups) > 0 {
		a.table = newGroupTable(keyTypes)
		a.keyVecs = make([]*vec.Vector, len(n.Groups))
	} else {
		a.ngroups, a.stateLen = 1, 1
		for _, s := range a.aggs {
			s.grow(1)
		}
	}
	a.trash = -1
	a.argv = make([]*vec.Vector, len(a.aggs))
	if n.Phase != plan.Final {
		a.shareSums()
		a.fuse(in)
	}
	return a, nil
}

func exprTypesOf(es []*plan.Expr) []catalog.Type {
	ts := make([]catalog.Type, len(es))
	for i, e := range es {
		ts[i] = e.Type
	}
	return ts
}

func (a *aggOp) Types() []catalog.Type { return a.types }
func (a *aggOp) Close()                { a.in.Close() }

func (a *aggOp) consume(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := a.in.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			a.finish()
			return nil
		}
		if b.N == 0 {
			continue
		}
		if a.filt != nil {
			var done bool
			if b, done, err = a.applyFilter(b); err != nil {
				return err
			}
			if done {
				continue
			}
		}
		if err := a.consumeBatch(b); err != nil {
			return err
		}
	}
}

// consumeBatch aggregates every row of b.
func (a *aggOp) consumeBatch(b *vec.Batch) error {
	var gids []int32
	a.histOK = false
	b, err := a.withCSE(b)
	if err != nil {
		return err
	}
	if a.table != nil {
		for k := range a.keyVecs {
			if a.phase == plan.Final {
				a.keyVecs[k] = b.Cols[k]
			} else {
				var err error
				if a.keyVecs[k], err = a.groups[k].eval(b); err != nil {
					return err
				}
			}
		}
		gids = a.gidBuf(b.N)
		a.setGroups(a.table.find(a.keyVecs, b.N, gids), false)
	}
	for _, s := range a.aggs {
		if err := a.update(s, b, gids); err != nil {
			return err
		}
	}
	return nil
}

func (a *aggOp) gidBuf(n int) []int32 {
	if cap(a.gids) < n {
		a.gids = make([]int32, n, max(n, vec.BatchSize))
	}
	return a.gids[:n]
}

// setGroups records that there are ng groups, growing the states (with
// room for a trash group after them when withTrash) and clearing a former
// trash slot that has become a real group.
func (a *aggOp) setGroups(ng int, withTrash bool) {
	size := ng
	if withTrash {
		size++
	}
	if size > a.stateLen {
		a.stateLen = size
		for _, s := range a.aggs {
			s.grow(size)
		}
	}
	if a.trash >= 0 && int(a.trash) < ng {
		for _, s := range a.aggs {
			s.reset(int(a.trash))
		}
		a.trash = -1
	}
	if withTrash {
		a.trash = int32(ng)
	}
	a.ngroups = ng
}

// reset zeroes group g's state.
func (s *aggState) reset(g int) {
	zeroAt(s.cnt, g)
	zeroAt(s.has, g)
	zeroAt(s.hi, g)
	zeroAt(s.part, g)
	zeroAt(s.i64, g)
	zeroAt(s.f64, g)
	zeroAt(s.bl, g)
	zeroAt(s.soff, g)
	zeroAt(s.slen, g)
}

func zeroAt[T any](x []T, i int) {
	if i < len(x) {
		var z T
		x[i] = z
	}
}

// finish completes the states when the input ends: partial sums are
// flushed and shared sums copied.
func (a *aggOp) finish() {
	for _, s := range a.aggs {
		if s.wide {
			s.flush()
		}
	}
	for _, s := range a.aggs {
		if s.shared >= 0 {
			src := a.aggs[s.shared]
			copy(s.hi, src.hi)
			copy(s.i64, src.i64)
			copy(s.has, src.has)
		}
	}
}

// zeroGids returns n zero group ids (the single group without GROUP BY).
func (a *aggOp) zeroGids(n int) []int32 {
	if len(a.zeros) < n {
		a.zeros = make([]int32, max(n, vec.BatchSize))
	}
	return a.zeros[:n]
}

func (a *aggOp) update(s *aggState, b *vec.Batch, gids []int32) error {
	if s.sagg != nil {
		return s.sagg.update(b, gids)
	}
	if a.phase == plan.Final {
		v := b.Cols[s.cols[0]]
		switch s.fn {
		case fCount, fCountStar:
			if sumI64(s.cnt, nil, gids, v.I64[:b.N], v.Nulls) {
				return errInt8Range
			}
			return nil
		case fAvg:
			c := b.Cols[s.cols[len(s.cols)-1]]
			if sumI64(s.cnt, nil, gids, c.I64[:b.N], c.Nulls) {
				return errInt8Range
			}
		}
		if s.wide {
			lo := b.Cols[s.cols[1]]
			add128Words(s.hi, s.i64, s.has, gids, v.I64[:b.N], lo.I64[:b.N], lo.Nulls)
			return nil
		}
		return a.accumulate(s, v, gids, b.N, false)
	}
	var v *vec.Vector
	if s.fn != fCountStar {
		var err error
		if v, err = s.arg.eval(b); err != nil {
			return err
		}
	}
	return a.updateVals(s, v, gids, b.N)
}

// updateVals folds n argument values v (nil for count(*)) into s.
func (a *aggOp) updateVals(s *aggState, v *vec.Vector, gids []int32, n int) error {
	if s.fn == fCountStar {
		a.countBatch(s.cnt, gids, nil, n)
		return nil
	}
	if s.distinct != nil {
		if gids == nil {
			gids = a.zeroGids(n)
		}
		v, gids = s.distinct.filter(v, gids, n)
		n = len(gids)
		switch s.fn {
		case fCount:
			countRows(s.cnt, gids, v.Nulls, n)
			return nil
		case fAvg:
			countRows(s.cnt, gids, v.Nulls, n)
		}
		return a.accumulate(s, v, gids, n, false)
	}
	switch s.fn {
	case fCount:
		a.countBatch(s.cnt, gids, v.Nulls, n)
		return nil
	case fAvg:
		a.countBatch(s.cnt, gids, v.Nulls, n)
	}
	if s.shared >= 0 {
		return nil
	}
	return a.accumulate(s, v, gids, n, true)
}

// countBatch is countRows over the batch's own group ids: with few groups
// it adds a per-batch histogram, computed once for all the counts.
func (a *aggOp) countBatch(cnt []int64, gids []int32, nulls []bool, n int) {
	h := a.batchHist(gids, n)
	if h == nil || nulls != nil {
		countRows(cnt, gids, nulls, n)
		return
	}
	cnt = cnt[:len(h)]
	for g, c := range h {
		cnt[g] += c
	}
}

// batchHist returns the number of rows per group in the batch's group ids
// (computed once per batch), or nil when there are too many groups for
// that to pay.
func (a *aggOp) batchHist(gids []int32, n int) []int64 {
	ng := a.stateLen
	if gids == nil || ng > 256 || 8*ng > n {
		return nil
	}
	if !a.histOK {
		if cap(a.hist) < ng {
			a.hist = make([]int64, ng, max(ng, 256))
		}
		h := a.hist[:ng]
		clear(h)
		for _, g := range gids[:n] {
			h[g]++
		}
		a.histOK = true
	}
	return a.hist[:ng]
}

// accumulate folds values into sum/min/max states.
// own says gids are the batch's group ids (batchHist applies).
func (a *aggOp) accumulate(s *aggState, v *vec.Vector, gids []int32, n int, own bool) error {
	switch s.fn {
	case fSum, fAvg:
		if s.dsum != nil {
			return s.dsum.add(s.has, gids, v, n)
		}
		switch s.p {
		case pI64:
			var hist []int64
			if own {
				hist = a.batchHist(gids, n)
			}
			s.addWide(gids, v.I64[:n], v.Nulls, a.stateLen, hist)
		case pF64:
			sumF64(s.f64, s.has, gids, v.F64[:n], v.Nulls)
		}
		return nil
	}
	if gids == nil {
		gids = a.zeroGids(n)
	}
	isMax := s.fn == fMax
	switch s.p {
	case pI64:
		minMaxI64(s.i64, s.has, gids, v.I64[:n], v.Nulls, isMax)
	case pF64:
		for i, g := range gids {
			if v.IsNull(i) {
				continue
			}
			x := v.F64[i]
			if !s.has[g] || (floatCmp(x, s.f64[g]) > 0) == isMax && floatCmp(x, s.f64[g]) != 0 {
				s.f64[g], s.has[g] = x, true
			}
		}
	case pBool:
		for i, g := range gids {
			if v.IsNull(i) {
				continue
			}
			x := v.Bool[i]
			if !s.has[g] || (isMax && x && !s.bl[g]) || (!isMax && !x && s.bl[g]) {
				s.bl[g], s.has[g] = x, true
			}
		}
	case pStr:
		a.minMaxStr(s, v, gids, isMax)
	}
	return nil
}

func (a *aggOp) minMaxStr(s *aggState, v *vec.Vector, gids []int32, isMax bool) {
	for i, g := range gids {
		if v.IsNull(i) {
			continue
		}
		x := v.Data[v.Offsets[i]:v.Offsets[i+1]]
		if s.has[g] {
			cur := s.arena[s.soff[g] : s.soff[g]+int64(s.slen[g])]
			c := 0
			if s.trim {
				c = bytes.Compare(trimSpaces(x), trimSpaces(cur))
			} else if isDynamic(s.valT) || s.valT.Kind == catalog.Interval {
				// PostgreSQL's numeric_larger/smaller and
				// interval_larger/smaller keep the later of equal values
				// (1.5 vs 1.50, 1 day vs 24 hours).
				cmpb := cmpDecimal
				if s.valT.Kind == catalog.Interval {
					cmpb = cmpInterval
				}
				if c = cmpb(x, cur); c == 0 {
					c = 1
					if !isMax {
						c = -1
					}
				}
			} else {
				c = bytes.Compare(x, cur)
			}
			if c == 0 || (c > 0) != isMax {
				continue
			}
		}
		if int64(len(s.arena)) > 1<<20 && int64(len(s.arena)) > 4*a.liveArena(s) {
			s.compactArena()
		}
		s.soff[g], s.slen[g], s.has[g] = int64(len(s.arena)), int32(len(x)), true
		s.arena = append(s.arena, x...)
	}
}

func (a *aggOp) liveArena(s *aggState) int64 {
	var n int64
	for _, l := range s.slen {
		n += int64(l)
	}
	return n
}

// compactArena drops replaced string values.
func (s *aggState) compactArena() {
	var fresh []byte
	for g := range s.soff {
		if !s.has[g] {
			continue
		}
		v := s.arena[s.soff[g] : s.soff[g]+int64(s.slen[g])]
		s.soff[g] = int64(len(fresh))
		fresh = append(fresh, v...)
	}
	s.arena = fresh
}

// countRows adds 1 per non-NULL row to cnt[gids[i]] (cnt[0] when gids is nil).
func countRows(cnt []int64, gids []int32, nulls []bool, n int) {
	if gids == nil {
		c := int64(n)
		if nulls != nil {
			c = int64(n - countTrue(nulls[:n]))
		}
		cnt[0] += c
		return
	}
	gids = gids[:n]
	if nulls == nil {
		for _, g := range gids {
			cnt[g]++
		}
		return
	}
	nulls = nulls[:n]
	for i, g := range gids {
		cnt[g] += int64(1 - b2i(nulls[i]))
	}
}

// sumI64 adds the non-NULL values into acc (marking has, if not nil) and
// reports overflow.
func sumI64(acc []int64, has []bool, gids []int32, v []int64, nulls []bool) bool {
	var ov int64
	if gids == nil {
		s := acc[0]
		any := false
		for i, x := range v {
			if nulls != nil && nulls[i] {
				continue
			}
			r := s + x
			ov |= (r ^ s) & (r ^ x)
			s = r
			any = true
		}
		acc[0] = s
		if has != nil && any {
			has[0] = true
		}
		return ov < 0
	}
	gids = gids[:len(v)]
	if nulls == nil {
		for i, g := range gids {
			x, s := v[i], acc[g]
			r := s + x
			ov |= (r ^ s) & (r ^ x)
			acc[g] = r
			if has != nil {
				has[g] = true
			}
		}
		return ov < 0
	}
	for i, g := range gids {
		if nulls[i] {
			continue
		}
		x, s := v[i], acc[g]
		r := s + x
		ov |= (r ^ s) & (r ^ x)
		acc[g] = r
		if has != nil {
			has[g] = true
		}
	}
	return ov < 0
}

func sumF64(acc []float64, has []bool, gids []int32, v []float64, nulls []bool) {
	if gids == nil {
		s := acc[0]
		any := false
		for i, x := range v {
			if nulls != nil && nulls[i] {
				continue
			}
			s += x
			any = true
		}
		acc[0] = s
		if any {
			has[0] = true
		}
		return
	}
	gids = gids[:len(v)]
	for i, g := range gids {
		if nulls != nil && nulls[i] {
			continue
		}
		acc[g] += v[i]
		has[g] = true
	}
}

func minMaxI64(acc []int64, has []bool, gids []int32, v []int64, nulls []bool, isMax bool) {
	gids = gids[:len(v)]
	for i, g := range gids {
		if nulls != nil && nulls[i] {
			continue
		}
		x := v[i]
		if !has[g] || (isMax && x > acc[g]) || (!isMax && x < acc[g]) {
			acc[g], has[g] = x, true
		}
	}
}

func (a *aggOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !a.done {
		if err := a.consume(ctx); err != nil {
			return nil, err
		}
		a.done = true
		a.out = newOwnedBatch(a.types)
	}
	if a.pos >= a.ngroups {
		return nil, nil
	}
	from, to := a.pos, min(a.pos+vec.BatchSize, a.ngroups)
	a.pos = to
	ob := a.out
	c := 0
	if a.table != nil {
		for k, kv := range a.table.keys {
			copyRange(&ob.bufs[k], kv, from, to)
		}
		c = len(a.table.keys)
	}
	for _, s := range a.aggs {
		var err error
		if c, err = a.emit(s, ob, c, from, to); err != nil {
			return nil, err
		}
	}
	ob.N = to - from
	return &ob.Batch, nil
}

// emit writes aggregate s's output columns for groups [from, to) starting
// at column c and returns the next column.
func (a *aggOp) emit(s *aggState, ob *ownedBatch, c, from, to int) (int, error) {
	n := to - from
	o := &ob.bufs[c]
	if s.sagg != nil {
		s.sagg.emit(o, from, to)
		return c + 1, nil
	}
	switch s.fn {
	case fCountStar, fCount:
		copy(o.i64(n), s.cnt[from:to])
		o.clearNulls()
		return c + 1, nil
	}
	if a.phase == plan.Partial {
		// States: a wide sum's high word, the value (sum or min/max), then
		// avg's count.
		if s.wide {
			h := &ob.bufs[c]
			copy(h.i64(n), s.hi[from:to])
			h.clearNulls()
			c++
			o = &ob.bufs[c]
		}
		if s.dsum != nil {
			s.dsum.emitSum(o, s.has, from, to)
		} else {
			a.emitValue(s, o, from, to)
		}
		if s.fn == fAvg {
			o2 := &ob.bufs[c+1]
			copy(o2.i64(n), s.cnt[from:to])
			o2.clearNulls()
			return c + 2, nil
		}
		return c + 1, nil
	}
	rt := s.call.Type
	switch s.fn {
	case fSum:
		if s.dsum != nil {
			s.dsum.emitSum(o, s.has, from, to)
			return c + 1, nil
		}
		if s.wide && isDynamic(rt) {
			nl := o.nullsLen(n)
			o.resetStr()
			for i := range nl {
				g := from + i
				nl[i] = !s.has[g]
				if s.has[g] {
					o.Data = appendI128(o.Data, s.hi[g], s.i64[g], scaleOf(s.valT))
				}
				o.Offsets = append(o.Offsets, int32(len(o.Data)))
			}
			if !anyTrue(nl) {
				o.clearNulls()
			}
			return c + 1, nil
		}
		if s.wide {
			for g := from; g < to; g++ {
				if s.hi[g] != s.i64[g]>>63 {
					return c, s.ovErr
				}
			}
		}
		a.emitValue(s, o, from, to)
		return c + 1, convertSum(o, s.valT, rt)
	case fAvg:
		if s.dsum != nil {
			return c + 1, s.dsum.emitAvg(o, s.cnt, from, to)
		}
		nl := o.nullsLen(n)
		if isDynamic(rt) {
			o.resetStr()
			for i := range nl {
				g := from + i
				switch {
				case s.cnt[g] == 0:
					nl[i] = true
				case s.hi[g] == s.i64[g]>>63:
					o.Data = appendDivDynamic(o.Data, s.i64[g], scaleOf(s.valT), s.cnt[g], 0)
				default:
					o.Data = appendDivDynamic128(o.Data, s.hi[g], s.i64[g], scaleOf(s.valT), s.cnt[g])
				}
				o.Offsets = append(o.Offsets, int32(len(o.Data)))
			}
		} else if s.p == pF64 {
			r := o.f64(n)
			for i := range r {
				g := from + i
				if s.cnt[g] == 0 {
					r[i], nl[i] = 0, true
					continue
				}
				r[i] = s.f64[g] / float64(s.cnt[g])
			}
		} else {
			r := o.i64(n)
			for i := range r {
				g := from + i
				if s.cnt[g] == 0 {
					r[i], nl[i] = 0, true
					continue
				}
				q, ok := numDiv(s.i64[g], scaleOf(s.valT), s.cnt[g], 0, scaleOf(rt))
				if !ok || (s.wide && s.hi[g] != s.i64[g]>>63) {
					return c, errNumericOverflow
				}
				r[i] = q
			}
		}
		if !anyTrue(nl) {
			o.clearNulls()
		}
		return c + 1, nil
	}
	a.emitValue(s, o, from, to)
	return c + 1, nil
}

// emitValue writes the sum or min/max state values, NULL where no value was
// seen.
func (a *aggOp) emitValue(s *aggState, o *vecBuf, from, to int) {
	n := to - from
	nl := o.nullsLen(n)
	for i := range nl {
		nl[i] = !s.has[from+i]
	}
	switch s.p {
	case pI64:
		copy(o.i64(n), s.i64[from:to])
	case pF64:
		copy(o.f64(n), s.f64[from:to])
	case pBool:
		copy(o.bools(n), s.bl[from:to])
	case pStr:
		o.resetStr()
		for g := from; g < to; g++ {
			o.appendStr(s.arena[s.soff[g] : s.soff[g]+int64(s.slen[g])])
		}
	}
	if !anyTrue(nl) {
		o.clearNulls()
	} else {
		o.zeroNullSlots()
	}
}

// convertSum turns a running sum of type from into the result type to
// (sum(int8) is numeric; sum(float4) is real).
func convertSum(o *vecBuf, from, to catalog.Type) error {
	o.Type = to
	switch {
	case to.Kind == catalog.Numeric && scaleOf(from) != to.Scale:
		for i, x := range o.I64 {
			y, ok := rescale(x, scaleOf(from), to.Scale)
			if !ok {
				return errNumericOverflow
			}
			o.I64[i] = y
		}
	case to.Kind == catalog.Float4:
		for i, f := range o.F64 {
			o.F64[i] = float64(float32(f))
		}
	}
	return nil
}

// copyRange sets dst to rows [from, to) of src, rebasing string offsets.
func copyRange(dst *vecBuf, src *vec.Vector, from, to int) {
	n := to - from
	switch physOf(src.Type) {
	case pI64:
		copy(dst.i64(n), src.I64[from:to])
	case pF64:
		copy(dst.f64(n), src.F64[from:to])
	case pBool:
		copy(dst.bools(n), src.Bool[from:to])
	case pStr:
		dst.resetStr()
		base := src.Offsets[from]
		dst.Data = append(dst.Data, src.Data[base:src.Offsets[to]]...)
		for _, o := range src.Offsets[from+1 : to+1] {
			dst.Offsets = append(dst.Offsets, o-base)
		}
	}
	if src.Nulls != nil && anyTrue(src.Nulls[from:to]) {
		copy(dst.nullsLen(n), src.Nulls[from:to])
	} else {
		dst.clearNulls()
	}
}

// distinctFilter keeps the first occurrence of each (group, value) pair
// for count/sum/avg(DISTINCT).
type distinctFilter struct {
	table *groupTable
	keys  []*vec.Vector
	gidV  vecBuf
	sel   []int32
	ids   []int32
	arg   vecBuf
	gids  []int32
}

func newDistinctFilter(t catalog.Type) *distinctFilter {
	d := &distinctFilter{table: newGroupTable([]catalog.Type{catalog.TypeInt8, t})}
	d.gidV.init(catalog.TypeInt8)
	d.arg.init(t)
	d.keys = make([]*vec.Vector, 2)
	return d
}

// filter returns the values (and their groups) not seen before in their
// group; NULL values are dropped.
func (d *distinctFilter) filter(v *vec.Vector, gids []int32, n int) (*vec.Vector, []int32) {
	g := d.gidV.i64(n)
	for i := range g {
		g[i] = int64(gids[i])
	}
	d.keys[0], d.keys[1] = &d.gidV.Vector, v
	if cap(d.ids) < n {
		d.ids = make([]int32, n, max(n, vec.BatchSize))
	}
	ids := d.ids[:n]
	before := int32(d.table.ngroups)
	d.table.find(d.keys, n, ids)
	next := before
	sel := d.sel[:0]
	for i, id := range ids {
		if id == next && !v.IsNull(i) {
			sel = append(sel, int32(i))
		}
		if id == next {
			next++
		}
	}
	d.sel = sel
	gatherVec(&d.arg, v, sel)
	d.gids = d.gids[:0]
	for _, i := range sel {
		d.gids = append(d.gids, gids[i])
	}
	return &d.arg.Vector, d.gids
}

// add128 adds values into 128-bit accumulators hi:lo (lo holding the low
// word's bits), marking has; gids nil means group 0.
func add128(hi, lo []int64, has []bool, gids []int32, v []int64, nulls []bool) {
	if gids == nil {
		h, l := hi[0], uint64(lo[0])
		any := false
		for i, x := range v {
			if nulls != nil && nulls[i] {
				continue
			}
			var carry uint64
			l, carry = bits.Add64(l, uint64(x), 0)
			h += x>>63 + int64(carry)
			any = true
		}
		hi[0], lo[0] = h, int64(l)
		if any {
			has[0] = true
		}
		return
	}
	gids = gids[:len(v)]
	for i, g := range gids {
		if nulls != nil && nulls[i] {
			continue
		}
		x := v[i]
		l, carry := bits.Add64(uint64(lo[g]), uint64(x), 0)
		lo[g] = int64(l)
		hi[g] += x>>63 + int64(carry)
		has[g] = true
	}
}

// maxBound is the largest |int64 partial sum| addWide lets accumulate.
const maxBound = 1<<63 - 1

// addWide adds values into the 128-bit sums, exactly. While provably safe
// the values go into int64 partials (one add per row instead of a 128-bit
// add): every |x| <= 2^b for the batch's b, so the batch moves a partial by
// at most len(v)·2^b, and bound sums that over the batches since the last
// flush. A batch that would push bound past 2^63 - 1 flushes the partials
// first when there are few groups (stateLen <= 4 rows per batch), else
// adds in 128 bits directly. Without groups the batch is summed in a local
// int64 and added once. (TPC-H Q1's largest charge, 1.13·10^11 < 2^37,
// gives 2^48 per batch: 2^15 batches, 67 M rows, between flushes.)
func (s *aggState) addWide(gids []int32, v []int64, nulls []bool, stateLen int, hist []int64) {
	if stateLen <= smallGroups && nulls == nil && hist != nil {
		if !addSmall(s.hi, s.i64, s.has, gids, v, hist) {
			add128(s.hi, s.i64, s.has, gids, v, nulls)
		}
		return
	}
	mass, ok := massBound(v)
	if gids == nil {
		if !ok {
			add128(s.hi, s.i64, s.has, nil, v, nulls)
			return
		}
		var sum int64
		any := false
		if nulls == nil {
			for _, x := range v {
				sum += x
			}
			any = len(v) > 0
		} else {
			nulls = nulls[:len(v)]
			for i, x := range v {
				if !nulls[i] {
					sum += x
					any = true
				}
			}
		}
		if any {
			l, carry := bits.Add64(uint64(s.i64[0]), uint64(sum), 0)
			s.i64[0] = int64(l)
			s.hi[0] += sum>>63 + int64(carry)
			s.has[0] = true
		}
		return
	}
	if ok && s.bound+mass > maxBound && stateLen <= 4*len(v) {
		s.flush()
	}
	if !ok || s.bound+mass > maxBound {
		add128(s.hi, s.i64, s.has, gids, v, nulls)
		return
	}
	s.bound += mass
	addPartial(s.part, s.has, gids, v, nulls)
}

// smallGroups is the most groups addSmall sums in registers-like lanes.
const smallGroups = 16

// addSmall adds v into the 128-bit sums of at most smallGroups groups: the
// batch is summed in int64 lanes (four interleaved sets, so rows of one
// group do not wait on each other's adds), then each lane is added in 128
// bits. False, with nothing added, when the batch's values could overflow
// an int64 lane.
func addSmall(hi, lo []int64, has []bool, gids []int32, v []int64, hist []int64) bool {
	var acc [4][smallGroups]int64
	var or uint64
	gids = gids[:len(v)]
	i := 0
	for ; i+4 <= len(v); i += 4 {
		x, g := v[i:i+4:i+4], gids[i:i+4:i+4]
		x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
		acc[0][g[0]&(smallGroups-1)] += x0
		acc[1][g[1]&(smallGroups-1)] += x1
		acc[2][g[2]&(smallGroups-1)] += x2
		acc[3][g[3]&(smallGroups-1)] += x3
		or |= uint64(x0^x0>>63) | uint64(x1^x1>>63) | uint64(x2^x2>>63) | uint64(x3^x3>>63)
	}
	for ; i < len(v); i++ {
		x := v[i]
		acc[0][gids[i]&(smallGroups-1)] += x
		or |= uint64(x ^ x>>63)
	}
	if bits.Len64(or)+bits.Len64(uint64(len(v))) > 63 {
		return false
	}
	for g, c := range hist[:min(len(hist), smallGroups)] {
		if c == 0 {
			continue
		}
		x := acc[0][g] + acc[1][g] + acc[2][g] + acc[3][g]
		l, carry := bits.Add64(uint64(lo[g]), uint64(x), 0)
		lo[g] = int64(l)
		hi[g] += x>>63 + int64(carry)
		has[g] = true
	}
	return true
}

// massBound returns len(v)·2^b where every |v[i]| <= 2^b, and whether that
// is below 2^63.
func massBound(v []int64) (uint64, bool) {
	b := absBits(v)
	if b+bits.Len64(uint64(len(v))) > 63 {
		return 0, false
	}
	return uint64(len(v)) << b, true
}

// addPartial adds the non-NULL values into int64 partial sums, marking has.
func addPartial(part []int64, has []bool, gids []int32, v []int64, nulls []bool) {
	gids = gids[:len(v)]
	if nulls == nil {
		for i, g := range gids {
			part[g] += v[i]
			has[g] = true
		}
		return
	}
	nulls = nulls[:len(v)]
	for i, g := range gids {
		if nulls[i] {
			continue
		}
		part[g] += v[i]
		has[g] = true
	}
}

// flush adds the partial sums into the 128-bit sums.
func (s *aggState) flush() {
	lo, hi := s.i64[:len(s.part)], s.hi[:len(s.part)]
	for g, x := range s.part {
		if x == 0 {
			continue
		}
		l, carry := bits.Add64(uint64(lo[g]), uint64(x), 0)
		lo[g] = int64(l)
		hi[g] += x>>63 + int64(carry)
		s.part[g] = 0
	}
	s.bound = 0
}

// add128Words merges partial 128-bit sums given as (high, low) words.
func add128Words(hi, lo []int64, has []bool, gids []int32, vh, vl []int64, nulls []bool) {
	for i := range vh {
		if nulls != nil && nulls[i] {
			continue
		}
		g := int32(0)
		if gids != nil {
			g = gids[i]
		}
		l, carry := bits.Add64(uint64(lo[g]), uint64(vl[i]), 0)
		lo[g] = int64(l)
		hi[g] += vh[i] + int64(carry)
		has[g] = true
	}
}

// big128 returns hi:lo as a big integer.
func big128(hi, lo int64) *big.Int {
	n := new(big.Int).SetInt64(hi)
	n.Lsh(n, 64)
	return n.Add(n, new(big.Int).SetUint64(uint64(lo)))
}

// appendI128 appends hi:lo scaled by 10^scale as decimal text.
func appendI128(dst []byte, hi, lo int64, scale int32) []byte {
	if hi == lo>>63 {
		return pgtype.AppendNumeric(dst, lo, scale)
	}
	n := big128(hi, lo)
	neg := n.Sign() < 0
	var buf [48]byte
	return appendScaledDigits(dst, neg, n.Abs(n).Append(buf[:0], 10), scale)
}

// appendDivDynamic128 appends (hi:lo / 10^scale) / count with PostgreSQL's
// division scale, for sums beyond int64.
func appendDivDynamic128(dst []byte, hi, lo int64, scale int32, count int64) []byte {
	n := big128(hi, lo)
	neg := n.Sign() < 0
	n.Abs(n)
	// PostgreSQL's select_div_scale: weights and leading digits in base 10000.
	w1, f1 := nbaseWeightDigits(n.String(), int(scale))
	w2, f2 := nbaseWeightDigits(big.NewInt(count).String(), 0)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rs := int32(16 - 4*qweight)
	if rs < scale {
		rs = scale
	}
	if rs < 0 {
		rs = 0
	}
	e := int64(rs - scale)
	d := big.NewInt(count)
	n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(e), nil))
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Lsh(r, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	var buf [64]byte
	return appendScaledDigits(dst, neg, q.Append(buf[:0], 10), rs)
}

// nbaseWeightDigits returns the base-10000 weight and leading base-10000 digit of
// the positive decimal digits scaled by 10^scale (integer part nonempty).
func nbaseWeightDigits(digits string, scale int) (int, int) {
	k := len(digits) - scale
	if k <= 0 {
		return 0, 0 // not reached: callers have integer digits
	}
	w := (k - 1) / 4
	lead := (k-1)%4 + 1
	f := 0
	for _, c := range digits[:lead] {
		f = f*10 + int(c-'0')
	}
	return w, f
}
