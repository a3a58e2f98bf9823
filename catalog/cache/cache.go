// Package cache is a node's catalog cache: the syscache (every catalog object,
// held as an immutable *catalog.Catalog snapshot), the relcache (relation
// descriptors with what the node derives from them, such as a decoded
// manifest), and the relcache file that lets a node start without reading
// the whole catalog from metad. Invalidation sets from metad keep it exact.
//
// It is a subpackage of catalog because it consumes invalidation sets, and
// package invalidation imports catalog. Like catalog it talks to no role:
// metad is reached through the Source interface, which *metad.Client
// implements.
//
// # Concurrency
//
// Readers (Snapshot, the lookups, Rel, Hash) never wait for writers: the
// snapshot is replaced copy-on-write and read with one atomic load, and a
// snapshot is never changed once published, so a reader may keep using it
// (one statement sees one catalog). The relcache is a sync.Map whose hits
// take no lock; a Rel miss waits only for another reader's build of the
// same entry. Writers (Load, Apply, CatchUp, Execute,
// LoadFile) are serialized among themselves and hold no lock readers need
// while they talk to metad.
//
// # Sequence numbers
//
// The cache claims a seq: every invalidation set with Seq <= seq has been
// applied. Objects re-read because of a set are read at metad's current
// revision, which may be newer than the set, so an entry can be newer than
// the claimed seq but never older. Hash reports whether the snapshot is
// exactly the catalog at seq (nothing was read past it).
//
// # Driving it
//
// The node feeds an invalidation.Follower (the queue's sets and resets, and
// the seqs and messages coordinators ship with fragments) and runs its
// decisions with Execute:
//
//	mu.Lock(); d := f.Ready(); mu.Unlock()
//	seq, err := c.Execute(ctx, d)   // one ReadRange and one Get at most
//	if err == nil { mu.Lock(); f.Advance(d, seq); mu.Unlock() }
//
// Execute may run concurrently from several goroutines (the follow loop and
// a fragment that needs the cache at its coordinator's seq); work already
// covered by the cache's seq is skipped.
//
// # Start order
//
// A starting node must not miss a set committed while it loads, and must not
// let the history it needs be compacted while it reads a possibly old file.
// So it joins the queue before it reads any catalog state:
//
//  1. seq, _, _ := cache.FileSeq(path): the relcache file's seq (0 if there is
//     no usable file). f := invalidation.NewFollower(seq).
//  2. Join the queue: start metad's Follow from seq, feeding every event into
//     f (Step, or Reset), but do not execute decisions yet: they buffer.
//  3. Load the file: ok, err := c.LoadFile(path). If !ok (missing, corrupt,
//     another format version), c.Load(ctx) reads a full snapshot instead.
//  4. Catch up: d := f.Ready(); seq, err := c.Execute(ctx, d); f.Advance(d,
//     seq), then keep executing decisions as events arrive. The buffered
//     sets cost one Get for all the objects they name (a Reset costs a full
//     Load). After a full Load in step 3 the same code works: work the
//     snapshot already covers is skipped and Advance moves to its seq.
//
// Afterwards the node saves the file from time to time (SaveFile), for
// example after it has caught up and at shutdown.
package cache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
)

// Source is where the cache reads the catalog: metad, through *metad.Client.
type Source interface {
	// Snapshot returns every object, read at one revision, and that revision.
	Snapshot(ctx context.Context) (seq int64, objs []*catalog.Object, err error)
	// Get returns the existing objects among oids, read at one revision
	// (at least as new as any set the caller has seen), and that revision.
	Get(ctx context.Context, oids ...catalog.OID) (map[catalog.OID]*catalog.Object, int64, error)
	// ReadRange returns the sets with from < Seq <= to in Seq order, or an
	// error, which Options.IsCompacted classifies.
	ReadRange(ctx context.Context, from, to int64) ([]invalidation.Set, error)
}

// Options configure a Cache.
type Options struct {
	// IsCompacted reports whether a ReadRange error means the range was
	// compacted away, so the cache must reload everything (for metad:
	// errors.Is(err, metad.ErrCompacted)). When nil, every ReadRange error
	// is taken to mean that.
	IsCompacted func(error) bool
}

// Rel is a relcache entry: a table descriptor and what the node derived
// from it. Use Rel.Table rather than a descriptor from another snapshot: the
// two fields always belong together.
type Rel struct {
	Table *catalog.Table
	Extra any
}

// ErrNoRelation is returned by Rel for an OID that is not a table in the
// current snapshot.
var ErrNoRelation = errors.New("catalog cache: no such relation")

// Stats are the cache's counters since New.
type Stats struct {
	SyscacheHits   int64 // lookups (including Rel's) that found the object
	SyscacheMisses int64 // lookups that did not: an authoritative "no such object"
	RelcacheHits   int64
	RelcacheMisses int64 // builds
	// RelcacheEvictions counts entries dropped because their table changed,
	// was dropped, or was reloaded with a different version.
	RelcacheEvictions int64
	Loads             int64 // full snapshots read from the source
	Resets            int64 // full snapshots that replaced a loaded catalog
	SetsApplied       int64 // invalidation sets with messages applied
	SourceRequests    int64 // calls into Source, failed ones included
	FileLoads         int64 // relcache files installed
	FileSaves         int64 // relcache files written
	FileSaveSkips     int64 // saves abandoned because the catalog changed meanwhile
}

// state is one published version of the cache; never modified once
// published.
type state struct {
	cat    *catalog.Catalog
	seq    int64
	loaded bool
	// gen changes whenever an invalidation set with messages, a snapshot or
	// a file is installed (not for heartbeats): SaveFile compares it.
	gen uint64
	// readRev is the newest revision anything in cat was read at.
	readRev int64
	// changed is closed when a newer state replaces this one.
	changed chan struct{}
}

// Cache is a node's catalog cache. Create it with New.
type Cache struct {
	src         Source
	isCompacted func(error) bool

	cur atomic.Pointer[state]
	wmu chan struct{} // serializes writers: a one-slot semaphore, so waiting for it respects ctx
	pmu sync.Mutex    // held while publishing; SaveFile holds it to rename

	rels sync.Map // catalog.OID → *relEntry

	n struct {
		sysHits, sysMisses, relHits, relMisses, relEvictions atomic.Int64
		loads, resets, sets, requests                        atomic.Int64
		fileLoads, fileSaves, fileSkips                      atomic.Int64
	}
}

// New returns an empty cache (seq 0, no objects) reading from src.
func New(src Source, opt Options) *Cache {
	c := &Cache{src: src, isCompacted: opt.IsCompacted, wmu: make(chan struct{}, 1)}
	if c.isCompacted == nil {
		c.isCompacted = func(error) bool { return true }
	}
	c.cur.Store(&state{cat: catalog.New(), changed: make(chan struct{})})
	return c
}

// Snapshot returns the current catalog and its seq. The catalog must not be
// modified; Clone it for private changes.
func (c *Cache) Snapshot() (*catalog.Catalog, int64) {
	s := c.cur.Load()
	return s.cat, s.seq
}

// Seq returns the applied seq.
func (c *Cache) Seq() int64 { return c.cur.Load().seq }

// Loaded reports whether a snapshot or file has been installed.
func (c *Cache) Loaded() bool { return c.cur.Load().loaded }

func (c *Cache) count(found bool) {
	if found {
		c.n.sysHits.Add(1)
	} else {
		c.n.sysMisses.Add(1)
	}
}

// Table looks a table up by namespace and name in the current snapshot.
func (c *Cache) Table(ns catalog.OID, name string) (*catalog.Table, bool) {
	t, ok := c.cur.Load().cat.Table(ns, name)
	c.count(ok)
	return t, ok
}

// TableByOID looks a table up by OID in the current snapshot.
func (c *Cache) TableByOID(oid catalog.OID) (*catalog.Table, bool) {
	t, ok := c.cur.Load().cat.TableByOID(oid)
	c.count(ok)
	return t, ok
}

// Namespace looks a namespace up by name in the current snapshot.
func (c *Cache) Namespace(name string) (*catalog.Namespace, bool) {
	n, ok := c.cur.Load().cat.Namespace(name)
	c.count(ok)
	return n, ok
}

// NamespaceByOID looks a namespace up by OID in the current snapshot.
func (c *Cache) NamespaceByOID(oid catalog.OID) (*catalog.Namespace, bool) {
	n, ok := c.cur.Load().cat.NamespaceByOID(oid)
	c.count(ok)
	return n, ok
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{
		SyscacheHits:      c.n.sysHits.Load(),
		SyscacheMisses:    c.n.sysMisses.Load(),
		RelcacheHits:      c.n.relHits.Load(),
		RelcacheMisses:    c.n.relMisses.Load(),
		RelcacheEvictions: c.n.relEvictions.Load(),
		Loads:             c.n.loads.Load(),
		Resets:            c.n.resets.Load(),
		SetsApplied:       c.n.sets.Load(),
		SourceRequests:    c.n.requests.Load(),
		FileLoads:         c.n.fileLoads.Load(),
		FileSaves:         c.n.fileSaves.Load(),
		FileSaveSkips:     c.n.fileSkips.Load(),
	}
}

// Hash returns the canonical hash of the current snapshot
// (catalog.HashObjects: SHA-256 over the objects in OID order, each its
// Encode() JSON with Table.Version zeroed, '\n'-terminated), its seq, and
// whether the snapshot is exactly the catalog at seq. metad computes the same
// hash over the objects it reads at a revision; the two are comparable when
// exact is true and metad hashed the same seq. When exact is false some
// object was re-read at a revision past seq, and a difference is not drift.
func (c *Cache) Hash() (sum [32]byte, seq int64, exact bool) {
	s := c.cur.Load()
	return s.cat.Hash(), s.seq, s.readRev <= s.seq
}

// lockW takes the writers' lock, or fails when ctx ends first (another
// writer may be waiting on metad for a long time).
func (c *Cache) lockW(ctx context.Context) error {
	select {
	case c.wmu <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.wmu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("catalog cache: waiting for another writer: %w", ctx.Err())
	}
}

func (c *Cache) unlockW() { <-c.wmu }

// publish installs a new state; the caller holds wmu. content says whether
// objects may have changed (everything but a heartbeat).
func (c *Cache) publish(cat *catalog.Catalog, seq, readRev int64, content bool) {
	c.pmu.Lock()
	old := c.cur.Load()
	s := &state{cat: cat, seq: seq, loaded: true, gen: old.gen, readRev: readRev, changed: make(chan struct{})}
	if content {
		s.gen++
	}
	c.cur.Store(s)
	c.pmu.Unlock()
	close(old.changed)
}

// Load replaces the cache with a full snapshot from the source (at start, or
// as a reset). Relcache entries of tables whose version did not change are
// kept.
func (c *Cache) Load(ctx context.Context) error {
	if err := c.lockW(ctx); err != nil {
		return err
	}
	defer c.unlockW()
	return c.loadLocked(ctx)
}

func (c *Cache) loadLocked(ctx context.Context) error {
	c.n.requests.Add(1)
	seq, objs, err := c.src.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("catalog cache: load snapshot: %w", err)
	}
	c.install(objs, seq, seq)
	c.n.loads.Add(1)
	return nil
}

// install replaces everything with objs at seq; the caller holds wmu.
func (c *Cache) install(objs []*catalog.Object, seq, readRev int64) {
	old := c.cur.Load()
	if old.loaded {
		c.n.resets.Add(1)
	}
	cat := catalog.New()
	for _, o := range objs {
		cat.Put(keepIfSame(old.cat, o))
	}
	c.publish(cat, seq, readRev, true)
	c.sweep(cat)
}

// keepIfSame returns the cached object instead of o when o is a table at the
// same version (same etcd revision, so the same value): its pointer, and so
// its relcache entry, stay valid.
func keepIfSame(old *catalog.Catalog, o *catalog.Object) *catalog.Object {
	if o.Table == nil || o.Table.Version == 0 {
		return o
	}
	if t, ok := old.TableByOID(o.Table.OID); ok && t.Version == o.Table.Version {
		return &catalog.Object{Table: t}
	}
	return o
}

// Apply applies one set from the queue: the objects it names are re-read in
// one Source.Get, a new snapshot is published and the relcache entries of
// tables that changed are evicted. A set at or below the applied seq is
// ignored; a heartbeat (no messages) only advances the seq. Sets must be
// applied in order, without gaps (use CatchUp or Execute otherwise). On a
// cache that has not loaded yet, Apply, CatchUp and Execute Load instead.
func (c *Cache) Apply(ctx context.Context, set invalidation.Set) error {
	if err := c.lockW(ctx); err != nil {
		return err
	}
	defer c.unlockW()
	n := 0
	if len(set.Messages) > 0 {
		n = 1
	}
	return c.applyLocked(ctx, set.Messages, set.Seq, n)
}

// applyLocked re-reads the objects msgs name and moves the seq to to; sets is
// how many sets msgs come from. The caller holds wmu.
func (c *Cache) applyLocked(ctx context.Context, msgs []invalidation.Message, to int64, sets int) error {
	s := c.cur.Load()
	if to <= s.seq {
		return nil
	}
	if !s.loaded {
		return c.loadLocked(ctx) // nothing to apply changes to
	}
	if len(msgs) == 0 {
		c.publish(s.cat, to, s.readRev, false)
		return nil
	}
	seen := make(map[catalog.OID]bool, len(msgs))
	oids := make([]catalog.OID, 0, len(msgs))
	for _, m := range msgs {
		if !seen[m.OID] {
			seen[m.OID] = true
			oids = append(oids, m.OID)
		}
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	c.n.requests.Add(1)
	got, rev, err := c.src.Get(ctx, oids...)
	if err != nil {
		return fmt.Errorf("catalog cache: re-read %d changed objects: %w", len(oids), err)
	}
	// The read is at a revision >= every message: trust it over a message's
	// Drop (OIDs are never reused). Tables read at the version we hold keep
	// their pointer and relcache entry.
	changed := oids[:0:0]
	for _, oid := range oids {
		o, ok := got[oid]
		if ok && keepIfSame(s.cat, o) != o {
			continue
		}
		if !ok && !s.cat.Has(oid) {
			continue // gone, and we never had it
		}
		changed = append(changed, oid)
	}
	cat := s.cat
	if len(changed) > 0 {
		cat = cat.Clone()
		for _, oid := range changed {
			if o, ok := got[oid]; ok {
				cat.Put(o)
			} else {
				cat.Delete(oid)
			}
		}
	}
	c.publish(cat, to, max(s.readRev, rev), true)
	c.n.sets.Add(int64(sets))
	for _, oid := range changed {
		c.evict(oid, cat)
	}
	return nil
}

// CatchUp brings the cache to seq to with one ReadRange for (seq, to] and one
// Get for every object the sets name. If the range was compacted away it
// reloads everything instead (a reset).
func (c *Cache) CatchUp(ctx context.Context, to int64) error {
	if err := c.lockW(ctx); err != nil {
		return err
	}
	defer c.unlockW()
	return c.catchUpLocked(ctx, nil, to, to, 0)
}

// catchUpLocked reads the sets in (seq, rangeTo] and applies their messages
// with extra (from sets already known, counted in sets), reaching to.
func (c *Cache) catchUpLocked(ctx context.Context, extra []invalidation.Message, rangeTo, to int64, sets int) error {
	s := c.cur.Load()
	if to <= s.seq {
		return nil
	}
	if !s.loaded {
		return c.loadLocked(ctx) // nothing to apply changes to
	}
	msgs := extra
	if rangeTo > s.seq {
		c.n.requests.Add(1)
		got, err := c.src.ReadRange(ctx, s.seq, rangeTo)
		if err != nil {
			if c.isCompacted(err) {
				return c.loadLocked(ctx)
			}
			return fmt.Errorf("catalog cache: read invalidations (%d, %d]: %w", s.seq, rangeTo, err)
		}
		msgs = append([]invalidation.Message(nil), extra...)
		for _, set := range got {
			if set.Seq <= s.seq || set.Seq > rangeTo || len(set.Messages) == 0 {
				continue
			}
			msgs = append(msgs, set.Messages...)
			sets++
		}
	}
	return c.applyLocked(ctx, msgs, to, sets)
}

// Execute does the work of a follower's decision and returns the seq the
// cache is at afterwards, to acknowledge with Follower.Advance. ResetAll
// loads a full snapshot; otherwise the cache reads the decision's catch-up
// range (or everything from its own seq, if it is behind the decision's
// From) and re-reads every named object in one Get. Work the cache's seq
// already covers is skipped.
func (c *Cache) Execute(ctx context.Context, d invalidation.Decision) (int64, error) {
	if err := c.lockW(ctx); err != nil {
		return c.cur.Load().seq, err
	}
	defer c.unlockW()
	var err error
	if d.ResetAll {
		err = c.loadLocked(ctx)
	} else {
		seq := c.cur.Load().seq
		rangeTo, sets := int64(0), d.Sets
		if d.CatchUp != nil {
			rangeTo = d.CatchUp.To
		}
		if seq < d.From {
			rangeTo, sets = d.To, 0
		}
		err = c.catchUpLocked(ctx, d.Invalidate, rangeTo, d.To, sets)
	}
	return c.cur.Load().seq, err
}

// WaitApplied waits until the cache has applied seq (so a session sees its
// own commit at its next statement). It fails with 40001 after timeout and
// with 57014 when ctx ends.
func (c *Cache) WaitApplied(ctx context.Context, seq int64, timeout time.Duration) error {
	var expired <-chan time.Time
	for {
		s := c.cur.Load()
		if s.seq >= seq {
			return nil
		}
		if expired == nil {
			t := time.NewTimer(timeout)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-s.changed:
		case <-expired:
			return sqlerr.Errorf(sqlerr.SerializationFailure, "catalog change %d was committed but not yet applied on this node", seq)
		case <-ctx.Done():
			return sqlerr.Wrap(ctx.Err(), sqlerr.QueryCanceled, "canceling statement while waiting for the catalog")
		}
	}
}
