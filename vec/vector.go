// Package vec holds the columnar batches that operators, scans and exchanges
// pass around.
//
// A Batch holds up to BatchSize rows as one typed Vector per column. Operators
// work a vector at a time with typed loops; nothing in a hot loop allocates
// per row or calls through an interface per value. Operators are pulled
// (Next returns the next batch); the batch a Next returns stays valid until
// the following call to Next on the same operator.
package vec

import (
	"github.com/cirrusdb/cirrus/catalog"
)

// BatchSize is the most rows an operator emits per batch (DuckDB's vector size).
const BatchSize = 2048

// Vector is one column of a batch. Exactly one of the value slices is used,
// chosen by Type (see catalog.Kind for the mapping):
//
//	I64  ints, numeric (scaled by 10^Type.Scale), date (days), timestamp (µs)
//	F64  real, double precision
//	Bool boolean
//	Offsets/Data  text, varchar, char, and dynamic-scale numeric (decimal
//	              text, see catalog.DynamicScale): value i is
//	              Data[Offsets[i]:Offsets[i+1]]
//
// Nulls is nil when no value is NULL; otherwise Nulls[i] reports row i NULL
// (the value slot then holds a zero value).
type Vector struct {
	Type    catalog.Type
	I64     []int64
	F64     []float64
	Bool    []bool
	Offsets []int32
	Data    []byte
	Nulls   []bool
}

// NewVector returns an empty vector of type t with room for n values.
func NewVector(t catalog.Type, n int) *Vector {
	v := &Vector{Type: t}
	switch {
	case t.IsInt64Backed():
		v.I64 = make([]int64, 0, n)
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		v.F64 = make([]float64, 0, n)
	case t.Kind == catalog.Bool:
		v.Bool = make([]bool, 0, n)
	case t.IsBytesBacked():
		v.Offsets = make([]int32, 1, n+1)
	default: // Unknown: an all-NULL column, carried as int64 zeros
		v.I64 = make([]int64, 0, n)
	}
	return v
}

// Len returns the number of values.
func (v *Vector) Len() int {
	switch {
	case v.Offsets != nil:
		return len(v.Offsets) - 1
	case v.F64 != nil:
		return len(v.F64)
	case v.Bool != nil:
		return len(v.Bool)
	}
	return len(v.I64)
}

// IsNull reports whether value i is NULL.
func (v *Vector) IsNull(i int) bool { return v.Nulls != nil && v.Nulls[i] }

// Bytes returns string value i; the slice aliases the vector's buffer.
func (v *Vector) Bytes(i int) []byte { return v.Data[v.Offsets[i]:v.Offsets[i+1]] }

// Reset empties the vector, keeping its buffers.
func (v *Vector) Reset() {
	v.I64 = v.I64[:0]
	v.F64 = v.F64[:0]
	v.Bool = v.Bool[:0]
	if v.Offsets != nil {
		v.Offsets = v.Offsets[:1]
		v.Offsets[0] = 0
	}
	v.Data = v.Data[:0]
	v.Nulls = nil
}

// AppendNull appends a NULL.
func (v *Vector) AppendNull() {
	n := v.Len()
	if v.Nulls == nil {
		v.Nulls = make([]bool, n, cap(v.I64)+cap(v.F64)+cap(v.Bool)+cap(v.Offsets)+1)
	}
	v.Nulls = append(v.Nulls, true)
	v.appendZero()
}

func (v *Vector) appendZero() {
	switch {
	case v.Offsets != nil:
		v.Offsets = append(v.Offsets, int32(len(v.Data)))
	case v.F64 != nil:
		v.F64 = append(v.F64, 0)
	case v.Bool != nil:
		v.Bool = append(v.Bool, false)
	default:
		v.I64 = append(v.I64, 0)
	}
}

func (v *Vector) markValid() {
	if v.Nulls != nil {
		v.Nulls = append(v.Nulls, false)
	}
}

// AppendInt64 appends an int64-backed value.
func (v *Vector) AppendInt64(x int64) { v.markValid(); v.I64 = append(v.I64, x) }

// AppendFloat64 appends a float value.
func (v *Vector) AppendFloat64(x float64) { v.markValid(); v.F64 = append(v.F64, x) }

// AppendBool appends a boolean.
func (v *Vector) AppendBool(x bool) { v.markValid(); v.Bool = append(v.Bool, x) }

// AppendBytes appends a string value.
func (v *Vector) AppendBytes(b []byte) {
	v.markValid()
	v.Data = append(v.Data, b...)
	v.Offsets = append(v.Offsets, int32(len(v.Data)))
}

// AppendFrom appends value i of src, which must have the same physical type.
func (v *Vector) AppendFrom(src *Vector, i int) {
	if src.IsNull(i) {
		v.AppendNull()
		return
	}
	switch {
	case v.Offsets != nil:
		v.AppendBytes(src.Bytes(i))
	case v.F64 != nil:
		v.AppendFloat64(src.F64[i])
	case v.Bool != nil:
		v.AppendBool(src.Bool[i])
	default:
		v.AppendInt64(src.I64[i])
	}
}

// Batch is a set of equally long vectors.
type Batch struct {
	Cols []*Vector
	N    int
}

// NewBatch returns an empty batch with one vector per type.
func NewBatch(types []catalog.Type, capacity int) *Batch {
	b := &Batch{Cols: make([]*Vector, len(types))}
	for i, t := range types {
		b.Cols[i] = NewVector(t, capacity)
	}
	return b
}

// Reset empties every vector.
func (b *Batch) Reset() {
	for _, c := range b.Cols {
		c.Reset()
	}
	b.N = 0
}

// Types returns the column types.
func (b *Batch) Types() []catalog.Type {
	ts := make([]catalog.Type, len(b.Cols))
	for i, c := range b.Cols {
		ts[i] = c.Type
	}
	return ts
}

// Slice returns rows [from, to) of b as a batch that shares b's memory.
func (b *Batch) Slice(from, to int) *Batch {
	if from == 0 && to == b.N {
		return b
	}
	out := &Batch{Cols: make([]*Vector, len(b.Cols)), N: to - from}
	for j, v := range b.Cols {
		s := &Vector{Type: v.Type}
		switch {
		case v.I64 != nil:
			s.I64 = v.I64[from:to]
		case v.F64 != nil:
			s.F64 = v.F64[from:to]
		case v.Bool != nil:
			s.Bool = v.Bool[from:to]
		case v.Offsets != nil:
			s.Offsets, s.Data = v.Offsets[from:to+1], v.Data
		}
		if v.Nulls != nil {
			s.Nulls = v.Nulls[from:to]
		}
		out.Cols[j] = s
	}
	return out
}
