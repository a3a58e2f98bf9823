package e2e

import (
	"context"
	"testing"
)

// TestSteadyStateNoMetadRequests runs 1,000 queries after warm-up and
// requires that no node's catalog cache asked metad for anything
// (cirrus_stat_catalog.metad_requests on the coordinator and every
// participant).
func TestSteadyStateNoMetadRequests(t *testing.T) {
	c := startCluster(t, "")
	conn := connect(t, c)
	ctx := context.Background()
	exec1(t, conn, `CREATE TABLE s (k integer, v text)`)
	exec1(t, conn, `INSERT INTO s VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	requests := func() (total int64, nodes int) {
		rows, err := conn.Query(ctx, `SELECT node, metad_requests FROM cirrus_stat_catalog ORDER BY node`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var node string
			var n int64
			if err := rows.Scan(&node, &n); err != nil {
				t.Fatal(err)
			}
			total += n
			nodes++
		}
		return total, nodes
	}
	for i := 0; i < 20; i++ { // warm-up
		rows(t, conn, `SELECT count(*) FROM s WHERE k > $1`, i%3)
	}
	before, nodes := requests()
	if nodes != 3 {
		t.Fatalf("cirrus_stat_catalog has %d nodes, want 3 (1 coordinator, 2 participants)", nodes)
	}
	for i := 0; i < 1000; i++ {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM s WHERE k > $1`, i%3).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := int64(3 - i%3); n != want {
			t.Fatalf("query %d: %d rows, want %d", i, n, want)
		}
	}
	if after, _ := requests(); after != before {
		for _, r := range rows(t, conn, `SELECT * FROM cirrus_stat_catalog ORDER BY node`) {
			t.Log(r)
		}
		t.Fatalf("1,000 queries at steady state made %d metad requests", after-before)
	}
}
