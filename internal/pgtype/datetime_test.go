package pgtype

import "testing"

// TestTimestampTZInOut reads and prints timestamptz values in several
// sessions, with PostgreSQL 15's results (DST gaps and overlaps, LMT, BC,
// POSIX zones, every DateStyle).
func TestTimestampTZInOut(t *testing.T) {
	for _, c := range []struct{ zone, style, in, out string }{
		{"America/New_York", "", "2024-03-10 02:30", "2024-03-10 03:30:00-04"},
		{"America/New_York", "", "2024-11-03 01:30", "2024-11-03 01:30:00-05"},
		{"America/New_York", "", "2024-11-03 01:30 EDT", "2024-11-03 01:30:00-04"},
		{"America/New_York", "", "1850-01-01", "1850-01-01 00:00:00-04:56:02"},
		{"America/New_York", "", "0001-01-01 00:00 BC", "0001-01-01 00:00:00-04:56:02 BC"},
		{"Europe/Berlin", "", "2024-01-01 12:00 america/new_york", "2024-01-01 18:00:00+01"},
		{"Europe/Berlin", "", "2024-01-01 12:00+1:30", "2024-01-01 11:30:00+01"},
		{"Europe/Berlin", "", "2024-07-01 12:00 MSK", "2024-07-01 11:00:00+02"},
		{"+05:30", "", "2024-07-02 03:04:05.5+02", "2024-07-01 19:34:05.5-05:30"},
		{"5", "", "2024-07-02 03:04:05.5+02", "2024-07-02 06:04:05.5+05"},
		{"Asia/Kolkata", "SQL, DMY", "2024-01-31 13:45:00.25+00", "31/01/2024 19:15:00.25 IST"},
		{"Asia/Kolkata", "Postgres, MDY", "2024-01-31 13:45:00.25+00", "Wed Jan 31 19:15:00.25 2024 IST"},
		{"Asia/Kolkata", "German", "0044-03-15 12:00 BC", "15.03.0044 12:00:00 LMT BC"},
		{"UTC", "SQL, MDY", "03/04/2024 10:00", "03/04/2024 10:00:00 UTC"},
		{"XYZ3ABC", "", "2024-07-01 12:00+00", "2024-07-01 10:00:00-02"},
		{"America/New_York", "", "Wed Jan 31 19:15:00.25 2024 IST", "2024-01-31 12:15:00.25-05"},
		{"America/New_York", "", "January 8, 1999 4:05 PM", "1999-01-08 16:05:00-05"},
		{"America/New_York", "Postgres, DMY", "08-Jan-99 12:00 Europe/Berlin", "Fri 08 Jan 06:00:00 1999 EST"},
		{"<+11>-11<+12>,M10.1.0,M4.1.0/3", "", "2024-01-01 12:00+00", "2024-01-02 00:00:00+12"},
		{"UTC", "ISO, DMY", "03/04/24 10:00", "2024-04-03 10:00:00+00"},
	} {
		zone, err := LoadZone(c.zone)
		if err != nil {
			t.Fatalf("%s: %v", c.zone, err)
		}
		dt := DateTimeOf(zone.Name, c.style)
		us, err := dt.ParseTimestampTZ([]byte(c.in))
		if err != nil {
			t.Errorf("%s %q: %v", c.zone, c.in, err)
			continue
		}
		if got := string(dt.AppendTimestampTZ(nil, us)); got != c.out {
			t.Errorf("%s %s %q: %q, want %q", c.zone, c.style, c.in, got, c.out)
		}
	}
}

// TestTimeZoneNames checks the canonical spellings SHOW TimeZone prints.
func TestTimeZoneNames(t *testing.T) {
	for in, want := range map[string]string{
		"europe/berlin": "Europe/Berlin", "utc": "UTC", "5": "<+05>-05", "-3.5": "<-03:30>+03:30",
		"+05:30": "+05:30", "UTC+5": "UTC+5", "<+03>-03": "<+03>-03", "EST5EDT": "EST5EDT",
	} {
		z, err := LoadZone(in)
		if err != nil || z.Name != want {
			t.Errorf("%q: %v %v, want %q", in, z, err, want)
		}
	}
	for _, bad := range []string{"Z", "foo", "America/New_York ", "Local", ""} {
		if _, err := LoadZone(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
