package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/tpch"
)

// TestDevTPCH is `cirrus dev --tpch 0.01`: an empty cluster gets TPC-H
// generated in process and loaded; a cluster with tables is left alone.
func TestDevTPCH(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: t.TempDir(), Participants: 2, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := devLoadTPCH(ctx, c, 0.01); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.Info().DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	counts := func() (n [2]int64) {
		if err := conn.QueryRow(ctx, "select count(*), sum(l_linenumber) from lineitem").Scan(&n[0], &n[1]); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := counts()
	if before[0] != 60175 {
		t.Fatalf("lineitem has %d rows, want 60175", before[0])
	}
	if err := devLoadTPCH(ctx, c, 0.01); err != nil {
		t.Fatal(err)
	}
	if after := counts(); after != before {
		t.Fatalf("second start loaded again: %v, then %v", before, after)
	}
	// The generated data is the reference data: answers match.
	queries := "../../../shared/tpch"
	if _, err := os.Stat(queries); err != nil {
		return
	}
	sum, err := tpch.RunQueries(ctx, tpch.RunConfig{DSN: c.Info().DSN(), Dir: filepath.Join(queries, "queries"), Queries: []int{1, 3, 6},
		Check: filepath.Join(queries, "answers-sf0.01")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Results {
		if !r.OK() {
			t.Errorf("%s: %v %v", r.Name, r.Err, r.Mismatch)
		}
	}
}
