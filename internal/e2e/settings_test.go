package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// TestSessionSettingsLikePostgres runs the same client-side checks of
// session settings on Cirrus and on PostgreSQL 15 and requires the same
// transcript: startup parameters and `options=-c …` (what PGOPTIONS and
// tools send), the ParameterStatus values at startup and after SET,
// NOTICE and WARNING messages with client_min_messages, startup options
// that are refused, and psql with PGOPTIONS.
func TestSessionSettingsLikePostgres(t *testing.T) {
	pg := pgtest.Shared(t)
	pg.CreateDB(t, "settings")
	c := startCluster(t, "")
	pgDSN := pg.DSN("settings")
	got := sessionTranscript(t, dsn(c))
	want := sessionTranscript(t, pgDSN)
	if got != want {
		t.Fatalf("transcripts differ:\n%s", lineDiff(want, got))
	}
	t.Logf("transcript:\n%s", got)

	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not found")
	}
	run := func(dsn string) string {
		cmd := exec.Command(psql, "-X", "-A", "-t", "-c", "show search_path", "-c", "show statement_timeout", "-c", "show application_name", dsn)
		cmd.Env = append(os.Environ(), `PGOPTIONS=-c search_path=sales,public -c statement_timeout=90s --application-name=my\ tool`)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql: %v\n%s", err, out)
		}
		return string(out)
	}
	if g, w := run(dsn(c)), run(pgDSN); g != w {
		t.Fatalf("psql with PGOPTIONS: cirrus\n%s\npostgres\n%s", g, w)
	}
}

// lineDiff shows two transcripts line by line where they differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		mark := " "
		if wl != gl {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s postgres: %-60s cirrus: %s\n", mark, wl, gl)
	}
	return b.String()
}

// sessionTranscript connects to dsn in several ways and writes down what
// a client sees.
func sessionTranscript(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	var notices []string
	connect := func(params map[string]string) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range params {
			cfg.RuntimeParams[k] = v
		}
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
			notices = append(notices, fmt.Sprintf("%s %s %s", n.Severity, n.Code, n.Message))
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
	show := func(conn *pgx.Conn, sql string) {
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			fmt.Fprintf(&b, "%s: error %s\n", sql, sqlState(err))
			return
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			fmt.Fprintf(&b, "%s: error %s\n", sql, sqlState(err))
			return
		}
		fmt.Fprintf(&b, "%s: %s [%s]\n", sql, strings.Join(vals, "|"), rows.FieldDescriptions()[0].Name)
	}
	exec := func(conn *pgx.Conn, sql string) {
		notices = nil
		tag, err := conn.Exec(ctx, sql)
		fmt.Fprintf(&b, "%s: %s %s notices %q\n", sql, tag, sqlState(err), notices)
	}
	status := func(conn *pgx.Conn, names ...string) {
		for _, n := range names {
			fmt.Fprintf(&b, "  ParameterStatus %s=%q\n", n, conn.PgConn().ParameterStatus(n))
		}
	}
	reported := []string{"application_name", "client_encoding", "DateStyle", "IntervalStyle", "TimeZone",
		"standard_conforming_strings", "integer_datetimes", "server_encoding", "default_transaction_read_only", "in_hot_standby"}

	// Startup parameters as pgjdbc sends them, and options with -c and --.
	conn, err := connect(map[string]string{"application_name": "tool one", "DateStyle": "ISO", "TimeZone": "Europe/Berlin",
		"extra_float_digits": "2", "options": `-c search_path=sales,public -c statement_timeout=1500 --work-mem=8MB -c application_name=from\ options`})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b.WriteString("startup:\n")
	status(conn, reported...)
	for _, q := range []string{"SHOW search_path", "SHOW statement_timeout", "SHOW work_mem", "SHOW extra_float_digits",
		"SHOW DateStyle", "SHOW TimeZone", "SHOW application_name", "SHOW TRANSACTION ISOLATION LEVEL", "SHOW all_nosuch"} {
		show(conn, q)
	}
	exec(conn, "SET application_name = 'renamed'")
	exec(conn, "SET TimeZone = 'UTC'")
	exec(conn, "SET IntervalStyle = 'sql_standard'")
	status(conn, "application_name", "TimeZone", "IntervalStyle")
	exec(conn, "RESET ALL")
	status(conn, "application_name", "TimeZone", "IntervalStyle")
	show(conn, "SHOW search_path")
	show(conn, "SHOW work_mem")
	exec(conn, "BEGIN")
	exec(conn, "SET application_name = 'in txn'")
	exec(conn, "ROLLBACK")
	status(conn, "application_name")

	// Notices, and client_min_messages.
	exec(conn, "DROP TABLE IF EXISTS nosuch")
	exec(conn, "DROP VIEW IF EXISTS nosuch")
	exec(conn, "BEGIN")
	exec(conn, "BEGIN")
	exec(conn, "COMMIT")
	exec(conn, "COMMIT")
	exec(conn, "SET LOCAL work_mem = '1MB'")
	exec(conn, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
	exec(conn, "SET client_min_messages = warning")
	exec(conn, "DROP TABLE IF EXISTS nosuch")
	exec(conn, "COMMIT")
	exec(conn, "SET client_min_messages = error")
	exec(conn, "COMMIT")
	exec(conn, "RESET client_min_messages")

	// Startup settings that are refused.
	for _, params := range []map[string]string{
		{"nosuch_setting": "1"},
		{"options": "-c nosuch=1"},
		{"options": "-c statement_timeout=soon"},
		{"extra_float_digits": "9"},
		{"options": "-c server_version=1"},
	} {
		c2, err := connect(params)
		var pe *pgconn.PgError
		switch {
		case err == nil:
			fmt.Fprintf(&b, "startup %v: accepted\n", params)
			c2.Close(ctx)
		case errors.As(err, &pe):
			fmt.Fprintf(&b, "startup %v: %s %s %q\n", params, pe.Severity, pe.Code, pe.Message)
		default:
			fmt.Fprintf(&b, "startup %v: %v\n", params, err)
		}
	}
	// Idle timeouts end the session with FATAL.
	for _, c := range []struct{ setting, first string }{
		{"idle_in_transaction_session_timeout", "BEGIN"},
		{"idle_session_timeout", "SELECT 1"},
	} {
		c2, err := connect(map[string]string{c.setting: "300"})
		if err != nil {
			t.Fatal(err)
		}
		exec(c2, c.first)
		time.Sleep(800 * time.Millisecond)
		_, err = c2.Exec(ctx, "SELECT 2")
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			fmt.Fprintf(&b, "%s after 800 ms idle: %s %s %q\n", c.setting, pe.Severity, pe.Code, pe.Message)
		} else {
			fmt.Fprintf(&b, "%s after 800 ms idle: %v\n", c.setting, err)
		}
		c2.Close(ctx)
	}
	lines := strings.Split(b.String(), "\n")
	return strings.Join(slices.Clip(lines), "\n")
}
