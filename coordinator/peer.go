package coordinator

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/peerpb"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/metad"
)

// Coordinators of one cluster serve each other a small gRPC service
// (peerpb) on their peer address, which they register with metad beside
// their number. A coordinator looks its peers up in metad's registry only
// when a statement needs them: the activity views list every
// coordinator's sessions, pg_cancel_backend and pg_terminate_backend reach
// the coordinator whose number is in the process id's high bits, and a
// CancelRequest naming another coordinator's process id (a client behind a
// load balancer) is forwarded to it, which checks the key; a role's
// CONNECTION LIMIT counts its sessions on every coordinator. Other
// statements never talk to another coordinator.
//
// Every call carries a token derived from the cluster secret in metad
// (peerTokenKey), so that the peer port answers only the cluster's
// coordinators (and whoever can read metad, which is as trusted).

// viewTimeout bounds how long the activity views wait for another
// coordinator's sessions: one that does not answer in time is left out.
const viewTimeout = statsTimeout

// signalTimeout bounds a cancel or terminate request to another
// coordinator: one that does not answer in time is taken to have no such
// session.
const signalTimeout = 5 * time.Second

// CancelRequester delivers CancelRequests to a coordinator's own
// connections, checking their keys (*pgwire.Server).
type CancelRequester interface {
	CancelRequest(pid, secret uint32) bool
}

var _ CancelRequester = (*pgwire.Server)(nil)

// peers holds the peer service and the connections to other coordinators.
type peers struct {
	mu     sync.Mutex
	closed bool
	srv    *grpc.Server
	conns  map[string]*grpc.ClientConn // by peer address
	// dir is the other coordinators by number, as metad last listed them
	// (filled on demand, so that signalling a session needs no request to
	// metad when its coordinator is known).
	dir map[uint32]metad.NodeInfo
	// listed is when dir was filled.
	listed time.Time
}

// relistInterval is the least time between two listings of the
// coordinators for a process id whose number is not known: CancelRequests
// need no authentication, so bogus ones must not turn into a request to
// metad each.
const relistInterval = time.Second

// ServePeer serves the peer service on l until Close: other coordinators'
// requests for this one's sessions, to cancel or terminate one of them,
// and the CancelRequests they forward, which wire checks and delivers. l
// should be the listener of Config.PeerAddr.
func (c *Coordinator) ServePeer(l net.Listener, wire CancelRequester) error {
	c.peers.mu.Lock()
	if c.peers.closed || c.peers.srv != nil {
		c.peers.mu.Unlock()
		l.Close()
		return errors.New("coordinator: peer service closed or already serving")
	}
	token := c.peerToken()
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if got := metadata.ValueFromIncomingContext(ctx, peerTokenKey); len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(token)) != 1 {
			return nil, status.Error(codes.Unauthenticated, "not a coordinator of this cluster")
		}
		return handler(ctx, req)
	}))
	peerpb.RegisterPeerServer(srv, &peerService{c: c, wire: wire})
	c.peers.srv = srv
	c.peers.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// closePeers stops the peer service and closes the connections to peers.
func (c *Coordinator) closePeers() {
	c.peers.mu.Lock()
	c.peers.closed = true
	srv, conns := c.peers.srv, c.peers.conns
	c.peers.conns = nil
	c.peers.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
	for _, cc := range conns {
		cc.Close()
	}
}

// peer returns a client of the coordinator serving at addr (connections
// are made once and kept).
func (c *Coordinator) peer(addr string) (peerpb.PeerClient, error) {
	c.peers.mu.Lock()
	defer c.peers.mu.Unlock()
	if c.peers.closed {
		return nil, errors.New("coordinator closed")
	}
	if cc, ok := c.peers.conns[addr]; ok {
		return peerpb.NewPeerClient(cc), nil
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(peerToken(c.peerToken())),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, opts...)
			c.metrics.peerRequest(strings.ToLower(path.Base(method)), err)
			return err
		}))
	if err != nil {
		return nil, err
	}
	if c.peers.conns == nil {
		c.peers.conns = map[string]*grpc.ClientConn{}
	}
	c.peers.conns[addr] = cc
	return peerpb.NewPeerClient(cc), nil
}

// peerTokenKey is the gRPC metadata key of the token that proves a caller
// of the peer service is a coordinator of the cluster.
const peerTokenKey = "cirrus-peer-token"

// peerToken returns the token of the cluster's coordinators.
func (c *Coordinator) peerToken() string {
	return hex.EncodeToString(c.fromClusterSecret("peer token"))
}

// peerToken sends the token with every call (grpc.PerRPCCredentials).
type peerToken string

func (t peerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{peerTokenKey: string(t)}, nil
}

func (peerToken) RequireTransportSecurity() bool { return false }

// otherCoordinators returns the other coordinators registered with metad
// that serve the peer service, and remembers them by number (dropping the
// connections to those that left).
func (c *Coordinator) otherCoordinators(ctx context.Context) ([]metad.NodeInfo, error) {
	nodes, err := c.metad.Nodes(ctx)
	c.metrics.peerRequest("list", err)
	if err != nil {
		return nil, err
	}
	var out []metad.NodeInfo
	dir := map[uint32]metad.NodeInfo{}
	for _, n := range nodes {
		if n.Role == "coordinator" && n.PeerAddr != "" && n.ID != c.cfg.NodeID {
			out = append(out, n)
			dir[n.Number] = n
		}
	}
	c.peers.mu.Lock()
	c.peers.dir, c.peers.listed = dir, time.Now()
	// Close the connections to coordinators no longer registered (or
	// registered at another address).
	for addr, cc := range c.peers.conns {
		if !slices.ContainsFunc(out, func(n metad.NodeInfo) bool { return n.PeerAddr == addr }) {
			cc.Close()
			delete(c.peers.conns, addr)
		}
	}
	c.peers.mu.Unlock()
	return out, nil
}

// callCoordinatorOf calls the coordinator whose sessions have process ids
// like pid (pid's number), known from the last listing or, when its call
// fails or it is not known (and that listing is relistInterval old), from
// a new one.
func (c *Coordinator) callCoordinatorOf(ctx context.Context, pid uint32, call func(peerpb.PeerClient) error) error {
	num := pgwire.ServerOfPID(pid)
	try := func(n metad.NodeInfo) error {
		pc, err := c.peer(n.PeerAddr)
		if err == nil {
			err = call(pc)
		}
		if err != nil {
			return fmt.Errorf("coordinator %s (%s): %w", n.ID, n.PeerAddr, err)
		}
		return nil
	}
	c.peers.mu.Lock()
	known, ok := c.peers.dir[num]
	recent := time.Since(c.peers.listed) < relistInterval
	c.peers.mu.Unlock()
	var err error
	if ok {
		if err = try(known); err == nil || ctx.Err() != nil {
			return err
		}
	} else if recent {
		return errNoCoordinator
	}
	if _, lerr := c.otherCoordinators(ctx); lerr != nil {
		return errors.Join(err, lerr)
	}
	c.peers.mu.Lock()
	n, found := c.peers.dir[num]
	c.peers.mu.Unlock()
	switch {
	case !found:
		return errNoCoordinator
	case ok && n.PeerAddr == known.PeerAddr:
		return err // listed as before: its call failed
	}
	return try(n)
}

// errNoCoordinator: no registered coordinator has a process id's number.
var errNoCoordinator = errors.New("no coordinator has this process id's number")

// ForwardCancel hands a CancelRequest that names another coordinator's
// process id to that coordinator, which checks the key and cancels
// (pgwire.Options.ForwardCancel).
func (c *Coordinator) ForwardCancel(pid, secret uint32) {
	ctx, cancel := context.WithTimeout(context.Background(), signalTimeout)
	defer cancel()
	err := c.callCoordinatorOf(ctx, pid, func(pc peerpb.PeerClient) error {
		_, err := pc.Cancel(ctx, &peerpb.CancelRequest{Pid: pid, Secret: secret})
		return err
	})
	if err != nil && !errors.Is(err, errNoCoordinator) {
		c.cfg.Logf("coordinator: forwarding a cancel request for pid %d: %v", pid, err)
	}
}

// clusterSessions returns the sessions of every coordinator, ordered by
// process id: this one's, and those of the others that answer within
// viewTimeout (otherSessions).
func (c *Coordinator) clusterSessions(ctx context.Context) []*peerpb.Session {
	out := append(c.localSessions(), c.otherSessions(ctx)...)
	sortSessions(out)
	return out
}

// otherSessions returns the sessions of the other coordinators that answer
// within viewTimeout (the others are left out, and logged).
func (c *Coordinator) otherSessions(ctx context.Context) []*peerpb.Session {
	if c.cfg.NodeID == "" {
		return nil // not registered: a coordinator on its own
	}
	ctx, cancel := context.WithTimeout(ctx, viewTimeout)
	defer cancel()
	others, err := c.otherCoordinators(ctx)
	if err != nil {
		c.cfg.Logf("coordinator: listing the other coordinators' sessions: %v", err)
		return nil
	}
	res, errs := askAll(ctx, others, viewTimeout, func(n metad.NodeInfo, ctx context.Context) ([]*peerpb.Session, error) {
		pc, err := c.peer(n.PeerAddr)
		if err != nil {
			return nil, err
		}
		r, err := pc.Sessions(ctx, &peerpb.SessionsRequest{})
		return r.GetSessions(), err
	})
	var out []*peerpb.Session
	for i, ss := range res {
		if errs[i] != nil {
			c.cfg.Logf("coordinator: %s (%s) did not list its sessions: %v", others[i].ID, others[i].PeerAddr, errs[i])
			continue
		}
		out = append(out, ss...)
	}
	return out
}

// signal cancels the statement of, or terminates, session pid on
// whichever coordinator serves it, for role (see signalLocal).
func (c *Coordinator) signal(ctx context.Context, req *peerpb.SignalRequest) (peerpb.SignalResponse_Result, error) {
	if pgwire.ServerOfPID(req.Pid) == c.number {
		return c.signalLocal(ctx, req), nil
	}
	ctx, cancel := context.WithTimeout(ctx, signalTimeout+time.Duration(req.WaitMs)*time.Millisecond)
	defer cancel()
	var res peerpb.SignalResponse_Result
	err := c.callCoordinatorOf(ctx, req.Pid, func(pc peerpb.PeerClient) error {
		r, err := pc.Signal(ctx, req)
		res = r.GetResult()
		return err
	})
	if errors.Is(err, errNoCoordinator) {
		return peerpb.SignalResponse_NO_SUCH_PROCESS, nil
	}
	return res, err
}

// signalLocal cancels the statement of, or terminates, session req.Pid of
// this coordinator if req.Role may, by PostgreSQL's rules: only a
// superuser may signal a superuser's session, and otherwise the role needs
// the privileges of the session's role or of pg_signal_backend. A
// termination with req.WaitMs waits that long (or until ctx ends) for the
// session to end.
func (c *Coordinator) signalLocal(ctx context.Context, req *peerpb.SignalRequest) peerpb.SignalResponse_Result {
	role := catalog.OID(req.Role)
	o := c.sessions.get(req.Pid)
	if o == nil || o.params.Control == nil {
		return peerpb.SignalResponse_NO_SUCH_PROCESS
	}
	cat, _ := c.Catalog()
	if cat.IsSuperuser(o.authUser) && !cat.IsSuperuser(role) {
		return peerpb.SignalResponse_NOT_SUPERUSER
	}
	if !cat.HasPrivsOfRole(role, o.authUser) {
		sb, ok := cat.Role(signalBackendRole)
		if !ok || !cat.HasPrivsOfRole(role, sb.OID) {
			return peerpb.SignalResponse_NO_PERMISSION
		}
	}
	if !req.Terminate {
		o.params.Control.CancelStatement()
		return peerpb.SignalResponse_SIGNALED
	}
	o.params.Control.Terminate()
	if req.WaitMs > 0 {
		timer := time.NewTimer(time.Duration(req.WaitMs) * time.Millisecond)
		defer timer.Stop()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for c.sessions.get(req.Pid) == o {
			select {
			case <-tick.C:
			case <-timer.C:
				return peerpb.SignalResponse_STILL_RUNNING
			case <-ctx.Done():
				return peerpb.SignalResponse_STILL_RUNNING
			}
		}
	}
	return peerpb.SignalResponse_SIGNALED
}

// signalBackendRole is the role whose members may signal any session that
// is not a superuser's (PostgreSQL's predefined pg_signal_backend; Cirrus
// has no predefined roles, so it counts once a role of this name exists).
const signalBackendRole = "pg_signal_backend"

// peerService is the peer service of a coordinator.
type peerService struct {
	peerpb.UnimplementedPeerServer
	c    *Coordinator
	wire CancelRequester
}

func (p *peerService) Sessions(ctx context.Context, _ *peerpb.SessionsRequest) (*peerpb.SessionsResponse, error) {
	return &peerpb.SessionsResponse{Sessions: p.c.localSessions()}, nil
}

func (p *peerService) Signal(ctx context.Context, req *peerpb.SignalRequest) (*peerpb.SignalResponse, error) {
	return &peerpb.SignalResponse{Result: p.c.signalLocal(ctx, req)}, nil
}

func (p *peerService) Cancel(ctx context.Context, req *peerpb.CancelRequest) (*peerpb.CancelResponse, error) {
	// Only this coordinator's own process ids: a forwarded request is never
	// forwarded again.
	ok := pgwire.ServerOfPID(req.Pid) == p.c.number && p.wire.CancelRequest(req.Pid, req.Secret)
	return &peerpb.CancelResponse{Canceled: ok}, nil
}
