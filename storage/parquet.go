package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	"github.com/apache/arrow/go/v15/parquet/schema"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// Data files are Parquet, written and read with the typed column chunk
// writers and readers of arrow/go's parquet/file package: values move
// between our vectors and Parquet pages in typed loops, never through
// pqarrow's per-value reflection for DATE and DECIMAL
// (shared/design/EXECUTION.md §4).
//
// The files are self-describing, so other tools (DuckDB, Spark, pqarrow)
// read them correctly:
//
//	catalog type              physical      logical
//	smallint                  INT32         INT(16, signed)
//	integer                   INT32         -
//	bigint                    INT64         -
//	numeric(p<=18, s)         INT64         DECIMAL(p, s) (p 0 is written as 18)
//	real                      FLOAT         -
//	double precision          DOUBLE        -
//	boolean                   BOOLEAN       -
//	text, varchar, char       BYTE_ARRAY    STRING
//	numeric, numeric(p>18, s) BYTE_ARRAY    STRING (decimal text, or NaN,
//	                                        Infinity, -Infinity)
//	date                      INT32         DATE (days since 1970-01-01)
//	timestamp                 INT64         TIMESTAMP(MICROS, not UTC-adjusted)
//
// Dates and timestamps are held in execution relative to PostgreSQL's epoch
// (2000-01-01) and are shifted to the Unix epoch in the file. Columns are
// OPTIONAL unless NOT NULL (then REQUIRED), named as in the catalog. Each
// file carries its catalog columns as JSON under the key-value metadata key
// "cirrus.columns". Row groups hold RowGroupRows rows (the last fewer), string
// columns are dictionary-encoded (falling back to plain when the dictionary
// outgrows 1 MiB), data pages are version 2 and Snappy-compressed, and
// statistics are written.

// RowGroupRows is the number of rows per Parquet row group: DuckDB's row
// group size and the unit of parallel scanning (a morsel).
const RowGroupRows = 122880

// Offsets between PostgreSQL's epoch (2000-01-01) and the Unix epoch.
const (
	pgEpochDays   = 10957           // days from 1970-01-01 to 2000-01-01
	pgEpochMicros = 946684800000000 // µs from 1970-01-01 to 2000-01-01
)

// columnsMetadataKey is the Parquet key-value metadata key holding the
// catalog columns as JSON.
const columnsMetadataKey = "cirrus.columns"

// physKind is how a catalog type is stored in Parquet.
type physKind uint8

const (
	pkInt32     physKind = iota // smallint, integer: INT32
	pkDate                      // INT32 days, Unix epoch
	pkInt64                     // bigint, numeric: INT64
	pkTimestamp                 // INT64 µs, Unix epoch
	pkFloat32                   // real: FLOAT
	pkFloat64                   // double precision: DOUBLE
	pkBool                      // BOOLEAN
	pkBytes                     // strings, dynamic numeric: BYTE_ARRAY
)

func (k physKind) parquetType() parquet.Type {
	switch k {
	case pkInt32, pkDate:
		return parquet.Types.Int32
	case pkInt64, pkTimestamp:
		return parquet.Types.Int64
	case pkFloat32:
		return parquet.Types.Float
	case pkFloat64:
		return parquet.Types.Double
	case pkBool:
		return parquet.Types.Boolean
	}
	return parquet.Types.ByteArray
}

func kindOf(t catalog.Type) (physKind, error) {
	switch t.Kind {
	case catalog.Int2, catalog.Int4:
		return pkInt32, nil
	case catalog.Int8:
		return pkInt64, nil
	case catalog.Numeric:
		if t.IsDynamicNumeric() {
			return pkBytes, nil
		}
		return pkInt64, nil
	case catalog.Date:
		return pkDate, nil
	case catalog.Timestamp, catalog.TimestampTZ:
		return pkTimestamp, nil
	case catalog.Float4:
		return pkFloat32, nil
	case catalog.Float8:
		return pkFloat64, nil
	case catalog.Bool:
		return pkBool, nil
	case catalog.Text, catalog.Varchar, catalog.Bpchar:
		return pkBytes, nil
	}
	return 0, fmt.Errorf("storage: cannot store a column of type %s", t)
}

// parquetSchema returns the file schema for cols and each column's kind.
func parquetSchema(cols []catalog.Column) (*schema.GroupNode, []physKind, error) {
	fields := make(schema.FieldList, len(cols))
	kinds := make([]physKind, len(cols))
	for i, c := range cols {
		k, err := kindOf(c.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		kinds[i] = k
		rep := parquet.Repetitions.Optional
		if c.NotNull {
			rep = parquet.Repetitions.Required
		}
		var logical schema.LogicalType = schema.NoLogicalType{}
		switch {
		case c.Type.Kind == catalog.Int2:
			logical = schema.NewIntLogicalType(16, true)
		case c.Type.Kind == catalog.Numeric && k == pkInt64:
			p := c.Type.Precision
			if p == 0 {
				p = catalog.MaxNumericPrecision
			}
			logical = schema.NewDecimalLogicalType(p, c.Type.Scale)
		case k == pkBytes:
			logical = schema.StringLogicalType{}
		case k == pkDate:
			logical = schema.DateLogicalType{}
		case k == pkTimestamp:
			// timestamptz is an instant: isAdjustedToUTC.
			logical = schema.NewTimestampLogicalType(c.Type.Kind == catalog.TimestampTZ, schema.TimeUnitMicros)
		}
		node, err := schema.NewPrimitiveNodeLogical(c.Name, rep, logical, k.parquetType(), 0, -1)
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		fields[i] = node
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		return nil, nil, err
	}
	return root, kinds, nil
}

// FileWriter writes one table data file from batches. It buffers one row
// group (encoded and compressed) in memory at a time. It is not safe for
// concurrent use.
type FileWriter struct {
	ctx   context.Context
	key   string
	cols  []catalog.Column
	kinds []physKind

	obj  ObjectWriter
	sink countingWriter
	pw   *file.Writer
	rg   file.BufferedRowGroupWriter // open row group, or nil
	// rgRows is the number of rows in rg.
	rgRows int
	rows   int64
	stats  []statsAcc
	err    error // sticky: after an error only Abort is useful
	done   bool

	// Per-batch scratch, reused.
	defs []int16
	i32  []int32
	i64  []int64
	f32  []float32
	f64  []float64
	bl   []bool
	ba   []parquet.ByteArray
}

// countingWriter passes writes to the object and counts them. It has no
// Close method, so the Parquet writer cannot close the object itself.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewFileWriter starts a data file at key with the given table columns. The
// object becomes visible only when Close succeeds; the caller must call
// Close or Abort.
func NewFileWriter(ctx context.Context, store ObjectStore, key string, cols []catalog.Column) (*FileWriter, error) {
	root, kinds, err := parquetSchema(cols)
	if err != nil {
		return nil, err
	}
	colsJSON, err := json.Marshal(cols)
	if err != nil {
		return nil, err
	}
	opts := []parquet.WriterProperty{
		parquet.WithMaxRowGroupLength(RowGroupRows),
		parquet.WithStats(true),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		// V2 data pages: arrow/go v15 reallocates a V1 page's whole
		// definition-level buffer on every RLE run it flushes (the 4-byte
		// length prefix gives PooledBufferWriter an offset, and its Reserve
		// then always grows), which made a nullable column with sparse
		// NULLs 25x slower to write. V2 pages keep levels unprefixed and
		// are read by DuckDB, Spark, Trino, pyarrow and arrow/go.
		parquet.WithDataPageVersion(parquet.DataPageV2),
	}
	for i, c := range cols {
		if kinds[i] == pkBytes {
			opts = append(opts, parquet.WithDictionaryPath(parquet.ColumnPath{c.Name}, true))
		}
	}
	obj, err := store.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	kv := metadata.NewKeyValueMetadata()
	if err := kv.Append(columnsMetadataKey, string(colsJSON)); err != nil {
		obj.Abort()
		return nil, err
	}
	w := &FileWriter{
		ctx:   ctx,
		key:   key,
		cols:  cols,
		kinds: kinds,
		obj:   obj,
		stats: make([]statsAcc, len(cols)),
	}
	w.sink.w = obj
	err = catchPanic(func() error {
		w.pw = file.NewParquetWriter(&w.sink, root,
			file.WithWriterProps(parquet.NewWriterProperties(opts...)),
			file.WithWriteMetadata(kv))
		return nil
	})
	if err != nil {
		obj.Abort()
		return nil, err
	}
	return w, nil
}

// catchPanic runs fn, turning a panic of the Parquet library into an error.
func catchPanic(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("storage: parquet: %w", e)
			} else {
				err = fmt.Errorf("storage: parquet: %v", r)
			}
		}
	}()
	return fn()
}

// Rows returns the number of rows written so far.
func (w *FileWriter) Rows() int64 { return w.rows }

// Write appends the b.N rows of b, which holds one vector per table column
// in order. It does not retain b.
func (w *FileWriter) Write(b *vec.Batch) error {
	if w.done {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if len(b.Cols) != len(w.cols) {
		return fmt.Errorf("storage: batch has %d columns, table has %d", len(b.Cols), len(w.cols))
	}
	for i, v := range b.Cols {
		if v.Len() < b.N {
			return fmt.Errorf("storage: column %q has %d values, batch has %d rows", w.cols[i].Name, v.Len(), b.N)
		}
		if w.cols[i].NotNull && v.Nulls != nil {
			for _, null := range v.Nulls[:b.N] {
				if null {
					return fmt.Errorf("storage: NULL in NOT NULL column %q", w.cols[i].Name)
				}
			}
		}
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return err
	}
	w.err = catchPanic(func() error {
		for off := 0; off < b.N; {
			if w.rg == nil {
				w.rg = w.pw.AppendBufferedRowGroup()
				w.rgRows = 0
			}
			n := min(b.N-off, RowGroupRows-w.rgRows)
			for i, v := range b.Cols {
				cw, err := w.rg.Column(i)
				if err != nil {
					return err
				}
				if err := w.writeColumn(i, cw, v, off, n); err != nil {
					return fmt.Errorf("storage: column %q: %w", w.cols[i].Name, err)
				}
			}
			off += n
			w.rgRows += n
			w.rows += int64(n)
			if w.rgRows == RowGroupRows {
				if err := w.closeRowGroup(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return w.err
}

func (w *FileWriter) closeRowGroup() error {
	if w.rg == nil {
		return nil
	}
	err := w.rg.Close()
	w.rg = nil
	return err
}

// writeColumn writes rows [off, off+n) of v to column i's chunk writer.
func (w *FileWriter) writeColumn(i int, cw file.ColumnChunkWriter, v *vec.Vector, off, n int) error {
	var nulls []bool
	if v.Nulls != nil {
		nulls = v.Nulls[off : off+n]
	}
	st := &w.stats[i]
	// Definition levels: 1 for a value, 0 for NULL; none for REQUIRED.
	var defs []int16
	if !w.cols[i].NotNull {
		defs = grow(w.defs, n)
		w.defs = defs
		nn := 0
		if nulls == nil {
			for j := range defs {
				defs[j] = 1
			}
		} else {
			for j, null := range nulls {
				if null {
					defs[j] = 0
					nn++
				} else {
					defs[j] = 1
				}
			}
		}
		st.nulls += int64(nn)
		if nn == 0 {
			nulls = nil
		}
	}
	var err error
	switch w.kinds[i] {
	case pkInt32, pkDate:
		src := v.I64[off : off+n]
		lo, hi, ok := st.addInt64(src, nulls)
		conv := func(x int64) int32 { return int32(x) }
		if w.kinds[i] == pkDate {
			// ±infinity keep their values; finite dates shift.
			conv = toUnixDays
			lo, hi, ok = finiteRange(src, nulls, math.MinInt32, math.MaxInt32)
			lo, hi = lo+pgEpochDays, hi+pgEpochDays
		}
		if ok && (lo < math.MinInt32 || hi > math.MaxInt32) {
			return fmt.Errorf("value out of range for %s", w.cols[i].Type)
		}
		w.i32 = compactConvert(w.i32, src, nulls, conv)
		_, err = cw.(*file.Int32ColumnChunkWriter).WriteBatch(w.i32, defs, nil)
	case pkInt64:
		src := v.I64[off : off+n]
		st.addInt64(src, nulls)
		vals := src
		if nulls != nil {
			w.i64 = compact(w.i64, src, nulls)
			vals = w.i64
		}
		_, err = cw.(*file.Int64ColumnChunkWriter).WriteBatch(vals, defs, nil)
	case pkTimestamp:
		src := v.I64[off : off+n]
		if _, hi, ok := st.addInt64(src, nulls); ok && hi >= math.MaxInt64-pgEpochMicros {
			// ±infinity keep their values; finite timestamps shift (and
			// must not land on +infinity's).
			if _, hi, ok = finiteRange(src, nulls, math.MinInt64, math.MaxInt64); ok && hi >= math.MaxInt64-pgEpochMicros {
				return fmt.Errorf("value out of range for %s", w.cols[i].Type)
			}
		}
		w.i64 = compactConvert(w.i64, src, nulls, toUnixMicros)
		_, err = cw.(*file.Int64ColumnChunkWriter).WriteBatch(w.i64, defs, nil)
	case pkFloat32:
		src := v.F64[off : off+n]
		st.addFloat64(src, nulls)
		w.f32 = compactConvert(w.f32, src, nulls, func(x float64) float32 { return float32(x) })
		_, err = cw.(*file.Float32ColumnChunkWriter).WriteBatch(w.f32, defs, nil)
	case pkFloat64:
		src := v.F64[off : off+n]
		st.addFloat64(src, nulls)
		vals := src
		if nulls != nil {
			w.f64 = compact(w.f64, src, nulls)
			vals = w.f64
		}
		_, err = cw.(*file.Float64ColumnChunkWriter).WriteBatch(vals, defs, nil)
	case pkBool:
		src := v.Bool[off : off+n]
		st.addBool(src, nulls)
		vals := src
		if nulls != nil {
			w.bl = compact(w.bl, src, nulls)
			vals = w.bl
		}
		_, err = cw.(*file.BooleanColumnChunkWriter).WriteBatch(vals, defs, nil)
	case pkBytes:
		offs := v.Offsets[off : off+n+1]
		data := v.Data
		ba := w.ba[:0]
		for j := 0; j < n; j++ {
			if nulls != nil && nulls[j] {
				continue
			}
			ba = append(ba, data[offs[j]:offs[j+1]:offs[j+1]])
		}
		w.ba = ba
		if w.cols[i].Type.Kind != catalog.Numeric {
			st.addBytes(ba)
		}
		_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(ba, defs, nil)
	}
	return err
}

// grow returns s resliced (or reallocated) to length n.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 2*cap(s)))
	}
	return s[:n]
}

// compact returns the non-NULL values of src, reusing dst.
func compact[T any](dst, src []T, nulls []bool) []T {
	dst = dst[:0]
	for j, x := range src {
		if !nulls[j] {
			dst = append(dst, x)
		}
	}
	return dst
}

// compactConvert returns conv of the non-NULL values of src (all values
// when nulls is nil), reusing dst.
// finiteRange returns the least and greatest values of src that are not
// NULL and neither -inf nor +inf; ok is false when there are none.
func finiteRange(src []int64, nulls []bool, ninf, pinf int64) (lo, hi int64, ok bool) {
	lo, hi = math.MaxInt64, math.MinInt64
	for j, x := range src {
		if (nulls == nil || !nulls[j]) && x != ninf && x != pinf {
			lo, hi, ok = min(lo, x), max(hi, x), true
		}
	}
	return lo, hi, ok
}

// toUnixDays converts a date (days since 2000-01-01) to Parquet's DATE
// (since 1970-01-01); ±infinity (the extreme int32s) stay as they are.
// fromUnixDays is the inverse.
func toUnixDays(x int64) int32 {
	if x == math.MaxInt32 || x == math.MinInt32 {
		return int32(x)
	}
	return int32(x + pgEpochDays)
}

func fromUnixDays(x int32) int64 {
	if x == math.MaxInt32 || x == math.MinInt32 {
		return int64(x)
	}
	return int64(x) - pgEpochDays
}

// toUnixMicros converts a timestamp (µs since 2000-01-01) to Parquet's
// TIMESTAMP(MICROS) (since 1970-01-01); ±infinity (the extreme int64s)
// stay as they are. fromUnixMicros is the inverse.
func toUnixMicros(x int64) int64 {
	if x == math.MaxInt64 || x == math.MinInt64 {
		return x
	}
	return x + pgEpochMicros
}

func fromUnixMicros(x int64) int64 {
	if x == math.MaxInt64 || x == math.MinInt64 {
		return x
	}
	return x - pgEpochMicros
}

func compactConvert[S, D any](dst []D, src []S, nulls []bool, conv func(S) D) []D {
	dst = dst[:0]
	if nulls == nil {
		for _, x := range src {
			dst = append(dst, conv(x))
		}
		return dst
	}
	for j, x := range src {
		if !nulls[j] {
			dst = append(dst, conv(x))
		}
	}
	return dst
}

// Close finishes the file, makes the object visible and describes it. After
// a failed Close the object does not exist.
func (w *FileWriter) Close() (DataFile, error) {
	if w.done {
		return DataFile{}, errClosed
	}
	if w.err != nil {
		w.Abort()
		return DataFile{}, w.err
	}
	w.done = true
	err := catchPanic(func() error {
		if err := w.closeRowGroup(); err != nil {
			return err
		}
		return w.pw.Close()
	})
	if err != nil {
		w.obj.Abort()
		return DataFile{}, err
	}
	if err := w.obj.Close(); err != nil {
		return DataFile{}, err
	}
	df := DataFile{
		Key:       w.key,
		Rows:      w.rows,
		Size:      w.sink.n,
		RowGroups: w.pw.NumRowGroups(),
		Stats:     make([]ColumnStats, len(w.cols)),
	}
	for i := range w.cols {
		df.Stats[i] = w.stats[i].result(w.cols[i].Type)
	}
	return df, nil
}

// Abort discards the file. It is a no-op after Close or Abort.
func (w *FileWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.obj.Abort()
}

// readBufferSize is the initial read buffer per column chunk; it grows to
// the largest page.
const readBufferSize = 64 << 10

// DataFileReader reads one data file. Its row groups are the morsels of a
// parallel scan: Scan may be called concurrently, each call with its own
// row groups.
type DataFileReader struct {
	obj    ObjectReader
	pr     *file.Reader
	ncols  int
	closed bool
}

// OpenDataFile opens a data file for scanning. The caller must Close it.
func OpenDataFile(ctx context.Context, store ObjectStore, f DataFile) (*DataFileReader, error) {
	obj, err := store.Open(ctx, f.Key)
	if err != nil {
		return nil, err
	}
	var pr *file.Reader
	err = catchPanic(func() error {
		var err error
		props := parquet.NewReaderProperties(nil)
		// Read column chunks through a reused buffer rather than
		// allocating (and then copying) a whole chunk per column.
		props.BufferedStreamEnabled = true
		props.BufferSize = readBufferSize
		pr, err = file.NewParquetReader(io.NewSectionReader(obj, 0, obj.Size()), file.WithReadProps(props))
		return err
	})
	if err != nil {
		obj.Close()
		return nil, fmt.Errorf("storage: data file %s: %w", f.Key, err)
	}
	return &DataFileReader{obj: obj, pr: pr, ncols: pr.MetaData().Schema.NumColumns()}, nil
}

// NumRowGroups returns the number of row groups in the file.
func (r *DataFileReader) NumRowGroups() int { return r.pr.NumRowGroups() }

// NumRows returns the number of rows in the file.
func (r *DataFileReader) NumRows() int64 { return r.pr.NumRows() }

// RowGroupRows returns the number of rows in row group i.
func (r *DataFileReader) RowGroupRows(i int) int64 { return r.pr.MetaData().RowGroup(i).NumRows() }

// Close releases the file.
func (r *DataFileReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.obj.Close()
}

// ScanFile reads the file and calls fn with batches of at most vec.BatchSize
// rows holding the columns proj (indexes into cols, the table's columns) in
// that order. Batches passed to fn are only valid during the call: their
// buffers are reused for the next batch. fn's error stops the scan and is
// returned.
//
// Columns the file does not have (added to the table after the file was
// written) read as NULL. A proj entry RowPosition reads each row's position
// in the file (int8, counting from 0).
func ScanFile(ctx context.Context, store ObjectStore, f DataFile, cols []catalog.Column, proj []int, fn func(b *vec.Batch) error) error {
	r, err := OpenDataFile(ctx, store, f)
	if err != nil {
		return err
	}
	err = r.Scan(ctx, cols, proj, nil, fn)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

// Scan is ScanFile over the given row groups in order (all when rowGroups
// is nil).
func (r *DataFileReader) Scan(ctx context.Context, cols []catalog.Column, proj []int, rowGroups []int, fn func(b *vec.Batch) error) error {
	s, err := r.newScanner(cols, proj)
	if err != nil {
		return err
	}
	if rowGroups == nil {
		rowGroups = make([]int, r.pr.NumRowGroups())
		for i := range rowGroups {
			rowGroups[i] = i
		}
	}
	for _, rgi := range rowGroups {
		if rgi < 0 || rgi >= r.pr.NumRowGroups() {
			return fmt.Errorf("storage: row group %d out of range [0, %d)", rgi, r.pr.NumRowGroups())
		}
		if s.rowPos {
			s.rgStart = r.rowGroupStart(rgi)
		}
		if err := s.scanRowGroup(ctx, r.pr.RowGroup(rgi), fn); err != nil {
			return err
		}
	}
	return nil
}

// RowPosition in a scan's projection reads the row's position in its file
// (the row group's first row plus the offset in the row group) instead of
// a column.
const RowPosition = -1

// rowGroupStart returns the position of row group i's first row.
func (r *DataFileReader) rowGroupStart(i int) int64 {
	var n int64
	md := r.pr.MetaData()
	for k := 0; k < i; k++ {
		n += md.RowGroup(k).NumRows()
	}
	return n
}

// scanner holds the reused buffers of one scan.
type scanner struct {
	cols  []scanCol
	batch vec.Batch
	// rowPos is set when a column reads RowPosition; rgStart is then the
	// current row group's first row.
	rowPos  bool
	rgStart int64
}

// scanCol reads one projected column.
type scanCol struct {
	name     string
	kind     physKind
	idx      int  // column index in the file, -1 when absent
	optional bool // the file column has definition levels
	v        *vec.Vector
	// rowPos reads row positions, next being the next row's.
	rowPos bool
	next   int64

	// One of these is set for the current row group.
	i32r *file.Int32ColumnChunkReader
	i64r *file.Int64ColumnChunkReader
	f32r *file.Float32ColumnChunkReader
	f64r *file.Float64ColumnChunkReader
	blr  *file.BooleanColumnChunkReader
	bar  *file.ByteArrayColumnChunkReader

	defs  []int16
	nulls []bool
	i32   []int32
	f32   []float32
	ba    []parquet.ByteArray
}

func (r *DataFileReader) newScanner(cols []catalog.Column, proj []int) (*scanner, error) {
	fileSchema := r.pr.MetaData().Schema
	s := &scanner{cols: make([]scanCol, len(proj))}
	s.batch.Cols = make([]*vec.Vector, len(proj))
	for k, ci := range proj {
		if ci == RowPosition {
			v := vec.NewVector(catalog.TypeInt8, vec.BatchSize)
			s.cols[k] = scanCol{name: "row position", kind: pkInt64, idx: -1, v: v, rowPos: true}
			s.batch.Cols[k] = v
			s.rowPos = true
			continue
		}
		if ci < 0 || ci >= len(cols) {
			return nil, fmt.Errorf("storage: projected column %d out of range [0, %d)", ci, len(cols))
		}
		c := cols[ci]
		kind, err := kindOf(c.Type)
		if err != nil {
			return nil, err
		}
		v := vec.NewVector(c.Type, vec.BatchSize)
		sc := &s.cols[k]
		*sc = scanCol{name: c.Name, kind: kind, idx: -1, v: v}
		if ci < r.ncols {
			d := fileSchema.Column(ci)
			if d.PhysicalType() != kind.parquetType() {
				return nil, fmt.Errorf("storage: data file column %d (%q) is %s, want %s for %s",
					ci, d.Name(), d.PhysicalType(), kind.parquetType(), c.Type)
			}
			sc.idx = ci
			sc.optional = d.MaxDefinitionLevel() > 0
			if d.MaxRepetitionLevel() > 0 || d.MaxDefinitionLevel() > 1 {
				return nil, fmt.Errorf("storage: data file column %d (%q) is nested", ci, d.Name())
			}
		}
		s.batch.Cols[k] = v
	}
	return s, nil
}

// open points c at its column chunk in rg (c.idx must be a file column).
func (c *scanCol) open(rg *file.RowGroupReader) error {
	var cr file.ColumnChunkReader
	err := catchPanic(func() error {
		var err error
		cr, err = rg.Column(c.idx)
		return err
	})
	if err != nil {
		return err
	}
	c.i32r, c.i64r, c.f32r, c.f64r, c.blr, c.bar = nil, nil, nil, nil, nil, nil
	switch c.kind {
	case pkInt32, pkDate:
		c.i32r = cr.(*file.Int32ColumnChunkReader)
	case pkInt64, pkTimestamp:
		c.i64r = cr.(*file.Int64ColumnChunkReader)
	case pkFloat32:
		c.f32r = cr.(*file.Float32ColumnChunkReader)
	case pkFloat64:
		c.f64r = cr.(*file.Float64ColumnChunkReader)
	case pkBool:
		c.blr = cr.(*file.BooleanColumnChunkReader)
	case pkBytes:
		c.bar = cr.(*file.ByteArrayColumnChunkReader)
	}
	return nil
}

func (s *scanner) scanRowGroup(ctx context.Context, rg *file.RowGroupReader, fn func(b *vec.Batch) error) error {
	for k := range s.cols {
		c := &s.cols[k]
		c.next = s.rgStart
		if c.idx < 0 {
			continue
		}
		if err := c.open(rg); err != nil {
			return err
		}
	}
	for rem := rg.NumRows(); rem > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(rem, vec.BatchSize))
		err := catchPanic(func() error {
			for k := range s.cols {
				if err := s.cols[k].read(n); err != nil {
					return fmt.Errorf("storage: column %q: %w", s.cols[k].name, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.batch.N = n
		if err := fn(&s.batch); err != nil {
			return err
		}
		rem -= int64(n)
	}
	return nil
}

var errShortColumn = errors.New("column chunk has fewer values than its row group")

// read fills c.v with the next n values.
func (c *scanCol) read(n int) error {
	v := c.v
	if c.rowPos {
		v.I64 = grow(v.I64, n)
		for j := range v.I64 {
			v.I64[j] = c.next + int64(j)
		}
		v.Nulls = nil
		c.next += int64(n)
		return nil
	}
	if c.idx < 0 {
		c.readNulls(n)
		return nil
	}
	var defs []int16
	if c.optional {
		c.defs = grow(c.defs, n)
		defs = c.defs
	}
	var (
		total int64
		read  int
		err   error
	)
	switch c.kind {
	case pkInt32, pkDate:
		c.i32 = grow(c.i32, n)
		total, read, err = c.i32r.ReadBatch(int64(n), c.i32, defs, nil)
		vals := grow(v.I64, n)
		src := c.i32[:read]
		dst := vals[:read]
		if c.kind == pkDate {
			for j, x := range src {
				dst[j] = fromUnixDays(x)
			}
		} else {
			for j, x := range src {
				dst[j] = int64(x)
			}
		}
		v.I64 = vals
		v.Nulls = spreadValues(c, vals, defs, read, n)
	case pkInt64, pkTimestamp:
		vals := grow(v.I64, n)
		total, read, err = c.i64r.ReadBatch(int64(n), vals, defs, nil)
		if c.kind == pkTimestamp {
			dst := vals[:read]
			for j := range dst {
				dst[j] = fromUnixMicros(dst[j])
			}
		}
		v.I64 = vals
		v.Nulls = spreadValues(c, vals, defs, read, n)
	case pkFloat32:
		c.f32 = grow(c.f32, n)
		total, read, err = c.f32r.ReadBatch(int64(n), c.f32, defs, nil)
		vals := grow(v.F64, n)
		src := c.f32[:read]
		dst := vals[:read]
		for j, x := range src {
			dst[j] = float64(x)
		}
		v.F64 = vals
		v.Nulls = spreadValues(c, vals, defs, read, n)
	case pkFloat64:
		vals := grow(v.F64, n)
		total, read, err = c.f64r.ReadBatch(int64(n), vals, defs, nil)
		v.F64 = vals
		v.Nulls = spreadValues(c, vals, defs, read, n)
	case pkBool:
		vals := grow(v.Bool, n)
		total, read, err = c.blr.ReadBatch(int64(n), vals, defs, nil)
		v.Bool = vals
		v.Nulls = spreadValues(c, vals, defs, read, n)
	case pkBytes:
		c.ba = grow(c.ba, n)
		total, read, err = c.bar.ReadBatch(int64(n), c.ba, defs, nil)
		if err == nil {
			err = c.copyBytes(c.ba[:read], defs, read, n)
		}
	}
	if err != nil {
		return err
	}
	if total != int64(n) {
		return errShortColumn
	}
	return nil
}

// spreadValues moves the read values, packed at the front of vals[:n], to
// the rows whose definition level says they are present, zeroing NULL
// slots. It returns the NULL flags (c.nulls), or nil when no row is NULL.
// It works backwards in place: value j never moves left.
func spreadValues[T any](c *scanCol, vals []T, defs []int16, read, n int) []bool {
	if read == n || defs == nil {
		return nil
	}
	c.nulls = grow(c.nulls, n)
	nulls := c.nulls
	vals = vals[:n]
	defs = defs[:n]
	var zero T
	j := read - 1
	for i := n - 1; i >= 0; i-- {
		if defs[i] != 0 {
			vals[i] = vals[j]
			nulls[i] = false
			j--
		} else {
			vals[i] = zero
			nulls[i] = true
		}
	}
	return nulls
}

// copyBytes copies the read strings (aliasing page buffers) into the
// vector's Data and sets its offsets and NULL flags.
func (c *scanCol) copyBytes(ba []parquet.ByteArray, defs []int16, read, n int) error {
	v := c.v
	size := 0
	for _, b := range ba {
		size += len(b)
	}
	if size > math.MaxInt32 {
		return fmt.Errorf("%d bytes of strings in one batch", size)
	}
	data := grow(v.Data, size)
	offs := grow(v.Offsets, n+1)
	offs[0] = 0
	pos := 0
	if read == n || defs == nil {
		for j, b := range ba {
			pos += copy(data[pos:], b)
			offs[j+1] = int32(pos)
		}
		v.Nulls = nil
	} else {
		c.nulls = grow(c.nulls, n)
		nulls := c.nulls
		j := 0
		for i := range n {
			if defs[i] != 0 {
				pos += copy(data[pos:], ba[j])
				j++
				nulls[i] = false
			} else {
				nulls[i] = true
			}
			offs[i+1] = int32(pos)
		}
		v.Nulls = nulls
	}
	v.Data = data
	v.Offsets = offs
	return nil
}

// readNulls fills c.v with n NULLs (a column missing from the file).
func (c *scanCol) readNulls(n int) {
	v := c.v
	c.nulls = grow(c.nulls, n)
	for i := range c.nulls {
		c.nulls[i] = true
	}
	switch c.kind {
	case pkFloat32, pkFloat64:
		v.F64 = grow(v.F64, n)
		clear(v.F64)
	case pkBool:
		v.Bool = grow(v.Bool, n)
		clear(v.Bool)
	case pkBytes:
		v.Offsets = grow(v.Offsets, n+1)
		clear(v.Offsets)
		v.Data = v.Data[:0]
	default:
		v.I64 = grow(v.I64, n)
		clear(v.I64)
	}
	v.Nulls = c.nulls
}
