package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// Repartitioned (shuffled) joins on a three-participant cluster: the same
// queries with cirrus.broadcast_rows = 0 (every join with keys shuffles),
// with the default plans (broadcast joins), and on PostgreSQL.

// startCluster3 starts a cluster with three participants.
func startCluster3(t testing.TB) *devcluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: t.TempDir(), Coordinators: 1, Participants: 3, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// insertRows inserts rows (SQL tuples) in statements of at most per rows,
// each statement writing its own files.
func insertRows(t testing.TB, conn *pgx.Conn, table string, tuples []string, per int) {
	t.Helper()
	for len(tuples) > 0 {
		k := min(len(tuples), per)
		exec1(t, conn, "INSERT INTO "+table+" VALUES "+strings.Join(tuples[:k], ","))
		tuples = tuples[k:]
	}
}

// shuffleSchema creates and fills the join test tables on conns.
func shuffleSchema(t testing.TB, conns ...*pgx.Conn) {
	ddl := []string{
		`CREATE TABLE t1 (k int, k2 text, c char(6), v int, n numeric(10,2))`,
		`CREATE TABLE t2 (k bigint, k2 varchar(10), c text, w int, n numeric(12,0))`,
		`CREATE TABLE t3 (u int, name text)`,
		`CREATE TABLE e (k int, v int)`,
	}
	var r1, r2, r3 []string
	null := func(i, m int, s string) string {
		if i%m == 0 {
			return "NULL"
		}
		return s
	}
	for i := 0; i < 3000; i++ {
		r1 = append(r1, fmt.Sprintf("(%s, %s, %s, %d, %s)", null(i, 97, fmt.Sprint(i%1100)), null(i, 89, fmt.Sprintf("'g%d'", i%7)),
			null(i, 83, fmt.Sprintf("'c%d'", i%40)), i, null(i, 79, fmt.Sprintf("%d.00", i%300))))
	}
	for i := 0; i < 2500; i++ {
		r2 = append(r2, fmt.Sprintf("(%s, %s, %s, %d, %s)", null(i, 101, fmt.Sprint((i*7)%1300)), null(i, 91, fmt.Sprintf("'g%d'", i%5)),
			null(i, 87, fmt.Sprintf("'c%d'", i%60)), i%400, null(i, 73, fmt.Sprint(i%500))))
	}
	for i := 0; i < 600; i++ {
		r3 = append(r3, fmt.Sprintf("(%s, 'n%d')", null(i, 71, fmt.Sprint(i%450)), i))
	}
	for _, conn := range conns {
		for _, d := range ddl {
			exec1(t, conn, d)
		}
		insertRows(t, conn, "t1", r1, 400)
		insertRows(t, conn, "t2", r2, 300)
		insertRows(t, conn, "t3", r3, 100)
	}
}

var shuffleQueries = []struct {
	sql      string
	shuffles int // Shuffle nodes EXPLAIN shows with cirrus.broadcast_rows = 0
}{
	{`SELECT t1.k, t1.v, t2.w FROM t1 JOIN t2 ON t1.k = t2.k ORDER BY 1, 2, 3`, 2},
	{`SELECT t1.v, t2.w FROM t1 LEFT JOIN t2 ON t1.k = t2.k ORDER BY 1, 2`, 2},
	{`SELECT t1.v, t2.w, t2.k FROM t1 RIGHT JOIN t2 ON t1.k = t2.k ORDER BY 1, 2, 3`, 2},
	{`SELECT t1.v, t2.w, t2.k FROM t1 FULL JOIN t2 ON t1.k = t2.k ORDER BY 1, 2, 3`, 2},
	{`SELECT count(*), sum(v) FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.k = t1.k)`, 2},
	{`SELECT count(*), sum(v) FROM t1 WHERE k IN (SELECT k FROM t2 WHERE w > 100)`, 2},
	{`SELECT count(*), sum(v) FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE t2.k = t1.k)`, 2},
	{`SELECT t1.v, t2.w FROM t1 JOIN t2 ON t1.k = t2.k AND t1.k2 = t2.k2 ORDER BY 1, 2`, 2},
	{`SELECT t1.v, t2.w FROM t1 LEFT JOIN t2 ON t1.k2 = t2.k2 AND t1.k = t2.k AND t2.w < t1.v ORDER BY 1, 2`, 2},
	{`SELECT t1.v, t2.w FROM t1 JOIN t2 ON t1.c = t2.c WHERE t1.v < 200 ORDER BY 1, 2`, 2},
	{`SELECT count(*), sum(t1.v), sum(t2.w) FROM t1 JOIN t2 ON t1.n = t2.n`, 2},
	{`SELECT t1.v, t2.w, t3.name FROM t1 JOIN t2 ON t1.k = t2.k JOIN t3 ON t2.w = t3.u ORDER BY 1, 2, 3`, 4},
	{`SELECT t1.k2, count(*), sum(t2.w), min(t1.v) FROM t1 JOIN t2 ON t1.k = t2.k GROUP BY t1.k2 ORDER BY 1`, 2},
	{`SELECT count(DISTINCT t2.w) FROM t1 JOIN t2 ON t1.k = t2.k`, 2},
	{`SELECT count(*) FROM t1 JOIN e ON t1.k = e.k`, 2},
	{`SELECT t1.v, e.v FROM t1 LEFT JOIN e ON t1.k = e.k WHERE t1.v < 50 ORDER BY 1`, 2},
	{`SELECT t1.v, e.v FROM e FULL JOIN t1 ON t1.k = e.k WHERE t1.v < 50 ORDER BY 1`, 2},
	{`SELECT count(*) FROM t1 JOIN t2 ON t1.k = t2.k WHERE t1.v < 0`, 2},
	{`SELECT t1.v FROM t1 JOIN t2 ON t1.k = t2.k ORDER BY t1.v DESC, t2.w LIMIT 7`, 2},
}

func sortedRows(t testing.TB, conn *pgx.Conn, sql string) []string {
	t.Helper()
	out := rows(t, conn, sql)
	if !strings.Contains(sql, "ORDER BY") {
		sort.Strings(out)
	}
	return out
}

func explainText(t testing.TB, conn *pgx.Conn, sql string) string {
	t.Helper()
	return strings.Join(rows(t, conn, "EXPLAIN "+sql), "\n")
}

func TestShuffledJoins(t *testing.T) {
	pg := pgtest.Shared(t)
	db := fmt.Sprintf("shuffle_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	pconn := pg.Connect(t, db)
	c := startCluster3(t)
	shuffled, broadcast := connect(t, c), connect(t, c)
	shuffleSchema(t, shuffled, pconn)
	exec1(t, shuffled, `SET cirrus.broadcast_rows = 0`)
	for _, q := range shuffleQueries {
		plan := explainText(t, shuffled, q.sql)
		if got := strings.Count(plan, "Shuffle #"); got != q.shuffles {
			t.Errorf("%s: %d shuffles, want %d:\n%s", q.sql, got, q.shuffles, plan)
		}
		want := sortedRows(t, pconn, q.sql)
		if len(want) == 0 {
			t.Fatalf("%s: PostgreSQL returned no rows", q.sql)
		}
		// 1 and 3 partitions per participant besides the default.
		for _, pipes := range []string{"1", "3", "default"} {
			exec1(t, shuffled, `SET cirrus.shuffle_pipelines = `+pipes)
			got := sortedRows(t, shuffled, q.sql)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s shuffled (%s pipelines): %d rows, want %d\n got %.300v\nwant %.300v", q.sql, pipes, len(got), len(want), got, want)
			}
		}
		bc := sortedRows(t, broadcast, q.sql)
		if strings.Join(bc, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s default plan: %d rows, want %d", q.sql, len(bc), len(want))
		}
	}
}
