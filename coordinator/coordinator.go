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
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/catsync"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
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
	// CatalogFile is where the relcache is saved between runs (optional).
	CatalogFile string
	// NodeID and Addr register the coordinator with metad (NodeID empty:
	// not registered, and then on its own: no number, no peers).
	NodeID, Addr string
	// PeerAddr is the address other coordinators reach this one's peer
	// service at (ServePeer), registered with metad; empty: other
	// coordinators do not see this one's sessions.
	PeerAddr string
	// GCInterval is how often the coordinator collects unreferenced table
	// objects (default 10 minutes, each wait jittered by ±25%); negative:
	// never (CollectGarbage still runs a pass on demand).
	GCInterval time.Duration
	// GCGrace is garbage collection's grace period (default 1 hour): how
	// long an unreferenced object is kept once it is dead, and the age at
	// which it becomes dead; commits must not reference data files written
	// GCGrace/2 ago or more (gc.go). Every coordinator of a cluster should
	// use the same value.
	GCGrace time.Duration
	Logf    func(format string, args ...any)
}

// Coordinator is one coordinator node.
type Coordinator struct {
	cfg   Config
	metad *metad.Client
	parts []*exchange.Client
	cat   *catsync.Node

	manifests sync.Map // manifest key → *storage.Manifest (immutable objects)
	// catalogRows caches catalog relations' rows per snapshot (system.go).
	catalogRows catalogRowsCache
	stats       statsCache
	gc          collector
	sessions    sessionTable // activity.go
	metrics     *coordMetrics

	// number is the coordinator's number from metad (0 when not
	// registered): the high bits of its sessions' process ids.
	number uint32
	// clusterSecret is the cluster's secret from metad.
	clusterSecret []byte
	peers         peers // peer.go
}

// New connects to metad, loads the catalog (from the relcache file when
// there is a usable one) and follows the invalidation queue.
func New(ctx context.Context, cfg Config) (*Coordinator, error) {
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = DefaultGCInterval
	}
	if cfg.GCGrace <= 0 {
		cfg.GCGrace = DefaultGCGrace
	}
	if len(cfg.Participants) == 0 {
		return nil, errors.New("coordinator: no participants configured")
	}
	mc, err := metad.Dial(ctx, cfg.Metad)
	if err != nil {
		return nil, fmt.Errorf("coordinator: connect to metad %s: %w", cfg.Metad, err)
	}
	c := &Coordinator{cfg: cfg, metad: mc}
	c.metrics = newCoordMetrics(c)
	for _, addr := range cfg.Participants {
		pc, err := exchange.Dial(addr)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("coordinator: participant %s: %w", addr, err)
		}
		c.parts = append(c.parts, pc)
	}
	if c.clusterSecret, err = mc.ClusterSecret(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("coordinator: the cluster secret: %w", err)
	}
	var node *metad.NodeInfo
	if cfg.NodeID != "" {
		if c.number, err = mc.CoordinatorNumber(ctx, cfg.NodeID); err != nil {
			c.Close()
			return nil, fmt.Errorf("coordinator: its number: %w", err)
		}
		node = &metad.NodeInfo{ID: cfg.NodeID, Role: "coordinator", Addr: cfg.Addr, Number: c.number, PeerAddr: cfg.PeerAddr}
	}
	c.cat, err = catsync.Start(ctx, catsync.Config{Metad: mc, File: cfg.CatalogFile, Node: node, Metrics: c.metrics.reg, Logf: cfg.Logf})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	c.startGC()
	return c, nil
}

// Close stops garbage collection and following, and closes connections.
func (c *Coordinator) Close() {
	c.closePeers()
	c.stopGC()
	if c.cat != nil {
		c.cat.Close()
	}
	for _, p := range c.parts {
		p.Close()
	}
	c.metad.Close()
}

// WireOptions returns the options of the coordinator's PostgreSQL server:
// opts with what every coordinator of the cluster must agree on. Process
// ids carry the coordinator's number (unique in the cluster), CancelRequests
// for another coordinator's process ids are forwarded to it, the mock
// authentication salt of unknown roles derives from the cluster secret (so
// that no two coordinators tell them apart differently), and roles'
// passwords come from the catalog.
func (c *Coordinator) WireOptions(opts pgwire.Options) pgwire.Options {
	opts.ServerNumber = c.number
	opts.ForwardCancel = c.ForwardCancel
	if len(opts.AuthNonce) == 0 {
		opts.AuthNonce = c.fromClusterSecret("mock authentication nonce")
	}
	if opts.Credentials == nil {
		opts.Credentials = c
	}
	if opts.Metrics == nil {
		opts.Metrics = c.Metrics()
	}
	return opts
}

// fromClusterSecret derives a key for one purpose from the cluster secret.
func (c *Coordinator) fromClusterSecret(purpose string) []byte {
	mac := hmac.New(sha256.New, c.clusterSecret)
	mac.Write([]byte("cirrus " + purpose))
	return mac.Sum(nil)
}

// Catalog returns the current snapshot and its sequence number.
func (c *Coordinator) Catalog() (*catalog.Catalog, int64) { return c.cat.Snapshot() }

// Seq returns the highest applied sequence number.
func (c *Coordinator) Seq() int64 { _, s := c.cat.Snapshot(); return s }

// waitSeq waits until the cache has applied seq (so a session sees its own
// commit at its next statement), or the timeout passes.
func (c *Coordinator) waitSeq(seq int64, timeout time.Duration) error {
	if err := c.cat.Cache().WaitApplied(context.Background(), seq, timeout); err != nil {
		return sqlerr.Errorf(sqlerr.SerializationFailure, "catalog change %d was committed but not yet applied on this coordinator", seq)
	}
	return nil
}

// manifest returns the table's current file list: from the relcache when
// t is the committed descriptor (the relcache entry holds the decoded
// manifest and is evicted when the table changes), else by manifest key.
func (c *Coordinator) manifest(ctx context.Context, t *catalog.Table) (*storage.Manifest, error) {
	if t.Manifest == "" {
		return &storage.Manifest{Table: t.OID}, nil
	}
	rel, err := c.cat.Cache().Rel(t.OID, func(ct *catalog.Table) (any, error) {
		if ct.Manifest == "" {
			return &storage.Manifest{Table: ct.OID}, nil
		}
		return c.loadManifest(ctx, ct)
	})
	if err == nil && rel.Table.Manifest == t.Manifest {
		return rel.Extra.(*storage.Manifest), nil
	}
	return c.loadManifest(ctx, t)
}

// loadManifest reads a manifest object (immutable, so cached by key).
func (c *Coordinator) loadManifest(ctx context.Context, t *catalog.Table) (*storage.Manifest, error) {
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
