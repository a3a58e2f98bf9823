// Package catsync keeps a node's catalog cache in step with metad's
// invalidation queue. It wires the pure invalidation.Follower (which decides)
// to the catalog cache (which reads from metad) and to the queue stream, in
// the start order the cache requires: join the queue first, then load the
// relcache file (or a full snapshot), then catch up.
//
// Coordinators and participants both run one Node. A participant also feeds
// it the sequence numbers coordinators ship with fragments (Shipped), and
// refuses a fragment it cannot catch up for within its deadline.
package catsync

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/cache"
	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
	"github.com/cirrusdb/cirrus/metad"
)

// Config configures a Node.
type Config struct {
	Metad *metad.Client
	// File is the relcache file; empty for none (participants).
	File string
	// OnApplied is called (from the sync goroutine) after the cache reaches
	// a new sequence number; nodes report it to metad.
	OnApplied func(seq int64)
	// Node, when set, registers the node with metad (a lease): it reports
	// its applied number (commits wait for live nodes to apply them) and
	// its catalog hash (metad orders a reset when it differs).
	Node *metad.NodeInfo
	// HashInterval is how often the catalog hash is reported (default 2 s).
	HashInterval time.Duration
	// Metrics, when set, gets the node's catalog metrics (metrics.go).
	Metrics *metrics.Registry
	Logf    func(format string, args ...any)
}

// Node is a running cache synchronizer.
type Node struct {
	cfg    Config
	cache  *cache.Cache
	member *metad.Membership

	// changeSeq is the highest sequence number of a set that changed
	// something (or of the loaded snapshot): heartbeats advance the cache's
	// number without changes, and a fragment need not wait for those.
	changeSeq atomic.Int64

	// heard is when the queue last delivered anything (a set or a
	// heartbeat), in Unix nanoseconds.
	heard atomic.Int64
	// latest is the highest sequence number the queue has delivered (a
	// set or a heartbeat): metad's number as last heard.
	latest atomic.Int64

	mu       sync.Mutex
	follower *invalidation.Follower
	kick     chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start loads the catalog (from the relcache file when it is usable) and
// follows the queue from the loaded number.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	n := &Node{cfg: cfg, kick: make(chan struct{}, 1)}
	n.cache = cache.New(cfg.Metad, cache.Options{IsCompacted: func(err error) bool { return errors.Is(err, metad.ErrCompacted) }})
	// With a usable relcache file, join the queue at the file's number
	// before reading the file, so no set after it can be missed or
	// compacted away meanwhile. Without one, a full snapshot is read first
	// and the queue joined at its number (history after it is replayed).
	var from int64
	useFile := false
	if cfg.File != "" {
		if seq, ok, err := cache.FileSeq(cfg.File); err == nil && ok {
			from, useFile = seq, true
		}
	}
	var rev int64 // metad's current number
	if useFile {
		var err error
		if _, rev, err = cfg.Metad.Get(ctx); err != nil {
			return nil, fmt.Errorf("catch up from relcache file: %w", err)
		}
		if from > rev {
			// Numbers from another etcd history (its data was lost or
			// replaced): nothing in the file can be trusted.
			cfg.Logf("catalog: relcache file %s is at %d, ahead of metad (%d); loading from metad", cfg.File, from, rev)
			useFile = false
		}
	}
	if useFile {
		if ok, err := n.cache.LoadFile(cfg.File); err != nil || !ok {
			cfg.Logf("catalog: relcache file %s unusable (%v); loading from metad", cfg.File, err)
			useFile = false
		} else {
			// Catch up before serving: one range read and one read of the
			// changed objects (a full load if the range was compacted
			// away).
			if err := n.cache.CatchUp(ctx, rev); err != nil {
				return nil, fmt.Errorf("catch up from relcache file: %w", err)
			}
			from = n.cache.Seq()
		}
	}
	if !useFile {
		if err := n.cache.Load(ctx); err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		from = n.cache.Seq()
	}
	n.follower = invalidation.NewFollower(from)
	n.changeSeq.Store(from)
	n.latest.Store(from)
	if cfg.Metrics != nil {
		n.registerMetrics(cfg.Metrics)
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Add(1)
	go n.follow(from)

	// Sets after the loaded number are replayed by the queue and applied
	// as they arrive; a usable file's number is caught up to at once.
	if cfg.Node != nil {
		info := *cfg.Node
		info.Applied = n.cache.Seq()
		m, err := cfg.Metad.RegisterNode(ctx, info)
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("register with metad: %w", err)
		}
		n.member = m
		n.wg.Add(1)
		go n.memberLoop()
	}
	n.wg.Add(1)
	go n.run()
	n.signal()
	return n, nil
}

// Current returns nil when the node follows metad's queue (metad sends a
// heartbeat at least every second) and has applied everything it was sent
// up to within the last interval, and an error saying why not otherwise.
// It is the readiness of a node's catalog.
func (n *Node) Current(within time.Duration) error {
	heard := n.heard.Load()
	if heard == 0 {
		return errors.New("catalog: not yet following metad")
	}
	if age := time.Since(time.Unix(0, heard)); age > within {
		return fmt.Errorf("catalog: no word from metad for %v", age.Round(time.Millisecond))
	}
	if n.pendingReset() {
		return errors.New("catalog: catching up with metad")
	}
	return nil
}

// Cache returns the node's catalog cache.
func (n *Node) Cache() *cache.Cache { return n.cache }

// Close stops following and saves the relcache file.
func (n *Node) Close() {
	n.cancel()
	n.wg.Wait()
	if n.member != nil {
		n.member.Close()
	}
	if n.cfg.File != "" && n.cache.Loaded() {
		if _, err := n.cache.SaveFile(n.cfg.File); err != nil {
			n.cfg.Logf("catalog: save relcache file: %v", err)
		}
	}
}

func (n *Node) signal() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// follow streams the queue into the follower, reconnecting from the
// cache's number after errors (events it already has are dropped).
func (n *Node) follow(from int64) {
	defer n.wg.Done()
	backoff := 20 * time.Millisecond
	for n.ctx.Err() == nil {
		var resetAt int64
		err := n.cfg.Metad.Follow(n.ctx, from, func(ev metad.FollowEvent) error {
			backoff = 20 * time.Millisecond
			n.heard.Store(time.Now().UnixNano())
			if ev.Set.Seq > n.latest.Load() {
				n.latest.Store(ev.Set.Seq)
			}
			n.mu.Lock()
			if ev.Reset {
				// The reload this orders reads a snapshot at or after
				// ev.Set.Seq, so the queue can be followed again from
				// there at once; following from the old position would
				// only be reset again (and reload twice).
				resetAt = ev.Set.Seq
				n.follower.Reset()
				n.changeSeq.Store(math.MaxInt64) // until the reload lands
			} else {
				n.follower.Step(ev.Set)
				if len(ev.Set.Messages) > 0 && ev.Set.Seq > n.changeSeq.Load() {
					n.changeSeq.Store(ev.Set.Seq)
				}
			}
			n.mu.Unlock()
			n.signal()
			return nil
		})
		if n.ctx.Err() != nil {
			return
		}
		if err != nil {
			n.cfg.Logf("catalog: following metad: %v (reconnecting)", err)
		}
		select {
		case <-time.After(backoff):
		case <-n.ctx.Done():
			return
		}
		if backoff < time.Second {
			backoff *= 2
		}
		if s := max(n.cache.Seq(), resetAt); s > from {
			from = s
		}
	}
}

// run executes the follower's decisions as they become ready.
func (n *Node) run() {
	defer n.wg.Done()
	var reported int64
	for {
		select {
		case <-n.kick:
		case <-n.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(n.ctx, stepTimeout)
		err := n.step(ctx)
		cancel()
		if err != nil {
			if n.ctx.Err() != nil {
				return
			}
			n.cfg.Logf("catalog: applying invalidations: %v (retrying)", err)
			time.AfterFunc(50*time.Millisecond, n.signal)
		}
		if n.changeSeq.Load() == math.MaxInt64 && !n.pendingReset() {
			n.changeSeq.Store(n.cache.Seq())
		}
		// Report the last change applied, not heartbeat numbers: commits
		// wait for changes, and every report is a write in etcd.
		if seq := n.ShipSeq(); seq > reported {
			reported = seq
			if n.member != nil {
				n.member.ReportApplied(seq)
			}
			if n.cfg.OnApplied != nil {
				n.cfg.OnApplied(seq)
			}
		}
	}
}

// stepTimeout bounds one decision run by the sync goroutine, so that a
// request to metad stuck on a dead connection does not hold the cache's
// writer lock (and so every fragment's catch-up) until TCP keepalives
// notice.
const stepTimeout = 10 * time.Second

// step runs one decision.
func (n *Node) step(ctx context.Context) error {
	n.mu.Lock()
	if !n.follower.HasReady() {
		n.mu.Unlock()
		return nil
	}
	d := n.follower.Ready()
	n.mu.Unlock()
	seq, err := n.cache.Execute(ctx, d)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.follower.Advance(d, seq)
	more := n.follower.HasReady()
	n.mu.Unlock()
	if more {
		n.signal()
	}
	return nil
}

// Shipped takes the sequence number (and messages) a coordinator shipped
// with a fragment. When the cache is behind it catches up now, with one
// range read; if that does not succeed within timeout, the fragment must
// not run: the error is 40001.
func (n *Node) Shipped(ctx context.Context, seq int64, msgs []invalidation.Message, timeout time.Duration) error {
	if n.cache.Seq() >= seq && len(msgs) == 0 {
		return nil
	}
	n.mu.Lock()
	n.follower.Shipped(seq, msgs)
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for n.cache.Seq() < seq {
		if err := n.step(ctx); err != nil || ctx.Err() != nil {
			return sqlerr.Errorf(sqlerr.SerializationFailure,
				"catalog is at %d but the query needs %d and could not catch up within %v", n.cache.Seq(), seq, timeout)
		}
		if n.cache.Seq() < seq {
			// Another goroutine holds the decision; wait for it briefly.
			if err := n.cache.WaitApplied(ctx, seq, 10*time.Millisecond); err != nil && ctx.Err() != nil {
				return sqlerr.Errorf(sqlerr.SerializationFailure,
					"catalog is at %d but the query needs %d and could not catch up within %v", n.cache.Seq(), seq, timeout)
			}
		}
	}
	return nil
}

// ShipSeq is the number to ship with a fragment: the last change this node
// has applied. Nodes that have applied it run the fragment without asking
// metad anything, even if heartbeats moved their numbers apart.
func (n *Node) ShipSeq() int64 {
	_, seq := n.cache.Snapshot()
	return min(seq, n.changeSeq.Load())
}

// Snapshot returns the current catalog and its sequence number.
func (n *Node) Snapshot() (*catalog.Catalog, int64) { return n.cache.Snapshot() }

// memberLoop reports the catalog hash and heals drift: a reset ordered by
// metad (our hash differed from the catalog at that number) reloads the
// whole cache.
func (n *Node) memberLoop() {
	defer n.wg.Done()
	every := n.cfg.HashInterval
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			if sum, seq, exact := n.cache.Hash(); exact {
				n.member.ReportHash(seq, hex.EncodeToString(sum[:]))
			}
		case <-n.member.Resets():
			n.cfg.Logf("catalog: metad found this node's catalog differs from the committed one; reloading")
			n.mu.Lock()
			n.follower.Reset()
			n.mu.Unlock()
			n.signal()
		}
	}
}

func (n *Node) pendingReset() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.follower.HasReady()
}
