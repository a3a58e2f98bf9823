package metad

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// ddlLock is the catalog's DDL lock: an etcd concurrency.Mutex on a session
// (lease) of this server. Every catalog commit holds it, and its etcd
// transaction compares that the lock key still exists, so a commit whose
// holder lost the lease (paused past the TTL, partitioned from etcd) fails
// instead of overwriting a later holder's work. Readers never take it.
//
// concurrency.Mutex names its key after the session's lease, so two
// goroutines of one server sharing the session would both believe they hold
// it: sem serializes commits within the server first.
type ddlLock struct {
	sem  chan struct{} // capacity 1: held from acquire to release
	sess *concurrency.Session
	// Fields below are only touched while holding sem.
	ttl int // seconds
}

// heldLock is one acquisition of the DDL lock.
type heldLock struct {
	l        *ddlLock
	m        *concurrency.Mutex
	key      string
	released bool // the key was deleted by the commit's transaction
}

func newDDLLock(ttl time.Duration) *ddlLock {
	return &ddlLock{sem: make(chan struct{}, 1), ttl: leaseSeconds(ttl)}
}

// leaseSeconds rounds a TTL up to etcd's whole seconds (at least 1).
func leaseSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// acquire takes the DDL lock, waiting for other holders (in this server or
// another) until ctx ends. A holder that died releases the lock when its
// lease expires, so the wait is bounded by the lock TTL plus the commits
// queued ahead.
func (s *Server) acquireDDL(ctx context.Context) (*heldLock, error) {
	l := s.ddl
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for attempt := 0; ; attempt++ {
		if l.sess != nil {
			select {
			case <-l.sess.Done(): // lease lost: start a new session
				l.sess.Close()
				l.sess = nil
			default:
			}
		}
		if l.sess == nil {
			// Grant under ctx (NewSession would wait on the client's
			// context); the session keeps the lease alive on the client's
			// context so that Close can still revoke it.
			g, err := s.cli.Grant(ctx, int64(l.ttl))
			if err == nil {
				l.sess, err = concurrency.NewSession(s.cli, concurrency.WithTTL(l.ttl), concurrency.WithLease(g.ID))
			}
			if err != nil {
				<-l.sem
				return nil, fmt.Errorf("metad: DDL lock session: %w", err)
			}
		}
		m := concurrency.NewMutex(l.sess, s.k.ddlLock())
		err := m.Lock(ctx)
		if err == nil {
			return &heldLock{l: l, m: m, key: m.Key()}, nil
		}
		if errors.Is(err, concurrency.ErrSessionExpired) && attempt < 3 && ctx.Err() == nil {
			l.sess.Close()
			l.sess = nil
			continue
		}
		<-l.sem
		return nil, err
	}
}

// release unlocks, unless the commit already did. A failed unlock is
// harmless: the key is the session's, so the next acquire of this server
// reuses it, and it goes away with the lease otherwise.
func (h *heldLock) release() {
	if !h.released {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = h.m.Unlock(ctx)
		cancel()
	}
	<-h.l.sem
}

// lost drops the session after the lock was found gone, so that the next
// acquire starts a fresh one.
func (h *heldLock) lost() {
	if h.l.sess != nil {
		h.l.sess.Close()
		h.l.sess = nil
	}
}

// fence returns the compare that the lock is still held.
func (h *heldLock) fence() clientv3.Cmp { return h.m.IsOwner() }

// close ends the lock's session (revoking its lease). Commits end with the
// server's context, so the wait for a running one is short; after 5 s the
// session is left to expire.
func (l *ddlLock) close() {
	select {
	case l.sem <- struct{}{}:
	case <-time.After(5 * time.Second):
		return
	}
	if l.sess != nil {
		l.sess.Close()
		l.sess = nil
	}
	<-l.sem
}
