package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// DELETE and UPDATE are bound as queries over the target table that return
// the row identity of every row to change (the hidden system column ctid,
// see plan.RowID), so that WHERE, USING and FROM can be anything a SELECT
// can: the coordinator runs the query, then rewrites only the data files
// that hold those rows.
//
//	DELETE FROM t [AS a] [USING l] [WHERE c]
//	  →  SELECT a.ctid FROM t AS a [, l] [WHERE c]
//	UPDATE t [AS a] SET x = e [, ...] [FROM l] [WHERE c]
//	  →  SELECT a.ctid, <every column of t, x replaced by e> FROM t AS a [, l] [WHERE c]
//
// A row that joins more than once comes back more than once; the
// coordinator acts on each ctid once (for UPDATE, with one arbitrary match,
// as PostgreSQL does).

// Delete deletes the rows whose ctid Query's single output column returns.
type Delete struct {
	Table *catalog.Table
	Query plan.Node
}

// Update replaces rows: Query returns each changed row's ctid, then its new
// value of every column of Table (Table.Columns order, dropped columns
// NULL), already converted to the column types.
type Update struct {
	Table *catalog.Table
	Query plan.Node
}

func (*Delete) stmt() {}
func (*Update) stmt() {}

// ctidName is the name of the row identity system column.
const ctidName = "ctid"

func (b *binder) deleteStmt(ds *pg_query.DeleteStmt) Statement {
	if ds.WithClause != nil {
		failf(sqlerr.FeatureNotSupported, "WITH is not supported in DELETE yet")
	}
	if len(ds.ReturningList) > 0 {
		failf(sqlerr.FeatureNotSupported, "DELETE ... RETURNING is not supported yet")
	}
	t := b.table(ds.Relation, changeDelete)
	if ds.WhereClause != nil {
		b.targetPriv = catalog.PrivSelect
	}
	alias := dmlAlias(ds.Relation, t)
	sel := &pg_query.SelectStmt{
		Op:          pg_query.SetOperation_SETOP_NONE,
		TargetList:  []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(columnRefNode(alias, ctidName), -1)},
		FromClause:  append([]*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: ds.Relation}}}, ds.UsingClause...),
		WhereClause: ds.WhereClause,
	}
	q := b.dmlQuery(sel, []catalog.Type{catalog.TypeInt8})
	return &Delete{Table: t, Query: b.top(q).Plan}
}

func (b *binder) updateStmt(us *pg_query.UpdateStmt) Statement {
	if us.WithClause != nil {
		failf(sqlerr.FeatureNotSupported, "WITH is not supported in UPDATE yet")
	}
	if len(us.ReturningList) > 0 {
		failf(sqlerr.FeatureNotSupported, "UPDATE ... RETURNING is not supported yet")
	}
	t := b.table(us.Relation, changeUpdate)
	if us.WhereClause != nil || len(us.FromClause) > 0 {
		b.targetPriv = catalog.PrivSelect
	}
	alias := dmlAlias(us.Relation, t)
	// SET: one new value per column.
	set := map[int]*pg_query.Node{}
	for _, n := range us.TargetList {
		rt := n.GetResTarget()
		if rt == nil {
			failf(sqlerr.FeatureNotSupported, "this form of SET is not supported yet")
		}
		if _, multi := rt.Val.Node.(*pg_query.Node_MultiAssignRef); multi {
			failf(sqlerr.FeatureNotSupported, "multiple-column assignment in UPDATE is not supported yet")
		}
		if len(rt.Indirection) > 0 {
			failf(sqlerr.FeatureNotSupported, "assignment to a field or element of column %q is not supported", rt.Name)
		}
		i := t.ColumnIndex(rt.Name)
		if i < 0 {
			failf(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
		}
		if _, dup := set[i]; dup {
			failf(sqlerr.SyntaxError, "multiple assignments to same column %q", rt.Name)
		}
		val := rt.Val
		if _, isDefault := val.Node.(*pg_query.Node_SetToDefault); isDefault {
			val = nullConstNode() // columns have no defaults: DEFAULT is NULL
		}
		set[i] = val
	}
	targets := []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(columnRefNode(alias, ctidName), -1)}
	types := []catalog.Type{catalog.TypeInt8}
	for i, c := range t.Columns {
		var val *pg_query.Node
		switch {
		case c.Dropped:
			val = nullConstNode()
		case set[i] != nil:
			val = set[i]
		default:
			val = columnRefNode(alias, c.Name)
		}
		targets = append(targets, pg_query.MakeResTargetNodeWithVal(val, -1))
		types = append(types, c.Type)
	}
	sel := &pg_query.SelectStmt{
		Op:          pg_query.SetOperation_SETOP_NONE,
		TargetList:  targets,
		FromClause:  append([]*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: us.Relation}}}, us.FromClause...),
		WhereClause: us.WhereClause,
	}
	q := b.dmlQuery(sel, types)
	// Assignment casts to the column types, as INSERT does.
	src := q.Plan
	exprs := make([]*plan.Expr, len(types))
	needProject := false
	for i, st := range src.Types() {
		e := plan.Col(i, st)
		exprs[i] = e
		if i > 0 {
			c := t.Columns[i-1]
			exprs[i] = assignCast(e, c.Type, c.Name)
		}
		if exprs[i] != e {
			needProject = true
		}
	}
	if needProject {
		q.Plan = &plan.Project{Input: src, Exprs: exprs}
	}
	return &Update{Table: t, Query: b.top(q).Plan}
}

// dmlQuery binds the query of a DELETE or UPDATE: its first FROM item, the
// target table, has the ctid column; hints type the untyped outputs. The
// caller distributes it (top).
func (b *binder) dmlQuery(sel *pg_query.SelectStmt, hints []catalog.Type) *Query {
	b.rowID = true
	b.targetHints = hints
	q := b.query(sel, nil)
	b.targetHints = nil
	if b.rowID {
		failf(sqlerr.Internal, "planner: DML target has no row identity")
	}
	return q
}

// addRowID gives the FROM item r, a base table, the hidden column ctid
// when the binder asks for it (the target of a DELETE or UPDATE, which is
// the first FROM item bound): its id follows those of the table's columns
// in r.ids, and buildRange scans it as plan.RowID. `*` does not show it.
func (b *binder) addRowID(qb *queryBlock, r *rangeEntry, s *scope) {
	if !b.rowID {
		return
	}
	b.rowID = false
	id := b.newIDs(1)[0]
	r.ids = append(r.ids, id)
	s.cols = append(s.cols, scopeCol{id: id, rel: r.alias, name: ctidName, typ: catalog.TypeInt8, hidden: true})
}

// scanColumn is the Scan column for column k of a base table's FROM item:
// k itself, or plan.RowID for the ctid column after the table's columns.
func scanColumn(t *catalog.Table, k int) int {
	if k >= len(t.Columns) {
		return plan.RowID
	}
	return k
}

// dmlAlias is the name the target table goes by in the statement.
func dmlAlias(rv *pg_query.RangeVar, t *catalog.Table) string {
	if t.ColumnIndex(ctidName) >= 0 {
		// PostgreSQL does not allow such a column; Cirrus does not stop it
		// being created yet.
		failf(sqlerr.FeatureNotSupported, "DELETE and UPDATE of a table with a column named %q are not supported", ctidName)
	}
	if rv.Alias != nil {
		if len(rv.Alias.Colnames) > 0 {
			failf(sqlerr.SyntaxError, "column aliases are not allowed on the target of DELETE or UPDATE")
		}
		return rv.Alias.Aliasname
	}
	return t.Name
}

func columnRefNode(rel, name string) *pg_query.Node {
	return pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(rel), pg_query.MakeStrNode(name)}, -1)
}

func nullConstNode() *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true}}}
}
