package storage

import (
	"bytes"
	"context"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

func TestBounds(t *testing.T) {
	s := NewMem()
	cols := []catalog.Column{
		{Name: "i", Type: catalog.TypeInt4},
		{Name: "n", Type: catalog.NumericType(15, 2)},
		{Name: "d", Type: catalog.TypeDate},
		{Name: "ts", Type: catalog.TypeTimestamp},
		{Name: "t", Type: catalog.TypeText},
		{Name: "c", Type: catalog.Type{Kind: catalog.Bpchar, Length: 4}},
		{Name: "allnull", Type: catalog.TypeInt8},
		{Name: "f", Type: catalog.TypeFloat8},
	}
	types := make([]catalog.Type, len(cols))
	for i, c := range cols {
		types[i] = c.Type
	}
	b := vec.NewBatch(types, 3)
	for r := range 3 {
		b.Cols[1].AppendInt64(int64(-12345 + 1000*r))
		b.Cols[2].AppendInt64(int64(-800 + 2000*r))
		b.Cols[3].AppendInt64(int64(-3e12 + 4e12*int64(r)))
		b.Cols[4].AppendBytes([]byte([]string{"b", "a", "zz"}[r]))
		b.Cols[5].AppendBytes([]byte([]string{"x   ", "ab  ", "ab\x01 "}[r]))
		b.Cols[6].AppendNull()
		b.Cols[7].AppendFloat64(float64(r))
	}
	// Row 1 of column i is NULL.
	b.Cols[0].I64 = []int64{-5, 0, 15}
	b.Cols[0].Nulls = []bool{false, true, false}
	b.N = 3
	w, err := NewFileWriter(context.Background(), s, "f", cols)
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
	c := NewColumnCache(s, 1<<20)
	meta, err := c.FileMeta(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	for ci, want := range []Bounds{
		{Rows: 3, Nulls: 1, HasMinMax: true, MinI: -5, MaxI: 15},
		{Rows: 3, Nulls: 0, HasMinMax: true, MinI: -12345, MaxI: -10345},
		{Rows: 3, Nulls: 0, HasMinMax: true, MinI: -800, MaxI: 3200},
		{Rows: 3, Nulls: 0, HasMinMax: true, MinI: -3e12, MaxI: 5e12},
		{Rows: 3, Nulls: 0, HasMinMax: true, MinB: []byte("a"), MaxB: []byte("zz")},
		{Rows: 3, Nulls: 0, HasMinMax: true, MinB: []byte("ab\x01 "), MaxB: []byte("x   ")},
		{Rows: 3, Nulls: 3},
		{Rows: 3, Nulls: -1},
	} {
		for _, got := range []Bounds{meta.RowGroupBounds(0, cols, ci), f.ColumnBounds(cols, ci)} {
			if ci == 7 {
				got.Nulls = -1 // floats: only the NULL count is known
			}
			if got.Rows != want.Rows || got.Nulls != want.Nulls || got.HasMinMax != want.HasMinMax ||
				got.MinI != want.MinI || got.MaxI != want.MaxI || !bytes.Equal(got.MinB, want.MinB) || !bytes.Equal(got.MaxB, want.MaxB) {
				t.Errorf("column %s: bounds %+v, want %+v", cols[ci].Name, got, want)
			}
		}
	}
}

// A column added to the table after a file was written is all NULL there.
func TestBoundsAddedColumn(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns[:3]
	f, _ := writeGenerated(t, s, "f", cols, 3000, 3000)
	wider := append(append([]catalog.Column(nil), cols...), catalog.Column{Name: "new_i", Type: catalog.TypeInt4})
	meta, err := NewColumnCache(s, 1<<20).FileMeta(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if b := meta.RowGroupBounds(0, wider, 3); !b.AllNull() || b.Rows != 3000 {
		t.Fatalf("bounds of an added column: %+v", b)
	}
}
