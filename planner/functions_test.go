package planner_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// TestFunctionTypes checks the result types PostgreSQL 15 gives the
// functions of functions.go and aggfuncs.go.
func TestFunctionTypes(t *testing.T) {
	cat := fuzzCatalog()
	dyn := catalog.TypeNumericDynamic
	for _, c := range []struct {
		sql  string
		want catalog.Type
	}{
		{`SELECT round(n) FROM t`, catalog.NumericType(0, 0)},
		{`SELECT round(n, 1) FROM t`, catalog.NumericType(0, 1)},
		{`SELECT round(n, 4) FROM t`, catalog.NumericType(0, 4)},
		{`SELECT round(n18, 15) FROM t`, dyn},
		{`SELECT round(n, id) FROM t`, dyn},
		{`SELECT round(n / 3, 2) FROM t`, dyn},
		{`SELECT round(f) FROM t`, catalog.TypeFloat8},
		{`SELECT round(id) FROM t`, catalog.TypeFloat8},
		{`SELECT round(id, 2) FROM t`, catalog.NumericType(0, 2)},
		{`SELECT trunc(r) FROM t`, catalog.TypeFloat8},
		{`SELECT ceil(n), floor(n) FROM t`, catalog.NumericType(0, 0)},
		{`SELECT ceiling(i8) FROM t`, catalog.TypeFloat8},
		{`SELECT sign(n) FROM t`, catalog.NumericType(0, 0)},
		{`SELECT sign(f) FROM t`, catalog.TypeFloat8},
		{`SELECT mod(s2, s2) FROM t`, catalog.TypeInt2},
		{`SELECT mod(id, i8) FROM t`, catalog.TypeInt8},
		{`SELECT mod(n, 2) FROM t`, catalog.NumericType(0, 2)},
		{`SELECT div(id, 2) FROM t`, dyn},
		{`SELECT power(id, 2) FROM t`, catalog.TypeFloat8},
		{`SELECT power(n, 2) FROM t`, dyn},
		{`SELECT power(n, f) FROM t`, catalog.TypeFloat8},
		{`SELECT sqrt(id), exp(f), ln(i8), log(s2) FROM t`, catalog.TypeFloat8},
		{`SELECT sqrt(n) FROM t`, dyn},
		{`SELECT log(2, n) FROM t`, dyn},
		{`SELECT pi()`, catalog.TypeFloat8},
		{`SELECT btrim(txt), ltrim(vc, 'x'), rtrim(ch) FROM t`, catalog.TypeText},
		{`SELECT strpos(txt, 'a') FROM t`, catalog.TypeInt4},
		{`SELECT position('a' IN txt) FROM t`, catalog.TypeInt4},
		{`SELECT octet_length(ch) FROM t`, catalog.TypeInt4},
		{`SELECT concat(id, n, b, d, ch) FROM t`, catalog.TypeText},
		{`SELECT concat_ws(',', id, txt) FROM t`, catalog.TypeText},
		{`SELECT lpad(txt, 5), left(vc, 2), repeat(ch, 2), split_part(txt, ',', 2) FROM t`, catalog.TypeText},
		{`SELECT starts_with(txt, 'a') FROM t`, catalog.TypeBool},
		{`SELECT to_char(ts, 'YYYY'), to_char(d, 'MM'), to_char(n, '999.99') FROM t`, catalog.TypeText},
		{`SELECT to_date('2024-01-01', 'YYYY-MM-DD')`, catalog.TypeDate},
		{`SELECT make_date(2024, 1, 1)`, catalog.TypeDate},
		{`SELECT date_trunc('month', d) FROM t`, catalog.TypeTimestamp},
		{`SELECT current_date`, catalog.TypeDate},
		{`SELECT current_timestamp, now(), statement_timestamp()`, catalog.TypeTimestampTZ},
		{`SELECT localtimestamp, localtimestamp(3)`, catalog.TypeTimestamp},
		{`SELECT greatest(id, s2) FROM t`, catalog.TypeInt4},
		{`SELECT least(id, n) FROM t`, dyn},
		{`SELECT greatest(vc, vc) FROM t`, catalog.TypeText},
		{`SELECT id = ANY (ARRAY[1, 2]) FROM t`, catalog.TypeBool},
		{`SELECT string_agg(txt, ',') FROM t`, catalog.TypeText},
		{`SELECT bool_and(b), bool_or(b), every(b) FROM t`, catalog.TypeBool},
		{`SELECT count(*) FILTER (WHERE b) FROM t`, catalog.TypeInt8},
		{`SELECT sum(n) FILTER (WHERE b) FROM t`, catalog.NumericType(0, 2)},
		{`SELECT max(vc) FILTER (WHERE b) FROM t`, catalog.TypeText},
	} {
		st, err := bindOne(t, cat, c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		q, ok := st.(*planner.Query)
		if !ok {
			t.Errorf("%s: bound as %T", c.sql, st)
			continue
		}
		for _, col := range q.Columns {
			if col.Type != c.want {
				t.Errorf("%s: column %s is %v, want %v", c.sql, col.Name, col.Type, c.want)
			}
		}
	}
}

func TestFunctionErrors(t *testing.T) {
	cat := fuzzCatalog()
	for _, c := range []struct{ sql, code string }{
		{`SELECT round(f, 1) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT round(txt) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT mod(f, 2) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT left(id, 2) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT repeat(txt, n) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT lpad(txt) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT to_char(b, 'x') FROM t`, sqlerr.UndefinedFunction},
		{`SELECT date_trunc('fortnight', ts) FROM t`, sqlerr.FeatureNotSupported},
		{`SELECT greatest(id, txt) FROM t`, sqlerr.DatatypeMismatch},
		{`SELECT greatest(b, b) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT id = ANY (ARRAY['a'::text]) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT string_agg(id, ',') FROM t`, sqlerr.UndefinedFunction},
		{`SELECT bool_and(id) FROM t`, sqlerr.UndefinedFunction},
		{`SELECT string_agg(txt, ',') FROM t WHERE string_agg(txt, ',') = ''`, sqlerr.GroupingError},
		{`SELECT count(*) FILTER (WHERE count(*) > 1) FROM t`, sqlerr.GroupingError},
		{`SELECT bool_or(bool_and(b)) FROM t`, sqlerr.GroupingError},
		{`SELECT string_agg(DISTINCT txt, ',' ORDER BY id) FROM t`, "42P10"},
		{`SELECT string_agg(DISTINCT txt, txt) FROM t`, sqlerr.FeatureNotSupported},
		{`SELECT lower(txt) FILTER (WHERE b) FROM t`, sqlerr.WrongObjectType},
		{`SELECT round(DISTINCT n) FROM t`, sqlerr.WrongObjectType},
		{`SELECT 1 || 2`, sqlerr.UndefinedFunction},
	} {
		_, err := bindOne(t, cat, c.sql)
		if got := sqlerr.Code(err); got != c.code {
			t.Errorf("%s: got %v (%s), want %s", c.sql, err, got, c.code)
		}
	}
}

// TestAggregateRewrites checks FILTER's CASE rewrite, bool_and/bool_or as
// min/max, and string_agg's packed arguments.
func TestAggregateRewrites(t *testing.T) {
	cat := fuzzCatalog()
	aggs := func(sql string) []*plan.AggCall {
		st, err := bindOne(t, cat, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var out []*plan.AggCall
		var walk func(n plan.Node)
		walk = func(n plan.Node) {
			if a, ok := n.(*plan.Aggregate); ok && a.Phase != plan.Final {
				out = append(out, a.Aggs...)
			}
			for _, c := range plan.Children(n) {
				walk(c)
			}
			if r, ok := n.(*plan.Remote); ok {
				walk(r.Fragment)
			}
		}
		walk(st.(*planner.Query).Plan)
		return out
	}
	a := aggs(`SELECT count(*) FILTER (WHERE b), bool_and(b), bool_or(b), string_agg(txt, ';' ORDER BY id DESC) FROM t`)
	if len(a) != 4 {
		t.Fatalf("got %d aggregates", len(a))
	}
	if a[0].Func != "count" || a[0].Arg == nil || a[0].Arg.Kind != plan.Case {
		t.Errorf("count(*) FILTER: %+v", a[0])
	}
	if a[1].Func != "min" || a[2].Func != "max" {
		t.Errorf("bool_and/bool_or: %s %s", a[1].Func, a[2].Func)
	}
	sa := a[3].Arg
	if a[3].Func != "string_agg" || sa.Op != "string_agg" || len(sa.Args) != 3 || sa.Args[2].Op != "desc nulls first" {
		t.Errorf("string_agg: %+v", sa)
	}
	// DISTINCT orders by the value; ORDER BY in count/min/max/sum is dropped.
	a = aggs(`SELECT string_agg(DISTINCT txt, ','), count(id ORDER BY txt), sum(n ORDER BY id) FROM t`)
	if sa := a[0].Arg; !a[0].Distinct || len(sa.Args) != 3 || sa.Args[2].Op != "asc nulls last" {
		t.Errorf("string_agg(DISTINCT): %+v", a[0])
	}
	if a[1].Func != "count" || a[2].Func != "sum" {
		t.Errorf("ordered count/sum: %+v %+v", a[1], a[2])
	}
}

// TestClockIsPerStatement checks that every use of the clock in a
// statement sees one value: the transaction's start, for now() and its
// kin, as the session zone's wall clock for localtimestamp.
func TestClockIsPerStatement(t *testing.T) {
	ps, err := planner.Parse(`SELECT now(), current_timestamp, transaction_timestamp(), localtimestamp, current_date`)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 7, 1, 22, 30, 0, 0, time.UTC)
	ctx := &planner.Context{Catalog: fuzzCatalog(), Params: &planner.Params{}, TxnStart: start, Now: start.Add(time.Second), TimeZone: "Asia/Tokyo"}
	st, err := planner.Bind(ctx, ps[0])
	if err != nil {
		t.Fatal(err)
	}
	var consts []int64
	plan.VisitExprs(st.(*planner.Query).Plan, func(e *plan.Expr) {
		if e.Kind == plan.Const {
			consts = append(consts, e.Value.I)
		}
	})
	const instant = 773188200000000 // 2024-07-01 22:30:00 UTC, µs since 2000
	const hour = 3_600_000_000
	want := []int64{instant, instant, instant, instant + 9*hour, (instant + 9*hour) / (24 * hour)}
	if !slices.Equal(consts, want) {
		t.Errorf("clock constants %v, want %v", consts, want)
	}
}

// TestFunctionParamTypes checks that parameters passed to functions take
// the type of their position, as PostgreSQL infers them.
func TestFunctionParamTypes(t *testing.T) {
	cat := fuzzCatalog()
	for _, c := range []struct {
		sql  string
		want []catalog.Type
	}{
		{`SELECT round(n, $1) FROM t`, []catalog.Type{catalog.TypeInt4}},
		{`SELECT round($1, 2)`, []catalog.Type{catalog.TypeNumericDynamic}},
		{`SELECT lpad(txt, $1, $2) FROM t`, []catalog.Type{catalog.TypeInt4, catalog.TypeText}},
		{`SELECT split_part($1, ',', $2)`, []catalog.Type{catalog.TypeText, catalog.TypeInt4}},
		{`SELECT date_trunc($1, ts) FROM t WHERE date_trunc('day', ts) = date_trunc('day', $2)`, []catalog.Type{catalog.TypeText, catalog.TypeTimestamp}},
		{`SELECT mod(i8, $1) FROM t`, []catalog.Type{catalog.TypeInt8}},
		{`SELECT greatest(id, $1) FROM t`, []catalog.Type{catalog.TypeInt4}},
		{`SELECT id FROM t WHERE $1 = ANY (ARRAY[1, 2])`, []catalog.Type{catalog.TypeInt4}},
		{`SELECT string_agg(txt, $1) FROM t`, []catalog.Type{catalog.TypeText}},
	} {
		ps, err := planner.Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		params := &planner.Params{}
		if _, err := planner.Bind(&planner.Context{Catalog: cat, Params: params}, ps[0]); err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if len(params.Types) != len(c.want) {
			t.Errorf("%s: parameter types %v, want %v", c.sql, params.Types, c.want)
			continue
		}
		for i, want := range c.want {
			if params.Types[i] != want {
				t.Errorf("%s: $%d is %v, want %v", c.sql, i+1, params.Types[i], want)
			}
		}
	}
}
