package planner_test

import (
	"errors"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// fuzzCatalog is a catalog with the public schema, a second schema and a few
// tables that together use every column type Cirrus stores, NOT NULL, a
// primary key and a dropped column.
func fuzzCatalog() *catalog.Catalog {
	c := catalog.New()
	c.Put(&catalog.Object{Namespace: &catalog.Namespace{OID: catalog.PublicNamespace, Name: "public"}})
	c.Put(&catalog.Object{Namespace: &catalog.Namespace{OID: catalog.PgCatalogNamespace, Name: "pg_catalog"}})
	c.Put(&catalog.Object{Namespace: &catalog.Namespace{OID: catalog.FirstUserOID, Name: "s"}})
	c.Put(&catalog.Object{Table: &catalog.Table{
		OID: catalog.FirstUserOID + 1, Namespace: catalog.PublicNamespace, Name: "t",
		Columns: []catalog.Column{
			{Name: "id", Type: catalog.TypeInt4, NotNull: true},
			{Name: "s2", Type: catalog.TypeInt2},
			{Name: "i8", Type: catalog.TypeInt8},
			{Name: "n", Type: catalog.NumericType(10, 2)},
			{Name: "n18", Type: catalog.NumericType(18, 6)},
			{Name: "r", Type: catalog.TypeFloat4},
			{Name: "f", Type: catalog.TypeFloat8},
			{Name: "txt", Type: catalog.TypeText},
			{Name: "vc", Type: catalog.Type{Kind: catalog.Varchar, Length: 10}},
			{Name: "vcu", Type: catalog.Type{Kind: catalog.Varchar}},
			{Name: "ch", Type: catalog.Type{Kind: catalog.Bpchar, Length: 3}},
			{Name: "b", Type: catalog.TypeBool},
			{Name: "d", Type: catalog.TypeDate},
			{Name: "ts", Type: catalog.TypeTimestamp},
		},
		PrimaryKey: []int{0},
	}})
	c.Put(&catalog.Object{Table: &catalog.Table{
		OID: catalog.FirstUserOID + 2, Namespace: catalog.PublicNamespace, Name: "u",
		Columns: []catalog.Column{
			{Name: "id", Type: catalog.TypeInt8, NotNull: true},
			{Name: "tid", Type: catalog.TypeInt4},
			{Name: "........pg.dropped.3........", Type: catalog.TypeText, Dropped: true},
			{Name: "name", Type: catalog.TypeText},
			{Name: "amount", Type: catalog.NumericType(12, 2)},
			{Name: "day", Type: catalog.TypeDate},
		},
	}})
	c.Put(&catalog.Object{Table: &catalog.Table{
		OID: catalog.FirstUserOID + 3, Namespace: catalog.FirstUserOID, Name: "w",
		Columns: []catalog.Column{
			{Name: "k", Type: catalog.TypeInt4},
			{Name: "v", Type: catalog.Type{Kind: catalog.Bpchar, Length: 1}},
		},
	}})
	return c
}

var fuzzSeeds = []string{
	// Queries.
	`SELECT 1`,
	`SELECT`,
	`SELECT * FROM t`,
	`SELECT t.*, u.name FROM t JOIN u ON u.tid = t.id WHERE t.n > 1.5`,
	`SELECT a.id, b.name FROM t a LEFT JOIN u b ON a.id = b.tid AND b.amount > 0 ORDER BY 1 DESC NULLS LAST`,
	`SELECT * FROM t RIGHT JOIN u ON t.id = u.tid FULL JOIN s.w ON w.k = t.id`,
	`SELECT * FROM t, u WHERE t.id = u.tid AND t.txt LIKE 'a%'`,
	`SELECT * FROM t CROSS JOIN u`,
	`SELECT count(*), sum(n), avg(i8), min(d), max(vc) FROM t`,
	`SELECT txt, count(DISTINCT id) FROM t GROUP BY txt HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 10 OFFSET 5`,
	`SELECT u.tid, t.txt, sum(u.amount) AS total FROM u JOIN t ON t.id = u.tid GROUP BY u.tid, t.txt ORDER BY total`,
	`SELECT d, count(*) FROM t GROUP BY 1 HAVING sum(f) > 0.5`,
	`SELECT DISTINCT txt FROM t ORDER BY txt`,
	`SELECT id::text, '12'::int, CAST(n AS double precision), n::numeric, '1.50'::numeric(5,2), txt::varchar(3), d::timestamp, b::int FROM t`,
	`SELECT CASE WHEN id > 1 THEN 'big' WHEN id < 0 THEN NULL ELSE 'small' END, CASE id WHEN 1 THEN 1.5 ELSE 2 END FROM t`,
	`SELECT * FROM t WHERE txt NOT LIKE '%x' AND vc ILIKE 'A_' OR ch NOT ILIKE 'b'`,
	`SELECT * FROM t WHERE id IN (1, 2, 3) AND s2 NOT IN (4, 5) AND txt IN ('a', 'b')`,
	`SELECT * FROM t WHERE d BETWEEN '2024-01-01' AND '2024-12-31' AND id NOT BETWEEN 1 AND 10`,
	`SELECT * FROM t WHERE ts BETWEEN SYMMETRIC '2024-01-01' AND '2023-01-01'`,
	`SELECT id + 1, id - s2, i8 * 2, n * n18, n / 3, f % 2, -id, +f, d + 1, d - d, d - 7, 1 + d FROM t`,
	`SELECT coalesce(txt, vc, 'x'), nullif(id, 0), lower(txt), upper(ch), length(vc), substr(txt, 2), substring(txt from 1 for 2), abs(n), txt || id FROM t`,
	`SELECT id IS NULL, txt IS NOT NULL, b IS TRUE, b IS NOT FALSE, b IS UNKNOWN, id IS DISTINCT FROM s2, n IS NOT DISTINCT FROM 1 FROM t`,
	`SELECT * FROM (SELECT id, txt FROM t WHERE id > 0) AS sub(x, y) WHERE x < 10`,
	`SELECT * FROM (VALUES (1, 'a'), (2, NULL), (3.5, 'c')) v(a, b) ORDER BY a`,
	`VALUES (1, 2), (3, 4) ORDER BY 1 LIMIT 1`,
	`SELECT $1::int + $2, txt FROM t WHERE id = $1 AND txt LIKE $3 LIMIT $4`,
	`SELECT * FROM t WHERE n > $1 AND d < $2 AND b = $3 AND ts >= $4`,
	`SELECT $1`,
	`SELECT $0`,
	`SELECT 1e3, 1.5e-3, 12345678901, 9223372036854775808, -2147483648, 0.000000000000000000001`,
	`SELECT 'abc' = 'abc', NULL = 1, 'x' || NULL, TRUE AND NOT FALSE`,
	`SELECT id FROM t ORDER BY txt, id DESC NULLS FIRST LIMIT ALL`,
	`SELECT count(*) FROM t GROUP BY 1`,
	`SELECT count(count(*)) FROM t`,
	`SELECT * FROM t WHERE count(*) > 1`,
	`SELECT nope FROM t`,
	`SELECT * FROM nope`,
	`SELECT * FROM t a, t a`,
	`SELECT id FROM t UNION SELECT id FROM u`,
	`WITH x AS (SELECT 1) SELECT * FROM x`,
	`SELECT (SELECT 1)`,
	`SELECT * FROM s.w WHERE v = 'a' AND k::bool`,
	`EXPLAIN SELECT txt, sum(n) FROM t GROUP BY txt`,
	// Writes and DDL.
	`INSERT INTO t (id, txt, n) VALUES (1, 'a', 1.5), (2, 'b', DEFAULT)`,
	`INSERT INTO t VALUES (1, 2, 3, 4.5, 5.5, 6, 7, 'x', 'y', 'z', 'abc', true, '2024-01-01', '2024-01-01 12:00:00')`,
	`INSERT INTO u (id, name) SELECT id, txt FROM t WHERE id > $1`,
	`INSERT INTO u DEFAULT VALUES`,
	`INSERT INTO u (id, id) VALUES (1, 2)`,
	`INSERT INTO t (id) VALUES ('abc')`,
	`COPY t FROM STDIN`,
	`COPY u (id, name) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NULL', QUOTE '''', ESCAPE '\')`,
	`COPY t FROM '/etc/passwd'`,
	`COPY t TO STDOUT`,
	`CREATE TABLE x (a smallint, b integer PRIMARY KEY, c bigint NOT NULL, d numeric(12,2), e real, f double precision, g text, h varchar(5), i char(2), j boolean, k date, l timestamp)`,
	`CREATE TABLE IF NOT EXISTS t (a int)`,
	`CREATE TABLE s.y (a int, b text, PRIMARY KEY (a, b))`,
	`CREATE TABLE z (a int[], b numeric, c decimal(30, 2), d varchar(0), e interval)`,
	`CREATE TEMP TABLE tmp (a int)`,
	`DROP TABLE t, s.w`,
	`DROP TABLE IF EXISTS nope, t CASCADE`,
	`CREATE SCHEMA s2`,
	`CREATE SCHEMA IF NOT EXISTS s`,
	`DROP SCHEMA s`,
	`DROP SCHEMA IF EXISTS s, nope CASCADE`,
	`ALTER TABLE t ADD COLUMN extra int NOT NULL, DROP COLUMN txt, ALTER COLUMN vc SET NOT NULL`,
	`ALTER TABLE IF EXISTS nope ADD COLUMN a int`,
	`ALTER TABLE u RENAME COLUMN name TO title`,
	`ALTER TABLE u RENAME TO u2`,
	`ALTER TABLE t DROP COLUMN id`,
	// Sessions and transactions.
	`BEGIN`,
	`START TRANSACTION ISOLATION LEVEL SERIALIZABLE`,
	`COMMIT`,
	`ROLLBACK`,
	`SAVEPOINT sp1`,
	`RELEASE SAVEPOINT sp1`,
	`ROLLBACK TO SAVEPOINT sp1`,
	`PREPARE TRANSACTION 'x'`,
	`SET search_path TO s, public`,
	`SET LOCAL statement_timeout = 1000`,
	`SET TIME ZONE 'UTC'`,
	`RESET ALL`,
	`SHOW search_path`,
	`SET TRANSACTION READ ONLY`,
	// Several statements and malformed input.
	`SELECT 1; SELECT 2;; BEGIN; COMMIT`,
	`SELEC 1`,
	`SELECT * FROM`,
	`SELECT 'unterminated`,
	`SELECT ((((1)))`,
	``,
	`;`,
	`-- just a comment`,
	`VACUUM t`,
}

// FuzzBind parses and binds arbitrary SQL against a fixed catalog: binding
// must never panic, and every error must carry a SQLSTATE (*sqlerr.Error
// with a five-character code). Each statement that prepares is bound again
// with parameter values, as Execute does.
func FuzzBind(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	cat := fuzzCatalog()
	f.Fuzz(func(t *testing.T, sql string) {
		ps, err := planner.Parse(sql)
		if err != nil {
			checkSQLErr(t, sql, "Parse", err)
			return
		}
		for _, p := range ps {
			params := &planner.Params{}
			_, err := planner.Bind(&planner.Context{Catalog: cat, Params: params}, p)
			if err != nil {
				checkSQLErr(t, p.SQL, "Bind", err)
				continue
			}
			// Execute-time binds: parameters substituted as constants.
			for _, null := range []bool{false, true} {
				vals := make([]plan.Datum, len(params.Types))
				for i, typ := range params.Types {
					vals[i] = sampleDatum(typ, null)
				}
				ep := &planner.Params{Types: append([]catalog.Type(nil), params.Types...), Values: vals}
				_, err := planner.Bind(&planner.Context{Catalog: cat, Params: ep}, p)
				if err != nil {
					checkSQLErr(t, p.SQL, "Bind with values", err)
				}
			}
		}
	})
}

func checkSQLErr(t *testing.T, sql, what string, err error) {
	t.Helper()
	var se *sqlerr.Error
	if !errors.As(err, &se) {
		t.Fatalf("%s(%q): error without SQLSTATE: %T %v", what, sql, err, err)
	}
	if len(se.Code) != 5 {
		t.Fatalf("%s(%q): bad SQLSTATE %q: %v", what, sql, se.Code, err)
	}
}

// sampleDatum is a valid value of type t (or NULL).
func sampleDatum(t catalog.Type, null bool) plan.Datum {
	if null {
		return plan.Datum{Null: true}
	}
	switch t.Kind {
	case catalog.Bool:
		return plan.Datum{B: true}
	case catalog.Int2, catalog.Int4, catalog.Int8, catalog.Date, catalog.Timestamp:
		return plan.Datum{I: 1}
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			return plan.Datum{S: "1.5"}
		}
		return plan.Datum{I: 150}
	case catalog.Float4, catalog.Float8:
		return plan.Datum{F: 1.5}
	}
	return plan.Datum{S: "1"}
}
