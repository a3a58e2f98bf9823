package pgwire_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// psql runs the real psql client against ts.
func psql(t *testing.T, ts *testServer, args ...string) (string, string, error) {
	t.Helper()
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-X", "-h", "127.0.0.1", "-p", ts.port, "-U", "tester", "-d", "testdb"}, args...)...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=prefer", "PGAPPNAME=psql")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestPsql(t *testing.T) {
	ts := startServer(t)
	out, errOut, err := psql(t, ts, "-At", "-c", "select 1")
	if err != nil || out != "1\n" {
		t.Fatalf("select 1: %q %q %v", out, errOut, err)
	}
	// psql 15 prints every result of a multi-statement -c
	out, _, err = psql(t, ts, "-At", "-c", "select 1; select 2")
	if err != nil || out != "1\n2\n" {
		t.Errorf("multi: %q %v", out, err)
	}
	out, _, err = psql(t, ts, "-c", "select types")
	if err != nil || !strings.Contains(out, "  -12 |  123456 | -9000000000 |  1.5 |              0.1 |      12345.67 | héllo | abc                   | ab           | 2024-01-31 | 2024-01-31 13:45:00.5       | t") ||
		!strings.Contains(out, "(2 rows)") {
		t.Errorf("types:\n%s %v", out, err)
	}
	// errors: message on stderr, exit status 1 with ON_ERROR_STOP
	_, errOut, err = psql(t, ts, "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", "select 1/0")
	if err == nil || !strings.Contains(errOut, "ERROR:  22012: division by zero") {
		t.Errorf("1/0: %q %v", errOut, err)
	}
	// notices
	_, errOut, err = psql(t, ts, "-c", "drop table if exists nosuch")
	if err != nil || !strings.Contains(errOut, `NOTICE:  table "nosuch" does not exist, skipping`) {
		t.Errorf("notice: %q %v", errOut, err)
	}
	// -f with \copy from a file, psql sending the \. end marker inside CopyData
	dir := t.TempDir()
	data := filepath.Join(dir, "t.tsv")
	if err := os.WriteFile(data, []byte("1\ta\n2\tb\n3\tc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "s.sql")
	if err := os.WriteFile(script, []byte("select 1;\n\\copy t from '"+data+"'\n-- a comment\nselect 2;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = psql(t, ts, "-At", "-v", "ON_ERROR_STOP=1", "-f", script)
	if err != nil || out != "1\nCOPY 3\n2\n" {
		t.Errorf("-f: %q %q %v", out, errOut, err)
	}
	ts.b.mu.Lock()
	got := ts.b.copyRows["t"]
	ts.b.mu.Unlock()
	if got != 3 {
		t.Errorf("copied %d rows", got)
	}
	// COPY from psql's stdin
	cmd := exec.Command("psql", "-X", "-h", "127.0.0.1", "-p", ts.port, "-U", "tester", "-d", "testdb", "-c", "copy u from stdin")
	cmd.Stdin = strings.NewReader("1\tx\n2\ty\n\\.\n")
	if b, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != "COPY 2" {
		t.Errorf("copy from stdin: %q %v", b, err)
	}
	if p := ts.log.panics(); len(p) != 0 {
		t.Errorf("panics: %q", p)
	}
}
