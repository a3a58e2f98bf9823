package vec

// Conversion between batches and Arrow records, the format of the Flight
// exchange (shared/design/EXECUTION.md §3, §8).
//
// Arrow physical types by representation:
//
//	I64 (ints, numeric, date, timestamp, unknown)  Int64
//	F64 (real, double precision)                     Float64
//	Bool                                             Boolean
//	Offsets/Data (strings, dynamic-scale numeric)    String (int32 offsets)
//
// Each field carries its catalog.Type as JSON under the metadata key
// TypeMetadataKey, so FromRecord restores exact types (varchar(10),
// numeric(15,2), date) rather than just the representation. Records from
// elsewhere (no metadata) are accepted in the common Arrow types and mapped
// to the nearest catalog type; see TypeOfField.

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/cirrusdb/cirrus/catalog"
)

// TypeMetadataKey is the Arrow field metadata key holding the field's
// catalog.Type as JSON.
const TypeMetadataKey = "cirrus.type"

// Offsets between PostgreSQL's epoch (2000-01-01), which our dates and
// timestamps count from, and the Unix epoch that Arrow's Date32 and
// Timestamp count from.
const (
	pgEpochDays   = 10957
	pgEpochMicros = 946684800000000
)

// isBytesBacked reports whether values of t are offsets + bytes.
func isBytesBacked(t catalog.Type) bool { return t.IsBytesBacked() }

// representation returns which of a Vector's slices hold values of t.
func representation(t catalog.Type) arrow.Type { return ArrowType(t).ID() }

// ArrowType returns the Arrow type carrying values of t.
func ArrowType(t catalog.Type) arrow.DataType {
	switch {
	case isBytesBacked(t):
		return arrow.BinaryTypes.String
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		return arrow.PrimitiveTypes.Float64
	case t.Kind == catalog.Bool:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.PrimitiveTypes.Int64
}

// Schema returns the Arrow schema for columns of these types; each field
// carries the catalog.Type as JSON in its metadata (key TypeMetadataKey) so
// FromRecord restores exact types. All fields are nullable.
func Schema(names []string, types []catalog.Type) *arrow.Schema {
	if len(names) != len(types) {
		panic(fmt.Sprintf("vec: %d names for %d types", len(names), len(types)))
	}
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		js, err := json.Marshal(t)
		if err != nil {
			panic(err) // plain data always encodes
		}
		fields[i] = arrow.Field{
			Name:     names[i],
			Type:     ArrowType(t),
			Nullable: true,
			Metadata: arrow.NewMetadata([]string{TypeMetadataKey}, []string{string(js)}),
		}
	}
	return arrow.NewSchema(fields, nil)
}

// ToRecord converts the b.N rows of b to a record of schema, which must
// come from Schema for b's column types. Value buffers are shared, not
// copied: the record is valid only while b's vectors are not modified or
// reused (e.g. until the Flight writer has sent it). Validity and boolean
// bitmaps are built fresh. The caller must Release the record.
func ToRecord(schema *arrow.Schema, b *Batch) arrow.Record {
	if schema.NumFields() != len(b.Cols) {
		panic(fmt.Sprintf("vec: schema has %d fields, batch %d columns", schema.NumFields(), len(b.Cols)))
	}
	cols := make([]arrow.Array, len(b.Cols))
	for i, v := range b.Cols {
		data := vectorData(schema.Field(i).Type, v, b.N)
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	rec := array.NewRecord(schema, cols, int64(b.N))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// vectorData wraps the first n values of v as Arrow data of type dt.
func vectorData(dt arrow.DataType, v *Vector, n int) *array.Data {
	var (
		validity *memory.Buffer
		nulls    int
	)
	if v.Nulls != nil {
		var bm []byte
		bm, nulls = validityBitmap(v.Nulls[:n])
		if nulls > 0 {
			validity = memory.NewBufferBytes(bm)
		}
	}
	var bufs []*memory.Buffer
	switch dt.ID() {
	case arrow.INT64:
		bufs = []*memory.Buffer{validity, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(v.I64[:n]))}
	case arrow.FLOAT64:
		bufs = []*memory.Buffer{validity, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(v.F64[:n]))}
	case arrow.BOOL:
		bufs = []*memory.Buffer{validity, memory.NewBufferBytes(boolBitmap(v.Bool[:n]))}
	case arrow.STRING:
		offs := v.Offsets[:n+1]
		bufs = []*memory.Buffer{validity,
			memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs)),
			memory.NewBufferBytes(v.Data[:offs[n]])}
	default:
		panic(fmt.Sprintf("vec: cannot carry %s in a record", dt))
	}
	return array.NewData(dt, n, bufs, nil, nulls, 0)
}

// validityBitmap returns an Arrow validity bitmap (1 = valid) for nulls and
// the number of NULLs.
func validityBitmap(nulls []bool) ([]byte, int) {
	bm := make([]byte, bitutil.CeilByte(len(nulls))/8)
	n := 0
	for i, null := range nulls {
		if null {
			n++
		} else {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm, n
}

// boolBitmap packs bools into an Arrow bitmap.
func boolBitmap(vals []bool) []byte {
	bm := make([]byte, bitutil.CeilByte(len(vals))/8)
	for i, x := range vals {
		if x {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm
}

// TypeOfField returns the catalog type of values in an Arrow field: the
// type in its TypeMetadataKey metadata when present, else the nearest
// catalog type of its Arrow type (Int8/16 → smallint, Int32 → integer,
// Int64 → bigint, Float16/32 → real, Float64 → double precision,
// String/LargeString → text, Date32 → date, Timestamp → timestamp,
// Decimal128 (precision ≤ 18) → numeric(p,s), Null → unknown).
func TypeOfField(f arrow.Field) (catalog.Type, error) {
	if js, ok := f.Metadata.GetValue(TypeMetadataKey); ok {
		t, err := parseTypeMetadata(js)
		if err != nil {
			return t, fmt.Errorf("vec: field %q: bad %s metadata: %w", f.Name, TypeMetadataKey, err)
		}
		if want := ArrowType(t); want.ID() != f.Type.ID() {
			return t, fmt.Errorf("vec: field %q of type %s is carried as %s, not %s", f.Name, t, f.Type, want)
		}
		return t, nil
	}
	switch dt := f.Type.(type) {
	case *arrow.Int8Type, *arrow.Int16Type:
		return catalog.TypeInt2, nil
	case *arrow.Int32Type:
		return catalog.TypeInt4, nil
	case *arrow.Int64Type:
		return catalog.TypeInt8, nil
	case *arrow.Float16Type, *arrow.Float32Type:
		return catalog.TypeFloat4, nil
	case *arrow.Float64Type:
		return catalog.TypeFloat8, nil
	case *arrow.BooleanType:
		return catalog.TypeBool, nil
	case *arrow.StringType, *arrow.LargeStringType:
		return catalog.TypeText, nil
	case *arrow.Date32Type:
		return catalog.TypeDate, nil
	case *arrow.TimestampType:
		if dt.TimeZone != "" {
			return catalog.TypeTimestampTZ, nil // an instant
		}
		return catalog.TypeTimestamp, nil
	case *arrow.Decimal128Type:
		if dt.Precision <= catalog.MaxNumericPrecision {
			return catalog.NumericType(dt.Precision, dt.Scale), nil
		}
	case *arrow.NullType:
		return catalog.TypeUnknown, nil
	}
	return catalog.Type{}, fmt.Errorf("vec: field %q has unsupported Arrow type %s", f.Name, f.Type)
}

// typeCache memoizes parsed TypeMetadataKey values (a few distinct types
// recur in every record of a stream), so converting a record does not
// decode JSON per column. It stops growing at maxCachedTypes entries.
var typeCache struct {
	sync.RWMutex
	m map[string]catalog.Type
}

const maxCachedTypes = 4096

func parseTypeMetadata(js string) (catalog.Type, error) {
	typeCache.RLock()
	t, ok := typeCache.m[js]
	typeCache.RUnlock()
	if ok {
		return t, nil
	}
	return parseTypeMetadataSlow(js)
}

// parseTypeMetadataSlow decodes and caches a type; it is separate so that
// the decoded variable's escape does not make every cache hit allocate.
func parseTypeMetadataSlow(js string) (catalog.Type, error) {
	var t catalog.Type
	if err := json.Unmarshal([]byte(js), &t); err != nil {
		return t, err
	}
	typeCache.Lock()
	if typeCache.m == nil {
		typeCache.m = map[string]catalog.Type{}
	}
	if len(typeCache.m) < maxCachedTypes {
		typeCache.m[js] = t
	}
	typeCache.Unlock()
	return t, nil
}

// FromRecord converts a record to a new batch, copying values out of the
// Arrow buffers.
func FromRecord(rec arrow.Record) (*Batch, error) {
	b := &Batch{}
	if err := FromRecordInto(rec, b); err != nil {
		return nil, err
	}
	return b, nil
}

// FromRecordInto is FromRecord reusing b's vectors and their buffers; a
// caller converting a stream of records keeps one batch. The record may be
// released afterwards.
func FromRecordInto(rec arrow.Record, b *Batch) error {
	ncols := int(rec.NumCols())
	n := int(rec.NumRows())
	if cap(b.Cols) < ncols {
		b.Cols = append(b.Cols[:cap(b.Cols)], make([]*Vector, ncols-cap(b.Cols))...)
	}
	b.Cols = b.Cols[:ncols]
	for i := range ncols {
		t, err := TypeOfField(rec.Schema().Field(i))
		if err != nil {
			return err
		}
		if b.Cols[i] == nil {
			b.Cols[i] = NewVector(t, n)
		}
		if err := fromArray(b.Cols[i], t, rec.Column(i), n); err != nil {
			return fmt.Errorf("vec: column %q: %w", rec.ColumnName(i), err)
		}
	}
	b.N = n
	return nil
}

// fromArray fills v with the n values of arr, as type t.
func fromArray(v *Vector, t catalog.Type, arr arrow.Array, n int) error {
	if arr.Len() != n {
		return fmt.Errorf("array has %d values, record %d", arr.Len(), n)
	}
	// Vector.Len tells representations apart by which slices are non-nil.
	if representation(v.Type) != representation(t) {
		*v = *NewVector(t, n)
	}
	v.Type = t
	v.I64, v.F64, v.Bool = v.I64[:0], v.F64[:0], v.Bool[:0]
	v.Data = v.Data[:0]
	if v.Offsets != nil {
		v.Offsets = v.Offsets[:1]
		v.Offsets[0] = 0
	}
	// Nulls first; value copies below zero the NULL slots.
	var nulls []bool
	if arr.NullN() > 0 {
		nulls = resize(v.Nulls, n)
		if arr.DataType().ID() == arrow.NULL {
			for i := range nulls {
				nulls[i] = true
			}
		} else {
			bm, off := arr.NullBitmapBytes(), arr.Data().Offset()
			for i := range nulls {
				nulls[i] = !bitutil.BitIsSet(bm, off+i)
			}
		}
	}
	v.Nulls = nulls

	switch a := arr.(type) {
	case *array.Int64:
		v.I64 = append(v.I64, a.Int64Values()...)
		zeroNulls(v.I64, nulls)
	case *array.Int32:
		v.I64 = widen(v.I64, a.Int32Values(), 0, nulls)
	case *array.Int16:
		v.I64 = widen(v.I64, a.Int16Values(), 0, nulls)
	case *array.Int8:
		v.I64 = widen(v.I64, a.Int8Values(), 0, nulls)
	case *array.Date32:
		v.I64 = widen(v.I64, a.Date32Values(), pgEpochDays, nulls)
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		v.I64 = resize(v.I64, n)
		for i, x := range a.TimestampValues() {
			v.I64[i] = timestampMicros(int64(x), unit) - pgEpochMicros
		}
		zeroNulls(v.I64, nulls)
	case *array.Decimal128:
		v.I64 = resize(v.I64, n)
		for i, x := range a.Values() {
			if nulls != nil && nulls[i] {
				v.I64[i] = 0
				continue
			}
			if !fitsInt64(x) {
				return fmt.Errorf("decimal value %s does not fit in 64 bits", x.BigInt())
			}
			v.I64[i] = int64(x.LowBits())
		}
	case *array.Null:
		v.I64 = resize(v.I64, n)
		clear(v.I64)
	case *array.Float64:
		v.F64 = append(v.F64, a.Float64Values()...)
		zeroNulls(v.F64, nulls)
	case *array.Float32:
		v.F64 = resize(v.F64, n)
		for i, x := range a.Float32Values() {
			v.F64[i] = float64(x)
		}
		zeroNulls(v.F64, nulls)
	case *array.Float16:
		v.F64 = resize(v.F64, n)
		for i, x := range a.Values() {
			v.F64[i] = float64(x.Float32())
		}
		zeroNulls(v.F64, nulls)
	case *array.Boolean:
		v.Bool = resize(v.Bool, n)
		if n > 0 {
			bm, off := a.Data().Buffers()[1].Bytes(), a.Data().Offset()
			for i := range v.Bool {
				v.Bool[i] = bitutil.BitIsSet(bm, off+i) && (nulls == nil || !nulls[i])
			}
		}
	case *array.String:
		if n > 0 {
			copyStrings(v, a.ValueOffsets(), a.ValueBytes(), nulls)
		}
	case *array.LargeString:
		if n > 0 {
			copyStrings(v, a.ValueOffsets(), a.ValueBytes(), nulls)
		}
	default:
		return fmt.Errorf("cannot read Arrow %s as %s", arr.DataType(), t)
	}
	return nil
}

// copyStrings appends strings given by Arrow offsets (which need not start
// at 0) and their bytes (starting at offs[0]) to v, empty for NULL rows.
func copyStrings[O int32 | int64](v *Vector, offs []O, data []byte, nulls []bool) {
	n := len(offs) - 1
	base := offs[0]
	v.Offsets = resize(v.Offsets, n+1)
	if nulls == nil {
		v.Data = append(v.Data, data...)
		for i := range n {
			v.Offsets[i+1] = int32(offs[i+1] - base)
		}
		return
	}
	for i := range n {
		if !nulls[i] {
			v.Data = append(v.Data, data[offs[i]-base:offs[i+1]-base]...)
		}
		v.Offsets[i+1] = int32(len(v.Data))
	}
}

// resize returns s with length n, reusing its array when large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func zeroNulls[T int64 | float64](vals []T, nulls []bool) {
	for i, null := range nulls {
		if null {
			vals[i] = 0
		}
	}
}

// widen appends src to dst as int64 minus delta, zeroing NULL slots.
func widen[S ~int8 | ~int16 | ~int32](dst []int64, src []S, delta int64, nulls []bool) []int64 {
	dst = resize(dst, len(src))
	for i, x := range src {
		dst[i] = int64(x) - delta
	}
	zeroNulls(dst, nulls)
	return dst
}

func timestampMicros(x int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return x * 1e6
	case arrow.Millisecond:
		return x * 1e3
	case arrow.Nanosecond:
		q := x / 1e3
		if x%1e3 < 0 {
			q-- // floor
		}
		return q
	}
	return x
}

func fitsInt64(x decimal128.Num) bool {
	hi, lo := x.HighBits(), x.LowBits()
	return (hi == 0 && lo <= 1<<63-1) || (hi == -1 && lo >= 1<<63)
}
