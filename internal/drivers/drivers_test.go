// Package drivers runs real PostgreSQL client drivers and tools against
// Cirrus and against PostgreSQL 15 and requires the same results from both:
// pgjdbc (Debian's libpostgresql-jdbc-java, compiled and run with the JDK),
// psycopg2 and psycopg 3 (Debian's packages, run with /usr/bin/python3) and
// pgbench. `make deps` installs them (scripts/ensure-drivers.sh).
//
// Both servers hold the same data: TPC-H at scale factor 0.01, loaded with
// COPY from ../shared/tpch/sf0.01, and testdata/schema.sql (a table with
// every type the suites read, and one with a primary key). Each client
// program under testdata prints deterministic text in sections headed by
// "== NAME"; it runs once against each server and every section is compared
// line by line as a subtest of its own:
//
//	go test ./internal/drivers/ -run 'TestDrivers/pgjdbc/prepared' -v
//
// A section that needs a Cirrus feature not built yet names it (see
// section.missing) and is reported as skipped with that name;
// CIRRUS_DRIVERS_PENDING=1 runs those sections too.
package drivers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/sqllogic"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A target is a server the client programs connect to. Every program reads
// its connection from the libpq environment variables (PGHOST, PGPORT,
// PGUSER, PGDATABASE).
type target struct {
	name     string // "postgres" or "cirrus", in messages
	host     string
	port     string
	user, db string
}

// dsn is a connection URL for pgx.
func (tg target) dsn() string {
	return fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", tg.user, tg.host, tg.port, tg.db)
}

// env is the environment a client program runs with: the connection, UTC
// and a C UTF-8 locale, so that nothing but the server shapes the output.
func (tg target) env() []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + os.TempDir(),
		"PGHOST=" + tg.host, "PGPORT=" + tg.port, "PGUSER=" + tg.user, "PGDATABASE=" + tg.db,
		"PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "PGAPPNAME=drivers",
		"TZ=UTC", "LC_ALL=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8",
	}
}

// servers are the two targets, loaded with the same data.
type servers struct {
	postgres, cirrus target
}

// TestDrivers loads both servers once and runs every client suite.
func TestDrivers(t *testing.T) {
	if err := sqllogic.DatasetAvailable(sqllogic.DatasetTPCH); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	srv := start(t)
	t.Run("pgjdbc", func(t *testing.T) { testJDBC(t, srv) })
	t.Run("psycopg2", func(t *testing.T) { testPsycopg(t, srv, "psycopg2_suite.py", psycopg2Sections) })
	t.Run("psycopg3", func(t *testing.T) { testPsycopg(t, srv, "psycopg3_suite.py", psycopg3Sections) })
	t.Run("pgbench", func(t *testing.T) { testPgbench(t, srv) })
}

// start starts PostgreSQL and a Cirrus cluster (1 coordinator, 2
// participants) and loads both, at the same time.
func start(t *testing.T) *servers {
	pg := pgtest.Shared(t)
	pg.CreateDB(t, "drivers")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: dir, Coordinators: 1, Participants: 2,
		Logf: func(string, ...any) {}})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Close)
	host, port, _ := strings.Cut(c.PGAddrs[0], ":")
	srv := &servers{
		postgres: target{name: "postgres", host: pg.Host(), port: fmt.Sprint(pg.Port()), user: pgtest.SuperUser, db: "drivers"},
		cirrus:   target{name: "cirrus", host: host, port: port, user: "cirrus", db: "cirrus"},
	}
	began := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, tg := range []target{srv.postgres, srv.cirrus} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = load(ctx, tg)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded both servers in %v", time.Since(began).Round(time.Millisecond))
	return srv
}

// load creates and fills the TPC-H tables and testdata/schema.sql.
func load(ctx context.Context, tg target) error {
	schema, err := os.ReadFile("testdata/schema.sql")
	if err != nil {
		return err
	}
	conn, err := pgconn.Connect(ctx, tg.dsn())
	if err != nil {
		return fmt.Errorf("%s: %w", tg.name, err)
	}
	defer conn.Close(context.Background())
	if err := sqllogic.LoadDataset(ctx, conn, sqllogic.DatasetTPCH); err != nil {
		return fmt.Errorf("%s: %w", tg.name, err)
	}
	if _, err := conn.Exec(ctx, string(schema)).ReadAll(); err != nil {
		return fmt.Errorf("%s: testdata/schema.sql: %w", tg.name, err)
	}
	return nil
}

// A section is one named part of a client program's output.
type section struct {
	name string
	// missing, when set, names the Cirrus feature the section needs that is
	// not built yet (and who builds it). The section is not run, and its
	// subtest is skipped with this text, unless CIRRUS_DRIVERS_PENDING=1.
	missing string
}

// runnable returns the names of the sections to run and reports the others
// as skipped subtests.
func runnable(t *testing.T, sections []section) []string {
	pending := os.Getenv("CIRRUS_DRIVERS_PENDING") == "1"
	var names []string
	for _, s := range sections {
		if s.missing != "" && !pending {
			t.Run(s.name, func(t *testing.T) {
				t.Skipf("needs %s (CIRRUS_DRIVERS_PENDING=1 runs it)", s.missing)
			})
			continue
		}
		names = append(names, s.name)
	}
	return names
}

// compareSections runs a client program against both servers at once (argv
// gives its command line for a target; it runs with target.env) and
// compares each section's output as a subtest. The PostgreSQL run is the
// oracle: it must exit cleanly and report no unexpected error.
func compareSections(t *testing.T, srv *servers, names []string, argv func(target) []string) {
	want, got := runBoth(srv, argv)
	wantSecs, gotSecs := splitSections(want.stdout), splitSections(got.stdout)
	if want.err != nil {
		t.Fatalf("on postgres: %v\nstderr:\n%s", want.err, want.stderr)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			w := wantSecs[name]
			if len(w) == 0 {
				t.Fatalf("the program printed nothing in section %q on postgres", name)
			}
			for _, l := range w {
				if strings.HasPrefix(l, unexpectedPrefix) {
					t.Fatalf("on postgres: %s\nstderr:\n%s", l, want.stderr)
				}
			}
			g := gotSecs[name]
			if !slices.Equal(w, g) {
				t.Errorf("cirrus differs from postgres (- postgres, + cirrus):\n%s%s",
					sqllogic.LineDiff(w, g, 80), stderrNote(got))
			}
		})
	}
	if got.err != nil {
		t.Errorf("on cirrus: %v%s", got.err, stderrNote(got))
	}
}

// unexpectedPrefix starts the line a client program prints for an error its
// section did not provoke on purpose.
const unexpectedPrefix = "unexpected "

// run is one finished run of a client program.
type run struct {
	stdout, stderr string
	err            error
}

// runBoth runs the program against both servers concurrently, each bounded
// by 2 minutes.
func runBoth(srv *servers, argv func(target) []string) (pg, cirrus run) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		pg = runProgram(srv.postgres, argv(srv.postgres))
	}()
	cirrus = runProgram(srv.cirrus, argv(srv.cirrus))
	wg.Wait()
	return pg, cirrus
}

// runProgram runs argv with tg's environment.
func runProgram(tg target, argv []string) run {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Env = tg.env()
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if err != nil {
		err = fmt.Errorf("%s: %w", strings.Join(c.Args, " "), err)
	}
	return run{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func stderrNote(r run) string {
	if r.stderr == "" {
		return ""
	}
	const max = 6000
	s := r.stderr
	if len(s) > max {
		s = s[:max] + "\n..."
	}
	return "\nstderr on cirrus:\n" + s
}

// splitSections maps each "== NAME" header of out to the lines after it.
func splitSections(out string) map[string][]string {
	secs := map[string][]string{}
	var cur string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if name, ok := strings.CutPrefix(l, "== "); ok {
			cur = name
			secs[cur] = []string{}
			continue
		}
		if cur != "" {
			secs[cur] = append(secs[cur], l)
		}
	}
	return secs
}

// need skips t (or fails it with CI=true) when one of paths is missing.
func need(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%v (make deps installs it)", err)
			}
			t.Skipf("%v (make deps installs it)", err)
		}
	}
}
