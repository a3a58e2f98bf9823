package catalog

import (
	"strings"
	"testing"
)

func TestACLText(t *testing.T) {
	c := New()
	c.Put(&Object{Role: &Role{OID: 10, Name: "cirrus", Super: true}})
	c.Put(&Object{Role: &Role{OID: 20, Name: "We ird"}})
	c.Put(&Object{Role: &Role{OID: 21, Name: "bob"}})
	acl := ACL(nil).Or(KindTable, 10).
		Grant(20, 10, PrivSelect|PrivInsert, PrivSelect).
		Grant(Public, 10, PrivUpdate, 0).
		Grant(20, 10, PrivDelete, 0).
		Grant(99, 10, PrivTrigger, 0)
	got := strings.Join(c.ACLText(acl), ",")
	want := `cirrus=arwdDxt/cirrus,"We ird"=ar*d/cirrus,=w/cirrus,99=t/cirrus`
	if got != want {
		t.Fatalf("ACLText = %s, want %s", got, want)
	}
	acl = acl.Revoke(20, 10, PrivSelect, true).Revoke(Public, 10, PrivUpdate, false)
	if got := strings.Join(c.ACLText(acl), ","); got != `cirrus=arwdDxt/cirrus,"We ird"=ard/cirrus,99=t/cirrus` {
		t.Fatalf("after REVOKE: %s", got)
	}
	if c.ACLText(nil) != nil {
		t.Fatal("a default ACL must show as NULL")
	}
}

func TestPrivilegesAndMembership(t *testing.T) {
	c := New()
	c.Put(&Object{Role: &Role{OID: BootstrapSuperuser, Name: "cirrus", Super: true, Inherit: true}})
	c.Put(&Object{Role: &Role{OID: DatabaseOwnerRole, Name: DatabaseOwnerRoleName, Inherit: true}})
	c.Put(&Object{Role: &Role{OID: 30, Name: "grp", Inherit: true}})
	c.Put(&Object{Role: &Role{OID: 31, Name: "mid", Inherit: false, MemberOf: []Membership{{Role: 30}}}})
	c.Put(&Object{Role: &Role{OID: 32, Name: "alice", Inherit: true, MemberOf: []Membership{{Role: 31, Admin: true}}}})
	switch {
	case !c.HasPrivsOfRole(32, 31):
		t.Error("alice inherits mid's privileges")
	case c.HasPrivsOfRole(32, 30):
		t.Error("mid is NOINHERIT: alice must not have grp's privileges")
	case !c.IsMemberOfRole(32, 30):
		t.Error("alice is a member of grp through mid (SET ROLE grp works)")
	case !c.IsAdminOfRole(32, 31) || c.IsAdminOfRole(32, 30):
		t.Error("alice administers mid only")
	case !c.HasPrivsOfRole(BootstrapSuperuser, DatabaseOwnerRole) || c.HasPrivsOfRole(32, DatabaseOwnerRole):
		t.Error("only the database owner has pg_database_owner's privileges")
	}
	pub := PublicSchemaACL(DatabaseOwnerRole)
	if p, _ := c.Privileges(32, KindNamespace, DatabaseOwnerRole, pub); p != PrivUsage {
		t.Errorf("alice on public: %s", p.Letters(0))
	}
	if p, o := c.Privileges(BootstrapSuperuser, KindTable, 32, nil); p != AllTablePrivileges || o != AllTablePrivileges {
		t.Error("a superuser holds everything")
	}
	// The owner's privileges come from the ACL, its grant options from
	// ownership.
	acl := ACL(nil).Or(KindTable, 32).Revoke(32, 32, PrivDelete, false)
	if p, o := c.Privileges(32, KindTable, 32, acl); p != AllTablePrivileges&^PrivDelete || o != AllTablePrivileges {
		t.Errorf("owner after revoking DELETE from itself: %s / %s", p.Letters(0), o.Letters(0))
	}
	if p := c.DatabasePrivileges(32); p != PrivConnect|PrivTemporary {
		t.Errorf("database privileges of a plain role: %s", p.Letters(0))
	}
}
