package storage

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The disk cache keeps object bytes on a participant's local disk in front
// of a remote object store (S3), below the decoded column cache:
//
//	ColumnCache (decoded chunks, memory) → DiskCache (bytes, local disk) → S3
//
// Objects are immutable (see the package doc), so cached bytes are never
// stale and need no invalidation; Put, Create and Delete through the cache
// drop what it holds of their key anyway, so replacing an object through
// it (which Cirrus never does) stays correct too.
//
// # Blocks
//
// An object is cached in aligned blocks of BlockSize bytes (the last one
// shorter), each in its own file:
//
//	<dir>/<h[0]>/<h>-<block size>-<object size>-<block index>
//
// where h is the first 16 bytes of the SHA-256 of the key, in hex. The
// name carries everything needed to index the file again after a restart,
// including the object's size, so opening a cached object needs no request
// to the store (on S3 an Open costs a StatObject): the store reader is
// opened only when a read misses. A block file is written to a temporary
// file in the same directory, fsynced and renamed into place, so a block
// file is always whole; a restart removes temporary files and block files
// whose length is wrong (a crash between write and rename) or whose block
// size is not the cache's.
//
// # Reads
//
// A ReadAt walks its blocks in order. A resident block is read with pread
// from its file (a bounded set of block files stays open). A run of
// consecutive missing blocks is claimed (marked pending) and fetched with
// one ranged read of the store; readers that need a pending block wait for
// that fetch and copy from its buffer, so a block is fetched once however
// many queries want it. The fetcher then writes the blocks to disk. A
// failed disk write (disk full) only leaves the block uncached: the read
// has its bytes already.
//
// # Bound
//
// Resident blocks, and blocks being written, never exceed MaxBytes; the
// least recently used block is evicted (its file removed) to make room.
// An evicted block's file may still be open by a concurrent pread (it
// stays readable until closed), or the pread may find its file closed and
// look the block up again.

// DefaultDiskBlockSize is the disk cache's default block size.
const DefaultDiskBlockSize = 1 << 20

// defaultMaxOpenFiles bounds the block files a disk cache keeps open.
const defaultMaxOpenFiles = 256

// writeLogInterval is the least time between two log lines about failed
// block writes (a full disk would otherwise log every miss).
const writeLogInterval = time.Minute

// DiskCacheOption configures NewDiskCache.
type DiskCacheOption func(*DiskCache)

// WithDiskBlockSize sets the cache block size (default
// DefaultDiskBlockSize). Block files of another size found in the
// directory are removed.
func WithDiskBlockSize(n int64) DiskCacheOption {
	return func(c *DiskCache) { c.blockSize = n }
}

// WithDiskCacheLogf sets where the cache logs failures it hides from
// readers, such as failed block writes (default log.Printf).
func WithDiskCacheLogf(logf func(format string, args ...any)) DiskCacheOption {
	return func(c *DiskCache) { c.logf = logf }
}

// withMaxOpenFiles sets how many block files stay open (0: open and close
// a file per read); for tests and benchmarks.
func withMaxOpenFiles(n int) DiskCacheOption {
	return func(c *DiskCache) { c.maxOpen = n }
}

// DiskCache is an ObjectStore that caches the bytes its readers read from
// an inner store in a bounded directory on local disk. Reads (Open, Get)
// go through the cache; Put, Create, Delete and List go to the inner store
// (Put, Create and Delete also drop the key's cached blocks). It is safe
// for concurrent use and meant to be shared by all queries of a process;
// one directory must not be used by two caches at once.
//
// A reader opened from cached blocks opens the inner store's reader only
// when it misses; if the object was deleted meanwhile, that miss fails as
// the inner store's Open would.
type DiskCache struct {
	inner     ObjectStore
	dir       string
	blockSize int64
	maxBytes  int64
	maxOpen   int
	logf      func(format string, args ...any)

	mu struct {
		sync.Mutex
		blocks  map[blockID]*diskBlock
		objects map[objectID]*diskObject
		lru     list.List // of *diskBlock, resident blocks; front = most recently used
		files   list.List // of *diskBlock, blocks with an open file; front = most recently used
		used    int64     // bytes of resident blocks and of blocks being written
	}

	hits, misses, hitBytes, missBytes, evictions atomic.Int64
	writeErrors                                  atomic.Int64
	lastWriteLog                                 atomic.Int64 // unix nanoseconds
}

var _ ObjectStore = (*DiskCache)(nil)

// objectID names an object in the cache: the first 16 bytes of the
// SHA-256 of its key.
type objectID [16]byte

func objectIDOf(key string) objectID {
	sum := sha256.Sum256([]byte(key))
	return objectID(sum[:16])
}

type blockID struct {
	obj   objectID
	index int64
}

// diskObject is what the cache knows of an object with blocks in it.
type diskObject struct {
	size   int64
	blocks int // entries in DiskCache.mu.blocks
}

// diskBlock is one cached block. It is pending while fetch is set (being
// fetched, or fetched and being written) and resident once its file is in
// place (lru set). A block is in the cache while mu.blocks maps its id to
// it; an evicted or dropped block is simply no longer there.
type diskBlock struct {
	id      blockID
	objSize int64
	size    int64
	fetch   *blockFetch
	lru     *list.Element
	f       *os.File // open block file, when file is set
	file    *list.Element
}

// blockFetch is one ranged read of a run of consecutive blocks, shared by
// the run's pending blocks.
type blockFetch struct {
	done  chan struct{} // closed when data or err is set
	start int64         // object offset of data[0]
	data  []byte
	err   error
}

// NewDiskCache returns a cache in front of inner keeping at most maxBytes
// of blocks under dir, which is created if missing. Block files already in
// dir are indexed (a restarted process keeps its warm cache); temporary and
// damaged ones are removed. Closing the cache does not close inner.
func NewDiskCache(inner ObjectStore, dir string, maxBytes int64, opts ...DiskCacheOption) (*DiskCache, error) {
	c := &DiskCache{inner: inner, dir: dir, blockSize: DefaultDiskBlockSize, maxBytes: maxBytes,
		maxOpen: defaultMaxOpenFiles, logf: log.Printf}
	for _, o := range opts {
		o(c)
	}
	if c.blockSize <= 0 {
		return nil, fmt.Errorf("storage: disk cache block size %d is not positive", c.blockSize)
	}
	if maxBytes < 0 {
		return nil, fmt.Errorf("storage: disk cache size %d is negative", maxBytes)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: disk cache: %w", err)
	}
	c.mu.blocks = map[blockID]*diskBlock{}
	c.mu.objects = map[objectID]*diskObject{}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("storage: disk cache: %w", err)
	}
	return c, nil
}

// Stats returns the cache's counters.
func (c *DiskCache) Stats() DiskCacheStats {
	c.mu.Lock()
	st := DiskCacheStats{Bytes: c.mu.used, MaxBytes: c.maxBytes, Blocks: int64(c.mu.lru.Len())}
	c.mu.Unlock()
	st.Hits, st.Misses, st.Evictions = c.hits.Load(), c.misses.Load(), c.evictions.Load()
	st.HitBytes, st.MissBytes = c.hitBytes.Load(), c.missBytes.Load()
	return st
}

// Put writes through to the inner store and drops the key's cached blocks.
func (c *DiskCache) Put(ctx context.Context, key string, data []byte) error {
	err := c.inner.Put(ctx, key, data)
	c.drop(key)
	return err
}

// Create returns the inner store's writer; closing it drops the key's
// cached blocks.
func (c *DiskCache) Create(ctx context.Context, key string) (ObjectWriter, error) {
	w, err := c.inner.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &diskCacheWriter{ObjectWriter: w, c: c, key: key}, nil
}

type diskCacheWriter struct {
	ObjectWriter
	c   *DiskCache
	key string
}

func (w *diskCacheWriter) Close() error {
	err := w.ObjectWriter.Close()
	w.c.drop(w.key)
	return err
}

// Get reads a whole object through the cache.
func (c *DiskCache) Get(ctx context.Context, key string) ([]byte, error) {
	r, err := c.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, r.Size())
	if _, err := r.ReadAt(data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

// Open returns a reader through the cache. When the object has blocks in
// the cache, Open asks the inner store nothing.
func (c *DiskCache) Open(ctx context.Context, key string) (ObjectReader, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := objectIDOf(key)
	c.mu.Lock()
	o := c.mu.objects[id]
	c.mu.Unlock()
	if o != nil {
		return &diskReader{c: c, ctx: ctx, key: key, id: id, size: o.size}, nil
	}
	inner, err := c.inner.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &diskReader{c: c, ctx: ctx, key: key, id: id, size: inner.Size(), inner: inner}, nil
}

// Delete deletes the object from the inner store and drops its cached
// blocks.
func (c *DiskCache) Delete(ctx context.Context, key string) error {
	err := c.inner.Delete(ctx, key)
	c.drop(key)
	return err
}

// List lists the inner store.
func (c *DiskCache) List(ctx context.Context, prefix string) ([]string, error) {
	return c.inner.List(ctx, prefix)
}

// IsNotExist reports whether err means the object does not exist.
func (c *DiskCache) IsNotExist(err error) bool { return c.inner.IsNotExist(err) }

// Close closes the cache's open block files. It does not close the inner
// store, which belongs to the caller.
func (c *DiskCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.mu.files.Len() > 0 {
		c.closeFileLocked(c.mu.files.Back().Value.(*diskBlock))
	}
	return nil
}

// diskReader reads one object through the cache.
type diskReader struct {
	c    *DiskCache
	ctx  context.Context // for the inner reader, opened on the first miss
	key  string
	id   objectID
	size int64

	mu    sync.Mutex
	inner ObjectReader
}

func (r *diskReader) Size() int64 { return r.size }

func (r *diskReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inner == nil {
		return nil
	}
	err := r.inner.Close()
	r.inner = nil
	return err
}

// innerReader returns the inner store's reader, opening it on first use.
func (r *diskReader) innerReader() (ObjectReader, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inner != nil {
		return r.inner, nil
	}
	inner, err := r.c.inner.Open(r.ctx, r.key)
	if err != nil {
		return nil, err
	}
	if inner.Size() != r.size {
		inner.Close()
		return nil, fmt.Errorf("storage: disk cache: object %q has %d bytes, the cache had %d", r.key, inner.Size(), r.size)
	}
	r.inner = inner
	return inner, nil
}

func (r *diskReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	var eof error
	if rest := r.size - off; int64(len(p)) > rest {
		p, eof = p[:rest], io.EOF
	}
	for done := 0; done < len(p); {
		n, err := r.readBlock(p[done:], off+int64(done))
		done += n
		if err != nil {
			return done, err
		}
	}
	return len(p), eof
}

// readBlock fills a prefix of p, read at off (within the object), from the
// block holding off and, on a miss, the run of missing blocks after it. It
// returns how many bytes it filled; 0 without error means "look again"
// (the block changed state meanwhile).
func (r *diskReader) readBlock(p []byte, off int64) (int, error) {
	c := r.c
	index := off / c.blockSize
	inBlock := off - index*c.blockSize
	n := int(min(int64(len(p)), c.blockSize-inBlock))

	c.mu.Lock()
	b := c.mu.blocks[blockID{r.id, index}]
	if b != nil && b.fetch == nil {
		c.mu.lru.MoveToFront(b.lru)
		f, keep, err := c.openLocked(b)
		c.mu.Unlock()
		if err != nil {
			// The file is gone or unreadable: forget the block and fetch it.
			c.logf("storage: disk cache: %v", err)
			c.dropBlock(b)
			return 0, nil
		}
		k, err := f.ReadAt(p[:n], inBlock)
		if !keep {
			f.Close()
		}
		if k < n {
			if !errors.Is(err, os.ErrClosed) { // not just evicted meanwhile
				c.logf("storage: disk cache: reading block %d of %s: %v", index, r.key, err)
				c.dropBlock(b)
			}
			return 0, nil
		}
		c.hits.Add(1)
		c.hitBytes.Add(int64(n))
		return n, nil
	}
	if b != nil {
		f := b.fetch
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		if f.err != nil {
			if isCtxErr(f.err) && r.ctx.Err() == nil {
				return 0, nil // the fetching query was canceled; fetch it ourselves
			}
			return 0, f.err
		}
		copy(p[:n], f.data[off-f.start:])
		c.hits.Add(1)
		c.hitBytes.Add(int64(n))
		return n, nil
	}
	run := r.claimLocked(index, (off+int64(len(p))-1)/c.blockSize)
	c.mu.Unlock()
	return r.fetch(run, p, off)
}

// claimLocked adds pending blocks for the run of missing blocks from first
// to at most last, sharing one fetch, and returns them.
func (r *diskReader) claimLocked(first, last int64) []*diskBlock {
	c := r.c
	o := c.mu.objects[r.id]
	if o != nil && o.size != r.size {
		// The object was replaced behind the cache's back.
		c.dropObjectLocked(r.id)
		o = nil
	}
	if o == nil {
		o = &diskObject{size: r.size}
		c.mu.objects[r.id] = o
	}
	f := &blockFetch{done: make(chan struct{}), start: first * c.blockSize}
	var run []*diskBlock
	for i := first; i <= last; i++ {
		id := blockID{r.id, i}
		if c.mu.blocks[id] != nil {
			break
		}
		b := &diskBlock{id: id, objSize: r.size, size: min(c.blockSize, r.size-i*c.blockSize), fetch: f}
		c.mu.blocks[id] = b
		o.blocks++
		run = append(run, b)
	}
	return run
}

// fetch reads the pending run from the inner store with one ranged read,
// hands the bytes to its waiters, fills p (read at off, the run's first
// block) and writes the blocks to disk.
func (r *diskReader) fetch(run []*diskBlock, p []byte, off int64) (int, error) {
	c := r.c
	f := run[0].fetch
	end := run[len(run)-1].id.index*c.blockSize + run[len(run)-1].size
	buf := make([]byte, end-f.start)
	inner, err := r.innerReader()
	if err == nil {
		var k int
		k, err = inner.ReadAt(buf, f.start)
		if k == len(buf) {
			err = nil
		} else if err == nil || err == io.EOF {
			err = fmt.Errorf("storage: disk cache: object %q: %d bytes at %d, want %d: %w", r.key, k, f.start, len(buf), io.ErrUnexpectedEOF)
		}
	}
	if err != nil {
		c.mu.Lock()
		for _, b := range run {
			c.forgetLocked(b)
		}
		c.mu.Unlock()
		f.err = err
		close(f.done)
		return 0, err
	}
	f.data = buf
	close(f.done)
	c.misses.Add(int64(len(run)))
	c.missBytes.Add(int64(len(buf)))
	n := copy(p, buf[off-f.start:])
	for _, b := range run {
		i := b.id.index*c.blockSize - f.start
		c.persist(b, buf[i:i+b.size])
	}
	return n, nil
}

// persist writes a fetched block to its file and makes it resident, or
// forgets it when it does not fit or cannot be written.
func (c *DiskCache) persist(b *diskBlock, data []byte) {
	c.mu.Lock()
	if c.mu.blocks[b.id] != b || !c.reserveLocked(b.size) {
		c.forgetLocked(b)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()

	tmp, err := c.writeTemp(b, data)
	c.mu.Lock()
	if err == nil && c.mu.blocks[b.id] == b {
		// Renamed under the lock, so that it cannot race with the removal
		// of an evicted block of the same name.
		err = os.Rename(tmp, c.blockPath(b))
	}
	if err != nil || c.mu.blocks[b.id] != b {
		if tmp != "" {
			os.Remove(tmp)
		}
		c.mu.used -= b.size
		c.forgetLocked(b)
		c.mu.Unlock()
		if err != nil {
			c.writeFailed(err)
		}
		return
	}
	b.fetch = nil
	b.lru = c.mu.lru.PushFront(b)
	c.mu.Unlock()
}

// writeTemp writes data to a new temporary file beside b's block file and
// syncs it, so that the renamed file is whole even after a crash.
func (c *DiskCache) writeTemp(b *diskBlock, data []byte) (string, error) {
	sub := filepath.Join(c.dir, hex.EncodeToString(b.id.obj[:1]))
	f, err := os.CreateTemp(sub, tmpPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(sub, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		f, err = os.CreateTemp(sub, tmpPrefix+"*")
	}
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// writeFailed counts a failed block write and logs it, at most once per
// writeLogInterval.
func (c *DiskCache) writeFailed(err error) {
	n := c.writeErrors.Add(1)
	now := time.Now().UnixNano()
	last := c.lastWriteLog.Load()
	if now-last >= int64(writeLogInterval) && c.lastWriteLog.CompareAndSwap(last, now) {
		c.logf("storage: disk cache: cannot write a block (%d failed writes so far; reads are served from the store): %v", n, err)
	}
}

// reserveLocked makes room for n more bytes, evicting least recently used
// blocks, and counts them as used. It reports false, reserving nothing,
// when n cannot fit.
func (c *DiskCache) reserveLocked(n int64) bool {
	if n > c.maxBytes {
		return false
	}
	for c.mu.used+n > c.maxBytes && c.mu.lru.Len() > 0 {
		c.removeLocked(c.mu.lru.Back().Value.(*diskBlock))
		c.evictions.Add(1)
	}
	if c.mu.used+n > c.maxBytes {
		return false
	}
	c.mu.used += n
	return true
}

// openLocked returns resident block b's open file, opening it if needed.
// keep is false when the caller must close the file after reading.
func (c *DiskCache) openLocked(b *diskBlock) (f *os.File, keep bool, err error) {
	if b.f != nil {
		c.mu.files.MoveToFront(b.file)
		return b.f, true, nil
	}
	f, err = os.Open(c.blockPath(b))
	if err != nil {
		return nil, false, err
	}
	if c.maxOpen <= 0 {
		return f, false, nil
	}
	if c.mu.files.Len() >= c.maxOpen {
		c.closeFileLocked(c.mu.files.Back().Value.(*diskBlock))
	}
	b.f, b.file = f, c.mu.files.PushFront(b)
	return f, true, nil
}

// closeFileLocked closes b's open file. A pread already running on it
// completes; a later one fails with os.ErrClosed and looks b up again.
func (c *DiskCache) closeFileLocked(b *diskBlock) {
	if b.f == nil {
		return
	}
	b.f.Close()
	c.mu.files.Remove(b.file)
	b.f, b.file = nil, nil
}

// forgetLocked takes b (pending, or resident) out of the cache's maps if
// it is still there. It does not touch b's file or the used bytes.
func (c *DiskCache) forgetLocked(b *diskBlock) {
	if c.mu.blocks[b.id] != b {
		return
	}
	delete(c.mu.blocks, b.id)
	o := c.mu.objects[b.id.obj]
	if o.blocks--; o.blocks == 0 {
		delete(c.mu.objects, b.id.obj)
	}
}

// removeLocked removes resident block b and its file.
func (c *DiskCache) removeLocked(b *diskBlock) {
	c.forgetLocked(b)
	c.mu.lru.Remove(b.lru)
	b.lru = nil
	c.closeFileLocked(b)
	c.mu.used -= b.size
	if err := os.Remove(c.blockPath(b)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.logf("storage: disk cache: %v", err)
	}
}

// dropBlock removes b if it is still a resident block of the cache.
func (c *DiskCache) dropBlock(b *diskBlock) {
	c.mu.Lock()
	if c.mu.blocks[b.id] == b && b.lru != nil {
		c.removeLocked(b)
	}
	c.mu.Unlock()
}

// drop removes every block of key: resident blocks with their files;
// pending ones are forgotten (their fetches still serve their readers but
// are not written).
func (c *DiskCache) drop(key string) {
	c.mu.Lock()
	c.dropObjectLocked(objectIDOf(key))
	c.mu.Unlock()
}

func (c *DiskCache) dropObjectLocked(id objectID) {
	o := c.mu.objects[id]
	if o == nil {
		return
	}
	for i := int64(0); i*c.blockSize < o.size && c.mu.objects[id] == o; i++ {
		b := c.mu.blocks[blockID{id, i}]
		switch {
		case b == nil:
		case b.lru != nil:
			c.removeLocked(b)
		default:
			c.forgetLocked(b)
		}
	}
}

// tmpPrefix begins the names of block files being written.
const tmpPrefix = ".tmp-"

func (c *DiskCache) blockPath(b *diskBlock) string {
	return filepath.Join(c.dir, hex.EncodeToString(b.id.obj[:1]), blockName(b.id, c.blockSize, b.objSize))
}

func blockName(id blockID, blockSize, objSize int64) string {
	return fmt.Sprintf("%x-%d-%d-%d", id.obj[:], blockSize, objSize, id.index)
}

// parseBlockName parses a name made by blockName.
func parseBlockName(name string) (id blockID, blockSize, objSize int64, ok bool) {
	parts := strings.Split(name, "-")
	if len(parts) != 4 || len(parts[0]) != 2*len(id.obj) {
		return id, 0, 0, false
	}
	if _, err := hex.Decode(id.obj[:], []byte(parts[0])); err != nil {
		return id, 0, 0, false
	}
	var n [3]int64
	for i, s := range parts[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return id, 0, 0, false
		}
		n[i] = v
	}
	id.index = n[2]
	// Only the canonical spelling is ours.
	return id, n[0], n[1], blockName(id, n[0], n[1]) == name
}

// load indexes the block files under the cache directory, removing
// temporary files and block files that cannot be used, then trims the
// cache to its bound. Recently written blocks count as recently used. It
// runs before the cache is shared; it holds the lock for the helpers it
// calls.
func (c *DiskCache) load() error {
	subs, err := os.ReadDir(c.dir)
	if err != nil {
		return err
	}
	type found struct {
		b     *diskBlock
		mtime time.Time
	}
	var all []found
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sub := range subs {
		if !sub.IsDir() || len(sub.Name()) != 2 {
			continue
		}
		subDir := filepath.Join(c.dir, sub.Name())
		ents, err := os.ReadDir(subDir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := e.Name()
			path := filepath.Join(subDir, name)
			if strings.HasPrefix(name, tmpPrefix) {
				os.Remove(path)
				continue
			}
			id, bs, objSize, ok := parseBlockName(name)
			if !ok || hex.EncodeToString(id.obj[:1]) != sub.Name() || !e.Type().IsRegular() {
				continue // not ours
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			size := min(bs, objSize-id.index*bs)
			o := c.mu.objects[id.obj]
			if bs != c.blockSize || id.index < 0 || size <= 0 || info.Size() != size || (o != nil && o.size != objSize) {
				os.Remove(path)
				continue
			}
			if o == nil {
				o = &diskObject{size: objSize}
				c.mu.objects[id.obj] = o
			}
			b := &diskBlock{id: id, objSize: objSize, size: size}
			c.mu.blocks[id] = b
			o.blocks++
			c.mu.used += size
			all = append(all, found{b, info.ModTime()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mtime.Before(all[j].mtime) })
	for _, f := range all {
		f.b.lru = c.mu.lru.PushFront(f.b)
	}
	c.reserveLocked(0)
	return nil
}
