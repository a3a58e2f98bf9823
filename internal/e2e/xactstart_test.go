package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// xactStartCases are the sessions TestTransactionStartDifferential runs.
// Each step is a simple Query message (a string, which may hold several
// statements) or a pgx batch (a []string, one extended-protocol pipeline
// up to its Sync); the values of the columns named t are collected in
// order: now(), statement_timestamp() and pg_stat_activity's xact_start
// and query_start.
var xactStartCases = []struct {
	name  string
	steps []any
}{
	{"simple multi-statement", []any{
		"select now() t; select 1; select now() t; select statement_timestamp() t; " + xactStartOwn,
		"select now() t",
	}},
	{"simple COMMIT ends the implicit block", []any{
		"select now() t; select 1; commit; select 1; select now() t; " + xactStartOwn,
	}},
	{"simple BEGIN joins the implicit block", []any{
		"select now() t; select 1; begin; select now() t",
		"select 1; select now() t; commit",
		"select now() t",
	}},
	{"explicit BEGIN ... COMMIT", []any{
		"begin",
		"select now() t; " + xactStartOwn,
		"select 1",
		"select now() t; select statement_timestamp() t; " + xactStartOwn,
		"commit",
		"select now() t",
		"begin; select 1; select now() t; rollback; select now() t",
	}},
	{"batch", []any{
		[]string{"select now() t", "select 1", "select now() t", "select statement_timestamp() t", xactStartOwn},
		[]string{"select now() t"},
	}},
	{"batch with COMMIT", []any{
		[]string{"select now() t", "select 1", "commit", "select 1", "select now() t", xactStartOwn},
	}},
	{"batch with BEGIN ... COMMIT", []any{
		[]string{"select now() t", "select 1", "begin", "select now() t", "select 1"},
		[]string{"select now() t", "commit", "select 1", "select now() t"},
	}},
}

// xactStartOwn reads the session's own transaction start in the
// statistics view.
const xactStartOwn = "select xact_start t from pg_stat_activity where pid = pg_backend_pid()"

// TestTransactionStartDifferential checks that now() and xact_start follow
// the transaction (explicit, or the implicit one of a Query message or of
// a pipeline up to Sync) as in PostgreSQL 15: which of the collected
// timestamps are equal, and which later, must be the same on both servers.
func TestTransactionStartDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("xactstart_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	for _, tc := range xactStartCases {
		t.Run(tc.name, func(t *testing.T) {
			want := xactStartPattern(t, ctx, pg.DSN(db), tc.steps)
			got := xactStartPattern(t, ctx, dsn(c), tc.steps)
			if got != want {
				t.Errorf("timestamps compare as\n%s\nPostgreSQL:\n%s", got, want)
			}
		})
	}
}

// xactStartPattern runs steps in a new session of dsn and describes how
// the collected timestamps compare: for each one, whether it equals or
// follows each earlier one.
func xactStartPattern(t *testing.T, ctx context.Context, dsn string, steps []any) string {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ts []time.Time
	for _, step := range steps {
		switch step := step.(type) {
		case string:
			results, err := conn.PgConn().Exec(ctx, step).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			for _, r := range results {
				if len(r.FieldDescriptions) == 0 || r.FieldDescriptions[0].Name != "t" {
					continue
				}
				for _, row := range r.Rows {
					v, err := time.Parse("2006-01-02 15:04:05.999999Z07", string(row[0]))
					if err != nil {
						t.Fatalf("%s: %v", step, err)
					}
					ts = append(ts, v)
				}
			}
		case []string:
			b := &pgx.Batch{}
			for _, sql := range step {
				b.Queue(sql)
			}
			br := conn.SendBatch(ctx, b)
			for _, sql := range step {
				if !strings.Contains(sql+" ", " t ") {
					if _, err := br.Exec(); err != nil {
						t.Fatalf("%s: %v", sql, err)
					}
					continue
				}
				var v time.Time
				if err := br.QueryRow().Scan(&v); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
				ts = append(ts, v)
			}
			if err := br.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out strings.Builder
	for i := range ts {
		fmt.Fprintf(&out, "t%d:", i)
		for j := range i {
			switch {
			case ts[i].Equal(ts[j]):
				fmt.Fprintf(&out, " =t%d", j)
			case ts[i].After(ts[j]):
				fmt.Fprintf(&out, " >t%d", j)
			default:
				fmt.Fprintf(&out, " <t%d", j)
			}
		}
		out.WriteByte('\n')
	}
	return out.String()
}

// TestAbortedTransactionStartDifferential checks what another session sees
// of a transaction block an error aborted: in PostgreSQL 15 the
// transaction has ended (xact_start is null) until ROLLBACK, unless the
// error only aborted a subtransaction (a savepoint), after which ROLLBACK
// TO goes on with the same transaction and its now().
func TestAbortedTransactionStartDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("xactabort_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	run := func(dsn string) []string {
		a, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close(ctx)
		b, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close(ctx)
		var out []string
		seen := func(step string) {
			var null bool
			if err := b.QueryRow(ctx, "select xact_start is null from pg_stat_activity where pid = $1", a.PgConn().PID()).Scan(&null); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("after %s: xact_start null %v", step, null))
		}
		var before, after time.Time
		for _, step := range []string{"begin", "select 1/0", "rollback", "begin", "savepoint s", "select now()", "select 1/0", "rollback to s", "select now()", "commit"} {
			var err error
			switch step {
			case "select now()":
				if before.IsZero() {
					err = a.QueryRow(ctx, step).Scan(&before)
				} else {
					err = a.QueryRow(ctx, step).Scan(&after)
				}
			default:
				_, err = a.Exec(ctx, step)
			}
			if err != nil && step != "select 1/0" {
				t.Fatalf("%s: %v", step, err)
			}
			seen(step)
		}
		return append(out, fmt.Sprintf("now() the same after ROLLBACK TO: %v", before.Equal(after)))
	}
	want, got := run(pg.DSN(db)), run(dsn(c))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nPostgreSQL:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
