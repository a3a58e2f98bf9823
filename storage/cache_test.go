package storage

import (
	"context"
	"sync"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// readCached reads every column of every row group of f through the cache
// and compares it with want, batch by batch through Chunk.View.
func readCached(t *testing.T, c *ColumnCache, f DataFile, cols []catalog.Column, want *vec.Batch) {
	t.Helper()
	ctx := context.Background()
	meta, err := c.FileMeta(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	for rg := range meta.NumRowGroups() {
		g := c.RowGroup(ctx, f, meta, rg)
		start := int(meta.RowGroupStart(rg))
		rows := int(meta.RowGroupRows(rg))
		for ci := range cols {
			ch, err := g.Column(cols, ci)
			if err != nil {
				t.Fatal(err)
			}
			if ch.Rows != rows {
				t.Fatalf("row group %d column %s: %d rows, want %d", rg, cols[ci].Name, ch.Rows, rows)
			}
			v := &vec.Vector{Type: cols[ci].Type}
			for off := 0; off < rows; off += vec.BatchSize {
				n := min(vec.BatchSize, rows-off)
				ch.View(v, off, n)
				if v.Len() != n || (v.Nulls != nil && len(v.Nulls) != n) {
					t.Fatalf("view of %d rows has %d values", n, v.Len())
				}
				if v.Offsets != nil && v.Offsets[0] != 0 {
					t.Fatalf("string view offsets start at %d", v.Offsets[0])
				}
				for i := range n {
					if err := checkValue(v, want.Cols[ci], i, start+off+i); err != nil {
						t.Fatalf("row %d column %s: %v", start+off+i, cols[ci].Name, err)
					}
				}
			}
		}
		g.Close()
	}
}

func TestColumnCache(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns
	f, want := writeGenerated(t, s, "f", cols, RowGroupRows+3000, 5000)
	c := NewColumnCache(s, 1<<30)
	readCached(t, c, f, cols, want)
	st := c.Stats()
	if st.Misses != int64(2*len(cols)) || st.Hits != 0 || st.Chunks != st.Misses || st.Files != 1 {
		t.Fatalf("after the first read: %+v", st)
	}
	readCached(t, c, f, cols, want)
	if st2 := c.Stats(); st2.Misses != st.Misses || st2.Hits != st.Misses || st2.Bytes != st.Bytes {
		t.Fatalf("after the second read: %+v", st2)
	}

	// A view's capacity ends with it: appending never writes into the cache.
	meta, _ := c.FileMeta(context.Background(), f)
	ch, err := c.RowGroup(context.Background(), f, meta, 0).Column(cols, 2)
	if err != nil {
		t.Fatal(err)
	}
	v := &vec.Vector{Type: cols[2].Type}
	ch.View(v, 0, 10)
	if cap(v.I64) != 10 {
		t.Fatalf("view capacity %d", cap(v.I64))
	}
	_ = append(v.I64, 42)
	if ch.I64[10] != want.Cols[2].I64[10] {
		t.Fatal("append to a view changed the cache")
	}
}

func TestColumnCacheAddedColumn(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns[:3]
	f, _ := writeGenerated(t, s, "f", cols, 3000, 3000)
	wider := append(append([]catalog.Column(nil), cols...), catalog.Column{Name: "new_t", Type: catalog.TypeText},
		catalog.Column{Name: "new_i", Type: catalog.TypeInt4})
	c := NewColumnCache(s, 1<<30)
	meta, err := c.FileMeta(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	g := c.RowGroup(context.Background(), f, meta, 0)
	defer g.Close()
	for _, ci := range []int{3, 4} {
		ch, err := g.Column(wider, ci)
		if err != nil {
			t.Fatal(err)
		}
		v := &vec.Vector{Type: wider[ci].Type}
		ch.View(v, 2048, 952)
		for i := range 952 {
			if !v.IsNull(i) {
				t.Fatalf("column %d row %d not NULL", ci, i)
			}
		}
	}
}

// Concurrent readers of one chunk decode it once; a small cache evicts.
func TestColumnCacheConcurrentAndEviction(t *testing.T) {
	s := NewMem()
	cols := allTypeColumns[:8]
	f, want := writeGenerated(t, s, "f", cols, 10000, 10000)
	c := NewColumnCache(s, 1<<30)
	meta, err := c.FileMeta(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := c.RowGroup(context.Background(), f, meta, 0)
			defer g.Close()
			for ci := range cols {
				if _, err := g.Column(cols, ci); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if st := c.Stats(); st.Misses != int64(len(cols)) || st.Hits+st.Waits != int64(7*len(cols)) {
		t.Fatalf("concurrent: %+v", st)
	}

	small := NewColumnCache(s, 100_000) // one int64 column of 10,000 rows is 80 KB
	readCached(t, small, f, cols, want)
	st := small.Stats()
	if st.Bytes > 100_000 || st.Evictions == 0 || st.Chunks >= int64(len(cols)) {
		t.Fatalf("small cache: %+v", st)
	}
	readCached(t, small, f, cols, want)
}
