package pgwire_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/testcert"
	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
)

func startTLSServer(t *testing.T) (*testServer, testcert.Files) {
	t.Helper()
	certs := testcert.New(t, t.TempDir())
	cfg, err := pgwire.LoadTLSConfig(certs.Cert, certs.Key)
	if err != nil {
		t.Fatal(err)
	}
	return startServerWith(t, pgwire.Options{TLSConfig: cfg}), certs
}

// request encodes an SSLRequest or GSSENCRequest.
func request(code uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, 8)
	return binary.BigEndian.AppendUint32(b, code)
}

var (
	sslRequest    = request(80877103)
	gssencRequest = request(80877104)
)

func startupMessage(user string) []byte {
	return mustEncode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": user, "database": "testdb"}})
}

// answer sends a negotiation request and returns the one-byte answer.
func answer(t *testing.T, nc net.Conn, req []byte) byte {
	t.Helper()
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		t.Fatal(err)
	}
	return b[0]
}

// exchangeOver sends packet (a startup packet) on rw and returns every
// message up to ReadyForQuery or an ErrorResponse.
func exchangeOver(t *testing.T, rw io.ReadWriter, packet []byte) []string {
	t.Helper()
	if _, err := rw.Write(packet); err != nil {
		t.Fatal(err)
	}
	fe := pgproto3.NewFrontend(pgproto3.NewChunkReader(rw), rw)
	var out []string
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("receive after %q: %v", out, err)
		}
		out = append(out, describe(m))
		switch m.(type) {
		case *pgproto3.ReadyForQuery, *pgproto3.ErrorResponse:
			return out
		}
	}
}

func TestTLSPgx(t *testing.T) {
	ts, certs := startTLSServer(t)
	ctx := tctx(t)
	for _, dsn := range []string{
		ts.url("sslmode=require"),
		"postgres://tester@localhost:" + ts.port + "/testdb?sslmode=verify-full&sslrootcert=" + certs.CA,
		ts.url("sslmode=verify-full&sslrootcert=" + certs.CA),
	} {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		tc, ok := c.PgConn().Conn().(*tls.Conn)
		if !ok {
			t.Fatalf("%s: not a TLS connection", dsn)
		}
		if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
			t.Errorf("%s: TLS version %x", dsn, v)
		}
		var n int
		if err := c.QueryRow(ctx, "select 1").Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: select 1: %d %v", dsn, n, err)
		}
		c.Close(ctx)
	}
	// A certificate the client does not trust, or a name it does not
	// carry, is refused by verify-full.
	other := testcert.New(t, t.TempDir())
	if c, err := pgx.Connect(ctx, ts.url("sslmode=verify-full&sslrootcert="+other.CA)); err == nil {
		c.Close(ctx)
		t.Error("verify-full accepted a certificate from another authority")
	}
	// Without TLS configured, sslmode=require fails and prefer falls back.
	plain := startServer(t)
	if c, err := pgx.Connect(ctx, plain.url("sslmode=require")); err == nil {
		c.Close(ctx)
		t.Error("sslmode=require connected to a server without TLS")
	}
	c, err := pgx.Connect(ctx, plain.url("sslmode=prefer"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
}

func TestTLSPsql(t *testing.T) {
	ts, certs := startTLSServer(t)
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	run := func(host string, env ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-X", "-At", "-h", host, "-p", ts.port, "-U", "tester", "-d", "testdb", "-c", `\conninfo`)
		cmd.Env = append(os.Environ(), append([]string{"PGCONNECT_TIMEOUT=5"}, env...)...)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for _, c := range []struct {
		host string
		env  []string
	}{
		{"127.0.0.1", []string{"PGSSLMODE=require"}},
		{"127.0.0.1", []string{"PGSSLMODE=verify-full", "PGSSLROOTCERT=" + certs.CA}},
		{"localhost", []string{"PGSSLMODE=verify-full", "PGSSLROOTCERT=" + certs.CA}},
	} {
		out, err := run(c.host, c.env...)
		if err != nil || !strings.Contains(out, "SSL connection (protocol: TLSv1.3") {
			t.Errorf("%s %v: %q %v", c.host, c.env, out, err)
		}
	}
	other := testcert.New(t, t.TempDir())
	if out, err := run("127.0.0.1", "PGSSLMODE=verify-full", "PGSSLROOTCERT="+other.CA); err == nil || !strings.Contains(out, "certificate verify failed") {
		t.Errorf("verify-full with another authority: %q %v", out, err)
	}
}

// TestTLSVersions: TLS 1.0 and 1.1 are refused, whatever the configuration
// asks for; 1.2 and 1.3 are served.
func TestTLSVersions(t *testing.T) {
	certs := testcert.New(t, t.TempDir())
	cfg := certs.ServerConfig(t)
	cfg.MinVersion = tls.VersionTLS10
	ts := startServerWith(t, pgwire.Options{TLSConfig: cfg})
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		nc := dialWire(t, ts).nc
		if a := answer(t, nc, sslRequest); a != 'S' {
			t.Fatalf("SSLRequest answered %q", a)
		}
		tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		err := tc.Handshake()
		if v < tls.VersionTLS12 {
			if err == nil {
				t.Errorf("TLS %x accepted", v)
			}
			continue
		}
		if err != nil {
			t.Fatalf("TLS %x: %v", v, err)
		}
		if got := exchangeOver(t, tc, startupMessage("tester")); got[len(got)-1] != "ReadyForQuery I" {
			t.Errorf("TLS %x: startup %q", v, got)
		}
	}
}

// TestNegotiation covers SSLRequest and GSSENCRequest in both orders on
// one connection, repeated requests, and bytes sent after a request before
// its answer (which could have been injected by a man in the middle and
// must never be read as protocol input).
func TestNegotiation(t *testing.T) {
	ts, _ := startTLSServer(t)
	plain := startServer(t)

	type step struct {
		req    []byte
		answer byte
	}
	ready := "ReadyForQuery I"
	for _, c := range []struct {
		name  string
		srv   *testServer
		steps []step
		final []byte // after the steps (over TLS after an 'S')
		want  string // the last message
	}{
		{"GSSENC then SSL", ts, []step{{gssencRequest, 'N'}, {sslRequest, 'S'}}, startupMessage("tester"), ready},
		{"GSSENC then plain startup", ts, []step{{gssencRequest, 'N'}}, startupMessage("tester"), ready},
		{"SSL refused then GSSENC", plain, []step{{sslRequest, 'N'}, {gssencRequest, 'N'}}, startupMessage("tester"), ready},
		{"second SSLRequest", plain, []step{{sslRequest, 'N'}}, sslRequest,
			"Error FATAL 0A000 unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0"},
		{"GSSENC inside TLS", ts, []step{{sslRequest, 'S'}}, gssencRequest,
			"Error FATAL 0A000 unsupported frontend protocol 1234.5680: server supports 3.0 to 3.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rw io.ReadWriter = dialWire(t, c.srv).nc
			for _, s := range c.steps {
				if a := answer(t, rw.(net.Conn), s.req); a != s.answer {
					t.Fatalf("answered %q, want %q", a, s.answer)
				}
				if s.answer == 'S' {
					rw = tls.Client(rw.(net.Conn), &tls.Config{InsecureSkipVerify: true})
				}
			}
			if got := exchangeOver(t, rw, c.final); got[len(got)-1] != c.want {
				t.Errorf("got %q, want %q last", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		name   string
		srv    *testServer
		req    []byte
		answer byte
		want   string
	}{
		{"startup after SSLRequest", ts, sslRequest, 'S', "Error FATAL 08P01 received unencrypted data after SSL request"},
		{"startup after SSLRequest without TLS", plain, sslRequest, 'N', "Error FATAL 08P01 received unencrypted data after SSL request"},
		{"startup after GSSENCRequest", ts, gssencRequest, 'N', "Error FATAL 08P01 received unencrypted data after GSSAPI encryption request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			nc := dialWire(t, c.srv).nc
			// The request and a startup packet in one write: the startup
			// packet was sent before any answer and must not be used.
			nc.Write(append(append([]byte{}, c.req...), startupMessage("tester")...))
			b, _ := io.ReadAll(nc)
			if len(b) == 0 || b[0] != c.answer {
				t.Fatalf("answer %q", b)
			}
			fe := pgproto3.NewFrontend(pgproto3.NewChunkReader(bytes.NewReader(b[1:])), io.Discard)
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(m); got != c.want {
				t.Errorf("got %s", got)
			}
			if _, err := fe.Receive(); err == nil {
				t.Error("more messages after the FATAL error")
			}
		})
	}
}

// TestAuthTimeout: a client that does not finish its startup is
// disconnected after Options.AuthTimeout.
func TestAuthTimeout(t *testing.T) {
	ts := startServerWith(t, pgwire.Options{AuthTimeout: 200 * time.Millisecond})
	for _, partial := range [][]byte{nil, sslRequest[:4], startupMessage("tester")[:9]} {
		nc := dialWire(t, ts).nc
		nc.Write(partial)
		start := time.Now()
		if b, err := io.ReadAll(nc); err != nil || len(b) != 0 {
			t.Errorf("after %q: %q %v", partial, b, err)
		}
		if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
			t.Errorf("after %q: disconnected after %v", partial, d)
		}
	}
}
