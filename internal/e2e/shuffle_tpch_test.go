package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/tpch"
	"github.com/cirrusdb/cirrus/internal/tpch/canon"
)

const tpchDir = "../../../shared/tpch"

// copyTbl loads a dbgen .tbl file (fields ending in '|') with COPY, in
// chunks of rows so a table gets several files.
func copyTbl(t testing.TB, conn *pgx.Conn, table, path string, chunk int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var buf bytes.Buffer
	n := 0
	flush := func() {
		if buf.Len() == 0 {
			return
		}
		if _, err := conn.PgConn().CopyFrom(context.Background(), bytes.NewReader(buf.Bytes()), "COPY "+table+" FROM STDIN WITH (DELIMITER '|')"); err != nil {
			t.Fatalf("COPY %s: %v", table, err)
		}
		buf.Reset()
		n = 0
	}
	for sc.Scan() {
		buf.WriteString(strings.TrimSuffix(sc.Text(), "|"))
		buf.WriteByte('\n')
		if n++; n == chunk {
			flush()
		}
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	flush()
}

// canonRows runs sql and returns its rows in the reference answers' form.
func canonRows(ctx context.Context, conn *pgx.Conn, sql string) ([]string, error) {
	results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range results {
		for _, row := range r.Rows {
			fs := make([]string, len(row))
			for i, v := range row {
				fs[i] = canon.Text(canon.KindOfOID(r.FieldDescriptions[i].DataTypeOID), v)
			}
			out = append(out, strings.Join(fs, "|"))
		}
	}
	return out, nil
}

// TestShuffledTPCH runs the 22 TPC-H queries at SF 0.01 on three
// participants with the default plans and with every join with keys
// repartitioned, and compares both with the reference answers.
func TestShuffledTPCH(t *testing.T) {
	if _, err := os.Stat(filepath.Join(tpchDir, "sf0.01", "lineitem.tbl")); err != nil {
		t.Skip("TPC-H SF 0.01 data not available")
	}
	c := startCluster3(t)
	conn := connect(t, c)
	for _, tab := range tpch.Tables {
		exec1(t, conn, tpch.DDL[tab])
	}
	for _, tab := range []string{"nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"} {
		copyTbl(t, conn, tab, filepath.Join(tpchDir, "sf0.01", tab+".tbl"), 10000)
	}
	ctx := context.Background()
	for q := 1; q <= 22; q++ {
		name := fmt.Sprintf("q%02d", q)
		t.Run(name, func(t *testing.T) {
			sql, err := os.ReadFile(filepath.Join(tpchDir, "queries", name+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(tpchDir, "answers-sf0.01", name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []string{"default", "0", "colocated"} {
				if mode == "colocated" {
					// Joins on range-partitioned keys divide both sides by
					// key ranges (planner/colocate.go).
					exec1(t, conn, "SET cirrus.broadcast_rows = default")
					exec1(t, conn, "SET cirrus.colocate_rows = 0")
				} else {
					exec1(t, conn, "SET cirrus.broadcast_rows = "+mode)
				}
				start := time.Now()
				got, err := canonRows(ctx, conn, string(sql))
				el := time.Since(start)
				if err != nil {
					t.Fatalf("broadcast_rows=%s: %v", mode, err)
				}
				if err := canon.Compare(got, canon.Lines(string(want))); err != nil {
					t.Fatalf("broadcast_rows=%s: %v\ngot:\n%s", mode, err, strings.Join(got, "\n"))
				}
				shuffles, colocated := 0, 0
				if mode != "default" {
					plan, err := textRows(ctx, conn, "EXPLAIN "+string(sql))
					if err != nil {
						t.Fatal(err)
					}
					shuffles = strings.Count(strings.Join(plan, "\n"), "Shuffle #")
					colocated = strings.Count(strings.Join(plan, "\n"), "colocated on")
				}
				if mode == "colocated" && (q == 12 || q == 21) && colocated == 0 {
					t.Errorf("%s: no co-located scan in the plan", name)
				}
				t.Logf("%s: %d rows in %v (%d shuffles, %d co-located scans)", mode, len(got), el, shuffles, colocated)
			}
			exec1(t, conn, "SET cirrus.colocate_rows = default")
		})
	}
}
