package executor

import (
	"bytes"
	"math/big"
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
)

// Dynamic-scale numerics (catalog.DynamicScale) are PostgreSQL's numeric
// division and avg results, whose scale depends on each value. They travel
// as canonical decimal text: an optional '-', integer digits without
// leading zeros ("0" for none), and optionally '.' and fraction digits,
// e.g. "-0.3333333333333333". They are compared numerically ("1.50" =
// "1.5"), which canonDecimal reduces to byte equality for hashing.

// NaN and the infinities travel as PostgreSQL prints them ("NaN",
// "Infinity", "-Infinity"; pgtype.IsNumericSpecial tells them from digits)
// and order as PostgreSQL's numeric does: -Infinity below every number,
// Infinity above, NaN above everything and equal to itself.

// special is the kind of a dynamic-scale value: finite or one of numeric's
// special values, in PostgreSQL's sort order.
type special int8

const (
	spNInf   special = -1
	spFinite special = 0
	spPInf   special = 1
	spNaN    special = 2
)

// specialOf classifies decimal text.
func specialOf(b []byte) special {
	if !pgtype.IsNumericSpecial(b) {
		return spFinite
	}
	switch b[0] {
	case 'N':
		return spNaN
	case 'I':
		return spPInf
	}
	return spNInf
}

// text is the special value as PostgreSQL prints it.
func (sp special) text() string {
	switch sp {
	case spNaN:
		return pgtype.NumericNaN
	case spPInf:
		return pgtype.NumericPInf
	case spNInf:
		return pgtype.NumericNInf
	}
	return ""
}

// isDynamic reports whether t is a dynamic-scale numeric.
func isDynamic(t catalog.Type) bool { return t.IsDynamicNumeric() }

// decParts splits decimal text into sign, integer digits (leading zeros
// dropped) and fraction digits (trailing zeros dropped).
func decParts(b []byte) (neg bool, ip, fp []byte) {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		ip, fp = b[:i], b[i+1:]
	} else {
		ip = b
	}
	for len(ip) > 0 && ip[0] == '0' {
		ip = ip[1:]
	}
	for len(fp) > 0 && fp[len(fp)-1] == '0' {
		fp = fp[:len(fp)-1]
	}
	if len(ip) == 0 && len(fp) == 0 {
		neg = false // -0 = 0
	}
	return neg, ip, fp
}

// cmpDecimal compares two decimal texts numerically (NaN and infinities
// included).
func cmpDecimal(a, b []byte) int {
	if pgtype.IsNumericSpecial(a) || pgtype.IsNumericSpecial(b) {
		return cmpInt(int(specialOf(a)), int(specialOf(b)))
	}
	an, ai, af := decParts(a)
	bn, bi, bf := decParts(b)
	if an != bn {
		if an {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case len(ai) != len(bi):
		c = cmpInt(len(ai), len(bi))
	default:
		if c = bytes.Compare(ai, bi); c == 0 {
			c = bytes.Compare(af, bf) // trailing zeros dropped: plain order
		}
	}
	if an {
		return -c
	}
	return c
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// canonDecimal returns the shortest text equal to b (a subslice): fraction
// trailing zeros and a bare point dropped, "-0" as "0".
func canonDecimal(b []byte) []byte {
	if bytes.IndexByte(b, '.') >= 0 {
		for len(b) > 0 && b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if len(b) > 0 && b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		return b[1:]
	}
	return b
}

// nbaseWeight returns the base-10000 weight and first base-10000 digit of
// x·10^-s, as PostgreSQL's NumericVar holds it (0, 0 for zero).
func nbaseWeight(x int64, s int32) (weight int, first int64) {
	if x == 0 {
		return 0, 0
	}
	u := uabs(x)
	nd := 1
	for v := u; v >= 10; v /= 10 {
		nd++
	}
	e10 := nd - 1 - int(s) // the leading digit is worth 10^e10
	weight = int(floorDiv(int64(e10), 4))
	k := int32(int(s) + 4*weight) // first = u / 10^k
	if k >= 0 {
		if k > 18 {
			return weight, 0
		}
		return weight, int64(u / uint64(pow10[k]))
	}
	return weight, int64(u * uint64(pow10[-k]))
}

// divScale is PostgreSQL's select_div_scale: at least 16 significant
// digits, and no fewer fraction digits than either input shows.
func divScale(a int64, sa int32, b int64, sb int32) int32 {
	w1, d1 := nbaseWeight(a, sa)
	w2, d2 := nbaseWeight(b, sb)
	qw := w1 - w2
	if d1 <= d2 {
		qw--
	}
	rs := int32(16 - qw*4)
	rs = max(rs, sa, sb, 0)
	return min(rs, 1000)
}

// appendDivDynamic appends a/b (a scaled by 10^sa, b by 10^sb, b ≠ 0) as
// PostgreSQL's numeric division prints it: scale from divScale, rounded
// half away from zero.
func appendDivDynamic(dst []byte, a int64, sa int32, b int64, sb int32) []byte {
	rs := divScale(a, sa, b, sb)
	neg := (a < 0) != (b < 0)
	e := rs + sb - sa // quotient digits = |a|·10^e / |b|
	var digits []byte
	var buf [48]byte
	if num, ok := (u128{0, uabs(a)}).mulPow10(max(e, 0)); ok && e >= 0 {
		d := uabs(b)
		q, r := num.divSmall(d)
		if r >= d-r {
			q = q.add1()
		}
		digits = appendU128(buf[:0], q)
	} else {
		// Scales this far apart need more than 128 bits.
		n := new(big.Int).SetUint64(uabs(a))
		d := new(big.Int).SetUint64(uabs(b))
		ten := big.NewInt(10)
		if e >= 0 {
			n.Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(e)), nil))
		} else {
			d.Mul(d, new(big.Int).Exp(ten, big.NewInt(int64(-e)), nil))
		}
		q, r := new(big.Int).QuoRem(n, d, new(big.Int))
		if r.Lsh(r, 1).Cmp(d) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		digits = q.Append(buf[:0], 10)
	}
	return appendScaledDigits(dst, neg, digits, rs)
}

// appendScaledDigits appends the integer whose decimal digits are given,
// divided by 10^scale, with exactly scale fraction digits.
func appendScaledDigits(dst []byte, neg bool, digits []byte, scale int32) []byte {
	if neg && !(len(digits) == 1 && digits[0] == '0') {
		dst = append(dst, '-')
	}
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0')
		if s > 0 {
			dst = append(dst, '.')
			for range s - len(digits) {
				dst = append(dst, '0')
			}
		}
		return append(dst, digits...)
	}
	k := len(digits) - s
	dst = append(dst, digits[:k]...)
	if s > 0 {
		dst = append(dst, '.')
		dst = append(dst, digits[k:]...)
	}
	return dst
}

func (x u128) add1() u128 {
	x.lo++
	if x.lo == 0 {
		x.hi++
	}
	return x
}

// appendU128 appends x in decimal.
func appendU128(dst []byte, x u128) []byte {
	if x.hi == 0 {
		return strconv.AppendUint(dst, x.lo, 10)
	}
	const e19 = 10_000_000_000_000_000_000
	q, r := x.divSmall(e19)
	dst = appendU128(dst, q)
	var buf [20]byte
	s := strconv.AppendUint(buf[:0], r, 10)
	for range 19 - len(s) {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// negateDecimal appends -x for decimal text x (zero stays "0"-like, NaN
// stays NaN).
func negateDecimal(dst, x []byte) []byte {
	switch specialOf(x) {
	case spNaN:
		return append(dst, pgtype.NumericNaN...)
	case spPInf:
		return append(dst, pgtype.NumericNInf...)
	case spNInf:
		return append(dst, pgtype.NumericPInf...)
	}
	switch {
	case len(x) > 0 && x[0] == '-':
		return append(dst, x[1:]...)
	case len(x) > 0 && x[0] == '+':
		x = x[1:]
	}
	if neg, ip, fp := decParts(x); !neg && len(ip) == 0 && len(fp) == 0 {
		return append(dst, x...)
	}
	dst = append(dst, '-')
	return append(dst, x...)
}
