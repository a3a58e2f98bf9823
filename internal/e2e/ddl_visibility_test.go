package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/devcluster"
)

// TestReadYourDDLAcrossCoordinators commits DDL on one coordinator and uses
// it in the very next statement on another, many times in a row: a commit
// returns only once every live node has applied it.
func TestReadYourDDLAcrossCoordinators(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: t.TempDir(), Coordinators: 2, Participants: 3, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	conn := func(addr string) *pgx.Conn {
		cn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", addr))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cn.Close(context.Background()) })
		return cn
	}
	a, b := conn(c.PGAddrs[0]), conn(c.PGAddrs[1])
	exec := func(cn *pgx.Conn, sql string) {
		t.Helper()
		if _, err := cn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	one := func(cn *pgx.Conn, sql string) string {
		t.Helper()
		var s string
		if err := cn.QueryRow(ctx, sql).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}
	exec(a, `CREATE TABLE v (k integer, c0 text)`)
	exec(a, `INSERT INTO v VALUES (1, 'x')`)
	rounds := 150 // about 1,000 DDL statements, each used at once elsewhere
	if testing.Short() {
		rounds = 10
	}
	for i := 1; i <= rounds; i++ {
		// ADD COLUMN on a, used by b at once.
		exec(a, fmt.Sprintf(`ALTER TABLE v ADD COLUMN a%d integer`, i))
		if got := one(b, fmt.Sprintf(`SELECT count(a%d)::text FROM v`, i)); got != "0" {
			t.Fatalf("round %d: add column: %s", i, got)
		}
		// RENAME COLUMN.
		exec(b, fmt.Sprintf(`ALTER TABLE v RENAME COLUMN a%d TO r%d`, i, i))
		if got := one(a, fmt.Sprintf(`SELECT count(*)::text FROM v WHERE r%d IS NULL`, i)); got != "1" {
			t.Fatalf("round %d: rename column: %s", i, got)
		}
		// DROP COLUMN.
		exec(a, fmt.Sprintf(`ALTER TABLE v DROP COLUMN r%d`, i))
		if _, err := b.Exec(ctx, fmt.Sprintf(`SELECT r%d FROM v`, i)); err == nil {
			t.Fatalf("round %d: dropped column still visible on the other coordinator", i)
		}
		// RENAME TABLE, then back.
		exec(b, `ALTER TABLE v RENAME TO w`)
		if got := one(a, `SELECT c0 FROM w`); got != "x" {
			t.Fatalf("round %d: rename table: %s", i, got)
		}
		exec(a, `ALTER TABLE w RENAME TO v`)
		// DROP then CREATE with the same name, and data written through it.
		exec(b, fmt.Sprintf(`DROP TABLE IF EXISTS d; CREATE TABLE d (n integer); INSERT INTO d VALUES (%d)`, i))
		if got := one(a, `SELECT n::text FROM d`); got != fmt.Sprint(i) {
			t.Fatalf("round %d: drop and create: %s", i, got)
		}
	}
}
