// Package tpchtest runs the TPC-H queries at scale factor 0.01 through the
// real planner and the executor in one process (scans served from memory,
// Remote fragments run locally) and compares the answers with the shared
// reference answers. It lives apart from package executor so that
// `go test ./executor/` does not compile the SQL parser (cgo).
package tpchtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/tpch/canon"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

const dir = "../../../shared/tpch" // the shared data, relative to this package

var ddl = []string{
	`create table nation (n_nationkey integer not null, n_name char(25) not null, n_regionkey integer not null, n_comment varchar(152))`,
	`create table region (r_regionkey integer not null, r_name char(25) not null, r_comment varchar(152))`,
	`create table part (p_partkey integer not null, p_name varchar(55) not null, p_mfgr char(25) not null, p_brand char(10) not null, p_type varchar(25) not null, p_size integer not null, p_container char(10) not null, p_retailprice decimal(15,2) not null, p_comment varchar(23) not null)`,
	`create table supplier (s_suppkey integer not null, s_name char(25) not null, s_address varchar(40) not null, s_nationkey integer not null, s_phone char(15) not null, s_acctbal decimal(15,2) not null, s_comment varchar(101) not null)`,
	`create table partsupp (ps_partkey integer not null, ps_suppkey integer not null, ps_availqty integer not null, ps_supplycost decimal(15,2) not null, ps_comment varchar(199) not null)`,
	`create table customer (c_custkey integer not null, c_name varchar(25) not null, c_address varchar(40) not null, c_nationkey integer not null, c_phone char(15) not null, c_acctbal decimal(15,2) not null, c_mktsegment char(10) not null, c_comment varchar(117) not null)`,
	`create table orders (o_orderkey integer not null, o_custkey integer not null, o_orderstatus char(1) not null, o_totalprice decimal(15,2) not null, o_orderdate date not null, o_orderpriority char(15) not null, o_clerk char(15) not null, o_shippriority integer not null, o_comment varchar(79) not null)`,
	`create table lineitem (l_orderkey integer not null, l_partkey integer not null, l_suppkey integer not null, l_linenumber integer not null, l_quantity decimal(15,2) not null, l_extendedprice decimal(15,2) not null, l_discount decimal(15,2) not null, l_tax decimal(15,2) not null, l_returnflag char(1) not null, l_linestatus char(1) not null, l_shipdate date not null, l_commitdate date not null, l_receiptdate date not null, l_shipinstruct char(25) not null, l_shipmode char(10) not null, l_comment varchar(44) not null)`,
}

func bind(t testing.TB, cat *catalog.Catalog, sql string) planner.Statement {
	t.Helper()
	ps, err := planner.Parse(sql)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	st, err := planner.Bind(&planner.Context{Catalog: cat, SearchPath: []string{"public"}}, ps[0])
	if err != nil {
		t.Fatalf("bind %q: %v", sql, err)
	}
	return st
}

// load reads a .tbl file into batches of the table's column types.
func load(t testing.TB, tab *catalog.Table) []*vec.Batch {
	f, err := os.Open(filepath.Join(dir, "sf0.01", tab.Name+".tbl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	types := make([]catalog.Type, len(tab.Columns))
	for i, c := range tab.Columns {
		types[i] = c.Type
	}
	var out []*vec.Batch
	b := vec.NewBatch(types, vec.BatchSize)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSuffix(sc.Text(), "|"), "|")
		for i, c := range tab.Columns {
			d, err := pgtype.ParseText(c.Type, []byte(fields[i]))
			if err != nil {
				t.Fatalf("%s.%s %q: %v", tab.Name, c.Name, fields[i], err)
			}
			v := b.Cols[i]
			switch {
			case c.Type.IsBytesBacked():
				v.AppendBytes([]byte(d.S))
			default:
				v.AppendInt64(d.I)
			}
		}
		b.N++
		if b.N == vec.BatchSize {
			out = append(out, b)
			b = vec.NewBatch(types, vec.BatchSize)
		}
	}
	if b.N > 0 {
		out = append(out, b)
	}
	return out
}

type db struct {
	cat  *catalog.Catalog
	data map[catalog.OID][]*vec.Batch
}

func open(t testing.TB) *db {
	if _, err := os.Stat(filepath.Join(dir, "sf0.01", "lineitem.tbl")); err != nil {
		t.Skip("TPC-H SF 0.01 data not available")
	}
	cat := catalog.New()
	cat.Put(&catalog.Object{Namespace: &catalog.Namespace{OID: catalog.PublicNamespace, Name: "public"}})
	d := &db{cat: cat, data: map[catalog.OID][]*vec.Batch{}}
	for i, s := range ddl {
		ct := bind(t, cat, s).(*planner.CreateTable)
		tab := &catalog.Table{OID: catalog.FirstUserOID + catalog.OID(i), Namespace: ct.Namespace, Name: ct.Name, Columns: ct.Columns}
		cat.Put(&catalog.Object{Table: tab})
		d.data[tab.OID] = load(t, tab)
	}
	return d
}

// stats gives the planner each table's row count.
func (d *db) stats(t *catalog.Table) *planner.TableStats {
	n := 0
	for _, b := range d.data[t.OID] {
		n += b.N
	}
	return &planner.TableStats{Rows: float64(n)}
}

func (d *db) env() *executor.Env {
	env := &executor.Env{}
	env.OpenScan = func(ctx context.Context, s *plan.Scan) (executor.Operator, error) {
		var out []*vec.Batch
		for _, b := range d.data[s.Table.OID] {
			pb := &vec.Batch{N: b.N}
			for _, c := range s.Cols {
				pb.Cols = append(pb.Cols, b.Cols[c])
			}
			out = append(out, pb)
		}
		return executor.NewSliceSource(s.Types(), out), nil
	}
	env.OpenRemote = func(ctx context.Context, r *plan.Remote) (executor.Operator, error) {
		// One participant: the fragment travels encoded, as it would.
		b, err := plan.Encode(r.Fragment)
		if err != nil {
			return nil, err
		}
		frag, err := plan.Decode(b)
		if err != nil {
			return nil, err
		}
		// Broadcast sources (large InitRows results) arrive through the
		// exchange: here, straight from the coordinator's batches.
		srcs := map[int]*executor.BroadcastRows{}
		var walk func(n plan.Node)
		walk = func(n plan.Node) {
			if x, ok := n.(*plan.ExchangeSource); ok && x.Broadcast {
				srcs[x.ID] = x.Rows.(*executor.BroadcastRows)
			}
			for _, c := range plan.Children(n) {
				walk(c)
			}
		}
		walk(r.Fragment)
		fenv := *env
		fenv.OpenExchange = func(ctx context.Context, x *plan.ExchangeSource) (executor.Operator, error) {
			rows := srcs[x.ID]
			if !x.Broadcast || rows == nil {
				return nil, fmt.Errorf("no broadcast source %d", x.ID)
			}
			return executor.NewSliceSource(x.ColTypes, rows.Batches), nil
		}
		return executor.Build(ctx, frag, &fenv)
	}
	return env
}

func TestTPCH(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	for q := 1; q <= 22; q++ {
		name := fmt.Sprintf("q%02d", q)
		t.Run(name, func(t *testing.T) {
			sql, err := os.ReadFile(filepath.Join(dir, "queries", name+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "answers-sf0.01", name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := planner.Parse(string(sql))
			if err != nil {
				t.Skipf("parse: %v", err)
			}
			st, err := planner.Bind(&planner.Context{Catalog: d.cat, SearchPath: []string{"public"}, Stats: d.stats}, ps[0])
			if err != nil {
				t.Skipf("planner: %v", err)
			}
			qs, ok := st.(*planner.Query)
			if !ok {
				t.Skipf("not a query: %T", st)
			}
			op, err := executor.Build(ctx, qs.Plan, d.env())
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			b, err := executor.Drain(ctx, op)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var got []string
			for i := range b.N {
				got = append(got, canon.Row(b, i))
			}
			if err := canon.Compare(got, canon.Lines(string(want))); err != nil {
				t.Fatalf("%v\ngot:\n%s", err, strings.Join(got, "\n"))
			}
		})
	}
}
