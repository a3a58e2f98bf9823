package tpch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/tpch"
	"github.com/cirrusdb/cirrus/internal/tpch/canon"
	"github.com/cirrusdb/cirrus/internal/tpch/dbgen"
	"github.com/cirrusdb/cirrus/storage/s3"
)

// refreshSystem is a database holding TPC-H SF 0.01: Cirrus or PostgreSQL.
type refreshSystem struct {
	name   string
	dsn    string
	conn   *pgx.Conn
	tables func(context.Context) (int, error) // user tables there
}

// TestRefresh runs the refresh functions on Cirrus (2 participants, several
// files per table) and on PostgreSQL 15, both loaded with SF 0.01, and
// requires at every step the same checksums of orders and lineitem and the
// same answers to the 22 TPC-H queries on both; RF1 then RF2 must restore
// the tables exactly, and a failed or cancelled function must change
// nothing.
func TestRefresh(t *testing.T) {
	if _, err := os.Stat(filepath.Join(shared, "sf0.01", "lineitem.tbl")); err != nil {
		t.Skip("TPC-H SF 0.01 data not available")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cirrus := startCirrusSF001(ctx, t)
	pg := startPostgresSF001(ctx, t)
	systems := []*refreshSystem{cirrus, pg}

	queries := map[int]string{}
	for q := 1; q <= 22; q++ {
		b, err := os.ReadFile(filepath.Join(shared, "queries", fmt.Sprintf("q%02d.sql", q)))
		if err != nil {
			t.Fatal(err)
		}
		queries[q] = string(b)
	}
	// snapshot requires the same checksums and query answers on both
	// systems and returns the checksums.
	snapshot := func(when string) tpch.Checksums {
		t.Helper()
		var sums []tpch.Checksums
		for _, s := range systems {
			cs, err := tpch.TableChecksums(ctx, s.conn)
			if err != nil {
				t.Fatalf("%s, %s: %v", when, s.name, err)
			}
			sums = append(sums, cs)
		}
		if sums[0] != sums[1] {
			t.Errorf("%s: checksums differ:\n cirrus   %+v\n postgres %+v", when, sums[0], sums[1])
		}
		t.Logf("%s: orders %s; lineitem %s", when, sums[0].Orders, sums[0].Lineitem)
		for q := 1; q <= 22; q++ {
			var ans [2][]string
			for i, s := range systems {
				rows, err := tpch.Answer(ctx, s.conn, queries[q])
				if err != nil {
					t.Fatalf("%s, %s: q%02d: %v", when, s.name, q, err)
				}
				ans[i] = rows
			}
			if err := canon.Compare(ans[0], ans[1]); err != nil {
				t.Errorf("%s: q%02d: cirrus differs from postgres: %v", when, q, err)
			}
			if q != 15 && len(ans[1]) == 0 {
				t.Errorf("%s: q%02d: no rows", when, q)
			}
		}
		return sums[0]
	}
	// unchanged requires both systems to hold what they held at want and
	// no tables but the 8.
	unchanged := func(what string, want tpch.Checksums) {
		t.Helper()
		for _, s := range systems {
			cs, err := tpch.TableChecksums(ctx, s.conn)
			if err != nil {
				t.Fatalf("%s, %s: %v", what, s.name, err)
			}
			if cs != want {
				t.Errorf("%s, %s: tables changed:\n got  %+v\n want %+v", what, s.name, cs, want)
			}
			if n, err := s.tables(ctx); err != nil || n != 8 {
				t.Errorf("%s, %s: %d tables (%v), want 8", what, s.name, n, err)
			}
		}
	}

	set, err := dbgen.RefreshSet(0.01, 1)
	if err != nil {
		t.Fatal(err)
	}
	newOrders, newLines := int64(bytes.Count(set.Orders, []byte{'\n'})), int64(bytes.Count(set.Lineitems, []byte{'\n'}))
	inserted := tpch.InsertedKeys(set)
	if len(inserted) != 10 || newOrders != 10 || len(set.DeleteKeys) != 10 {
		t.Fatalf("refresh set 1 at SF 0.01: %d orders (keys %v), %d delete keys", newOrders, inserted, len(set.DeleteKeys))
	}
	for i, k := range inserted {
		if k != set.DeleteKeys[i]+8 {
			t.Errorf("inserted key %d is %d, delete key %d", i, k, set.DeleteKeys[i])
		}
	}

	before := snapshot("before")

	// RF1 (the scale factor is read from the data).
	for _, s := range systems {
		var out strings.Builder
		res, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: s.dsn, RF1: true, Out: &out})
		t.Logf("%s: %s", s.name, out.String())
		if err != nil {
			t.Fatalf("%s: RF1: %v", s.name, err)
		}
		if res.SF != 0.01 || res.RF1 == nil || res.RF1.Orders != newOrders || res.RF1.Lineitems != newLines || res.RF2 != nil {
			t.Fatalf("%s: RF1: SF %g, result %+v, want %d orders and %d lineitems", s.name, res.SF, res.RF1, newOrders, newLines)
		}
	}
	afterRF1 := snapshot("after RF1")
	if afterRF1.Orders.Rows != before.Orders.Rows+newOrders || afterRF1.Lineitem.Rows != before.Lineitem.Rows+newLines {
		t.Errorf("after RF1: %d orders and %d lineitems, want %d and %d", afterRF1.Orders.Rows, afterRF1.Lineitem.Rows,
			before.Orders.Rows+newOrders, before.Lineitem.Rows+newLines)
	}

	// RF1 of a set that is there already fails and changes nothing.
	for _, s := range systems {
		_, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: s.dsn, RF1: true})
		if err == nil || !strings.Contains(err.Error(), "already there") {
			t.Errorf("%s: RF1 again: %v", s.name, err)
		}
	}
	unchanged("RF1 again", afterRF1)
	// So does an RF1 cancelled before its commit.
	for _, s := range systems {
		cctx, ccancel := context.WithCancel(ctx)
		_, err := tpch.Refresh(cctx, tpch.RefreshConfig{DSN: s.dsn, RF1: true, Set: 2, SF: 0.01, Step: func(fn, step string) error {
			if step == "commit" {
				ccancel()
			}
			return nil
		}})
		ccancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled RF1: %v", s.name, err)
		}
	}
	unchanged("cancelled RF1", afterRF1)

	// A cancelled or failed RF2 changes nothing, wherever it stops.
	steps := []string{"begin", "create keys", "copy keys", "delete lineitem", "delete orders", "drop keys", "commit"}
	for _, s := range systems {
		for _, stop := range steps {
			cctx, ccancel := context.WithCancel(ctx)
			res, err := tpch.Refresh(cctx, tpch.RefreshConfig{DSN: s.dsn, RF2: true, Step: func(fn, step string) error {
				if fn != "RF2" {
					t.Errorf("step %s of %s", step, fn)
				}
				if step == stop {
					ccancel()
				}
				return nil
			}})
			ccancel()
			if !errors.Is(err, context.Canceled) || res == nil || res.RF2 != nil {
				t.Errorf("%s: RF2 cancelled at %s: %v", s.name, stop, err)
			}
		}
		// Cancelled while a DELETE runs (or, if the statement is
		// faster, before the next one): the server gives up the
		// statement or the connection, and the transaction with it.
		for _, stop := range []string{"delete lineitem", "delete orders"} {
			cctx, ccancel := context.WithCancel(ctx)
			_, err := tpch.Refresh(cctx, tpch.RefreshConfig{DSN: s.dsn, RF2: true, Step: func(fn, step string) error {
				switch step {
				case stop:
					time.AfterFunc(2*time.Millisecond, ccancel)
				case "commit":
					<-cctx.Done() // never commit
				}
				return nil
			}})
			ccancel()
			if err == nil {
				t.Errorf("%s: RF2 cancelled during %s succeeded", s.name, stop)
			}
			t.Logf("%s: RF2 cancelled during %s: %v", s.name, stop, err)
		}
		// An error of the caller's rolls it back too.
		_, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: s.dsn, RF2: true, Step: func(fn, step string) error {
			if step == "drop keys" {
				return errors.New("stop here")
			}
			return nil
		}})
		if err == nil || !strings.Contains(err.Error(), "stop here") {
			t.Errorf("%s: RF2 stopped at drop keys: %v", s.name, err)
		}
		// So does a connection lost before COMMIT (the server ends the
		// session and its transaction).
		conn, err := pgx.Connect(ctx, s.dsn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tpch.RF2(ctx, conn, inserted, func(step string) error {
			if step == "commit" {
				return conn.PgConn().Conn().Close()
			}
			return nil
		})
		if err == nil {
			t.Errorf("%s: RF2 on a lost connection succeeded", s.name)
		}
		conn.Close(ctx)
	}
	time.Sleep(100 * time.Millisecond) // let the servers end the lost sessions
	unchanged("failed RF2s", afterRF1)
	snapshot("after the failed RF2s")

	// RF2 deletes what RF1 inserted: the tables are exactly as before.
	for _, s := range systems {
		var out strings.Builder
		res, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: s.dsn, RF2: true, Out: &out})
		t.Logf("%s: %s", s.name, out.String())
		if err != nil {
			t.Fatalf("%s: RF2: %v", s.name, err)
		}
		if res.RF2 == nil || res.RF2.Orders != newOrders || res.RF2.Lineitems != newLines {
			t.Errorf("%s: RF2: %+v, want %d orders and %d lineitems", s.name, res.RF2, newOrders, newLines)
		}
	}
	if afterRF2 := snapshot("after RF2"); afterRF2 != before {
		t.Errorf("after RF1 and RF2 the tables are not as before:\n got  %+v\n want %+v", afterRF2, before)
	}

	// Both functions in one run, with checksums: as before again.
	for _, s := range systems {
		res, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: s.dsn, Checksums: true})
		if err != nil {
			t.Fatalf("%s: RF1 and RF2: %v", s.name, err)
		}
		if len(res.Checksums) != 3 || res.Checksums[0] != before || res.Checksums[1] != afterRF1 || res.Checksums[2] != before {
			t.Errorf("%s: RF1 and RF2: checksums %+v", s.name, res.Checksums)
		}
	}

	// The specification's pair: RF2 deletes dbgen's delete list (old
	// orders), so the tables keep their size but not their rows.
	for _, s := range systems {
		res, err := tpch.Refresh(ctx, tpch.RefreshConfig{DSN: s.dsn, SF: 0.01, RF2Keys: tpch.RF2DBGen})
		if err != nil {
			t.Fatalf("%s: RF1 and RF2 (dbgen): %v", s.name, err)
		}
		if res.RF2.Orders != int64(len(set.DeleteKeys)) || res.RF2.Lineitems == 0 {
			t.Errorf("%s: RF2 (dbgen): %+v", s.name, res.RF2)
		}
	}
	spec := snapshot("after RF1 and RF2 (dbgen)")
	if spec.Orders.Rows != before.Orders.Rows || spec == before {
		t.Errorf("after RF1 and RF2 (dbgen): orders %s, before %s", spec.Orders, before.Orders)
	}
	for _, s := range systems {
		got := query(t, s.conn, fmt.Sprintf("select count(*) from orders where o_orderkey in (%s)", keyList(set.DeleteKeys)))
		got += "|" + query(t, s.conn, fmt.Sprintf("select count(*) from lineitem where l_orderkey in (%s)", keyList(set.DeleteKeys)))
		got += "|" + query(t, s.conn, fmt.Sprintf("select count(*) from orders where o_orderkey in (%s)", keyList(inserted)))
		if want := fmt.Sprintf("0|0|%d", len(inserted)); got != want {
			t.Errorf("%s: after RF1 and RF2 (dbgen): deleted, their lineitems, inserted: %s, want %s", s.name, got, want)
		}
	}
}

func keyList(keys []int64) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = fmt.Sprint(k)
	}
	return strings.Join(s, ",")
}

// startCirrusSF001 starts a cluster with 2 participants and loads SF 0.01
// into it, 7000 rows per file.
func startCirrusSF001(ctx context.Context, t *testing.T) *refreshSystem {
	dir := t.TempDir()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: dir, Participants: 2, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	info, err := devcluster.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := s3.OpenLocation(ctx, info.Storage)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	src := &tpch.DirSource{Dir: filepath.Join(shared, "sf0.01")}
	defer src.Close()
	if _, err := tpch.Load(ctx, tpch.LoadConfig{DSN: info.DSN(), Metad: info.Metad, Store: store, Source: src, RowsPerFile: 7000}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, info.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &refreshSystem{name: "cirrus", dsn: info.DSN(), conn: conn, tables: func(ctx context.Context) (int, error) {
		return tpch.UserTables(ctx, info.Metad)
	}}
}

// startPostgresSF001 starts a private PostgreSQL 15 and loads SF 0.01 into
// it with COPY, with the same DDL.
func startPostgresSF001(ctx context.Context, t *testing.T) *refreshSystem {
	srv := pgtest.Start(t)
	srv.CreateDB(t, "tpch")
	conn := srv.Connect(t, "tpch")
	for _, name := range tpch.Tables {
		if _, err := conn.Exec(ctx, tpch.DDL[name]); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(shared, "sf0.01", name+".tbl"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.PgConn().CopyFrom(ctx, f, "copy "+name+" from stdin with (delimiter '|')")
		f.Close()
		if err != nil {
			t.Fatalf("copy %s: %v", name, err)
		}
	}
	if _, err := conn.Exec(ctx, "analyze"); err != nil {
		t.Fatal(err)
	}
	return &refreshSystem{name: "postgres", dsn: srv.DSN("tpch"), conn: conn, tables: func(ctx context.Context) (int, error) {
		var n int
		err := conn.QueryRow(ctx, "select count(*) from pg_tables where schemaname = 'public'").Scan(&n)
		return n, err
	}}
}
