package catalog

import (
	"math"
	"sort"
)

// The bootstrap superuser: metad creates it on first start (and on the
// first start of a catalog from before roles existed) with PostgreSQL's
// BOOTSTRAP_SUPERUSERID, no password, LOGIN. It owns the well-known
// namespaces and every object created before roles existed.
const (
	BootstrapSuperuser     OID    = 10
	BootstrapSuperuserName string = "cirrus"
)

// DatabaseOwnerRole is PostgreSQL's pg_database_owner (OID 6171), which
// owns schema public: a role with no explicit members whose privileges the
// database's owner (the bootstrap superuser) has.
const (
	DatabaseOwnerRole     OID    = 6171
	DatabaseOwnerRoleName string = "pg_database_owner"
)

// NoValidUntil is Role.ValidUntil's value for 'infinity'.
const NoValidUntil int64 = math.MaxInt64

// Role is a user or group (PostgreSQL's pg_authid row), with the roles it is
// a member of (its pg_auth_members rows as the member).
type Role struct {
	OID        OID    `json:"oid"`
	Name       string `json:"name"`
	Super      bool   `json:"super,omitempty"`
	Inherit    bool   `json:"inherit,omitempty"`
	CreateRole bool   `json:"createrole,omitempty"`
	CreateDB   bool   `json:"createdb,omitempty"`
	CanLogin   bool   `json:"login,omitempty"`
	// ConnLimit is the number of concurrent connections allowed, -1 for no
	// limit (rolconnlimit).
	ConnLimit int32 `json:"connlimit"`
	// Password is rolpassword: a SCRAM-SHA-256 secret
	// ("SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"), an md5
	// one ("md5" + 32 hex digits), or "" for none. Never the clear text.
	Password string `json:"password,omitempty"`
	// ValidUntil is rolvaliduntil in microseconds since 2000-01-01 UTC
	// (NoValidUntil for 'infinity'); nil when not set.
	ValidUntil *int64 `json:"validuntil,omitempty"`
	// MemberOf lists the roles this role was granted, in grant order.
	MemberOf []Membership `json:"memberof,omitempty"`
	// Version is the etcd revision this version was committed at (as
	// Table.Version).
	Version int64 `json:"version,omitempty"`
}

// Membership is one GRANT role TO member, recorded on the member.
type Membership struct {
	Role    OID  `json:"role"`
	Grantor OID  `json:"grantor"`
	Admin   bool `json:"admin,omitempty"`
}

// MemberOfRole returns the role's membership in role, nil if there is none.
func (r *Role) MemberOfRole(role OID) *Membership {
	for i := range r.MemberOf {
		if r.MemberOf[i].Role == role {
			return &r.MemberOf[i]
		}
	}
	return nil
}

// Role returns the role with the given name.
func (c *Catalog) Role(name string) (*Role, bool) {
	oid, ok := c.roleByName[name]
	if !ok {
		return nil, false
	}
	return c.roles[oid], true
}

// RoleByOID returns the role with the given OID.
func (c *Catalog) RoleByOID(oid OID) (*Role, bool) {
	r, ok := c.roles[oid]
	return r, ok
}

// Roles returns every role ordered by OID.
func (c *Catalog) Roles() []*Role {
	out := make([]*Role, 0, len(c.roles))
	for _, r := range c.roles {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// RoleName returns the name of a role, or its OID in digits when there is
// no such role (as PostgreSQL prints a dangling aclitem grantee).
func (c *Catalog) RoleName(oid OID) string {
	if r, ok := c.roles[oid]; ok {
		return r.Name
	}
	return oidDigits(oid)
}

func oidDigits(oid OID) string {
	if oid == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for v := uint32(oid); v > 0; v /= 10 {
		i--
		b[i] = byte('0' + v%10)
	}
	return string(b[i:])
}

// IsSuperuser reports whether role is a superuser.
func (c *Catalog) IsSuperuser(role OID) bool {
	r, ok := c.roles[role]
	return ok && r.Super
}

// HasPrivsOfRole reports whether member has the privileges of role
// (PostgreSQL's has_privs_of_role): it is role, a superuser, or a member
// of role through a chain of memberships in which every role whose
// memberships are followed, member included, has INHERIT.
func (c *Catalog) HasPrivsOfRole(member, role OID) bool {
	if member == role || c.IsSuperuser(member) {
		return true
	}
	return c.reaches(member, role, true)
}

// IsMemberOfRole reports whether member is role, a superuser, or a member
// of role through any chain of memberships, INHERIT or not (what SET ROLE
// requires: PostgreSQL's is_member_of_role).
func (c *Catalog) IsMemberOfRole(member, role OID) bool {
	if member == role || c.IsSuperuser(member) {
		return true
	}
	return c.reaches(member, role, false)
}

// IsAdminOfRole reports whether member may grant and revoke membership in
// role: a superuser, or a role holding the membership WITH ADMIN OPTION
// directly or through roles it is a member of.
func (c *Catalog) IsAdminOfRole(member, role OID) bool {
	if c.IsSuperuser(member) {
		return true
	}
	for _, m := range c.memberOfClosure(member, false) {
		if r, ok := c.roles[m]; ok {
			if ms := r.MemberOfRole(role); ms != nil && ms.Admin {
				return true
			}
		}
	}
	return false
}

// reaches walks memberships breadth-first from member looking for role;
// with inherit, the memberships of a NOINHERIT role are not followed.
func (c *Catalog) reaches(member, role OID, inherit bool) bool {
	for _, m := range c.memberOfClosure(member, inherit) {
		if m == role {
			return true
		}
	}
	return false
}

// memberOfClosure returns member and every role it belongs to, directly or
// indirectly (PostgreSQL's roles_is_member_of), in breadth-first order. The
// database's owner belongs to pg_database_owner.
func (c *Catalog) memberOfClosure(member OID, inherit bool) []OID {
	out := []OID{member}
	seen := map[OID]bool{member: true}
	for i := 0; i < len(out); i++ {
		r, ok := c.roles[out[i]]
		if !ok || (inherit && !r.Inherit) {
			continue
		}
		if r.OID == BootstrapSuperuser && !seen[DatabaseOwnerRole] {
			seen[DatabaseOwnerRole] = true
			out = append(out, DatabaseOwnerRole)
		}
		for _, ms := range r.MemberOf {
			if !seen[ms.Role] {
				seen[ms.Role] = true
				out = append(out, ms.Role)
			}
		}
	}
	return out
}

// RoleMember is one row of pg_auth_members.
type RoleMember struct {
	Role, Member, Grantor OID
	Admin                 bool
}

// RoleMembers returns every membership, ordered by member and then in
// grant order.
func (c *Catalog) RoleMembers() []RoleMember {
	var out []RoleMember
	for _, r := range c.Roles() {
		for _, m := range r.MemberOf {
			out = append(out, RoleMember{Role: m.Role, Member: r.OID, Grantor: m.Grantor, Admin: m.Admin})
		}
	}
	return out
}
