package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingStore wraps an ObjectStore, counting the requests that reach it
// (the requests a remote store would pay for), optionally failing or
// holding up ranged reads.
type countingStore struct {
	ObjectStore
	opens, gets, reads atomic.Int64
	readBytes          atomic.Int64

	mu       sync.Mutex
	failRead error         // returned by the next ranged reads while set
	gate     chan struct{} // ranged reads wait for it to close while set
	started  chan struct{} // receives once per ranged read that waits at the gate
}

func (s *countingStore) Open(ctx context.Context, key string) (ObjectReader, error) {
	s.opens.Add(1)
	r, err := s.ObjectStore.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &countingReader{ObjectReader: r, s: s}, nil
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.gets.Add(1)
	return s.ObjectStore.Get(ctx, key)
}

// requests returns the number of requests made so far.
func (s *countingStore) requests() int64 { return s.opens.Load() + s.gets.Load() + s.reads.Load() }

func (s *countingStore) setFailRead(err error) {
	s.mu.Lock()
	s.failRead = err
	s.mu.Unlock()
}

type countingReader struct {
	ObjectReader
	s *countingStore
}

func (r *countingReader) ReadAt(p []byte, off int64) (int, error) {
	r.s.reads.Add(1)
	r.s.mu.Lock()
	fail, gate, started := r.s.failRead, r.s.gate, r.s.started
	r.s.mu.Unlock()
	if gate != nil {
		started <- struct{}{}
		<-gate
	}
	if fail != nil {
		return 0, fail
	}
	n, err := r.ObjectReader.ReadAt(p, off)
	r.s.readBytes.Add(int64(n))
	return n, err
}

// newTestDiskCache returns a disk cache with blocks of blockSize bytes over
// a counting in-memory store.
func newTestDiskCache(t testing.TB, dir string, maxBytes, blockSize int64, opts ...DiskCacheOption) (*DiskCache, *countingStore) {
	t.Helper()
	inner := &countingStore{ObjectStore: NewMem()}
	c, err := NewDiskCache(inner, dir, maxBytes, append([]DiskCacheOption{WithDiskBlockSize(blockSize)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, inner
}

func testBytes(n int, seed int64) []byte {
	data := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(data)
	return data
}

// putObject stores data under key in the cache's inner store.
func putObject(t testing.TB, c *DiskCache, key string, data []byte) {
	t.Helper()
	if err := c.inner.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
}

func openObject(t testing.TB, c *DiskCache, key string) ObjectReader {
	t.Helper()
	r, err := c.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// checkRead reads len(want) bytes at off and compares them with want,
// expecting io.EOF exactly when the read runs past the end.
func checkRead(t *testing.T, r ObjectReader, data []byte, off, n int) {
	t.Helper()
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, int64(off))
	want, wantErr := bytes.NewReader(data).ReadAt(make([]byte, n), int64(off))
	if got != want || err != wantErr {
		t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d, %v", n, off, got, err, want, wantErr)
	}
	if off < len(data) && !bytes.Equal(buf[:got], data[off:off+got]) {
		t.Fatalf("ReadAt(%d bytes at %d) returned wrong bytes", n, off)
	}
}

func TestDiskCacheRandomReads(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxBytes int64
	}{{"roomy", 1 << 20}, {"tight", 300}} { // tight: three 100-byte blocks
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestDiskCache(t, t.TempDir(), tc.maxBytes, 100)
			rng := rand.New(rand.NewSource(1))
			for _, size := range []int{1, 99, 100, 101, 1000, 2345} {
				key := fmt.Sprintf("obj/%d", size)
				data := testBytes(size, int64(size))
				putObject(t, c, key, data)
				r := openObject(t, c, key)
				if r.Size() != int64(size) {
					t.Fatalf("Size = %d, want %d", r.Size(), size)
				}
				for range 300 {
					off := rng.Intn(size + 10)
					n := 1 + rng.Intn(min(size, 450))
					checkRead(t, r, data, off, n)
				}
				checkRead(t, r, data, size-1, 1)  // the last byte
				checkRead(t, r, data, size-1, 50) // past the end
				checkRead(t, r, data, 0, size)    // the whole object
				checkRead(t, r, data, size, 1)    // at the end
				if n, err := r.ReadAt(nil, 0); n != 0 || err != nil {
					t.Fatalf("empty ReadAt = %d, %v", n, err)
				}
				if got, err := c.Get(context.Background(), key); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("Get = %d bytes, %v", len(got), err)
				}
			}
			if st := c.Stats(); st.Bytes > tc.maxBytes {
				t.Fatalf("cache holds %d bytes, bound %d", st.Bytes, tc.maxBytes)
			}
		})
	}
}

func TestDiskCacheCounters(t *testing.T) {
	c, inner := newTestDiskCache(t, t.TempDir(), 1<<20, 100)
	data := testBytes(350, 1)
	putObject(t, c, "obj", data)
	r := openObject(t, c, "obj")
	want := DiskCacheStats{MaxBytes: 1 << 20}
	check := func(what string, reads int64) {
		t.Helper()
		if st := c.Stats(); st != want {
			t.Fatalf("%s: stats %+v, want %+v", what, st, want)
		}
		if got := inner.reads.Load(); got != reads {
			t.Fatalf("%s: %d ranged reads of the store, want %d", what, got, reads)
		}
	}
	checkRead(t, r, data, 0, 150) // blocks 0 and 1, one read
	want.Misses, want.MissBytes, want.Bytes, want.Blocks = 2, 200, 200, 2
	check("first read", 1)

	checkRead(t, r, data, 120, 50) // block 1
	want.Hits, want.HitBytes = 1, 50
	check("hit", 1)

	checkRead(t, r, data, 150, 300) // block 1 hit, blocks 2 and 3 in one read
	want.Hits, want.HitBytes = 2, 100
	want.Misses, want.MissBytes, want.Bytes, want.Blocks = 4, 350, 350, 4
	check("partial hit", 2)

	checkRead(t, r, data, 0, 350) // all hits
	want.Hits, want.HitBytes = 6, 450
	check("warm", 2)
}

func TestDiskCacheEviction(t *testing.T) {
	dir := t.TempDir()
	c, inner := newTestDiskCache(t, dir, 300, 100)
	data := testBytes(1000, 2)
	putObject(t, c, "obj", data)
	r := openObject(t, c, "obj")
	for _, block := range []int{0, 1, 2, 0, 3} { // 3 evicts 1, the least recently used
		checkRead(t, r, data, block*100, 10)
	}
	st := c.Stats()
	if st.Evictions != 1 || st.Blocks != 3 || st.Bytes != 300 || st.Misses != 4 || st.Hits != 1 {
		t.Fatalf("stats %+v", st)
	}
	if files := blockFiles(t, dir); len(files) != 3 {
		t.Fatalf("block files %v, want 3", files)
	}
	reads := inner.reads.Load()
	checkRead(t, r, data, 0, 10) // still cached
	checkRead(t, r, data, 300, 10)
	checkRead(t, r, data, 200, 10)
	if got := inner.reads.Load(); got != reads {
		t.Fatalf("%d store reads for cached blocks", got-reads)
	}
	checkRead(t, r, data, 100, 10) // evicted
	if got := inner.reads.Load(); got != reads+1 {
		t.Fatalf("%d store reads for an evicted block, want 1", got-reads)
	}

	// A read larger than the cache is served whole; the cache stays within
	// its bound.
	checkRead(t, r, data, 0, 1000)
	if st := c.Stats(); st.Bytes > 300 || len(blockFiles(t, dir)) != int(st.Blocks) {
		t.Fatalf("after a large read: stats %+v, files %v", st, blockFiles(t, dir))
	}
}

// blockFiles lists the files under a cache directory.
func blockFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(path, dir+"/"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDiskCacheConcurrentFetchOnce(t *testing.T) {
	c, inner := newTestDiskCache(t, t.TempDir(), 1<<20, 100)
	data := testBytes(1000, 3)
	putObject(t, c, "obj", data)
	gate, started := make(chan struct{}), make(chan struct{}, 100)
	inner.mu.Lock()
	inner.gate, inner.started = gate, started
	inner.mu.Unlock()

	const readers = 8
	var wg sync.WaitGroup
	for g := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Open(context.Background(), "obj")
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Close()
			buf := make([]byte, 200)
			off := 300 + 10*g // blocks 3 and 4, or 3 to 5
			if n, err := r.ReadAt(buf, int64(off)); n != 200 || err != nil || !bytes.Equal(buf, data[off:off+200]) {
				t.Errorf("ReadAt = %d, %v", n, err)
			}
		}()
	}
	<-started                         // one fetch is in flight …
	time.Sleep(20 * time.Millisecond) // … and the other readers find its blocks pending
	close(gate)
	wg.Wait()
	// The first fetch covers blocks 3 and 4, or 3 to 5; at most one more
	// fetches block 5.
	if n := inner.reads.Load(); n > 2 {
		t.Fatalf("%d ranged reads of the store, want at most 2", n)
	}
	if st := c.Stats(); st.Misses != 3 || st.MissBytes != 300 || st.Hits+st.Misses < readers*2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDiskCacheCanceledFetcher(t *testing.T) {
	// A reader waiting for another query's fetch that was canceled fetches
	// the block itself instead of failing with the other query's error.
	c, inner := newTestDiskCache(t, t.TempDir(), 1<<20, 100)
	data := testBytes(500, 4)
	putObject(t, c, "obj", data)
	gate, started := make(chan struct{}), make(chan struct{}, 10)
	inner.mu.Lock()
	inner.gate, inner.started, inner.failRead = gate, started, context.Canceled
	inner.mu.Unlock()

	r1, r2 := openObject(t, c, "obj"), openObject(t, c, "obj")
	first := make(chan error)
	go func() {
		_, err := r1.ReadAt(make([]byte, 10), 0)
		first <- err
	}()
	<-started
	second := make(chan error)
	go func() {
		buf := make([]byte, 10)
		_, err := r2.ReadAt(buf, 0)
		if err == nil && !bytes.Equal(buf, data[:10]) {
			err = errors.New("wrong bytes")
		}
		second <- err
	}()
	time.Sleep(20 * time.Millisecond) // the second reader waits for the first's fetch
	inner.mu.Lock()
	inner.gate, inner.failRead = nil, nil
	inner.mu.Unlock()
	close(gate)
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first reader: %v", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second reader: %v", err)
	}
}

func TestDiskCacheRestart(t *testing.T) {
	dir := t.TempDir()
	c, _ := newTestDiskCache(t, dir, 1<<20, 100)
	data := testBytes(550, 5)
	putObject(t, c, "tables/1/data/a.parquet", data)
	putObject(t, c, "tables/1/data/b.parquet", data[:250])
	checkRead(t, openObject(t, c, "tables/1/data/a.parquet"), data, 0, 550)
	checkRead(t, openObject(t, c, "tables/1/data/b.parquet"), data[:250], 0, 250)
	c.Close()
	files := blockFiles(t, dir)
	if len(files) != 9 {
		t.Fatalf("block files %v, want 9", files)
	}
	// Leftovers of a crash: a temporary file, a short block file; a block
	// file of another block size; a file that is not the cache's.
	sub := filepath.Dir(filepath.Join(dir, files[0]))
	short := filepath.Join(dir, files[1])
	info, err := os.Stat(short)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "00"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{
		filepath.Join(sub, tmpPrefix+"123"): "partial",
		short:                               "short",
		filepath.Join(dir, "00", blockName(blockID{index: 0}, 4096, 10)): "0123456789",
		filepath.Join(dir, "README"):                                     "mine",
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	inner := &countingStore{ObjectStore: c.inner}
	c2, err := NewDiskCache(inner, dir, 1<<20, WithDiskBlockSize(100))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if st := c2.Stats(); st.Blocks != 8 || st.Bytes != 800-info.Size() {
		t.Fatalf("after restart: stats %+v, want 8 blocks, %d bytes", st, 800-info.Size())
	}
	got := blockFiles(t, dir)
	want := append([]string{"README", files[0]}, files[2:]...)
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files after restart\n%v\nwant\n%v", got, want)
	}
	// Everything but the damaged block is served without asking the store.
	checkRead(t, openObject(t, c2, "tables/1/data/b.parquet"), data[:250], 0, 250)
	checkRead(t, openObject(t, c2, "tables/1/data/a.parquet"), data, 0, 550)
	if n := inner.requests(); n != 2 { // the damaged block's Open and read
		t.Fatalf("%d store requests after restart, want 2", n)
	}
}

func TestDiskCacheRestartSmallerBound(t *testing.T) {
	dir := t.TempDir()
	c, _ := newTestDiskCache(t, dir, 1<<20, 100)
	data := testBytes(1000, 6)
	putObject(t, c, "obj", data)
	r := openObject(t, c, "obj")
	for i := range 10 {
		checkRead(t, r, data, i*100, 100)
		time.Sleep(2 * time.Millisecond) // distinct file times: block 9 is the newest
	}
	c.Close()
	c2, err := NewDiskCache(c.inner, dir, 250, WithDiskBlockSize(100))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if st := c2.Stats(); st.Blocks != 2 || st.Bytes != 200 || len(blockFiles(t, dir)) != 2 {
		t.Fatalf("stats %+v, files %v", st, blockFiles(t, dir))
	}
	inner := c.inner.(*countingStore)
	reads := inner.reads.Load()
	checkRead(t, openObject(t, c2, "obj"), data, 800, 200) // the newest blocks stayed
	if inner.reads.Load() != reads {
		t.Fatal("the newest blocks were not kept")
	}
}

func TestDiskCacheWarmNoRequests(t *testing.T) {
	c, inner := newTestDiskCache(t, t.TempDir(), 1<<20, 64)
	data := testBytes(1000, 7)
	putObject(t, c, "obj", data)
	if got, err := c.Get(context.Background(), "obj"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("cold Get: %d bytes, %v", len(got), err)
	}
	before := inner.requests()
	for range 3 {
		r := openObject(t, c, "obj")
		checkRead(t, r, data, 0, 1000)
		checkRead(t, r, data, 63, 130)
		r.Close()
		if got, err := c.Get(context.Background(), "obj"); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("warm Get: %d bytes, %v", len(got), err)
		}
	}
	if n := inner.requests() - before; n != 0 {
		t.Fatalf("warm reads made %d store requests", n)
	}
}

func TestDiskCacheInnerErrors(t *testing.T) {
	c, inner := newTestDiskCache(t, t.TempDir(), 1<<20, 100)
	ctx := context.Background()
	if _, err := c.Open(ctx, "missing"); !c.IsNotExist(err) {
		t.Fatalf("Open missing: %v", err)
	}
	if _, err := c.Get(ctx, "missing"); !c.IsNotExist(err) {
		t.Fatalf("Get missing: %v", err)
	}
	data := testBytes(300, 8)
	putObject(t, c, "obj", data)
	r := openObject(t, c, "obj")
	boom := errors.New("boom")
	inner.setFailRead(boom)
	if _, err := r.ReadAt(make([]byte, 10), 150); !errors.Is(err, boom) {
		t.Fatalf("ReadAt with a failing store: %v", err)
	}
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 || st.Misses != 0 {
		t.Fatalf("a failed fetch left %+v", st)
	}
	inner.setFailRead(nil)
	checkRead(t, r, data, 150, 10)

	// An object deleted behind the cache of which a reader has no block
	// fails the read with the store's not-exist error.
	r2 := openObject(t, c, "obj") // warm: no store reader yet
	if err := c.inner.Delete(ctx, "obj"); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.ReadAt(make([]byte, 10), 0); !c.IsNotExist(err) {
		t.Fatalf("ReadAt of a deleted object: %v", err)
	}
}

func TestDiskCacheWriteFailure(t *testing.T) {
	dir := t.TempDir()
	var logged atomic.Int64
	c, inner := newTestDiskCache(t, dir, 1<<20, 100,
		WithDiskCacheLogf(func(string, ...any) { logged.Add(1) }))
	data := testBytes(300, 9)
	putObject(t, c, "obj", data)
	// A file where the object's block directory should be: every block
	// write fails (as on a full disk), even for root.
	id := objectIDOf("obj")
	sub := filepath.Join(dir, fmt.Sprintf("%x", id[:1]))
	if err := os.WriteFile(sub, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := openObject(t, c, "obj")
	checkRead(t, r, data, 50, 200)
	checkRead(t, r, data, 0, 300)
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 || st.Misses != 6 {
		t.Fatalf("stats %+v", st)
	}
	if c.writeErrors.Load() != 6 || logged.Load() != 1 {
		t.Fatalf("%d write errors, %d log lines; want 6, 1", c.writeErrors.Load(), logged.Load())
	}
	if inner.reads.Load() != 2 {
		t.Fatalf("%d store reads, want 2", inner.reads.Load())
	}
}

func TestDiskCacheDropsWrittenKeys(t *testing.T) {
	dir := t.TempDir()
	c, _ := newTestDiskCache(t, dir, 1<<20, 100)
	ctx := context.Background()
	data := testBytes(250, 10)
	if err := c.Put(ctx, "obj", data); err != nil {
		t.Fatal(err)
	}
	checkRead(t, openObject(t, c, "obj"), data, 0, 250)
	if n := len(blockFiles(t, dir)); n != 3 {
		t.Fatalf("%d block files, want 3", n)
	}
	// Replacing through the cache drops the old blocks.
	w, err := c.Create(ctx, "obj")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[:120])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Blocks != 0 || len(blockFiles(t, dir)) != 0 {
		t.Fatalf("after replacing: stats %+v", st)
	}
	checkRead(t, openObject(t, c, "obj"), data[:120], 0, 200)
	if err := c.Delete(ctx, "obj"); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 || len(blockFiles(t, dir)) != 0 {
		t.Fatalf("after Delete: stats %+v", st)
	}
	if _, err := c.Open(ctx, "obj"); !c.IsNotExist(err) {
		t.Fatalf("Open after Delete: %v", err)
	}
}

func TestDiskCacheBadOptions(t *testing.T) {
	if _, err := NewDiskCache(NewMem(), t.TempDir(), -1); err == nil {
		t.Error("negative size accepted")
	}
	if _, err := NewDiskCache(NewMem(), t.TempDir(), 100, WithDiskBlockSize(0)); err == nil {
		t.Error("zero block size accepted")
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := NewDiskCache(NewMem(), file, 100); err == nil {
		t.Error("a file as the cache directory accepted")
	}
}

// BenchmarkDiskCacheWarmReadAt reads a cached 64 MiB object in 64 KiB
// reads (the Parquet reader's buffer size), from 1 MiB blocks: with the
// cache's open block files, opening a block file per read, and, for
// reference, from a memory-mapped local store.
func BenchmarkDiskCacheWarmReadAt(b *testing.B) {
	const size, readSize = 64 << 20, 64 << 10
	data := testBytes(size, 1)
	for _, name := range []string{"open-files", "open-per-read", "local-mmap"} {
		b.Run(name, func(b *testing.B) {
			var r ObjectReader
			switch name {
			case "local-mmap":
				local, err := NewLocal(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				if err := local.Put(context.Background(), "obj", data); err != nil {
					b.Fatal(err)
				}
				if r, err = local.Open(context.Background(), "obj"); err != nil {
					b.Fatal(err)
				}
				defer r.Close()
			default:
				maxOpen := defaultMaxOpenFiles
				if name == "open-per-read" {
					maxOpen = 0
				}
				c, _ := newTestDiskCache(b, b.TempDir(), 1<<30, DefaultDiskBlockSize, withMaxOpenFiles(maxOpen))
				putObject(b, c, "obj", data)
				r = openObject(b, c, "obj")
			}
			buf := make([]byte, readSize)
			for off := int64(0); off < size; off += readSize {
				if _, err := r.ReadAt(buf, off); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(readSize)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, readSize)
				var off int64
				for pb.Next() {
					if _, err := r.ReadAt(buf, off); err != nil {
						b.Error(err)
						return
					}
					off = (off + readSize) % size
				}
			})
		})
	}
}
