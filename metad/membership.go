package metad

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// NodeInfo describes a node in metad's registry.
type NodeInfo struct {
	ID   string // unique in the cluster: 1 to 200 printable characters, no spaces or '/'
	Role string // e.g. "coordinator", "participant"
	Addr string // where the node serves, for operators and NOTICEs
	// Applied is the highest invalidation seq the node reported applied.
	// For RegisterNode: the seq the node has already applied (that of the
	// catalog snapshot it loaded), 0 if none.
	Applied int64
	// Number is a coordinator's number (Client.CoordinatorNumber), 0 for
	// other nodes.
	Number uint32
	// PeerAddr is a coordinator's peer service address (coordinator/peerpb).
	PeerAddr string
}

func nodeFromPB(n *metadpb.NodeInfo) NodeInfo {
	return NodeInfo{ID: n.Id, Role: n.Role, Addr: n.Addr, Applied: n.Applied, Number: n.Number, PeerAddr: n.PeerAddr}
}

// Membership keeps a node registered with metad: it sends keepalives (every
// TTL/3) on a Membership stream and forwards the node's reports. If the
// stream breaks it reconnects (to the same address) and registers again;
// the node stays registered meanwhile until its lease expires. Its methods
// are safe for concurrent use.
type Membership struct {
	c    *Client
	info NodeInfo

	ctx    context.Context // canceled when the membership ends
	cancel context.CancelFunc
	leave  chan struct{} // closed by Close
	done   chan struct{} // closed when run returns
	resets chan struct{}
	kick   chan struct{}

	closeOnce sync.Once

	mu          sync.Mutex
	applied     int64
	hashSeq     int64
	hash        string
	sentApplied int64
	sentHashSeq int64
	sentHash    string
	err         error // why the membership ended on its own
}

// RegisterNode registers the node with metad and keeps it registered until
// Close. It returns once metad has written the node's entry (so WaitApplied
// calls that start afterwards count it). Registering an ID that is already
// registered takes it over: the older Membership ends (Err reports why).
func (c *Client) RegisterNode(ctx context.Context, info NodeInfo) (*Membership, error) {
	if err := validNodeID(info.ID); err != nil {
		return nil, err
	}
	mctx, cancel := context.WithCancel(context.Background())
	m := &Membership{
		c: c, info: info, ctx: mctx, cancel: cancel,
		leave: make(chan struct{}), done: make(chan struct{}),
		resets: make(chan struct{}, 1), kick: make(chan struct{}, 1),
		applied: info.Applied, sentApplied: info.Applied,
	}
	st, err := m.connect(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	go m.run(st)
	return m, nil
}

// memberStream is one registered Membership stream.
type memberStream struct {
	stream metadpb.Metad_MembershipClient
	cancel context.CancelFunc
	ttl    time.Duration
}

// connect opens a stream and registers; ctx bounds the handshake only.
func (m *Membership) connect(ctx context.Context) (*memberStream, error) {
	sctx, cancel := context.WithCancel(m.ctx)
	stop := context.AfterFunc(ctx, cancel)
	fail := func(err error) (*memberStream, error) {
		stop()
		cancel()
		if ctx.Err() != nil {
			return nil, sqlerr.Wrap(ctx.Err(), sqlerr.QueryCanceled, "metad node registration canceled")
		}
		return nil, fromStatus(ctx, err)
	}
	stream, err := m.c.rpc.Membership(sctx)
	if err != nil {
		return fail(err)
	}
	m.mu.Lock()
	reg := &metadpb.NodeInfo{Id: m.info.ID, Role: m.info.Role, Addr: m.info.Addr, Applied: m.applied, Number: m.info.Number, PeerAddr: m.info.PeerAddr}
	m.sentApplied = m.applied
	m.mu.Unlock()
	if err := stream.Send(&metadpb.NodeMessage{Msg: &metadpb.NodeMessage_Register{Register: reg}}); err != nil {
		_, err = stream.Recv() // the real error
		return fail(err)
	}
	ev, err := stream.Recv()
	if err != nil {
		return fail(err)
	}
	r := ev.GetRegistered()
	if r == nil {
		return fail(status.Error(codes.Internal, "metad did not acknowledge the node registration"))
	}
	if !stop() {
		return fail(ctx.Err())
	}
	return &memberStream{stream: stream, cancel: cancel, ttl: time.Duration(r.TtlMs) * time.Millisecond}, nil
}

// run serves streams until Close or a takeover, reconnecting with backoff.
func (m *Membership) run(st *memberStream) {
	defer close(m.done)
	defer m.cancel()
	for {
		err := m.serve(st)
		st.cancel()
		if m.ctx.Err() != nil || errors.Is(err, errLeft) {
			return
		}
		if status.Code(err) == codes.AlreadyExists {
			m.mu.Lock()
			m.err = sqlerr.Wrap(err, sqlerr.DuplicateObject, "node "+m.info.ID+" was registered again elsewhere")
			m.mu.Unlock()
			return
		}
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
			if m.c.conn.GetState() == connectivity.Shutdown {
				m.mu.Lock()
				m.err = sqlerr.New(sqlerr.ConnectionFailure, "the metad client of node "+m.info.ID+" was closed")
				m.mu.Unlock()
				return
			}
			select {
			case <-m.ctx.Done():
				return
			case <-m.leave:
				return
			case <-time.After(backoff):
			}
			cctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
			st, err = m.connect(cctx)
			cancel()
			if err == nil {
				m.mu.Lock()
				m.sentHashSeq, m.sentHash = 0, "" // send it again
				m.mu.Unlock()
				break
			}
		}
	}
}

var errLeft = errors.New("deregistered")

// serve runs one stream: keepalives, reports (at most one batch per
// nodeWriteInterval), reset events. It is the stream's only sender.
func (m *Membership) serve(st *memberStream) error {
	errc := make(chan error, 1)
	go func() {
		for {
			ev, err := st.stream.Recv()
			if err != nil {
				errc <- err
				return
			}
			if ev.GetReset_() != nil {
				select {
				case m.resets <- struct{}{}:
				default: // one pending reset is enough
				}
			}
		}
	}()
	send := func(msg *metadpb.NodeMessage) error {
		if err := st.stream.Send(msg); err != nil {
			return <-errc // the stream's real error
		}
		return nil
	}
	tick := time.NewTicker(max(st.ttl/3, 10*time.Millisecond))
	defer tick.Stop()
	var (
		lastReport time.Time
		timer      *time.Timer
		timerC     <-chan time.Time
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	report := func() error {
		m.mu.Lock()
		var msgs []*metadpb.NodeMessage
		if m.applied != m.sentApplied {
			msgs = append(msgs, &metadpb.NodeMessage{Msg: &metadpb.NodeMessage_Applied{Applied: m.applied}})
			m.sentApplied = m.applied
		}
		if m.hashSeq != 0 && (m.hashSeq != m.sentHashSeq || m.hash != m.sentHash) {
			msgs = append(msgs, &metadpb.NodeMessage{Msg: &metadpb.NodeMessage_Hash{Hash: &metadpb.HashReport{Seq: m.hashSeq, Hash: m.hash}}})
			m.sentHashSeq, m.sentHash = m.hashSeq, m.hash
		}
		m.mu.Unlock()
		for _, msg := range msgs {
			if err := send(msg); err != nil {
				return err
			}
		}
		lastReport = time.Now()
		return nil
	}
	if err := report(); err != nil { // whatever changed while (re)connecting
		return err
	}
	for {
		select {
		case <-m.ctx.Done():
			return m.ctx.Err()
		case err := <-errc:
			return err
		case <-m.leave:
			if err := send(&metadpb.NodeMessage{Msg: &metadpb.NodeMessage_Deregister{Deregister: &metadpb.Deregister{}}}); err == nil {
				// metad revokes the lease, then ends the stream.
				select {
				case <-errc:
				case <-time.After(3 * time.Second):
				}
			}
			return errLeft
		case <-tick.C:
			if err := send(&metadpb.NodeMessage{Msg: &metadpb.NodeMessage_Keepalive{Keepalive: &metadpb.Keepalive{}}}); err != nil {
				return err
			}
		case <-m.kick:
			if wait := nodeWriteInterval - time.Since(lastReport); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
					timerC = timer.C
				}
				continue
			}
			if err := report(); err != nil {
				return err
			}
		case <-timerC:
			timer, timerC = nil, nil
			if err := report(); err != nil {
				return err
			}
		}
	}
}

func (m *Membership) poke() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// ReportApplied records that the node has applied every invalidation set
// with Seq <= seq. It never blocks: reports are coalesced and sent at most
// every 20 ms, and lower seqs than one already reported are ignored.
// Reporting the seqs of sets with messages is enough for WaitApplied;
// heartbeat seqs may be reported too, at the cost of an etcd write each.
func (m *Membership) ReportApplied(seq int64) {
	m.mu.Lock()
	changed := seq > m.applied
	if changed {
		m.applied = seq
	}
	m.mu.Unlock()
	if changed {
		m.poke()
	}
}

// ReportHash records that the node's catalog copy, exactly as of seq, has
// CatalogHash hash. metad compares it with the catalog at seq and, if they
// differ, sends a reset (Resets). Coalesced like ReportApplied.
func (m *Membership) ReportHash(seq int64, hash string) {
	if seq <= 0 || hash == "" {
		return
	}
	m.mu.Lock()
	changed := seq != m.hashSeq || hash != m.hash
	m.hashSeq, m.hash = seq, hash
	m.mu.Unlock()
	if changed {
		m.poke()
	}
}

// Resets delivers a value each time metad found the node's catalog copy
// drifted: the node must reload its catalog (Snapshot) and follow again
// from the snapshot's seq. Resets arriving before the previous one was
// received are coalesced.
func (m *Membership) Resets() <-chan struct{} { return m.resets }

// Done is closed when the membership ended: after Close, or when another
// registration took the node's ID over (see Err).
func (m *Membership) Done() <-chan struct{} { return m.done }

// Err reports why the membership ended on its own (42710: the ID was taken
// over; 08006: the Client was closed), nil while it runs or after Close.
func (m *Membership) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Close deregisters the node (it disappears from the registry at once, if
// metad can be reached within a few seconds; otherwise when its lease
// expires) and stops the keepalives.
func (m *Membership) Close() error {
	m.closeOnce.Do(func() { close(m.leave) })
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
	}
	m.cancel()
	<-m.done
	return nil
}

// WaitApplied waits until every live registered node has reported applied
// >= seq, and returns nil; or, after timeout (DefaultWaitApplied, 5 s, when
// timeout <= 0), returns the nodes that had not, ordered by ID, with the
// seq they had reported. Nodes that register during the wait count; a node
// whose lease expires (it died) stops counting, so a dead node delays the
// caller at most its lease TTL. Errors: 57014 when ctx ends first, 08006
// when metad or etcd is unreachable.
func (c *Client) WaitApplied(ctx context.Context, seq int64, timeout time.Duration) ([]NodeInfo, error) {
	if timeout <= 0 {
		timeout = DefaultWaitApplied
	}
	resp, err := c.rpc.WaitApplied(ctx, &metadpb.WaitAppliedRequest{Seq: seq, TimeoutMs: max(timeout.Milliseconds(), 1)})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	out := make([]NodeInfo, len(resp.Lagging))
	for i, n := range resp.Lagging {
		out[i] = nodeFromPB(n)
	}
	return out, nil
}

// Nodes returns the live registered nodes, ordered by ID.
func (c *Client) Nodes(ctx context.Context) ([]NodeInfo, error) {
	resp, err := c.rpc.ListNodes(ctx, &metadpb.ListNodesRequest{})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	out := make([]NodeInfo, len(resp.Nodes))
	for i, n := range resp.Nodes {
		out[i] = nodeFromPB(n)
	}
	return out, nil
}
