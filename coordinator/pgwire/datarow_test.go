package pgwire

import (
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/vec"
)

func testBatch() *vec.Batch {
	types := []catalog.Type{catalog.TypeInt8, catalog.NumericType(15, 2), catalog.TypeText, catalog.TypeDate, catalog.TypeTimestamp, catalog.TypeFloat8, catalog.TypeBool}
	b := vec.NewBatch(types, vec.BatchSize)
	for i := range vec.BatchSize {
		b.Cols[0].AppendInt64(int64(i))
		b.Cols[1].AppendInt64(int64(i) * 1234)
		if i%7 == 0 {
			b.Cols[2].AppendNull()
		} else {
			b.Cols[2].AppendBytes([]byte("some text value"))
		}
		b.Cols[3].AppendInt64(int64(i))
		b.Cols[4].AppendInt64(int64(i) * 1000003)
		b.Cols[5].AppendFloat64(float64(i) / 3)
		b.Cols[6].AppendBool(i%2 == 0)
	}
	b.N = vec.BatchSize
	return b
}

// TestDataRowNoAllocs checks that encoding DataRows allocates nothing once
// the output buffer has grown.
func TestDataRowNoAllocs(t *testing.T) {
	b := testBatch()
	out := make([]byte, 0, 1<<20)
	for _, formats := range [][]int16{nil, {1, 1, 0, 1, 1, 1, 1}} {
		var vs pgtype.Values
		allocs := testing.AllocsPerRun(10, func() {
			o := out[:0]
			vs.Encode(b, isBinary(formats), pgtype.Output{})
			for i := 0; i < b.N; i++ {
				o = appendDataRow(o, b, &vs, i)
			}
		})
		if allocs != 0 {
			t.Errorf("formats %v: %v allocations per batch", formats, allocs)
		}
	}
}

func BenchmarkDataRowText(bm *testing.B) {
	b := testBatch()
	out := make([]byte, 0, 1<<20)
	var vs pgtype.Values
	bm.ReportAllocs()
	for bm.Loop() {
		o := out[:0]
		vs.Encode(b, isBinary(nil), pgtype.Output{})
		for i := 0; i < b.N; i++ {
			o = appendDataRow(o, b, &vs, i)
		}
	}
	bm.ReportMetric(float64(bm.Elapsed().Nanoseconds())/float64(bm.N)/float64(b.N), "ns/row")
}
