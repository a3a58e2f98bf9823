package participant

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// Morsel-driven execution (shared/design/EXECUTION.md §3, §7.5). A
// fragment runs as Config.Workers pipelines, each its own copy of the
// operator tree. The split scan's row groups (morsels) are handed out from
// one atomic counter, so every worker stays busy until the last morsel
// whatever the number and sizes of the files; join build sides are built
// once per fragment and probed by all workers (executor.Shared). Scans read
// decoded column chunks from the participant's cache (storage.ColumnCache)
// and skip row groups whose statistics prove the scan's filter false.

// DefaultCacheBytes is the decoded column cache's default size.
const DefaultCacheBytes = 2 << 30

// StorageStatsAction returns the participant's storage counters as JSON
// (StorageStats).
const StorageStatsAction = exchange.StorageStatsAction

// StorageStats are a participant's storage counters; the coordinator reads
// them with exchange.Client.StorageStats.
type StorageStats = exchange.StorageStats

// scanCounters count morsels over the participant's life.
type scanCounters struct {
	scanned, pruned atomic.Int64
}

// StorageStats returns the participant's storage counters.
func (s *Server) StorageStats() StorageStats {
	st := StorageStats{Node: s.cfg.NodeID, Cache: s.cache.Stats(),
		RowGroupsScanned: s.scans.scanned.Load(), RowGroupsPruned: s.scans.pruned.Load()}
	if s.disk != nil {
		disk := s.disk.Stats()
		st.Disk = &disk
	}
	return st
}

// morsel is one row group of one file of a scan.
type morsel struct {
	file int // index in the scan's Files
	rg   int
	meta *storage.FileMeta
}

// morselSource hands out the morsels of one scan, to one or several
// workers.
type morselSource struct {
	morsels []morsel
	next    atomic.Int64
}

func (m *morselSource) take() (morsel, bool) {
	i := m.next.Add(1) - 1
	if i >= int64(len(m.morsels)) {
		return morsel{}, false
	}
	return m.morsels[i], true
}

// newMorselSource lists the row groups of the scan's files that its filter
// may keep.
func (s *Server) newMorselSource(ctx context.Context, sc *plan.Scan) (*morselSource, error) {
	src := &morselSource{}
	pr := executor.NewPruner(sc)
	cols := sc.Table.Columns
	for fi, f := range sc.Files {
		if f.Rows == 0 && f.RowGroups == 0 {
			continue
		}
		meta, err := s.cache.FileMeta(ctx, f)
		if err != nil {
			return nil, err
		}
		for rg := range meta.NumRowGroups() {
			if pr != nil && !pr.MayMatch(func(ci int) storage.Bounds { return meta.RowGroupBounds(rg, cols, ci) }) {
				s.scans.pruned.Add(1)
				continue
			}
			src.morsels = append(src.morsels, morsel{file: fi, rg: rg, meta: meta})
		}
	}
	s.scans.scanned.Add(int64(len(src.morsels)))
	return src, nil
}

// cachedScan is a pulled scan over morsels: for each morsel it fetches the
// projected columns from the cache (decoding misses) and emits zero-copy
// views of at most vec.BatchSize rows. It allocates nothing per batch.
type cachedScan struct {
	s      *Server
	sc     *plan.Scan
	src    *morselSource
	types  []catalog.Type
	batch  vec.Batch
	chunks []*storage.Chunk
	rgr    *storage.RowGroupReader
	rows   int
	off    int
	rowID  bool
	hi     int64 // row ids: the file's ordinal << 32
	start  int64 // row ids: the row group's first row in its file
	fileNo int
}

func (s *Server) newCachedScan(sc *plan.Scan, src *morselSource) *cachedScan {
	o := &cachedScan{s: s, sc: sc, src: src, types: sc.Types(), rowID: sc.ReadsRowID()}
	o.batch.Cols = make([]*vec.Vector, len(sc.Cols))
	for k := range sc.Cols {
		o.batch.Cols[k] = &vec.Vector{Type: o.types[k]}
		if sc.Cols[k] == plan.RowID {
			o.batch.Cols[k].I64 = make([]int64, 0, vec.BatchSize)
		}
	}
	o.chunks = make([]*storage.Chunk, len(sc.Cols))
	return o
}

func (o *cachedScan) Types() []catalog.Type { return o.types }

func (o *cachedScan) Next(ctx context.Context) (*vec.Batch, error) {
	for o.off >= o.rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, ok := o.src.take()
		if !ok {
			o.Close()
			return nil, nil
		}
		if err := o.load(ctx, m); err != nil {
			return nil, err
		}
	}
	n := min(vec.BatchSize, o.rows-o.off)
	for k, ch := range o.chunks {
		v := o.batch.Cols[k]
		if ch != nil {
			ch.View(v, o.off, n)
			continue
		}
		// Row ids: the file's ordinal and the row's position.
		ids := v.I64[:n]
		pos := o.start + int64(o.off)
		if pos+int64(n) > 1<<32 {
			return nil, sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "data file %s has more than 2^32 rows", o.sc.Files[o.fileNo].Key)
		}
		for j := range ids {
			ids[j] = o.hi | (pos + int64(j))
		}
		v.I64 = ids
	}
	o.batch.N = n
	o.off += n
	return &o.batch, nil
}

func (o *cachedScan) load(ctx context.Context, m morsel) error {
	f := o.sc.Files[m.file]
	if o.rgr == nil {
		o.rgr = o.s.cache.RowGroup(ctx, f, m.meta, m.rg)
	} else {
		o.rgr.Reset(ctx, f, m.meta, m.rg)
	}
	cols := o.sc.Table.Columns
	for k, ci := range o.sc.Cols {
		if ci == plan.RowID {
			o.chunks[k] = nil
			continue
		}
		ch, err := o.rgr.Column(cols, ci)
		if err != nil {
			return err
		}
		o.chunks[k] = ch
	}
	o.rgr.Close() // every column is decoded: the file is not needed
	if o.rowID {
		if len(o.sc.FileOrdinals) != len(o.sc.Files) {
			return sqlerr.New(sqlerr.Internal, "participant: scan of row ids without file ordinals")
		}
		o.hi = int64(o.sc.FileOrdinals[m.file]) << 32
		o.start = m.meta.RowGroupStart(m.rg)
		o.fileNo = m.file
	}
	o.rows = int(m.meta.RowGroupRows(m.rg))
	o.off = 0
	return nil
}

func (o *cachedScan) Close() {
	if o.rgr != nil {
		o.rgr.Close()
	}
	o.rows, o.off = 0, 0
	clear(o.chunks)
}

// openScan opens a scan of sc's files (all of them, in one pipeline).
func (s *Server) openScan(ctx context.Context, sc *plan.Scan) (executor.Operator, error) {
	src, err := s.newMorselSource(ctx, sc)
	if err != nil {
		return nil, err
	}
	return s.newCachedScan(sc, src), nil
}

// runFragment runs a fragment's pipelines over the morsels of its split
// scan and streams their output.
func (s *Server) runFragment(ctx context.Context, cancel context.CancelFunc, req *exchange.FragmentRequest, stream flight.FlightService_DoGetServer) error {
	probe, err := plan.Decode(req.Fragment)
	if err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad fragment: %v", err)
	}
	scan := plan.FindScan(probe)
	if scan == nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "fragment has no scan")
	}
	src, err := s.newMorselSource(ctx, scan)
	if err != nil {
		return exchange.ToStatus(err)
	}
	workers := max(min(s.cfg.Workers, len(src.morsels)), 1)

	types := probe.Types()
	names := make([]string, len(types))
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	schema := vec.Schema(names, types)
	w := flight.NewRecordWriter(stream, ipc.WithSchema(schema))
	defer w.Close()
	var mu sync.Mutex
	send := func(b *vec.Batch) error {
		rec := vec.ToRecord(schema, b)
		defer rec.Release()
		mu.Lock()
		defer mu.Unlock()
		return w.Write(rec)
	}

	// Broadcast sources (broadcast.go) live in the request's session.
	var sess *xsession
	if req.Session != "" {
		sess, err = s.xreg().acquire(req.Session)
		if err != nil {
			return exchange.ToStatus(err)
		}
		defer s.xreg().release(sess)
		stop := context.AfterFunc(sess.ctx, cancel)
		defer stop()
	}
	openExchange := func(ctx context.Context, x *plan.ExchangeSource) (executor.Operator, error) {
		if !x.Broadcast {
			return nil, sqlerr.New(sqlerr.ProtocolViolation, "exchange source in a fragment with a split scan")
		}
		return s.openBroadcast(sess, x)
	}

	shared := executor.NewShared()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		node, err := plan.Decode(req.Fragment)
		if err != nil {
			return exchange.ToStatus(err)
		}
		split := plan.FindScan(node)
		env := &executor.Env{Shared: shared, OpenExchange: openExchange, OpenScan: func(ctx context.Context, sc *plan.Scan) (executor.Operator, error) {
			if sc == split || (!sc.Broadcast && sameFiles(sc.Files, scan.Files)) {
				return s.newCachedScan(sc, src), nil
			}
			return s.openScan(ctx, sc)
		}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runPipeline(ctx, node, env, send); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	var best error
	for e := range errs {
		if best == nil || errorRank(e) > errorRank(best) {
			best = e
		}
	}
	if best != nil && (!errors.Is(best, context.Canceled) || stream.Context().Err() == nil) {
		return exchange.ToStatus(best)
	}
	if stream.Context().Err() != nil {
		return exchange.ToStatus(context.Canceled)
	}
	return nil
}

func sameFiles(a, b []storage.DataFile) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key {
			return false
		}
	}
	return true
}

func runPipeline(ctx context.Context, node plan.Node, env *executor.Env, send func(*vec.Batch) error) error {
	op, err := executor.Build(ctx, node, env)
	if err != nil {
		return err
	}
	defer op.Close()
	for {
		b, err := op.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			return nil
		}
		if b.N == 0 {
			continue
		}
		if err := send(b); err != nil {
			return err
		}
	}
}
