// Package e2e drives whole Cirrus clusters (started in-process on free
// loopback ports, every role on its real protocol) with pgx and psql.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/devcluster"
)

// startCluster starts a cluster with data under dir (a fresh temp dir when empty).
func startCluster(t testing.TB, dir string) *devcluster.Cluster {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: dir, Coordinators: 1, Participants: 2, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func dsn(c *devcluster.Cluster) string {
	return fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.PGAddrs[0])
}

func connect(t testing.TB, c *devcluster.Cluster) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn(c))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec1(t testing.TB, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// rows returns a query's rows as text, each row's values joined by '|'.
func rows(t testing.TB, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rs, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		vals, err := rs.Values()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want SQLSTATE %s, got %v", code, err)
	}
	if pe.Code != code {
		t.Fatalf("want SQLSTATE %s, got %s: %s", code, pe.Code, pe.Message)
	}
}

func TestPgxRoundTrip(t *testing.T) {
	c := startCluster(t, "")
	conn := connect(t, c)
	ctx := context.Background()
	exec1(t, conn, `CREATE TABLE kv (k integer PRIMARY KEY, v text, n numeric(10,2), d date)`)
	exec1(t, conn, `INSERT INTO kv VALUES (1, 'one', 1.50, '2024-01-01'), (2, 'two', 2.25, '2024-02-29'), (3, NULL, NULL, NULL)`)
	// Extended protocol with parameters (pgx's default mode).
	got := rows(t, conn, `SELECT k, v FROM kv WHERE k >= $1 ORDER BY k`, 2)
	if strings.Join(got, ",") != "2|two,3|<nil>" {
		t.Fatalf("params: got %v", got)
	}
	got = rows(t, conn, `SELECT count(*), sum(n), min(d), max(v) FROM kv`)
	if len(got) != 1 || !strings.HasPrefix(got[0], "3|") {
		t.Fatalf("aggregate: got %v", got)
	}
	// Simple protocol too.
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM kv WHERE v IS NOT NULL`, pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil || n != 2 {
		t.Fatalf("simple protocol count: %d, %v", n, err)
	}

	// Errors carry SQLSTATEs and the session goes on.
	for _, tc := range []struct{ sql, code string }{
		{`SELEC 1`, "42601"},
		{`SELECT * FROM nope`, "42P01"},
		{`SELECT nope FROM kv`, "42703"},
		{`CREATE TABLE kv (a int)`, "42P07"},
		{`INSERT INTO kv VALUES ('abc')`, "22P02"},
		{`SELECT k / 0 FROM kv`, "22012"},
		{`INSERT INTO kv (v) VALUES ('x')`, "23502"},
		{`CREATE TABLE arr (a int[])`, "0A000"},
	} {
		_, err := conn.Exec(ctx, tc.sql)
		wantCode(t, err, tc.code)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("after errors: %d, %v", n, err)
	}

	// A cached prepared statement whose result shape DDL changed fails as in
	// PostgreSQL (the rows could not match the description the client has);
	// re-preparing works.
	if got := rows(t, conn, `SELECT * FROM kv WHERE k = 1`); len(got) != 1 {
		t.Fatalf("before ALTER: %v", got)
	}
	exec1(t, conn, `ALTER TABLE kv ADD COLUMN extra integer`)
	rs, err := conn.Query(ctx, `SELECT * FROM kv WHERE k = 1`)
	if err == nil {
		for rs.Next() {
		}
		rs.Close()
		err = rs.Err()
	}
	wantCode(t, err, "0A000")
	if got := rows(t, conn, `SELECT * FROM kv WHERE k = 1`); len(got) != 1 || strings.Count(got[0], "|") != 4 {
		t.Fatalf("after re-prepare: %v", got)
	}
}

func TestTransactions(t *testing.T) {
	c := startCluster(t, "")
	a, b := connect(t, c), connect(t, c)
	ctx := context.Background()
	exec1(t, a, `CREATE TABLE t (x int NOT NULL)`)

	// ROLLBACK leaves nothing behind.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO t VALUES (1), (2)`)
	if got := rows(t, a, `SELECT count(*) FROM t`); got[0] != "2" {
		t.Fatalf("own writes: %v", got)
	}
	if got := rows(t, b, `SELECT count(*) FROM t`); got[0] != "0" {
		t.Fatalf("uncommitted rows visible to another session: %v", got)
	}
	exec1(t, a, `ROLLBACK`)
	if got := rows(t, a, `SELECT count(*) FROM t`); got[0] != "0" {
		t.Fatalf("after rollback: %v", got)
	}

	// DDL and data commit together.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `CREATE TABLE u (y text)`)
	exec1(t, a, `INSERT INTO u VALUES ('a'), ('b'), ('c')`)
	if _, err := b.Exec(ctx, `SELECT * FROM u`); err == nil {
		t.Fatalf("uncommitted table visible")
	}
	exec1(t, a, `COMMIT`)
	if got := rows(t, b, `SELECT count(*) FROM u`); got[0] != "3" {
		t.Fatalf("after commit: %v", got)
	}

	// An error aborts the transaction until its end; nothing of it survives.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO t VALUES (5)`)
	_, err := a.Exec(ctx, `INSERT INTO t VALUES (NULL)`)
	wantCode(t, err, "23502")
	_, err = a.Exec(ctx, `SELECT 1`)
	wantCode(t, err, "25P02")
	exec1(t, a, `COMMIT`) // reported as ROLLBACK
	if got := rows(t, b, `SELECT count(*) FROM t`); got[0] != "0" {
		t.Fatalf("aborted transaction left rows: %v", got)
	}

	// A failing statement outside a transaction leaves no partial data.
	_, err = a.Exec(ctx, `INSERT INTO t VALUES (1), (2), (NULL)`)
	wantCode(t, err, "23502")
	if got := rows(t, b, `SELECT count(*) FROM t`); got[0] != "0" {
		t.Fatalf("failed statement left rows: %v", got)
	}
}

// TestPsqlCopyAndRestart does what the README asks of a new user: psql,
// \copy 100,000 rows from a CSV file, aggregate with GROUP BY/ORDER BY and a
// join, restart, and find the data still there.
func TestPsqlCopyAndRestart(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("psql not found")
		}
		t.Skip("psql not found")
	}
	dir := t.TempDir()
	c := startCluster(t, dir)
	run := func(c *devcluster.Cluster, args ...string) string {
		t.Helper()
		host, port, _ := strings.Cut(c.PGAddrs[0], ":")
		full := append([]string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "cirrus", "cirrus"}, args...)
		cmd := exec.Command(psql, full...)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}

	// 100,000 orders over 10 customers, amounts with cents.
	var sb strings.Builder
	want := map[int][2]int64{} // customer → count, cents
	for i := 0; i < 100000; i++ {
		cust := i % 10
		cents := int64(i%1000)*7 + 1
		fmt.Fprintf(&sb, "%d,%d,%d.%02d,2024-%02d-%02d\n", i, cust, cents/100, cents%100, i%12+1, i%28+1)
		w := want[cust]
		want[cust] = [2]int64{w[0] + 1, w[1] + cents}
	}
	csv := filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(csv, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run(c, "-c", `CREATE TABLE orders (id bigint PRIMARY KEY, cust int NOT NULL, amount numeric(12,2), day date)`)
	run(c, "-c", `CREATE TABLE customers (id int, name text)`)
	run(c, "-c", `INSERT INTO customers SELECT 0, 'c0'`)
	for i := 1; i < 10; i++ {
		run(c, "-c", fmt.Sprintf(`INSERT INTO customers VALUES (%d, 'c%d')`, i, i))
	}
	if out := run(c, "-c", fmt.Sprintf(`\copy orders from '%s' with (format csv)`, csv)); out != "" && !strings.Contains(out, "COPY 100000") {
		t.Fatalf("copy: %s", out)
	}
	check := func(c *devcluster.Cluster) {
		t.Helper()
		got := run(c, "-c", `SELECT o.cust, c.name, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.cust GROUP BY o.cust, c.name ORDER BY o.cust`)
		var exp []string
		for cust := 0; cust < 10; cust++ {
			w := want[cust]
			exp = append(exp, fmt.Sprintf("%d|c%d|%d|%d.%02d", cust, cust, w[0], w[1]/100, w[1]%100))
		}
		if got != strings.Join(exp, "\n") {
			t.Fatalf("aggregate over join:\ngot:\n%s\nwant:\n%s", got, strings.Join(exp, "\n"))
		}
		if got := run(c, "-c", `SELECT count(*) FROM orders`); got != "100000" {
			t.Fatalf("count: %s", got)
		}
	}
	check(c)

	// Restart on the same directory: the data is still there.
	c.Close()
	c2 := startCluster(t, dir)
	check(c2)
	// The restarted coordinator started from its relcache file.
	if got := run(c2, "-c", `SELECT file_loads, loads FROM cirrus_stat_catalog WHERE role = 'coordinator'`); got != "1|0" {
		t.Fatalf("coordinator restart: file_loads|loads = %s, want 1|0", got)
	}
}
