package metad

import (
	"context"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// clientSession is the Client's transaction session: an OpenSession stream
// held open for as long as the Client lives (or until the stream breaks).
type clientSession struct {
	id     uint64
	done   chan struct{} // closed when the stream ended
	cancel func()
}

func (cs *clientSession) ended() bool {
	select {
	case <-cs.done:
		return true
	default:
		return false
	}
}

// session returns the Client's live session, opening one if needed.
func (c *Client) session(ctx context.Context, fresh bool) (*clientSession, error) {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	if cs := c.sess; cs != nil {
		if !fresh && !cs.ended() {
			return cs, nil
		}
		cs.cancel()
		c.sess = nil
	}
	// The stream outlives this call; ctx bounds only the handshake.
	sctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	stream, err := c.rpc.OpenSession(sctx, &metadpb.OpenSessionRequest{})
	var ev *metadpb.SessionEvent
	if err == nil {
		ev, err = stream.Recv()
	}
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		return nil, fromStatus(ctx, err)
	}
	cs := &clientSession{id: ev.SessionId, done: make(chan struct{}), cancel: cancel}
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				close(cs.done)
				return
			}
		}
	}()
	c.sess = cs
	return cs, nil
}

// BeginTxn starts a transaction staged in metad. Its operations stay in
// metad, invisible to everyone else, until CommitTxn. It belongs to this
// Client's session with metad: if the Client closes or its connection to
// metad breaks, or metad restarts, or the transaction is idle longer than
// metad's TxnIdleTimeout (10 min by default), metad discards it and later
// calls on it fail with 25P01.
func (c *Client) BeginTxn(ctx context.Context) (TxnID, error) {
	for attempt := 0; ; attempt++ {
		cs, err := c.session(ctx, attempt > 0)
		if err != nil {
			return 0, err
		}
		resp, err := c.rpc.BeginTxn(ctx, &metadpb.BeginTxnRequest{SessionId: cs.id})
		if err == nil {
			return TxnID(resp.TxnId), nil
		}
		err = fromStatus(ctx, err)
		// The session may have ended on metad's side before ours noticed.
		if attempt > 0 || sqlerr.Code(err) != sqlerr.ConnectionFailure || ctx.Err() != nil {
			return 0, err
		}
	}
}

// Stage adds ops to the transaction, in order, at its current savepoint
// level. A later op on an OID already staged replaces the earlier one's
// effect the way the transaction's final state would: create then drop
// leaves nothing; put then put is the last put, checked against the first
// op's ExpectVersion; put then drop is a drop with the put's check. The
// ExpectVersion of an op on an OID the transaction already staged is
// ignored (the first op's check stands). Unlike Commit, an OID may appear
// in several ops, also within one call; they apply in order.
//
// Stage validates what it can right away, against the committed catalog
// and the transaction's own staged state, with the SQLSTATEs Commit would
// report: 40001 for version mismatches of objects the transaction has not
// touched yet, 42P07 / 42P06 for names taken (committed, or staged by this
// transaction), 3F000 for a missing schema, 2BP01 for dropping a schema
// that still has tables, 42704 for dropping what does not exist, 22023 for
// malformed ops. A failed Stage stages none of ops and leaves the
// transaction usable. CommitTxn checks everything again.
func (c *Client) Stage(ctx context.Context, txn TxnID, ops []Op) error {
	pbOps, err := encodeOps(ops)
	if err != nil {
		return err
	}
	_, err = c.rpc.Stage(ctx, &metadpb.StageRequest{TxnId: uint64(txn), Ops: pbOps})
	return fromStatus(ctx, err)
}

// Savepoint opens a savepoint level named name. Names may repeat; the
// innermost one wins, as in PostgreSQL.
func (c *Client) Savepoint(ctx context.Context, txn TxnID, name string) error {
	_, err := c.rpc.Savepoint(ctx, &metadpb.SavepointRequest{TxnId: uint64(txn), Name: name})
	return fromStatus(ctx, err)
}

// RollbackTo discards everything staged after the innermost savepoint named
// name, including nested savepoints; that savepoint stays. 3B001 when there
// is no such savepoint.
func (c *Client) RollbackTo(ctx context.Context, txn TxnID, name string) error {
	_, err := c.rpc.RollbackTo(ctx, &metadpb.SavepointRequest{TxnId: uint64(txn), Name: name})
	return fromStatus(ctx, err)
}

// Release ends the innermost savepoint named name and the ones nested in
// it, keeping what they staged (it now belongs to the enclosing level).
// 3B001 when there is no such savepoint.
func (c *Client) Release(ctx context.Context, txn TxnID, name string) error {
	_, err := c.rpc.Release(ctx, &metadpb.SavepointRequest{TxnId: uint64(txn), Name: name})
	return fromStatus(ctx, err)
}

// CommitTxn commits the transaction's net staged effect exactly as Commit
// would (one etcd transaction under the DDL lock, one invalidation set with
// one message per changed object, in first-staged order) and returns the
// set's seq; a transaction that changed nothing returns metad's current
// seq. The transaction ends either way: after an error nothing of it was
// committed (except when the error is a lost connection, as for Commit).
func (c *Client) CommitTxn(ctx context.Context, txn TxnID) (int64, error) {
	resp, err := c.rpc.CommitTxn(ctx, &metadpb.TxnRequest{TxnId: uint64(txn)})
	if err != nil {
		return 0, fromStatus(ctx, err)
	}
	return resp.Seq, nil
}

// AbortTxn discards the transaction. 25P01 if it had already ended.
func (c *Client) AbortTxn(ctx context.Context, txn TxnID) error {
	_, err := c.rpc.AbortTxn(ctx, &metadpb.TxnRequest{TxnId: uint64(txn)})
	return fromStatus(ctx, err)
}
