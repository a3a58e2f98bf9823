package catalog

import (
	"strings"
)

// Privileges is a set of access privileges, with PostgreSQL's bits
// (ACL_INSERT … ACL_CONNECT in utils/acl.h).
type Privileges uint16

// The privileges.
const (
	PrivInsert Privileges = 1 << iota
	PrivSelect
	PrivUpdate
	PrivDelete
	PrivTruncate
	PrivReferences
	PrivTrigger
	PrivExecute
	PrivUsage
	PrivCreate
	PrivTemporary
	PrivConnect
)

// The privileges each kind of object has (ALL PRIVILEGES on it).
const (
	AllTablePrivileges    = PrivInsert | PrivSelect | PrivUpdate | PrivDelete | PrivTruncate | PrivReferences | PrivTrigger
	AllSchemaPrivileges   = PrivUsage | PrivCreate
	AllDatabasePrivileges = PrivCreate | PrivTemporary | PrivConnect
)

// privChars are the aclitem letters of the privileges, bit i at index i.
const privChars = "arwdDxtXUCTc"

// privNames are the SQL names of the privileges, bit i at index i.
var privNames = [...]string{"INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "EXECUTE", "USAGE", "CREATE", "TEMPORARY", "CONNECT"}

// PrivilegeByName returns the privilege an SQL privilege name (any case;
// TEMP for TEMPORARY) stands for.
func PrivilegeByName(name string) (Privileges, bool) {
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "TEMP" {
		return PrivTemporary, true
	}
	for i, n := range privNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// Each calls f with each privilege of p and its SQL name, in PostgreSQL's
// order (aclexplode's).
func (p Privileges) Each(f func(bit Privileges, name string)) {
	for i, n := range privNames {
		if p&(1<<i) != 0 {
			f(1<<i, n)
		}
	}
}

// Letters returns the privileges as aclitem letters, each followed by '*'
// when it is also in opts.
func (p Privileges) Letters(opts Privileges) string {
	var b strings.Builder
	for i := 0; i < len(privChars); i++ {
		if p&(1<<i) != 0 {
			b.WriteByte(privChars[i])
			if opts&(1<<i) != 0 {
				b.WriteByte('*')
			}
		}
	}
	return b.String()
}

// KindDatabase is the kind of the database (Cirrus has one) for DefaultACL
// and privilege checks; it is not a catalog object.
const KindDatabase ObjectKind = "database"

// Public is the grantee OID of PUBLIC in an aclitem.
const Public OID = 0

// ACLItem is one aclitem: the privileges grantor gave grantee (Public for
// PUBLIC), and which of them grantee may grant on (GrantOptions ⊆ Privs).
type ACLItem struct {
	Grantee      OID        `json:"grantee"`
	Grantor      OID        `json:"grantor"`
	Privs        Privileges `json:"privs"`
	GrantOptions Privileges `json:"grant,omitempty"`
}

// ACL is an access control list. A nil ACL is the default for the kind of
// object (DefaultACL), as a NULL relacl or nspacl is in PostgreSQL.
type ACL []ACLItem

// DefaultACL returns the privileges an object of the kind has before any
// GRANT or REVOKE (PostgreSQL's acldefault): its owner has all of them;
// PUBLIC has TEMPORARY and CONNECT on a database.
func DefaultACL(kind ObjectKind, owner OID) ACL {
	switch kind {
	case KindTable:
		return ACL{{Grantee: owner, Grantor: owner, Privs: AllTablePrivileges}}
	case KindNamespace:
		return ACL{{Grantee: owner, Grantor: owner, Privs: AllSchemaPrivileges}}
	case KindDatabase:
		return ACL{
			{Grantee: Public, Grantor: owner, Privs: PrivTemporary | PrivConnect},
			{Grantee: owner, Grantor: owner, Privs: AllDatabasePrivileges},
		}
	}
	return nil
}

// PublicSchemaACL is the ACL of schemas public (owned by
// pg_database_owner) and pg_catalog (owned by the bootstrap superuser) as
// PostgreSQL 15 creates them: the owner has USAGE and CREATE, PUBLIC has
// USAGE.
func PublicSchemaACL(owner OID) ACL {
	return ACL{
		{Grantee: owner, Grantor: owner, Privs: AllSchemaPrivileges},
		{Grantee: Public, Grantor: owner, Privs: PrivUsage},
	}
}

// Or returns acl, or the default ACL for an object of the kind and owner
// when acl is nil.
func (acl ACL) Or(kind ObjectKind, owner OID) ACL {
	if acl == nil {
		return DefaultACL(kind, owner)
	}
	return acl
}

// Grant returns a copy of acl in which grantee holds privs from grantor,
// with grant options on opts (⊆ privs), merged into their item as
// PostgreSQL's aclupdate does.
func (acl ACL) Grant(grantee, grantor OID, privs, opts Privileges) ACL {
	out := append(ACL(nil), acl...)
	for i := range out {
		if out[i].Grantee == grantee && out[i].Grantor == grantor {
			out[i].Privs |= privs
			out[i].GrantOptions |= opts
			return out
		}
	}
	return append(out, ACLItem{Grantee: grantee, Grantor: grantor, Privs: privs, GrantOptions: opts})
}

// Revoke returns a copy of acl in which grantee no longer holds privs from
// grantor (with optionOnly, only the grant options on them go); an item
// left without privileges is removed.
func (acl ACL) Revoke(grantee, grantor OID, privs Privileges, optionOnly bool) ACL {
	out := make(ACL, 0, len(acl))
	for _, it := range acl {
		if it.Grantee == grantee && it.Grantor == grantor {
			it.GrantOptions &^= privs
			if !optionOnly {
				it.Privs &^= privs
			}
			if it.Privs == 0 {
				continue
			}
		}
		out = append(out, it)
	}
	return out
}

// References reports whether role appears in acl as a grantee or grantor.
func (acl ACL) References(role OID) bool {
	for _, it := range acl {
		if it.Grantee == role || it.Grantor == role {
			return true
		}
	}
	return false
}

// Privileges returns the privileges role holds on an object with this ACL
// (nil: the default for the kind and owner) and which of them it may grant
// (PostgreSQL's aclmask): a superuser holds them all; otherwise the items
// granted to PUBLIC or to roles whose privileges role has, and the owner's
// implicit grant options.
func (c *Catalog) Privileges(role OID, kind ObjectKind, owner OID, acl ACL) (privs, opts Privileges) {
	all := allPrivileges(kind)
	if c.IsSuperuser(role) {
		return all, all
	}
	if c.HasPrivsOfRole(role, owner) {
		opts = all
	}
	for _, it := range acl.Or(kind, owner) {
		if it.Grantee == Public || c.HasPrivsOfRole(role, it.Grantee) {
			privs |= it.Privs
			opts |= it.GrantOptions
		}
	}
	return privs, opts
}

func allPrivileges(kind ObjectKind) Privileges {
	switch kind {
	case KindTable:
		return AllTablePrivileges
	case KindNamespace:
		return AllSchemaPrivileges
	case KindDatabase:
		return AllDatabasePrivileges
	}
	return 0
}

// TablePrivileges returns the privileges role holds on table t.
func (c *Catalog) TablePrivileges(role OID, t *Table) Privileges {
	p, _ := c.Privileges(role, KindTable, t.Owner(), t.ACL)
	return p
}

// NamespacePrivileges returns the privileges role holds on namespace n.
func (c *Catalog) NamespacePrivileges(role OID, n *Namespace) Privileges {
	p, _ := c.Privileges(role, KindNamespace, n.Owner(), n.ACL)
	return p
}

// DatabasePrivileges returns the privileges role holds on the database,
// which the bootstrap superuser owns with the default ACL.
func (c *Catalog) DatabasePrivileges(role OID) Privileges {
	p, _ := c.Privileges(role, KindDatabase, BootstrapSuperuser, nil)
	return p
}

// ACLText returns acl in aclitem text form ("grantee=privs/grantor", an
// empty grantee for PUBLIC), nil for a nil (default) ACL, as pg_class.relacl
// and pg_namespace.nspacl show it.
func (c *Catalog) ACLText(acl ACL) []string {
	if acl == nil {
		return nil
	}
	out := make([]string, len(acl))
	for i, it := range acl {
		var b strings.Builder
		if it.Grantee != Public {
			b.WriteString(quoteACLName(c.RoleName(it.Grantee)))
		}
		b.WriteByte('=')
		b.WriteString(it.Privs.Letters(it.GrantOptions))
		b.WriteByte('/')
		b.WriteString(quoteACLName(c.RoleName(it.Grantor)))
		out[i] = b.String()
	}
	return out
}

// quoteACLName quotes a role name in an aclitem as PostgreSQL's putid does:
// when it has a character other than a letter, digit or underscore.
func quoteACLName(s string) string {
	plain := true
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
