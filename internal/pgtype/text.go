// Package pgtype implements PostgreSQL 15's text and binary input/output
// functions for the types Cirrus supports, over Cirrus's physical
// representation (vec.Vector, plan.Datum).
//
// Output functions append to a caller-supplied buffer and never allocate
// beyond growing it. Input functions return *sqlerr.Error values carrying the
// SQLSTATE and message text PostgreSQL produces for the same input.
package pgtype

import (
	"math"
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Special date and timestamp values (PostgreSQL's DATEVAL_NOBEGIN/NOEND and
// DT_NOBEGIN/DT_NOEND), as held in the int64 representation.
const (
	DateNegInfinity      int64 = math.MinInt32
	DatePosInfinity      int64 = math.MaxInt32
	TimestampNegInfinity int64 = math.MinInt64
	TimestampPosInfinity int64 = math.MaxInt64
)

// AppendText appends PostgreSQL's text output of value i of v, with the
// default datetime settings. The caller checks NULL.
func AppendText(dst []byte, v *vec.Vector, i int) []byte { return DateTime{}.AppendText(dst, v, i) }

// AppendText appends PostgreSQL's text output of value i of v as a session
// with these settings sees it. The caller checks NULL.
func (dt DateTime) AppendText(dst []byte, v *vec.Vector, i int) []byte {
	t := v.Type
	switch t.Kind {
	case catalog.Bool:
		return AppendBool(dst, v.Bool[i])
	case catalog.Int2, catalog.Int4, catalog.Int8:
		return strconv.AppendInt(dst, v.I64[i], 10)
	case catalog.Numeric:
		if t.IsDynamicNumeric() { // decimal text
			return append(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
		}
		return AppendNumeric(dst, v.I64[i], t.Scale)
	case catalog.Float4:
		return AppendFloat(dst, v.F64[i], 32)
	case catalog.Float8:
		return AppendFloat(dst, v.F64[i], 64)
	case catalog.Oid, catalog.RegClass, catalog.RegType, catalog.RegNamespace, catalog.RegProc, catalog.RegRole:
		if v.Offsets != nil {
			// A reg* result column that also carries its names (the
			// executor's reg_out): the text form is the name.
			return append(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
		}
		return strconv.AppendUint(dst, uint64(uint32(v.I64[i])), 10)
	case catalog.Text, catalog.Varchar, catalog.Bpchar, catalog.Name, catalog.Char,
		catalog.Array, catalog.Int2Vector, catalog.OidVector, catalog.AclItem, catalog.PgNodeTree:
		return append(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
	case catalog.Date:
		return dt.AppendDate(dst, v.I64[i])
	case catalog.Timestamp:
		return dt.AppendTimestamp(dst, v.I64[i])
	case catalog.TimestampTZ:
		return dt.AppendTimestampTZ(dst, v.I64[i])
	case catalog.Record:
		return AppendRecordText(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]])
	case catalog.Interval:
		return AppendInterval(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]])
	}
	return dst
}

// AppendDatumText formats a constant of type t with the default datetime
// settings. A NULL datum appends nothing.
func AppendDatumText(dst []byte, t catalog.Type, d plan.Datum) []byte {
	return DateTime{}.AppendDatumText(dst, t, d)
}

// AppendDatumText formats a constant of type t as a session with these
// settings sees it. A NULL datum appends nothing.
func (dt DateTime) AppendDatumText(dst []byte, t catalog.Type, d plan.Datum) []byte {
	if d.Null {
		return dst
	}
	switch t.Kind {
	case catalog.Bool:
		return AppendBool(dst, d.B)
	case catalog.Int2, catalog.Int4, catalog.Int8:
		return strconv.AppendInt(dst, d.I, 10)
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			return append(dst, d.S...)
		}
		return AppendNumeric(dst, d.I, t.Scale)
	case catalog.Float4:
		return AppendFloat(dst, d.F, 32)
	case catalog.Float8:
		return AppendFloat(dst, d.F, 64)
	case catalog.Oid, catalog.RegClass, catalog.RegType, catalog.RegNamespace, catalog.RegProc, catalog.RegRole:
		return strconv.AppendUint(dst, uint64(uint32(d.I)), 10)
	case catalog.Text, catalog.Varchar, catalog.Bpchar, catalog.Unknown, catalog.Name, catalog.Char,
		catalog.Array, catalog.Int2Vector, catalog.OidVector, catalog.AclItem, catalog.PgNodeTree:
		return append(dst, d.S...)
	case catalog.Date:
		return dt.AppendDate(dst, d.I)
	case catalog.Timestamp:
		return dt.AppendTimestamp(dst, d.I)
	case catalog.TimestampTZ:
		return dt.AppendTimestampTZ(dst, d.I)
	case catalog.Record:
		return AppendRecordText(dst, []byte(d.S))
	case catalog.Interval:
		return AppendInterval(dst, []byte(d.S))
	}
	return dst
}

// AppendBool appends "t" or "f".
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 't')
	}
	return append(dst, 'f')
}

// AppendNumeric appends the scaled integer v with scale fractional digits,
// e.g. 12345 scale 2 → "123.45", -5 scale 2 → "-0.05". A negative scale is
// treated as 0.
func AppendNumeric(dst []byte, v int64, scale int32) []byte {
	var u uint64
	if v < 0 {
		dst = append(dst, '-')
		u = uint64(-(v + 1)) + 1 // handles MinInt64
	} else {
		u = uint64(v)
	}
	if scale <= 0 {
		return strconv.AppendUint(dst, u, 10)
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], u, 10)
	n := int(scale)
	if len(digits) <= n {
		dst = append(dst, '0', '.')
		for k := len(digits); k < n; k++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	ip := len(digits) - n
	dst = append(dst, digits[:ip]...)
	dst = append(dst, '.')
	return append(dst, digits[ip:]...)
}

// AppendFloat appends PostgreSQL 15's default (extra_float_digits = 1)
// output of f: the shortest string that reads back to the same float of the
// given bit size (32 or 64), in %g style with PostgreSQL's thresholds for
// exponential notation (exponent < -4 or >= 15 for float8, >= 6 for float4).
func AppendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	maxExp := 15
	if bits == 32 {
		maxExp = 6
		f = float64(float32(f))
	}
	var buf [40]byte
	// 'e' with shortest precision: [-]d[.ddd]e±dd[d]
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, bits)
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	// split mantissa digits and exponent
	epos := 0
	for epos < len(s) && s[epos] != 'e' {
		epos++
	}
	mant := s[:epos]
	exp := 0
	esign := 1
	k := epos + 1
	if k < len(s) && (s[k] == '+' || s[k] == '-') {
		if s[k] == '-' {
			esign = -1
		}
		k++
	}
	for ; k < len(s); k++ {
		exp = exp*10 + int(s[k]-'0')
	}
	exp *= esign
	var digs [24]byte
	nd := 0
	for _, c := range mant {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	d := digs[:nd]
	if neg {
		dst = append(dst, '-')
	}
	if exp < -4 || exp >= maxExp {
		dst = append(dst, d[0])
		if nd > 1 {
			dst = append(dst, '.')
			dst = append(dst, d[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	if exp < 0 {
		dst = append(dst, '0', '.')
		for k := -1; k > exp; k-- {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	// exp >= 0: exp+1 integer digits
	if nd <= exp+1 {
		dst = append(dst, d...)
		for k := nd; k < exp+1; k++ {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, d[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, d[exp+1:]...)
}

// daysFromCivil returns days since 2000-01-01 of the proleptic Gregorian date
// y-m-d (y astronomical: 0 is 1 BC).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	var era int64
	if y >= 0 {
		era = y / 400
	} else {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 - 10957
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468 + 10957
	var era int64
	if z >= 0 {
		era = z / 146097
	} else {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return
}

func appendPad(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendYMD appends YYYY-MM-DD and reports whether the year is BC.
func appendYMD(dst []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days)
	bc := false
	if y <= 0 {
		bc = true
		y = 1 - y
	}
	dst = appendPad(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, m, 2)
	dst = append(dst, '-')
	dst = appendPad(dst, d, 2)
	return dst, bc
}

// AppendDate appends a date (days since 2000-01-01) as PostgreSQL prints it
// with DateStyle ISO: "2024-01-31", "0044-03-15 BC", "infinity".
func AppendDate(dst []byte, days int64) []byte { return DateTime{}.AppendDate(dst, days) }

const (
	usPerSec = 1000000
	usPerDay = 86400 * usPerSec
)

// AppendTimestamp appends a timestamp (µs since 2000-01-01 00:00:00) as
// PostgreSQL prints it with DateStyle ISO: "2024-01-31 13:45:00",
// fractional seconds only when nonzero with trailing zeros trimmed.
func AppendTimestamp(dst []byte, us int64) []byte { return DateTime{}.AppendTimestamp(dst, us) }

// DaysFromCivil returns days since 2000-01-01 of a proleptic Gregorian date
// (year 0 is 1 BC).
func DaysFromCivil(y, m, d int64) int64 { return daysFromCivil(y, m, d) }

// CivilFromDays is the inverse of DaysFromCivil.
func CivilFromDays(z int64) (y, m, d int64) { return civilFromDays(z) }

// Output holds the session settings that change text output. The zero
// Output is PostgreSQL's default.
type Output struct {
	// ReducedFloatDigits is 1 - extra_float_digits: 0 or less (the default
	// extra_float_digits 1 and above) prints floats in the shortest form that
	// reads back exactly; k > 0 prints them with k fewer digits than DBL_DIG
	// (15) or FLT_DIG (6) plus one, as %g does.
	ReducedFloatDigits int
	// DateTime are the TimeZone and DateStyle settings.
	DateTime DateTime
}

// OutputFor returns the Output of an extra_float_digits setting.
func OutputFor(extraFloatDigits int) Output {
	return Output{ReducedFloatDigits: 1 - extraFloatDigits}
}

// AppendFloat appends f (of 32 or 64 bits) as float4out or float8out print
// it under these settings.
func (o Output) AppendFloat(dst []byte, f float64, bits int) []byte {
	if o.ReducedFloatDigits <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return AppendFloat(dst, f, bits)
	}
	digits := 15
	if bits == 32 {
		digits = 6
		f = float64(float32(f))
	}
	digits += 1 - o.ReducedFloatDigits
	if digits < 1 {
		digits = 1
	}
	return strconv.AppendFloat(dst, f, 'g', digits, 64)
}
