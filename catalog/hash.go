package catalog

import (
	"crypto/sha256"
	"sort"
)

// HashObjects returns the canonical catalog hash of objs: SHA-256 over the
// objects in ascending OID order, each written as its Encode() JSON followed
// by one '\n' byte, with the Version zeroed and a nil column list encoded
// as an empty one (a version is the etcd revision an object was last written
// at, which does not change what the object says; nil and empty column lists
// mean the same). Nil objects and envelopes with neither field set are
// skipped. objs is not modified.
//
// This is the hash nodes and metad compare to detect catalog drift: a node
// computes it over its cached snapshot (Catalog.Hash), metad over the objects
// it reads at one revision. metad.CatalogHash is the same function, hex
// encoded.
func HashObjects(objs []*Object) [sha256.Size]byte {
	sorted := make([]*Object, 0, len(objs))
	for _, o := range objs {
		if o != nil && o.Valid() {
			sorted = append(sorted, o)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].OID() < sorted[j].OID() })
	h := sha256.New()
	for _, o := range sorted {
		o = o.WithVersion(0)
		if o.Table != nil && o.Table.Columns == nil {
			o.Table.Columns = []Column{}
		}
		h.Write(o.Encode())
		h.Write([]byte{'\n'})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Hash returns the canonical hash (HashObjects) of every object in c.
func (c *Catalog) Hash() [sha256.Size]byte {
	return HashObjects(c.Objects())
}

// Len returns the number of objects (roles, namespaces and tables) in c.
func (c *Catalog) Len() int { return len(c.namespaces) + len(c.tables) + len(c.roles) }
