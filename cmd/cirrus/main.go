// Command cirrus runs any Cirrus role.
//
//	cirrus dev [--data DIR] [--port 5433] [--coordinators N] [--participants M] [--tpch SF] [--http ADDR] [storage flags]
//	           [--tls-cert FILE --tls-key FILE] [--hba FILE]
//	cirrus metad [--listen ADDR] [--etcd-endpoints URLS | --etcd-dir DIR] [--http ADDR]
//	cirrus participant [--listen ADDR] [--advertise ADDR] --metad ADDR [--data DIR] [storage flags]
//	                   [--cache-dir DIR] [--cache-size SIZE] [--memory-cache SIZE] [--http ADDR]
//	cirrus coordinator [--listen ADDR] [--advertise ADDR] [--peer-listen ADDR] [--peer-advertise ADDR] --metad ADDR --participants ADDR,... [--data DIR]
//	                   [storage flags] [--gc-interval D] [--gc-grace D] [--http ADDR]
//	                   [--tls-cert FILE --tls-key FILE] [--hba FILE]
//	cirrus tpch load|run|gen|refresh [flags]   (cirrus tpch for details)
//
// Storage flags: --storage s3://BUCKET/PREFIX | DIR (default DATA/objects), --s3-endpoint HOST:PORT,
// --s3-tls, --s3-region, --s3-access-key, --s3-secret-key (default $AWS_ACCESS_KEY_ID,
// $AWS_SECRET_ACCESS_KEY). deploy/README.md is the full reference.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // --pprof
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/cirrusdb/cirrus/coordinator"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/participant"
	"github.com/cirrusdb/cirrus/storage/s3"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "dev":
		err = runDev(ctx, os.Args[2:])
	case "metad":
		err = runMetad(ctx, os.Args[2:])
	case "participant":
		err = runParticipant(ctx, os.Args[2:])
	case "coordinator":
		err = runCoordinator(ctx, os.Args[2:])
	case "tpch":
		err = runTPCH(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cirrus:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cirrus dev|metad|coordinator|participant|tpch [flags]")
	os.Exit(2)
}

func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	dir := fs.String("data", "./data", "data directory (etcd, objects)")
	port := fs.Int("port", 5433, "PostgreSQL port of the first coordinator")
	nc := fs.Int("coordinators", 1, "number of coordinators")
	np := fs.Int("participants", 2, "number of participants")
	tpchSF := fs.Float64("tpch", 0, "on a data directory without tables, generate and load TPC-H at this scale factor first")
	pprofAddr := fs.String("pprof", "", "serve Go's net/http/pprof profiles on this address (e.g. 127.0.0.1:6060)")
	httpAddr := fs.String("http", "", "serve /healthz, /readyz and every node's /metrics on this address")
	sf := addStorageFlags(fs)
	cacheSize := sizeFlag(fs, "cache-size", participant.DefaultDiskCacheBytes, "participants' disk cache of object bytes, with S3 storage")
	wf := addWireFlags(fs)
	fs.Parse(args)
	wire, err := wf.options()
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		go func() {
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				log.Printf("pprof: %v", err)
			}
		}()
	}
	cfg := devcluster.Config{Dir: *dir, Port: *port, Coordinators: *nc, Participants: *np, Wire: wire}
	if *sf.url != "" {
		loc := sf.location(*dir)
		cfg.Storage = &loc
		if loc.IsS3() {
			cfg.DiskCacheBytes = *cacheSize
		}
	}
	c, err := devcluster.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	serveHTTP(*httpAddr, func(context.Context) error { return nil }, c.Metrics)
	if *tpchSF > 0 {
		if err := devLoadTPCH(ctx, c, *tpchSF); err != nil {
			return fmt.Errorf("--tpch: %w", err)
		}
	}
	fmt.Printf("Cirrus is running: metad %s, participants %s\n", c.MetadAddr, strings.Join(c.ParticipantAddrs, ", "))
	for _, a := range c.PGAddrs {
		_, p, _ := net.SplitHostPort(a)
		fmt.Printf("Connect with:  psql -h 127.0.0.1 -p %s -U cirrus cirrus\n", p)
	}
	fmt.Println("Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Println("\nstopping")
	return nil
}

func listenAndLog(addr, what string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	log.Printf("%s listening on %s", what, l.Addr())
	return l, nil
}

func runMetad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("metad", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:7100", "gRPC listen address")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated etcd endpoints (default: run an embedded etcd)")
	etcdDir := fs.String("etcd-dir", "./data/etcd", "embedded etcd data directory")
	etcdClient := fs.String("etcd-listen", "127.0.0.1:2379", "embedded etcd client address")
	etcdPeer := fs.String("etcd-peer", "127.0.0.1:2380", "embedded etcd peer address")
	prefix := fs.String("prefix", "", "etcd key prefix (default /cirrus)")
	httpAddr := fs.String("http", "", "serve /healthz, /readyz and /metrics on this address")
	fs.Parse(args)
	var eps []string
	if *endpoints != "" {
		eps = strings.Split(*endpoints, ",")
	} else {
		ee, err := metad.StartEtcd(ctx, *etcdDir, *etcdClient, *etcdPeer)
		if err != nil {
			return err
		}
		defer ee.Close()
		eps = ee.Endpoints()
	}
	srv, err := metad.NewServer(ctx, metad.Config{Endpoints: eps, Prefix: *prefix})
	if err != nil {
		return err
	}
	defer srv.Close()
	serveHTTP(*httpAddr, srv.Ready, func() []*metrics.Registry { return []*metrics.Registry{srv.Metrics()} })
	l, err := listenAndLog(*addr, "metad")
	if err != nil {
		return err
	}
	go srv.Serve(l)
	<-ctx.Done()
	return nil
}

func runParticipant(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("participant", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:7200", "Arrow Flight listen address")
	advertise := fs.String("advertise", "", "address other nodes reach this participant at (default --listen)")
	dir := fs.String("data", "./data", "data directory (objects under DIR/objects by default; disk cache under DIR/cache)")
	metadAddr := fs.String("metad", "", "metad address (catalog cache and catch-up; optional)")
	sf := addStorageFlags(fs)
	cacheDir := fs.String("cache-dir", "", "disk cache of object bytes (default DATA/cache with S3 storage, none with a directory)")
	cacheSize := sizeFlag(fs, "cache-size", participant.DefaultDiskCacheBytes, "bound of the disk cache")
	memCache := sizeFlag(fs, "memory-cache", participant.DefaultCacheBytes, "bound of the in-memory cache of decoded column chunks")
	httpAddr := fs.String("http", "", "serve /healthz, /readyz and /metrics on this address")
	fs.Parse(args)
	if *advertise == "" {
		*advertise = *addr
	}
	loc := sf.location(*dir)
	if *cacheDir == "" && loc.IsS3() {
		*cacheDir = filepath.Join(*dir, "cache")
	}
	store, err := s3.OpenLocation(ctx, loc)
	if err != nil {
		return err
	}
	defer store.Close()
	p := participant.New(participant.Config{Store: store, Metad: *metadAddr, NodeID: "participant-" + *advertise, Addr: *advertise,
		CacheBytes: *memCache, DiskCacheDir: *cacheDir, DiskCacheBytes: *cacheSize})
	if err := p.Start(ctx); err != nil {
		return err
	}
	defer p.Close()
	serveHTTP(*httpAddr, func(context.Context) error { return p.Ready() }, func() []*metrics.Registry { return []*metrics.Registry{p.Metrics()} })
	l, err := listenAndLog(*addr, "participant")
	if err != nil {
		return err
	}
	go p.Serve(l)
	<-ctx.Done()
	return nil
}

func runCoordinator(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("coordinator", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:5433", "PostgreSQL listen address")
	advertise := fs.String("advertise", "", "address this coordinator registers with metad (default --listen)")
	peerListen := fs.String("peer-listen", "", "address of the peer service other coordinators call (default: --listen's host, a free port)")
	peerAdvertise := fs.String("peer-advertise", "", "address other coordinators reach the peer service at (default: --advertise's host, --peer-listen's port)")
	metadAddr := fs.String("metad", "127.0.0.1:7100", "metad address")
	parts := fs.String("participants", "127.0.0.1:7200", "comma-separated participant addresses")
	dir := fs.String("data", "./data", "data directory (objects under DIR/objects by default)")
	catFile := fs.String("catalog-file", "", "relcache file (default DIR/coordinator/relcache)")
	sf := addStorageFlags(fs)
	gcInterval := fs.Duration("gc-interval", coordinator.DefaultGCInterval, "how often unreferenced objects are collected (negative: never)")
	gcGrace := fs.Duration("gc-grace", coordinator.DefaultGCGrace, "age below which unreferenced objects are kept")
	httpAddr := fs.String("http", "", "serve /healthz, /readyz and /metrics on this address")
	wf := addWireFlags(fs)
	fs.Parse(args)
	wire, err := wf.options()
	if err != nil {
		return err
	}
	if *advertise == "" {
		*advertise = *addr
	}
	if *catFile == "" {
		*catFile = filepath.Join(*dir, "coordinator", "relcache")
	}
	store, err := sf.open(ctx, *dir)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := os.MkdirAll(filepath.Dir(*catFile), 0o755); err != nil {
		return err
	}
	if *peerListen == "" {
		host, _, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("--listen %q: %w", *addr, err)
		}
		*peerListen = net.JoinHostPort(host, "0")
	}
	pl, err := listenAndLog(*peerListen, "coordinator peer service")
	if err != nil {
		return err
	}
	defer pl.Close()
	if *peerAdvertise == "" {
		host, _, err := net.SplitHostPort(*advertise)
		if err != nil {
			return fmt.Errorf("--advertise %q: %w", *advertise, err)
		}
		*peerAdvertise = net.JoinHostPort(host, strconv.Itoa(pl.Addr().(*net.TCPAddr).Port))
	}
	co, err := coordinator.New(ctx, coordinator.Config{Metad: *metadAddr, Participants: strings.Split(*parts, ","), Store: store,
		CatalogFile: *catFile, NodeID: "coordinator-" + *advertise, Addr: *advertise, PeerAddr: *peerAdvertise,
		GCInterval: *gcInterval, GCGrace: *gcGrace})
	if err != nil {
		return err
	}
	defer co.Close()
	serveHTTP(*httpAddr, func(context.Context) error { return co.Ready() }, func() []*metrics.Registry { return []*metrics.Registry{co.Metrics()} })
	srv := pgwire.NewServer(co, co.WireOptions(wire))
	defer srv.Close()
	l, err := listenAndLog(*addr, "coordinator")
	if err != nil {
		return err
	}
	go srv.Serve(l)
	go co.ServePeer(pl, srv)
	<-ctx.Done()
	return nil
}
