package executor

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// ---- date_trunc, make_date, to_date ----

type dateFuncNode struct {
	nodeMeta
	op    string
	field string // date_trunc
	// tz: date_trunc of a timestamptz, in zone (the session's, or the
	// zone named by args[1] when it has one).
	tz   bool
	zone *pgtype.Zone
	name string // args[1]'s zone name of the last row
	args []node
	vs   []*vec.Vector
	fmt  []fmtTok // to_date with a constant format
	out  vecBuf
}

func newDateFunc(e *plan.Expr) (node, error) {
	n := &dateFuncNode{op: e.Op}
	var err error
	switch e.Op {
	case "date_trunc":
		f := e.Args[0]
		if f.Kind != plan.Const || f.Value.Null {
			return nil, sqlerr.Unsupported("date_trunc needs a constant field name")
		}
		n.field = strings.ToLower(f.Value.S)
		if n.tz = e.Args[1].Type.Kind == catalog.TimestampTZ; n.tz {
			n.zone = pgtype.DateTimeFor(e.DT).TimeZone()
			if n.args, err = compileAll(e.Args[1:]); err != nil {
				return nil, err
			}
			break
		}
		a, err := compile(plan.CastOf(e.Args[1], catalog.TypeTimestamp))
		if err != nil {
			return nil, err
		}
		n.args = []node{a}
	case "make_date":
		n.args, err = argNodes(e, catalog.TypeInt8, catalog.TypeInt8, catalog.TypeInt8)
	case "to_date":
		n.args, err = argNodes(e, catalog.TypeText, catalog.TypeText)
		if err == nil {
			if c := asConst(n.args[1]); c != nil && !c.d.Null {
				n.fmt = parseDateFormat(c.d.S)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	n.vs = make([]*vec.Vector, len(n.args))
	n.nodeMeta = metaOf(e.Type, e.Op != "date_trunc", n.args...)
	n.out.init(e.Type)
	return n, nil
}

func (n *dateFuncNode) eval(b *vec.Batch) (*vec.Vector, error) {
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	rows := b.N
	nl := strictNulls(&n.out, n.vs, rows)
	r := n.out.i64(rows)
	switch n.op {
	case "date_trunc":
		x := n.vs[0].I64[:rows]
		if !n.tz {
			for i := range r {
				r[i] = truncTimestamp(n.field, x[i])
			}
			break
		}
		for i := range r {
			if nl != nil && nl[i] {
				r[i] = 0
				continue
			}
			if len(n.vs) == 2 {
				zv := n.vs[1]
				if name := zv.Data[zv.Offsets[i]:zv.Offsets[i+1]]; n.name != string(name) || n.zone == nil {
					z, err := pgtype.ZoneForName(string(name))
					if err != nil {
						return nil, err
					}
					n.zone, n.name = z, string(name)
				}
			}
			r[i] = truncTZ(n.field, x[i], n.zone)
		}
	case "make_date":
		y, m, d := n.vs[0].I64, n.vs[1].I64, n.vs[2].I64
		for i := range r {
			if nl != nil && nl[i] {
				r[i] = 0
				continue
			}
			v, err := makeDate(y[i], m[i], d[i])
			if err != nil {
				return nil, err
			}
			r[i] = v
		}
	case "to_date":
		s, f := n.vs[0], n.vs[1]
		for i := range r {
			if nl != nil && nl[i] {
				r[i] = 0
				continue
			}
			toks := n.fmt
			if toks == nil {
				toks = parseDateFormat(string(f.Data[f.Offsets[i]:f.Offsets[i+1]]))
			}
			v, err := toDate(string(s.Data[s.Offsets[i]:s.Offsets[i+1]]), toks)
			if err != nil {
				return nil, err
			}
			r[i] = v
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// truncTZ is date_trunc(field, t) of a timestamptz in zone z, as
// PostgreSQL's timestamptz_trunc_internal: the wall-clock time is
// truncated; a day or more is then read back in the zone (its offset then
// may differ), a smaller unit keeps the instant's own offset (within a
// repeated hour 01:30-04 truncates to 01:00-04).
func truncTZ(field string, t int64, z *pgtype.Zone) int64 {
	if t == pgtype.TimestampNegInfinity || t == pgtype.TimestampPosInfinity {
		return t
	}
	off, _ := z.Offset(t)
	local := truncTimestamp(field, t+off*1_000_000)
	switch field {
	case "hour", "minute", "second", "milliseconds", "microseconds":
		return local - off*1_000_000
	}
	return z.FromLocal(local)
}

// truncTimestamp is date_trunc(field, ts) on µs since 2000-01-01.
func truncTimestamp(field string, ts int64) int64 {
	days := floorDiv(ts, usecPerDay)
	rem := ts - days*usecPerDay
	y, m, _ := civilFromDays(days)
	switch field {
	case "microseconds":
		return ts
	case "milliseconds":
		return floorDiv(ts, 1000) * 1000
	case "second":
		return floorDiv(ts, 1_000_000) * 1_000_000
	case "minute":
		return floorDiv(ts, 60_000_000) * 60_000_000
	case "hour":
		return days*usecPerDay + rem/3_600_000_000*3_600_000_000
	case "day":
		return days * usecPerDay
	case "week":
		dow := ((days+5)%7 + 7) % 7 // 0 = Monday (2000-01-01 was a Saturday)
		return (days - dow) * usecPerDay
	case "month":
		return daysFromCivil(y, m, 1) * usecPerDay
	case "quarter":
		return daysFromCivil(y, (m-1)/3*3+1, 1) * usecPerDay
	case "year":
		return daysFromCivil(y, 1, 1) * usecPerDay
	case "decade":
		return daysFromCivil(floorDiv(y, 10)*10, 1, 1) * usecPerDay
	case "century":
		if y > 0 {
			return daysFromCivil((y+99)/100*100-99, 1, 1) * usecPerDay
		}
		return daysFromCivil(-((99-y)/100*100)+1, 1, 1) * usecPerDay
	case "millennium":
		if y > 0 {
			return daysFromCivil((y+999)/1000*1000-999, 1, 1) * usecPerDay
		}
		return daysFromCivil(-((999-y)/1000*1000)+1, 1, 1) * usecPerDay
	}
	return ts
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

// makeDate is make_date(y, m, d); a negative year is BC.
func makeDate(y, m, d int64) (int64, error) {
	bad := sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	if y == 0 {
		return 0, bad
	}
	cy := y
	if y < 0 {
		cy = y + 1
	}
	if m < 1 || m > 12 || d < 1 || d > daysInMonth(cy, m) || cy < -4713 || cy > 5874897 {
		return 0, bad
	}
	return daysFromCivil(cy, m, d), nil
}

// fmtTok is one element of a to_char/to_date format: a field (name set)
// or literal text.
type fmtTok struct {
	field string
	lit   string
	fm    bool // FM prefix: no padding
	th    byte // TH / th suffix: 'T' or 't' (ordinal suffix), 0 for none
}

// dtFields are the date/time format fields, longest first where one is a
// prefix of another.
var dtFields = []string{
	"Y,YYY", "SSSSS", "SSSS", "CC", "TZ", "tz", "OF", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6",
	"HH24", "HH12", "HH", "YYYY", "YYY", "YY", "Y", "MONTH", "Month", "month", "MON", "Mon", "mon",
	"MM", "MI", "MS", "DAY", "Day", "day", "DY", "Dy", "dy", "DDD", "DD", "D", "SS", "US",
	"Q", "WW", "IW", "W", "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.", "IYYY", "ID", "J",
}

func parseDateFormat(f string) []fmtTok {
	var toks []fmtTok
	fm := false
	for len(f) > 0 {
		if strings.HasPrefix(f, "FM") || strings.HasPrefix(f, "fm") {
			fm = true
			f = f[2:]
			continue
		}
		if f[0] == '"' {
			end := strings.IndexByte(f[1:], '"')
			if end < 0 {
				toks = append(toks, fmtTok{lit: f[1:]})
				break
			}
			toks = append(toks, fmtTok{lit: f[1 : 1+end]})
			f = f[end+2:]
			fm = false
			continue
		}
		if f[0] == '\\' && len(f) > 1 {
			toks = append(toks, fmtTok{lit: f[1:2]})
			f = f[2:]
			continue
		}
		matched := false
		for _, k := range dtFields {
			if strings.HasPrefix(f, k) {
				t := fmtTok{field: k, fm: fm}
				f = f[len(k):]
				if strings.HasPrefix(f, "TH") || strings.HasPrefix(f, "th") {
					t.th = f[0]
					f = f[2:]
				}
				toks = append(toks, t)
				matched = true
				break
			}
		}
		if !matched {
			toks = append(toks, fmtTok{lit: f[:1]})
			f = f[1:]
		}
		fm = false
	}
	return toks
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// casedName writes name as the field's letter case asks (MONTH, Month, month).
// The field is all upper case (MONTH), all lower case (month) or mixed.
func casedName(dst []byte, name, field string, pad int, fm bool) []byte {
	upper := field[1] >= 'A' && field[1] <= 'Z'
	lower := field[0] >= 'a' && field[0] <= 'z'
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case upper && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case lower && c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	if !fm {
		for i := len(name); i < pad; i++ {
			dst = append(dst, ' ')
		}
	}
	return dst
}

func appendPadded(dst []byte, v int64, width int, fm bool) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	if !fm {
		for i := len(s); i < width; i++ {
			dst = append(dst, '0')
		}
	}
	return append(dst, s...)
}

// tzFields are a timestamptz's zone fields for to_char: the offset
// (seconds east) and abbreviation at the instant.
type tzFields struct {
	off  int64
	abbr string
}

// appendTimestampFormat is to_char(timestamp, fmt); tz is nil for a
// timestamp without time zone (TZ prints nothing and OF +00), else ts is
// the wall-clock time of a timestamptz in the session zone.
func appendTimestampFormat(dst []byte, ts int64, toks []fmtTok, tz *tzFields) []byte {
	days := floorDiv(ts, usecPerDay)
	rem := ts - days*usecPerDay
	y, m, d := civilFromDays(days)
	hour, min, sec, us := rem/3_600_000_000, rem/60_000_000%60, rem/1_000_000%60, rem%1_000_000
	doy := days - daysFromCivil(y, 1, 1) + 1
	dow := ((days+6)%7 + 7) % 7 // 0 = Sunday
	yy := y
	if y <= 0 {
		yy = 1 - y // BC years count from 1
	}
	for _, t := range toks {
		if t.field == "" {
			dst = append(dst, t.lit...)
			continue
		}
		fm := t.fm
		start := len(dst)
		switch t.field {
		case "Y,YYY":
			dst = appendPadded(dst, yy/1000, 1, fm)
			dst = append(dst, ',')
			dst = appendPadded(dst, yy%1000, 3, false)
		case "CC":
			cc := (yy + 99) / 100
			if y <= 0 {
				cc = -cc
			}
			dst = appendPadded(dst, cc, 2, fm)
		case "SSSS", "SSSSS":
			dst = appendPadded(dst, rem/1_000_000, 1, fm)
		case "TZ", "tz":
			if tz != nil {
				if t.field == "tz" {
					dst = append(dst, strings.ToLower(tz.abbr)...)
				} else {
					dst = append(dst, strings.ToUpper(tz.abbr)...)
				}
			}
		case "OF":
			if tz == nil {
				dst = append(dst, "+00"...)
				break
			}
			off := tz.off
			if off < 0 {
				dst = append(dst, '-')
				off = -off
			} else {
				dst = append(dst, '+')
			}
			dst = appendPadded(dst, off/3600, 2, fm)
			if off%3600 != 0 {
				dst = append(dst, ':')
				dst = appendPadded(dst, off/60%60, 2, false)
			}
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			k := int(t.field[2] - '0')
			dst = appendPadded(dst, us/pow10[6-k], k, false)
		case "YYYY":
			dst = appendPadded(dst, yy, 4, fm)
		case "YYY":
			dst = appendPadded(dst, yy%1000, 3, fm)
		case "YY":
			dst = appendPadded(dst, yy%100, 2, fm)
		case "Y":
			dst = appendPadded(dst, yy%10, 1, fm)
		case "IYYY":
			iy, _ := isoWeek(days)
			dst = appendPadded(dst, iy, 4, fm)
		case "MM":
			dst = appendPadded(dst, m, 2, fm)
		case "DD":
			dst = appendPadded(dst, d, 2, fm)
		case "DDD":
			dst = appendPadded(dst, doy, 3, fm)
		case "D":
			dst = appendPadded(dst, dow+1, 1, fm)
		case "ID":
			id := dow
			if id == 0 {
				id = 7
			}
			dst = appendPadded(dst, id, 1, fm)
		case "J":
			dst = appendPadded(dst, days+2451545, 1, fm)
		case "HH24":
			dst = appendPadded(dst, hour, 2, fm)
		case "HH", "HH12":
			h := hour % 12
			if h == 0 {
				h = 12
			}
			dst = appendPadded(dst, h, 2, fm)
		case "MI":
			dst = appendPadded(dst, min, 2, fm)
		case "SS":
			dst = appendPadded(dst, sec, 2, fm)
		case "MS":
			dst = appendPadded(dst, us/1000, 3, fm)
		case "US":
			dst = appendPadded(dst, us, 6, fm)
		case "AM", "PM":
			if hour < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case "am", "pm":
			if hour < 12 {
				dst = append(dst, "am"...)
			} else {
				dst = append(dst, "pm"...)
			}
		case "A.M.", "P.M.":
			if hour < 12 {
				dst = append(dst, "A.M."...)
			} else {
				dst = append(dst, "P.M."...)
			}
		case "a.m.", "p.m.":
			if hour < 12 {
				dst = append(dst, "a.m."...)
			} else {
				dst = append(dst, "p.m."...)
			}
		case "Q":
			dst = appendPadded(dst, (m-1)/3+1, 1, fm)
		case "WW":
			dst = appendPadded(dst, (doy-1)/7+1, 2, fm)
		case "W":
			dst = appendPadded(dst, (d-1)/7+1, 1, fm)
		case "IW":
			_, w := isoWeek(days)
			dst = appendPadded(dst, w, 2, fm)
		case "MONTH", "Month", "month":
			dst = casedName(dst, monthNames[m-1], t.field, 9, fm)
		case "MON", "Mon", "mon":
			dst = casedName(dst, monthNames[m-1][:3], t.field, 0, fm)
		case "DAY", "Day", "day":
			dst = casedName(dst, dayNames[dow], t.field, 9, fm)
		case "DY", "Dy", "dy":
			dst = casedName(dst, dayNames[dow][:3], t.field, 0, fm)
		}
		if t.th != 0 && len(dst) > start {
			dst = appendOrdinal(dst, dst[start:], t.th == 'T')
		}
	}
	return dst
}

// appendOrdinal appends the English ordinal suffix of the number whose
// digits end num (1st, 2nd, 3rd, 11th, ...).
func appendOrdinal(dst, num []byte, upper bool) []byte {
	last := num[len(num)-1]
	if last < '0' || last > '9' {
		return dst
	}
	tens := byte('0')
	if len(num) > 1 {
		tens = num[len(num)-2]
	}
	suf := "th"
	if tens != '1' {
		switch last {
		case '1':
			suf = "st"
		case '2':
			suf = "nd"
		case '3':
			suf = "rd"
		}
	}
	if upper {
		return append(dst, suf[0]-'a'+'A', suf[1]-'a'+'A')
	}
	return append(dst, suf...)
}

// toDate is to_date(s, fmt) for the numeric and month-name fields; other
// characters of the format skip one character of the input (PostgreSQL's
// separators), leading spaces are skipped before a field.
func toDate(s string, toks []fmtTok) (int64, error) {
	y, m, d := int64(-1), int64(1), int64(1)
	doy := int64(-1)
	src := s
	digits := func(field string, max int) (int64, error) {
		for len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		neg := false
		if field == "YYYY" && len(s) > 0 && s[0] == '-' {
			neg = true
			s = s[1:]
		}
		i := 0
		for i < len(s) && i < max && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			v := s
			if len(v) > max {
				v = v[:max]
			}
			if len(s) == 0 {
				return 0, sqlerr.Errorf(sqlerr.InvalidDatetimeFormat, "source string too short for \"%s\" formatting field", field)
			}
			return 0, sqlerr.Errorf(sqlerr.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", v, field)
		}
		v, _ := strconv.ParseInt(s[:i], 10, 64)
		s = s[i:]
		if neg {
			v = -v
		}
		return v, nil
	}
	for k, t := range toks {
		if t.field == "" {
			for range len(t.lit) {
				if len(s) > 0 {
					s = s[1:]
				}
			}
			continue
		}
		// A field followed by another field (no separator) has a fixed width.
		fixed := k+1 < len(toks) && toks[k+1].field != ""
		var err error
		switch t.field {
		case "YYYY", "IYYY":
			w := 4
			if !fixed {
				w = 10
			}
			y, err = digits("YYYY", w)
		case "YY":
			y, err = digits(t.field, 2)
			if err == nil {
				if y < 70 {
					y += 2000
				} else {
					y += 1900
				}
			}
		case "MM":
			m, err = digits(t.field, 2)
			if err == nil && (m < 1 || m > 12) {
				return 0, sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", src)
			}
		case "DD":
			d, err = digits(t.field, 2)
		case "DDD":
			doy, err = digits(t.field, 3)
		case "MONTH", "Month", "month", "MON", "Mon", "mon":
			for len(s) > 0 && s[0] == ' ' {
				s = s[1:]
			}
			found := false
			for i, name := range monthNames {
				cand := name
				if len(t.field) == 3 {
					cand = name[:3]
				}
				if len(s) >= len(cand) && strings.EqualFold(s[:len(cand)], cand) {
					m, s, found = int64(i+1), s[len(cand):], true
					break
				}
			}
			if !found {
				return 0, sqlerr.Errorf(sqlerr.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", firstWord(s), t.field)
			}
		case "HH24", "HH12", "HH", "MI", "SS":
			// Time fields are read and dropped (a date has no time).
			var v int64
			v, err = digits(t.field, 2)
			lim := map[string]int64{"HH24": 24, "HH12": 12, "HH": 12, "MI": 59, "SS": 60}[t.field]
			if err == nil && (v > lim || (v == 0 && (t.field == "HH12" || t.field == "HH"))) {
				return 0, sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", src)
			}
		case "MS":
			_, err = digits(t.field, 3)
		case "US":
			_, err = digits(t.field, 6)
		case "AM", "PM", "am", "pm":
			if len(s) >= 2 && (strings.EqualFold(s[:2], "AM") || strings.EqualFold(s[:2], "PM")) {
				s = s[2:]
			} else {
				return 0, sqlerr.Errorf(sqlerr.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", firstWord(s), t.field)
			}
		default:
			return 0, sqlerr.Unsupported("to_date format field %s is not supported", t.field)
		}
		if err != nil {
			return 0, err
		}
	}
	if y == -1 {
		y = 1
	}
	if y <= 0 {
		y++ // BC
	}
	if doy >= 0 {
		return daysFromCivil(y, 1, 1) + doy - 1, nil
	}
	if d < 1 || d > daysInMonth(y, m) {
		return 0, sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", src)
	}
	return daysFromCivil(y, m, d), nil
}

func firstWord(s string) string {
	for i, c := range s {
		if c == ' ' || c == '-' || c == '/' {
			return s[:i]
		}
	}
	return s
}

// ---- to_char ----

type toCharNode struct {
	nodeMeta
	x, f node
	xt   catalog.Type
	zone *pgtype.Zone // a timestamptz's: the session zone
	dt   []fmtTok     // constant timestamp format
	nf   *numFormat
	calc decCalc
	buf  []byte
	rbuf []byte // the rounded value of a number
	out  vecBuf
}

func newToChar(e *plan.Expr) (node, error) {
	xe := e.Args[0]
	if xe.Type.Kind == catalog.Date {
		xe = plan.CastOf(xe, catalog.TypeTimestamp)
	}
	x, err := compile(xe)
	if err != nil {
		return nil, err
	}
	f, err := compile(plan.CastOf(e.Args[1], catalog.TypeText))
	if err != nil {
		return nil, err
	}
	n := &toCharNode{nodeMeta: metaOf(catalog.TypeText, false, x, f), x: x, f: f, xt: xe.Type}
	if n.xt.Kind == catalog.TimestampTZ {
		n.zone = pgtype.DateTimeFor(e.DT).TimeZone()
	}
	if c := asConst(f); c != nil && !c.d.Null {
		if n.xt.IsTimestamp() {
			n.dt = parseDateFormat(c.d.S)
		} else {
			if n.nf, err = parseNumFormat(c.d.S); err != nil {
				return nil, err
			}
		}
	}
	n.out.init(catalog.TypeText)
	return n, nil
}

func (n *toCharNode) eval(b *vec.Batch) (*vec.Vector, error) {
	xv, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	fv, err := n.f.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	o := &n.out
	nl := strictNulls(o, []*vec.Vector{xv, fv}, rows)
	o.resetStr()
	for i := range rows {
		if nl != nil && nl[i] {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		fs := fv.Data[fv.Offsets[i]:fv.Offsets[i+1]]
		if n.xt.IsTimestamp() {
			toks := n.dt
			if toks == nil {
				toks = parseDateFormat(string(fs))
			}
			if n.zone != nil {
				x := xv.I64[i]
				off, abbr := n.zone.Offset(x)
				o.Data = appendTimestampFormat(o.Data, x+off*1_000_000, toks, &tzFields{off: off, abbr: abbr})
			} else {
				o.Data = appendTimestampFormat(o.Data, xv.I64[i], toks, nil)
			}
		} else {
			nf := n.nf
			if nf == nil {
				if nf, err = parseNumFormat(string(fs)); err != nil {
					return nil, err
				}
			}
			// The value as decimal text.
			n.buf = n.buf[:0]
			avail := -1
			switch {
			case isFloat(n.xt):
				// float8_to_char: printf rounding, at most DBL_DIG
				// (float4: FLT_DIG) digits; fraction places past them
				// print nothing.
				v := xv.F64[i]
				limit := 15
				if n.xt.Kind == catalog.Float4 {
					limit = 6
				}
				n.buf = strconv.AppendFloat(n.buf, math.Abs(v), 'f', 0, 64)
				avail = nf.nfrac
				if pre := len(n.buf); pre >= limit {
					avail = 0
				} else if pre+avail > limit {
					avail = limit - pre
				}
				n.buf = strconv.AppendFloat(n.buf[:0], v, 'f', avail, 64)
			case isDynamic(n.xt):
				n.buf = append(n.buf, xv.Data[xv.Offsets[i]:xv.Offsets[i+1]]...)
			default:
				n.buf = n.calc.appendDec(n.buf, dec{m: xv.I64[i], s: scaleOf(n.xt)})
			}
			o.Data = nf.format(o.Data, n.buf, &n.rbuf, avail)
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// numFormat is a compiled number format: '9' (digit or blank), '0' (digit
// or zero), '.'/'D' (decimal point), ','/'G' (group separator), FM (no
// padding, no trailing fraction zeros in '9' places), text in double quotes
// and other characters literally. The sign goes right before the first
// digit, a blank in its place for positive values (without FM).
type numFormat struct {
	fm        bool
	intPos    []numTok // '9', '0', ',' or literal before the point
	fracPos   []numTok // '9', '0' or literal after the point
	point     bool
	nint      int // digit places before the point
	nfrac     int // digit places after the point
	zeroStart int // index among integer digit places of the first '0' (nint: none)
	prefix    string
	suffix    string
}

type numTok struct {
	kind byte // '9', '0', ',' or 'l' (literal)
	lit  string
}

// unsupportedNumPatterns are number format patterns numFormat does not
// implement.
var unsupportedNumPatterns = []string{"EEEE", "MI", "PL", "SG", "PR", "RN", "rn", "TH", "th", "S", "L", "V"}

func parseNumFormat(f string) (*numFormat, error) {
	nf := &numFormat{}
	if strings.HasPrefix(f, "FM") || strings.HasPrefix(f, "fm") {
		nf.fm = true
		f = f[2:]
	}
	var toks []numTok
	for len(f) > 0 {
		c := f[0]
		switch {
		case c == '9' || c == '0':
			toks = append(toks, numTok{kind: c})
		case (c == '.' || c == 'D') && !nf.point:
			toks = append(toks, numTok{kind: '.'})
			nf.point = true
		case c == ',' || c == 'G':
			toks = append(toks, numTok{kind: ','})
		case c == '"':
			end := strings.IndexByte(f[1:], '"')
			if end < 0 {
				end = len(f) - 1
			}
			toks = append(toks, numTok{kind: 'l', lit: f[1 : 1+end]})
			f = f[min(end+2, len(f)):]
			continue
		case c == '\\' && len(f) > 1:
			toks = append(toks, numTok{kind: 'l', lit: f[1:2]})
			f = f[2:]
			continue
		default:
			for _, p := range unsupportedNumPatterns {
				if strings.HasPrefix(f, p) {
					return nil, sqlerr.Unsupported("to_char number format pattern %q is not supported", p)
				}
			}
			toks = append(toks, numTok{kind: 'l', lit: f[:1]})
		}
		f = f[1:]
	}
	// Literals before the first place and after the last one are the
	// prefix and the suffix.
	first, last := len(toks), -1
	for i, t := range toks {
		if t.kind != 'l' {
			first = min(first, i)
			last = i
		}
	}
	var pre, suf strings.Builder
	for i, t := range toks {
		switch {
		case i < first:
			pre.WriteString(t.lit)
		case i > last:
			suf.WriteString(t.lit)
		}
	}
	nf.prefix, nf.suffix = pre.String(), suf.String()
	point := false
	for i := first; i <= last; i++ {
		t := toks[i]
		switch {
		case t.kind == '.':
			point = true
		case point:
			if t.kind == ',' {
				t = numTok{kind: 'l', lit: ","}
			}
			nf.fracPos = append(nf.fracPos, t)
			if t.kind == '9' || t.kind == '0' {
				nf.nfrac++
			}
		default:
			nf.intPos = append(nf.intPos, t)
		}
	}
	nf.zeroStart = -1
	for _, t := range nf.intPos {
		if t.kind != '9' && t.kind != '0' {
			continue
		}
		if t.kind == '0' && nf.zeroStart < 0 {
			nf.zeroStart = nf.nint
		}
		nf.nint++
	}
	if nf.zeroStart < 0 {
		nf.zeroStart = nf.nint
	}
	return nf, nil
}

// format appends the decimal text x formatted; scratch holds the rounded
// value between calls. avail >= 0 limits the fraction digits shown (the
// places past them print nothing).
func (nf *numFormat) format(dst, x []byte, scratch *[]byte, avail int) []byte {
	var neg bool
	var ip, fp []byte
	special := specialOf(x) != spFinite
	if special {
		// numeric_to_char lays NaN and the infinities out as if their
		// letters were integer digits, with nothing after them.
		neg, ip = x[0] == '-', bytes.TrimPrefix(x, []byte{'-'})
	} else {
		*scratch = appendRoundDec((*scratch)[:0], x, int64(nf.nfrac), "round")
		neg, ip, fp = decParts(*scratch)
	}
	dst = append(dst, nf.prefix...)
	if len(ip) > nf.nint {
		// Overflow: every digit place shows '#'.
		if neg {
			dst = append(dst, '-')
		} else if !nf.fm {
			dst = append(dst, ' ')
		}
		for _, t := range nf.intPos {
			switch t.kind {
			case ',':
				dst = append(dst, ',')
			case 'l':
				dst = append(dst, t.lit...)
			default:
				dst = append(dst, '#')
			}
		}
		if nf.point {
			dst = append(dst, '.')
		}
		for _, t := range nf.fracPos {
			if t.kind == 'l' {
				dst = append(dst, t.lit...)
			} else {
				dst = append(dst, '#')
			}
		}
		return append(dst, nf.suffix...)
	}
	// A zero integer part prints a 0 in the last place when nothing else
	// would show a digit.
	zeroInt := len(ip) == 0 && nf.nfrac == 0 && nf.nint > 0
	started := false
	signDone := false
	sign := func() {
		if signDone {
			return
		}
		signDone = true
		if neg {
			dst = append(dst, '-')
		} else if !nf.fm {
			dst = append(dst, ' ')
		}
	}
	pos := 0
	for _, t := range nf.intPos {
		switch t.kind {
		case 'l':
			dst = append(dst, t.lit...)
			continue
		case ',':
			if started {
				dst = append(dst, ',')
			} else if !nf.fm {
				dst = append(dst, ' ')
			}
			continue
		}
		di := pos - (nf.nint - len(ip))
		switch {
		case di >= 0:
			sign()
			started = true
			dst = append(dst, ip[di])
		case pos >= nf.zeroStart || (zeroInt && pos == nf.nint-1):
			sign()
			started = true
			dst = append(dst, '0')
		default:
			if !nf.fm {
				dst = append(dst, ' ')
			}
		}
		pos++
	}
	sign()
	if nf.point && !special {
		// fp has no trailing zeros; the places beyond it show 0.
		digit := func(j int) byte {
			if j < len(fp) {
				return fp[j]
			}
			return '0'
		}
		// With FM, trailing zeros in '9' places go.
		keep := nf.nfrac
		if avail >= 0 {
			keep = min(keep, avail)
		}
		if nf.fm {
			j := nf.nfrac
			for k := len(nf.fracPos) - 1; k >= 0 && j > 0; k-- {
				t := nf.fracPos[k]
				if t.kind == 'l' {
					continue
				}
				if j <= keep && (t.kind != '9' || digit(j-1) != '0') {
					break
				}
				j--
			}
			keep = j
		}
		dst = append(dst, '.')
		j := 0
		for _, t := range nf.fracPos {
			if t.kind == 'l' {
				if j < keep {
					dst = append(dst, t.lit...)
				}
				continue
			}
			if j < keep {
				dst = append(dst, digit(j))
			}
			j++
		}
	}
	return append(dst, nf.suffix...)
}
