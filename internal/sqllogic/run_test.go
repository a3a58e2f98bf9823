package sqllogic

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var dbSeq atomic.Int64

// openPair creates two fresh databases on the shared PostgreSQL server: the
// "system under test" (named sut) and the oracle (named oracle).
func openPair(t *testing.T) []DB {
	srv := pgtest.Shared(t)
	n := dbSeq.Add(1)
	a, b := fmt.Sprintf("sqllogic_%d_sut", n), fmt.Sprintf("sqllogic_%d_oracle", n)
	srv.CreateDB(t, a)
	srv.CreateDB(t, b)
	t.Cleanup(func() {
		srv.DropDB(t, a)
		srv.DropDB(t, b)
	})
	return []DB{{Name: "sut", DSN: srv.DSN(a)}, {Name: "oracle", DSN: srv.DSN(b)}}
}

func check(t *testing.T, src string, opts Options) *Report {
	t.Helper()
	f, err := Parse("mem.test", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), f, opts, openPair(t)...)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return rep
}

func messages(rep *Report) string {
	var b strings.Builder
	for _, f := range rep.Failures {
		b.WriteString(f.String())
	}
	return b.String()
}

const passing = `statement ok
CREATE TABLE t (a int, b text, c numeric(10,2))

statement count 3
INSERT INTO t VALUES (1, 'x', 1.5), (2, NULL, NULL), (3, 'hello world', 0)

statement count 0
INSERT INTO t SELECT * FROM t WHERE false

statement error pgcode 42P01 relation "nope" does not exist
SELECT * FROM nope

statement error division by zero
SELECT 1/0

query error pgcode 22012
SELECT 1/0

query ITR
SELECT a, b, c FROM t ORDER BY a
----
1 x 1.50
2 NULL NULL
3	hello world	0.00

query TI rowsort
SELECT coalesce(b, ''), a FROM t
----
x 1
(empty) 2
hello world	3

query I valuesort
SELECT a FROM t
----
3
1
2

query IT colnames,rowsort
SELECT a AS "the a", b FROM t WHERE a < 3
----
the a	b
2 NULL
1 x

query I total
SELECT sum(a) FROM t
----
6

query I total
SELECT 6

query T
SELECT 'tab	and
newline'
----
tab\tand\nnewline

query I
SELECT a FROM t WHERE a > 100
----

query TTI
SELECT ''::char(3), 'x'::char(2), 1
----
   	x 	1

query T
SELECT ''::char(3)
----
   	

statement ok
BEGIN

statement ok
INSERT INTO t VALUES (4, 'y', 4)

statement ok
ROLLBACK

query I
SELECT count(*) FROM t
----
3

statement ok
CREATE TABLE u (a int); INSERT INTO u VALUES (1)

query I
SELECT a FROM u; SELECT a + 1 FROM u
----
2

query I
SELECT a FROM only_sut

query I
SELECT 1
`

func TestRunnerPasses(t *testing.T) {
	src := passing
	// The last two records use skipif/onlyif to run only on one database.
	src = strings.Replace(src, "query I\nSELECT a FROM only_sut", "onlyif sut\nstatement ok\nCREATE TABLE only_sut (a int)\n\nonlyif sut\nquery I\nSELECT a FROM only_sut", 1)
	src = strings.Replace(src, "query I\nSELECT 1\n", "skipif sut\nskipif oracle\nquery I\nSELECT 1\n----\n2\n", 1)
	rep := check(t, src, Options{})
	if len(rep.Failures) > 0 {
		t.Fatalf("unexpected failures:\n%s", messages(rep))
	}
	if rep.Skipped != 1 || rep.Ran != 24 {
		t.Errorf("ran %d, skipped %d", rep.Ran, rep.Skipped)
	}
}

func TestRunnerExtendedProtocol(t *testing.T) {
	// Everything but the multi-statement records.
	src := passing[:strings.Index(passing, "statement ok\nCREATE TABLE u")]
	rep := check(t, src, Options{Protocol: ExtendedProtocol})
	if len(rep.Failures) > 0 {
		t.Fatalf("unexpected failures:\n%s", messages(rep))
	}
	rep = check(t, "statement error pgcode 42601\nSELECT 1; SELECT 2\n", Options{Protocol: ExtendedProtocol})
	if len(rep.Failures) > 0 {
		t.Fatalf("unexpected failures:\n%s", messages(rep))
	}
}

func TestRunnerFailures(t *testing.T) {
	src := `statement ok
CREATE TABLE t (a int, b text)

statement ok
INSERT INTO t VALUES (1, 'x'), (2, 'y')

# 7: wrong expected results.
query IT
SELECT a, b FROM t ORDER BY a
----
1 x
2 z

# 14: extra row on the system under test only.
onlyif sut
statement ok
INSERT INTO t VALUES (3, 'z')

# 19: results differ between the databases.
query I rowsort
SELECT a FROM t

# 23: table only on the oracle: error on one side only.
skipif sut
statement ok
CREATE TABLE o (a bigint)

onlyif sut
statement ok
CREATE TABLE o (a int)

# 32: column types differ.
query I
SELECT a FROM o

# 36: statement ok that fails.
statement ok
SELECT * FROM nope

# 40: wrong SQLSTATE.
statement error pgcode 42703
SELECT * FROM nope

# 44: error message mismatch.
statement error pgcode 42P01 no such table
SELECT * FROM nope

# 48: wrong count (and the counts differ between databases).
statement count 5
UPDATE t SET b = 'w'

# 52: expected an error.
statement error
SELECT 1

# 56: wrong column count.
query II
SELECT 1

# 60: label disagreement.
query I lbl
SELECT 1

query I lbl
SELECT 2

# 67: different errors on the two databases.
query I
SELECT a FROM (SELECT 1 AS a) s WHERE a = (SELECT count(*) FROM t)::int / (SELECT count(*) - 2 FROM t)::int

# 71: ordered results differ by order only (nosort).
onlyif sut
query I
SELECT a FROM t ORDER BY a DESC

skipif sut
query I
SELECT a FROM t ORDER BY a DESC
`
	rep := check(t, src, Options{})
	byLine := map[int]string{}
	for _, f := range rep.Failures {
		byLine[f.Line] += f.Message
	}
	want := map[int][]string{
		8:  {"sut: results differ from expected", "oracle: results differ from expected", "- 2 z", "+ 2 y"},
		20: {"results differ (rowsort; - oracle, + sut)", "+ 3"},
		29: {"command tag differs"}, // CREATE TABLE o on both: same tag; never reported
		33: {"column type OIDs differ: sut: [23]; oracle: [20]"},
		37: {"sut: expected success, got error 42P01", "oracle: expected success"},
		41: {"sut: expected error 42703, got error 42P01"},
		45: {`error message "relation \"nope\" does not exist" does not match "no such table"`},
		49: {"sut: expected 5 rows affected, got 3 (UPDATE 3)", "oracle: expected 5 rows affected, got 2", `command tag differs: sut: "UPDATE 3"; oracle: "UPDATE 2"`},
		53: {"sut: expected an error, got success (SELECT 1)"},
		57: {`sut: query returned 1 columns, type string "II" has 2`},
		64: {`sut: results differ from earlier query labelled "lbl"`},
		68: {"differs from oracle: sut: success (SELECT 0); oracle: error 22012: division by zero"},
	}
	delete(want, 29)
	for line, subs := range want {
		got, ok := byLine[line]
		if !ok {
			t.Errorf("no failure at line %d", line)
			continue
		}
		for _, s := range subs {
			if !strings.Contains(got, s) {
				t.Errorf("failure at line %d lacks %q:\n%s", line, s, got)
			}
		}
		delete(byLine, line)
	}
	for line, msg := range byLine {
		t.Errorf("unexpected failure at line %d: %s", line, msg)
	}
	// Failure.String carries file:line and the SQL.
	if s := rep.Failures[0].String(); !strings.HasPrefix(s, "mem.test:8: ") || !strings.Contains(s, "      SELECT a, b FROM t ORDER BY a") {
		t.Errorf("Failure.String() = %q", s)
	}
}

func TestRunnerNosortOrder(t *testing.T) {
	rep := check(t, `statement ok
CREATE TABLE t (a int)

statement ok
INSERT INTO t VALUES (1), (2)

onlyif sut
query I
SELECT a FROM t ORDER BY a DESC

onlyif oracle
query I
SELECT a FROM t ORDER BY a
`, Options{})
	// Those two queries ran on one database each: nothing to compare.
	if len(rep.Failures) != 0 {
		t.Fatalf("unexpected failures:\n%s", messages(rep))
	}
	rep = check(t, `statement ok
CREATE TABLE t (a int)

statement ok
INSERT INTO t VALUES (1), (2)

onlyif sut
statement ok
CREATE VIEW v AS SELECT a FROM t ORDER BY a DESC

skipif sut
statement ok
CREATE VIEW v AS SELECT a FROM t ORDER BY a

query I
SELECT * FROM v
`, Options{})
	if len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].Message, "results differ (nosort") {
		t.Fatalf("want one order failure, got:\n%s", messages(rep))
	}
	rep = check(t, strings.Replace(`statement ok
CREATE TABLE t (a int)

statement ok
INSERT INTO t VALUES (1), (2)

onlyif sut
statement ok
CREATE VIEW v AS SELECT a FROM t ORDER BY a DESC

skipif sut
statement ok
CREATE VIEW v AS SELECT a FROM t ORDER BY a

query I
SELECT * FROM v
`, "query I\n", "query I rowsort\n", 1), Options{})
	if len(rep.Failures) != 0 {
		t.Fatalf("rowsort must hide order differences:\n%s", messages(rep))
	}
}

func TestRunnerIgnoreOptions(t *testing.T) {
	src := `skipif sut
statement ok
CREATE TABLE o (a bigint)

onlyif sut
statement ok
CREATE TABLE o (a int)

statement ok
INSERT INTO o VALUES (1)

onlyif sut
statement ok
INSERT INTO o VALUES (2)

query I rowsort
SELECT a FROM o WHERE a = 1

statement ok
UPDATE o SET a = a
`
	rep := check(t, src, Options{})
	if len(rep.Failures) != 2 {
		t.Fatalf("want 2 failures, got:\n%s", messages(rep))
	}
	rep = check(t, src, Options{IgnoreColumnTypes: true, IgnoreCommandTags: true})
	if len(rep.Failures) != 0 {
		t.Fatalf("unexpected failures:\n%s", messages(rep))
	}
}

func TestRunnerMaxFailures(t *testing.T) {
	src := strings.Repeat("statement ok\nSELECT * FROM nope\n\n", 5)
	f, err := Parse("mem.test", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), f, Options{MaxFailures: 3}, openPair(t)...)
	if err == nil || !strings.Contains(err.Error(), "stopped after 3 failures") || len(rep.Failures) != 3 {
		t.Fatalf("err = %v, %d failures", err, len(rep.Failures))
	}
}

func TestRewrite(t *testing.T) {
	src := `# header comment
statement ok
CREATE TABLE t (a int, b text)

statement count 9
INSERT INTO t VALUES (2, 'two words'), (1, NULL)

query IT rowsort
SELECT a, b FROM t
----
stale

query I
SELECT a FROM t ORDER BY a

query T colnames
SELECT b AS "B" FROM t ORDER BY a
----
wrong

query TT
SELECT 'x', 'y'
----
x y

query I
SELECT a, b FROM t WHERE a = 1

# trailing comment
`
	want := `# header comment
statement ok
CREATE TABLE t (a int, b text)

statement count 2
INSERT INTO t VALUES (2, 'two words'), (1, NULL)

query IT rowsort
SELECT a, b FROM t
----
1 NULL
2	two words

query I
SELECT a FROM t ORDER BY a
----
1
2

query T colnames
SELECT b AS "B" FROM t ORDER BY a
----
B
NULL
two words

query TT
SELECT 'x', 'y'
----
x y

query IT
SELECT a, b FROM t WHERE a = 1
----
1 NULL

# trailing comment
`
	path := filepath.Join(t.TempDir(), "rw.test")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	RunWith(t, path, Options{Rewrite: true}, openPair(t)...)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", got, want)
	}
	// The rewritten file passes, and rewriting again changes nothing.
	Run(t, path, openPair(t)...)
	f, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), f, Options{Rewrite: true}, openPair(t)...)
	if err != nil || rep.Rewritten != nil || len(rep.Failures) != 0 {
		t.Fatalf("second rewrite: err=%v rewritten=%v failures=%s", err, rep.Rewritten != nil, messages(rep))
	}
}

func TestRunDirAndConnFailure(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.test": "statement ok\nCREATE TABLE t (a int)\n\nquery I\nSELECT count(*) FROM t\n----\n0\n",
		"b.test": "statement ok\nCREATE TABLE t (a int)\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var opened []string
	RunDir(t, dir, func(t *testing.T) []DB {
		opened = append(opened, t.Name())
		return openPair(t)
	})
	if strings.Join(opened, ",") != "TestRunDirAndConnFailure/a,TestRunDirAndConnFailure/b" {
		t.Errorf("opened %v", opened)
	}

	f, err := Parse("mem.test", strings.NewReader("statement ok\nSELECT 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	dbs := openPair(t)
	dbs[1].DSN = strings.Replace(dbs[1].DSN, "_oracle", "_missing", 1)
	if _, err := Check(context.Background(), f, Options{}, dbs...); err == nil || !strings.Contains(err.Error(), "connecting to oracle") {
		t.Errorf("err = %v", err)
	}
	// A server-side disconnect stops the file with an error.
	f, err = Parse("mem.test", strings.NewReader("statement ok\nSELECT pg_terminate_backend(pg_backend_pid())\n\nstatement ok\nSELECT 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), f, Options{}, openPair(t)...)
	if err == nil || len(rep.Failures) != 1 {
		t.Errorf("err = %v, failures: %s", err, messages(rep))
	}
}
