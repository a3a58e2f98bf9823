package tpch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// LoadConfig says what to load where.
type LoadConfig struct {
	// DSN is a coordinator's PostgreSQL connection string; the tables are
	// created (and with Replace dropped first) through it.
	DSN string
	// Metad is metad's address; the data is committed through it.
	Metad string
	// Store is the cluster's object store.
	Store storage.ObjectStore
	// Source supplies the rows.
	Source Source
	// Tables to load (nil: all 8).
	Tables []string
	// Replace drops tables that already exist. Without it an existing
	// table is loaded only if it is empty.
	Replace bool
	// RowsPerFile, if > 0, fixes the rows per data file; by default a file
	// holds whole row groups (storage.RowGroupRows rows each) and a table
	// gets up to 64 files.
	RowsPerFile int64
	// Parallel is the number of parsing and writing goroutines (default
	// GOMAXPROCS).
	Parallel int
	// Progress, if set, receives a progress display (redrawn in place when
	// it is a terminal).
	Progress io.Writer
}

// TableResult describes one loaded table.
type TableResult struct {
	Table   string
	Rows    int64
	Files   int
	Bytes   int64
	Elapsed time.Duration // from its first part's start to its commit
}

// maxFilesPerTable bounds the files of a table by default.
const maxFilesPerTable = 64

// batchRows is how many rows a parser fills before handing them to the
// Parquet writer.
const batchRows = 16384

func defaultRowsPerFile(total int64) int64 {
	rg := (total + storage.RowGroupRows - 1) / storage.RowGroupRows
	perFile := max((rg+maxFilesPerTable-1)/maxFilesPerTable, 1)
	return perFile * storage.RowGroupRows
}

// tableLoad is the state of one table being loaded.
type tableLoad struct {
	name   string
	tab    *catalog.Table
	parts  []Part
	files  []storage.DataFile
	left   atomic.Int64 // parts not yet written
	rows   atomic.Int64 // rows written so far
	total  int64        // expected rows
	start  atomic.Int64 // unix nanos of the first part's start
	end    atomic.Int64 // unix nanos of the commit
	failed atomic.Bool
}

// Load creates the tables and loads them. Every table is committed as one
// catalog change once all its files are written, and Load waits until each
// commit has been applied on every live node.
func Load(ctx context.Context, cfg LoadConfig) ([]TableResult, error) {
	if cfg.Source == nil || cfg.Store == nil {
		return nil, errors.New("tpch: load needs a source and an object store")
	}
	tables := cfg.Tables
	if tables == nil {
		tables = Tables
	}
	par := cfg.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	rowsPerFile := defaultRowsPerFile
	if cfg.RowsPerFile > 0 {
		rowsPerFile = func(int64) int64 { return cfg.RowsPerFile }
	}

	mc, err := metad.Dial(ctx, cfg.Metad)
	if err != nil {
		return nil, err
	}
	defer mc.Close()
	tabs, err := createTables(ctx, cfg, mc, tables)
	if err != nil {
		return nil, err
	}

	// Plan the parts of every table, largest tables first so the long
	// jobs start early; the parts of a table are written in order.
	loads := make([]*tableLoad, len(tables))
	for i, name := range tables {
		parts, err := cfg.Source.Parts(ctx, name, rowsPerFile)
		if err != nil {
			return nil, err
		}
		tl := &tableLoad{name: name, tab: tabs[name], parts: parts, files: make([]storage.DataFile, len(parts))}
		tl.left.Store(int64(len(parts)))
		for _, p := range parts {
			tl.total += p.Rows
		}
		loads[i] = tl
	}
	type job struct {
		tl *tableLoad
		i  int
	}
	var jobs []job
	order := slices.Clone(loads)
	sort.SliceStable(order, func(a, b int) bool { return order[a].total > order[b].total })
	for _, tl := range order {
		for i := range tl.parts {
			jobs = append(jobs, job{tl, i})
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var prog *progress
	if cfg.Progress != nil {
		prog = startProgress(cfg.Progress, loads)
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup // workers
		cwg     sync.WaitGroup // commits
		errOnce sync.Once
		loadErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { loadErr = err })
		cancel()
	}
	for w := 0; w < min(par, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) {
					return
				}
				j := jobs[k]
				j.tl.start.CompareAndSwap(0, time.Now().UnixNano())
				fw, err := writePart(ctx, cfg.Store, j.tl, j.tl.parts[j.i])
				if err != nil {
					j.tl.failed.Store(true)
					fail(err)
					return
				}
				// Finishing the file (last row group, footer, the store's
				// fsync) and, after a table's last file, the commit (and the
				// wait until every node applied it) happen while this
				// worker goes on with the next part.
				cwg.Add(1)
				go func(tl *tableLoad, i int) {
					defer cwg.Done()
					if fw != nil {
						df, err := fw.Close()
						if err != nil {
							tl.failed.Store(true)
							fail(fmt.Errorf("%s: %w", tl.name, err))
							return
						}
						tl.files[i] = df
					}
					if tl.left.Add(-1) != 0 {
						return
					}
					if err := commitTable(ctx, cfg.Store, mc, tl); err != nil {
						tl.failed.Store(true)
						fail(err)
						return
					}
					tl.end.Store(time.Now().UnixNano())
				}(j.tl, j.i)
			}
		}()
	}
	wg.Wait()
	cwg.Wait()
	if prog != nil {
		prog.stop()
	}
	if loadErr != nil {
		return nil, loadErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]TableResult, len(loads))
	for i, tl := range loads {
		r := TableResult{Table: tl.name, Rows: tl.rows.Load()}
		for _, f := range tl.files {
			if f.Key != "" {
				r.Files++
				r.Bytes += f.Size
			}
		}
		if s, e := tl.start.Load(), tl.end.Load(); s != 0 && e != 0 {
			r.Elapsed = time.Duration(e - s)
		}
		out[i] = r
	}
	return out, nil
}

// createTables creates the tables over SQL (dropping them first with
// Replace) and returns their catalog descriptors as metad has them.
func createTables(ctx context.Context, cfg LoadConfig, mc *metad.Client, tables []string) (map[string]*catalog.Table, error) {
	existing, err := publicTables(ctx, mc)
	if err != nil {
		return nil, err
	}
	var stmts []string
	for _, name := range tables {
		t, ok := existing[name]
		switch {
		case ok && t.IsView():
			return nil, fmt.Errorf("%s is a view", name)
		case ok && cfg.Replace:
			stmts = append(stmts, "drop table "+name, DDL[name])
		case ok:
			rows, err := tableRows(ctx, cfg.Store, t)
			if err != nil {
				return nil, err
			}
			if rows > 0 {
				return nil, fmt.Errorf("table %s already has %d rows (drop it, or load with --replace)", name, rows)
			}
		default:
			stmts = append(stmts, DDL[name])
		}
	}
	if len(stmts) > 0 {
		conn, err := pgx.Connect(ctx, cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", cfg.DSN, err)
		}
		defer conn.Close(context.Background())
		// One transaction: one catalog commit for all the DDL.
		tx, err := conn.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback(context.Background())
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
				return nil, fmt.Errorf("%s: %w", s, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return nil, err
		}
		if existing, err = publicTables(ctx, mc); err != nil {
			return nil, err
		}
	}
	out := map[string]*catalog.Table{}
	for _, name := range tables {
		t, ok := existing[name]
		if !ok {
			return nil, fmt.Errorf("table %s was created but metad does not have it", name)
		}
		out[name] = t
	}
	return out, nil
}

// publicTables returns the tables of schema public by name.
func publicTables(ctx context.Context, mc *metad.Client) (map[string]*catalog.Table, error) {
	_, objs, err := mc.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*catalog.Table{}
	for _, o := range objs {
		if o.Table != nil && o.Table.Namespace == catalog.PublicNamespace {
			out[o.Table.Name] = o.Table
		}
	}
	return out, nil
}

// UserTables returns how many tables the catalog at addr holds outside the
// system schemas (to tell an empty cluster).
func UserTables(ctx context.Context, metadAddr string) (int, error) {
	mc, err := metad.Dial(ctx, metadAddr)
	if err != nil {
		return 0, err
	}
	defer mc.Close()
	_, objs, err := mc.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		if o.Table != nil && o.Table.Namespace != catalog.PgCatalogNamespace {
			n++
		}
	}
	return n, nil
}

func tableRows(ctx context.Context, store storage.ObjectStore, t *catalog.Table) (int64, error) {
	if t.Manifest == "" {
		return 0, nil
	}
	b, err := store.Get(ctx, t.Manifest)
	if err != nil {
		return 0, fmt.Errorf("table %s: manifest: %w", t.Name, err)
	}
	m, err := storage.DecodeManifest(b)
	if err != nil {
		return 0, fmt.Errorf("table %s: manifest: %w", t.Name, err)
	}
	return m.Rows(), nil
}

// writePart parses one part into one data file and returns the file's
// writer for the caller to close (nil if the part had no rows).
func writePart(ctx context.Context, store storage.ObjectStore, tl *tableLoad, p Part) (*storage.FileWriter, error) {
	rp, err := newRowParser(tl.name, tl.tab.Columns)
	if err != nil {
		return nil, err
	}
	fw, err := storage.NewFileWriter(ctx, store, storage.NewDataFileKey(tl.tab.OID), tl.tab.Columns)
	if err != nil {
		return nil, err
	}
	pw := &partWriter{rp: rp, sink: fw.Write, tl: tl, line: p.Line, batch: vec.NewBatch(columnTypes(tl.tab.Columns), batchRows)}
	err = p.Produce(ctx, pw)
	if err == nil {
		err = pw.finish()
	}
	if err != nil {
		fw.Abort()
		return nil, err
	}
	if fw.Rows() == 0 {
		fw.Abort()
		return nil, nil
	}
	return fw, nil
}

func columnTypes(cols []catalog.Column) []catalog.Type {
	ts := make([]catalog.Type, len(cols))
	for i, c := range cols {
		ts[i] = c.Type
	}
	return ts
}

// partWriter is the io.Writer a part's text goes to: it parses complete
// lines into a batch and writes full batches to the data file. A line cut
// between two Writes is carried over.
type partWriter struct {
	rp    *rowParser
	sink  func(*vec.Batch) error // the file writer's Write
	tl    *tableLoad
	batch *vec.Batch
	line  int64
	carry []byte
}

func (w *partWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(w.carry) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.carry = append(w.carry, p...)
			return n, nil
		}
		w.carry = append(w.carry, p[:i+1]...)
		p = p[i+1:]
		if err := w.parseAll(w.carry, true); err != nil {
			return 0, err
		}
		w.carry = w.carry[:0]
	}
	if err := w.parseAll(p, false); err != nil {
		return 0, err
	}
	return n, nil
}

// parseAll parses buf (up to its last complete line, or all of it with
// eof), flushing full batches; an incomplete tail goes to carry.
func (w *partWriter) parseAll(buf []byte, eof bool) error {
	for len(buf) > 0 {
		used, line, err := w.rp.parse(buf, eof, w.batch, batchRows, w.line)
		w.line = line
		if err != nil {
			return err
		}
		buf = buf[used:]
		if w.batch.N == batchRows {
			if err := w.flush(); err != nil {
				return err
			}
			continue
		}
		if used == 0 || len(buf) > 0 && !eof {
			w.carry = append(w.carry, buf...)
			return nil
		}
	}
	return nil
}

func (w *partWriter) flush() error {
	if w.batch.N == 0 {
		return nil
	}
	if err := w.sink(w.batch); err != nil {
		return err
	}
	w.tl.rows.Add(int64(w.batch.N))
	w.batch.Reset()
	return nil
}

func (w *partWriter) finish() error {
	if len(w.carry) > 0 {
		c := w.carry
		w.carry = nil
		if err := w.parseAll(c, true); err != nil {
			return err
		}
	}
	return w.flush()
}

// commitTable publishes a table's files: a new manifest object, then the
// table's manifest pointer swapped in metad, guarded by the version the
// table had when the load began; then it waits until every live node has
// applied the change.
func commitTable(ctx context.Context, store storage.ObjectStore, mc *metad.Client, tl *tableLoad) error {
	m := &storage.Manifest{Table: tl.tab.OID}
	for _, f := range tl.files {
		if f.Key != "" {
			m.Files = append(m.Files, f)
		}
	}
	key := storage.NewManifestKey(tl.tab.OID)
	if err := store.Put(ctx, key, storage.EncodeManifest(m)); err != nil {
		return fmt.Errorf("%s: write manifest: %w", tl.name, err)
	}
	nt := *tl.tab
	nt.Manifest = key
	nt.Version = 0
	seq, err := mc.Commit(ctx, []metad.Op{{Put: &catalog.Object{Table: &nt}, ExpectVersion: tl.tab.Version}})
	if err != nil {
		return fmt.Errorf("%s: commit: %w", tl.name, err)
	}
	lagging, err := mc.WaitApplied(ctx, seq, 30*time.Second)
	if err != nil {
		return fmt.Errorf("%s: wait for the commit to be applied: %w", tl.name, err)
	}
	if len(lagging) > 0 {
		ids := make([]string, len(lagging))
		for i, n := range lagging {
			ids[i] = n.ID
		}
		return fmt.Errorf("%s: committed, but not applied on %v after 30s", tl.name, ids)
	}
	return nil
}
