package pgtype

import (
	"encoding/binary"
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Numeric binary sign words (PostgreSQL's NUMERIC_POS etc.).
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

// AppendBinary appends PostgreSQL's binary send format of value i of v,
// without the length word. The caller checks NULL.
func AppendBinary(dst []byte, v *vec.Vector, i int) []byte {
	t := v.Type
	switch t.Kind {
	case catalog.Bool:
		if v.Bool[i] {
			return append(dst, 1)
		}
		return append(dst, 0)
	case catalog.Int2:
		return binary.BigEndian.AppendUint16(dst, uint16(v.I64[i]))
	case catalog.Int4, catalog.Date, catalog.Oid, catalog.RegClass, catalog.RegType, catalog.RegNamespace, catalog.RegProc, catalog.RegRole:
		return binary.BigEndian.AppendUint32(dst, uint32(v.I64[i]))
	case catalog.Int8, catalog.Timestamp, catalog.TimestampTZ:
		return binary.BigEndian.AppendUint64(dst, uint64(v.I64[i]))
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			return AppendNumericTextBinary(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]])
		}
		return AppendNumericBinary(dst, v.I64[i], t.Scale)
	case catalog.Float4:
		return appendFloat4Binary(dst, v.F64[i])
	case catalog.Float8:
		return appendFloat8Binary(dst, v.F64[i])
	case catalog.Text, catalog.Varchar, catalog.Bpchar, catalog.Name, catalog.Char, catalog.PgNodeTree, catalog.AclItem:
		return append(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
	case catalog.Array, catalog.Int2Vector, catalog.OidVector:
		return AppendArrayBinary(dst, t, string(v.Data[v.Offsets[i]:v.Offsets[i+1]]))
	case catalog.Record:
		return append(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
	case catalog.Interval:
		return AppendIntervalBinary(dst, v.Data[v.Offsets[i]:v.Offsets[i+1]])
	}
	return dst
}

// AppendArrayBinary appends array_send's format of an array held as its
// text form s: dimensions (0 or 1), a NULL flag, the element type's OID,
// the length and lower bound, then each element as a length word and its
// binary form (-1 for NULL). A malformed s (never produced by Cirrus)
// appends an empty array.
func AppendArrayBinary(dst []byte, t catalog.Type, s string) []byte {
	et := t.ElemType()
	elems, err := ParseArray(t, s)
	if err != nil || et.Kind == catalog.Unknown {
		elems = nil
	}
	hasNull := 0
	for _, e := range elems {
		if e.Null {
			hasNull = 1
		}
	}
	ndim := 1
	if len(elems) == 0 {
		ndim = 0
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(ndim))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hasNull))
	dst = binary.BigEndian.AppendUint32(dst, uint32(et.OID()))
	if ndim == 0 {
		return dst
	}
	lower := arrayLower(t)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(elems)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(lower))
	for _, e := range elems {
		if e.Null {
			dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
			continue
		}
		d, err := ParseText(et, []byte(e.S))
		if err != nil {
			d = plan.Datum{S: e.S}
		}
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = AppendDatumBinary(dst, et, d)
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst
}

func appendFloat8Binary(dst []byte, f float64) []byte {
	if f != f {
		return binary.BigEndian.AppendUint64(dst, 0x7ff8000000000000)
	}
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(f))
}

func appendFloat4Binary(dst []byte, f float64) []byte {
	if f != f {
		return binary.BigEndian.AppendUint32(dst, 0x7fc00000)
	}
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(float32(f)))
}

// AppendDatumBinary appends the binary send format of a constant of type t.
// A NULL datum appends nothing.
func AppendDatumBinary(dst []byte, t catalog.Type, d plan.Datum) []byte {
	if d.Null {
		return dst
	}
	switch t.Kind {
	case catalog.Bool:
		if d.B {
			return append(dst, 1)
		}
		return append(dst, 0)
	case catalog.Int2:
		return binary.BigEndian.AppendUint16(dst, uint16(d.I))
	case catalog.Int4, catalog.Date, catalog.Oid, catalog.RegClass, catalog.RegType, catalog.RegNamespace, catalog.RegProc, catalog.RegRole:
		return binary.BigEndian.AppendUint32(dst, uint32(d.I))
	case catalog.Int8, catalog.Timestamp, catalog.TimestampTZ:
		return binary.BigEndian.AppendUint64(dst, uint64(d.I))
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			return AppendNumericTextBinary(dst, []byte(d.S))
		}
		return AppendNumericBinary(dst, d.I, t.Scale)
	case catalog.Float4:
		return appendFloat4Binary(dst, d.F)
	case catalog.Float8:
		return appendFloat8Binary(dst, d.F)
	case catalog.Text, catalog.Varchar, catalog.Bpchar, catalog.Unknown, catalog.Name, catalog.Char, catalog.PgNodeTree, catalog.AclItem:
		return append(dst, d.S...)
	case catalog.Array, catalog.Int2Vector, catalog.OidVector:
		return AppendArrayBinary(dst, t, d.S)
	case catalog.Record:
		return append(dst, d.S...)
	}
	return dst
}

// AppendNumericBinary appends the numeric send format (ndigits, weight,
// sign, dscale, base-10000 digits) of v scaled by 10^scale.
func AppendNumericBinary(dst []byte, v int64, scale int32) []byte {
	var u uint64
	neg := v < 0
	if neg {
		u = uint64(-(v + 1)) + 1
	} else {
		u = uint64(v)
	}
	var ibuf [24]byte
	var fbuf [24]byte
	var intd, fracd []byte
	s := int(scale)
	if s > 19 {
		s = 19
	}
	if s < 0 {
		s = 0
	}
	p := pow10[s]
	ip, fp := u/p, u%p
	n := 0
	for x := ip; x > 0; x /= 10 {
		n++
	}
	intd = ibuf[:n]
	for k := n - 1; k >= 0; k-- {
		intd[k] = byte('0' + ip%10)
		ip /= 10
	}
	fracd = fbuf[:s]
	for k := s - 1; k >= 0; k-- {
		fracd[k] = byte('0' + fp%10)
		fp /= 10
	}
	return appendNumericDigits(dst, neg, intd, fracd, s)
}

// appendNumericDigits encodes the decimal number [-]intd.fracd with display
// scale dscale in the numeric send format.
func appendNumericDigits(dst []byte, neg bool, intd, fracd []byte, dscale int) []byte {
	for len(intd) > 0 && intd[0] == '0' {
		intd = intd[1:]
	}
	for len(fracd) > 0 && fracd[len(fracd)-1] == '0' {
		fracd = fracd[:len(fracd)-1]
	}
	padL := (4 - len(intd)%4) % 4
	nIntGroups := (padL + len(intd)) / 4
	nGroups := nIntGroups + (len(fracd)+3)/4
	digit := func(p int) uint16 {
		p -= padL
		if p < 0 {
			return 0
		}
		if p < len(intd) {
			return uint16(intd[p] - '0')
		}
		p -= len(intd)
		if p < len(fracd) {
			return uint16(fracd[p] - '0')
		}
		return 0
	}
	group := func(k int) uint16 {
		p := 4 * k
		return digit(p)*1000 + digit(p+1)*100 + digit(p+2)*10 + digit(p+3)
	}
	first, last := 0, nGroups
	for first < last && group(first) == 0 {
		first++
	}
	for last > first && group(last-1) == 0 {
		last--
	}
	weight := nIntGroups - 1 - first
	sign := uint16(numericPos)
	if first == last {
		weight = 0
	} else if neg {
		sign = numericNeg
	}
	if dscale > 0x3FFF {
		dscale = 0x3FFF
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(last-first))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(dscale))
	for k := first; k < last; k++ {
		dst = binary.BigEndian.AppendUint16(dst, group(k))
	}
	return dst
}

// AppendNumericTextBinary encodes a dynamic-scale numeric held as decimal
// text ("-12.500", "NaN", "-Infinity") in the numeric send format.
// Malformed text encodes as 0.
func AppendNumericTextBinary(dst []byte, s []byte) []byte {
	if IsNumericSpecial(s) {
		sign := uint16(numericNaN)
		switch {
		case s[0] == 'I':
			sign = numericPInf
		case s[0] == '-':
			sign = numericNInf
		}
		dst = binary.BigEndian.AppendUint32(dst, 0) // ndigits 0, weight 0
		dst = binary.BigEndian.AppendUint16(dst, sign)
		// numeric_send reads the dscale bits of the special value's short
		// header (NUMERIC_DSCALE): 0 for NaN, 32 for the infinities.
		return binary.BigEndian.AppendUint16(dst, (sign&0x1F80)>>7)
	}
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intd := s[:i]
	var fracd []byte
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		fracd = s[i+1 : j]
	}
	return appendNumericDigits(dst, neg, intd, fracd, len(fracd))
}

func errInsufficient() error {
	return sqlerr.New(sqlerr.ProtocolViolation, "insufficient data left in message")
}

// ErrBinaryFormatMessage is the message of the 22P03 error DecodeBinary
// returns when a value has bytes left over; the protocol layer appends
// " in bind parameter N" as PostgreSQL does.
const ErrBinaryFormatMessage = "incorrect binary data format"

func checkLen(b []byte, n int) error {
	if len(b) < n {
		return errInsufficient()
	}
	if len(b) > n {
		return sqlerr.New(codeInvalidBinaryRepr, ErrBinaryFormatMessage)
	}
	return nil
}

// DecodeBinary is the binary receive function of type t.
func DecodeBinary(t catalog.Type, b []byte) (plan.Datum, error) {
	switch t.Kind {
	case catalog.Bool:
		if err := checkLen(b, 1); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{B: b[0] != 0}, nil
	case catalog.Int2:
		if err := checkLen(b, 2); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{I: int64(int16(binary.BigEndian.Uint16(b)))}, nil
	case catalog.Int4:
		if err := checkLen(b, 4); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{I: int64(int32(binary.BigEndian.Uint32(b)))}, nil
	case catalog.Int8:
		if err := checkLen(b, 8); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{I: int64(binary.BigEndian.Uint64(b))}, nil
	case catalog.Float4:
		if err := checkLen(b, 4); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{F: float64(math.Float32frombits(binary.BigEndian.Uint32(b)))}, nil
	case catalog.Float8:
		if err := checkLen(b, 8); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{F: math.Float64frombits(binary.BigEndian.Uint64(b))}, nil
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			s, err := DecodeNumericBinaryText(b)
			if err == nil && t.IsWideNumeric() {
				s, err = RoundNumericText([]byte(s), t.Precision, t.Scale)
			}
			return plan.Datum{S: s}, err
		}
		v, err := DecodeNumericBinary(b, t.Precision, t.Scale)
		return plan.Datum{I: v}, err
	case catalog.Text, catalog.Varchar, catalog.Bpchar, catalog.Unknown:
		s, err := ParseString(t, b)
		return plan.Datum{S: s}, err
	case catalog.Date:
		if err := checkLen(b, 4); err != nil {
			return plan.Datum{}, err
		}
		d := int64(int32(binary.BigEndian.Uint32(b)))
		if d != DateNegInfinity && d != DatePosInfinity && (d < minDate || d >= endDate) {
			return plan.Datum{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range")
		}
		return plan.Datum{I: d}, nil
	case catalog.Timestamp, catalog.TimestampTZ:
		if err := checkLen(b, 8); err != nil {
			return plan.Datum{}, err
		}
		ts := int64(binary.BigEndian.Uint64(b))
		if ts != TimestampNegInfinity && ts != TimestampPosInfinity && (ts < minTimestamp || ts >= endTimestamp) {
			return plan.Datum{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
		}
		return plan.Datum{I: ts}, nil
	case catalog.Oid, catalog.RegClass, catalog.RegType, catalog.RegNamespace, catalog.RegProc, catalog.RegRole:
		if err := checkLen(b, 4); err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{I: int64(binary.BigEndian.Uint32(b))}, nil
	case catalog.Array, catalog.Int2Vector, catalog.OidVector:
		return DecodeArrayBinary(t, b)
	case catalog.Name, catalog.Char, catalog.AclItem, catalog.PgNodeTree:
		s, err := ParseText(t, b)
		return s, err
	case catalog.Record:
		if _, err := recordFields(b); err != nil {
			return plan.Datum{}, sqlerr.New(codeInvalidBinaryRepr, ErrBinaryFormatMessage)
		}
		return plan.Datum{S: string(b)}, nil
	}
	return plan.Datum{}, sqlerr.Errorf(sqlerr.FeatureNotSupported, "type %s is not supported", t)
}

// arrayLower is the lower bound of t's arrays: 1, or 0 for int2vector and
// oidvector.
func arrayLower(t catalog.Type) int {
	if t.Kind == catalog.Array {
		return 1
	}
	return 0
}

// maxArrayDims is PostgreSQL's MAXDIM.
const maxArrayDims = 6

// DecodeArrayBinary is array_recv for an array of type t: the dimension
// count, a has-NULLs flag, the element type's OID (which must be t's
// element type), each dimension's length and lower bound, then every
// element as a length word (-1 for NULL) and the element type's binary
// form. The result is the array's canonical text form. Cirrus holds
// one-dimensional arrays with lower bound 1; others are refused (0A000).
func DecodeArrayBinary(t catalog.Type, b []byte) (plan.Datum, error) {
	et := t.ElemType()
	word := func() (int32, error) {
		if len(b) < 4 {
			return 0, errInsufficient()
		}
		v := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		return v, nil
	}
	ndim, err := word()
	if err != nil {
		return plan.Datum{}, err
	}
	switch {
	case ndim < 0:
		return plan.Datum{}, sqlerr.Errorf(sqlerr.InvalidParameterValue, "invalid number of dimensions: %d", ndim)
	case ndim > maxArrayDims:
		return plan.Datum{}, sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (%d)", ndim, maxArrayDims)
	}
	flags, err := word()
	if err != nil {
		return plan.Datum{}, err
	}
	if flags != 0 && flags != 1 {
		return plan.Datum{}, sqlerr.New(sqlerr.InvalidParameterValue, "invalid array flags")
	}
	elemOID, err := word()
	if err != nil {
		return plan.Datum{}, err
	}
	if catalog.OID(uint32(elemOID)) != et.OID() {
		return plan.Datum{}, sqlerr.Errorf(sqlerr.DatatypeMismatch, "binary data has array element type %d (%s) instead of expected %d (%s)",
			uint32(elemOID), typeNameOf(catalog.OID(uint32(elemOID))), et.OID(), et)
	}
	n := int32(1)
	for d := int32(0); d < ndim; d++ {
		length, err := word()
		if err != nil {
			return plan.Datum{}, err
		}
		lower, err := word()
		if err != nil {
			return plan.Datum{}, err
		}
		if length < 0 || int64(length)*int64(n) > maxArrayElems {
			return plan.Datum{}, sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", maxArrayElems)
		}
		n *= length
		if want := int32(arrayLower(t)); length > 0 && lower != want {
			return plan.Datum{}, sqlerr.New(sqlerr.FeatureNotSupported, "arrays with a lower bound other than 1 are not supported")
		}
	}
	if ndim == 0 || n == 0 {
		return plan.Datum{S: FormatArray(t, nil)}, nil
	}
	if ndim > 1 {
		return plan.Datum{}, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
	}
	elems := make([]ArrayElem, n)
	for i := range elems {
		size, err := word()
		if err != nil {
			return plan.Datum{}, err
		}
		if size == -1 {
			elems[i].Null = true
			continue
		}
		if size < -1 || int(size) > len(b) {
			return plan.Datum{}, sqlerr.New(codeInvalidBinaryRepr, "insufficient data left in message")
		}
		d, err := DecodeBinary(et, b[:size])
		if err != nil {
			if e := sqlerr.As(err); e.Message == ErrBinaryFormatMessage {
				return plan.Datum{}, sqlerr.Errorf(codeInvalidBinaryRepr, "improper binary format in array element %d", i+1)
			}
			return plan.Datum{}, err
		}
		b = b[size:]
		elems[i].S = string(AppendDatumText(nil, et, d))
	}
	if len(b) > 0 {
		return plan.Datum{}, sqlerr.New(codeInvalidBinaryRepr, ErrBinaryFormatMessage)
	}
	return plan.Datum{S: FormatArray(t, elems)}, nil
}

// maxArrayElems is PostgreSQL's MaxArraySize (MaxAllocSize / sizeof(Datum)).
const maxArrayElems = 0x3fffffff / 8

// typeNameOf names a type OID in a message (format_type's words for the
// types Cirrus knows, else "???" as PostgreSQL prints an unknown one).
func typeNameOf(o catalog.OID) string {
	if t, ok := catalog.TypeOfOID(o); ok {
		return t.String()
	}
	return "???"
}

// numericHeader validates a numeric receive value and returns its header.
func numericHeader(b []byte) (ndigits, weight int, sign, dscale uint16, err error) {
	if len(b) < 8 {
		return 0, 0, 0, 0, errInsufficient()
	}
	ndigits = int(binary.BigEndian.Uint16(b[0:]))
	weight = int(int16(binary.BigEndian.Uint16(b[2:])))
	sign = binary.BigEndian.Uint16(b[4:])
	dscale = binary.BigEndian.Uint16(b[6:])
	if len(b) < 8+2*ndigits {
		return 0, 0, 0, 0, errInsufficient()
	}
	if len(b) > 8+2*ndigits {
		return 0, 0, 0, 0, sqlerr.New(codeInvalidBinaryRepr, ErrBinaryFormatMessage)
	}
	switch sign {
	case numericPos, numericNeg, numericNaN, numericPInf, numericNInf:
	default:
		return 0, 0, 0, 0, sqlerr.New(codeInvalidBinaryRepr, `invalid sign in external "numeric" value`)
	}
	if dscale&0x3FFF != dscale {
		return 0, 0, 0, 0, sqlerr.New(codeInvalidBinaryRepr, `invalid scale in external "numeric" value`)
	}
	for k := range ndigits {
		if binary.BigEndian.Uint16(b[8+2*k:]) >= 10000 {
			return 0, 0, 0, 0, sqlerr.New(codeInvalidBinaryRepr, `invalid digit in external "numeric" value`)
		}
	}
	return
}

// DecodeNumericBinaryText decodes the numeric receive format to decimal
// text with the value's display scale (PostgreSQL's numeric output), for
// dynamic-scale numerics.
func DecodeNumericBinaryText(b []byte) (string, error) {
	ndigits, weight, sign, dscale, err := numericHeader(b)
	if err != nil {
		return "", err
	}
	switch sign {
	case numericNaN:
		return NumericNaN, nil
	case numericPInf:
		return NumericPInf, nil
	case numericNInf:
		return NumericNInf, nil
	}
	digit := func(e int) byte { // decimal digit at exponent e
		k := weight - floorDiv4(e) // group index
		if k < 0 || k >= ndigits {
			return '0'
		}
		g := binary.BigEndian.Uint16(b[8+2*k:])
		pos := e - 4*floorDiv4(e) // 0..3 within group, 3 = most significant
		for ; pos > 0; pos-- {
			g /= 10
		}
		return byte('0' + g%10)
	}
	out := make([]byte, 0, 4*ndigits+int(dscale)+8)
	if sign == numericNeg && ndigits > 0 {
		out = append(out, '-')
	}
	top := 4*weight + 3
	started := false
	for e := top; e >= 0; e-- {
		d := digit(e)
		if d != '0' || started {
			out = append(out, d)
			started = true
		}
	}
	if !started {
		out = append(out, '0')
	}
	if dscale > 0 {
		out = append(out, '.')
		for e := -1; e >= -int(dscale); e-- {
			out = append(out, digit(e))
		}
	}
	if len(out) > 1 && out[0] == '-' {
		allZero := true
		for _, c := range out[1:] {
			if c != '0' && c != '.' {
				allZero = false
				break
			}
		}
		if allZero {
			out = out[1:]
		}
	}
	return string(out), nil
}

func floorDiv4(e int) int {
	if e >= 0 {
		return e / 4
	}
	return -((-e + 3) / 4)
}

// DecodeNumericBinary decodes the numeric receive format to an int64 scaled
// by 10^scale, rounding half away from zero and checking precision like
// PostgreSQL's numeric_recv with a typmod.
func DecodeNumericBinary(b []byte, precision, scale int32) (int64, error) {
	ndigits, weight, sign, dscale, err := numericHeader(b)
	if err != nil {
		return 0, err
	}
	if sign == numericNaN || sign == numericPInf || sign == numericNInf {
		return 0, errFixedSpecial(sign == numericNaN, precision, scale)
	}
	digits := b[8:]
	limit := uint64(math.MaxInt64)
	if precision > 0 && precision <= 18 {
		limit = pow10[precision] - 1
	} else if sign == numericNeg {
		limit++ // MinInt64
	}
	// Walk decimal digits from exponent 4*weight+3 downwards; keep those at
	// exponent >= -scale, round on the one at -scale-1.
	var u uint64
	over := false
	minExp := -int(scale)
	minDigit := -int(dscale) // numeric_recv truncates to dscale first
	e := 4*weight + 3
	for k := 0; k < ndigits && !over; k++ {
		g := binary.BigEndian.Uint16(digits[2*k:])
		div := uint16(1000)
		for q := 0; q < 4; q++ {
			d := uint64(g / div % 10)
			div /= 10
			if e < minDigit {
				d = 0
			}
			if e >= minExp {
				if u > (limit-d)/10 {
					over = true
					break
				}
				u = u*10 + d
			} else if e == minExp-1 {
				if d >= 5 {
					u++
					if u > limit {
						over = true
					}
				}
			}
			e--
		}
	}
	// Positions between the last digit and the target scale are zeros.
	for ; e >= minExp && !over && u != 0; e-- {
		if u > limit/10 {
			over = true
		}
		u *= 10
	}
	if over {
		return 0, numericOverflow(precision, scale)
	}
	if sign == numericNeg {
		return -int64(u), nil
	}
	return int64(u), nil
}

func itoa(i int32) string {
	var buf [12]byte
	return string(appendPad(buf[:0], int64(i), 1))
}
