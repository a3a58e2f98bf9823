package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// copyTable returns a deep copy of t's descriptor to modify.
func copyTable(t *catalog.Table) *catalog.Table {
	n := *t
	n.Columns = append([]catalog.Column(nil), t.Columns...)
	n.PrimaryKey = append([]int(nil), t.PrimaryKey...)
	return &n
}

func (b *binder) alterTable(as *pg_query.AlterTableStmt) Statement {
	if len(as.Cmds) == 1 && as.Cmds[0].GetAlterTableCmd().GetSubtype() == pg_query.AlterTableType_AT_ChangeOwner {
		t, sys := b.relation(as.Relation)
		if sys != nil {
			fail(sys.refuse(changeAlter))
		}
		if t.IsView() != (as.Objtype == pg_query.ObjectType_OBJECT_VIEW) && as.Objtype != pg_query.ObjectType_OBJECT_TABLE {
			failf(sqlerr.WrongObjectType, "%q is not a view", t.Name)
		}
		return b.changeOwner(t, as.Cmds[0].GetAlterTableCmd().Newowner)
	}
	if as.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		failf(sqlerr.FeatureNotSupported, "ALTER %s is not supported yet", strings.TrimPrefix(as.Objtype.String(), "OBJECT_"))
	}
	old, sys, ok := b.lookup(as.Relation.Schemaname, as.Relation.Relname)
	if sys != nil {
		fail(sys.refuse(changeAlter))
	}
	if !ok {
		if as.MissingOk {
			return &AlterTable{Skip: true, Tag: "ALTER TABLE", Notices: []string{"relation \"" + as.Relation.Relname + "\" does not exist, skipping"}}
		}
		b.relation(as.Relation) // reports the error
	}
	b.mustOwn(old)
	t := copyTable(old)
	at := &AlterTable{Table: t, Tag: "ALTER TABLE"}
	for _, c := range as.Cmds {
		cmd := c.GetAlterTableCmd()
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if t.ColumnIndex(cd.Colname) >= 0 {
				if cmd.MissingOk {
					at.Notices = append(at.Notices, "column \""+cd.Colname+"\" of relation \""+t.Name+"\" already exists, skipping")
					continue
				}
				failf(sqlerr.DuplicateColumn, "column %q of relation %q already exists", cd.Colname, t.Name)
			}
			col, pk := b.columnDef(cd)
			if pk {
				failf(sqlerr.FeatureNotSupported, "adding a PRIMARY KEY column is not supported yet")
			}
			if col.NotNull {
				at.NotNullAdded = append(at.NotNullAdded, col.Name)
			}
			t.Columns = append(t.Columns, col)
			if len(t.Columns) > 1600 {
				failf(sqlerr.ProgramLimitExceeded, "tables can have at most 1600 columns")
			}
		case pg_query.AlterTableType_AT_DropColumn:
			i := t.ColumnIndex(cmd.Name)
			if i < 0 {
				if cmd.MissingOk {
					at.Notices = append(at.Notices, "column \""+cmd.Name+"\" of relation \""+t.Name+"\" does not exist, skipping")
					continue
				}
				failf(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, t.Name)
			}
			// As in PostgreSQL, a key that involves the column goes with it.
			var pk []int
			for _, k := range t.PrimaryKey {
				if k != i {
					pk = append(pk, k)
				}
			}
			if len(pk) != len(t.PrimaryKey) {
				pk = nil // dropping a key column drops the whole key
			}
			t.PrimaryKey = pk
			// Like PostgreSQL, the dropped column keeps its slot under a name
			// no user can collide with.
			t.Columns[i] = catalog.Column{Name: "........pg.dropped." + itoa(i+1) + "........", Type: t.Columns[i].Type, Dropped: true}
		case pg_query.AlterTableType_AT_SetNotNull, pg_query.AlterTableType_AT_DropNotNull:
			i := t.ColumnIndex(cmd.Name)
			if i < 0 {
				failf(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, t.Name)
			}
			set := cmd.Subtype == pg_query.AlterTableType_AT_SetNotNull
			if set && !t.Columns[i].NotNull {
				at.NotNullAdded = append(at.NotNullAdded, cmd.Name)
			}
			if !set {
				for _, k := range t.PrimaryKey {
					if k == i {
						failf(sqlerr.InvalidTableDefinition, "column %q is in a primary key", cmd.Name)
					}
				}
			}
			t.Columns[i].NotNull = set
		default:
			failf(sqlerr.FeatureNotSupported, "ALTER TABLE %s is not supported yet", strings.TrimPrefix(cmd.Subtype.String(), "AT_"))
		}
	}
	if len(t.VisibleColumns()) == 0 {
		// PostgreSQL allows zero-column tables; Cirrus needs one column to
		// carry row counts in its files.
		failf(sqlerr.FeatureNotSupported, "dropping the last column of a table is not supported")
	}
	return at
}

func (b *binder) rename(rs *pg_query.RenameStmt) Statement {
	switch rs.RenameType {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_COLUMN:
	case pg_query.ObjectType_OBJECT_ROLE:
		return b.renameRole(rs)
	default:
		failf(sqlerr.FeatureNotSupported, "ALTER %s ... RENAME is not supported yet", strings.TrimPrefix(rs.RenameType.String(), "OBJECT_"))
	}
	old, sys, ok := b.lookup(rs.Relation.Schemaname, rs.Relation.Relname)
	if sys != nil {
		fail(sys.refuse(changeAlter))
	}
	if !ok {
		if rs.MissingOk {
			return &AlterTable{Skip: true, Tag: "ALTER TABLE", Notices: []string{"relation \"" + rs.Relation.Relname + "\" does not exist, skipping"}}
		}
		b.relation(rs.Relation) // reports the error
	}
	b.mustOwn(old)
	t := copyTable(old)
	if rs.RenameType == pg_query.ObjectType_OBJECT_TABLE {
		if _, exists := b.ctx.Catalog.Table(t.Namespace, rs.Newname); exists {
			failf(sqlerr.DuplicateTable, "relation %q already exists", rs.Newname)
		}
		t.Name = rs.Newname
		return &AlterTable{Table: t, Tag: "ALTER TABLE"}
	}
	i := t.ColumnIndex(rs.Subname)
	if i < 0 {
		failf(sqlerr.UndefinedColumn, "column %q does not exist", rs.Subname)
	}
	if t.ColumnIndex(rs.Newname) >= 0 {
		failf(sqlerr.DuplicateColumn, "column %q of relation %q already exists", rs.Newname, t.Name)
	}
	t.Columns[i].Name = rs.Newname
	return &AlterTable{Table: t, Tag: "ALTER TABLE"}
}
