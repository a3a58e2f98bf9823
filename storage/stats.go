package storage

import (
	"bytes"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/parquet"

	"github.com/cirrusdb/cirrus/catalog"
)

// maxStatsString is the longest string kept as a min/max statistic; a
// column with a longer minimum or maximum gets no min/max (a truncated
// maximum would not be an upper bound).
const maxStatsString = 64

// statsAcc accumulates one column's statistics over a file.
type statsAcc struct {
	nulls int64
	has   bool // some non-NULL value seen

	minI, maxI int64
	minF, maxF float64 // over non-NaN values
	hasF, nan  bool    // some non-NaN value seen; some NaN seen
	hasFalse   bool
	hasTrue    bool
	minB, maxB []byte // copies, owned
	long       bool   // a min or max exceeded maxStatsString
}

// addInt64 adds the non-NULL values of src (nulls may be nil) and returns
// their minimum and maximum, ok false when there are none.
func (s *statsAcc) addInt64(src []int64, nulls []bool) (lo, hi int64, ok bool) {
	lo, hi = math.MaxInt64, math.MinInt64
	if nulls == nil {
		for _, x := range src {
			lo = min(lo, x)
			hi = max(hi, x)
		}
		ok = len(src) > 0
	} else {
		nulls = nulls[:len(src)]
		for j, x := range src {
			if !nulls[j] {
				lo = min(lo, x)
				hi = max(hi, x)
				ok = true
			}
		}
	}
	if !ok {
		return 0, 0, false
	}
	if !s.has {
		s.minI, s.maxI, s.has = lo, hi, true
	} else {
		s.minI = min(s.minI, lo)
		s.maxI = max(s.maxI, hi)
	}
	return lo, hi, true
}

// addFloat64 adds the non-NULL values of src. NaN sorts above every other
// value, as in PostgreSQL.
func (s *statsAcc) addFloat64(src []float64, nulls []bool) {
	for j, x := range src {
		if nulls != nil && nulls[j] {
			continue
		}
		s.has = true
		if x != x {
			s.nan = true
			continue
		}
		if !s.hasF {
			s.minF, s.maxF, s.hasF = x, x, true
			continue
		}
		// Plain comparisons (not min/max builtins) keep -0 and +0 as first seen.
		if x < s.minF {
			s.minF = x
		}
		if x > s.maxF {
			s.maxF = x
		}
	}
}

func (s *statsAcc) addBool(src []bool, nulls []bool) {
	for j, x := range src {
		if nulls != nil && nulls[j] {
			continue
		}
		s.has = true
		if x {
			s.hasTrue = true
		} else {
			s.hasFalse = true
		}
	}
}

// addBytes adds non-NULL strings, ordered bytewise (C collation).
func (s *statsAcc) addBytes(vals []parquet.ByteArray) {
	for _, b := range vals {
		if !s.has {
			s.has = true
			s.minB = append(s.minB[:0], b...)
			s.maxB = append(s.maxB[:0], b...)
			continue
		}
		if bytes.Compare(b, s.minB) < 0 {
			s.minB = append(s.minB[:0], b...)
		} else if bytes.Compare(b, s.maxB) > 0 {
			s.maxB = append(s.maxB[:0], b...)
		}
	}
}

// result returns the statistics in PostgreSQL text form for type t.
func (s *statsAcc) result(t catalog.Type) ColumnStats {
	cs := ColumnStats{NullCount: s.nulls}
	if !s.has {
		return cs
	}
	switch {
	case t.Kind == catalog.Bool:
		cs.Min, cs.Max = formatBool(!s.hasFalse), formatBool(s.hasTrue)
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		bits := 64
		if t.Kind == catalog.Float4 {
			bits = 32
		}
		switch {
		case !s.hasF: // all NaN
			cs.Min, cs.Max = "NaN", "NaN"
		case s.nan:
			cs.Min, cs.Max = formatFloat(s.minF, bits), "NaN"
		default:
			cs.Min, cs.Max = formatFloat(s.minF, bits), formatFloat(s.maxF, bits)
		}
	case t.IsString():
		if len(s.minB) > maxStatsString || len(s.maxB) > maxStatsString {
			return cs
		}
		cs.Min, cs.Max = string(s.minB), string(s.maxB)
	case t.Kind == catalog.Numeric && t.Scale >= 0:
		cs.Min, cs.Max = formatNumeric(s.minI, t.Scale), formatNumeric(s.maxI, t.Scale)
	case t.Kind == catalog.Date:
		cs.Min, cs.Max = formatDate(s.minI), formatDate(s.maxI)
	case t.IsTimestamp(): // timestamptz: as UTC wall-clock time
		cs.Min, cs.Max = formatTimestamp(s.minI), formatTimestamp(s.maxI)
	case t.IsInteger():
		cs.Min, cs.Max = strconv.FormatInt(s.minI, 10), strconv.FormatInt(s.maxI, 10)
	default:
		return cs
	}
	cs.HasMinMax = true
	return cs
}

func formatBool(b bool) string {
	if b {
		return "t"
	}
	return "f"
}

// formatFloat formats as PostgreSQL's float4out/float8out do with the
// default extra_float_digits (shortest exact form): plain notation for
// decimal exponents in [-4, 15) (float8) or [-4, 6) (float4), else
// scientific with at least two exponent digits.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	i := bytes.LastIndexByte([]byte(e), 'e')
	exp, _ := strconv.Atoi(e[i+1:])
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// formatNumeric formats a scaled integer as a decimal with scale digits
// after the point.
func formatNumeric(x int64, scale int32) string {
	var buf [48]byte
	neg := x < 0
	u := uint64(x)
	if neg {
		u = -u
	}
	digits := strconv.AppendUint(buf[:0], u, 10)
	if scale == 0 {
		if neg {
			return "-" + string(digits)
		}
		return string(digits)
	}
	out := make([]byte, 0, len(digits)+int(scale)+3)
	if neg {
		out = append(out, '-')
	}
	if len(digits) <= int(scale) {
		out = append(out, '0', '.')
		for range int(scale) - len(digits) {
			out = append(out, '0')
		}
		out = append(out, digits...)
	} else {
		p := len(digits) - int(scale)
		out = append(out, digits[:p]...)
		out = append(out, '.')
		out = append(out, digits[p:]...)
	}
	return string(out)
}

var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// appendYMD appends PostgreSQL's ISO date form, with " BC" handled by the
// caller through bc.
func appendYMD(b []byte, t time.Time) (out []byte, bc bool) {
	y, m, d := t.Date()
	if y <= 0 {
		y, bc = 1-y, true
	}
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, int(m), 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	return b, bc
}

func appendPadded(b []byte, x, width int) []byte {
	s := strconv.Itoa(x)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// formatDate formats days since 2000-01-01 as PostgreSQL's date_out (ISO).
func formatDate(days int64) string {
	switch days {
	case math.MaxInt32:
		return "infinity"
	case math.MinInt32:
		return "-infinity"
	}
	b, bc := appendYMD(nil, pgEpoch.AddDate(0, 0, int(days)))
	if bc {
		b = append(b, " BC"...)
	}
	return string(b)
}

// formatTimestamp formats µs since 2000-01-01 as PostgreSQL's timestamp_out
// (ISO): fractional seconds without trailing zeros; the extreme int64s are
// ±infinity.
func formatTimestamp(us int64) string {
	switch us {
	case math.MaxInt64:
		return "infinity"
	case math.MinInt64:
		return "-infinity"
	}
	days := us / 86400e6
	rem := us % 86400e6
	if rem < 0 {
		rem += 86400e6
		days--
	}
	b, bc := appendYMD(nil, pgEpoch.AddDate(0, 0, int(days)))
	secs := rem / 1e6
	frac := rem % 1e6
	b = append(b, ' ')
	b = appendPadded(b, int(secs/3600), 2)
	b = append(b, ':')
	b = appendPadded(b, int(secs/60%60), 2)
	b = append(b, ':')
	b = appendPadded(b, int(secs%60), 2)
	if frac != 0 {
		b = append(b, '.')
		f := appendPadded(nil, int(frac), 6)
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		b = append(b, f...)
	}
	if bc {
		b = append(b, " BC"...)
	}
	return string(b)
}
