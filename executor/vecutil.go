package executor

import (
	"math/bits"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// phys is the physical representation of a vector (which value slice it uses).
type phys uint8

const (
	pI64 phys = iota
	pF64
	pBool
	pStr
)

func physOf(t catalog.Type) phys {
	switch {
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		return pF64
	case t.Kind == catalog.Bool:
		return pBool
	case t.IsBytesBacked(): // strings, dynamic-scale numerics
		return pStr
	}
	return pI64
}

// vecBuf is a vector an operator or expression owns and refills batch after
// batch. It keeps its NULL buffer while Nulls is nil so refilling never
// allocates once the buffers have grown.
type vecBuf struct {
	vec.Vector
	spare []bool
}

func (o *vecBuf) init(t catalog.Type) {
	o.Type = t
	if physOf(t) == pStr && o.Offsets == nil {
		o.Offsets = make([]int32, 1, vec.BatchSize+1)
	}
}

func (o *vecBuf) i64(n int) []int64 {
	if cap(o.I64) < n {
		o.I64 = make([]int64, n, max(n, vec.BatchSize))
	}
	o.I64 = o.I64[:n]
	return o.I64
}

func (o *vecBuf) f64(n int) []float64 {
	if cap(o.F64) < n || o.F64 == nil {
		o.F64 = make([]float64, n, max(n, vec.BatchSize))
	}
	o.F64 = o.F64[:n]
	return o.F64
}

func (o *vecBuf) bools(n int) []bool {
	if cap(o.Bool) < n || o.Bool == nil {
		o.Bool = make([]bool, n, max(n, vec.BatchSize))
	}
	o.Bool = o.Bool[:n]
	return o.Bool
}

// resetStr empties a string vector.
func (o *vecBuf) resetStr() {
	if o.Offsets == nil {
		o.Offsets = make([]int32, 1, vec.BatchSize+1)
	}
	o.Offsets = o.Offsets[:1]
	o.Offsets[0] = 0
	o.Data = o.Data[:0]
}

// appendStr appends a string value (the caller manages Nulls).
func (o *vecBuf) appendStr(b []byte) {
	o.Data = append(o.Data, b...)
	o.Offsets = append(o.Offsets, int32(len(o.Data)))
}

// nullsLen makes Nulls a cleared slice of n flags and returns it.
func (o *vecBuf) nullsLen(n int) []bool {
	buf := o.Nulls
	if buf == nil {
		buf = o.spare
	}
	if cap(buf) < n {
		buf = make([]bool, n, max(n, vec.BatchSize))
	} else {
		buf = buf[:n]
		clear(buf)
	}
	o.Nulls, o.spare = buf, buf
	return buf
}

// clearNulls marks every value valid.
func (o *vecBuf) clearNulls() {
	if o.Nulls != nil {
		o.spare = o.Nulls
		o.Nulls = nil
	}
}

// copyNulls sets Nulls to a copy of src (nil: no NULLs).
func (o *vecBuf) copyNulls(src []bool, n int) {
	if src == nil {
		o.clearNulls()
		return
	}
	copy(o.nullsLen(n), src[:n])
}

// unionNulls sets Nulls to a ∪ b.
func (o *vecBuf) unionNulls(a, b []bool, n int) {
	switch {
	case a == nil && b == nil:
		o.clearNulls()
	case a == nil:
		o.copyNulls(b, n)
	case b == nil:
		o.copyNulls(a, n)
	default:
		nl := o.nullsLen(n)
		a, b = a[:n], b[:n]
		for i := range nl {
			nl[i] = a[i] || b[i]
		}
	}
}

// zeroNullSlots writes zero values under NULLs (the vec contract).
func (o *vecBuf) zeroNullSlots() {
	if o.Nulls == nil {
		return
	}
	switch {
	case o.Offsets != nil:
	case o.F64 != nil:
		f := o.F64[:len(o.Nulls)]
		for i, nl := range o.Nulls {
			if nl {
				f[i] = 0
			}
		}
	case o.Bool != nil:
		f := o.Bool[:len(o.Nulls)]
		for i, nl := range o.Nulls {
			if nl {
				f[i] = false
			}
		}
	default:
		f := o.I64[:len(o.Nulls)]
		for i, nl := range o.Nulls {
			if nl {
				f[i] = 0
			}
		}
	}
}

// setAllNull makes o n NULLs of its type.
func (o *vecBuf) setAllNull(n int) {
	switch physOf(o.Type) {
	case pI64:
		clear(o.i64(n))
	case pF64:
		clear(o.f64(n))
	case pBool:
		clear(o.bools(n))
	case pStr:
		o.resetStr()
		for range n {
			o.Offsets = append(o.Offsets, 0)
		}
	}
	nl := o.nullsLen(n)
	for i := range nl {
		nl[i] = true
	}
}

// anyTrue reports whether some flag is set.
func anyTrue(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

// gatherVec sets dst to src's rows sel.
func gatherVec(dst *vecBuf, src *vec.Vector, sel []int32) {
	n := len(sel)
	dst.Type = src.Type
	switch physOf(src.Type) {
	case pI64:
		d, s := dst.i64(n), src.I64
		for i, j := range sel {
			d[i] = s[j]
		}
	case pF64:
		d, s := dst.f64(n), src.F64
		for i, j := range sel {
			d[i] = s[j]
		}
	case pBool:
		d, s := dst.bools(n), src.Bool
		for i, j := range sel {
			d[i] = s[j]
		}
	case pStr:
		dst.resetStr()
		off, data := src.Offsets, src.Data
		// Runs of consecutive rows (most of a selective-in-name-only
		// filter's output) move their bytes with one copy.
		for i := 0; i < n; {
			first := sel[i]
			k := i + 1
			for k < n && sel[k] == sel[k-1]+1 {
				k++
			}
			last := sel[k-1]
			lo := off[first]
			base := int32(len(dst.Data)) - lo
			dst.Data = append(dst.Data, data[lo:off[last+1]]...)
			for _, o := range off[first+1 : last+2] {
				dst.Offsets = append(dst.Offsets, o+base)
			}
			i = k
		}
	}
	if src.Nulls == nil {
		dst.clearNulls()
		return
	}
	nl, sn := dst.nullsLen(n), src.Nulls
	any := false
	for i, j := range sel {
		nl[i] = sn[j]
		any = any || sn[j]
	}
	if !any {
		dst.clearNulls()
	}
}

// gatherVecNullable is gatherVec where a negative index yields NULL; src may
// be nil when every index is negative.
func gatherVecNullable(dst *vecBuf, src *vec.Vector, sel []int32) {
	n := len(sel)
	nl := dst.nullsLen(n)
	switch physOf(dst.Type) {
	case pI64:
		d := dst.i64(n)
		for i, j := range sel {
			if j < 0 {
				d[i], nl[i] = 0, true
			} else {
				d[i], nl[i] = src.I64[j], src.IsNull(int(j))
			}
		}
	case pF64:
		d := dst.f64(n)
		for i, j := range sel {
			if j < 0 {
				d[i], nl[i] = 0, true
			} else {
				d[i], nl[i] = src.F64[j], src.IsNull(int(j))
			}
		}
	case pBool:
		d := dst.bools(n)
		for i, j := range sel {
			if j < 0 {
				d[i], nl[i] = false, true
			} else {
				d[i], nl[i] = src.Bool[j], src.IsNull(int(j))
			}
		}
	case pStr:
		dst.resetStr()
		for i, j := range sel {
			if j < 0 {
				nl[i] = true
			} else {
				dst.Data = append(dst.Data, src.Data[src.Offsets[j]:src.Offsets[j+1]]...)
				nl[i] = src.IsNull(int(j))
			}
			dst.Offsets = append(dst.Offsets, int32(len(dst.Data)))
		}
	}
	if !anyTrue(nl) {
		dst.clearNulls()
	}
}

// reserve returns s with room for n more elements, doubling the capacity
// when it must grow (append's 1.25× growth for large slices would copy a
// growing store many times over).
func reserve[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	ns := make([]T, len(s), max(len(s)+n, 2*cap(s), 64))
	copy(ns, s)
	return ns
}

// extend returns s lengthened to n with zero values, doubling capacity.
func extend[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	old := len(s)
	s = reserve(s, n-old)[:n]
	clear(s[old:])
	return s
}

// appendVec appends rows [from, to) of src to a growing vector dst (a store
// that keeps every row, e.g. a join's build side).
func appendVec(dst, src *vec.Vector, from, to int) {
	before := dst.Len()
	n := to - from
	switch physOf(dst.Type) {
	case pI64:
		dst.I64 = append(reserve(dst.I64, n), src.I64[from:to]...)
	case pF64:
		dst.F64 = append(reserve(dst.F64, n), src.F64[from:to]...)
	case pBool:
		dst.Bool = append(reserve(dst.Bool, n), src.Bool[from:to]...)
	case pStr:
		if dst.Offsets == nil {
			dst.Offsets = []int32{0}
		}
		base := int32(len(dst.Data)) - src.Offsets[from]
		data := src.Data[src.Offsets[from]:src.Offsets[to]]
		dst.Data = append(reserve(dst.Data, len(data)), data...)
		dst.Offsets = reserve(dst.Offsets, n)
		for _, o := range src.Offsets[from+1 : to+1] {
			dst.Offsets = append(dst.Offsets, o+base)
		}
	}
	switch {
	case src.Nulls != nil:
		if dst.Nulls == nil {
			if !anyTrue(src.Nulls[from:to]) {
				return
			}
			dst.Nulls = make([]bool, before, max(2*(before+n), vec.BatchSize))
		}
		dst.Nulls = append(reserve(dst.Nulls, n), src.Nulls[from:to]...)
	case dst.Nulls != nil:
		dst.Nulls = extend(dst.Nulls, before+n)
	}
}

// sliceView makes dst a view of src's rows [0, n) without copying.
func sliceView(dst, src *vec.Vector, n int) {
	*dst = *src
	switch physOf(src.Type) {
	case pI64:
		dst.I64 = src.I64[:n]
	case pF64:
		dst.F64 = src.F64[:n]
	case pBool:
		dst.Bool = src.Bool[:n]
	case pStr:
		dst.Offsets = src.Offsets[:n+1]
	}
	if src.Nulls != nil {
		dst.Nulls = src.Nulls[:n]
	}
}

// ownedBatch is a batch whose vectors an operator owns and refills.
type ownedBatch struct {
	vec.Batch
	bufs []vecBuf
}

func newOwnedBatch(types []catalog.Type) *ownedBatch {
	ob := &ownedBatch{bufs: make([]vecBuf, len(types))}
	ob.Cols = make([]*vec.Vector, len(types))
	for i, t := range types {
		ob.bufs[i].init(t)
		ob.Cols[i] = &ob.bufs[i].Vector
	}
	return ob
}

// gather fills ob with src's rows sel.
func (ob *ownedBatch) gather(src *vec.Batch, sel []int32) *vec.Batch {
	for i := range ob.bufs {
		gatherVec(&ob.bufs[i], src.Cols[i], sel)
	}
	ob.N = len(sel)
	return &ob.Batch
}

// absBits returns b such that |x| <= 2^b for every x in v (0 for none).
func absBits(v []int64) int {
	var or0, or1, or2, or3 uint64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		x := v[i : i+4 : i+4]
		or0 |= uint64(x[0] ^ x[0]>>63)
		or1 |= uint64(x[1] ^ x[1]>>63)
		or2 |= uint64(x[2] ^ x[2]>>63)
		or3 |= uint64(x[3] ^ x[3]>>63)
	}
	for _, x := range v[i:] {
		or0 |= uint64(x ^ x>>63)
	}
	return bits.Len64(or0 | or1 | or2 | or3)
}
