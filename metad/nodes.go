package metad

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// Node membership.
//
// A node registers over a Membership stream: metad grants an etcd lease
// (Config.NodeTTL) and writes <p>/nodes/<id> on it. Each keepalive the
// node sends on the stream refreshes the lease once, so a node whose
// process dies (or that stops sending) disappears from etcd one TTL after
// its last keepalive, whichever metad it talked to. The node's reports
// (applied seq, catalog hash) are written into its key, coalesced: at most
// one write per nodeWriteInterval. WaitApplied watches the keys; the drift
// check reads them and orders resets through <p>/resets/<id>, which the
// node's stream handler (on any metad) watches and forwards.

// DefaultNodeTTL is the lease TTL of registered nodes when Config.NodeTTL
// is 0.
const DefaultNodeTTL = 3 * time.Second

// DefaultWaitApplied bounds WaitApplied when it is given no timeout.
const DefaultWaitApplied = 5 * time.Second

// maxWaitApplied caps a WaitApplied request's timeout.
const maxWaitApplied = 10 * time.Minute

// nodeWriteInterval is the least time between two writes of a node's key.
const nodeWriteInterval = 20 * time.Millisecond

// nodeRecord is the value of <p>/nodes/<id>.
type nodeRecord struct {
	ID      string `json:"id"`
	Role    string `json:"role,omitempty"`
	Addr    string `json:"addr,omitempty"`
	Applied int64  `json:"applied"`
	// A coordinator's number and peer service address.
	Number   uint32 `json:"number,omitempty"`
	PeerAddr string `json:"peer_addr,omitempty"`
	// The last catalog hash the node reported, and the seq it is at.
	HashSeq int64  `json:"hash_seq,omitempty"`
	Hash    string `json:"hash,omitempty"`
}

func (r nodeRecord) pb() *metadpb.NodeInfo {
	return &metadpb.NodeInfo{Id: r.ID, Role: r.Role, Addr: r.Addr, Applied: r.Applied, Number: r.Number, PeerAddr: r.PeerAddr}
}

func decodeNode(b []byte) (nodeRecord, error) {
	var r nodeRecord
	err := json.Unmarshal(b, &r)
	return r, err
}

// validNodeID accepts non-empty printable IDs without '/' of at most 200
// bytes.
func validNodeID(id string) error {
	if id == "" || len(id) > 200 || strings.ContainsRune(id, '/') ||
		strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0 {
		return sqlerr.Errorf(sqlerr.InvalidParameterValue, "invalid node id %q (1 to 200 printable characters, no spaces or '/')", id)
	}
	return nil
}

// errSuperseded ends a Membership stream whose node ID was registered again
// by another stream (a restarted or duplicate process).
var errSuperseded = errors.New("superseded")

// member is the server side of one Membership stream.
type member struct {
	s     *Server
	key   string
	rec   nodeRecord
	lease clientv3.LeaseID
	ttl   time.Duration // as granted by etcd
}

// register grants a lease and writes the node's key on it; the latest
// registration of an ID wins (the previous lease is revoked). It returns
// the revision of the write.
func (m *member) register(ctx context.Context) (int64, error) {
	g, err := m.s.cli.Grant(ctx, int64(leaseSeconds(m.s.cfg.NodeTTL)))
	if err != nil {
		return 0, err
	}
	val, _ := json.Marshal(m.rec)
	resp, err := m.s.cli.Txn(ctx).Then(
		clientv3.OpGet(m.key),
		clientv3.OpPut(m.key, string(val), clientv3.WithLease(g.ID)),
	).Commit()
	if err != nil {
		return 0, err
	}
	m.lease, m.ttl = g.ID, time.Duration(g.TTL)*time.Second
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 && kvs[0].Lease != 0 && clientv3.LeaseID(kvs[0].Lease) != g.ID {
		// Detached from the key by the put; revoking drops the old
		// registration's reset order with it.
		_, _ = m.s.cli.Revoke(ctx, clientv3.LeaseID(kvs[0].Lease))
	}
	return resp.Header.Revision, nil
}

// write stores the node's record if the key is still this stream's. When
// the key is gone (the lease expired: the node was silent past its TTL) it
// registers again on a new lease; when another stream holds it, it returns
// errSuperseded.
func (m *member) write(ctx context.Context) error {
	val, _ := json.Marshal(m.rec)
	resp, err := m.s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(m.key), "=", m.lease)).
		Then(clientv3.OpPut(m.key, string(val), clientv3.WithLease(m.lease))).
		Else(clientv3.OpGet(m.key, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return err
	}
	if resp.Succeeded {
		return nil
	}
	if len(resp.Responses[0].GetResponseRange().Kvs) > 0 {
		return errSuperseded
	}
	return m.revive(ctx)
}

// revive registers again after the lease expired, unless another stream
// registered the ID meanwhile.
func (m *member) revive(ctx context.Context) error {
	g, err := m.s.cli.Grant(ctx, int64(leaseSeconds(m.s.cfg.NodeTTL)))
	if err != nil {
		return err
	}
	val, _ := json.Marshal(m.rec)
	resp, err := m.s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(m.key), "=", 0)).
		Then(clientv3.OpPut(m.key, string(val), clientv3.WithLease(g.ID))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		_, _ = m.s.cli.Revoke(ctx, g.ID)
		return errSuperseded
	}
	m.lease = g.ID
	return nil
}

// keepalive refreshes the lease once, registering again if it expired.
func (m *member) keepalive(ctx context.Context) error {
	_, err := m.s.cli.KeepAliveOnce(ctx, m.lease)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return m.write(ctx) // key gone: revive; key held by another: superseded
	}
	return err
}

// Membership implements metadpb.MetadServer. The first message registers
// the node; keepalives refresh its lease; reports update its key; a
// deregister message (or Close of the client) removes it at once. When the
// stream breaks without a deregister the node stays registered until its
// lease expires, so a reconnecting node does not flap.
func (s *Server) Membership(stream metadpb.Metad_MembershipServer) error {
	ctx, cancel := s.ctxFor(stream.Context())
	defer cancel()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	reg := first.GetRegister()
	if reg == nil {
		return toStatus(sqlerr.New(sqlerr.ProtocolViolation, "the first Membership message must register the node"))
	}
	if err := validNodeID(reg.Id); err != nil {
		return toStatus(err)
	}
	m := &member{s: s, key: s.k.node(reg.Id), rec: nodeRecord{ID: reg.Id, Role: reg.Role, Addr: reg.Addr, Applied: reg.Applied, Number: reg.Number, PeerAddr: reg.PeerAddr}}
	regRev, err := m.register(ctx)
	if err != nil {
		return toStatus(err)
	}
	resetKey := s.k.reset(reg.Id)
	wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), resetKey, clientv3.WithRev(regRev+1))
	if err := stream.Send(&metadpb.NodeEvent{Ev: &metadpb.NodeEvent_Registered{Registered: &metadpb.Registered{TtlMs: m.ttl.Milliseconds()}}}); err != nil {
		return err
	}

	msgs := make(chan *metadpb.NodeMessage, 64)
	recvErr := make(chan error, 1)
	go func() {
		for {
			msg, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case msgs <- msg:
			case <-ctx.Done():
				return
			}
		}
	}()

	fail := func(err error) error {
		switch {
		case errors.Is(err, errSuperseded):
			return status.Errorf(codes.AlreadyExists, "node %q was registered again by another stream", reg.Id)
		case s.ctx.Err() != nil:
			return status.Error(codes.Unavailable, "metad is shutting down")
		case ctx.Err() != nil:
			return toStatus(ctx.Err())
		}
		return status.Errorf(codes.Unavailable, "metad: node registry: %v", err)
	}
	var (
		dirty     bool
		lastWrite time.Time
		timer     *time.Timer
		timerC    <-chan time.Time
	)
	flush := func() error {
		if !dirty {
			return nil
		}
		if wait := nodeWriteInterval - time.Since(lastWrite); wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
				timerC = timer.C
			}
			return nil
		}
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		dirty, lastWrite = false, time.Now()
		return m.write(ctx)
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	handle := func(msg *metadpb.NodeMessage) (keepalive, leave bool) {
		switch v := msg.Msg.(type) {
		case *metadpb.NodeMessage_Keepalive:
			keepalive = true
		case *metadpb.NodeMessage_Applied:
			if v.Applied > m.rec.Applied {
				m.rec.Applied, dirty = v.Applied, true
			}
		case *metadpb.NodeMessage_Hash:
			if v.Hash.Seq != m.rec.HashSeq || v.Hash.Hash != m.rec.Hash {
				m.rec.HashSeq, m.rec.Hash, dirty = v.Hash.Seq, v.Hash.Hash, true
			}
		case *metadpb.NodeMessage_Deregister:
			leave = true
		}
		return keepalive, leave
	}
	for {
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case err := <-recvErr:
			if err == io.EOF {
				return nil
			}
			return err
		case msg := <-msgs:
			// Take everything queued, so a burst of reports is one write.
			ka, leave := handle(msg)
			for more := true; more && !leave; {
				select {
				case msg := <-msgs:
					k, l := handle(msg)
					ka, leave = ka || k, l
				default:
					more = false
				}
			}
			if leave {
				rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := s.cli.Revoke(rctx, m.lease)
				rcancel()
				if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
					return fail(err)
				}
				return nil
			}
			if ka {
				if err := m.keepalive(ctx); err != nil {
					return fail(err)
				}
			}
			if err := flush(); err != nil {
				return fail(err)
			}
		case <-timerC:
			timer, timerC = nil, nil
			if err := flush(); err != nil {
				return fail(err)
			}
		case wr, ok := <-wch:
			if !ok || wr.Err() != nil {
				if ctx.Err() != nil {
					return fail(ctx.Err())
				}
				return fail(fmt.Errorf("watch of %s ended: %v", resetKey, wr.Err()))
			}
			for _, ev := range wr.Events {
				if ev.Type != clientv3.EventTypePut {
					continue
				}
				var order resetOrder
				if err := json.Unmarshal(ev.Kv.Value, &order); err != nil {
					continue
				}
				pbOrder := &metadpb.ResetOrder{Seq: order.Seq, Reported: order.Reported, Expected: order.Expected}
				if err := stream.Send(&metadpb.NodeEvent{Ev: &metadpb.NodeEvent_Reset_{Reset_: pbOrder}}); err != nil {
					return err
				}
				// Delivered: drop the order and the hash it was about, so the
				// drift check waits for the node's next report.
				if _, err := s.cli.Txn(ctx).
					If(clientv3.Compare(clientv3.ModRevision(resetKey), "=", ev.Kv.ModRevision)).
					Then(clientv3.OpDelete(resetKey)).Commit(); err != nil {
					return fail(err)
				}
				if m.rec.HashSeq == order.Seq {
					m.rec.HashSeq, m.rec.Hash, dirty = 0, "", true
					lastWrite = time.Time{}
					if err := flush(); err != nil {
						return fail(err)
					}
				}
			}
		}
	}
}

// listNodes returns the registered nodes, ordered by ID, with the revision
// read at.
func (s *Server) listNodes(ctx context.Context) (map[string]nodeRecord, int64, error) {
	kvs, rev, err := s.readPrefix(ctx, 0, s.k.nodesPrefix())
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]nodeRecord, len(kvs))
	for _, kv := range kvs {
		r, err := decodeNode(kv.Value)
		if err != nil {
			continue // not ours to judge; it expires with its lease
		}
		out[string(kv.Key)] = r
	}
	return out, rev, nil
}

func sortedNodes(m map[string]nodeRecord, keep func(nodeRecord) bool) []*metadpb.NodeInfo {
	var out []*metadpb.NodeInfo
	for _, r := range m {
		if keep(r) {
			out = append(out, r.pb())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Id < out[j].Id })
	return out
}

// waitApplied returns when every live node has reported applied >= seq
// (nil), or after timeout with the nodes that had not. Nodes that register
// during the wait count; nodes whose lease expires stop counting.
func (s *Server) waitApplied(ctx context.Context, seq int64, timeout time.Duration) ([]*metadpb.NodeInfo, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lagging := func(r nodeRecord) bool { return r.Applied < seq }
	for {
		// Watch first, then read. A watch from an older revision (nodes
		// report between a read and a watch all the time) starts in etcd's
		// unsynced group, which its resync loop serves only every 100 ms;
		// one from the current revision is served at once. Events the read
		// already reflects are skipped.
		wctx2, wcancel := context.WithCancel(clientv3.WithRequireLeader(wctx))
		wch := s.cli.Watch(wctx2, s.k.nodesPrefix(), clientv3.WithPrefix(), clientv3.WithCreatedNotify())
		if cr, ok := <-wch; !ok || cr.Err() != nil {
			wcancel()
			switch {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case wctx.Err() != nil: // the timeout
				nodes, _, err := s.listNodes(ctx)
				if err != nil {
					return nil, sqlerr.Wrap(err, sqlerr.ConnectionFailure, "metad: read the node registry")
				}
				return sortedNodes(nodes, lagging), nil
			}
			return nil, sqlerr.New(sqlerr.ConnectionFailure, "metad: could not watch the node registry")
		}
		nodes, rev, err := s.listNodes(wctx)
		if err != nil {
			wcancel()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, sqlerr.Wrap(err, sqlerr.ConnectionFailure, "metad: read the node registry")
		}
		behind := 0
		for _, r := range nodes {
			if lagging(r) {
				behind++
			}
		}
		if behind == 0 {
			wcancel()
			return nil, nil
		}
		restart := false
		for wr := range wch {
			if wr.CompactRevision != 0 {
				restart = true
				break
			}
			if wr.Err() != nil {
				break
			}
			for _, ev := range wr.Events {
				if ev.Kv.ModRevision <= rev {
					continue // the read reflects it
				}
				k := string(ev.Kv.Key)
				if ev.Type == clientv3.EventTypeDelete {
					delete(nodes, k)
				} else if r, err := decodeNode(ev.Kv.Value); err == nil {
					nodes[k] = r
				}
			}
			behind = 0
			for _, r := range nodes {
				if lagging(r) {
					behind++
				}
			}
			if behind == 0 {
				wcancel()
				return nil, nil
			}
		}
		wcancel()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case wctx.Err() != nil: // the timeout
			return sortedNodes(nodes, lagging), nil
		case !restart:
			return nil, sqlerr.New(sqlerr.ConnectionFailure, "metad: the watch of the node registry ended")
		}
	}
}

// WaitApplied implements metadpb.MetadServer.
func (s *Server) WaitApplied(ctx context.Context, req *metadpb.WaitAppliedRequest) (*metadpb.WaitAppliedResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = DefaultWaitApplied
	}
	lagging, err := s.waitApplied(ctx, req.Seq, min(timeout, maxWaitApplied))
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.WaitAppliedResponse{Lagging: lagging}, nil
}

// ListNodes implements metadpb.MetadServer.
func (s *Server) ListNodes(ctx context.Context, _ *metadpb.ListNodesRequest) (*metadpb.ListNodesResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	nodes, _, err := s.listNodes(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.ListNodesResponse{Nodes: sortedNodes(nodes, func(nodeRecord) bool { return true })}, nil
}
