package catsync_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/cache"
	"github.com/cirrusdb/cirrus/internal/catsync"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad"
)

// env is an embedded etcd, a metad serving on loopback and a client of it
// that tests commit through.
type env struct {
	t    *testing.T
	etcd *metad.EmbeddedEtcd
	srv  *metad.Server
	addr string
	c    *metad.Client
}

// startEnv starts etcd and metad; adjust, when set, changes metad's config.
// Everything is stopped at the end of the test (after the nodes, whose
// cleanups are registered later).
func startEnv(t *testing.T, adjust func(*metad.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ee, err := metad.StartEtcd(ctx, t.TempDir(), "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := metad.Config{Endpoints: ee.Endpoints(), HeartbeatInterval: 100 * time.Millisecond}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := metad.NewServer(ctx, cfg)
	if err != nil {
		ee.Close()
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		ee.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	e := &env{t: t, etcd: ee, srv: srv, addr: l.Addr().String()}
	t.Cleanup(func() {
		if e.c != nil {
			e.c.Close()
		}
		srv.Close()
		if err := <-served; err != nil {
			t.Errorf("metad Serve: %v", err)
		}
		ee.Close()
	})
	e.c = e.dial(t, e.addr)
	return e
}

// dial returns a metad client of addr, closed at the end of the test.
func (e *env) dial(t *testing.T, addr string) *metad.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := metad.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if addr != e.addr || e.c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) commit(ops ...metad.Op) int64 {
	e.t.Helper()
	seq, err := e.c.Commit(ctxT(e.t), ops)
	if err != nil {
		e.t.Fatalf("commit: %v", err)
	}
	return seq
}

func (e *env) alloc(n int) catalog.OID {
	e.t.Helper()
	oid, err := e.c.AllocOIDs(ctxT(e.t), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return oid
}

// version returns the current version of oid in metad.
func (e *env) version(oid catalog.OID) int64 {
	e.t.Helper()
	vs, _, err := e.c.GetVersions(ctxT(e.t), oid)
	if err != nil || vs[oid] == 0 {
		e.t.Fatalf("version of %d: %v %v", oid, vs, err)
	}
	return vs[oid]
}

// seq returns metad's current revision.
func (e *env) seq() int64 {
	e.t.Helper()
	_, rev, err := e.c.Get(ctxT(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	return rev
}

func table(oid, ns catalog.OID, name string, cols ...string) *catalog.Object {
	t := &catalog.Table{OID: oid, Namespace: ns, Name: name}
	for i, c := range cols {
		typ := catalog.Type{Kind: catalog.Int8}
		if i%2 == 1 {
			typ = catalog.Type{Kind: catalog.Text}
		}
		t.Columns = append(t.Columns, catalog.Column{Name: c, Type: typ, NotNull: i == 0})
	}
	return &catalog.Object{Table: t}
}

func schema(oid catalog.OID, name string) *catalog.Object {
	return &catalog.Object{Namespace: &catalog.Namespace{OID: oid, Name: name}}
}

// startNode starts a node; it is closed at the end of the test unless the
// test closes it first (closing twice is harmless).
func startNode(t *testing.T, cfg catsync.Config) *node {
	t.Helper()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := catsync.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("catsync.Start: %v", err)
	}
	nd := &node{Node: n}
	t.Cleanup(nd.Close)
	return nd
}

type node struct {
	*catsync.Node
	once sync.Once
}

func (n *node) Close() { n.once.Do(n.Node.Close) }

// diffSnapshot compares cat with metad's current snapshot (objects,
// versions, names) and returns the differences, "" when equal.
func diffSnapshot(t *testing.T, c *metad.Client, cat *catalog.Catalog) string {
	t.Helper()
	_, objs, err := c.Snapshot(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[catalog.OID]string{}
	for _, o := range objs {
		want[o.OID()] = string(o.Encode())
	}
	got := map[catalog.OID]string{}
	for _, o := range cat.Objects() {
		got[o.OID()] = string(o.Encode())
	}
	var diff string
	for oid, w := range want {
		if g, ok := got[oid]; !ok {
			diff += fmt.Sprintf("missing %d: %s\n", oid, w)
		} else if g != w {
			diff += fmt.Sprintf("differs %d:\n  cache %s\n  metad %s\n", oid, g, w)
		}
	}
	for oid, g := range got {
		if _, ok := want[oid]; !ok {
			diff += fmt.Sprintf("extra %d: %s\n", oid, g)
		}
	}
	// Name lookups resolve to the same objects.
	for _, o := range objs {
		switch {
		case o.Namespace != nil:
			if n, ok := cat.Namespace(o.Namespace.Name); !ok || n.OID != o.Namespace.OID {
				diff += fmt.Sprintf("schema name %q does not resolve to %d\n", o.Namespace.Name, o.Namespace.OID)
			}
		case o.Table != nil:
			if tb, ok := cat.Table(o.Table.Namespace, o.Table.Name); !ok || tb.OID != o.Table.OID {
				diff += fmt.Sprintf("table name %d.%q does not resolve to %d\n", o.Table.Namespace, o.Table.Name, o.Table.OID)
			}
		}
	}
	if diff == "" && cat.Hash() != catalog.HashObjects(objs) {
		diff = "equal objects but different hashes"
	}
	return diff
}

func requireSnapshot(t *testing.T, c *metad.Client, cat *catalog.Catalog) {
	t.Helper()
	if d := diffSnapshot(t, c, cat); d != "" {
		t.Fatalf("node's catalog differs from metad's snapshot:\n%s", d)
	}
}

func waitApplied(t *testing.T, n *node, seq int64) {
	t.Helper()
	if err := n.Cache().WaitApplied(ctxT(t), seq, 5*time.Second); err != nil {
		t.Fatalf("node did not apply %d (at %d): %v", seq, n.Cache().Seq(), err)
	}
}

// history commits a mix of changes in the public schema and a new one,
// returning the last seq.
func history(e *env) (last int64) {
	base := e.alloc(10)
	e.commit(metad.Op{Put: schema(base, "s1")}, metad.Op{Put: table(base+1, base, "t1", "a", "b")},
		metad.Op{Put: table(base+2, catalog.PublicNamespace, "t2", "k")})
	e.commit(metad.Op{Put: table(base+3, base, "t3", "x", "y", "z")})
	e.commit(metad.Op{Put: table(base+1, base, "t1", "a", "b", "c"), ExpectVersion: e.version(base + 1)})
	return e.commit(metad.Op{Delete: base + 2})
}

// moreHistory is what happens while a node is down: creates, an alter, a
// rename, a drop, a new schema.
func moreHistory(e *env) (last int64) {
	base := e.alloc(10)
	e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "u1", "a")})
	e.commit(metad.Op{Put: schema(base+1, "s2")}, metad.Op{Put: table(base+2, base+1, "u2", "p", "q")})
	e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "u1_renamed", "a", "added"), ExpectVersion: e.version(base)})
	e.commit(metad.Op{Delete: base + 2})
	return e.commit(metad.Op{Put: table(base+3, base+1, "u3", "r")})
}

// TestRestartFromFile restarts a node from its relcache file after changes
// were committed while it was down: it installs the file, catches up with
// one range read and one object read, and never reads a full snapshot.
func TestRestartFromFile(t *testing.T) {
	e := startEnv(t, nil)
	file := filepath.Join(t.TempDir(), "relcache")
	n1 := startNode(t, catsync.Config{Metad: e.c, File: file})
	if st := n1.Cache().Stats(); st.Loads != 1 || st.FileLoads != 0 {
		t.Fatalf("first start without a file: %+v", st)
	}
	last := history(e)
	waitApplied(t, n1, last)
	cat, _ := n1.Snapshot()
	requireSnapshot(t, e.c, cat)
	n1.Close()
	if st := n1.Cache().Stats(); st.FileSaves != 1 {
		t.Fatalf("Close did not save the relcache file: %+v", st)
	}
	fileSeq, ok, err := cache.FileSeq(file)
	if err != nil || !ok || fileSeq < last {
		t.Fatalf("relcache file: seq %d ok %v err %v; want seq >= %d", fileSeq, ok, err, last)
	}

	last = moreHistory(e)

	start := time.Now()
	n2 := startNode(t, catsync.Config{Metad: e.c, File: file})
	t.Logf("restart from file took %v", time.Since(start))
	// Caught up before Start returned.
	if s := n2.Cache().Seq(); s < last {
		t.Fatalf("restarted node at %d, want >= %d (the last commit)", s, last)
	}
	cat, _ = n2.Snapshot()
	requireSnapshot(t, e.c, cat)
	st := n2.Cache().Stats()
	if st.FileLoads != 1 || st.Loads != 0 || st.Resets != 0 {
		t.Fatalf("restart from file: want 1 file load and no snapshot, got %+v", st)
	}
	if st.SourceRequests > 3 {
		t.Fatalf("restart from file made %d requests to metad, want <= 3: %+v", st.SourceRequests, st)
	}
	// Heartbeats cost nothing.
	time.Sleep(400 * time.Millisecond)
	if st2 := n2.Cache().Stats(); st2.SourceRequests != st.SourceRequests || st2.Loads != 0 {
		t.Fatalf("idle node made requests: before %+v after %+v", st, st2)
	}
	// And it keeps following.
	base := e.alloc(1)
	seq := e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "after_restart", "a")})
	waitApplied(t, n2, seq)
	cat, _ = n2.Snapshot()
	requireSnapshot(t, e.c, cat)
}

// TestRestartAfterCompaction restarts a node from a relcache file whose seq
// was compacted away meanwhile: the node must reload everything and end up
// exact.
func TestRestartAfterCompaction(t *testing.T) {
	e := startEnv(t, nil)
	file := filepath.Join(t.TempDir(), "relcache")
	n1 := startNode(t, catsync.Config{Metad: e.c, File: file})
	last := history(e)
	waitApplied(t, n1, last)
	n1.Close()
	fileSeq, ok, err := cache.FileSeq(file)
	if err != nil || !ok {
		t.Fatalf("relcache file: %v %v", ok, err)
	}

	last = moreHistory(e)
	rev := e.seq()
	if err := e.srv.Compact(ctxT(t), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.ReadRange(ctxT(t), fileSeq, rev); err == nil {
		t.Fatalf("ReadRange from the file's seq %d still works after Compact(%d)", fileSeq, rev)
	}

	n2 := startNode(t, catsync.Config{Metad: e.c, File: file})
	if s := n2.Cache().Seq(); s < last {
		t.Fatalf("restarted node at %d, want >= %d", s, last)
	}
	cat, _ := n2.Snapshot()
	requireSnapshot(t, e.c, cat)
	st := n2.Cache().Stats()
	if st.FileLoads != 1 || st.Loads+st.Resets < 1 {
		t.Fatalf("restart past compaction: want the file loaded, then a full load; got %+v", st)
	}
	t.Logf("stats after restart past compaction: %+v", st)

	base := e.alloc(1)
	seq := e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "after_compaction", "a")})
	waitApplied(t, n2, seq)
	cat, _ = n2.Snapshot()
	requireSnapshot(t, e.c, cat)
}

// TestDriftHealed changes a catalog object in etcd behind metad's back (no
// invalidation set), so the node's copy silently differs from the committed
// catalog; metad's hash check must notice and the node must reload.
func TestDriftHealed(t *testing.T) {
	e := startEnv(t, func(cfg *metad.Config) { cfg.HashCheckInterval = 200 * time.Millisecond })
	n := startNode(t, catsync.Config{
		Metad:        e.c,
		Node:         &metad.NodeInfo{ID: "drift-node", Role: "participant", Addr: "test"},
		HashInterval: 100 * time.Millisecond,
	})
	base := e.alloc(2)
	seq := e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "d", "a", "b")},
		metad.Op{Put: table(base+1, catalog.PublicNamespace, "keep", "k")})
	waitApplied(t, n, seq)
	// Let a few clean hash checks pass: no reset without drift.
	time.Sleep(600 * time.Millisecond)
	if st := n.Cache().Stats(); st.Resets != 0 {
		t.Fatalf("node reset without drift: %+v", st)
	}

	// Drift: rewrite the object in etcd directly (metad/keys.go layout),
	// with no invalidation set.
	cli, err := clientv3.New(clientv3.Config{Endpoints: e.etcd.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	key := fmt.Sprintf("%s/catalog/obj/%010d", metad.DefaultPrefix, base)
	resp, err := cli.Get(ctxT(t), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get %s: %v %v", key, resp, err)
	}
	obj, err := catalog.DecodeObject(resp.Kvs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	obj.Table.Columns = append(obj.Table.Columns, catalog.Column{Name: "drifted", Type: catalog.Type{Kind: catalog.Bool}})
	if _, err := cli.Put(ctxT(t), key, string(obj.Encode())); err != nil {
		t.Fatal(err)
	}
	drifted := time.Now()

	deadline := time.Now().Add(10 * time.Second)
	for {
		cat, _ := n.Snapshot()
		if tb, ok := cat.TableByOID(base); ok && tb.ColumnIndex("drifted") >= 0 {
			if d := diffSnapshot(t, e.c, cat); d == "" {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("node reloaded but differs from metad:\n%s", d)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("drift not healed within 10 s: %+v", n.Cache().Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := n.Cache().Stats()
	t.Logf("drift healed after %v: %+v", time.Since(drifted), st)
	if st.Resets < 1 {
		t.Fatalf("drift healed without a reset? %+v", st)
	}
	// The healed node keeps following.
	b2 := e.alloc(1)
	seq = e.commit(metad.Op{Put: table(b2, catalog.PublicNamespace, "after_drift", "a")})
	waitApplied(t, n, seq)
	cat, _ := n.Snapshot()
	requireSnapshot(t, e.c, cat)
}

// proxy forwards TCP connections to a target; cut drops every connection
// and refuses new ones until restored; stall holds back the bytes clients
// send (a one-way partition: no reset, requests just never arrive).
type proxy struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	cond    *sync.Cond // signaled when stalled changes
	cut     bool
	stalled bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			u.Close()
			continue
		}
		p.conns[c], p.conns[u] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(u, c, true)
		go p.pipe(c, u, false)
	}
}

// pipe copies src to dst; up is the client-to-server direction.
func (p *proxy) pipe(dst, src net.Conn, up bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && up {
			p.mu.Lock()
			for p.stalled {
				p.cond.Wait()
			}
			p.mu.Unlock()
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// setStall holds back (true) or lets through (false) what clients send.
func (p *proxy) setStall(stall bool) {
	p.mu.Lock()
	p.stalled = stall
	p.cond.Broadcast()
	p.mu.Unlock()
}

// setCut drops all connections and refuses new ones (true), or lets them
// through again (false).
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *proxy) close() {
	p.l.Close()
	p.setStall(false)
	p.setCut(true)
	p.wg.Wait()
}

// TestParticipantRefusesWhenCutOff cuts a node off from metad: a fragment
// that needs a newer catalog must be refused with 40001 within its
// deadline, and accepted once the node can reach metad again.
func TestParticipantRefusesWhenCutOff(t *testing.T) {
	e := startEnv(t, nil)
	p := startProxy(t, e.addr)
	nc := e.dial(t, p.addr())
	n := startNode(t, catsync.Config{Metad: nc})
	base := e.alloc(2)
	seq := e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "before_cut", "a")})
	waitApplied(t, n, seq)
	ctx := ctxT(t)
	if err := n.Shipped(ctx, seq, nil, time.Second); err != nil {
		t.Fatalf("Shipped at an applied seq: %v", err)
	}

	p.setCut(true)
	newSeq := e.commit(metad.Op{Put: table(base+1, catalog.PublicNamespace, "during_cut", "a")})
	start := time.Now()
	err := n.Shipped(ctx, newSeq, nil, time.Second)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("Shipped(%d) succeeded while cut off (node at %d)", newSeq, n.Cache().Seq())
	}
	if code := sqlerr.Code(err); code != sqlerr.SerializationFailure {
		t.Fatalf("Shipped while cut off: SQLSTATE %s (%v), want 40001", code, err)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("Shipped took %v to refuse, want <= 1.5 s", took)
	}
	t.Logf("refused after %v: %v", took, err)
	if s := n.Cache().Seq(); s >= newSeq {
		t.Fatalf("node at %d while cut off, past %d", s, newSeq)
	}

	p.setCut(false)
	restored := time.Now()
	for {
		err := n.Shipped(ctx, newSeq, nil, time.Second)
		if err == nil {
			break
		}
		if code := sqlerr.Code(err); code != sqlerr.SerializationFailure {
			t.Fatalf("Shipped after restore: SQLSTATE %s (%v), want 40001 or success", code, err)
		}
		if time.Since(restored) > 8*time.Second {
			t.Fatalf("node did not catch up within 8 s of the connection coming back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("caught up %v after the connection came back", time.Since(restored))
	if s := n.Cache().Seq(); s < newSeq {
		t.Fatalf("Shipped succeeded but the node is at %d < %d", s, newSeq)
	}
	if _, ok := n.Cache().TableByOID(base + 1); !ok {
		t.Fatal("table committed during the cut is missing after catching up")
	}
	// The queue is followed again: a later commit arrives without Shipped.
	b2 := e.alloc(1)
	seq = e.commit(metad.Op{Put: table(b2, catalog.PublicNamespace, "after_cut", "a")})
	waitApplied(t, n, seq)
	cat, _ := n.Snapshot()
	requireSnapshot(t, e.c, cat)
}

// Regression tests for bugs found while writing this file.

// TestShippedDeadlineWithStuckWriter: while the sync goroutine waits on
// metad over a connection that stopped delivering requests, it holds the
// cache's writer lock; Shipped must still refuse within its timeout
// instead of waiting for the lock (it waited ~70 s: until gRPC keepalives
// gave up on the connection).
func TestShippedDeadlineWithStuckWriter(t *testing.T) {
	e := startEnv(t, nil)
	p := startProxy(t, e.addr)
	nc := e.dial(t, p.addr())
	n := startNode(t, catsync.Config{Metad: nc})
	base := e.alloc(3)
	seq := e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "a", "x")})
	waitApplied(t, n, seq)

	p.setStall(true)
	// The queue (metad -> node) still delivers this set; the node's re-read
	// of the object (node -> metad) is held back.
	e.commit(metad.Op{Put: table(base+1, catalog.PublicNamespace, "b", "x")})
	time.Sleep(300 * time.Millisecond)
	s2 := e.commit(metad.Op{Put: table(base+2, catalog.PublicNamespace, "c", "x")})
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- n.Shipped(context.Background(), s2, nil, time.Second) }()
	select {
	case err := <-done:
		if code := sqlerr.Code(err); code != sqlerr.SerializationFailure {
			t.Fatalf("Shipped while metad is unreachable: %v (SQLSTATE %s), want 40001", err, code)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("Shipped with a 1 s timeout took %v", d)
		}
	case <-time.After(3 * time.Second):
		p.setStall(false)
		<-done
		t.Fatalf("Shipped with a 1 s timeout had not returned after 3 s")
	}
	p.setStall(false)
	waitApplied(t, n, s2)
}

// TestOneReloadPerCompaction: a node that was cut off while its position
// was compacted away must reload the catalog once, not once for the reset
// and again because it followed the queue from its old position before the
// reload landed.
func TestOneReloadPerCompaction(t *testing.T) {
	e := startEnv(t, nil)
	// Enough tables that a full load takes longer than the follow loop's
	// 20 ms backoff.
	const tables = 3000
	base := e.alloc(tables + 1)
	for lo := 0; lo < tables; lo += 500 {
		var ops []metad.Op
		for i := lo; i < lo+500; i++ {
			ops = append(ops, metad.Op{Put: table(base+catalog.OID(i), catalog.PublicNamespace, fmt.Sprintf("t%05d", i), "a", "b", "c", "d")})
		}
		e.commit(ops...)
	}
	p := startProxy(t, e.addr)
	nc := e.dial(t, p.addr())
	n := startNode(t, catsync.Config{Metad: nc})
	p.setCut(true)
	e.commit(metad.Op{Put: table(base+tables, catalog.PublicNamespace, "during_cut", "a")})
	if err := e.srv.Compact(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	p.setCut(false)
	waitApplied(t, n, e.seq())
	time.Sleep(time.Second)
	cat, _ := n.Snapshot()
	requireSnapshot(t, e.c, cat)
	if st := n.Cache().Stats(); st.Loads != 2 || st.Resets != 1 {
		t.Fatalf("want the first load and one reload, got %+v", st)
	}
}

// TestFileAheadOfMetad: a relcache file whose number is ahead of metad's
// comes from another etcd history (etcd's data was lost or replaced). The
// node must not serve it, and must not keep resetting afterwards (it did:
// ~50 full loads a second, forever).
func TestFileAheadOfMetad(t *testing.T) {
	e1 := startEnv(t, nil)
	file := filepath.Join(t.TempDir(), "relcache")
	n1 := startNode(t, catsync.Config{Metad: e1.c, File: file})
	base := e1.alloc(40)
	var last int64
	for i := 0; i < 40; i++ {
		last = e1.commit(metad.Op{Put: table(base+catalog.OID(i), catalog.PublicNamespace, fmt.Sprintf("old%d", i), "a")})
	}
	waitApplied(t, n1, last)
	n1.Close()

	e2 := startEnv(t, nil) // a fresh etcd: another history, at a lower revision
	if rev := e2.seq(); rev >= last {
		t.Fatalf("new etcd at %d, not below the file's %d", rev, last)
	}
	n2 := startNode(t, catsync.Config{Metad: e2.c, File: file})
	cat, _ := n2.Snapshot()
	requireSnapshot(t, e2.c, cat)
	time.Sleep(time.Second)
	cat, _ = n2.Snapshot()
	requireSnapshot(t, e2.c, cat)
	if st := n2.Cache().Stats(); st.Loads+st.Resets > 2 {
		t.Fatalf("node keeps reloading: %+v", st)
	}
}
