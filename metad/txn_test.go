package metad

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

func begin(t *testing.T, c *Client) TxnID {
	t.Helper()
	id, err := c.BeginTxn(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustStage(t *testing.T, c *Client, txn TxnID, ops ...Op) {
	t.Helper()
	if err := c.Stage(ctxT(t), txn, ops); err != nil {
		t.Fatal(err)
	}
}

// lastSeqs returns the seqs of the invalidation sets after from.
func setsAfter(t *testing.T, c *Client, from int64) []int64 {
	t.Helper()
	to, _ := snapshotMap(t, c)
	sets, err := c.ReadRange(ctxT(t), from, to)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, s := range sets {
		out = append(out, s.Seq)
	}
	return out
}

func TestTxnCommit(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)
	seq0, _ := snapshotMap(t, c)

	txn := begin(t, c)
	mustStage(t, c, txn, Op{Put: schema(base, "s")})
	mustStage(t, c, txn, Op{Put: table(base+1, base, "t")}, Op{Put: table(base+2, catalog.PublicNamespace, "u")})
	// Invisible to everyone until the commit.
	if _, objs := snapshotMap(t, c); objs[base] != nil || objs[base+1] != nil {
		t.Fatal("staged objects visible before commit")
	}
	seq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	_, objs := snapshotMap(t, c)
	if objs[base].Name() != "s" || objs[base+1].Table.Version != seq || objs[base+2].Name() != "u" {
		t.Fatalf("after commit: %v", objs)
	}
	sets, err := c.ReadRange(ctx, seq0, seq)
	if err != nil || len(sets) != 1 || sets[0].Seq != seq || len(sets[0].Messages) != 3 {
		t.Fatalf("sets after commit: %+v %v", sets, err)
	}
	if m := sets[0].Messages; m[0].OID != base || m[1].OID != base+1 || m[2].OID != base+2 {
		t.Fatalf("messages out of staging order: %+v", m)
	}
	// The transaction is over.
	err = c.Stage(ctx, txn, []Op{{Put: table(base+3, base, "v")}})
	wantCode(t, err, sqlerr.NoActiveSQLTransaction, "")
	if !strings.Contains(err.Error(), "committed") {
		t.Fatalf("error after commit: %v", err)
	}
	_, err = c.CommitTxn(ctx, txn)
	wantCode(t, err, sqlerr.NoActiveSQLTransaction, "")

	// An empty transaction commits nothing.
	txn = begin(t, c)
	eseq, err := c.CommitTxn(ctx, txn)
	if err != nil || eseq < seq {
		t.Fatalf("empty commit: %d %v", eseq, err)
	}
	if s := setsAfter(t, c, seq); len(s) != 0 {
		t.Fatalf("empty commit wrote sets %v", s)
	}

	// Abort discards; unknown IDs are 25P01.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base+4, base, "w")})
	if err := c.AbortTxn(ctx, txn); err != nil {
		t.Fatal(err)
	}
	err = c.Stage(ctx, txn, nil)
	wantCode(t, err, sqlerr.NoActiveSQLTransaction, fmt.Sprintf("metad transaction %d has ended: it was aborted", txn))
	_, err = c.CommitTxn(ctx, 12345)
	wantCode(t, err, sqlerr.NoActiveSQLTransaction, "metad transaction 12345 does not exist")
	if _, objs := snapshotMap(t, c); objs[base+4] != nil {
		t.Fatal("aborted object committed")
	}
}

func TestTxnMerge(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 20)
	v1 := mustCommit(t, c, Op{Put: table(base, catalog.PublicNamespace, "t")}, Op{Put: table(base+1, catalog.PublicNamespace, "d")})

	// Create then drop: nothing at all.
	txn := begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base+2, catalog.PublicNamespace, "tmp")})
	mustStage(t, c, txn, Op{Delete: base + 2})
	seq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	if s := setsAfter(t, c, v1); len(s) != 0 {
		t.Fatalf("create+drop wrote sets %v (commit %d)", s, seq)
	}
	// Dropping it again in the transaction is 42704; so is dropping twice.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base+2, catalog.PublicNamespace, "tmp")}, Op{Delete: base + 2})
	wantCode(t, c.Stage(ctx, txn, []Op{{Delete: base + 2}}), sqlerr.UndefinedObject, "")
	mustStage(t, c, txn, Op{Delete: base + 1})
	wantCode(t, c.Stage(ctx, txn, []Op{{Delete: base + 1}}), sqlerr.UndefinedObject, "")
	c.AbortTxn(ctx, txn)

	// Put then put: the last put, checked against the first op's version.
	txn = begin(t, c)
	p1 := table(base, catalog.PublicNamespace, "t")
	p1.Table.Manifest = "m1"
	mustStage(t, c, txn, Op{Put: p1, ExpectVersion: v1})
	p2 := table(base, catalog.PublicNamespace, "t")
	p2.Table.Manifest = "m2"
	mustStage(t, c, txn, Op{Put: p2})
	v2, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := c.Get(ctx, base)
	if got[base].Table.Manifest != "m2" || got[base].Table.Version != v2 {
		t.Fatalf("after put+put: %+v", got[base].Table)
	}
	sets, _ := c.ReadRange(ctx, v2-1, v2)
	if len(sets) != 1 || len(sets[0].Messages) != 1 {
		t.Fatalf("put+put sets %+v", sets)
	}
	// ... and the first op's version is what the commit checks.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Put: p1, ExpectVersion: v2})
	mustStage(t, c, txn, Op{Put: p2})
	p3 := table(base, catalog.PublicNamespace, "t")
	p3.Table.Manifest = "other"
	v3 := mustCommit(t, c, Op{Put: p3, ExpectVersion: v2})
	_, err = c.CommitTxn(ctx, txn)
	wantCode(t, err, sqlerr.SerializationFailure, "")

	// Put then drop: a drop checked against the put's version.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Put: p1, ExpectVersion: v3}, Op{Delete: base})
	dseq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	sets, _ = c.ReadRange(ctx, dseq-1, dseq)
	if len(sets) != 1 || len(sets[0].Messages) != 1 || !sets[0].Messages[0].Drop {
		t.Fatalf("put+drop sets %+v", sets)
	}

	// Drop then put (unchecked drop): a replacement checked against the
	// version the drop saw.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Delete: base + 1})
	d2 := table(base+1, catalog.PublicNamespace, "d2")
	mustStage(t, c, txn, Op{Put: d2})
	rseq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ = c.Get(ctx, base+1)
	if got[base+1].Name() != "d2" || got[base+1].Table.Version != rseq {
		t.Fatalf("after drop+put: %+v", got[base+1])
	}
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Delete: base + 1})
	mustStage(t, c, txn, Op{Put: table(base+1, catalog.PublicNamespace, "d3")})
	mustCommit(t, c, Op{Put: table(base+1, catalog.PublicNamespace, "d4"), ExpectVersion: rseq})
	_, err = c.CommitTxn(ctx, txn)
	wantCode(t, err, sqlerr.SerializationFailure, "")

	// Several ops on one OID in one Stage call merge in order too.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base+5, catalog.PublicNamespace, "a")}, Op{Put: table(base+5, catalog.PublicNamespace, "b")})
	mustStage(t, c, txn, Op{Put: table(base+6, catalog.PublicNamespace, "a")}) // "a" was freed
	if _, err := c.CommitTxn(ctx, txn); err != nil {
		t.Fatal(err)
	}
	if _, objs := snapshotMap(t, c); objs[base+5].Name() != "b" || objs[base+6].Name() != "a" {
		t.Fatalf("names: %v %v", objs[base+5], objs[base+6])
	}
}

func TestTxnStageValidation(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 50)
	v := mustCommit(t, c, Op{Put: schema(base, "s")}, Op{Put: table(base+1, base, "t")}, Op{Put: table(base+2, catalog.PublicNamespace, "p")})

	txn := begin(t, c)
	// Against the committed catalog.
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+10, base, "t")}}), sqlerr.DuplicateTable, `relation "t" already exists`)
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: schema(base+10, "s")}}), sqlerr.DuplicateSchema, `schema "s" already exists`)
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+10, 4242, "x")}}), sqlerr.UndefinedSchema, "schema with OID 4242 does not exist")
	wantCode(t, c.Stage(ctx, txn, []Op{{Delete: base}}), sqlerr.DependentObjectsStillExist, "cannot drop schema s because other objects depend on it")
	wantCode(t, c.Stage(ctx, txn, []Op{{Delete: catalog.PgCatalogNamespace}}), sqlerr.DependentObjectsStillExist, "")
	wantCode(t, c.Stage(ctx, txn, []Op{{Delete: 99999}}), sqlerr.UndefinedObject, "")
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+2, catalog.PublicNamespace, "p"), ExpectVersion: v - 1}}), sqlerr.SerializationFailure, "")
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+2, catalog.PublicNamespace, "p")}}), sqlerr.SerializationFailure, "")
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: schema(base+1, "t"), ExpectVersion: v}}), sqlerr.InvalidParameterValue, "")
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: &catalog.Object{}}}), sqlerr.InvalidParameterValue, "")

	// Against the transaction's own staged state.
	mustStage(t, c, txn, Op{Put: table(base+11, catalog.PublicNamespace, "n")})
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+12, catalog.PublicNamespace, "n")}}), sqlerr.DuplicateTable, `relation "n" already exists`)
	mustStage(t, c, txn, Op{Put: schema(base+13, "s2")})
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: schema(base+14, "s2")}}), sqlerr.DuplicateSchema, `schema "s2" already exists`)
	mustStage(t, c, txn, Op{Put: table(base+15, base+13, "in_s2")})
	wantCode(t, c.Stage(ctx, txn, []Op{{Delete: base + 13}}), sqlerr.DependentObjectsStillExist, "cannot drop schema s2 because other objects depend on it")
	// A failed Stage stages nothing: the first op here is fine, the second
	// is not, and neither is kept.
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+16, catalog.PublicNamespace, "ok")}, {Put: table(base+17, catalog.PublicNamespace, "n")}}), sqlerr.DuplicateTable, "")
	mustStage(t, c, txn, Op{Put: table(base+18, catalog.PublicNamespace, "ok")})
	// Dropping the committed schema's table frees the schema to be dropped;
	// a table cannot then go into it.
	mustStage(t, c, txn, Op{Delete: base + 1})
	mustStage(t, c, txn, Op{Delete: base})
	wantCode(t, c.Stage(ctx, txn, []Op{{Put: table(base+19, base, "z")}}), sqlerr.UndefinedSchema, `schema "s" does not exist`)
	// The dropped schema's name is free again, and so is the table's.
	mustStage(t, c, txn, Op{Put: schema(base+20, "s")}, Op{Put: table(base+21, base+20, "t")})
	// Renaming frees the old name within the transaction.
	mustStage(t, c, txn, Op{Put: table(base+2, catalog.PublicNamespace, "p2"), ExpectVersion: v})
	mustStage(t, c, txn, Op{Put: table(base+22, catalog.PublicNamespace, "p")})
	// Swapping two names in one Stage call is allowed, as in Commit.
	mustStage(t, c, txn, Op{Put: table(base+2, catalog.PublicNamespace, "p")}, Op{Put: table(base+22, catalog.PublicNamespace, "p2")})

	seq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	_, objs := snapshotMap(t, c)
	want := map[catalog.OID]string{base + 2: "p", base + 22: "p2", base + 20: "s", base + 21: "t", base + 18: "ok", base + 11: "n", base + 13: "s2", base + 15: "in_s2"}
	for oid, name := range want {
		if objs[oid] == nil || objs[oid].Name() != name {
			t.Fatalf("object %d = %v, want %q", oid, objs[oid], name)
		}
	}
	for _, oid := range []catalog.OID{base, base + 1, base + 16, base + 19} {
		if objs[oid] != nil {
			t.Fatalf("object %d exists: %v", oid, objs[oid])
		}
	}
	sets, _ := c.ReadRange(ctx, seq-1, seq)
	if len(sets) != 1 || len(sets[0].Messages) != 10 {
		t.Fatalf("one set with 10 messages expected: %+v", sets)
	}

	// Stage validates against the committed state of the moment; the
	// commit validates again: a name taken after staging fails the commit.
	txn = begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base+30, catalog.PublicNamespace, "late")})
	mustCommit(t, c, Op{Put: table(base+31, catalog.PublicNamespace, "late")})
	_, err = c.CommitTxn(ctx, txn)
	wantCode(t, err, sqlerr.DuplicateTable, `relation "late" already exists`)
}

func TestTxnSavepoints(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 20)
	pub := catalog.PublicNamespace

	txn := begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base, pub, "a")})
	if err := c.Savepoint(ctx, txn, "s1"); err != nil {
		t.Fatal(err)
	}
	mustStage(t, c, txn, Op{Put: table(base+1, pub, "b")})
	c.Savepoint(ctx, txn, "s2")
	mustStage(t, c, txn, Op{Put: table(base+2, pub, "c")}, Op{Delete: base})
	// Back to s2: c is gone, a is back, s2 stays.
	if err := c.RollbackTo(ctx, txn, "s2"); err != nil {
		t.Fatal(err)
	}
	mustStage(t, c, txn, Op{Put: table(base+3, pub, "c")}) // the name is free again
	if err := c.RollbackTo(ctx, txn, "s2"); err != nil {
		t.Fatal(err)
	}
	// Back to s1 discards s2 too.
	if err := c.RollbackTo(ctx, txn, "s1"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.RollbackTo(ctx, txn, "s2"), invalidSavepoint, `savepoint "s2" does not exist`)
	wantCode(t, c.Release(ctx, txn, "x"), invalidSavepoint, `savepoint "x" does not exist`)
	mustStage(t, c, txn, Op{Put: table(base+4, pub, "b")}) // b's name free again
	// Nested savepoints, released: their ops fold into the parent.
	c.Savepoint(ctx, txn, "s3")
	mustStage(t, c, txn, Op{Put: table(base+5, pub, "e")})
	c.Savepoint(ctx, txn, "s4")
	mustStage(t, c, txn, Op{Put: table(base+6, pub, "f")})
	if err := c.Release(ctx, txn, "s3"); err != nil { // releases s4 too
		t.Fatal(err)
	}
	wantCode(t, c.RollbackTo(ctx, txn, "s4"), invalidSavepoint, "")
	c.Savepoint(ctx, txn, "s5")
	mustStage(t, c, txn, Op{Put: table(base+7, pub, "g")})
	c.Release(ctx, txn, "s5")
	// A repeated name: the innermost wins.
	c.Savepoint(ctx, txn, "dup")
	mustStage(t, c, txn, Op{Put: table(base+8, pub, "h")})
	c.Savepoint(ctx, txn, "dup")
	mustStage(t, c, txn, Op{Put: table(base+9, pub, "i")})
	c.RollbackTo(ctx, txn, "dup") // discards i only
	c.Release(ctx, txn, "dup")    // the inner one
	wantCode(t, c.Savepoint(ctx, txn, ""), sqlerr.InvalidParameterValue, "")

	seq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	_, objs := snapshotMap(t, c)
	for oid, name := range map[catalog.OID]string{base: "a", base + 4: "b", base + 5: "e", base + 6: "f", base + 7: "g", base + 8: "h"} {
		if objs[oid] == nil || objs[oid].Name() != name {
			t.Fatalf("object %d = %v, want %q", oid, objs[oid], name)
		}
	}
	for _, oid := range []catalog.OID{base + 1, base + 2, base + 3, base + 9} {
		if objs[oid] != nil {
			t.Fatalf("rolled-back object %d committed", oid)
		}
	}
	sets, _ := c.ReadRange(ctx, seq-1, seq)
	if len(sets) != 1 || len(sets[0].Messages) != 6 {
		t.Fatalf("sets %+v", sets)
	}
}

// A DDL transaction touching 1,000 tables, staged statement by statement,
// commits as one sequence number.
func TestTxnThousandTables(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	const n = 1000
	base, _ := c.AllocOIDs(ctx, n+1)
	seq0, _ := snapshotMap(t, c)
	txn := begin(t, c)
	start := time.Now()
	mustStage(t, c, txn, Op{Put: schema(base, "big")})
	for i := 1; i <= n; i++ {
		mustStage(t, c, txn, Op{Put: table(base+catalog.OID(i), base, fmt.Sprintf("t%04d", i))})
	}
	staged := time.Since(start)
	seq, err := c.CommitTxn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("staged %d ops in %v, committed in %v", n+1, staged, time.Since(start)-staged)
	sets, err := c.ReadRange(ctx, seq0, seq)
	if err != nil || len(sets) != 1 || sets[0].Seq != seq || len(sets[0].Messages) != n+1 {
		t.Fatalf("want one set of %d messages: %d sets, %v", n+1, len(sets), err)
	}
	if _, objs := snapshotMap(t, c); len(objs) != n+5 {
		t.Fatalf("%d objects", len(objs))
	}
}

func TestTxnLifetime(t *testing.T) {
	t.Parallel() // waits on leases and timers
	cl := startClusterCfg(t, t.TempDir(), func(cfg *Config) { cfg.TxnIdleTimeout = 300 * time.Millisecond })
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)

	// Idle too long: discarded.
	txn := begin(t, c)
	mustStage(t, c, txn, Op{Put: table(base, catalog.PublicNamespace, "a")})
	time.Sleep(200 * time.Millisecond)
	mustStage(t, c, txn, Op{Put: table(base+1, catalog.PublicNamespace, "b")}) // use resets the clock
	time.Sleep(200 * time.Millisecond)
	mustStage(t, c, txn, Op{Put: table(base+2, catalog.PublicNamespace, "c")})
	time.Sleep(500 * time.Millisecond)
	_, err := c.CommitTxn(ctx, txn)
	wantCode(t, err, sqlerr.NoActiveSQLTransaction, "")
	if !strings.Contains(err.Error(), "idle") {
		t.Fatalf("expired: %v", err)
	}

	// The client's session ends: its transactions are discarded.
	c2, err := Dial(ctx, cl.addr)
	if err != nil {
		t.Fatal(err)
	}
	txn2, err := c2.BeginTxn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stage(ctx, txn2, []Op{{Put: table(base+3, catalog.PublicNamespace, "d")}}); err != nil {
		t.Fatal(err) // usable from any client while its session lives
	}
	c2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Stage(ctx, txn2, nil)
		if err != nil {
			wantCode(t, err, sqlerr.NoActiveSQLTransaction, "")
			if !strings.Contains(err.Error(), "session") {
				t.Fatalf("after session end: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("transaction survived its session")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A session that ended on metad's side is replaced transparently.
	c.sessMu.Lock()
	sid := c.sess.id
	c.sessMu.Unlock()
	cl.srv.txns.closeSession(sid, "test")
	txn3, err := c.BeginTxn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustStage(t, c, txn3, Op{Put: table(base+4, catalog.PublicNamespace, "e")})
	if _, err := c.CommitTxn(ctx, txn3); err != nil {
		t.Fatal(err)
	}
	if _, objs := snapshotMap(t, c); objs[base+4] == nil || objs[base] != nil || objs[base+3] != nil {
		t.Fatalf("objects: %v", objs)
	}
}

func TestTxnConcurrent(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 100)
	errs := make(chan error, 10)
	for g := 0; g < 10; g++ {
		go func(g int) {
			txn, err := c.BeginTxn(context.Background())
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < 5; i++ {
				oid := base + catalog.OID(g*10+i)
				if err := c.Stage(context.Background(), txn, []Op{{Put: table(oid, catalog.PublicNamespace, fmt.Sprintf("g%d_%d", g, i))}}); err != nil {
					errs <- err
					return
				}
			}
			_, err = c.CommitTxn(context.Background(), txn)
			errs <- err
		}(g)
	}
	for g := 0; g < 10; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, objs := snapshotMap(t, c); len(objs) != 54 {
		t.Fatalf("%d objects", len(objs))
	}
}
