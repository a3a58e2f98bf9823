package storage

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"
)

// NewMem returns an ObjectStore held in memory, for tests and `cirrus dev`
// without a data directory.
func NewMem() ObjectStore {
	return &memStore{objects: map[string][]byte{}}
}

type memStore struct {
	mu      sync.RWMutex
	objects map[string][]byte // values are never modified once stored
}

var _ ObjectStore = (*memStore)(nil)

func (m *memStore) Put(ctx context.Context, key string, data []byte) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.store(key, bytes.Clone(data))
	return nil
}

func (m *memStore) store(key string, data []byte) {
	if data == nil {
		data = []byte{}
	}
	m.mu.Lock()
	m.objects[key] = data
	m.mu.Unlock()
}

func (m *memStore) load(op, key string) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	m.mu.RLock()
	data, ok := m.objects[key]
	m.mu.RUnlock()
	if !ok {
		return nil, notExist(op, key)
	}
	return data, nil
}

func (m *memStore) Create(ctx context.Context, key string) (ObjectWriter, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &memWriter{ctx: ctx, store: m, key: key}, nil
}

func (m *memStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := m.load("get", key)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(data), nil
}

func (m *memStore) Open(ctx context.Context, key string) (ObjectReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := m.load("open", key)
	if err != nil {
		return nil, err
	}
	return &memReader{Reader: bytes.NewReader(data)}, nil
}

func (m *memStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.objects, key)
	m.mu.Unlock()
	return nil
}

func (m *memStore) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	var keys []string
	for k := range m.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	m.mu.RUnlock()
	sort.Strings(keys)
	return keys, nil
}

func (m *memStore) IsNotExist(err error) bool { return isNotExist(err) }

func (m *memStore) Close() error { return nil }

type memWriter struct {
	ctx   context.Context
	store *memStore
	key   string
	buf   bytes.Buffer
	done  bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errClosed
	}
	return w.buf.Write(p)
}

func (w *memWriter) Close() error {
	if w.done {
		return errClosed
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.store.store(w.key, w.buf.Bytes())
	return nil
}

func (w *memWriter) Abort() {
	w.done = true
	w.buf = bytes.Buffer{}
}

type memReader struct{ *bytes.Reader }

func (r *memReader) Close() error { return nil }
