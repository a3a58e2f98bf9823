package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// tmpDir is the directory, under the store's root, where objects are written
// before being renamed into place. It is on the same file system as the
// objects, so the rename is atomic. Keys may not begin with it.
const tmpDir = ".tmp"

// NewLocal returns an ObjectStore keeping each object as a file under dir:
// key "a/b/c" is the file dir/a/b/c. dir is created if missing. Several
// stores (or processes) may share a directory.
//
// Writes go to a temporary file in dir/.tmp, are fsynced and then renamed
// into place, so an object is either wholly present or absent even after a
// crash (a crash may leave garbage in dir/.tmp). Open maps the file into
// memory where the platform supports it.
func NewLocal(dir string) (ObjectStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o755); err != nil {
		return nil, err
	}
	return &localStore{root: abs}, nil
}

type localStore struct {
	root string
}

var _ ObjectStore = (*localStore)(nil)

// path validates key and returns its file name.
func (s *localStore) path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if key == tmpDir || strings.HasPrefix(key, tmpDir+"/") {
		return "", fmt.Errorf("storage: object key %q is reserved", key)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// mapErr turns a file-not-found error into the store's not-exist error.
func mapErr(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return notExist(op, key)
	}
	return err
}

func (s *localStore) Put(ctx context.Context, key string, data []byte) error {
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func (s *localStore) Create(ctx context.Context, key string) (ObjectWriter, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "obj-*")
	if err != nil {
		return nil, err
	}
	return &localWriter{ctx: ctx, f: f, bw: bufio.NewWriterSize(f, 1<<20), path: path}, nil
}

func (s *localStore) Get(ctx context.Context, key string) ([]byte, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, mapErr("get", key, err)
	}
	return data, nil
}

func (s *localStore) Open(ctx context.Context, key string) (ObjectReader, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, mapErr("open", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notExist("open", key)
	}
	return openFileReader(f, st.Size())
}

func (s *localStore) Delete(ctx context.Context, key string) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (s *localStore) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Walk only the deepest directory the prefix names.
	start := s.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(s.root, filepath.FromSlash(prefix[:i]))
	}
	var keys []string
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == tmpDir {
				return filepath.SkipDir
			}
			// Skip directories that cannot hold a matching key.
			if key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *localStore) IsNotExist(err error) bool { return isNotExist(err) }

func (s *localStore) Close() error { return nil }

type localWriter struct {
	ctx  context.Context
	f    *os.File
	bw   *bufio.Writer
	path string
	done bool
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errClosed
	}
	return w.bw.Write(p)
}

func (w *localWriter) Close() (err error) {
	if w.done {
		return errClosed
	}
	w.done = true
	tmp := w.f.Name()
	defer func() {
		if err != nil {
			w.f.Close()
			os.Remove(tmp)
		}
	}()
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	dir := filepath.Dir(w.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, w.path); err != nil {
		return err
	}
	return syncDir(dir)
}

func (w *localWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// syncDir makes a rename into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
