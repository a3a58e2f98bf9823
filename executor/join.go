package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Hash join. The right input is the build side: all its rows are copied
// column-wise into a store, then indexed by key:
//
//   - one int64-backed key whose range is at most 4× the row count (dense
//     keys such as TPC-H's): a direct array first[key-min];
//   - one int64-backed key otherwise: i64Slot open addressing;
//   - other keys: tagged-hash open addressing over the key columns.
//
// Each table entry is the first build row of a distinct key; next[] chains
// the other rows with that key. Rows with a NULL key are never indexed
// (NULL never matches) but stay in the store for RIGHT/FULL padding.
//
// Probing a left batch finds each row's chain head, then walks chains
// emitting (left row, right row) pairs, at most a batch at a time. The
// residual is evaluated over the candidate pairs (only its columns are
// gathered) and is part of the match condition for outer joins, as in SQL
// ON. Without keys the join is a nested loop over the stored right rows.
// Semi, anti, null-aware anti and single joins probe the same way but decide
// each left row once (join_semi.go).

type joinState uint8

const (
	jsProbe joinState = iota
	jsLeftOuter
	jsRightOuter
	jsDone
)

type joinOp struct {
	left, right    Operator
	kind           plan.JoinKind
	lkeys, rkeys   []node
	kc             []keyCol
	residual       node
	ltypes, rtypes []catalog.Type
	types          []catalog.Type
	nleft          int
	leftOuter      bool
	rightOuter     bool
	closedL        bool
	closedR        bool

	// Build side.
	shared   *sharedSlot // build once per Env.Shared (shared.go)
	built    bool
	store    []*vec.Vector
	bkeys    []*vec.Vector
	ownKey   []bool
	nbuild   int
	next     []int32
	unique   bool // no two build rows share a key: chains have one row
	direct   bool
	dmin     int64
	first    []int32
	single   bool
	islots   []i64Slot
	slots    []uint64
	mask     uint64
	sink     int64 // keeps the touching loads alive
	bmatched []bool

	// Probe side.
	state    joinState
	pb       *vec.Batch
	pkeys    []*vec.Vector
	heads    []int32
	hashes   []uint64
	prow     int
	cur      int32
	started  bool
	pmatched []bool
	ucur     int // cursor over unmatched rows (left batch or build side)
	lidx     []int32
	ridx     []int32
	out      *ownedBatch
	rb       *ownedBatch // residual scratch

	// Semi, anti, null-aware anti and single joins (join_semi.go).
	filtering bool
	rightNull bool    // some build row has a NULL key (null-aware anti)
	nullRows  []int32 // build rows with a NULL key (null-aware anti with residual)
	mres      []int32 // per probe row: its matching build row, or -1
	curs      []int32
	mode      []uint8
	act, act2 []int32
	sel       []int32
	semiOut   *ownedBatch
	sbufs     []vecBuf
	sout      vec.Batch
}

func newJoin(l, r Operator, n *plan.Join) (Operator, error) {
	j := &joinOp{left: l, right: r, kind: n.Kind, ltypes: n.Left.Types(), rtypes: n.Right.Types(), types: n.Types()}
	j.nleft = len(j.ltypes)
	j.leftOuter = n.Kind == plan.LeftJoin || n.Kind == plan.FullJoin
	j.rightOuter = n.Kind == plan.RightJoin || n.Kind == plan.FullJoin
	switch n.Kind {
	case plan.SemiJoin, plan.AntiJoin, plan.NullAwareAntiJoin, plan.SingleJoin:
		j.filtering = true
	case plan.InnerJoin, plan.LeftJoin, plan.RightJoin, plan.FullJoin, plan.CrossJoin:
	default:
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: unknown join kind %d", n.Kind)
	}
	if len(n.LeftKeys) != len(n.RightKeys) {
		return nil, sqlerr.New(sqlerr.Internal, "executor: join key counts differ")
	}
	if n.Kind == plan.CrossJoin && len(n.LeftKeys) > 0 {
		return nil, sqlerr.New(sqlerr.Internal, "executor: cross join with keys")
	}
	leftKeys, rightKeys := n.LeftKeys, n.RightKeys
	if n.Kind == plan.NullAwareAntiJoin && len(leftKeys) != 1 {
		return nil, sqlerr.Unsupported("executor: NOT IN over %d columns is not supported", len(leftKeys))
	}
	if len(leftKeys) == 0 && n.Residual != nil && n.Kind != plan.CrossJoin {
		leftKeys, rightKeys = deriveJoinKeys(n.Residual, len(j.ltypes))
	}
	var keyTypes []catalog.Type
	for i := range leftKeys {
		lk, rk := unifyTypes(leftKeys[i], rightKeys[i])
		if physOf(lk.Type) != physOf(rk.Type) {
			return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s = %s", lk.Type, rk.Type)
		}
		ln, err := compile(lk)
		if err != nil {
			return nil, err
		}
		rn, err := compile(rk)
		if err != nil {
			return nil, err
		}
		j.lkeys = append(j.lkeys, ln)
		j.rkeys = append(j.rkeys, rn)
		keyTypes = append(keyTypes, rk.Type)
	}
	j.kc = keyColsOf(keyTypes)
	if n.Residual != nil {
		res, err := compile(n.Residual)
		if err != nil {
			return nil, err
		}
		j.residual = res
		j.rb = newOwnedBatch(append(append([]catalog.Type(nil), j.ltypes...), j.rtypes...))
	}
	j.store = make([]*vec.Vector, len(j.rtypes))
	for i, t := range j.rtypes {
		j.store[i] = vec.NewVector(t, 0)
	}
	j.bkeys = make([]*vec.Vector, len(j.rkeys))
	j.ownKey = make([]bool, len(j.rkeys))
	for i, rn := range j.rkeys {
		if c, ok := rn.(*colNode); ok && c.idx < len(j.store) {
			j.bkeys[i] = j.store[c.idx]
		} else {
			j.bkeys[i] = vec.NewVector(rn.meta().typ, 0)
			j.ownKey[i] = true
		}
	}
	j.pkeys = make([]*vec.Vector, len(j.lkeys))
	j.out = newOwnedBatch(j.types)
	if j.filtering {
		j.initFiltering()
	}
	return j, nil
}

func (j *joinOp) Types() []catalog.Type { return j.types }

func (j *joinOp) Close() {
	if !j.closedL {
		j.closedL = true
		j.left.Close()
	}
	if !j.closedR {
		j.closedR = true
		j.right.Close()
	}
}

func (j *joinOp) build(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := j.right.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		for i, c := range b.Cols {
			appendVec(j.store[i], c, 0, b.N)
		}
		for i, rn := range j.rkeys {
			if !j.ownKey[i] {
				continue
			}
			v, err := rn.eval(b)
			if err != nil {
				return err
			}
			appendVec(j.bkeys[i], v, 0, b.N)
		}
		j.nbuild += b.N
	}
	j.closedR = true
	j.right.Close()
	if j.rightOuter {
		j.bmatched = make([]bool, j.nbuild)
	}
	if len(j.rkeys) == 0 {
		return nil
	}
	if j.kind == plan.NullAwareAntiJoin {
		j.findNullKeys()
	}
	j.next = make([]int32, j.nbuild)
	j.unique = true
	if len(j.kc) == 1 && j.kc[0].p == pI64 {
		j.buildInt()
	} else {
		j.buildGeneric()
	}
	return nil
}

func (j *joinOp) buildInt() {
	kv := j.bkeys[0]
	keys, nulls := kv.I64[:j.nbuild], kv.Nulls
	lo, hi := int64(0), int64(-1)
	seen := false
	for i, k := range keys {
		if nulls != nil && nulls[i] {
			continue
		}
		if !seen {
			lo, hi, seen = k, k, true
		}
		lo, hi = min(lo, k), max(hi, k)
	}
	if !seen {
		j.direct = true // no indexable key: an empty direct table
		return
	}
	if span := uint64(hi - lo); hi-lo >= 0 && span < uint64(4*j.nbuild+1024) {
		j.direct, j.dmin = true, lo
		j.first = make([]int32, span+1)
		for i := range j.first {
			j.first[i] = -1
		}
		// Insert backwards so chains list rows in input order.
		for r := j.nbuild - 1; r >= 0; r-- {
			if nulls != nil && nulls[r] {
				continue
			}
			k := keys[r] - lo
			j.unique = j.unique && j.first[k] < 0
			j.next[r] = j.first[k]
			j.first[k] = int32(r)
		}
		return
	}
	j.single = true
	size := tableSize(j.nbuild)
	j.islots = make([]i64Slot, size)
	j.mask = uint64(size - 1)
	for r := j.nbuild - 1; r >= 0; r-- {
		if nulls != nil && nulls[r] {
			continue
		}
		k := keys[r]
		idx := fmix64(uint64(k)) & j.mask
		for {
			s := &j.islots[idx]
			if s.id == 0 {
				s.key, s.id = k, int32(r)+1
				j.next[r] = -1
				break
			}
			if s.key == k {
				j.next[r] = s.id - 1
				s.id = int32(r) + 1
				j.unique = false
				break
			}
			idx = (idx + 1) & j.mask
		}
	}
}

func (j *joinOp) buildGeneric() {
	size := tableSize(j.nbuild)
	j.slots = make([]uint64, size)
	j.mask = uint64(size - 1)
	h := make([]uint64, vec.BatchSize)
	for from := 0; from < j.nbuild; from += vec.BatchSize {
		to := min(from+vec.BatchSize, j.nbuild)
		hh := h[:to-from]
		hashKeys(hh, j.bkeys, j.kc, from)
	rows:
		for i, hv := range hh {
			r := from + i
			for _, kv := range j.bkeys {
				if kv.Nulls != nil && kv.Nulls[r] {
					continue rows
				}
			}
			tag := hv & tagMask
			idx := hv & j.mask
			for {
				s := j.slots[idx]
				if s == 0 {
					j.slots[idx] = tag | uint64(r+1)
					j.next[r] = -1
					break
				}
				if s&tagMask == tag {
					head := int(uint32(s)) - 1
					if keysEqual(j.bkeys, head, j.bkeys, r, j.kc) {
						j.next[r] = j.next[head]
						j.next[head] = int32(r)
						j.unique = false
						break
					}
				}
				idx = (idx + 1) & j.mask
			}
		}
	}
}

// findHeads sets heads[i] to the first build row matching probe row i, or -1.
func (j *joinOp) findHeads(n int) {
	j.heads = resize32(j.heads, n)
	heads := j.heads
	if len(j.lkeys) == 0 {
		for i := range heads {
			heads[i] = -1
			if j.nbuild > 0 {
				heads[i] = 0
			}
		}
		return
	}
	if len(j.kc) == 1 && j.kc[0].p == pI64 {
		kv := j.pkeys[0]
		keys, nulls := kv.I64[:n], kv.Nulls
		switch {
		case j.direct:
			first, lo := j.first, j.dmin
			span := uint64(len(first))
			for i, k := range keys {
				heads[i] = -1
				if d := uint64(k - lo); d < span && k >= lo {
					heads[i] = first[d]
				}
			}
		default:
			// Pass 1 computes slot indexes and loads the slots, so the
			// batch's cache misses overlap; pass 2 probes.
			if cap(j.hashes) < n {
				j.hashes = make([]uint64, n, max(n, vec.BatchSize))
			}
			idxs := j.hashes[:n]
			var sink int64
			for i, k := range keys {
				idx := fmix64(uint64(k)) & j.mask
				idxs[i] = idx
				sink += j.islots[idx].key
			}
			j.sink += sink
			for i, k := range keys {
				heads[i] = -1
				idx := idxs[i]
				for {
					s := j.islots[idx]
					if s.id == 0 {
						break
					}
					if s.key == k {
						heads[i] = s.id - 1
						break
					}
					idx = (idx + 1) & j.mask
				}
			}
		}
		if nulls != nil {
			for i, nl := range nulls[:n] {
				if nl {
					heads[i] = -1
				}
			}
		}
		return
	}
	if cap(j.hashes) < n {
		j.hashes = make([]uint64, n, max(n, vec.BatchSize))
	}
	h := j.hashes[:n]
	hashKeys(h, j.pkeys, j.kc, 0)
rows:
	for i, hv := range h {
		heads[i] = -1
		for _, kv := range j.pkeys {
			if kv.Nulls != nil && kv.Nulls[i] {
				continue rows
			}
		}
		tag := hv & tagMask
		idx := hv & j.mask
		for {
			s := j.slots[idx]
			if s == 0 {
				break
			}
			if s&tagMask == tag {
				head := int(uint32(s)) - 1
				if keysEqual(j.bkeys, head, j.pkeys, i, j.kc) {
					heads[i] = int32(head)
					break
				}
			}
			idx = (idx + 1) & j.mask
		}
	}
}

// nextProbe fetches the next left batch; false at the end of the input.
func (j *joinOp) nextProbe(ctx context.Context) (bool, error) {
	b, err := j.left.Next(ctx)
	if err != nil || b == nil {
		return false, err
	}
	j.pb = b
	for i, ln := range j.lkeys {
		if j.pkeys[i], err = ln.eval(b); err != nil {
			return false, err
		}
	}
	j.findHeads(b.N)
	j.prow, j.started = 0, false
	if j.leftOuter {
		if cap(j.pmatched) < b.N {
			j.pmatched = make([]bool, b.N, max(b.N, vec.BatchSize))
		}
		j.pmatched = j.pmatched[:b.N]
		clear(j.pmatched)
	}
	return true, nil
}

// fillPairs appends candidate pairs of the current probe batch.
func (j *joinOp) fillPairs() {
	lidx, ridx := j.lidx[:0], j.ridx[:0]
	n := j.pb.N
	nested := len(j.lkeys) == 0
	if j.unique && !nested {
		// At most one match per probe row, and a batch of probe rows
		// yields at most a batch of pairs: no chains to walk.
		heads := j.heads[j.prow:n]
		lidx, ridx = reserve(lidx, len(heads)), reserve(ridx, len(heads))
		lidx, ridx = lidx[:len(heads)], ridx[:len(heads)]
		k := 0
		for i, h := range heads {
			lidx[k], ridx[k] = int32(j.prow+i), h
			k += 1 - int(uint32(h)>>31)
		}
		j.lidx, j.ridx = lidx[:k], ridx[:k]
		j.prow, j.started = n, false
		return
	}
	for j.prow < n && len(lidx) < vec.BatchSize {
		if !j.started {
			j.cur = j.heads[j.prow]
			j.started = true
		}
		cur := j.cur
		if nested {
			for cur >= 0 && len(lidx) < vec.BatchSize {
				lidx = append(lidx, int32(j.prow))
				ridx = append(ridx, cur)
				cur++
				if int(cur) >= j.nbuild {
					cur = -1
				}
			}
		} else {
			for cur >= 0 && len(lidx) < vec.BatchSize {
				lidx = append(lidx, int32(j.prow))
				ridx = append(ridx, cur)
				cur = j.next[cur]
			}
		}
		j.cur = cur
		if cur < 0 {
			j.prow++
			j.started = false
		}
	}
	j.lidx, j.ridx = lidx, ridx
}

// applyResidual keeps the pairs passing the residual.
func (j *joinOp) applyResidual() error {
	n := len(j.lidx)
	if j.residual == nil || n == 0 {
		return nil
	}
	rb := j.rb
	for _, c := range j.residual.meta().cols {
		if c < j.nleft {
			gatherVec(&rb.bufs[c], j.pb.Cols[c], j.lidx)
		} else if c-j.nleft < len(j.store) {
			gatherVec(&rb.bufs[c], j.store[c-j.nleft], j.ridx)
		}
	}
	rb.N = n
	v, err := j.residual.eval(&rb.Batch)
	if err != nil {
		return err
	}
	k := 0
	for i := range n {
		if v.Bool[i] && !v.IsNull(i) {
			j.lidx[k], j.ridx[k] = j.lidx[i], j.ridx[i]
			k++
		}
	}
	j.lidx, j.ridx = j.lidx[:k], j.ridx[:k]
	return nil
}

// assemble gathers the output batch for the current pairs; a negative
// index pads that side with NULLs.
func (j *joinOp) assemble(padLeft, padRight bool) *vec.Batch {
	ob := j.out
	for c := 0; c < j.nleft; c++ {
		if padLeft {
			gatherVecNullable(&ob.bufs[c], nil, j.lidx)
		} else {
			gatherVec(&ob.bufs[c], j.pb.Cols[c], j.lidx)
		}
	}
	for c, sv := range j.store {
		if padRight {
			gatherVecNullable(&ob.bufs[j.nleft+c], nil, j.ridx)
		} else {
			gatherVec(&ob.bufs[j.nleft+c], sv, j.ridx)
		}
	}
	ob.N = len(j.lidx)
	return &ob.Batch
}

func (j *joinOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !j.built {
		j.built = true
		if err := j.sharedBuild(ctx); err != nil {
			return nil, err
		}
	}
	if j.filtering {
		return j.nextFiltered(ctx)
	}
	for {
		// A probe batch can pair with many build rows that the residual
		// all rejects (a cross join with a filter): look at ctx on every
		// round, so a cancelled query stops within one round.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch j.state {
		case jsProbe:
			if j.pb == nil {
				ok, err := j.nextProbe(ctx)
				if err != nil {
					return nil, err
				}
				if !ok {
					j.closedL = true
					j.left.Close()
					j.state, j.ucur = jsDone, 0
					if j.rightOuter {
						j.state = jsRightOuter
					}
					continue
				}
			}
			j.fillPairs()
			if err := j.applyResidual(); err != nil {
				return nil, err
			}
			if j.leftOuter {
				for _, l := range j.lidx {
					j.pmatched[l] = true
				}
			}
			if j.rightOuter {
				for _, r := range j.ridx {
					j.bmatched[r] = true
				}
			}
			var out *vec.Batch
			if len(j.lidx) > 0 {
				out = j.assemble(false, false) // copies: pb may go now
			}
			if j.prow >= j.pb.N {
				if j.leftOuter {
					j.state, j.ucur = jsLeftOuter, 0
				} else {
					j.pb = nil
				}
			}
			if out != nil {
				return out, nil
			}
		case jsLeftOuter:
			lidx, ridx := j.lidx[:0], j.ridx[:0]
			for j.ucur < j.pb.N && len(lidx) < vec.BatchSize {
				if !j.pmatched[j.ucur] {
					lidx = append(lidx, int32(j.ucur))
					ridx = append(ridx, -1)
				}
				j.ucur++
			}
			j.lidx, j.ridx = lidx, ridx
			var out *vec.Batch
			if len(lidx) > 0 {
				out = j.assemble(false, true)
			}
			if j.ucur >= j.pb.N {
				j.state, j.pb = jsProbe, nil
			}
			if out != nil {
				return out, nil
			}
		case jsRightOuter:
			lidx, ridx := j.lidx[:0], j.ridx[:0]
			for j.ucur < j.nbuild && len(ridx) < vec.BatchSize {
				if !j.bmatched[j.ucur] {
					lidx = append(lidx, -1)
					ridx = append(ridx, int32(j.ucur))
				}
				j.ucur++
			}
			j.lidx, j.ridx = lidx, ridx
			if j.ucur >= j.nbuild {
				j.state = jsDone
			}
			if len(ridx) == 0 {
				continue
			}
			return j.assemble(true, false), nil
		case jsDone:
			return nil, nil
		}
	}
}
