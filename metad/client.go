package metad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// FollowEvent is one message of a Follow stream.
//
// A Set with messages is a committed change. A Set without messages is a
// heartbeat: every set with Seq <= Set.Seq has been delivered, so the
// follower is current up to Set.Seq. Reset means the history the follower
// asked for is gone: it must reload the whole catalog (Snapshot) and follow
// again from the snapshot's seq; the stream ends after it.
type FollowEvent struct {
	Set   invalidation.Set
	Reset bool
}

// Op is one operation of a catalog commit: Put (create or replace an
// object) or Delete (an OID), not both. For a Put, ExpectVersion 0 means the
// object must not exist yet and > 0 that its current version (Table.Version,
// or GetVersions) must equal it. For a Delete, 0 means don't check.
type Op struct {
	Put           *catalog.Object
	Delete        catalog.OID
	ExpectVersion int64
}

// Client talks to metad. It is safe for concurrent use.
type Client struct {
	conn *grpc.ClientConn
	rpc  metadpb.MetadClient

	sessMu sync.Mutex
	sess   *clientSession // the session staged transactions belong to
}

// dialTimeout bounds Dial when ctx has no deadline.
const dialTimeout = 10 * time.Second

// Dial connects to metad at addr (host:port, plaintext). It returns once the
// connection is up, or a 08006 connection_failure error if metad cannot be
// reached before ctx ends (within 10 s if ctx has no deadline).
func Dial(ctx context.Context, addr string) (*Client, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialTimeout)
		defer cancel()
	}
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgBytes), grpc.MaxCallSendMsgSize(maxMsgBytes)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 20 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}),
	)
	if err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.ConnectionFailure, fmt.Sprintf("metad at %s", addr))
	}
	conn.Connect()
	for {
		st := conn.GetState()
		if st == connectivity.Ready {
			break
		}
		if st == connectivity.Shutdown || !conn.WaitForStateChange(ctx, st) {
			conn.Close()
			cause := ctx.Err()
			if cause == nil {
				cause = errors.New("connection shut down")
			}
			return nil, sqlerr.Wrap(cause, sqlerr.ConnectionFailure, fmt.Sprintf("metad at %s is unreachable (last state %s)", addr, st))
		}
	}
	return &Client{conn: conn, rpc: metadpb.NewMetadClient(conn)}, nil
}

// Close closes the connection. Transactions begun with BeginTxn and not yet
// committed are discarded by metad.
func (c *Client) Close() error {
	c.sessMu.Lock()
	if c.sess != nil {
		c.sess.cancel()
	}
	c.sessMu.Unlock()
	return c.conn.Close()
}

func decodePBObject(o *metadpb.Object) (*catalog.Object, error) {
	obj, err := catalog.DecodeObject(o.Json)
	if err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.Internal, "metad sent an invalid catalog object")
	}
	return obj.WithVersion(o.Version), nil
}

// Snapshot returns every catalog object, read at one revision, and that
// revision: applying the invalidation sets with Seq > seq keeps the copy
// exact. Tables carry their Version.
func (c *Client) Snapshot(ctx context.Context) (seq int64, objs []*catalog.Object, err error) {
	resp, err := c.rpc.Snapshot(ctx, &metadpb.SnapshotRequest{})
	if err != nil {
		return 0, nil, fromStatus(ctx, err)
	}
	objs = make([]*catalog.Object, len(resp.Objects))
	for i, o := range resp.Objects {
		if objs[i], err = decodePBObject(o); err != nil {
			return 0, nil, err
		}
	}
	return resp.Seq, objs, nil
}

// Get returns the objects with the given OIDs that exist (missing ones are
// absent from the map), read at one revision, and that revision.
func (c *Client) Get(ctx context.Context, oids ...catalog.OID) (map[catalog.OID]*catalog.Object, int64, error) {
	resp, err := c.get(ctx, oids)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[catalog.OID]*catalog.Object, len(resp.Objects))
	for _, o := range resp.Objects {
		obj, err := decodePBObject(o)
		if err != nil {
			return nil, 0, err
		}
		out[obj.OID()] = obj
	}
	return out, resp.Seq, nil
}

// GetVersions is Get for versions only: the current version of each existing
// object (catalog.Namespace has no Version field, so this is how a caller
// learns the ExpectVersion for updating a namespace).
func (c *Client) GetVersions(ctx context.Context, oids ...catalog.OID) (map[catalog.OID]int64, int64, error) {
	resp, err := c.get(ctx, oids)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[catalog.OID]int64, len(resp.Objects))
	for _, o := range resp.Objects {
		obj, err := decodePBObject(o)
		if err != nil {
			return nil, 0, err
		}
		out[obj.OID()] = o.Version
	}
	return out, resp.Seq, nil
}

func (c *Client) get(ctx context.Context, oids []catalog.OID) (*metadpb.GetResponse, error) {
	req := &metadpb.GetRequest{Oids: make([]uint32, len(oids))}
	for i, oid := range oids {
		req.Oids[i] = uint32(oid)
	}
	resp, err := c.rpc.Get(ctx, req)
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	return resp, nil
}

// AllocOIDs reserves n fresh OIDs and returns the first; the range is
// first .. first+n-1.
func (c *Client) AllocOIDs(ctx context.Context, n int) (catalog.OID, error) {
	if n <= 0 || n > maxAlloc {
		return 0, sqlerr.Errorf(sqlerr.InvalidParameterValue, "cannot allocate %d OIDs at once (1 to %d)", n, maxAlloc)
	}
	resp, err := c.rpc.AllocOIDs(ctx, &metadpb.AllocOIDsRequest{Count: uint32(n)})
	if err != nil {
		return 0, fromStatus(ctx, err)
	}
	return catalog.OID(resp.First), nil
}

// Commit applies ops atomically and returns the seq of their invalidation
// set (one message per op, in op order). Errors carry SQLSTATEs: 40001 when
// an expected version does not match (or a put's object already exists),
// 42P07 / 42P06 for a taken table / schema name, 2BP01 when dropping a
// schema that still has tables, 3F000 when a table's schema does not exist,
// 42704 when deleting an OID that does not exist (with ExpectVersion 0),
// 22023 for malformed ops (including one OID in two ops).
//
// The commit holds metad's DDL lock and is fenced by it: a 40001 can also
// mean that the metad serving it lost the lock mid-commit (nothing was
// committed then either).
func (c *Client) Commit(ctx context.Context, ops []Op) (int64, error) {
	pbOps, err := encodeOps(ops)
	if err != nil {
		return 0, err
	}
	resp, err := c.rpc.Commit(ctx, &metadpb.CommitRequest{Ops: pbOps})
	if err != nil {
		return 0, fromStatus(ctx, err)
	}
	return resp.Seq, nil
}

func encodeOps(ops []Op) ([]*metadpb.Op, error) {
	out := make([]*metadpb.Op, len(ops))
	for i, o := range ops {
		switch {
		case o.Put != nil && o.Delete != 0:
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d is both a put and a delete", i)
		case o.Put != nil:
			out[i] = &metadpb.Op{Op: &metadpb.Op_Put{Put: o.Put.Encode()}, ExpectVersion: o.ExpectVersion}
		default:
			out[i] = &metadpb.Op{Op: &metadpb.Op_Delete{Delete: uint32(o.Delete)}, ExpectVersion: o.ExpectVersion}
		}
	}
	return out, nil
}

func fromPBSet(s *metadpb.InvalidationSet) invalidation.Set {
	out := invalidation.Set{Seq: s.Seq, Messages: make([]invalidation.Message, len(s.Messages))}
	for i, m := range s.Messages {
		out.Messages[i] = invalidation.Message{Kind: catalog.ObjectKind(m.Kind), OID: catalog.OID(m.Oid), Drop: m.Drop}
	}
	return out
}

// Follow calls fn, in order, with every invalidation set with Seq > fromSeq
// and with heartbeats (empty sets, at least every second). It blocks until
// ctx ends (returning a 57014 error wrapping ctx.Err()), fn returns an error
// (returned as is), the stream fails (08006 when metad went away; the
// caller reconnects and follows from its last applied seq), or after a
// Reset event has been delivered (returning nil).
func (c *Client) Follow(ctx context.Context, fromSeq int64, fn func(FollowEvent) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.Follow(ctx, &metadpb.FollowRequest{FromSeq: fromSeq})
	if err != nil {
		return fromStatus(ctx, err)
	}
	for {
		s, err := stream.Recv()
		if err == io.EOF {
			return sqlerr.New(sqlerr.ConnectionFailure, "metad ended the invalidation stream")
		}
		if err != nil {
			return fromStatus(ctx, err)
		}
		ev := FollowEvent{Set: fromPBSet(s), Reset: s.Reset_}
		if err := fn(ev); err != nil {
			return err
		}
		if ev.Reset {
			return nil
		}
	}
}

// ReadRange returns the invalidation sets with from < Seq <= to in Seq
// order. It fails with ErrCompacted when sets after from were compacted away
// (reload the catalog instead), and with 22023 when to is ahead of metad.
func (c *Client) ReadRange(ctx context.Context, from, to int64) ([]invalidation.Set, error) {
	resp, err := c.rpc.ReadRange(ctx, &metadpb.ReadRangeRequest{FromSeq: from, ToSeq: to})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	out := make([]invalidation.Set, len(resp.Sets))
	for i, s := range resp.Sets {
		out[i] = fromPBSet(s)
	}
	return out, nil
}
