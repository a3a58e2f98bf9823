package executor

import "github.com/cirrusdb/cirrus/internal/pgtype"

// Calendar arithmetic for dates (days since 2000-01-01) and timestamps (µs
// since 2000-01-01 00:00:00). Text input and output of every type is
// internal/pgtype's.

// postgresEpochDays is 2000-01-01 in days since 1970-01-01.
const postgresEpochDays = 10957

const usecPerDay = 86_400_000_000

// daysFromCivil and civilFromDays convert between dates and days since
// 2000-01-01 (shared with the text codecs).
func daysFromCivil(y, m, d int64) int64     { return pgtype.DaysFromCivil(y, m, d) }
func civilFromDays(z int64) (y, m, d int64) { return pgtype.CivilFromDays(z) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
