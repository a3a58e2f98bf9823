package planner_test

import (
	"errors"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

func bindOne(t *testing.T, cat *catalog.Catalog, sql string) (planner.Statement, error) {
	t.Helper()
	ps, err := planner.Parse(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return planner.Bind(&planner.Context{Catalog: cat, Params: &planner.Params{}}, ps[0])
}

// scans returns the scans of a plan.
func scans(n plan.Node) []*plan.Scan {
	var out []*plan.Scan
	if s, ok := n.(*plan.Scan); ok {
		out = append(out, s)
	}
	for _, c := range plan.Children(n) {
		out = append(out, scans(c)...)
	}
	return out
}

func rowIDScans(n plan.Node) int {
	k := 0
	for _, s := range scans(n) {
		if s.ReadsRowID() {
			k++
		}
	}
	return k
}

func TestBindDelete(t *testing.T) {
	cat := fuzzCatalog()
	for _, sql := range []string{
		`DELETE FROM t`,
		`DELETE FROM t WHERE id = 1`,
		`DELETE FROM t AS x WHERE x.txt LIKE 'a%' AND x.n > 1`,
		`DELETE FROM u USING t WHERE u.tid = t.id AND t.b`,
		`DELETE FROM t USING t AS t2, u WHERE t.id = t2.id AND u.tid = t2.id`,
		`DELETE FROM t WHERE ctid > 5`,
	} {
		st, err := bindOne(t, cat, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		d, ok := st.(*planner.Delete)
		if !ok {
			t.Fatalf("%s: bound as %T", sql, st)
		}
		if ts := d.Query.Types(); len(ts) != 1 || ts[0] != catalog.TypeInt8 {
			t.Fatalf("%s: query returns %v, want one int8", sql, ts)
		}
		// Exactly the target's scan reads row ids.
		if k := rowIDScans(d.Query); k != 1 {
			t.Fatalf("%s: %d scans read row ids\n%v", sql, k, plan.Explain(d.Query))
		}
		for _, s := range scans(d.Query) {
			if s.ReadsRowID() && s.Table != d.Table {
				t.Fatalf("%s: row ids read from %s", sql, s.Table.Name)
			}
		}
	}
}

func TestBindUpdate(t *testing.T) {
	cat := fuzzCatalog()
	for _, sql := range []string{
		`UPDATE t SET n = n + 1`,
		`UPDATE t SET txt = 'x', vc = txt, ch = DEFAULT, n = 2, i8 = $1 WHERE id = $2`,
		`UPDATE u AS x SET amount = t.n FROM t WHERE x.tid = t.id`,
		`UPDATE u SET name = NULL, day = '2024-01-01'`,
	} {
		st, err := bindOne(t, cat, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		u, ok := st.(*planner.Update)
		if !ok {
			t.Fatalf("%s: bound as %T", sql, st)
		}
		ts := u.Query.Types()
		if len(ts) != 1+len(u.Table.Columns) || ts[0] != catalog.TypeInt8 {
			t.Fatalf("%s: query returns %v", sql, ts)
		}
		for i, c := range u.Table.Columns {
			if ts[i+1] != c.Type {
				t.Fatalf("%s: column %s has type %v, want %v", sql, c.Name, ts[i+1], c.Type)
			}
		}
		if k := rowIDScans(u.Query); k != 1 {
			t.Fatalf("%s: %d scans read row ids", sql, k)
		}
	}
}

func TestBindDMLErrors(t *testing.T) {
	cat := fuzzCatalog()
	for _, c := range []struct{ sql, code string }{
		{`UPDATE t SET nope = 1`, sqlerr.UndefinedColumn},
		{`UPDATE t SET id = nope`, sqlerr.UndefinedColumn},
		{`UPDATE t SET id = 1, id = 2`, sqlerr.SyntaxError},
		{`UPDATE t SET b = 1.5`, sqlerr.DatatypeMismatch},
		{`UPDATE t SET (id, txt) = (1, 'a')`, sqlerr.FeatureNotSupported},
		{`UPDATE t SET id = 1 RETURNING *`, sqlerr.FeatureNotSupported},
		{`DELETE FROM t RETURNING id`, sqlerr.FeatureNotSupported},
		{`DELETE FROM nope`, sqlerr.UndefinedTable},
		{`DELETE FROM t WHERE txt`, sqlerr.DatatypeMismatch},
		{`DELETE FROM t USING t`, sqlerr.DuplicateAlias},
		{`DELETE FROM t AS x WHERE t.id = 1`, sqlerr.UndefinedTable},
		{`UPDATE u SET "........pg.dropped.3........" = 'x'`, sqlerr.UndefinedColumn},
		// ctid exists only while binding DELETE and UPDATE, and only on
		// their target.
		{`SELECT ctid FROM t`, sqlerr.UndefinedColumn},
		{`DELETE FROM t USING u WHERE u.ctid = 1`, sqlerr.UndefinedColumn},
		{`INSERT INTO t (id) SELECT ctid FROM t`, sqlerr.UndefinedColumn},
	} {
		_, err := bindOne(t, cat, c.sql)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
}

// The hidden column is not part of *.
func TestCtidNotInStar(t *testing.T) {
	cat := fuzzCatalog()
	st, err := bindOne(t, cat, `SELECT * FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	want := len(st.(*planner.Query).Columns)
	st, err = bindOne(t, cat, `UPDATE t SET id = 1 FROM u WHERE u.tid = t.id`)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.(*planner.Update).Query.Types()); n != 1+want {
		t.Fatalf("update query has %d columns, want %d", n, 1+want)
	}
}

// With statistics that make the target the small side of a join, its scan
// is broadcast inside the probe side's fragment and still reads row ids.
func TestBindDeleteBroadcastTarget(t *testing.T) {
	cat := fuzzCatalog()
	stats := func(tab *catalog.Table) *planner.TableStats {
		if tab.Name == "t" {
			return &planner.TableStats{Rows: 10}
		}
		return &planner.TableStats{Rows: 1e7}
	}
	ps, err := planner.Parse(`DELETE FROM t USING u WHERE u.tid = t.id`)
	if err != nil {
		t.Fatal(err)
	}
	st, err := planner.Bind(&planner.Context{Catalog: cat, Params: &planner.Params{}, Stats: stats}, ps[0])
	if err != nil {
		t.Fatal(err)
	}
	d := st.(*planner.Delete)
	var found bool
	for _, s := range scans(d.Query) {
		if s.ReadsRowID() {
			found = true
			if s.Table.Name != "t" || !s.Broadcast {
				t.Fatalf("row ids read by %s (broadcast %v)\n%v", s.Table.Name, s.Broadcast, plan.Explain(d.Query))
			}
		}
	}
	if !found {
		t.Fatalf("no scan reads row ids\n%v", plan.Explain(d.Query))
	}
}
