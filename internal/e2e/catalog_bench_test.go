package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/catsync"
	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Catalog benchmarks. Run with
//
//	go test -run '^$' -bench 'DDLApplied|ColdStart10kTables|FragmentCatalogBytes' -benchtime 200x ./internal/e2e/
//
// (under a minute; BenchmarkColdStart10kTables builds its 10,000-table
// catalog once per b.N round, and each iteration starts two nodes).

// ddlPercentile returns the p-th percentile (0 < p <= 1) of sorted durations
// in milliseconds.
func ddlPercentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

// BenchmarkDDLApplied times ALTER TABLE ADD/DROP COLUMN on coordinator 0 of
// a 2-coordinator, 3-participant cluster. A commit returns only after every
// live node applied it, so a statement's latency is commit →
// applied-everywhere (plus parsing, binding and the metad commit).
//
// back-to-back runs the statements one after the other; spaced-50ms pauses
// 50 ms (untimed) between them, which shows the latency of a lone DDL:
// nodes coalesce their applied reports to one per 20 ms, which paces
// back-to-back DDL.
func BenchmarkDDLApplied(b *testing.B) {
	b.Run("back-to-back", func(b *testing.B) { benchDDLApplied(b, 0) })
	b.Run("spaced-50ms", func(b *testing.B) { benchDDLApplied(b, 50*time.Millisecond) })
}

func benchDDLApplied(b *testing.B, pause time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: b.TempDir(), Coordinators: 2, Participants: 3, Logf: b.Logf})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	var notices atomic.Int64
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.PGAddrs[0]))
	if err != nil {
		b.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices.Add(1)
		b.Logf("NOTICE: %s", n.Message)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	exec1(b, conn, `CREATE TABLE ddl_bench (k bigint NOT NULL, v text)`)
	exec1(b, conn, `INSERT INTO ddl_bench VALUES (1, 'a'), (2, 'b')`)
	// Every commit waits for all five nodes: check they are registered.
	mc, err := metad.Dial(ctx, c.MetadAddr)
	if err != nil {
		b.Fatal(err)
	}
	defer mc.Close()
	if nodes, err := mc.Nodes(ctx); err != nil || len(nodes) != 5 {
		b.Fatalf("registered nodes: %v %v; want 2 coordinators and 3 participants", nodes, err)
	}

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		col := fmt.Sprintf("c%d", i/2)
		sql := fmt.Sprintf(`ALTER TABLE ddl_bench ADD COLUMN %s integer`, col)
		if i%2 == 1 {
			sql = fmt.Sprintf(`ALTER TABLE ddl_bench DROP COLUMN %s`, col)
		}
		start := time.Now()
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
		lat = append(lat, time.Since(start))
		if pause > 0 {
			b.StopTimer()
			time.Sleep(pause)
			b.StartTimer()
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(ddlPercentile(lat, 0.50), "p50-ms")
	b.ReportMetric(ddlPercentile(lat, 0.99), "p99-ms")
	b.ReportMetric(float64(notices.Load()), "lag-notices")
}

// BenchmarkColdStart10kTables times a node's start (catsync.Start: load
// the catalog and join the queue) against a metad holding 10,000 tables,
// without and with a relcache file.
func BenchmarkColdStart10kTables(b *testing.B) {
	const tables, batch, cols = 10_000, 500, 6
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := b.TempDir()
	ee, err := metad.StartEtcd(ctx, filepath.Join(dir, "etcd"), "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ee.Close)
	srv, err := metad.NewServer(ctx, metad.Config{Endpoints: ee.Endpoints()})
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	mc, err := metad.Dial(ctx, l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mc.Close() })

	types := []catalog.Type{{Kind: catalog.Int8}, {Kind: catalog.Text}, catalog.NumericType(12, 2),
		{Kind: catalog.Date}, {Kind: catalog.Bool}, {Kind: catalog.Varchar, Length: 40}}
	first, err := mc.AllocOIDs(ctx, tables)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Now()
	for lo := 0; lo < tables; lo += batch {
		ops := make([]metad.Op, 0, batch)
		for i := lo; i < min(lo+batch, tables); i++ {
			t := &catalog.Table{OID: first + catalog.OID(i), Namespace: catalog.PublicNamespace,
				Name: fmt.Sprintf("cold_%05d", i), PrimaryKey: []int{0},
				Manifest: fmt.Sprintf("tables/%d/manifests/00000001.json", first+catalog.OID(i))}
			for j := 0; j < cols; j++ {
				t.Columns = append(t.Columns, catalog.Column{Name: fmt.Sprintf("col_%d", j), Type: types[j%len(types)], NotNull: j == 0})
			}
			ops = append(ops, metad.Op{Put: &catalog.Object{Table: t}})
		}
		if _, err := mc.Commit(ctx, ops); err != nil {
			b.Fatalf("commit tables %d..: %v", lo, err)
		}
	}
	b.Logf("created %d tables in %v", tables, time.Since(setup))

	quiet := func(string, ...any) {}
	file := filepath.Join(dir, "relcache")
	start := func(file string) (time.Duration, *catsync.Node) {
		t0 := time.Now()
		n, err := catsync.Start(ctx, catsync.Config{Metad: mc, File: file, Logf: quiet})
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if cat, _ := n.Snapshot(); cat.Len() != tables+2 {
			b.Fatalf("node holds %d objects, want %d", cat.Len(), tables+2)
		}
		return d, n
	}
	// Write the file once (a node's Close saves it).
	_, n := start(file)
	n.Close()
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}

	var without, with time.Duration
	var reqWith int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, n := start("")
		without += d
		b.StopTimer()
		n.Close()

		// A change committed while the node was down: the start with the
		// file catches up with one range read and one object read.
		changed := first + catalog.OID(i%tables)
		vs, _, err := mc.GetVersions(ctx, changed)
		if err != nil {
			b.Fatal(err)
		}
		got, _, err := mc.Get(ctx, changed)
		if err != nil {
			b.Fatal(err)
		}
		t := *got[changed].Table
		t.Columns = append(append([]catalog.Column(nil), t.Columns...), catalog.Column{Name: fmt.Sprintf("added_%d", i), Type: catalog.TypeInt4})
		if _, err := mc.Commit(ctx, []metad.Op{{Put: &catalog.Object{Table: &t}, ExpectVersion: vs[changed]}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		d, n = start(file)
		with += d
		st := n.Cache().Stats()
		if st.FileLoads != 1 || st.Loads != 0 {
			b.Fatalf("start with a file did not use it: %+v", st)
		}
		reqWith += st.SourceRequests
		b.StopTimer()
		n.Close() // saves the file again
		b.StartTimer()
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(without), "ms-without-file")
	b.ReportMetric(ms(with), "ms-with-file")
	b.ReportMetric(float64(reqWith)/float64(b.N), "metad-req-with-file")
	b.ReportMetric(float64(fi.Size()), "file-bytes")
}

// lineitemLike is a TPC-H lineitem-like table descriptor (16 columns), as a
// coordinator resolves it for a fragment.
func lineitemLike() *catalog.Table {
	dec := catalog.NumericType(15, 2)
	cols := []catalog.Column{
		{Name: "l_orderkey", Type: catalog.Type{Kind: catalog.Int8}, NotNull: true},
		{Name: "l_partkey", Type: catalog.Type{Kind: catalog.Int8}, NotNull: true},
		{Name: "l_suppkey", Type: catalog.Type{Kind: catalog.Int8}, NotNull: true},
		{Name: "l_linenumber", Type: catalog.Type{Kind: catalog.Int4}, NotNull: true},
		{Name: "l_quantity", Type: dec, NotNull: true},
		{Name: "l_extendedprice", Type: dec, NotNull: true},
		{Name: "l_discount", Type: dec, NotNull: true},
		{Name: "l_tax", Type: dec, NotNull: true},
		{Name: "l_returnflag", Type: catalog.Type{Kind: catalog.Bpchar, Length: 1}, NotNull: true},
		{Name: "l_linestatus", Type: catalog.Type{Kind: catalog.Bpchar, Length: 1}, NotNull: true},
		{Name: "l_shipdate", Type: catalog.Type{Kind: catalog.Date}, NotNull: true},
		{Name: "l_commitdate", Type: catalog.Type{Kind: catalog.Date}, NotNull: true},
		{Name: "l_receiptdate", Type: catalog.Type{Kind: catalog.Date}, NotNull: true},
		{Name: "l_shipinstruct", Type: catalog.Type{Kind: catalog.Bpchar, Length: 25}, NotNull: true},
		{Name: "l_shipmode", Type: catalog.Type{Kind: catalog.Bpchar, Length: 10}, NotNull: true},
		{Name: "l_comment", Type: catalog.Type{Kind: catalog.Varchar, Length: 44}, NotNull: true},
	}
	return &catalog.Table{OID: 16390, Namespace: catalog.PublicNamespace, Name: "lineitem", Columns: cols,
		PrimaryKey: []int{0, 3}, Manifest: "tables/16390/manifests/1718000000000000000-9f3a6c1d2b4e5f60.json",
		Version: 123456}
}

// BenchmarkFragmentCatalogBytes measures the catalog part of an encoded
// fragment: the JSON of the table descriptor inside the Scan of a
// lineitem-like table (all 16 columns scanned, no files).
func BenchmarkFragmentCatalogBytes(b *testing.B) {
	t := lineitemLike()
	scan := &plan.Scan{Table: t}
	for i := range t.Columns {
		scan.Cols = append(scan.Cols, i)
	}
	var tableBytes, fragBytes int
	for i := 0; i < b.N; i++ {
		enc, err := plan.Encode(scan)
		if err != nil {
			b.Fatal(err)
		}
		var w struct {
			Scan map[string]json.RawMessage `json:"scan"`
		}
		if err := json.Unmarshal(enc, &w); err != nil {
			b.Fatal(err)
		}
		tableBytes, fragBytes = len(w.Scan["table"]), len(enc)
	}
	if tableBytes == 0 {
		b.Fatal("no table in the encoded scan")
	}
	b.ReportMetric(float64(tableBytes), "bytes/fragment")
	b.ReportMetric(float64(fragBytes), "fragment-bytes")
}
