// Package canon renders query results in the canonical text form of the
// shared TPC-H reference answers (/work/shared/tpch/README.md) and compares
// them with the answers' tolerance.
//
// Canonical form: one row per line, columns joined by '|', no header; NULL
// for NULL; integers in full; DECIMAL/NUMERIC and floating-point values
// rounded to 4 decimal places (decimals half away from zero); dates
// YYYY-MM-DD (a timestamp at midnight is written as a date); strings without
// trailing spaces, with '\', '|', newline and CR escaped as \\, \|, \n, \r;
// booleans true/false.
//
// The package imports no role, so executor tests may use it.
package canon

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/vec"
)

// Kind is how a column's PostgreSQL text is canonicalized.
type Kind uint8

const (
	// Other values are kept as they are (integers, dates).
	Other Kind = iota
	// Decimal values (float) are rounded to 4 places.
	Decimal
	// Numeric values are rounded to 4 places, except integral ones written
	// without a decimal point (numeric with scale 0, such as extract's
	// results), which are kept as integers as the reference answers have them.
	Numeric
	// String values lose trailing spaces and get '\', '|', '\n', '\r' escaped.
	String
	// Bool values t/f become true/false.
	Bool
	// Timestamp values at midnight become dates.
	Timestamp
)

// KindOfOID returns the kind for a PostgreSQL type OID (as in a
// RowDescription).
func KindOfOID(oid uint32) Kind {
	switch catalog.OID(oid) {
	case catalog.OIDNumeric:
		return Numeric
	case catalog.OIDFloat4, catalog.OIDFloat8:
		return Decimal
	case catalog.OIDText, catalog.OIDVarchar, catalog.OIDBpchar, 19 /* name */ :
		return String
	case catalog.OIDBool:
		return Bool
	case catalog.OIDTimestamp, 1184 /* timestamptz */ :
		return Timestamp
	}
	return Other
}

// KindOf returns the kind for a catalog type.
func KindOf(t catalog.Type) Kind {
	switch {
	case t.Kind == catalog.Numeric:
		return Numeric
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		return Decimal
	case t.IsString():
		return String
	case t.Kind == catalog.Bool:
		return Bool
	case t.IsTimestamp():
		return Timestamp
	}
	return Other
}

// Text canonicalizes one value given in PostgreSQL's text form; a nil text
// is NULL.
func Text(k Kind, text []byte) string {
	if text == nil {
		return "NULL"
	}
	s := string(text)
	switch k {
	case Numeric:
		if allDigits(strings.TrimPrefix(s, "-")) && s != "" && s != "-" {
			return s
		}
		return Round4(s)
	case Decimal:
		return Round4(s)
	case String:
		return escape(strings.TrimRight(s, " "))
	case Bool:
		switch s {
		case "t", "true":
			return "true"
		case "f", "false":
			return "false"
		}
	case Timestamp:
		if len(s) > 10 {
			if rest := s[10:]; rest == " 00:00:00" || strings.HasPrefix(rest, " 00:00:00+") || strings.HasPrefix(rest, " 00:00:00-") {
				return s[:10]
			}
		}
	}
	return s
}

// Value canonicalizes value i of a vector.
func Value(v *vec.Vector, i int) string {
	if v.IsNull(i) {
		return "NULL"
	}
	return Text(KindOf(v.Type), pgtype.AppendText(make([]byte, 0, 32), v, i))
}

// Row canonicalizes row i of a batch.
func Row(b *vec.Batch, i int) string {
	fs := make([]string, len(b.Cols))
	for c, v := range b.Cols {
		fs[c] = Value(v, i)
	}
	return strings.Join(fs, "|")
}

func escape(s string) string {
	if !strings.ContainsAny(s, "\\|\n\r") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '|':
			b.WriteString(`\|`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Round4 rounds a decimal number's text to 4 decimal places, half away
// from zero, exactly (no binary floating point) when it is plain decimal
// notation; exponent forms, NaN and infinities go through float64.
func Round4(s string) string {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return s
		}
		return strconv.FormatFloat(f, 'f', 4, 64)
	}
	if intPart == "" {
		intPart = "0"
	}
	digits := []byte(intPart + (frac + "0000")[:4])
	if len(frac) > 4 && frac[4] >= '5' {
		// add one unit in the last place
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	ip := strings.TrimLeft(string(digits[:len(digits)-4]), "0")
	if ip == "" {
		ip = "0"
	}
	out := ip + "." + string(digits[len(digits)-4:])
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SameValue compares a canonical field with an expected one: numbers with
// a decimal point in the expected value may differ by one unit in its last
// decimal place, or by 1e-9 relative (large sums); an expected integer must
// be matched exactly (a numeric with only zero decimals counts);
// everything else must be equal.
func SameValue(got, want string) bool {
	if got == want {
		return true
	}
	_, frac, ok := strings.Cut(want, ".")
	if !ok {
		// An integer: exactly equal, also when the engine typed it as a
		// numeric ("1995.0000" for extract's 1995, as PostgreSQL does).
		gi, gf, ok := strings.Cut(got, ".")
		return ok && gi == want && allDigits(gf) && strings.Trim(gf, "0") == "" && allDigits(strings.TrimPrefix(want, "-"))
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	unit := math.Pow(10, -float64(len(frac)))
	return math.Abs(g-w) <= unit+1e-9*math.Abs(w)
}

// Lines splits an answer file's contents into rows (an empty file has none).
func Lines(answer string) []string {
	if answer == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(answer, "\n"), "\n")
}

// splitFields splits a canonical row at unescaped '|'.
func splitFields(row string) []string {
	var out []string
	start := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			out = append(out, row[start:i])
			start = i + 1
		}
	}
	return append(out, row[start:])
}

// Compare checks canonical rows against expected ones, in order, and
// describes the first difference (nil when they match).
func Compare(got, want []string) error {
	for i := 0; i < len(got) && i < len(want); i++ {
		gf, wf := splitFields(got[i]), splitFields(want[i])
		same := len(gf) == len(wf)
		for k := 0; same && k < len(gf); k++ {
			same = SameValue(gf[k], wf[k])
		}
		if !same {
			return fmt.Errorf("row %d: got %s, want %s", i+1, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d", len(got), len(want))
	}
	return nil
}
