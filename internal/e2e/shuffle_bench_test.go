package e2e

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkShuffleJoin joins two 1M-row tables on a three-participant
// cluster with a broadcast join (every participant builds the whole right
// side) and repartitioned (each builds a third), reporting median query
// latency:
//
//	go test -run '^$' -bench ShuffleJoin -benchtime 10x ./internal/e2e/
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
	run := func(b *testing.B, settings ...string) {
		for _, s := range settings {
			exec1(b, conn, s)
		}
		var lat []time.Duration
		for b.Loop() {
			start := time.Now()
			got, err := textRows(ctx, conn, q)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
			if len(got) != 1 || got[0] != want {
				b.Fatalf("got %v, want %s", got, want)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	}
	b.Run("broadcast", func(b *testing.B) { run(b, `SET cirrus.broadcast_rows = 100000000`) })
	for _, pipes := range []string{"1", "2", "4"} {
		b.Run("shuffled-"+pipes+"pipelines", func(b *testing.B) {
			run(b, `SET cirrus.broadcast_rows = 0`, `SET cirrus.shuffle_pipelines = `+pipes)
		})
	}
}
