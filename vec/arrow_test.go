package vec

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/cirrusdb/cirrus/catalog"
)

var arrowTestTypes = []catalog.Type{
	catalog.TypeInt2,
	catalog.TypeInt4,
	catalog.TypeInt8,
	catalog.NumericType(15, 2),
	catalog.TypeFloat4,
	catalog.TypeFloat8,
	catalog.TypeBool,
	catalog.TypeText,
	{Kind: catalog.Varchar, Length: 10},
	{Kind: catalog.Bpchar, Length: 3},
	catalog.TypeDate,
	catalog.TypeTimestamp,
	{Kind: catalog.Numeric, Scale: -1}, // dynamic scale: decimal text
	catalog.TypeUnknown,
}

var arrowTestNames = []string{"i2", "i4", "i8", "num", "f4", "f8", "b", "t", "vc", "ch", "d", "ts", "dyn", "unk"}

// testBatch returns n rows; with nulls, every third row of every column
// but the first is NULL (rotating by column) and the unknown column is all
// NULL.
func testBatch(n int, nulls bool) *Batch {
	b := NewBatch(arrowTestTypes, n)
	for c, t := range arrowTestTypes {
		v := b.Cols[c]
		for r := range n {
			if t.Kind == catalog.Unknown || (nulls && c > 0 && (r+c)%3 == 0) {
				v.AppendNull()
				continue
			}
			switch {
			case v.Offsets != nil:
				if r%4 == 0 {
					v.AppendBytes(nil) // empty, not NULL
				} else {
					v.AppendBytes(bytes.Repeat([]byte{'a' + byte(r%26)}, r%7))
				}
			case v.F64 != nil:
				v.AppendFloat64(float64(r) * 1.5)
			case v.Bool != nil:
				v.AppendBool(r%2 == 0)
			default:
				v.AppendInt64(int64(r*1000003) - 77)
			}
		}
	}
	b.N = n
	return b
}

func sameBatch(t *testing.T, got, want *Batch) {
	t.Helper()
	if got.N != want.N || len(got.Cols) != len(want.Cols) {
		t.Fatalf("got %d rows × %d columns, want %d × %d", got.N, len(got.Cols), want.N, len(want.Cols))
	}
	for c := range want.Cols {
		g, w := got.Cols[c], want.Cols[c]
		if g.Type != w.Type {
			t.Errorf("column %d type %v, want %v", c, g.Type, w.Type)
		}
		if g.Len() != want.N {
			t.Fatalf("column %d has %d values, want %d", c, g.Len(), want.N)
		}
		if (g.Nulls == nil) != (w.Nulls == nil || !anyTrue(w.Nulls)) {
			t.Errorf("column %d Nulls nil %v", c, g.Nulls == nil)
		}
		for i := range want.N {
			if g.IsNull(i) != w.IsNull(i) {
				t.Fatalf("column %d row %d null %v, want %v", c, i, g.IsNull(i), w.IsNull(i))
			}
			switch {
			case w.Offsets != nil:
				if !bytes.Equal(g.Bytes(i), w.Bytes(i)) {
					t.Fatalf("column %d row %d = %q, want %q", c, i, g.Bytes(i), w.Bytes(i))
				}
			case w.F64 != nil:
				if g.F64[i] != w.F64[i] {
					t.Fatalf("column %d row %d = %v, want %v", c, i, g.F64[i], w.F64[i])
				}
			case w.Bool != nil:
				if g.Bool[i] != w.Bool[i] {
					t.Fatalf("column %d row %d = %v, want %v", c, i, g.Bool[i], w.Bool[i])
				}
			default:
				if g.I64[i] != w.I64[i] {
					t.Fatalf("column %d row %d = %v, want %v", c, i, g.I64[i], w.I64[i])
				}
			}
		}
	}
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

func TestArrowRoundTrip(t *testing.T) {
	schema := Schema(arrowTestNames, arrowTestTypes)
	for _, tc := range []struct {
		n     int
		nulls bool
	}{{0, false}, {1, true}, {7, false}, {100, true}, {BatchSize, true}} {
		b := testBatch(tc.n, tc.nulls)
		rec := ToRecord(schema, b)
		if rec.NumRows() != int64(tc.n) || rec.NumCols() != int64(len(arrowTestTypes)) {
			t.Fatalf("record %d × %d", rec.NumRows(), rec.NumCols())
		}
		got, err := FromRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		sameBatch(t, got, b)

		// Through Arrow IPC (what Flight sends), then back.
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Close()
		rec.Release()
		r, err := ipc.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Next() {
			t.Fatalf("no record: %v", r.Err())
		}
		got2 := &Batch{}
		if err := FromRecordInto(r.Record(), got2); err != nil {
			t.Fatal(err)
		}
		sameBatch(t, got2, b)
		r.Release()
	}
}

func TestArrowRecordContents(t *testing.T) {
	schema := Schema(arrowTestNames, arrowTestTypes)
	wantTypes := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Boolean,
		arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.BinaryTypes.String,
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64,
	}
	for i, f := range schema.Fields() {
		if !arrow.TypeEqual(f.Type, wantTypes[i]) || !f.Nullable || f.Name != arrowTestNames[i] {
			t.Errorf("field %d = %v", i, f)
		}
		if got, err := TypeOfField(f); err != nil || got != arrowTestTypes[i] {
			t.Errorf("field %d type %v, %v", i, got, err)
		}
	}
	b := testBatch(10, true)
	rec := ToRecord(schema, b)
	defer rec.Release()
	i8 := rec.Column(2).(*array.Int64)
	if i8.NullN() != 3 || !i8.IsNull(1) || i8.Value(2) != b.Cols[2].I64[2] {
		t.Errorf("int8 column: %v", i8)
	}
	// Zero copy: the record's int64 values are the vector's.
	if &i8.Int64Values()[0] != &b.Cols[2].I64[0] {
		t.Error("int64 values were copied")
	}
	bl := rec.Column(6).(*array.Boolean)
	if bl.Value(1) != false || bl.Value(2) != true || !bl.IsNull(3) {
		t.Errorf("bool column: %v", bl)
	}
	s := rec.Column(7).(*array.String)
	if s.Value(0) != "" || s.IsNull(0) || !s.IsNull(2) || s.Value(3) != "ddd" {
		t.Errorf("text column: %v", s)
	}
	if rec.Column(0).NullN() != 0 || rec.Column(0).NullBitmapBytes() != nil {
		t.Error("column without NULLs has a validity bitmap")
	}
	if rec.Column(13).NullN() != 10 {
		t.Errorf("unknown column has %d NULLs", rec.Column(13).NullN())
	}
}

// Vectors whose string offsets do not start at 0 (a slice of a larger
// vector) and records sliced by Arrow both convert correctly.
func TestArrowOffsets(t *testing.T) {
	big := testBatch(50, true)
	sub := &Batch{N: 20, Cols: make([]*Vector, len(big.Cols))}
	for c, v := range big.Cols {
		w := &Vector{Type: v.Type, Data: v.Data}
		switch {
		case v.Offsets != nil:
			w.Offsets = v.Offsets[10:31]
		case v.F64 != nil:
			w.F64 = v.F64[10:30]
		case v.Bool != nil:
			w.Bool = v.Bool[10:30]
		default:
			w.I64 = v.I64[10:30]
		}
		if v.Nulls != nil {
			w.Nulls = v.Nulls[10:30]
		}
		sub.Cols[c] = w
	}
	want := NewBatch(arrowTestTypes, 20)
	for c := range want.Cols {
		for i := 10; i < 30; i++ {
			want.Cols[c].AppendFrom(big.Cols[c], i)
		}
	}
	want.N = 20
	schema := Schema(arrowTestNames, arrowTestTypes)
	rec := ToRecord(schema, sub)
	got, err := FromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	sameBatch(t, got, want)
	rec.Release()

	rec = ToRecord(schema, big)
	sliced := rec.NewSlice(10, 30)
	if err := FromRecordInto(sliced, got); err != nil {
		t.Fatal(err)
	}
	sameBatch(t, got, want)
	sliced.Release()
	rec.Release()
}

// FromRecordInto reuses a batch across records whose types differ.
func TestFromRecordIntoReuse(t *testing.T) {
	b := &Batch{}
	s1 := Schema([]string{"a", "b"}, []catalog.Type{catalog.TypeFloat8, catalog.TypeText})
	s2 := Schema([]string{"a", "b"}, []catalog.Type{catalog.TypeText, catalog.TypeInt8})
	in1 := NewBatch([]catalog.Type{catalog.TypeFloat8, catalog.TypeText}, 2)
	in1.Cols[0].AppendFloat64(1.5)
	in1.Cols[0].AppendNull()
	in1.Cols[1].AppendBytes([]byte("x"))
	in1.Cols[1].AppendBytes([]byte("yz"))
	in1.N = 2
	in2 := NewBatch([]catalog.Type{catalog.TypeText, catalog.TypeInt8}, 1)
	in2.Cols[0].AppendBytes([]byte("hello"))
	in2.Cols[1].AppendInt64(42)
	in2.N = 1
	for _, tc := range []struct {
		s  *arrow.Schema
		in *Batch
	}{{s1, in1}, {s2, in2}, {s1, in1}} {
		rec := ToRecord(tc.s, tc.in)
		if err := FromRecordInto(rec, b); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		sameBatch(t, b, tc.in)
	}
}

// Records from elsewhere, without Cirrus metadata, map to the nearest types.
func TestFromForeignRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32},
		{Name: "ts_ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 12, Scale: 3}},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "null", Type: arrow.Null, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	bld.Field(0).(*array.Int32Builder).AppendValues([]int32{-5, 0}, []bool{true, false})
	bld.Field(1).(*array.Int16Builder).AppendValues([]int16{7, -7}, nil)
	bld.Field(2).(*array.Float32Builder).AppendValues([]float32{0.5, -2}, nil)
	bld.Field(3).(*array.Date32Builder).AppendValues([]arrow.Date32{10957, 0}, nil)
	bld.Field(4).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{946684800000, 946684800001}, nil)
	bld.Field(5).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{946684800000000000, -1}, nil)
	bld.Field(6).(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(-12345), decimal128.FromI64(1)}, nil)
	bld.Field(7).(*array.LargeStringBuilder).AppendValues([]string{"", "large"}, []bool{false, true})
	bld.Field(8).(*array.NullBuilder).AppendNulls(2)
	rec := bld.NewRecord()
	defer rec.Release()

	b, err := FromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []catalog.Type{catalog.TypeInt4, catalog.TypeInt2, catalog.TypeFloat4, catalog.TypeDate,
		catalog.TypeTimestamp, catalog.TypeTimestamp, catalog.NumericType(12, 3), catalog.TypeText, catalog.TypeUnknown}
	for i, w := range wantTypes {
		if b.Cols[i].Type != w {
			t.Errorf("column %d type %v, want %v", i, b.Cols[i].Type, w)
		}
	}
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("i32[0]", b.Cols[0].I64[0], int64(-5))
	check("i32[1] null", b.Cols[0].IsNull(1), true)
	check("i32[1] zeroed", b.Cols[0].I64[1], int64(0))
	check("i16[1]", b.Cols[1].I64[1], int64(-7))
	check("f32[0]", b.Cols[2].F64[0], 0.5)
	check("date 2000-01-01", b.Cols[3].I64[0], int64(0))
	check("date 1970-01-01", b.Cols[3].I64[1], int64(-10957))
	check("ts_ms", b.Cols[4].I64[1], int64(1000))
	check("ts_ns", b.Cols[5].I64[0], int64(0))
	check("ts_ns floor", b.Cols[5].I64[1], int64(-946684800000000-1))
	check("dec", b.Cols[6].I64[0], int64(-12345))
	check("ls null", b.Cols[7].IsNull(0), true)
	check("ls", string(b.Cols[7].Bytes(1)), "large")
	check("null", b.Cols[8].IsNull(1), true)
	check("rows", b.N, 2)

	// Unsupported types and mismatched metadata are errors.
	bad := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Uint64}}, nil)
	if _, err := TypeOfField(bad.Field(0)); err == nil {
		t.Error("uint64 accepted")
	}
	f := Schema([]string{"x"}, []catalog.Type{catalog.TypeText}).Field(0)
	f.Type = arrow.PrimitiveTypes.Int64
	if _, err := TypeOfField(f); err == nil {
		t.Error("text metadata on an int64 field accepted")
	}
	wide := decimal128.FromBigInt(new(big.Int).Lsh(big.NewInt(1), 70))
	db := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 18, Scale: 0})
	db.Append(wide)
	arr := db.NewArray()
	db.Release()
	r2 := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "w", Type: arr.DataType()}}, nil), []arrow.Array{arr}, 1)
	arr.Release()
	if _, err := FromRecord(r2); err == nil {
		t.Error("decimal beyond int64 accepted")
	}
	r2.Release()
}

// ToRecord must not copy values; FromRecordInto into a warm batch must not
// allocate beyond the bitmaps ToRecord builds.
func TestArrowAllocations(t *testing.T) {
	types := []catalog.Type{catalog.TypeInt8, catalog.TypeFloat8, catalog.TypeText}
	schema := Schema([]string{"a", "b", "c"}, types)
	in := NewBatch(types, BatchSize)
	for r := range BatchSize {
		in.Cols[0].AppendInt64(int64(r))
		in.Cols[1].AppendFloat64(float64(r))
		in.Cols[2].AppendBytes([]byte("some text"))
	}
	in.N = BatchSize
	out := &Batch{}
	rec := ToRecord(schema, in)
	if err := FromRecordInto(rec, out); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10, func() {
		if err := FromRecordInto(rec, out); err != nil {
			t.Fatal(err)
		}
	})
	rec.Release()
	if allocs > 0 {
		t.Errorf("FromRecordInto: %.0f allocations", allocs)
	}
}

func BenchmarkArrowRoundTrip(b *testing.B) {
	types := []catalog.Type{catalog.TypeInt8, catalog.NumericType(15, 2), catalog.TypeFloat8, catalog.TypeText}
	schema := Schema([]string{"a", "b", "c", "d"}, types)
	in := NewBatch(types, BatchSize)
	for r := range BatchSize {
		in.Cols[0].AppendInt64(int64(r))
		in.Cols[1].AppendInt64(int64(r) * 100)
		in.Cols[2].AppendFloat64(float64(r))
		in.Cols[3].AppendBytes([]byte("some text value"))
	}
	in.N = BatchSize
	out := &Batch{}
	b.ReportAllocs()
	for range b.N {
		rec := ToRecord(schema, in)
		if err := FromRecordInto(rec, out); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	b.ReportMetric(float64(BatchSize)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
