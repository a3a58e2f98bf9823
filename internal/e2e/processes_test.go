//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/proctest"
)

// textRows is pgtest.TextRows: rows as text, values joined by '|'.
var textRows = pgtest.TextRows

// TestSeparateProcesses runs metad, two participants and a coordinator as
// separate OS processes built from cmd/cirrus, loads and queries data over
// pgx, kills a participant (SIGKILL) and restarts it on the same address
// and data directory.
func TestSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	start := time.Now()
	tmp := t.TempDir()
	bin := proctest.BuildCirrus(t, tmp)
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	data := filepath.Join(tmp, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}

	addrs := proctest.FreeAddrs(t, 6)
	metadAddr, etcdClient, etcdPeer := addrs[0], addrs[1], addrs[2]
	partAddrs := []string{addrs[3], addrs[4]}
	pgAddr := addrs[5]

	c := proctest.NewGroup(t)
	deadline := time.Now().Add(20 * time.Second)
	md := c.Start("metad", nil, bin, "metad", "--listen", metadAddr,
		"--etcd-dir", filepath.Join(data, "etcd"), "--etcd-listen", etcdClient, "--etcd-peer", etcdPeer)
	startParticipant := func(i int) *proctest.Proc {
		return c.Start(fmt.Sprintf("participant%d", i), nil, bin, "participant", "--listen", partAddrs[i], "--data", data)
	}
	parts := []*proctest.Proc{startParticipant(0), startParticipant(1)}
	proctest.WaitListening(t, md, metadAddr, deadline)
	for i, p := range parts {
		proctest.WaitListening(t, p, partAddrs[i], deadline)
	}
	co := c.Start("coordinator", nil, bin, "coordinator", "--listen", pgAddr, "--metad", metadAddr,
		"--participants", strings.Join(partAddrs, ","), "--data", data)
	proctest.WaitListening(t, co, pgAddr, deadline)
	t.Logf("cluster up after %v", time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	connCtx, connCancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(connCtx, fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", pgAddr))
	connCancel()
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	run := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// customers 0..6; orders reference customers 0..7 (7 has no customer,
	// so the inner join drops its orders).
	run(`CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL)`)
	run(`INSERT INTO customers VALUES (0, 'c0'), (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4'), (5, 'c5'), (6, 'c6')`)
	run(`CREATE TABLE orders (id bigint NOT NULL, cust integer NOT NULL, amount numeric(12,2), day date, note text)`)

	type order struct {
		cust  int
		cents int64 // -1: NULL amount
		note  bool
	}
	var orders []order
	// Several INSERTs and a COPY give the table several files, so a scan
	// needs both participants.
	run(`INSERT INTO orders VALUES (-1, 1, 10.50, '2024-01-01', 'first'), (-2, 7, NULL, NULL, NULL), (-3, 3, 0.01, '2024-06-30', 'x')`)
	orders = append(orders, order{1, 1050, true}, order{7, -1, false}, order{3, 1, true})

	const copyRows = 10000
	var sb strings.Builder
	for i := 0; i < copyRows; i++ {
		cents := int64(i%1000)*7 + 1
		note := fmt.Sprintf("n\\t%d", i) // text-format escape: a tab
		if i%100 == 0 {
			note = `\N`
		}
		fmt.Fprintf(&sb, "%d\t%d\t%d.%02d\t2024-%02d-%02d\t%s\n", i, i%8, cents/100, cents%100, i%12+1, i%28+1, note)
		orders = append(orders, order{i % 8, cents, i%100 != 0})
	}
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(sb.String()), `COPY orders (id, cust, amount, day, note) FROM STDIN`)
	if err != nil {
		t.Fatalf("COPY: %v", err)
	}
	if tag.RowsAffected() != copyRows {
		t.Fatalf("COPY: tag %q, want %d rows", tag.String(), copyRows)
	}
	run(`INSERT INTO orders (id, cust, amount, note) VALUES (10000, 0, 99.99, 'last')`)
	orders = append(orders, order{0, 9999, true})

	// Expected results.
	var nAmount, nNote int
	var total int64
	type agg struct {
		n     int
		cents int64
	}
	byCust := map[int]*agg{}
	for _, o := range orders {
		if o.note {
			nNote++
		}
		a := byCust[o.cust]
		if a == nil {
			a = &agg{}
			byCust[o.cust] = a
		}
		a.n++
		if o.cents >= 0 {
			nAmount++
			total += o.cents
			a.cents += o.cents
		}
	}
	money := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	const totalsSQL = `SELECT count(*), count(amount), count(note), sum(amount), min(id), max(id), max(length(note)) FROM orders`
	wantTotals := fmt.Sprintf("%d|%d|%d|%s|-3|10000|6", len(orders), nAmount, nNote, money(total))
	const joinSQL = `SELECT c.name, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.cust GROUP BY c.name ORDER BY c.name`
	var wantJoin []string
	for cust := 0; cust < 7; cust++ {
		a := byCust[cust]
		wantJoin = append(wantJoin, fmt.Sprintf("c%d|%d|%s", cust, a.n, money(a.cents)))
	}

	check := func(when string) {
		t.Helper()
		got, err := textRows(ctx, conn, totalsSQL)
		if err != nil {
			t.Fatalf("%s: totals: %v", when, err)
		}
		if len(got) != 1 || got[0] != wantTotals {
			t.Fatalf("%s: totals:\n got %v\nwant %s", when, got, wantTotals)
		}
		got, err = textRows(ctx, conn, joinSQL)
		if err != nil {
			t.Fatalf("%s: aggregate over join: %v", when, err)
		}
		if strings.Join(got, "\n") != strings.Join(wantJoin, "\n") {
			t.Fatalf("%s: aggregate over join:\ngot:\n%s\nwant:\n%s", when, strings.Join(got, "\n"), strings.Join(wantJoin, "\n"))
		}
		// Extended protocol with a parameter, too.
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM orders WHERE cust = $1`, 7).Scan(&n); err != nil {
			t.Fatalf("%s: count with parameter: %v", when, err)
		}
		if int(n) != byCust[7].n {
			t.Fatalf("%s: count with parameter: got %d, want %d", when, n, byCust[7].n)
		}
	}
	check("before kill")

	// Kill participant 1 outright: queries that need it fail cleanly and the
	// session stays usable.
	victim := parts[1]
	t.Logf("killing %s", victim)
	victim.Signal(syscall.SIGKILL)
	select {
	case <-victim.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not die after SIGKILL", victim.Name)
	}
	qctx, qcancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = textRows(qctx, conn, joinSQL)
	qcancel()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("query with a participant down: want a PostgreSQL error, got %v", err)
	}
	t.Logf("query with a participant down: %s %s", pe.Code, pe.Message)
	if pe.Code == "" || pe.Code == "XX000" {
		t.Fatalf("query with a participant down: want a classified SQLSTATE, got %s: %s", pe.Code, pe.Message)
	}
	var one int
	if err := conn.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 after the failure: %d, %v", one, err)
	}

	// Restart it on the same address and data directory; the coordinator
	// reconnects (gRPC backs off between attempts, so allow a few seconds).
	parts[1] = startParticipant(1)
	proctest.WaitListening(t, parts[1], partAddrs[1], time.Now().Add(10*time.Second))
	restarted := time.Now()
	retryUntil := restarted.Add(15 * time.Second)
	for {
		_, err := textRows(ctx, conn, joinSQL)
		if err == nil {
			t.Logf("queries succeed %v after the restart", time.Since(restarted).Round(time.Millisecond))
			break
		}
		if !errors.As(err, &pe) || time.Now().After(retryUntil) {
			t.Fatalf("query after restarting %s: %v", parts[1].Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("after restart")
	t.Logf("done after %v", time.Since(start).Round(time.Millisecond))
}
