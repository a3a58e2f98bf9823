package pgwire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/scram"
	"github.com/cirrusdb/cirrus/internal/testcert"
	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// fakeCredentials are roles with stored secrets.
type fakeCredentials map[string]fakeRole

type fakeRole struct {
	secret   string
	canLogin bool
}

func (f fakeCredentials) Secret(ctx context.Context, user string) (string, bool, error) {
	r, ok := f[user]
	if !ok {
		return "", false, nil
	}
	return r.secret, r.canLogin, nil
}

// authRoles are the roles of the auth tests: name → password ("" for
// none). alice has a SCRAM secret, bob an md5 hash, carol a SCRAM secret but
// may not log in, dave no password; mallory does not exist.
var authRoles = []struct {
	name, password string
	md5, noLogin   bool
}{
	{name: "alice", password: "alice-pw"},
	{name: "bob", password: "bob-pw", md5: true},
	{name: "carol", password: "carol-pw", noLogin: true},
	{name: "dave"},
}

const authHBA = `
# the rules of the auth tests
host      db_reject all       127.0.0.1/32 reject
host      db_trust  alice,bob 127.0.0.1/32 trust
host      db_md5    all       127.0.0.1/32 md5
host      db_pw     all       127.0.0.1/32 password
hostssl   db_ssl    all       127.0.0.1/32 scram-sha-256
hostnossl db_nossl  all       127.0.0.1/32 scram-sha-256
host      db_scram,db_other all 0.0.0.0/0  scram-sha-256
host      db_scram  all       127.0.0.1/32 trust
`

// makeCredentials hashes authRoles' passwords.
func makeCredentials(t testing.TB) fakeCredentials {
	creds := fakeCredentials{}
	for _, r := range authRoles {
		var secret string
		switch {
		case r.password == "":
		case r.md5:
			secret = scram.MD5Secret(r.name, r.password)
		default:
			var err error
			if secret, err = scram.Secret(r.password); err != nil {
				t.Fatal(err)
			}
		}
		creds[r.name] = fakeRole{secret: secret, canLogin: !r.noLogin}
	}
	return creds
}

func startAuthServer(t *testing.T, creds pgwire.Credentials) (*testServer, testcert.Files) {
	t.Helper()
	rules, err := pgwire.ParseHostRules("test", []byte(authHBA))
	if err != nil {
		t.Fatal(err)
	}
	certs := testcert.New(t, t.TempDir())
	cfg, err := pgwire.LoadTLSConfig(certs.Cert, certs.Key)
	if err != nil {
		t.Fatal(err)
	}
	return startServerWith(t, pgwire.Options{TLSConfig: cfg, HostRules: rules, Credentials: creds}), certs
}

// outcome connects and describes the result: "ok" or the server's error.
func outcome(ctx context.Context, dsn string) string {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Severity + " " + pe.Code + " " + pe.Message
		}
		return "client error: " + err.Error()
	}
	defer c.Close(ctx)
	var one int
	if err := c.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		return "query: " + err.Error()
	}
	return "ok"
}

// authCase is one connection attempt of the matrix.
type authCase struct {
	db, user, password, sslmode string
}

func (c authCase) dsn(hostPort string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=%s&connect_timeout=5", c.user, c.password, hostPort, c.db, c.sslmode)
}

// authMatrix is every database of authHBA × every role × right and wrong
// password × TLS on and off.
func authMatrix() []authCase {
	var cases []authCase
	users := []struct{ name, password string }{{"mallory", "mallory-pw"}}
	for _, r := range authRoles {
		users = append(users, struct{ name, password string }{r.name, r.password})
	}
	for _, db := range []string{"db_scram", "db_md5", "db_pw", "db_reject", "db_trust", "db_ssl", "db_nossl", "db_none"} {
		for _, u := range users {
			for _, pw := range []string{u.password, "wrong"} {
				if pw == "" {
					pw = "nothing"
				}
				for _, mode := range []string{"disable", "require"} {
					cases = append(cases, authCase{db, u.name, pw, mode})
				}
			}
		}
	}
	return cases
}

// TestAuthMatrix checks every method's outcome for every kind of role.
func TestAuthMatrix(t *testing.T) {
	ts, _ := startAuthServer(t, makeCredentials(t))
	ctx := tctx(t)
	want := map[string]string{
		"db_scram alice alice-pw": "ok",
		"db_md5 alice alice-pw":   "ok", // SCRAM: alice's secret is not md5
		"db_md5 bob bob-pw":       "ok",
		"db_pw alice alice-pw":    "ok",
		"db_pw bob bob-pw":        "ok",
		"db_ssl alice alice-pw":   "ok", // over TLS only (below)
		"db_nossl alice alice-pw": "ok", // without TLS only (below)
	}
	for _, c := range authMatrix() {
		got := outcome(ctx, c.dsn(ts.addr))
		key := c.db + " " + c.user + " " + c.password
		w := want[key]
		ssl := "no encryption"
		if c.sslmode == "require" {
			ssl = "SSL encryption"
		}
		switch {
		case c.db == "db_reject":
			w = fmt.Sprintf(`FATAL 28000 pg_hba.conf rejects connection for host "127.0.0.1", user "%s", database "db_reject", %s`, c.user, ssl)
		case c.db == "db_none" || c.db == "db_ssl" && c.sslmode == "disable" || c.db == "db_nossl" && c.sslmode == "require" ||
			c.db == "db_trust" && (c.user != "alice" && c.user != "bob"):
			w = fmt.Sprintf(`no pg_hba.conf entry for host "127.0.0.1", user "%s", database "%s", %s`, c.user, c.db, ssl)
			w = "FATAL 28000 " + w
		case c.db == "db_trust":
			w = "ok"
		case c.user == "carol" && c.password == "carol-pw":
			w = `FATAL 28000 role "carol" is not permitted to log in`
		case w == "":
			w = fmt.Sprintf(`FATAL 28P01 password authentication failed for user "%s"`, c.user)
		}
		if got != w {
			t.Errorf("%s %s %s sslmode=%s: got %q, want %q", c.db, c.user, c.password, c.sslmode, got, w)
		}
	}
}

// TestAuthMatrixPostgreSQL runs the matrix against PostgreSQL 15 with the
// same rules and roles (our server reads the secrets PostgreSQL stored) and
// requires the same outcome for every attempt.
func TestAuthMatrixPostgreSQL(t *testing.T) {
	pg := pgtest.Start(t)
	certs := testcert.New(t, t.TempDir())
	pg.EnableTLS(t, certs.CertPEM, certs.KeyPEM)
	for _, db := range []string{"db_scram", "db_md5", "db_pw", "db_reject", "db_trust", "db_ssl", "db_nossl", "db_other"} {
		pg.CreateDB(t, db)
	}
	admin := pg.Connect(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	creds := fakeCredentials{}
	for _, r := range authRoles {
		enc := "scram-sha-256"
		if r.md5 {
			enc = "md5"
		}
		login := "LOGIN"
		if r.noLogin {
			login = "NOLOGIN"
		}
		pw := "NULL"
		if r.password != "" {
			pw = "'" + r.password + "'"
		}
		for _, q := range []string{"SET password_encryption = '" + enc + "'", "CREATE ROLE " + r.name + " " + login + " PASSWORD " + pw} {
			if _, err := admin.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var secret *string
		if err := admin.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", r.name).Scan(&secret); err != nil {
			t.Fatal(err)
		}
		creds[r.name] = fakeRole{canLogin: !r.noLogin}
		if secret != nil {
			creds[r.name] = fakeRole{secret: *secret, canLogin: !r.noLogin}
		}
	}
	pg.SetHBA(t, authHBA)
	ts, _ := startAuthServer(t, creds)
	pgAddr := fmt.Sprintf("127.0.0.1:%d", pg.Port())
	n := 0
	for _, c := range authMatrix() {
		want := outcome(ctx, c.dsn(pgAddr))
		got := outcome(ctx, c.dsn(ts.addr))
		if got != want {
			t.Errorf("%s %s %s sslmode=%s: Cirrus %q, PostgreSQL %q", c.db, c.user, c.password, c.sslmode, got, want)
		}
		n++
	}
	// Channel binding: SCRAM-SHA-256-PLUS over TLS, required by the client.
	for _, addr := range []string{pgAddr, ts.addr} {
		c := authCase{"db_scram", "alice", "alice-pw", "require"}
		if got := outcome(ctx, c.dsn(addr)+"&channel_binding=require"); got != "ok" {
			t.Errorf("%s: channel_binding=require: %s", addr, got)
		}
	}
	t.Logf("%d attempts, same outcome on both", n)
}

// TestAuthPsql logs in with psql 15 with each method, SCRAM-SHA-256-PLUS
// included.
func TestAuthPsql(t *testing.T) {
	ts, certs := startAuthServer(t, makeCredentials(t))
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	run := func(conninfo, password string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-X", "-At", "-c", `\conninfo`,
			fmt.Sprintf("host=127.0.0.1 port=%s %s", ts.port, conninfo))
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGPASSWORD="+password)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for _, c := range []struct{ conninfo, password, want string }{
		{"dbname=db_scram user=alice sslmode=disable", "alice-pw", `You are connected to database "db_scram" as user "alice"`},
		{"dbname=db_scram user=alice sslmode=verify-full channel_binding=require sslrootcert=" + certs.CA, "alice-pw", "SSL connection (protocol: TLSv1.3"},
		{"dbname=db_md5 user=bob sslmode=disable", "bob-pw", `as user "bob"`},
		{"dbname=db_pw user=alice sslmode=require", "alice-pw", `as user "alice"`},
		{"dbname=db_scram user=alice sslmode=disable", "wrong", `FATAL:  password authentication failed for user "alice"`},
		{"dbname=db_scram user=mallory sslmode=disable", "wrong", `FATAL:  password authentication failed for user "mallory"`},
		{"dbname=db_md5 user=bob sslmode=require channel_binding=require", "bob-pw", "channel binding required but not supported by server's authentication request"},
	} {
		out, _ := run(c.conninfo, c.password)
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: %q, want %q", c.conninfo, out, c.want)
		}
	}
}

// TestUnknownUserLooksLikeWrongPassword: a role that does not exist runs
// the same exchange as one with a wrong password, with a salt that does not
// change between attempts, and fails with the same error.
func TestUnknownUserLooksLikeWrongPassword(t *testing.T) {
	ts, _ := startAuthServer(t, makeCredentials(t))
	for _, user := range []string{"alice", "mallory"} {
		var salts []string
		for i := 0; i < 2; i++ {
			w := dialWire(t, ts)
			var got []string
			w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": user, "database": "db_scram"}})
			m := w.recv()
			got = append(got, fmt.Sprintf("%T", m))
			// Reply with a well-formed client-first-message and a
			// client-final-message with a wrong proof.
			w.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdefghijklmnop")})
			m = w.recv()
			cont, ok := m.(*pgproto3.AuthenticationSASLContinue)
			if !ok {
				t.Fatalf("%s: %T", user, m)
			}
			first := string(cont.Data)
			parts := strings.Split(first, ",")
			if len(parts) != 3 || !strings.HasPrefix(parts[0], "r=abcdefghijklmnop") || parts[2] != "i=4096" {
				t.Fatalf("%s: server-first-message %q", user, first)
			}
			salts = append(salts, parts[1])
			proof := strings.Repeat("A", 43) + "="
			w.send(&pgproto3.SASLResponse{Data: []byte("c=biws," + parts[0] + ",p=" + proof)})
			got = append(got, describe(w.recv()))
			want := []string{"*pgproto3.AuthenticationSASL", `Error FATAL 28P01 password authentication failed for user "` + user + `"`}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: %q", user, got)
			}
		}
		if salts[0] != salts[1] {
			t.Errorf("%s: salt changed between attempts: %q", user, salts)
		}
	}
}

// FuzzAuthConn sends arbitrary bytes after a startup packet to a server
// that asks for a password (SCRAM, md5 or clear text): it must never panic,
// and it answers only with authentication requests and errors of the
// authentication classes.
func FuzzAuthConn(f *testing.F) {
	sasl := mustEncode(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")},
		&pgproto3.SASLResponse{Data: []byte("c=biws,r=abc,p=AAAA")})
	f.Add("db_scram", sasl)
	f.Add("db_scram", mustEncode(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256-PLUS", Data: []byte("p=tls-server-end-point,,n=,r=x")}))
	f.Add("db_scram", []byte{'p', 0, 0, 0, 12, 'S', 0, 0xff, 0xff, 0xff, 0xff, 0})
	f.Add("db_scram", []byte{'p', 0, 0, 0, 9, 'S', 0, 0, 0, 0x10})
	f.Add("db_md5", mustEncode(&pgproto3.PasswordMessage{Password: "md5abc"}))
	f.Add("db_pw", mustEncode(&pgproto3.PasswordMessage{Password: ""}))
	f.Add("db_pw", []byte{'p', 0, 0, 0, 6, 'a', 'b'})
	f.Add("db_pw", []byte{'Q', 0, 0, 0, 5, 0})

	rules, err := pgwire.ParseHostRules("fuzz", []byte("local db_scram all scram-sha-256\nlocal db_md5 all md5\nlocal db_pw all password\n"))
	if err != nil {
		f.Fatal(err)
	}
	creds := fakeCredentials{"alice": {secret: "SCRAM-SHA-256$1:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("B", 43) + "=", canLogin: true},
		"bob": {secret: scram.MD5Secret("bob", "pw"), canLogin: true}}
	log := &panicLog{}
	l := newPipeListener()
	srv := pgwire.NewServer(newFakeBackend(), pgwire.Options{Logger: slog.New(log), HostRules: rules, Credentials: creds})
	go srv.Serve(l)
	f.Cleanup(func() { srv.Close() })

	f.Fuzz(func(t *testing.T, db string, data []byte) {
		for _, user := range []string{"alice", "bob"} {
			before := srv.Finished()
			c := l.dial()
			c.SetDeadline(time.Now().Add(3 * time.Second))
			var got bytes.Buffer
			readDone := make(chan struct{})
			go func() {
				io.Copy(&got, c)
				close(readDone)
			}()
			c.Write(mustEncode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": user, "database": db}}))
			c.Write(data)
			c.Close()
			<-readDone
			waitEnded(t, srv, before, log)
			fe := pgproto3.NewFrontend(pgproto3.NewChunkReader(&got), io.Discard)
			for {
				m, err := fe.Receive()
				if err != nil {
					break
				}
				if e, ok := m.(*pgproto3.ErrorResponse); ok {
					switch e.Code {
					case "08P01", "28P01", "28000", "0A000":
					default:
						t.Fatalf("error %s %s", e.Code, e.Message)
					}
				}
			}
		}
	})
}
