package planner

import (
	"cmp"
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Views are stored as their SELECT's text (deparsed by the PostgreSQL
// parser, so it is normalised) and bound afresh, as a subquery, wherever
// they are used; their columns are recorded at creation.

func (b *binder) createView(vs *pg_query.ViewStmt) Statement {
	if vs.View.Relpersistence == "t" {
		failf(sqlerr.FeatureNotSupported, "temporary views are not supported yet")
	}
	if vs.WithCheckOption != pg_query.ViewCheckOption_NO_CHECK_OPTION {
		failf(sqlerr.FeatureNotSupported, "WITH CHECK OPTION is not supported")
	}
	sel := vs.Query.GetSelectStmt()
	if sel == nil {
		failf(sqlerr.FeatureNotSupported, "view query form not supported")
	}
	q := b.child().query(sel, nil)
	text, err := pg_query.Deparse(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: vs.Query}}})
	if err != nil {
		failf(sqlerr.Internal, "planner: cannot deparse view query: %v", err)
	}
	if len(vs.Aliases) > len(q.Columns) {
		failf(sqlerr.SyntaxError, "CREATE VIEW specifies more column names than columns")
	}
	ns := b.namespaceFor(vs.View.Schemaname)
	ct := &CreateTable{Namespace: ns.OID, Name: vs.View.Relname, ViewQuery: text, Owner: b.owner()}
	seen := map[string]bool{}
	for i, c := range q.Columns {
		name := c.Name
		if i < len(vs.Aliases) {
			name = vs.Aliases[i].GetString_().Sval
		}
		if seen[name] {
			failf(sqlerr.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		if c.Type.Kind == catalog.Unknown {
			c.Type = catalog.TypeText
		}
		ct.Columns = append(ct.Columns, catalog.Column{Name: name, Type: c.Type})
	}
	if old, exists := b.ctx.Catalog.Table(ns.OID, ct.Name); exists {
		if !vs.Replace || !old.IsView() {
			if vs.Replace {
				failf(sqlerr.WrongObjectType, "%q is not a view", ct.Name)
			}
			failf(sqlerr.DuplicateTable, "relation %q already exists", ct.Name)
		}
		// As PostgreSQL: a replacement may add columns at the end only.
		if len(ct.Columns) < len(old.Columns) {
			failf(sqlerr.InvalidTableDefinition, "cannot drop columns from view")
		}
		for i, c := range old.Columns {
			if ct.Columns[i].Name != c.Name {
				failf(sqlerr.InvalidTableDefinition, "cannot change name of view column %q to %q", c.Name, ct.Columns[i].Name)
			}
			if ct.Columns[i].Type != c.Type {
				failf(sqlerr.InvalidTableDefinition, "cannot change data type of view column %q from %s to %s", c.Name, c.Type, ct.Columns[i].Type)
			}
		}
		b.mustOwn(old)
		ct.Replaces = old
	}
	return ct
}

// viewRange binds a view used as a FROM item.
func (b *binder) viewRange(qb *queryBlock, rv *pg_query.RangeVar, t *catalog.Table, s *scope) *joinNode {
	tree, err := pg_query.Parse(t.ViewQuery)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		failf(sqlerr.Internal, "planner: view %q has an unreadable query", t.Name)
	}
	// The view's query runs with its owner's privileges, as in PostgreSQL.
	cb := &binder{ctx: b.ctx, ids: b.ids, perms: b.perms}
	if b.role != 0 {
		cb.role = t.Owner()
	}
	sub := cb.query(tree.Stmts[0].Stmt.GetSelectStmt(), nil)
	if len(sub.Columns) < len(t.Columns) {
		failf(sqlerr.UndefinedColumn, "view %q no longer matches its definition", t.Name)
	}
	b.reference(t.OID, 0)
	alias, colAliases := rangeAliases(rv, t.Name, len(t.Columns))
	b.checkAlias(qb, alias)
	r := b.addRange(qb, &rangeEntry{alias: alias, sub: sub}, len(sub.Columns))
	for i, c := range t.Columns {
		name := c.Name
		if i < len(colAliases) {
			name = colAliases[i]
		}
		typ := sub.Columns[i].Type
		// The view itself is the origin of its columns, as in PostgreSQL.
		s.cols = append(s.cols, scopeCol{id: r.ids[i], rel: alias, name: name, typ: typ, tableOID: t.OID, attnum: int16(i + 1)})
	}
	return &joinNode{rng: len(qb.ranges) - 1}
}

// Reference is a relation (Attnum 0) or a column a view's query reads,
// as PostgreSQL records it in pg_depend for the view's rule.
type Reference struct {
	Table  catalog.OID
	Attnum int16
}

// reference notes that the query reads column attnum of relation table
// (the whole relation when 0; nothing when table is 0, a column of no
// relation).
func (b *binder) reference(table catalog.OID, attnum int16) {
	if b.refs != nil && table != 0 {
		b.refs[Reference{table, attnum}] = true
	}
}

// ViewReferences binds view t's query in ctx and returns the relations
// and columns it reads directly, ordered, as PostgreSQL's
// recordDependencyOnExpr does for the view's _RETURN rule: the columns of
// the tables and views in its FROM lists, and a relation as a whole only
// where none of its columns is read (SELECT count(*) FROM t); system
// columns are left out. The views it
// reads count, not the relations those read.
func ViewReferences(ctx *Context, t *catalog.Table) (refs []Reference, err error) {
	defer func() {
		if r := recover(); r != nil {
			be, ok := r.(bindError)
			if !ok {
				panic(r)
			}
			refs, err = nil, be.err
		}
	}()
	tree, err := pg_query.Parse(t.ViewQuery)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, sqlerr.Errorf(sqlerr.Internal, "planner: view %q has an unreadable query", t.Name)
	}
	b := &binder{ctx: ctx, ids: new(int), perms: new([]access), fields: map[*plan.Expr][]OutputColumn{}, refs: map[Reference]bool{}}
	b.query(tree.Stmts[0].Stmt.GetSelectStmt(), nil)
	columns := map[catalog.OID]bool{}
	for r := range b.refs {
		if r.Attnum > 0 {
			columns[r.Table] = true
		}
	}
	for r := range b.refs {
		if r.Attnum > 0 || r.Attnum == 0 && !columns[r.Table] {
			refs = append(refs, r)
		}
	}
	slices.SortFunc(refs, func(a, b Reference) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Attnum, b.Attnum))
	})
	return refs, nil
}
