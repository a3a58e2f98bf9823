package planner_test

import (
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// sysCatalog is fuzzCatalog with a user table "sysview" that a system
// relation of the same name shadows.
func sysCatalog() *catalog.Catalog {
	c := fuzzCatalog()
	c.Put(&catalog.Object{Table: &catalog.Table{
		OID: catalog.FirstUserOID + 10, Namespace: catalog.PublicNamespace, Name: "sysview",
		Columns: []catalog.Column{{Name: "mine", Type: catalog.TypeInt4}},
	}})
	return c
}

// testSystem declares a system view "sysview" and a system catalog table
// "syscat".
func testSystem(name string) *planner.SystemRelation {
	switch name {
	case "sysview":
		return &planner.SystemRelation{Name: name, Kind: planner.SystemView, Columns: []catalog.Column{
			{Name: "node", Type: catalog.TypeText}, {Name: "hits", Type: catalog.TypeInt8}, {Name: "ratio", Type: catalog.TypeFloat8},
		}}
	case "syscat":
		return &planner.SystemRelation{Name: name, Kind: planner.SystemCatalog, Columns: []catalog.Column{
			{Name: "oid", Type: catalog.TypeInt8}, {Name: "relname", Type: catalog.TypeText},
		}}
	}
	return nil
}

func bindSys(t *testing.T, sql string, searchPath ...string) (planner.Statement, error) {
	t.Helper()
	ps, err := planner.Parse(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return planner.Bind(&planner.Context{Catalog: sysCatalog(), SearchPath: searchPath, Params: &planner.Params{}, System: testSystem}, ps[0])
}

func bindSysQuery(t *testing.T, sql string, searchPath ...string) *planner.Query {
	t.Helper()
	st, err := bindSys(t, sql, searchPath...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	q, ok := st.(*planner.Query)
	if !ok {
		t.Fatalf("%s: bound as %T", sql, st)
	}
	return q
}

// systemScans counts the SystemScan leaves of a plan, init plans included,
// and those a participant would run: inside a Remote fragment or a Shuffle,
// not in an init plan (must be none).
func systemScans(n plan.Node, remote bool) (all, shipped int) {
	add := func(a, s int) { all, shipped = all+a, shipped+s }
	if _, ok := n.(*plan.SystemScan); ok {
		add(1, 0)
		if remote {
			add(0, 1)
		}
	}
	if _, ok := n.(*plan.InitRows); ok {
		remote = false // computed by the coordinator, shipped as rows
	}
	if r, ok := n.(*plan.Remote); ok {
		remote = true
		for _, sh := range r.Shuffles {
			add(systemScans(sh.Input, true))
		}
	}
	var expr func(e *plan.Expr)
	expr = func(e *plan.Expr) {
		if e.Kind == plan.Subquery && e.Sub != nil {
			// The coordinator runs init plans before it ships anything.
			add(systemScans(e.Sub, false))
		}
		for _, a := range e.Args {
			expr(a)
		}
	}
	plan.VisitExprs(n, expr)
	for _, c := range plan.Children(n) {
		add(systemScans(c, remote))
	}
	return all, shipped
}

func TestBindSystemRelation(t *testing.T) {
	q := bindSysQuery(t, `SELECT * FROM sysview`)
	var names []string
	for _, c := range q.Columns {
		names = append(names, c.Name+" "+c.Type.String())
	}
	if got, want := strings.Join(names, ", "), "node text, hits bigint, ratio double precision"; got != want {
		t.Fatalf("columns: %s, want %s", got, want)
	}
	if all, _ := systemScans(q.Plan, false); all != 1 || len(scans(q.Plan)) != 0 {
		t.Fatalf("plan does not read the system relation alone:\n%s", strings.Join(plan.Explain(q.Plan), "\n"))
	}
	if got := strings.Join(plan.Explain(q.Plan), "\n"); !strings.Contains(got, "SystemScan sysview") {
		t.Fatalf("EXPLAIN does not show the system scan:\n%s", got)
	}
}

func TestSystemRelationNames(t *testing.T) {
	for _, c := range []struct {
		sql        string
		searchPath []string
		system     bool // reads the system relation, not the user table
	}{
		{`SELECT * FROM sysview`, nil, true},
		{`SELECT * FROM pg_catalog.sysview`, nil, true},
		{`SELECT * FROM public.sysview`, nil, false},
		{`SELECT * FROM sysview`, []string{"public", "pg_catalog"}, false},
		{`SELECT * FROM sysview`, []string{"pg_catalog", "public"}, true},
		{`WITH sysview AS (SELECT 1 AS x) SELECT * FROM sysview`, nil, false},
		{`SELECT * FROM syscat`, []string{"s"}, true},
	} {
		q := bindSysQuery(t, c.sql, c.searchPath...)
		all, _ := systemScans(q.Plan, false)
		if (all == 1) != c.system {
			t.Errorf("%s (search_path %v): system scans %d, want system=%v\n%s", c.sql, c.searchPath, all, c.system, strings.Join(plan.Explain(q.Plan), "\n"))
		}
	}
	if _, err := bindSys(t, `SELECT * FROM s.sysview`); sqlerr.Code(err) != sqlerr.UndefinedTable {
		t.Errorf("s.sysview: %v, want 42P01", err)
	}
	if _, err := bindSys(t, `SELECT * FROM pg_catalog.nosuch`); sqlerr.Code(err) != sqlerr.UndefinedTable {
		t.Errorf("pg_catalog.nosuch: %v, want 42P01", err)
	}
	// Without declared system relations the user table is found.
	ps, _ := planner.Parse(`SELECT mine FROM sysview`)
	if _, err := planner.Bind(&planner.Context{Catalog: sysCatalog(), Params: &planner.Params{}}, ps[0]); err != nil {
		t.Errorf("no System: %v", err)
	}
}

// TestSystemRelationStaysOnCoordinator binds queries that combine a system
// relation with user tables: the system scan is never inside a fragment.
func TestSystemRelationStaysOnCoordinator(t *testing.T) {
	for _, sql := range []string{
		`SELECT s.node, t.id FROM sysview s JOIN t ON t.id = s.hits`,
		`SELECT s.node, t.id FROM t JOIN sysview s ON t.id = s.hits`,
		`SELECT s.node, count(*) FROM t, sysview s WHERE t.i8 = s.hits GROUP BY s.node`,
		`SELECT t.id FROM t WHERE t.i8 IN (SELECT hits FROM sysview)`,
		`SELECT t.id FROM t WHERE t.i8 > (SELECT max(hits) FROM sysview)`,
		`SELECT t.id FROM t LEFT JOIN (SELECT node, sum(hits) AS h FROM sysview GROUP BY node) x ON x.h = t.i8`,
		`SELECT node FROM sysview WHERE hits > 0 ORDER BY ratio DESC LIMIT 1`,
		`SELECT sum(hits), avg(ratio) FROM pg_catalog.sysview`,
		`SELECT node FROM sysview UNION ALL SELECT txt FROM t`,
		`SELECT t.id FROM t JOIN (SELECT u.tid, count(*) AS c FROM u JOIN sysview s ON s.hits = u.id GROUP BY u.tid) x ON x.tid = t.id`,
	} {
		for _, broadcast := range []float64{0, -1} {
			ps, _ := planner.Parse(sql)
			st, err := planner.Bind(&planner.Context{Catalog: sysCatalog(), Params: &planner.Params{}, System: testSystem, BroadcastRows: broadcast}, ps[0])
			if err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			q := st.(*planner.Query)
			all, shipped := systemScans(q.Plan, false)
			if all != 1 || shipped > 0 {
				t.Errorf("%s: %d system scans, %d inside a fragment\n%s", sql, all, shipped, strings.Join(plan.Explain(q.Plan), "\n"))
			}
		}
	}
}

func TestSystemRelationChanges(t *testing.T) {
	for _, c := range []struct{ sql, code, msg string }{
		{`DELETE FROM sysview`, sqlerr.ObjectNotInPrerequisiteState, `cannot delete from view "sysview"`},
		{`DELETE FROM pg_catalog.sysview WHERE hits > 0`, sqlerr.ObjectNotInPrerequisiteState, `cannot delete from view "sysview"`},
		{`INSERT INTO sysview VALUES ('x', 1, 0.5)`, sqlerr.ObjectNotInPrerequisiteState, `cannot insert into view "sysview"`},
		{`UPDATE sysview SET hits = 0`, sqlerr.ObjectNotInPrerequisiteState, `cannot update view "sysview"`},
		{`COPY sysview FROM STDIN`, sqlerr.WrongObjectType, `cannot copy to view "sysview"`},
		{`DROP TABLE sysview`, sqlerr.WrongObjectType, `"sysview" is not a table`},
		{`DROP TABLE IF EXISTS sysview`, sqlerr.WrongObjectType, `"sysview" is not a table`},
		{`DROP VIEW sysview`, sqlerr.InsufficientPrivilege, `must be owner of view sysview`},
		{`ALTER TABLE sysview ADD COLUMN x int`, sqlerr.InsufficientPrivilege, `must be owner of view sysview`},
		{`ALTER TABLE sysview RENAME TO x`, sqlerr.InsufficientPrivilege, `must be owner of view sysview`},
		{`DELETE FROM syscat`, sqlerr.InsufficientPrivilege, `permission denied for table syscat`},
		{`INSERT INTO syscat VALUES (1, 'x')`, sqlerr.InsufficientPrivilege, `permission denied for table syscat`},
		{`DROP TABLE syscat`, sqlerr.InsufficientPrivilege, `must be owner of table syscat`},
		{`DROP VIEW syscat`, sqlerr.WrongObjectType, `"syscat" is not a view`},
		{`CREATE TABLE pg_catalog.x (a int)`, sqlerr.InsufficientPrivilege, `permission denied for schema pg_catalog`},
		{`CREATE SCHEMA pg_mine`, sqlerr.ReservedName, `unacceptable schema name "pg_mine"`},
	} {
		_, err := bindSys(t, c.sql)
		if sqlerr.Code(err) != c.code || err.Error() != c.msg {
			t.Errorf("%s: %v (%s), want %s %s", c.sql, err, sqlerr.Code(err), c.code, c.msg)
		}
	}
	// The user table of the same name is still changed when qualified, and
	// a table of that name can still be created in a user schema.
	for _, sql := range []string{`DELETE FROM public.sysview`, `INSERT INTO public.sysview VALUES (1)`, `CREATE TABLE s.sysview (a int)`} {
		if _, err := bindSys(t, sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	// A search path naming pg_catalog first creates there: refused.
	if _, err := bindSys(t, `CREATE TABLE x (a int)`, "pg_catalog", "public"); sqlerr.Code(err) != sqlerr.InsufficientPrivilege {
		t.Errorf("CREATE TABLE with pg_catalog first: %v, want 42501", err)
	}
}
