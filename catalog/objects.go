// Package catalog defines Cirrus's catalog objects and the in-memory catalog a
// node caches. metad owns the source of truth (in etcd); every coordinator and
// participant holds a copy that invalidation messages keep exact.
//
// Objects are plain data, JSON-encoded for etcd and for plan fragments, so a
// fragment can carry the entries it needs and a participant never asks metad.
package catalog

import (
	"encoding/json"
	"sort"
	"strings"
)

// OID identifies a catalog object, as in PostgreSQL.
type OID uint32

// FirstUserOID is where metad starts allocating (PostgreSQL's FirstNormalObjectId).
const FirstUserOID OID = 16384

// Well-known namespaces, created by metad on first start with fixed OIDs.
const (
	PgCatalogNamespace OID = 11
	PublicNamespace    OID = 2200
)

// ObjectKind says what an OID names.
type ObjectKind string

// Object kinds.
const (
	KindNamespace ObjectKind = "namespace"
	KindTable     ObjectKind = "table"
	KindRole      ObjectKind = "role"
)

// Namespace is a schema.
type Namespace struct {
	OID  OID    `json:"oid"`
	Name string `json:"name"`
	// OwnerOID is the owning role; 0 (objects from before roles existed)
	// means the bootstrap superuser. Use Owner.
	OwnerOID OID `json:"owner,omitempty"`
	// ACL is the schema's access privileges (pg_namespace.nspacl); nil is
	// the default, see DefaultACL.
	ACL ACL `json:"acl,omitempty"`
	// Version is the etcd revision this version was committed at (as
	// Table.Version).
	Version int64 `json:"version,omitempty"`
}

// Owner returns the namespace's owner.
func (n *Namespace) Owner() OID { return ownerOr(n.OwnerOID) }

// ownerOr maps the zero owner of objects created before roles existed to
// the bootstrap superuser, which created them.
func ownerOr(o OID) OID {
	if o == 0 {
		return BootstrapSuperuser
	}
	return o
}

// Column is one attribute of a table.
//
// A dropped column keeps its place (as PostgreSQL's attisdropped does), so
// column positions in existing data files never shift; it is invisible to
// SQL and written as NULL.
type Column struct {
	Name    string `json:"name"`
	Type    Type   `json:"type"`
	NotNull bool   `json:"notnull,omitempty"`
	Dropped bool   `json:"dropped,omitempty"`
}

// Table is a relation descriptor. Manifest is the object-store key of the
// table's current snapshot (the list of its Parquet files); it is swapped at
// commit together with any other catalog change, so readers see a whole
// statement or transaction or none of it.
type Table struct {
	OID        OID      `json:"oid"`
	Namespace  OID      `json:"namespace"`
	Name       string   `json:"name"`
	Columns    []Column `json:"columns"`
	PrimaryKey []int    `json:"pkey,omitempty"` // column indexes, recorded not enforced
	Manifest   string   `json:"manifest,omitempty"`
	// ViewQuery is set for a view (PostgreSQL's relkind 'v'): the SELECT
	// it stands for, bound afresh wherever the view is used; Columns are
	// its output columns and there is no data.
	ViewQuery string `json:"view,omitempty"`
	// OwnerOID is the owning role (0: the bootstrap superuser; use Owner).
	OwnerOID OID `json:"owner,omitempty"`
	// ACL is the relation's access privileges (pg_class.relacl); nil is
	// the default, see DefaultACL.
	ACL ACL `json:"acl,omitempty"`
	// Version is the etcd revision at which this version of the object was
	// committed; metad sets it, commits compare it to detect conflicts.
	Version int64 `json:"version,omitempty"`
}

// Owner returns the table's owner.
func (t *Table) Owner() OID { return ownerOr(t.OwnerOID) }

// IsView reports whether t is a view.
func (t *Table) IsView() bool { return t.ViewQuery != "" }

// ColumnIndex returns the index of the named (visible) column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name && !c.Dropped {
			return i
		}
	}
	return -1
}

// VisibleColumns returns the indexes of the columns that are not dropped.
func (t *Table) VisibleColumns() []int {
	out := make([]int, 0, len(t.Columns))
	for i, c := range t.Columns {
		if !c.Dropped {
			out = append(out, i)
		}
	}
	return out
}

// Object is the envelope stored in etcd and shipped in fragments: exactly
// one of its fields is set.
type Object struct {
	Namespace *Namespace `json:"namespace,omitempty"`
	Table     *Table     `json:"table,omitempty"`
	Role      *Role      `json:"role,omitempty"`
}

// Valid reports whether exactly one of the object's fields is set.
func (o *Object) Valid() bool {
	n := 0
	for _, set := range []bool{o.Namespace != nil, o.Table != nil, o.Role != nil} {
		if set {
			n++
		}
	}
	return n == 1
}

// Kind returns what the object is.
func (o *Object) Kind() ObjectKind {
	switch {
	case o.Table != nil:
		return KindTable
	case o.Role != nil:
		return KindRole
	}
	return KindNamespace
}

// OID returns the object's OID.
func (o *Object) OID() OID {
	switch {
	case o.Table != nil:
		return o.Table.OID
	case o.Role != nil:
		return o.Role.OID
	}
	return o.Namespace.OID
}

// Name returns the object's name.
func (o *Object) Name() string {
	switch {
	case o.Table != nil:
		return o.Table.Name
	case o.Role != nil:
		return o.Role.Name
	}
	return o.Namespace.Name
}

// Parent returns the namespace a table lives in, 0 for a namespace or a
// role.
func (o *Object) Parent() OID {
	if o.Table != nil {
		return o.Table.Namespace
	}
	return 0
}

// Version returns the etcd revision the object was committed at (0 when
// not known).
func (o *Object) Version() int64 {
	switch {
	case o.Table != nil:
		return o.Table.Version
	case o.Role != nil:
		return o.Role.Version
	}
	return o.Namespace.Version
}

// WithVersion returns a copy of the envelope whose object (copied) carries
// version v: metad stores objects with version 0 (the etcd key's revision
// is the version) and sets it when it hands them out.
func (o *Object) WithVersion(v int64) *Object {
	switch {
	case o.Table != nil:
		t := *o.Table
		t.Version = v
		return &Object{Table: &t}
	case o.Role != nil:
		r := *o.Role
		r.Version = v
		return &Object{Role: &r}
	}
	n := *o.Namespace
	n.Version = v
	return &Object{Namespace: &n}
}

// Encode returns the object's JSON encoding.
func (o *Object) Encode() []byte {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err) // plain data always encodes
	}
	return b
}

// DecodeObject parses an encoded object.
func DecodeObject(b []byte) (*Object, error) {
	var o Object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// Catalog is an immutable-by-convention set of objects with name indexes.
// Mutators return nothing and must only be called by the owner of the copy.
type Catalog struct {
	namespaces map[OID]*Namespace
	tables     map[OID]*Table
	roles      map[OID]*Role
	nsByName   map[string]OID
	tabByName  map[nameKey]OID
	roleByName map[string]OID
}

type nameKey struct {
	ns   OID
	name string
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{
		namespaces: map[OID]*Namespace{},
		tables:     map[OID]*Table{},
		roles:      map[OID]*Role{},
		nsByName:   map[string]OID{},
		tabByName:  map[nameKey]OID{},
		roleByName: map[string]OID{},
	}
}

// Clone returns a copy that shares the (immutable) objects.
func (c *Catalog) Clone() *Catalog {
	n := New()
	for k, v := range c.namespaces {
		n.namespaces[k] = v
	}
	for k, v := range c.tables {
		n.tables[k] = v
	}
	for k, v := range c.nsByName {
		n.nsByName[k] = v
	}
	for k, v := range c.tabByName {
		n.tabByName[k] = v
	}
	for k, v := range c.roles {
		n.roles[k] = v
	}
	for k, v := range c.roleByName {
		n.roleByName[k] = v
	}
	return n
}

// Put adds or replaces an object.
func (c *Catalog) Put(o *Object) {
	c.Delete(o.OID())
	switch {
	case o.Table != nil:
		c.tables[o.Table.OID] = o.Table
		c.tabByName[nameKey{o.Table.Namespace, o.Table.Name}] = o.Table.OID
	case o.Namespace != nil:
		c.namespaces[o.Namespace.OID] = o.Namespace
		c.nsByName[o.Namespace.Name] = o.Namespace.OID
	case o.Role != nil:
		c.roles[o.Role.OID] = o.Role
		c.roleByName[o.Role.Name] = o.Role.OID
	}
}

// Delete removes the object with the given OID, if present.
func (c *Catalog) Delete(oid OID) {
	if t, ok := c.tables[oid]; ok {
		delete(c.tables, oid)
		if c.tabByName[nameKey{t.Namespace, t.Name}] == oid {
			delete(c.tabByName, nameKey{t.Namespace, t.Name})
		}
	}
	if n, ok := c.namespaces[oid]; ok {
		delete(c.namespaces, oid)
		if c.nsByName[n.Name] == oid {
			delete(c.nsByName, n.Name)
		}
	}
	if r, ok := c.roles[oid]; ok {
		delete(c.roles, oid)
		if c.roleByName[r.Name] == oid {
			delete(c.roleByName, r.Name)
		}
	}
}

// Has reports whether the catalog holds an object with the given OID.
func (c *Catalog) Has(oid OID) bool {
	_, t := c.tables[oid]
	_, n := c.namespaces[oid]
	_, r := c.roles[oid]
	return t || n || r
}

// Namespace returns the namespace with the given name.
func (c *Catalog) Namespace(name string) (*Namespace, bool) {
	oid, ok := c.nsByName[name]
	if !ok {
		return nil, false
	}
	return c.namespaces[oid], true
}

// NamespaceByOID returns the namespace with the given OID.
func (c *Catalog) NamespaceByOID(oid OID) (*Namespace, bool) {
	n, ok := c.namespaces[oid]
	return n, ok
}

// Table returns the table with the given name in namespace ns.
func (c *Catalog) Table(ns OID, name string) (*Table, bool) {
	oid, ok := c.tabByName[nameKey{ns, name}]
	if !ok {
		return nil, false
	}
	return c.tables[oid], true
}

// TableByOID returns the table with the given OID.
func (c *Catalog) TableByOID(oid OID) (*Table, bool) {
	t, ok := c.tables[oid]
	return t, ok
}

// Tables returns the tables of namespace ns (all namespaces when ns is 0),
// ordered by name.
func (c *Catalog) Tables(ns OID) []*Table {
	var out []*Table
	for _, t := range c.tables {
		if ns == 0 || t.Namespace == ns {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Namespaces returns all namespaces ordered by name.
func (c *Catalog) Namespaces() []*Namespace {
	var out []*Namespace
	for _, n := range c.namespaces {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Objects returns every object, roles first, then namespaces, then
// tables, each group ordered by OID.
func (c *Catalog) Objects() []*Object {
	var out []*Object
	for _, r := range c.Roles() {
		out = append(out, &Object{Role: r})
	}
	nss := c.Namespaces()
	sort.Slice(nss, func(i, j int) bool { return nss[i].OID < nss[j].OID })
	for _, n := range nss {
		out = append(out, &Object{Namespace: n})
	}
	ts := c.Tables(0)
	sort.Slice(ts, func(i, j int) bool { return ts[i].OID < ts[j].OID })
	for _, t := range ts {
		out = append(out, &Object{Table: t})
	}
	return out
}

// QualifiedName returns schema.name for display.
func (c *Catalog) QualifiedName(t *Table) string {
	if n, ok := c.namespaces[t.Namespace]; ok {
		return n.Name + "." + t.Name
	}
	return t.Name
}

// NormalizeName folds an unquoted identifier as PostgreSQL does.
func NormalizeName(s string) string { return strings.ToLower(s) }
