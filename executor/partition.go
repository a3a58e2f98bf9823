package executor

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Hash partitioning for repartitioned (shuffled) joins. Every participant
// partitions its rows of both join inputs by the join keys and sends each
// partition to the participant that owns it, so rows that can join meet on
// one participant. The partition of a row must therefore depend only on
// its key values and their types — never on the process, unlike the hash
// tables' seeded string hashes — and equal keys (as the join compares
// them: char(n) without trailing spaces, dynamic-scale numerics without
// trailing fraction zeros, -0 = 0 for floats) must hash alike. A row with
// a NULL in any key joins nothing; it goes to partition 0 (outer joins
// still output it there, once).

// partitionSeed separates partition hashes from the join's table hashes
// (both finish with fmix64), so the rows of one partition still spread
// over a join's table.
const partitionSeed = 0x2545f4914f6cdd1d

// ShuffleKeys returns the keys both inputs of a repartitioned join hash,
// given the join's key pairs: each pair converted to one common type as the
// join itself compares them (int4 against int8 compare as int64 values;
// numerics of different scales are rescaled; char against text compares as
// text), so equal keys get equal hashes on both sides.
func ShuffleKeys(lk, rk []*plan.Expr) (l, r []*plan.Expr, err error) {
	if len(lk) != len(rk) {
		return nil, nil, sqlerr.New(sqlerr.Internal, "executor: join key counts differ")
	}
	for i := range lk {
		a, b := unifyTypes(lk[i], rk[i])
		if physOf(a.Type) != physOf(b.Type) {
			return nil, nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s = %s", a.Type, b.Type)
		}
		l, r = append(l, a), append(r, b)
	}
	return l, r, nil
}

// Partitioner assigns rows to n partitions by a hash of key expressions and
// gathers each partition's rows into batches of up to vec.BatchSize rows.
// It is not safe for concurrent use.
type Partitioner struct {
	keys  []node
	kc    []keyCol
	n     int
	types []catalog.Type
	h     []uint64
	null  []bool
	part  []int32
	sels  [][]int32
	pend  []*vec.Batch
	free  []*vec.Batch
}

// NewPartitioner returns a partitioner of rows of the given column types
// by keys (expressions over those columns) into n partitions.
func NewPartitioner(keys []*plan.Expr, types []catalog.Type, n int) (*Partitioner, error) {
	if n <= 0 {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: %d partitions", n)
	}
	p := &Partitioner{n: n, types: types, sels: make([][]int32, n), pend: make([]*vec.Batch, n)}
	var kt []catalog.Type
	for _, k := range keys {
		c, err := compile(k)
		if err != nil {
			return nil, err
		}
		p.keys = append(p.keys, c)
		kt = append(kt, k.Type)
	}
	p.kc = keyColsOf(kt)
	return p, nil
}

// Partitions returns the number of partitions.
func (p *Partitioner) Partitions() int { return p.n }

// Assign returns each row's partition; the slice is valid until the next
// call.
func (p *Partitioner) Assign(b *vec.Batch) ([]int32, error) {
	n := b.N
	if cap(p.h) < n {
		p.h = make([]uint64, n, max(n, vec.BatchSize))
		p.null = make([]bool, n, max(n, vec.BatchSize))
		p.part = make([]int32, n, max(n, vec.BatchSize))
	}
	h, null, part := p.h[:n], p.null[:n], p.part[:n]
	if len(p.keys) == 0 || p.n == 1 {
		clear(part)
		return part, nil
	}
	clear(null)
	for k, kn := range p.keys {
		v, err := kn.eval(b)
		if err != nil {
			return nil, err
		}
		partitionHashCol(h, null, v, p.kc[k], k == 0)
	}
	m := uint64(p.n)
	for i := range h {
		if null[i] {
			part[i] = 0
			continue
		}
		hi, _ := bits.Mul64(fmix64(h[i]^partitionSeed), m)
		part[i] = int32(hi)
	}
	return part, nil
}

// PartitionHashes sets h[i] to the partition hash of row i of the key
// vectors and null[i] when a key is NULL (exposed for tests and tools).
func PartitionHashes(h []uint64, null []bool, keys []*vec.Vector) {
	kc := make([]keyCol, len(keys))
	for i, k := range keys {
		kc[i] = keyColsOf([]catalog.Type{k.Type})[0]
	}
	clear(null)
	for k, v := range keys {
		partitionHashCol(h, null, v, kc[k], k == 0)
	}
	for i := range h {
		h[i] = fmix64(h[i] ^ partitionSeed)
	}
}

func partitionHashCol(h []uint64, null []bool, v *vec.Vector, kc keyCol, first bool) {
	mix := func(i int, k uint64) {
		k = fmix64(k)
		if first {
			h[i] = k
		} else {
			h[i] = bits.RotateLeft64(h[i], 27) ^ k*0x9e3779b97f4a7c15
		}
	}
	switch kc.p {
	case pI64:
		x := v.I64[:len(h)]
		for i := range h {
			mix(i, uint64(x[i]))
		}
	case pF64:
		x := v.F64[:len(h)]
		for i := range h {
			mix(i, floatKey(x[i]))
		}
	case pBool:
		x := v.Bool[:len(h)]
		for i := range h {
			var k uint64
			if x[i] {
				k = 1
			}
			mix(i, k)
		}
	case pStr:
		off, data := v.Offsets, v.Data
		for i := range h {
			mix(i, hashBytes(kc.canon(data[off[i]:off[i+1]])))
		}
	}
	if v.Nulls != nil {
		for i, nl := range v.Nulls[:len(h)] {
			null[i] = null[i] || nl
		}
	}
}

// hashBytes is a deterministic 64-bit hash of b (the same in every
// process, unlike maphash).
func hashBytes(b []byte) uint64 {
	const (
		p1 = 0x9e3779b185ebca87
		p2 = 0xc2b2ae3d27d4eb4f
	)
	h := uint64(len(b))*p1 ^ 0x27d4eb2f165667c5
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		h = bits.RotateLeft64(h^(k*p2), 31) * p1
		b = b[8:]
	}
	if len(b) > 0 {
		var k uint64
		for i, c := range b {
			k |= uint64(c) << (8 * i)
		}
		h = bits.RotateLeft64(h^(k*p2), 31) * p1
	}
	return fmix64(h)
}

// Add scatters b's rows into their partitions' pending batches and emits
// every pending batch that reaches vec.BatchSize rows. The emitted batch
// belongs to emit's callee.
func (p *Partitioner) Add(b *vec.Batch, emit func(part int, b *vec.Batch) error) error {
	if b == nil || b.N == 0 {
		return nil
	}
	part, err := p.Assign(b)
	if err != nil {
		return err
	}
	for j := range p.sels {
		p.sels[j] = p.sels[j][:0]
	}
	for i, j := range part {
		p.sels[j] = append(p.sels[j], int32(i))
	}
	for j, sel := range p.sels {
		for len(sel) > 0 {
			pb := p.pend[j]
			if pb == nil {
				if k := len(p.free); k > 0 {
					pb, p.free = p.free[k-1], p.free[:k-1]
				} else {
					pb = vec.NewBatch(b.Types(), vec.BatchSize)
				}
				p.pend[j] = pb
			}
			take := min(len(sel), vec.BatchSize-pb.N)
			for c, v := range b.Cols {
				appendSel(pb.Cols[c], v, sel[:take])
			}
			pb.N += take
			sel = sel[take:]
			if pb.N >= vec.BatchSize {
				p.pend[j] = nil
				if err := emit(j, pb); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Recycle hands back a batch Add or Flush emitted once its receiver is done
// with it (e.g. it has been sent); later batches reuse its buffers.
func (p *Partitioner) Recycle(b *vec.Batch) {
	if len(p.free) < len(p.pend) {
		b.Reset()
		p.free = append(p.free, b)
	}
}

// Flush emits every non-empty pending batch.
func (p *Partitioner) Flush(emit func(part int, b *vec.Batch) error) error {
	for j, pb := range p.pend {
		if pb == nil || pb.N == 0 {
			continue
		}
		p.pend[j] = nil
		if err := emit(j, pb); err != nil {
			return err
		}
	}
	return nil
}

// appendSel appends src's rows sel to dst.
func appendSel(dst, src *vec.Vector, sel []int32) {
	before := dst.Len()
	n := len(sel)
	switch physOf(dst.Type) {
	case pI64:
		d := extend(dst.I64, before+n)
		s := src.I64
		for i, j := range sel {
			d[before+i] = s[j]
		}
		dst.I64 = d
	case pF64:
		d := extend(dst.F64, before+n)
		s := src.F64
		for i, j := range sel {
			d[before+i] = s[j]
		}
		dst.F64 = d
	case pBool:
		d := extend(dst.Bool, before+n)
		s := src.Bool
		for i, j := range sel {
			d[before+i] = s[j]
		}
		dst.Bool = d
	case pStr:
		if dst.Offsets == nil {
			dst.Offsets = []int32{0}
		}
		off, data := src.Offsets, src.Data
		size := 0
		for _, j := range sel {
			size += int(off[j+1] - off[j])
		}
		if len(dst.Data)+size > math.MaxInt32 {
			panic("executor: string data over 2 GiB in one batch")
		}
		dst.Data = reserve(dst.Data, size)
		dst.Offsets = reserve(dst.Offsets, n)
		for _, j := range sel {
			dst.Data = append(dst.Data, data[off[j]:off[j+1]]...)
			dst.Offsets = append(dst.Offsets, int32(len(dst.Data)))
		}
	}
	switch {
	case src.Nulls != nil:
		any := false
		for _, j := range sel {
			if src.Nulls[j] {
				any = true
				break
			}
		}
		if dst.Nulls == nil {
			if !any {
				return
			}
			dst.Nulls = make([]bool, before, max(2*(before+n), vec.BatchSize))
		}
		dst.Nulls = reserve(dst.Nulls, n)
		for _, j := range sel {
			dst.Nulls = append(dst.Nulls, src.Nulls[j])
		}
	case dst.Nulls != nil:
		dst.Nulls = extend(dst.Nulls, before+n)
	}
}
