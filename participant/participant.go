// Package participant is the participant role: an Arrow Flight service that
// runs plan fragments over Parquet files in object storage (DoGet) and writes
// table data files (DoPut). Fragments arrive fully resolved — the table
// descriptor and the files to read travel inside the fragment — so a
// participant never asks metad anything to run one.
package participant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"google.golang.org/grpc"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/catsync"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// Config configures a participant.
type Config struct {
	Store storage.ObjectStore
	// Metad is metad's address; when set the participant keeps a catalog
	// cache, registers (NodeID, Addr), and refuses fragments that need a
	// newer catalog than it can catch up to within CatchUpTimeout.
	Metad          string
	NodeID, Addr   string
	CatchUpTimeout time.Duration
	// Workers is how many pipelines one fragment runs at once (default GOMAXPROCS).
	Workers int
	Logf    func(format string, args ...any)
}

// Server is a participant.
type Server struct {
	flight.BaseFlightServer
	cfg   Config
	grpc  *grpc.Server
	metad *metad.Client
	cat   *catsync.Node
	xs    exchangeState // repartitioning (shuffle.go)
}

// New returns a participant server.
func New(cfg Config) *Server {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.CatchUpTimeout <= 0 {
		cfg.CatchUpTimeout = time.Second
	}
	s := &Server{cfg: cfg}
	s.grpc = grpc.NewServer(exchange.ServerOptions()...)
	flight.RegisterFlightServiceServer(s.grpc, s)
	return s
}

// Start connects to metad and loads the catalog cache (when Config.Metad is
// set); call it before Serve.
func (s *Server) Start(ctx context.Context) error {
	if s.cfg.Metad == "" {
		return nil
	}
	mc, err := metad.Dial(ctx, s.cfg.Metad)
	if err != nil {
		return fmt.Errorf("participant: connect to metad %s: %w", s.cfg.Metad, err)
	}
	var node *metad.NodeInfo
	if s.cfg.NodeID != "" {
		node = &metad.NodeInfo{ID: s.cfg.NodeID, Role: "participant", Addr: s.cfg.Addr}
	}
	cat, err := catsync.Start(ctx, catsync.Config{Metad: mc, Node: node, Logf: s.cfg.Logf})
	if err != nil {
		mc.Close()
		return fmt.Errorf("participant: %w", err)
	}
	s.metad, s.cat = mc, cat
	return nil
}

// Serve serves Flight on l until Close.
func (s *Server) Serve(l net.Listener) error { return s.grpc.Serve(l) }

// Close stops the server, ending running fragments.
func (s *Server) Close() {
	s.grpc.Stop()
	s.closeExchange()
	if s.cat != nil {
		s.cat.Close()
		s.metad.Close()
	}
}

// DoGet runs a fragment and streams its output.
func (s *Server) DoGet(t *flight.Ticket, stream flight.FlightService_DoGetServer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logf("participant: panic running fragment: %v", r)
			err = exchange.Errorf(sqlerr.Internal, "participant: internal error: %v", r)
		}
	}()
	var req exchange.FragmentRequest
	if err := json.Unmarshal(t.Ticket, &req); err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad fragment request: %v", err)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()

	// Never run on a catalog older than the coordinator's: catch up first,
	// or refuse.
	if s.cat != nil {
		if err := s.cat.Shipped(ctx, req.Seq, nil, s.cfg.CatchUpTimeout); err != nil {
			return exchange.ToStatus(err)
		}
	}
	if req.Exchange != nil {
		return s.runExchange(ctx, &req, stream)
	}

	// Split the fragment's files into one group per worker; each group runs
	// its own copy of the pipeline (scan, filter, partial aggregate are all
	// valid over any subset of the files).
	probe, err := plan.Decode(req.Fragment)
	if err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad fragment: %v", err)
	}
	scan := plan.FindScan(probe)
	if scan == nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "fragment has no scan")
	}
	groups := splitFiles(scan.Files, s.cfg.Workers)
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
	var wg sync.WaitGroup
	errs := make(chan error, len(groups))
	for _, files := range groups {
		node, err := plan.Decode(req.Fragment)
		if err != nil {
			return exchange.ToStatus(err)
		}
		plan.FindScan(node).Files = files
		plan.FindScan(node).FileOrdinals = fileOrdinals(scan, files)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.runPipeline(ctx, node, send); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		if !errors.Is(e, context.Canceled) || stream.Context().Err() == nil {
			return exchange.ToStatus(e)
		}
	}
	if stream.Context().Err() != nil {
		return exchange.ToStatus(context.Canceled)
	}
	return nil
}

func (s *Server) runPipeline(ctx context.Context, node plan.Node, send func(*vec.Batch) error) error {
	op, err := executor.Build(ctx, node, &executor.Env{OpenScan: s.openScan})
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

// splitFiles deals files into at most k groups of similar row counts.
func splitFiles(files []storage.DataFile, k int) [][]storage.DataFile {
	if len(files) < k {
		k = len(files)
	}
	if k == 0 {
		return [][]storage.DataFile{nil}
	}
	groups := make([][]storage.DataFile, k)
	rows := make([]int64, k)
	for _, f := range files {
		best := 0
		for g := 1; g < k; g++ {
			if rows[g] < rows[best] {
				best = g
			}
		}
		groups[best] = append(groups[best], f)
		rows[best] += f.Rows
	}
	return groups
}

// DoPut writes a stream of rows as one data file.
func (s *Server) DoPut(stream flight.FlightService_DoPutServer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logf("participant: panic writing: %v", r)
			err = exchange.Errorf(sqlerr.Internal, "participant: internal error: %v", r)
		}
	}()
	rdr, err := flight.NewRecordReader(stream)
	if err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad write stream: %v", err)
	}
	defer rdr.Release()
	desc := rdr.LatestFlightDescriptor()
	if desc == nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "write stream without descriptor")
	}
	var req exchange.WriteRequest
	if err := json.Unmarshal(desc.Cmd, &req); err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad write request: %v", err)
	}
	ctx := stream.Context()
	fw, err := storage.NewFileWriter(ctx, s.cfg.Store, req.Key, req.Table.Columns)
	if err != nil {
		return exchange.ToStatus(sqlerr.Wrap(err, sqlerr.IOError, "could not create data file"))
	}
	ok := false
	defer func() {
		if !ok {
			fw.Abort()
		}
	}()
	for rdr.Next() {
		b, err := vec.FromRecord(rdr.Record())
		if err != nil {
			return exchange.ToStatus(err)
		}
		if err := fw.Write(b); err != nil {
			return exchange.ToStatus(sqlerr.Wrap(err, sqlerr.IOError, "could not write data file"))
		}
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return exchange.ToStatus(err)
	}
	if ctx.Err() != nil {
		return exchange.ToStatus(ctx.Err())
	}
	df, err := fw.Close()
	if err != nil {
		return exchange.ToStatus(sqlerr.Wrap(err, sqlerr.IOError, "could not finish data file"))
	}
	ok = true
	meta, _ := json.Marshal(df)
	return stream.Send(&flight.PutResult{AppMetadata: meta})
}

// openScan opens a scan of the fragment's files.
func (s *Server) openScan(ctx context.Context, sc *plan.Scan) (executor.Operator, error) {
	return newScan(ctx, s.cfg.Store, sc), nil
}

// scanOp adapts storage.ScanFile's callbacks to a pulled operator: a
// goroutine reads the files and hands each batch over, waiting until the
// consumer asks for the next one (so the reader's reused buffers are never
// overwritten while in use, and nothing is copied).
type scanOp struct {
	ctx     context.Context
	cancel  context.CancelFunc
	ch      chan *vec.Batch
	ack     chan struct{}
	done    chan struct{}
	err     error
	started bool
	pending bool
	store   storage.ObjectStore
	scan    *plan.Scan
	cols    []catalog.Column
}

func newScan(ctx context.Context, store storage.ObjectStore, sc *plan.Scan) *scanOp {
	ctx, cancel := context.WithCancel(ctx)
	return &scanOp{ctx: ctx, cancel: cancel, ch: make(chan *vec.Batch), ack: make(chan struct{}),
		done: make(chan struct{}), store: store, scan: sc, cols: sc.Table.Columns}
}

func (o *scanOp) run() {
	defer close(o.done)
	defer close(o.ch)
	rowIDs := o.scan.ReadsRowID()
	for fi, f := range o.scan.Files {
		err := storage.ScanFile(o.ctx, o.store, f, o.cols, o.scan.Cols, func(b *vec.Batch) error {
			if rowIDs {
				if err := setRowIDs(o.scan, fi, b); err != nil {
					return err
				}
			}
			select {
			case o.ch <- b:
			case <-o.ctx.Done():
				return o.ctx.Err()
			}
			select {
			case <-o.ack:
				return nil
			case <-o.ctx.Done():
				return o.ctx.Err()
			}
		})
		if err != nil {
			o.err = err
			return
		}
	}
}

func (o *scanOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !o.started {
		o.started = true
		go o.run()
	}
	if o.pending {
		o.pending = false
		select {
		case o.ack <- struct{}{}:
		case <-o.done:
		}
	}
	select {
	case b, ok := <-o.ch:
		if !ok {
			if o.err != nil {
				return nil, o.err
			}
			return nil, nil
		}
		o.pending = true
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (o *scanOp) Close() {
	o.cancel()
	if o.started {
		<-o.done
	}
}

// DoAction serves small requests: catalog_stats, rewrite.
func (s *Server) DoAction(a *flight.Action, stream flight.FlightService_DoActionServer) error {
	switch a.Type {
	case exchange.RewriteAction:
		return s.rewrite(a, stream)
	case exchange.CatalogStatsAction:
		ns := exchange.NodeStats{Node: s.cfg.NodeID, Role: "participant"}
		if s.cat != nil {
			_, ns.Seq = s.cat.Snapshot()
			ns.Cache = s.cat.Cache().Stats()
		}
		body, _ := json.Marshal(ns)
		return stream.Send(&flight.Result{Body: body})
	case exchange.AbortSessionAction:
		s.xreg().abort(string(a.Body))
		return nil
	}
	return exchange.Errorf(sqlerr.FeatureNotSupported, "unknown action %q", a.Type)
}
