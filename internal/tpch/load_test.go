package tpch_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/tpch"
	"github.com/cirrusdb/cirrus/storage/s3"
)

const shared = "../../../shared/tpch"

// passing are the TPC-H queries whose answers at SF 0.01 must match the
// reference: today all 22. (Add queries here as the planner learns them;
// a query that fails is reported by the run, which goes on.)
var passing = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22}

// tbl reads a .tbl file's rows as fields.
func tbl(t *testing.T, table string) [][]string {
	f, err := os.Open(filepath.Join(shared, "sf0.01", table+".tbl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rows = append(rows, strings.Split(strings.TrimSuffix(sc.Text(), "|"), "|"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// cents sums a decimal(15,2) column exactly.
func cents(rows [][]string, col int) string {
	var sum int64
	for _, r := range rows {
		s := r[col]
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		ip, fp, _ := strings.Cut(s, ".")
		fp = (fp + "00")[:2]
		v, err := strconv.ParseInt(ip+fp, 10, 64)
		if err != nil {
			panic(err)
		}
		if neg {
			v = -v
		}
		sum += v
	}
	sign := ""
	if sum < 0 {
		sign, sum = "-", -sum
	}
	return fmt.Sprintf("%s%d.%02d", sign, sum/100, sum%100)
}

func distinct(rows [][]string, col int) string {
	m := map[string]bool{}
	for _, r := range rows {
		m[r[col]] = true
	}
	return fmt.Sprint(len(m))
}

func count(rows [][]string, pred func([]string) bool) string {
	n := 0
	for _, r := range rows {
		if pred(r) {
			n++
		}
	}
	return fmt.Sprint(n)
}

func minMax(rows [][]string, col int) string {
	lo, hi := rows[0][col], rows[0][col]
	for _, r := range rows {
		lo, hi = min(lo, r[col]), max(hi, r[col])
	}
	return lo + "|" + hi
}

func query(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var fs []string
		for _, v := range rows.RawValues() {
			fs = append(fs, string(v))
		}
		out = append(out, strings.Join(fs, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return strings.Join(out, "\n")
}

// TestLoadAndRun loads SF 0.01 from the shared .tbl files into a cluster
// with 2 participants (several files per table), checks the data against
// the files, and runs the TPC-H queries with --check.
func TestLoadAndRun(t *testing.T) {
	if _, err := os.Stat(filepath.Join(shared, "sf0.01", "lineitem.tbl")); err != nil {
		t.Skip("TPC-H SF 0.01 data not available")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: dir, Participants: 2, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := devcluster.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := s3.OpenLocation(ctx, info.Storage)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const perFile = 7000
	cfg := tpch.LoadConfig{DSN: info.DSN(), Metad: info.Metad, Store: store, Source: &tpch.DirSource{Dir: filepath.Join(shared, "sf0.01")}, RowsPerFile: perFile}
	start := time.Now()
	res, err := tpch.Load(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded SF 0.01 in %v", time.Since(start))
	cfg.Source.Close()

	conn, err := pgx.Connect(ctx, info.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	data := map[string][][]string{}
	for _, r := range res {
		rows := tbl(t, r.Table)
		data[r.Table] = rows
		n := int64(len(rows))
		if r.Rows != n || r.Files != int((n+perFile-1)/perFile) {
			t.Errorf("%s: loaded %d rows in %d files, want %d rows in %d files", r.Table, r.Rows, r.Files, n, (n+perFile-1)/perFile)
		}
		if got := query(t, conn, "select count(*) from "+r.Table); got != fmt.Sprint(n) {
			t.Errorf("%s: count(*) = %s, want %d", r.Table, got, n)
		}
	}
	if len(res) != 8 {
		t.Fatalf("%d tables loaded", len(res))
	}
	li, o, ps := data["lineitem"], data["orders"], data["partsupp"]
	for _, c := range []struct{ sql, want string }{
		{"select sum(l_extendedprice), sum(l_quantity), sum(l_discount) from lineitem", cents(li, 5) + "|" + cents(li, 4) + "|" + cents(li, 6)},
		{"select count(distinct l_orderkey), count(distinct l_partkey) from lineitem", distinct(li, 0) + "|" + distinct(li, 1)},
		{"select min(l_shipdate), max(l_receiptdate) from lineitem", minMax(li, 10)[:10] + "|" + minMax(li, 12)[11:]},
		{"select count(*) from lineitem where l_shipmode = 'AIR' and l_returnflag = 'R'",
			count(li, func(r []string) bool { return r[14] == "AIR" && r[8] == "R" })},
		{"select sum(o_totalprice), count(distinct o_custkey) from orders", cents(o, 3) + "|" + distinct(o, 1)},
		{"select count(*) from orders where o_orderdate >= date '1995-01-01'", count(o, func(r []string) bool { return r[4] >= "1995-01-01" })},
		{"select sum(c_acctbal) from customer", cents(data["customer"], 5)},
		{"select sum(s_acctbal) from supplier", cents(data["supplier"], 5)},
		{"select count(distinct ps_partkey), count(distinct ps_suppkey), sum(ps_supplycost) from partsupp", distinct(ps, 0) + "|" + distinct(ps, 1) + "|" + cents(ps, 3)},
		{"select count(*), sum(p_retailprice) from part where p_brand = 'Brand#13'",
			count(data["part"], func(r []string) bool { return r[3] == "Brand#13" }) + "|" + cents(filter(data["part"], func(r []string) bool { return r[3] == "Brand#13" }), 7)},
		{"select n_name, r_name from nation, region where n_regionkey = r_regionkey and n_nationkey = 7", "GERMANY                  |EUROPE                   "},
	} {
		if got := query(t, conn, c.sql); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.sql, got, c.want)
		}
	}

	// Tables that hold rows are not loaded into again, unless replaced.
	if _, err := tpch.Load(ctx, tpch.LoadConfig{DSN: info.DSN(), Metad: info.Metad, Store: store, Source: &tpch.DirSource{Dir: filepath.Join(shared, "sf0.01")}, Tables: []string{"region"}}); err == nil || !strings.Contains(err.Error(), "already has 5 rows") {
		t.Errorf("second load: %v", err)
	}
	if _, err := tpch.Load(ctx, tpch.LoadConfig{DSN: info.DSN(), Metad: info.Metad, Store: store, Source: &tpch.DirSource{Dir: filepath.Join(shared, "sf0.01")}, Tables: []string{"region"}, Replace: true}); err != nil {
		t.Errorf("replace: %v", err)
	}
	if got := query(t, conn, "select count(*) from region"); got != "5" {
		t.Errorf("region after replace: %s rows", got)
	}

	var out strings.Builder
	sum, err := tpch.RunQueries(ctx, tpch.RunConfig{DSN: info.DSN(), Dir: filepath.Join(shared, "queries"), Check: filepath.Join(shared, "answers-sf0.01"), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tpch run --check:\n%s", out.String())
	if len(sum.Results) != 22 {
		t.Fatalf("%d results, want 22", len(sum.Results))
	}
	for _, q := range passing {
		if r := sum.Results[q-1]; !r.OK() {
			t.Errorf("%s: error %v, mismatch %v", r.Name, r.Err, r.Mismatch)
		}
	}

	// A failing query (an error, a missing file, a wrong answer) is
	// reported and the run goes on.
	qdir := t.TempDir()
	for name, sql := range map[string]string{"q01": "select * from no_such_table", "q02": "select 1 / 0",
		"q04": "select count(*) from region", "q05": "select count(*) + 1 from region"} {
		if err := os.WriteFile(filepath.Join(qdir, name+".sql"), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	adir := t.TempDir()
	os.WriteFile(filepath.Join(adir, "q04.out"), []byte("5\n"), 0o644)
	os.WriteFile(filepath.Join(adir, "q05.out"), []byte("5\n"), 0o644)
	sum, err = tpch.RunQueries(ctx, tpch.RunConfig{DSN: info.DSN(), Dir: qdir, Queries: []int{1, 2, 3, 4, 5}, Runs: 2, Check: adir})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"42P01", "22012", "no such file", "", "row 1: got 6, want 5"} {
		r := sum.Results[i]
		got := ""
		if r.Err != nil {
			got = r.Err.Error()
		} else if r.Mismatch != nil {
			got = r.Mismatch.Error()
		}
		if want == "" && (got != "" || len(r.Times) != 2 || r.Rows != 1) || !strings.Contains(got, want) {
			t.Errorf("%s: got %q (%d runs, %d rows), want %q", r.Name, got, len(r.Times), r.Rows, want)
		}
	}
}

func filter(rows [][]string, pred func([]string) bool) [][]string {
	var out [][]string
	for _, r := range rows {
		if pred(r) {
			out = append(out, r)
		}
	}
	return out
}
