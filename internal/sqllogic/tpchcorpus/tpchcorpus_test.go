// Package tpchcorpus runs the differential TPC-H corpus (testdata/sql/tpch,
// files that start with "load tpch") on Cirrus: an in-process cluster
// (internal/devcluster) against PostgreSQL 15. It is a package of its own so
// that package sqllogic's tests do not depend on the engine.
package tpchcorpus

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/sqllogic"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const corpusDir = "../../../testdata/sql/tpch"

// TestTPCHCorpusOnCirrus runs the TPC-H corpus on Cirrus against
// PostgreSQL, over both protocol flows (CIRRUS_TPCH_CORPUS=0 skips it). The data is loaded
// once per run and system: into one Cirrus cluster that serves every file
// (the files leave the data as they found it), and into one PostgreSQL
// template database that each file gets a fresh copy of. Every failure of a
// file is reported (no failure limit). For example:
//
//	go test ./internal/sqllogic/tpchcorpus/
//	go test ./internal/sqllogic/tpchcorpus/ -run 'TestTPCHCorpusOnCirrus/simple/subqueries'
//
// CIRRUS_TPCH_CLUSTER_LOG=FILE appends the cluster's log to FILE.
func TestTPCHCorpusOnCirrus(t *testing.T) {
	if os.Getenv("CIRRUS_TPCH_CORPUS") == "0" {
		t.Skip("CIRRUS_TPCH_CORPUS=0")
	}
	if err := sqllogic.DatasetAvailable(sqllogic.DatasetTPCH); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	tpl := &sqllogic.DatasetTemplate{Server: pgtest.Shared(t), Dataset: sqllogic.DatasetTPCH}
	t.Cleanup(tpl.Drop)
	var cl *cirrusTPCH
	t.Cleanup(func() {
		if cl != nil {
			cl.close()
		}
	})
	for _, c := range []struct {
		name  string
		proto sqllogic.Protocol
	}{{"simple", sqllogic.SimpleProtocol}, {"extended", sqllogic.ExtendedProtocol}} {
		t.Run(c.name, func(t *testing.T) {
			opts := sqllogic.Options{Protocol: c.proto, MaxFailures: -1}
			sqllogic.RunDirWith(t, corpusDir, opts, func(t *testing.T) []sqllogic.DB {
				if cl == nil {
					cl = startCirrusTPCH(t)
				}
				return []sqllogic.DB{cl.db, tpl.Fresh(t, "postgres")}
			})
		})
	}
}

// cirrusTPCH is a Cirrus cluster holding the TPC-H data set, shared by all
// files of a run.
type cirrusTPCH struct {
	c   *devcluster.Cluster
	dir string
	db  sqllogic.DB
}

func startCirrusTPCH(t *testing.T) *cirrusTPCH {
	start := time.Now()
	dir, err := os.MkdirTemp("", "sqllogic-tpch-")
	if err != nil {
		t.Fatal(err)
	}
	logf := func(string, ...any) {}
	if path := os.Getenv("CIRRUS_TPCH_CLUSTER_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(f, strings.TrimSuffix(format, "\n")+"\n", args...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: dir, Coordinators: 1, Participants: 2, Logf: logf})
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("start cluster: %v", err)
	}
	cl := &cirrusTPCH{c: c, dir: dir}
	dsn := fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.PGAddrs[0])
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		cl.close()
		t.Fatalf("connect to cirrus: %v", err)
	}
	err = sqllogic.LoadDataset(ctx, conn, sqllogic.DatasetTPCH)
	conn.Close(context.Background())
	if err != nil {
		cl.close()
		t.Fatalf("cirrus: %v", err)
	}
	t.Logf("loaded TPC-H SF 0.01 into Cirrus in %v", time.Since(start).Round(time.Millisecond))
	cl.db = sqllogic.DB{Name: "cirrus", DSN: dsn, Loaded: []string{sqllogic.DatasetTPCH}}
	return cl
}

func (cl *cirrusTPCH) close() {
	cl.c.Close()
	os.RemoveAll(cl.dir)
}
