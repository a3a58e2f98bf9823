package participant

import (
	"context"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// writeKeys writes a file of rows k = from, from+1, ... with a text column.
func writeKeys(t *testing.T, st storage.ObjectStore, key string, cols []catalog.Column, from, rows int) storage.DataFile {
	t.Helper()
	w, err := storage.NewFileWriter(context.Background(), st, key, cols)
	if err != nil {
		t.Fatal(err)
	}
	b := vec.NewBatch([]catalog.Type{cols[0].Type, cols[1].Type}, vec.BatchSize)
	for off := 0; off < rows; off += vec.BatchSize {
		b.Reset()
		n := min(vec.BatchSize, rows-off)
		for i := range n {
			b.Cols[0].AppendInt64(int64(from + off + i))
			if (off+i)%10 == 0 {
				b.Cols[1].AppendNull()
			} else {
				b.Cols[1].AppendBytes([]byte{byte('a' + (off+i)%26)})
			}
		}
		b.N = n
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	f, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A scan over morsels skips the row groups its filter rules out, reads
// every other row once (several workers pulling from one source), and
// gets the same rows from the cache the second time.
func TestMorselScanPruning(t *testing.T) {
	st := storage.NewMem()
	s := New(Config{Store: st, Workers: 3})
	cols := []catalog.Column{{Name: "k", Type: catalog.TypeInt8, NotNull: true}, {Name: "s", Type: catalog.TypeText}}
	rg := storage.RowGroupRows
	f1 := writeKeys(t, st, "f1", cols, 0, 3*rg+100) // row groups [0, rg), ... [3rg, 3rg+100)
	f2 := writeKeys(t, st, "f2", cols, 10*rg, 500)
	tab := &catalog.Table{Name: "t", Columns: cols}
	for _, tc := range []struct {
		filter  *plan.Expr
		morsels int
		rows    int
		sumK    int64
	}{
		{nil, 5, 3*rg + 600, 0},
		// k >= 2rg: the last two row groups of f1, and f2.
		{plan.CallOf(">=", catalog.TypeBool, plan.Col(0, catalog.TypeInt8), plan.ConstOf(catalog.TypeInt8, plan.Datum{I: int64(2 * rg)})),
			3, rg + 600, 0},
		// k < 5 or k = 10rg+1
		{plan.CallOf("or", catalog.TypeBool,
			plan.CallOf("<", catalog.TypeBool, plan.Col(0, catalog.TypeInt8), plan.ConstOf(catalog.TypeInt8, plan.Datum{I: 5})),
			plan.CallOf("=", catalog.TypeBool, plan.Col(0, catalog.TypeInt8), plan.ConstOf(catalog.TypeInt8, plan.Datum{I: int64(10*rg + 1)}))),
			2, 6, 0 + 1 + 2 + 3 + 4 + int64(10*rg+1)},
		// s is null and k > 3rg+50: f1's last row group (4 NULLs among
		// k in (3rg+50, 3rg+100)) and f2 (every 10th of 500).
		{plan.CallOf("and", catalog.TypeBool,
			plan.CallOf("isnull", catalog.TypeBool, plan.Col(1, catalog.TypeText)),
			plan.CallOf(">", catalog.TypeBool, plan.Col(0, catalog.TypeInt8), plan.ConstOf(catalog.TypeInt8, plan.Datum{I: int64(3*rg + 50)}))),
			2, 54, 0},
		// s > 'z': no row group has a string above 'z'.
		{plan.CallOf(">", catalog.TypeBool, plan.Col(1, catalog.TypeText), plan.ConstOf(catalog.TypeText, plan.Datum{S: "z"})), 0, 0, 0},
	} {
		for pass := range 2 {
			sc := &plan.Scan{Table: tab, Cols: []int{0, 1}, Filter: tc.filter, Files: []storage.DataFile{f1, f2}}
			src, err := s.newMorselSource(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			if len(src.morsels) != tc.morsels {
				t.Errorf("filter %v: %d morsels, want %d", tc.filter != nil, len(src.morsels), tc.morsels)
			}
			// Three workers' pipelines share the source.
			rows, sum := 0, int64(0)
			for range 3 {
				op, err := executor.Build(context.Background(), sc, &executor.Env{OpenScan: func(ctx context.Context, sc *plan.Scan) (executor.Operator, error) {
					return s.newCachedScan(sc, src), nil
				}})
				if err != nil {
					t.Fatal(err)
				}
				b, err := executor.Drain(context.Background(), op)
				if err != nil {
					t.Fatal(err)
				}
				rows += b.N
				for _, k := range b.Cols[0].I64[:b.N] {
					sum += k
				}
			}
			if rows != tc.rows || (tc.sumK != 0 && sum != tc.sumK) {
				t.Errorf("pass %d: %d rows (sum %d), want %d (sum %d)", pass, rows, sum, tc.rows, tc.sumK)
			}
		}
	}
	if st := s.StorageStats(); st.Cache.Misses == 0 || st.Cache.Hits == 0 || st.RowGroupsPruned == 0 {
		t.Errorf("stats: %+v", st)
	}
}
