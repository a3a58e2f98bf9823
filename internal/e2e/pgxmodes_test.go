package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// pgxModes are pgx's five ways of running a query: prepared and cached,
// described and cached, described each time, unnamed with text
// parameters, and the simple protocol with parameters interpolated.
var pgxModes = []pgx.QueryExecMode{
	pgx.QueryExecModeCacheStatement,
	pgx.QueryExecModeCacheDescribe,
	pgx.QueryExecModeDescribeExec,
	pgx.QueryExecModeExec,
	pgx.QueryExecModeSimpleProtocol,
}

// pgxOutcome is everything a client sees of one query: the result
// description, every value's bytes as sent (text or binary, as pgx asked
// for), the values pgx decodes from them, the tag, or the error's SQLSTATE.
func pgxOutcome(ctx context.Context, conn *pgx.Conn, sql string, args ...any) string {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return "error " + sqlstate(err)
	}
	var b strings.Builder
	for _, f := range rows.FieldDescriptions() {
		fmt.Fprintf(&b, "field %s table=%t attnum=%d type=%d size=%d typmod=%d format=%d\n",
			f.Name, f.TableOID != 0, f.TableAttributeNumber, f.DataTypeOID, f.DataTypeSize, f.TypeModifier, f.Format)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			return b.String() + "scan error " + err.Error()
		}
		for i, raw := range rows.RawValues() {
			if raw == nil {
				b.WriteString("NULL")
			} else {
				fmt.Fprintf(&b, "%q=%v", raw, vals[i])
			}
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b.String() + "error " + sqlstate(err)
	}
	return b.String() + rows.CommandTag().String()
}

// connectMode connects pgx in a query-exec mode; the connection closes
// when the test ends.
func connectMode(t *testing.T, dsn string, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return err.Error()
}

// TestPgxModesDifferential runs the same suite of queries through pgx in
// all five query-exec modes against Cirrus and PostgreSQL 15 and requires
// identical outcomes: result descriptions (type OIDs, sizes, typmods,
// table columns' attnums), the bytes of every value in the format pgx
// chose, decoded values, tags and SQLSTATEs. Parameters of every type go
// in as pgx encodes them for each mode (binary or text, with or without
// declared types).
func TestPgxModesDifferential(t *testing.T) {
	dsns := pgxTargets(t, "pgxmodes", allTypesDDL, allTypesRows)
	date := func(s string) time.Time { return parseTime(t, "2006-01-02", s) }
	ts := func(s string) time.Time { return parseTime(t, "2006-01-02 15:04:05.999999", s) }
	num := func(s string) pgtype.Numeric {
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatal(err)
		}
		return n
	}
	queries := []pgxQuery{
		{"SELECT * FROM alltypes ORDER BY k", nil},
		{"SELECT k, t, vc, c FROM alltypes WHERE k = $1", []any{5}},
		{"SELECT k FROM alltypes WHERE i8 > $1 ORDER BY k", []any{int64(1)}},
		{"SELECT k FROM alltypes WHERE n >= $1 ORDER BY k", []any{num("0.01")}},
		{"SELECT k FROM alltypes WHERE dt < $1 ORDER BY k", []any{date("2000-01-01")}},
		{"SELECT k FROM alltypes WHERE ts BETWEEN $1 AND $2 ORDER BY k", []any{ts("1999-01-01 00:00:00"), ts("2024-12-31 00:00:00")}},
		{"SELECT k FROM alltypes WHERE b = $1 AND t <> $2 ORDER BY k", []any{true, "plain"}},
		{"SELECT k, n / 3 AS third, n18 * n18 AS sq FROM alltypes ORDER BY k", nil},
		{"SELECT sum(i8), avg(n), min(dt), max(ts), count(t) FROM alltypes", nil},
		{"SELECT k, sum(k) OVER (ORDER BY k ROWS BETWEEN $1 PRECEDING AND CURRENT ROW), lag(t, $2, $3) OVER (ORDER BY k), ntile($2) OVER (ORDER BY k), count(*) OVER (ORDER BY i8 RANGE BETWEEN $4 PRECEDING AND CURRENT ROW) FROM alltypes ORDER BY k", []any{int64(1), int32(2), "none", int64(100)}},
		{"SELECT $1::int2, $2::int4, $3::int8, $4::float4, $5::float8, $6::bool", []any{int16(-7), int32(1 << 30), int64(-1 << 60), float32(1.25), 1e-300, false}},
		{"SELECT $1::int2, $2::int4, $3::int8, $4::float4, $5::float8, $6::bool", []any{nil, nil, nil, nil, nil, nil}},
		{"SELECT $1::text, $2::varchar(5), $3::char(3), $4::varchar, $5::bpchar", []any{"a\tb", "abc", "x", "é\\", "yz"}},
		{"SELECT $1::date, $2::date, $3::timestamp, $4::timestamp", []any{date("2024-02-29"), date("1900-01-01"), ts("2024-02-29 13:45:00.25"), ts("1970-01-01 00:00:00.000001")}},
		{"SELECT $1::numeric(15,2), $2::numeric(18,6), $3::numeric(10,0)", []any{num("12345.678"), num("-0.0000005"), num("9999999999")}},
		{"SELECT $1::numeric(15,2) * 2, $2::numeric(15,2) / 7", []any{num("-0.01"), num("10000")}},
		{"SELECT 0.1::float8, 1e-7::float4, 123456789.0::float4, 1e300::float8 * 10, -0.0::float8, 3.0::float8 / 7", nil},
		{"SELECT 'NaN'::float8, '-Infinity'::float4, 100::numeric(5,2), 0.000::numeric(4,3), -12.5::numeric(6,3)", nil},
		{"SELECT 10000::numeric(10,0), 1e15::numeric(18,2) / 3, (-1)::numeric(3,0) / 9", nil},
		{"SELECT '2024-02-29'::date - 1, '2024-02-29 23:59:59.5'::timestamp, '0044-03-15 BC'::date", nil},
		{"SELECT true, false, NULL::boolean, ''::text, ' '::char(2), 'ab'::varchar(3)", nil},
		{"SELECT k::int2, i4::int8, n::float8, r::float8, d::float4 FROM alltypes ORDER BY k", nil},
		{"SELECT $1::numeric, $2::numeric, $3::numeric, $4::numeric, $5::numeric", []any{num("0"), num("10000"), num("-0.01"), num("12345678901234567890.12"), num("1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")}},
		{"SELECT $1::numeric, $2::numeric", []any{"123.4500", "-0.000000000000000000001"}},
		{"SELECT $1::numeric * 2, $2::numeric / 3", []any{num("12345678901234567890.12"), num("100000000000000000000")}},
		{"SELECT $1::numeric(30,4), $2::numeric(25,10), $3::numeric(19,0)", []any{num("-12345678901234567890.12345"), num("0"), num("9999999999999999999")}},
		{"SELECT -99999999999999999999999999.9999::numeric(30,4), 0::numeric(25,10), 1.005::numeric(30,2), 5::int8::numeric(19,3), 2.5::float8::numeric(19,1)", nil},
		{"SELECT n::numeric(20,4) * 3, n18::numeric(38,10) FROM alltypes ORDER BY k", nil},
		{"SELECT i8::numeric(20,18) FROM alltypes ORDER BY k", nil},
		{"SELECT $1::int4 + 1", []any{"12"}},
		{"SELECT $1::int2", []any{int32(70000)}},
		{"SELECT $1::date", []any{"not a date"}},
		{"SELECT k / 0 FROM alltypes", nil},
		{"SELECT nosuch FROM alltypes", nil},
		{"SELECT count(*) FROM alltypes WHERE vc = $1 OR c = $1", []any{"x"}},
		{"INSERT INTO alltypes (k, t) VALUES ($1, $2)", []any{100, "inserted"}},
		{"SELECT k, t FROM alltypes WHERE k >= $1 ORDER BY k", []any{100}},
		{"DELETE FROM alltypes WHERE k = $1", []any{100}},
		{"SET extra_float_digits = -3", nil},
		{"SELECT 0.1::float8, 1::float8 / 3, 0.1::float4, 1e16::float8, r, d FROM alltypes ORDER BY k", nil},
		{"SET extra_float_digits = 0", nil},
		{"SELECT 0.1::float8, 1::float8 / 3, 0.1::float4, 1e16::float8, r, d FROM alltypes ORDER BY k", nil},
		{"RESET extra_float_digits", nil},
	}
	comparePgxModes(t, dsns, queries)
}

// pgxQuery is a query and its arguments, as pgx takes them.
type pgxQuery struct {
	sql  string
	args []any
}

// pgxTargets starts a Cirrus cluster and a database named after prefix on
// the shared PostgreSQL 15, runs the setup statements on both, and returns
// their DSNs in the order comparePgxModes takes them (Cirrus, PostgreSQL).
func pgxTargets(t *testing.T, prefix string, setup ...string) []string {
	t.Helper()
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("%s_%d", prefix, diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	dsns := []string{dsn(c), pg.DSN(db)}
	for _, d := range dsns {
		conn, err := pgx.Connect(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range setup {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		conn.Close(ctx)
	}
	return dsns
}

// comparePgxModes runs queries in every pgx query-exec mode on Cirrus
// (dsns[0]) and PostgreSQL (dsns[1]) and requires identical outcomes.
func comparePgxModes(t *testing.T, dsns []string, queries []pgxQuery) {
	ctx := context.Background()
	for _, mode := range pgxModes {
		t.Run(mode.String(), func(t *testing.T) {
			conns := []*pgx.Conn{connectMode(t, dsns[0], mode), connectMode(t, dsns[1], mode)}
			for _, q := range queries {
				// Twice: cached modes run the second time from their cache.
				for run := 0; run < 2; run++ {
					got := pgxOutcome(ctx, conns[0], q.sql, q.args...)
					want := pgxOutcome(ctx, conns[1], q.sql, q.args...)
					if got != want {
						t.Errorf("%s %v (run %d):\ncirrus:\n%s\npostgres:\n%s", q.sql, q.args, run+1, got, want)
						break
					}
				}
			}
		})
	}
}

// TestPgxBatchDifferential sends pipelined batches (pgx SendBatch: every
// statement's messages, one Sync) whose middle statement fails, in every
// query-exec mode, and requires PostgreSQL's outcome: the statements
// before the failure report their results, everything after it is
// skipped until Sync, the batch's implicit transaction is rolled back as a
// whole, and the connection goes on.
func TestPgxBatchDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("pgxbatch_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	batches := [][]string{
		{"INSERT INTO b VALUES (1, 'one')", "INSERT INTO b VALUES (2, 'two')", "SELECT count(*) FROM b", "INSERT INTO b VALUES (3 / 0, 'bad')", "INSERT INTO b VALUES (4, 'four')", "SELECT count(*) FROM b"},
		{"INSERT INTO b VALUES (5, 'five')", "SELECT k, v FROM b ORDER BY k"},
		{"SELECT k FROM b ORDER BY k", "SELECT nosuch FROM b", "INSERT INTO b VALUES (6, 'six')"},
		{"BEGIN", "INSERT INTO b VALUES (7, 'seven')", "COMMIT", "INSERT INTO b VALUES (8, 'eight')", "INSERT INTO b VALUES ('x', 'bad')"},
		{"INSERT INTO b VALUES (9, 'nine')", "BEGIN", "INSERT INTO b VALUES (10, 'ten')", "COMMIT"},
		{"SELECT k, v FROM b ORDER BY k"},
	}
	for _, mode := range pgxModes {
		t.Run(mode.String(), func(t *testing.T) {
			var outs [2][]string
			for i, d := range []string{dsn(c), pg.DSN(db)} {
				conn := connectMode(t, d, mode)
				for _, sql := range []string{"DROP TABLE IF EXISTS b", "CREATE TABLE b (k integer, v text)"} {
					if _, err := conn.Exec(ctx, sql); err != nil {
						t.Fatal(err)
					}
				}
				for _, stmts := range batches {
					batch := &pgx.Batch{}
					for _, sql := range stmts {
						batch.Queue(sql)
					}
					br := conn.SendBatch(ctx, batch)
					for _, sql := range stmts {
						outs[i] = append(outs[i], sql+": "+batchOutcome(br))
					}
					if err := br.Close(); err != nil {
						outs[i] = append(outs[i], "close: "+sqlstate(err))
					}
					outs[i] = append(outs[i], "after: "+pgxOutcome(ctx, conn, "SELECT count(*) FROM b"))
				}
			}
			if got, want := strings.Join(outs[0], "\n"), strings.Join(outs[1], "\n"); got != want {
				t.Errorf("batches differ:\ncirrus:\n%s\npostgres:\n%s", got, want)
			}
		})
	}
}

// batchOutcome reads the next result of a batch: its rows as text and
// tag, or its error's SQLSTATE.
func batchOutcome(br pgx.BatchResults) string {
	rows, err := br.Query()
	if err != nil {
		return "error " + sqlstate(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "scan error " + err.Error()
		}
		fmt.Fprint(&b, vals, " ")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b.String() + "error " + sqlstate(err)
	}
	return b.String() + rows.CommandTag().String()
}

// TestCursorsDifferential runs DECLARE, FETCH, MOVE and CLOSE through
// pgx in every query-exec mode on Cirrus and PostgreSQL 15: cursors
// inside transactions, SCROLL and NO SCROLL cursors moved in every
// direction (with MOVE's counts), WITH HOLD cursors that outlive their
// commit, a rollback closing its cursors, and the errors of unknown,
// duplicate, forward-only and failed cursors.
func TestCursorsDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("cursors_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	script := []string{
		"CREATE TABLE g (i integer, t text)",
		"INSERT INTO g VALUES (1, 'a'), (2, 'b'), (3, NULL), (4, 'd'), (5, 'e'), (6, 'f')",
		"BEGIN",
		"DECLARE c CURSOR FOR SELECT i, t FROM g ORDER BY i",
		"FETCH 2 FROM c",
		"FETCH NEXT FROM c",
		"MOVE 1 IN c",
		"FETCH FORWARD 1 FROM c",
		"FETCH ALL IN c",
		"FETCH c",
		"DECLARE c CURSOR FOR SELECT 1",
		"ROLLBACK",
		"FETCH c",
		"BEGIN",
		"DECLARE c NO SCROLL CURSOR FOR SELECT i FROM g ORDER BY i",
		"DECLARE h CURSOR WITH HOLD FOR SELECT i, t FROM g ORDER BY i DESC",
		"FETCH 1 FROM h",
		"FETCH PRIOR FROM c",
		"COMMIT",
		"FETCH 1 FROM c",
		"FETCH 2 FROM h",
		"FETCH FORWARD ALL FROM h",
		"CLOSE h",
		"CLOSE h",
		"DECLARE d CURSOR FOR SELECT 1",
		"DECLARE w CURSOR WITH HOLD FOR SELECT i FROM g ORDER BY i",
		"FETCH 3 w",
		"BEGIN",
		"DECLARE x CURSOR WITH HOLD FOR SELECT i FROM g WHERE i > 4 ORDER BY i",
		"ROLLBACK",
		"FETCH x",
		"FETCH 1 w",
		"CLOSE ALL",
		"FETCH w",
		// Scrolling: every direction, on SCROLL cursors and on cursors
		// scrollable by their plan (a sort), and the errors of NO SCROLL
		// cursors and of plans PostgreSQL cannot run backward.
		"BEGIN",
		"DECLARE s SCROLL CURSOR FOR SELECT i, t FROM g ORDER BY i",
		"FETCH 2 FROM s", "FETCH PRIOR FROM s", "FETCH LAST FROM s", "FETCH NEXT FROM s",
		"FETCH PRIOR FROM s", "FETCH ABSOLUTE -2 FROM s", "FETCH RELATIVE -2 FROM s",
		"FETCH RELATIVE 0 FROM s", "FETCH 0 FROM s", "FETCH BACKWARD ALL FROM s", "FETCH FORWARD ALL FROM s",
		"MOVE BACKWARD ALL FROM s", "MOVE FORWARD ALL FROM s", "MOVE BACKWARD 2 FROM s",
		"MOVE ABSOLUTE 10 IN s", "MOVE ABSOLUTE 0 IN s", "MOVE RELATIVE 3 IN s",
		"FETCH -2 FROM s", "FETCH BACKWARD -2 FROM s", "FETCH BACKWARD 3 FROM s", "MOVE LAST IN s",
		"MOVE NEXT IN s", "MOVE NEXT IN s", "MOVE 0 IN s", "FETCH ABSOLUTE 4 FROM s", "FETCH ABSOLUTE 2 FROM s",
		"FETCH FIRST FROM s", "FETCH ABSOLUTE 6 FROM s", "FETCH RELATIVE 1 FROM s", "FETCH RELATIVE -7 FROM s",
		"MOVE FORWARD 3 IN s", "FETCH BACKWARD FROM s", "FETCH FORWARD FROM s",
		"DECLARE d CURSOR FOR SELECT i FROM g WHERE i > 2 ORDER BY i DESC",
		"FETCH LAST FROM d", "FETCH PRIOR FROM d", "FETCH ABSOLUTE 1 FROM d",
		"DECLARE n NO SCROLL CURSOR FOR SELECT i FROM g ORDER BY i",
		"FETCH 0 FROM n", "MOVE 0 IN n", "FETCH ABSOLUTE 3 FROM n", "MOVE 0 IN n", "FETCH RELATIVE 2 FROM n",
		"FETCH ABSOLUTE 1 FROM n",
		"ROLLBACK",
		"BEGIN",
		"DECLARE a CURSOR FOR SELECT count(*) FROM g",
		"FETCH 1 FROM a", "FETCH PRIOR FROM a",
		"ROLLBACK",
		"BEGIN",
		"DECLARE one CURSOR FOR SELECT 1",
		"FETCH FIRST FROM one", "FETCH FIRST FROM one",
		"ROLLBACK",
		"BEGIN",
		"DECLARE z SCROLL NO SCROLL CURSOR FOR SELECT 1",
		"ROLLBACK",
		// WITH HOLD: a scrollable cursor keeps all its rows and its
		// position past COMMIT, a NO SCROLL one the rows it had not
		// returned; an error leaves a held cursor that cannot run.
		"BEGIN",
		"DECLARE hs SCROLL CURSOR WITH HOLD FOR SELECT i FROM g ORDER BY i",
		"DECLARE hn NO SCROLL CURSOR WITH HOLD FOR SELECT i FROM g ORDER BY i",
		"DECLARE he SCROLL CURSOR WITH HOLD FOR SELECT i FROM g ORDER BY i",
		"FETCH 2 FROM hs", "FETCH 4 FROM hn", "FETCH ALL FROM he",
		"COMMIT",
		"FETCH PRIOR FROM hs", "FETCH ABSOLUTE 5 FROM hs", "FETCH BACKWARD ALL FROM hs",
		"FETCH PRIOR FROM he", "MOVE 0 IN hn", "FETCH ABSOLUTE 6 FROM hn", "MOVE ABSOLUTE 0 IN hn",
		"FETCH PRIOR FROM hn", "FETCH NEXT FROM hn", "CLOSE hn", "CLOSE ALL",
		"DROP TABLE g",
	}
	for _, mode := range pgxModes {
		t.Run(mode.String(), func(t *testing.T) {
			var outs [2][]string
			for i, d := range []string{dsn(c), pg.DSN(db)} {
				conn := connectMode(t, d, mode)
				for _, sql := range script {
					outs[i] = append(outs[i], sql+": "+strings.ReplaceAll(pgxOutcome(ctx, conn, sql), "\n", " / "))
				}
			}
			if got, want := strings.Join(outs[0], "\n"), strings.Join(outs[1], "\n"); got != want {
				t.Errorf("cursors differ:\ncirrus:\n%s\npostgres:\n%s", got, want)
			}
		})
	}
}

// TestDescribeDifferential prepares statements with and without
// client-declared parameter types and compares what Describe reports
// (parameter types inferred from context, result fields with table
// columns' attnums, sizes and typmods) with PostgreSQL 15.
func TestDescribeDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("describe_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	cases := []struct {
		sql  string
		oids []uint32
	}{
		{"SELECT * FROM alltypes WHERE k = $1", nil},
		{"SELECT k, n FROM alltypes WHERE i8 > $1 AND t = $2 AND dt < $3 AND ts >= $4 AND n = $5 AND c = $6 AND vc = $7", nil},
		{"SELECT $1::int2 + $2, $3::numeric(10,2) * 2", nil},
		{"SELECT k FROM alltypes WHERE i4 = $1 AND dt = $2", []uint32{20, 0}},
		{"SELECT k FROM alltypes WHERE n > $1 AND t = $2", []uint32{1700, 1043}},
		{"SELECT a.k, b.t, a.n + b.n AS s, a.vc FROM alltypes a JOIN alltypes b USING (k) WHERE a.k < $1", nil},
		{"SELECT k, count(*) FROM alltypes GROUP BY k", nil},
		{"SELECT v.k, v.c FROM (SELECT k, c FROM alltypes) v", nil},
		{"INSERT INTO alltypes (k, t, n) VALUES ($1, $2, $3)", nil},
		{"UPDATE alltypes SET t = $1 WHERE k = $2", nil},
		{"SELECT $1", nil},
		{"SELECT k FROM alltypes WHERE t = $1", []uint32{23}},
		{"SELECT * FROM av WHERE k > $1", nil},
		{"WITH w AS (SELECT k, vc FROM alltypes) SELECT w.vc, w.k + 1 FROM w WHERE vc = $1", nil},
	}
	var outs [2][]string
	for i, d := range []string{dsn(c), pg.DSN(db)} {
		conn := connectSetUp(t, d, allTypesDDL+"; CREATE VIEW av AS SELECT k, t, n * 2 AS n2 FROM alltypes")
		for k, tc := range cases {
			sd, err := conn.Prepare(ctx, fmt.Sprintf("s%d", k), tc.sql, tc.oids)
			if err != nil {
				outs[i] = append(outs[i], tc.sql+": error "+sqlstate(err))
				continue
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s: params %v", tc.sql, sd.ParamOIDs)
			for _, f := range sd.Fields {
				fmt.Fprintf(&b, " / %s table=%t attnum=%d type=%d size=%d typmod=%d", f.Name, f.TableOID != 0, f.TableAttributeNumber, f.DataTypeOID, f.DataTypeSize, f.TypeModifier)
			}
			outs[i] = append(outs[i], b.String())
		}
	}
	for k := range cases {
		if outs[0][k] != outs[1][k] {
			t.Errorf("describe differs:\ncirrus:   %s\npostgres: %s", outs[0][k], outs[1][k])
		}
	}
}
