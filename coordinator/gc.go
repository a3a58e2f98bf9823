package coordinator

// Garbage collection of table objects.
//
// Every data file and manifest is written once under a fresh key and becomes
// visible only when a commit points a table's catalog entry at a manifest
// naming it. Objects that no committed manifest references pile up: the
// files of aborted transactions, manifests replaced by later commits, files
// rewritten by DELETE and UPDATE, the whole tables/<oid>/ prefix of a dropped
// table. A coordinator deletes them.
//
// # What a pass does
//
// It lists tables/, catches the catalog cache up to metad's latest sequence
// number (a table committed a moment ago is seen), and takes as referenced
// every table's current manifest and the data files that manifest lists.
// Keys that storage.ParseObjectKey does not recognize are never deleted.
//
// # When an unreferenced object is deleted
//
// An object is *dead* when it is unreferenced and its key's creation time is
// at least GCGrace old: no commit can reference it any more (the commit
// fence, below). The coordinator remembers when it first found each dead
// object, and a pass with grace g deletes the objects it has known to be dead
// for at least g. The wait is measured from when an object was found
// unreferenced, not from when it was written, because a year-old file that a
// DELETE rewrote a second ago may still be read by queries that started
// before the DELETE. So, with the defaults (GCGrace = g = 1 hour):
//
//   - an open transaction's files are safe: they are younger than GCGrace
//     until its commit, and the commit fence stops it from committing later;
//   - files of an aborted transaction go 2 hours after they were written
//     (plus up to two pass intervals);
//   - a replaced manifest, rewritten files and a dropped table's objects go
//     an hour (plus up to two intervals) after the change, or after they
//     are an hour old if they are younger: a query, or a transaction (it
//     reads the catalog as of its first change), that still reads the
//     catalog as it was before the change has an hour, less the time
//     lagging nodes take to apply the change, before its reads fail;
//   - a pass with g = 0 (CollectGarbage only) deletes every unreferenced
//     object at once, including the files of transactions in progress: it is
//     for tests and for maintenance while nothing is being written.
//
// The memory of dead objects is this coordinator's, in memory. A restarted
// coordinator starts over, which only delays deletions. Several coordinators
// may collect at once: each trusts only what it has seen, and deleting an
// object twice is not an error.
//
// # The commit fence
//
// A transaction's files are unreferenced until it commits, so a transaction
// that outlived the grace period could commit a reference to a deleted file.
// checkGCFence makes such a commit fail with 40001 instead: a commit must not
// reference a data file it wrote at least GCGrace/2 ago. Objects become dead
// only at GCGrace, and the margin of GCGrace/2 covers the commit's own
// duration and the clock skew between coordinators (a key carries the clock
// of the coordinator that made it; a pass compares it with its own). Every
// coordinator of a cluster should therefore use the same GCGrace.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/storage"
)

const (
	// DefaultGCInterval is the default Config.GCInterval.
	DefaultGCInterval = 10 * time.Minute
	// DefaultGCGrace is the default Config.GCGrace.
	DefaultGCGrace = time.Hour

	// gcCatchUpTimeout bounds catching the catalog up before a pass.
	gcCatchUpTimeout = 30 * time.Second
	// gcDeleters is how many deletes a pass has in flight at once.
	gcDeleters = 8
)

// GCResult reports one garbage-collection pass.
type GCResult struct {
	// Seq is the catalog sequence number whose references the pass kept.
	Seq int64
	// Listed counts the objects under tables/, Referenced those the catalog
	// names, Unparsed those whose keys garbage collection does not
	// recognize (never deleted), and Kept the unreferenced objects not yet
	// deletable.
	Listed, Referenced, Unparsed, Kept int
	// DeletedDataFiles and DeletedManifests count the objects deleted.
	DeletedDataFiles, DeletedManifests int
}

// Deleted returns the number of objects the pass deleted.
func (r GCResult) Deleted() int { return r.DeletedDataFiles + r.DeletedManifests }

// GCStats are a coordinator's garbage-collection counters since it started.
type GCStats struct {
	// Passes counts completed passes (automatic and CollectGarbage),
	// FailedPasses those that stopped with an error.
	Passes, FailedPasses int64
	// DeletedDataFiles and DeletedManifests count deleted objects.
	DeletedDataFiles, DeletedManifests int64
	// Dead is the number of dead objects the last pass left for later.
	Dead int
	// LastPass is when the last pass (successful or not) ended.
	LastPass time.Time
}

// collector is a coordinator's garbage-collection state.
type collector struct {
	mu sync.Mutex // held for a whole pass: one pass at a time
	// dead maps each dead object (see the file comment) to when this
	// coordinator first found it dead.
	dead map[string]time.Time

	statsMu sync.Mutex // not held during passes, so reading stats never waits for one
	stats   GCStats

	stop context.CancelFunc // stops the loop; nil when it does not run
	done chan struct{}      // closed when the loop has returned
}

// GCStats returns the garbage-collection counters.
func (c *Coordinator) GCStats() GCStats {
	c.gc.statsMu.Lock()
	defer c.gc.statsMu.Unlock()
	return c.gc.stats
}

// CollectGarbage runs one garbage-collection pass with the given grace (see
// the file comment): it deletes the unreferenced table objects this
// coordinator has known to be dead for at least grace, or, with grace 0,
// every unreferenced table object. A pass that fails part-way may have
// deleted some objects (counted in the result).
func (c *Coordinator) CollectGarbage(ctx context.Context, grace time.Duration) (GCResult, error) {
	if grace < 0 {
		return GCResult{}, fmt.Errorf("gc: negative grace %v", grace)
	}
	c.gc.mu.Lock()
	defer c.gc.mu.Unlock()
	res, err := c.collect(ctx, grace)
	c.gc.statsMu.Lock()
	st := &c.gc.stats
	st.Passes++
	if err != nil {
		st.FailedPasses++
	}
	st.DeletedDataFiles += int64(res.DeletedDataFiles)
	st.DeletedManifests += int64(res.DeletedManifests)
	st.Dead = len(c.gc.dead)
	st.LastPass = time.Now()
	c.gc.statsMu.Unlock()
	if res.Deleted() > 0 || err != nil {
		c.cfg.Logf("gc: deleted %d data files and %d manifests at catalog %d (listed %d objects: %d referenced, %d kept for grace %v, %d unrecognized)%s",
			res.DeletedDataFiles, res.DeletedManifests, res.Seq, res.Listed, res.Referenced, res.Kept, grace, res.Unparsed, errSuffix(err))
	}
	return res, err
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return "; pass failed: " + err.Error()
}

// collect runs a pass; the caller holds c.gc.mu.
func (c *Coordinator) collect(ctx context.Context, grace time.Duration) (GCResult, error) {
	return c.gc.pass(ctx, gcEnv{store: c.cfg.Store, catalog: c.latestCatalog, manifest: c.manifest, now: time.Now}, grace, c.cfg.GCGrace)
}

// gcEnv is what a pass reads and deletes through.
type gcEnv struct {
	store storage.ObjectStore
	// catalog returns the latest committed catalog and its number.
	catalog func(context.Context) (*catalog.Catalog, int64, error)
	// manifest returns a committed table's current manifest.
	manifest func(context.Context, *catalog.Table) (*storage.Manifest, error)
	now      func() time.Time
}

// pass lists, decides and deletes (see the file comment); the caller holds
// g.mu.
func (g *collector) pass(ctx context.Context, env gcEnv, grace, deadAge time.Duration) (GCResult, error) {
	// An object listed here that a commit references only after the
	// catalog is read below belongs to a transaction open now: it is young
	// (the commit fence), so it is kept unless grace is 0.
	keys, err := env.store.List(ctx, storage.TablesPrefix)
	if err != nil {
		return GCResult{}, fmt.Errorf("gc: list %s: %w", storage.TablesPrefix, err)
	}
	cat, seq, err := env.catalog(ctx)
	if err != nil {
		return GCResult{}, err
	}
	refs, err := referencedObjects(ctx, cat, env.manifest)
	if err != nil {
		return GCResult{Seq: seq}, err
	}
	doomed, res := g.sweep(keys, refs, env.now(), grace, deadAge)
	res.Seq = seq
	deleted, err := deleteObjects(ctx, env.store, doomed, &res)
	for _, key := range deleted {
		delete(g.dead, key)
	}
	return res, err
}

// latestCatalog catches the catalog cache up to metad's latest sequence
// number and returns its snapshot.
func (c *Coordinator) latestCatalog(ctx context.Context) (*catalog.Catalog, int64, error) {
	_, latest, err := c.metad.Get(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("gc: read metad's sequence number: %w", err)
	}
	if err := c.cat.Shipped(ctx, latest, nil, gcCatchUpTimeout); err != nil {
		return nil, 0, fmt.Errorf("gc: catch up to catalog %d: %w", latest, err)
	}
	cat, seq := c.cat.Snapshot()
	if seq < latest {
		return nil, 0, fmt.Errorf("gc: catalog is at %d after catching up to %d", seq, latest)
	}
	return cat, seq, nil
}

// referencedObjects returns the keys the catalog references: every table's
// current manifest and the data files it lists (views have neither). An
// unreadable manifest fails the whole pass, since the files it lists are
// unknown.
func referencedObjects(ctx context.Context, cat *catalog.Catalog, manifest func(context.Context, *catalog.Table) (*storage.Manifest, error)) (map[string]bool, error) {
	refs := map[string]bool{}
	for _, o := range cat.Objects() {
		t := o.Table
		if t == nil || t.Manifest == "" {
			continue
		}
		m, err := manifest(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("gc: %w", err)
		}
		refs[t.Manifest] = true
		for _, f := range m.Files {
			refs[f.Key] = true
		}
	}
	return refs, nil
}

// sweep decides a pass over the listed keys, given the referenced ones: it
// returns the keys to delete and the counts, and updates the memory of dead
// objects (see the file comment). An object is dead when it is unreferenced
// and at least deadAge old; it is doomed when it has been dead for grace, or
// at once, whatever its age, when grace is 0. The caller holds g.mu.
func (g *collector) sweep(keys []string, refs map[string]bool, now time.Time, grace, deadAge time.Duration) (doomed []string, res GCResult) {
	dead := make(map[string]time.Time, len(g.dead))
	for _, key := range keys {
		res.Listed++
		k, ok := storage.ParseObjectKey(key)
		switch {
		case !ok:
			res.Unparsed++
			continue
		case refs[key]:
			res.Referenced++
			continue
		}
		since, known := g.dead[key]
		isDead := now.Sub(k.Created) >= deadAge
		if isDead {
			if !known {
				since = now
			}
			dead[key] = since
		}
		if grace == 0 || isDead && now.Sub(since) >= grace {
			doomed = append(doomed, key)
		} else {
			res.Kept++
		}
	}
	// Objects referenced again (never, past the commit fence) or gone
	// (deleted, here or by another coordinator) are forgotten.
	g.dead = dead
	return doomed, res
}

// deleteObjects deletes the keys, a few at a time, counting them in res, and
// returns those it deleted. It tries every key (until ctx ends) and returns
// the first error.
func deleteObjects(ctx context.Context, store storage.ObjectStore, keys []string, res *GCResult) (deleted []string, err error) {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan string)
	)
	for range min(gcDeleters, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range next {
				err := store.Delete(ctx, key)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("gc: delete %s: %w", key, err)
					}
				} else {
					deleted = append(deleted, key)
					if k, _ := storage.ParseObjectKey(key); k.Kind == storage.ManifestObject {
						res.DeletedManifests++
					} else {
						res.DeletedDataFiles++
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, key := range keys {
		if ctx.Err() != nil {
			break
		}
		next <- key
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("gc: %w", ctx.Err())
	}
	return deleted, firstErr
}

// startGC starts the garbage-collection loop unless GCInterval is negative.
func (c *Coordinator) startGC() {
	if c.cfg.GCInterval < 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.gc.stop, c.gc.done = cancel, make(chan struct{})
	go c.gcLoop(ctx)
}

// stopGC stops the loop, waiting for a pass in progress to give up.
func (c *Coordinator) stopGC() {
	if c.gc.stop != nil {
		c.gc.stop()
		<-c.gc.done
	}
}

// gcLoop runs a pass with GCGrace every GCInterval, each wait jittered by
// ±25% so that coordinators started together do not collect together.
func (c *Coordinator) gcLoop(ctx context.Context) {
	defer close(c.gc.done)
	for {
		wait := time.Duration(float64(c.cfg.GCInterval) * (0.75 + rand.Float64()/2))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		// CollectGarbage logs what the pass deleted and why it failed.
		c.CollectGarbage(ctx, c.cfg.GCGrace)
	}
}

// checkGCFence is garbage collection's commit fence (see the file comment):
// it fails with 40001 when t would commit a reference to a data file written
// at least GCGrace/2 ago that the table's committed manifest does not list
// already. Such a file is the transaction's own (or one a concurrent commit
// removed, and then the commit would fail anyway).
func (c *Coordinator) checkGCFence(ctx context.Context, t *txn) error {
	committed, _ := c.Catalog()
	now := time.Now()
	for oid, m := range t.manifests {
		key, err := fencedFile(now, c.cfg.GCGrace/2, m.Files, func() (*storage.Manifest, error) {
			tab, ok := committed.TableByOID(oid)
			if !ok {
				return &storage.Manifest{Table: oid}, nil // created by t
			}
			return c.manifest(ctx, tab)
		})
		if err != nil {
			return err
		}
		if key != "" {
			return sqlerr.Errorf(sqlerr.SerializationFailure,
				"transaction ran too long to commit: data file %s was written more than %v ago (half the garbage-collection grace period) and may have been collected",
				key, c.cfg.GCGrace/2)
		}
	}
	return nil
}

// fencedFile returns the key of the first of files written at least fence
// before now that the committed manifest does not list, or "". It reads the
// committed manifest only when some file is that old.
func fencedFile(now time.Time, fence time.Duration, files []storage.DataFile, committed func() (*storage.Manifest, error)) (string, error) {
	var listed map[string]bool
	for _, f := range files {
		k, ok := storage.ParseObjectKey(f.Key)
		if !ok || now.Sub(k.Created) < fence {
			continue
		}
		if listed == nil {
			m, err := committed()
			if err != nil {
				return "", err
			}
			listed = make(map[string]bool, len(m.Files))
			for _, cf := range m.Files {
				listed[cf.Key] = true
			}
		}
		if !listed[f.Key] {
			return f.Key, nil
		}
	}
	return "", nil
}
