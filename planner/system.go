package planner

import (
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// System relations. A system relation is a relation of the pg_catalog
// schema whose rows are not stored anywhere: the coordinator computes them
// when a statement that reads it runs (cirrus_stat_storage asks every
// participant for its counters; pg_class will list the catalog snapshot).
// The coordinator declares them (name, kind, typed columns) through
// Context.System and produces their rows for plan.SystemScan.
//
// Names resolve as in PostgreSQL: pg_catalog is searched before the search
// path's schemas unless the path lists it elsewhere, so an unqualified
// name finds the system relation even when a user table has the same name
// (public.x still finds the table). In FROM a system relation is a
// subquery-like range over a SystemScan, a coordinator-side leaf: filters
// and aggregates above it run on the coordinator, and a join that probes a
// user table with it ships its rows into the table's fragment
// (plan.InitRows; other joins gather the table's rows). It can be read
// anywhere a table can (joins, subqueries, views, INSERT … SELECT).
//
// Changing one fails with the error PostgreSQL gives for the same change
// to a relation of its kind in pg_catalog (refuse).

// SystemSchema is the schema of the system relations.
const SystemSchema = "pg_catalog"

// SystemKind is what a system relation is in PostgreSQL's terms; it
// decides the error a statement that changes it gets.
type SystemKind uint8

const (
	// SystemView is a view over server state, as PostgreSQL's pg_stat_*
	// views are.
	SystemView SystemKind = iota
	// SystemCatalog is a system catalog table, as pg_class is.
	SystemCatalog
)

// SystemRelation declares a system relation: its name in pg_catalog, its
// kind and its columns (names and types; the rows the coordinator produces
// have exactly these types).
type SystemRelation struct {
	// OID is the relation's pg_class OID (PostgreSQL's for its catalogs).
	OID catalog.OID
	// Schema is InformationSchema for the views of information_schema,
	// "" for pg_catalog.
	Schema  string
	Name    string
	Kind    SystemKind
	Columns []catalog.Column
}

// InformationSchema is the schema of the SQL standard's catalog views.
const InformationSchema = "information_schema"

// Key names a system relation uniquely: its name, qualified by its schema
// outside pg_catalog (plan.SystemScan.Relation, Context.System).
func (r *SystemRelation) Key() string {
	if r.Schema != "" {
		return r.Schema + "." + r.Name
	}
	return r.Name
}

// SchemaName returns the schema the relation is in.
func (r *SystemRelation) SchemaName() string {
	if r.Schema != "" {
		return r.Schema
	}
	return SystemSchema
}

// lookup resolves a relation name: a qualified name in its schema (system
// relations in pg_catalog), an unqualified one in pg_catalog and then the
// search path's schemas (pg_catalog at its place when the path lists it).
// One of t and sys is set when ok.
func (b *binder) lookup(schema, name string) (t *catalog.Table, sys *SystemRelation, ok bool) {
	if schema != "" {
		if ns, ok := b.ctx.Catalog.Namespace(schema); ok {
			b.needUsage(ns)
		}
		return b.lookupIn(schema, name)
	}
	path := b.searchPath()
	if !slices.Contains(path, SystemSchema) {
		path = append([]string{SystemSchema}, path...)
	}
	for _, s := range path {
		if ns, ok := b.ctx.Catalog.Namespace(s); ok && !b.usable(ns) {
			continue // the search path skips schemas without USAGE
		}
		if t, sys, ok := b.lookupIn(s, name); ok {
			return t, sys, true
		}
	}
	return nil, nil, false
}

// lookupIn finds a relation in one schema (in pg_catalog, a system
// relation or a catalog object created there before Cirrus refused it).
func (b *binder) lookupIn(schema, name string) (*catalog.Table, *SystemRelation, bool) {
	if b.ctx.System != nil {
		key := name
		if schema == InformationSchema {
			key = InformationSchema + "." + name
		}
		if schema == SystemSchema || schema == InformationSchema {
			if sys := b.ctx.System(key); sys != nil {
				return nil, sys, true
			}
		}
	}
	ns, ok := b.ctx.Catalog.Namespace(schema)
	if !ok {
		return nil, nil, false
	}
	t, ok := b.ctx.Catalog.Table(ns.OID, name)
	return t, nil, ok
}

// systemRange adds a system relation as a FROM item: a range over a
// SystemScan of all its columns.
func (b *binder) systemRange(qb *queryBlock, rv *pg_query.RangeVar, sys *SystemRelation, s *scope) *joinNode {
	alias, colAliases := rangeAliases(rv, sys.Name, len(sys.Columns))
	b.checkAlias(qb, alias)
	scan := &plan.SystemScan{Relation: sys.Key()}
	q := &Query{Plan: scan}
	for _, c := range sys.Columns {
		scan.ColTypes = append(scan.ColTypes, c.Type)
		q.Columns = append(q.Columns, OutputColumn{Name: c.Name, Type: c.Type})
	}
	r := b.addRange(qb, &rangeEntry{alias: alias, sub: q}, len(q.Columns))
	for i, c := range q.Columns {
		name := c.Name
		if i < len(colAliases) {
			name = colAliases[i]
		}
		s.cols = append(s.cols, scopeCol{id: r.ids[i], rel: alias, name: name, typ: c.Type})
	}
	b.addTableOID(s, alias, sys.OID)
	return &joinNode{rng: len(qb.ranges) - 1}
}

// addTableOID adds the system column tableoid of a FROM item over the
// relation with OID oid: a constant, hidden from *.
func (b *binder) addTableOID(s *scope, alias string, oid catalog.OID) {
	s.cols = append(s.cols, scopeCol{id: b.newIDs(1)[0], rel: alias, name: "tableoid", typ: catalog.TypeOid, hidden: true,
		expr: plan.ConstOf(catalog.TypeOid, plan.Datum{I: int64(oid)})})
}

// readsSystem reports whether a plan reads a system relation or runs
// set-returning functions (which only the coordinator runs).
func readsSystem(n plan.Node) bool {
	switch n.(type) {
	case *plan.SystemScan, *plan.ProjectSet:
		return true
	}
	for _, c := range plan.Children(n) {
		if readsSystem(c) {
			return true
		}
	}
	return false
}

// change is a statement that changes a relation, for the error a system
// relation gives it.
type change uint8

const (
	changeInsert change = iota
	changeUpdate
	changeDelete
	changeCopy // COPY FROM
	changeAlter
	changeDropTable
	changeDropView
)

// changePrivilege is the table privilege each change needs.
var changePrivilege = map[change]catalog.Privileges{
	changeInsert: catalog.PrivInsert,
	changeUpdate: catalog.PrivUpdate,
	changeDelete: catalog.PrivDelete,
	changeCopy:   catalog.PrivInsert,
}

// viewChanges are PostgreSQL's words for INSERT, UPDATE and DELETE on a
// view it cannot update automatically (rewriteHandler.c).
var viewChanges = map[change]struct{ msg, hint string }{
	changeInsert: {"cannot insert into view %q", "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule."},
	changeUpdate: {"cannot update view %q", "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule."},
	changeDelete: {"cannot delete from view %q", "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule."},
}

// refuse returns PostgreSQL 15's error for change c on r. Cirrus sessions
// may change every user object, as a superuser may, but system relations
// belong to the system: where PostgreSQL lets a superuser change a
// pg_catalog relation (drop or alter a view, write into a catalog table)
// the error is the one a user who does not own it gets.
func (r *SystemRelation) refuse(c change) error {
	if r.Kind == SystemCatalog {
		switch c {
		case changeDropView:
			return sqlerr.Errorf(sqlerr.WrongObjectType, "%q is not a view", r.Name).WithHint("Use DROP TABLE to remove a table.")
		case changeDropTable, changeAlter:
			return sqlerr.Errorf(sqlerr.InsufficientPrivilege, "must be owner of table %s", r.Name)
		}
		return sqlerr.Errorf(sqlerr.InsufficientPrivilege, "permission denied for table %s", r.Name)
	}
	switch c {
	case changeInsert, changeUpdate, changeDelete:
		w := viewChanges[c]
		return sqlerr.Errorf(sqlerr.ObjectNotInPrerequisiteState, w.msg, r.Name).
			WithDetail("Views that do not select from a single table or view are not automatically updatable.").WithHint(w.hint)
	case changeCopy:
		return sqlerr.Errorf(sqlerr.WrongObjectType, "cannot copy to view %q", r.Name).WithHint("To enable copying to a view, provide an INSTEAD OF INSERT trigger.")
	case changeDropTable:
		return sqlerr.Errorf(sqlerr.WrongObjectType, "%q is not a table", r.Name).WithHint("Use DROP VIEW to remove a view.")
	}
	return sqlerr.Errorf(sqlerr.InsufficientPrivilege, "must be owner of view %s", r.Name)
}

// checkSchemaName refuses a new schema named like a system schema.
func checkSchemaName(name string) {
	if strings.HasPrefix(name, "pg_") {
		fail(sqlerr.Errorf(sqlerr.ReservedName, "unacceptable schema name %q", name).WithDetail(`The prefix "pg_" is reserved for system schemas.`))
	}
}
