package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/internal/metrics/metricstest"
)

// slowQuery is a deliberately slow distributed query over slowTable's
// 2^15 rows: a cross join of a billion pairs, aggregated on the
// participants.
const slowQuery = `SELECT count(*) FROM slow a, slow b WHERE a.x + b.x < 0`

// loadSlowTable creates slow(x int8) with 2^15 rows.
func loadSlowTable(t *testing.T, conn *pgx.Conn) {
	exec1(t, conn, `CREATE TABLE slow (x int8)`)
	exec1(t, conn, `INSERT INTO slow VALUES (1), (2)`)
	for range 14 {
		exec1(t, conn, `INSERT INTO slow SELECT x + 1 FROM slow`)
	}
}

// metricsServer serves the cluster's /metrics.
func metricsServer(t *testing.T, c *devcluster.Cluster) string {
	srv := httptest.NewServer(metrics.Handler(c.Metrics))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

func metricValue(t *testing.T, s *metricstest.Scrape, name string, labels ...string) float64 {
	t.Helper()
	v, ok := s.Value(name, labels...)
	if !ok {
		t.Fatalf("no series %s%v in:\n%s", name, labels, s.Text)
	}
	return v
}

// waitParticipantsIdle waits until no participant runs a fragment and
// returns how long that took; the test fails after limit.
func waitParticipantsIdle(t *testing.T, url string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		s := metricstest.Get(t, url)
		if metricValue(t, s, "cirrus_participant_fragments_running") == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("participants still run fragments %v after the query ended:\n%s", limit, s.Text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitActive waits until the session named app runs a statement with
// fragments on participants, and returns its pid and participants.
func waitActive(t *testing.T, conn *pgx.Conn, app string) (pid int32, participants string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var state, query string
		var fragments int32
		err := conn.QueryRow(context.Background(), `SELECT pid, state, query, fragments, participants FROM cirrus_stat_activity WHERE application_name = $1 AND state = 'active'`, app).
			Scan(&pid, &state, &query, &fragments, &participants)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		if err == nil && state == "active" && fragments > 0 {
			if query != slowQuery {
				t.Fatalf("query %q, want %q", query, slowQuery)
			}
			return pid, participants
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("session %s never showed as active with fragments", app)
	return 0, ""
}

func connectApp(t *testing.T, c *devcluster.Cluster, app string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn(c))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestMetricsEndpoint scrapes the cluster's /metrics around a workload
// and checks the exposition (with Prometheus's parser and promtool's
// rules) and the counters' values.
func TestMetricsEndpoint(t *testing.T) {
	c := startCluster(t, "")
	url := metricsServer(t, c)
	before := metricstest.Get(t, url)
	conn := connect(t, c)
	exec1(t, conn, `CREATE TABLE m (a int8, b text)`)
	exec1(t, conn, `INSERT INTO m VALUES (1, 'x'), (2, 'y'), (3, 'z')`)
	if got := rows(t, conn, `SELECT a FROM m WHERE a >= 2 ORDER BY a`); !slices.Equal(got, []string{"2", "3"}) {
		t.Fatalf("rows %v", got)
	}
	if _, err := conn.Exec(t.Context(), `SELECT 1/0`); sqlState(err) != "22012" {
		t.Fatalf("1/0: %v", err)
	}
	exec1(t, conn, `BEGIN`)
	s := metricstest.Get(t, url)
	if v := metricValue(t, s, "cirrus_coordinator_open_transactions"); v != 1 {
		t.Errorf("open transactions %v, want 1", v)
	}
	exec1(t, conn, `ROLLBACK`)

	s = metricstest.Get(t, url)
	delta := func(name string, labels ...string) float64 {
		b, _ := before.Value(name, labels...)
		return metricValue(t, s, name, labels...) - b
	}
	for _, c := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"cirrus_coordinator_queries_started_total", nil, 6},
		{"cirrus_coordinator_queries_finished_total", []string{"outcome", "ok", "sqlstate_class", "00"}, 5},
		{"cirrus_coordinator_queries_finished_total", []string{"outcome", "error", "sqlstate_class", "22"}, 1},
		{"cirrus_coordinator_query_duration_seconds", nil, 6},
		{"cirrus_coordinator_rows_returned_total", nil, 2},
		{"cirrus_coordinator_transactions_committed_total", nil, 2},
		{"cirrus_coordinator_transactions_rolled_back_total", nil, 2}, // 1/0 and ROLLBACK
		{"cirrus_pgwire_received_bytes_total", nil, 100},
		{"cirrus_pgwire_sent_bytes_total", nil, 100},
		{"cirrus_participant_fragments_total", nil, 1},
		{"cirrus_participant_scan_rows_total", nil, 3},
		{"cirrus_participant_scan_bytes_total", nil, 24},
		{"cirrus_participant_row_groups_scanned_total", nil, 1},
		{"cirrus_participant_memory_cache_misses_total", nil, 1},
		{"cirrus_participant_exchange_sent_bytes_total", nil, 1},
		{"cirrus_participant_exchange_received_bytes_total", nil, 1},
		{"cirrus_metad_commits_total", []string{"outcome", "ok"}, 2},
		{"cirrus_metad_commit_duration_seconds", nil, 2},
		{"cirrus_catalog_sets_applied_total", []string{"node", "coordinator-0"}, 2},
	} {
		if d := delta(c.name, c.labels...); d < c.min {
			t.Errorf("%s%v grew by %v, want at least %v", c.name, c.labels, d, c.min)
		}
	}
	if v := metricValue(t, s, "cirrus_coordinator_sessions"); v != 1 {
		t.Errorf("sessions %v, want 1", v)
	}
	if v := metricValue(t, s, "cirrus_metad_registered_nodes"); v != 3 {
		t.Errorf("registered nodes %v, want 3", v)
	}
	seq := metricValue(t, s, "cirrus_metad_invalidation_seq")
	for _, node := range []string{"coordinator-0", "participant-0", "participant-1"} {
		if v := metricValue(t, s, "cirrus_catalog_applied_seq", "node", node); v < seq {
			// Commits wait for every node to apply them.
			t.Errorf("%s applied %v, metad is at %v", node, v, seq)
		}
		if v := metricValue(t, s, "cirrus_catalog_lag_seq", "node", node); v < 0 {
			t.Errorf("%s lag %v", node, v)
		}
		if v := metricValue(t, s, "cirrus_catalog_queue_silence_seconds", "node", node); v > 5 {
			t.Errorf("%s has not heard from metad for %vs", node, v)
		}
	}
}

// TestActivityAndCancel runs a deliberately slow distributed query and
// stops it in each way a client can: pg_cancel_backend from another
// session, statement_timeout, and a CancelRequest (what psql's Ctrl-C
// and pgx's context cancellation send). Each time the query fails with
// 57014 and the participants stop working on it within 1 s, measured
// with their fragments_running gauge. cirrus_stat_activity and
// pg_stat_activity show the running query with its fragments and
// participants, and pg_terminate_backend ends a session.
func TestActivityAndCancel(t *testing.T) {
	c := startCluster(t, "")
	url := metricsServer(t, c)
	conn := connect(t, c)
	loadSlowTable(t, conn)
	slow := connectApp(t, c, "slow")

	run := func(ctx context.Context) (time.Time, error) {
		_, err := slow.Exec(ctx, slowQuery)
		return time.Now(), err
	}
	type result struct {
		end time.Time
		err error
	}
	start := func(ctx context.Context) chan result {
		ch := make(chan result, 1)
		go func() {
			end, err := run(ctx)
			ch <- result{end, err}
		}()
		return ch
	}
	check := func(what string, r result, msg string) {
		t.Helper()
		var pe *pgconn.PgError
		if !errors.As(r.err, &pe) || pe.Code != "57014" || pe.Message != msg {
			t.Fatalf("%s: %v, want 57014 %q", what, r.err, msg)
		}
		took := waitParticipantsIdle(t, url, time.Second)
		t.Logf("%s: participants idle %v after the error", what, took)
	}

	// pg_cancel_backend from another session.
	done := start(context.Background())
	pid, parts := waitActive(t, conn, "slow")
	if got, want := strings.Split(parts, ","), slices.Sorted(slices.Values(c.ParticipantAddrs)); !slices.Equal(got, want) {
		t.Errorf("participants %q, want %q", parts, want)
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND backend_type = 'client backend'`, pid).Scan(&n); err != nil || n != 1 {
		t.Fatalf("pg_stat_activity: %d rows, %v", n, err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid WHERE a.pid = $1 AND r.rolname = a.usename AND a.datid = (SELECT oid FROM pg_database WHERE datname = a.datname)`, pid).Scan(&n); err != nil || n != 1 {
		t.Fatalf("pg_stat_activity's usesysid and datid: %d rows, %v", n, err)
	}
	var ok bool
	if err := conn.QueryRow(t.Context(), fmt.Sprintf(`SELECT pg_cancel_backend(%d)`, pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_cancel_backend: %v %v", ok, err)
	}
	check("pg_cancel_backend", <-done, "canceling statement due to user request")
	var state string
	if err := conn.QueryRow(t.Context(), `SELECT state FROM cirrus_stat_activity WHERE pid = $1`, pid).Scan(&state); err != nil || state != "idle" {
		t.Fatalf("state after cancel %q, %v", state, err)
	}

	// statement_timeout.
	exec1(t, slow, `SET statement_timeout = '700ms'`)
	began := time.Now()
	r := <-start(context.Background())
	if took := r.end.Sub(began); took < 700*time.Millisecond || took > 3*time.Second {
		t.Errorf("statement_timeout 700ms ended the query after %v", took)
	}
	check("statement_timeout", r, "canceling statement due to statement timeout")
	exec1(t, slow, `RESET statement_timeout`)

	// A CancelRequest on a new connection, as psql sends on Ctrl-C.
	done = start(context.Background())
	waitActive(t, conn, "slow")
	if err := slow.PgConn().CancelRequest(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("CancelRequest", <-done, "canceling statement due to user request")

	// Ctrl-C in psql: SIGINT makes it send a CancelRequest.
	if psql, err := exec.LookPath("psql"); err == nil {
		host, port, _ := strings.Cut(c.PGAddrs[0], ":")
		cmd := exec.Command(psql, "-X", "-h", host, "-p", port, "-U", "cirrus", "-v", "VERBOSITY=verbose", "-c", slowQuery, "cirrus")
		cmd.Env = append(os.Environ(), "PGAPPNAME=psql-slow", "PGCONNECT_TIMEOUT=10")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitActive(t, conn, "psql-slow")
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if !strings.Contains(out.String(), "ERROR:  57014: canceling statement due to user request") {
			t.Fatalf("psql after Ctrl-C (%v):\n%s", err, out.String())
		}
		took := waitParticipantsIdle(t, url, time.Second)
		t.Logf("psql Ctrl-C: participants idle %v after psql exited", took)
	}

	// The session goes on.
	if got := rows(t, slow, `SELECT count(*) FROM slow`); !slices.Equal(got, []string{"32768"}) {
		t.Fatalf("after cancels: %v", got)
	}

	// Signalling a pid that is no backend: false with a WARNING.
	if err := conn.QueryRow(t.Context(), `SELECT pg_cancel_backend(1)`).Scan(&ok); err != nil || ok {
		t.Fatalf("pg_cancel_backend(1): %v %v", ok, err)
	}
	// The running statement's own backend, named by pg_backend_pid().
	if err := conn.QueryRow(t.Context(), `SELECT pid FROM cirrus_stat_activity WHERE pid = pg_backend_pid() AND state = 'active' AND query LIKE '%cirrus_stat_activity%'`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("own session in cirrus_stat_activity: %v %v", n, err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT pg_cancel_backend(2)`).Scan(&ok); err != nil || ok {
		t.Fatalf("pg_cancel_backend(1): %v %v", ok, err)
	}

	// pg_terminate_backend ends the session.
	if err := conn.QueryRow(t.Context(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v %v", ok, err)
	}
	if _, err := slow.Exec(t.Context(), `SELECT 1`); err == nil {
		t.Fatal("a terminated session still runs statements")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM cirrus_stat_activity WHERE pid = $1`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("terminated session still listed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
