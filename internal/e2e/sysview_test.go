package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// storageColumns are cirrus_stat_storage's columns, in order.
var storageColumns = []string{"node", "addr",
	"memory_hits", "memory_misses", "memory_evictions", "memory_bytes", "memory_max_bytes",
	"disk_hits", "disk_misses", "disk_hit_bytes", "disk_miss_bytes", "disk_evictions", "disk_bytes", "disk_max_bytes",
	"memory_hit_ratio", "disk_hit_ratio", "row_groups_scanned", "row_groups_pruned"}

// TestSystemViewStorage queries cirrus_stat_storage, a system relation
// whose rows the coordinator asks the participants for when a statement
// runs, over both protocols: alone, filtered, sorted, aggregated, joined
// with user tables, from a prepared statement, and with a participant
// down. Changing it fails with PostgreSQL's errors and the session goes on.
func TestSystemViewStorage(t *testing.T) {
	c := startCluster(t, "")
	conn := connect(t, c)
	ctx := t.Context()

	// Shape: one row per participant, PostgreSQL-style column names and
	// types (OIDs: text 25, int8 20, float8 701).
	rs, err := conn.Query(ctx, `SELECT * FROM cirrus_stat_storage`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, f := range rs.FieldDescriptions() {
		names = append(names, f.Name)
		want := uint32(20)
		switch {
		case i < 2:
			want = 25
		case strings.HasSuffix(f.Name, "_ratio"):
			want = 701
		}
		if f.DataTypeOID != want {
			t.Errorf("column %s has type OID %d, want %d", f.Name, f.DataTypeOID, want)
		}
	}
	n := 0
	for rs.Next() {
		n++
	}
	if rs.Close(); rs.Err() != nil || n != 2 {
		t.Fatalf("SELECT * FROM cirrus_stat_storage: %d rows, %v; want 2", n, rs.Err())
	}
	if !slices.Equal(names, storageColumns) {
		t.Fatalf("columns %v\nwant %v", names, storageColumns)
	}
	addrs := rows(t, conn, `SELECT addr FROM cirrus_stat_storage ORDER BY addr`)
	want := slices.Sorted(slices.Values(c.ParticipantAddrs))
	if !slices.Equal(addrs, want) {
		t.Fatalf("addresses %v, want %v", addrs, want)
	}
	// A disk cache reports all its counters or none.
	if got := rows(t, conn, `SELECT count(*) FROM cirrus_stat_storage WHERE (disk_hits IS NULL) <> (disk_max_bytes IS NULL)`); got[0] != "0" {
		t.Errorf("%s rows with some disk counters NULL", got[0])
	}

	// Counters grow when a table is scanned, also when read by a
	// statement prepared before the scan: rows are computed at execution.
	exec1(t, conn, `CREATE TABLE sv (k int, name text)`)
	for f := range 4 {
		exec1(t, conn, fmt.Sprintf(`INSERT INTO sv SELECT k, 'row' || k FROM (VALUES (%d), (%d), (%d)) v(k)`, 3*f, 3*f+1, 3*f+2))
	}
	const counters = `SELECT sum(memory_hits + memory_misses)::bigint, sum(row_groups_scanned)::bigint FROM cirrus_stat_storage`
	if _, err := conn.Prepare(ctx, "counters", counters); err != nil {
		t.Fatal(err)
	}
	read := func() (lookups, scanned int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, "counters").Scan(&lookups, &scanned); err != nil {
			t.Fatal(err)
		}
		return lookups, scanned
	}
	lookups0, scanned0 := read()
	if got := rows(t, conn, `SELECT sum(k), count(name) FROM sv`); got[0] != "66|12" {
		t.Fatalf("scan of sv: %v", got)
	}
	lookups1, scanned1 := read()
	if lookups1 <= lookups0 || scanned1 < scanned0+4 {
		t.Errorf("after a scan of 4 files: cache lookups %d → %d, row groups scanned %d → %d", lookups0, lookups1, scanned0, scanned1)
	}
	simple, err := textRows(ctx, conn, counters)
	if err != nil || simple[0] != fmt.Sprintf("%d|%d", lookups1, scanned1) {
		t.Errorf("simple protocol: %v %v, want %d|%d", simple, err, lookups1, scanned1)
	}

	// WHERE, ORDER BY, aggregates, a parameter (extended protocol).
	for _, q := range []struct {
		sql  string
		args []any
		want string
	}{
		{`SELECT count(*), count(DISTINCT node), count(DISTINCT addr) FROM cirrus_stat_storage`, nil, "2|2|2"},
		{`SELECT count(*) FROM cirrus_stat_storage WHERE row_groups_scanned > 0 AND memory_hit_ratio IS NOT NULL AND memory_max_bytes > 0`, nil, "2"},
		{`SELECT count(*) FROM cirrus_stat_storage WHERE addr = $1`, []any{c.ParticipantAddrs[1]}, "1"},
		{`SELECT addr FROM cirrus_stat_storage ORDER BY addr DESC LIMIT 1`, nil, want[1]},
		{`SELECT count(*) FROM cirrus_stat_storage WHERE memory_hit_ratio BETWEEN 0 AND 1`, nil, "2"},
		{`SELECT count(*) FROM pg_catalog.cirrus_stat_storage`, nil, "2"},
	} {
		if got := strings.Join(rows(t, conn, q.sql, q.args...), "\n"); got != q.want {
			t.Errorf("%s: %s, want %s", q.sql, got, q.want)
		}
		if q.args == nil {
			got, err := textRows(ctx, conn, q.sql)
			if err != nil || strings.Join(got, "\n") != q.want {
				t.Errorf("%s (simple protocol): %v %v, want %s", q.sql, got, err, q.want)
			}
		}
	}
	var node string
	var ratio *float64
	if err := conn.QueryRow(ctx, `SELECT node, memory_hit_ratio FROM cirrus_stat_storage WHERE addr = $1`, want[0]).Scan(&node, &ratio); err != nil || node == "" || ratio == nil {
		t.Errorf("pgx scan: node %q ratio %v: %v", node, ratio, err)
	}

	// Joins with user tables: a small table of the node names (INSERT …
	// SELECT from the system relation), and sv probed with the view's rows.
	exec1(t, conn, `CREATE TABLE zones (node text, zone int)`)
	exec1(t, conn, `INSERT INTO zones SELECT node, CASE WHEN addr = $1 THEN 1 ELSE 2 END FROM cirrus_stat_storage`, want[0])
	for _, q := range []struct{ sql, want string }{
		{`SELECT z.zone, s.addr FROM cirrus_stat_storage s JOIN zones z ON z.node = s.node ORDER BY z.zone`, "1|" + want[0] + "\n2|" + want[1]},
		{`SELECT z.zone, s.addr FROM zones z JOIN cirrus_stat_storage s ON z.node = s.node ORDER BY 1`, "1|" + want[0] + "\n2|" + want[1]},
		{`SELECT count(*) FROM sv JOIN cirrus_stat_storage s ON sv.k = length(s.addr) - length(s.addr)`, "2"},
		{`SELECT count(*) FROM sv WHERE k IN (SELECT count(*) FROM cirrus_stat_storage)`, "1"},
		{`SELECT z.zone, count(*) FROM zones z, cirrus_stat_storage s WHERE s.node <> z.node GROUP BY z.zone ORDER BY 1`, "1|1\n2|1"},
	} {
		if got := strings.Join(rows(t, conn, q.sql), "\n"); got != q.want {
			t.Errorf("%s: %s, want %s", q.sql, got, q.want)
		}
	}

	// A user table of the same name is shadowed unless qualified.
	exec1(t, conn, `CREATE TABLE cirrus_stat_storage (x int)`)
	exec1(t, conn, `INSERT INTO public.cirrus_stat_storage VALUES (7)`)
	if got := rows(t, conn, `SELECT count(*) FROM cirrus_stat_storage`); got[0] != "2" {
		t.Errorf("unqualified name after CREATE TABLE: %v rows, want the system relation's 2", got)
	}
	if got := rows(t, conn, `SELECT x FROM public.cirrus_stat_storage`); got[0] != "7" {
		t.Errorf("public.cirrus_stat_storage: %v", got)
	}

	// Changes fail with PostgreSQL's SQLSTATEs; the session goes on, also
	// inside a transaction once it is rolled back.
	for _, e := range []struct{ sql, code string }{
		{`DELETE FROM cirrus_stat_storage`, "55000"},
		{`DELETE FROM pg_catalog.cirrus_stat_storage WHERE node = 'x'`, "55000"},
		{`INSERT INTO cirrus_stat_storage (node) VALUES ('x')`, "55000"},
		{`UPDATE cirrus_stat_storage SET memory_hits = 0`, "55000"},
		{`DROP TABLE cirrus_stat_storage`, "42809"},
		{`ALTER TABLE cirrus_stat_storage ADD COLUMN y int`, "42501"},
		{`CREATE TABLE pg_catalog.mine (a int)`, "42501"},
	} {
		_, err := conn.Exec(ctx, e.sql)
		wantCode(t, err, e.code)
		_, err = textRows(ctx, conn, e.sql)
		wantCode(t, err, e.code)
		if got := rows(t, conn, `SELECT count(*) FROM cirrus_stat_storage`); got[0] != "2" {
			t.Fatalf("after %s: %v", e.sql, got)
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, `DELETE FROM cirrus_stat_storage`)
	wantCode(t, err, "55000")
	_, err = tx.Exec(ctx, `SELECT 1`)
	wantCode(t, err, "25P02")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, conn, `SELECT count(*) FROM sv`); got[0] != "12" {
		t.Fatalf("after the rolled back transaction: %v", got)
	}

	// A participant that is down has a row of NULL counters, soon.
	nodes := rows(t, conn, `SELECT node FROM cirrus_stat_storage WHERE addr = $1`, want[1])
	down := slices.Index(c.ParticipantAddrs, want[1])
	c.StopParticipant(down)
	start := time.Now()
	got, err := textRows(ctx, conn, `SELECT node, addr, memory_hits, disk_hits, memory_hit_ratio, row_groups_scanned FROM cirrus_stat_storage ORDER BY addr`)
	if err != nil {
		t.Fatalf("with a participant down: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("with a participant down the query took %v", took)
	}
	if len(got) != 2 || got[1] != nodes[0]+"|"+want[1]+"|<null>|<null>|<null>|<null>" {
		t.Errorf("with participant %d down:\n%s", down, strings.Join(got, "\n"))
	}
	if fields := strings.Split(got[0], "|"); len(fields) != 6 || fields[1] != want[0] || fields[2] == "<null>" {
		t.Errorf("the live participant's row: %s", got[0])
	} else if _, err := strconv.ParseInt(fields[5], 10, 64); err != nil {
		t.Errorf("row_groups_scanned %q: %v", fields[5], err)
	}
	// pgx reads the NULLs (extended protocol, binary results).
	var hits *int64
	if err := conn.QueryRow(ctx, `SELECT memory_hits FROM cirrus_stat_storage WHERE addr = $1`, want[1]).Scan(&hits); err != nil || hits != nil {
		t.Errorf("memory_hits of the stopped participant: %v, %v", hits, err)
	}
}
