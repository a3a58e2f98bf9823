package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
)

const t0 = catalog.FirstUserOID

func opts() Options {
	return Options{IsCompacted: func(err error) bool { return errors.Is(err, errCompacted) }}
}

func loaded(t *testing.T, f *fakeSource) *Cache {
	t.Helper()
	c := New(f, opts())
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.resetCalls()
	return c
}

// sameAsSource fails unless the cache holds exactly the source's objects
// (versions included).
func sameAsSource(t *testing.T, c *Cache, f *fakeSource) {
	t.Helper()
	cat, _ := c.Snapshot()
	f.mu.Lock()
	want := f.all()
	f.mu.Unlock()
	got := cat.Objects()
	enc := func(objs []*catalog.Object) map[catalog.OID]string {
		m := map[catalog.OID]string{}
		for _, o := range objs {
			m[o.OID()] = fmt.Sprintf("%s@%d", o.Encode(), o.Parent())
		}
		return m
	}
	if g, w := enc(got), enc(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("cache differs from source:\n got %v\nwant %v", g, w)
	}
}

func wantCalls(t *testing.T, f *fakeSource, want calls) {
	t.Helper()
	if got := f.calls(); got != want {
		t.Fatalf("source calls %+v, want %+v", got, want)
	}
}

func TestLoadAndLookups(t *testing.T) {
	f := seeded(3)
	c := New(f, opts())
	if cat, seq := c.Snapshot(); seq != 0 || cat.Len() != 0 || c.Loaded() {
		t.Fatalf("new cache: seq %d, %d objects", seq, cat.Len())
	}
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameAsSource(t, c, f)
	if c.Seq() != f.head() || !c.Loaded() {
		t.Fatalf("seq %d, want %d", c.Seq(), f.head())
	}
	if _, ok := c.Table(catalog.PublicNamespace, "t1"); !ok {
		t.Fatal("t1 not found")
	}
	if _, ok := c.Table(catalog.PublicNamespace, "nope"); ok {
		t.Fatal("nope found")
	}
	if tb, ok := c.TableByOID(t0 + 2); !ok || tb.Name != "t2" || tb.Version != 1 {
		t.Fatalf("TableByOID: %+v", tb)
	}
	if _, ok := c.Namespace("public"); !ok {
		t.Fatal("public not found")
	}
	if _, ok := c.NamespaceByOID(7); ok {
		t.Fatal("namespace 7 found")
	}
	st := c.Stats()
	want := Stats{SyscacheHits: 3, SyscacheMisses: 2, Loads: 1, SourceRequests: 1}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

func manifestOf(tb *catalog.Table) (any, error) { return "decoded " + tb.Manifest, nil }

func TestApplyRereadsAndEvicts(t *testing.T) {
	f := seeded(3)
	c := loaded(t, f)
	ctx := context.Background()
	for _, oid := range []catalog.OID{t0, t0 + 1, t0 + 2} {
		if _, err := c.Rel(oid, manifestOf); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := c.Rel(t0, manifestOf)
	if r.Extra != "decoded m/0/0" {
		t.Fatalf("Extra %v", r.Extra)
	}
	before, _ := c.Snapshot()

	// t0 gets a new manifest, t0+1 is dropped, t0+9 is created.
	set := f.commit([]*catalog.Object{table(t0, "t0", "m/0/1"), table(t0+9, "t9", "")}, t0+1)
	if err := c.Apply(ctx, set); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, f, calls{gets: 1})
	if got := f.getOIDs[0]; !reflect.DeepEqual(got, []catalog.OID{t0, t0 + 1, t0 + 9}) {
		t.Fatalf("Get(%v)", got)
	}
	sameAsSource(t, c, f)
	if c.Seq() != set.Seq {
		t.Fatalf("seq %d, want %d", c.Seq(), set.Seq)
	}
	// The old snapshot is untouched (copy-on-write).
	if tb, _ := before.TableByOID(t0); tb.Manifest != "m/0/0" {
		t.Fatalf("old snapshot changed: %+v", tb)
	}
	if _, ok := before.TableByOID(t0 + 1); !ok {
		t.Fatal("old snapshot lost a table")
	}
	st := c.Stats()
	if st.RelcacheEvictions != 2 || st.SetsApplied != 1 {
		t.Fatalf("stats %+v", st)
	}
	r, err := c.Rel(t0, manifestOf)
	if err != nil || r.Extra != "decoded m/0/1" || r.Table.Manifest != "m/0/1" {
		t.Fatalf("Rel after apply: %+v, %v", r, err)
	}
	if _, err := c.Rel(t0+1, manifestOf); !errors.Is(err, ErrNoRelation) {
		t.Fatalf("Rel of a dropped table: %v", err)
	}
	// t0+2 did not change: its entry stayed.
	if r, _ := c.Rel(t0+2, manifestOf); r.Table != mustTable(t, c, t0+2) {
		t.Fatal("t0+2 rebuilt")
	}
	st = c.Stats()
	if st.RelcacheMisses != 4 || st.RelcacheHits != 2 {
		t.Fatalf("stats %+v", st)
	}

	// The same set again, an older one, and a heartbeat: no source request.
	f.resetCalls()
	if err := c.Apply(ctx, set); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, invalidation.Set{Seq: 1, Messages: set.Messages}); err != nil {
		t.Fatal(err)
	}
	hb := f.tick()
	if err := c.Apply(ctx, invalidation.Set{Seq: hb}); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, f, calls{})
	if c.Seq() != hb || c.Stats().SetsApplied != 1 {
		t.Fatalf("seq %d, stats %+v", c.Seq(), c.Stats())
	}
}

func mustTable(t *testing.T, c *Cache, oid catalog.OID) *catalog.Table {
	t.Helper()
	cat, _ := c.Snapshot()
	tb, ok := cat.TableByOID(oid)
	if !ok {
		t.Fatalf("no table %d", oid)
	}
	return tb
}

// An object re-read at a newer revision than the set that named it is not
// re-read differently when the newer set arrives: its relcache entry stays.
func TestApplyKeepsUnchangedRel(t *testing.T) {
	f := seeded(2)
	c := loaded(t, f)
	ctx := context.Background()
	s1 := f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
	s2 := f.commit([]*catalog.Object{table(t0, "t0", "m/0/2")})
	if err := c.Apply(ctx, s1); err != nil { // reads t0 at s2's revision
		t.Fatal(err)
	}
	if _, exact := hashExact(c); exact {
		t.Fatal("snapshot at s1 holding an object of s2 reported exact")
	}
	r1, _ := c.Rel(t0, manifestOf)
	if r1.Extra != "decoded m/0/2" {
		t.Fatalf("Extra %v", r1.Extra)
	}
	before, _ := c.Snapshot()
	if err := c.Apply(ctx, s2); err != nil {
		t.Fatal(err)
	}
	r2, _ := c.Rel(t0, manifestOf)
	if r1 != r2 || c.Stats().RelcacheEvictions != 0 {
		t.Fatalf("entry rebuilt: %+v", c.Stats())
	}
	if after, seq := c.Snapshot(); after != before || seq != s2.Seq {
		t.Fatal("nothing changed, yet the catalog was copied")
	}
	if _, exact := hashExact(c); !exact {
		t.Fatal("caught-up snapshot not exact")
	}
	sameAsSource(t, c, f)
}

func hashExact(c *Cache) ([32]byte, bool) {
	h, _, exact := c.Hash()
	return h, exact
}

func TestApplyGetFailsLeavesCacheAlone(t *testing.T) {
	f := seeded(2)
	c := loaded(t, f)
	seq := c.Seq()
	set := f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
	f.getErr = errors.New("metad unavailable")
	if err := c.Apply(context.Background(), set); err == nil {
		t.Fatal("no error")
	}
	if c.Seq() != seq {
		t.Fatalf("seq moved to %d", c.Seq())
	}
	f.getErr = nil
	if err := c.Apply(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	sameAsSource(t, c, f)
	if st := c.Stats(); st.SourceRequests != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCatchUpOneRangeReadOneGet(t *testing.T) {
	f := seeded(10)
	c := loaded(t, f)
	for i := range 5 {
		f.commit([]*catalog.Object{table(t0+catalog.OID(i), fmt.Sprintf("t%d", i), fmt.Sprintf("m/%d/1", i))})
		f.tick()
	}
	f.commit(nil, t0+7)
	f.commit([]*catalog.Object{table(t0, "t0", "m/0/2"), table(t0+20, "t20", "")})
	to := f.head()
	if err := c.CatchUp(context.Background(), to); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, f, calls{ranges: 1, gets: 1})
	sameAsSource(t, c, f)
	if c.Seq() != to {
		t.Fatalf("seq %d, want %d", c.Seq(), to)
	}
	if st := c.Stats(); st.SetsApplied != 7 || st.Resets != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Nothing to do: no request.
	if err := c.CatchUp(context.Background(), to); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, f, calls{ranges: 1, gets: 1})
}

func TestCatchUpCompactedResets(t *testing.T) {
	for _, name := range []string{"classified", "any error"} {
		t.Run(name, func(t *testing.T) {
			f := seeded(3)
			o := opts()
			if name == "any error" {
				o = Options{}
			}
			c := New(f, o)
			if err := c.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			f.resetCalls()
			f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
			f.commit(nil, t0+1)
			f.compact(f.head())
			if err := c.CatchUp(context.Background(), f.head()); err != nil {
				t.Fatal(err)
			}
			wantCalls(t, f, calls{ranges: 1, snapshots: 1})
			sameAsSource(t, c, f)
			if st := c.Stats(); st.Resets != 1 || st.Loads != 2 || st.SourceRequests != 3 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestCatchUpOtherErrorIsReturned(t *testing.T) {
	f := seeded(3)
	c := loaded(t, f)
	seq := c.Seq()
	f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
	f.readErr = errors.New("metad unavailable")
	if err := c.CatchUp(context.Background(), f.head()); err == nil {
		t.Fatal("no error")
	}
	if c.Seq() != seq || c.Stats().Resets != 0 {
		t.Fatalf("seq %d, stats %+v", c.Seq(), c.Stats())
	}
}

// TestExecute drives the cache with a Follower.
func TestExecute(t *testing.T) {
	ctx := context.Background()
	f := seeded(10)
	c := loaded(t, f)
	fo := invalidation.NewFollower(c.Seq())
	run := func() {
		t.Helper()
		d := fo.Ready()
		seq, err := c.Execute(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		fo.Advance(d, seq)
	}

	// Buffered queue sets: one Get for all of them.
	var last invalidation.Set
	for i := range 4 {
		last = f.commit([]*catalog.Object{table(t0+catalog.OID(i), fmt.Sprintf("t%d", i), "m/x")})
		fo.Step(last)
	}
	run()
	wantCalls(t, f, calls{gets: 1})
	sameAsSource(t, c, f)
	if c.Seq() != last.Seq || fo.Applied() != last.Seq || c.Stats().SetsApplied != 4 {
		t.Fatalf("seq %d, follower %d, stats %+v", c.Seq(), fo.Applied(), c.Stats())
	}

	// A fragment from a coordinator that is ahead: one range read, one Get.
	f.resetCalls()
	s1 := f.commit([]*catalog.Object{table(t0+5, "t5", "m/y")})
	s2 := f.commit(nil, t0+6)
	fo.Shipped(s2.Seq, s2.Messages)
	run()
	wantCalls(t, f, calls{ranges: 1, gets: 1})
	sameAsSource(t, c, f)
	// The queue delivers them late: nothing to do.
	fo.Step(s1)
	fo.Step(s2)
	if fo.HasReady() {
		t.Fatalf("late sets not dropped: %+v", fo.Ready())
	}

	// The queue says we were compacted away: reload.
	f.resetCalls()
	f.commit([]*catalog.Object{table(t0+7, "t7", "m/z")})
	fo.Reset()
	run()
	wantCalls(t, f, calls{snapshots: 1})
	sameAsSource(t, c, f)
	if fo.Applied() != f.head() {
		t.Fatalf("follower at %d, want %d", fo.Applied(), f.head())
	}

	// A decision the cache already covers costs nothing.
	f.resetCalls()
	s3 := f.commit([]*catalog.Object{table(t0+8, "t8", "m/w")})
	if err := c.CatchUp(ctx, s3.Seq); err != nil {
		t.Fatal(err)
	}
	fo.Step(s3)
	run()
	wantCalls(t, f, calls{ranges: 1, gets: 1})
	if fo.Applied() != s3.Seq {
		t.Fatalf("follower at %d", fo.Applied())
	}
}

func TestExecuteCacheBehindFollower(t *testing.T) {
	ctx := context.Background()
	f := seeded(4)
	c := loaded(t, f)
	s1 := f.commit([]*catalog.Object{table(t0, "t0", "m/a")})
	s2 := f.commit([]*catalog.Object{table(t0+1, "t1", "m/b")})
	// The follower believes the node is at s1; the cache is not.
	fo := invalidation.NewFollower(s1.Seq)
	fo.Step(s2)
	d := fo.Ready()
	seq, err := c.Execute(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	fo.Advance(d, seq)
	wantCalls(t, f, calls{ranges: 1, gets: 1})
	sameAsSource(t, c, f)
}

func TestRelConcurrentMissesBuildOnce(t *testing.T) {
	f := seeded(2)
	c := loaded(t, f)
	var builds atomic.Int32
	release := make(chan struct{})
	build := func(tb *catalog.Table) (any, error) {
		builds.Add(1)
		<-release
		return tb.Name, nil
	}
	const n = 8
	var wg sync.WaitGroup
	rels := make([]*Rel, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Rel(t0, build)
			if err != nil {
				t.Error(err)
			}
			rels[i] = r
		}()
	}
	for c.Stats().SyscacheHits < n || builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if builds.Load() != 1 {
		t.Fatalf("%d builds", builds.Load())
	}
	for _, r := range rels {
		if r != rels[0] {
			t.Fatal("different entries")
		}
	}
	if st := c.Stats(); st.RelcacheMisses != 1 || st.RelcacheHits != n-1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRelBuildErrorNotCached(t *testing.T) {
	f := seeded(2)
	c := loaded(t, f)
	boom := errors.New("manifest unreadable")
	if _, err := c.Rel(t0, func(*catalog.Table) (any, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	r, err := c.Rel(t0, manifestOf)
	if err != nil || r.Extra != "decoded m/0/0" {
		t.Fatalf("%+v, %v", r, err)
	}
	func() {
		defer func() { recover() }()
		c.Rel(t0+1, func(*catalog.Table) (any, error) { panic("boom") })
	}()
	if r, err := c.Rel(t0+1, manifestOf); err != nil || r.Extra != "decoded m/1/0" {
		t.Fatalf("after a panicking build: %+v, %v", r, err)
	}
	if st := c.Stats(); st.RelcacheMisses != 4 || st.RelcacheHits != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestResetKeepsUnchangedRels(t *testing.T) {
	f := seeded(3)
	c := loaded(t, f)
	r0, _ := c.Rel(t0, manifestOf)
	r1, _ := c.Rel(t0+1, manifestOf)
	f.commit([]*catalog.Object{table(t0+1, "t1", "m/1/1")})
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Rel(t0, manifestOf); r != r0 {
		t.Fatal("unchanged table's entry lost in a reset")
	}
	if r, _ := c.Rel(t0+1, manifestOf); r == r1 || r.Extra != "decoded m/1/1" {
		t.Fatal("changed table's entry kept in a reset")
	}
	if st := c.Stats(); st.Resets != 1 || st.RelcacheEvictions != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWaitApplied(t *testing.T) {
	f := seeded(1)
	c := loaded(t, f)
	ctx := context.Background()
	if err := c.WaitApplied(ctx, c.Seq(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	set := f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
	done := make(chan error, 1)
	go func() { done <- c.WaitApplied(ctx, set.Seq, 10*time.Second) }()
	time.Sleep(5 * time.Millisecond)
	if err := c.Apply(ctx, set); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	err := c.WaitApplied(ctx, set.Seq+1, 5*time.Millisecond)
	if sqlerr.Code(err) != sqlerr.SerializationFailure {
		t.Fatalf("timeout: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.WaitApplied(cctx, set.Seq+1, time.Hour); sqlerr.Code(err) != sqlerr.QueryCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

// TestReadersDuringApply runs readers against a writer under -race: each
// commit changes every table's manifest in one set, so a snapshot that mixes
// two commits would show two manifests.
func TestReadersDuringApply(t *testing.T) {
	const tables = 20
	f := seeded(tables)
	c := loaded(t, f)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := int64(-1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				cat, seq := c.Snapshot()
				if seq < last {
					t.Errorf("seq went back from %d to %d", last, seq)
					return
				}
				last = seq
				ts := cat.Tables(0)
				if len(ts) != tables {
					t.Errorf("%d tables", len(ts))
					return
				}
				for _, tb := range ts {
					if tb.Manifest[len(tb.Manifest)-2:] != ts[0].Manifest[len(ts[0].Manifest)-2:] {
						t.Errorf("torn snapshot: %q and %q", tb.Manifest, ts[0].Manifest)
						return
					}
				}
				oid := t0 + catalog.OID(reads.Add(1)%tables)
				r, err := c.Rel(oid, manifestOf)
				if err != nil || r.Extra != "decoded "+r.Table.Manifest {
					t.Errorf("Rel: %+v, %v", r, err)
					return
				}
				c.Table(catalog.PublicNamespace, "t3")
			}
		}()
	}
	for gen := range 200 {
		var objs []*catalog.Object
		for i := range tables {
			objs = append(objs, table(t0+catalog.OID(i), fmt.Sprintf("t%d", i), fmt.Sprintf("m/%d/%02d", i, gen%100)))
		}
		if err := c.Apply(ctx, f.commit(objs)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	sameAsSource(t, c, f)
	if reads.Load() == 0 {
		t.Fatal("readers did not run")
	}
}

func TestHash(t *testing.T) {
	f := seeded(5)
	c := loaded(t, f)
	f.mu.Lock()
	want := catalog.HashObjects(f.all())
	f.mu.Unlock()
	got, seq, exact := c.Hash()
	if got != want || seq != f.head() || !exact {
		t.Fatalf("hash %x at %d (exact %v), want %x", got, seq, exact, want)
	}
	// Versions do not count; content does.
	other := New(f, opts())
	f.commit([]*catalog.Object{table(t0, "t0", "m/0/0")}) // same content, new version
	if err := other.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := other.Hash(); h != got {
		t.Fatal("hash depends on Table.Version")
	}
	f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
	if err := other.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := other.Hash(); h == got {
		t.Fatal("hash ignores a manifest change")
	}
}

func TestUnloadedCacheLoadsInsteadOfApplying(t *testing.T) {
	f := seeded(3)
	set := f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})
	for name, do := range map[string]func(c *Cache) error{
		"Apply":   func(c *Cache) error { return c.Apply(context.Background(), set) },
		"CatchUp": func(c *Cache) error { return c.CatchUp(context.Background(), set.Seq) },
		"Execute": func(c *Cache) error {
			fo := invalidation.NewFollower(set.Seq - 1)
			fo.Step(set)
			_, err := c.Execute(context.Background(), fo.Ready())
			return err
		},
	} {
		f.resetCalls()
		c := New(f, opts())
		if err := do(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantCalls(t, f, calls{snapshots: 1})
		sameAsSource(t, c, f)
	}
}

// TestExecuteRandomized drives a real Cache with a Follower against the fake
// source: random commits, queue deliveries with replays, shipments from
// coordinators, compaction and resets. The cache must end equal to the
// source, and never claim a seq whose sets it has not applied.
func TestExecuteRandomized(t *testing.T) {
	ctx := context.Background()
	var resets, ranges, applied int64
	defer func() {
		t.Logf("resets %d, range reads %d, sets applied %d", resets, ranges, applied)
		if resets == 0 || ranges == 0 || applied == 0 {
			t.Error("a path was not exercised")
		}
	}()
	for seed := int64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewSource(seed))
		f := seeded(10)
		c := loaded(t, f)
		fo := invalidation.NewFollower(c.Seq())
		streamFrom, streamPos := c.Seq(), 0 // the queue stream delivers sets > streamFrom
		work := func() {
			d := fo.Ready()
			seq, err := c.Execute(ctx, d)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			fo.Advance(d, seq)
			// Every set the cache claims is reflected: what it names is at
			// least that new.
			cat, at := c.Snapshot()
			for _, s := range f.setsAfter(0) {
				if s.Seq > at {
					break
				}
				for _, m := range s.Messages {
					if tb, ok := cat.TableByOID(m.OID); ok && (tb.Version < s.Seq || (m.Drop && tb.Version == s.Seq)) {
						t.Fatalf("seed %d: at %d, table %d is version %d, older than set %d", seed, at, m.OID, tb.Version, s.Seq)
					}
				}
			}
		}
		for range 200 {
			switch k := rng.Intn(10); {
			case k < 3:
				oid := t0 + catalog.OID(rng.Intn(14))
				if rng.Intn(5) == 0 {
					f.mu.Lock()
					_, ok := f.objs[oid]
					f.mu.Unlock()
					if ok {
						f.commit(nil, oid)
						continue
					}
				}
				f.commit([]*catalog.Object{table(oid, fmt.Sprintf("t%d", oid), fmt.Sprintf("m/%d", rng.Int()))})
			case k < 6:
				sets := f.setsAfter(streamFrom)
				if streamFrom < f.floor {
					fo.Reset()
					streamFrom, streamPos = 1<<62, 0 // ended until the reset is done
				} else if streamPos < len(sets) {
					fo.Step(sets[streamPos])
					streamPos++
				}
			case k < 7:
				streamFrom, streamPos = fo.Applied()-rng.Int63n(3), 0
			case k < 8:
				seq := rng.Int63n(f.head() + 1)
				var msgs []invalidation.Message
				for _, s := range f.setsAfter(seq - 2) {
					if s.Seq <= seq {
						msgs = append(msgs, s.Messages...)
					}
				}
				fo.Shipped(seq, msgs)
			case k < 9:
				if rng.Intn(4) == 0 {
					f.compact(f.head() - rng.Int63n(3))
				}
			default:
				work()
				if streamFrom == 1<<62 && !fo.HasReady() {
					streamFrom, streamPos = fo.Applied(), 0
				}
			}
		}
		// Drain.
		for i := 0; ; i++ {
			if i > 1000 {
				t.Fatalf("seed %d: no progress", seed)
			}
			if streamFrom != 1<<62 && streamFrom < f.floor {
				fo.Reset()
				streamFrom = 1 << 62
			}
			if streamFrom == 1<<62 {
				work()
				streamFrom, streamPos = fo.Applied(), 0
				continue
			}
			sets := f.setsAfter(streamFrom)
			if streamPos < len(sets) {
				fo.Step(sets[streamPos])
				streamPos++
				continue
			}
			fo.Step(invalidation.Set{Seq: f.head()})
			work()
			if !fo.HasReady() && c.Seq() == f.head() {
				break
			}
		}
		sameAsSource(t, c, f)
		if _, _, exact := c.Hash(); !exact {
			t.Fatalf("seed %d: not exact at the head", seed)
		}
		st := c.Stats()
		resets, applied = resets+st.Resets, applied+st.SetsApplied
		ranges += int64(f.calls().ranges)
	}
}
