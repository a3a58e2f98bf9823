package planner

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// Role DDL (CREATE/ALTER/DROP ROLE, GRANT/REVOKE role) is checked with
// PostgreSQL 15's rules: CREATEROLE (or superuser) manages non-superuser
// roles, only superusers manage superusers, a role may change its own
// password, and granting membership needs CREATEROLE or ADMIN OPTION.

// CreateRole creates a role; its OID is allocated when it runs.
type CreateRole struct {
	Role catalog.Role
	// Password is the role's password as given (clear text, or a SCRAM or
	// md5 secret), nil for none; it is stored encrypted.
	Password *string
	// InRoles are roles the new role becomes a member of (IN ROLE); Members
	// and Admins are roles that become members of it (ROLE, ADMIN: with
	// admin option). Grantor is the current role.
	InRoles, Members, Admins []*catalog.Role
	Grantor                  catalog.OID
}

// AlterRole replaces a role with Role (same OID); with SetPassword its
// password becomes Password (nil for NULL), encrypted when it runs.
type AlterRole struct {
	Role        *catalog.Role
	SetPassword bool
	Password    *string
	Notices     []*sqlerr.Error
	Tag         string
}

// DropRole drops roles. Changed are other roles that lose their membership
// in a dropped one; Missing lists names not found under IF EXISTS.
type DropRole struct {
	Roles   []*catalog.Role
	Changed []*catalog.Role
	Missing []string
}

// ChangeObjects replaces catalog objects with new versions of themselves
// (same OIDs): GRANT and REVOKE, ALTER … OWNER TO.
type ChangeObjects struct {
	Objects []*catalog.Object
	Notices []*sqlerr.Error
	Tag     string
}

// SetRole is SET ROLE, RESET ROLE and SET/RESET SESSION AUTHORIZATION.
// Role 0 returns to the session user (for SET ROLE) or the authenticated
// user (for SESSION AUTHORIZATION).
type SetRole struct {
	Role    catalog.OID
	Session bool
	Reset   bool // RESET rather than SET (the command tag)
}

func (*CreateRole) stmt()    {}
func (*AlterRole) stmt()     {}
func (*DropRole) stmt()      {}
func (*ChangeObjects) stmt() {}
func (*SetRole) stmt()       {}

// current is the role running the statement (the bootstrap superuser when
// binding without a role).
func (b *binder) current() catalog.OID {
	if b.ctx.Role == 0 {
		return catalog.BootstrapSuperuser
	}
	return b.ctx.Role
}

func (b *binder) superuser() bool { return b.ctx.Catalog.IsSuperuser(b.current()) }

func (b *binder) createRolePrivilege() bool {
	r, ok := b.ctx.Catalog.RoleByOID(b.current())
	return ok && (r.Super || r.CreateRole)
}

// roleNamed returns the named role, or fails with 42704.
func (b *binder) roleNamed(name string) *catalog.Role {
	r, ok := b.ctx.Catalog.Role(name)
	if !ok {
		failf(sqlerr.UndefinedObject, "role %q does not exist", name)
	}
	return r
}

// roleSpec resolves a role specification; PUBLIC is allowed only with
// public (its OID is catalog.Public, and the role nil).
func (b *binder) roleSpec(rs *pg_query.RoleSpec, public bool) (catalog.OID, *catalog.Role) {
	switch rs.Roletype {
	case pg_query.RoleSpecType_ROLESPEC_PUBLIC:
		if !public {
			failf(sqlerr.ReservedName, "role name \"public\" is reserved")
		}
		return catalog.Public, nil
	case pg_query.RoleSpecType_ROLESPEC_CURRENT_USER, pg_query.RoleSpecType_ROLESPEC_CURRENT_ROLE:
		return b.roleByOID(b.current())
	case pg_query.RoleSpecType_ROLESPEC_SESSION_USER:
		u := b.ctx.SessionUser
		if u == 0 {
			u = b.current()
		}
		return b.roleByOID(u)
	}
	r := b.roleNamed(rs.Rolename)
	return r.OID, r
}

func (b *binder) roleByOID(oid catalog.OID) (catalog.OID, *catalog.Role) {
	r, ok := b.ctx.Catalog.RoleByOID(oid)
	if !ok {
		failf(sqlerr.UndefinedObject, "role with OID %d does not exist", oid)
	}
	return oid, r
}

func (b *binder) rolesOf(list *pg_query.Node) []*catalog.Role {
	var out []*catalog.Role
	for _, n := range list.GetList().GetItems() {
		_, r := b.roleSpec(n.GetRoleSpec(), false)
		out = append(out, r)
	}
	return out
}

// roleOptions applies CREATE/ALTER ROLE options to r. It returns the
// password option (set reports that one was given) and the membership
// lists CREATE ROLE takes.
func (b *binder) roleOptions(r *catalog.Role, opts []*pg_query.Node, create bool) (pw *string, set bool, in, members, admins []*catalog.Role) {
	seen := map[string]bool{}
	for _, o := range opts {
		d := o.GetDefElem()
		if seen[d.Defname] {
			failf(sqlerr.SyntaxError, "conflicting or redundant options")
		}
		seen[d.Defname] = true
		boolArg := func() bool { return d.Arg.GetBoolean().GetBoolval() }
		switch d.Defname {
		case "superuser":
			r.Super = boolArg()
		case "inherit":
			r.Inherit = boolArg()
		case "createrole":
			r.CreateRole = boolArg()
		case "createdb":
			r.CreateDB = boolArg()
		case "canlogin":
			r.CanLogin = boolArg()
		case "connectionlimit":
			n := d.Arg.GetInteger().GetIval()
			if n < -1 {
				failf(sqlerr.InvalidParameterValue, "invalid connection limit: %d", n)
			}
			r.ConnLimit = n
		case "password":
			set = true
			if s := d.Arg.GetString_(); s != nil {
				v := s.Sval
				pw = &v
			}
		case "validUntil":
			d, err := pgtype.ParseText(catalog.TypeTimestamp, []byte(d.Arg.GetString_().GetSval()))
			if err != nil {
				fail(err)
			}
			v := d.I
			r.ValidUntil = &v
		case "addroleto":
			in = b.rolesOf(d.Arg)
		case "rolemembers":
			members = b.rolesOf(d.Arg)
		case "adminmembers":
			admins = b.rolesOf(d.Arg)
		case "isreplication", "bypassrls":
			if boolArg() {
				failf(sqlerr.FeatureNotSupported, "%s is not supported", strings.ToUpper(map[string]string{"isreplication": "replication", "bypassrls": "bypassrls"}[d.Defname]))
			}
		default:
			failf(sqlerr.FeatureNotSupported, "role option %q is not supported", d.Defname)
		}
	}
	if !create && (in != nil || members != nil || admins != nil) {
		failf(sqlerr.SyntaxError, "role membership options belong to CREATE ROLE")
	}
	return pw, set, in, members, admins
}

func (b *binder) createRole(cs *pg_query.CreateRoleStmt) Statement {
	checkRoleName(cs.Role)
	r := catalog.Role{Name: cs.Role, Inherit: true, ConnLimit: -1}
	if cs.StmtType == pg_query.RoleStmtType_ROLESTMT_USER {
		r.CanLogin = true
	}
	pw, _, in, members, admins := b.roleOptions(&r, cs.Options, true)
	switch {
	case r.Super && !b.superuser():
		failf(sqlerr.InsufficientPrivilege, "must be superuser to create superusers")
	case !b.createRolePrivilege():
		failf(sqlerr.InsufficientPrivilege, "permission denied to create role")
	}
	if _, exists := b.ctx.Catalog.Role(r.Name); exists {
		failf(sqlerr.DuplicateObject, "role %q already exists", r.Name)
	}
	for _, g := range in {
		b.mayGrantRole(g)
	}
	return &CreateRole{Role: r, Password: pw, InRoles: in, Members: members, Admins: admins, Grantor: b.current()}
}

// checkRoleName refuses the names PostgreSQL reserves.
func checkRoleName(name string) {
	switch {
	case name == "public" || name == "none":
		failf(sqlerr.ReservedName, "role name %q is reserved", name)
	case strings.HasPrefix(name, "pg_"):
		fail(sqlerr.Errorf(sqlerr.ReservedName, "role name %q is reserved", name).
			WithDetail("Role names starting with \"pg_\" are reserved."))
	}
}

func (b *binder) alterRole(as *pg_query.AlterRoleStmt) Statement {
	_, old := b.roleSpec(as.Role, false)
	r := copyRole(old)
	pw, setPW, _, _, _ := b.roleOptions(r, as.Options, false)
	onlyPassword := len(as.Options) == 1 && setPW
	superOpt := false
	for _, o := range as.Options {
		superOpt = superOpt || o.GetDefElem().Defname == "superuser"
	}
	switch {
	case old.Super || superOpt:
		if !b.superuser() {
			failf(sqlerr.InsufficientPrivilege, "must be superuser to alter superuser roles or change superuser attribute")
		}
	case !b.createRolePrivilege():
		if !onlyPassword || old.OID != b.current() {
			failf(sqlerr.InsufficientPrivilege, "permission denied")
		}
	}
	return &AlterRole{Role: r, SetPassword: setPW, Password: pw, Tag: "ALTER ROLE"}
}

// renameRole is ALTER ROLE … RENAME TO.
func (b *binder) renameRole(rs *pg_query.RenameStmt) Statement {
	old := b.roleNamed(rs.Subname)
	switch {
	case old.OID == b.ctx.SessionUser:
		failf(sqlerr.FeatureNotSupported, "session user cannot be renamed")
	case old.OID == b.current():
		failf(sqlerr.FeatureNotSupported, "current user cannot be renamed")
	}
	if _, exists := b.ctx.Catalog.Role(rs.Newname); exists {
		failf(sqlerr.DuplicateObject, "role %q already exists", rs.Newname)
	}
	checkRoleName(rs.Newname)
	switch {
	case old.Super && !b.superuser():
		failf(sqlerr.InsufficientPrivilege, "must be superuser to rename superusers")
	case !b.createRolePrivilege():
		failf(sqlerr.InsufficientPrivilege, "permission denied to rename role")
	}
	r := copyRole(old)
	r.Name = rs.Newname
	ar := &AlterRole{Role: r, Tag: "ALTER ROLE"}
	if strings.HasPrefix(r.Password, "md5") {
		// An md5 secret is salted with the name; it is useless now.
		r.Password = ""
		ar.Notices = append(ar.Notices, sqlerr.New(sqlerr.SuccessfulCompletion, "MD5 password cleared because of role rename"))
	}
	return ar
}

func copyRole(r *catalog.Role) *catalog.Role {
	c := *r
	c.MemberOf = append([]catalog.Membership(nil), r.MemberOf...)
	c.Version = r.Version
	return &c
}

func (b *binder) dropRole(ds *pg_query.DropRoleStmt) Statement {
	if !b.createRolePrivilege() {
		failf(sqlerr.InsufficientPrivilege, "permission denied to drop role")
	}
	d := &DropRole{}
	dropped := map[catalog.OID]bool{}
	for _, n := range ds.Roles {
		rs := n.GetRoleSpec()
		if rs.Roletype == pg_query.RoleSpecType_ROLESPEC_PUBLIC {
			failf(sqlerr.UndefinedObject, "role %q does not exist", "public")
		}
		if rs.Roletype != pg_query.RoleSpecType_ROLESPEC_CSTRING {
			failf(sqlerr.InvalidParameterValue, "cannot use special role specifier in DROP ROLE")
		}
		r, ok := b.ctx.Catalog.Role(rs.Rolename)
		if !ok {
			if ds.MissingOk {
				d.Missing = append(d.Missing, rs.Rolename)
				continue
			}
			failf(sqlerr.UndefinedObject, "role %q does not exist", rs.Rolename)
		}
		switch {
		case r.OID == b.current():
			failf(sqlerr.ObjectInUse, "current user cannot be dropped")
		case r.OID == b.ctx.SessionUser:
			failf(sqlerr.ObjectInUse, "session user cannot be dropped")
		case r.OID == catalog.BootstrapSuperuser || r.OID == catalog.DatabaseOwnerRole:
			failf(sqlerr.DependentObjectsStillExist, "cannot drop role %s because it is required by the database system", r.Name)
		case r.Super && !b.superuser():
			failf(sqlerr.InsufficientPrivilege, "must be superuser to drop superusers")
		}
		if deps := b.roleDependencies(r.OID); len(deps) > 0 {
			fail(sqlerr.Errorf(sqlerr.DependentObjectsStillExist, "role %q cannot be dropped because some objects depend on it", r.Name).
				WithDetail(strings.Join(deps, "\n")))
		}
		if !dropped[r.OID] {
			dropped[r.OID] = true
			d.Roles = append(d.Roles, r)
		}
	}
	// Roles that are members of a dropped role lose the membership.
	for _, m := range b.ctx.Catalog.Roles() {
		if dropped[m.OID] {
			continue
		}
		var keep []catalog.Membership
		for _, ms := range m.MemberOf {
			if !dropped[ms.Role] {
				keep = append(keep, ms)
			}
		}
		if len(keep) != len(m.MemberOf) {
			c := copyRole(m)
			c.MemberOf = keep
			d.Changed = append(d.Changed, c)
		}
	}
	return d
}

// roleDependencies describes what still refers to a role, as PostgreSQL's
// DETAIL of 2BP01 does: objects it owns, then objects it has privileges on.
func (b *binder) roleDependencies(role catalog.OID) []string {
	var owns, privs []string
	cat := b.ctx.Catalog
	nss := cat.Namespaces()
	for _, ns := range nss {
		if ns.OwnerOID == role {
			owns = append(owns, "owner of schema "+ns.Name)
		}
		if ns.ACL.References(role) {
			privs = append(privs, "privileges for schema "+ns.Name)
		}
	}
	for _, t := range cat.Tables(0) {
		if t.OwnerOID == role {
			owns = append(owns, fmt.Sprintf("owner of %s %s", relKind(t), b.displayName(t)))
		}
		if t.ACL.References(role) {
			privs = append(privs, fmt.Sprintf("privileges for %s %s", relKind(t), b.displayName(t)))
		}
	}
	return append(owns, privs...)
}

// displayName is a relation's name as PostgreSQL describes it: qualified
// unless its schema is on the search path.
func (b *binder) displayName(t *catalog.Table) string {
	for _, s := range b.searchPath() {
		if ns, ok := b.ctx.Catalog.Namespace(s); ok && ns.OID == t.Namespace {
			return t.Name
		}
	}
	return b.ctx.Catalog.QualifiedName(t)
}

// mayGrantRole fails unless the current role may grant membership in r.
func (b *binder) mayGrantRole(r *catalog.Role) {
	if r.Super {
		if !b.superuser() {
			failf(sqlerr.InsufficientPrivilege, "must be superuser to alter superusers")
		}
		return
	}
	if !b.createRolePrivilege() && !b.ctx.Catalog.IsAdminOfRole(b.current(), r.OID) {
		failf(sqlerr.InsufficientPrivilege, "must have admin option on role %q", r.Name)
	}
}

// isMemberNoSuper reports whether member belongs to role through any chain
// of memberships, not counting superuser status (for loop detection).
func isMemberNoSuper(cat *catalog.Catalog, member, role catalog.OID) bool {
	if member == role {
		return true
	}
	seen := map[catalog.OID]bool{member: true}
	queue := []catalog.OID{member}
	for len(queue) > 0 {
		r, ok := cat.RoleByOID(queue[0])
		queue = queue[1:]
		if !ok {
			continue
		}
		for _, ms := range r.MemberOf {
			if ms.Role == role {
				return true
			}
			if !seen[ms.Role] {
				seen[ms.Role] = true
				queue = append(queue, ms.Role)
			}
		}
	}
	return false
}

func (b *binder) grantRole(gs *pg_query.GrantRoleStmt) Statement {
	admin := false
	for _, o := range gs.Opt {
		d := o.GetDefElem()
		if d.Defname != "admin" {
			failf(sqlerr.FeatureNotSupported, "GRANT role option %q is not supported", d.Defname)
		}
		admin = d.Arg.GetBoolean().GetBoolval() || !gs.IsGrant
	}
	if gs.Grantor != nil {
		failf(sqlerr.FeatureNotSupported, "GRANTED BY is not supported")
	}
	out := &ChangeObjects{Tag: "GRANT ROLE"}
	if !gs.IsGrant {
		out.Tag = "REVOKE ROLE"
	}
	changed := map[catalog.OID]*catalog.Role{}
	var order []catalog.OID
	cat := b.ctx.Catalog
	for _, gn := range gs.GrantedRoles {
		granted := b.roleNamed(gn.GetAccessPriv().PrivName)
		if granted.OID == catalog.DatabaseOwnerRole && gs.IsGrant {
			// PostgreSQL raises this with elog: XX000.
			failf(sqlerr.Internal, "role %q cannot have explicit members", granted.Name)
		}
		b.mayGrantRole(granted)
		for _, mn := range gs.GranteeRoles {
			_, member := b.roleSpec(mn.GetRoleSpec(), false)
			m := changed[member.OID]
			if m == nil {
				m = copyRole(member)
			}
			ms := m.MemberOfRole(granted.OID)
			if gs.IsGrant {
				if isMemberNoSuper(cat, granted.OID, member.OID) {
					failf(sqlerr.InvalidGrantOperation, "role %q is a member of role %q", granted.Name, member.Name)
				}
				switch {
				case ms != nil && (ms.Admin || !admin):
					out.Notices = append(out.Notices, sqlerr.Errorf(sqlerr.SuccessfulCompletion, "role %q is already a member of role %q", member.Name, granted.Name))
					continue
				case ms != nil:
					ms.Admin = true
				default:
					m.MemberOf = append(m.MemberOf, catalog.Membership{Role: granted.OID, Grantor: b.current(), Admin: admin})
				}
			} else {
				if ms == nil {
					out.Notices = append(out.Notices, sqlerr.Errorf(sqlerr.Warning, "role %q is not a member of role %q", member.Name, granted.Name))
					continue
				}
				if admin {
					ms.Admin = false
				} else {
					var keep []catalog.Membership
					for _, x := range m.MemberOf {
						if x.Role != granted.OID {
							keep = append(keep, x)
						}
					}
					m.MemberOf = keep
				}
			}
			if changed[m.OID] == nil {
				changed[m.OID] = m
				order = append(order, m.OID)
			}
		}
	}
	for _, oid := range order {
		out.Objects = append(out.Objects, &catalog.Object{Role: changed[oid]})
	}
	return out
}

// setRole binds SET ROLE, RESET ROLE and SET SESSION AUTHORIZATION.
func (b *binder) setRole(s *pg_query.VariableSetStmt, session bool) Statement {
	sr := &SetRole{Session: session, Reset: s.Kind == pg_query.VariableSetKind_VAR_RESET}
	if s.Kind != pg_query.VariableSetKind_VAR_SET_VALUE {
		return sr
	}
	if len(s.Args) != 1 {
		failf(sqlerr.SyntaxError, "SET %s takes only one argument", s.Name)
	}
	name := constText(s.Args[0].GetAConst())
	if !session && name == "none" {
		return sr
	}
	r, ok := b.ctx.Catalog.Role(name)
	if !ok {
		failf(sqlerr.InvalidParameterValue, "role %q does not exist", name)
	}
	sr.Role = r.OID
	if session {
		if !b.ctx.Catalog.IsSuperuser(b.ctx.AuthenticatedUser) && r.OID != b.ctx.AuthenticatedUser {
			failf(sqlerr.InsufficientPrivilege, "permission denied to set session authorization")
		}
		return sr
	}
	if !b.ctx.Catalog.IsMemberOfRole(b.sessionUser(), r.OID) {
		failf(sqlerr.InsufficientPrivilege, "permission denied to set role %q", name)
	}
	return sr
}

func (b *binder) sessionUser() catalog.OID {
	if b.ctx.SessionUser == 0 {
		return b.current()
	}
	return b.ctx.SessionUser
}
