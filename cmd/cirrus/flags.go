package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/storage/s3"
)

// storageFlags are the flags of every role that touches the object store.
type storageFlags struct {
	url, endpoint, region, access, secret *string
	tls                                   *bool
}

func addStorageFlags(fs *flag.FlagSet) *storageFlags {
	return &storageFlags{
		url:      fs.String("storage", "", "object store: s3://BUCKET[/PREFIX] or a directory (default DATA/objects)"),
		endpoint: fs.String("s3-endpoint", "", "S3 endpoint HOST:PORT (MinIO or S3)"),
		tls:      fs.Bool("s3-tls", true, "use HTTPS to the S3 endpoint"),
		region:   fs.String("s3-region", "us-east-1", "S3 region"),
		access:   fs.String("s3-access-key", "", "S3 access key (default $AWS_ACCESS_KEY_ID)"),
		secret:   fs.String("s3-secret-key", "", "S3 secret key (default $AWS_SECRET_ACCESS_KEY)"),
	}
}

// location returns the configured store location; dataDir/objects when
// --storage is not given.
func (f *storageFlags) location(dataDir string) storage.Location {
	l := storage.Location{URL: *f.url, S3Endpoint: *f.endpoint, S3Region: *f.region, S3TLS: *f.tls,
		S3AccessKey: *f.access, S3SecretKey: *f.secret}
	if l.URL == "" {
		l.URL = filepath.Join(dataDir, "objects")
	}
	return l
}

// withCredentials returns l (a location read from cluster.json, which holds
// no credentials) with the credentials of the flags.
func withCredentials(l storage.Location, f *storageFlags) storage.Location {
	l.S3AccessKey, l.S3SecretKey = *f.access, *f.secret
	return l
}

// open opens the configured store.
func (f *storageFlags) open(ctx context.Context, dataDir string) (storage.ObjectStore, error) {
	return s3.OpenLocation(ctx, f.location(dataDir))
}

// byteSize is a flag value in bytes written as 512MiB, 20GiB, 1.5GB or a
// plain number of bytes.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(strings.ToLower(t), strings.ToLower(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 512MiB, 20GiB or a number of bytes)", s)
	}
	return int64(v * mult), nil
}

func sizeFlag(fs *flag.FlagSet, name string, def int64, usage string) *int64 {
	b := byteSize(def)
	fs.Var(&b, name, usage)
	return (*int64)(&b)
}

// serveHTTP serves the role's health endpoints and metrics on addr (when
// not empty): /healthz answers 200 while the process runs (liveness),
// /readyz 200 when ready() returns nil and 503 with the reason otherwise
// (readiness), /metrics the registries regs returns and the process's Go
// runtime metrics in Prometheus's text format. Go's pprof profiles are
// under /debug/pprof/.
func serveHTTP(addr string, ready func(context.Context) error, regs func() []*metrics.Registry) {
	if addr == "" {
		return
	}
	proc := metrics.NewRegistry()
	metrics.RegisterRuntime(proc)
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/", http.DefaultServeMux)
	mux.Handle("/metrics", metrics.Handler(func() []*metrics.Registry { return append(regs(), proc) }))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	l, err := listenAndLog(addr, "http (health, metrics)")
	if err != nil {
		log.Printf("--http %s: %v", addr, err)
		os.Exit(1)
	}
	go func() {
		if err := http.Serve(l, mux); err != nil {
			log.Printf("http: %v", err)
		}
	}()
}
