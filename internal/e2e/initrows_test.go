package e2e

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Large InitRows results (a build side the coordinator computes, here an
// aggregated IN subquery of 100,000 rows) stream to the participants
// through the exchange instead of travelling inside the fragment, in
// plain, co-located-free split-scan fragments and in repartitioned ones;
// their rows are read whole by every pipeline.
func TestLargeInitRows(t *testing.T) {
	c := startCluster3(t)
	conn := connect(t, c)
	fillNumbers(t, conn, "big", 300, 97) // i = 0 .. 299,999; j = i % 97
	// The build sides group mid (100,000 rows: estimated small enough to
	// be shipped whatever the probe side's estimate).
	fillNumbers(t, conn, "mid", 100, 97)
	var sumJ int64 // sum(j) over i < 100,000
	for i := 0; i < 100_000; i++ {
		sumJ += int64(i % 97)
	}
	in := `i IN (SELECT i FROM mid GROUP BY i)`
	cases := []struct {
		sql, want string
		initRows  bool // EXPLAIN shows InitRows
		shuffled  bool // and Shuffles with cirrus.broadcast_rows = 0
	}{
		{`SELECT count(*), sum(j) FROM big WHERE ` + in, fmt.Sprintf("100000|%d", sumJ), true, false},
		{`SELECT count(*), sum(j), min(i), max(i) FROM big WHERE j < 50 AND ` + in, "", true, false},
		{`SELECT count(*), sum(x.j), sum(s.c)::text FROM big x JOIN (SELECT i AS g, count(*) AS c FROM mid GROUP BY i) s ON x.i = s.g`,
			fmt.Sprintf("100000|%d|100000", sumJ), false, false},
		{`SELECT count(*), sum(x.j) FROM big x JOIN big y ON x.i = y.i WHERE x.` + in, fmt.Sprintf("100000|%d", sumJ), false, false},
	}
	// Under repartitioned joins (with cirrus.broadcast_rows = 0): the
	// InitRows source is read by every shuffle pipeline.
	var n2, n3 int
	for i := 0; i < 300_000; i++ {
		if i+i%97 <= 99_999 {
			n2++
		}
		if i < 299_999 && i+1+i%97 <= 99_999 {
			n3++
		}
	}
	cases = append(cases, []struct {
		sql, want string
		initRows  bool
		shuffled  bool
	}{
		{`SELECT count(*) FROM big x JOIN big y ON x.j = y.i WHERE y.i + x.i IN (SELECT i FROM mid GROUP BY i)`, fmt.Sprint(n2), true, true},
		{`SELECT count(*), sum(s.c::int) FROM (SELECT x.i, y.j FROM big x JOIN big y ON x.i = y.i + 1) z JOIN (SELECT i AS g, count(*) AS c FROM mid GROUP BY i) s ON z.i + z.j = s.g`,
			fmt.Sprintf("%d|%d", n3, n3), true, true},
	}...)
	// The expected answer of the second query, computed here.
	var n, s int64
	mn, mx := -1, 0
	for i := 0; i < 100_000; i++ {
		if i%97 < 50 {
			n++
			s += int64(i % 97)
			if mn < 0 {
				mn = i
			}
			mx = i
		}
	}
	cases[1].want = fmt.Sprintf("%d|%d|%d|%d", n, s, mn, mx)
	for _, mode := range []string{"default", "0"} {
		exec1(t, conn, `SET cirrus.broadcast_rows = `+mode)
		if mode == "default" {
			exec1(t, conn, `RESET cirrus.broadcast_rows`)
		}
		for _, tc := range cases {
			plan := explainText(t, conn, tc.sql)
			if tc.initRows && !strings.Contains(plan, "InitRows") {
				t.Errorf("%s (broadcast_rows %s): no InitRows:\n%s", tc.sql, mode, plan)
			}
			if mode == "0" && tc.shuffled && !strings.Contains(plan, "Shuffle") {
				t.Errorf("%s (broadcast_rows 0): not repartitioned:\n%s", tc.sql, plan)
			}
			for _, pipes := range []string{"1", "3"} {
				exec1(t, conn, `SET cirrus.shuffle_pipelines = `+pipes)
				got := strings.Join(rows(t, conn, tc.sql), ",")
				if got != tc.want {
					t.Errorf("%s (broadcast_rows %s, %s pipelines): %s, want %s", tc.sql, mode, pipes, got, tc.want)
				}
			}
		}
	}
	exec1(t, conn, `RESET cirrus.broadcast_rows`)
	exec1(t, conn, `RESET cirrus.shuffle_pipelines`)

	// A query that stops early (LIMIT) and one that fails on a participant
	// after the rows were sent: the error keeps its SQLSTATE, and no
	// session or goroutine is left behind.
	settle(t, "sessions", func() bool { return liveSessions(c) == 0 })
	time.Sleep(200 * time.Millisecond)
	base := runtime.NumGoroutine()
	if got := rows(t, conn, `SELECT i FROM big WHERE `+in+` LIMIT 5`); len(got) != 5 {
		t.Errorf("LIMIT 5: %v", got)
	}
	_, err := conn.Exec(context.Background(), `SELECT count(*) FROM big WHERE `+in+` AND 10 / (j - 50) > 0`)
	wantCode(t, err, "22012")
	if got := strings.Join(rows(t, conn, cases[0].sql), ","); got != cases[0].want {
		t.Errorf("after an error: %s, want %s", got, cases[0].want)
	}
	settle(t, "sessions after errors", func() bool { return liveSessions(c) == 0 })
	settle(t, "goroutines", func() bool { return runtime.NumGoroutine() <= base+10 })

	// Cancel a long query mid-way.
	qctx, cancel := context.WithTimeout(context.Background(), time.Second)
	start := time.Now()
	_, err = conn.Exec(qctx, `SELECT count(*) FROM big a JOIN big b ON a.j = b.j WHERE a.`+in)
	cancel()
	if err == nil {
		t.Fatalf("slow query finished in %v", time.Since(start))
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("cancel took %v", el)
	}
	conn = connect(t, c)
	settle(t, "sessions after cancel", func() bool { return liveSessions(c) == 0 })
	settle(t, "goroutines after cancel", func() bool { return runtime.NumGoroutine() <= base+10 })
	if got := strings.Join(rows(t, conn, cases[0].sql), ","); got != cases[0].want {
		t.Errorf("after cancel: %s, want %s", got, cases[0].want)
	}
}
