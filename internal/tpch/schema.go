// Package tpch loads TPC-H data into a Cirrus cluster and runs the TPC-H
// queries against it.
//
// Loading creates the 8 tables with SQL over the PostgreSQL protocol, then
// bypasses the SQL path for the rows: .tbl text (files, or the in-process
// generator's output) is parsed in parallel straight into typed column
// vectors, written as Parquet data files directly to the object store, and
// each table's files are committed as one catalog change through metad (a
// new manifest object and a manifest pointer swap guarded by the table's
// version), exactly what a COMMIT of a COPY would publish.
package tpch

import (
	"fmt"
	"strings"
)

// Tables are the TPC-H tables, smallest first.
var Tables = []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

// DDL is the CREATE TABLE statement of each table: types and NOT NULL as in
// the TPC-H specification (DECIMAL(15,2), DATE, CHAR(n), VARCHAR(n)) with
// its primary key.
var DDL = map[string]string{
	"region": `create table region (r_regionkey integer not null, r_name char(25) not null, r_comment varchar(152),
		primary key (r_regionkey))`,
	"nation": `create table nation (n_nationkey integer not null, n_name char(25) not null, n_regionkey integer not null,
		n_comment varchar(152), primary key (n_nationkey))`,
	"part": `create table part (p_partkey integer not null, p_name varchar(55) not null, p_mfgr char(25) not null,
		p_brand char(10) not null, p_type varchar(25) not null, p_size integer not null, p_container char(10) not null,
		p_retailprice decimal(15,2) not null, p_comment varchar(23) not null, primary key (p_partkey))`,
	"supplier": `create table supplier (s_suppkey integer not null, s_name char(25) not null, s_address varchar(40) not null,
		s_nationkey integer not null, s_phone char(15) not null, s_acctbal decimal(15,2) not null,
		s_comment varchar(101) not null, primary key (s_suppkey))`,
	"partsupp": `create table partsupp (ps_partkey integer not null, ps_suppkey integer not null, ps_availqty integer not null,
		ps_supplycost decimal(15,2) not null, ps_comment varchar(199) not null, primary key (ps_partkey, ps_suppkey))`,
	"customer": `create table customer (c_custkey integer not null, c_name varchar(25) not null, c_address varchar(40) not null,
		c_nationkey integer not null, c_phone char(15) not null, c_acctbal decimal(15,2) not null,
		c_mktsegment char(10) not null, c_comment varchar(117) not null, primary key (c_custkey))`,
	"orders": `create table orders (o_orderkey integer not null, o_custkey integer not null, o_orderstatus char(1) not null,
		o_totalprice decimal(15,2) not null, o_orderdate date not null, o_orderpriority char(15) not null,
		o_clerk char(15) not null, o_shippriority integer not null, o_comment varchar(79) not null,
		primary key (o_orderkey))`,
	"lineitem": `create table lineitem (l_orderkey integer not null, l_partkey integer not null, l_suppkey integer not null,
		l_linenumber integer not null, l_quantity decimal(15,2) not null, l_extendedprice decimal(15,2) not null,
		l_discount decimal(15,2) not null, l_tax decimal(15,2) not null, l_returnflag char(1) not null,
		l_linestatus char(1) not null, l_shipdate date not null, l_commitdate date not null,
		l_receiptdate date not null, l_shipinstruct char(25) not null, l_shipmode char(10) not null,
		l_comment varchar(44) not null, primary key (l_orderkey, l_linenumber))`,
}

// baseRows is each table's row count at scale factor 1 (region and nation
// do not scale; lineitem is about 4 rows per order).
var baseRows = map[string]int64{
	"region": 5, "nation": 25, "supplier": 10_000, "customer": 150_000, "part": 200_000,
	"partsupp": 800_000, "orders": 1_500_000, "lineitem": 6_001_215,
}

// EstimatedRows returns about how many rows table has at scale factor sf.
func EstimatedRows(table string, sf float64) int64 {
	n := baseRows[table]
	if table == "region" || table == "nation" {
		return n
	}
	return int64(float64(n) * sf)
}

// ParseTables parses a comma-separated table list ("" or "all" for all),
// returned in the order of Tables.
func ParseTables(list string) ([]string, error) {
	if list == "" || list == "all" {
		return append([]string(nil), Tables...), nil
	}
	want := map[string]bool{}
	for _, t := range strings.Split(list, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if _, ok := DDL[t]; !ok {
			return nil, fmt.Errorf("unknown TPC-H table %q (tables: %s)", t, strings.Join(Tables, ", "))
		}
		want[t] = true
	}
	var out []string
	for _, t := range Tables {
		if want[t] {
			out = append(out, t)
		}
	}
	return out, nil
}
