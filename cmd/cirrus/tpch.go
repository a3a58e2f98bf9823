package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/tpch"
	"github.com/cirrusdb/cirrus/internal/tpch/dbgen"
	"github.com/cirrusdb/cirrus/storage/s3"
)

const tpchUsage = `usage:
  cirrus tpch load [--data DIR] [--from TBLDIR | --sf X] [--tables LIST] [--replace]
                   [--dsn URL] [--metad ADDR] [--storage URL|DIR] [s3 flags] [--parallel N]
  cirrus tpch run  [--data DIR] [--dsn URL] [--queries LIST] [--runs N] [--check ANSWERDIR]
                   [--dir QUERYDIR] [--timeout D]
  cirrus tpch gen  --sf X [--out DIR] [--tables LIST] [--parallel N]
  cirrus tpch refresh [--data DIR] [--dsn URL] [--sf X] [--set N] [--rf1] [--rf2]
                   [--rf2-dbgen] [--checksums]
  cirrus tpch ddl

load creates the 8 TPC-H tables (with SQL through a coordinator) and loads
them: .tbl rows (TBLDIR/<table>.tbl, or generated in process at scale
factor X) are parsed on all cores and written as Parquet data files straight
to the object store; each table is committed as one transaction through
metad. Tables that exist must be empty, unless --replace (drop and create).

Where the cluster is: a running 'cirrus dev --data DIR' writes
DIR/cluster.json (metad address, PostgreSQL addresses, object store
location); --data defaults to ./data. --metad, --dsn and --storage
override it (without cluster.json, all of --metad and --dsn are needed and
the objects are under DIR/objects unless --storage says otherwise). For an
s3:// location give --s3-endpoint, --s3-tls, --s3-region as for the
other roles; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
or --s3-access-key/--s3-secret-key.

run runs the TPC-H queries (QUERYDIR/qNN.sql, default ../shared/tpch/queries,
the shared queries seen from the repository root) over the PostgreSQL
protocol, each --runs times, and prints the median time and row count per
query; with --check it compares each answer with ANSWERDIR/qNN.out
(canonical form, e.g. ../shared/tpch/answers-sf0.01). A failing query is
reported and the run goes on. LIST is e.g. 1,3,5-7.

gen writes OUT/<table>.tbl (default .) with the in-process generator.

ddl prints the CREATE TABLE statements load runs, for another database
(PostgreSQL, to compare with it).

refresh runs the TPC-H refresh functions of refresh set N (default 1) over
the PostgreSQL protocol (default: both, RF1 then RF2). RF1 inserts the set's
new orders and their lineitems (dbgen -U N's orders.tbl.uN and
lineitem.tbl.uN, generated in process) with COPY, in one transaction. RF2
deletes orders and their lineitems in one transaction (keys copied into a
scratch table, DELETE ... WHERE key IN (SELECT ...), scratch table dropped):
by default the orders RF1 of set N inserts, so that RF1 then RF2 leave the
tables exactly as they were; with --rf2-dbgen dbgen's delete list (delete.N:
old orders, as the specification's RF2 deletes). The scale factor is read
from the customer table unless --sf. --checksums prints checksums of orders
and lineitem (row count, key and price sums, hash of the rows) before and
after each function.
`

func runTPCH(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, tpchUsage)
		os.Exit(2)
	}
	switch args[0] {
	case "load":
		return tpchLoad(ctx, args[1:])
	case "run":
		return tpchRun(ctx, args[1:])
	case "gen":
		return tpchGen(ctx, args[1:])
	case "refresh":
		return tpchRefresh(ctx, args[1:])
	case "ddl":
		for _, t := range tpch.Tables {
			fmt.Printf("%s;\n", tpch.DDL[t])
		}
		return nil
	}
	fmt.Fprint(os.Stderr, tpchUsage)
	os.Exit(2)
	return nil
}

func tpchFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("tpch "+name, flag.ExitOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, tpchUsage) }
	return fs
}

// clusterEndpoints resolves metad and DSN from flags and DATA/cluster.json.
func clusterEndpoints(data, metadAddr, dsn string, needMetad bool) (string, string, *devcluster.Info, error) {
	info, err := devcluster.ReadInfo(data)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", nil, err
	}
	if info != nil {
		if metadAddr == "" {
			metadAddr = info.Metad
		}
		if dsn == "" {
			dsn = info.DSN()
		}
	}
	if dsn == "" || needMetad && metadAddr == "" {
		return "", "", nil, fmt.Errorf("no running cluster found: %s is missing (start 'cirrus dev --data %s', or give --dsn and --metad)",
			filepath.Join(data, devcluster.InfoFile), data)
	}
	return metadAddr, dsn, info, nil
}

func tpchLoad(ctx context.Context, args []string) error {
	fs := tpchFlags("load")
	data := fs.String("data", "./data", "data directory of the running 'cirrus dev' (reads DIR/cluster.json)")
	from := fs.String("from", "", "directory with <table>.tbl files")
	sf := fs.Float64("sf", 0, "generate the data in process at this scale factor (instead of --from)")
	tables := fs.String("tables", "", "comma-separated tables (default all 8)")
	replace := fs.Bool("replace", false, "drop and recreate tables that exist")
	dsn := fs.String("dsn", "", "PostgreSQL connection string of a coordinator")
	metadAddr := fs.String("metad", "", "metad address")
	sflags := addStorageFlags(fs)
	parallel := fs.Int("parallel", 0, "parsing/writing goroutines (default: all cores)")
	fs.Parse(args)
	if (*from == "") == (*sf == 0) {
		return errors.New("tpch load: give exactly one of --from DIR and --sf X")
	}
	ts, err := tpch.ParseTables(*tables)
	if err != nil {
		return err
	}
	m, d, info, err := clusterEndpoints(*data, *metadAddr, *dsn, true)
	if err != nil {
		return err
	}
	var src tpch.Source
	what := ""
	if *from != "" {
		src, what = &tpch.DirSource{Dir: *from}, *from
	} else {
		src, what = &tpch.GenSource{SF: *sf}, fmt.Sprintf("generated at SF %g", *sf)
	}
	loc := sflags.location(*data)
	if *sflags.url == "" && info != nil {
		loc = withCredentials(info.Storage, sflags)
	}
	store, err := s3.OpenLocation(ctx, loc)
	if err != nil {
		return err
	}
	defer store.Close()
	return load(ctx, tpch.LoadConfig{DSN: d, Metad: m, Store: store, Source: src, Tables: ts, Replace: *replace, Parallel: *parallel}, what)
}

// load runs a load with a progress display and a summary.
func load(ctx context.Context, cfg tpch.LoadConfig, what string) error {
	defer cfg.Source.Close()
	fmt.Printf("loading TPC-H (%s)\n", what)
	cfg.Progress = os.Stdout
	start := time.Now()
	res, err := tpch.Load(ctx, cfg)
	if err != nil {
		return err
	}
	el := time.Since(start)
	var rows, bytes int64
	files := 0
	for _, r := range res {
		rows += r.Rows
		bytes += r.Bytes
		files += r.Files
	}
	fmt.Printf("loaded %d rows into %d tables (%d files, %.1f MB) in %.2fs: %.0f rows/s\n",
		rows, len(res), files, float64(bytes)/1e6, el.Seconds(), float64(rows)/el.Seconds())
	return nil
}

func tpchRun(ctx context.Context, args []string) error {
	fs := tpchFlags("run")
	data := fs.String("data", "./data", "data directory of the running 'cirrus dev' (reads DIR/cluster.json)")
	dsn := fs.String("dsn", "", "PostgreSQL connection string (default: from cluster.json, else port 5433 on localhost)")
	queries := fs.String("queries", "", "queries to run, e.g. 1,3,5-7 (default all 22)")
	runs := fs.Int("runs", 1, "runs per query (the median is reported)")
	check := fs.String("check", "", "directory of reference answers qNN.out to compare with")
	dir := fs.String("dir", "../shared/tpch/queries", "directory of q01.sql … q22.sql")
	timeout := fs.Duration("timeout", 10*time.Minute, "time limit per query run")
	fs.Parse(args)
	qs, err := tpch.ParseQueries(*queries)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*dir); err != nil {
		return fmt.Errorf("query directory: %w (give --dir)", err)
	}
	if *dsn == "" {
		if _, d, _, err := clusterEndpoints(*data, "", "", false); err == nil {
			*dsn = d
		} else {
			*dsn = "postgres://cirrus@127.0.0.1:5433/cirrus?sslmode=disable"
		}
	}
	_, err = tpch.RunQueries(ctx, tpch.RunConfig{DSN: *dsn, Dir: *dir, Queries: qs, Runs: *runs, Check: *check, Timeout: *timeout, Out: os.Stdout})
	return err
}

func tpchGen(ctx context.Context, args []string) error {
	fs := tpchFlags("gen")
	sf := fs.Float64("sf", 0, "scale factor")
	out := fs.String("out", ".", "output directory")
	tables := fs.String("tables", "", "comma-separated tables (default all 8)")
	parallel := fs.Int("parallel", 0, "generator goroutines (default: one per core)")
	fs.Parse(args)
	if *sf <= 0 {
		return errors.New("tpch gen: --sf is required")
	}
	ts, err := tpch.ParseTables(*tables)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	prog := newGenProgress(os.Stdout)
	err = dbgen.Generate(ctx, *out, dbgen.Options{SF: *sf, Tables: ts, Parallel: *parallel, Progress: prog.update})
	prog.finish()
	if err != nil {
		return err
	}
	fmt.Printf("generated SF %g in %s in %.2fs\n", *sf, *out, time.Since(start).Seconds())
	return nil
}

// devLoadTPCH loads TPC-H at sf into a just-started dev cluster whose
// catalog has no tables.
func devLoadTPCH(ctx context.Context, c *devcluster.Cluster, sf float64) error {
	n, err := tpch.UserTables(ctx, c.MetadAddr)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Printf("--tpch: the data directory already has %d tables; not loading TPC-H\n", n)
		return nil
	}
	info := c.Info()
	store, err := s3.OpenLocation(ctx, info.Storage)
	if err != nil {
		return err
	}
	defer store.Close()
	return load(ctx, tpch.LoadConfig{DSN: info.DSN(), Metad: info.Metad, Store: store, Source: &tpch.GenSource{SF: sf}},
		fmt.Sprintf("generated at SF %g", sf))
}
