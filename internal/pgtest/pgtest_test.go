package pgtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestStart(t *testing.T) {
	start := time.Now()
	s := Start(t)
	t.Logf("server started in %v on port %d", time.Since(start), s.Port())
	if !strings.HasPrefix(s.DSN("x"), "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(s.DSN("x"), "/x?sslmode=disable") {
		t.Errorf("DSN = %q", s.DSN("x"))
	}
	conn := s.Connect(t, "postgres")
	ctx := context.Background()
	settings := map[string]string{
		"server_version_num": "15",
		"server_encoding":    "UTF8",
		"lc_collate":         "C",
		"TimeZone":           "UTC",
		"DateStyle":          "ISO, MDY",
		"lc_messages":        "C",
		"fsync":              "off",
		"max_connections":    "50",
		"listen_addresses":   "127.0.0.1",
	}
	for name, want := range settings {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatalf("current_setting(%s): %v", name, err)
		}
		if name == "server_version_num" {
			got = got[:2]
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// Bytewise ordering (C locale).
	var ordered string
	if err := conn.QueryRow(ctx, "SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('b'), ('B'), ('a'), ('_')) v(x)").Scan(&ordered); err != nil {
		t.Fatal(err)
	}
	if ordered != "B,_,a,b" {
		t.Errorf("C-locale order = %q", ordered)
	}
	if os.Getuid() == 0 {
		var user string
		if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
			t.Fatal(err)
		}
		if user != SuperUser {
			t.Errorf("current_user = %q", user)
		}
	}
}

func TestStopRemovesEverything(t *testing.T) {
	s := Start(t)
	pid := s.cmd.Process.Pid
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.baseDir); !os.IsNotExist(err) {
		t.Errorf("base dir still exists after Stop: %v", err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if !strings.Contains(string(b), ") Z ") {
			t.Errorf("postgres pid %d still running after Stop", pid)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestSharedAndCreateDB(t *testing.T) {
	a := Shared(t)
	b := Shared(t)
	if a != b {
		t.Fatal("Shared returned two different servers")
	}
	a.CreateDB(t, "pgtest_one")
	a.CreateDB(t, `we"ird`)
	ctx := context.Background()
	c := a.Connect(t, "pgtest_one")
	if _, err := c.Exec(ctx, "CREATE TABLE t (a int)"); err != nil {
		t.Fatal(err)
	}
	c2 := a.Connect(t, `we"ird`)
	var n int
	if err := c2.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 't'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("databases are not separate")
	}
	a.DropDB(t, `we"ird`)
}

func TestMajor(t *testing.T) {
	if got := major("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"); got != 15 {
		t.Errorf("major = %d", got)
	}
	if got := major("garbage"); got != 0 {
		t.Errorf("major = %d", got)
	}
}

func TestSkipWhenNotInstalledOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		skipOrFail(t, fmt.Errorf("%w (looked in /nowhere)", ErrNotInstalled))
	})
	if !skipped {
		t.Error("missing binaries outside CI must skip")
	}
}
