package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// NewS3TestStore returns a fresh, empty S3 store on a real MinIO server for
// one test, or skips the test when MinIO is not installed.
// s3contract_test.go sets it: that file is in package storage_test because
// storage/s3 and internal/miniotest import this package. While it is nil the contract
// tests run on the local and in-memory stores only.
var NewS3TestStore func(t *testing.T) ObjectStore

// forEachStore runs fn against every ObjectStore implementation: these
// tests are the contract every store must pass.
func forEachStore(t *testing.T, fn func(t *testing.T, s ObjectStore)) {
	t.Run("mem", func(t *testing.T) {
		s := NewMem()
		defer s.Close()
		fn(t, s)
	})
	t.Run("local", func(t *testing.T) {
		s, err := NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fn(t, s)
	})
	if NewS3TestStore != nil {
		t.Run("s3", func(t *testing.T) {
			s := NewS3TestStore(t)
			defer s.Close()
			fn(t, s)
		})
	}
}

func TestStorePutGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, s ObjectStore) {
		ctx := context.Background()
		if _, err := s.Get(ctx, "a/b"); !s.IsNotExist(err) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Get missing: %v", err)
		}
		if _, err := s.Open(ctx, "a/b"); !s.IsNotExist(err) {
			t.Fatalf("Open missing: %v", err)
		}
		data := []byte("hello, world")
		if err := s.Put(ctx, "a/b", data); err != nil {
			t.Fatal(err)
		}
		data[0] = 'X' // Put must not retain data
		got, err := s.Get(ctx, "a/b")
		if err != nil || string(got) != "hello, world" {
			t.Fatalf("Get = %q, %v", got, err)
		}
		got[0] = 'Y' // the caller owns Get's result
		if got, _ := s.Get(ctx, "a/b"); string(got) != "hello, world" {
			t.Fatalf("Get after modifying result = %q", got)
		}
		// Replace.
		if err := s.Put(ctx, "a/b", []byte("second")); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "a/b"); string(got) != "second" {
			t.Fatalf("Get after replace = %q", got)
		}
		// Empty object.
		if err := s.Put(ctx, "empty", nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "empty"); err != nil || len(got) != 0 {
			t.Fatalf("Get empty = %q, %v", got, err)
		}
		r, err := s.Open(ctx, "empty")
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != 0 {
			t.Fatalf("empty Size = %d", r.Size())
		}
		if n, err := r.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt empty = %d, %v", n, err)
		}
		r.Close()
	})
}

func TestStoreOpenReadAt(t *testing.T) {
	forEachStore(t, func(t *testing.T, s ObjectStore) {
		ctx := context.Background()
		data := make([]byte, 100000)
		for i := range data {
			data[i] = byte(i * 7)
		}
		if err := s.Put(ctx, "obj", data); err != nil {
			t.Fatal(err)
		}
		r, err := s.Open(ctx, "obj")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Size() != int64(len(data)) {
			t.Fatalf("Size = %d", r.Size())
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 1000)
				for off := g * 1000; off+1000 <= len(data); off += 4000 {
					n, err := r.ReadAt(buf, int64(off))
					if n != 1000 || err != nil || string(buf) != string(data[off:off+1000]) {
						t.Errorf("ReadAt(%d) = %d, %v", off, n, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		buf := make([]byte, 10)
		if n, err := r.ReadAt(buf, int64(len(data)-4)); n != 4 || err != io.EOF || string(buf[:4]) != string(data[len(data)-4:]) {
			t.Fatalf("ReadAt at end = %d, %v", n, err)
		}
		if _, err := r.ReadAt(buf, int64(len(data)+5)); err != io.EOF {
			t.Fatalf("ReadAt past end: %v", err)
		}
		if err := s.Delete(ctx, "obj"); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(t.Name(), "/s3") {
			// An S3 reader reads by ranged GETs, which fail once the
			// object is gone.
			if _, err := r.ReadAt(buf, 10); !s.IsNotExist(err) {
				t.Fatalf("S3 ReadAt after delete: %v", err)
			}
			return
		}
		// A local or in-memory reader outlives deletion of its object.
		if n, err := r.ReadAt(buf, 10); n != 10 || err != nil || string(buf) != string(data[10:20]) {
			t.Fatalf("ReadAt after delete = %d, %v", n, err)
		}
	})
}

func TestStoreCreate(t *testing.T) {
	forEachStore(t, func(t *testing.T, s ObjectStore) {
		ctx := context.Background()
		w, err := s.Create(ctx, "big/obj")
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for i := range 1000 {
			chunk := []byte(strings.Repeat(string(rune('a'+i%26)), i))
			want = append(want, chunk...)
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Get(ctx, "big/obj"); !s.IsNotExist(err) {
			t.Fatalf("object visible before Close: %v", err)
		}
		if keys, _ := s.List(ctx, ""); len(keys) != 0 {
			t.Fatalf("List before Close = %v", keys)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w.Abort() // no-op after Close
		got, err := s.Get(ctx, "big/obj")
		if err != nil || string(got) != string(want) {
			t.Fatalf("Get after Close: %d bytes, %v", len(got), err)
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Fatal("Write after Close succeeded")
		}

		w, err = s.Create(ctx, "aborted")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("data"))
		w.Abort()
		if _, err := s.Get(ctx, "aborted"); !s.IsNotExist(err) {
			t.Fatalf("aborted object exists: %v", err)
		}
		if keys, _ := s.List(ctx, ""); !reflect.DeepEqual(keys, []string{"big/obj"}) {
			t.Fatalf("List = %v", keys)
		}

		// A cancelled context fails Close and leaves nothing behind.
		cctx, cancel := context.WithCancel(ctx)
		w, err = s.Create(cctx, "cancelled")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("data"))
		cancel()
		if err := w.Close(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Close with cancelled ctx: %v", err)
		}
		if _, err := s.Get(ctx, "cancelled"); !s.IsNotExist(err) {
			t.Fatalf("cancelled object exists: %v", err)
		}
	})
}

func TestStoreListDelete(t *testing.T) {
	forEachStore(t, func(t *testing.T, s ObjectStore) {
		ctx := context.Background()
		keys := []string{"tables/1/data/b", "tables/1/data/a", "tables/10/data/x", "tables/2/m", "top", "tables/1x"}
		for _, k := range keys {
			if err := s.Put(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"", []string{"tables/1/data/a", "tables/1/data/b", "tables/10/data/x", "tables/1x", "tables/2/m", "top"}},
			{"tables/1/", []string{"tables/1/data/a", "tables/1/data/b"}},
			{"tables/1", []string{"tables/1/data/a", "tables/1/data/b", "tables/10/data/x", "tables/1x"}},
			{"tables/1/data/a", []string{"tables/1/data/a"}},
			{"tables/3/", nil},
			{"nothing/here/", nil},
			{"to", []string{"top"}},
		} {
			got, err := s.List(ctx, tc.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 && len(tc.want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("List(%q) = %v, want %v", tc.prefix, got, tc.want)
			}
		}
		if err := s.Delete(ctx, "tables/1/data/a"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "tables/1/data/a"); err != nil {
			t.Fatalf("Delete missing: %v", err)
		}
		if got, _ := s.List(ctx, "tables/1/"); !reflect.DeepEqual(got, []string{"tables/1/data/b"}) {
			t.Fatalf("List after Delete = %v", got)
		}
	})
}

func TestStoreBadKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, s ObjectStore) {
		ctx := context.Background()
		for _, k := range []string{"", "/abs", "a/../b", "..", "a/./b", "a//b", "a/", "a\\b", "a\x00b"} {
			if err := s.Put(ctx, k, nil); err == nil {
				t.Errorf("Put(%q) succeeded", k)
			}
			if _, err := s.Get(ctx, k); err == nil || s.IsNotExist(err) {
				t.Errorf("Get(%q) = %v, want a key error", k, err)
			}
		}
	})
	s, _ := NewLocal(t.TempDir())
	if err := s.Put(context.Background(), ".tmp/x", nil); err == nil {
		t.Error("Put into the temporary directory succeeded")
	}
}

func TestLocalLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "x/y/z.bin", []byte("zz")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "x", "y", "z.bin"))
	if err != nil || string(got) != "zz" {
		t.Fatalf("file = %q, %v", got, err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, tmpDir)); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	// A second store over the same directory sees the object.
	s2, _ := NewLocal(dir)
	if got, err := s2.Get(ctx, "x/y/z.bin"); err != nil || string(got) != "zz" {
		t.Fatalf("second store Get = %q, %v", got, err)
	}
}

func TestNewKeys(t *testing.T) {
	seen := map[string]bool{}
	re := regexp.MustCompile(`^tables/16385/data/\d{19}-[0-9a-f]{16}\.parquet$`)
	for range 1000 {
		k := NewDataFileKey(16385)
		if !re.MatchString(k) {
			t.Fatalf("bad data file key %q", k)
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
		if err := ValidateKey(k); err != nil {
			t.Fatal(err)
		}
	}
	k := NewManifestKey(7)
	if !strings.HasPrefix(k, "tables/7/manifests/") || !strings.HasPrefix(k, TablePrefix(7)) {
		t.Fatalf("bad manifest key %q", k)
	}
}
