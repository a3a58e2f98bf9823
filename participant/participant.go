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
	"time"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"google.golang.org/grpc"

	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/catsync"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad"
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
	// CacheBytes bounds the decoded column cache (default
	// DefaultCacheBytes; negative: keep nothing).
	CacheBytes int64
	// DiskCacheDir, when set, is a directory of this participant's own
	// where a bounded cache of object bytes sits in front of Store
	// (storage.DiskCache): for a remote store (S3), so that warm scans
	// make no request to it. Blocks already in the directory are kept
	// across restarts.
	DiskCacheDir string
	// DiskCacheBytes bounds the disk cache (default DefaultDiskCacheBytes).
	DiskCacheBytes int64
	Logf           func(format string, args ...any)
}

// DefaultDiskCacheBytes is the disk cache's default size.
const DefaultDiskCacheBytes = 16 << 30

// Server is a participant.
type Server struct {
	flight.BaseFlightServer
	cfg   Config
	grpc  *grpc.Server
	metad *metad.Client
	cat   *catsync.Node
	xs    exchangeState // repartitioning (shuffle.go)
	cache *storage.ColumnCache
	disk  *storage.DiskCache // nil without Config.DiskCacheDir
	// diskErr is why the disk cache could not be opened; Start reports it.
	diskErr error
	scans   scanCounters // morsel.go
	metrics *partMetrics
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
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	if cfg.DiskCacheBytes <= 0 {
		cfg.DiskCacheBytes = DefaultDiskCacheBytes
	}
	s := &Server{}
	if cfg.DiskCacheDir != "" {
		dc, err := storage.NewDiskCache(cfg.Store, cfg.DiskCacheDir, cfg.DiskCacheBytes, storage.WithDiskCacheLogf(cfg.Logf))
		if err != nil {
			s.diskErr = fmt.Errorf("participant: %w", err)
		} else {
			s.disk, cfg.Store = dc, dc
		}
	}
	s.cfg, s.cache = cfg, storage.NewColumnCache(cfg.Store, max(cfg.CacheBytes, 0))
	s.metrics = newPartMetrics(s)
	s.grpc = grpc.NewServer(append(exchange.ServerOptions(), grpc.StatsHandler(flightStats{s.metrics}))...)
	flight.RegisterFlightServiceServer(s.grpc, s)
	return s
}

// Start connects to metad and loads the catalog cache (when Config.Metad is
// set); call it before Serve. It fails if the disk cache (Config.DiskCacheDir)
// could not be opened.
func (s *Server) Start(ctx context.Context) error {
	if s.diskErr != nil {
		return s.diskErr
	}
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
	cat, err := catsync.Start(ctx, catsync.Config{Metad: mc, Node: node, Metrics: s.metrics.reg, Logf: s.cfg.Logf})
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
	if s.disk != nil {
		s.disk.Close()
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
	s.metrics.fragments.Inc()
	s.metrics.running.Add(1)
	defer s.metrics.running.Add(-1)

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

	return s.runFragment(ctx, cancel, &req, stream)
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

// DoAction serves small requests: catalog_stats, storage_stats, rewrite.
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
	case StorageStatsAction:
		body, _ := json.Marshal(s.StorageStats())
		return stream.Send(&flight.Result{Body: body})
	case exchange.AbortSessionAction:
		s.xreg().abort(string(a.Body))
		return nil
	}
	return exchange.Errorf(sqlerr.FeatureNotSupported, "unknown action %q", a.Type)
}
