package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// SetHBA replaces the server's pg_hba.conf with rules and reloads it. A
// first rule trusting the superuser over TCP on loopback is kept, so that
// the package's own connections keep working; tests should use other users.
func (s *Server) SetHBA(t testing.TB, rules string) {
	t.Helper()
	conf := "host all " + SuperUser + " 127.0.0.1/32 trust\n" + strings.TrimSpace(rules) + "\n"
	s.writeDataFile(t, "pg_hba.conf", []byte(conf), 0o600)
	s.reload(t)
}

// EnableTLS makes the server accept TLS with the given certificate and key
// (PEM) and reloads it.
func (s *Server) EnableTLS(t testing.TB, certPEM, keyPEM []byte) {
	t.Helper()
	s.writeDataFile(t, "server.crt", certPEM, 0o644)
	s.writeDataFile(t, "server.key", keyPEM, 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range []string{"ALTER SYSTEM SET ssl = on", "ALTER SYSTEM SET ssl_cert_file = 'server.crt'", "ALTER SYSTEM SET ssl_key_file = 'server.key'"} {
		if err := s.admin(ctx, q); err != nil {
			t.Fatalf("pgtest: %s: %v", q, err)
		}
	}
	s.reload(t)
}

// writeDataFile writes a file of the data directory, owned by the server's
// user.
func (s *Server) writeDataFile(t testing.TB, name string, data []byte, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(s.dataDir, name)
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if s.cred != nil {
		if err := os.Chown(p, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
}

// reload has the postmaster reread its configuration and waits until new
// connections see it (pg_conf_load_time moves).
func (s *Server) reload(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loadTime := func() time.Time {
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err != nil {
			t.Fatalf("pgtest: connecting after reload: %v", err)
		}
		defer c.Close(ctx)
		var tm time.Time
		if err := c.QueryRow(ctx, "SELECT pg_conf_load_time()").Scan(&tm); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		return tm
	}
	before := loadTime()
	if err := s.admin(ctx, "SELECT pg_reload_conf()"); err != nil {
		t.Fatalf("pgtest: reloading: %v", err)
	}
	for !loadTime().After(before) {
		if ctx.Err() != nil {
			t.Fatalf("pgtest: configuration not reloaded within 30s; log:\n%s", s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(s.logTail(), "were not reloaded") || strings.Contains(s.logTail(), "not reloaded") {
		t.Fatalf("pgtest: configuration rejected; log:\n%s", s.logTail())
	}
}
