package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator"
	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/storage"
)

// gcNode starts one more coordinator on the cluster, on its own store
// handle and not registered with metad, so commits made elsewhere do not
// wait for it: its catalog lags unless a pass catches it up.
func gcNode(t *testing.T, c *devcluster.Cluster, dir string, interval, grace time.Duration) (*coordinator.Coordinator, storage.ObjectStore) {
	t.Helper()
	store, err := storage.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	co, err := coordinator.New(ctx, coordinator.Config{Metad: c.MetadAddr, Participants: c.ParticipantAddrs,
		Store: store, GCInterval: interval, GCGrace: grace, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { co.Close(); store.Close() })
	return co, store
}

// tableObjects lists the objects under tables/.
func tableObjects(t *testing.T, store storage.ObjectStore) []string {
	t.Helper()
	keys, err := store.List(context.Background(), storage.TablesPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// committedTables reads the committed tables from metad directly (not
// through any coordinator's cache).
func committedTables(t *testing.T, c *devcluster.Cluster) []*catalog.Table {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mc, err := metad.Dial(ctx, c.MetadAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	_, objs, err := mc.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tabs []*catalog.Table
	for _, o := range objs {
		if o.Table != nil {
			tabs = append(tabs, o.Table)
		}
	}
	return tabs
}

// tablePrefix returns the object prefix of the committed table name.
func tablePrefix(t *testing.T, c *devcluster.Cluster, name string) string {
	t.Helper()
	for _, tab := range committedTables(t, c) {
		if tab.Name == name {
			return storage.TablePrefix(tab.OID)
		}
	}
	t.Fatalf("no table %s", name)
	return ""
}

// committedObjects is the oracle: the objects the committed catalog
// references, sorted.
func committedObjects(t *testing.T, c *devcluster.Cluster, store storage.ObjectStore) []string {
	t.Helper()
	var keys []string
	for _, tab := range committedTables(t, c) {
		if tab.Manifest == "" {
			continue
		}
		b, err := store.Get(context.Background(), tab.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := storage.DecodeManifest(b)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tab.Manifest)
		for _, f := range m.Files {
			keys = append(keys, f.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

// without returns the keys of a not in b (both sorted).
func without(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(k string) bool { _, found := slices.BinarySearch(b, k); return found })
}

func copyRows(t *testing.T, conn *pgx.Conn, table string, from, to int) {
	t.Helper()
	var sb strings.Builder
	for k := from; k < to; k++ {
		fmt.Fprintf(&sb, "%d\tv%d\n", k, k)
	}
	if _, err := conn.PgConn().CopyFrom(context.Background(), strings.NewReader(sb.String()), "COPY "+table+" FROM STDIN"); err != nil {
		t.Fatalf("COPY %s: %v", table, err)
	}
}

// TestGarbageCollection makes every kind of garbage — files rewritten by a
// DELETE, replaced manifests, a rolled-back COPY, a dropped table — and
// checks that a pass with grace 0 deletes exactly the objects the committed
// catalog does not reference (the oracle reads metad, not a cache), that
// queries still return the same answers, and that a pass with a long grace
// deletes nothing new.
func TestGarbageCollection(t *testing.T) {
	dir := t.TempDir()
	c := startCluster(t, dir)
	conn := connect(t, c)
	gc, store := gcNode(t, c, dir, -1, 0)
	ctx := context.Background()

	exec1(t, conn, `CREATE TABLE a (k int NOT NULL, v text)`)
	for i := range 3 {
		copyRows(t, conn, "a", i*100, (i+1)*100)
	}
	exec1(t, conn, `DELETE FROM a WHERE k % 10 = 0`)
	beforeRollback := tableObjects(t, store)
	exec1(t, conn, `BEGIN`)
	copyRows(t, conn, "a", 1000, 1100)
	exec1(t, conn, `ROLLBACK`)
	rolledBack := without(tableObjects(t, store), beforeRollback)
	if len(rolledBack) == 0 {
		t.Fatal("the rolled-back COPY wrote no objects")
	}
	exec1(t, conn, `CREATE TABLE b (k int NOT NULL, v text)`)
	copyRows(t, conn, "b", 0, 50)
	dropped := tablePrefix(t, c, "b")
	exec1(t, conn, `DROP TABLE b`)
	exec1(t, conn, `CREATE TABLE empty (k int)`)
	exec1(t, conn, `CREATE VIEW va AS SELECT k FROM a WHERE k < 50`)
	// The last commit comes just before the pass: the collecting
	// coordinator must catch up to it, or it would take a's new manifest
	// and file for garbage.
	exec1(t, conn, `INSERT INTO a VALUES (5000, 'last'), (5001, 'last')`)

	const answer = `SELECT count(*), sum(k), count(DISTINCT v), (SELECT count(*) FROM va) FROM a`
	want := rows(t, conn, answer)
	if want[0] != "272|50501|271|45" {
		t.Fatalf("before collecting: %v", want)
	}
	live := committedObjects(t, c, store)
	listed := tableObjects(t, store)
	garbage := without(listed, live)
	if missing := without(live, listed); len(missing) > 0 {
		t.Fatalf("referenced objects missing before collecting: %v", missing)
	}
	for _, k := range rolledBack {
		if !slices.Contains(garbage, k) {
			t.Errorf("rolled-back object %s is not garbage", k)
		}
	}
	var droppedN, manifestsN int
	for _, k := range garbage {
		if strings.HasPrefix(k, dropped) {
			droppedN++
		} else if pk, _ := storage.ParseObjectKey(k); pk.Kind == storage.ManifestObject {
			manifestsN++
		}
	}
	// b's manifest and data file; a's manifests replaced by the COPYs,
	// the DELETE and the INSERT (three: the first has none before it).
	if droppedN < 2 || manifestsN < 4 {
		t.Errorf("garbage has %d objects of the dropped table and %d replaced manifests of a: %v", droppedN, manifestsN, garbage)
	}

	res, err := gc.CollectGarbage(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted() != len(garbage) || res.Referenced != len(live) || res.Kept != 0 {
		t.Errorf("pass %+v; want %d deleted of %d listed, %d referenced", res, len(garbage), len(listed), len(live))
	}
	collected := res.Deleted()
	if got := tableObjects(t, store); !slices.Equal(got, live) {
		t.Fatalf("after collecting:\n%s\nwant the referenced objects:\n%s", strings.Join(got, "\n"), strings.Join(live, "\n"))
	}
	if got := rows(t, conn, answer); !slices.Equal(got, want) {
		t.Fatalf("after collecting: %v, want %v", got, want)
	}
	// The table is still writable, and another session reads it whole.
	exec1(t, conn, `UPDATE a SET v = 'u' || v WHERE k < 20`)
	conn2 := connect(t, c)
	if got := rows(t, conn2, `SELECT count(*), sum(k), count(*) FILTER (WHERE v LIKE 'u%') FROM a`); !slices.Equal(got, []string{"272|50501|18"}) {
		t.Fatalf("after UPDATE: %v", got)
	}

	// New garbage, young: a pass with a long grace deletes none of it.
	exec1(t, conn, `DELETE FROM a WHERE k < 5`)
	exec1(t, conn, `BEGIN`)
	copyRows(t, conn, "a", 2000, 2010)
	exec1(t, conn, `ROLLBACK`)
	listed = tableObjects(t, store)
	live = committedObjects(t, c, store)
	garbage = without(listed, live)
	if len(garbage) == 0 {
		t.Fatal("no new garbage")
	}
	res, err = gc.CollectGarbage(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted() != 0 || res.Kept != len(garbage) {
		t.Errorf("pass with a long grace: %+v; want none of %d unreferenced objects deleted", res, len(garbage))
	}
	if got := tableObjects(t, store); !slices.Equal(got, listed) {
		t.Errorf("the pass with a long grace changed the store:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(listed, "\n"))
	}
	if st := gc.GCStats(); st.Passes != 2 || st.FailedPasses != 0 || int(st.DeletedDataFiles+st.DeletedManifests) != collected || st.Dead != 0 {
		t.Errorf("stats %+v; want 2 passes that deleted %d objects", st, collected)
	}
}

// TestGarbageCollectionLoop checks the automatic passes: with a short
// grace, a dropped table's objects go without anyone asking, and the
// counters say so.
func TestGarbageCollectionLoop(t *testing.T) {
	dir := t.TempDir()
	c := startCluster(t, dir)
	conn := connect(t, c)
	exec1(t, conn, `CREATE TABLE a (k int NOT NULL, v text)`)
	copyRows(t, conn, "a", 0, 100)
	exec1(t, conn, `CREATE TABLE b (k int NOT NULL, v text)`)
	copyRows(t, conn, "b", 0, 100)
	dropped := tablePrefix(t, c, "b")

	gc, store := gcNode(t, c, dir, 20*time.Millisecond, 50*time.Millisecond)
	exec1(t, conn, `DROP TABLE b`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		left := 0
		for _, k := range tableObjects(t, store) {
			if strings.HasPrefix(k, dropped) {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d objects of the dropped table left after 20 s; stats %+v", left, gc.GCStats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The pass that deleted the objects counts them when it finishes.
	for st := gc.GCStats(); st.DeletedDataFiles == 0 || st.DeletedManifests == 0; st = gc.GCStats() {
		if time.Now().After(deadline) {
			t.Fatalf("the dropped table's objects are gone but the stats do not count them: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := gc.GCStats(); st.Passes == 0 || st.FailedPasses != 0 {
		t.Errorf("stats %+v", st)
	}
	if got := rows(t, conn, `SELECT count(*), sum(k) FROM a`); !slices.Equal(got, []string{"100|4950"}) {
		t.Errorf("a after collecting: %v", got)
	}
	if live, listed := committedObjects(t, c, store), tableObjects(t, store); !slices.Equal(live, listed) {
		t.Errorf("left %v, want the referenced %v", listed, live)
	}
}
