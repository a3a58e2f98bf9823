package executor

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// SQLSTATEs sqlerr does not name.
const (
	codeSubstringError    = "22011" // substring_error
	codeInvalidEscape     = "22025" // invalid_escape_sequence
	codeCannotCoerce      = "42846" // cannot_coerce
	codeStringDataTrunc   = sqlerr.StringDataRightTruncation
	codeNumericOutOfRange = sqlerr.NumericValueOutOfRange
)

var (
	errDivByZero       = sqlerr.New(sqlerr.DivisionByZero, "division by zero")
	errInt2Range       = sqlerr.New(codeNumericOutOfRange, "smallint out of range")
	errInt4Range       = sqlerr.New(codeNumericOutOfRange, "integer out of range")
	errInt8Range       = sqlerr.New(codeNumericOutOfRange, "bigint out of range")
	errNumericOverflow = sqlerr.New(codeNumericOutOfRange, "value overflows numeric format")
	errFloatOverflow   = sqlerr.New(codeNumericOutOfRange, "value out of range: overflow")
	errNegSubstrLen    = sqlerr.New(codeSubstringError, "negative substring length not allowed")
)

// rangeErr is the out-of-range error for results of kind k.
func rangeErr(k catalog.Kind) error {
	switch k {
	case catalog.Int2:
		return errInt2Range
	case catalog.Int4:
		return errInt4Range
	case catalog.Int8:
		return errInt8Range
	case catalog.Numeric:
		return errNumericOverflow
	case catalog.Date:
		return sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range")
	case catalog.Timestamp:
		return sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
	}
	return errInt8Range
}

// intBounds returns the value range of an integer kind (int64's for others).
func intBounds(k catalog.Kind) (lo, hi int64) {
	switch k {
	case catalog.Int2:
		return math.MinInt16, math.MaxInt16
	case catalog.Int4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// numericFieldOverflow is PostgreSQL's error for a value that does not fit
// NUMERIC(p, s).
func numericFieldOverflow(t catalog.Type) error {
	e := sqlerr.New(codeNumericOutOfRange, "numeric field overflow")
	if t.Precision != t.Scale {
		return e.WithDetail(fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", t.Precision, t.Scale, t.Precision-t.Scale))
	}
	return e.WithDetail(fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than 1.", t.Precision, t.Scale))
}

// pow10 holds 10^0 … 10^18.
var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// numericLimit returns 10^p for a NUMERIC(p, s) check (0: unconstrained).
func numericLimit(t catalog.Type) int64 {
	if t.Kind != catalog.Numeric || t.Precision <= 0 || t.Precision > 18 {
		return 0
	}
	return pow10[t.Precision]
}

// scaleOf returns the decimal scale of an int64-backed type (0 for ints).
func scaleOf(t catalog.Type) int32 {
	if t.Kind == catalog.Numeric {
		return t.Scale
	}
	return 0
}

// mulPow10 returns x·10^k (k ≥ 0) and whether it fits int64.
func mulPow10(x int64, k int32) (int64, bool) {
	for k > 0 {
		s := min(k, 18)
		hi, lo := bits.Mul64(uabs(x), uint64(pow10[s]))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		if x < 0 {
			x = -int64(lo)
		} else {
			x = int64(lo)
		}
		k -= s
	}
	return x, true
}

// divPow10Round returns x / 10^k (k ≥ 0) rounded half away from zero.
func divPow10Round(x int64, k int32) int64 {
	if k == 0 {
		return x
	}
	if k > 19 {
		return 0
	}
	u := uabs(x)
	var q uint64
	if k == 19 {
		// 10^19 does not fit int64; |x| < 9.3·10^18 so the quotient is 0 or 1.
		if u >= 5_000_000_000_000_000_000 {
			q = 1
		}
	} else {
		d := uint64(pow10[k])
		q = u / d
		if r := u - q*d; r >= d-r {
			q++
		}
	}
	if x < 0 {
		return -int64(q)
	}
	return int64(q)
}

// rescale converts a value from scale from to scale to, rounding half away
// from zero when the scale shrinks.
func rescale(x int64, from, to int32) (int64, bool) {
	if to >= from {
		return mulPow10(x, to-from)
	}
	return divPow10Round(x, from-to), true
}

func uabs(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // MinInt64 maps to 1<<63, as wanted
	}
	return uint64(x)
}

// u128 is an unsigned 128-bit integer for exact decimal intermediates.
type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// mulSmall returns x·m and whether it fits 128 bits.
func (x u128) mulSmall(m uint64) (u128, bool) {
	h1, l1 := bits.Mul64(x.lo, m)
	h2, l2 := bits.Mul64(x.hi, m)
	hi, c := bits.Add64(h1, l2, 0)
	return u128{hi, l1}, h2 == 0 && c == 0
}

// mulPow10 returns x·10^k and whether it fits 128 bits.
func (x u128) mulPow10(k int32) (u128, bool) {
	for k > 0 {
		s := min(k, 18)
		var ok bool
		if x, ok = x.mulSmall(uint64(pow10[s])); !ok {
			return x, false
		}
		k -= s
	}
	return x, true
}

// divSmall returns x / d truncated and the remainder.
func (x u128) divSmall(d uint64) (u128, uint64) {
	qh, r := x.hi/d, x.hi%d
	ql, r := bits.Div64(r, x.lo, d)
	return u128{qh, ql}, r
}

// divRound returns x / d rounded half away from zero, and whether the
// quotient fits 64 bits.
func (x u128) divRound(d uint64) (uint64, bool) {
	if x.hi >= d {
		return 0, false
	}
	q, r := bits.Div64(x.hi, x.lo, d)
	if r >= d-r {
		q++
		if q == 0 {
			return 0, false
		}
	}
	return q, true
}

// divPow10Round returns x / 10^k rounded half away from zero.
func (x u128) divPow10Round(k int32) u128 {
	if k <= 0 {
		return x
	}
	// Truncate by 10^(k-1) (in steps), then round on the last digit:
	// round(x/10^k) = floor((floor(x/10^(k-1)) + 5) / 10).
	for k > 1 {
		s := min(k-1, 18)
		x, _ = x.divSmall(uint64(pow10[s]))
		k -= s
	}
	var c uint64
	x.lo, c = bits.Add64(x.lo, 5, 0)
	x.hi += c
	x, _ = x.divSmall(10)
	return x
}

// toInt64 converts a magnitude and sign to int64, reporting overflow.
func (x u128) toInt64(neg bool) (int64, bool) {
	if x.hi != 0 {
		return 0, false
	}
	if neg {
		if x.lo > 1<<63 {
			return 0, false
		}
		return -int64(x.lo), true
	}
	if x.lo > math.MaxInt64 {
		return 0, false
	}
	return int64(x.lo), true
}

// numDiv divides a (scale sa) by b (scale sb) giving scale rs, rounded half
// away from zero. b must not be 0.
func numDiv(a int64, sa int32, b int64, sb int32, rs int32) (int64, bool) {
	neg := (a < 0) != (b < 0)
	e := rs + sb - sa
	num := u128{0, uabs(a)}
	den := uabs(b)
	if e >= 0 {
		var ok bool
		if num, ok = num.mulPow10(e); !ok {
			return 0, false // |quotient| ≥ 2^128 / 2^63
		}
	} else {
		d, ok := u128{0, den}.mulPow10(-e)
		if !ok || d.hi != 0 {
			return 0, true // |a| < 2^63 ≤ d/2: rounds to 0
		}
		den = d.lo
	}
	q, ok := num.divRound(den)
	if !ok {
		return 0, false
	}
	return u128{0, q}.toInt64(neg)
}

// numMul multiplies a (scale sa) by b (scale sb) giving scale rs.
func numMul(a int64, sa int32, b int64, sb int32, rs int32) (int64, bool) {
	neg := (a < 0) != (b < 0)
	p := mul64(uabs(a), uabs(b))
	k := rs - (sa + sb)
	if k >= 0 {
		var ok bool
		if p, ok = p.mulPow10(k); !ok {
			return 0, false
		}
	} else {
		p = p.divPow10Round(-k)
	}
	return p.toInt64(neg)
}
