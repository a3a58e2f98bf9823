package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// TestPgxNumericDifferential round-trips numerics beyond a scaled int64
// through pgx in every query-exec mode against PostgreSQL 15: numeric(p >
// 18, s) and unconstrained numeric columns written from binary and text
// parameters (large scales and precisions, NaN, ±Infinity, rounding to the
// column's scale, overflow), read back in pgx's formats (binary numeric:
// base-10000 digits, weight, sign, dscale), aggregated and compared.
func TestPgxNumericDifferential(t *testing.T) {
	dsns := pgxTargets(t, "pgxnumeric", "CREATE TABLE bignum (k integer, w numeric(30,4), u numeric, h numeric(120,100))")
	ctx := context.Background()
	num := func(s string) pgtype.Numeric {
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatal(err)
		}
		return n
	}
	nan := pgtype.Numeric{NaN: true, Valid: true}
	pinf := pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}
	ninf := pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	queries := []pgxQuery{
		{"SELECT 'NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric, 1e-100::numeric, 123456789012345678901234567890.123456789::numeric", nil},
		{"SELECT $1::numeric, $2::numeric, $3::numeric", []any{nan, pinf, ninf}},
		{"SELECT $1::numeric(30,4), $2::numeric(30,4)", []any{nan, num("-0.00005")}},
		{"SELECT $1::numeric, $2::numeric / 7, $3::numeric * $3::numeric", []any{num("0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"), num("123456789012345678901234567890.123456789"), num("-99999999999999999999.99999")}},
		{"INSERT INTO bignum VALUES ($1, $2, $3, $4)", []any{1, num("123456789012345678901234.56789"), num("0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"), num("0.5")}},
		{"INSERT INTO bignum VALUES ($1, $2, $3, $4)", []any{2, nan, nan, nan}},
		{"INSERT INTO bignum VALUES ($1, $2, $3, $4)", []any{3, num("-0.00005"), pinf, num("12345678901234567890.1234567890123456789")}},
		{"INSERT INTO bignum VALUES ($1, $2, $3, $4)", []any{4, nil, ninf, nil}},
		{"INSERT INTO bignum VALUES ($1, $2, $3, $4)", []any{5, "99.99995", "-0.000", "1e-100"}},
		{"INSERT INTO bignum (k, w) VALUES ($1, $2)", []any{6, num("100000000000000000000000000")}},
		{"INSERT INTO bignum (k, w) VALUES ($1, $2)", []any{6, pinf}},
		{"INSERT INTO bignum (k, h) VALUES ($1, $2)", []any{6, num("100000000000000000000")}},
		{"SELECT * FROM bignum ORDER BY k", nil},
		{"SELECT k FROM bignum WHERE u = $1 OR w = $2 ORDER BY k", []any{nan, num("-0.0001")}},
		{"SELECT k, u FROM bignum WHERE u > $1 ORDER BY u", []any{num("0")}},
		{"SELECT sum(w), avg(w), min(u), max(u), sum(h), avg(h) FROM bignum", nil},
		{"SELECT sum(u), avg(u) FROM bignum WHERE k <> 2", nil},
		{"SELECT u, count(*) FROM bignum GROUP BY u ORDER BY u", nil},
		{"SELECT k, w * 2, w / 3, h + 1, -u FROM bignum ORDER BY k", nil},
		// A parameter compared with numeric(p,s) is plain numeric: not
		// rounded to the column's scale.
		{"SELECT count(*) FROM bignum WHERE w = $1 OR w > $2", []any{num("-0.00009"), num("99.99994")}},
		{"SELECT count(*) FROM bignum WHERE w = $1 OR h < $2", []any{"-0.00009", "-100000000000000000000000000000"}},
		{"SELECT $1::numeric(5,2) = $2, $3 < 1.5::numeric(2,1)", []any{num("1.5"), num("1.499"), num("1.4999")}},
		{"SELECT count(*) FROM bignum WHERE w BETWEEN $1 AND $2 OR w IN ($3, $4)", []any{"99.99991", "99.99992", num("-0.00009"), "0.00011"}},
		{"SELECT count(*) FROM bignum WHERE w = ANY ($1) OR u = ANY ($1)", []any{[]pgtype.Numeric{num("-0.00009"), num("0.00011"), nan}}},
	}
	comparePgxModes(t, dsns, queries)
	// Every mode ran each of the five good INSERTs twice.
	conn := connectMode(t, dsns[0], pgx.QueryExecModeExec)
	var n, nans int
	if err := conn.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE u = 'NaN') FROM bignum").Scan(&n, &nans); err != nil {
		t.Fatal(err)
	}
	if want := 5 * 2 * len(pgxModes); n != want || nans != 2*len(pgxModes) {
		t.Fatalf("bignum has %d rows, %d NaN; want %d, %d", n, nans, want, 2*len(pgxModes))
	}
}

// TestCopyNumericDifferential loads numeric(p > 18, s) and unconstrained
// numeric columns with COPY FROM in text, CSV and binary (pgx CopyFrom),
// NaN and infinities included, and requires PostgreSQL 15's tags and
// SQLSTATEs for good and bad rows and byte-identical COPY TO output in
// every format.
func TestCopyNumericDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("copynumeric_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	nines := "0." + strings.Repeat("0", 99) + "1"
	loads := []struct{ sql, data string }{
		{"COPY cn FROM STDIN", "1\t123456789012345678901234.56789\t1e-100\t0.5\n2\tNaN\tNaN\t-0.00005\n3\t\\N\tInfinity\t\\N\n4\t-0.00005\t-inf\t1\n"},
		{"COPY cn FROM STDIN (FORMAT csv)", "5,99.99995, -12.500 ,12345678901234567890.123456789\n6,,nan,\n"},
		{"COPY cn FROM STDIN", "7\t1e26\t1\t1\n"},                  // numeric field overflow
		{"COPY cn FROM STDIN", "7\tInfinity\t1\t1\n"},              // no infinity in numeric(30,4)
		{"COPY cn FROM STDIN (FORMAT csv)", "7,1,abc,1\n"},         // invalid input syntax
		{"COPY cn FROM STDIN (FORMAT csv)", "7,1,-nan,1\n"},        // invalid input syntax
		{"COPY cn FROM STDIN", "7\t1\t1\t100000000000000000000\n"}, // numeric(40,20) overflow
	}
	var conns []*pgx.Conn
	for _, d := range []string{dsn(c), pg.DSN(db)} {
		conn, err := pgx.Connect(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		if _, err := conn.Exec(ctx, "CREATE TABLE cn (k integer, w numeric(30,4), u numeric, m numeric(40,20))"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	outcome := func(conn *pgx.Conn, f func() (string, error)) string {
		tag, err := f()
		if err != nil {
			return "error " + sqlstate(err)
		}
		return tag
	}
	for _, l := range loads {
		var got []string
		for _, conn := range conns {
			got = append(got, outcome(conn, func() (string, error) {
				tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(l.data), l.sql)
				return tag.String(), err
			}))
		}
		if got[0] != got[1] {
			t.Errorf("%s %q: cirrus %s, postgres %s", l.sql, l.data, got[0], got[1])
		}
	}
	num := func(s string) pgtype.Numeric {
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatal(err)
		}
		return n
	}
	binRows := [][][]any{
		{{8, num("-123456789012345678901234.56785"), num(nines), num("0.000000000000000000005")}, {9, pgtype.Numeric{NaN: true, Valid: true}, pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, nil}},
		{{10, pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, nil, nil}}, // no infinity in numeric(30,4)
		{{10, num("1000000000000000000000000000"), nil, nil}},                            // overflow
	}
	for _, rows := range binRows {
		var got []string
		for _, conn := range conns {
			got = append(got, outcome(conn, func() (string, error) {
				n, err := conn.CopyFrom(ctx, pgx.Identifier{"cn"}, []string{"k", "w", "u", "m"}, pgx.CopyFromRows(rows))
				return fmt.Sprint(n), err
			}))
		}
		if got[0] != got[1] {
			t.Errorf("binary COPY %v: cirrus %s, postgres %s", rows, got[0], got[1])
		}
	}
	for _, opts := range []string{"", "(FORMAT csv, HEADER)", "(FORMAT binary)"} {
		sql := "COPY (SELECT * FROM cn ORDER BY k) TO STDOUT " + opts
		var out [][]byte
		for _, conn := range conns {
			var buf bytes.Buffer
			if _, err := conn.PgConn().CopyTo(ctx, &buf, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			out = append(out, buf.Bytes())
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s: output differs\n%s", sql, firstDifference(out[0], out[1]))
		}
		if opts == "" && strings.Count(string(out[1]), "\n") != 8 {
			t.Errorf("%s: PostgreSQL wrote %q; the loads did not all land", sql, out[1])
		}
	}
}
