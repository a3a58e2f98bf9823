package tpch

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/vec"
)

var testCols = []catalog.Column{
	{Name: "i", Type: catalog.Type{Kind: catalog.Int4}, NotNull: true},
	{Name: "d", Type: catalog.Type{Kind: catalog.Numeric, Precision: 15, Scale: 2}, NotNull: true},
	{Name: "dt", Type: catalog.Type{Kind: catalog.Date}, NotNull: true},
	{Name: "c", Type: catalog.Type{Kind: catalog.Bpchar, Length: 6}, NotNull: true},
	{Name: "v", Type: catalog.Type{Kind: catalog.Varchar, Length: 8}, NotNull: true},
	{Name: "f", Type: catalog.Type{Kind: catalog.Float8}},
}

// TestParseMatchesPgtype checks the fast paths against PostgreSQL's input
// functions (pgtype) on ordinary and unusual values.
func TestParseMatchesPgtype(t *testing.T) {
	lines := []string{
		"1|12.34|1995-03-15|ab|hello|1.5",
		"-2147483648|-0.05|2000-01-01|abcdef|12345678|-0",
		"2147483647|9999999999999.99|1970-01-01|é|héllo|1e3",
		" 7 |1.005|2024-02-29|x  |hi   |2",       // spaces, rounding, leap day, trailing blanks
		"+8|.5|19950315|abcdef   |exactly8   |3", // sign, no int digits, compact date
		"9|1.5e1|0001-01-01|  |  |4",
		"10|7|9999-12-31|z|z|5|", // the kit's trailing '|'
	}
	rp, err := newRowParser("t", testCols)
	if err != nil {
		t.Fatal(err)
	}
	b := vec.NewBatch(columnTypes(testCols), 4)
	text := strings.Join(lines, "\r\n") // CRLF, no final newline
	used, _, err := rp.parse([]byte(text), true, b, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	if used != len(text) || b.N != len(lines) {
		t.Fatalf("used %d of %d, %d rows", used, len(text), b.N)
	}
	for r, ln := range lines {
		fields := strings.Split(strings.TrimSuffix(ln, "|"), "|")
		for c, col := range testCols {
			d, err := pgtype.ParseText(col.Type, []byte(fields[c]))
			if err != nil {
				t.Fatalf("pgtype %q: %v", fields[c], err)
			}
			want := string(pgtype.AppendDatumText(nil, col.Type, d))
			got := string(pgtype.AppendText(nil, b.Cols[c], r))
			if got != want {
				t.Errorf("row %d col %s %q: got %q, want %q", r, col.Name, fields[c], got, want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	rp, err := newRowParser("t", testCols)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ line, msg string }{
		{"x|1|1995-01-01|a|b|1", "column i"},
		{"2147483648|1|1995-01-01|a|b|1", "out of range"},
		{"1|1|1995-02-30|a|b|1", "out of range"},
		{"1|1|1995-01-01|abcdefg|b|1", "too long"},
		{"1|1|1995-01-01|a|123456789|1", "too long"},
		{"1|10000000000000|1995-01-01|a|b|1", "overflow"},
		{"1|1|1995-01-01|a|b", "missing data for column f"},
		{"1|1|1995-01-01|a|b|1|2", "extra data"},
		{"1|1|1995-01-01|a\x00|b|1", "invalid byte sequence"},
	} {
		b := vec.NewBatch(columnTypes(testCols), 4)
		_, _, err := rp.parse([]byte("1|1|1995-01-01|a|b|1\n"+c.line+"\n"), false, b, 100, 41)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "t line 42") {
			t.Errorf("%q: got %v, want an error on line 42 with %q", c.line, err, c.msg)
		}
	}
}

// TestPartWriterSplits feeds text in pieces cut anywhere (as the
// generator's writes or a file's blocks may be) and checks every row
// arrives once, in order.
func TestPartWriterSplits(t *testing.T) {
	var sb strings.Builder
	const n = 3*batchRows + 17
	for i := 0; i < n; i++ {
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString("|")
		sb.WriteString(strings.Repeat("7", 1+i%5))
		sb.WriteString("\n")
	}
	text := []byte(sb.String())
	cols := []catalog.Column{{Name: "s", Type: catalog.Type{Kind: catalog.Text}}, {Name: "n", Type: catalog.Type{Kind: catalog.Int8}}}
	for _, piece := range []int{1, 3, 1000, 1 << 20} {
		rp, _ := newRowParser("t", cols)
		var got []*vec.Batch
		pw := &partWriter{rp: rp, tl: &tableLoad{}, line: 1, batch: vec.NewBatch(columnTypes(cols), batchRows)}
		pw.sink = func(b *vec.Batch) error {
			c := vec.NewBatch(columnTypes(cols), b.N)
			for r := 0; r < b.N; r++ {
				for k := range cols {
					c.Cols[k].AppendFrom(b.Cols[k], r)
				}
			}
			c.N = b.N
			got = append(got, c)
			return nil
		}
		for off := 0; off < len(text); off += piece {
			if _, err := pw.Write(text[off:min(off+piece, len(text))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.finish(); err != nil {
			t.Fatal(err)
		}
		i := 0
		for _, b := range got {
			for r := 0; r < b.N; r++ {
				if s := string(b.Cols[0].Bytes(r)); s != strings.Repeat("x", i%7) {
					t.Fatalf("piece %d: row %d: %q", piece, i, s)
				}
				i++
			}
		}
		if i != n {
			t.Fatalf("piece %d: %d rows, want %d", piece, i, n)
		}
	}
}

func TestCutLines(t *testing.T) {
	data := []byte("a\nbb\nccc\ndddd")
	for _, c := range []struct {
		start int
		n     int64
		end   int
		got   int64
	}{{0, 1, 2, 1}, {0, 2, 5, 2}, {2, 2, 9, 2}, {5, 5, 13, 2}, {0, 4, 13, 4}, {9, 1, 13, 1}} {
		end, got := cutLines(data, c.start, c.n)
		if end != c.end || got != c.got {
			t.Errorf("cutLines(%d, %d) = %d, %d; want %d, %d", c.start, c.n, end, got, c.end, c.got)
		}
	}
}

func TestGenSourceParts(t *testing.T) {
	src := &GenSource{SF: 0.01}
	for _, table := range []string{"lineitem", "partsupp", "nation"} {
		parts, err := src.Parts(context.Background(), table, func(int64) int64 { return 5000 })
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		var buf bytes.Buffer
		for _, p := range parts {
			if p.Line != rows+1 {
				t.Errorf("%s: part at line %d, want %d", table, p.Line, rows+1)
			}
			rows += p.Rows
			if err := p.Produce(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
		}
		lines := int64(bytes.Count(buf.Bytes(), []byte{'\n'}))
		if rows != lines {
			t.Errorf("%s: parts say %d rows, generated %d", table, rows, lines)
		}
	}
}
