package coordinator

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// unitsError is a unit a setting does not take; its text lists the valid
// ones (PostgreSQL's hint).
type unitsError string

func (e unitsError) Error() string { return string(e) }

// splitUnit splits a setting value into its number and its unit (empty
// when none): "1.5 s" is 1.5 and "s".
func splitUnit(v string) (float64, string, error) {
	v = strings.TrimSpace(v)
	num, unit := v, ""
	if i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' }); i >= 0 {
		num, unit = strings.TrimSpace(v[:i]), strings.TrimSpace(v[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, "", errors.New("invalid number")
	}
	return f, unit, nil
}

// timeUnits are PostgreSQL's units for time settings (guc.c).
var timeUnits = []struct {
	name string
	d    time.Duration
}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"min", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}, {"us", time.Microsecond}}

// parseMillis parses a time setting whose base unit is the millisecond:
// a number (milliseconds) or a number and a unit (us, ms, s, min, h, d),
// rounded to whole milliseconds as PostgreSQL does.
func parseMillis(v string) (time.Duration, error) {
	f, unit, err := splitUnit(v)
	if err != nil {
		return 0, err
	}
	mult := time.Millisecond
	if unit != "" {
		found := false
		for _, u := range timeUnits {
			if u.name == unit {
				mult, found = u.d, true
			}
		}
		if !found {
			return 0, unitsError(`Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".`)
		}
	}
	ms := f * float64(mult) / float64(time.Millisecond)
	return time.Duration(roundHalfAway(ms)) * time.Millisecond, nil
}

func roundHalfAway(f float64) int64 {
	if f < 0 {
		return -int64(-f + 0.5)
	}
	return int64(f + 0.5)
}

// formatMillis shows a millisecond setting as PostgreSQL's SHOW does: in
// the largest unit that divides it exactly ("0" for zero).
func formatMillis(d time.Duration) string {
	ms := d.Milliseconds()
	if ms == 0 {
		return "0"
	}
	for _, u := range []struct {
		name string
		ms   int64
	}{{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}} {
		if ms%u.ms == 0 {
			return strconv.FormatInt(ms/u.ms, 10) + u.name
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// kbUnits are PostgreSQL's units for memory settings.
var kbUnits = []struct {
	name string
	kb   int64
}{{"TB", 1 << 30}, {"GB", 1 << 20}, {"MB", 1 << 10}, {"kB", 1}}

// parseKB parses a memory setting whose base unit is the kilobyte: a
// number (kB) or a number and a unit (B, kB, MB, GB, TB).
func parseKB(v string) (int64, error) {
	f, unit, err := splitUnit(v)
	if err != nil {
		return 0, err
	}
	switch {
	case unit == "":
		return roundHalfAway(f), nil
	case unit == "B":
		return roundHalfAway(f / 1024), nil
	}
	for _, u := range kbUnits {
		if u.name == unit {
			return roundHalfAway(f * float64(u.kb)), nil
		}
	}
	return 0, unitsError(`Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".`)
}

// formatKB shows a memory setting as SHOW does: in the largest unit that
// divides it exactly.
func formatKB(kb int64) string {
	for _, u := range kbUnits {
		if kb != 0 && kb%u.kb == 0 {
			return strconv.FormatInt(kb/u.kb, 10) + u.name
		}
	}
	return strconv.FormatInt(kb, 10) + "kB"
}
