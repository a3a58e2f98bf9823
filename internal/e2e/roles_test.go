package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestRolesAcrossCoordinators creates roles with passwords on one
// coordinator, logs in as them on the other with SCRAM-SHA-256,
// and checks that GRANT and REVOKE committed on the first are enforced by
// the very next statement on the second.
func TestRolesAcrossCoordinators(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := startTwoCoordinators(t)
	connect := func(addr, user, password string) (*pgx.Conn, error) {
		cn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://%s:%s@%s/cirrus?sslmode=disable", user, password, addr))
		if err == nil {
			t.Cleanup(func() { cn.Close(context.Background()) })
		}
		return cn, err
	}
	code := func(err error) string {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Code + " " + pe.Message
		}
		return fmt.Sprint(err)
	}
	admin, err := connect(c.PGAddrs[0], "cirrus", "")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(cn *pgx.Conn, sql string) {
		t.Helper()
		if _, err := cn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, sql := range []string{
		`CREATE ROLE alice LOGIN PASSWORD 'alice pw'`,
		`CREATE ROLE carol NOLOGIN PASSWORD 'carol pw'`,
		`CREATE ROLE dave LOGIN PASSWORD 'dave pw' CONNECTION LIMIT 1`,
		`SET password_encryption = md5`,
		`CREATE ROLE bob LOGIN PASSWORD 'bob pw'`,
		`CREATE TABLE t (a integer)`,
		`INSERT INTO t VALUES (1), (2), (3)`,
		`GRANT SELECT ON t TO alice`,
	} {
		exec(admin, sql)
	}

	// Passwords: right, wrong, unknown user, NOLOGIN.
	alice, err := connect(c.PGAddrs[1], "alice", "alice%20pw")
	if err != nil {
		t.Fatalf("alice with her password: %v", err)
	}
	if _, err := connect(c.PGAddrs[1], "alice", "wrong"); code(err) != `28P01 password authentication failed for user "alice"` {
		t.Errorf("wrong password: %s", code(err))
	}
	if _, err := connect(c.PGAddrs[1], "nobody", "x"); code(err) != `28P01 password authentication failed for user "nobody"` {
		t.Errorf("unknown user: %s", code(err))
	}
	if _, err := connect(c.PGAddrs[1], "carol", "carol%20pw"); code(err) != `28000 role "carol" is not permitted to log in` {
		t.Errorf("NOLOGIN role: %s", code(err))
	}
	// bob's password is an md5 hash: SCRAM cannot use it, as in PostgreSQL.
	if _, err := connect(c.PGAddrs[1], "bob", "bob%20pw"); code(err) != `28P01 password authentication failed for user "bob"` {
		t.Errorf("md5 role under scram-sha-256: %s", code(err))
	}

	// CONNECTION LIMIT, counted over both coordinators.
	dave, err := connect(c.PGAddrs[1], "dave", "dave%20pw")
	if err != nil {
		t.Fatalf("dave: %v", err)
	}
	for _, addr := range c.PGAddrs {
		if _, err := connect(addr, "dave", "dave%20pw"); code(err) != `53300 too many connections for role "dave"` {
			t.Errorf("dave's second connection, at %s: %s", addr, code(err))
		}
	}
	dave.Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := connect(c.PGAddrs[1], "dave", "dave%20pw")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dave after closing his connection: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if su, sa := alice.PgConn().ParameterStatus("is_superuser"), alice.PgConn().ParameterStatus("session_authorization"); su != "off" || sa != "alice" {
		t.Errorf("alice's ParameterStatus: is_superuser %q, session_authorization %q", su, sa)
	}
	if su := admin.PgConn().ParameterStatus("is_superuser"); su != "on" {
		t.Errorf("cirrus's is_superuser: %q", su)
	}

	var n int
	if err := alice.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("alice reads t: %d, %v", n, err)
	}
	var who string
	if err := alice.QueryRow(ctx, `SELECT current_user || ' ' || session_user`).Scan(&who); err != nil || who != "alice alice" {
		t.Fatalf("current_user: %q, %v", who, err)
	}
	if _, err := alice.Exec(ctx, `INSERT INTO t VALUES (4)`); code(err) != "42501 permission denied for table t" {
		t.Errorf("alice inserts: %s", code(err))
	}
	// Each REVOKE and GRANT on coordinator 0 is seen by the next statement
	// on coordinator 1.
	for i := 0; i < 20; i++ {
		exec(admin, `REVOKE SELECT ON t FROM alice`)
		if _, err := alice.Exec(ctx, `SELECT count(*) FROM t`); code(err) != "42501 permission denied for table t" {
			t.Fatalf("round %d: after REVOKE: %s", i, code(err))
		}
		exec(admin, `GRANT SELECT, INSERT ON t TO alice`)
		if _, err := alice.Exec(ctx, `INSERT INTO t SELECT count(*) FROM t`); err != nil {
			t.Fatalf("round %d: after GRANT: %v", i, err)
		}
	}
	if _, err := alice.Exec(ctx, `DROP TABLE t`); code(err) != "42501 must be owner of table t" {
		t.Errorf("alice drops t: %s", code(err))
	}
	if _, err := admin.Exec(ctx, `DROP ROLE alice`); code(err) != `2BP01 role "alice" cannot be dropped because some objects depend on it` {
		t.Errorf("DROP ROLE with privileges: %s", code(err))
	}
	exec(admin, `REVOKE ALL ON t FROM alice`)
	exec(admin, `DROP ROLE alice`)
	// A dropped role cannot log in any more.
	if _, err := connect(c.PGAddrs[1], "alice", "alice%20pw"); code(err) != `28P01 password authentication failed for user "alice"` {
		t.Errorf("dropped role: %s", code(err))
	}
}
