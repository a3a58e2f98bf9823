package metad

import (
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

func register(t *testing.T, c *Client, id string, applied int64) *Membership {
	t.Helper()
	m, err := c.RegisterNode(ctxT(t), NodeInfo{ID: id, Role: "participant", Addr: id + ":1", Applied: applied})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func nodeIDs(t *testing.T, c *Client) string {
	t.Helper()
	ns, err := c.Nodes(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return fmt.Sprint(ids)
}

// kill stops a membership as a crashed process would: no deregistration,
// no more keepalives.
func kill(m *Membership) {
	m.cancel()
	<-m.done
}

func TestWaitApplied(t *testing.T) {
	t.Parallel() // waits on leases and timers
	const ttl = time.Second
	cl := startClusterCfg(t, t.TempDir(), func(cfg *Config) { cfg.NodeTTL = ttl })
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)
	seq := mustCommit(t, c, Op{Put: table(base, catalog.PublicNamespace, "t")})

	// No nodes: nothing to wait for.
	if lag, err := c.WaitApplied(ctx, seq, time.Second); err != nil || len(lag) != 0 {
		t.Fatalf("WaitApplied without nodes: %v %v", lag, err)
	}

	n1, n2, n3 := register(t, c, "n1", 0), register(t, c, "n2", 0), register(t, c, "n3", seq-1)
	if ids := nodeIDs(t, c); ids != "[n1 n2 n3]" {
		t.Fatalf("nodes %s", ids)
	}
	n1.ReportApplied(seq)
	n2.ReportApplied(seq)
	// n3 never reports: the wait ends at the timeout, naming it.
	start := time.Now()
	lag, err := c.WaitApplied(ctx, seq, 700*time.Millisecond)
	d := time.Since(start)
	if err != nil || len(lag) != 1 || lag[0].ID != "n3" || lag[0].Applied != seq-1 || lag[0].Addr != "n3:1" || lag[0].Role != "participant" {
		t.Fatalf("WaitApplied = %+v, %v", lag, err)
	}
	if d < 650*time.Millisecond || d > 2*time.Second {
		t.Fatalf("WaitApplied returned after %v, want the 700 ms timeout", d)
	}
	// Once it reports, the wait ends at once.
	n3.ReportApplied(seq)
	start = time.Now()
	if lag, err := c.WaitApplied(ctx, seq, 5*time.Second); err != nil || len(lag) != 0 {
		t.Fatalf("WaitApplied after all applied: %v %v", lag, err)
	}
	// Reports arriving during the wait end it.
	seq2 := mustCommit(t, c, Op{Put: table(base+1, catalog.PublicNamespace, "u")})
	go func() {
		time.Sleep(200 * time.Millisecond)
		for i := int64(0); i <= 50; i++ { // many reports, coalesced
			n1.ReportApplied(seq2 - 50 + i)
			n2.ReportApplied(seq2 - 50 + i)
			n3.ReportApplied(seq2 - 50 + i)
		}
	}()
	start = time.Now()
	if lag, err := c.WaitApplied(ctx, seq2, 5*time.Second); err != nil || len(lag) != 0 {
		t.Fatalf("WaitApplied with late reports: %v %v", lag, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Fatalf("WaitApplied with reports after 200 ms took %v", d)
	}

	// A node that dies stops blocking once its lease expires.
	n4 := register(t, c, "n4", 0)
	seq3 := mustCommit(t, c, Op{Put: table(base+2, catalog.PublicNamespace, "v")})
	n1.ReportApplied(seq3)
	n2.ReportApplied(seq3)
	n3.ReportApplied(seq3)
	time.Sleep(100 * time.Millisecond)
	kill(n4)
	start = time.Now()
	if lag, err := c.WaitApplied(ctx, seq3, 10*time.Second); err != nil || len(lag) != 0 {
		t.Fatalf("WaitApplied with a dead node: %v %v", lag, err)
	}
	if d := time.Since(start); d > ttl+1500*time.Millisecond {
		t.Fatalf("a dead node blocked WaitApplied for %v (lease TTL %v)", d, ttl)
	}
	if ids := nodeIDs(t, c); ids != "[n1 n2 n3]" {
		t.Fatalf("nodes after n4 died: %s", ids)
	}

	// Keepalives keep live nodes registered well past the TTL.
	time.Sleep(2 * ttl)
	if ids := nodeIDs(t, c); ids != "[n1 n2 n3]" {
		t.Fatalf("nodes after 2 TTLs: %s", ids)
	}
	// Close deregisters at once.
	n2.Close()
	if ids := nodeIDs(t, c); ids != "[n1 n3]" {
		t.Fatalf("nodes after Close: %s", ids)
	}
}

func TestMembershipTakeover(t *testing.T) {
	t.Parallel() // waits on leases and timers
	cl := startClusterCfg(t, t.TempDir(), func(cfg *Config) { cfg.NodeTTL = time.Second })
	c := cl.c
	_, err := c.RegisterNode(ctxT(t), NodeInfo{ID: "bad/id"})
	wantCode(t, err, sqlerr.InvalidParameterValue, "")

	old := register(t, c, "x", 5)
	c2, err := Dial(ctxT(t), cl.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	register(t, c2, "x", 7) // a restarted process with the same ID
	select {
	case <-old.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the superseded membership kept running")
	}
	wantCode(t, old.Err(), sqlerr.DuplicateObject, "")
	ns, err := c.Nodes(ctxT(t))
	if err != nil || len(ns) != 1 || ns[0].Applied != 7 {
		t.Fatalf("nodes %+v %v", ns, err)
	}
}

// Liveness follows keepalives: a node whose metad is gone disappears after
// its lease; a node whose lease was lost while its stream lives registers
// again with its latest reports.
func TestMembershipLiveness(t *testing.T) {
	t.Parallel() // waits on leases and timers
	cl := startClusterCfg(t, t.TempDir(), func(cfg *Config) { cfg.NodeTTL = time.Second })
	srv2, c2 := secondServer(t, cl)
	m := register(t, cl.c, "r", 0)
	cl.srv.Close() // m's keepalives reach no metad any more
	deadline := time.Now().Add(5 * time.Second)
	for nodeIDs(t, c2) != "[]" {
		if time.Now().After(deadline) {
			t.Fatalf("node outlived its lease with its metad gone: %s", nodeIDs(t, c2))
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.Close() // deregistering is impossible; Close still returns

	m2 := register(t, c2, "r2", 0)
	m2.ReportApplied(42)
	time.Sleep(100 * time.Millisecond)
	resp, err := srv2.cli.Get(ctxT(t), srv2.k.node("r2"))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatal(resp, err)
	}
	if _, err := srv2.cli.Revoke(ctxT(t), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		ns, _ := c2.Nodes(ctxT(t))
		if len(ns) == 1 && ns[0].Applied == 42 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not registered again after its lease was lost: %+v", ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCatalogHash(t *testing.T) {
	a := table(20000, catalog.PublicNamespace, "a")
	b := schema(20001, "s")
	h1 := CatalogHash([]*catalog.Object{a, b})
	a2 := table(20000, catalog.PublicNamespace, "a")
	a2.Table.Version = 99
	if h2 := CatalogHash([]*catalog.Object{b, a2}); h2 != h1 {
		t.Fatal("hash depends on order or Version")
	}
	if a2.Table.Version != 99 {
		t.Fatal("CatalogHash modified its input")
	}
	a3 := table(20000, catalog.PublicNamespace, "a")
	a3.Table.Manifest = "m"
	if CatalogHash([]*catalog.Object{a3, b}) == h1 {
		t.Fatal("hash ignores the manifest")
	}
	e1 := &catalog.Object{Table: &catalog.Table{OID: 5, Namespace: 2200, Name: "e"}}
	e2 := &catalog.Object{Table: &catalog.Table{OID: 5, Namespace: 2200, Name: "e", Columns: []catalog.Column{}}}
	if CatalogHash([]*catalog.Object{e1}) != CatalogHash([]*catalog.Object{e2}) {
		t.Fatal("nil and empty column lists hash differently")
	}
}

// A node reporting a wrong catalog hash is told to reset within 10 s (with
// the default check interval); a node with the right hash is not.
func TestDriftReset(t *testing.T) {
	t.Parallel() // waits on leases and timers
	cl := startCluster(t, t.TempDir())
	c := cl.c
	ctx := ctxT(t)
	base, _ := c.AllocOIDs(ctx, 10)
	mustCommit(t, c, Op{Put: schema(base, "s")}, Op{Put: table(base+1, base, "t")})
	seq, objs, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	good := CatalogHash(objs)
	if h, err := cl.srv.hashAt(ctx, seq); err != nil || h != good {
		t.Fatalf("metad's hash %q (%v), node's %q", h, err, good)
	}
	// The catalog moves on; hashes are compared at the reported seq.
	mustCommit(t, c, Op{Put: table(base+2, base, "u")})

	ok := register(t, c, "ok", seq)
	drifted := register(t, c, "drifted", seq)
	ok.ReportHash(seq, good)
	start := time.Now()
	drifted.ReportHash(seq, "0000")
	select {
	case <-drifted.Resets():
		t.Logf("reset after %v", time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatal("no reset within 10 s")
	}
	select {
	case <-ok.Resets():
		t.Fatal("a node with the right hash was reset")
	default:
	}
	// Delivered once: the drifted node's report is cleared until it reports
	// again, and a correct report after reloading causes nothing.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ns, _, err := cl.srv.listNodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := ns[cl.srv.k.node("drifted")]; r.Hash == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reset order not cleared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	seq2, objs2, _ := c.Snapshot(ctx)
	drifted.ReportHash(seq2, CatalogHash(objs2))
	time.Sleep(100 * time.Millisecond)
	if reset, err := cl.srv.CheckHashes(ctx); err != nil || len(reset) != 0 {
		t.Fatalf("CheckHashes after healing: %v %v", reset, err)
	}
	// A report from the future (another etcd history) is drift too.
	ok.ReportHash(seq2+1000, good)
	time.Sleep(100 * time.Millisecond)
	if reset, err := cl.srv.CheckHashes(ctx); err != nil || fmt.Sprint(reset) != "[ok]" {
		t.Fatalf("CheckHashes with a future seq: %v %v", reset, err)
	}
	select {
	case <-ok.Resets():
	case <-time.After(5 * time.Second):
		t.Fatal("no reset for a future seq")
	}
	// Compacted revisions are skipped, not reset (seq+1 was never hashed).
	if err := cl.srv.Compact(ctx, 0); err != nil {
		t.Fatal(err)
	}
	drifted.ReportHash(seq+1, "0000")
	time.Sleep(100 * time.Millisecond)
	if reset, err := cl.srv.CheckHashes(ctx); err != nil || len(reset) != 0 {
		t.Fatalf("CheckHashes at a compacted seq: %v %v", reset, err)
	}
}
