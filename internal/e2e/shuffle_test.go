package e2e

import (
	"context"
	"fmt"
	"runtime"
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

// liveSessions returns the exchange sessions still live on the cluster's
// participants.
func liveSessions(c *devcluster.Cluster) int {
	live := 0
	for i := range c.ParticipantAddrs {
		_, l := c.Participant(i).ExchangeSessions()
		live += l
	}
	return live
}

// settle waits until cond holds (or fails the test after 15 s).
func settle(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: did not settle", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// slowShuffle is a repartitioned query that runs for a long time: a
// three-way self join on a key with few values.
const slowShuffle = `SELECT count(*) FROM t1 a JOIN t1 b ON a.k2 = b.k2 JOIN t1 c ON b.k2 = c.k2 JOIN t2 d ON c.k2 = d.k2`

func TestShuffleErrorsAndCancel(t *testing.T) {
	c := startCluster3(t)
	conn := connect(t, c)
	shuffleSchema(t, conn)
	exec1(t, conn, `SET cirrus.broadcast_rows = 0`)
	const check = `SELECT count(*) FROM t1 JOIN t2 ON t1.k = t2.k`
	want := rows(t, conn, check)
	ctx := context.Background()

	// An error in a producer (the filter runs in t1's Shuffle) and in the
	// fragment joining the partitions keep their SQLSTATE.
	for _, q := range []string{
		`SELECT count(*) FROM t1 JOIN t2 ON t1.k = t2.k WHERE 10 / (t1.v - 1500) > 0`,
		`SELECT sum(t1.v / (t2.w - t2.w)) FROM t1 JOIN t2 ON t1.k = t2.k`,
	} {
		if !strings.Contains(explainText(t, conn, q), "Shuffle") {
			t.Fatalf("%s: not shuffled", q)
		}
		_, err := conn.Exec(ctx, q)
		wantCode(t, err, "22012")
		if got := rows(t, conn, check); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("after an error: %v, want %v", got, want)
		}
	}
	settle(t, "sessions after errors", func() bool { return liveSessions(c) == 0 })

	// Cancel a long query mid-way: the participants stop, drop the session
	// and leave no goroutines behind.
	rows(t, conn, check)
	settle(t, "sessions", func() bool { return liveSessions(c) == 0 })
	time.Sleep(200 * time.Millisecond)
	base := runtime.NumGoroutine()
	qctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	start := time.Now()
	_, err := conn.Exec(qctx, slowShuffle)
	cancel()
	if err == nil {
		t.Fatalf("slow query finished in %v; make it slower", time.Since(start))
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("cancel took %v", el)
	}
	t.Logf("cancelled after %v: %v", time.Since(start), err)
	// pgx closes the connection when its context ends mid-query.
	conn = connect(t, c)
	exec1(t, conn, `SET cirrus.broadcast_rows = 0`)
	settle(t, "sessions after cancel", func() bool { return liveSessions(c) == 0 })
	settle(t, "goroutines after cancel", func() bool { return runtime.NumGoroutine() <= base+10 })
	t.Logf("goroutines: %d before the query, %d after", base, runtime.NumGoroutine())
	if got := rows(t, conn, check); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after cancel: %v, want %v", got, want)
	}
}

func TestShuffleParticipantDies(t *testing.T) {
	c := startCluster3(t)
	conn := connect(t, c)
	shuffleSchema(t, conn)
	exec1(t, conn, `SET cirrus.broadcast_rows = 0`)
	const check = `SELECT count(*), sum(t2.w) FROM t1 JOIN t2 ON t1.k = t2.k`
	want, err := textRows(context.Background(), conn, check)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := conn.Exec(context.Background(), slowShuffle)
		done <- err
	}()
	time.Sleep(700 * time.Millisecond)
	c.StopParticipant(1)
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("query still running 20 s after a participant died")
	}
	if err == nil {
		t.Fatalf("query finished in %v despite a dead participant", time.Since(start))
	}
	wantCode(t, err, "08006")
	t.Logf("error after %v: %v", time.Since(start), err)
	settle(t, "sessions on the survivors", func() bool {
		live := 0
		for _, i := range []int{0, 2} {
			_, l := c.Participant(i).ExchangeSessions()
			live += l
		}
		return live == 0
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.RestartParticipant(ctx, 1, t.Logf); err != nil {
		t.Fatal(err)
	}
	// The next query works once the connections are back.
	deadline := time.Now().Add(20 * time.Second)
	restarted := time.Now()
	for attempt := 1; ; attempt++ {
		got, err := textRows(ctx, conn, check)
		if err == nil {
			t.Logf("query works %v after the restart (attempt %d)", time.Since(restarted), attempt)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("after restart: %v, want %v", got, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fillNumbers creates table name (i int, j int) with rows (a*1000+b, (a*1000+b) % mod)
// for a < thousands, b < 1000, written by INSERT … SELECT (one file per
// participant and statement).
func fillNumbers(t testing.TB, conn *pgx.Conn, name string, thousands, mod int) {
	t.Helper()
	exec1(t, conn, `CREATE TABLE IF NOT EXISTS nums1000 (i int)`)
	var n int64
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM nums1000`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		var tuples []string
		for i := 0; i < 1000; i++ {
			tuples = append(tuples, fmt.Sprintf("(%d)", i))
		}
		insertRows(t, conn, "nums1000", tuples, 1000)
	}
	exec1(t, conn, fmt.Sprintf(`CREATE TABLE %s (i int, j int)`, name))
	for a := 0; a < thousands; a += 100 {
		exec1(t, conn, fmt.Sprintf(`INSERT INTO %s SELECT a.i * 1000 + b.i, (a.i * 1000 + b.i) %% %d FROM nums1000 a CROSS JOIN nums1000 b WHERE a.i >= %d AND a.i < %d`,
			name, mod, a, min(a+100, thousands)))
	}
}

// TestShuffleBackpressure joins inputs far larger than the exchange queues,
// so producers of the probe side wait while the build side arrives.
func TestShuffleBackpressure(t *testing.T) {
	c := startCluster3(t)
	conn := connect(t, c)
	fillNumbers(t, conn, "big", 300, 97)
	exec1(t, conn, `SET cirrus.broadcast_rows = 0`)
	for _, tc := range []struct{ sql, want string }{
		{`SELECT count(*), sum(x.j) FROM big x JOIN big y ON x.i = y.i`, "300000|14399202"},
		{`SELECT count(*) FROM big x JOIN big y ON x.i = y.i + 1 WHERE y.j < 50`, ""},
		{`SELECT count(*) FROM big x LEFT JOIN big y ON x.i = y.i * 2`, "300000"},
		{`SELECT x.j, count(*) FROM big x JOIN big y ON x.i = y.i JOIN big z ON y.i = z.i + 5 GROUP BY x.j ORDER BY x.j LIMIT 3`, ""},
	} {
		var want []string
		exec1(t, conn, `SET cirrus.broadcast_rows = 100000000`)
		want = rows(t, conn, tc.sql)
		if tc.want != "" && strings.Join(want, ",") != tc.want {
			t.Fatalf("%s broadcast: %v, want %s", tc.sql, want, tc.want)
		}
		exec1(t, conn, `SET cirrus.broadcast_rows = 0`)
		for _, pipes := range []string{"1", "4"} {
			exec1(t, conn, `SET cirrus.shuffle_pipelines = `+pipes)
			start := time.Now()
			got := rows(t, conn, tc.sql)
			t.Logf("%s (%s pipelines): %v", tc.sql, pipes, time.Since(start))
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%s shuffled (%s pipelines): %v, want %v", tc.sql, pipes, got, want)
			}
		}
	}
}
