package cache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
)

// benchSource is a catalog of n tables of 10 columns each, like a
// warehouse's: the fake decodes every object on each read, as metad.Client
// does (it does not model gRPC or etcd).
func benchSource(n int) *fakeSource {
	f := newFake()
	objs := []*catalog.Object{namespace(catalog.PublicNamespace, "public")}
	types := []catalog.Type{catalog.TypeInt8, catalog.TypeText, catalog.NumericType(15, 2), catalog.TypeDate, catalog.TypeFloat8}
	for i := range n {
		tb := &catalog.Table{OID: t0 + catalog.OID(i), Namespace: catalog.PublicNamespace, Name: fmt.Sprintf("table_%05d", i),
			Manifest: fmt.Sprintf("tables/%d/manifest/00000001", t0+catalog.OID(i)), PrimaryKey: []int{0}}
		for j := range 10 {
			tb.Columns = append(tb.Columns, catalog.Column{Name: fmt.Sprintf("column_%d", j), Type: types[j%len(types)], NotNull: j == 0})
		}
		objs = append(objs, &catalog.Object{Table: tb})
	}
	f.commit(objs)
	return f
}

func BenchmarkLoad10k(b *testing.B) {
	f := benchSource(10000)
	ctx := context.Background()
	for b.Loop() {
		c := New(f, Options{})
		if err := c.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadFile10k(b *testing.B) {
	f := benchSource(10000)
	c := New(f, Options{})
	if err := c.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "catalog.rc")
	if saved, err := c.SaveFile(path); err != nil || !saved {
		b.Fatal(saved, err)
	}
	for b.Loop() {
		n := New(f, Options{})
		if ok, err := n.LoadFile(path); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
	st, _ := os.Stat(path)
	b.ReportMetric(float64(st.Size()), "file-bytes")
}

func BenchmarkSaveFile10k(b *testing.B) {
	f := benchSource(10000)
	c := New(f, Options{})
	if err := c.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "catalog.rc")
	for b.Loop() {
		if saved, err := c.SaveFile(path); err != nil || !saved {
			b.Fatal(saved, err)
		}
	}
}

// BenchmarkApply10k is one set changing one table of 10,000: a Get and a
// copy-on-write clone of the catalog's maps.
func BenchmarkApply10k(b *testing.B) {
	f := benchSource(10000)
	c := New(f, Options{})
	ctx := context.Background()
	if err := c.Load(ctx); err != nil {
		b.Fatal(err)
	}
	tb, _ := c.TableByOID(t0)
	i := 0
	for b.Loop() {
		i++
		t := *tb
		t.Manifest = fmt.Sprintf("m/%d", i)
		if err := c.Apply(ctx, f.commit([]*catalog.Object{{Table: &t}})); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshotLookup(b *testing.B) {
	f := benchSource(10000)
	c := New(f, Options{})
	if err := c.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Table(catalog.PublicNamespace, "table_01234"); !ok {
				b.Fatal("missing")
			}
		}
	})
}
