package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// grantTarget is one object of a GRANT or REVOKE.
type grantTarget struct {
	kind  catalog.ObjectKind
	what  string // table, view or schema, for messages
	name  string
	owner catalog.OID
	acl   catalog.ACL
	// set returns the object with a new ACL.
	set func(catalog.ACL) *catalog.Object
}

// grant binds GRANT and REVOKE of privileges on tables, views and schemas,
// with PostgreSQL's grantor rules: an owner (or a superuser, acting as the
// owner) grants as the owner; anyone else grants as itself what it holds
// grant options on, with a warning for what it could not grant.
func (b *binder) grant(gs *pg_query.GrantStmt) Statement {
	var targets []grantTarget
	var all catalog.Privileges
	switch gs.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE:
		all = catalog.AllTablePrivileges
		var tables []*catalog.Table
		if gs.Targtype == pg_query.GrantTargetType_ACL_TARGET_ALL_IN_SCHEMA {
			for _, o := range gs.Objects {
				ns := b.schemaNamed(o.GetString_().Sval)
				b.needUsage(ns)
				tables = append(tables, b.ctx.Catalog.Tables(ns.OID)...)
			}
		} else {
			for _, o := range gs.Objects {
				t, sys := b.relation(o.GetRangeVar())
				if sys != nil {
					failf(sqlerr.FeatureNotSupported, "privileges on system relations are not supported")
				}
				tables = append(tables, t)
			}
		}
		for _, t := range tables {
			t := t
			targets = append(targets, grantTarget{kind: catalog.KindTable, what: relKind(t), name: t.Name, owner: t.Owner(), acl: t.ACL,
				set: func(acl catalog.ACL) *catalog.Object {
					c := copyTable(t)
					c.ACL = acl
					return &catalog.Object{Table: c}
				}})
		}
	case pg_query.ObjectType_OBJECT_SCHEMA:
		all = catalog.AllSchemaPrivileges
		for _, o := range gs.Objects {
			ns := b.schemaNamed(o.GetString_().Sval)
			targets = append(targets, grantTarget{kind: catalog.KindNamespace, what: "schema", name: ns.Name, owner: ns.Owner(), acl: ns.ACL,
				set: func(acl catalog.ACL) *catalog.Object { c := *ns; c.ACL = acl; return &catalog.Object{Namespace: &c} }})
		}
	default:
		failf(sqlerr.FeatureNotSupported, "GRANT and REVOKE on %s are not supported", strings.ToLower(strings.TrimPrefix(gs.Objtype.String(), "OBJECT_")))
	}

	// The privileges named.
	var privs catalog.Privileges
	allPrivs := len(gs.Privileges) == 0
	for _, n := range gs.Privileges {
		ap := n.GetAccessPriv()
		if len(ap.Cols) > 0 {
			failf(sqlerr.FeatureNotSupported, "column privileges are not supported")
		}
		p, ok := catalog.PrivilegeByName(ap.PrivName)
		if !ok || p&all == 0 {
			what := "relation"
			if gs.Objtype == pg_query.ObjectType_OBJECT_SCHEMA {
				what = "schema"
			}
			failf(sqlerr.InvalidGrantOperation, "invalid privilege type %s for %s", strings.ToUpper(ap.PrivName), what)
		}
		privs |= p
	}
	if allPrivs {
		privs = all
	}

	var grantees []catalog.OID
	for _, n := range gs.Grantees {
		oid, _ := b.roleSpec(n.GetRoleSpec(), true)
		if oid == catalog.Public && gs.GrantOption && gs.IsGrant {
			failf(sqlerr.InvalidGrantOperation, "grant options can only be granted to roles")
		}
		grantees = append(grantees, oid)
	}
	if gs.Grantor != nil {
		failf(sqlerr.FeatureNotSupported, "GRANTED BY is not supported")
	}

	out := &ChangeObjects{Tag: "GRANT"}
	if !gs.IsGrant {
		out.Tag = "REVOKE"
	}
	cat, me := b.ctx.Catalog, b.current()
	for _, t := range targets {
		grantor, avail := t.owner, all
		if !cat.IsSuperuser(me) && !cat.HasPrivsOfRole(me, t.owner) {
			held, opts := cat.Privileges(me, t.kind, t.owner, t.acl)
			if opts == 0 && held == 0 {
				failf(sqlerr.InsufficientPrivilege, "permission denied for %s %s", t.what, t.name)
			}
			grantor, avail = me, opts
		}
		these := privs & avail
		if w := grantWarning(gs.IsGrant, these, privs, allPrivs, t.name); w != nil {
			out.Notices = append(out.Notices, w)
		}
		acl := t.acl.Or(t.kind, t.owner)
		for _, g := range grantees {
			if gs.IsGrant {
				var opts catalog.Privileges
				if gs.GrantOption {
					opts = these
				}
				acl = acl.Grant(g, grantor, these, opts)
			} else {
				var lost catalog.Privileges
				for _, it := range acl {
					if it.Grantee == g && it.Grantor == grantor {
						lost = it.GrantOptions & these
					}
				}
				acl = revokeDependent(acl.Revoke(g, grantor, these, gs.GrantOption), g, lost,
					gs.Behavior == pg_query.DropBehavior_DROP_CASCADE)
			}
		}
		out.Objects = append(out.Objects, t.set(acl))
	}
	return out
}

// revokeDependent handles the grants made by grantee with grant options it
// just lost (those it no longer holds from any grantor): an error without
// CASCADE, as PostgreSQL's "dependent privileges exist"; with CASCADE they
// are revoked too, and so on down the chain.
func revokeDependent(acl catalog.ACL, grantee catalog.OID, lost catalog.Privileges, cascade bool) catalog.ACL {
	for _, it := range acl {
		if it.Grantee == grantee {
			lost &^= it.GrantOptions
		}
	}
	if lost == 0 {
		return acl
	}
	for _, it := range acl {
		if it.Grantor != grantee || it.Grantee == grantee || it.Privs&lost == 0 {
			continue
		}
		if !cascade {
			fail(sqlerr.New(sqlerr.DependentObjectsStillExist, "dependent privileges exist").WithHint("Use CASCADE to revoke them too."))
		}
		acl = revokeDependent(acl.Revoke(it.Grantee, grantee, lost, false), it.Grantee, it.GrantOptions&lost, true)
	}
	return acl
}

// grantWarning is PostgreSQL's warning when a grantor could grant or revoke
// only some of the privileges asked for.
func grantWarning(grant bool, these, asked catalog.Privileges, all bool, name string) *sqlerr.Error {
	switch {
	case grant && these == 0:
		return sqlerr.Errorf(sqlerr.PrivilegeNotGranted, "no privileges were granted for %q", name)
	case grant && !all && these != asked:
		return sqlerr.Errorf(sqlerr.PrivilegeNotGranted, "not all privileges were granted for %q", name)
	case !grant && these == 0:
		return sqlerr.Errorf(sqlerr.PrivilegeNotRevoked, "no privileges could be revoked for %q", name)
	case !grant && !all && these != asked:
		return sqlerr.Errorf(sqlerr.PrivilegeNotRevoked, "not all privileges could be revoked for %q", name)
	}
	return nil
}

// schemaNamed returns the named schema, or fails with 3F000.
func (b *binder) schemaNamed(name string) *catalog.Namespace {
	ns, ok := b.ctx.Catalog.Namespace(name)
	if !ok {
		failf(sqlerr.UndefinedSchema, "schema %q does not exist", name)
	}
	return ns
}

// changeOwner binds ALTER TABLE/VIEW … OWNER TO: the current owner (or a
// superuser) who can SET ROLE to the new owner, which must be allowed to
// create in the relation's schema. The ACL follows the owner.
func (b *binder) changeOwner(t *catalog.Table, spec *pg_query.RoleSpec) Statement {
	newOwner, _ := b.roleSpec(spec, false)
	out := &ChangeObjects{Tag: "ALTER TABLE"}
	if t.IsView() {
		out.Tag = "ALTER VIEW"
	}
	if newOwner == t.Owner() {
		return out
	}
	if !b.superuser() {
		b.mustOwn(t)
		b.mustBeMember(newOwner)
		if ns, ok := b.ctx.Catalog.NamespaceByOID(t.Namespace); ok && b.ctx.Catalog.NamespacePrivileges(newOwner, ns)&catalog.PrivCreate == 0 {
			failf(sqlerr.InsufficientPrivilege, "permission denied for schema %s", ns.Name)
		}
	}
	c := copyTable(t)
	c.ACL = newOwnerACL(t.ACL, t.Owner(), newOwner)
	c.OwnerOID = newOwner
	out.Objects = []*catalog.Object{{Table: c}}
	return out
}

// changeSchemaOwner binds ALTER SCHEMA … OWNER TO.
func (b *binder) changeSchemaOwner(as *pg_query.AlterOwnerStmt) Statement {
	if as.ObjectType != pg_query.ObjectType_OBJECT_SCHEMA {
		failf(sqlerr.FeatureNotSupported, "ALTER %s … OWNER TO is not supported", strings.TrimPrefix(as.ObjectType.String(), "OBJECT_"))
	}
	ns := b.schemaNamed(as.Object.GetString_().Sval)
	newOwner, _ := b.roleSpec(as.Newowner, false)
	out := &ChangeObjects{Tag: "ALTER SCHEMA"}
	if newOwner == ns.Owner() {
		return out
	}
	if !b.superuser() {
		b.mustOwnSchema(ns)
		b.mustBeMember(newOwner)
		if b.ctx.Catalog.DatabasePrivileges(b.current())&catalog.PrivCreate == 0 {
			failf(sqlerr.InsufficientPrivilege, "permission denied for database %s", b.ctx.Database)
		}
	}
	c := *ns
	c.ACL = newOwnerACL(ns.ACL, ns.Owner(), newOwner)
	c.OwnerOID = newOwner
	out.Objects = []*catalog.Object{{Namespace: &c}}
	return out
}

// mustBeMember fails unless the current role may become role.
func (b *binder) mustBeMember(role catalog.OID) {
	if !b.ctx.Catalog.IsMemberOfRole(b.current(), role) {
		failf(sqlerr.InsufficientPrivilege, "must be member of role %q", b.ctx.Catalog.RoleName(role))
	}
}

// newOwnerACL moves an ACL to a new owner as PostgreSQL's aclnewowner does:
// every item granted to or by the old owner is now the new owner's, merged
// with an item the new owner already had. A default ACL stays default.
func newOwnerACL(acl catalog.ACL, old, to catalog.OID) catalog.ACL {
	if acl == nil {
		return nil
	}
	var out catalog.ACL
	for _, it := range acl {
		if it.Grantee == old {
			it.Grantee = to
		}
		if it.Grantor == old {
			it.Grantor = to
		}
		out = out.Grant(it.Grantee, it.Grantor, it.Privs, it.GrantOptions)
	}
	return out
}
