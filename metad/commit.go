package metad

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/invalidation"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// op is one validated commit operation.
type op struct {
	put    *catalog.Object // nil for a delete
	oid    catalog.OID
	expect int64
}

// parseOps decodes and checks the shape of a commit's operations. Each OID
// may appear in at most one op: the caller sends the final state of each
// object its transaction changed.
func parseOps(pbs []*metadpb.Op) ([]op, error) {
	ops, err := parseOpList(pbs)
	if err != nil {
		return nil, err
	}
	seen := make(map[catalog.OID]bool, len(ops))
	for _, o := range ops {
		if seen[o.oid] {
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d appears in more than one op of a commit", o.oid)
		}
		seen[o.oid] = true
	}
	return ops, nil
}

// parseOpList decodes operations and checks each one's shape; an OID may
// appear more than once (Stage merges repeated OIDs).
func parseOpList(pbs []*metadpb.Op) ([]op, error) {
	ops := make([]op, 0, len(pbs))
	for i, p := range pbs {
		o := op{expect: p.ExpectVersion}
		if o.expect < 0 {
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: negative expected version %d", i, o.expect)
		}
		switch v := p.Op.(type) {
		case *metadpb.Op_Put:
			obj, err := catalog.DecodeObject(v.Put)
			if err != nil {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: invalid catalog object: %v", i, err)
			}
			if !obj.Valid() {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: a catalog object must be exactly one of namespace, table or role", i)
			}
			if obj.OID() == 0 {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: catalog object without an OID", i)
			}
			if obj.Name() == "" {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: catalog object %d has an empty name", i, obj.OID())
			}
			if obj.Table != nil && obj.Table.Namespace == 0 {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: table %q has no namespace", i, obj.Table.Name)
			}
			obj = obj.WithVersion(0) // the version is the key's ModRevision
			o.put, o.oid = obj, obj.OID()
		case *metadpb.Op_Delete:
			o.oid = catalog.OID(v.Delete)
			if o.oid == 0 {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d: delete of OID 0", i)
			}
		default:
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "commit op %d is neither a put nor a delete", i)
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// commit applies ops in one etcd transaction and returns its revision.
//
// It holds the DDL lock throughout (see ddlLock), reads the state the ops
// depend on at one revision, validates the ops against it, and commits with
// compares that (1) the lock is still held, (2) <p>/catalog/version is
// unchanged since that read (no catalog commit slipped in), and (3) every
// touched key is as read. A commit whose lock was lost (its lease expired)
// fails with 40001 and writes nothing; when only the state changed (a
// writer that does not take the lock), it starts over.
func (s *Server) commit(ctx context.Context, ops []op) (seq int64, err error) {
	if len(ops) == 0 {
		_, rev, err := s.readKeys(ctx, 0, nil)
		return rev, err
	}
	defer func(start time.Time) { s.metrics.observeCommit(start, err) }(time.Now())
	lk, err := s.acquireDDL(ctx)
	if err != nil {
		return 0, err
	}
	defer lk.release()
	for attempt := 1; ; attempt++ {
		p, err := s.planCommit(ctx, ops)
		if err != nil {
			return 0, err
		}
		if h := s.cfg.LockedHook; h != nil {
			h(ctx)
		}
		// The commit releases the lock itself (deletes its key), so no
		// revision follows it and unlocking costs no round trip.
		resp, err := s.cli.Txn(ctx).
			If(append(p.cmps, lk.fence())...).
			Then(append(p.ops, clientv3.OpDelete(lk.key))...).
			Else(clientv3.OpGet(lk.key, clientv3.WithKeysOnly())).
			Commit()
		if err != nil {
			return 0, etcdWriteErr(err)
		}
		if resp.Succeeded {
			lk.released = true
			return resp.Header.Revision, nil
		}
		// The lock key is this server's session's; if it exists, it is
		// still ours.
		if len(resp.Responses[0].GetResponseRange().Kvs) == 0 {
			lk.lost()
			return 0, serialization("metad lost the DDL lock before committing (its lease expired); nothing was committed")
		}
		if attempt >= commitRetries {
			return 0, serialization("too many concurrent catalog changes")
		}
		backoff := time.Duration(attempt) * (time.Millisecond + rand.N(2*time.Millisecond))
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(backoff):
		}
	}
}

func etcdWriteErr(err error) error {
	if errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrRequestTooLarge) {
		return sqlerr.Wrap(err, sqlerr.ProgramLimitExceeded,
			"catalog commit too large for etcd (raise etcd's --max-txn-ops and --max-request-bytes)")
	}
	return err
}

type commitPlan struct {
	cmps []clientv3.Cmp
	ops  []clientv3.Op
}

func kindWord(k catalog.ObjectKind) string {
	switch k {
	case catalog.KindNamespace:
		return "schema"
	case catalog.KindRole:
		return "role"
	}
	return "relation"
}

func duplicateName(o *catalog.Object) error {
	switch o.Kind() {
	case catalog.KindNamespace:
		return sqlerr.Errorf(sqlerr.DuplicateSchema, "schema %q already exists", o.Name())
	case catalog.KindRole:
		return sqlerr.Errorf(sqlerr.DuplicateObject, "role %q already exists", o.Name())
	}
	return sqlerr.Errorf(sqlerr.DuplicateTable, "relation %q already exists", o.Name())
}

// planCommit reads the current state ops depend on and turns ops into a
// guarded etcd transaction, or returns the user-facing error ops deserve.
func (s *Server) planCommit(ctx context.Context, ops []op) (*commitPlan, error) {
	inOps := make(map[catalog.OID]*op, len(ops))
	for i := range ops {
		inOps[ops[i].oid] = &ops[i]
	}

	// Read every object the ops touch, the names they claim and the
	// namespaces new tables go into, at one revision.
	var ks []string
	seenKey := map[string]bool{}
	addKey := func(k string) {
		if !seenKey[k] {
			seenKey[k] = true
			ks = append(ks, k)
		}
	}
	for _, o := range ops {
		addKey(s.k.obj(o.oid))
		if o.put != nil {
			addKey(s.k.nameKeyOf(o.put))
			if o.put.Table != nil && inOps[o.put.Table.Namespace] == nil {
				addKey(s.k.obj(o.put.Table.Namespace))
			}
		}
	}
	addKey(s.k.catalogVersion())
	got, rev, err := s.readKeys(ctx, 0, ks)
	if err != nil {
		return nil, err
	}
	objAt := func(oid catalog.OID) (*catalog.Object, *mvccpb.KeyValue, error) {
		kv := got[s.k.obj(oid)]
		if kv == nil {
			return nil, nil, nil
		}
		obj, err := catalog.DecodeObject(kv.Value)
		if err != nil {
			return nil, nil, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt catalog object %d", oid))
		}
		return obj, kv, nil
	}

	// Versions.
	cur := make(map[catalog.OID]*catalog.Object, len(ops))
	for _, o := range ops {
		c, kv, err := objAt(o.oid)
		if err != nil {
			return nil, err
		}
		cur[o.oid] = c
		switch {
		case c == nil && o.expect > 0:
			return nil, serialization("catalog object %d no longer exists", o.oid)
		case c == nil && o.put == nil:
			return nil, sqlerr.Errorf(sqlerr.UndefinedObject, "catalog object with OID %d does not exist", o.oid)
		case c != nil && o.put != nil && o.expect == 0:
			return nil, serialization("catalog object %d already exists", o.oid)
		case c != nil && o.expect > 0 && kv.ModRevision != o.expect:
			return nil, serialization("catalog object %d is at version %d, not %d", o.oid, kv.ModRevision, o.expect)
		case c != nil && o.put != nil && c.Kind() != o.put.Kind():
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d is a %s, not a %s", o.oid, c.Kind(), o.put.Kind())
		case o.put == nil && o.oid == catalog.PgCatalogNamespace:
			return nil, sqlerr.New(sqlerr.DependentObjectsStillExist,
				"cannot drop schema pg_catalog because it is required by the database system")
		}
	}

	// Namespaces new or moved tables go into must exist after the commit.
	parentCmp := map[catalog.OID]bool{}
	var cmps []clientv3.Cmp
	for _, o := range ops {
		if o.put == nil || o.put.Table == nil {
			continue
		}
		ns := o.put.Table.Namespace
		if c := cur[o.oid]; c != nil && c.Parent() == ns {
			continue // not moved; its namespace cannot be dropped while it is there
		}
		if po := inOps[ns]; po != nil {
			if po.put == nil {
				return nil, sqlerr.Errorf(sqlerr.UndefinedSchema, "schema %q does not exist", cur[ns].Name())
			}
			if po.put.Kind() != catalog.KindNamespace {
				return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d is not a schema", ns)
			}
			continue
		}
		p, kv, err := objAt(ns)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, sqlerr.Errorf(sqlerr.UndefinedSchema, "schema with OID %d does not exist", ns)
		}
		if p.Kind() != catalog.KindNamespace {
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "catalog object %d is not a schema", ns)
		}
		if !parentCmp[ns] {
			parentCmp[ns] = true
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.k.obj(ns)), "=", kv.ModRevision))
		}
	}

	// A dropped namespace must be empty after the commit.
	for _, o := range ops {
		c := cur[o.oid]
		if o.put != nil || c.Kind() != catalog.KindNamespace {
			continue
		}
		prefix := s.k.tableNames(o.oid)
		kvs, _, err := s.readPrefix(ctx, rev, prefix)
		if err != nil {
			return nil, err
		}
		var deps []string
		for _, kv := range kvs {
			t, err := parseOID(kv.Value)
			if err != nil {
				return nil, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt name key %s", kv.Key))
			}
			if to := inOps[t]; to != nil && (to.put == nil || to.put.Parent() != o.oid) {
				continue // dropped or moved away in this commit
			}
			if len(deps) < 100 {
				deps = append(deps, fmt.Sprintf("table %s.%s depends on schema %s", c.Name(), strings.TrimPrefix(string(kv.Key), prefix), c.Name()))
			}
		}
		if len(deps) > 0 {
			return nil, sqlerr.Errorf(sqlerr.DependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", c.Name()).
				WithDetail(strings.Join(deps, "\n")).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		// No table may appear in it between our read and our commit.
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(prefix), "<", rev+1).WithPrefix())
	}

	// Names: first the names the commit frees, then those it claims.
	removed := map[string]catalog.OID{}
	var addedKeys []string
	added := map[string]*catalog.Object{}
	for _, o := range ops {
		c := cur[o.oid]
		var nk string
		if o.put != nil {
			nk = s.k.nameKeyOf(o.put)
		}
		if c != nil {
			if ok := s.k.nameKeyOf(c); ok != nk {
				removed[ok] = o.oid
			}
		}
		if o.put == nil || (c != nil && s.k.nameKeyOf(c) == nk) {
			continue
		}
		if _, dup := added[nk]; dup {
			return nil, duplicateName(o.put)
		}
		added[nk] = o.put
		addedKeys = append(addedKeys, nk)
	}
	for _, nk := range addedKeys {
		kv := got[nk]
		if kv == nil {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(nk), "=", 0))
			continue
		}
		owner, err := parseOID(kv.Value)
		if err != nil {
			return nil, sqlerr.Wrap(err, sqlerr.Internal, fmt.Sprintf("metad: corrupt name key %s", kv.Key))
		}
		if freer, ok := removed[nk]; !ok || freer != owner {
			return nil, duplicateName(added[nk])
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(nk), "=", kv.ModRevision))
	}

	// Every touched object must be as read.
	for _, o := range ops {
		k := s.k.obj(o.oid)
		if kv := got[k]; kv != nil {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", kv.ModRevision))
		} else {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		}
	}

	// No catalog commit since the read (the fencing base).
	if kv := got[s.k.catalogVersion()]; kv != nil {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.k.catalogVersion()), "=", kv.ModRevision))
	} else {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.k.catalogVersion()), "=", 0))
	}

	// The writes, and the invalidation set (Seq is the txn's revision).
	p := &commitPlan{cmps: cmps}
	set := invalidation.Set{Messages: make([]invalidation.Message, 0, len(ops))}
	for _, o := range ops {
		if o.put != nil {
			p.ops = append(p.ops, clientv3.OpPut(s.k.obj(o.oid), string(o.put.Encode())))
			set.Messages = append(set.Messages, invalidation.Message{Kind: o.put.Kind(), OID: o.oid})
		} else {
			p.ops = append(p.ops, clientv3.OpDelete(s.k.obj(o.oid)))
			set.Messages = append(set.Messages, invalidation.Message{Kind: cur[o.oid].Kind(), OID: o.oid, Drop: true})
		}
	}
	for _, o := range ops { // deterministic order
		if c := cur[o.oid]; c != nil {
			if nk := s.k.nameKeyOf(c); removed[nk] == o.oid && added[nk] == nil {
				p.ops = append(p.ops, clientv3.OpDelete(nk))
			}
		}
	}
	for _, nk := range addedKeys {
		p.ops = append(p.ops, clientv3.OpPut(nk, oidString(added[nk].OID())))
	}
	setJSON, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	invalKey := s.k.newInval()
	p.ops = append(p.ops,
		clientv3.OpPut(invalKey, string(setJSON)),
		clientv3.OpPut(s.k.catalogVersion(), invalKey))
	return p, nil
}
