package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/testcert"
)

// TestPasswordAuth logs in with the passwords of roles made with CREATE
// ROLE on one coordinator, on the other, over TLS with host rules: SCRAM
// (with channel binding), md5 and password; wrong passwords and unknown
// users both fail with 28P01 and the same message; ALTER ROLE … PASSWORD
// takes effect at the next login.
func TestPasswordAuth(t *testing.T) {
	certs := testcert.New(t, t.TempDir())
	rules, err := pgwire.ParseHostRules("test", []byte(`
host      all cirrus   127.0.0.1/32 trust
hostnossl all all      all          reject
hostssl   all md5user  127.0.0.1/32 md5
hostssl   all pwuser   127.0.0.1/32 password
hostssl   all all      127.0.0.1/32 scram-sha-256
`))
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := pgwire.LoadTLSConfig(certs.Cert, certs.Key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: t.TempDir(), Coordinators: 2, Participants: 1, Logf: t.Logf,
		Wire: pgwire.Options{TLSConfig: tlsConfig, HostRules: rules}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	admin, err := pgx.Connect(ctx, fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.PGAddrs[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, q := range []string{
		"CREATE ROLE alice LOGIN PASSWORD 'alice-pw'",
		"CREATE ROLE carol PASSWORD 'carol-pw'", // NOLOGIN
		"CREATE ROLE pwuser LOGIN PASSWORD 'pw-pw'",
		"SET password_encryption = 'md5'",
		"CREATE ROLE md5user LOGIN PASSWORD 'md5-pw'",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	login := func(user, password, params string) string {
		dsn := fmt.Sprintf("postgres://%s:%s@%s/cirrus?sslmode=verify-full&sslrootcert=%s&connect_timeout=5&%s",
			user, password, strings.Replace(c.PGAddrs[1], "127.0.0.1", "localhost", 1), certs.CA, params)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return pe.Code + " " + pe.Message
			}
			return err.Error()
		}
		defer conn.Close(ctx)
		var u string
		if err := conn.QueryRow(ctx, "select current_user").Scan(&u); err != nil {
			return err.Error()
		}
		return "ok " + u
	}
	for _, l := range []struct{ user, password, params, want string }{
		{"alice", "alice-pw", "channel_binding=require", "ok alice"},
		{"alice", "wrong", "", `28P01 password authentication failed for user "alice"`},
		{"mallory", "alice-pw", "", `28P01 password authentication failed for user "mallory"`},
		{"carol", "wrong", "", `28P01 password authentication failed for user "carol"`},
		{"carol", "carol-pw", "", `28000 role "carol" is not permitted to log in`},
		{"md5user", "md5-pw", "", "ok md5user"},
		{"md5user", "wrong", "", `28P01 password authentication failed for user "md5user"`},
		{"pwuser", "pw-pw", "", "ok pwuser"},
		{"alice", "alice-pw", "sslmode=disable", `28000 pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "cirrus", no encryption`},
	} {
		if got := login(l.user, l.password, l.params); got != l.want {
			t.Errorf("%s/%s %s: %q, want %q", l.user, l.password, l.params, got, l.want)
		}
	}
	// The session still has password_encryption = md5: alice's new
	// password is stored as an md5 hash, which a scram-sha-256 rule does
	// not accept (as in PostgreSQL); stored as SCRAM it is.
	if _, err := admin.Exec(ctx, "ALTER ROLE alice PASSWORD 'new-pw'"); err != nil {
		t.Fatal(err)
	}
	if got := login("alice", "new-pw", ""); got != `28P01 password authentication failed for user "alice"` {
		t.Errorf("md5 hash under scram-sha-256: %q", got)
	}
	if _, err := admin.Exec(ctx, "RESET password_encryption"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "ALTER ROLE alice PASSWORD 'new-pw'"); err != nil {
		t.Fatal(err)
	}
	if got := login("alice", "alice-pw", ""); !strings.HasPrefix(got, "28P01") {
		t.Errorf("old password after ALTER ROLE: %q", got)
	}
	if got := login("alice", "new-pw", ""); got != "ok alice" {
		t.Errorf("new password: %q", got)
	}
	if _, err := exec.LookPath("psql"); err == nil {
		_, port, _ := strings.Cut(c.PGAddrs[1], ":")
		cmd := exec.CommandContext(ctx, "psql", "-X", "-At", "-c", "select current_user",
			"host=localhost port="+port+" user=alice dbname=cirrus sslmode=verify-full channel_binding=require sslrootcert="+certs.CA)
		cmd.Env = append(os.Environ(), "PGPASSWORD=new-pw", "PGCONNECT_TIMEOUT=5")
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "alice\n" {
			t.Errorf("psql: %q %v", out, err)
		}
	}
}
