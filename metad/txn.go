package metad

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// Transactions staged in metad.
//
// A transaction's operations live in metad's memory, in a stack of savepoint
// levels that no other transaction sees, until CommitTxn turns their net
// effect into one Commit (one etcd transaction, one invalidation set, one
// sequence number) or AbortTxn / the end of the transaction's session /
// the idle timeout discards them.
//
// Lifetime: every transaction belongs to a session, which is a server stream
// (OpenSession) the client holds open. When the stream ends — the client
// closed, crashed (the kernel resets its connections), or became unreachable
// (gRPC keepalive notices within about 40 s) — metad discards the session's
// transactions. A stream rather than an etcd lease because transactions are
// in this metad's memory anyway: the stream fails exactly when this metad
// can no longer hear from the client, or when this metad itself goes away
// (then the transactions are gone too, and the client learns it from the
// stream). Independently, a transaction idle for Config.TxnIdleTimeout is
// discarded.

// TxnID identifies a transaction staged in metad.
type TxnID uint64

// invalidSavepoint is SQLSTATE 3B001 invalid_savepoint_specification (not
// in internal/sqlerr's list).
const invalidSavepoint = "3B001"

// stagedOp is an op as staged, with the committed state of its object read
// when it was staged; the base matters when it is the first op of its OID
// in the transaction.
type stagedOp struct {
	op
	base        *catalog.Object // committed object, nil if none
	baseVersion int64
}

// level is one savepoint level; level 0 (name "") is the transaction's own.
type level struct {
	name string
	ops  []stagedOp
}

// entry is a transaction's net effect on one OID.
type entry struct {
	oid         catalog.OID
	obj         *catalog.Object // final state; nil = deleted
	expect      int64           // the version check the commit makes
	base        *catalog.Object // committed object when first staged
	baseVersion int64
	pos         int // order of first staging: the commit's op order
}

// txnView is the net effect of a transaction's staged ops.
type txnView struct {
	entries map[catalog.OID]*entry
	next    int
}

func newView() *txnView { return &txnView{entries: map[catalog.OID]*entry{}} }

func (v *txnView) clone() *txnView {
	n := &txnView{entries: make(map[catalog.OID]*entry, len(v.entries)), next: v.next}
	for oid, e := range v.entries {
		c := *e
		n.entries[oid] = &c
	}
	return n
}

// apply merges a validated op into the view, the way the transaction's
// final state would see it: create then drop is nothing; put then put is
// the last put with the first op's version check; put then drop is a drop
// with the put's check; drop then put replaces the object (checking the
// version the drop saw when it did not check one itself).
func (v *txnView) apply(so stagedOp) {
	e := v.entries[so.oid]
	switch {
	case e == nil:
		v.entries[so.oid] = &entry{oid: so.oid, obj: so.put, expect: so.expect, base: so.base, baseVersion: so.baseVersion, pos: v.next}
		v.next++
	case so.put != nil:
		if e.obj == nil && e.expect == 0 {
			e.expect = e.baseVersion
		}
		e.obj = so.put
	case e.obj != nil && e.expect == 0: // created in this transaction
		delete(v.entries, so.oid)
	default:
		e.obj = nil
	}
}

// ops returns the view as commit operations, in first-staging order.
func (v *txnView) ops() []op {
	es := make([]*entry, 0, len(v.entries))
	for _, e := range v.entries {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].pos < es[j].pos })
	out := make([]op, len(es))
	for i, e := range es {
		out[i] = op{put: e.obj, oid: e.oid, expect: e.expect}
	}
	return out
}

func replay(levels []level) *txnView {
	v := newView()
	for _, l := range levels {
		for _, so := range l.ops {
			v.apply(so)
		}
	}
	return v
}

// txn is one transaction. mu serializes operations on it (Stage reads etcd
// while holding it); the fields under "table" are guarded by txnTable.mu.
type txn struct {
	id      TxnID
	session uint64

	mu     sync.Mutex
	levels []level
	view   *txnView
	ended  string // why it ended; "" while live

	// table
	lastUsed time.Time
	busy     int
}

// tombstone remembers why a transaction ended, for a clear error.
type tombstone struct {
	reason string
	until  time.Time
}

// txnTable holds the live sessions and transactions of a server.
type txnTable struct {
	idle time.Duration

	mu       sync.Mutex
	sessions map[uint64]map[TxnID]*txn
	txns     map[TxnID]*txn
	ended    map[TxnID]tombstone
}

func newTxnTable(idle time.Duration) *txnTable {
	return &txnTable{idle: idle, sessions: map[uint64]map[TxnID]*txn{}, txns: map[TxnID]*txn{}, ended: map[TxnID]tombstone{}}
}

// How long the reason a transaction ended is remembered: briefly for a
// normal end, as long as the idle timeout for the surprising ones.
const tombstoneTTL = time.Minute

func (tt *txnTable) openSession() uint64 {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for {
		id := rand.Uint64()
		if _, dup := tt.sessions[id]; id != 0 && !dup {
			tt.sessions[id] = map[TxnID]*txn{}
			return id
		}
	}
}

// closeSession discards a session's transactions.
func (tt *txnTable) closeSession(id uint64, reason string) {
	tt.mu.Lock()
	ts := tt.sessions[id]
	delete(tt.sessions, id)
	for tid := range ts {
		tt.endLocked(tid, reason, max(tt.idle, tombstoneTTL))
	}
	tt.mu.Unlock()
	for _, t := range ts {
		t.mu.Lock()
		t.ended = reason
		t.mu.Unlock()
	}
}

// endLocked removes a transaction from the tables and remembers why.
func (tt *txnTable) endLocked(id TxnID, reason string, keep time.Duration) {
	t := tt.txns[id]
	if t == nil {
		return
	}
	delete(tt.txns, id)
	if s := tt.sessions[t.session]; s != nil {
		delete(s, id)
	}
	tt.ended[id] = tombstone{reason: reason, until: time.Now().Add(keep)}
}

func (tt *txnTable) begin(session uint64) (TxnID, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	s := tt.sessions[session]
	if s == nil {
		return 0, sqlerr.Errorf(sqlerr.ConnectionFailure, "metad session %d does not exist (its stream ended, or metad restarted)", session)
	}
	for {
		id := TxnID(rand.Uint64())
		if _, dup := tt.txns[id]; id != 0 && !dup {
			if _, old := tt.ended[id]; old {
				continue
			}
			t := &txn{id: id, session: session, levels: []level{{}}, view: newView(), lastUsed: time.Now()}
			tt.txns[id] = t
			s[id] = t
			return id, nil
		}
	}
}

func noTxn(id TxnID, why string) error {
	if why != "" {
		return sqlerr.Errorf(sqlerr.NoActiveSQLTransaction, "metad transaction %d has ended: %s", id, why)
	}
	return sqlerr.Errorf(sqlerr.NoActiveSQLTransaction, "metad transaction %d does not exist", id).
		WithDetail("It was committed or aborted, idle too long, discarded with its client's session, or metad restarted.")
}

// use runs fn on a live transaction, holding its mutex. A transaction idle
// past the timeout is expired here (precisely) as well as by the sweeper.
func (tt *txnTable) use(id TxnID, fn func(*txn) error) error {
	tt.mu.Lock()
	t := tt.txns[id]
	if t != nil && t.busy == 0 && time.Since(t.lastUsed) > tt.idle {
		tt.endLocked(id, tt.expiredReason(), max(tt.idle, tombstoneTTL))
		t = nil
	}
	if t == nil {
		why := tt.ended[id].reason
		tt.mu.Unlock()
		return noTxn(id, why)
	}
	t.busy++
	tt.mu.Unlock()
	defer func() {
		tt.mu.Lock()
		t.busy--
		t.lastUsed = time.Now()
		tt.mu.Unlock()
	}()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended != "" {
		return noTxn(id, t.ended)
	}
	return fn(t)
}

// end ends a live transaction (t.mu held by the caller).
func (tt *txnTable) end(t *txn, reason string) {
	tt.mu.Lock()
	tt.endLocked(t.id, reason, tombstoneTTL)
	tt.mu.Unlock()
	t.ended = reason
}

func (tt *txnTable) expiredReason() string {
	return fmt.Sprintf("it was idle for more than %v and was discarded", tt.idle)
}

// sweep discards idle transactions and forgets old tombstones.
func (tt *txnTable) sweep(now time.Time) {
	tt.mu.Lock()
	var expired []*txn
	for id, t := range tt.txns {
		if t.busy == 0 && now.Sub(t.lastUsed) > tt.idle {
			tt.endLocked(id, tt.expiredReason(), max(tt.idle, tombstoneTTL))
			expired = append(expired, t)
		}
	}
	for id, ts := range tt.ended {
		if now.After(ts.until) {
			delete(tt.ended, id)
		}
	}
	reason := tt.expiredReason()
	tt.mu.Unlock()
	for _, t := range expired {
		t.mu.Lock()
		if t.ended == "" {
			t.ended = reason
		}
		t.mu.Unlock()
	}
}

// closeAll discards every transaction (server shutdown).
func (tt *txnTable) closeAll() {
	tt.mu.Lock()
	ids := make([]uint64, 0, len(tt.sessions))
	for id := range tt.sessions {
		ids = append(ids, id)
	}
	tt.mu.Unlock()
	for _, id := range ids {
		tt.closeSession(id, "metad shut down")
	}
}

// findSavepoint returns the index of the innermost level named name.
func findSavepoint(levels []level, name string) (int, error) {
	for i := len(levels) - 1; i >= 1; i-- {
		if levels[i].name == name {
			return i, nil
		}
	}
	return 0, sqlerr.Errorf(invalidSavepoint, "savepoint %q does not exist", name)
}

func (s *Server) savepoint(id TxnID, name string) error {
	if name == "" {
		return sqlerr.New(sqlerr.InvalidParameterValue, "savepoint name is empty")
	}
	return s.txns.use(id, func(t *txn) error {
		t.levels = append(t.levels, level{name: name})
		return nil
	})
}

func (s *Server) rollbackTo(id TxnID, name string) error {
	return s.txns.use(id, func(t *txn) error {
		i, err := findSavepoint(t.levels, name)
		if err != nil {
			return err
		}
		t.levels = t.levels[:i+1]
		t.levels[i].ops = nil
		t.view = replay(t.levels)
		return nil
	})
}

func (s *Server) release(id TxnID, name string) error {
	return s.txns.use(id, func(t *txn) error {
		i, err := findSavepoint(t.levels, name)
		if err != nil {
			return err
		}
		parent := &t.levels[i-1]
		for _, l := range t.levels[i:] {
			parent.ops = append(parent.ops, l.ops...)
		}
		t.levels = t.levels[:i]
		return nil // the net effect is unchanged
	})
}

func (s *Server) stageTxn(ctx context.Context, id TxnID, ops []op) error {
	return s.txns.use(id, func(t *txn) error {
		v, staged, err := s.stage(ctx, t.view, ops)
		if err != nil {
			return err
		}
		top := &t.levels[len(t.levels)-1]
		top.ops = append(top.ops, staged...)
		t.view = v
		return nil
	})
}

func (s *Server) commitTxn(ctx context.Context, id TxnID) (int64, error) {
	var ops []op
	err := s.txns.use(id, func(t *txn) error {
		ops = t.view.ops()
		s.txns.end(t, "it was committed (or its commit failed)")
		return nil
	})
	if err != nil {
		return 0, err
	}
	return s.commit(ctx, ops)
}

func (s *Server) abortTxn(id TxnID) error {
	return s.txns.use(id, func(t *txn) error {
		s.txns.end(t, "it was aborted")
		return nil
	})
}

// stage validates ops, in order, against the committed catalog and the
// transaction's staged state v, and returns a new view with them applied
// and the ops as staged. It checks what Commit checks and reports it with
// the same SQLSTATEs: version checks of objects the transaction has not
// touched yet (40001), drops of missing objects (42704), kind changes
// (22023), dropping pg_catalog or a schema that still has tables (2BP01),
// tables in missing schemas (3F000), and taken names (42P07 / 42P06) —
// taken in the committed catalog or by the transaction's own staged
// objects. The commit checks everything again against the catalog as it
// is then.
func (s *Server) stage(ctx context.Context, v *txnView, ops []op) (*txnView, []stagedOp, error) {
	// The committed state the ops depend on, at one revision.
	var ks []string
	seen := map[string]bool{}
	addKey := func(k string) {
		if !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	for _, o := range ops {
		addKey(s.k.obj(o.oid))
		if o.put != nil {
			addKey(s.k.nameKeyOf(o.put))
			if o.put.Table != nil {
				addKey(s.k.obj(o.put.Table.Namespace))
			}
		}
	}
	got, rev, err := s.readKeys(ctx, 0, ks)
	if err != nil {
		return nil, nil, err
	}
	committed := func(oid catalog.OID) (*catalog.Object, int64, error) {
		kv := got[s.k.obj(oid)]
		if kv == nil {
			return nil, 0, nil
		}
		obj, err := catalog.DecodeObject(kv.Value)
		if err != nil {
			return nil, 0, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt catalog object %d", oid))
		}
		return obj, kv.ModRevision, nil
	}

	// Versions and existence, op by op.
	nv := v.clone()
	staged := make([]stagedOp, 0, len(ops))
	var touched []catalog.OID
	isTouched := map[catalog.OID]bool{}
	type droppedNS struct {
		oid       catalog.OID
		name      string
		committed bool
	}
	var dropped []droppedNS
	for _, o := range ops {
		c, cver, err := committed(o.oid)
		if err != nil {
			return nil, nil, err
		}
		e := nv.entries[o.oid]
		ref := c // the object as the transaction sees it, or as it was
		if e != nil {
			ref = e.obj
			if ref == nil {
				ref = e.base
			}
			if e.obj == nil && o.put == nil {
				return nil, nil, sqlerr.Errorf(sqlerr.UndefinedObject, "catalog object with OID %d does not exist", o.oid)
			}
		} else {
			switch {
			case c == nil && o.expect > 0:
				return nil, nil, serialization("catalog object %d no longer exists", o.oid)
			case c == nil && o.put == nil:
				return nil, nil, sqlerr.Errorf(sqlerr.UndefinedObject, "catalog object with OID %d does not exist", o.oid)
			case c != nil && o.put != nil && o.expect == 0:
				return nil, nil, serialization("catalog object %d already exists", o.oid)
			case c != nil && o.expect > 0 && cver != o.expect:
				return nil, nil, serialization("catalog object %d is at version %d, not %d", o.oid, cver, o.expect)
			}
		}
		if ref != nil && o.put != nil && ref.Kind() != o.put.Kind() {
			return nil, nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d is a %s, not a %s", o.oid, ref.Kind(), o.put.Kind())
		}
		if o.put == nil && o.oid == catalog.PgCatalogNamespace {
			return nil, nil, sqlerr.New(sqlerr.DependentObjectsStillExist,
				"cannot drop schema pg_catalog because it is required by the database system")
		}
		if o.put == nil && ref != nil && ref.Kind() == catalog.KindNamespace {
			dropped = append(dropped, droppedNS{oid: o.oid, name: ref.Name(), committed: c != nil})
		}
		so := stagedOp{op: o, base: c, baseVersion: cver}
		nv.apply(so)
		staged = append(staged, so)
		if !isTouched[o.oid] {
			isTouched[o.oid] = true
			touched = append(touched, o.oid)
		}
	}

	// Tables the ops put into a schema must find it in the transaction's
	// state.
	for _, oid := range touched {
		e := nv.entries[oid]
		if e == nil || e.obj == nil || e.obj.Table == nil {
			continue
		}
		ns := e.obj.Table.Namespace
		if e.base != nil && e.base.Parent() == ns {
			continue // not moved
		}
		if ne := nv.entries[ns]; ne != nil {
			if ne.obj == nil {
				name := fmt.Sprint(ns)
				if ne.base != nil {
					name = ne.base.Name()
				}
				return nil, nil, sqlerr.Errorf(sqlerr.UndefinedSchema, "schema %q does not exist", name)
			}
			if ne.obj.Kind() != catalog.KindNamespace {
				return nil, nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d is not a schema", ns)
			}
			continue
		}
		p, _, err := committed(ns)
		if err != nil {
			return nil, nil, err
		}
		if p == nil {
			return nil, nil, sqlerr.Errorf(sqlerr.UndefinedSchema, "schema with OID %d does not exist", ns)
		}
		if p.Kind() != catalog.KindNamespace {
			return nil, nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d is not a schema", ns)
		}
	}

	// Schemas the ops drop must be empty in the transaction's state.
	for _, d := range dropped {
		oid, name := d.oid, d.name
		if e := nv.entries[oid]; e != nil && e.obj != nil {
			continue // dropped and created again
		}
		prefix := s.k.tableNames(oid)
		var kvs []*mvccpb.KeyValue
		if d.committed {
			kvs, _, err = s.readPrefix(ctx, rev, prefix)
			if err != nil {
				return nil, nil, err
			}
		}
		var deps, stagedDeps []string
		for _, kv := range kvs {
			t, err := parseOID(kv.Value)
			if err != nil {
				return nil, nil, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt name key %s", kv.Key))
			}
			if te := nv.entries[t]; te != nil && (te.obj == nil || te.obj.Parent() != oid) {
				continue // dropped or moved away by the transaction
			}
			deps = append(deps, fmt.Sprintf("table %s.%s depends on schema %s", name, strings.TrimPrefix(string(kv.Key), prefix), name))
		}
		for _, te := range nv.entries {
			if te.obj != nil && te.obj.Table != nil && te.obj.Parent() == oid && (te.base == nil || te.base.Parent() != oid) {
				stagedDeps = append(stagedDeps, fmt.Sprintf("table %s.%s depends on schema %s", name, te.obj.Name(), name))
			}
		}
		sort.Strings(stagedDeps)
		deps = append(deps, stagedDeps...)
		if len(deps) > 0 {
			if len(deps) > 100 {
				deps = deps[:100]
			}
			return nil, nil, sqlerr.Errorf(sqlerr.DependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", name).
				WithDetail(strings.Join(deps, "\n")).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
	}

	// Names the touched objects hold in the end must be theirs alone: not
	// held by another staged object, nor by a committed one the
	// transaction leaves alone.
	var claims map[string][]catalog.OID
	for _, oid := range touched {
		e := nv.entries[oid]
		if e == nil || e.obj == nil {
			continue
		}
		if claims == nil {
			claims = make(map[string][]catalog.OID, len(nv.entries))
			for o, x := range nv.entries {
				if x.obj != nil {
					nk := s.k.nameKeyOf(x.obj)
					claims[nk] = append(claims[nk], o)
				}
			}
		}
		nk := s.k.nameKeyOf(e.obj)
		if len(claims[nk]) > 1 {
			return nil, nil, duplicateName(e.obj)
		}
		if kv := got[nk]; kv != nil {
			owner, err := parseOID(kv.Value)
			if err != nil {
				return nil, nil, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt name key %s", kv.Key))
			}
			if owner != oid && nv.entries[owner] == nil {
				return nil, nil, duplicateName(e.obj)
			}
		}
	}
	return nv, staged, nil
}

// OpenSession implements metadpb.MetadServer: the session lives until the
// stream ends, and takes its transactions with it.
func (s *Server) OpenSession(_ *metadpb.OpenSessionRequest, stream metadpb.Metad_OpenSessionServer) error {
	ctx, cancel := s.ctxFor(stream.Context())
	defer cancel()
	id := s.txns.openSession()
	defer s.txns.closeSession(id, "its client session ended")
	if err := stream.Send(&metadpb.SessionEvent{SessionId: id}); err != nil {
		return err
	}
	<-ctx.Done()
	if s.ctx.Err() != nil {
		return status.Error(codes.Unavailable, "metad is shutting down")
	}
	return toStatus(ctx.Err())
}

// BeginTxn implements metadpb.MetadServer.
func (s *Server) BeginTxn(_ context.Context, req *metadpb.BeginTxnRequest) (*metadpb.BeginTxnResponse, error) {
	id, err := s.txns.begin(req.SessionId)
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.BeginTxnResponse{TxnId: uint64(id)}, nil
}

// Stage implements metadpb.MetadServer.
func (s *Server) Stage(ctx context.Context, req *metadpb.StageRequest) (*metadpb.StageResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	ops, err := parseOpList(req.Ops)
	if err == nil {
		err = s.stageTxn(ctx, TxnID(req.TxnId), ops)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.StageResponse{}, nil
}

// Savepoint implements metadpb.MetadServer.
func (s *Server) Savepoint(_ context.Context, req *metadpb.SavepointRequest) (*metadpb.SavepointResponse, error) {
	if err := s.savepoint(TxnID(req.TxnId), req.Name); err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.SavepointResponse{}, nil
}

// RollbackTo implements metadpb.MetadServer.
func (s *Server) RollbackTo(_ context.Context, req *metadpb.SavepointRequest) (*metadpb.SavepointResponse, error) {
	if err := s.rollbackTo(TxnID(req.TxnId), req.Name); err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.SavepointResponse{}, nil
}

// Release implements metadpb.MetadServer.
func (s *Server) Release(_ context.Context, req *metadpb.SavepointRequest) (*metadpb.SavepointResponse, error) {
	if err := s.release(TxnID(req.TxnId), req.Name); err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.SavepointResponse{}, nil
}

// CommitTxn implements metadpb.MetadServer.
func (s *Server) CommitTxn(ctx context.Context, req *metadpb.TxnRequest) (*metadpb.CommitResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	seq, err := s.commitTxn(ctx, TxnID(req.TxnId))
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.CommitResponse{Seq: seq}, nil
}

// AbortTxn implements metadpb.MetadServer.
func (s *Server) AbortTxn(_ context.Context, req *metadpb.TxnRequest) (*metadpb.AbortTxnResponse, error) {
	if err := s.abortTxn(TxnID(req.TxnId)); err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.AbortTxnResponse{}, nil
}
