package cache

import (
	"errors"
	"fmt"

	"github.com/cirrusdb/cirrus/catalog"
)

// relEntry is one relcache slot. It belongs to one *catalog.Table: tables
// are immutable and replaced when they change, so an entry whose table is
// not the snapshot's is stale and never returned, even if an eviction has
// not removed it yet.
type relEntry struct {
	table *catalog.Table
	done  chan struct{} // closed when rel or err is set
	rel   *Rel
	err   error
}

var errBuildPanicked = errors.New("catalog cache: relcache build panicked")

// Rel returns the relcache entry of table oid in the current snapshot,
// calling build to derive Extra on a miss. Concurrent misses on one table
// call build once and share its result; a failed build is not cached. build
// is called without locks and should be the same function for all callers
// of one cache (the entry is keyed by OID only). It returns an error
// wrapping ErrNoRelation if oid is not a table.
func (c *Cache) Rel(oid catalog.OID, build func(*catalog.Table) (any, error)) (*Rel, error) {
	t, ok := c.cur.Load().cat.TableByOID(oid)
	c.count(ok)
	if !ok {
		return nil, fmt.Errorf("%w: OID %d", ErrNoRelation, oid)
	}
	for {
		if v, ok := c.rels.Load(oid); ok {
			e := v.(*relEntry)
			if e.table == t {
				<-e.done
				if e.err != nil {
					return nil, e.err
				}
				c.n.relHits.Add(1)
				return e.rel, nil
			}
			if t.Version != 0 && e.table.Version > t.Version {
				// Built from a newer snapshot than the one we loaded (an
				// Apply slipped in between): serve ours uncached.
				c.n.relMisses.Add(1)
				e := &relEntry{table: t, done: make(chan struct{})}
				c.build(oid, e, build, false)
				return e.rel, e.err
			}
			if c.rels.CompareAndDelete(oid, e) {
				c.n.relEvictions.Add(1)
			}
			continue
		}
		e := &relEntry{table: t, done: make(chan struct{})}
		if _, loaded := c.rels.LoadOrStore(oid, e); loaded {
			continue
		}
		c.n.relMisses.Add(1)
		c.build(oid, e, build, true)
		return e.rel, e.err
	}
}

// build fills e and closes done; a failed (or panicking) build removes the
// entry if it was cached, so the next caller tries again.
func (c *Cache) build(oid catalog.OID, e *relEntry, build func(*catalog.Table) (any, error), cached bool) {
	finished := false
	defer func() {
		if !finished {
			e.err = errBuildPanicked
		}
		if e.err != nil && cached {
			c.rels.CompareAndDelete(oid, e)
		}
		close(e.done)
	}()
	var extra any
	var err error
	if build != nil {
		extra, err = build(e.table)
	}
	if err != nil {
		e.err = err
	} else {
		e.rel = &Rel{Table: e.table, Extra: extra}
	}
	finished = true
}

// evict drops the relcache entry of oid unless it belongs to cat's table.
func (c *Cache) evict(oid catalog.OID, cat *catalog.Catalog) {
	v, ok := c.rels.Load(oid)
	if !ok {
		return
	}
	e := v.(*relEntry)
	if t, ok := cat.TableByOID(oid); ok && t == e.table {
		return
	}
	if c.rels.CompareAndDelete(oid, e) {
		c.n.relEvictions.Add(1)
	}
}

// sweep evicts every relcache entry that does not belong to cat (after a
// full load).
func (c *Cache) sweep(cat *catalog.Catalog) {
	c.rels.Range(func(k, _ any) bool {
		c.evict(k.(catalog.OID), cat)
		return true
	})
}
