package pgtype

import (
	"encoding/binary"
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// Column encoders: the output functions applied to a whole vector at once,
// the type dispatched once per column rather than once per value. They
// append rows [0, n) of v to dst one after another and, for each row, the
// offset in dst where it ends to ends; a NULL row appends no bytes (the
// caller checks v.IsNull). Value i is dst[ends[i-1]:ends[i]], with
// ends[-1] taken as the length of dst on entry.

// AppendTextColumn appends the text output of rows [0, n) of v.
func AppendTextColumn(dst []byte, ends []int, v *vec.Vector, n int, o Output) ([]byte, []int) {
	t := v.Type
	null := func(i int) bool { return v.Nulls != nil && v.Nulls[i] }
	switch {
	case t.Kind == catalog.Bool:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = AppendBool(dst, v.Bool[i])
			}
			ends = append(ends, len(dst))
		}
	case t.IsInteger():
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = strconv.AppendInt(dst, v.I64[i], 10)
			}
			ends = append(ends, len(dst))
		}
	case t.Kind == catalog.Numeric && !t.IsDynamicNumeric():
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = AppendNumeric(dst, v.I64[i], t.Scale)
			}
			ends = append(ends, len(dst))
		}
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		bits := 64
		if t.Kind == catalog.Float4 {
			bits = 32
		}
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = o.AppendFloat(dst, v.F64[i], bits)
			}
			ends = append(ends, len(dst))
		}
	case t.Kind == catalog.Date:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = o.DateTime.AppendDate(dst, v.I64[i])
			}
			ends = append(ends, len(dst))
		}
	case t.Kind == catalog.Timestamp:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = o.DateTime.AppendTimestamp(dst, v.I64[i])
			}
			ends = append(ends, len(dst))
		}
	case t.Kind == catalog.TimestampTZ:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = o.DateTime.AppendTimestampTZ(dst, v.I64[i])
			}
			ends = append(ends, len(dst))
		}
	case t.IsBytesBacked() && t.Kind != catalog.Record && t.Kind != catalog.Interval:
		for i := 0; i < n; i++ {
			dst = append(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
			ends = append(ends, len(dst))
		}
	default:
		// The catalog types and the rest: one value at a time.
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = o.DateTime.AppendText(dst, v, i)
			}
			ends = append(ends, len(dst))
		}
	}
	return dst, ends
}

// AppendBinaryColumn appends the binary send format of rows [0, n) of v.
func AppendBinaryColumn(dst []byte, ends []int, v *vec.Vector, n int) ([]byte, []int) {
	t := v.Type
	null := func(i int) bool { return v.Nulls != nil && v.Nulls[i] }
	switch t.Kind {
	case catalog.Int2:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = binary.BigEndian.AppendUint16(dst, uint16(v.I64[i]))
			}
			ends = append(ends, len(dst))
		}
		return dst, ends
	case catalog.Int4, catalog.Date:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = binary.BigEndian.AppendUint32(dst, uint32(v.I64[i]))
			}
			ends = append(ends, len(dst))
		}
		return dst, ends
	case catalog.Int8, catalog.Timestamp, catalog.TimestampTZ:
		for i := 0; i < n; i++ {
			if !null(i) {
				dst = binary.BigEndian.AppendUint64(dst, uint64(v.I64[i]))
			}
			ends = append(ends, len(dst))
		}
		return dst, ends
	}
	for i := 0; i < n; i++ {
		if !null(i) {
			dst = AppendBinary(dst, v, i)
		}
		ends = append(ends, len(dst))
	}
	return dst, ends
}
