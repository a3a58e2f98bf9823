package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/storage"
)

// storeTables returns the object directories of the tables under dir.
func storeTables(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "objects", "tables"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Join(dir, "objects", "tables", e.Name()))
	}
	return out
}

// snapshot lists a table's data file objects and the file keys of its
// newest manifest, in order.
func snapshot(t *testing.T, tableDir string) (objects, files []string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(tableDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		objects = append(objects, e.Name())
	}
	ms, err := os.ReadDir(filepath.Join(tableDir, "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		return objects, nil
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name()
	}
	slices.Sort(names) // keys sort by creation time
	b, err := os.ReadFile(filepath.Join(tableDir, "manifests", names[len(names)-1]))
	if err != nil {
		t.Fatal(err)
	}
	m, err := storage.DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		files = append(files, filepath.Base(f.Key))
	}
	return objects, files
}

// TestDMLRewritesOnlyAffectedFiles checks that DELETE and UPDATE write new
// versions of the data files holding changed rows only, keep every other
// file (and its place in the manifest), and drop a file whose rows are all
// deleted without writing anything.
func TestDMLRewritesOnlyAffectedFiles(t *testing.T) {
	dir := t.TempDir()
	c := startCluster(t, dir)
	conn := connect(t, c)
	exec1(t, conn, `CREATE TABLE t (k int NOT NULL, v text)`)
	// One INSERT of a few rows writes one file.
	for f := 0; f < 5; f++ {
		exec1(t, conn, fmt.Sprintf(`INSERT INTO t VALUES (%d, 'a'), (%d, 'b'), (%d, 'c')`, f*10, f*10+1, f*10+2))
	}
	tables := storeTables(t, dir)
	if len(tables) != 1 {
		t.Fatalf("tables in the store: %v", tables)
	}
	td := tables[0]
	objs0, files0 := snapshot(t, td)
	if len(files0) != 5 || len(objs0) != 5 {
		t.Fatalf("after inserts: %d objects, manifest %v", len(objs0), files0)
	}

	// A row of file 1: only file 1 is rewritten, in its place.
	mustTag(t, conn, `DELETE FROM t WHERE k = 11`, "DELETE 1")
	objs1, files1 := snapshot(t, td)
	if len(objs1) != 6 || len(files1) != 5 {
		t.Fatalf("after delete: %d objects, manifest %v", len(objs1), files1)
	}
	for i, f := range files1 {
		if (f == files0[i]) != (i != 1) {
			t.Fatalf("after deleting from file 1: manifest %v, was %v", files1, files0)
		}
	}

	// Every row of file 3: the file leaves the manifest, nothing is written.
	mustTag(t, conn, `DELETE FROM t WHERE k >= 30 AND k < 40`, "DELETE 3")
	objs2, files2 := snapshot(t, td)
	want := slices.Delete(slices.Clone(files1), 3, 4)
	if len(objs2) != 6 || !slices.Equal(files2, want) {
		t.Fatalf("after deleting file 3: %d objects, manifest %v, want %v", len(objs2), files2, want)
	}

	// UPDATE of rows in files 0 and 4 (manifest positions 0 and 3): those
	// two are rewritten in place, the new row versions go to a new file at
	// the end.
	mustTag(t, conn, `UPDATE t SET v = v || '!' WHERE k IN (0, 42)`, "UPDATE 2")
	objs3, files3 := snapshot(t, td)
	if len(objs3) != 9 || len(files3) != 5 {
		t.Fatalf("after update: %d objects, manifest %v", len(objs3), files3)
	}
	for i, f := range files3[:4] {
		if (f == files2[i]) != (i == 1 || i == 2) {
			t.Fatalf("after update: manifest %v, was %v", files3, files2)
		}
	}
	if slices.Contains(files2, files3[4]) {
		t.Fatalf("after update: no new file at the end: %v", files3)
	}

	// A statement that matches nothing writes nothing and commits nothing.
	mustTag(t, conn, `UPDATE t SET v = 'x' WHERE k < 0`, "UPDATE 0")
	mustTag(t, conn, `DELETE FROM t WHERE v IS NULL`, "DELETE 0")
	if objs4, files4 := snapshot(t, td); len(objs4) != len(objs3) || !slices.Equal(files4, files3) {
		t.Fatalf("no-op statements changed the table: %v", files4)
	}
	got := rows(t, conn, `SELECT k, v FROM t ORDER BY k`)
	wantRows := []string{"0|a!", "1|b", "2|c", "10|a", "12|c", "20|a", "21|b", "22|c", "40|a", "41|b", "42|c!"}
	if !slices.Equal(got, wantRows) {
		t.Fatalf("rows %v, want %v", got, wantRows)
	}
}

func mustTag(t *testing.T, conn *pgx.Conn, sql, tag string) {
	t.Helper()
	ct, err := conn.Exec(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if ct.String() != tag {
		t.Fatalf("%s: tag %q, want %q", sql, ct.String(), tag)
	}
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestDMLConcurrentWritersConflict checks that of two transactions writing
// the same table, the second to commit fails with 40001 (its changes were
// made on a table version that is no longer current) instead of losing the
// first one's changes, for every pair of INSERT, DELETE and UPDATE.
func TestDMLConcurrentWritersConflict(t *testing.T) {
	c := startCluster(t, "")
	a, b := connect(t, c), connect(t, c)
	ctx := context.Background()
	stmts := map[string]string{
		"insert": `INSERT INTO t VALUES (100, 0)`,
		"delete": `DELETE FROM t WHERE k = %d`,
		"update": `UPDATE t SET n = n + 1 WHERE k = %d`,
	}
	kinds := []string{"insert", "delete", "update"}
	round := 0
	for _, first := range kinds {
		for _, second := range kinds {
			t.Run(first+"/"+second, func(t *testing.T) {
				round++
				tab := fmt.Sprintf("t%d", round)
				exec1(t, a, fmt.Sprintf(`CREATE TABLE %s (k int NOT NULL, n int)`, tab))
				exec1(t, a, fmt.Sprintf(`INSERT INTO %s VALUES (1, 0), (2, 0), (3, 0)`, tab))
				q := func(kind string, k int) string {
					s := strings.Replace(stmts[kind], " t ", " "+tab+" ", 1)
					if strings.Contains(s, "%d") {
						s = fmt.Sprintf(s, k)
					}
					return s
				}
				exec1(t, a, `BEGIN`)
				exec1(t, b, `BEGIN`)
				exec1(t, a, q(first, 1))
				exec1(t, b, q(second, 2))
				exec1(t, a, `COMMIT`)
				_, err := b.Exec(ctx, `COMMIT`)
				if sqlState(err) != "40001" {
					t.Fatalf("second commit: %v, want SQLSTATE 40001", err)
				}
				// Only the first transaction's change is there.
				want := map[string][]string{
					"insert": {"1|0", "2|0", "3|0", "100|0"},
					"delete": {"2|0", "3|0"},
					"update": {"1|1", "2|0", "3|0"},
				}[first]
				if got := rows(t, a, `SELECT k, n FROM `+tab+` ORDER BY k`); !slices.Equal(got, want) {
					t.Fatalf("rows %v, want %v", got, want)
				}
			})
		}
	}
}

// TestDMLRaceNoLostUpdate runs single-statement UPDATEs (increments of one
// row), INSERTs and DELETEs of one table from several sessions at once,
// retrying on 40001 as a client would: every attempt either commits or
// fails with 40001, and at the end every committed change is there (no
// update was lost by a concurrent manifest swap).
func TestDMLRaceNoLostUpdate(t *testing.T) {
	c := startCluster(t, "")
	setup := connect(t, c)
	exec1(t, setup, `CREATE TABLE ctr (k int NOT NULL, n int NOT NULL)`)
	exec1(t, setup, `INSERT INTO ctr VALUES (1, 0), (2, 0)`)
	const workers, perWorker = 4, 6
	var (
		mu        sync.Mutex
		conflicts int
		wg        sync.WaitGroup
	)
	conns := make([]*pgx.Conn, workers)
	for i := range conns {
		conns[i] = connect(t, c)
	}
	errs := make(chan error, workers*perWorker)
	incs, inserts := 0, 0
	for w := 0; w < workers; w++ {
		var sqls []string
		for i := 0; i < perWorker; i++ {
			switch (w + i) % 3 {
			case 0, 1:
				sqls = append(sqls, `UPDATE ctr SET n = n + 1 WHERE k = 1`)
				incs++
			default:
				sqls = append(sqls, `INSERT INTO ctr VALUES (3, 1)`, `DELETE FROM ctr WHERE k = 2 AND n < 0`)
				inserts++
			}
		}
		wg.Add(1)
		go func(conn *pgx.Conn) {
			defer wg.Done()
			for _, sql := range sqls {
				for attempt := 0; ; attempt++ {
					_, err := conn.Exec(context.Background(), sql)
					if err == nil {
						break
					}
					if sqlState(err) != "40001" || attempt == 100 {
						errs <- fmt.Errorf("%s: %v", sql, err)
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}
		}(conns[w])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := rows(t, setup, `SELECT k, count(*), sum(n) FROM ctr GROUP BY k ORDER BY k`)
	want := []string{"1|1|" + fmt.Sprint(incs), "2|1|0", fmt.Sprintf("3|%d|%d", inserts, inserts)}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	t.Logf("%d increments and %d inserts committed after %d conflicts", incs, inserts, conflicts)
}

// TestDMLRepartitionedJoin runs DELETE ... USING and UPDATE ... FROM whose
// joins are repartitioned (cirrus.broadcast_rows = 0 shuffles every join
// with keys), so the target's scan feeds a Shuffle.
func TestDMLRepartitionedJoin(t *testing.T) {
	c := startCluster(t, "")
	conn := connect(t, c)
	exec1(t, conn, `CREATE TABLE t (k int NOT NULL, v text)`)
	exec1(t, conn, `CREATE TABLE u (k int, w text)`)
	for f := 0; f < 4; f++ {
		exec1(t, conn, fmt.Sprintf(`INSERT INTO t VALUES (%d, 'a'), (%d, 'b'), (%d, 'c')`, f*10, f*10+1, f*10+2))
	}
	exec1(t, conn, `INSERT INTO u VALUES (1, 'x'), (12, 'y'), (12, 'z'), (30, 'w'), (NULL, 'n')`)
	exec1(t, conn, `SET cirrus.broadcast_rows = 0`)
	if plan := strings.Join(rows(t, conn, `EXPLAIN SELECT t.k FROM t, u WHERE t.k = u.k`), "\n"); !strings.Contains(plan, "Shuffle") {
		t.Fatalf("join is not repartitioned:\n%s", plan)
	}
	mustTag(t, conn, `DELETE FROM t USING u WHERE t.k = u.k AND u.w <> 'w'`, "DELETE 2")
	mustTag(t, conn, `UPDATE t SET v = v || u.w FROM u WHERE t.k = u.k`, "UPDATE 1")
	got := rows(t, conn, `SELECT k, v FROM t ORDER BY k`)
	want := []string{"0|a", "2|c", "10|a", "11|b", "20|a", "21|b", "22|c", "30|aw", "31|b", "32|c"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}
