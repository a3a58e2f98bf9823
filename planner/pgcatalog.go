package planner

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// The types, casts and functions of PostgreSQL's system catalogs: oid and
// the reg* types, names of catalog objects, visibility, definitions and
// sizes. Whatever depends on the catalog is resolved here, against the
// statement's snapshot: a literal 'lineitem'::regclass becomes its OID; a
// function of an OID (pg_table_is_visible, pg_get_indexdef, regclass
// output) becomes a plan.Lookup whose map the binder builds once for the
// statement from the snapshot, so the executor never looks anything up.

// CatalogInfo is what catalog functions need from the session besides the
// catalog snapshot. Every field may be nil.
type CatalogInfo struct {
	// Database is the name of the database (current_database()).
	Database string
	// User is the session's user name (current_user).
	User string
	// Setting returns a setting's current value (current_setting).
	Setting func(name string) (string, bool)
	// TableSize returns the bytes of a table's data files.
	TableSize func(t *catalog.Table) int64
	// SettingNames lists the settings current_setting knows (lower case).
	SettingNames func() []string
	// SystemRelations lists the system relations (their OIDs and names).
	SystemRelations func() []*SystemRelation
	// BackendPID is the session's process ID (pg_backend_pid()).
	BackendPID int64
}

// ServerVersion is the PostgreSQL version Cirrus reports to clients.
const ServerVersion = "15.6"

// Version is version()'s text.
const Version = "PostgreSQL " + ServerVersion + " (Cirrus) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"

// PrimaryKeyIndexOID is the OID Cirrus gives the index PostgreSQL would
// build for table t's primary key (pg_index, pg_class relkind 'i'); the
// table's OID with the high bit set, so it never meets an allocated OID.
func PrimaryKeyIndexOID(t *catalog.Table) catalog.OID { return t.OID | 0x80000000 }

// PrimaryKeyConstraintOID is the OID of table t's primary key constraint
// (pg_constraint).
func PrimaryKeyConstraintOID(t *catalog.Table) catalog.OID { return t.OID | 0xC0000000 }

// RowTypeOID is the OID of table t's row type (pg_class.reltype; a
// composite pg_type row), and RowArrayTypeOID that of its array type:
// the table's OID with other high bits set.
func RowTypeOID(t *catalog.Table) catalog.OID { return t.OID | 0x40000000 }

// RowArrayTypeOID is the OID of the array type of table t's row type.
func RowArrayTypeOID(t *catalog.Table) catalog.OID { return t.OID | 0x20000000 }

// ViewRuleOID is the OID of view t's _RETURN rule (pg_rewrite).
func ViewRuleOID(t *catalog.Table) catalog.OID { return t.OID | 0x10000000 }

// PrimaryKeyName is the name PostgreSQL gives a table's primary key
// constraint and index.
func PrimaryKeyName(t *catalog.Table) string { return pgtype.TruncateName(t.Name + "_pkey") }

// IndexDef is pg_get_indexdef of table t's primary key index; the table
// is qualified by its schema nsName unless bare (the pretty form's
// spelling of a table the search path finds).
func IndexDef(t *catalog.Table, nsName string, bare bool) string {
	return fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s USING btree (%s)", pgcat.QuoteIdent(PrimaryKeyName(t)), relationName(t, nsName, bare), pkColumns(t))
}

// ViewRuleDef is pg_get_ruledef of view t's _RETURN rule, naming the view
// as IndexDef names a table; its query is pg_get_viewdef's.
func ViewRuleDef(t *catalog.Table, nsName string, bare bool) string {
	return fmt.Sprintf("CREATE RULE \"_RETURN\" AS\n    ON SELECT TO %s DO INSTEAD  %s;", relationName(t, nsName, bare), t.ViewQuery)
}

// relationName is t's name, quoted, qualified with its schema's unless
// bare.
func relationName(t *catalog.Table, nsName string, bare bool) string {
	if bare {
		return pgcat.QuoteIdent(t.Name)
	}
	return pgcat.QuoteIdent(nsName) + "." + pgcat.QuoteIdent(t.Name)
}

// ConstraintDef is pg_get_constraintdef of table t's primary key.
func ConstraintDef(t *catalog.Table) string { return "PRIMARY KEY (" + pkColumns(t) + ")" }

func pkColumns(t *catalog.Table) string {
	names := make([]string, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		names[i] = pgcat.QuoteIdent(t.Columns[c].Name)
	}
	return strings.Join(names, ", ")
}

func (b *binder) info() *CatalogInfo {
	if b.ctx.Info == nil {
		return &CatalogInfo{}
	}
	return b.ctx.Info
}

// roles returns the roles' names by OID, with PostgreSQL's
// pg_database_owner (the owner of public).
func (b *binder) roles() map[catalog.OID]string {
	m := map[catalog.OID]string{pgcat.DatabaseOwnerRole: "pg_database_owner"}
	for _, r := range b.ctx.Catalog.Roles() {
		m[r.OID] = r.Name
	}
	return m
}

// catalogType resolves the name of a catalog type; ok is false for other
// names.
func catalogType(name string) (catalog.Type, bool) {
	switch name {
	case "oid":
		return catalog.TypeOid, true
	case "regclass":
		return catalog.Type{Kind: catalog.RegClass}, true
	case "regtype":
		return catalog.Type{Kind: catalog.RegType}, true
	case "regnamespace":
		return catalog.Type{Kind: catalog.RegNamespace}, true
	case "regproc", "regprocedure":
		return catalog.Type{Kind: catalog.RegProc}, true
	case "regrole":
		return catalog.Type{Kind: catalog.RegRole}, true
	case "name":
		return catalog.TypeName, true
	case "char": // only as "char" (quoted): char unquoted is bpchar
		return catalog.TypeChar, true
	case "int2vector":
		return catalog.Type{Kind: catalog.Int2Vector}, true
	case "oidvector":
		return catalog.Type{Kind: catalog.OidVector}, true
	case "aclitem":
		return catalog.Type{Kind: catalog.AclItem}, true
	case "pg_node_tree":
		return catalog.Type{Kind: catalog.PgNodeTree}, true
	case "anyarray":
		return catalog.ArrayOf(catalog.Unknown), true
	}
	return catalog.Type{}, false
}

// regConst resolves a literal of a reg* type: its name (or number) to the
// OID, as regclassin and its siblings do. e is an untyped or text
// constant.
func (b *binder) regConst(e *plan.Expr, t catalog.Type) *plan.Expr {
	if e.Value.Null {
		return plan.NullOf(t)
	}
	s := strings.TrimSpace(e.Value.S)
	if s != "" && (s[0] >= '0' && s[0] <= '9') {
		o, err := pgtype.ParseOid([]byte(s))
		if err != nil {
			fail(err)
		}
		return plan.ConstOf(t, plan.Datum{I: o})
	}
	if s == "-" && t.Kind != catalog.RegNamespace && t.Kind != catalog.RegRole {
		return plan.ConstOf(t, plan.Datum{I: 0})
	}
	var o catalog.OID
	switch t.Kind {
	case catalog.RegClass:
		parts, err := pgcat.RelationNameParts(s, b.info().Database)
		if err != nil {
			fail(err)
		}
		schema, name := "", parts[len(parts)-1]
		if len(parts) == 2 {
			schema = parts[0]
		}
		tab, sys, ok := b.lookup(schema, name)
		switch {
		case !ok:
			// A primary key's index is a relation too.
			d, ok := b.relationsByName()[strings.Join(parts, ".")]
			if !ok {
				failf(sqlerr.UndefinedTable, "relation %q does not exist", s)
			}
			o = catalog.OID(d.I)
		case sys != nil:
			o = sys.OID
		default:
			o = tab.OID
		}
	case catalog.RegType:
		o = b.regType(s)
	case catalog.RegNamespace:
		ns, ok := b.ctx.Catalog.Namespace(unquoteIdent(s))
		if !ok {
			failf(sqlerr.UndefinedSchema, "schema %q does not exist", s)
		}
		o = ns.OID
	case catalog.RegProc:
		parts := pgcat.SplitQualified(s)
		if i := strings.IndexByte(parts[len(parts)-1], '('); i >= 0 {
			parts[len(parts)-1] = parts[len(parts)-1][:i] // regprocedure: any overload's arguments
		}
		if len(parts) == 2 && parts[0] != SystemSchema || len(parts) > 2 {
			failf(sqlerr.UndefinedFunction, "function %q does not exist", s)
		}
		procs := pgcat.ProcsNamed(parts[len(parts)-1])
		if len(procs) == 0 {
			if po, ok := pgcat.ProcByName(parts[len(parts)-1]); ok {
				o = po
				break
			}
			failf(sqlerr.UndefinedFunction, "function %q does not exist", s)
		}
		if len(procs) > 1 && t.Kind == catalog.RegProc {
			failf("42725", "more than one function named %q", s)
		}
		o = procs[0].OID
	case catalog.RegRole:
		name := unquoteIdent(s)
		found := false
		for ro, rn := range b.roles() {
			if rn == name {
				o, found = ro, true
			}
		}
		if !found {
			failf(sqlerr.UndefinedObject, "role %q does not exist", s)
		}
	}
	return plan.ConstOf(t, plan.Datum{I: int64(o)})
}

// regType resolves a type name as regtypein does (the SQL grammar's type
// names: "character varying", int4[], pg_catalog.int8).
func (b *binder) regType(s string) catalog.OID {
	res, err := pg_query.Parse("SELECT NULL::" + s)
	if err == nil && len(res.Stmts) == 1 {
		if tc := res.Stmts[0].Stmt.GetSelectStmt().GetTargetList()[0].GetResTarget().GetVal().GetTypeCast(); tc != nil {
			var names []string
			for _, n := range tc.TypeName.Names {
				names = append(names, n.GetString_().Sval)
			}
			if len(names) == 2 && names[0] == SystemSchema {
				names = names[1:]
			}
			if len(names) == 1 {
				if pt, ok := pgcat.TypeByName(names[0]); ok && len(tc.TypeName.ArrayBounds) == 0 {
					return pt.OID
				}
			}
			return b.typeName(tc.TypeName, false).OID()
		}
	}
	failf(sqlerr.UndefinedObject, "type %q does not exist", s)
	return 0
}

func unquoteIdent(s string) string { return pgcat.SplitQualified(s)[0] }

// regName converts a reg* value to its name (text), as the type's output
// function does: the object's name, qualified when it is not visible,
// the number for an OID that names nothing, "-" for 0.
func (b *binder) regName(e *plan.Expr) *plan.Expr {
	m := map[int64]plan.Datum{0: {S: "-"}}
	switch e.Type.Kind {
	case catalog.RegClass:
		for o, n := range b.relationNames(true) {
			m[int64(o)] = plan.Datum{S: n}
		}
	case catalog.RegType:
		for _, t := range pgcat.Types {
			m[int64(t.OID)] = plan.Datum{S: formatTypeName(t.OID)}
		}
	case catalog.RegNamespace:
		for _, ns := range pgcat.Namespaces(b.ctx.Catalog) {
			m[int64(ns.OID)] = plan.Datum{S: pgcat.QuoteIdent(ns.Name)}
		}
		delete(m, 0)
	case catalog.RegProc:
		// regprocout qualifies a name regprocin would not find uniquely
		// (an overloaded function's, PostgreSQL's overloads counted).
		for o, n := range pgcat.ProcNames() {
			if pgcat.Overloaded(n) {
				n = SystemSchema + "." + n
			}
			m[int64(o)] = plan.Datum{S: n}
		}
	case catalog.RegRole:
		for o, n := range b.roles() {
			m[int64(o)] = plan.Datum{S: pgcat.QuoteIdent(n)}
		}
		delete(m, 0)
	}
	num := plan.CastOf(plan.CastOf(e, catalog.TypeOid), catalog.TypeText)
	return plan.LookupOf(catalog.TypeText, e, m, num)
}

// formatTypeName is regtypeout: format_type without a modifier.
func formatTypeName(o catalog.OID) string {
	for k := catalog.Bool; k <= catalog.PgNodeTree; k++ {
		if t := (catalog.Type{Kind: k}); k != catalog.Array && t.OID() == o {
			if k == catalog.Bpchar {
				return "character"
			}
			return t.String()
		}
	}
	if pt, ok := pgcat.TypeByOID(o); ok {
		if pt.Elem != 0 && strings.HasPrefix(pt.Name, "_") {
			return formatTypeName(pt.Elem) + "[]"
		}
		return pt.Name
	}
	return fmt.Sprint(o)
}

// relationNames maps the OID of every relation (tables, views, system
// relations, primary key indexes) to its name, qualified by its schema
// when qualify is set and a search for the bare name would not find it
// (regclassout).
func (b *binder) relationNames(qualify bool) map[catalog.OID]string {
	vis := b.visibleRelations()
	out := map[catalog.OID]string{}
	name := func(o catalog.OID, ns, n string) {
		if qualify && !vis[o] {
			out[o] = pgcat.QuoteIdent(ns) + "." + pgcat.QuoteIdent(n)
		} else {
			out[o] = pgcat.QuoteIdent(n)
		}
	}
	for _, r := range b.systemRelations() {
		name(r.OID, r.SchemaName(), r.Name)
	}
	for _, ns := range b.ctx.Catalog.Namespaces() {
		for _, t := range b.ctx.Catalog.Tables(ns.OID) {
			name(t.OID, ns.Name, t.Name)
			if len(t.PrimaryKey) > 0 {
				name(PrimaryKeyIndexOID(t), ns.Name, PrimaryKeyName(t))
			}
		}
	}
	return out
}

func (b *binder) systemRelations() []*SystemRelation {
	if f := b.info().SystemRelations; f != nil {
		return f()
	}
	return nil
}

// visibleRelations is the set of relations an unqualified name finds
// (pg_table_is_visible): the first of pg_catalog and the search path's
// schemas that has the name. A primary key index is visible with its
// table's schema.
func (b *binder) visibleRelations() map[catalog.OID]bool {
	vis := map[catalog.OID]bool{}
	for _, r := range b.systemRelations() {
		vis[r.OID] = b.firstSchemaWith(r.Name) == r.SchemaName()
	}
	for _, ns := range b.ctx.Catalog.Namespaces() {
		for _, t := range b.ctx.Catalog.Tables(ns.OID) {
			vis[t.OID] = b.firstSchemaWith(t.Name) == ns.Name
			if len(t.PrimaryKey) > 0 {
				vis[PrimaryKeyIndexOID(t)] = b.firstSchemaWith(PrimaryKeyName(t)) == ns.Name
			}
		}
	}
	return vis
}

// firstSchemaWith returns the first schema of the effective search path
// with a relation (or primary key index) called name, "" if none has.
func (b *binder) firstSchemaWith(name string) string {
	path := b.searchPath()
	if !slices.Contains(path, SystemSchema) {
		path = append([]string{SystemSchema}, path...)
	}
	for _, s := range path {
		if _, _, ok := b.lookupIn(s, name); ok {
			return s
		}
		if ns, ok := b.ctx.Catalog.Namespace(s); ok {
			for _, t := range b.ctx.Catalog.Tables(ns.OID) {
				if len(t.PrimaryKey) > 0 && PrimaryKeyName(t) == name {
					return s
				}
			}
		}
	}
	return ""
}

// oidArg coerces a function argument to oid (an OID alias, an integer or
// an untyped literal naming the object for regclass arguments).
func (b *binder) oidArg(e *plan.Expr, as catalog.Type) *plan.Expr {
	switch {
	case e.Type.Kind == catalog.Unknown && e.Kind == plan.Const && as.IsReg():
		return b.regConst(e, as)
	case e.Type.IsOidLike(), e.Type.IsInteger(), e.Type.Kind == catalog.Unknown:
		return coerce(e, as)
	}
	failf(sqlerr.UndefinedFunction, "function argument of type %s cannot be an %s", e.Type, as)
	return nil
}

// indexColumnDef is pg_get_indexdef(index, column, pretty) for a column
// computed per row (pgjdbc's getIndexInfo): the definition for column 0,
// else the name of the index's key column at that position, looked up by
// index OID and position together (defs holds the definitions).
func (b *binder) indexColumnDef(index, column *plan.Expr, defs map[catalog.OID]string) *plan.Expr {
	m := map[int64]plan.Datum{}
	for o, d := range defs {
		m[int64(o)<<16] = plan.Datum{S: d}
	}
	for _, ns := range b.ctx.Catalog.Namespaces() {
		for _, t := range b.ctx.Catalog.Tables(ns.OID) {
			for k, c := range t.PrimaryKey {
				m[int64(PrimaryKeyIndexOID(t))<<16|int64(k+1)] = plan.Datum{S: pgcat.QuoteIdent(t.Columns[c].Name)}
			}
		}
	}
	key := plan.CallOf("+", catalog.TypeInt8,
		plan.CallOf("*", catalog.TypeInt8, plan.CastOf(index, catalog.TypeInt8), plan.ConstOf(catalog.TypeInt8, plan.Datum{I: 1 << 16})),
		plan.CastOf(column, catalog.TypeInt8))
	return plan.LookupOf(catalog.TypeText, key, m, nil)
}

func boolMap(set map[catalog.OID]bool) map[int64]plan.Datum {
	m := make(map[int64]plan.Datum, len(set))
	for o, v := range set {
		m[int64(o)] = plan.Datum{B: v}
	}
	return m
}

func textMap(set map[catalog.OID]string) map[int64]plan.Datum {
	m := make(map[int64]plan.Datum, len(set))
	for o, v := range set {
		m[int64(o)] = plan.Datum{S: v}
	}
	return m
}

// catalogFuncs are the functions of this file, for scalarFuncs' purposes.
var catalogFuncs = map[string]bool{
	"pg_table_is_visible": true, "pg_type_is_visible": true, "pg_function_is_visible": true, "format_type": true,
	"pg_get_expr": true, "pg_get_indexdef": true, "pg_get_constraintdef": true, "pg_get_viewdef": true,
	"obj_description": true, "col_description": true, "shobj_description": true, "pg_get_userbyid": true,
	"pg_size_pretty": true, "pg_table_size": true, "pg_total_relation_size": true, "pg_relation_size": true,
	"pg_indexes_size": true, "pg_encoding_to_char": true, "current_schema": true, "current_schemas": true,
	"current_database": true, "current_setting": true, "version": true, "array_to_string": true,
	"array_length": true, "array_upper": true, "array_lower": true, "cardinality": true, "quote_ident": true,
	"array_position": true,
	"pg_backend_pid": true, "pg_relation_is_publishable": true, "pg_get_statisticsobjdef_columns": true,
	"pg_get_function_result": true, "pg_get_function_arguments": true, "pg_get_function_identity_arguments": true,
	"pg_is_in_recovery": true, "pg_get_partkeydef": true, "pg_encoding_max_length": true, "pg_get_ruledef": true,
	"pg_get_triggerdef": true, "pg_tablespace_location": true, "pg_stat_get_numscans": true,
}

// catalogFunc binds a call of a catalog function; nil when name is not one.
func (b *binder) catalogFunc(name string, args []*plan.Expr) *plan.Expr {
	if !catalogFuncs[name] {
		return nil
	}
	argc := func(lo, hi int) {
		if len(args) < lo || len(args) > hi {
			failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
		}
	}
	text := func(e *plan.Expr) *plan.Expr {
		if e.Type.Kind == catalog.Unknown || e.Type.IsString() {
			return coerce(e, catalog.TypeText)
		}
		failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
		return nil
	}
	textConst := func(s string) *plan.Expr { return plan.ConstOf(catalog.TypeText, plan.Datum{S: s}) }
	regclass := catalog.Type{Kind: catalog.RegClass}
	switch name {
	case "pg_table_is_visible":
		argc(1, 1)
		return plan.LookupOf(catalog.TypeBool, b.oidArg(args[0], catalog.TypeOid), boolMap(b.visibleRelations()), nil)
	case "pg_type_is_visible", "pg_function_is_visible":
		argc(1, 1)
		m := map[int64]plan.Datum{}
		if name == "pg_type_is_visible" {
			for _, t := range pgcat.Types {
				m[int64(t.OID)] = plan.Datum{B: true}
			}
		} else {
			for o := range pgcat.ProcNames() {
				m[int64(o)] = plan.Datum{B: true}
			}
		}
		return plan.LookupOf(catalog.TypeBool, b.oidArg(args[0], catalog.TypeOid), m, nil)
	case "format_type":
		argc(2, 2)
		return plan.CallOf("format_type", catalog.TypeText, b.oidArg(args[0], catalog.TypeOid), coerce(args[1], catalog.TypeInt4))
	case "pg_get_expr":
		// Cirrus keeps expressions as their SQL text: the tree is its
		// own deparsed form.
		argc(2, 3)
		b.oidArg(args[1], catalog.TypeOid)
		if args[0].Type.Kind != catalog.PgNodeTree && args[0].Type.Kind != catalog.Unknown && !args[0].Type.IsString() {
			failf(sqlerr.UndefinedFunction, "function pg_get_expr(%s) does not exist", argTypes(args))
		}
		return plan.CastOf(coerce(args[0], catalog.Type{Kind: catalog.PgNodeTree}), catalog.TypeText)
	case "pg_get_indexdef", "pg_get_constraintdef", "pg_get_viewdef", "pg_get_ruledef":
		argc(1, 3)
		defs := map[catalog.OID]string{}
		vis := b.visibleRelations()
		// pg_get_indexdef and pg_get_ruledef name the table with its
		// schema unless asked for the pretty form, which leaves out a
		// visible table's.
		pretty := len(args) == 3 && args[2].Kind == plan.Const && args[2].Value.B
		if name == "pg_get_ruledef" {
			argc(1, 2)
			pretty = len(args) == 2 && args[1].Kind == plan.Const && args[1].Value.B
		}
		for _, ns := range b.ctx.Catalog.Namespaces() {
			for _, t := range b.ctx.Catalog.Tables(ns.OID) {
				switch {
				case name == "pg_get_viewdef" && t.IsView():
					defs[t.OID] = " " + t.ViewQuery + ";"
				case name == "pg_get_ruledef" && t.IsView():
					defs[ViewRuleOID(t)] = ViewRuleDef(t, ns.Name, pretty && vis[t.OID])
				case name == "pg_get_indexdef" && len(t.PrimaryKey) > 0:
					defs[PrimaryKeyIndexOID(t)] = IndexDef(t, ns.Name, pretty && vis[t.OID])
				case name == "pg_get_constraintdef" && len(t.PrimaryKey) > 0:
					defs[PrimaryKeyConstraintOID(t)] = ConstraintDef(t)
				}
			}
		}
		key := args[0]
		if name == "pg_get_viewdef" && (key.Type.Kind == catalog.Unknown || key.Type.IsString()) && key.Kind == plan.Const {
			key = b.regConst(key, regclass)
		}
		if name == "pg_get_indexdef" && len(args) == 3 && !(args[1].Kind == plan.Const && args[1].Value.I == 0) {
			return b.indexColumnDef(b.oidArg(key, catalog.TypeOid), coerce(args[1], catalog.TypeInt4), defs)
		}
		return plan.LookupOf(catalog.TypeText, b.oidArg(key, catalog.TypeOid), textMap(defs), nil)
	case "obj_description":
		// The comments of pg_description (those on built-in objects:
		// Cirrus has no COMMENT), of the catalog named when one is.
		argc(1, 2)
		class := catalog.OID(0)
		if len(args) == 2 {
			name := plan.ConstOf(catalog.TypeText, plan.Datum{S: constString(args[1], "catalog name")})
			class = catalog.OID(b.regConst(name, regclass).Value.I)
		}
		m := map[int64]plan.Datum{}
		for _, d := range pgcat.Descriptions {
			if d.SubID == 0 && (class == 0 || d.ClassOID == class) {
				m[int64(d.ObjOID)] = plan.Datum{S: d.Text}
			}
		}
		return plan.LookupOf(catalog.TypeText, b.oidArg(args[0], catalog.TypeOid), m, nil)
	case "col_description", "shobj_description":
		// No column and no shared object has a comment.
		argc(1, 2)
		return plan.NullOf(catalog.TypeText)
	case "pg_get_userbyid":
		argc(1, 1)
		arg := b.oidArg(args[0], catalog.TypeOid)
		unknown := plan.CallOf("concat", catalog.TypeText, textConst("unknown (OID="),
			plan.CastOf(arg, catalog.TypeText), textConst(")"))
		return plan.LookupOf(catalog.TypeName, arg, textMap(b.roles()), plan.CastOf(unknown, catalog.TypeName))
	case "pg_size_pretty":
		argc(1, 1)
		if args[0].Type.Kind != catalog.Unknown && !args[0].Type.IsInteger() {
			failf(sqlerr.FeatureNotSupported, "pg_size_pretty(%s) is not supported", args[0].Type)
		}
		return plan.CallOf("pg_size_pretty", catalog.TypeText, coerce(args[0], catalog.TypeInt8))
	case "pg_table_size", "pg_total_relation_size", "pg_relation_size", "pg_indexes_size":
		argc(1, 2)
		sizes := map[int64]plan.Datum{}
		for _, ns := range b.ctx.Catalog.Namespaces() {
			for _, t := range b.ctx.Catalog.Tables(ns.OID) {
				var n int64
				if f := b.info().TableSize; f != nil && !t.IsView() && name != "pg_indexes_size" {
					n = f(t)
				}
				sizes[int64(t.OID)] = plan.Datum{I: n}
				if len(t.PrimaryKey) > 0 {
					sizes[int64(PrimaryKeyIndexOID(t))] = plan.Datum{I: 0}
				}
			}
		}
		for _, r := range b.systemRelations() {
			sizes[int64(r.OID)] = plan.Datum{I: 0}
		}
		return plan.LookupOf(catalog.TypeInt8, b.oidArg(args[0], regclass), sizes, nil)
	case "pg_encoding_to_char":
		argc(1, 1)
		return plan.LookupOf(catalog.TypeName, coerce(args[0], catalog.TypeInt4),
			map[int64]plan.Datum{0: {S: "SQL_ASCII"}, 6: {S: "UTF8"}}, plan.ConstOf(catalog.TypeName, plan.Datum{S: ""}))
	case "pg_encoding_max_length":
		argc(1, 1)
		return plan.LookupOf(catalog.TypeInt4, coerce(args[0], catalog.TypeInt4), map[int64]plan.Datum{0: {I: 1}, 6: {I: 4}}, nil)
	case "current_schema":
		argc(0, 0)
		for _, s := range b.searchPath() {
			if _, ok := b.ctx.Catalog.Namespace(s); ok || s == SystemSchema {
				return plan.ConstOf(catalog.TypeName, plan.Datum{S: s})
			}
		}
		return plan.NullOf(catalog.TypeName)
	case "current_schemas":
		argc(1, 1)
		implicit := coerce(args[0], catalog.TypeBool)
		var with, without []plan.Datum
		if !slices.Contains(b.searchPath(), SystemSchema) {
			with = append(with, plan.Datum{S: SystemSchema})
		}
		for _, s := range b.searchPath() {
			if _, ok := b.ctx.Catalog.Namespace(s); ok || s == SystemSchema {
				with = append(with, plan.Datum{S: s})
				without = append(without, plan.Datum{S: s})
			}
		}
		t := catalog.ArrayOf(catalog.Name)
		return &plan.Expr{Kind: plan.Case, Type: t, Else: true, Args: []*plan.Expr{
			implicit, plan.ConstOf(t, pgtype.ArrayDatum(t, with)), plan.ConstOf(t, pgtype.ArrayDatum(t, without)),
		}}
	case "current_database":
		argc(0, 0)
		return plan.ConstOf(catalog.TypeName, plan.Datum{S: b.info().Database})
	case "current_setting":
		argc(1, 2)
		n := args[0]
		if n.Kind != plan.Const || n.Value.Null {
			return b.settingOf(text(n))
		}
		missingOK := len(args) == 2 && args[1].Kind == plan.Const && args[1].Value.B
		if f := b.info().Setting; f != nil {
			if v, ok := f(strings.ToLower(n.Value.S)); ok {
				return textConst(v)
			}
		}
		if missingOK {
			return plan.NullOf(catalog.TypeText)
		}
		failf(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", n.Value.S)
	case "version":
		argc(0, 0)
		return textConst(Version)
	case "pg_backend_pid":
		argc(0, 0)
		return plan.ConstOf(catalog.TypeInt4, plan.Datum{I: b.info().BackendPID})
	case "pg_tablespace_location":
		// The built-in tablespaces live in the data directory: ''.
		argc(1, 1)
		return plan.LookupOf(catalog.TypeText, b.oidArg(args[0], catalog.TypeOid),
			map[int64]plan.Datum{int64(pgcat.DefaultTablespace): {S: ""}, 1664: {S: ""}}, nil)
	case "pg_stat_get_numscans":
		// Cirrus counts no scans (pg_stat_user_tables' seq_scan and
		// idx_scan are 0): 0 for any OID, as PostgreSQL's for a relation
		// without statistics, NULL for NULL (the function is strict).
		argc(1, 1)
		return plan.CallOf("*", catalog.TypeInt8, plan.CastOf(b.oidArg(args[0], catalog.TypeOid), catalog.TypeInt8),
			plan.ConstOf(catalog.TypeInt8, plan.Datum{I: 0}))
	case "pg_is_in_recovery":
		argc(0, 0)
		return plan.ConstOf(catalog.TypeBool, plan.Datum{B: false})
	case "quote_ident":
		argc(1, 1)
		return plan.CallOf("quote_ident", catalog.TypeText, text(args[0]))
	case "array_to_string":
		argc(2, 3)
		arr := b.arrayArg(name, args[0])
		out := []*plan.Expr{arr, text(args[1])}
		if len(args) == 3 {
			out = append(out, text(args[2]))
		}
		return plan.CallOf("array_to_string", catalog.TypeText, out...)
	case "array_length", "array_upper", "array_lower":
		argc(2, 2)
		return plan.CallOf(name, catalog.TypeInt4, b.arrayArg(name, args[0]), coerce(args[1], catalog.TypeInt4))
	case "cardinality":
		argc(1, 1)
		return plan.CallOf(name, catalog.TypeInt4, b.arrayArg(name, args[0]))
	case "array_position":
		argc(2, 2)
		arr := b.arrayArg(name, args[0])
		et := arr.Type.ElemType()
		if t := args[1].Type; t.Kind != catalog.Unknown && t != et && !(t.IsString() && et.IsString()) {
			failf(sqlerr.UndefinedFunction, "function array_position(%s, %s) does not exist", arr.Type, t)
		}
		return plan.CallOf(name, catalog.TypeInt4, arr, coerce(args[1], et))
	case "pg_relation_is_publishable":
		argc(1, 1)
		m := map[int64]plan.Datum{}
		for _, ns := range b.ctx.Catalog.Namespaces() {
			for _, t := range b.ctx.Catalog.Tables(ns.OID) {
				m[int64(t.OID)] = plan.Datum{B: !t.IsView()}
			}
		}
		return plan.LookupOf(catalog.TypeBool, b.oidArg(args[0], regclass), m, nil)
	case "pg_get_statisticsobjdef_columns", "pg_get_partkeydef", "pg_get_triggerdef":
		// No extended statistics objects, partitioned tables or triggers
		// (pg_trigger is empty).
		argc(1, 2)
		return plan.NullOf(catalog.TypeText)
	case "pg_get_function_result", "pg_get_function_arguments", "pg_get_function_identity_arguments":
		argc(1, 1)
		m := map[int64]plan.Datum{}
		for _, p := range pgcat.Procs {
			if name == "pg_get_function_result" {
				r := formatTypeName(p.Ret)
				if p.RetSet {
					r = "SETOF " + r
				}
				m[int64(p.OID)] = plan.Datum{S: r}
				continue
			}
			var as []string
			for _, a := range p.ArgOIDs() {
				as = append(as, formatTypeName(a))
			}
			m[int64(p.OID)] = plan.Datum{S: strings.Join(as, ", ")}
		}
		return plan.LookupOf(catalog.TypeText, b.oidArg(args[0], catalog.TypeOid), m, nil)
	}
	return nil
}

// arrayArg checks an array argument; an untyped literal is text[].
func (b *binder) arrayArg(fn string, e *plan.Expr) *plan.Expr {
	switch {
	case e.Type.IsArray():
		return e
	case e.Type.Kind == catalog.Unknown:
		return coerce(e, catalog.ArrayOf(catalog.Text))
	}
	failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", fn, e.Type)
	return nil
}

// quantifiedArray binds x op ANY/ALL (array expression).
func (b *binder) quantifiedArray(op string, all bool, l, arr *plan.Expr) *plan.Expr {
	if arr.Type.Kind == catalog.Unknown {
		et := l.Type
		if et.Kind == catalog.Unknown {
			et = catalog.TypeText
		}
		arr = coerce(arr, catalog.ArrayOf(withoutLength(et).Kind))
	}
	if !arr.Type.IsArray() {
		failf(sqlerr.WrongObjectType, "op ANY/ALL (array) requires array on right side")
	}
	et := arr.Type.ElemType()
	if op == "!=" {
		op = "<>"
	}
	switch op {
	case "=", "<>", "<", "<=", ">", ">=":
	default:
		failf(sqlerr.FeatureNotSupported, "operator %s with ANY/ALL (array) is not supported", op)
	}
	cmp := binaryOp(op, l, plan.NullOf(et)) // checks and types the comparison
	l = cmp.Args[0]
	if l.Type != et {
		if !(l.Type.IsString() && et.IsString()) {
			// compare in the element type: an integer key against oid[]
			l = coerce(l, et)
		}
	}
	prefix := "any:"
	if all {
		prefix = "all:"
	}
	return plan.CallOf(prefix+op, catalog.TypeBool, coerce(l, et), arr)
}

// regexOp binds PostgreSQL's regular expression match operators.
func regexOp(op string, l, r *plan.Expr) *plan.Expr {
	name := map[string]string{"~": "regex", "~*": "regex_ci", "!~": "notregex", "!~*": "notregex_ci"}[op]
	return plan.CallOf(name, catalog.TypeBool, coerceString(l), coerceString(r))
}

// subscript binds array[i].
func subscript(arr, idx *plan.Expr) *plan.Expr {
	if !arr.Type.IsArray() {
		failf(sqlerr.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", arr.Type)
	}
	if idx.Type.Kind != catalog.Unknown && !idx.Type.IsInteger() {
		failf(sqlerr.DatatypeMismatch, "array subscript must have type integer")
	}
	return plan.CallOf("array_subscript", arr.Type.ElemType(), arr, coerce(idx, catalog.TypeInt4))
}

// cast binds an explicit cast: a literal of a reg* type is resolved by
// name now; a reg* value cast to a string type becomes its name.
func (b *binder) cast(e *plan.Expr, t catalog.Type) *plan.Expr {
	switch {
	case t.IsReg() && e.Kind == plan.Const && (e.Type.Kind == catalog.Unknown || e.Type.IsString()):
		return b.regConst(e, t)
	case t.Kind == catalog.RegClass && e.Type.IsString():
		return nameLookup(t, e, true, b.info().Database, b.relationsByName(), sqlerr.UndefinedTable, "relation")
	case t.IsReg() && (e.Type.IsString() || e.Type.Kind == catalog.Unknown):
		failf(sqlerr.FeatureNotSupported, "casting a computed %s to %s is not supported; only literals are resolved", e.Type, t)
	case e.Type.IsReg() && t.IsString():
		return plan.CastOf(b.regName(e), t)
	}
	return explicitCast(e, t)
}

// nameLookup finds the object named by the computed text e in names when
// the statement runs (the executor's name_lookup; qualified reads e as a
// possibly qualified, quoted name, which database db may qualify). A name
// names lacks is error code,
// "<kind> "name" does not exist".
func nameLookup(t catalog.Type, e *plan.Expr, qualified bool, db string, names map[string]plan.Datum, code, kind string) *plan.Expr {
	op := "name_lookup"
	if qualified {
		op = "qualified_name_lookup"
	}
	call := plan.CallOf(op, t, coerce(e, catalog.TypeText), plan.ConstOf(catalog.TypeText, plan.Datum{S: code}),
		plan.ConstOf(catalog.TypeText, plan.Datum{S: kind}))
	if qualified {
		call.Args = append(call.Args, plan.ConstOf(catalog.TypeText, plan.Datum{S: db}))
	}
	call.Names = names
	return call
}

// relationsByName maps the names of every relation (tables, views,
// primary key indexes, system relations) to its OID, as regclassin reads
// them: qualified by its schema, and bare when the search path finds it.
func (b *binder) relationsByName() map[string]plan.Datum {
	m := map[string]plan.Datum{}
	add := func(o catalog.OID, ns, name string) {
		m[ns+"."+name] = plan.Datum{I: int64(o)}
		if b.firstSchemaWith(name) == ns {
			m[name] = plan.Datum{I: int64(o)}
		}
	}
	for _, ns := range b.ctx.Catalog.Namespaces() {
		for _, t := range b.ctx.Catalog.Tables(ns.OID) {
			add(t.OID, ns.Name, t.Name)
			if len(t.PrimaryKey) > 0 {
				add(PrimaryKeyIndexOID(t), ns.Name, PrimaryKeyName(t))
			}
		}
	}
	for _, r := range b.systemRelations() {
		add(r.OID, r.SchemaName(), r.Name)
	}
	return m
}

// collate binds expr COLLATE name. Cirrus compares strings bytewise,
// which is the "C" collation and the database's default: those are
// accepted (the expression is unchanged), others do not exist.
func (b *binder) collate(c *pg_query.CollateClause, s *scope, hint catalog.Type) *plan.Expr {
	e := b.expr(c.Arg, s, hint)
	var names []string
	for _, n := range c.Collname {
		names = append(names, n.GetString_().Sval)
	}
	if len(names) == 2 && names[0] == SystemSchema {
		names = names[1:]
	}
	if len(names) != 1 || !slices.ContainsFunc(pgcat.Collations, func(cl pgcat.Collation) bool { return cl.Name == names[0] }) {
		failf(sqlerr.UndefinedObject, "collation %q for encoding \"UTF8\" does not exist", strings.Join(names, "."))
	}
	if e.Type.Kind != catalog.Unknown && !e.Type.IsString() {
		failf(sqlerr.DatatypeMismatch, "collations are not supported by type %s", e.Type)
	}
	return e
}

// regOutput gives the reg* columns of a statement's result their names,
// as the types' output functions print them, beside their OIDs, which
// their binary send functions send (the executor's reg_out). It goes on
// top of the distributed plan: the coordinator sends the rows.
func (b *binder) regOutput(q *Query) *Query {
	idx := slices.IndexFunc(q.Columns, func(c OutputColumn) bool { return c.Type.IsReg() })
	if idx < 0 {
		return q
	}
	types := q.Plan.Types()
	exprs := make([]*plan.Expr, len(types))
	for i, t := range types {
		exprs[i] = plan.Col(i, t)
		if t.IsReg() {
			exprs[i] = plan.CallOf("reg_out", t, exprs[i], b.regName(exprs[i]))
		}
	}
	return &Query{Plan: &plan.Project{Input: q.Plan, Exprs: exprs}, Columns: q.Columns}
}

// arrayConstructor binds ARRAY[a, b, …]: the elements' common type (the
// context's element type for untyped ones).
func (b *binder) arrayConstructor(a *pg_query.A_ArrayExpr, s *scope, hint catalog.Type) *plan.Expr {
	et := catalog.TypeUnknown
	if hint.IsArray() {
		et = hint.ElemType()
	}
	var elems []*plan.Expr
	for _, n := range a.Elements {
		if n.GetAArrayExpr() != nil {
			failf(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		elems = append(elems, b.expr(n, s, et))
	}
	if len(elems) == 0 {
		if et.Kind == catalog.Unknown {
			failf("42P18", "cannot determine type of empty array")
		}
		return plan.ConstOf(catalog.ArrayOf(et.Kind), plan.Datum{S: "{}"})
	}
	t := commonType(elems, "ARRAY")
	if t.IsArray() {
		failf(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
	}
	for i := range elems {
		elems[i] = coerce(elems[i], t)
	}
	return plan.CallOf("array_make", catalog.ArrayOf(t.Kind), elems...)
}

// settingOf is current_setting(name) for a name computed per row (psql's
// \dconfig reads pg_settings' names): the session's value of each setting
// it knows, NULL for other names.
func (b *binder) settingOf(name *plan.Expr) *plan.Expr {
	info := b.info()
	if info.SettingNames == nil || info.Setting == nil {
		failf(sqlerr.FeatureNotSupported, "current_setting needs a constant setting name here")
	}
	lower := plan.CallOf("lower", catalog.TypeText, name)
	e := &plan.Expr{Kind: plan.Case, Type: catalog.TypeText}
	for _, n := range info.SettingNames() {
		v, _ := info.Setting(n)
		e.Args = append(e.Args, plan.CallOf("=", catalog.TypeBool, lower, plan.ConstOf(catalog.TypeText, plan.Datum{S: n})),
			plan.ConstOf(catalog.TypeText, plan.Datum{S: v}))
	}
	if len(e.Args) == 0 {
		return plan.NullOf(catalog.TypeText)
	}
	return e
}
