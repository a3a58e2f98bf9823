package cache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/invalidation"
)

var errCompacted = errors.New("fake: compacted")

// fakeSource is metad in memory: objects stored encoded (each read decodes,
// as metad.Client does), versions that are revisions, a queue of sets, a
// compaction floor, and counters of calls.
type fakeSource struct {
	mu      sync.Mutex
	rev     int64
	objs    map[catalog.OID][]byte
	vers    map[catalog.OID]int64
	sets    []invalidation.Set
	floor   int64 // ReadRange from < floor fails
	getErr  error
	readErr error

	snapshots, gets, ranges int
	getOIDs                 [][]catalog.OID
}

func newFake() *fakeSource {
	return &fakeSource{objs: map[catalog.OID][]byte{}, vers: map[catalog.OID]int64{}}
}

// commit puts and drops objects in one revision and queues its set.
func (f *fakeSource) commit(puts []*catalog.Object, drops ...catalog.OID) invalidation.Set {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rev++
	set := invalidation.Set{Seq: f.rev}
	for _, o := range puts {
		c := *o
		if c.Table != nil {
			t := *c.Table
			t.Version = 0
			c.Table = &t
		}
		f.objs[o.OID()] = c.Encode()
		f.vers[o.OID()] = f.rev
		set.Messages = append(set.Messages, invalidation.Message{Kind: o.Kind(), OID: o.OID()})
	}
	for _, oid := range drops {
		delete(f.objs, oid)
		delete(f.vers, oid)
		set.Messages = append(set.Messages, invalidation.Message{Kind: catalog.KindTable, OID: oid, Drop: true})
	}
	f.sets = append(f.sets, set)
	return set
}

// tick moves the revision without a set (a write that invalidates nothing).
func (f *fakeSource) tick() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rev++
	return f.rev
}

func (f *fakeSource) compact(floor int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.floor = floor
}

func (f *fakeSource) head() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rev
}

// setsAfter returns the queued sets with Seq > seq (what Follow delivers).
func (f *fakeSource) setsAfter(seq int64) []invalidation.Set {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []invalidation.Set
	for _, s := range f.sets {
		if s.Seq > seq {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeSource) decode(oid catalog.OID) *catalog.Object {
	o, err := catalog.DecodeObject(f.objs[oid])
	if err != nil {
		panic(err)
	}
	if o.Table != nil {
		o.Table.Version = f.vers[oid]
	}
	return o
}

func (f *fakeSource) all() []*catalog.Object {
	oids := make([]catalog.OID, 0, len(f.objs))
	for oid := range f.objs {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	out := make([]*catalog.Object, len(oids))
	for i, oid := range oids {
		out[i] = f.decode(oid)
	}
	return out
}

func (f *fakeSource) Snapshot(ctx context.Context) (int64, []*catalog.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots++
	return f.rev, f.all(), nil
}

func (f *fakeSource) Get(ctx context.Context, oids ...catalog.OID) (map[catalog.OID]*catalog.Object, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	f.getOIDs = append(f.getOIDs, append([]catalog.OID(nil), oids...))
	if f.getErr != nil {
		return nil, 0, f.getErr
	}
	out := map[catalog.OID]*catalog.Object{}
	for _, oid := range oids {
		if _, ok := f.objs[oid]; ok {
			out[oid] = f.decode(oid)
		}
	}
	return out, f.rev, nil
}

func (f *fakeSource) ReadRange(ctx context.Context, from, to int64) ([]invalidation.Set, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ranges++
	if f.readErr != nil {
		return nil, f.readErr
	}
	if from < f.floor {
		return nil, errCompacted
	}
	if to > f.rev {
		return nil, fmt.Errorf("fake: %d is ahead of %d", to, f.rev)
	}
	var out []invalidation.Set
	for _, s := range f.sets {
		if s.Seq > from && s.Seq <= to {
			out = append(out, s)
		}
	}
	return out, nil
}

type calls struct{ snapshots, gets, ranges int }

func (f *fakeSource) calls() calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return calls{f.snapshots, f.gets, f.ranges}
}

func (f *fakeSource) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots, f.gets, f.ranges, f.getOIDs = 0, 0, 0, nil
}

func table(oid catalog.OID, name, manifest string) *catalog.Object {
	return &catalog.Object{Table: &catalog.Table{OID: oid, Namespace: catalog.PublicNamespace, Name: name,
		Columns:  []catalog.Column{{Name: "a", Type: catalog.TypeInt4}, {Name: "b", Type: catalog.TypeText}},
		Manifest: manifest}}
}

func namespace(oid catalog.OID, name string) *catalog.Object {
	return &catalog.Object{Namespace: &catalog.Namespace{OID: oid, Name: name}}
}

// seeded returns a source with the public namespace and n tables.
func seeded(n int) *fakeSource {
	f := newFake()
	objs := []*catalog.Object{namespace(catalog.PublicNamespace, "public")}
	for i := range n {
		objs = append(objs, table(catalog.FirstUserOID+catalog.OID(i), fmt.Sprintf("t%d", i), fmt.Sprintf("m/%d/0", i)))
	}
	f.commit(objs)
	return f
}
