package pgtype

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// DateStyle is the output style of the DateStyle setting.
type DateStyle uint8

// The output styles.
const (
	StyleISO      DateStyle = iota // 2024-01-31 13:45:00+01
	StyleSQL                       // 01/31/2024 13:45:00 CET
	StylePostgres                  // Wed Jan 31 13:45:00 2024 CET
	StyleGerman                    // 31.01.2024 13:45:00 CET
)

// DateOrder is the field order of the DateStyle setting: how input such as
// 01/02/03 is read, and the order of the SQL and Postgres styles' output.
type DateOrder uint8

// The field orders.
const (
	OrderMDY DateOrder = iota
	OrderDMY
	OrderYMD
)

// DateTime is what datetime input and output depend on in a session: its
// TimeZone and DateStyle. The zero DateTime is PostgreSQL's default
// (UTC, ISO, MDY).
type DateTime struct {
	Zone  *Zone
	Style DateStyle
	Order DateOrder
}

// TimeZone returns the session zone (UTC when none is set).
func (dt DateTime) TimeZone() *Zone {
	if dt.Zone == nil {
		return UTC
	}
	return dt.Zone
}

// DateTimeOf returns the settings of a session whose TimeZone and DateStyle
// settings are the canonical values zone and style (as SHOW prints them;
// empty: the default).
func DateTimeOf(zone, style string) DateTime {
	dt := DateTime{Zone: MustZone(zone)}
	if style != "" {
		dt.Style, dt.Order, _ = ParseDateStyle(style, StyleISO, OrderMDY)
	}
	return dt
}

// DateTimeFor returns the settings an expression carries (nil: the
// defaults).
func DateTimeFor(d *plan.DateTime) DateTime {
	if d == nil {
		return DateTime{}
	}
	return DateTimeOf(d.TimeZone, d.DateStyle)
}

var styleNames = [...]string{"ISO", "SQL", "Postgres", "German"}
var orderNames = [...]string{"MDY", "DMY", "YMD"}

// DateStyleString is DateStyle as SHOW prints it: "ISO, MDY".
func DateStyleString(s DateStyle, o DateOrder) string {
	return styleNames[s] + ", " + orderNames[o]
}

// ParseDateStyle reads a DateStyle value as PostgreSQL's check_datestyle
// does: a comma-separated list of a style (ISO, SQL, Postgres, German) and
// an order (YMD, DMY or Euro/European, MDY or US/NonEuro/NonEuropean), or
// Default; what it leaves out stays as it was (cur), except that German
// alone implies DMY. ok is false for an unknown key word (detail says
// which) or conflicting ones.
func ParseDateStyle(v string, curStyle DateStyle, curOrder DateOrder) (style DateStyle, order DateOrder, detail string) {
	style, order = curStyle, curOrder
	haveStyle, haveOrder := false, false
	conflict := false
	setStyle := func(s DateStyle) {
		if haveStyle && style != s {
			conflict = true
		}
		style, haveStyle = s, true
	}
	setOrder := func(o DateOrder) {
		if haveOrder && order != o {
			conflict = true
		}
		order, haveOrder = o, true
	}
	for _, part := range strings.Split(v, ",") {
		tok := strings.TrimSpace(part)
		switch strings.ToLower(tok) {
		case "iso":
			setStyle(StyleISO)
		case "sql":
			setStyle(StyleSQL)
		case "postgres":
			setStyle(StylePostgres)
		case "german":
			setStyle(StyleGerman)
			if !haveOrder {
				order = OrderDMY
			}
		case "ymd":
			setOrder(OrderYMD)
		case "dmy", "euro", "european":
			setOrder(OrderDMY)
		case "mdy", "us", "noneuro", "noneuropean":
			setOrder(OrderMDY)
		case "default":
			if !haveStyle {
				style = StyleISO
			}
			if !haveOrder {
				order = OrderMDY
			}
			haveStyle, haveOrder = true, true
		default:
			return curStyle, curOrder, "Unrecognized key word: \"" + tok + "\"."
		}
	}
	if conflict {
		return curStyle, curOrder, "Conflicting \"datestyle\" specifications."
	}
	return style, order, ""
}

// Output of dates and timestamps.

var (
	monthAbbrevs = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayAbbrevs   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
)

// appendDateFields appends a date's fields in the session's style: ISO
// 2024-01-31, SQL 01/31/2024 (DMY: 31/01/2024), Postgres 01-31-2024
// (DMY: 31-01-2024), German 31.01.2024. It reports whether the year is BC.
func (dt DateTime) appendDateFields(dst []byte, days int64) ([]byte, bool) {
	if dt.Style == StyleISO {
		return appendYMD(dst, days)
	}
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	sep := byte('/')
	switch dt.Style {
	case StylePostgres:
		sep = '-'
	case StyleGerman:
		sep = '.'
	}
	if dt.Order == OrderDMY || dt.Style == StyleGerman {
		dst = appendPad(dst, d, 2)
		dst = append(dst, sep)
		dst = appendPad(dst, m, 2)
	} else {
		dst = appendPad(dst, m, 2)
		dst = append(dst, sep)
		dst = appendPad(dst, d, 2)
	}
	dst = append(dst, sep)
	return appendPad(dst, y, 4), bc
}

// AppendDate appends a date as date_out prints it in the session's style.
func (dt DateTime) AppendDate(dst []byte, days int64) []byte {
	switch {
	case days <= DateNegInfinity:
		return append(dst, "-infinity"...)
	case days >= DatePosInfinity:
		return append(dst, "infinity"...)
	}
	dst, bc := dt.appendDateFields(dst, days)
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// AppendTimestamp appends a timestamp without time zone (µs since
// 2000-01-01) in the session's style.
func (dt DateTime) AppendTimestamp(dst []byte, us int64) []byte {
	return dt.appendDateTime(dst, us, false, 0, "")
}

// AppendTimestampTZ appends a timestamp with time zone (µs since
// 2000-01-01 UTC) as the session shows it: in its time zone, with the
// offset (ISO: "+05:30") or the zone's abbreviation (other styles).
func (dt DateTime) AppendTimestampTZ(dst []byte, us int64) []byte {
	if us == TimestampNegInfinity || us == TimestampPosInfinity {
		return dt.appendDateTime(dst, us, false, 0, "")
	}
	off, abbr := dt.TimeZone().Offset(us)
	return dt.appendDateTime(dst, us+off*usPerSec, true, off, abbr)
}

// appendDateTime formats local (wall-clock µs since 2000-01-01), with the
// zone's offset and abbreviation when tz.
func (dt DateTime) appendDateTime(dst []byte, local int64, tz bool, off int64, abbr string) []byte {
	switch local {
	case TimestampNegInfinity:
		return append(dst, "-infinity"...)
	case TimestampPosInfinity:
		return append(dst, "infinity"...)
	}
	days := floorDiv(local, usPerDay)
	rem := local - days*usPerDay
	var bc bool
	if dt.Style == StylePostgres {
		y, m, d := civilFromDays(days)
		bc = y <= 0
		if bc {
			y = 1 - y
		}
		dst = append(dst, dayAbbrevs[((days%7)+7+6)%7]...) // 2000-01-01 was a Saturday
		dst = append(dst, ' ')
		if dt.Order == OrderDMY {
			dst = appendPad(dst, d, 2)
			dst = append(dst, ' ')
			dst = append(dst, monthAbbrevs[m-1]...)
		} else {
			dst = append(dst, monthAbbrevs[m-1]...)
			dst = append(dst, ' ')
			dst = appendPad(dst, d, 2)
		}
		dst = append(dst, ' ')
		dst = appendTimeOfDay(dst, rem)
		dst = append(dst, ' ')
		dst = appendPad(dst, y, 4)
	} else {
		dst, bc = dt.appendDateFields(dst, days)
		dst = append(dst, ' ')
		dst = appendTimeOfDay(dst, rem)
	}
	if tz {
		if dt.Style == StyleISO {
			dst = FormatOffset(dst, off)
		} else {
			dst = append(dst, ' ')
			if abbr != "" {
				dst = append(dst, abbr...)
			} else {
				dst = FormatOffset(dst, off)
			}
		}
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendTimeOfDay appends HH:MM:SS[.ffffff] (trailing zeros of the
// fraction trimmed) of µs since midnight.
func appendTimeOfDay(dst []byte, rem int64) []byte {
	secs := rem / usPerSec
	frac := rem % usPerSec
	dst = appendPad(dst, secs/3600, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, secs/60%60, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, secs%60, 2)
	if frac != 0 {
		dst = append(dst, '.')
		var buf [6]byte
		for k := 5; k >= 0; k-- {
			buf[k] = byte('0' + frac%10)
			frac /= 10
		}
		n := 6
		for n > 0 && buf[n-1] == '0' {
			n--
		}
		dst = append(dst, buf[:n]...)
	}
	return dst
}

// Input of dates and timestamps.

type dtErr int

const (
	dtOK dtErr = iota
	dtSyntax
	dtField    // date/time field value out of range
	dtFieldMD  // the same, for a month or day no month has (with a hint)
	dtRange    // date/timestamp out of range
	dtSpecial  // infinity, -infinity
	dtTZDisp   // time zone displacement out of range
	dtZoneName // time zone "x" not recognized
)

// zoneKind says what time zone a literal names.
type zoneKind uint8

const (
	zoneNone   zoneKind = iota // none: the session's applies
	zoneOffset                 // a fixed offset (+02, CET, Z)
	zoneNamed                  // a zone (Europe/Berlin, a historical abbreviation)
)

// parsedDT is the result of parsing a date or timestamp literal.
type parsedDT struct {
	days    int64
	us      int64 // time of day
	special int64 // -1 -infinity, +1 infinity
	// now: the literal is 'now'; today: one of today (0), tomorrow (1),
	// yesterday (-1) is rel days from the session's current date.
	now, today bool
	rel        int64
	epoch      bool
	zk         zoneKind
	off        int64 // zoneOffset: seconds east
	zone       *Zone // zoneNamed
	badZone    string
}

func digitsAt(s []byte, i int) (v int64, n int) {
	for i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '9' {
		if n < 18 {
			v = v*10 + int64(s[i+n]-'0')
		}
		n++
	}
	return
}

func daysInMonth(y, m int64) int64 {
	switch m {
	case 4, 6, 9, 11:
		return 30
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

// twoDigitYear is PostgreSQL's reading of a year written with two digits:
// 70-99 are 1970-1999, 00-69 are 2000-2069.
func twoDigitYear(y int64) int64 {
	if y < 70 {
		return y + 2000
	}
	return y + 1900
}

// parseDateTime parses [ws] special | date [(' '|'T') time] [zone] [BC|AD]
// [AM|PM] [ws], the date as Y-M-D (a year of three or more digits first)
// or YYYYMMDD, or three numbers in the session's field order.
func parseDateTime(s []byte, order DateOrder) (parsedDT, dtErr) {
	var p parsedDT
	s = trimSpace(s)
	switch {
	case eqFold(s, "infinity") || eqFold(s, "+infinity"):
		p.special = 1
		return p, dtSpecial
	case eqFold(s, "-infinity"):
		p.special = -1
		return p, dtSpecial
	case eqFold(s, "epoch"):
		p.days, p.epoch = -10957, true
		return p, dtOK
	case eqFold(s, "now"):
		p.now = true
		return p, dtOK
	case eqFold(s, "today"), eqFold(s, "tomorrow"), eqFold(s, "yesterday"):
		p.today = true
		if eqFold(s, "tomorrow") {
			p.rel = 1
		} else if eqFold(s, "yesterday") {
			p.rel = -1
		}
		return p, dtOK
	}
	y, ny := digitsAt(s, 0)
	i := ny
	var m, d int64
	switch {
	case ny == 8 && (i == len(s) || s[i] == ' ' || s[i] == 'T' || s[i] == 't'): // YYYYMMDD
		y, m, d = y/10000, y/100%100, y%100
		ny = 4
	case ny >= 1 && i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.'):
		sep := s[i]
		f2, n2 := digitsAt(s, i+1)
		if n2 < 1 && i+1 < len(s) && isAlpha(s[i+1]) {
			return parseTextual(s) // 08-Jan-1999
		}
		if n2 < 1 || (ny >= 3 && n2 > 2) {
			return p, dtSyntax
		}
		i += 1 + n2
		if i >= len(s) || s[i] != sep {
			return p, dtSyntax
		}
		f3, n3 := digitsAt(s, i+1)
		if n3 < 1 {
			return p, dtSyntax
		}
		i += 1 + n3
		switch {
		case ny >= 3: // a year first, whatever the order
			m, d = f2, f3
			if n3 > 2 {
				return p, dtSyntax
			}
		case order == OrderYMD:
			m, d = f2, f3
			if ny == 2 {
				y = twoDigitYear(y)
			}
		default:
			if order == OrderDMY {
				d, m = y, f2
			} else {
				m, d = y, f2
			}
			y, ny = f3, n3
			if n3 == 2 {
				y = twoDigitYear(y)
			}
		}
	default:
		return parseTextual(s)
	}
	if ny > maxYearDigit {
		return p, dtRange
	}
	fieldErr := false
	// time of day
	var hh int64 = -1
	if i < len(s) && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') {
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			var bad bool
			var e dtErr
			p.us, hh, i, bad, e = readClock(s, j)
			if e != dtOK {
				return p, e
			}
			fieldErr = fieldErr || bad
		} else if j >= len(s) || (s[j] != '+' && s[j] != '-' && !isAlpha(s[j])) {
			return p, dtSyntax
		} else {
			i = j - 1
		}
	}
	// time zone, era, AM/PM
	bc := false
	ampm := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		switch c := s[i]; {
		case c == '+' || c == '-':
			n, e := p.offsetAt(s[i:])
			if e != dtOK {
				return p, e
			}
			i += n
		case isAlpha(c):
			j := readWord(s, i)
			if e := p.word(s[i:j], &bc, &ampm); e != dtOK {
				return p, e
			}
			i = j
		default:
			return p, dtSyntax
		}
	}
	return p.finish(y, m, d, hh, bc, ampm, fieldErr)
}

// offsetAt reads a numeric time zone at the start of s (the literal's
// only zone) and returns the bytes read.
func (p *parsedDT) offsetAt(s []byte) (int, dtErr) {
	off, n, e := parseOffset(s)
	if e != dtOK {
		return 0, e
	}
	if p.zk != zoneNone {
		return 0, dtSyntax
	}
	p.zk, p.off = zoneOffset, off
	return n, dtOK
}

// word reads a word after the date: BC/AD, AM/PM (ampm 1, 2) or the
// time zone.
func (p *parsedDT) word(w []byte, bc *bool, ampm *int) dtErr {
	switch lw := strings.ToLower(string(w)); lw {
	case "bc":
		*bc = true
	case "ad":
	case "am", "a.m.":
		*ampm = 1
	case "pm", "p.m.":
		*ampm = 2
	default:
		return p.zoneWord(w)
	}
	return dtOK
}

// zoneWord reads a word of a datetime literal as its time zone: an
// abbreviation (CET, PST), an IANA zone name (any letter case), or
// 22023 for a name with a slash that is no zone, a syntax error for other
// words.
func (p *parsedDT) zoneWord(w []byte) dtErr {
	if p.zk != zoneNone {
		return dtSyntax
	}
	lw := strings.ToLower(string(w))
	if off, ok := zoneAbbrevs[lw]; ok {
		p.zk, p.off = zoneOffset, int64(off)
	} else if name, ok := zoneAbbrevZones[lw]; ok {
		p.zk, p.zone = zoneNamed, MustZone(name)
	} else if canon, ok := zoneName(string(w)); ok {
		z, err := LoadZone(canon)
		if err != nil {
			return dtSyntax
		}
		p.zk, p.zone = zoneNamed, z
	} else if strings.IndexByte(lw, '/') >= 0 {
		p.badZone = lw
		return dtZoneName
	} else {
		return dtSyntax
	}
	return dtOK
}

// finish applies AM/PM (1, 2) and the era to the fields read and checks
// them: p.days is the date.
func (p parsedDT) finish(y, m, d, hh int64, bc bool, ampm int, fieldErr bool) (parsedDT, dtErr) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		// No month has it: perhaps the fields are in another order.
		return p, dtFieldMD
	}
	if ampm != 0 {
		if hh < 0 || hh > 12 {
			fieldErr = true
		} else {
			h := p.us / (3600 * usPerSec)
			if ampm == 1 && h == 12 {
				p.us -= 12 * 3600 * usPerSec
			} else if ampm == 2 && h != 12 {
				p.us += 12 * 3600 * usPerSec
			}
		}
	}
	if bc {
		if y == 0 {
			fieldErr = true
		}
		y = 1 - y
	} else if y == 0 {
		fieldErr = true
	}
	if fieldErr || d > daysInMonth(y, m) {
		return p, dtField
	}
	p.days = daysFromCivil(y, m, d)
	return p, dtOK
}

// readWord reads a word at s[i:] (letters, then letters, digits, '/' and
// '_'; a zone name like Etc/GMT+2 keeps its signed number) and returns
// the index after it.
func readWord(s []byte, i int) int {
	j := i
	for j < len(s) && (isAlpha(s[j]) || s[j] == '/' || s[j] == '_' || s[j] == '.' || (j > i && s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	if j < len(s) && (s[j] == '+' || s[j] == '-') && strings.IndexByte(string(s[i:j]), '/') >= 0 {
		for j++; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
		}
	}
	return j
}

var monthWords = map[string]int64{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var dayWords = map[string]bool{
	"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednesday": true, "thu": true, "thur": true, "thurs": true, "thursday": true,
	"fri": true, "friday": true, "sat": true, "saturday": true,
}

// parseTextual parses a literal whose date has a month name, as the
// Postgres DateStyle prints one ("Wed Jan 31 13:45:00.25 2024 CET") and
// people write them ("January 8, 1999", "8-Jan-1999", "1999 Jan 8"): a
// day of the week is ignored, a number of three or more digits (or one
// after the day) is the year, another the day; a time, a zone, BC/AD and
// AM/PM may come anywhere after the month.
func parseTextual(s []byte) (parsedDT, dtErr) {
	var p parsedDT
	var y, m, d int64
	ny := 0
	haveD := false
	hh := int64(-1)
	bc, ampm, fieldErr, timeSeen := false, 0, false, false
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == ',':
			i++
		case (c == '-' || c == '/') && !timeSeen:
			i++
		case c == '+' || c == '-':
			n, e := p.offsetAt(s[i:])
			if e != dtOK {
				return p, e
			}
			i += n
		case c >= '0' && c <= '9':
			v, n := digitsAt(s, i)
			if i+n < len(s) && s[i+n] == ':' {
				if timeSeen {
					return p, dtSyntax
				}
				var bad bool
				var e dtErr
				if p.us, hh, i, bad, e = readClock(s, i); e != dtOK {
					return p, e
				}
				fieldErr, timeSeen = fieldErr || bad, true
				continue
			}
			switch {
			case n >= 3 || haveD:
				if ny != 0 {
					return p, dtSyntax
				}
				y, ny = v, n
			default:
				d, haveD = v, true
			}
			i += n
		case isAlpha(c):
			j := readWord(s, i)
			w := s[i:j]
			lw := strings.ToLower(string(w))
			switch {
			case monthWords[lw] != 0 && m == 0:
				m = monthWords[lw]
			case dayWords[lw]:
			default:
				if e := p.word(w, &bc, &ampm); e != dtOK {
					return p, e
				}
			}
			i = j
		default:
			return p, dtSyntax
		}
	}
	if m == 0 || !haveD || ny == 0 {
		return p, dtSyntax
	}
	if ny > maxYearDigit {
		return p, dtRange
	}
	if ny == 2 {
		y = twoDigitYear(y)
	}
	return p.finish(y, m, d, hh, bc, ampm, fieldErr)
}

// readClock reads a time of day at s[j:]: HH:MM[:SS[.ffffff]] or hhmm[ss]
// (fractions round to µs). It returns the time in µs, the hour as
// written, the index after it, and whether a field is out of range.
func readClock(s []byte, j int) (us, hh int64, next int, fieldErr bool, e dtErr) {
	var mi, ss, frac int64
	var n int
	hh, n = digitsAt(s, j)
	switch {
	case (n == 4 || n == 6) && (j+n == len(s) || s[j+n] != ':'): // hhmm[ss]
		if n == 6 {
			hh, mi, ss = hh/10000, hh/100%100, hh%100
		} else {
			hh, mi = hh/100, hh%100
		}
		j += n
	case n < 1 || n > 2 || j+n >= len(s) || s[j+n] != ':':
		return 0, 0, 0, false, dtSyntax
	default:
		j += n + 1
		mi, n = digitsAt(s, j)
		if n < 1 || n > 2 {
			return 0, 0, 0, false, dtSyntax
		}
		j += n
		if j < len(s) && s[j] == ':' {
			ss, n = digitsAt(s, j+1)
			if n < 1 || n > 2 {
				return 0, 0, 0, false, dtSyntax
			}
			j += 1 + n
		}
	}
	if j < len(s) && s[j] == '.' {
		fs := j
		j++
		k := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if k < 6 {
				frac = frac*10 + int64(s[j]-'0')
			}
			k++
			j++
		}
		if k > 6 {
			// PostgreSQL: rint(strtod(fraction) * 1e6)
			f, _ := strconv.ParseFloat(unsafe.String(&s[fs], j-fs), 64)
			frac = int64(math.RoundToEven(f * 1e6))
		} else {
			for ; k < 6; k++ {
				frac *= 10
			}
		}
	}
	fieldErr = hh > 24 || mi > 59 || ss > 60 || (hh == 24 && (mi != 0 || ss != 0 || frac != 0))
	return ((hh*60+mi)*60+ss)*usPerSec + frac, hh, j, fieldErr, dtOK
}

// parseOffset reads a numeric time zone at the start of s as PostgreSQL's
// DecodeTimezone does: ±hh, ±hh:mm, ±hh:mm:ss, or ±hhmm; hours up to 15.
// It returns the offset (seconds east) and the bytes read.
func parseOffset(s []byte) (off int64, n int, e dtErr) {
	sign := int64(1)
	if s[0] == '-' {
		sign = -1
	}
	hr, nh := digitsAt(s, 1)
	if nh < 1 {
		return 0, 0, dtSyntax
	}
	n = 1 + nh
	var mi, sec int64
	if n < len(s) && s[n] == ':' {
		var k int
		mi, k = digitsAt(s, n+1)
		if k < 1 {
			return 0, 0, dtSyntax
		}
		n += 1 + k
		if n < len(s) && s[n] == ':' {
			sec, k = digitsAt(s, n+1)
			if k < 1 {
				return 0, 0, dtSyntax
			}
			n += 1 + k
		}
	} else if nh > 2 {
		hr, mi = hr/100, hr%100
	}
	if hr > 15 || mi > 59 || sec > 59 {
		return 0, 0, dtTZDisp
	}
	return sign * (hr*3600 + mi*60 + sec), n, dtOK
}

func dtError(e dtErr, typ string, s []byte, p parsedDT) error {
	switch e {
	case dtField:
		return sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	case dtFieldMD:
		return sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s).
			WithHint("Perhaps you need a different \"datestyle\" setting.")
	case dtRange:
		if typ == "date" {
			return sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "date out of range: \"%s\"", s)
		}
		return sqlerr.Errorf(sqlerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	case dtTZDisp:
		return sqlerr.Errorf(codeInvalidTZDisplacement, "time zone displacement out of range: \"%s\"", s)
	case dtZoneName:
		return sqlerr.Errorf(sqlerr.InvalidParameterValue, "time zone \"%s\" not recognized", p.badZone)
	}
	return sqlerr.Errorf(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", typ, s)
}

// codeInvalidTZDisplacement is invalid_time_zone_displacement_value.
const codeInvalidTZDisplacement = "22009"

// nowUS is the current time in µs since 2000-01-01 UTC ('now' as input).
func nowUS() int64 { return time.Now().UnixMicro() - unixEpoch2000*usPerSec }

// ParseDate parses a date to days since 2000-01-01 (PostgreSQL's date_in):
// Y-M-D, YYYYMMDD or three numbers in the session's field order, with an
// optional (ignored) time and time zone, BC/AD, and infinity, -infinity,
// epoch, today, tomorrow, yesterday (in the session's time zone).
func (dt DateTime) ParseDate(s []byte) (int64, error) {
	p, e := parseDateTime(s, dt.Order)
	switch e {
	case dtSpecial:
		if p.special < 0 {
			return DateNegInfinity, nil
		}
		return DatePosInfinity, nil
	case dtOK:
		if p.now || p.today {
			p.days = floorDiv(dt.TimeZone().ToLocal(nowUS()), usPerDay) + p.rel
		}
		if p.days < minDate || p.days >= endDate {
			return 0, dtError(dtRange, "date", s, p)
		}
		return p.days, nil
	}
	return 0, dtError(e, "date", s, p)
}

// ParseTimestamp parses a timestamp without time zone to µs since
// 2000-01-01 (timestamp_in): a date as ParseDate reads it, a time
// HH:MM[:SS[.ffffff]] after ' ' or 'T' (fractions round to µs), AM/PM, an
// ignored time zone, and the special values ('now' is the session's local
// time).
func (dt DateTime) ParseTimestamp(s []byte) (int64, error) {
	return dt.parseTimestamp(s, false)
}

// ParseTimestampTZ parses a timestamp with time zone to µs since
// 2000-01-01 UTC (timestamptz_in): as ParseTimestamp, and the local time
// is in the zone the literal names (an offset, an abbreviation such as
// CET, a zone such as Europe/Berlin) or else the session's.
func (dt DateTime) ParseTimestampTZ(s []byte) (int64, error) {
	return dt.parseTimestamp(s, true)
}

func (dt DateTime) parseTimestamp(s []byte, tz bool) (int64, error) {
	typ := "timestamp"
	if tz {
		typ = "timestamp with time zone"
	}
	p, e := parseDateTime(s, dt.Order)
	switch e {
	case dtSpecial:
		if p.special < 0 {
			return TimestampNegInfinity, nil
		}
		return TimestampPosInfinity, nil
	case dtOK:
		z := dt.TimeZone()
		switch {
		case p.now:
			if tz {
				return nowUS(), nil
			}
			return z.ToLocal(nowUS()), nil
		case p.today:
			p.days = floorDiv(z.ToLocal(nowUS()), usPerDay) + p.rel
		}
		if p.days < minTimestamp/usPerDay-1 || p.days > endTimestamp/usPerDay+1 {
			return 0, dtError(dtRange, "timestamp", s, p)
		}
		us := p.days*usPerDay + p.us
		if tz {
			switch {
			case p.epoch:
			case p.zk == zoneOffset:
				us -= p.off * usPerSec
			case p.zk == zoneNamed:
				us = p.zone.FromLocal(us)
			default:
				us = z.FromLocal(us)
			}
		}
		if us < minTimestamp || us >= endTimestamp {
			return 0, dtError(dtRange, "timestamp", s, p)
		}
		return us, nil
	}
	return 0, dtError(e, typ, s, p)
}

// ParseDate is DateTime.ParseDate with the default settings.
func ParseDate(s []byte) (int64, error) { return DateTime{}.ParseDate(s) }

// ParseTimestamp is DateTime.ParseTimestamp with the default settings.
func ParseTimestamp(s []byte) (int64, error) { return DateTime{}.ParseTimestamp(s) }
