package planner

import (
	"time"

	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"
	pgparser "github.com/pganalyze/pg_query_go/v5/parser"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Parsed is one parsed statement with its text.
type Parsed struct {
	SQL  string
	Stmt *pg_query.Node
}

// Parse parses sql into its statements (42601 on a syntax error).
func Parse(sql string) ([]Parsed, error) {
	res, err := pg_query.Parse(sql)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]Parsed, 0, len(res.Stmts))
	for _, rs := range res.Stmts {
		start := int(rs.StmtLocation)
		end := len(sql)
		if rs.StmtLen > 0 {
			end = start + int(rs.StmtLen)
		}
		out = append(out, Parsed{SQL: strings.TrimSpace(sql[start:end]), Stmt: rs.Stmt})
	}
	return out, nil
}

func syntaxError(err error) error {
	var pe *pgparser.Error
	if errors.As(err, &pe) {
		e := sqlerr.New(sqlerr.SyntaxError, pe.Message)
		e.Position = int32(pe.Cursorpos)
		return e
	}
	return sqlerr.Wrap(err, sqlerr.SyntaxError, "")
}

// Params are a statement's $n parameters. At Prepare, Values is nil and the
// planner infers Types (unknown ones from context, else text); at Execute,
// Values holds the bound values, substituted as constants.
type Params struct {
	Types  []catalog.Type
	Values []plan.Datum
}

func (p *Params) typeOf(n int, hint catalog.Type) (catalog.Type, error) {
	if n < 1 || n > 65535 {
		return catalog.Type{}, sqlerr.Errorf(sqlerr.UndefinedParameter, "there is no parameter $%d", n)
	}
	for len(p.Types) < n {
		p.Types = append(p.Types, catalog.TypeUnknown)
	}
	if p.Types[n-1].Kind == catalog.Unknown && hint.Kind != catalog.Unknown {
		p.Types[n-1] = hint
	}
	return p.Types[n-1], nil
}

// Context is what binding needs from the session.
type Context struct {
	Catalog    *catalog.Catalog
	SearchPath []string
	Params     *Params
	// System returns the system relation of pg_catalog with the given name
	// (such as cirrus_stat_storage; see system.go), nil if there is none;
	// a nil System declares none.
	System func(name string) *SystemRelation
	// Stats returns what is known of a table's data, for join ordering;
	// nil (or a nil result) when nothing is.
	Stats func(t *catalog.Table) *TableStats
	// BroadcastRows is the largest estimated join build side every
	// participant reads whole; larger ones are repartitioned (0: default).
	BroadcastRows float64
	// ColocateRows is the smallest estimated build side that a join
	// divides by key ranges rather than broadcasting (0: default; negative:
	// always when possible).
	ColocateRows float64
	// Now is the statement's start (statement_timestamp()) and TxnStart
	// its transaction's (now(), current_timestamp, current_date); either
	// is set when first needed when zero.
	Now, TxnStart time.Time
	// TimeZone and DateStyle are the session's settings, as SHOW prints
	// them (empty: the defaults); expressions that depend on them carry
	// them (plan.Expr.DT).
	TimeZone, DateStyle string
	// Info is what catalog functions need of the session (pgcatalog.go);
	// nil: nothing beyond the catalog.
	Info *CatalogInfo
	// Role is the current role (current_user), whose privileges the
	// statement is checked against (see privileges.go); 0 binds without
	// privilege checks. SessionUser is session_user.
	Role, SessionUser catalog.OID
	// AuthenticatedUser is the role the session logged in as (SET SESSION
	// AUTHORIZATION needs it to be a superuser).
	AuthenticatedUser catalog.OID
	// Database is the session's database (current_database()).
	Database string

	dt *plan.DateTime // TimeZone and DateStyle, once an expression needs them
}

// Bind binds one parsed statement.
func Bind(ctx *Context, p Parsed) (st Statement, err error) {
	if ctx.Params == nil {
		ctx.Params = &Params{}
	}
	defer func() {
		if r := recover(); r != nil {
			be, ok := r.(bindError)
			if !ok {
				panic(r)
			}
			st, err = nil, be.err
		}
	}()
	b := &binder{ctx: ctx, ids: new(int), role: ctx.Role, perms: new([]access), fields: map[*plan.Expr][]OutputColumn{}}
	st = b.statement(p.Stmt)
	stampDateTime(st, b.dt())
	if err := checkAccess(ctx.Catalog, *b.perms); err != nil {
		return nil, err
	}
	// Parameters nobody typed default to text, as PostgreSQL's unknown does.
	for i, t := range ctx.Params.Types {
		if t.Kind == catalog.Unknown {
			ctx.Params.Types[i] = catalog.TypeText
		}
	}
	return st, nil
}

// RegIn is the input function of reg* type t (regclassin, regtypein, …):
// the OID that s, a name or a number, stands for in ctx's catalog.
func RegIn(ctx *Context, t catalog.Type, s string) (oid int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			be, ok := r.(bindError)
			if !ok {
				panic(r)
			}
			err = be.err
		}
	}()
	b := &binder{ctx: ctx, ids: new(int), role: ctx.Role, perms: new([]access)}
	return b.regConst(plan.ConstOf(catalog.TypeText, plan.Datum{S: s}), t).Value.I, nil
}

// bindError carries a user error out of the recursive binder; Bind recovers
// it. Nothing else is recovered.
type bindError struct{ err error }

func fail(err error) { panic(bindError{err}) }

func failf(code, format string, args ...any) { fail(sqlerr.Errorf(code, format, args...)) }

type binder struct {
	ctx *Context
	// fields are the fields of the record-valued expressions bound so far
	// (shared by the statement's blocks, like ids).
	fields map[*plan.Expr][]OutputColumn
	// targetHints type the untyped outputs of the top query of an INSERT.
	targetHints []catalog.Type
	// ids allocates global column ids, shared by every query block of the
	// statement so that a correlated reference names one column.
	ids *int
	// ctes are the WITH queries visible here, innermost last.
	ctes []*cte
	// qb is the query block being bound; subqueries in its WHERE clause
	// and expressions join it.
	qb *queryBlock
	// corr is set while binding a subquery that may reference columns of
	// enclosing blocks; see subquery.go.
	corr *correlation
	// rowID asks for the hidden column ctid on the next base table bound
	// (the target of a DELETE or UPDATE; see dml.go).
	rowID bool
	// keepUnknown leaves untyped literal outputs untyped (a set operation's
	// branches: their type comes from the other branch).
	keepUnknown bool
	// role is the role privileges are checked as: the current role, or a
	// view's owner inside the view's query; 0 for no checks. perms collects
	// the table privileges the statement needs (privileges.go).
	role  catalog.OID
	perms *[]access
	// refs, when set, collects the relations and columns the statement's
	// own query references (views.go's ViewReferences; a view used in it
	// counts, not what the view reads).
	refs map[Reference]bool
	// targetPriv is what the FROM entry of a DELETE's or UPDATE's own
	// target needs: SELECT when the statement reads its columns.
	targetPriv catalog.Privileges
}

// child returns a binder for a nested query block.
func (b *binder) child() *binder {
	return &binder{ctx: b.ctx, ids: b.ids, ctes: b.ctes, role: b.role, perms: b.perms, fields: b.fields, refs: b.refs}
}

func (b *binder) statement(n *pg_query.Node) Statement {
	switch s := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		return b.regOutput(b.top(b.query(s.SelectStmt, nil)))
	case *pg_query.Node_ExplainStmt:
		q, ok := b.statement(s.ExplainStmt.Query).(*Query)
		if !ok {
			failf(sqlerr.FeatureNotSupported, "EXPLAIN is only supported for queries")
		}
		return &Explain{Query: q}
	case *pg_query.Node_CreateStmt:
		return b.createTable(s.CreateStmt)
	case *pg_query.Node_ViewStmt:
		return b.createView(s.ViewStmt)
	case *pg_query.Node_DropStmt:
		return b.drop(s.DropStmt)
	case *pg_query.Node_CreateSchemaStmt:
		cs := s.CreateSchemaStmt
		if cs.Schemaname == "" {
			failf(sqlerr.FeatureNotSupported, "CREATE SCHEMA AUTHORIZATION is not supported yet")
		}
		if len(cs.SchemaElts) > 0 {
			failf(sqlerr.FeatureNotSupported, "CREATE SCHEMA with elements is not supported")
		}
		checkSchemaName(cs.Schemaname)
		if b.checking() && b.ctx.Catalog.DatabasePrivileges(b.role)&catalog.PrivCreate == 0 {
			failf(sqlerr.InsufficientPrivilege, "permission denied for database %s", b.ctx.Database)
		}
		_, exists := b.ctx.Catalog.Namespace(cs.Schemaname)
		if exists && !cs.IfNotExists {
			failf(sqlerr.DuplicateSchema, "schema %q already exists", cs.Schemaname)
		}
		return &CreateSchema{Name: cs.Schemaname, IfNotExists: cs.IfNotExists, Exists: exists, Owner: b.owner()}
	case *pg_query.Node_InsertStmt:
		return b.insert(s.InsertStmt)
	case *pg_query.Node_DeleteStmt:
		return b.deleteStmt(s.DeleteStmt)
	case *pg_query.Node_UpdateStmt:
		return b.updateStmt(s.UpdateStmt)
	case *pg_query.Node_AlterTableStmt:
		return b.alterTable(s.AlterTableStmt)
	case *pg_query.Node_RenameStmt:
		return b.rename(s.RenameStmt)
	case *pg_query.Node_CopyStmt:
		return b.copy(s.CopyStmt)
	case *pg_query.Node_DeclareCursorStmt:
		return b.declareCursor(s.DeclareCursorStmt)
	case *pg_query.Node_FetchStmt:
		return b.fetch(s.FetchStmt)
	case *pg_query.Node_ClosePortalStmt:
		return &CloseCursor{Name: s.ClosePortalStmt.Portalname}
	case *pg_query.Node_TransactionStmt:
		switch s.TransactionStmt.Kind {
		case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
			return &Txn{Kind: TxnBegin, Settings: setItems(s.TransactionStmt.Options),
				Start: s.TransactionStmt.Kind == pg_query.TransactionStmtKind_TRANS_STMT_START}
		case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
			return &Txn{Kind: TxnCommit}
		case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
			return &Txn{Kind: TxnRollback}
		case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
			return &Txn{Kind: TxnSavepoint, Savepoint: s.TransactionStmt.SavepointName}
		case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
			return &Txn{Kind: TxnRelease, Savepoint: s.TransactionStmt.SavepointName}
		case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
			return &Txn{Kind: TxnRollbackTo, Savepoint: s.TransactionStmt.SavepointName}
		}
		failf(sqlerr.FeatureNotSupported, "prepared transactions are not supported")
	case *pg_query.Node_VariableSetStmt:
		switch strings.ToLower(s.VariableSetStmt.Name) {
		case "role":
			return b.setRole(s.VariableSetStmt, false)
		case "session_authorization":
			return b.setRole(s.VariableSetStmt, true)
		}
		return b.set(s.VariableSetStmt)
	case *pg_query.Node_CreateRoleStmt:
		return b.createRole(s.CreateRoleStmt)
	case *pg_query.Node_AlterRoleStmt:
		return b.alterRole(s.AlterRoleStmt)
	case *pg_query.Node_DropRoleStmt:
		return b.dropRole(s.DropRoleStmt)
	case *pg_query.Node_GrantRoleStmt:
		return b.grantRole(s.GrantRoleStmt)
	case *pg_query.Node_GrantStmt:
		return b.grant(s.GrantStmt)
	case *pg_query.Node_AlterOwnerStmt:
		return b.changeSchemaOwner(s.AlterOwnerStmt)
	case *pg_query.Node_VariableShowStmt:
		return &Show{Name: strings.ToLower(s.VariableShowStmt.Name)}
	case *pg_query.Node_DeallocateStmt:
		return &Deallocate{Name: s.DeallocateStmt.Name, All: s.DeallocateStmt.Name == ""}
	}
	failf(sqlerr.FeatureNotSupported, "statement not supported yet: %s", stmtName(n))
	return nil
}

func stmtName(n *pg_query.Node) string {
	name := fmt.Sprintf("%T", n.Node)
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	return name
}

func (b *binder) set(s *pg_query.VariableSetStmt) Statement {
	name := strings.ToLower(s.Name)
	switch s.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		var vals []string
		for _, a := range s.Args {
			if tc := a.GetTypeCast(); tc != nil && name == "timezone" && isIntervalType(tc.TypeName) {
				// SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE.
				vals = append(vals, intervalZone(b.intervalCast(tc, &scope{})))
				continue
			}
			c, ok := a.Node.(*pg_query.Node_AConst)
			if !ok {
				failf(sqlerr.SyntaxError, "invalid value for SET %s", name)
			}
			v := constText(c.AConst)
			if name == "search_path" {
				// A list of names (GUC_LIST_QUOTE): each shown as an
				// identifier, quoted when it needs to be.
				v = pgcat.QuoteIdent(v)
			}
			vals = append(vals, v)
		}
		return &Set{Name: name, Value: strings.Join(vals, ", "), Local: s.IsLocal}
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		return &Set{Name: name, Reset: true, Default: s.Kind == pg_query.VariableSetKind_VAR_SET_DEFAULT, Local: s.IsLocal}
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		return &Set{Name: "all", Reset: true}
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION / SESSION CHARACTERISTICS AS TRANSACTION.
		return &Set{Name: name, Items: setItems(s.Args), Local: s.IsLocal}
	}
	failf(sqlerr.FeatureNotSupported, "SET form not supported")
	return nil
}

// setItems reads transaction modes (DefElems with constant values).
func setItems(opts []*pg_query.Node) []SetItem {
	var items []SetItem
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		v := ""
		if c := d.Arg.GetAConst(); c != nil {
			v = constText(c)
			if _, isInt := c.Val.(*pg_query.A_Const_Ival); isInt {
				v = map[string]string{"0": "off", "1": "on"}[v]
			}
		}
		items = append(items, SetItem{Name: d.Defname, Value: v})
	}
	return items
}

func constText(c *pg_query.A_Const) string {
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return fmt.Sprint(v.Ival.Ival)
	case *pg_query.A_Const_Fval:
		return v.Fval.Fval
	case *pg_query.A_Const_Sval:
		return v.Sval.Sval
	case *pg_query.A_Const_Boolval:
		if v.Boolval.Boolval {
			return "on"
		}
		return "off"
	}
	return ""
}

// namespaceFor resolves the schema a new object goes into. pg_catalog
// holds only system relations: creating in it is refused as PostgreSQL
// refuses it to a user who does not own it.
func (b *binder) namespaceFor(schema string) *catalog.Namespace {
	if schema == SystemSchema {
		failf(sqlerr.InsufficientPrivilege, "permission denied for schema %s", SystemSchema)
	}
	if schema != "" {
		ns, ok := b.ctx.Catalog.Namespace(schema)
		if !ok {
			failf(sqlerr.UndefinedSchema, "schema %q does not exist", schema)
		}
		b.needUsage(ns)
		b.needCreate(ns)
		return ns
	}
	for _, s := range b.searchPath() {
		if s == SystemSchema {
			failf(sqlerr.InsufficientPrivilege, "permission denied for schema %s", SystemSchema)
		}
		if ns, ok := b.ctx.Catalog.Namespace(s); ok && b.usable(ns) {
			b.needCreate(ns)
			return ns
		}
	}
	failf(sqlerr.UndefinedSchema, "no schema has been selected to create in")
	return nil
}

func (b *binder) searchPath() []string {
	if len(b.ctx.SearchPath) == 0 {
		return []string{"public"}
	}
	return b.ctx.SearchPath
}

// table resolves a table that statement c writes or alters (not a view,
// nor a system relation).
func (b *binder) table(rv *pg_query.RangeVar, c change) *catalog.Table {
	t, sys := b.relation(rv)
	if sys != nil {
		fail(sys.refuse(c))
	}
	if t.IsView() {
		failf(sqlerr.WrongObjectType, "%q is a view", t.Name)
	}
	b.require(t, changePrivilege[c])
	return t
}

// relation resolves a table, view or system relation: one of t and sys is
// set.
func (b *binder) relation(rv *pg_query.RangeVar) (t *catalog.Table, sys *SystemRelation) {
	t, sys, ok := b.lookup(rv.Schemaname, rv.Relname)
	if !ok {
		if rv.Schemaname != "" {
			failf(sqlerr.UndefinedTable, "relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname)
		}
		failf(sqlerr.UndefinedTable, "relation %q does not exist", rv.Relname)
	}
	return t, sys
}

func (b *binder) createTable(cs *pg_query.CreateStmt) Statement {
	if cs.Relation.Relpersistence == "t" {
		failf(sqlerr.FeatureNotSupported, "temporary tables are not supported yet")
	}
	if len(cs.InhRelations) > 0 || cs.Partspec != nil || cs.OfTypename != nil {
		failf(sqlerr.FeatureNotSupported, "inheritance, partitioning and typed tables are not supported")
	}
	ns := b.namespaceFor(cs.Relation.Schemaname)
	ct := &CreateTable{Namespace: ns.OID, Name: cs.Relation.Relname, IfNotExists: cs.IfNotExists, Owner: b.owner()}
	if _, exists := b.ctx.Catalog.Table(ns.OID, ct.Name); exists {
		if !cs.IfNotExists {
			failf(sqlerr.DuplicateTable, "relation %q already exists", ct.Name)
		}
		ct.Exists = true
		return ct
	}
	var pkNames []string
	for _, elt := range cs.TableElts {
		switch e := elt.Node.(type) {
		case *pg_query.Node_ColumnDef:
			cd := e.ColumnDef
			for _, c := range ct.Columns {
				if c.Name == cd.Colname {
					failf(sqlerr.DuplicateColumn, "column %q specified more than once", cd.Colname)
				}
			}
			col, pk := b.columnDef(cd)
			if pk {
				pkNames = append(pkNames, cd.Colname)
			}
			ct.Columns = append(ct.Columns, col)
		case *pg_query.Node_Constraint:
			c := e.Constraint
			if c.Contype != pg_query.ConstrType_CONSTR_PRIMARY {
				failf(sqlerr.FeatureNotSupported, "table constraint %s is not supported yet",
					strings.TrimPrefix(c.Contype.String(), "CONSTR_"))
			}
			if len(pkNames) > 0 {
				failf(sqlerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", ct.Name)
			}
			for _, k := range c.Keys {
				pkNames = append(pkNames, k.GetString_().Sval)
			}
		default:
			failf(sqlerr.FeatureNotSupported, "table element not supported: %T", elt.Node)
		}
	}
	for _, name := range pkNames {
		i := -1
		for j, c := range ct.Columns {
			if c.Name == name {
				i = j
			}
		}
		if i < 0 {
			failf(sqlerr.UndefinedColumn, "column %q named in key does not exist", name)
		}
		ct.Columns[i].NotNull = true
		ct.PrimaryKey = append(ct.PrimaryKey, i)
	}
	if len(ct.Columns) > 1600 {
		failf(sqlerr.ProgramLimitExceeded, "tables can have at most 1600 columns")
	}
	return ct
}

// columnDef binds a column definition; pk reports PRIMARY KEY on it.
func (b *binder) columnDef(cd *pg_query.ColumnDef) (col catalog.Column, pk bool) {
	col = catalog.Column{Name: cd.Colname, Type: b.typeName(cd.TypeName, true), NotNull: cd.IsNotNull}
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		if c == nil {
			continue
		}
		switch c.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_NULL:
		case pg_query.ConstrType_CONSTR_PRIMARY:
			col.NotNull = true
			pk = true
		default:
			failf(sqlerr.FeatureNotSupported, "column constraint %s is not supported yet",
				strings.TrimPrefix(c.Contype.String(), "CONSTR_"))
		}
	}
	return col, pk
}

// typeName resolves a type name. forColumn rejects types a table cannot store yet.
func (b *binder) typeName(tn *pg_query.TypeName, forColumn bool) catalog.Type {
	if len(tn.ArrayBounds) > 0 {
		if forColumn {
			failf(sqlerr.FeatureNotSupported, "array columns are not supported yet")
		}
		elem := &pg_query.TypeName{Names: tn.Names, Typmods: tn.Typmods}
		et := b.typeName(elem, false)
		if et.IsArray() || et.Kind == catalog.Interval {
			failf(sqlerr.FeatureNotSupported, "arrays of %s are not supported", et)
		}
		return catalog.ArrayOf(et.Kind)
	}
	var names []string
	for _, n := range tn.Names {
		names = append(names, n.GetString_().Sval)
	}
	if len(names) == 2 && names[0] == "pg_catalog" {
		names = names[1:]
	}
	if len(names) != 1 {
		failf(sqlerr.UndefinedObject, "type %q does not exist", strings.Join(names, "."))
	}
	var mods []int32
	for _, m := range tn.Typmods {
		c, ok := m.Node.(*pg_query.Node_AConst)
		if !ok {
			failf(sqlerr.SyntaxError, "type modifiers must be simple constants")
		}
		iv, ok := c.AConst.Val.(*pg_query.A_Const_Ival)
		if !ok {
			failf(sqlerr.SyntaxError, "type modifiers must be integers")
		}
		mods = append(mods, iv.Ival.Ival)
	}
	name := names[0]
	if t, ok := catalogType(name); ok {
		if forColumn {
			failf(sqlerr.FeatureNotSupported, "columns of type %s are not supported", t)
		}
		if len(tn.Typmods) > 0 {
			failf(sqlerr.SyntaxError, "type modifier is not allowed for type %q", name)
		}
		return t
	}
	noMods := func() {
		if len(mods) > 0 {
			failf(sqlerr.SyntaxError, "type modifier is not allowed for type %q", name)
		}
	}
	switch name {
	case "bool", "boolean":
		noMods()
		return catalog.TypeBool
	case "int2", "smallint":
		noMods()
		return catalog.TypeInt2
	case "int4", "int", "integer":
		noMods()
		return catalog.TypeInt4
	case "int8", "bigint":
		noMods()
		return catalog.TypeInt8
	case "float4", "real":
		noMods()
		return catalog.TypeFloat4
	case "float8", "double precision":
		noMods()
		return catalog.TypeFloat8
	case "float":
		if len(mods) == 1 && mods[0] <= 24 {
			return catalog.TypeFloat4
		}
		return catalog.TypeFloat8
	case "text":
		noMods()
		return catalog.TypeText
	case "varchar", "character varying":
		return b.lengthType(catalog.Varchar, mods, 0)
	case "bpchar", "character":
		// The grammar gives a bare CHAR(ACTER) the length 1; bpchar
		// written as such has no length limit.
		return b.lengthType(catalog.Bpchar, mods, 0)
	case "date":
		noMods()
		return catalog.TypeDate
	case "timestamp":
		return catalog.TypeTimestamp
	case "timestamptz", "timestamp with time zone":
		return catalog.TypeTimestampTZ
	case "numeric", "decimal":
		if len(mods) == 0 {
			return catalog.TypeNumericDynamic
		}
		p, s := mods[0], int32(0)
		if len(mods) > 1 {
			s = mods[1]
		}
		if len(mods) > 2 {
			failf(sqlerr.SyntaxError, "invalid NUMERIC type modifier")
		}
		if p < 1 || p > 1000 {
			failf(sqlerr.InvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", p)
		}
		if s < -1000 || s > 1000 {
			failf(sqlerr.InvalidParameterValue, "NUMERIC scale %d must be between -1000 and 1000", s)
		}
		return catalog.NumericType(p, s)
	}
	if name == "time" || name == "interval" || name == "json" || name == "jsonb" || name == "uuid" || name == "bytea" {
		failf(sqlerr.FeatureNotSupported, "type %s is not supported yet", name)
	}
	failf(sqlerr.UndefinedObject, "type %q does not exist", name)
	return catalog.Type{}
}

func (b *binder) lengthType(k catalog.Kind, mods []int32, def int32) catalog.Type {
	t := catalog.Type{Kind: k, Length: def}
	if len(mods) > 1 {
		failf(sqlerr.SyntaxError, "invalid type modifier")
	}
	if len(mods) == 1 {
		if mods[0] < 1 || mods[0] > 10485760 {
			failf(sqlerr.InvalidParameterValue, "length for type %s must be at least 1", t.String())
		}
		t.Length = mods[0]
	}
	return t
}

func (b *binder) drop(ds *pg_query.DropStmt) Statement {
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	switch ds.RemoveType {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW:
		view := ds.RemoveType == pg_query.ObjectType_OBJECT_VIEW
		dt := &DropTable{View: view}
		for _, o := range ds.Objects {
			var parts []string
			for _, it := range o.GetList().Items {
				parts = append(parts, it.GetString_().Sval)
			}
			schema, name := "", parts[len(parts)-1]
			if len(parts) > 1 {
				schema = parts[len(parts)-2]
			}
			t, sys, ok := b.lookup(schema, name)
			if sys != nil {
				if view {
					fail(sys.refuse(changeDropView))
				}
				fail(sys.refuse(changeDropTable))
			}
			if !ok {
				if ds.MissingOk {
					dt.Missing = append(dt.Missing, strings.Join(parts, "."))
					continue
				}
				if view {
					failf(sqlerr.UndefinedTable, "view %q does not exist", strings.Join(parts, "."))
				}
				failf(sqlerr.UndefinedTable, "table %q does not exist", strings.Join(parts, "."))
			}
			if t.IsView() != view {
				what := "a table"
				if view {
					what = "a view"
				}
				failf(sqlerr.WrongObjectType, "%q is not %s", t.Name, what)
			}
			b.mustOwn(t)
			dt.Tables = append(dt.Tables, t)
		}
		return dt
	case pg_query.ObjectType_OBJECT_SCHEMA:
		d := &DropSchema{Cascade: cascade}
		for _, o := range ds.Objects {
			name := o.GetString_().Sval
			ns, ok := b.ctx.Catalog.Namespace(name)
			if !ok {
				if ds.MissingOk {
					d.Missing = append(d.Missing, name)
					continue
				}
				failf(sqlerr.UndefinedSchema, "schema %q does not exist", name)
			}
			b.mustOwnSchema(ns)
			if !cascade && len(b.ctx.Catalog.Tables(ns.OID)) > 0 {
				failf(sqlerr.DependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", name)
			}
			d.Schemas = append(d.Schemas, ns)
		}
		return d
	}
	failf(sqlerr.FeatureNotSupported, "DROP %s is not supported yet", strings.TrimPrefix(ds.RemoveType.String(), "OBJECT_"))
	return nil
}

func (b *binder) targetColumns(t *catalog.Table, cols []*pg_query.Node) []int {
	if len(cols) == 0 {
		return t.VisibleColumns()
	}
	var out []int
	seen := map[int]bool{}
	for _, c := range cols {
		var name string
		switch n := c.Node.(type) {
		case *pg_query.Node_ResTarget:
			name = n.ResTarget.Name
			if len(n.ResTarget.Indirection) > 0 {
				failf(sqlerr.FeatureNotSupported, "column indirection is not supported")
			}
		case *pg_query.Node_String_:
			name = n.String_.Sval
		}
		i := t.ColumnIndex(name)
		if i < 0 {
			failf(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
		}
		if seen[i] {
			failf(sqlerr.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[i] = true
		out = append(out, i)
	}
	return out
}

func (b *binder) insert(is *pg_query.InsertStmt) Statement {
	if is.WithClause != nil || len(is.ReturningList) > 0 || is.OnConflictClause != nil {
		failf(sqlerr.FeatureNotSupported, "INSERT with WITH, RETURNING or ON CONFLICT is not supported yet")
	}
	t := b.table(is.Relation, changeInsert)
	targets := b.targetColumns(t, is.Cols)
	want := make([]catalog.Type, len(targets))
	for i, c := range targets {
		want[i] = t.Columns[c].Type
	}
	if is.SelectStmt == nil { // DEFAULT VALUES
		return &Insert{Table: t, Source: &plan.Values{ColTypes: nil, Rows: [][]*plan.Expr{{}}}, Targets: nil}
	}
	sel := is.SelectStmt.GetSelectStmt()
	var src plan.Node
	if sel != nil && len(sel.ValuesLists) > 0 {
		src = b.values(sel.ValuesLists, want)
	} else {
		b.targetHints = want
		q := b.top(b.query(sel, nil))
		b.targetHints = nil
		src = q.Plan
	}
	types := src.Types()
	if len(types) > len(targets) {
		failf(sqlerr.SyntaxError, "INSERT has more expressions than target columns")
	}
	if len(types) < len(targets) {
		failf(sqlerr.SyntaxError, "INSERT has more target columns than expressions")
	}
	// Coerce each source column to its target type (assignment cast).
	exprs := make([]*plan.Expr, len(types))
	needProject := false
	for i, st := range types {
		e := plan.Col(i, st)
		exprs[i] = assignCast(e, want[i], t.Columns[targets[i]].Name)
		if exprs[i] != e {
			needProject = true
		}
	}
	if needProject {
		src = &plan.Project{Input: src, Exprs: exprs}
	}
	return &Insert{Table: t, Source: src, Targets: targets}
}

// values binds a VALUES list; want gives target types (nil: infer).
func (b *binder) values(lists []*pg_query.Node, want []catalog.Type) *plan.Values {
	v := &plan.Values{}
	var width int
	for ri, l := range lists {
		items := l.GetList().Items
		if ri == 0 {
			width = len(items)
		} else if len(items) != width {
			failf(sqlerr.SyntaxError, "VALUES lists must all be the same length")
		}
		row := make([]*plan.Expr, len(items))
		for i, it := range items {
			hint := catalog.TypeUnknown
			if i < len(want) {
				hint = want[i]
			}
			if _, isDefault := it.Node.(*pg_query.Node_SetToDefault); isDefault {
				row[i] = plan.NullOf(hint)
				continue
			}
			row[i] = b.expr(it, &scope{}, hint)
		}
		v.Rows = append(v.Rows, row)
	}
	// Column types: the target's when given, else the common type of the column.
	v.ColTypes = make([]catalog.Type, width)
	for i := 0; i < width; i++ {
		if i < len(want) {
			v.ColTypes[i] = want[i]
			for _, row := range v.Rows {
				row[i] = assignCast(row[i], want[i], "")
			}
			continue
		}
		col := make([]*plan.Expr, len(v.Rows))
		for r, row := range v.Rows {
			col[r] = row[i]
		}
		t := commonType(col, "VALUES")
		v.ColTypes[i] = t
		for _, row := range v.Rows {
			row[i] = coerce(row[i], t)
		}
	}
	return v
}
