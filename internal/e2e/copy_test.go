package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/sqllogic"
)

// allTypesDDL creates a table with a column of every type Cirrus stores
// and allTypesRows fills it: extremes, NULLs, special floats, strings that
// need escaping or quoting in every COPY format.
const allTypesDDL = `CREATE TABLE alltypes (k integer, i2 smallint, i4 integer, i8 bigint, n numeric(15,2),
	n18 numeric(18,6), r real, d double precision, t text, vc varchar(10), c char(3), b boolean, dt date, ts timestamp)`

const allTypesRows = `INSERT INTO alltypes VALUES
 (1, 1, 1, 1, 1.50, 123456789012.345678, 1.5, 0.1, 'plain', 'v', 'ab', true, '2024-02-29', '2024-02-29 13:45:00.25'),
 (2, -32768, -2147483648, -9223372036854775808, -9999999999999.99, -0.000001, -3.4e38, 1e-300, E'tab\there', 'a,b"c', 'x', false, '0044-03-15 BC', '1999-12-31 23:59:59.999999'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 0, 0, 0, 0, 0, 'NaN', 'Infinity', '', '', ' ', NULL, '4713-01-01 BC', '9999-12-31 23:59:59.999999'),
 (5, 32767, 2147483647, 9223372036854775807, 0.01, 1, 1e-7, -1.2345678901234567e-100, E'back\\slash\nnl\r\u00e9', '\.', 'é', true, '1970-01-01', '2000-01-01 00:00:00'),
 (6, 7, 8, 9, -0.01, 999999999999.999999, 'Infinity', '-Infinity', 'NULL', '"q"', 'abc', true, '2000-01-01', '1900-06-15 12:00:00.000001'),
 (7, 1, 2, 3, 4.00, 5.5, 6.25, 7.125, E'\\.', E'\x01\x7f', 'a"b', false, '2001-02-03', '2001-02-03 04:05:06')`

// copyTarget is one server of a differential COPY test.
type copyTarget struct {
	name string
	conn *pgconn.PgConn
}

// copyResult is what a COPY TO returned: its data, tag and SQLSTATE.
type copyResult struct {
	data []byte
	tag  string
	code string
}

func runCopyTo(ctx context.Context, conn *pgconn.PgConn, sql string) copyResult {
	var buf bytes.Buffer
	tag, err := conn.CopyTo(ctx, &buf, sql)
	var r copyResult
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			r.code = pe.Code
		} else {
			r.code = "client: " + err.Error()
		}
		return r
	}
	r.data, r.tag = buf.Bytes(), tag.String()
	return r
}

// startCopyTargets starts a Cirrus cluster and a PostgreSQL database, both
// holding the TPC-H data at SF 0.01 and the all-types table.
func startCopyTargets(t *testing.T) []copyTarget {
	t.Helper()
	if err := sqllogic.DatasetAvailable(sqllogic.DatasetTPCH); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("copy_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var targets []copyTarget
	for _, d := range []struct{ name, dsn string }{{"cirrus", dsn(c)}, {"postgres", pg.DSN(db)}} {
		conn, err := pgconn.Connect(ctx, d.dsn)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		if err := sqllogic.LoadDataset(ctx, conn, sqllogic.DatasetTPCH); err != nil {
			t.Fatalf("%s: load TPC-H: %v", d.name, err)
		}
		for _, sql := range []string{allTypesDDL, allTypesRows} {
			if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
				t.Fatalf("%s: %s: %v", d.name, sql, err)
			}
		}
		targets = append(targets, copyTarget{d.name, conn})
	}
	return targets
}

// TestCopyToDifferential runs COPY … TO STDOUT in every format on Cirrus and
// PostgreSQL 15 and requires byte-identical output (rows of a whole-table
// COPY, whose order a table does not define, are compared sorted), the same
// tags and, for bad statements, the same SQLSTATEs.
func TestCopyToDifferential(t *testing.T) {
	targets := startCopyTargets(t)
	ctx := context.Background()
	type copyCase struct {
		sql string
		// unordered: the rows' order is not defined; compare them sorted.
		unordered bool
	}
	var cases []copyCase
	for _, tab := range []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"} {
		for _, opts := range []string{"", " (FORMAT csv, HEADER)", " (FORMAT binary)", " (FORMAT csv, FORCE_QUOTE *, DELIMITER '|', QUOTE '''')"} {
			cases = append(cases, copyCase{"COPY " + tab + " TO STDOUT" + opts, true})
		}
	}
	ordered := "(SELECT * FROM alltypes ORDER BY k)"
	for _, opts := range []string{
		"", "(FORMAT text)", "(FORMAT text, HEADER)", "(FORMAT text, DELIMITER '|', NULL 'nil')", "(FORMAT text, DELIMITER ',')",
		"(FORMAT csv)", "(FORMAT csv, HEADER true)", "(FORMAT csv, NULL 'NULL')", "(FORMAT csv, FORCE_QUOTE *)",
		"(FORMAT csv, FORCE_QUOTE (t, vc, k), NULL '\\N')", "(FORMAT csv, QUOTE '''', ESCAPE '\\')", "(FORMAT csv, DELIMITER E'\\t')",
		"(FORMAT csv, DELIMITER ';', HEADER 1)", "(FORMAT binary)", "(FORMAT 'binary')", "(ENCODING 'UTF8')", "CSV HEADER FORCE QUOTE t",
		"WITH BINARY",
	} {
		cases = append(cases, copyCase{"COPY " + ordered + " TO STDOUT " + opts, false})
	}
	cases = append(cases,
		copyCase{"COPY alltypes TO STDOUT", true},
		copyCase{"COPY alltypes (t, k, ts) TO STDOUT (FORMAT csv, FORCE_QUOTE (t))", true},
		copyCase{"COPY public.alltypes (k) TO STDOUT (FORMAT binary)", true},
		copyCase{"COPY (SELECT t FROM alltypes ORDER BY k) TO STDOUT (FORMAT csv)", false},
		copyCase{"COPY (SELECT k, n / 3 AS third, n18 * n18 AS sq FROM alltypes ORDER BY k) TO STDOUT (FORMAT csv, HEADER)", false},
		copyCase{"COPY (SELECT k, n / 3 AS third, n18 * n18 AS sq FROM alltypes ORDER BY k) TO STDOUT (FORMAT binary)", false},
		copyCase{"COPY (SELECT 1 AS a, 'x' AS a) TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE (a))", false},
		copyCase{"COPY (SELECT * FROM alltypes WHERE false) TO STDOUT (FORMAT binary)", false},
		copyCase{"COPY (SELECT * FROM alltypes WHERE false) TO STDOUT (FORMAT csv, HEADER)", false},
		copyCase{"COPY (SELECT l_orderkey, l_linenumber, l_extendedprice, l_discount, l_shipdate, l_comment FROM lineitem ORDER BY 1, 2) TO STDOUT (FORMAT binary)", false},
		copyCase{"COPY (SELECT o_orderkey, o_totalprice / 7, o_orderdate, o_comment FROM orders ORDER BY 1) TO STDOUT", false},
		copyCase{"COPY (SELECT r_name, count(*) FROM region, nation WHERE r_regionkey = n_regionkey GROUP BY r_name ORDER BY 1) TO STDOUT (FORMAT csv, HEADER)", false},
		copyCase{"COPY (SELECT 1 / 0) TO STDOUT", false},
	)
	// Errors: option checks in PostgreSQL's order, bad names.
	for _, opts := range []string{
		"(FORMAT binary, HEADER)", "(FORCE_QUOTE (k))", "(FORMAT csv, FORCE_QUOTE (zz))", "(FORMAT csv, FORCE_NOT_NULL (k))",
		"(FORMAT csv, FORCE_NULL (k))", "(FORMAT csv, DELIMITER 'ab')", "(FORMAT csv, DELIMITER '\"')", "(FORMAT csv, QUOTE 'ab')",
		"(FORMAT text, QUOTE '\"')", "(FORMAT text, ESCAPE '\"')", "(FORMAT csv, NULL E'\\n')", "(FORMAT text, DELIMITER '\\')",
		"(FORMAT csv, NULL ',')", "(FORMAT csv, NULL '\"')", "(FORMAT foo)", "(FORMAT csv, FORMAT csv)", "(BOGUS 1)", "(HEADER match)",
		"(FORMAT csv, HEADER 2)", "(FORMAT binary, DELIMITER ',')", "(FORMAT binary, NULL 'x')", "(ENCODING 'nope')",
		"(FORCE_QUOTE 'k')", "(FORMAT csv, FORCE_QUOTE (k, k))", "(FORMAT csv, DELIMITER E'\\r')", "(DELIMITER 'a')",
	} {
		cases = append(cases, copyCase{"COPY alltypes TO STDOUT " + opts, false})
	}
	cases = append(cases,
		copyCase{"COPY alltypes (k, k) TO STDOUT", false},
		copyCase{"COPY alltypes (zz) TO STDOUT", false},
		copyCase{"COPY alltypes (k) TO STDOUT (FORMAT csv, FORCE_QUOTE (t))", false},
		copyCase{"COPY nosuch TO STDOUT", false},
		copyCase{"COPY (SELECT nosuch FROM alltypes) TO STDOUT", false},
		copyCase{"COPY (SELECT 1 AS a) TO STDOUT (FORMAT csv, FORCE_QUOTE (b))", false},
	)
	var compared int
	for _, tc := range cases {
		var results []copyResult
		for _, tg := range targets {
			r := runCopyTo(ctx, tg.conn, tc.sql)
			if tc.unordered && r.code == "" {
				r.data = sortCopyRows(t, r.data, strings.Contains(tc.sql, "binary"), strings.Contains(tc.sql, "HEADER"))
			}
			results = append(results, r)
		}
		want, got := results[1], results[0]
		if got.code != want.code || got.tag != want.tag {
			t.Errorf("%s:\ncirrus:   tag %q, SQLSTATE %q\npostgres: tag %q, SQLSTATE %q", tc.sql, got.tag, got.code, want.tag, want.code)
			continue
		}
		compared += len(want.data)
		if !bytes.Equal(got.data, want.data) {
			t.Errorf("%s: output differs (cirrus %d bytes, postgres %d bytes)\n%s", tc.sql, len(got.data), len(want.data), firstDifference(got.data, want.data))
		}
		if want.code == "" && len(want.data) == 0 && !strings.Contains(tc.sql, "WHERE false") {
			t.Errorf("%s: no data from PostgreSQL either; the case tests nothing", tc.sql)
		}
	}
	t.Logf("%d COPY statements, %d bytes of output compared", len(cases), compared)
}

// sortCopyRows returns COPY output with its rows sorted: text and CSV
// lines after a header line, or binary tuples between the header and the
// trailer.
func sortCopyRows(t *testing.T, data []byte, binaryFormat, header bool) []byte {
	if !binaryFormat {
		lines := strings.SplitAfter(string(data), "\n")
		first := 0
		if header {
			first = 1
		}
		slices.Sort(lines[first:])
		return []byte(strings.Join(lines, ""))
	}
	const headerLen = 19
	if len(data) < headerLen+2 {
		t.Fatalf("binary COPY output too short: %q", data)
	}
	var tuples []string
	pos := headerLen
	for {
		n := int(int16(binary.BigEndian.Uint16(data[pos:])))
		if n == -1 {
			break
		}
		start := pos
		pos += 2
		for i := 0; i < n; i++ {
			size := int(int32(binary.BigEndian.Uint32(data[pos:])))
			pos += 4
			if size > 0 {
				pos += size
			}
		}
		tuples = append(tuples, string(data[start:pos]))
	}
	slices.Sort(tuples)
	return append(append(data[:headerLen:headerLen], strings.Join(tuples, "")...), data[pos:]...)
}

// firstDifference shows where two outputs start to differ.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Sprintf("at byte %d:\ncirrus:   %q\npostgres: %q", i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// TestCopyFromBinary loads rows with pgx's CopyFrom (binary COPY) into
// Cirrus and PostgreSQL and requires the same table contents; malformed
// binary data gets PostgreSQL's SQLSTATE and leaves nothing behind.
func TestCopyFromBinary(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("copybin_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	conns := []*pgx.Conn{connect(t, c), pg.Connect(t, db)}
	names := []string{"cirrus", "postgres"}
	cols := []string{"k", "i2", "i4", "i8", "n", "n18", "r", "d", "t", "vc", "c", "b", "dt", "ts"}
	ts := func(s string) time.Time { return parseTime(t, "2006-01-02 15:04:05.999999", s) }
	rows := [][]any{
		{1, int16(1), int32(1), int64(1), "1.50", "123456789012.345678", float32(1.5), 0.1, "plain", "v", "ab", true, ts("2024-02-29 00:00:00"), ts("2024-02-29 13:45:00.25")},
		{2, int16(-32768), int32(-2147483648), int64(-9223372036854775808), "-9999999999999.99", "-0.000001", float32(-3.4e38), 1e-300, "tab\there", `a,b"c`, "x", false, ts("1900-03-15 00:00:00"), ts("1999-12-31 23:59:59.999999")},
		{3, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{4, int16(32767), int32(2147483647), int64(9223372036854775807), "0.004", "1", float32(1e-7), -1.2345678901234567e-100, "back\\slash\nnl\ré", `\.`, "é", true, ts("1970-01-01 00:00:00"), ts("2000-01-01 00:00:00")},
	}
	for i := 5; i < 3000; i++ {
		rows = append(rows, []any{i, int16(i % 100), int32(i), int64(i) * 1000003, fmt.Sprintf("%d.%02d", i, i%100), "0.5", float32(i) / 4, float64(i) / 3, strings.Repeat("x", i%50), "vc", "c", i%2 == 0, ts("2020-01-01 00:00:00").AddDate(0, 0, i), ts("2020-01-01 00:00:00").Add(time.Duration(i) * time.Second)})
	}
	for i, conn := range conns {
		if _, err := conn.Exec(ctx, allTypesDDL); err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"alltypes"}, cols, pgx.CopyFromRows(rows))
		if err != nil || n != int64(len(rows)) {
			t.Fatalf("%s: CopyFrom: %d rows, %v", names[i], n, err)
		}
	}
	dump := func(conn *pgx.Conn) string {
		var buf bytes.Buffer
		if _, err := conn.PgConn().CopyTo(ctx, &buf, "COPY (SELECT * FROM alltypes ORDER BY k) TO STDOUT (FORMAT binary)"); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	want := dump(conns[1])
	if got := dump(conns[0]); got != want {
		t.Fatalf("tables differ after CopyFrom:\n%s", firstDifference([]byte(got), []byte(want)))
	}

	// Malformed input: each case is a binary COPY stream for one int4 and
	// one text column.
	hdr := []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	tuple := func(fields ...[]byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(len(fields)))
		for _, f := range fields {
			if f == nil {
				b = binary.BigEndian.AppendUint32(b, 0xffffffff)
				continue
			}
			b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
			b = append(b, f...)
		}
		return b
	}
	i4 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	good := tuple(i4(1), []byte("one"))
	trailer := []byte{0xff, 0xff}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	bad := []struct {
		name string
		data []byte
	}{
		{"ok", cat(hdr, good, good, trailer)},
		{"ok without trailer", cat(hdr, good)},
		{"empty", nil},
		{"bad signature", cat([]byte("PGCOPY\n\xff\r\n\x01"), make([]byte, 8), good, trailer)},
		{"short signature", []byte("PGCO")},
		{"missing flags", []byte("PGCOPY\n\xff\r\n\x00\x00")},
		{"oids flag", cat([]byte("PGCOPY\n\xff\r\n\x00\x00\x01\x00\x00\x00\x00\x00\x00"), good, trailer)},
		{"critical flag", cat([]byte("PGCOPY\n\xff\r\n\x00\x00\x02\x00\x00\x00\x00\x00\x00"), good, trailer)},
		{"missing ext length", []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00")},
		{"negative ext length", cat([]byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\xff\xff\xff\xff"), good, trailer)},
		{"short extension", []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x10abc")},
		{"extension skipped", cat([]byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x03abc"), good, trailer)},
		{"field count", cat(hdr, good, tuple(i4(1)), trailer)},
		{"short field", cat(hdr, good, tuple([]byte{0, 1}, []byte("x")), trailer)},
		{"long field", cat(hdr, good, tuple([]byte{0, 0, 0, 1, 2}, []byte("x")), trailer)},
		{"invalid size", cat(hdr, good, []byte{0, 2, 0xff, 0xff, 0xff, 0xfe}, trailer)},
		{"truncated tuple", cat(hdr, good, []byte{0, 2, 0, 0, 0, 4, 0, 0})},
		{"data after trailer", cat(hdr, good, trailer, []byte{0})},
		{"lone byte at end", cat(hdr, good, []byte{0})},
		{"bad utf8", cat(hdr, good, tuple(i4(2), []byte{0xff, 0xfe}), trailer)},
		{"null in text", cat(hdr, tuple(i4(2), []byte("a\x00b")), trailer)},
	}
	for i, conn := range conns {
		if _, err := conn.Exec(ctx, "CREATE TABLE bin (a integer, b text)"); err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
	}
	for _, tc := range bad {
		var res [2]string
		for i, conn := range conns {
			tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(tc.data), "COPY bin FROM STDIN (FORMAT binary)")
			res[i] = tag.String()
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				res[i] = pe.Code + " " + pe.Message
			} else if err != nil {
				res[i] = err.Error()
			}
			var n int64
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM bin").Scan(&n); err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
			res[i] += fmt.Sprintf(" (table has %d rows)", n)
		}
		if res[0] != res[1] {
			t.Errorf("%s:\ncirrus:   %s\npostgres: %s", tc.name, res[0], res[1])
		}
	}
}

// parseTime parses s with layout, failing the test on an error.
func parseTime(t testing.TB, layout, s string) time.Time {
	t.Helper()
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCopyFromHeaderDifferential loads text and CSV data with HEADER and
// HEADER MATCH into Cirrus and PostgreSQL 15 and requires the same tags,
// SQLSTATEs and resulting rows.
func TestCopyFromHeaderDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("copyhdr_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	cases := []struct{ sql, data string }{
		{"COPY h FROM STDIN (HEADER)", "whatever\tnames\n1\tone\n"},
		{"COPY h FROM STDIN (HEADER MATCH)", "a\tb\n2\ttwo\n"},
		{"COPY h FROM STDIN (HEADER MATCH)", "a\tx\n3\tthree\n"},
		{"COPY h FROM STDIN (HEADER MATCH)", "a\n4\tfour\n"},
		{"COPY h FROM STDIN (HEADER MATCH)", "a\t\\N\n5\tfive\n"},
		{"COPY h (b, a) FROM STDIN (FORMAT csv, HEADER MATCH)", "b,a\nsix,6\n"},
		{"COPY h (b, a) FROM STDIN (FORMAT csv, HEADER MATCH)", "a,b\nseven,7\n"},
		{"COPY h FROM STDIN (FORMAT csv, HEADER MATCH, NULL 'x')", "a,x\n8,eight\n"},
		{"COPY h FROM STDIN (FORMAT binary, HEADER)", ""},
		{"COPY h FROM STDIN (HEADER 'match', HEADER false)", ""},
	}
	var outs [2][]string
	for i, d := range []string{dsn(c), pg.DSN(db)} {
		conn := connectSetUp(t, d, "CREATE TABLE h (a integer, b text)")
		for _, tc := range cases {
			tag, err := conn.CopyFrom(ctx, strings.NewReader(tc.data), tc.sql)
			res := tag.String()
			if err != nil {
				res = "error " + sqlstate(err)
			}
			outs[i] = append(outs[i], tc.sql+" "+fmt.Sprintf("%q", tc.data)+": "+res)
		}
		var buf bytes.Buffer
		if _, err := conn.CopyTo(ctx, &buf, "COPY (SELECT * FROM h ORDER BY a) TO STDOUT"); err != nil {
			t.Fatal(err)
		}
		outs[i] = append(outs[i], buf.String())
	}
	if got, want := strings.Join(outs[0], "\n"), strings.Join(outs[1], "\n"); got != want {
		t.Errorf("COPY FROM with headers differs:\ncirrus:\n%s\npostgres:\n%s", got, want)
	}
}
