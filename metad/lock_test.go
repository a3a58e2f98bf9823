package metad

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// pauseHook is a Config.LockedHook that, once armed, pauses the next
// commit while it holds the DDL lock: it calls onPause, reports paused, and
// waits for resume.
type pauseHook struct {
	armed   atomic.Bool
	onPause func()
	paused  chan struct{}
	resume  chan struct{}
}

func newPauseHook() *pauseHook {
	return &pauseHook{paused: make(chan struct{}), resume: make(chan struct{})}
}

func (h *pauseHook) hook(ctx context.Context) {
	if !h.armed.CompareAndSwap(true, false) {
		return
	}
	if h.onPause != nil {
		h.onPause()
	}
	close(h.paused)
	select {
	case <-h.resume:
	case <-ctx.Done():
	}
}

// secondServer starts another metad on cl's etcd and returns a client of it.
func secondServer(t *testing.T, cl *cluster) (*Server, *Client) {
	t.Helper()
	ctx := ctxT(t)
	srv, err := NewServer(ctx, Config{Endpoints: cl.etcd.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	c, err := Dial(ctx, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); srv.Close(); <-done })
	return srv, c
}

func lockKeys(t *testing.T, s *Server) int {
	t.Helper()
	resp, err := s.cli.Get(ctxT(t), s.k.ddlLock()+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return int(resp.Count)
}

func versionRev(t *testing.T, s *Server) int64 {
	t.Helper()
	resp, err := s.cli.Get(ctxT(t), s.k.catalogVersion())
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("catalog version key: %v %v", resp, err)
	}
	return resp.Kvs[0].ModRevision
}

// A commit whose holder was paused past its lock lease cannot commit: it
// fails with 40001 and leaves nothing behind, whether or not another
// metad committed meanwhile.
func TestFencedCommitAfterLostLock(t *testing.T) {
	t.Parallel() // waits on leases and timers
	h := newPauseHook()
	cl := startClusterCfg(t, t.TempDir(), func(cfg *Config) {
		cfg.LockTTL = time.Second
		cfg.LockedHook = h.hook
	})
	a := cl.srv
	// The "pause": the holder stops renewing its lease, as a stopped
	// process would.
	h.onPause = func() { a.ddl.sess.Orphan() }
	_, cb := secondServer(t, cl)
	ctx := ctxT(t)
	base, _ := cl.c.AllocOIDs(ctx, 10)
	seq0 := mustCommit(t, cl.c, Op{Put: table(base, catalog.PublicNamespace, "before")})

	// 1. The lease expires and nobody else commits: only the fence stops
	// the commit (the catalog version is unchanged).
	h.armed.Store(true)
	errA := make(chan error, 1)
	go func() {
		_, err := cl.c.Commit(context.Background(), []Op{{Put: table(base+1, catalog.PublicNamespace, "from_a")}})
		errA <- err
	}()
	<-h.paused
	deadline := time.Now().Add(10 * time.Second)
	for lockKeys(t, a) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("lock key outlived its lease")
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(h.resume)
	err := <-errA
	wantCode(t, err, sqlerr.SerializationFailure, "could not serialize access due to concurrent update")
	if se := sqlerr.As(err); !strings.Contains(se.Detail, "lost the DDL lock") {
		t.Fatalf("detail %q", se.Detail)
	}
	if _, objs := snapshotMap(t, cl.c); objs[base+1] != nil {
		t.Fatal("fenced commit wrote its object")
	}
	if s := setsAfter(t, cl.c, seq0); len(s) != 0 {
		t.Fatalf("fenced commit wrote invalidation sets %v", s)
	}
	if v := versionRev(t, a); v != seq0 {
		t.Fatalf("catalog version at %d, want %d", v, seq0)
	}

	// 2. The lease expires and another metad takes the lock and commits
	// while the holder is paused.
	h.paused, h.resume = make(chan struct{}), make(chan struct{})
	h.armed.Store(true)
	go func() {
		_, err := cl.c.Commit(context.Background(), []Op{{Put: table(base+2, catalog.PublicNamespace, "from_a")}})
		errA <- err
	}()
	<-h.paused
	start := time.Now()
	seqB, err := cb.Commit(ctx, []Op{{Put: table(base+3, catalog.PublicNamespace, "from_b")}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the second metad waited %v for a dead holder's lock (TTL 1 s)", d)
	}
	close(h.resume)
	wantCode(t, <-errA, sqlerr.SerializationFailure, "")
	_, objs := snapshotMap(t, cl.c)
	if objs[base+2] != nil || objs[base+3] == nil {
		t.Fatalf("objects after fenced commit: a=%v b=%v", objs[base+2], objs[base+3])
	}
	if s := setsAfter(t, cl.c, seq0); len(s) != 1 || s[0] != seqB {
		t.Fatalf("sets after the fenced commit: %v, want only %d", s, seqB)
	}
	if v := versionRev(t, a); v != seqB {
		t.Fatalf("catalog version at %d, want %d", v, seqB)
	}

	// The paused metad recovers: a new session, and commits work again.
	mustCommit(t, cl.c, Op{Put: table(base+4, catalog.PublicNamespace, "after")})
	if n := lockKeys(t, a); n != 0 {
		t.Fatalf("%d lock keys left after commits", n)
	}
}

// Readers never wait for the DDL lock; commits (from any metad) do.
func TestReadersDoNotWaitForDDL(t *testing.T) {
	h := newPauseHook()
	cl := startClusterCfg(t, t.TempDir(), func(cfg *Config) { cfg.LockedHook = h.hook })
	_, cb := secondServer(t, cl)
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)
	seq0 := mustCommit(t, c, Op{Put: table(base, catalog.PublicNamespace, "t")})

	h.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := c.Commit(context.Background(), []Op{{Put: table(base+1, catalog.PublicNamespace, "slow")}})
		done <- err
	}()
	<-h.paused // holding the lock

	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, _, err := c.Snapshot(rctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cb.Get(rctx, base); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadRange(rctx, seq0-1, seq0); err != nil {
		t.Fatal(err)
	}
	if err := c.Follow(rctx, seq0-1, func(ev FollowEvent) error { return errStop }); err != errStop {
		t.Fatal(err)
	}
	if _, err := cb.AllocOIDs(rctx, 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("reads took %v while DDL held the lock", d)
	}

	// Another metad's commit waits for the lock.
	doneB := make(chan error, 1)
	go func() {
		_, err := cb.Commit(context.Background(), []Op{{Put: table(base+2, catalog.PublicNamespace, "queued")}})
		doneB <- err
	}()
	select {
	case err := <-doneB:
		t.Fatalf("commit did not wait for the lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(h.resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
}

var errStop = sqlerr.New(sqlerr.QueryCanceled, "stop")
