package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/internal/metrics/metricstest"
)

// TestCatalogRowsCache checks the coordinators' cache of catalog relation
// rows: repeated catalog queries on a coordinator reuse the rows computed
// for its catalog snapshot, and DDL committed on either coordinator (tables,
// columns, schemas, roles) shows in the very next catalog query on both; a
// transaction's own DDL shows inside it only; rows that depend on the
// session (its database, search_path for pg_indexes, pg_settings) are not
// shared between sessions that differ.
func TestCatalogRowsCache(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTwoCoordinators(t)
	conn := func(addr, db string) *pgx.Conn {
		cn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://cirrus@%s/%s?sslmode=disable", addr, db))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cn.Close(context.Background()) })
		return cn
	}
	a, b := conn(c.PGAddrs[0], "cirrus"), conn(c.PGAddrs[1], "cirrus")
	exec := func(cn *pgx.Conn, sql string) {
		t.Helper()
		if _, err := cn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// rows returns a query's rows, one line each, values separated by spaces.
	rows := func(cn *pgx.Conn, sql string) string {
		t.Helper()
		rs, err := cn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var lines []string
		for rs.Next() {
			vals, err := rs.Values()
			if err != nil {
				t.Fatal(err)
			}
			var f []string
			for _, v := range vals {
				f = append(f, fmt.Sprint(v))
			}
			lines = append(lines, strings.Join(f, " "))
		}
		if err := rs.Err(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return strings.Join(lines, "\n")
	}
	// Coordinator 0's cache counters.
	regs := c.Metrics()
	srv := httptest.NewServer(metrics.Handler(func() []*metrics.Registry { return regs[len(regs)-2 : len(regs)-1] }))
	t.Cleanup(srv.Close)
	counters := func() (hits, misses float64) {
		s := metricstest.Get(t, srv.URL)
		return metricValue(t, s, "cirrus_coordinator_catalog_rows_hits_total"), metricValue(t, s, "cirrus_coordinator_catalog_rows_misses_total")
	}

	const tables = `SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 's') AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, a.attnum`
	const columns = `SELECT table_schema, table_name, column_name FROM information_schema.columns
		WHERE table_schema IN ('public', 's') ORDER BY 1, 2, ordinal_position`
	exec(a, `CREATE TABLE t1 (k integer PRIMARY KEY, v text)`)
	want := "t1 k\nt1 v"
	if got := rows(a, tables); got != want {
		t.Fatalf("tables: %q, want %q", got, want)
	}
	h0, m0 := counters()
	for i := 0; i < 3; i++ {
		if got := rows(a, tables); got != want {
			t.Fatalf("tables again: %q, want %q", got, want)
		}
	}
	if h, m := counters(); h-h0 != 9 || m != m0 {
		t.Fatalf("3 repeated queries over 3 catalog relations: %v hits, %v misses; want 9 and 0", h-h0, m-m0)
	}

	// DDL on either coordinator shows in the next statement on both.
	steps := []struct {
		on                   *pgx.Conn
		ddl, tables, columns string
	}{
		{b, `ALTER TABLE t1 ADD COLUMN w date`, "t1 k\nt1 v\nt1 w", "public t1 k\npublic t1 v\npublic t1 w"},
		{a, `ALTER TABLE t1 RENAME COLUMN v TO vv`, "t1 k\nt1 vv\nt1 w", "public t1 k\npublic t1 vv\npublic t1 w"},
		{b, `CREATE SCHEMA s; CREATE TABLE s.t2 (x bigint)`, "t1 k\nt1 vv\nt1 w\nt2 x", "public t1 k\npublic t1 vv\npublic t1 w\ns t2 x"},
		{a, `ALTER TABLE t1 DROP COLUMN w`, "t1 k\nt1 vv\nt2 x", "public t1 k\npublic t1 vv\ns t2 x"},
		{b, `DROP SCHEMA s CASCADE`, "t1 k\nt1 vv", "public t1 k\npublic t1 vv"},
		{a, `ALTER TABLE t1 RENAME TO t3`, "t3 k\nt3 vv", "public t3 k\npublic t3 vv"},
	}
	for _, st := range steps {
		exec(st.on, st.ddl)
		for i, cn := range []*pgx.Conn{a, b} {
			if got := rows(cn, tables); got != st.tables {
				t.Fatalf("after %s, coordinator %d: pg_class/pg_attribute %q, want %q", st.ddl, i, got, st.tables)
			}
			if got := rows(cn, columns); got != st.columns {
				t.Fatalf("after %s, coordinator %d: information_schema.columns %q, want %q", st.ddl, i, got, st.columns)
			}
		}
	}
	exec(b, `CREATE ROLE cache_r LOGIN`)
	if got := rows(a, `SELECT rolname FROM pg_roles WHERE rolname LIKE 'cache%'`); got != "cache_r" {
		t.Fatalf("pg_roles after CREATE ROLE on the other coordinator: %q", got)
	}
	exec(a, `DROP ROLE cache_r`)
	if got := rows(b, `SELECT count(*) FROM pg_roles WHERE rolname LIKE 'cache%'`); got != "0" {
		t.Fatalf("pg_roles after DROP ROLE on the other coordinator: %q", got)
	}

	// A transaction's own DDL shows inside it, and not elsewhere.
	exec(a, `BEGIN`)
	exec(a, `CREATE TABLE t4 (z integer)`)
	if got := rows(a, `SELECT relname FROM pg_class WHERE relname IN ('t3', 't4') ORDER BY 1`); got != "t3\nt4" {
		t.Fatalf("inside the transaction: %q", got)
	}
	if got := rows(b, `SELECT relname FROM pg_class WHERE relname IN ('t3', 't4') ORDER BY 1`); got != "t3" {
		t.Fatalf("another session during the transaction: %q", got)
	}
	exec(a, `ROLLBACK`)
	if got := rows(a, `SELECT relname FROM pg_class WHERE relname IN ('t3', 't4') ORDER BY 1`); got != "t3" {
		t.Fatalf("after ROLLBACK: %q", got)
	}

	// Rows that depend on the session: its database (not its search_path:
	// pg_indexes qualifies the table whatever it is, as PostgreSQL's).
	other := conn(c.PGAddrs[0], "otherdb")
	if got := rows(other, `SELECT datname FROM pg_database`); got != "otherdb" {
		t.Fatalf("pg_database in otherdb: %q", got)
	}
	if got := rows(a, `SELECT datname FROM pg_database`); got != "cirrus" {
		t.Fatalf("pg_database in cirrus: %q", got)
	}
	exec(other, `SET search_path = pg_catalog`)
	if got := rows(a, `SELECT indexdef FROM pg_indexes WHERE tablename = 't3'`); !strings.Contains(got, " ON public.t3 ") {
		t.Fatalf("pg_indexes with the default search_path: %q", got)
	}
	if got := rows(other, `SELECT indexdef FROM pg_indexes WHERE tablename = 't3'`); !strings.Contains(got, " ON public.t3 ") {
		t.Fatalf("pg_indexes with search_path pg_catalog: %q", got)
	}
	exec(other, `SET application_name = 'cache-test'`)
	if got := rows(other, `SELECT setting FROM pg_settings WHERE name = 'application_name'`); got != "cache-test" {
		t.Fatalf("pg_settings: %q", got)
	}
	if got := rows(a, `SELECT setting FROM pg_settings WHERE name = 'application_name'`); got != "" {
		t.Fatalf("pg_settings of another session: %q", got)
	}
}
