package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/cirrusdb/cirrus/vec"
)

// Row positions count across row groups, also when a scan starts at a
// later row group, and cost no column read.
func TestScanRowPosition(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns[:3]
	f, want := writeGenerated(t, s, "f", cols, 2*RowGroupRows+5, 2048)
	next := int64(0)
	err := ScanFile(context.Background(), s, f, cols, []int{RowPosition, 2, RowPosition}, func(b *vec.Batch) error {
		for i := range b.N {
			if b.Cols[0].I64[i] != next || b.Cols[2].I64[i] != next || b.Cols[0].Nulls != nil {
				return fmt.Errorf("row %d: position %d/%d", next, b.Cols[0].I64[i], b.Cols[2].I64[i])
			}
			if err := checkValue(b.Cols[1], want.Cols[2], i, int(next)); err != nil {
				return err
			}
			next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != f.Rows {
		t.Fatalf("scanned %d rows, want %d", next, f.Rows)
	}
	r, err := OpenDataFile(context.Background(), s, f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next = 2 * RowGroupRows
	err = r.Scan(context.Background(), cols, []int{RowPosition}, []int{2}, func(b *vec.Batch) error {
		for i := range b.N {
			if b.Cols[0].I64[i] != next {
				return fmt.Errorf("position %d, want %d", b.Cols[0].I64[i], next)
			}
			next++
		}
		return nil
	})
	if err != nil || next != f.Rows {
		t.Fatalf("row group 2: %v, ended at %d", err, next)
	}
}

func TestRewriteFile(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns
	const rows = RowGroupRows + 3000
	f, want := writeGenerated(t, s, "f", cols, rows, 2048)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		drop []RowRange
	}{
		{"none", nil},
		{"first", []RowRange{{0, 1}}},
		{"last", []RowRange{{rows - 1, rows}}},
		{"scattered", []RowRange{{5, 6}, {2047, 2049}, {4000, 9000}, {RowGroupRows - 1, RowGroupRows + 1}, {rows - 10, rows - 3}}},
		{"all but one", []RowRange{{0, 77}, {78, 100}, {100, rows}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			df, err := RewriteFile(ctx, s, f, cols, "g-"+tc.name, tc.drop)
			if err != nil {
				t.Fatal(err)
			}
			// The expected rows: want without the dropped ones.
			var keep []int
			d := tc.drop
			for r := 0; r < rows; r++ {
				for len(d) > 0 && d[0].End <= int64(r) {
					d = d[1:]
				}
				if len(d) == 0 || d[0].Start > int64(r) {
					keep = append(keep, r)
				}
			}
			if df.Rows != int64(len(keep)) || df.Key != "g-"+tc.name || len(df.Stats) != len(cols) {
				t.Fatalf("rewritten file %+v, want %d rows", df, len(keep))
			}
			proj := make([]int, len(cols))
			for i := range proj {
				proj[i] = i
			}
			row := 0
			err = ScanFile(ctx, s, df, cols, proj, func(b *vec.Batch) error {
				for i := range b.N {
					for c := range cols {
						if err := checkValue(b.Cols[c], want.Cols[c], i, keep[row]); err != nil {
							return fmt.Errorf("row %d (was %d) column %s: %v", row, keep[row], cols[c].Name, err)
						}
					}
					row++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if row != len(keep) {
				t.Fatalf("read %d rows, want %d", row, len(keep))
			}
		})
	}
	// Dropping every row writes nothing.
	df, err := RewriteFile(ctx, s, f, cols, "empty", []RowRange{{0, rows}})
	if err != nil || df.Rows != 0 {
		t.Fatalf("drop all: %+v, %v", df, err)
	}
	if _, err := s.Open(ctx, "empty"); err == nil {
		t.Fatal("drop all wrote an object")
	}
	// Bad ranges are refused.
	for _, bad := range [][]RowRange{{{5, 5}}, {{3, 9}, {8, 10}}, {{4, 5}, {3, 4}}, {{0, rows + 1}}, {{-1, 2}}} {
		if _, err := RewriteFile(ctx, s, f, cols, "bad", bad); err == nil {
			t.Fatalf("ranges %v accepted", bad)
		}
	}
}
