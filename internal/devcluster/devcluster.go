// Package devcluster starts a whole Cirrus cluster in one process: embedded
// etcd, metad, coordinators and participants. The roles still talk over
// loopback sockets with their real protocols (gRPC to metad, Arrow Flight
// between coordinators and participants, the PostgreSQL protocol to
// clients), so the distributed path is the path that runs. `cirrus dev` and
// the end-to-end tests use it.
package devcluster

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cirrusdb/cirrus/coordinator"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/participant"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/storage/s3"
)

// Config says what to start. Port 0 picks free ports for everything.
type Config struct {
	Dir          string
	Port         int
	Coordinators int
	Participants int
	// Storage is where objects live; nil: the directory Dir/objects.
	Storage *storage.Location
	// DiskCacheBytes, when positive, gives every participant a disk cache
	// of object bytes of this size under Dir/participant-N/cache (for S3
	// storage).
	DiskCacheBytes int64
	// Wire configures every coordinator's PostgreSQL listener (TLS, host
	// rules); see coordinator.WireOptions for what each coordinator adds.
	Wire pgwire.Options
	Logf func(format string, args ...any)
}

// Cluster is a running cluster.
type Cluster struct {
	// PGAddrs are the coordinators' PostgreSQL addresses.
	PGAddrs []string
	// MetadAddr and ParticipantAddrs are the internal endpoints.
	MetadAddr        string
	ParticipantAddrs []string

	etcd         *metad.EmbeddedEtcd
	metad        *metad.Server
	store        storage.ObjectStore
	location     storage.Location
	infoFile     string // cluster.json written at start, removed at close
	participants []*participant.Server
	coords       []*coordinator.Coordinator
	servers      []*pgwire.Server
	closeOnce    sync.Once
}

func listen(port int) (net.Listener, error) {
	return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
}

// Start starts the cluster; on error everything started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Cluster, err error) {
	if cfg.Coordinators <= 0 {
		cfg.Coordinators = 1
	}
	if cfg.Participants <= 0 {
		cfg.Participants = 2
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cluster{}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()

	c.etcd, err = metad.StartEtcd(ctx, filepath.Join(cfg.Dir, "etcd"), "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	c.metad, err = metad.NewServer(ctx, metad.Config{Endpoints: c.etcd.Endpoints()})
	if err != nil {
		return nil, fmt.Errorf("start metad: %w", err)
	}
	ml, err := listen(0)
	if err != nil {
		return nil, err
	}
	c.MetadAddr = ml.Addr().String()
	go c.metad.Serve(ml)

	if cfg.Storage != nil {
		c.location = *cfg.Storage
	} else {
		c.location.URL = filepath.Join(cfg.Dir, "objects")
	}
	if !c.location.IsS3() {
		if c.location.URL, err = filepath.Abs(strings.TrimPrefix(c.location.URL, "file://")); err != nil {
			return nil, err
		}
	}
	c.store, err = s3.OpenLocation(ctx, c.location)
	if err != nil {
		return nil, err
	}
	for i := 0; i < cfg.Participants; i++ {
		l, err := listen(0)
		if err != nil {
			return nil, err
		}
		pc := participant.Config{Store: c.store, Logf: cfg.Logf, Metad: c.MetadAddr,
			NodeID: fmt.Sprintf("participant-%d", i), Addr: l.Addr().String()}
		if cfg.DiskCacheBytes > 0 {
			pc.DiskCacheDir = filepath.Join(cfg.Dir, fmt.Sprintf("participant-%d", i), "cache")
			pc.DiskCacheBytes = cfg.DiskCacheBytes
		}
		p := participant.New(pc)
		if err := p.Start(ctx); err != nil {
			l.Close()
			return nil, err
		}
		c.ParticipantAddrs = append(c.ParticipantAddrs, l.Addr().String())
		c.participants = append(c.participants, p)
		go p.Serve(l)
	}
	for i := 0; i < cfg.Coordinators; i++ {
		cdir := filepath.Join(cfg.Dir, fmt.Sprintf("coordinator-%d", i))
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			return nil, err
		}
		pl, err := listen(0)
		if err != nil {
			return nil, err
		}
		co, err := coordinator.New(ctx, coordinator.Config{
			Metad: c.MetadAddr, Participants: c.ParticipantAddrs, Store: c.store, Logf: cfg.Logf,
			CatalogFile: filepath.Join(cdir, "relcache"), NodeID: fmt.Sprintf("coordinator-%d", i),
			PeerAddr: pl.Addr().String(),
		})
		if err != nil {
			pl.Close()
			return nil, err
		}
		c.coords = append(c.coords, co)
		port := 0
		if cfg.Port != 0 {
			port = cfg.Port + i
		}
		l, err := listen(port)
		if err != nil {
			pl.Close()
			return nil, fmt.Errorf("coordinator %d: %w", i, err)
		}
		srv := pgwire.NewServer(co, co.WireOptions(cfg.Wire))
		c.servers = append(c.servers, srv)
		c.PGAddrs = append(c.PGAddrs, l.Addr().String())
		go srv.Serve(l)
		go co.ServePeer(pl, srv)
	}
	if err := writeInfo(cfg.Dir, c.Info()); err != nil {
		return nil, err
	}
	c.infoFile = filepath.Join(cfg.Dir, InfoFile)
	return c, nil
}

// Metrics returns the registries of every node: metad, the participants,
// the coordinators (with their PostgreSQL servers'). A restarted
// participant's replaces the old one's.
func (c *Cluster) Metrics() []*metrics.Registry {
	regs := []*metrics.Registry{c.metad.Metrics()}
	for _, p := range c.participants {
		regs = append(regs, p.Metrics())
	}
	for _, co := range c.coords {
		regs = append(regs, co.Metrics())
	}
	return regs
}

// Close stops everything, clients first. It may be called more than once.
func (c *Cluster) Close() { c.closeOnce.Do(c.close) }

func (c *Cluster) close() {
	if c.infoFile != "" {
		os.Remove(c.infoFile)
	}
	for _, s := range c.servers {
		s.Close()
	}
	for _, co := range c.coords {
		co.Close()
	}
	for _, p := range c.participants {
		p.Close()
	}
	if c.metad != nil {
		c.metad.Close()
	}
	if c.etcd != nil {
		c.etcd.Close()
	}
	if c.store != nil {
		c.store.Close()
	}
}
