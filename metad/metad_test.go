package metad

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
)

// cluster is an embedded etcd, a metad serving on loopback and a client.
type cluster struct {
	t    *testing.T
	dir  string
	etcd *EmbeddedEtcd
	srv  *Server
	addr string
	c    *Client
	done chan error
}

func startCluster(t *testing.T, dir string) *cluster {
	t.Helper()
	return startClusterCfg(t, dir, nil)
}

// startClusterCfg is startCluster with the server's Config adjusted by
// adjust (when not nil).
func startClusterCfg(t *testing.T, dir string, adjust func(*Config)) *cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	ee, err := StartEtcd(ctx, dir, "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("embedded etcd took %v to start", d)
	}
	cfg := Config{Endpoints: ee.Endpoints(), HeartbeatInterval: 200 * time.Millisecond}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := NewServer(ctx, cfg)
	if err != nil {
		ee.Close()
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, dir: dir, etcd: ee, srv: srv, addr: l.Addr().String(), done: make(chan error, 1)}
	go func() { cl.done <- srv.Serve(l) }()
	cl.c, err = Dial(ctx, cl.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	return cl
}

func (cl *cluster) stop() {
	if cl.c == nil {
		return
	}
	cl.c.Close()
	cl.srv.Close()
	if err := <-cl.done; err != nil {
		cl.t.Errorf("Serve: %v", err)
	}
	cl.etcd.Close()
	cl.c = nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func table(oid, ns catalog.OID, name string) *catalog.Object {
	return &catalog.Object{Table: &catalog.Table{OID: oid, Namespace: ns, Name: name,
		Columns: []catalog.Column{{Name: "a", Type: catalog.Type{}}}}}
}

func schema(oid catalog.OID, name string) *catalog.Object {
	return &catalog.Object{Namespace: &catalog.Namespace{OID: oid, Name: name}}
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want SQLSTATE %s, got success", code)
	}
	var se *sqlerr.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *sqlerr.Error %s, got %T %v", code, err, err)
	}
	if se.Code != code {
		t.Fatalf("want SQLSTATE %s, got %s: %v", code, se.Code, se.Message)
	}
	if msg != "" && se.Message != msg {
		t.Fatalf("want message %q, got %q", msg, se.Message)
	}
}

func mustCommit(t *testing.T, c *Client, ops ...Op) int64 {
	t.Helper()
	seq, err := c.Commit(ctxT(t), ops)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func snapshotMap(t *testing.T, c *Client) (int64, map[catalog.OID]*catalog.Object) {
	t.Helper()
	seq, objs, err := c.Snapshot(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	m := map[catalog.OID]*catalog.Object{}
	for _, o := range objs {
		m[o.OID()] = o
	}
	return seq, m
}

func TestBootstrap(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	ctx := ctxT(t)
	seq, objs := snapshotMap(t, cl.c)
	if len(objs) != 4 || objs[catalog.PublicNamespace].Name() != "public" || objs[catalog.PgCatalogNamespace].Name() != "pg_catalog" ||
		objs[catalog.BootstrapSuperuser].Name() != catalog.BootstrapSuperuserName || !objs[catalog.BootstrapSuperuser].Role.Super {
		t.Fatalf("bootstrap objects: %v", objs)
	}
	first, err := cl.c.AllocOIDs(ctx, 10)
	if err != nil || first != catalog.FirstUserOID {
		t.Fatalf("AllocOIDs = %d, %v", first, err)
	}
	if next, _ := cl.c.AllocOIDs(ctx, 1); next != catalog.FirstUserOID+10 {
		t.Fatalf("second AllocOIDs = %d", next)
	}
	// A second server on the same etcd does not bootstrap again.
	s2, err := NewServer(ctx, Config{Endpoints: cl.etcd.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if next, _ := cl.c.AllocOIDs(ctx, 1); next != catalog.FirstUserOID+11 {
		t.Fatalf("AllocOIDs after second server = %d", next)
	}
	sets, err := cl.c.ReadRange(ctx, 0, seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 || len(sets[0].Messages) != 4 {
		t.Fatalf("bootstrap invalidation sets: %+v", sets)
	}
	// Get reports missing objects as absent.
	got, _, err := cl.c.Get(ctx, catalog.PublicNamespace, 99999)
	if err != nil || len(got) != 1 || got[catalog.PublicNamespace] == nil {
		t.Fatalf("Get = %v, %v", got, err)
	}
}

func TestAllocOIDsConcurrent(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	var mu sync.Mutex
	seen := map[catalog.OID]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				first, err := cl.c.AllocOIDs(context.Background(), 3)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for o := first; o < first+3; o++ {
					if seen[o] {
						t.Errorf("OID %d allocated twice", o)
					}
					seen[o] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 8*20*3 {
		t.Fatalf("%d OIDs", len(seen))
	}
	_, err := cl.c.AllocOIDs(context.Background(), 0)
	wantCode(t, err, sqlerr.InvalidParameterValue, "")
}

func TestCreateAndNames(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 100)

	seq := mustCommit(t, c, Op{Put: table(base, catalog.PublicNamespace, "t")})
	got, gseq, err := c.Get(ctx, base)
	if err != nil || got[base] == nil || got[base].Table.Version != seq || gseq < seq {
		t.Fatalf("Get after create: %v %d %v (seq %d)", got, gseq, err, seq)
	}

	// Duplicate table name.
	_, err = c.Commit(ctx, []Op{{Put: table(base+1, catalog.PublicNamespace, "t")}})
	wantCode(t, err, sqlerr.DuplicateTable, `relation "t" already exists`)
	// Two ops claiming one name.
	_, err = c.Commit(ctx, []Op{{Put: table(base+1, catalog.PublicNamespace, "u")}, {Put: table(base+2, catalog.PublicNamespace, "u")}})
	wantCode(t, err, sqlerr.DuplicateTable, `relation "u" already exists`)
	// The same name in another schema is fine.
	mustCommit(t, c, Op{Put: schema(base+3, "s")}, Op{Put: table(base+4, base+3, "t")})
	// Duplicate schema.
	_, err = c.Commit(ctx, []Op{{Put: schema(base+5, "s")}})
	wantCode(t, err, sqlerr.DuplicateSchema, `schema "s" already exists`)
	// Unknown schema.
	_, err = c.Commit(ctx, []Op{{Put: table(base+6, 4242, "x")}})
	wantCode(t, err, sqlerr.UndefinedSchema, "")
	// Dropping a schema with tables.
	_, err = c.Commit(ctx, []Op{{Delete: base + 3}})
	wantCode(t, err, sqlerr.DependentObjectsStillExist, "cannot drop schema s because other objects depend on it")
	var se *sqlerr.Error
	errors.As(err, &se)
	if se.Detail != "table s.t depends on schema s" || se.Hint == "" {
		t.Fatalf("detail %q hint %q", se.Detail, se.Hint)
	}
	_, err = c.Commit(ctx, []Op{{Delete: catalog.PgCatalogNamespace}})
	wantCode(t, err, sqlerr.DependentObjectsStillExist, "")
	// Creating a table in a schema dropped by the same commit.
	_, err = c.Commit(ctx, []Op{{Delete: base + 3}, {Delete: base + 4}, {Put: table(base+7, base+3, "z")}})
	wantCode(t, err, sqlerr.UndefinedSchema, `schema "s" does not exist`)
	// Deleting a missing object.
	_, err = c.Commit(ctx, []Op{{Delete: 77777}})
	wantCode(t, err, sqlerr.UndefinedObject, "")
	// One OID twice.
	_, err = c.Commit(ctx, []Op{{Put: table(base+8, catalog.PublicNamespace, "a")}, {Delete: base + 8}})
	wantCode(t, err, sqlerr.InvalidParameterValue, "")

	// Drop a schema and its table together; the messages say what happened.
	seq = mustCommit(t, c, Op{Delete: base + 4}, Op{Delete: base + 3})
	sets, err := c.ReadRange(ctx, seq-1, seq)
	if err != nil {
		t.Fatal(err)
	}
	want := []invalidation.Message{{Kind: catalog.KindTable, OID: base + 4, Drop: true}, {Kind: catalog.KindNamespace, OID: base + 3, Drop: true}}
	if len(sets) != 1 || sets[0].Seq != seq || fmt.Sprint(sets[0].Messages) != fmt.Sprint(want) {
		t.Fatalf("sets %+v", sets)
	}
	// The name is free again.
	mustCommit(t, c, Op{Put: schema(base+9, "s")})

	// Drop t and create a new t in one commit.
	_, objs := snapshotMap(t, c)
	v := objs[base].Table.Version
	mustCommit(t, c, Op{Delete: base, ExpectVersion: v}, Op{Put: table(base+10, catalog.PublicNamespace, "t")})

	// Rename t -> t2, then the old name is free; swap names of two tables.
	_, objs = snapshotMap(t, c)
	t10 := objs[base+10].Table
	renamed := *t10
	renamed.Name = "t2"
	mustCommit(t, c, Op{Put: &catalog.Object{Table: &renamed}, ExpectVersion: t10.Version})
	mustCommit(t, c, Op{Put: table(base+11, catalog.PublicNamespace, "t")})
	_, objs = snapshotMap(t, c)
	a, b := *objs[base+10].Table, *objs[base+11].Table
	a.Name, b.Name = b.Name, a.Name
	mustCommit(t, c, Op{Put: &catalog.Object{Table: &a}, ExpectVersion: a.Version}, Op{Put: &catalog.Object{Table: &b}, ExpectVersion: b.Version})
	_, objs = snapshotMap(t, c)
	if objs[base+10].Name() != "t" || objs[base+11].Name() != "t2" {
		t.Fatalf("after swap: %v %v", objs[base+10].Name(), objs[base+11].Name())
	}
	// Renaming onto a taken name fails.
	a = *objs[base+10].Table
	a.Name = "t2"
	_, err = c.Commit(ctx, []Op{{Put: &catalog.Object{Table: &a}, ExpectVersion: a.Version}})
	wantCode(t, err, sqlerr.DuplicateTable, `relation "t2" already exists`)
	// Move a table to another schema.
	a = *objs[base+10].Table
	a.Namespace = base + 9
	mustCommit(t, c, Op{Put: &catalog.Object{Table: &a}, ExpectVersion: a.Version})
	_, err = c.Commit(ctx, []Op{{Delete: base + 9}})
	wantCode(t, err, sqlerr.DependentObjectsStillExist, "")

	// Rename a schema, with its version from GetVersions.
	vers, _, err := c.GetVersions(ctx, base+9)
	if err != nil || vers[base+9] == 0 {
		t.Fatalf("GetVersions %v %v", vers, err)
	}
	mustCommit(t, c, Op{Put: schema(base+9, "s2"), ExpectVersion: vers[base+9]})
	mustCommit(t, c, Op{Put: schema(base+12, "s")})
}

func TestVersionConflicts(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	oid, _ := c.AllocOIDs(ctx, 1)
	v1 := mustCommit(t, c, Op{Put: table(oid, catalog.PublicNamespace, "t")})

	upd := table(oid, catalog.PublicNamespace, "t")
	upd.Table.Manifest = "m1"
	v2 := mustCommit(t, c, Op{Put: upd, ExpectVersion: v1})

	const msg = "could not serialize access due to concurrent update"
	upd.Table.Manifest = "m2"
	_, err := c.Commit(ctx, []Op{{Put: upd, ExpectVersion: v1}})
	wantCode(t, err, sqlerr.SerializationFailure, msg)
	_, err = c.Commit(ctx, []Op{{Put: upd}}) // must not exist yet
	wantCode(t, err, sqlerr.SerializationFailure, msg)
	_, err = c.Commit(ctx, []Op{{Delete: oid, ExpectVersion: v1}})
	wantCode(t, err, sqlerr.SerializationFailure, msg)

	// Concurrent writers of one version: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := table(oid, catalog.PublicNamespace, "t")
			o.Table.Manifest = fmt.Sprintf("w%d", i)
			_, err := c.Commit(context.Background(), []Op{{Put: o, ExpectVersion: v2}})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if sqlerr.Code(err) == sqlerr.SerializationFailure {
				conflicts++
			} else {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || conflicts != 9 {
		t.Fatalf("wins %d conflicts %d", wins, conflicts)
	}
	// Concurrent creators of one name: one wins, the others see the name
	// taken once they re-read.
	first, _ := c.AllocOIDs(ctx, 10)
	wins, dups := 0, 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := c.Commit(context.Background(), []Op{{Put: table(first+catalog.OID(i), catalog.PublicNamespace, "same")}})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if sqlerr.Code(err) == sqlerr.DuplicateTable {
				dups++
			} else {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || dups != 9 {
		t.Fatalf("same-name creates: wins %d duplicates %d", wins, dups)
	}

	_, objs := snapshotMap(t, c)
	seqDel := mustCommit(t, c, Op{Delete: oid, ExpectVersion: objs[oid].Table.Version})
	_, err = c.Commit(ctx, []Op{{Put: upd, ExpectVersion: seqDel - 1}})
	wantCode(t, err, sqlerr.SerializationFailure, msg)
}

func TestLargeCommit(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	const n = 2000
	base, err := c.AllocOIDs(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = Op{Put: table(base+catalog.OID(i), catalog.PublicNamespace, fmt.Sprintf("t%04d", i))}
	}
	start := time.Now()
	seq := mustCommit(t, c, ops...)
	t.Logf("commit of %d puts: %v", n, time.Since(start))
	snapSeq, objs := snapshotMap(t, c)
	if snapSeq != seq || len(objs) != n+4 {
		t.Fatalf("snapshot seq %d (commit %d), %d objects", snapSeq, seq, len(objs))
	}
	for i := 0; i < n; i++ {
		if o := objs[base+catalog.OID(i)]; o == nil || o.Table.Version != seq {
			t.Fatalf("object %d: %+v", i, o)
		}
	}
	sets, err := c.ReadRange(ctx, seq-1, seq)
	if err != nil || len(sets) != 1 || len(sets[0].Messages) != n {
		t.Fatalf("ReadRange: %d sets, %v", len(sets), err)
	}
	// A conflicting large commit fails as a whole.
	ops2 := make([]Op, n)
	for i := range ops2 {
		ops2[i] = Op{Put: table(base+n+catalog.OID(i), catalog.PublicNamespace, fmt.Sprintf("u%04d", i))}
	}
	ops2[n-1] = Op{Put: table(base+2*n, catalog.PublicNamespace, "t0000")}
	_, err = c.Commit(ctx, ops2)
	wantCode(t, err, sqlerr.DuplicateTable, "")
	if _, objs := snapshotMap(t, c); len(objs) != n+4 {
		t.Fatalf("failed commit left %d objects", len(objs))
	}
}

// follower collects a Follow stream's events.
type follower struct {
	ev   chan FollowEvent
	done chan error
}

func follow(t *testing.T, c *Client, from int64) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{ev: make(chan FollowEvent, 1000), done: make(chan error, 1)}
	go func() { f.done <- c.Follow(ctx, from, func(e FollowEvent) error { f.ev <- e; return nil }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			t.Error("Follow did not return after cancel")
		}
	})
	return f
}

// next returns the next event with messages (skipping heartbeats).
func (f *follower) next(t *testing.T) FollowEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-f.ev:
			if len(e.Set.Messages) > 0 || e.Reset {
				return e
			}
		case err := <-f.done:
			t.Fatalf("Follow ended: %v", err)
		case <-timeout:
			t.Fatal("no invalidation set within 5 s")
		}
	}
}

func TestFollow(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	seq0, _ := snapshotMap(t, c)
	live := follow(t, c, seq0)

	base, _ := c.AllocOIDs(ctx, 10)
	var seqs []int64
	for i := 0; i < 5; i++ {
		seqs = append(seqs, mustCommit(t, c, Op{Put: table(base+catalog.OID(i), catalog.PublicNamespace, fmt.Sprintf("t%d", i))}))
	}
	seqs = append(seqs, mustCommit(t, c, Op{Delete: base}))
	check := func(f *follower, seqs []int64) {
		t.Helper()
		for i, want := range seqs {
			e := f.next(t)
			if e.Set.Seq != want {
				t.Fatalf("set %d: seq %d, want %d", i, e.Set.Seq, want)
			}
			m := e.Set.Messages
			if i < 5 && (len(m) != 1 || m[0].OID != base+catalog.OID(i) || m[0].Kind != catalog.KindTable || m[0].Drop) {
				t.Fatalf("set %d: %+v", i, m)
			}
			if i == 5 && (len(m) != 1 || m[0].OID != base || !m[0].Drop) {
				t.Fatalf("drop set: %+v", m)
			}
		}
	}
	check(live, seqs)

	// Heartbeats arrive and reach the latest seq.
	deadline := time.After(3 * time.Second)
	for hb := 0; hb < 2; {
		select {
		case e := <-live.ev:
			if len(e.Set.Messages) == 0 && !e.Reset {
				if e.Set.Seq < seqs[len(seqs)-1] {
					t.Fatalf("heartbeat seq %d behind %d", e.Set.Seq, seqs[len(seqs)-1])
				}
				hb++
			}
		case <-deadline:
			t.Fatal("fewer than 2 heartbeats in 3 s")
		}
	}

	// Replay from an old seq.
	old := follow(t, c, seq0)
	check(old, seqs)
	// From 0: the bootstrap set first.
	all := follow(t, c, 0)
	if e := all.next(t); len(e.Set.Messages) != 4 || e.Set.Messages[0].Kind != catalog.KindRole {
		t.Fatalf("first set from 0: %+v", e)
	}
	check(all, seqs)

	// fn's error ends Follow.
	boom := errors.New("boom")
	if err := c.Follow(ctx, seq0, func(FollowEvent) error { return boom }); err != boom {
		t.Fatalf("Follow returned %v", err)
	}
	// A canceled ctx ends Follow with 57014.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err := c.Follow(cctx, seqs[len(seqs)-1], func(FollowEvent) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("Follow after deadline: %v", err)
	}
}

func TestReadRange(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)
	var seqs []int64
	for i := 0; i < 6; i++ {
		seqs = append(seqs, mustCommit(t, c, Op{Put: table(base+catalog.OID(i), catalog.PublicNamespace, fmt.Sprintf("t%d", i))}))
		c.AllocOIDs(ctx, 1) // unrelated revisions in between
	}
	sets, err := c.ReadRange(ctx, seqs[1], seqs[4])
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 3 {
		t.Fatalf("%d sets", len(sets))
	}
	for i, s := range sets {
		if s.Seq != seqs[2+i] || s.Messages[0].OID != base+catalog.OID(2+i) {
			t.Fatalf("set %d: %+v", i, s)
		}
	}
	if sets, _ := c.ReadRange(ctx, seqs[5], seqs[5]); len(sets) != 0 {
		t.Fatalf("empty range: %v", sets)
	}
	_, err = c.ReadRange(ctx, seqs[0], seqs[5]+1000)
	wantCode(t, err, sqlerr.InvalidParameterValue, "")
}

func TestCompactionReset(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)
	s1 := mustCommit(t, c, Op{Put: table(base, catalog.PublicNamespace, "a")})
	s2 := mustCommit(t, c, Op{Put: table(base+1, catalog.PublicNamespace, "b")})
	s3 := mustCommit(t, c, Op{Put: table(base+2, catalog.PublicNamespace, "c")})
	if err := cl.srv.Compact(ctx, s2); err != nil {
		t.Fatal(err)
	}
	// Following from before the compaction: reset, then Follow returns nil.
	var evs []FollowEvent
	err := c.Follow(ctx, s1, func(e FollowEvent) error { evs = append(evs, e); return nil })
	if err != nil || len(evs) != 1 || !evs[0].Reset {
		t.Fatalf("Follow from compacted seq: %v %+v", err, evs)
	}
	if _, err := c.ReadRange(ctx, s1, s3); !errors.Is(err, ErrCompacted) {
		t.Fatalf("ReadRange from compacted seq: %v", err)
	}
	// From the compaction point on, history is complete.
	sets, err := c.ReadRange(ctx, s2, s3)
	if err != nil || len(sets) != 1 || sets[0].Seq != s3 {
		t.Fatalf("ReadRange after floor: %+v %v", sets, err)
	}
	f := follow(t, c, s2)
	if e := f.next(t); e.Reset || e.Set.Seq != s3 {
		t.Fatalf("Follow from floor: %+v", e)
	}
	// The catalog itself is untouched.
	if _, objs := snapshotMap(t, c); len(objs) != 7 {
		t.Fatalf("%d objects after compaction", len(objs))
	}
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	cl := startCluster(t, dir)
	ctx := ctxT(t)
	base, _ := cl.c.AllocOIDs(ctx, 5)
	mustCommit(t, cl.c, Op{Put: schema(base, "s")}, Op{Put: table(base+1, base, "t")})
	seq1, objs1 := snapshotMap(t, cl.c)
	cl.stop()

	cl2 := startCluster(t, dir)
	seq2, objs2 := snapshotMap(t, cl2.c)
	if seq2 < seq1 || len(objs2) != len(objs1) {
		t.Fatalf("after restart: seq %d (was %d), %d objects (was %d)", seq2, seq1, len(objs2), len(objs1))
	}
	if objs2[base+1].Table.Version != objs1[base+1].Table.Version || objs2[base+1].Name() != "t" {
		t.Fatalf("table after restart: %+v", objs2[base+1].Table)
	}
	if next, _ := cl2.c.AllocOIDs(ctx, 1); next != base+5 {
		t.Fatalf("AllocOIDs after restart = %d, want %d", next, base+5)
	}
	_, err := cl2.c.Commit(ctx, []Op{{Put: table(base+2, base, "t")}})
	wantCode(t, err, sqlerr.DuplicateTable, "")
	sets, err := cl2.c.ReadRange(ctx, 0, seq2)
	if err != nil || len(sets) != 2 {
		t.Fatalf("history after restart: %d sets, %v", len(sets), err)
	}
}

func TestDialUnreachable(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, addr)
	wantCode(t, err, sqlerr.ConnectionFailure, "")
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Dial took %v", time.Since(start))
	}
}

func TestNewServerUnreachableEtcd(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err := NewServer(context.Background(), Config{Endpoints: []string{"http://" + addr}, DialTimeout: time.Second})
	if err == nil {
		t.Fatal("NewServer with no etcd succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("NewServer took %v to fail", time.Since(start))
	}
}

func TestFollowEnds(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	ctx := ctxT(t)
	seq, _ := snapshotMap(t, cl.c)
	// A seq metad never issued (etcd history replaced): reset.
	var evs []FollowEvent
	err := cl.c.Follow(ctx, seq+1000, func(e FollowEvent) error { evs = append(evs, e); return nil })
	if err != nil || len(evs) != 1 || !evs[0].Reset {
		t.Fatalf("Follow from the future: %v %+v", err, evs)
	}
	// Closing metad ends followers with 08006.
	done := make(chan error, 1)
	go func() { done <- cl.c.Follow(ctx, seq, func(FollowEvent) error { return nil }) }()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	cl.srv.Close()
	select {
	case err := <-done:
		wantCode(t, err, sqlerr.ConnectionFailure, "")
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not end when metad closed")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

// TestBootstrapUpgrade starts metad on a catalog from before roles existed
// (no bootstrap role, schemas without privileges): the role and the
// schemas' privileges appear, as one invalidation set, and a second start
// changes nothing.
func TestBootstrapUpgrade(t *testing.T) {
	dir := t.TempDir()
	cl := startCluster(t, dir)
	ctx := ctxT(t)
	k := newKeys("")
	cli := cl.srv.cli
	if _, err := cli.Delete(ctx, k.obj(catalog.BootstrapSuperuser)); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Delete(ctx, k.name(catalog.KindRole, 0, catalog.BootstrapSuperuserName)); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Delete(ctx, k.obj(catalog.DatabaseOwnerRole)); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Delete(ctx, k.name(catalog.KindRole, 0, catalog.DatabaseOwnerRoleName)); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []*catalog.Namespace{{OID: catalog.PgCatalogNamespace, Name: "pg_catalog"}, {OID: catalog.PublicNamespace, Name: "public"}} {
		if _, err := cli.Put(ctx, k.obj(ns.OID), string((&catalog.Object{Namespace: ns}).Encode())); err != nil {
			t.Fatal(err)
		}
	}
	seq1, _ := snapshotMap(t, cl.c)
	cl.stop()

	cl2 := startCluster(t, dir)
	seq2, objs := snapshotMap(t, cl2.c)
	r := objs[catalog.BootstrapSuperuser]
	if r == nil || r.Role == nil || !r.Role.Super || !r.Role.CanLogin || r.Name() != catalog.BootstrapSuperuserName {
		t.Fatalf("bootstrap role after upgrade: %+v", r)
	}
	for oid, want := range map[catalog.OID]string{catalog.PgCatalogNamespace: "{cirrus=UC/cirrus,=U/cirrus}",
		catalog.PublicNamespace: "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}"} {
		ns := objs[oid].Namespace
		if got := "{" + strings.Join(cat(objs).ACLText(ns.ACL), ",") + "}"; got != want {
			t.Errorf("schema %s ACL after upgrade: %v, want %s", ns.Name, got, want)
		}
	}
	sets, err := cl2.c.ReadRange(ctx, seq1, seq2)
	if err != nil || len(sets) != 1 || len(sets[0].Messages) != 4 {
		t.Fatalf("upgrade sets: %+v, %v", sets, err)
	}
	cl2.stop()
	cl3 := startCluster(t, dir)
	if seq3, _ := snapshotMap(t, cl3.c); seq3 != seq2 {
		t.Fatalf("second start changed the catalog: seq %d, was %d", seq3, seq2)
	}
}

func cat(objs map[catalog.OID]*catalog.Object) *catalog.Catalog {
	c := catalog.New()
	for _, o := range objs {
		c.Put(o)
	}
	return c
}
