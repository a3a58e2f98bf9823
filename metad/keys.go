package metad

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
)

// DefaultPrefix is the etcd key prefix metad uses when Config.Prefix is empty.
const DefaultPrefix = "/cirrus"

// keys lays out metad's data in etcd:
//
//	<p>/catalog/obj/<oid %010d>                      catalog.Object JSON (Table.Version stored as 0;
//	                                                 the key's ModRevision is the version)
//	<p>/catalog/name/<kind>/<parent %010d>/<name>    OID (decimal) owning the name
//	<p>/catalog/next_oid                             next OID to allocate (decimal)
//	<p>/inval/<commit id>                            invalidation.Set JSON of one commit, Seq stored
//	                                                 as 0; the key's ModRevision is the Seq
//	<p>/meta/inval_floor                             sets with Seq <= this were garbage collected
//	<p>/catalog/version                              rewritten by every catalog commit: its ModRevision
//	                                                 is the revision of the last one (the fencing base)
//	<p>/lock/ddl/<lease %x>                          concurrency.Mutex keys of the DDL lock
//	<p>/nodes/<id>                                   nodeRecord JSON of a registered node, on its lease
//	<p>/resets/<id>                                  a pending drift reset for a node, on its lease
//	<p>/coordinators/id/<id>                         a coordinator's number (decimal), kept for good
//	<p>/coordinators/number/<n %04d>                 the node id holding number n
//	<p>/meta/cluster_secret                          the cluster's random secret (raw bytes)
type keys struct{ p string }

func newKeys(prefix string) keys {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return keys{p: strings.TrimRight(prefix, "/")}
}

func (k keys) objPrefix() string { return k.p + "/catalog/obj/" }

func (k keys) obj(oid catalog.OID) string { return fmt.Sprintf("%s%010d", k.objPrefix(), oid) }

func (k keys) name(kind catalog.ObjectKind, parent catalog.OID, name string) string {
	return fmt.Sprintf("%s/catalog/name/%s/%010d/%s", k.p, kind, parent, name)
}

// tableNames is the prefix of the name keys of the tables in namespace ns.
func (k keys) tableNames(ns catalog.OID) string {
	return fmt.Sprintf("%s/catalog/name/%s/%010d/", k.p, catalog.KindTable, ns)
}

func (k keys) nextOID() string { return k.p + "/catalog/next_oid" }

func (k keys) invalPrefix() string { return k.p + "/inval/" }

// newInval returns a fresh key for a commit's invalidation set. The id only
// has to be unique: sets are ordered by ModRevision, not by key.
func (k keys) newInval() string {
	return fmt.Sprintf("%s%016x-%016x", k.invalPrefix(), time.Now().UnixNano(), rand.Uint64())
}

func (k keys) invalFloor() string { return k.p + "/meta/inval_floor" }

// nameKeyOf returns the name key an object claims.
func (k keys) nameKeyOf(o *catalog.Object) string { return k.name(o.Kind(), o.Parent(), o.Name()) }

func (k keys) catalogVersion() string { return k.p + "/catalog/version" }

func (k keys) ddlLock() string { return k.p + "/lock/ddl" }

func (k keys) nodesPrefix() string { return k.p + "/nodes/" }

func (k keys) node(id string) string { return k.nodesPrefix() + id }

func (k keys) reset(id string) string { return k.p + "/resets/" + id }

func (k keys) coordinatorID(id string) string { return k.p + "/coordinators/id/" + id }

func (k keys) coordinatorNumbers() string { return k.p + "/coordinators/number/" }

func (k keys) coordinatorNumber(n uint32) string {
	return fmt.Sprintf("%s%04d", k.coordinatorNumbers(), n)
}

func (k keys) clusterSecret() string { return k.p + "/meta/cluster_secret" }
