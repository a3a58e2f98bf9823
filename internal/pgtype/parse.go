package pgtype

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// SQLSTATEs not (yet) in sqlerr.
const (
	codeCharacterNotInRepertoire = "22021" // character_not_in_repertoire
	codeInvalidBinaryRepr        = "22P03" // invalid_binary_representation
)

// ParseText is the input function of type t: PostgreSQL's text form to a
// Datum, with the default datetime settings. Errors are *sqlerr.Error with
// PostgreSQL's SQLSTATE and message.
func ParseText(t catalog.Type, s []byte) (plan.Datum, error) { return DateTime{}.ParseText(t, s) }

// ParseText is the input function of type t as a session with these
// settings reads a value.
func (dt DateTime) ParseText(t catalog.Type, s []byte) (plan.Datum, error) {
	switch t.Kind {
	case catalog.Bool:
		b, err := ParseBool(s)
		return plan.Datum{B: b}, err
	case catalog.Int2, catalog.Int4, catalog.Int8:
		i, err := ParseInt(s, t.Kind)
		return plan.Datum{I: i}, err
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			str, err := ParseNumericText(s)
			if err == nil && t.IsWideNumeric() {
				str, err = RoundNumericText([]byte(str), t.Precision, t.Scale)
			}
			return plan.Datum{S: str}, err
		}
		i, err := ParseNumeric(s, t.Precision, t.Scale)
		return plan.Datum{I: i}, err
	case catalog.Float4:
		f, err := parseFloat(s, 32)
		return plan.Datum{F: f}, err
	case catalog.Float8:
		f, err := parseFloat(s, 64)
		return plan.Datum{F: f}, err
	case catalog.Date:
		d, err := dt.ParseDate(s)
		return plan.Datum{I: d}, err
	case catalog.Timestamp:
		ts, err := dt.ParseTimestamp(s)
		return plan.Datum{I: ts}, err
	case catalog.TimestampTZ:
		ts, err := dt.ParseTimestampTZ(s)
		return plan.Datum{I: ts}, err
	case catalog.Text, catalog.Varchar, catalog.Bpchar, catalog.Unknown, catalog.AclItem:
		str, err := ParseString(t, s)
		return plan.Datum{S: str}, err
	case catalog.Name:
		str, err := ParseString(t, s)
		return plan.Datum{S: TruncateName(str)}, err
	case catalog.Char:
		// charin keeps the first byte.
		if len(s) > 1 {
			s = s[:1]
		}
		return plan.Datum{S: string(s)}, nil
	case catalog.Oid, catalog.RegClass, catalog.RegType, catalog.RegNamespace, catalog.RegProc, catalog.RegRole:
		// The reg* types' names are resolved by the binder (a literal
		// cast); here only their numeric form is input.
		o, err := ParseOid(s)
		return plan.Datum{I: o}, err
	case catalog.Array, catalog.Int2Vector, catalog.OidVector:
		str, err := NormalizeArray(t, s)
		return plan.Datum{S: str}, err
	}
	return plan.Datum{}, sqlerr.Errorf(sqlerr.FeatureNotSupported, "type %s is not supported", t)
}

// NameDataLen is PostgreSQL's NAMEDATALEN: a name holds at most 63 bytes.
const NameDataLen = 64

// TruncateName cuts s to at most 63 bytes on a character boundary, as
// namein does.
func TruncateName(s string) string {
	if len(s) < NameDataLen {
		return s
	}
	cut := NameDataLen - 1
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

// ParseOid is oidin: an unsigned 32-bit integer, or a negative one down to
// -2^31 taken modulo 2^32, as PostgreSQL accepts it.
func ParseOid(s []byte) (int64, error) {
	str := strings.TrimSpace(string(s))
	v, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, sqlerr.Errorf(sqlerr.NumericValueOutOfRange, "value %q is out of range for type oid", str)
		}
		return 0, sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type oid: %q", string(s))
	}
	if v < -(1<<31) || v > 1<<32-1 {
		return 0, sqlerr.Errorf(sqlerr.NumericValueOutOfRange, "value %q is out of range for type oid", str)
	}
	return int64(uint32(v)), nil
}

// ParseString validates a text/varchar/char value and applies the length of
// varchar(n) and char(n) the way PostgreSQL's input functions do: excess
// trailing spaces are dropped silently, any other excess is 22001; char(n)
// is blank-padded to n characters.
func ParseString(t catalog.Type, s []byte) (string, error) {
	if err := ValidateUTF8(s); err != nil {
		return "", err
	}
	if t.Length <= 0 || (t.Kind != catalog.Varchar && t.Kind != catalog.Bpchar) {
		return string(s), nil
	}
	n := int(t.Length)
	cut, chars := charPrefix(s, n)
	if cut < len(s) {
		for _, c := range s[cut:] {
			if c != ' ' {
				return "", sqlerr.Errorf(sqlerr.StringDataRightTruncation, "value too long for type %s", t)
			}
		}
		s = s[:cut]
	}
	if t.Kind == catalog.Bpchar && chars < n {
		b := make([]byte, len(s), len(s)+n-chars)
		copy(b, s)
		for ; chars < n; chars++ {
			b = append(b, ' ')
		}
		return string(b), nil
	}
	return string(s), nil
}

// charPrefix returns the byte length of the first n characters of s (all of
// s if it has fewer) and the number of characters in that prefix.
func charPrefix(s []byte, n int) (int, int) {
	i, c := 0, 0
	for i < len(s) && c < n {
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, sz := utf8.DecodeRune(s[i:])
			i += sz
		}
		c++
	}
	return i, c
}

// ValidateUTF8 reports PostgreSQL's error for bytes that are not valid UTF-8
// or contain NUL: 22021 invalid byte sequence for encoding "UTF8".
// ValidText reports whether s is acceptable text as it is: valid UTF-8
// without NUL bytes (ValidateUTF8 returns the error otherwise).
func ValidText(s []byte) bool { return utf8.Valid(s) && bytes.IndexByte(s, 0) < 0 }

func ValidateUTF8(s []byte) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c != 0 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, sz := utf8.DecodeRune(s[i:])
		if c == 0 || (r == utf8.RuneError && sz <= 1) {
			end := i + 1
			// PostgreSQL prints the bytes of the offending sequence.
			if c >= 0xc0 {
				for end < len(s) && end < i+4 && s[end]&0xc0 == 0x80 {
					end++
				}
			}
			msg := []byte(`invalid byte sequence for encoding "UTF8": `)
			for k := i; k < end; k++ {
				if k > i {
					msg = append(msg, ' ')
				}
				msg = append(msg, "0x"...)
				const hex = "0123456789abcdef"
				msg = append(msg, hex[s[k]>>4], hex[s[k]&15])
			}
			return sqlerr.New(codeCharacterNotInRepertoire, string(msg))
		}
		i += sz
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace(s []byte) []byte {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func intTypeName(k catalog.Kind) string {
	switch k {
	case catalog.Int2:
		return "smallint"
	case catalog.Int4:
		return "integer"
	}
	return "bigint"
}

// ParseInt parses a smallint, integer or bigint (k) like PostgreSQL 15's
// pg_strtoint*: optional surrounding whitespace, optional sign, decimal
// digits. It does not allocate unless it fails.
func ParseInt(s []byte, k catalog.Kind) (int64, error) {
	orig := s
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if u > (math.MaxUint64-9)/10 {
			over = true
		} else {
			u = u*10 + uint64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, intSyntaxErr(k, orig)
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, intSyntaxErr(k, orig)
	}
	var lim uint64
	switch k {
	case catalog.Int2:
		lim = math.MaxInt16
	case catalog.Int4:
		lim = math.MaxInt32
	default:
		lim = math.MaxInt64
	}
	if neg {
		lim++
	}
	if over || u > lim {
		return 0, sqlerr.Errorf(sqlerr.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", orig, intTypeName(k))
	}
	if neg {
		return -int64(u-1) - 1, nil
	}
	return int64(u), nil
}

func intSyntaxErr(k catalog.Kind, s []byte) error {
	return sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", intTypeName(k), s)
}

// ParseFloat parses a double precision value like PostgreSQL's float8in:
// decimal notation with optional exponent, NaN, Infinity, -Infinity, inf,
// surrounding whitespace.
func ParseFloat(s []byte) (float64, error) { return parseFloat(s, 64) }

// ParseFloat4 parses a real (float4in); the result is rounded to float32.
func ParseFloat4(s []byte) (float64, error) { return parseFloat(s, 32) }

// NaN is the NaN PostgreSQL produces (the canonical quiet NaN; Go's
// math.NaN has a different bit pattern, visible in binary output).
var NaN = math.Float64frombits(0x7ff8000000000000)

func floatTypeName(bits int) string {
	if bits == 32 {
		return "real"
	}
	return "double precision"
}

func eqFold(s []byte, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

func parseFloat(s []byte, bits int) (float64, error) {
	orig := s
	s = trimSpace(s)
	if len(s) == 0 {
		return 0, sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", floatTypeName(bits), orig)
	}
	switch {
	case eqFold(s, "nan") || eqFold(s, "+nan") || eqFold(s, "-nan"):
		return NaN, nil
	case eqFold(s, "infinity") || eqFold(s, "+infinity") || eqFold(s, "inf") || eqFold(s, "+inf"):
		return math.Inf(1), nil
	case eqFold(s, "-infinity") || eqFold(s, "-inf"):
		return math.Inf(-1), nil
	}
	// Validate strtod's decimal grammar ourselves: strconv would also
	// accept underscores and other Go-only syntax.
	i := 0
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		return parseHexFloat(s, orig, bits)
	}
	nd := 0
	nonzero := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		nonzero = nonzero || s[i] != '0'
		i++
		nd++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nonzero = nonzero || s[i] != '0'
			i++
			nd++
		}
	}
	if nd == 0 {
		return 0, sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", floatTypeName(bits), orig)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j { // strtod ignores an exponent without digits
			i = k
		}
	}
	if i != len(s) {
		return 0, sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", floatTypeName(bits), orig)
	}
	f, err := strconv.ParseFloat(unsafe.String(&s[0], len(s)), bits)
	if err != nil || (f == 0 && nonzero) {
		return 0, sqlerr.Errorf(sqlerr.NumericValueOutOfRange, "\"%s\" is out of range for type %s", s, floatTypeName(bits))
	}
	return f, nil
}

// parseHexFloat handles strtod's hexadecimal form: 0x1.8p3, 0x10.
func parseHexFloat(s, orig []byte, bits int) (float64, error) {
	ok := true
	hasP, nd := false, 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case k < 3 && (c == '+' || c == '-' || c == 'x' || c == 'X'):
		case c == 'p' || c == 'P':
			hasP = true
			if k+1 < len(s) && (s[k+1] == '+' || s[k+1] == '-') {
				k++
			}
			if k+1 >= len(s) {
				ok = false
			}
			for k++; k < len(s); k++ {
				if s[k] < '0' || s[k] > '9' {
					ok = false
				}
			}
		case c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
			if c != '.' {
				nd++
			}
		default:
			ok = false
		}
	}
	if !ok || nd < 2 {
		return 0, sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", floatTypeName(bits), orig)
	}
	str := string(s)
	if !hasP {
		str += "p0"
	}
	f, err := strconv.ParseFloat(str, bits)
	if err != nil {
		return 0, sqlerr.Errorf(sqlerr.NumericValueOutOfRange, "\"%s\" is out of range for type %s", s, floatTypeName(bits))
	}
	return f, nil
}

// ParseBool parses a boolean like PostgreSQL's boolin: t, true, yes, on, 1,
// f, false, no, off, 0, case-insensitive, unique prefixes, surrounding
// whitespace.
func ParseBool(s []byte) (bool, error) {
	v := trimSpace(s)
	if b, ok := parseBoolWord(v); ok {
		return b, nil
	}
	return false, sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type boolean: \"%s\"", s)
}

func prefixFold(s []byte, word string) bool {
	if len(s) > len(word) {
		return false
	}
	return eqFold(s, word[:len(s)])
}

func parseBoolWord(s []byte) (bool, bool) {
	if len(s) == 0 {
		return false, false
	}
	switch s[0] {
	case 't', 'T':
		return true, prefixFold(s, "true")
	case 'f', 'F':
		return false, prefixFold(s, "false")
	case 'y', 'Y':
		return true, prefixFold(s, "yes")
	case 'n', 'N':
		return false, prefixFold(s, "no")
	case 'o', 'O':
		if len(s) < 2 {
			return false, false
		}
		if prefixFold(s, "on") {
			return true, true
		}
		return false, prefixFold(s, "off")
	case '1':
		return true, len(s) == 1
	case '0':
		return false, len(s) == 1
	}
	return false, false
}

var pow10 = [...]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000,
	100000000000000, 1000000000000000, 10000000000000000, 100000000000000000,
	1000000000000000000, 10000000000000000000}

// ParseNumeric parses a numeric value to an int64 scaled by 10^scale,
// rounding half away from zero to scale fractional digits like PostgreSQL.
// With precision > 0 a result of precision-scale or more integer digits is
// 22003 "numeric field overflow"; precision 0 (unconstrained) allows the
// int64 range. It does not allocate unless it fails.
func ParseNumeric(s []byte, precision, scale int32) (int64, error) {
	orig := s
	s = trimSpace(s)
	neg, intStart, intEnd, fracStart, fracEnd, i := numericParts(s)
	if intEnd == intStart && fracEnd == fracStart {
		if sp := special(s); sp != "" {
			return 0, errFixedSpecial(sp == NumericNaN, precision, scale)
		}
		return 0, numericSyntaxErr(orig)
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < 1<<30 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == j || exp >= 1<<30-1 { // PostgreSQL: INT_MAX / 2
			return 0, numericSyntaxErr(orig)
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return 0, numericSyntaxErr(orig)
	}
	nint := intEnd - intStart
	nfrac := fracEnd - fracStart
	ndig := nint + nfrac
	digit := func(k int) byte {
		if k < nint {
			return s[intStart+k]
		}
		return s[fracStart+k-nint]
	}
	limit := uint64(math.MaxInt64)
	if precision > 0 && precision <= 18 {
		limit = pow10[precision] - 1
	} else if neg {
		limit++ // MinInt64
	}
	shift := exp - nfrac + int(scale)
	keep := ndig
	if shift < 0 {
		keep = ndig + shift
	}
	var u uint64
	over := false
	for k := 0; k < keep && k < ndig; k++ {
		d := uint64(digit(k) - '0')
		if u > (limit-d)/10 {
			over = true
			break
		}
		u = u*10 + d
	}
	if !over {
		if keep >= 0 && keep < ndig && digit(keep) >= '5' {
			u++
			if u > limit {
				over = true
			}
		}
		for k := 0; k < shift && u != 0 && !over; k++ {
			if u > limit/10 {
				over = true
			}
			u *= 10
		}
	}
	if over {
		return 0, numericOverflow(precision, scale)
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

// ParseNumericText parses an unconstrained numeric to its canonical decimal
// text as PostgreSQL's numeric_in then numeric_out would print it ("1.50" →
// "1.50", "1.5e-3" → "0.0015", "-0" → "0", " nan " → "NaN", "-inf" →
// "-Infinity"), for dynamic-scale numerics.
func ParseNumericText(s []byte) (string, error) {
	orig := s
	s = trimSpace(s)
	neg, intStart, intEnd, fracStart, fracEnd, i := numericParts(s)
	if intEnd == intStart && fracEnd == fracStart {
		if sp := special(s); sp != "" {
			return sp, nil
		}
		return "", numericSyntaxErr(orig)
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < 1<<30 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == j || exp >= 1<<30-1 {
			return "", numericSyntaxErr(orig)
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return "", numericSyntaxErr(orig)
	}
	nint := intEnd - intStart
	nfrac := fracEnd - fracStart
	dscale := nfrac - exp
	if dscale < 0 {
		dscale = 0
	}
	// decimal point after position nint+exp of the digit string
	point := nint + exp
	if point > 131072 || dscale > 16383 {
		return "", sqlerr.New(sqlerr.NumericValueOutOfRange, "value overflows numeric format")
	}
	digit := func(k int) byte {
		if k < 0 || k >= nint+nfrac {
			return '0'
		}
		if k < nint {
			return s[intStart+k]
		}
		return s[fracStart+k-nint]
	}
	out := make([]byte, 0, nint+nfrac+dscale+4)
	if neg {
		out = append(out, '-')
	}
	started := false
	for k := 0; k < point; k++ {
		if d := digit(k); d != '0' || started {
			out = append(out, d)
			started = true
		}
	}
	if !started {
		out = append(out, '0')
	}
	if dscale > 0 {
		out = append(out, '.')
		for k := point; k < point+dscale; k++ {
			out = append(out, digit(k))
		}
	}
	if neg {
		zero := true
		for _, c := range out[1:] {
			if c != '0' && c != '.' {
				zero = false
				break
			}
		}
		if zero {
			out = out[1:]
		}
	}
	return string(out), nil
}

// The special values of numeric as PostgreSQL prints them, which is also how
// dynamic-scale numerics hold them.
const (
	NumericNaN  = "NaN"
	NumericPInf = "Infinity"
	NumericNInf = "-Infinity"
)

// IsNumericSpecial reports whether decimal text (as dynamic-scale numerics
// hold it) is NaN or an infinity rather than a finite number.
func IsNumericSpecial(s []byte) bool {
	return len(s) > 0 && (s[0] == 'N' || s[0] == 'I' || s[0] == '-' && len(s) > 1 && s[1] == 'I')
}

// special returns the special value that trimmed numeric input spells, as
// numeric_in accepts them: NaN (no sign), [+-]Infinity and [+-]inf, any
// case; "" for anything else.
func special(s []byte) string {
	if eqFold(s, "nan") {
		return NumericNaN
	}
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if eqFold(s, "infinity") || eqFold(s, "inf") {
		if neg {
			return NumericNInf
		}
		return NumericPInf
	}
	return ""
}

// errFixedSpecial is the error for NaN (nan) or an infinity headed for a
// numeric held as a scaled int64: numeric(p, s) with p <= 18, or an
// expression's numeric of fixed scale. An infinity does not fit
// numeric(p, s) in PostgreSQL either; NaN would (a scaled int64 has no room
// for it).
func errFixedSpecial(nan bool, precision, scale int32) error {
	switch {
	case nan && precision > 0:
		return sqlerr.Errorf(sqlerr.FeatureNotSupported, "numeric NaN is not supported in numeric(%d,%d); use numeric or numeric(p,s) with p > 18", precision, scale)
	case nan:
		return sqlerr.New(sqlerr.FeatureNotSupported, "numeric NaN is not supported for a numeric of fixed scale")
	case precision > 0:
		return infiniteOverflow(precision, scale)
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "numeric infinity is not supported for a numeric of fixed scale")
}

// infiniteOverflow is apply_typmod_special's error.
func infiniteOverflow(precision, scale int32) error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow").WithDetail(
		"A field with precision " + strconv.Itoa(int(precision)) + ", scale " + strconv.Itoa(int(scale)) + " cannot hold an infinite value.")
}

func numericSyntaxErr(s []byte) error {
	return sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
}

func numericOverflow(precision, scale int32) error {
	if precision <= 0 {
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "value overflows numeric format")
	}
	// PostgreSQL prints 10^0 as 1 (and 10^-2 for a scale above the precision).
	limit := "1"
	if maxdigits := precision - scale; maxdigits != 0 {
		limit = "10^" + strconv.Itoa(int(maxdigits))
	}
	detail := "A field with precision " + strconv.Itoa(int(precision)) + ", scale " + strconv.Itoa(int(scale)) +
		" must round to an absolute value less than " + limit + "."
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow").WithDetail(detail)
}

// Range limits (PostgreSQL's IS_VALID_DATE and IS_VALID_TIMESTAMP).
const (
	minDate      = -2451545             // 4714-11-24 BC
	endDate      = 2147483494 - 2451545 // 5874898-01-01
	minTimestamp = -211813488000000000  // 4714-11-24 BC 00:00:00
	endTimestamp = 9223371331200000000  // 294277-01-01 00:00:00
	maxYearDigit = 7                    // more digits cannot be in range
)

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// numericParts scans a numeric literal's sign and digits: the integer
// digits are s[intStart:intEnd], the fraction digits s[fracStart:fracEnd],
// and i is the index after them (an exponent or garbage may follow).
func numericParts(s []byte) (neg bool, intStart, intEnd, fracStart, fracEnd, i int) {
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	intStart = i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intEnd = i
	fracStart, fracEnd = i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracEnd = i
	}
	return
}

// RoundNumericText rounds a decimal text value ("-12.345", as dynamic-scale
// numerics hold them) to scale fraction digits, half away from zero, and
// checks it against NUMERIC(precision, scale) as PostgreSQL's numeric
// typmod coercion (apply_typmod) does: the rounded value's digits from the
// first significant one down to 10^-scale must number at most precision.
// The result has exactly scale fraction digits; a negative scale (PostgreSQL
// 15) rounds to a multiple of 10^-scale, printed without fraction. NaN stays
// NaN; an infinity does not fit.
func RoundNumericText(s []byte, precision, scale int32) (string, error) {
	if IsNumericSpecial(s) {
		if s[0] == 'N' {
			return NumericNaN, nil
		}
		return "", infiniteOverflow(precision, scale)
	}
	neg := len(s) > 0 && s[0] == '-'
	if neg || len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	intd, frac := s, []byte(nil)
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		intd, frac = s[:i], s[i+1:]
	}
	// digit(k) is the digit worth 10^(len(intd)-1-k) (0 past either end).
	digit := func(k int) byte {
		switch {
		case k < 0 || k >= len(intd)+len(frac):
			return '0'
		case k < len(intd):
			return intd[k]
		}
		return frac[k-len(intd)]
	}
	// m is the mantissa: the digits down to 10^-scale, after a '0' that
	// takes a carry.
	keep := len(intd) + int(scale)
	m := make([]byte, 0, max(keep, 0)+1)
	m = append(m, '0')
	for k := 0; k < keep; k++ {
		m = append(m, digit(k))
	}
	if keep >= 0 && digit(keep) >= '5' {
		for k := len(m) - 1; k >= 0; k-- {
			if m[k] == '9' {
				m[k] = '0'
				continue
			}
			m[k]++
			break
		}
	}
	for len(m) > 1 && m[0] == '0' {
		m = m[1:]
	}
	zero := len(m) == 1 && m[0] == '0'
	if !zero && int32(len(m)) > precision {
		return "", numericOverflow(precision, scale)
	}
	out := make([]byte, 0, len(m)+max(int(scale), -int(scale))+3)
	if neg && !zero {
		out = append(out, '-')
	}
	switch {
	case zero:
		out = append(out, '0')
		if scale > 0 {
			out = append(out, '.')
			out = append(out, bytes.Repeat([]byte{'0'}, int(scale))...)
		}
	case scale <= 0:
		out = append(out, m...)
		out = append(out, bytes.Repeat([]byte{'0'}, int(-scale))...)
	case len(m) <= int(scale):
		out = append(out, "0."...)
		out = append(out, bytes.Repeat([]byte{'0'}, int(scale)-len(m))...)
		out = append(out, m...)
	default:
		out = append(out, m[:len(m)-int(scale)]...)
		out = append(out, '.')
		out = append(out, m[len(m)-int(scale):]...)
	}
	return string(out), nil
}
