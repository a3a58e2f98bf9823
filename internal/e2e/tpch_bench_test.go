package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/tpch"
	"github.com/cirrusdb/cirrus/storage/s3"
)

// BenchmarkTPCHWarm loads TPC-H at SF 0.1 (generated in process) into a
// cluster with two participants, as `cirrus dev` runs, and reports the
// median latency of warm runs of a few queries (the first run, which fills
// the participants' decoded column caches, is not timed):
//
//	go test -run '^$' -bench TPCHWarm -benchtime 10x ./internal/e2e/
func BenchmarkTPCHWarm(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := startTPCHCluster(ctx, b, 0.1, nil)
	conn := connect(b, c)
	for _, q := range []string{"q01", "q03", "q06", "q09"} {
		sql, err := os.ReadFile(filepath.Join(tpchDir, "queries", q+".sql"))
		if err != nil {
			b.Skipf("TPC-H queries not available: %v", err)
		}
		b.Run(q, func(b *testing.B) {
			want, err := textRows(ctx, conn, string(sql)) // warms the caches
			if err != nil {
				b.Fatal(err)
			}
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				got, err := textRows(ctx, conn, string(sql))
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				if len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) {
					b.Fatalf("%s: answer changed between runs: %v, first %v", q, got, want)
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
		})
	}
}

// startTPCHCluster starts a cluster with two participants, as `cirrus dev`
// runs, and loads TPC-H tables (nil: all) generated in process at scale
// factor sf; the cluster stops when the test or benchmark ends.
func startTPCHCluster(ctx context.Context, tb testing.TB, sf float64, tables []string) *devcluster.Cluster {
	tb.Helper()
	dir := tb.TempDir()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: dir, Participants: 2, Logf: func(string, ...any) {}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	info, err := devcluster.ReadInfo(dir)
	if err != nil {
		tb.Fatal(err)
	}
	store, err := s3.OpenLocation(ctx, info.Storage)
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	start := time.Now()
	if _, err := tpch.Load(ctx, tpch.LoadConfig{DSN: info.DSN(), Metad: info.Metad, Store: store, Source: &tpch.GenSource{SF: sf}, Tables: tables}); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("loaded SF %v in %v", sf, time.Since(start))
	return c
}
