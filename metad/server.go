// Package metad is Cirrus's metadata server. It owns the catalog, stored in
// etcd (embedded by default, see StartEtcd, or an external cluster), and the
// global invalidation queue, and serves both over gRPC (metadpb).
//
// A catalog commit is one etcd transaction that writes the changed objects,
// their name keys and the commit's invalidation set; the transaction's
// revision is the set's sequence number, so a Seq and its messages are never
// seen apart. Object versions are the ModRevisions of their keys, and commits
// compare them (optimistic concurrency: a lost race is SQLSTATE 40001).
// Commits are serialized by an etcd lock and fenced (lock.go); readers never
// wait for it.
//
// Transactions can also be staged in metad, with savepoints, and committed
// as one commit (txn.go). Nodes register with leases, report the seq they
// have applied (WaitApplied waits for them, nodes.go) and a hash of their
// catalog copy, which metad checks for drift (drift.go).
// See keys.go for the key layout.
package metad

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// Config configures a Server.
type Config struct {
	// Endpoints of the etcd cluster (for the embedded one,
	// EmbeddedEtcd.Endpoints()). Ignored when Etcd is set.
	Endpoints []string
	// Prefix of all of metad's keys; DefaultPrefix ("/cirrus") when empty.
	Prefix string
	// DialTimeout bounds connecting to etcd and bootstrapping; 10 s when 0.
	DialTimeout time.Duration
	// HeartbeatInterval is how often Follow streams report progress; 500 ms
	// when 0.
	HeartbeatInterval time.Duration
	// Etcd, when set, is used instead of dialing Endpoints; Close leaves it
	// open.
	Etcd *clientv3.Client

	// LockTTL is the lease TTL of the DDL lock's etcd session: a metad that
	// dies holding the lock blocks commits at most this long, and one paused
	// longer than this while holding it cannot commit. 3 s when 0; etcd
	// leases have whole seconds, so it is rounded up.
	LockTTL time.Duration
	// NodeTTL is the lease TTL of registered nodes: a node that stops
	// sending keepalives disappears this long after its last one.
	// DefaultNodeTTL (3 s) when 0; rounded up to whole seconds.
	NodeTTL time.Duration
	// TxnIdleTimeout discards a staged transaction unused for this long;
	// 10 min when 0.
	TxnIdleTimeout time.Duration
	// HashCheckInterval is how often nodes' catalog hashes are checked;
	// DefaultHashCheckInterval (2 s) when 0, never when negative.
	HashCheckInterval time.Duration
	// LockedHook, when set, is called by every catalog commit attempt while
	// it holds the DDL lock, after validating its ops and right before its
	// etcd transaction. For tests only (simulating a lock holder paused past
	// its lease); leave nil.
	LockedHook func(ctx context.Context)
}

// maxMsgBytes bounds gRPC messages between metad and its clients (a catalog
// snapshot can be large).
const maxMsgBytes = 256 << 20

// readBatch is how many keys one etcd read transaction reads; below etcd's
// default max-txn-ops (128) so reads also work against an unconfigured
// external cluster.
const readBatch = 100

// commitRetries bounds how often Commit re-reads and retries after a
// concurrent change to one of the keys it depends on.
const commitRetries = 30

// Server is the metad gRPC service.
type Server struct {
	metadpb.UnimplementedMetadServer

	cfg    Config
	k      keys
	cli    *clientv3.Client
	ownCli bool
	grpc   *grpc.Server

	ctx    context.Context // canceled by Close; ends Follow streams
	cancel context.CancelFunc

	ddl   *ddlLock
	txns  *txnTable
	drift *drift
	bg    sync.WaitGroup // backgroundLoop

	closeOnce sync.Once
	closeErr  error
	metrics   *metadMetrics

	// maxNumber is the highest coordinator number assigned
	// (MaxCoordinatorNumber; lowered by tests).
	maxNumber uint32
}

// NewServer connects to etcd and bootstraps the catalog if this is the first
// start (idempotent).
func NewServer(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 500 * time.Millisecond
	}
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 3 * time.Second
	}
	if cfg.NodeTTL <= 0 {
		cfg.NodeTTL = DefaultNodeTTL
	}
	if cfg.TxnIdleTimeout <= 0 {
		cfg.TxnIdleTimeout = 10 * time.Minute
	}
	if cfg.HashCheckInterval == 0 {
		cfg.HashCheckInterval = DefaultHashCheckInterval
	}
	s := &Server{cfg: cfg, k: newKeys(cfg.Prefix), ddl: newDDLLock(cfg.LockTTL), txns: newTxnTable(cfg.TxnIdleTimeout), drift: newDrift(), maxNumber: MaxCoordinatorNumber}
	if cfg.Etcd != nil {
		s.cli = cfg.Etcd
	} else {
		if len(cfg.Endpoints) == 0 {
			return nil, errors.New("metad: no etcd endpoints")
		}
		cli, err := clientv3.New(clientv3.Config{
			Endpoints:          cfg.Endpoints,
			DialTimeout:        cfg.DialTimeout,
			MaxCallSendMsgSize: EmbeddedMaxRequestBytes + 1<<20,
			Logger:             zap.NewNop(),
		})
		if err != nil {
			return nil, fmt.Errorf("metad: connect to etcd %v: %w", cfg.Endpoints, err)
		}
		s.cli, s.ownCli = cli, true
	}
	bctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if err := s.bootstrap(bctx); err != nil {
		if s.ownCli {
			s.cli.Close()
		}
		return nil, fmt.Errorf("metad: bootstrap catalog in etcd %v: %w", cfg.Endpoints, err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.metrics = newMetadMetrics(s)
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMsgBytes),
		grpc.MaxSendMsgSize(maxMsgBytes),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	)
	metadpb.RegisterMetadServer(s.grpc, s)
	s.bg.Add(1)
	go s.backgroundLoop()
	return s, nil
}

// Serve serves the gRPC API on l until Close.
func (s *Server) Serve(l net.Listener) error {
	err := s.grpc.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Close stops serving (ending Follow, session and membership streams),
// discards staged transactions, releases the DDL lock's lease and
// disconnects from etcd. Registered nodes stay registered until their
// leases expire; their Memberships keep reconnecting to this address and
// register again when a metad serves it.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.bg.Wait()
		s.txns.closeAll()
		done := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			s.grpc.Stop()
			<-done
		}
		s.ddl.close()
		if s.ownCli {
			s.closeErr = s.cli.Close()
		}
	})
	return s.closeErr
}

// bootstrapObjects are the objects of a new catalog, roles first: the
// bootstrap superuser, pg_database_owner, and the well-known namespaces
// with PostgreSQL 15's owners and privileges (PUBLIC may use both).
func bootstrapObjects() []*catalog.Object {
	su, dbo := catalog.BootstrapSuperuser, catalog.DatabaseOwnerRole
	return []*catalog.Object{
		{Role: &catalog.Role{OID: su, Name: catalog.BootstrapSuperuserName,
			Super: true, Inherit: true, CreateRole: true, CreateDB: true, CanLogin: true, ConnLimit: -1}},
		{Role: &catalog.Role{OID: dbo, Name: catalog.DatabaseOwnerRoleName, Inherit: true, ConnLimit: -1}},
		{Namespace: &catalog.Namespace{OID: catalog.PgCatalogNamespace, Name: "pg_catalog", OwnerOID: su, ACL: catalog.PublicSchemaACL(su)}},
		{Namespace: &catalog.Namespace{OID: catalog.PublicNamespace, Name: "public", OwnerOID: dbo, ACL: catalog.PublicSchemaACL(dbo)}},
	}
}

// bootstrap creates the bootstrap objects and the OID counter, once, as
// one invalidation set; then brings a catalog from before roles existed up
// to date (ensureBootstrapRole).
func (s *Server) bootstrap(ctx context.Context) error {
	var ops []clientv3.Op
	set := invalidation.Set{}
	for _, o := range bootstrapObjects() {
		ops = append(ops,
			clientv3.OpPut(s.k.obj(o.OID()), string(o.Encode())),
			clientv3.OpPut(s.k.nameKeyOf(o), oidString(o.OID())))
		set.Messages = append(set.Messages, invalidation.Message{Kind: o.Kind(), OID: o.OID()})
	}
	setJSON, _ := json.Marshal(set)
	invalKey := s.k.newInval()
	ops = append(ops,
		clientv3.OpPut(s.k.nextOID(), oidString(catalog.FirstUserOID)),
		clientv3.OpPut(invalKey, string(setJSON)),
		clientv3.OpPut(s.k.catalogVersion(), invalKey))
	_, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(s.k.nextOID()), "=", 0)).
		Then(ops...).
		Commit()
	if err != nil {
		return err
	}
	return s.ensureBootstrapRole(ctx)
}

// ensureBootstrapRole upgrades a catalog from an older version: it creates
// the bootstrap roles that are missing and gives a well-known namespace
// from before roles existed (no privileges) the owner and privileges
// bootstrapObjects has, in one invalidation set. On any other start it is
// one read.
func (s *Server) ensureBootstrapRole(ctx context.Context) error {
	for attempt := 0; attempt < 3; attempt++ {
		if done, err := s.tryBootstrapRole(ctx); done || err != nil {
			return err
		}
	}
	return fmt.Errorf("could not create the bootstrap roles: a name is taken or the catalog keeps changing")
}

// tryBootstrapRole is one attempt of ensureBootstrapRole; done reports that
// nothing is left to do.
func (s *Server) tryBootstrapRole(ctx context.Context) (done bool, err error) {
	want := bootstrapObjects()
	ks := make([]string, len(want))
	for i, o := range want {
		ks[i] = s.k.obj(o.OID())
	}
	got, _, err := s.readKeys(ctx, 0, ks)
	if err != nil {
		return false, err
	}
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	var set invalidation.Set
	for i, o := range want {
		kv := got[ks[i]]
		if o.Role != nil {
			if kv != nil {
				continue
			}
			cmps = append(cmps,
				clientv3.Compare(clientv3.CreateRevision(ks[i]), "=", 0),
				clientv3.Compare(clientv3.CreateRevision(s.k.nameKeyOf(o)), "=", 0))
			ops = append(ops, clientv3.OpPut(ks[i], string(o.Encode())), clientv3.OpPut(s.k.nameKeyOf(o), oidString(o.OID())))
			set.Messages = append(set.Messages, invalidation.Message{Kind: catalog.KindRole, OID: o.OID()})
			continue
		}
		if kv == nil {
			continue
		}
		cur, err := catalog.DecodeObject(kv.Value)
		if err != nil {
			return false, fmt.Errorf("corrupt catalog object %d: %w", o.OID(), err)
		}
		ns := cur.Namespace
		if ns == nil || ns.ACL != nil {
			continue // from a version with roles
		}
		up := *ns
		up.OwnerOID, up.ACL = o.Namespace.OwnerOID, o.Namespace.ACL
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(ks[i]), "=", kv.ModRevision))
		ops = append(ops, clientv3.OpPut(ks[i], string((&catalog.Object{Namespace: &up}).Encode())))
		set.Messages = append(set.Messages, invalidation.Message{Kind: catalog.KindNamespace, OID: up.OID})
	}
	if len(ops) == 0 {
		return true, nil
	}
	setJSON, _ := json.Marshal(set)
	invalKey := s.k.newInval()
	ops = append(ops,
		clientv3.OpPut(invalKey, string(setJSON)),
		clientv3.OpPut(s.k.catalogVersion(), invalKey))
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil || !resp.Succeeded {
		return false, err // on a conflict, look again
	}
	return false, nil // look again: nothing should be left
}

func oidString(oid catalog.OID) string { return strconv.FormatUint(uint64(oid), 10) }

func parseOID(b []byte) (catalog.OID, error) {
	v, err := strconv.ParseUint(string(b), 10, 32)
	return catalog.OID(v), err
}

// ctxFor returns a context that ends when either the RPC's or the server's
// does.
func (s *Server) ctxFor(rpc context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(rpc)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// readKeys reads single keys at one revision (rev, or the current one when
// rev is 0, which is returned), in batches.
func (s *Server) readKeys(ctx context.Context, rev int64, ks []string) (map[string]*mvccpb.KeyValue, int64, error) {
	out := make(map[string]*mvccpb.KeyValue, len(ks))
	if len(ks) == 0 && rev == 0 {
		ks = []string{s.k.nextOID()} // just to learn the revision
	}
	for i := 0; i < len(ks); i += readBatch {
		batch := ks[i:min(i+readBatch, len(ks))]
		ops := make([]clientv3.Op, len(batch))
		for j, k := range batch {
			if rev > 0 {
				ops[j] = clientv3.OpGet(k, clientv3.WithRev(rev))
			} else {
				ops[j] = clientv3.OpGet(k)
			}
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().Kvs {
				out[string(kv.Key)] = kv
			}
		}
	}
	return out, rev, nil
}

// readPrefix reads every key under prefix at revision rev (0 = current),
// paging, and returns them with the revision read at.
func (s *Server) readPrefix(ctx context.Context, rev int64, prefix string) ([]*mvccpb.KeyValue, int64, error) {
	const page = 1000
	end := clientv3.GetPrefixRangeEnd(prefix)
	from := prefix
	var out []*mvccpb.KeyValue
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(page),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := s.cli.Get(ctx, from, opts...)
		if err != nil {
			return nil, 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		out = append(out, resp.Kvs...)
		if !resp.More || len(resp.Kvs) == 0 {
			return out, rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

func pbObject(kv *mvccpb.KeyValue) *metadpb.Object {
	return &metadpb.Object{Json: kv.Value, Version: kv.ModRevision}
}

// Snapshot implements metadpb.MetadServer.
func (s *Server) Snapshot(ctx context.Context, _ *metadpb.SnapshotRequest) (*metadpb.SnapshotResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	kvs, rev, err := s.readPrefix(ctx, 0, s.k.objPrefix())
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &metadpb.SnapshotResponse{Seq: rev, Objects: make([]*metadpb.Object, len(kvs))}
	for i, kv := range kvs {
		resp.Objects[i] = pbObject(kv)
	}
	return resp, nil
}

// Get implements metadpb.MetadServer.
func (s *Server) Get(ctx context.Context, req *metadpb.GetRequest) (*metadpb.GetResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	ks := make([]string, len(req.Oids))
	for i, oid := range req.Oids {
		ks[i] = s.k.obj(catalog.OID(oid))
	}
	got, rev, err := s.readKeys(ctx, 0, ks)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &metadpb.GetResponse{Seq: rev}
	for i, oid := range req.Oids {
		if kv, ok := got[ks[i]]; ok {
			resp.Objects = append(resp.Objects, pbObject(kv))
		} else {
			resp.Missing = append(resp.Missing, oid)
		}
	}
	return resp, nil
}

// maxAlloc bounds one AllocOIDs request.
const maxAlloc = 1 << 24

// AllocOIDs implements metadpb.MetadServer.
func (s *Server) AllocOIDs(ctx context.Context, req *metadpb.AllocOIDsRequest) (*metadpb.AllocOIDsResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	first, err := s.allocOIDs(ctx, req.Count)
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.AllocOIDsResponse{First: uint32(first)}, nil
}

func (s *Server) allocOIDs(ctx context.Context, n uint32) (catalog.OID, error) {
	if n == 0 || n > maxAlloc {
		return 0, sqlerr.Errorf(sqlerr.InvalidParameterValue, "cannot allocate %d OIDs at once (1 to %d)", n, maxAlloc)
	}
	for {
		resp, err := s.cli.Get(ctx, s.k.nextOID())
		if err != nil {
			return 0, err
		}
		if len(resp.Kvs) == 0 {
			return 0, sqlerr.New(sqlerr.Internal, "metad: OID counter missing (catalog not bootstrapped)")
		}
		kv := resp.Kvs[0]
		next, err := parseOID(kv.Value)
		if err != nil {
			return 0, sqlerr.Wrap(err, sqlerr.Internal, "metad: corrupt OID counter")
		}
		if uint64(next)+uint64(n) > 1<<32-1 {
			return 0, sqlerr.New(sqlerr.ProgramLimitExceeded, "OIDs exhausted")
		}
		tr, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(s.k.nextOID()), "=", kv.ModRevision)).
			Then(clientv3.OpPut(s.k.nextOID(), oidString(next+catalog.OID(n)))).
			Commit()
		if err != nil {
			return 0, err
		}
		if tr.Succeeded {
			return next, nil
		}
	}
}

// Commit implements metadpb.MetadServer.
func (s *Server) Commit(ctx context.Context, req *metadpb.CommitRequest) (*metadpb.CommitResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	ops, err := parseOps(req.Ops)
	if err != nil {
		return nil, toStatus(err)
	}
	seq, err := s.commit(ctx, ops)
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.CommitResponse{Seq: seq}, nil
}

// ReadRange implements metadpb.MetadServer.
func (s *Server) ReadRange(ctx context.Context, req *metadpb.ReadRangeRequest) (*metadpb.ReadRangeResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	from, to := max(req.FromSeq, 0), req.ToSeq
	if to <= from {
		return &metadpb.ReadRangeResponse{}, nil
	}
	// The floor and the sets in one read, so a concurrent Compact cannot
	// slip between them.
	resp, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.k.invalFloor()),
		clientv3.OpGet(s.k.invalPrefix(), clientv3.WithPrefix(),
			clientv3.WithMinModRev(from+1), clientv3.WithMaxModRev(to)),
	).Commit()
	if err != nil {
		return nil, toStatus(err)
	}
	if fl := resp.Responses[0].GetResponseRange().Kvs; len(fl) > 0 {
		floor, _ := strconv.ParseInt(string(fl[0].Value), 10, 64)
		if from < floor {
			return nil, status.Errorf(codes.OutOfRange, "invalidation sets up to %d were compacted; cannot read from %d", floor, from)
		}
	}
	if to > resp.Header.Revision {
		return nil, toStatus(sqlerr.Errorf(sqlerr.InvalidParameterValue,
			"invalidation sequence number %d is ahead of metad (at %d)", to, resp.Header.Revision))
	}
	kvs := resp.Responses[1].GetResponseRange().Kvs
	out := &metadpb.ReadRangeResponse{Sets: make([]*metadpb.InvalidationSet, 0, len(kvs))}
	for _, kv := range kvs {
		set, err := decodeSet(kv)
		if err != nil {
			return nil, toStatus(err)
		}
		out.Sets = append(out.Sets, set)
	}
	sort.Slice(out.Sets, func(i, j int) bool { return out.Sets[i].Seq < out.Sets[j].Seq })
	return out, nil
}

// decodeSet turns a stored invalidation set into its wire form, with Seq
// taken from the key's ModRevision.
func decodeSet(kv *mvccpb.KeyValue) (*metadpb.InvalidationSet, error) {
	var set invalidation.Set
	if err := json.Unmarshal(kv.Value, &set); err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt invalidation set %s", kv.Key))
	}
	out := &metadpb.InvalidationSet{Seq: kv.ModRevision, Messages: make([]*metadpb.Message, len(set.Messages))}
	for i, m := range set.Messages {
		out.Messages[i] = &metadpb.Message{Kind: string(m.Kind), Oid: uint32(m.OID), Drop: m.Drop}
	}
	return out, nil
}

// Follow implements metadpb.MetadServer.
func (s *Server) Follow(req *metadpb.FollowRequest, stream metadpb.Metad_FollowServer) error {
	ctx, cancel := s.ctxFor(stream.Context())
	defer cancel()
	from := max(req.FromSeq, 0)

	// Sets up to the floor were garbage collected by Compact: a follower
	// behind it must reload even if etcd still has the history.
	fr, err := s.cli.Get(ctx, s.k.invalFloor())
	if err != nil {
		return toStatus(err)
	}
	floor := int64(0)
	if len(fr.Kvs) > 0 {
		floor, _ = strconv.ParseInt(string(fr.Kvs[0].Value), 10, 64)
	}
	// A follower ahead of etcd has seqs from a different etcd history (its
	// data was lost or replaced): it must reload too.
	if from < floor || from > fr.Header.Revision {
		return stream.Send(&metadpb.InvalidationSet{Seq: fr.Header.Revision, Reset_: true})
	}

	// A watcher of its own, so that progress requests reach only this
	// stream's watch.
	w := clientv3.NewWatcher(s.cli)
	defer w.Close()
	wctx := clientv3.WithRequireLeader(ctx)
	wch := w.Watch(wctx, s.k.invalPrefix(), clientv3.WithPrefix(), clientv3.WithRev(from+1), clientv3.WithProgressNotify())
	tick := time.NewTicker(s.cfg.HeartbeatInterval)
	defer tick.Stop()
	ended := func() error {
		if s.ctx.Err() != nil {
			return status.Error(codes.Unavailable, "metad is shutting down")
		}
		return toStatus(ctx.Err())
	}
	last := from
	for {
		select {
		case <-ctx.Done():
			return ended()
		case <-tick.C:
			// Answered (with the current revision) once the watch has
			// caught up; a request made while it is behind is dropped and
			// the next tick asks again.
			_ = w.RequestProgress(wctx)
			// etcd does not always answer progress requests for an idle
			// watch, so also read the catalog version key: every commit
			// writes it, so its ModRevision is the newest set's seq. Once
			// the stream has delivered that set, it is complete up to the
			// read's revision.
			if vr, err := s.cli.Get(ctx, s.k.catalogVersion()); err == nil {
				newest := int64(0)
				if len(vr.Kvs) > 0 {
					newest = vr.Kvs[0].ModRevision
				}
				if last >= newest && vr.Header.Revision > last {
					last = vr.Header.Revision
					if err := stream.Send(&metadpb.InvalidationSet{Seq: last}); err != nil {
						return err
					}
				}
			}
		case wr, ok := <-wch:
			if !ok {
				if ctx.Err() != nil {
					return ended()
				}
				return status.Error(codes.Unavailable, "metad: etcd watch closed")
			}
			if wr.CompactRevision != 0 {
				return stream.Send(&metadpb.InvalidationSet{Seq: wr.Header.Revision, Reset_: true})
			}
			if err := wr.Err(); err != nil {
				if ctx.Err() != nil {
					return ended()
				}
				return status.Errorf(codes.Unavailable, "metad: etcd watch: %v", err)
			}
			if wr.IsProgressNotify() {
				if rev := wr.Header.Revision; rev >= last {
					last = rev
					if err := stream.Send(&metadpb.InvalidationSet{Seq: rev}); err != nil {
						return err
					}
				}
				continue
			}
			for _, ev := range wr.Events {
				if ev.Type != clientv3.EventTypePut || ev.Kv.ModRevision <= last {
					continue // garbage collection of old sets, or a duplicate
				}
				set, err := decodeSet(ev.Kv)
				if err != nil {
					return toStatus(err)
				}
				last = set.Seq
				if err := stream.Send(set); err != nil {
					return err
				}
			}
		}
	}
}

// Compact forgets invalidation history up to revision rev (0 = the current
// revision): it deletes the stored sets with Seq <= rev and compacts etcd at
// rev. Afterwards ReadRange from a seq < rev fails with ErrCompacted and
// Follow from such a seq sends a reset. Deployments call it periodically
// with a revision older than any live node's applied seq.
func (s *Server) Compact(ctx context.Context, rev int64) error {
	resp, err := s.cli.Get(ctx, s.k.invalFloor())
	if err != nil {
		return err
	}
	if rev <= 0 || rev > resp.Header.Revision {
		rev = resp.Header.Revision
	}
	floor := int64(0)
	if len(resp.Kvs) > 0 {
		floor, _ = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
	}
	if rev > floor {
		// Raise the floor first so that ReadRange fails rather than returns
		// a range with holes while the sets are being deleted.
		if _, err := s.cli.Put(ctx, s.k.invalFloor(), strconv.FormatInt(rev, 10)); err != nil {
			return err
		}
	}
	old, err := s.cli.Get(ctx, s.k.invalPrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithMaxModRev(rev))
	if err != nil {
		return err
	}
	for i := 0; i < len(old.Kvs); i += readBatch {
		var dels []clientv3.Op
		for _, kv := range old.Kvs[i:min(i+readBatch, len(old.Kvs))] {
			dels = append(dels, clientv3.OpDelete(string(kv.Key)))
		}
		if _, err := s.cli.Txn(ctx).Then(dels...).Commit(); err != nil {
			return err
		}
	}
	if _, err := s.cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return err
	}
	return nil
}
