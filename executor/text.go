package executor

// Calendar arithmetic for dates (days since 2000-01-01) and timestamps (µs
// since 2000-01-01 00:00:00). Text input and output of every type is
// internal/pgtype's.

// postgresEpochDays is 2000-01-01 in days since 1970-01-01.
const postgresEpochDays = 10957

const usecPerDay = 86_400_000_000

// daysFromCivil returns days since 2000-01-01 of a proleptic Gregorian date
// (H. Hinnant's algorithm; year 0 is 1 BC).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 - postgresEpochDays
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468 + postgresEpochDays
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
