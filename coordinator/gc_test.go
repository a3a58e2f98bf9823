package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/storage"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// gcKey returns a key as NewDataFileKey or NewManifestKey would have made
// it at created (n makes keys made at the same moment differ).
func gcKey(table catalog.OID, kind storage.ObjectKind, created time.Time, n int) string {
	if kind == storage.ManifestObject {
		return fmt.Sprintf("tables/%d/manifests/%019d-%016x.json", table, created.UnixNano(), n)
	}
	return fmt.Sprintf("tables/%d/data/%019d-%016x.parquet", table, created.UnixNano(), n)
}

// TestSweep follows objects through passes with GCGrace (the age at which
// an unreferenced object is dead) of an hour.
func TestSweep(t *testing.T) {
	const deadAge = time.Hour
	var (
		live     = gcKey(1, storage.DataFileObject, t0.Add(-48*time.Hour), 1) // referenced throughout
		old      = gcKey(1, storage.DataFileObject, t0.Add(-48*time.Hour), 2) // unreferenced by a DELETE just before t0
		young    = gcKey(2, storage.DataFileObject, t0.Add(-10*time.Minute), 3)
		foreign  = "tables/1/data/imported.parquet"
		revived  = gcKey(3, storage.ManifestObject, t0.Add(-2*time.Hour), 4)
		vanished = gcKey(3, storage.DataFileObject, t0.Add(-2*time.Hour), 5)
	)
	var g collector
	steps := []struct {
		at     time.Duration // since t0
		grace  time.Duration
		keys   []string
		refs   []string
		doomed []string
		dead   int // objects remembered as dead afterwards
	}{
		// old, revived and vanished are dead from now; young is not yet.
		{0, time.Hour, []string{live, old, young, foreign, revived, vanished}, []string{live}, nil, 3},
		// revived is referenced again (it cannot be, past the commit
		// fence, but the memory must not outlive it); vanished was
		// deleted elsewhere.
		{10 * time.Minute, time.Hour, []string{live, old, young, foreign, revived}, []string{live, revived}, nil, 1},
		// young turns dead at 50 minutes; old is not dead for an hour yet.
		{59 * time.Minute, time.Hour, []string{live, old, young, foreign, revived}, []string{live}, nil, 3},
		// An hour after it was found dead, old goes; revived's clock
		// restarted at 59 minutes.
		{time.Hour, time.Hour, []string{live, old, young, foreign, revived}, []string{live}, []string{old}, 3},
		{time.Hour + 59*time.Minute, time.Hour, []string{live, young, foreign, revived}, []string{live}, []string{young, revived}, 2},
	}
	for i, s := range steps {
		refs := map[string]bool{}
		for _, k := range s.refs {
			refs[k] = true
		}
		doomed, res := g.sweep(s.keys, refs, t0.Add(s.at), s.grace, deadAge)
		if !slices.Equal(doomed, s.doomed) {
			t.Errorf("step %d: doomed %v, want %v", i, doomed, s.doomed)
		}
		if len(g.dead) != s.dead {
			t.Errorf("step %d: %d dead objects remembered, want %d: %v", i, len(g.dead), s.dead, g.dead)
		}
		if res.Listed != len(s.keys) || res.Referenced != len(s.refs) || res.Unparsed != 1 ||
			res.Kept != len(s.keys)-len(s.refs)-1-len(s.doomed) {
			t.Errorf("step %d: counts %+v", i, res)
		}
	}

	// Grace 0 deletes every unreferenced object that parses, dead or not.
	doomed, _ := g.sweep([]string{live, young, foreign}, map[string]bool{live: true}, t0, 0, deadAge)
	if !slices.Equal(doomed, []string{young}) {
		t.Errorf("grace 0: doomed %v, want %v", doomed, []string{young})
	}
}

// TestSweepShortGrace checks that a grace shorter than GCGrace shortens
// only the wait after an object is dead: a young unreferenced object (maybe
// an open transaction's) is not deleted.
func TestSweepShortGrace(t *testing.T) {
	var g collector
	young := gcKey(1, storage.DataFileObject, t0.Add(-20*time.Minute), 1)
	old := gcKey(1, storage.DataFileObject, t0.Add(-20*time.Hour), 2)
	keys := []string{young, old}
	if doomed, _ := g.sweep(keys, nil, t0, time.Minute, time.Hour); len(doomed) != 0 {
		t.Fatalf("first pass doomed %v", doomed)
	}
	doomed, _ := g.sweep(keys, nil, t0.Add(time.Minute), time.Minute, time.Hour)
	if !slices.Equal(doomed, []string{old}) {
		t.Fatalf("second pass doomed %v, want %v", doomed, []string{old})
	}
}

// gcFixture is a catalog and an in-memory store holding its objects plus
// garbage.
type gcFixture struct {
	store storage.ObjectStore
	cat   *catalog.Catalog
	seq   int64
}

func (f *gcFixture) put(t *testing.T, key string, data []byte) {
	t.Helper()
	if err := f.store.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
}

// table commits a table whose manifest lists files.
func (f *gcFixture) table(t *testing.T, oid catalog.OID, manifest string, files ...string) {
	t.Helper()
	m := &storage.Manifest{Table: oid}
	for _, k := range files {
		m.Files = append(m.Files, storage.DataFile{Key: k, Rows: 1, Size: 3})
		f.put(t, k, []byte("PAR"))
	}
	f.put(t, manifest, storage.EncodeManifest(m))
	f.cat.Put(&catalog.Object{Table: &catalog.Table{OID: oid, Namespace: 2200, Name: fmt.Sprintf("t%d", oid), Manifest: manifest}})
	f.seq++
}

func (f *gcFixture) env(now time.Time) gcEnv {
	return gcEnv{
		store:   f.store,
		catalog: func(context.Context) (*catalog.Catalog, int64, error) { return f.cat, f.seq, nil },
		manifest: func(ctx context.Context, t *catalog.Table) (*storage.Manifest, error) {
			b, err := f.store.Get(ctx, t.Manifest)
			if err != nil {
				return nil, err
			}
			return storage.DecodeManifest(b)
		},
		now: func() time.Time { return now },
	}
}

func (f *gcFixture) keys(t *testing.T) []string {
	t.Helper()
	keys, err := f.store.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestPassDeletesExactlyTheUnreferenced runs passes against the in-memory
// store: the current manifests and their files stay; replaced manifests,
// rewritten and aborted files and a dropped table's objects go; a view, an
// empty table and objects outside tables/ are nothing to it.
func TestPassDeletesExactlyTheUnreferenced(t *testing.T) {
	ctx := context.Background()
	f := &gcFixture{store: storage.NewMem(), cat: catalog.New()}
	old := t0.Add(-3 * time.Hour)
	a1, a2, a3 := gcKey(10, storage.DataFileObject, old, 1), gcKey(10, storage.DataFileObject, old, 2), gcKey(10, storage.DataFileObject, old, 3)
	ma1, ma2 := gcKey(10, storage.ManifestObject, old, 1), gcKey(10, storage.ManifestObject, old, 2)
	// Table 10: manifest ma1 listed a1 and a2; a DELETE rewrote a2 as a3
	// and committed ma2.
	f.table(t, 10, ma1, a1, a2)
	f.table(t, 10, ma2, a1, a3)
	// An aborted COPY into table 10 left a young file and an old one.
	abortedOld := gcKey(10, storage.DataFileObject, old, 4)
	abortedYoung := gcKey(10, storage.DataFileObject, t0.Add(-time.Minute), 5)
	f.put(t, abortedOld, []byte("PAR"))
	f.put(t, abortedYoung, []byte("PAR"))
	// Table 11 was dropped.
	b1, mb := gcKey(11, storage.DataFileObject, old, 6), gcKey(11, storage.ManifestObject, old, 7)
	f.table(t, 11, mb, b1)
	f.cat.Delete(11)
	// Table 12 is empty, 13 is a view; other objects are not table objects.
	f.cat.Put(&catalog.Object{Table: &catalog.Table{OID: 12, Namespace: 2200, Name: "empty"}})
	f.cat.Put(&catalog.Object{Table: &catalog.Table{OID: 13, Namespace: 2200, Name: "v", ViewQuery: "SELECT 1"}})
	f.put(t, "tables/10/data/upload.tmp", nil)
	f.put(t, "other/1", nil)

	var g collector
	// With GCGrace an hour, the first pass finds the old garbage dead and
	// deletes nothing; an hour later it goes, the young file stays.
	res, err := g.pass(ctx, f.env(t0), time.Hour, time.Hour)
	if err != nil || res.Deleted() != 0 || res.Kept != 6 || res.Referenced != 3 || res.Unparsed != 1 || res.Seq != f.seq {
		t.Fatalf("first pass: %+v, %v", res, err)
	}
	res, err = g.pass(ctx, f.env(t0.Add(time.Hour)), time.Hour, time.Hour)
	if err != nil || res.DeletedDataFiles != 3 || res.DeletedManifests != 2 || res.Kept != 1 {
		t.Fatalf("second pass: %+v, %v", res, err)
	}
	// Only the young file, dead from now, is remembered.
	if _, ok := g.dead[abortedYoung]; !ok || len(g.dead) != 1 {
		t.Fatalf("remembered as dead: %v", g.dead)
	}
	want := []string{"other/1", "tables/10/data/upload.tmp", a1, a3, abortedYoung, ma2}
	slices.Sort(want)
	if got := f.keys(t); !slices.Equal(got, want) {
		t.Fatalf("left\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Grace 0 takes the young file too, and nothing referenced.
	res, err = g.pass(ctx, f.env(t0.Add(time.Hour)), 0, time.Hour)
	if err != nil || res.DeletedDataFiles != 1 || res.Deleted() != 1 {
		t.Fatalf("grace 0: %+v, %v", res, err)
	}
	want = slices.DeleteFunc(want, func(k string) bool { return k == abortedYoung })
	if got := f.keys(t); !slices.Equal(got, want) {
		t.Fatalf("left\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPassUnreadableManifest checks that a pass that cannot read a current
// manifest deletes nothing: the files it lists are unknown.
func TestPassUnreadableManifest(t *testing.T) {
	ctx := context.Background()
	f := &gcFixture{store: storage.NewMem(), cat: catalog.New()}
	old := t0.Add(-3 * time.Hour)
	m := gcKey(10, storage.ManifestObject, old, 1)
	f.table(t, 10, m, gcKey(10, storage.DataFileObject, old, 2))
	if err := f.store.Delete(ctx, m); err != nil {
		t.Fatal(err)
	}
	var g collector
	res, err := g.pass(ctx, f.env(t0), 0, time.Hour)
	if err == nil || !f.store.IsNotExist(err) || res.Deleted() != 0 {
		t.Fatalf("pass: %+v, %v; want a not-exist error", res, err)
	}
	if got := f.keys(t); len(got) != 1 {
		t.Fatalf("left %v", got)
	}
}

// failingDeletes fails Delete for some keys.
type failingDeletes struct {
	storage.ObjectStore
	fail map[string]bool
}

var errInjected = errors.New("injected delete failure")

func (s failingDeletes) Delete(ctx context.Context, key string) error {
	if s.fail[key] {
		return errInjected
	}
	return s.ObjectStore.Delete(ctx, key)
}

// TestDeleteObjectsContinuesAfterFailure checks that a failed delete fails
// the pass but the other keys are still deleted and counted.
func TestDeleteObjectsContinuesAfterFailure(t *testing.T) {
	ctx := context.Background()
	mem := storage.NewMem()
	var keys []string
	for i := range 20 {
		kind := storage.DataFileObject
		if i%4 == 0 {
			kind = storage.ManifestObject
		}
		k := gcKey(catalog.OID(1+i%3), kind, t0, i)
		if err := mem.Put(ctx, k, nil); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	var res GCResult
	deleted, err := deleteObjects(ctx, failingDeletes{mem, map[string]bool{keys[7]: true}}, keys, &res)
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), keys[7]) {
		t.Fatalf("err = %v", err)
	}
	slices.Sort(deleted)
	if want := slices.Sorted(slices.Values(slices.Delete(slices.Clone(keys), 7, 8))); !slices.Equal(deleted, want) {
		t.Fatalf("deleted %v, want %v", deleted, want)
	}
	if res.DeletedManifests != 5 || res.DeletedDataFiles != 14 {
		t.Fatalf("counted %+v", res)
	}
	if left, _ := mem.List(ctx, ""); !slices.Equal(left, []string{keys[7]}) {
		t.Fatalf("left %v", left)
	}
}

// TestFencedFile checks the commit fence: a transaction may commit the
// files it wrote less than the fence ago and files the committed manifest
// lists, however old, but not an old file of its own.
func TestFencedFile(t *testing.T) {
	const fence = 30 * time.Minute
	committedOld := gcKey(1, storage.DataFileObject, t0.Add(-48*time.Hour), 1)
	recent := gcKey(1, storage.DataFileObject, t0.Add(-29*time.Minute), 2)
	stale := gcKey(1, storage.DataFileObject, t0.Add(-31*time.Minute), 3)
	reads := 0
	committed := func() (*storage.Manifest, error) {
		reads++
		return &storage.Manifest{Files: []storage.DataFile{{Key: committedOld}}}, nil
	}
	files := func(keys ...string) []storage.DataFile {
		var out []storage.DataFile
		for _, k := range keys {
			out = append(out, storage.DataFile{Key: k})
		}
		return out
	}
	for _, tc := range []struct {
		files []string
		want  string
		reads int
	}{
		{[]string{recent, "tables/1/data/imported.parquet"}, "", 0},
		{[]string{committedOld, recent}, "", 1},
		{[]string{committedOld, recent, stale}, stale, 1},
	} {
		reads = 0
		got, err := fencedFile(t0, fence, files(tc.files...), committed)
		if err != nil || got != tc.want || reads != tc.reads {
			t.Errorf("fencedFile(%v) = %q, %v after %d reads; want %q after %d", tc.files, got, err, reads, tc.want, tc.reads)
		}
	}
	fail := errors.New("no manifest")
	if _, err := fencedFile(t0, fence, files(stale), func() (*storage.Manifest, error) { return nil, fail }); !errors.Is(err, fail) {
		t.Errorf("manifest error: got %v", err)
	}
}
