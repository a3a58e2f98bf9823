package planner

import (
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// The has_*_privilege functions, over the catalog's roles and ACLs
// (catalog/acl.go): has_table_privilege([user,] table, privileges) and its
// schema, database, column and function siblings. The user (a name or an
// OID; the current role when left out) and the privilege list are
// constants; the object may be a column (an OID or a name): the answer
// per object is a plan.Lookup (by name, the executor's name_lookup) built
// once for the statement. A privilege list such as
// 'SELECT, INSERT WITH GRANT OPTION' holds when any of its privileges is
// held, as in PostgreSQL.

var privFuncs = map[string]catalog.ObjectKind{
	"has_table_privilege": catalog.KindTable, "has_any_column_privilege": catalog.KindTable,
	"has_column_privilege": catalog.KindTable, "has_schema_privilege": catalog.KindNamespace,
	"has_database_privilege": catalog.KindDatabase, "has_function_privilege": "function",
}

// privilegeFunc binds a has_*_privilege call; nil when name is not one.
func (b *binder) privilegeFunc(name string, args []*plan.Expr) *plan.Expr {
	kind, ok := privFuncs[name]
	if !ok {
		return nil
	}
	want := 2
	if name == "has_column_privilege" {
		want = 3
	}
	if len(args) != want && len(args) != want+1 {
		failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
	}
	role := b.current()
	if len(args) == want+1 {
		role = b.privilegeRole(args[0])
		args = args[1:]
	}
	privText := constString(args[len(args)-1], "privilege type")
	obj := args[0]
	cat := b.ctx.Catalog
	// holds answers for one object (owner and ACL) whether role has any of
	// the listed privileges.
	var privs, opts catalog.Privileges
	for _, item := range strings.Split(privText, ",") {
		p := strings.TrimSpace(strings.ToUpper(item))
		grant := strings.HasSuffix(p, " WITH GRANT OPTION")
		p = strings.TrimSuffix(p, " WITH GRANT OPTION")
		if kind == "function" && p == "EXECUTE" {
			privs |= catalog.PrivExecute
			continue
		}
		bit, ok := catalog.PrivilegeByName(p)
		if !ok || (kind != "function" && bit&allOf(kind) == 0) {
			failf(sqlerr.InvalidParameterValue, "unrecognized privilege type: %q", strings.TrimSpace(item)) // as written, as PostgreSQL
		}
		if grant {
			opts |= bit
		} else {
			privs |= bit
		}
	}
	holds := func(k catalog.ObjectKind, owner catalog.OID, acl catalog.ACL) bool {
		p, o := cat.Privileges(role, k, owner, acl)
		return p&privs != 0 || o&opts != 0
	}
	m := map[int64]plan.Datum{}
	byName := map[string]bool{}
	switch kind {
	case catalog.KindTable:
		for _, ns := range cat.Namespaces() {
			for _, t := range cat.Tables(ns.OID) {
				h := holds(catalog.KindTable, t.Owner(), t.ACL)
				m[int64(t.OID)] = plan.Datum{B: h}
				byName[ns.Name+"."+t.Name] = h
				if b.firstSchemaWith(t.Name) == ns.Name {
					byName[t.Name] = h
				}
				if len(t.PrimaryKey) > 0 {
					// An index has no ACL of its own: only its owner holds
					// privileges on it, as in PostgreSQL.
					h := holds(catalog.KindTable, t.Owner(), nil)
					name := PrimaryKeyName(t)
					m[int64(PrimaryKeyIndexOID(t))] = plan.Datum{B: h}
					byName[ns.Name+"."+name] = h
					if b.firstSchemaWith(name) == ns.Name {
						byName[name] = h
					}
				}
			}
		}
		for _, r := range b.systemRelations() {
			// System relations are readable by everyone, as pg_catalog's.
			h := privs&catalog.PrivSelect != 0 || cat.IsSuperuser(role)
			m[int64(r.OID)] = plan.Datum{B: h}
			byName[r.SchemaName()+"."+r.Name] = h
			if b.firstSchemaWith(r.Name) == r.SchemaName() {
				byName[r.Name] = h
			}
		}
	case catalog.KindNamespace:
		for _, ns := range pgcat.Namespaces(cat) {
			h := holds(catalog.KindNamespace, ns.Owner(), ns.ACL)
			if ns.OID == catalog.PgCatalogNamespace || ns.OID == pgcat.InformationSchemaNamespace {
				h = privs&catalog.PrivUsage != 0 || cat.IsSuperuser(role)
			}
			m[int64(ns.OID)] = plan.Datum{B: h}
			byName[ns.Name] = h
		}
	case catalog.KindDatabase:
		h := holds(catalog.KindDatabase, catalog.BootstrapSuperuser, nil)
		m[int64(pgcat.DatabaseOID)] = plan.Datum{B: h}
		byName[b.info().Database] = h
	default: // functions: EXECUTE belongs to PUBLIC on every built-in
		for o := range pgcat.ProcNames() {
			m[int64(o)] = plan.Datum{B: privs&catalog.PrivExecute != 0 || cat.IsSuperuser(role)}
		}
	}
	if obj.Type.IsString() && obj.Kind != plan.Const && kind != "function" {
		// A name computed per row: looked up when the statement runs.
		names := make(map[string]plan.Datum, len(byName))
		for k, h := range byName {
			names[k] = plan.Datum{B: h}
		}
		switch kind {
		case catalog.KindTable:
			return nameLookup(catalog.TypeBool, obj, true, b.info().Database, names, sqlerr.UndefinedTable, "relation")
		case catalog.KindNamespace:
			return nameLookup(catalog.TypeBool, obj, false, "", names, sqlerr.UndefinedSchema, "schema")
		}
		return nameLookup(catalog.TypeBool, obj, false, "", names, "3D000", "database")
	}
	if obj.Type.IsString() || obj.Type.Kind == catalog.Unknown {
		s := constString(obj, "object name")
		if kind == "function" {
			if i := strings.IndexByte(s, '('); i >= 0 {
				s = s[:i]
			}
			if _, ok := pgcat.ProcByName(strings.TrimPrefix(s, "pg_catalog.")); !ok {
				failf(sqlerr.UndefinedFunction, "function %q does not exist", s)
			}
			return plan.ConstOf(catalog.TypeBool, plan.Datum{B: privs&catalog.PrivExecute != 0 || cat.IsSuperuser(role)})
		}
		key := strings.Join(pgcat.SplitQualified(s), ".")
		h, ok := byName[key]
		if !ok {
			switch kind {
			case catalog.KindTable:
				failf(sqlerr.UndefinedTable, "relation %q does not exist", s)
			case catalog.KindNamespace:
				failf(sqlerr.UndefinedSchema, "schema %q does not exist", s)
			}
			failf("3D000", "database %q does not exist", s)
		}
		return plan.ConstOf(catalog.TypeBool, plan.Datum{B: h})
	}
	return plan.LookupOf(catalog.TypeBool, b.oidArg(obj, catalog.TypeOid), m, nil)
}

func allOf(kind catalog.ObjectKind) catalog.Privileges {
	switch kind {
	case catalog.KindTable:
		return catalog.AllTablePrivileges
	case catalog.KindNamespace:
		return catalog.AllSchemaPrivileges
	}
	return catalog.AllDatabasePrivileges
}

// privilegeRole resolves a has_*_privilege user argument (a name or an
// OID constant).
func (b *binder) privilegeRole(e *plan.Expr) catalog.OID {
	if e.Type.IsOidLike() || e.Type.IsInteger() {
		if e.Kind != plan.Const || e.Value.Null {
			failf(sqlerr.FeatureNotSupported, "has_*_privilege needs a constant role")
		}
		return catalog.OID(e.Value.I)
	}
	name := constString(e, "role name")
	if strings.EqualFold(name, "public") {
		return catalog.Public
	}
	r, ok := b.ctx.Catalog.Role(name)
	if !ok {
		failf(sqlerr.UndefinedObject, "role %q does not exist", name)
	}
	return r.OID
}

// constString returns a constant string argument.
func constString(e *plan.Expr, what string) string {
	if e.Kind != plan.Const || e.Value.Null || !(e.Type.IsString() || e.Type.Kind == catalog.Unknown) {
		failf(sqlerr.FeatureNotSupported, "the %s must be a constant", what)
	}
	return e.Value.S
}
