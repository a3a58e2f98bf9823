package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// The decoded column cache (shared/design/EXECUTION.md §1, §4) holds column
// chunks — one column of one row group of one data file — decoded into the
// executor's vector form. Objects never change, so entries are never
// invalidated; the cache is bounded in bytes and evicts the least recently
// used chunk. Concurrent readers of a chunk that is being decoded wait for
// that decode instead of decoding it again.
//
// A Chunk is pointer-free apart from its few slice headers (the GC does not
// scan its values) and immutable: scans hand out zero-copy views of it
// (Chunk.View) with capacities clipped, so an append to a view can never
// write into the cache.

// Chunk is one decoded column chunk: the values of one column in one row
// group, in execution form (see vec.Vector). It is immutable.
type Chunk struct {
	Rows  int
	I64   []int64
	F64   []float64
	Bool  []bool
	Nulls []bool // nil when no value is NULL

	// Strings are stored in segments of vec.BatchSize rows, so that a
	// batch's view has offsets starting at 0: segment s holds rows
	// [s*BatchSize, min((s+1)*BatchSize, Rows)); its n+1 offsets are
	// Offsets[s*(BatchSize+1):], relative to Data[SegStart[s]:].
	Offsets  []int32
	Data     []byte
	SegStart []int64

	str bool
}

// Size returns the bytes the chunk holds.
func (c *Chunk) Size() int64 {
	return int64(8*len(c.I64)+8*len(c.F64)+len(c.Bool)+len(c.Nulls)+4*len(c.Offsets)+len(c.Data)+8*len(c.SegStart)) + 128
}

// View sets v (of the chunk's type) to rows [off, off+n) of the chunk
// without copying. off must be a multiple of vec.BatchSize and n at most
// vec.BatchSize (within the chunk).
func (c *Chunk) View(v *vec.Vector, off, n int) {
	end := off + n
	switch {
	case c.str:
		s := off / vec.BatchSize
		o := s * (vec.BatchSize + 1)
		v.Offsets = c.Offsets[o : o+n+1 : o+n+1]
		lo, hi := c.SegStart[s], c.SegStart[s+1]
		v.Data = c.Data[lo:hi:hi]
	case c.F64 != nil:
		v.F64 = c.F64[off:end:end]
	case c.Bool != nil:
		v.Bool = c.Bool[off:end:end]
	default:
		v.I64 = c.I64[off:end:end]
	}
	v.Nulls = nil
	if c.Nulls != nil {
		v.Nulls = c.Nulls[off:end:end]
	}
}

// ChunkKey names a cached chunk: a table column (its index among the
// table's columns, and how it is stored) of one row group of one object.
type ChunkKey struct {
	Object   string
	RowGroup int32
	Column   int32
	kind     physKind
}

// CacheStats are a ColumnCache's counters.
type CacheStats struct {
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Waits     int64 `json:"waits"` // hits on a chunk still being decoded
	Evictions int64 `json:"evictions"`
	Bytes     int64 `json:"bytes"`
	MaxBytes  int64 `json:"max_bytes"`
	Chunks    int64 `json:"chunks"`
	// DecodeMillis is the time spent decoding missed chunks.
	DecodeMillis int64 `json:"decode_ms"`
	// Files is the number of data file footers held.
	Files int64 `json:"files"`
	// RowsRead counts the rows of the row groups read through RowGroup
	// readers (scans), BytesRead the decoded bytes of the column chunks
	// they returned, from the cache or decoded.
	RowsRead  int64 `json:"rows_read"`
	BytesRead int64 `json:"bytes_read"`
}

// ColumnCache is a bounded cache of decoded column chunks and of data file
// footers, safe for concurrent use.
type ColumnCache struct {
	store ObjectStore
	max   int64

	mu      sync.Mutex
	used    int64
	entries map[ChunkKey]*cacheEntry
	lru     cacheEntry // sentinel: lru.next is the most recently used
	metas   map[string]*FileMeta

	hits, misses, waits, evictions, decodeNanos atomic.Int64
	rowsRead, bytesRead                         atomic.Int64
}

type cacheEntry struct {
	key        ChunkKey
	chunk      *Chunk
	err        error
	ready      chan struct{} // closed when chunk or err is set
	size       int64
	prev, next *cacheEntry // LRU list; nil while decoding
}

// maxFileMetas bounds the number of footers kept.
const maxFileMetas = 1 << 14

// NewColumnCache returns a cache over store holding at most maxBytes of
// decoded chunks.
func NewColumnCache(store ObjectStore, maxBytes int64) *ColumnCache {
	c := &ColumnCache{store: store, max: maxBytes, entries: map[ChunkKey]*cacheEntry{}, metas: map[string]*FileMeta{}}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// Stats returns the cache's counters.
func (c *ColumnCache) Stats() CacheStats {
	c.mu.Lock()
	st := CacheStats{Bytes: c.used, MaxBytes: c.max, Chunks: int64(len(c.entries)), Files: int64(len(c.metas))}
	c.mu.Unlock()
	st.Hits, st.Misses, st.Waits, st.Evictions = c.hits.Load(), c.misses.Load(), c.waits.Load(), c.evictions.Load()
	st.DecodeMillis = c.decodeNanos.Load() / 1e6
	st.RowsRead, st.BytesRead = c.rowsRead.Load(), c.bytesRead.Load()
	return st
}

func (c *ColumnCache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *ColumnCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

// get returns the chunk for key, calling decode on a miss. Callers asking
// for a chunk being decoded wait for it.
func (c *ColumnCache) get(ctx context.Context, key ChunkKey, decode func() (*Chunk, error)) (*Chunk, error) {
	for {
		c.mu.Lock()
		e := c.entries[key]
		if e != nil {
			if e.next != nil { // decoded
				c.unlink(e)
				c.pushFront(e)
				c.mu.Unlock()
				c.hits.Add(1)
				return e.chunk, nil
			}
			c.mu.Unlock()
			c.waits.Add(1)
			select {
			case <-e.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err == nil {
				return e.chunk, nil
			}
			if isCtxErr(e.err) && ctx.Err() == nil {
				continue // the decoding query was canceled; try again
			}
			return nil, e.err
		}
		e = &cacheEntry{key: key, ready: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		c.misses.Add(1)

		start := time.Now()
		ch, err := decode()
		c.decodeNanos.Add(int64(time.Since(start)))

		c.mu.Lock()
		e.chunk, e.err = ch, err
		switch {
		case err != nil:
			delete(c.entries, key)
		default:
			e.size = ch.Size()
			if e.size > c.max {
				delete(c.entries, key)
				break
			}
			c.used += e.size
			c.pushFront(e)
			for c.used > c.max && c.lru.prev != e {
				old := c.lru.prev
				c.unlink(old)
				delete(c.entries, old.key)
				c.used -= old.size
				c.evictions.Add(1)
			}
		}
		c.mu.Unlock()
		close(e.ready)
		return ch, err
	}
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// FileMeta is a data file's parsed footer.
type FileMeta struct {
	md      *metadata.FileMetaData
	rgStart []int64 // first row of each row group
	rgRows  []int64
}

// NumRowGroups returns the number of row groups.
func (m *FileMeta) NumRowGroups() int { return len(m.rgRows) }

// RowGroupRows returns the rows of row group i.
func (m *FileMeta) RowGroupRows(i int) int64 { return m.rgRows[i] }

// RowGroupStart returns the position in the file of row group i's first row.
func (m *FileMeta) RowGroupStart(i int) int64 { return m.rgStart[i] }

// FileMeta returns the footer of data file f, reading it on first use.
func (c *ColumnCache) FileMeta(ctx context.Context, f DataFile) (*FileMeta, error) {
	c.mu.Lock()
	m := c.metas[f.Key]
	c.mu.Unlock()
	if m != nil {
		return m, nil
	}
	r, err := OpenDataFile(ctx, c.store, f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	md := r.pr.MetaData()
	nrg := r.pr.NumRowGroups()
	m = &FileMeta{md: md, rgStart: make([]int64, nrg), rgRows: make([]int64, nrg)}
	var pos int64
	for i := range m.rgRows {
		m.rgStart[i] = pos
		m.rgRows[i] = md.RowGroup(i).NumRows()
		pos += m.rgRows[i]
	}
	c.mu.Lock()
	if len(c.metas) >= maxFileMetas {
		clear(c.metas)
	}
	c.metas[f.Key] = m
	c.mu.Unlock()
	return m, nil
}

// RowGroupReader reads the chunks of one row group of one data file
// through the cache, opening the file only when a chunk misses. It is not
// safe for concurrent use; Close it when done.
type RowGroupReader struct {
	c    *ColumnCache
	ctx  context.Context
	f    DataFile
	meta *FileMeta
	rg   int
	r    *DataFileReader
}

// RowGroup returns a reader of row group rg of f.
func (c *ColumnCache) RowGroup(ctx context.Context, f DataFile, meta *FileMeta, rg int) *RowGroupReader {
	c.rowsRead.Add(meta.RowGroupRows(rg))
	return &RowGroupReader{c: c, ctx: ctx, f: f, meta: meta, rg: rg}
}

// Reset points the reader at another row group, closing the file it had
// open.
func (g *RowGroupReader) Reset(ctx context.Context, f DataFile, meta *FileMeta, rg int) {
	g.Close()
	g.ctx, g.f, g.meta, g.rg = ctx, f, meta, rg
	g.c.rowsRead.Add(meta.RowGroupRows(rg))
}

// Close releases the file, if one was opened.
func (g *RowGroupReader) Close() {
	if g.r != nil {
		g.r.Close()
		g.r = nil
	}
}

// Column returns table column ci (of cols, the table's columns) of the row
// group, decoded.
func (g *RowGroupReader) Column(cols []catalog.Column, ci int) (*Chunk, error) {
	if ci < 0 || ci >= len(cols) {
		return nil, fmt.Errorf("storage: projected column %d out of range [0, %d)", ci, len(cols))
	}
	kind, err := kindOf(cols[ci].Type)
	if err != nil {
		return nil, err
	}
	key := ChunkKey{Object: g.f.Key, RowGroup: int32(g.rg), Column: int32(ci), kind: kind}
	ch, err := g.c.get(g.ctx, key, func() (*Chunk, error) { return g.decode(cols, ci) })
	if err == nil {
		g.c.bytesRead.Add(ch.Size())
	}
	return ch, err
}

func (g *RowGroupReader) decode(cols []catalog.Column, ci int) (*Chunk, error) {
	if g.r == nil {
		r, err := g.c.openWithMeta(g.ctx, g.f, g.meta)
		if err != nil {
			return nil, err
		}
		g.r = r
	}
	return g.r.decodeChunk(g.ctx, cols, ci, g.rg)
}

// openWithMeta opens a data file whose footer is already parsed.
func (c *ColumnCache) openWithMeta(ctx context.Context, f DataFile, m *FileMeta) (*DataFileReader, error) {
	obj, err := c.store.Open(ctx, f.Key)
	if err != nil {
		return nil, err
	}
	var pr *file.Reader
	err = catchPanic(func() error {
		var err error
		props := parquet.NewReaderProperties(nil)
		props.BufferedStreamEnabled = true
		props.BufferSize = readBufferSize
		pr, err = file.NewParquetReader(io.NewSectionReader(obj, 0, obj.Size()), file.WithReadProps(props), file.WithMetadata(m.md))
		return err
	})
	if err != nil {
		obj.Close()
		return nil, fmt.Errorf("storage: data file %s: %w", f.Key, err)
	}
	return &DataFileReader{obj: obj, pr: pr, ncols: pr.MetaData().Schema.NumColumns()}, nil
}

// decodeChunk decodes table column ci of row group rgi.
func (r *DataFileReader) decodeChunk(ctx context.Context, cols []catalog.Column, ci, rgi int) (*Chunk, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rgi < 0 || rgi >= r.pr.NumRowGroups() {
		return nil, fmt.Errorf("storage: row group %d out of range [0, %d)", rgi, r.pr.NumRowGroups())
	}
	s, err := r.newScanner(cols, []int{ci})
	if err != nil {
		return nil, err
	}
	sc := &s.cols[0]
	rg := r.pr.RowGroup(rgi)
	rows := int(rg.NumRows())
	if sc.idx >= 0 {
		if err := sc.open(rg); err != nil {
			return nil, err
		}
	}
	ch := &Chunk{Rows: rows}
	err = catchPanic(func() error {
		if sc.kind != pkBytes {
			// The whole chunk in one read, straight into the chunk's
			// own slices.
			v := sc.v
			switch sc.kind {
			case pkFloat32, pkFloat64:
				v.F64 = make([]float64, 0, rows)
			case pkBool:
				v.Bool = make([]bool, 0, rows)
			default:
				v.I64 = make([]int64, 0, rows)
			}
			if rows > 0 {
				if err := sc.read(rows); err != nil {
					return err
				}
			}
			switch sc.kind {
			case pkFloat32, pkFloat64:
				ch.F64 = v.F64[:rows:rows]
			case pkBool:
				ch.Bool = v.Bool[:rows:rows]
			default:
				ch.I64 = v.I64[:rows:rows]
			}
			if v.Nulls != nil {
				ch.Nulls = append([]bool(nil), v.Nulls[:rows]...)
			}
			return nil
		}
		// Strings: one segment per batch, copied as read (the read
		// values alias page buffers).
		ch.str = true
		nseg := (rows + vec.BatchSize - 1) / vec.BatchSize
		ch.Offsets = make([]int32, 0, nseg*(vec.BatchSize+1))
		ch.SegStart = make([]int64, 1, nseg+1)
		var nulls []bool
		for off := 0; off < rows; off += vec.BatchSize {
			n := min(vec.BatchSize, rows-off)
			if err := sc.read(n); err != nil {
				return err
			}
			v := sc.v
			// Every segment but the last is full, so segment s starts at
			// s*(BatchSize+1).
			ch.Offsets = append(ch.Offsets, v.Offsets[:n+1]...)
			ch.Data = append(ch.Data, v.Data[:v.Offsets[n]]...)
			ch.SegStart = append(ch.SegStart, int64(len(ch.Data)))
			if v.Nulls != nil && nulls == nil {
				nulls = make([]bool, off, rows)
			}
			if nulls != nil {
				if v.Nulls != nil {
					nulls = append(nulls, v.Nulls[:n]...)
				} else {
					nulls = append(nulls, make([]bool, n)...)
				}
			}
		}
		ch.Nulls = nulls
		if ch.Data == nil {
			ch.Data = []byte{}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: column %q: %w", sc.name, err)
	}
	return ch, nil
}
