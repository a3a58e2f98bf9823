package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/apache/arrow/go/v15/parquet/schema"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// allTypeColumns has every storable type, nullable and NOT NULL.
var allTypeColumns = []catalog.Column{
	{Name: "i2", Type: catalog.TypeInt2},
	{Name: "i4", Type: catalog.TypeInt4},
	{Name: "i8", Type: catalog.TypeInt8},
	{Name: "num", Type: catalog.NumericType(15, 2)},
	{Name: "f4", Type: catalog.TypeFloat4},
	{Name: "f8", Type: catalog.TypeFloat8},
	{Name: "b", Type: catalog.TypeBool},
	{Name: "txt", Type: catalog.TypeText},
	{Name: "vc", Type: catalog.Type{Kind: catalog.Varchar, Length: 10}},
	{Name: "ch", Type: catalog.Type{Kind: catalog.Bpchar, Length: 3}},
	{Name: "d", Type: catalog.TypeDate},
	{Name: "ts", Type: catalog.TypeTimestamp},
	{Name: "key", Type: catalog.TypeInt8, NotNull: true},
	{Name: "d_nn", Type: catalog.TypeDate, NotNull: true},
	{Name: "txt_nn", Type: catalog.TypeText, NotNull: true},
	{Name: "f8_nn", Type: catalog.TypeFloat8, NotNull: true},
	{Name: "b_nn", Type: catalog.TypeBool, NotNull: true},
	{Name: "i4_nn", Type: catalog.TypeInt4, NotNull: true},
	{Name: "wide", Type: catalog.NumericType(30, 4)},
	{Name: "dyn", Type: catalog.TypeNumericDynamic},
}

// genNull reports whether column c of row r is NULL in the generated data.
func genNull(cols []catalog.Column, c, r int) bool {
	return !cols[c].NotNull && (r*7+c*3)%11 == 0
}

// genValue appends row r's value of column c to v; buf is scratch.
func genValue(v *vec.Vector, c catalog.Column, r int, buf []byte) []byte {
	switch c.Type.Kind {
	case catalog.Int2:
		v.AppendInt64(int64(r%65536 - 32768))
	case catalog.Int4:
		v.AppendInt64(int64(int32(uint32(r) * 2654435761)))
	case catalog.Int8:
		v.AppendInt64(int64(r)*1_000_000_007 - 5e17)
	case catalog.Numeric:
		if c.Type.IsDynamicNumeric() { // decimal text, with NaN and infinities
			buf = append(buf[:0], [...]string{"NaN", "Infinity", "-Infinity", "-12345678901234567890123.4567", "0.0001"}[r%5]...)
			if r%5 > 2 {
				buf = strconv.AppendInt(buf, int64(r), 10)
			}
			v.AppendBytes(buf)
			break
		}
		v.AppendInt64(int64(r*137%100000000) - 5e7)
	case catalog.Float4:
		v.AppendFloat64(float64(float32(r) * 0.25))
	case catalog.Float8:
		v.AppendFloat64(float64(r)*1.25 - 1000)
	case catalog.Bool:
		v.AppendBool(r%3 == 0)
	case catalog.Text:
		buf = buf[:0]
		if r%5 != 0 { // every fifth value is the empty string (not NULL)
			buf = append(buf, "row "...)
			buf = strconv.AppendInt(buf, int64(r), 10)
			buf = append(buf, ": "...)
			buf = append(buf, eAcute[:2*(r%13)]...)
		}
		v.AppendBytes(buf)
	case catalog.Varchar:
		v.AppendBytes([]byte{'v', byte('0' + r%10)})
	case catalog.Bpchar:
		v.AppendBytes([]byte("abc"))
	case catalog.Date:
		v.AppendInt64(int64(r%40000) - 20000)
	case catalog.Timestamp:
		v.AppendInt64(int64(r)*1_000_003_001 - 1e14)
	}
	return buf
}

var eAcute = strings.Repeat("é", 13)

// genBatch returns rows [start, start+n) of the generated data for cols.
func genBatch(cols []catalog.Column, start, n int) *vec.Batch {
	types := make([]catalog.Type, len(cols))
	for i, c := range cols {
		types[i] = c.Type
	}
	b := vec.NewBatch(types, n)
	var buf []byte
	for c := range cols {
		for r := start; r < start+n; r++ {
			if genNull(cols, c, r) {
				b.Cols[c].AppendNull()
			} else {
				buf = genValue(b.Cols[c], cols[c], r, buf)
			}
		}
	}
	b.N = n
	return b
}

// view returns rows [off, off+n) of b without copying. String offsets of
// the view do not start at zero.
func view(b *vec.Batch, off, n int) *vec.Batch {
	out := &vec.Batch{N: n, Cols: make([]*vec.Vector, len(b.Cols))}
	for i, v := range b.Cols {
		w := &vec.Vector{Type: v.Type, Data: v.Data}
		switch {
		case v.Offsets != nil:
			w.Offsets = v.Offsets[off : off+n+1]
		case v.F64 != nil:
			w.F64 = v.F64[off : off+n]
		case v.Bool != nil:
			w.Bool = v.Bool[off : off+n]
		default:
			w.I64 = v.I64[off : off+n]
		}
		if v.Nulls != nil {
			w.Nulls = v.Nulls[off : off+n]
		}
		out.Cols[i] = w
	}
	return out
}

// writeGenerated writes rows of generated data in batches of batchRows and
// returns the file and the data.
func writeGenerated(t testing.TB, s ObjectStore, key string, cols []catalog.Column, rows, batchRows int) (DataFile, *vec.Batch) {
	t.Helper()
	ctx := context.Background()
	data := genBatch(cols, 0, rows)
	w, err := NewFileWriter(ctx, s, key, cols)
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < rows; start += batchRows {
		if err := w.Write(view(data, start, min(batchRows, rows-start))); err != nil {
			t.Fatal(err)
		}
	}
	if w.Rows() != int64(rows) {
		t.Fatalf("Rows = %d, want %d", w.Rows(), rows)
	}
	df, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return df, data
}

// checkValue compares value i of got with value j of want.
func checkValue(got, want *vec.Vector, i, j int) error {
	if got.IsNull(i) != want.IsNull(j) {
		return fmt.Errorf("null %v, want %v", got.IsNull(i), want.IsNull(j))
	}
	if got.IsNull(i) {
		return nil
	}
	switch {
	case want.Offsets != nil:
		if !bytes.Equal(got.Bytes(i), want.Bytes(j)) {
			return fmt.Errorf("%q, want %q", got.Bytes(i), want.Bytes(j))
		}
	case want.F64 != nil:
		if got.F64[i] != want.F64[j] && !(math.IsNaN(got.F64[i]) && math.IsNaN(want.F64[j])) {
			return fmt.Errorf("%v, want %v", got.F64[i], want.F64[j])
		}
	case want.Bool != nil:
		if got.Bool[i] != want.Bool[j] {
			return fmt.Errorf("%v, want %v", got.Bool[i], want.Bool[j])
		}
	default:
		if got.I64[i] != want.I64[j] {
			return fmt.Errorf("%v, want %v", got.I64[i], want.I64[j])
		}
	}
	return nil
}

// scanAndCheck scans f with proj and compares every row with want.
func scanAndCheck(t *testing.T, s ObjectStore, f DataFile, cols []catalog.Column, proj []int, want *vec.Batch) {
	t.Helper()
	row := 0
	err := ScanFile(context.Background(), s, f, cols, proj, func(b *vec.Batch) error {
		if b.N == 0 || b.N > vec.BatchSize {
			return fmt.Errorf("batch of %d rows", b.N)
		}
		if len(b.Cols) != len(proj) {
			return fmt.Errorf("batch has %d columns, want %d", len(b.Cols), len(proj))
		}
		for k, ci := range proj {
			got := b.Cols[k]
			if got.Type != cols[ci].Type {
				return fmt.Errorf("column %d type %v, want %v", k, got.Type, cols[ci].Type)
			}
			if got.Len() != b.N || (got.Nulls != nil && len(got.Nulls) != b.N) {
				return fmt.Errorf("column %d has %d values, batch %d", k, got.Len(), b.N)
			}
			for i := range b.N {
				if err := checkValue(got, want.Cols[ci], i, row+i); err != nil {
					return fmt.Errorf("row %d column %s: %v", row+i, cols[ci].Name, err)
				}
			}
		}
		row += b.N
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if row != want.N {
		t.Fatalf("scanned %d rows, want %d", row, want.N)
	}
}

func TestParquetRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s ObjectStore) {
		const rows = 300000
		cols := allTypeColumns
		// Batches of 1000 rows straddle row-group boundaries.
		f, want := writeGenerated(t, s, NewDataFileKey(1), cols, rows, 1000)
		if f.Rows != rows || f.RowGroups != 3 || f.Size <= 0 || len(f.Stats) != len(cols) {
			t.Fatalf("DataFile = %+v", f)
		}
		if data, err := s.Get(context.Background(), f.Key); err != nil || int64(len(data)) != f.Size {
			t.Fatalf("object: %d bytes, %v; DataFile.Size %d", len(data), err, f.Size)
		}
		all := make([]int, len(cols))
		for i := range all {
			all[i] = i
		}
		scanAndCheck(t, s, f, cols, all, want)
		rev := make([]int, len(cols))
		for i := range rev {
			rev[i] = len(cols) - 1 - i
		}
		scanAndCheck(t, s, f, cols, rev, want)
		scanAndCheck(t, s, f, cols, []int{11, 0, 7, 7, 3}, want)
		scanAndCheck(t, s, f, cols, nil, want)
	})
}

func TestParquetSmallAndEmpty(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns
	all := make([]int, len(cols))
	for i := range all {
		all[i] = i
	}
	for _, rows := range []int{0, 1, 11, 2047, 2048, 2049} {
		f, want := writeGenerated(t, s, NewDataFileKey(1), cols, rows, 777)
		wantRG := 1
		if rows == 0 {
			wantRG = 0
		}
		if f.Rows != int64(rows) || f.RowGroups != wantRG {
			t.Fatalf("rows %d: DataFile = %+v", rows, f)
		}
		scanAndCheck(t, s, f, cols, all, want)
	}
	// Writing an empty batch is fine.
	w, err := NewFileWriter(context.Background(), s, "empty", cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(genBatch(cols, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if f, err := w.Close(); err != nil || f.Rows != 0 {
		t.Fatalf("Close = %+v, %v", f, err)
	}
}

func TestParquetExtremes(t *testing.T) {
	s := NewMem()
	cols := []catalog.Column{
		{Name: "i2", Type: catalog.TypeInt2},
		{Name: "i4", Type: catalog.TypeInt4},
		{Name: "i8", Type: catalog.TypeInt8},
		{Name: "num", Type: catalog.NumericType(18, 6)},
		{Name: "f4", Type: catalog.TypeFloat4},
		{Name: "f8", Type: catalog.TypeFloat8},
		{Name: "d", Type: catalog.TypeDate},
		{Name: "ts", Type: catalog.TypeTimestamp},
		{Name: "s", Type: catalog.TypeText},
		{Name: "dyn", Type: catalog.Type{Kind: catalog.Numeric, Scale: -1}},
	}
	types := make([]catalog.Type, len(cols))
	for i, c := range cols {
		types[i] = c.Type
	}
	b := vec.NewBatch(types, 8)
	ints := [][]int64{
		{math.MinInt16, math.MaxInt16, 0, -1},
		{math.MinInt32, math.MaxInt32, 0, -1},
		{math.MinInt64, math.MaxInt64, 0, -1},
		{-999999999999999999, 999999999999999999, 0, -1},
	}
	for c, xs := range ints {
		for _, x := range xs {
			b.Cols[c].AppendInt64(x)
		}
	}
	for _, x := range []float64{math.Inf(-1), math.Inf(1), math.NaN(), math.Copysign(0, -1)} {
		b.Cols[4].AppendFloat64(x)
		b.Cols[5].AppendFloat64(x)
	}
	// 4713-01-01 BC .. 5874897-12-31 are PostgreSQL's date limits; keep to
	// dates whose Unix-epoch day number fits INT32.
	for _, x := range []int64{-2451545, 2_000_000, math.MaxInt32, math.MinInt32} { // ±infinity last
		b.Cols[6].AppendInt64(x)
	}
	for _, x := range []int64{-211813488000000000, math.MaxInt64 - pgEpochMicros - 1, math.MaxInt64, math.MinInt64} {
		b.Cols[7].AppendInt64(x)
	}
	for _, x := range []string{"", "\x00\xff", "日本語", strings.Repeat("x", 100000)} {
		b.Cols[8].AppendBytes([]byte(x))
		b.Cols[9].AppendBytes([]byte("1.5"))
	}
	b.N = 4
	w, err := NewFileWriter(context.Background(), s, "x", cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	f, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	proj := make([]int, len(cols))
	for i := range proj {
		proj[i] = i
	}
	err = ScanFile(context.Background(), s, f, cols, proj, func(got *vec.Batch) error {
		for c := range cols {
			for i := range 4 {
				if err := checkValue(got.Cols[c], b.Cols[c], i, i); err != nil {
					return fmt.Errorf("column %s row %d: %v", cols[c].Name, i, err)
				}
			}
		}
		if !math.Signbit(got.Cols[5].F64[3]) {
			return errors.New("-0 lost its sign")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Out-of-range values for the INT32-backed types are rejected.
	w, _ = NewFileWriter(context.Background(), s, "bad", cols[:2])
	bad := vec.NewBatch(types[:2], 1)
	bad.Cols[0].AppendInt64(1 << 40)
	bad.Cols[1].AppendInt64(1)
	bad.N = 1
	if err := w.Write(bad); err == nil {
		t.Fatal("wrote an out-of-range int4")
	}
	if _, err := w.Close(); err == nil {
		t.Fatal("Close after failed Write succeeded")
	}
	if _, err := s.Get(context.Background(), "bad"); !s.IsNotExist(err) {
		t.Fatalf("failed file exists: %v", err)
	}
}

func TestParquetStats(t *testing.T) {
	s := NewMem()
	cols := []catalog.Column{
		{Name: "i", Type: catalog.TypeInt4},
		{Name: "n", Type: catalog.NumericType(15, 2)},
		{Name: "d", Type: catalog.TypeDate},
		{Name: "ts", Type: catalog.TypeTimestamp},
		{Name: "f", Type: catalog.TypeFloat8},
		{Name: "r", Type: catalog.TypeFloat4},
		{Name: "b", Type: catalog.TypeBool},
		{Name: "s", Type: catalog.TypeText},
		{Name: "allnull", Type: catalog.TypeInt8},
		{Name: "long", Type: catalog.TypeText},
	}
	types := make([]catalog.Type, len(cols))
	for i, c := range cols {
		types[i] = c.Type
	}
	w, err := NewFileWriter(context.Background(), s, "s", cols)
	if err != nil {
		t.Fatal(err)
	}
	for batch := range 2 {
		b := vec.NewBatch(types, 3)
		for r := range 3 {
			x := int64(batch*3 + r) // 0..5
			b.Cols[0].AppendInt64(x*10 - 20)
			b.Cols[1].AppendInt64(x*105 - 7)
			b.Cols[2].AppendInt64(x*400 - 1000)
			b.Cols[3].AppendInt64(x*86400_000_001 - 1)
			b.Cols[4].AppendFloat64(float64(x)*1e15 + 0.5)
			b.Cols[5].AppendFloat64(float64(float32(float64(x) * 0.1)))
			b.Cols[6].AppendBool(false)
			b.Cols[7].AppendBytes([]byte{'a' + byte(5-x)})
			b.Cols[8].AppendNull()
			b.Cols[9].AppendBytes([]byte(strings.Repeat("z", int(x)*20)))
		}
		b.Cols[0].Nulls = nil
		b.Cols[1].AppendNull() // make column 1 one longer; only N rows count
		b.Cols[1].Nulls[1] = true
		b.N = 3
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	f, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := []ColumnStats{
		{Min: "-20", Max: "30", HasMinMax: true},
		{Min: "-0.07", Max: "5.18", NullCount: 2, HasMinMax: true},
		{Min: "1997-04-06", Max: "2002-09-27", HasMinMax: true},
		{Min: "1999-12-31 23:59:59.999999", Max: "2000-01-06 00:00:00.000004", HasMinMax: true},
		{Min: "0.5", Max: "5e+15", HasMinMax: true},
		{Min: "0", Max: "0.5", HasMinMax: true},
		{Min: "f", Max: "f", HasMinMax: true},
		{Min: "a", Max: "f", HasMinMax: true},
		{NullCount: 6},
		{},
	}
	for i := range want {
		if f.Stats[i] != want[i] {
			t.Errorf("column %s stats = %+v, want %+v", cols[i].Name, f.Stats[i], want[i])
		}
	}
}

func TestFormatStats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{formatNumeric(0, 2), "0.00"},
		{formatNumeric(-5, 2), "-0.05"},
		{formatNumeric(123456, 2), "1234.56"},
		{formatNumeric(math.MinInt64, 0), "-9223372036854775808"},
		{formatNumeric(math.MinInt64, 4), "-922337203685477.5808"},
		{formatDate(0), "2000-01-01"},
		{formatDate(-1), "1999-12-31"},
		{formatDate(-730119), "0001-01-01"},
		{formatDate(-730120), "0001-12-31 BC"},
		{formatDate(2914635), "9980-01-01"},
		{formatTimestamp(0), "2000-01-01 00:00:00"},
		{formatTimestamp(-1), "1999-12-31 23:59:59.999999"},
		{formatTimestamp(1_500_000), "2000-01-01 00:00:01.5"},
		{formatFloat(1e15, 64), "1e+15"},
		{formatFloat(1e14, 64), "100000000000000"},
		{formatFloat(0.0001, 64), "0.0001"},
		{formatFloat(0.00001, 64), "1e-05"},
		{formatFloat(1.0/3, 64), "0.3333333333333333"},
		{formatFloat(float64(float32(1.0/3)), 32), "0.33333334"},
		{formatFloat(1e6, 32), "1e+06"},
		{formatFloat(100000, 32), "100000"},
		{formatFloat(math.Inf(-1), 64), "-Infinity"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestParquetErrors(t *testing.T) {
	s := NewMem()
	ctx := context.Background()
	cols := []catalog.Column{{Name: "k", Type: catalog.TypeInt8, NotNull: true}}
	w, err := NewFileWriter(ctx, s, "nn", cols)
	if err != nil {
		t.Fatal(err)
	}
	b := vec.NewBatch([]catalog.Type{catalog.TypeInt8}, 2)
	b.Cols[0].AppendInt64(1)
	b.Cols[0].AppendNull()
	b.N = 2
	if err := w.Write(b); err == nil || !strings.Contains(err.Error(), "NOT NULL") {
		t.Fatalf("Write NULL into NOT NULL: %v", err)
	}
	w.Abort()
	if _, err := s.Get(ctx, "nn"); !s.IsNotExist(err) {
		t.Fatalf("aborted file exists: %v", err)
	}
	if _, err := NewFileWriter(ctx, s, "u", []catalog.Column{{Name: "u", Type: catalog.TypeUnknown}}); err == nil {
		t.Fatal("created a file with an unknown-typed column")
	}

	// Wrong column count in a batch.
	w, _ = NewFileWriter(ctx, s, "x", allTypeColumns)
	if err := w.Write(b); err == nil {
		t.Fatal("wrote a batch with the wrong number of columns")
	}
	w.Abort()

	// Type mismatch between the file and the table.
	f, _ := writeGenerated(t, s, "t", allTypeColumns, 10, 10)
	other := append([]catalog.Column(nil), allTypeColumns...)
	other[0].Type = catalog.TypeText
	if err := ScanFile(ctx, s, f, other, []int{0}, func(*vec.Batch) error { return nil }); err == nil {
		t.Fatal("scanned int2 as text")
	}
	// Missing object.
	if err := ScanFile(ctx, s, DataFile{Key: "missing"}, allTypeColumns, []int{0}, nil); !s.IsNotExist(err) {
		t.Fatalf("ScanFile of missing object: %v", err)
	}
	// fn's error stops the scan.
	stop := errors.New("stop")
	if err := ScanFile(ctx, s, f, allTypeColumns, []int{0}, func(*vec.Batch) error { return stop }); err != stop {
		t.Fatalf("ScanFile = %v, want fn's error", err)
	}
	// A cancelled context stops the scan.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := ScanFile(cctx, s, f, allTypeColumns, []int{0}, func(*vec.Batch) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ScanFile with cancelled ctx = %v", err)
	}
}

// A column added to the table after the file was written reads as NULL.
func TestParquetAddedColumn(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns[:3]
	f, want := writeGenerated(t, s, "f", cols, 5000, 2048)
	wider := append(append([]catalog.Column(nil), cols...),
		catalog.Column{Name: "new_t", Type: catalog.TypeText},
		catalog.Column{Name: "new_f", Type: catalog.TypeFloat8})
	rows := 0
	err := ScanFile(context.Background(), s, f, wider, []int{4, 1, 3}, func(b *vec.Batch) error {
		for i := range b.N {
			if !b.Cols[0].IsNull(i) || !b.Cols[2].IsNull(i) {
				return fmt.Errorf("row %d: added column not NULL", rows+i)
			}
			if err := checkValue(b.Cols[1], want.Cols[1], i, rows+i); err != nil {
				return err
			}
		}
		if b.Cols[2].Len() != b.N || b.Cols[0].Len() != b.N {
			return errors.New("bad lengths")
		}
		rows += b.N
		return nil
	})
	if err != nil || rows != 5000 {
		t.Fatalf("rows %d, %v", rows, err)
	}
}

func TestDataFileReaderRowGroups(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns[:3]
	f, want := writeGenerated(t, s, "f", cols, 2*RowGroupRows+5, 2048)
	r, err := OpenDataFile(context.Background(), s, f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.NumRowGroups() != 3 || r.NumRows() != f.Rows || r.RowGroupRows(2) != 5 || r.RowGroupRows(0) != RowGroupRows {
		t.Fatalf("row groups %d, rows %d", r.NumRowGroups(), r.NumRows())
	}
	// Row group 1 alone, twice concurrently.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			row := RowGroupRows
			errs <- r.Scan(context.Background(), cols, []int{2}, []int{1}, func(b *vec.Batch) error {
				for i := range b.N {
					if err := checkValue(b.Cols[0], want.Cols[2], i, row+i); err != nil {
						return err
					}
				}
				row += b.N
				return nil
			})
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Files must be readable by other Parquet readers with the right logical
// types; pqarrow stands in for DuckDB and Spark.
func TestParquetReadableByPqarrow(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns
	const rows = 130000
	f, _ := writeGenerated(t, s, "f", cols, rows, 2048)
	data, err := s.Get(context.Background(), f.Key)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data),
		parquet.NewReaderProperties(mem), pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	wantTypes := []arrow.DataType{
		arrow.PrimitiveTypes.Int16,
		arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64,
		&arrow.Decimal128Type{Precision: 15, Scale: 2},
		arrow.PrimitiveTypes.Float32,
		arrow.PrimitiveTypes.Float64,
		arrow.FixedWidthTypes.Boolean,
		arrow.BinaryTypes.String,
		arrow.BinaryTypes.String,
		arrow.BinaryTypes.String,
		arrow.FixedWidthTypes.Date32,
		// pqarrow v15 maps every TIMESTAMP logical type to a UTC Arrow
		// timestamp, ignoring isAdjustedToUTC (arrowTimestamp in
		// pqarrow/schema.go); the Parquet type is checked below.
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		arrow.PrimitiveTypes.Int64,
		arrow.FixedWidthTypes.Date32,
		arrow.BinaryTypes.String,
		arrow.PrimitiveTypes.Float64,
		arrow.FixedWidthTypes.Boolean,
		arrow.PrimitiveTypes.Int32,
		arrow.BinaryTypes.String, // numeric(30,4) as decimal text
		arrow.BinaryTypes.String, // numeric as decimal text
	}
	sc := tbl.Schema()
	if sc.NumFields() != len(cols) || tbl.NumRows() != rows {
		t.Fatalf("schema %v, %d rows", sc, tbl.NumRows())
	}
	for i, c := range cols {
		fld := sc.Field(i)
		if fld.Name != c.Name || !arrow.TypeEqual(fld.Type, wantTypes[i]) || fld.Nullable == c.NotNull {
			t.Errorf("field %d = %v (nullable %v), want %s %v", i, fld, fld.Nullable, c.Name, wantTypes[i])
		}
	}
	// Spot-check values, converted to the Unix epoch where the type says so.
	for _, r := range []int{1, 2, 12345, rows - 1} {
		want := genBatch(cols, r, 1)
		for c := range cols {
			chunks := tbl.Column(c).Data()
			idx := r
			var arr arrow.Array
			for _, ch := range chunks.Chunks() {
				if idx < ch.Len() {
					arr = ch
					break
				}
				idx -= ch.Len()
			}
			wv := want.Cols[c]
			if arr.IsNull(idx) != wv.IsNull(0) {
				t.Fatalf("row %d col %s: null %v", r, cols[c].Name, arr.IsNull(idx))
			}
			if wv.IsNull(0) {
				continue
			}
			var got, exp string
			switch a := arr.(type) {
			case *array.Int16:
				got, exp = strconv.Itoa(int(a.Value(idx))), strconv.FormatInt(wv.I64[0], 10)
			case *array.Int32:
				got, exp = strconv.Itoa(int(a.Value(idx))), strconv.FormatInt(wv.I64[0], 10)
			case *array.Int64:
				got, exp = strconv.FormatInt(a.Value(idx), 10), strconv.FormatInt(wv.I64[0], 10)
			case *array.Decimal128:
				got, exp = a.Value(idx).BigInt().String(), strconv.FormatInt(wv.I64[0], 10)
			case *array.Float32:
				got, exp = fmt.Sprint(a.Value(idx)), fmt.Sprint(float32(wv.F64[0]))
			case *array.Float64:
				got, exp = fmt.Sprint(a.Value(idx)), fmt.Sprint(wv.F64[0])
			case *array.Boolean:
				got, exp = fmt.Sprint(a.Value(idx)), fmt.Sprint(wv.Bool[0])
			case *array.String:
				got, exp = a.Value(idx), string(wv.Bytes(0))
			case *array.Date32:
				got, exp = strconv.Itoa(int(a.Value(idx))), strconv.FormatInt(wv.I64[0]+pgEpochDays, 10)
				if c == 10 && r == 2 {
					// A known date: row 2 is 2000-01-01 - 19998 days.
					if d := a.Value(idx).ToTime().Format("2006-01-02"); d != formatDate(wv.I64[0]) {
						t.Errorf("date %s, want %s", d, formatDate(wv.I64[0]))
					}
				}
			case *array.Timestamp:
				got, exp = strconv.FormatInt(int64(a.Value(idx)), 10), strconv.FormatInt(wv.I64[0]+pgEpochMicros, 10)
			default:
				t.Fatalf("unexpected array %T", arr)
			}
			if got != exp {
				t.Errorf("row %d col %s: %s, want %s", r, cols[c].Name, got, exp)
			}
		}
	}
	// The file metadata records the catalog columns and row groups are
	// bounded; string columns are dictionary-encoded and pages compressed.
	pr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if v := pr.MetaData().KeyValueMetadata().FindValue(columnsMetadataKey); v == nil || !strings.Contains(*v, `"name":"txt_nn"`) {
		t.Fatalf("%s = %v", columnsMetadataKey, v)
	}
	tsType, ok := pr.MetaData().Schema.Column(11).LogicalType().(*schema.TimestampLogicalType)
	if !ok || tsType.IsAdjustedToUTC() || tsType.TimeUnit() != schema.TimeUnitMicros {
		t.Fatalf("ts logical type %v", pr.MetaData().Schema.Column(11).LogicalType())
	}
	rg := pr.MetaData().RowGroup(0)
	if rg.NumRows() != RowGroupRows {
		t.Fatalf("row group 0 has %d rows", rg.NumRows())
	}
	for c := range cols {
		cc, _ := rg.ColumnChunk(c)
		if cc.Compression().String() != "SNAPPY" {
			t.Errorf("column %s compression %v", cols[c].Name, cc.Compression())
		}
		if st, err := cc.Statistics(); err != nil || st == nil || !st.HasMinMax() && c != 16 {
			t.Errorf("column %s has no statistics: %v", cols[c].Name, err)
		}
		if cols[c].Type.IsBytesBacked() != cc.HasDictionaryPage() {
			t.Errorf("column %s dictionary page %v", cols[c].Name, cc.HasDictionaryPage())
		}
	}
}

// Scanning must not allocate per value. (arrow/go v15's dictionary decoder
// allocates a few small objects per call, so a few per column and batch
// remain.)
func TestScanAllocations(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns
	const rows = 3 * RowGroupRows
	f, _ := writeGenerated(t, s, "f", cols, rows, 4096)
	proj := make([]int, len(cols))
	for i := range proj {
		proj[i] = i
	}
	allocs := testing.AllocsPerRun(2, func() {
		if err := ScanFile(context.Background(), s, f, cols, proj, func(*vec.Batch) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	vectors := rows / vec.BatchSize * len(cols)
	t.Logf("%.0f allocations for %d rows, %d vectors, %d column chunks", allocs, rows, vectors, 3*len(cols))
	if allocs > 4*float64(vectors) {
		t.Errorf("%.0f allocations for %d vectors", allocs, vectors)
	}
}
