//go:build unix

// Package minioe2e runs Cirrus deployed as on several hosts — metad,
// participants and coordinators as separate OS processes built from
// cmd/cirrus — against a real MinIO server, and breaks pieces of it: MinIO
// killed in the middle of a COPY, wrong credentials, a missing bucket,
// every process stopped and restarted.
package minioe2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/miniotest"
	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/proctest"
	"github.com/cirrusdb/cirrus/internal/tpch"
	"github.com/cirrusdb/cirrus/storage/s3"
)

// shared is the workplace's shared data, seen from this package's directory.
const shared = "../../../shared/tpch"

// cluster is metad, participants and coordinators as OS processes on one
// MinIO bucket.
type cluster struct {
	t      *testing.T
	g      *proctest.Group
	bin    string
	data   string
	minio  *miniotest.Server
	bucket string

	metadAddr, etcdClient, etcdPeer string
	partAddrs, pgAddrs, peerAddrs   []string
	metad                           *proctest.Proc
	parts, coords                   []*proctest.Proc
}

// startCluster builds cirrus and starts a cluster of np participants and
// nc coordinators on a fresh bucket of m.
func startCluster(t *testing.T, m *miniotest.Server, np, nc int) *cluster {
	t.Helper()
	tmp := t.TempDir()
	c := &cluster{t: t, g: proctest.NewGroup(t), bin: binary(t), data: tmp, minio: m, bucket: "cirrus"}
	m.CreateBucket(t, c.bucket)
	addrs := proctest.FreeAddrs(t, 3+np+2*nc)
	c.metadAddr, c.etcdClient, c.etcdPeer = addrs[0], addrs[1], addrs[2]
	c.partAddrs, c.pgAddrs, c.peerAddrs = addrs[3:3+np], addrs[3+np:3+np+nc], addrs[3+np+nc:]
	c.startMetad()
	c.parts = make([]*proctest.Proc, np)
	for i := range c.parts {
		c.startParticipant(i)
	}
	c.coords = make([]*proctest.Proc, nc)
	for i := range c.coords {
		c.startCoordinator(i)
	}
	return c
}

var builtBinary string

// binary builds cmd/cirrus once per test binary.
func binary(t *testing.T) string {
	if builtBinary == "" {
		dir, err := os.MkdirTemp("", "cirrus-minioe2e-bin")
		if err != nil {
			t.Fatal(err)
		}
		builtBinary = proctest.BuildCirrus(t, dir)
	}
	return builtBinary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary != "" {
		os.RemoveAll(filepath.Dir(builtBinary))
	}
	os.Exit(code)
}

// env is the S3 credentials of the cluster's processes.
func (c *cluster) env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + c.minio.AccessKey, "AWS_SECRET_ACCESS_KEY=" + c.minio.SecretKey}
}

func (c *cluster) storageFlags() []string {
	return []string{"--storage", "s3://" + c.bucket + "/test", "--s3-endpoint", c.minio.Endpoint, "--s3-tls=false"}
}

func (c *cluster) startMetad() {
	c.metad = c.g.Start("metad", nil, c.bin, "metad", "--listen", c.metadAddr,
		"--etcd-dir", filepath.Join(c.data, "etcd"), "--etcd-listen", c.etcdClient, "--etcd-peer", c.etcdPeer)
	proctest.WaitListening(c.t, c.metad, c.metadAddr, time.Now().Add(20*time.Second))
}

func (c *cluster) startParticipant(i int) {
	args := append([]string{"participant", "--listen", c.partAddrs[i], "--metad", c.metadAddr,
		"--data", filepath.Join(c.data, fmt.Sprintf("participant-%d", i)), "--cache-size", "256MiB"}, c.storageFlags()...)
	c.parts[i] = c.g.Start(fmt.Sprintf("participant-%d", i), c.env(), c.bin, args...)
	proctest.WaitListening(c.t, c.parts[i], c.partAddrs[i], time.Now().Add(20*time.Second))
}

func (c *cluster) startCoordinator(i int) {
	args := append([]string{"coordinator", "--listen", c.pgAddrs[i], "--peer-listen", c.peerAddrs[i], "--metad", c.metadAddr,
		"--participants", strings.Join(c.partAddrs, ","), "--data", filepath.Join(c.data, fmt.Sprintf("coordinator-%d", i))},
		c.storageFlags()...)
	c.coords[i] = c.g.Start(fmt.Sprintf("coordinator-%d", i), c.env(), c.bin, args...)
	proctest.WaitListening(c.t, c.coords[i], c.pgAddrs[i], time.Now().Add(20*time.Second))
}

func (c *cluster) dsn(i int) string {
	return fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.pgAddrs[i])
}

func (c *cluster) connect(ctx context.Context, i int) *pgx.Conn {
	c.t.Helper()
	conn, err := pgx.Connect(ctx, c.dsn(i))
	if err != nil {
		c.t.Fatalf("connect to coordinator %d: %v", i, err)
	}
	c.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// cirrus runs the cirrus command (a client tool such as tpch load) to the
// end and returns its output.
func (c *cluster) cirrus(ctx context.Context, args ...string) (string, error) {
	p := c.g.Start("cirrus "+args[0], c.env(), c.bin, args...)
	select {
	case <-p.Done():
	case <-ctx.Done():
		p.Kill()
		return p.Output(), ctx.Err()
	}
	return p.Output(), p.Err()
}

// objects lists the cluster's objects in MinIO, straight from the S3 API.
func (c *cluster) objects(ctx context.Context) []string {
	c.t.Helper()
	store, err := s3.New(ctx, c.minio.S3Config(c.bucket, "test"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer store.Close()
	keys, err := store.List(ctx, "")
	if err != nil {
		c.t.Fatal(err)
	}
	return keys
}

// rows runs sql and returns its rows as text, values joined by '|'.
var rows = pgtest.TextRows

func mustRows(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string) []string {
	t.Helper()
	r, err := rows(ctx, conn, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// eventually retries sql until it succeeds (a restarted process is
// reconnected to within a few seconds) and returns its rows.
func eventually(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := rows(ctx, conn, sql)
		if err == nil {
			return r
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || time.Now().After(deadline) {
			t.Fatalf("%s: %v", sql, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runTPCH runs the 22 queries through coordinator i and checks every
// answer against the expected SF 0.01 answers.
func (c *cluster) runTPCH(ctx context.Context, i int) {
	c.t.Helper()
	sum, err := tpch.RunQueries(ctx, tpch.RunConfig{DSN: c.dsn(i), Dir: filepath.Join(shared, "queries"),
		Check: filepath.Join(shared, "answers-sf0.01"), Timeout: time.Minute})
	if err != nil {
		c.t.Fatal(err)
	}
	bad := 0
	for _, r := range sum.Results {
		if !r.OK() {
			bad++
			c.t.Errorf("coordinator %d: %s: error %v, mismatch %v", i, r.Name, r.Err, r.Mismatch)
		}
	}
	if len(sum.Results) != 22 || bad > 0 {
		c.t.Fatalf("coordinator %d: %d of %d queries failed", i, bad, len(sum.Results))
	}
	c.t.Logf("coordinator %d: 22 TPC-H queries correct, total %v", i, sum.Total.Round(time.Millisecond))
}

// TestTPCHOnMinIO loads TPC-H SF 0.01 into MinIO through a cluster of 3
// participants and 2 coordinators, runs the 22 queries on both
// coordinators, deletes rows, and stops and restarts every process in turn
// (MinIO included) checking after each restart that nothing was lost.
func TestTPCHOnMinIO(t *testing.T) {
	if _, err := os.Stat(filepath.Join(shared, "sf0.01", "lineitem.tbl")); err != nil {
		t.Fatalf("TPC-H SF 0.01 data not found: %v", err)
	}
	m := miniotest.Start(t)
	c := startCluster(t, m, 3, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	out, err := c.cirrus(ctx, "tpch", "load", "--from", filepath.Join(shared, "sf0.01"), "--dsn", c.dsn(0),
		"--metad", c.metadAddr, "--storage", "s3://"+c.bucket+"/test", "--s3-endpoint", m.Endpoint, "--s3-tls=false")
	if err != nil {
		t.Fatalf("tpch load: %v\n%s", err, out)
	}
	if keys := c.objects(ctx); len(keys) < 16 { // 8 tables: a manifest and at least one data file each
		t.Fatalf("%d objects in the bucket after the load: %v", len(keys), keys)
	}
	c.runTPCH(ctx, 0)
	c.runTPCH(ctx, 1)

	// INSERT … SELECT and DELETE write and rewrite files in MinIO; both
	// coordinators see the result.
	conn0, conn1 := c.connect(ctx, 0), c.connect(ctx, 1)
	for _, sql := range []string{
		`CREATE TABLE li (orderkey bigint NOT NULL, qty numeric(15,2), shipdate date, comment varchar(44))`,
		`INSERT INTO li SELECT l_orderkey, l_quantity, l_shipdate, l_comment FROM lineitem`,
		`DELETE FROM li WHERE orderkey % 7 = 3`,
	} {
		if _, err := conn0.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	const state = `SELECT count(*), sum(qty), count(DISTINCT orderkey), min(shipdate), max(comment) FROM li`
	want := mustRows(t, ctx, conn0, state)
	wantSQL := `SELECT count(*), sum(l_quantity), count(DISTINCT l_orderkey), min(l_shipdate), max(l_comment) FROM lineitem WHERE l_orderkey % 7 <> 3`
	if w := mustRows(t, ctx, conn0, wantSQL); !slices.Equal(want, w) {
		t.Fatalf("after DELETE: %v, want %v", want, w)
	}
	if got := eventually(t, ctx, conn1, state); !slices.Equal(got, want) {
		t.Fatalf("coordinator 1 after DELETE: %v, want %v", got, want)
	}
	if _, err := conn1.Exec(ctx, `CREATE TABLE notes (id int PRIMARY KEY, body text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn1.Exec(ctx, `INSERT INTO notes SELECT n_nationkey, n_name FROM nation`); err != nil {
		t.Fatal(err)
	}
	const notes = `SELECT count(*), min(body), max(id) FROM notes`
	wantNotes := []string{"25|ALGERIA|24"} // char(25) to text drops the padding
	if got := eventually(t, ctx, conn0, notes); !slices.Equal(got, wantNotes) {
		t.Fatalf("notes: %v, want %v", got, wantNotes)
	}

	check := func(when string) {
		t.Helper()
		conns := make([]*pgx.Conn, len(c.coords))
		for i := range c.coords {
			conn := c.connect(ctx, i)
			if got := eventually(t, ctx, conn, state); !slices.Equal(got, want) {
				t.Fatalf("%s: coordinator %d: %v, want %v", when, i, got, want)
			}
			if got := eventually(t, ctx, conn, notes); !slices.Equal(got, wantNotes) {
				t.Fatalf("%s: coordinator %d: notes %v, want %v", when, i, got, wantNotes)
			}
			conns[i] = conn
		}
		// Each coordinator lists the other's sessions and signals them,
		// once both are registered with metad again.
		for i, conn := range conns {
			pid := conns[1-i].PgConn().PID()
			listed := fmt.Sprintf(`SELECT count(*) FROM pg_stat_activity WHERE pid = %d`, pid)
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				got := mustRows(t, ctx, conn, listed)
				if slices.Equal(got, []string{"1"}) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: coordinator %d lists pid %d of the other %v times", when, i, pid, got)
				}
			}
			signal := fmt.Sprintf(`SELECT pg_cancel_backend(%d)`, pid)
			if got := mustRows(t, ctx, conn, signal); !slices.Equal(got, []string{"t"}) {
				t.Fatalf("%s: coordinator %d: %s: %v", when, i, signal, got)
			}
		}
	}
	restart := func(name string, stop func(), start func()) {
		t.Helper()
		t0 := time.Now()
		stop()
		start()
		check("after restarting " + name)
		t.Logf("restarted %s; queries correct %v later", name, time.Since(t0).Round(time.Millisecond))
	}
	restart("MinIO", m.Stop, func() { m.Restart(t) })
	restart("metad", func() { c.metad.Stop(5 * time.Second) }, c.startMetad)
	restart("participant 1", func() { c.parts[1].Stop(5 * time.Second) }, func() { c.startParticipant(1) })
	restart("coordinator 0", func() { c.coords[0].Stop(5 * time.Second) }, func() { c.startCoordinator(0) })
	// A participant killed outright, then started again: the next queries
	// are correct.
	restart("participant 2 (SIGKILL)", c.parts[2].Kill, func() { c.startParticipant(2) })
	c.runTPCH(ctx, 1)

	// Everything stopped, the participants' disk caches deleted, and
	// everything started again: all of it comes back from MinIO and etcd.
	restart("the whole cluster with empty caches", func() {
		for _, p := range append(append([]*proctest.Proc{}, c.coords...), c.parts...) {
			p.Stop(5 * time.Second)
		}
		c.metad.Stop(5 * time.Second)
		m.Stop()
		for i := range c.parts {
			if err := os.RemoveAll(filepath.Join(c.data, fmt.Sprintf("participant-%d", i), "cache")); err != nil {
				t.Fatal(err)
			}
		}
	}, func() {
		m.Restart(t)
		c.startMetad()
		for i := range c.parts {
			c.startParticipant(i)
		}
		for i := range c.coords {
			c.startCoordinator(i)
		}
	})
	c.runTPCH(ctx, 0)
	conn := c.connect(ctx, 1)
	if _, err := conn.Exec(ctx, `INSERT INTO notes VALUES (100, 'after the restart')`); err != nil {
		t.Fatalf("INSERT after the restart: %v", err)
	}
	if got := eventually(t, ctx, c.connect(ctx, 0), notes); !slices.Equal(got, []string{"26|ALGERIA|100"}) {
		t.Fatalf("notes after an INSERT: %v", got)
	}
}
