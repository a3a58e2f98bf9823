package e2e

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkShuffleJoin joins two 1M-row tables on a three-participant
// cluster with a broadcast join (every participant's pipelines each build
// the whole right side) and repartitioned (each participant builds a third;
// with one and with two partitions per participant), reporting each plan's
// median query latency:
//
//	go test -run '^$' -bench ShuffleJoin -benchtime 15x ./internal/e2e/
func BenchmarkShuffleJoin(b *testing.B) {
	c := startCluster3(b)
	conn := connect(b, c)
	start := time.Now()
	fillNumbers(b, conn, "big1", 1000, 97)
	fillNumbers(b, conn, "big2", 1000, 89)
	b.Logf("loaded 2 × 1M rows in %v", time.Since(start))
	const q = `SELECT count(*), sum(x.j + y.j) FROM big1 x JOIN big2 y ON x.i = y.i`
	const want = "1000000|91998885"
	ctx := context.Background()
	// The plans alternate within each iteration, so a machine's changing
	// load affects them alike.
	modes := []struct{ name, broadcast, pipes string }{
		{"broadcast", "100000000", "1"},
		{"shuffled", "0", "1"},
		{"shuffled-2pipelines", "0", "2"},
	}
	lat := make([][]time.Duration, len(modes))
	for b.Loop() {
		for m, mode := range modes {
			exec1(b, conn, `SET cirrus.broadcast_rows = `+mode.broadcast)
			exec1(b, conn, `SET cirrus.shuffle_pipelines = `+mode.pipes)
			start := time.Now()
			got, err := textRows(ctx, conn, q)
			if err != nil {
				b.Fatal(err)
			}
			lat[m] = append(lat[m], time.Since(start))
			if len(got) != 1 || got[0] != want {
				b.Fatalf("%s: got %v, want %s", mode.name, got, want)
			}
		}
	}
	for m, mode := range modes {
		l := lat[m]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, mode.name+"-median-ms")
	}
}
