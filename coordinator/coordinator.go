// Package coordinator is the coordinator role: it serves PostgreSQL sessions
// (through pgwire), binds and plans statements against its catalog cache,
// dispatches fragments to participants over Arrow Flight, finishes queries,
// and commits transactions through metad.
//
// The catalog cache follows metad's invalidation queue: every committed
// catalog change arrives as a set of messages with a sequence number; the
// coordinator re-reads the changed objects and swaps in a new snapshot.
// At steady state a query reads only the local snapshot.
package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/storage"
)

// Config configures a coordinator.
type Config struct {
	// Metad is the metadata server's address.
	Metad string
	// Participants are the participants' Flight addresses.
	Participants []string
	// Store is the object store holding table data and manifests.
	Store storage.ObjectStore
	Logf  func(format string, args ...any)
}

// Coordinator is one coordinator node.
type Coordinator struct {
	cfg    Config
	metad  *metad.Client
	parts  []*exchange.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		cat     *catalog.Catalog // immutable snapshot; replaced, never mutated
		seq     int64            // highest invalidation sequence applied
		changed *sync.Cond
	}
	manifests sync.Map // manifest key → *storage.Manifest (immutable objects)
}

// New connects to metad, loads the catalog and starts following the queue.
func New(ctx context.Context, cfg Config) (*Coordinator, error) {
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if len(cfg.Participants) == 0 {
		return nil, errors.New("coordinator: no participants configured")
	}
	mc, err := metad.Dial(ctx, cfg.Metad)
	if err != nil {
		return nil, fmt.Errorf("coordinator: connect to metad %s: %w", cfg.Metad, err)
	}
	c := &Coordinator{cfg: cfg, metad: mc}
	c.mu.changed = sync.NewCond(&c.mu.Mutex)
	for _, addr := range cfg.Participants {
		pc, err := exchange.Dial(addr)
		if err != nil {
			mc.Close()
			return nil, fmt.Errorf("coordinator: participant %s: %w", addr, err)
		}
		c.parts = append(c.parts, pc)
	}
	if err := c.reload(ctx); err != nil {
		c.Close()
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.follow()
	return c, nil
}

// Close stops following and closes connections.
func (c *Coordinator) Close() {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	for _, p := range c.parts {
		p.Close()
	}
	c.metad.Close()
}

// reload replaces the cache with a full snapshot (start, or a reset after
// falling behind the queue's retention).
func (c *Coordinator) reload(ctx context.Context) error {
	seq, objs, err := c.metad.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("coordinator: load catalog: %w", err)
	}
	cat := catalog.New()
	for _, o := range objs {
		cat.Put(o)
	}
	c.mu.Lock()
	c.mu.cat, c.mu.seq = cat, seq
	c.mu.changed.Broadcast()
	c.mu.Unlock()
	return nil
}

// follow applies invalidation sets from metad until Close, reconnecting
// (and reloading, since a gap cannot be trusted) after errors.
func (c *Coordinator) follow() {
	defer c.wg.Done()
	backoff := 50 * time.Millisecond
	for c.ctx.Err() == nil {
		from := c.Seq()
		err := c.metad.Follow(c.ctx, from, func(ev metad.FollowEvent) error {
			backoff = 50 * time.Millisecond
			if ev.Reset {
				return c.reload(c.ctx)
			}
			return c.apply(c.ctx, ev.Set.Seq, ev.Set.Messages)
		})
		if c.ctx.Err() != nil {
			return
		}
		if err != nil {
			c.cfg.Logf("coordinator: following metad: %v (retrying)", err)
		}
		select {
		case <-time.After(backoff):
		case <-c.ctx.Done():
			return
		}
		if backoff < 2*time.Second {
			backoff *= 2
		}
	}
}

// apply brings the cache to seq by re-reading the objects the messages name.
func (c *Coordinator) apply(ctx context.Context, seq int64, msgs []invalidation.Message) error {
	if seq <= c.Seq() {
		return nil
	}
	var objs map[catalog.OID]*catalog.Object
	if len(msgs) > 0 {
		oids := make([]catalog.OID, 0, len(msgs))
		for _, m := range msgs {
			oids = append(oids, m.OID)
		}
		var err error
		objs, _, err = c.metad.Get(ctx, oids...)
		if err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq <= c.mu.seq {
		return nil
	}
	if len(msgs) > 0 {
		cat := c.mu.cat.Clone()
		for _, m := range msgs {
			if o, ok := objs[m.OID]; ok && !m.Drop {
				cat.Put(o)
			} else {
				cat.Delete(m.OID)
			}
		}
		c.mu.cat = cat
	}
	c.mu.seq = seq
	c.mu.changed.Broadcast()
	return nil
}

// Catalog returns the current snapshot and its sequence number.
func (c *Coordinator) Catalog() (*catalog.Catalog, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.cat, c.mu.seq
}

// Seq returns the highest applied sequence number.
func (c *Coordinator) Seq() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.seq
}

// waitSeq waits until the cache has applied seq (so a session sees its own
// commit at its next statement), or the timeout passes.
func (c *Coordinator) waitSeq(seq int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		c.mu.Lock()
		c.mu.changed.Broadcast()
		c.mu.Unlock()
	})
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.mu.seq < seq {
		if time.Now().After(deadline) {
			return sqlerr.Errorf(sqlerr.SerializationFailure, "catalog change %d was committed but not yet applied on this coordinator", seq)
		}
		c.mu.changed.Wait()
	}
	return nil
}

// manifest returns the table's current file list.
func (c *Coordinator) manifest(ctx context.Context, t *catalog.Table) (*storage.Manifest, error) {
	if t.Manifest == "" {
		return &storage.Manifest{Table: t.OID}, nil
	}
	if m, ok := c.manifests.Load(t.Manifest); ok {
		return m.(*storage.Manifest), nil
	}
	b, err := c.cfg.Store.Get(ctx, t.Manifest)
	if err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.IOError, fmt.Sprintf("could not read manifest of table %q", t.Name))
	}
	m, err := storage.DecodeManifest(b)
	if err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.IOError, fmt.Sprintf("corrupt manifest of table %q", t.Name))
	}
	c.manifests.Store(t.Manifest, m)
	return m, nil
}

// Connect implements pgwire.Backend.
func (c *Coordinator) Connect(ctx context.Context, p pgwire.StartupParams) (pgwire.Session, error) {
	return newSession(c, p), nil
}
