package main

import (
	"context"
	"os"

	"github.com/cirrusdb/cirrus/internal/tpch"
)

// tpchRefresh runs the TPC-H refresh functions (tpch.Refresh).
func tpchRefresh(ctx context.Context, args []string) error {
	fs := tpchFlags("refresh")
	data := fs.String("data", "./data", "data directory of the running 'cirrus dev' (reads DIR/cluster.json)")
	dsn := fs.String("dsn", "", "PostgreSQL connection string (default: from cluster.json, else port 5433 on localhost)")
	sf := fs.Float64("sf", 0, "scale factor of the loaded data (default: from the customer table's rows)")
	set := fs.Int("set", 1, "refresh set (dbgen -U N)")
	rf1 := fs.Bool("rf1", false, "run RF1 (insert the set's new orders and lineitems)")
	rf2 := fs.Bool("rf2", false, "run RF2 (delete orders and their lineitems)")
	rf2dbgen := fs.Bool("rf2-dbgen", false, "RF2 deletes dbgen's delete list (old orders, as the TPC-H specification's RF2), not the orders RF1 inserts")
	checksums := fs.Bool("checksums", false, "print checksums of orders and lineitem before and after each function (reads both tables)")
	fs.Parse(args)
	if *dsn == "" {
		if _, d, _, err := clusterEndpoints(*data, "", "", false); err == nil {
			*dsn = d
		} else {
			*dsn = "postgres://cirrus@127.0.0.1:5433/cirrus?sslmode=disable"
		}
	}
	mode := tpch.RF2Inserted
	if *rf2dbgen {
		mode = tpch.RF2DBGen
	}
	_, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: *dsn, SF: *sf, Set: *set, RF1: *rf1, RF2: *rf2, RF2Keys: mode,
		Checksums: *checksums, Out: os.Stdout})
	return err
}
