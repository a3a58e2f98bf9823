package pgtype

import (
	"encoding/binary"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	// The IANA database inside the binary, for machines without
	// /usr/share/zoneinfo (time.LoadLocation falls back to it).
	_ "time/tzdata"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// Zone is a time zone as PostgreSQL's TimeZone setting names one: an IANA
// zone (Europe/Berlin, with its history and rules), a POSIX-style fixed
// offset (<+05>-05, UTC+5, +05:30) or UTC. Offsets are seconds east of
// Greenwich (ISO 8601's sign), the opposite of POSIX's.
type Zone struct {
	// Name is the setting's canonical spelling, as SHOW prints it.
	Name string
	loc  *time.Location // nil: the fixed offset off
	off  int64
	abbr string
}

// UTC is the zone of a session that set none.
var UTC = &Zone{Name: "UTC", abbr: "UTC"}

// unixEpoch2000 is 2000-01-01 00:00:00 UTC in Unix seconds.
const unixEpoch2000 = 946684800

// Offset returns the zone's offset (seconds east) and abbreviation at the
// instant us (µs since 2000-01-01 UTC).
func (z *Zone) Offset(us int64) (off int64, abbr string) {
	if z.loc == nil {
		return z.off, z.abbr
	}
	name, o := time.Unix(floorDiv(us, usPerSec)+unixEpoch2000, 0).In(z.loc).Zone()
	return int64(o), name
}

// Fixed reports whether the zone has one offset at all times, and which.
func (z *Zone) Fixed() (off int64, ok bool) { return z.off, z.loc == nil }

// ToLocal converts the instant us to the zone's local wall time (µs since
// 2000-01-01, as a timestamp without time zone holds it).
func (z *Zone) ToLocal(us int64) int64 {
	off, _ := z.Offset(us)
	return us + off*usPerSec
}

// FromLocal converts a local wall time (µs since 2000-01-01) to the instant
// it names in the zone, resolving transitions as PostgreSQL's
// DetermineTimeZoneOffset does: a time skipped by a spring-forward
// transition takes the offset before it (02:30 becomes 03:30 summer time),
// and a time repeated by a fall-back transition the offset after it.
func (z *Zone) FromLocal(local int64) int64 {
	return local - z.LocalOffset(local)*usPerSec
}

// LocalOffset is the offset (seconds east) FromLocal applies to local.
func (z *Zone) LocalOffset(local int64) int64 {
	if z.loc == nil {
		return z.off
	}
	l := floorDiv(local, usPerSec) + unixEpoch2000 // wall seconds, read as UTC
	_, guess := time.Unix(l, 0).In(z.loc).Zone()
	type period struct {
		off        int64
		start, end int64 // [start, end) in Unix seconds; MinInt64/MaxInt64 when unbounded
	}
	at := func(u int64) period {
		t := time.Unix(u, 0).In(z.loc)
		_, o := t.Zone()
		s, e := t.ZoneBounds()
		p := period{off: int64(o), start: math.MinInt64, end: math.MaxInt64}
		if !s.IsZero() {
			p.start = s.Unix()
		}
		if !e.IsZero() {
			p.end = e.Unix()
		}
		return p
	}
	valid := func(p period) bool { u := l - p.off; return u >= p.start && u < p.end }
	// choose is PostgreSQL's rule for a local time that two periods
	// (before and after a transition) both or neither claim: "before" when
	// its reading is the later instant (a skipped time, spring forward),
	// else "after" (a repeated time, fall back).
	choose := func(before, after int64) int64 {
		if l-before > l-after {
			return before
		}
		return after
	}
	cur := at(l - int64(guess))
	var prev, next period
	hasPrev, hasNext := cur.start != math.MinInt64, cur.end != math.MaxInt64
	if hasPrev {
		prev = at(cur.start - 1)
	}
	if hasNext {
		next = at(cur.end)
	}
	vp, vc, vn := hasPrev && valid(prev), valid(cur), hasNext && valid(next)
	switch {
	case vc && vn:
		return choose(cur.off, next.off)
	case vp && vc:
		return choose(prev.off, cur.off)
	case vc:
		return cur.off
	case vn:
		return next.off
	case vp:
		return prev.off
	case hasPrev && l-cur.off < cur.start:
		return choose(prev.off, cur.off)
	case hasNext:
		return choose(cur.off, next.off)
	}
	return cur.off
}

// zoneCache holds the zones loaded by name (LoadLocation reads and parses
// a file each time).
var zoneCache sync.Map // string → *Zone

// LoadZone returns the zone a TimeZone setting names, with its canonical
// spelling. It accepts what PostgreSQL's check_timezone accepts: a number
// of hours (possibly fractional: "5", "-3.5", east of Greenwich), an IANA
// zone name in any letter case ("europe/berlin" is Europe/Berlin), and a
// POSIX zone with a fixed offset ("UTC+5", "<+03>-03", "+05:30", west of
// Greenwich). An unknown name is 22023, as SET reports it.
func LoadZone(name string) (*Zone, error) {
	if z, ok := zoneCache.Load(name); ok {
		return z.(*Zone), nil
	}
	z := loadZone(name)
	if z == nil {
		return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", "TimeZone", name)
	}
	zoneCache.Store(name, z)
	return z, nil
}

// MustZone is LoadZone for a name that was checked before (a setting's
// canonical value); a name that no longer loads is UTC.
func MustZone(name string) *Zone {
	if name == "" {
		return UTC
	}
	z, err := LoadZone(name)
	if err != nil {
		return UTC
	}
	return z
}

func loadZone(name string) *Zone {
	if name == "" {
		return nil
	}
	if h, err := strconv.ParseFloat(name, 64); err == nil && !strings.ContainsAny(name, "xXeEnN") {
		// A number of hours east, as SET TIME ZONE 5 gives.
		if math.Abs(h) >= 168 {
			return nil
		}
		return HoursZone(h)
	}
	if canon, ok := zoneName(name); ok {
		if loc, err := time.LoadLocation(canon); err == nil {
			return &Zone{Name: canon, loc: loc}
		}
	}
	if off, abbr, ok := parsePosixFixed(name); ok {
		return &Zone{Name: name, off: off, abbr: abbr}
	}
	if loc := posixRules(name); loc != nil {
		return &Zone{Name: name, loc: loc}
	}
	return nil
}

// posixTZ matches a POSIX TZ string with daylight saving time: std offset
// dst [offset] [,start[/time],end[/time]].
var posixTZ = regexp.MustCompile(`^(<[^<>]+>|[A-Za-z]{3,})[+-]?\d{1,3}(:\d{1,2}){0,2}(<[^<>]+>|[A-Za-z]{3,})([+-]?\d{1,3}(:\d{1,2}){0,2})?(,(M\d{1,2}\.\d\.\d|J?\d{1,3})(/[+-]?\d{1,3}(:\d{1,2}){0,2})?,(M\d{1,2}\.\d\.\d|J?\d{1,3})(/[+-]?\d{1,3}(:\d{1,2}){0,2})?)?$`)

// posixRules loads a POSIX TZ string with daylight saving time
// ("EST5EDT,M3.2.0,M11.1.0"; without rules, the United States' current
// ones, as PostgreSQL's posixrules give) as a location: a TZif file of one
// transition whose footer is the string, which Go's time package follows.
func posixRules(s string) *time.Location {
	if !posixTZ.MatchString(s) {
		return nil
	}
	std := s
	if i := strings.IndexAny(s[1:], "+-0123456789"); i >= 0 {
		std = s[:i+1]
	}
	std = strings.Trim(std, "<>")
	var b []byte
	u32 := func(v uint32) { b = binary.BigEndian.AppendUint32(b, v) }
	header := func() {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []uint32{0, 0, 0, 1, 1, uint32(len(std) + 1)} { // isut, isstd, leap, time, type, char
			u32(n)
		}
	}
	var first int64 = -1 << 40 // one transition, long before any date
	header()
	u32(1 << 31) // v1 data: 4-byte time, the earliest
	b = append(b, 0)
	u32(0)
	b = append(b, 0, 0)
	b = append(b, std...)
	b = append(b, 0)
	header()
	b = binary.BigEndian.AppendUint64(b, uint64(first))
	b = append(b, 0)
	u32(0)
	b = append(b, 0, 0)
	b = append(b, std...)
	b = append(b, 0)
	b = append(b, '\n')
	b = append(b, s...)
	b = append(b, '\n')
	loc, err := time.LoadLocationFromTZData(s, b)
	if err != nil {
		return nil
	}
	return loc
}

// HoursZone is the zone SET TIME ZONE gives for a number of hours east of
// Greenwich: PostgreSQL names it as the POSIX zone "<+05:30>-05:30".
func HoursZone(h float64) *Zone { return OffsetZone(int64(math.Round(h * 3600))) }

// OffsetZone is the zone of a fixed offset (seconds east) as SET TIME
// ZONE names one.
func OffsetZone(secs int64) *Zone {
	abbr := FormatOffset(nil, secs)
	return &Zone{Name: "<" + string(abbr) + ">" + string(FormatOffset(nil, -secs)), off: secs, abbr: string(abbr)}
}

// FormatOffset appends an offset (seconds east) as PostgreSQL prints one:
// "+00", "+05", "-03:30", "+00:53:28".
func FormatOffset(dst []byte, secs int64) []byte {
	if secs < 0 {
		dst = append(dst, '-')
		secs = -secs
	} else {
		dst = append(dst, '+')
	}
	dst = appendPad(dst, secs/3600, 2)
	if m, s := secs/60%60, secs%60; m != 0 || s != 0 {
		dst = append(dst, ':')
		dst = appendPad(dst, m, 2)
		if s != 0 {
			dst = append(dst, ':')
			dst = appendPad(dst, s, 2)
		}
	}
	return dst
}

// parsePosixFixed parses a POSIX TZ string without daylight saving time:
// std offset, where std is three or more letters or <...> and offset is
// [+-]hh[:mm[:ss]] west of Greenwich; PostgreSQL also takes a bare offset
// ("+05:30"). It returns the offset east and the abbreviation.
func parsePosixFixed(s string) (off int64, abbr string, ok bool) {
	i := 0
	switch {
	case strings.HasPrefix(s, "<"):
		j := strings.IndexByte(s, '>')
		if j < 0 {
			return 0, "", false
		}
		abbr, i = s[1:j], j+1
	default:
		for i < len(s) && isAlpha(s[i]) {
			i++
		}
		if i > 0 && i < 3 {
			return 0, "", false
		}
		abbr = s[:i]
	}
	rest := s[i:]
	if rest == "" {
		return 0, "", false
	}
	sign := int64(1)
	switch rest[0] {
	case '+':
		rest = rest[1:]
	case '-':
		sign, rest = -1, rest[1:]
	}
	var parts [3]int64
	for k := 0; ; k++ {
		n := 0
		for n < len(rest) && n < 3 && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 || k == 3 {
			return 0, "", false
		}
		parts[k], _ = strconv.ParseInt(rest[:n], 10, 64)
		rest = rest[n:]
		if rest == "" {
			break
		}
		if rest[0] != ':' {
			return 0, "", false // a daylight-saving part: not supported
		}
		rest = rest[1:]
	}
	if parts[0] > 167 || parts[1] > 59 || parts[2] > 59 {
		return 0, "", false
	}
	west := sign * (parts[0]*3600 + parts[1]*60 + parts[2])
	if abbr == "" {
		abbr = string(FormatOffset(nil, -west))
	}
	return -west, abbr, true
}

// zoneDir is where the IANA database is on this machine (PostgreSQL on
// Debian reads the same files).
func zoneDir() string {
	if d := os.Getenv("ZONEINFO"); d != "" {
		return d
	}
	return "/usr/share/zoneinfo"
}

var zoneNames struct {
	once sync.Once
	m    map[string]string // lower case → canonical
}

// zoneName returns the canonical spelling of an IANA zone name, matched
// without regard to letter case as PostgreSQL matches it.
func zoneName(name string) (string, bool) {
	if name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return "", false
	}
	zoneNames.once.Do(func() {
		zoneNames.m = map[string]string{}
		dir := zoneDir()
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			if strings.ContainsAny(rel, ".") || rel == "posixrules" || rel == "localtime" {
				return nil
			}
			zoneNames.m[strings.ToLower(rel)] = rel
			return nil
		})
	})
	if c, ok := zoneNames.m[strings.ToLower(name)]; ok {
		return c, true
	}
	if len(zoneNames.m) == 0 {
		// No database on disk: the embedded one, spelled exactly.
		if _, err := time.LoadLocation(name); err == nil {
			return name, true
		}
	}
	return "", false
}

// abbrevZones caches the fixed zones of the abbreviations.
var abbrevZones sync.Map // string → *Zone

// ZoneForName returns the zone AT TIME ZONE and date_trunc's zone argument
// name, as PostgreSQL's timestamptz_zone reads it: a time zone
// abbreviation (PST, CET, UTC; any letter case), else an IANA zone name or
// a POSIX zone ('+05' is five hours west of Greenwich, '<+05>-05' east).
// Anything else is 22023, time zone "x" not recognized.
func ZoneForName(name string) (*Zone, error) {
	lower := strings.ToLower(name)
	if z, ok := abbrevZones.Load(lower); ok {
		return z.(*Zone), nil
	}
	if off, ok := zoneAbbrevs[lower]; ok {
		z := &Zone{Name: strings.ToUpper(name), off: int64(off), abbr: strings.ToUpper(name)}
		abbrevZones.Store(lower, z)
		return z, nil
	}
	if zn, ok := zoneAbbrevZones[lower]; ok {
		return MustZone(zn), nil
	}
	if canon, ok := zoneName(name); ok {
		if z, err := LoadZone(canon); err == nil {
			return z, nil
		}
	}
	if off, abbr, ok := parsePosixFixed(name); ok {
		return &Zone{Name: name, off: off, abbr: abbr}, nil
	}
	return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "time zone %q not recognized", name)
}
