package e2e

import (
	"context"
	"fmt"
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
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("pgxnumeric_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	dsns := []string{dsn(c), pg.DSN(db)}
	for _, d := range dsns {
		conn, err := pgx.Connect(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE bignum (k integer, w numeric(30,4), u numeric, h numeric(120,100))"); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
	}
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
