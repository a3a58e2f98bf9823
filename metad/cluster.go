package metad

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// What the coordinators of a cluster share besides the catalog: a number
// for each coordinator, which makes its sessions' process ids unique in
// the cluster, and one random secret.
//
// A number belongs to a node id for good (<p>/coordinators/id/<id>, with
// the reverse mapping under <p>/coordinators/number/), so a coordinator
// that restarts, or whose registration lapsed for a while, keeps it. Only
// when all MaxCoordinatorNumber numbers are taken does an id that is not
// registered lose its number to a new one.

// MaxCoordinatorNumber is the highest coordinator number: numbers take the
// 10 bits above a process id's 21 low bits, so that ids stay positive
// int4 values.
const MaxCoordinatorNumber = 1<<10 - 1

// clusterSecretLen is the length of the cluster secret in bytes.
const clusterSecretLen = 32

// CoordinatorNumber implements metadpb.MetadServer.
func (s *Server) CoordinatorNumber(ctx context.Context, req *metadpb.CoordinatorNumberRequest) (*metadpb.CoordinatorNumberResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	n, err := s.coordinatorNumber(ctx, req.NodeId)
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.CoordinatorNumberResponse{Number: n}, nil
}

// coordinatorNumber returns id's number, assigning the lowest free one (or
// taking one from an id that is not registered) in a transaction that
// fails if another assignment got there first, and then tries again.
func (s *Server) coordinatorNumber(ctx context.Context, id string) (uint32, error) {
	if err := validNodeID(id); err != nil {
		return 0, err
	}
	idKey := s.k.coordinatorID(id)
	for {
		resp, err := s.cli.Txn(ctx).Then(
			clientv3.OpGet(idKey),
			clientv3.OpGet(s.k.coordinatorNumbers(), clientv3.WithPrefix()),
		).Commit()
		if err != nil {
			return 0, err
		}
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			n, err := strconv.ParseUint(string(kvs[0].Value), 10, 32)
			if err != nil {
				return 0, sqlerr.Wrap(err, sqlerr.Internal, "metad: corrupt coordinator number")
			}
			return uint32(n), nil
		}
		// Numbers in use: number → (holder, revision of its key).
		type holder struct {
			id  string
			rev int64
		}
		taken := map[uint32]holder{}
		for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
			n, err := strconv.ParseUint(strings.TrimPrefix(string(kv.Key), s.k.coordinatorNumbers()), 10, 32)
			if err == nil {
				taken[uint32(n)] = holder{string(kv.Value), kv.ModRevision}
			}
		}
		var num uint32
		for n := uint32(1); n <= s.maxNumber && num == 0; n++ {
			if _, ok := taken[n]; !ok {
				num = n
			}
		}
		conds := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(idKey), "=", 0)}
		var ops []clientv3.Op
		if num != 0 {
			conds = append(conds, clientv3.Compare(clientv3.CreateRevision(s.k.coordinatorNumber(num)), "=", 0))
		} else {
			// Every number is taken: reuse the lowest one whose holder is
			// not registered now (checked again in the transaction).
			for n := uint32(1); n <= s.maxNumber && num == 0; n++ {
				h := taken[n]
				g, err := s.cli.Get(ctx, s.k.node(h.id), clientv3.WithCountOnly())
				if err != nil {
					return 0, err
				}
				if g.Count == 0 {
					num = n
					conds = append(conds,
						clientv3.Compare(clientv3.ModRevision(s.k.coordinatorNumber(n)), "=", h.rev),
						clientv3.Compare(clientv3.CreateRevision(s.k.node(h.id)), "=", 0))
					ops = append(ops, clientv3.OpDelete(s.k.coordinatorID(h.id)))
				}
			}
			if num == 0 {
				return 0, sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "metad: all %d coordinator numbers are held by registered coordinators", s.maxNumber)
			}
		}
		ops = append(ops,
			clientv3.OpPut(idKey, strconv.FormatUint(uint64(num), 10)),
			clientv3.OpPut(s.k.coordinatorNumber(num), id))
		tr, err := s.cli.Txn(ctx).If(conds...).Then(ops...).Commit()
		if err != nil {
			return 0, err
		}
		if tr.Succeeded {
			return num, nil
		}
	}
}

// ClusterSecret implements metadpb.MetadServer.
func (s *Server) ClusterSecret(ctx context.Context, _ *metadpb.ClusterSecretRequest) (*metadpb.ClusterSecretResponse, error) {
	ctx, cancel := s.ctxFor(ctx)
	defer cancel()
	secret, err := s.clusterSecret(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &metadpb.ClusterSecretResponse{Secret: secret}, nil
}

// clusterSecret returns the cluster secret, creating it if it does not
// exist yet: the first writer wins and everyone reads its value.
func (s *Server) clusterSecret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, clusterSecretLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.Internal, "metad: could not generate the cluster secret")
	}
	key := s.k.clusterSecret()
	tr, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(fresh))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return nil, err
	}
	if tr.Succeeded {
		return fresh, nil
	}
	kvs := tr.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 || len(kvs[0].Value) == 0 {
		return nil, sqlerr.New(sqlerr.Internal, "metad: the cluster secret is empty")
	}
	return kvs[0].Value, nil
}

// CoordinatorNumber returns the number metad holds for the coordinator
// node id, assigning one at the first request (1 to MaxCoordinatorNumber).
func (c *Client) CoordinatorNumber(ctx context.Context, id string) (uint32, error) {
	resp, err := c.rpc.CoordinatorNumber(ctx, &metadpb.CoordinatorNumberRequest{NodeId: id})
	if err != nil {
		return 0, fromStatus(ctx, err)
	}
	return resp.Number, nil
}

// ClusterSecret returns the cluster's random secret (the same bytes on
// every call, from any metad, for the life of the cluster's etcd data).
func (c *Client) ClusterSecret(ctx context.Context) ([]byte, error) {
	resp, err := c.rpc.ClusterSecret(ctx, &metadpb.ClusterSecretRequest{})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	return resp.Secret, nil
}
