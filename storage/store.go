// Package storage holds table data: the ObjectStore interface with its
// local, in-memory and S3 (package storage/s3) implementations, the Parquet
// data files a table is made of, and the manifests that list them.
//
// # Objects
//
// Every object is written once and never modified: data files and manifests
// get fresh, never-colliding keys (NewDataFileKey, NewManifestKey), and a
// commit swaps the table's catalog entry to a new manifest. Readers therefore
// never see a partially written object and caches never need invalidation.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
)

// ObjectStore is a flat namespace of immutable objects named by '/'-separated
// keys, modelled on pebble's remote.Storage
// (cockroachdb/pebble:objstorage/remote/storage.go).
//
// Keys are relative ('/'-separated, no leading '/', no empty, "." or ".."
// segments). All methods are safe for concurrent use. Errors for a missing
// object satisfy IsNotExist (and errors.Is(err, fs.ErrNotExist)); callers
// must use IsNotExist rather than inspect error text.
type ObjectStore interface {
	// Put writes a whole object atomically: readers see all of it or
	// nothing, never a prefix (local: temp file + fsync + rename). An
	// existing object with the same key is replaced. Put does not retain
	// data after it returns.
	Put(ctx context.Context, key string, data []byte) error
	// Create returns a writer for a large object. The object becomes visible
	// only when Close returns nil; Abort discards it. The caller must call
	// exactly one of Close or Abort. The writer is not safe for concurrent
	// use; ctx applies to the whole life of the writer.
	Create(ctx context.Context, key string) (ObjectWriter, error)
	// Get reads a whole object. The caller owns the returned slice.
	Get(ctx context.Context, key string) ([]byte, error)
	// Open returns a reader for ranged reads. The caller must Close it. It
	// is safe for concurrent ReadAt calls. Whether a reader outlives the
	// deletion of its object depends on the store (local and in-memory
	// readers do; S3 readers then fail with a not-exist error): objects are
	// only deleted by garbage collection, long after any query read them.
	Open(ctx context.Context, key string) (ObjectReader, error)
	// Delete removes an object. Deleting a missing object is not an error
	// (as on S3).
	Delete(ctx context.Context, key string) error
	// List returns the keys that begin with prefix (a plain string prefix,
	// not necessarily ending in '/'), sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// IsNotExist reports whether err means the object does not exist.
	IsNotExist(err error) bool
	// Close releases the store's resources. Readers and writers obtained
	// from it must be closed first.
	Close() error
}

// ObjectWriter writes one object created by ObjectStore.Create.
type ObjectWriter interface {
	io.Writer
	// Close finishes the object and makes it visible under its key. After a
	// failed Close the object does not exist; the writer must not be used.
	Close() error
	// Abort discards the object. It is a no-op after Close or Abort.
	Abort()
}

// ObjectReader reads one object by ranges. ReadAt follows io.ReaderAt: it
// returns io.EOF when fewer than len(p) bytes remain.
type ObjectReader interface {
	io.ReaderAt
	// Size returns the object's length in bytes.
	Size() int64
	// Close releases the reader; after Close, ReadAt must not be called.
	Close() error
}

// notExist returns the error for a missing object.
func notExist(op, key string) error {
	return &fs.PathError{Op: op, Path: key, Err: fs.ErrNotExist}
}

// isNotExist is the shared IsNotExist implementation.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// errClosed is returned by writers used after Close or Abort.
var errClosed = errors.New("storage: object writer already closed")

// ValidateKey reports whether key is an acceptable object key: non-empty,
// relative, '/'-separated, without empty, "." or ".." segments, NUL bytes
// or backslashes.
func ValidateKey(key string) error {
	if key == "" {
		return errors.New("storage: empty object key")
	}
	if strings.ContainsAny(key, "\x00\\") {
		return fmt.Errorf("storage: invalid character in object key %q", key)
	}
	if key[0] == '/' {
		return fmt.Errorf("storage: object key %q is absolute", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("storage: object key %q has an empty segment", key)
		case ".", "..":
			return fmt.Errorf("storage: object key %q has a %q segment", key, seg)
		}
	}
	return nil
}

// NewDataFileKey returns a fresh key for a data file of table:
// tables/<oid>/data/<unix nanoseconds>-<16 random hex digits>.parquet. Keys
// sort by creation time and never collide.
func NewDataFileKey(table catalog.OID) string {
	return fmt.Sprintf("tables/%d/data/%s.parquet", table, uniqueName())
}

// NewManifestKey returns a fresh key for a manifest of table:
// tables/<oid>/manifests/<unix nanoseconds>-<16 random hex digits>.json.
func NewManifestKey(table catalog.OID) string {
	return fmt.Sprintf("tables/%d/manifests/%s.json", table, uniqueName())
}

// TablePrefix returns the prefix under which all of table's objects live.
func TablePrefix(table catalog.OID) string { return fmt.Sprintf("tables/%d/", table) }

func uniqueName() string {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return fmt.Sprintf("%019d-%s", time.Now().UnixNano(), hex.EncodeToString(r[:]))
}
