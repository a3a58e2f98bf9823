package dbgen

import (
	"strconv"
	"time"
)

const (
	totDates    = 2557 // days from 1992-01-01 to 1998-12-31
	currentDate = 1263 // 1995-06-17, days after 1992-01-01
)

// dates[i] is the ISO form of 1992-01-01 plus i days.
var dates = func() [totDates][10]byte {
	var d [totDates][10]byte
	t0 := time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range d {
		copy(d[i][:], t0.AddDate(0, 0, i).Format("2006-01-02"))
	}
	return d
}()

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appendPadded appends v zero-padded to at least width digits (v >= 0).
func appendPadded(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendMoney appends cents as dollars with two decimals, the way dbgen prints
// money (through a 32-bit int).
func appendMoney(b []byte, v int64) []byte {
	c := int64(int32(v))
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	r := c % 100
	return append(b, '.', byte('0'+r/10), byte('0'+r%10))
}

const alphaNum = "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,"

// appendRandomString appends dbgen's a_rnd: a length drawn in [min, max], then
// characters of alphaNum taken 6 bits at a time from one draw per 5 characters.
func appendRandomString(b []byte, s *stream, min, max int64) []byte {
	n := s.unif(min, max)
	var bits int64
	for i := int64(0); i < n; i++ {
		if i%5 == 0 {
			bits = s.unifMaxLong()
		}
		b = append(b, alphaNum[bits&63])
		bits >>= 6
	}
	return b
}

// appendPhone appends a phone number for nation n: country code 10+n, then
// three drawn groups.
func appendPhone(b []byte, s *stream, n int64) []byte {
	acode := s.unif(100, 999)
	exchg := s.unif(100, 999)
	number := s.unif(1000, 9999)
	b = appendPadded(b, 10+n%90, 2)
	b = append(b, '-')
	b = appendPadded(b, acode, 3)
	b = append(b, '-')
	b = appendPadded(b, exchg, 3)
	b = append(b, '-')
	return appendPadded(b, number, 4)
}
