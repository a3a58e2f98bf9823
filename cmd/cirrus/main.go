// Command cirrus runs any Cirrus role.
//
//	cirrus dev [--data DIR] [--port 5433] [--coordinators N] [--participants M] [--tpch SF]
//	cirrus metad [--listen ADDR] [--etcd-endpoints URLS | --etcd-dir DIR]
//	cirrus participant [--listen ADDR] [--data DIR]
//	cirrus coordinator [--listen ADDR] --metad ADDR --participants ADDR,... [--data DIR]
//	cirrus tpch load|run|gen [flags]   (cirrus tpch for details)
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
	"strings"
	"syscall"

	"github.com/cirrusdb/cirrus/coordinator"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/participant"
	"github.com/cirrusdb/cirrus/storage"
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
	fs.Parse(args)
	if *pprofAddr != "" {
		go func() {
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				log.Printf("pprof: %v", err)
			}
		}()
	}
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: *dir, Port: *port, Coordinators: *nc, Participants: *np})
	if err != nil {
		return err
	}
	defer c.Close()
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
	l, err := listenAndLog(*addr, "metad")
	if err != nil {
		return err
	}
	go srv.Serve(l)
	<-ctx.Done()
	return nil
}

func openStore(dir string) (storage.ObjectStore, error) {
	return storage.NewLocal(filepath.Join(dir, "objects"))
}

func runParticipant(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("participant", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:7200", "Arrow Flight listen address")
	dir := fs.String("data", "./data", "data directory (objects under DIR/objects)")
	metadAddr := fs.String("metad", "", "metad address (catalog cache and catch-up; optional)")
	fs.Parse(args)
	store, err := openStore(*dir)
	if err != nil {
		return err
	}
	p := participant.New(participant.Config{Store: store, Metad: *metadAddr, NodeID: "participant-" + *addr, Addr: *addr})
	if err := p.Start(ctx); err != nil {
		return err
	}
	defer p.Close()
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
	metadAddr := fs.String("metad", "127.0.0.1:7100", "metad address")
	parts := fs.String("participants", "127.0.0.1:7200", "comma-separated participant addresses")
	dir := fs.String("data", "./data", "data directory (objects under DIR/objects)")
	catFile := fs.String("catalog-file", "", "relcache file (default DIR/coordinator/relcache)")
	fs.Parse(args)
	if *catFile == "" {
		*catFile = filepath.Join(*dir, "coordinator", "relcache")
	}
	store, err := openStore(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*catFile), 0o755); err != nil {
		return err
	}
	co, err := coordinator.New(ctx, coordinator.Config{Metad: *metadAddr, Participants: strings.Split(*parts, ","), Store: store,
		CatalogFile: *catFile, NodeID: "coordinator-" + *addr, Addr: *addr})
	if err != nil {
		return err
	}
	defer co.Close()
	srv := pgwire.NewServer(co, pgwire.Options{})
	defer srv.Close()
	l, err := listenAndLog(*addr, "coordinator")
	if err != nil {
		return err
	}
	go srv.Serve(l)
	<-ctx.Done()
	return nil
}
