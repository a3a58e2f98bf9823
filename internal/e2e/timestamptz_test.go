package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// tzZones are the session time zones TestPgxTimestampTZDifferential runs
// under: both hemispheres' daylight saving rules, offsets of 30 and 45
// minutes, a 30-minute DST (Lord Howe), zones whose rules changed (Moscow,
// Apia's skipped day, Casablanca), local mean time before 1900, and the
// POSIX and numeric forms SET TIME ZONE takes.
var tzZones = []string{
	"UTC", "America/New_York", "America/Los_Angeles", "America/Sao_Paulo", "America/St_Johns",
	"Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo",
	"Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Apia",
	"Africa/Casablanca", "EST5EDT", "<+03>-03", "UTC+5", "+05:30", "-7", "5.5",
}

// tzInstants are the instants of the test table: the hours around this
// century's DST changes of several zones, and instants spread over
// 1850-2100 (seeded, so every run sees the same ones).
func tzInstants() []time.Time {
	var out []time.Time
	for _, edge := range []string{
		"2024-03-10T07:00:00Z", "2024-11-03T06:00:00Z", // New York
		"2024-03-31T01:00:00Z", "2024-10-27T01:00:00Z", // Europe
		"2024-04-06T16:00:00Z", "2024-10-05T16:00:00Z", // Sydney
		"2024-04-06T15:00:00Z", "2024-10-05T15:30:00Z", // Lord Howe
		"2011-12-30T10:00:00Z", // Apia skips 2011-12-30
		"2011-03-26T23:00:00Z", // Moscow's last DST start
	} {
		t, _ := time.Parse(time.RFC3339, edge)
		for d := -90 * time.Minute; d <= 90*time.Minute; d += 30 * time.Minute {
			out = append(out, t.Add(d))
		}
	}
	r := rand.New(rand.NewPCG(6, 1184))
	lo, hi := time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for range 40 {
		out = append(out, time.UnixMicro(lo+r.Int64N(hi-lo)).UTC())
	}
	return out
}

// TestPgxTimestampTZDifferential compares timestamp with time zone with
// PostgreSQL 15 through pgx's five query-exec modes (text and binary
// results, binary time.Time parameters and text ones) in many session
// time zones: output, casts to and from timestamp and date, EXTRACT,
// date_trunc, interval arithmetic, differences (intervals, in text and
// binary) and AT TIME ZONE over a table of
// instants around DST transitions and spread over two and a half
// centuries, and the reading of local times the zones skip or repeat.
func TestPgxTimestampTZDifferential(t *testing.T) {
	var rows []string
	for i, at := range tzInstants() {
		rows = append(rows, fmt.Sprintf("(%d, '%s+00', '%s')", i, at.Format("2006-01-02 15:04:05.999999"), at.Format("2006-01-02 15:04:05.999999")))
	}
	dsns := pgxTargets(t, "pgxtstz",
		"CREATE TABLE tzi (k integer, t timestamptz, ts timestamp)",
		"INSERT INTO tzi VALUES "+strings.Join(rows, ", "))
	instant := time.Date(2024, 3, 10, 7, 30, 0, 123456000, time.UTC)
	var queries []pgxQuery
	for _, z := range tzZones {
		queries = append(queries,
			pgxQuery{"SET TIME ZONE '" + z + "'", nil},
			pgxQuery{"SELECT current_setting('TimeZone')", nil},
			pgxQuery{"SELECT k, t, t::timestamp, t::date, ts::timestamptz, t::text FROM tzi ORDER BY k", nil},
			pgxQuery{"SELECT k, extract(hour FROM t), extract(epoch FROM t), extract(timezone FROM t), extract(dow FROM t) FROM tzi ORDER BY k", nil},
			pgxQuery{"SELECT k, date_trunc('day', t), date_trunc('hour', t), date_trunc('month', t), t + interval '1 day', t - interval '1 month 30 minutes' FROM tzi ORDER BY k", nil},
			pgxQuery{"SELECT k, t AT TIME ZONE 'UTC', ts AT TIME ZONE 'America/Chicago', t AT TIME ZONE 'Asia/Kathmandu' FROM tzi ORDER BY k", nil},
			pgxQuery{"SELECT t::date, count(*), min(t), max(ts) FROM tzi GROUP BY t::date ORDER BY 1 LIMIT 30", nil},
			pgxQuery{"SELECT $1::timestamptz, $2::timestamptz, $3::timestamptz", []any{instant, "2024-03-10 02:30", "2024-11-03 01:30:00.5"}},
			pgxQuery{"SELECT k FROM tzi WHERE t >= $1 AND t < $2::timestamptz + interval '1 day' ORDER BY k", []any{instant, "2024-10-27 00:00"}},
			pgxQuery{"SELECT k, t - $1, ts - '2000-01-01', t - ts FROM tzi ORDER BY t - $1, k", []any{instant}},
		)
	}
	comparePgxModes(t, dsns, queries)
}

// TestCopyTimestampTZDifferential loads timestamptz, timestamp and date
// columns with COPY FROM in text, CSV and binary (the binary rows as
// PostgreSQL itself writes them) under one session zone and DateStyle, and
// copies them out in every format under others, against PostgreSQL 15:
// the data, tags and errors must be identical.
func TestCopyTimestampTZDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("copytstz_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	text := "1\t2024-01-02 03:04:05+02\t2024-01-02 03:04:05\t2024-01-02\n" +
		"2\t2024-03-10 02:30\t2024-03-10 02:30\t03/10/2024\n" +
		"3\t\\N\t\\N\t\\N\n" +
		"4\t0044-03-15 12:00 BC\t0044-03-15 12:00 BC\t0044-03-15 BC\n" +
		"5\tJanuary 8, 1999 4:05 PM Europe/Berlin\t1999-01-08 16:05\tJan 8 1999\n" +
		"6\tinfinity\t-infinity\tinfinity\n"
	csv := "7,\"2024-11-03 01:30:00.5 EDT\",2024-11-03 01:30:00.5,2024-11-03\n8,2024-11-03 01:30,,\n"
	outs := make([][]string, 2)
	var binaryRows []byte
	for i, d := range []string{pg.DSN(db), dsn(c)} { // PostgreSQL first: it writes the binary rows
		conn, err := pgconn.Connect(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		code := func(err error) string {
			if err == nil {
				return "ok"
			}
			return sqlstate(err)
		}
		exec := func(sql string) string {
			_, err := conn.Exec(ctx, sql).ReadAll()
			return code(err)
		}
		copyIn := func(data []byte, sql string) string {
			tag, err := conn.CopyFrom(ctx, bytes.NewReader(data), sql)
			return sql + ": " + tag.String() + " " + code(err)
		}
		out := &outs[i]
		for _, sql := range []string{
			"SET TIME ZONE 'America/New_York'", "SET DateStyle = 'ISO, MDY'",
			"CREATE TABLE ctz (k integer, t timestamptz, ts timestamp, d date)",
			"CREATE TABLE ctz2 (k integer, t timestamptz, ts timestamp, d date)",
		} {
			*out = append(*out, sql+": "+exec(sql))
		}
		*out = append(*out,
			copyIn([]byte(text), "COPY ctz FROM STDIN"),
			copyIn([]byte(csv), "COPY ctz FROM STDIN (FORMAT csv)"),
			copyIn([]byte("9\t2024-01-01 12:00+16\t\\N\t\\N\n"), "COPY ctz FROM STDIN"),
			copyIn([]byte("9\t2024-02-30 12:00\t\\N\t\\N\n"), "COPY ctz FROM STDIN"),
		)
		if i == 0 {
			r := runCopyTo(ctx, conn, "COPY (SELECT * FROM ctz ORDER BY k) TO STDOUT (FORMAT binary)")
			binaryRows = r.data
		}
		*out = append(*out, copyIn(binaryRows, "COPY ctz2 FROM STDIN (FORMAT binary)"))
		for _, setting := range []string{"SET TIME ZONE 'Asia/Kolkata'", "SET DateStyle = 'SQL, DMY'", "SET TIME ZONE 'Australia/Lord_Howe'"} {
			*out = append(*out, setting+": "+exec(setting))
			for _, format := range []string{"text", "csv", "binary"} {
				for _, tab := range []string{"ctz", "ctz2"} {
					sql := "COPY (SELECT * FROM " + tab + " ORDER BY k) TO STDOUT (FORMAT " + format + ")"
					r := runCopyTo(ctx, conn, sql)
					*out = append(*out, fmt.Sprintf("%s: %s %s %q", sql, r.tag, r.code, r.data))
				}
			}
		}
	}
	if len(binaryRows) == 0 {
		t.Fatal("PostgreSQL wrote no binary rows")
	}
	want, got := outs[0], outs[1]
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("step %d:\ncirrus:   %s\npostgres: %s", i, g, w)
		}
	}
}
