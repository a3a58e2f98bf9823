package planner_test

import (
	"errors"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
)

// privCatalog has roles alice (member of readers), bob (NOINHERIT member
// of readers) and a superuser; table t (owned by the bootstrap superuser)
// readable by readers; view v over t owned by alice; schema priv (owned by
// the bootstrap superuser, no privileges for others) with table u.
func privCatalog() *catalog.Catalog {
	cat := catalog.New()
	const readers, alice, bob, admin = 100, 101, 102, 103
	for _, r := range []*catalog.Role{
		{OID: catalog.BootstrapSuperuser, Name: "cirrus", Super: true, Inherit: true, CanLogin: true},
		{OID: readers, Name: "readers", Inherit: true},
		{OID: alice, Name: "alice", Inherit: true, CanLogin: true, MemberOf: []catalog.Membership{{Role: readers}}},
		{OID: bob, Name: "bob", CanLogin: true, MemberOf: []catalog.Membership{{Role: readers}}},
		{OID: admin, Name: "admin", Super: true},
	} {
		cat.Put(&catalog.Object{Role: r})
	}
	cat.Put(&catalog.Object{Namespace: &catalog.Namespace{OID: catalog.PublicNamespace, Name: "public",
		OwnerOID: catalog.DatabaseOwnerRole, ACL: catalog.PublicSchemaACL(catalog.DatabaseOwnerRole)}})
	cat.Put(&catalog.Object{Namespace: &catalog.Namespace{OID: 200, Name: "priv"}})
	cols := []catalog.Column{{Name: "a", Type: catalog.TypeInt4}}
	cat.Put(&catalog.Object{Table: &catalog.Table{OID: 300, Namespace: catalog.PublicNamespace, Name: "t", Columns: cols,
		ACL: catalog.ACL(nil).Or(catalog.KindTable, catalog.BootstrapSuperuser).Grant(readers, catalog.BootstrapSuperuser, catalog.PrivSelect, 0)}})
	cat.Put(&catalog.Object{Table: &catalog.Table{OID: 301, Namespace: catalog.PublicNamespace, Name: "v", Columns: cols,
		ViewQuery: "SELECT a FROM t", OwnerOID: alice}})
	cat.Put(&catalog.Object{Table: &catalog.Table{OID: 302, Namespace: 200, Name: "u", Columns: cols}})
	return cat
}

func TestPrivilegeChecks(t *testing.T) {
	cat := privCatalog()
	role := func(name string) catalog.OID {
		r, ok := cat.Role(name)
		if !ok {
			t.Fatalf("no role %s", name)
		}
		return r.OID
	}
	for _, tc := range []struct {
		role, sql, code, msg string
	}{
		{"alice", `SELECT a FROM t`, "", ""},
		{"bob", `SELECT a FROM t`, sqlerr.InsufficientPrivilege, "permission denied for table t"}, // NOINHERIT
		{"alice", `INSERT INTO t VALUES (1)`, sqlerr.InsufficientPrivilege, "permission denied for table t"},
		{"alice", `DELETE FROM t`, sqlerr.InsufficientPrivilege, "permission denied for table t"},
		{"alice", `SELECT nosuch FROM t`, sqlerr.UndefinedColumn, ""}, // binding errors come first
		{"bob", `SELECT a FROM v`, sqlerr.InsufficientPrivilege, "permission denied for view v"},
		{"alice", `SELECT a FROM v`, "", ""}, // alice owns v and may read t
		{"alice", `SELECT a FROM priv.u`, sqlerr.InsufficientPrivilege, "permission denied for schema priv"},
		{"alice", `CREATE TABLE x (a int)`, sqlerr.InsufficientPrivilege, "permission denied for schema public"},
		{"alice", `CREATE SCHEMA s`, sqlerr.InsufficientPrivilege, "permission denied for database cirrus"},
		{"alice", `DROP TABLE t`, sqlerr.InsufficientPrivilege, "must be owner of table t"},
		{"alice", `DROP VIEW v`, "", ""},
		{"alice", `ALTER TABLE t ADD COLUMN b int`, sqlerr.InsufficientPrivilege, "must be owner of table t"},
		{"bob", `GRANT SELECT ON t TO alice`, sqlerr.InsufficientPrivilege, "permission denied for table t"},
		{"alice", `GRANT SELECT ON t TO bob`, "", ""}, // holds SELECT, no grant option: a warning
		{"alice", `CREATE ROLE carl`, sqlerr.InsufficientPrivilege, "permission denied to create role"},
		{"alice", `SET ROLE readers`, "", ""},
		{"alice", `SET ROLE bob`, sqlerr.InsufficientPrivilege, `permission denied to set role "bob"`},
		{"alice", `SET SESSION AUTHORIZATION bob`, sqlerr.InsufficientPrivilege, "permission denied to set session authorization"},
		{"alice", `SET SESSION AUTHORIZATION alice`, "", ""},
		{"alice", `ALTER ROLE alice PASSWORD 'x'`, "", ""},
		{"alice", `ALTER ROLE bob PASSWORD 'x'`, sqlerr.InsufficientPrivilege, "permission denied"},
		{"alice", `GRANT readers TO bob`, sqlerr.InsufficientPrivilege, `must have admin option on role "readers"`},
		{"admin", `SELECT a FROM priv.u`, "", ""},
		{"admin", `DROP TABLE t`, "", ""},
		{"admin", `CREATE ROLE carl SUPERUSER`, "", ""},
		{"cirrus", `DROP ROLE alice`, sqlerr.DependentObjectsStillExist, `role "alice" cannot be dropped because some objects depend on it`},
		{"cirrus", `DROP ROLE readers`, sqlerr.DependentObjectsStillExist, `role "readers" cannot be dropped because some objects depend on it`},
		{"cirrus", `DROP ROLE bob`, "", ""},
	} {
		ps, err := planner.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		r := role(tc.role)
		_, err = planner.Bind(&planner.Context{Catalog: cat, Params: &planner.Params{}, Role: r, SessionUser: r, AuthenticatedUser: r, Database: "cirrus"}, ps[0])
		var se *sqlerr.Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s as %s: %v", tc.sql, tc.role, err)
		case tc.code != "" && (!errors.As(err, &se) || se.Code != tc.code || tc.msg != "" && se.Message != tc.msg):
			t.Errorf("%s as %s: got %v, want %s %s", tc.sql, tc.role, err, tc.code, tc.msg)
		}
	}
}

// TestDropRoleDetail lists what a role owns and holds, as PostgreSQL's
// DETAIL does.
func TestDropRoleDetail(t *testing.T) {
	ps, _ := planner.Parse(`DROP ROLE readers, alice`)
	_, err := planner.Bind(&planner.Context{Catalog: privCatalog(), Params: &planner.Params{}, Role: catalog.BootstrapSuperuser}, ps[0])
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Detail != "privileges for table t" {
		t.Fatalf("got %v (detail %q)", err, se.Detail)
	}
}
