package sqllogic

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// A dataset is a schema with data files that a test file can ask for with a
// "load" line.
type dataset struct {
	// ddl creates the tables, in order.
	ddl []string
	// tables are loaded, in order, from DIR/TABLE.tbl with COPY FROM STDIN.
	tables []string
	// copyOptions are the COPY options of every table.
	copyOptions string
	// dir returns the directory holding the data files.
	dir func() (string, error)
}

// DatasetTPCH names the TPC-H schema (the 8 tables, with the column types of
// executor/tpchtest) with its scale factor 0.01 data, read from
// $CIRRUS_TPCH_DATA or else from ../shared/tpch/sf0.01 relative to the
// repository root (the directory above the current one that holds go.mod).
const DatasetTPCH = "tpch"

var datasets = map[string]*dataset{
	DatasetTPCH: {
		ddl: []string{
			`create table nation (n_nationkey integer not null, n_name char(25) not null, n_regionkey integer not null, n_comment varchar(152))`,
			`create table region (r_regionkey integer not null, r_name char(25) not null, r_comment varchar(152))`,
			`create table part (p_partkey integer not null, p_name varchar(55) not null, p_mfgr char(25) not null, p_brand char(10) not null, p_type varchar(25) not null, p_size integer not null, p_container char(10) not null, p_retailprice decimal(15,2) not null, p_comment varchar(23) not null)`,
			`create table supplier (s_suppkey integer not null, s_name char(25) not null, s_address varchar(40) not null, s_nationkey integer not null, s_phone char(15) not null, s_acctbal decimal(15,2) not null, s_comment varchar(101) not null)`,
			`create table partsupp (ps_partkey integer not null, ps_suppkey integer not null, ps_availqty integer not null, ps_supplycost decimal(15,2) not null, ps_comment varchar(199) not null)`,
			`create table customer (c_custkey integer not null, c_name varchar(25) not null, c_address varchar(40) not null, c_nationkey integer not null, c_phone char(15) not null, c_acctbal decimal(15,2) not null, c_mktsegment char(10) not null, c_comment varchar(117) not null)`,
			`create table orders (o_orderkey integer not null, o_custkey integer not null, o_orderstatus char(1) not null, o_totalprice decimal(15,2) not null, o_orderdate date not null, o_orderpriority char(15) not null, o_clerk char(15) not null, o_shippriority integer not null, o_comment varchar(79) not null)`,
			`create table lineitem (l_orderkey integer not null, l_partkey integer not null, l_suppkey integer not null, l_linenumber integer not null, l_quantity decimal(15,2) not null, l_extendedprice decimal(15,2) not null, l_discount decimal(15,2) not null, l_tax decimal(15,2) not null, l_returnflag char(1) not null, l_linestatus char(1) not null, l_shipdate date not null, l_commitdate date not null, l_receiptdate date not null, l_shipinstruct char(25) not null, l_shipmode char(10) not null, l_comment varchar(44) not null)`,
		},
		tables:      []string{"nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"},
		copyOptions: `FORMAT text, DELIMITER '|'`,
		dir: func() (string, error) {
			if d := os.Getenv("CIRRUS_TPCH_DATA"); d != "" {
				return d, nil
			}
			root, err := repoRoot()
			if err != nil {
				return "", err
			}
			return filepath.Join(root, "..", "shared", "tpch", "sf0.01"), nil
		},
	},
}

// repoRoot returns the nearest directory at or above the current one that
// holds a go.mod file.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sqllogic: no go.mod above the current directory")
		}
		dir = parent
	}
}

// DatasetAvailable reports whether the data files of data set name can be
// found (nil) or why not.
func DatasetAvailable(name string) error {
	ds, ok := datasets[name]
	if !ok {
		return fmt.Errorf("sqllogic: unknown data set %q", name)
	}
	dir, err := ds.dir()
	if err != nil {
		return err
	}
	for _, t := range ds.tables {
		if _, err := os.Stat(filepath.Join(dir, t+".tbl")); err != nil {
			return fmt.Errorf("sqllogic: data set %s: %w", name, err)
		}
	}
	return nil
}

// LoadDataset creates the tables of data set name on conn and fills them
// with COPY FROM STDIN. The tables must not exist yet.
func LoadDataset(ctx context.Context, conn *pgconn.PgConn, name string) error {
	ds, ok := datasets[name]
	if !ok {
		return fmt.Errorf("sqllogic: unknown data set %q", name)
	}
	dir, err := ds.dir()
	if err != nil {
		return err
	}
	for _, sql := range ds.ddl {
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			return fmt.Errorf("sqllogic: data set %s: %s: %w", name, sql, err)
		}
	}
	for _, t := range ds.tables {
		if err := copyFile(ctx, conn, filepath.Join(dir, t+".tbl"),
			fmt.Sprintf("COPY %s FROM STDIN WITH (%s)", t, ds.copyOptions)); err != nil {
			return fmt.Errorf("sqllogic: data set %s: table %s: %w", name, t, err)
		}
	}
	return nil
}

func copyFile(ctx context.Context, conn *pgconn.PgConn, path, sql string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tag, err := conn.CopyFrom(ctx, f, sql)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("no rows copied from %s", path)
	}
	return nil
}

// loadDatasets loads the file's data sets into every session whose database
// does not hold them yet.
func loadDatasets(ctx context.Context, f *File, dbs []DB, sessions []*session) error {
	for _, name := range f.Datasets {
		for i, s := range sessions {
			if slices.Contains(dbs[i].Loaded, name) {
				continue
			}
			lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			err := LoadDataset(lctx, s.pg, name)
			cancel()
			if err != nil {
				return fmt.Errorf("sqllogic: %s: loading %s into %s: %w", f.Path, name, s.name, err)
			}
		}
	}
	return nil
}
