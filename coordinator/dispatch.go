package coordinator

import (
	"context"
	"sync"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// openRemote dispatches a fragment: each participant gets a share of the
// files of the fragment's split scan and all files of its broadcast scans (the same files go to the same participant every
// time, so its caches stay warm) and the outputs are gathered.
func (s *session) openRemote(ctx context.Context, r *plan.Remote) (executor.Operator, error) {
	if len(r.Shuffles) > 0 {
		return s.openShuffled(ctx, r)
	}
	scan := plan.FindScan(r.Fragment)
	if scan == nil {
		return nil, sqlerr.New(sqlerr.Internal, "remote fragment without a scan")
	}
	m, err := s.manifestFor(ctx, scan.Table)
	if err != nil {
		return nil, err
	}
	// Broadcast scans (join build sides) read every file everywhere.
	for _, bs := range plan.Scans(r.Fragment) {
		if bs.Broadcast {
			bm, err := s.manifestFor(ctx, bs.Table)
			if err != nil {
				return nil, err
			}
			bs.Files = pruneFiles(bs, [][]storage.DataFile{bm.Files})[0]
			bs.FileOrdinals = fileOrdinals(bs, bm, bs.Files)
		}
	}
	seq := s.c.cat.ShipSeq()
	bc := newBroadcaster(r, "")
	if scan.Colocated {
		g, err := s.openColocated(ctx, r, scan, seq, bc)
		if err != nil {
			bc.abort(s)
			return nil, err
		}
		return bc.op(s, g), nil
	}
	shares := pruneFiles(scan, assignFiles(m.Files, len(s.c.parts)))
	g := newGather(ctx, &s.act)
	for p, files := range shares {
		if len(files) == 0 {
			continue
		}
		scan.Files = files
		scan.FileOrdinals = fileOrdinals(scan, m, files)
		st, err := bc.run(g.ctx, s, p, r.Fragment, seq)
		if err != nil {
			g.Close()
			bc.abort(s)
			return nil, err
		}
		g.add(st)
	}
	scan.Files, scan.FileOrdinals = nil, nil
	bc.start(s, g)
	g.start()
	return bc.op(s, g), nil
}

// assignFiles deals a manifest's files to participants in manifest order,
// so a table snapshot always maps to the same participants.
func assignFiles(files []storage.DataFile, n int) [][]storage.DataFile {
	out := make([][]storage.DataFile, n)
	for i, f := range files {
		out[i%n] = append(out[i%n], f)
	}
	return out
}

// gather merges the streams of several participants.
type gather struct {
	act     *activity // the session's: counts the running streams
	ctx     context.Context
	cancel  context.CancelFunc
	streams []*exchange.Stream
	ch      chan *vec.Batch
	errMu   sync.Mutex
	err     error
	errRank int
	wg      sync.WaitGroup
	done    chan struct{}
	started bool
}

func newGather(ctx context.Context, act *activity) *gather {
	ctx, cancel := context.WithCancel(ctx)
	return &gather{act: act, ctx: ctx, cancel: cancel, ch: make(chan *vec.Batch, 8), done: make(chan struct{})}
}

func (g *gather) add(st *exchange.Stream) { g.streams = append(g.streams, st) }

func (g *gather) start() {
	g.started = true
	for _, st := range g.streams {
		g.wg.Add(1)
		g.act.fragmentStarted(st.Addr())
		go func(st *exchange.Stream) {
			defer g.wg.Done()
			defer g.act.fragmentEnded(st.Addr())
			for {
				b, err := st.Next()
				if err != nil {
					g.fail(err)
					return
				}
				if b == nil {
					return
				}
				select {
				case g.ch <- b:
				case <-g.ctx.Done():
					return
				}
			}
		}(st)
	}
	go func() {
		g.wg.Wait()
		close(g.ch)
		close(g.done)
	}()
}

func (g *gather) Next(ctx context.Context) (*vec.Batch, error) {
	select {
	case b, ok := <-g.ch:
		if !ok {
			return nil, g.err
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the streams; their readers are released only after the
// goroutines reading them have returned.
func (g *gather) Close() {
	g.cancel()
	if g.started {
		<-g.done
	}
	for _, st := range g.streams {
		st.Close()
	}
	g.streams = nil
}

// tableWriter spreads rows of one table over participants: each
// participant writes one Parquet file from the batches it is sent.
type tableWriter struct {
	s       *session
	table   *catalog.Table
	writers []*exchange.Writer
	next    int
	rows    int64
}

func newTableWriter(s *session, t *catalog.Table) *tableWriter {
	return &tableWriter{s: s, table: t, writers: make([]*exchange.Writer, len(s.c.parts))}
}

// send writes one batch (all table columns) after checking NOT NULL.
func (tw *tableWriter) send(ctx context.Context, b *vec.Batch) error {
	if b.N == 0 {
		return nil
	}
	for i, c := range tw.table.Columns {
		if c.NotNull && b.Cols[i].Nulls != nil {
			for r := 0; r < b.N; r++ {
				if b.Cols[i].Nulls[r] {
					return sqlerr.Errorf(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, tw.table.Name)
				}
			}
		}
	}
	p := tw.next % len(tw.writers)
	tw.next++
	if tw.writers[p] == nil {
		w, err := tw.s.c.parts[p].Write(ctx, tw.table, storage.NewDataFileKey(tw.table.OID))
		if err != nil {
			return err
		}
		tw.writers[p] = w
	}
	if err := tw.writers[p].Send(b); err != nil {
		return err
	}
	tw.rows += int64(b.N)
	return nil
}

// finish closes the files and adds them to the transaction's file list.
func (tw *tableWriter) finish(ctx context.Context) error {
	var files []storage.DataFile
	var firstErr error
	for i, w := range tw.writers {
		if w == nil {
			continue
		}
		df, err := w.Close()
		tw.writers[i] = nil
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if err == nil && df.Rows > 0 {
			files = append(files, df)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if len(files) == 0 {
		return nil
	}
	return tw.s.addFiles(ctx, tw.table, files)
}

// abort abandons every file being written.
func (tw *tableWriter) abort() {
	for i, w := range tw.writers {
		if w != nil {
			w.Abort()
			tw.writers[i] = nil
		}
	}
}
