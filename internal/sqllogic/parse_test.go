package sqllogic

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `# leading comment
statement ok
CREATE TABLE t (a int, b text)

statement count 2
INSERT INTO t
VALUES (1, 'x'), (2, NULL)

statement error pgcode 42P01 relation "nope" does not exist
SELECT * FROM nope

statement error
SELECT 1/0

query error pgcode 22012
SELECT 1/0

skipif cirrus
onlyif postgres
query IT rowsort,colnames my_label
SELECT a, b FROM t
----
a b
1 x
2 NULL

query T valuesort
SELECT b FROM t

query R nosort
SELECT 1.5
----

halt

statement ok
this is never parsed
`
	f, err := Parse("x.test", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Records) != 8 {
		t.Fatalf("got %d records", len(f.Records))
	}
	r := f.Records
	if r[0].Kind != Statement || r[0].ExpectError || r[0].HasCount || r[0].SQL != "CREATE TABLE t (a int, b text)" || r[0].Line != 2 {
		t.Errorf("record 0: %+v", r[0])
	}
	if !r[1].HasCount || r[1].Count != 2 || r[1].SQL != "INSERT INTO t\nVALUES (1, 'x'), (2, NULL)" {
		t.Errorf("record 1: %+v", r[1])
	}
	if !r[2].ExpectError || r[2].ErrorCode != "42P01" || r[2].ErrorPattern == nil || r[2].ErrorPattern.String() != `relation "nope" does not exist` {
		t.Errorf("record 2: %+v", r[2])
	}
	if !r[3].ExpectError || r[3].ErrorCode != "" || r[3].ErrorPattern != nil {
		t.Errorf("record 3: %+v", r[3])
	}
	if r[4].Kind != Query || !r[4].ExpectError || r[4].ErrorCode != "22012" {
		t.Errorf("record 4: %+v", r[4])
	}
	q := r[5]
	if q.Types != "IT" || q.Sort != RowSort || !q.ColNames || q.Label != "my_label" || !q.HasResults ||
		len(q.Expected) != 3 || q.Expected[2] != "2 NULL" || q.Line != 20 ||
		strings.Join(q.SkipIf, ",") != "cirrus" || strings.Join(q.OnlyIf, ",") != "postgres" {
		t.Errorf("record 5: %+v", q)
	}
	if q.runsOn("cirrus") || !q.runsOn("postgres") || q.runsOn("other") {
		t.Errorf("runsOn wrong")
	}
	if r[6].Sort != ValueSort || r[6].HasResults {
		t.Errorf("record 6: %+v", r[6])
	}
	if !f.Records[4].runsOn("anything") {
		t.Errorf("record without conditions must run everywhere")
	}
}

func TestParseEmptyResults(t *testing.T) {
	f, err := Parse("x.test", strings.NewReader("query I\nSELECT 1 WHERE false\n----\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Records[0]; !r.HasResults || len(r.Expected) != 0 {
		t.Errorf("%+v", r)
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{
		"bogus\nSELECT 1\n",
		"statement\nSELECT 1\n",
		"statement ok extra\nSELECT 1\n",
		"statement maybe\nSELECT 1\n",
		"statement count x\nSELECT 1\n",
		"statement error pgcode 123\nSELECT 1\n",
		"statement error pgcode 42601 (\nSELECT 1\n",
		"statement ok\n\n",
		"statement ok\nSELECT 1\n----\n1\n",
		"query it\nSELECT 1\n",
		"query I rowsort lab1 lab2\nSELECT 1\n",
		"query error pgcode 22012\nSELECT 1/0\n----\n",
		"skipif\nstatement ok\nSELECT 1\n",
		"statement ok\nSELECT 1\n\nskipif x\n",
		"query I colnames\nSELECT 1\n----\n",
	} {
		if _, err := Parse("x.test", strings.NewReader(src)); err == nil {
			t.Errorf("no error for %q", src)
		} else if !strings.HasPrefix(err.Error(), "x.test:") {
			t.Errorf("error without position: %v", err)
		}
	}
}

func TestFormat(t *testing.T) {
	if got := FormatValue(nil); got != "NULL" {
		t.Errorf("nil -> %q", got)
	}
	if got := FormatValue([]byte{}); got != "(empty)" {
		t.Errorf("empty -> %q", got)
	}
	if got := FormatValue([]byte("a\tb\nc")); got != `a\tb\nc` {
		t.Errorf("escape -> %q", got)
	}
	if got := formatRow([]string{"1", "x"}); got != "1 x" {
		t.Errorf("row = %q", got)
	}
	if got := formatRow([]string{"1", "x y"}); got != "1\tx y" {
		t.Errorf("row = %q", got)
	}
	if got := formatRow([]string{"x y"}); got != "x y" {
		t.Errorf("row = %q", got)
	}
	if got := formatRow([]string{"ab  "}); got != "ab  \t" {
		t.Errorf("row = %q", got)
	}
	if got := formatRow([]string{"1", "ab "}); got != "1\tab \t" {
		t.Errorf("row = %q", got)
	}
	if isBlank("   \t") || !isBlank("  ") || !isBlank("") {
		t.Errorf("isBlank wrong")
	}
	for _, c := range []struct {
		line string
		ncol int
		want []string
	}{
		{"1 x", 2, []string{"1", "x"}},
		{"1  x", 2, []string{"1", "x"}},
		{"1\tx y", 2, []string{"1", "x y"}},
		{"x y", 1, []string{"x y"}},
		{"a b c", 0, []string{"a", "b", "c"}},
		{"ab  \t", 1, []string{"ab  "}},
		{"   \t", 1, []string{"   "}},
		{"1\tab \t", 2, []string{"1", "ab "}},
	} {
		if got := splitRow(c.line, c.ncol); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("splitRow(%q, %d) = %q", c.line, c.ncol, got)
		}
	}
	rows := [][]string{{"b", "1"}, {"a", "2"}, {"a", "1"}}
	if got := rowLines(sortRows(rows, RowSort)); strings.Join(got, ",") != "a 1,a 2,b 1" {
		t.Errorf("rowsort = %q", got)
	}
	if got := rowLines(sortRows(rows, ValueSort)); strings.Join(got, ",") != "1,1,2,a,a,b" {
		t.Errorf("valuesort = %q", got)
	}
	if got := rowLines(sortRows(rows, NoSort)); strings.Join(got, ",") != "b 1,a 2,a 1" {
		t.Errorf("nosort = %q", got)
	}
}

func TestLineDiff(t *testing.T) {
	got := LineDiff([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"}, 100)
	want := "      a\n    - b\n    + x\n      c\n    + d"
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := LineDiff(nil, nil, 10); !strings.Contains(got, "no rows") {
		t.Errorf("empty diff = %q", got)
	}
	if got := LineDiff([]string{"a", "b", "c"}, nil, 2); !strings.Contains(got, "1 more lines") {
		t.Errorf("capped diff = %q", got)
	}
}
