package participant

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
)

// scanRows runs a split scan of sc on s and returns its row count.
func scanRows(t *testing.T, s *Server, sc *plan.Scan) int {
	t.Helper()
	ctx := context.Background()
	src, err := s.newMorselSource(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	op, err := executor.Build(ctx, sc, &executor.Env{OpenScan: func(ctx context.Context, sc *plan.Scan) (executor.Operator, error) {
		return s.newCachedScan(sc, src), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := executor.Drain(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	return b.N
}

// With Config.DiskCacheDir a participant reads its store through a disk
// cache, reports its counters, and finds it warm after a restart.
func TestDiskCacheConfig(t *testing.T) {
	st := storage.NewMem()
	cols := []catalog.Column{{Name: "k", Type: catalog.TypeInt8, NotNull: true}, {Name: "s", Type: catalog.TypeText}}
	f := writeKeys(t, st, "f1", cols, 0, 5000)
	sc := &plan.Scan{Table: &catalog.Table{Name: "t", Columns: cols}, Cols: []int{0, 1}, Files: []storage.DataFile{f}}

	if s := New(Config{Store: st}); s.StorageStats().Disk != nil {
		t.Fatal("disk cache stats without a disk cache")
	}
	dir := t.TempDir()
	for run := range 2 { // the second run is a restarted participant
		s := New(Config{Store: st, DiskCacheDir: dir, DiskCacheBytes: 1 << 20})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := scanRows(t, s, sc); n != 5000 {
			t.Fatalf("run %d: %d rows, want 5000", run, n)
		}
		disk := s.StorageStats().Disk
		switch {
		case disk == nil:
			t.Fatalf("run %d: no disk cache stats", run)
		case disk.MaxBytes != 1<<20 || disk.Blocks != 1 || disk.Bytes != f.Size:
			t.Fatalf("run %d: disk cache %+v, want the whole %d-byte file in one block", run, disk, f.Size)
		case run == 0 && (disk.Misses != 1 || disk.MissBytes != f.Size):
			t.Fatalf("cold run: disk cache %+v", disk)
		case run == 1 && (disk.Misses != 0 || disk.Hits == 0):
			t.Fatalf("warm run: disk cache %+v", disk)
		}
		s.Close()
	}
}

// A disk cache that cannot be opened fails Start.
func TestDiskCacheConfigBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: storage.NewMem(), DiskCacheDir: file})
	defer s.Close()
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("Start succeeded with a file as the disk cache directory")
	}
}
