package pgtype

import (
	"encoding/binary"
	"strconv"
)

// Intervals are held as the text "months days microseconds" (three
// integers, as the binder writes them): PostgreSQL's three fields, which
// it never normalizes into one another.

// ParseIntervalFields reads the fields of an interval's held form.
func ParseIntervalFields(b []byte) (months, days, micros int64) {
	var f [3]int64
	k := 0
	for i := 0; i < len(b) && k < 3; {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		j := i
		for j < len(b) && b[j] != ' ' {
			j++
		}
		f[k], _ = strconv.ParseInt(string(b[i:j]), 10, 64)
		k++
		i = j
	}
	return f[0], f[1], f[2]
}

// IntervalFields is the held form of an interval.
func IntervalFields(months, days, micros int64) string {
	return strconv.FormatInt(months, 10) + " " + strconv.FormatInt(days, 10) + " " + strconv.FormatInt(micros, 10)
}

// AppendInterval appends an interval (held form b) as PostgreSQL prints it
// with IntervalStyle postgres: "1 year 2 mons -3 days +04:05:06.5",
// "00:00:00" when zero (EncodeInterval).
func AppendInterval(dst []byte, b []byte) []byte {
	months, days, micros := ParseIntervalFields(b)
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			dst = append(dst, ' ')
		}
		if before && v > 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, v, 10)
		dst = append(dst, ' ')
		dst = append(dst, unit...)
		if v != 1 {
			dst = append(dst, 's')
		}
		before, zero = v < 0, false
	}
	part(months/12, "year")
	part(months%12, "mon")
	part(days, "day")
	if zero || micros != 0 {
		if !zero {
			dst = append(dst, ' ')
		}
		switch {
		case micros < 0:
			dst = append(dst, '-')
			micros = -micros
		case before:
			dst = append(dst, '+')
		}
		// Hours may pass 24: hh:mm:ss[.ffffff] of the rest.
		dst = appendPad(dst, micros/3_600_000_000, 2)
		dst = append(dst, ':')
		start := len(dst)
		dst = appendTimeOfDay(dst, micros%3_600_000_000) // "00:MM:SS[.f]"
		dst = append(dst[:start], dst[start+3:]...)
	}
	return dst
}

// AppendIntervalBinary appends interval_send's form: microseconds (int8),
// days (int4), months (int4).
func AppendIntervalBinary(dst []byte, b []byte) []byte {
	months, days, micros := ParseIntervalFields(b)
	dst = binary.BigEndian.AppendUint64(dst, uint64(micros))
	dst = binary.BigEndian.AppendUint32(dst, uint32(int32(days)))
	return binary.BigEndian.AppendUint32(dst, uint32(int32(months)))
}
