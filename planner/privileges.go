package planner

import (
	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// Privilege checks happen while binding, against the statement's catalog
// snapshot, with PostgreSQL's rules and messages:
//
//   - Schemas: a qualified name needs USAGE on its schema ("permission
//     denied for schema s"); the search path skips schemas without USAGE;
//     creating a table or view needs CREATE on the schema.
//   - Tables: what a statement reads and writes is collected while it binds
//     (SELECT on every table or view in FROM, INSERT, UPDATE or DELETE on a
//     DML target) and checked once binding succeeded, as PostgreSQL checks
//     its range table at executor start, so that a missing column is
//     reported before a missing privilege. A view's own query is checked
//     with the privileges of the view's owner.
//   - ALTER, DROP and GRANT need ownership ("must be owner of table t").
//
// Superusers pass every check. Context.Role 0 binds without checks (a
// statement Cirrus runs for itself).

// access is one privilege a statement needs on a table, checked as role.
type access struct {
	table *catalog.Table
	privs catalog.Privileges
	role  catalog.OID
}

// checking reports whether privilege checks apply to the binder's role.
func (b *binder) checking() bool {
	return b.role != 0 && !b.ctx.Catalog.IsSuperuser(b.role)
}

// require records that the statement needs privs on t, as the binder's
// role.
func (b *binder) require(t *catalog.Table, privs catalog.Privileges) {
	if privs != 0 && b.checking() {
		*b.perms = append(*b.perms, access{table: t, privs: privs, role: b.role})
	}
}

// checkAccess fails with the first table privilege the statement lacks.
func checkAccess(cat *catalog.Catalog, perms []access) error {
	for _, a := range perms {
		if cat.TablePrivileges(a.role, a.table)&a.privs != a.privs {
			return permissionDenied(a.table)
		}
	}
	return nil
}

// relKind is how PostgreSQL names a relation's kind in privilege errors.
func relKind(t *catalog.Table) string {
	if t.IsView() {
		return "view"
	}
	return "table"
}

func permissionDenied(t *catalog.Table) error {
	return sqlerr.Errorf(sqlerr.InsufficientPrivilege, "permission denied for %s %s", relKind(t), t.Name)
}

// usable reports whether the binder's role has USAGE on ns.
func (b *binder) usable(ns *catalog.Namespace) bool {
	return !b.checking() || b.ctx.Catalog.NamespacePrivileges(b.role, ns)&catalog.PrivUsage != 0
}

// needUsage fails unless the binder's role has USAGE on ns.
func (b *binder) needUsage(ns *catalog.Namespace) {
	if !b.usable(ns) {
		failf(sqlerr.InsufficientPrivilege, "permission denied for schema %s", ns.Name)
	}
}

// needCreate fails unless the binder's role may create objects in ns.
func (b *binder) needCreate(ns *catalog.Namespace) {
	if b.checking() && b.ctx.Catalog.NamespacePrivileges(b.role, ns)&catalog.PrivCreate == 0 {
		failf(sqlerr.InsufficientPrivilege, "permission denied for schema %s", ns.Name)
	}
}

// ownsRole reports whether the binder's role has the privileges of owner
// (PostgreSQL's ownership checks).
func (b *binder) ownsRole(owner catalog.OID) bool {
	return b.role == 0 || b.ctx.Catalog.HasPrivsOfRole(b.role, owner)
}

// mustOwn fails unless the binder's role owns t.
func (b *binder) mustOwn(t *catalog.Table) {
	if !b.ownsRole(t.Owner()) {
		failf(sqlerr.InsufficientPrivilege, "must be owner of %s %s", relKind(t), t.Name)
	}
}

// mustOwnSchema fails unless the binder's role owns ns.
func (b *binder) mustOwnSchema(ns *catalog.Namespace) {
	if !b.ownsRole(ns.Owner()) {
		failf(sqlerr.InsufficientPrivilege, "must be owner of schema %s", ns.Name)
	}
}

// owner is the owner of the objects the statement creates.
func (b *binder) owner() catalog.OID {
	if b.ctx.Role == 0 {
		return catalog.BootstrapSuperuser
	}
	return b.ctx.Role
}
