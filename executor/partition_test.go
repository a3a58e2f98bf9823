package executor

import (
	"fmt"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// assign partitions b by keys into n partitions.
func assign(t *testing.T, keys []*plan.Expr, b *vec.Batch, n int) []int32 {
	t.Helper()
	p, err := NewPartitioner(keys, b.Types(), n)
	if err != nil {
		t.Fatal(err)
	}
	part, err := p.Assign(b)
	if err != nil {
		t.Fatal(err)
	}
	return append([]int32(nil), part...)
}

// samePartitions checks that the two sides of a join, after ShuffleKeys,
// put row i of l and row i of r (equal keys) in the same partition.
func samePartitions(t *testing.T, lk, rk []*plan.Expr, l, r *vec.Batch) {
	t.Helper()
	lk, rk, err := ShuffleKeys(lk, rk)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3, 7, 24} {
		pl, pr := assign(t, lk, l, n), assign(t, rk, r, n)
		for i := range pl {
			if pl[i] != pr[i] {
				t.Fatalf("n=%d row %d: left partition %d, right %d", n, i, pl[i], pr[i])
			}
		}
	}
}

func TestPartitionIntAcrossTypes(t *testing.T) {
	var l, r [][]any
	for i := -500; i < 500; i++ {
		l = append(l, []any{i * 7919})
		r = append(r, []any{int64(i * 7919)})
	}
	lb, rb := mkBatch([]catalog.Type{tI4}, l...), mkBatch([]catalog.Type{tI8}, r...)
	// The planner casts the int4 side to bigint; the join may also compare
	// int4 with int8 directly.
	samePartitions(t, []*plan.Expr{cast(col(0, tI4), tI8)}, []*plan.Expr{col(0, tI8)}, lb, rb)
	samePartitions(t, []*plan.Expr{col(0, tI4)}, []*plan.Expr{col(0, tI8)}, lb, rb)
	i2 := mkBatch([]catalog.Type{tI2}, [][]any{{1}, {-3}, {300}}...)
	i8b := mkBatch([]catalog.Type{tI8}, [][]any{{1}, {-3}, {300}}...)
	samePartitions(t, []*plan.Expr{col(0, tI2)}, []*plan.Expr{col(0, tI8)}, i2, i8b)
}

func TestPartitionNumericScales(t *testing.T) {
	// 1.50 as numeric(10,2) is 150; as numeric(12,0) keys are whole.
	var l, r [][]any
	for i := 0; i < 300; i++ {
		l = append(l, []any{int64(i * 100)})
		r = append(r, []any{int64(i)})
	}
	samePartitions(t, []*plan.Expr{col(0, tNumP(10, 2))}, []*plan.Expr{col(0, tNumP(12, 0))},
		mkBatch([]catalog.Type{tNumP(10, 2)}, l...), mkBatch([]catalog.Type{tNumP(12, 0)}, r...))
	// Dynamic-scale numerics compare as numbers: 1.50 = 1.5, -0 = 0.
	dl := mkBatch([]catalog.Type{catalog.TypeNumericDynamic}, [][]any{{"1.50"}, {"-0"}, {"10.000"}, {"7"}}...)
	dr := mkBatch([]catalog.Type{catalog.TypeNumericDynamic}, [][]any{{"1.5"}, {"0"}, {"10"}, {"7.0"}}...)
	samePartitions(t, []*plan.Expr{col(0, catalog.TypeNumericDynamic)}, []*plan.Expr{col(0, catalog.TypeNumericDynamic)}, dl, dr)
}

func TestPartitionStrings(t *testing.T) {
	var l, r, r2 [][]any
	for i := 0; i < 200; i++ {
		s := fmt.Sprintf("k%d", i)
		l = append(l, []any{s + "   "})
		r = append(r, []any{s})
		r2 = append(r2, []any{s + " "})
	}
	// char(n) = char(m): trailing spaces do not count.
	samePartitions(t, []*plan.Expr{col(0, tChar(8))}, []*plan.Expr{col(0, tChar(4))},
		mkBatch([]catalog.Type{tChar(8)}, l...), mkBatch([]catalog.Type{tChar(4)}, r2...))
	// char = text compares as text (the char side loses its padding).
	samePartitions(t, []*plan.Expr{col(0, tChar(8))}, []*plan.Expr{col(0, tT)},
		mkBatch([]catalog.Type{tChar(8)}, l...), mkBatch([]catalog.Type{tT}, r...))
	// varchar = text.
	samePartitions(t, []*plan.Expr{col(0, tVarc(10))}, []*plan.Expr{col(0, tT)},
		mkBatch([]catalog.Type{tVarc(10)}, r...), mkBatch([]catalog.Type{tT}, r...))
	// Long strings hash on all their bytes.
	long := mkBatch([]catalog.Type{tT}, [][]any{{"abcdefghijklmnopqrstuvwxyz-1"}, {"abcdefghijklmnopqrstuvwxyz-2"}}...)
	h := make([]uint64, 2)
	PartitionHashes(h, make([]bool, 2), long.Cols)
	if h[0] == h[1] {
		t.Fatal("strings differing in their last byte hash alike")
	}
}

func TestPartitionFloatsAndBools(t *testing.T) {
	l := mkBatch([]catalog.Type{tF8, tB}, [][]any{{0.0, true}, {1.5, false}}...)
	negZero := 0.0
	negZero = -negZero
	r := mkBatch([]catalog.Type{tF8, tB}, [][]any{{negZero, true}, {1.5, false}}...)
	samePartitions(t, []*plan.Expr{col(0, tF8), col(1, tB)}, []*plan.Expr{col(0, tF8), col(1, tB)}, l, r)
}

func TestPartitionNulls(t *testing.T) {
	b := mkBatch([]catalog.Type{tI4, tT}, [][]any{{nil, "a"}, {5, nil}, {nil, nil}, {5, "a"}}...)
	for _, n := range []int{2, 3, 16} {
		part := assign(t, []*plan.Expr{col(0, tI4), col(1, tT)}, b, n)
		for i := 0; i < 3; i++ {
			if part[i] != 0 {
				t.Fatalf("n=%d: row %d with a NULL key in partition %d", n, i, part[i])
			}
		}
	}
}

// TestPartitionGolden pins the hash: participants of different builds must
// agree on partitions, so a change here is a protocol change.
func TestPartitionGolden(t *testing.T) {
	b := mkBatch([]catalog.Type{tI8, tT}, [][]any{{int64(1), "a"}, {int64(42), "hello"}, {int64(-7), ""}, {int64(1 << 40), "x"}}...)
	h := make([]uint64, 4)
	PartitionHashes(h, make([]bool, 4), b.Cols[:1])
	got := fmt.Sprintf("%x", h)
	PartitionHashes(h, make([]bool, 4), b.Cols)
	got += fmt.Sprintf(" %x", h)
	const want = "[d6031e7d6c60d1a4 4e024630292b97bb f7d8e58f942a4356 124d15ffda2f924e] [3ba777d0ce5e8a12 a04ecb31e48eb015 179ef1f92cce796d 8102341e99c7113]"
	if got != want {
		t.Fatalf("partition hashes changed:\n got %s\nwant %s", got, want)
	}
}

func TestPartitionSpreadAndScatter(t *testing.T) {
	const rows, n = 100_000, 6
	types := []catalog.Type{tI8, tT}
	p, err := NewPartitioner([]*plan.Expr{col(0, tI8)}, types, n)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, n)
	seen := make([]bool, rows)
	emit := func(j int, b *vec.Batch) error {
		if b.N > vec.BatchSize || b.N == 0 {
			t.Fatalf("batch of %d rows", b.N)
		}
		// Every row is in its partition and carries its other columns.
		part, err := NewPartitioner([]*plan.Expr{col(0, tI8)}, types, n)
		if err != nil {
			return err
		}
		pj, _ := part.Assign(b)
		for i := 0; i < b.N; i++ {
			k := b.Cols[0].I64[i]
			if int(pj[i]) != j {
				t.Fatalf("key %d emitted to partition %d, belongs to %d", k, j, pj[i])
			}
			if string(b.Cols[1].Bytes(i)) != fmt.Sprint("v", k) || seen[k] {
				t.Fatalf("row %d: %q (seen %v)", k, b.Cols[1].Bytes(i), seen[k])
			}
			seen[k] = true
		}
		counts[j] += b.N
		return nil
	}
	for from := 0; from < rows; from += 1000 {
		var in [][]any
		for k := from; k < from+1000; k++ {
			in = append(in, []any{int64(k), fmt.Sprint("v", k)})
		}
		if err := p.Add(mkBatch(types, in...), emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(emit); err != nil {
		t.Fatal(err)
	}
	total := 0
	for j, c := range counts {
		total += c
		if c < rows/n*9/10 || c > rows/n*11/10 {
			t.Errorf("partition %d has %d rows of %d", j, c, rows)
		}
	}
	if total != rows {
		t.Fatalf("%d rows out of %d", total, rows)
	}
}

func BenchmarkPartition(b *testing.B) {
	types := []catalog.Type{tI8, tI8, tT}
	var in [][]any
	for k := 0; k < vec.BatchSize; k++ {
		in = append(in, []any{int64(k * 31), int64(k), fmt.Sprint("value-", k)})
	}
	batch := mkBatch(types, in...)
	p, err := NewPartitioner([]*plan.Expr{col(0, tI8)}, types, 12)
	if err != nil {
		b.Fatal(err)
	}
	emit := func(_ int, out *vec.Batch) error {
		p.Recycle(out) // as after a send
		return nil
	}
	b.SetBytes(int64(batch.N))
	for b.Loop() {
		if err := p.Add(batch, emit); err != nil {
			b.Fatal(err)
		}
	}
}
