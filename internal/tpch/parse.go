package tpch

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/vec"
)

// The .tbl parser turns '|'-separated lines (dbgen's output; a trailing '|'
// is allowed, as the unmodified kit writes it) into typed vectors. Each
// field is parsed in place: common forms (plain integers, decimals with at
// most the column's scale, ISO dates, ASCII strings that fit) take a fast
// path that allocates nothing; anything else goes through the PostgreSQL
// input functions of internal/pgtype, which also produce the errors. There
// is no escaping and no NULL in .tbl files: every field is a value.

type fieldKind uint8

const (
	fInt fieldKind = iota
	fDecimal
	fDate
	fString
	fOther // float, bool, timestamp, dynamic numeric: pgtype
)

type colParser struct {
	name  string
	typ   catalog.Type
	kind  fieldKind
	lo    int64  // fInt: range
	hi    int64  // fInt: range
	scale int    // fDecimal
	limit uint64 // fDecimal: largest magnitude (10^precision - 1)
	// fString: the length limit in characters (0: none) and whether to
	// blank-pad (char(n)).
	length int
	pad    bool
}

// rowParser parses lines of one table into a batch.
type rowParser struct {
	table string
	cols  []colParser
}

func newRowParser(table string, cols []catalog.Column) (*rowParser, error) {
	p := &rowParser{table: table, cols: make([]colParser, len(cols))}
	for i, c := range cols {
		cp := colParser{name: c.Name, typ: c.Type}
		t := c.Type
		switch {
		case t.Kind == catalog.Int2:
			cp.kind, cp.lo, cp.hi = fInt, math.MinInt16, math.MaxInt16
		case t.Kind == catalog.Int4:
			cp.kind, cp.lo, cp.hi = fInt, math.MinInt32, math.MaxInt32
		case t.Kind == catalog.Int8:
			cp.kind, cp.lo, cp.hi = fInt, math.MinInt64, math.MaxInt64
		case t.Kind == catalog.Numeric && t.Scale >= 0 && t.Precision > 0 && t.Precision <= catalog.MaxNumericPrecision:
			cp.kind, cp.scale = fDecimal, int(t.Scale)
			cp.limit = uint64(math.Pow10(int(t.Precision))) - 1
		case t.Kind == catalog.Date:
			cp.kind = fDate
		case t.IsString():
			cp.kind = fString
			if t.Kind != catalog.Text {
				cp.length = int(t.Length)
			}
			cp.pad = t.Kind == catalog.Bpchar && t.Length > 0
		case t.Kind == catalog.Numeric, t.Kind == catalog.Float4, t.Kind == catalog.Float8,
			t.Kind == catalog.Bool, t.Kind == catalog.Timestamp:
			cp.kind = fOther
		default:
			return nil, fmt.Errorf("table %s column %s: type %s cannot be loaded", table, c.Name, t)
		}
		p.cols[i] = cp
	}
	return p, nil
}

// parse parses complete lines from buf into b until b holds maxRows rows
// or buf has no complete line left. It returns the bytes consumed. With
// eof a last line without a newline is complete. line is the 1-based
// number of the first line in buf (for messages); blank lines are skipped
// but counted.
func (p *rowParser) parse(buf []byte, eof bool, b *vec.Batch, maxRows int, line int64) (int, int64, error) {
	pos := 0
	for b.N < maxRows && pos < len(buf) {
		var ln []byte
		next := 0
		if nl := bytes.IndexByte(buf[pos:], '\n'); nl >= 0 {
			ln, next = buf[pos:pos+nl], pos+nl+1
		} else if eof {
			ln, next = buf[pos:], len(buf)
		} else {
			break
		}
		if n := len(ln); n > 0 && ln[n-1] == '\r' {
			ln = ln[:n-1]
		}
		if len(ln) > 0 {
			if err := p.parseLine(ln, b); err != nil {
				return pos, line, fmt.Errorf("%s line %d: %w", p.table, line, err)
			}
			b.N++
		}
		line++
		pos = next
	}
	return pos, line, nil
}

func (p *rowParser) parseLine(ln []byte, b *vec.Batch) error {
	last := len(p.cols) - 1
	for i := range p.cols {
		var f []byte
		if i < last {
			j := bytes.IndexByte(ln, '|')
			if j < 0 {
				return fmt.Errorf("missing data for column %s", p.cols[i+1].name)
			}
			f, ln = ln[:j], ln[j+1:]
		} else {
			f = ln
			if j := bytes.IndexByte(f, '|'); j >= 0 {
				if j != len(f)-1 {
					return fmt.Errorf("extra data after last expected column")
				}
				f = f[:j] // the kit's trailing '|'
			}
		}
		if err := p.cols[i].appendField(b.Cols[i], f); err != nil {
			return fmt.Errorf("column %s: %q: %w", p.cols[i].name, truncate(f, 64), err)
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

const spaces = "                                                                "

func (c *colParser) appendField(v *vec.Vector, f []byte) error {
	switch c.kind {
	case fInt:
		if x, ok := parseInt(f); ok && x >= c.lo && x <= c.hi {
			v.I64 = append(v.I64, x)
			return nil
		}
		x, err := pgtype.ParseInt(f, c.typ.Kind)
		if err != nil {
			return err
		}
		v.I64 = append(v.I64, x)
	case fDecimal:
		if x, ok := parseDecimal(f, c.scale, c.limit); ok {
			v.I64 = append(v.I64, x)
			return nil
		}
		x, err := pgtype.ParseNumeric(f, c.typ.Precision, c.typ.Scale)
		if err != nil {
			return err
		}
		v.I64 = append(v.I64, x)
	case fDate:
		if x, ok := parseDate(f); ok {
			v.I64 = append(v.I64, x)
			return nil
		}
		x, err := pgtype.ParseDate(f)
		if err != nil {
			return err
		}
		v.I64 = append(v.I64, x)
	case fString:
		if (c.length == 0 || len(f) <= c.length) && plainASCII(f) {
			v.Data = append(v.Data, f...)
			if c.pad {
				for n := c.length - len(f); n > 0; {
					k := min(n, len(spaces))
					v.Data = append(v.Data, spaces[:k]...)
					n -= k
				}
			}
		} else {
			s, err := pgtype.ParseString(c.typ, f)
			if err != nil {
				return err
			}
			v.Data = append(v.Data, s...)
		}
		if len(v.Data) > math.MaxInt32 {
			return fmt.Errorf("batch too large")
		}
		v.Offsets = append(v.Offsets, int32(len(v.Data)))
	default:
		d, err := pgtype.ParseText(c.typ, f)
		if err != nil {
			return err
		}
		switch {
		case c.typ.IsBytesBacked():
			v.AppendBytes([]byte(d.S))
		case c.typ.Kind == catalog.Float4 || c.typ.Kind == catalog.Float8:
			v.AppendFloat64(d.F)
		case c.typ.Kind == catalog.Bool:
			v.AppendBool(d.B)
		default:
			v.AppendInt64(d.I)
		}
	}
	return nil
}

// parseInt parses an optionally negative run of at most 18 digits.
func parseInt(f []byte) (int64, bool) {
	if len(f) == 0 || len(f) > 18 {
		return 0, false
	}
	neg := f[0] == '-'
	i := 0
	if neg {
		if i = 1; len(f) == 1 {
			return 0, false
		}
	}
	var x int64
	for ; i < len(f); i++ {
		d := f[i] - '0'
		if d > 9 {
			return 0, false
		}
		x = x*10 + int64(d)
	}
	if neg {
		x = -x
	}
	return x, true
}

// parseDecimal parses [-]digits[.digits] with at most scale fractional
// digits to an int64 scaled by 10^scale, if its magnitude is at most limit.
func parseDecimal(f []byte, scale int, limit uint64) (int64, bool) {
	i := 0
	neg := len(f) > 0 && f[0] == '-'
	if neg {
		i = 1
	}
	var u uint64
	nd := 0
	for ; i < len(f); i++ {
		d := f[i] - '0'
		if d > 9 {
			break
		}
		u = u*10 + uint64(d)
		nd++
	}
	fd := 0
	if i < len(f) && f[i] == '.' {
		for i++; i < len(f); i++ {
			d := f[i] - '0'
			if d > 9 || fd == scale {
				return 0, false
			}
			u = u*10 + uint64(d)
			fd++
		}
	}
	if i != len(f) || nd+fd == 0 || nd+scale > 18 {
		return 0, false
	}
	for ; fd < scale; fd++ {
		u *= 10
	}
	if u > limit {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

// parseDate parses YYYY-MM-DD (years 1..9999) to days since 2000-01-01.
func parseDate(f []byte) (int64, bool) {
	if len(f) != 10 || f[4] != '-' || f[7] != '-' {
		return 0, false
	}
	var y, m, d int64
	for _, k := range [...]int{0, 1, 2, 3} {
		c := f[k] - '0'
		if c > 9 {
			return 0, false
		}
		y = y*10 + int64(c)
	}
	for _, k := range [...]int{5, 6} {
		c := f[k] - '0'
		if c > 9 {
			return 0, false
		}
		m = m*10 + int64(c)
	}
	for _, k := range [...]int{8, 9} {
		c := f[k] - '0'
		if c > 9 {
			return 0, false
		}
		d = d*10 + int64(c)
	}
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d) - 10957, true
}

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// plainASCII reports whether f is ASCII without NUL bytes (so valid UTF-8
// whose length in characters is its length in bytes).
func plainASCII(f []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for len(f) >= 8 {
		x := binary.LittleEndian.Uint64(f)
		if x&hi != 0 || (x-lo)&^x&hi != 0 {
			return false
		}
		f = f[8:]
	}
	for _, c := range f {
		if c == 0 || c >= 0x80 {
			return false
		}
	}
	return true
}
