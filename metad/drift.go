package metad

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cirrusdb/cirrus/catalog"
)

// Drift detection.
//
// Each node periodically reports (ReportHash) the CatalogHash of its
// catalog copy and the seq that copy is exactly at. Every
// Config.HashCheckInterval the server compares each node's last report with
// the hash of the catalog at that revision (read from etcd's history; a
// compacted revision is skipped) and, on a mismatch, writes a reset order
// under <p>/resets/<id>, on the node's lease. The node's stream handler
// forwards it (Membership.Resets) and then clears the node's reported hash,
// so one bad report causes one reset. Detection takes at most the node's
// reporting period plus the check interval.

// DefaultHashCheckInterval is how often the server checks nodes' catalog
// hashes when Config.HashCheckInterval is 0.
const DefaultHashCheckInterval = 2 * time.Second

// CatalogHash returns the canonical hash of a catalog copy, so that a node
// and metad can compare theirs: the lowercase hex SHA-256 over the objects
// ordered by OID, each written as its JSON encoding (catalog.Object.Encode)
// followed by a newline, with Table.Version zeroed and a nil column list
// encoded as an empty one. The input is not modified.
func CatalogHash(objs []*catalog.Object) string {
	h := catalog.HashObjects(objs)
	return hex.EncodeToString(h[:])
}

// resetOrder is the value of <p>/resets/<id>.
type resetOrder struct {
	Seq      int64  `json:"seq"`
	Reported string `json:"reported"`
	Expected string `json:"expected"`
}

// drift is the server's hash-check state.
type drift struct {
	mu      sync.Mutex
	hashes  map[int64]string // catalog hash by revision (small cache)
	flagged map[string]int64 // node ID -> HashSeq a reset was ordered for
}

const hashCacheSize = 64

func newDrift() *drift {
	return &drift{hashes: map[int64]string{}, flagged: map[string]int64{}}
}

// errNoHistory means the catalog at a revision is no longer readable.
var errNoHistory = errors.New("revision compacted")

// hashAt returns the CatalogHash of the catalog at revision rev.
func (s *Server) hashAt(ctx context.Context, rev int64) (string, error) {
	s.drift.mu.Lock()
	h, ok := s.drift.hashes[rev]
	s.drift.mu.Unlock()
	if ok {
		return h, nil
	}
	kvs, _, err := s.readPrefix(ctx, rev, s.k.objPrefix())
	if errors.Is(err, rpctypes.ErrCompacted) {
		return "", errNoHistory
	}
	if err != nil {
		return "", err
	}
	objs := make([]*catalog.Object, 0, len(kvs))
	for _, kv := range kvs {
		o, err := catalog.DecodeObject(kv.Value)
		if err != nil {
			return "", fmt.Errorf("metad: corrupt catalog object %s: %w", kv.Key, err)
		}
		objs = append(objs, o)
	}
	h = CatalogHash(objs)
	s.drift.mu.Lock()
	if len(s.drift.hashes) >= hashCacheSize {
		oldest := rev
		for r := range s.drift.hashes {
			oldest = min(oldest, r)
		}
		delete(s.drift.hashes, oldest)
	}
	s.drift.hashes[rev] = h
	s.drift.mu.Unlock()
	return h, nil
}

// CheckHashes runs one drift check: it compares every registered node's
// last reported catalog hash with the hash of the catalog at the reported
// seq and orders a reset of each node whose hash differs, or whose seq is
// ahead of etcd (it comes from another history). Reports at compacted
// revisions are skipped. It returns the IDs of the nodes ordered to reset,
// sorted. The server runs it every Config.HashCheckInterval.
func (s *Server) CheckHashes(ctx context.Context) ([]string, error) {
	kvs, rev, err := s.readPrefix(ctx, 0, s.k.nodesPrefix())
	if err != nil {
		return nil, err
	}
	var reset []string
	live := map[string]bool{}
	for _, kv := range kvs {
		r, err := decodeNode(kv.Value)
		if err != nil || r.HashSeq <= 0 || r.Hash == "" {
			continue
		}
		live[r.ID] = true
		s.drift.mu.Lock()
		done := s.drift.flagged[r.ID] == r.HashSeq
		s.drift.mu.Unlock()
		if done {
			continue
		}
		want := ""
		if r.HashSeq <= rev {
			want, err = s.hashAt(ctx, r.HashSeq)
			if errors.Is(err, errNoHistory) {
				continue
			}
			if err != nil {
				return reset, err
			}
		}
		if want == r.Hash {
			continue
		}
		order, _ := json.Marshal(resetOrder{Seq: r.HashSeq, Reported: r.Hash, Expected: want})
		// On the node's lease, and only while the node's key still holds
		// this report; a node that is gone needs no reset.
		tr, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(string(kv.Key)), "=", kv.ModRevision)).
			Then(clientv3.OpPut(s.k.reset(r.ID), string(order), clientv3.WithLease(clientv3.LeaseID(kv.Lease)))).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			continue
		}
		if err != nil {
			return reset, err
		}
		if tr.Succeeded {
			s.drift.mu.Lock()
			s.drift.flagged[r.ID] = r.HashSeq
			s.drift.mu.Unlock()
			reset = append(reset, r.ID)
		}
	}
	s.drift.mu.Lock()
	for id := range s.drift.flagged {
		if !live[id] {
			delete(s.drift.flagged, id)
		}
	}
	s.drift.mu.Unlock()
	sort.Strings(reset)
	return reset, nil
}

// backgroundLoop runs the drift check and the transaction sweeper until
// the server closes.
func (s *Server) backgroundLoop() {
	defer s.bg.Done()
	sweepEvery := min(max(s.cfg.TxnIdleTimeout/10, 10*time.Millisecond), 30*time.Second)
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	var check <-chan time.Time
	if s.cfg.HashCheckInterval > 0 {
		t := time.NewTicker(s.cfg.HashCheckInterval)
		defer t.Stop()
		check = t.C
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-sweep.C:
			s.txns.sweep(now)
		case <-check:
			ctx, cancel := context.WithTimeout(s.ctx, max(s.cfg.HashCheckInterval, 5*time.Second))
			_, _ = s.CheckHashes(ctx) // transient failures: the next round retries
			cancel()
		}
	}
}
