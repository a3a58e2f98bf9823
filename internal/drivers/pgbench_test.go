package drivers

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/internal/sqllogic"
)

// pgBinDir holds pgbench and psql 15.
const pgBinDir = "/usr/lib/postgresql/15/bin"

// pgbenchTransactions is each run's -t.
const pgbenchTransactions = 40

// pgbenchRuns are the pgbench runs: each script of testdata/pgbench in the
// query modes it allows (a pipeline needs the extended protocol).
var pgbenchRuns = []struct{ script, mode string }{
	{"lookup.sql", "simple"},
	{"lookup.sql", "extended"},
	{"lookup.sql", "prepared"},
	{"pipeline.sql", "extended"},
	{"pipeline.sql", "prepared"},
}

// pgbenchKeys are the values the scripts' variables take when their
// statements are run through psql to compare results: keys that exist, the
// largest ones, and keys that match nothing.
var pgbenchKeys = []map[string]string{
	{"ok": "1", "ck": "1", "nk": "0"},
	{"ok": "32", "ck": "750", "nk": "12"},
	{"ok": "59972", "ck": "1500", "nk": "24"},
	{"ok": "60001", "ck": "0", "nk": "25"},
}

var (
	processedRE = regexp.MustCompile(`number of transactions actually processed: (\d+)/(\d+)`)
	failedRE    = regexp.MustCompile(`number of failed transactions: (\d+)`)
	tpsRE       = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
)

// testPgbench runs `pgbench -n -f SCRIPT -M MODE -t N` against both servers
// and requires every transaction to complete on both. pgbench does not
// print results, so the scripts' statements are then run through psql with
// fixed values for their variables and the outputs compared.
func testPgbench(t *testing.T, srv *servers) {
	pgbench, psql := filepath.Join(pgBinDir, "pgbench"), filepath.Join(pgBinDir, "psql")
	need(t, pgbench, psql)
	for _, r := range pgbenchRuns {
		script := filepath.Join("testdata", "pgbench", r.script)
		t.Run(strings.TrimSuffix(r.script, ".sql")+"/"+r.mode, func(t *testing.T) {
			pg, cirrus := runBoth(srv, func(target) []string {
				return []string{pgbench, "-n", "-f", script, "-M", r.mode,
					"-t", fmt.Sprint(pgbenchTransactions), "--random-seed=7"}
			})
			for _, c := range []struct {
				name string
				run  run
			}{{"postgres", pg}, {"cirrus", cirrus}} {
				if err := checkPgbench(c.run); err != nil {
					t.Errorf("on %s: %v\nstdout:\n%s\nstderr:\n%s", c.name, err, c.run.stdout, c.run.stderr)
					continue
				}
				if m := tpsRE.FindStringSubmatch(c.run.stdout); m != nil {
					t.Logf("%s: %s tps", c.name, m[1])
				}
			}
		})
	}
	t.Run("results", func(t *testing.T) {
		for _, name := range []string{"lookup.sql", "pipeline.sql"} {
			sql, err := statements(filepath.Join("testdata", "pgbench", name))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(file, []byte(sql), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, keys := range pgbenchKeys {
				args := []string{psql, "-X", "-A", "-v", "ON_ERROR_STOP=1", "-f", file}
				for _, k := range slices.Sorted(maps.Keys(keys)) {
					args = append(args, "-v", k+"="+keys[k])
				}
				pg, cirrus := runBoth(srv, func(target) []string { return args })
				if pg.err != nil {
					t.Fatalf("%s %v on postgres: %v\n%s", name, keys, pg.err, pg.stderr)
				}
				if cirrus.err != nil || cirrus.stdout != pg.stdout {
					t.Errorf("%s %v: cirrus differs from postgres (- postgres, + cirrus): %v\n%s\nstderr on cirrus:\n%s",
						name, keys, cirrus.err, sqllogic.LineDiff(lines(pg.stdout), lines(cirrus.stdout), 80), cirrus.stderr)
				}
			}
		}
	})
}

// checkPgbench reports a pgbench run that failed or did not complete all
// its transactions.
func checkPgbench(r run) error {
	if r.err != nil {
		return r.err
	}
	m := processedRE.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != m[2] || m[1] != fmt.Sprint(pgbenchTransactions) {
		return fmt.Errorf("not all transactions processed")
	}
	if f := failedRE.FindStringSubmatch(r.stdout); f == nil || f[1] != "0" {
		return fmt.Errorf("failed transactions")
	}
	return nil
}

// statements returns a pgbench script's SQL without its meta-commands, for
// psql (whose :name variables are pgbench's).
func statements(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, `\`) {
			b.WriteString(l + "\n")
		}
	}
	return b.String(), sc.Err()
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }
