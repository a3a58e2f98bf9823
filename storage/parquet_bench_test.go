package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// benchColumns are 8 mixed columns shaped like TPC-H lineitem's.
var benchColumns = []catalog.Column{
	{Name: "orderkey", Type: catalog.TypeInt8, NotNull: true},
	{Name: "linenumber", Type: catalog.TypeInt4, NotNull: true},
	{Name: "quantity", Type: catalog.NumericType(15, 2), NotNull: true},
	{Name: "price", Type: catalog.NumericType(15, 2)},
	{Name: "shipdate", Type: catalog.TypeDate, NotNull: true},
	{Name: "returnflag", Type: catalog.Type{Kind: catalog.Bpchar, Length: 1}, NotNull: true},
	{Name: "discount", Type: catalog.TypeFloat8},
	{Name: "comment", Type: catalog.Type{Kind: catalog.Varchar, Length: 44}},
}

const benchRows = 1_000_000

// benchBatches returns benchRows rows of benchColumns in batches of
// vec.BatchSize.
func benchBatches() []*vec.Batch {
	types := make([]catalog.Type, len(benchColumns))
	for i, c := range benchColumns {
		types[i] = c.Type
	}
	var out []*vec.Batch
	flags := [][]byte{[]byte("A"), []byte("N"), []byte("R")}
	var buf []byte
	for start := 0; start < benchRows; start += vec.BatchSize {
		n := min(vec.BatchSize, benchRows-start)
		b := vec.NewBatch(types, n)
		for r := start; r < start+n; r++ {
			b.Cols[0].AppendInt64(int64(r / 4))
			b.Cols[1].AppendInt64(int64(r%7 + 1))
			b.Cols[2].AppendInt64(int64(r%50+1) * 100)
			if r%97 == 0 {
				b.Cols[3].AppendNull()
			} else {
				b.Cols[3].AppendInt64(int64(r*7919%10000000 + 90000))
			}
			b.Cols[4].AppendInt64(int64(-2557 + r%2526))
			b.Cols[5].AppendBytes(flags[r%3])
			b.Cols[6].AppendFloat64(float64(r%11) / 100)
			buf = fmt.Appendf(buf[:0], "carefully final deposits %d haggle", r*31%1000003)
			b.Cols[7].AppendBytes(buf)
		}
		b.N = n
		out = append(out, b)
	}
	return out
}

func writeBench(b *testing.B, s ObjectStore, batches []*vec.Batch) DataFile {
	w, err := NewFileWriter(context.Background(), s, NewDataFileKey(1), benchColumns)
	if err != nil {
		b.Fatal(err)
	}
	for _, bt := range batches {
		if err := w.Write(bt); err != nil {
			b.Fatal(err)
		}
	}
	f, err := w.Close()
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func BenchmarkWriteFile(b *testing.B) {
	batches := benchBatches()
	s := NewMem()
	b.ReportAllocs()
	b.ResetTimer()
	var f DataFile
	for range b.N {
		f = writeBench(b, s, batches)
		b.StopTimer()
		s.Delete(context.Background(), f.Key)
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(f.Size), "file-bytes")
}

func BenchmarkScanFile(b *testing.B) {
	for _, store := range []string{"mem", "local"} {
		b.Run(store, func(b *testing.B) {
			var s ObjectStore = NewMem()
			if store == "local" {
				var err error
				if s, err = NewLocal(b.TempDir()); err != nil {
					b.Fatal(err)
				}
			}
			f := writeBench(b, s, benchBatches())
			proj := make([]int, len(benchColumns))
			for i := range proj {
				proj[i] = i
			}
			b.ReportAllocs()
			b.ResetTimer()
			var sum int64
			for range b.N {
				err := ScanFile(context.Background(), s, f, benchColumns, proj, func(bt *vec.Batch) error {
					sum += bt.Cols[0].I64[bt.N-1]
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
