//go:build unix

package e2e

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/proctest"
	"github.com/cirrusdb/cirrus/internal/testcert"
)

// TestTLSAndHostRules runs `cirrus dev --tls-cert --tls-key --hba` as a
// process and connects with psql and pgx: plain-text connections are
// refused by the rules, TLS ones (sslmode=require, verify-full against the
// test authority) query the cluster, TLS 1.1 is refused; a rules file with
// an error stops the start with its file and line.
func TestTLSAndHostRules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	tmp := t.TempDir()
	bin := proctest.BuildCirrus(t, tmp)
	certs := testcert.New(t, tmp)
	hba := filepath.Join(tmp, "hba.conf")
	if err := os.WriteFile(hba, []byte("hostnossl all all all reject\nhostssl all all 127.0.0.1/32 trust\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := proctest.FreeAddrs(t, 1)[0]
	_, port, _ := net.SplitHostPort(addr)
	g := proctest.NewGroup(t)
	dev := g.Start("dev", nil, bin, "dev", "--data", filepath.Join(tmp, "data"), "--port", port,
		"--tls-cert", certs.Cert, "--tls-key", certs.Key, "--hba", hba)
	proctest.WaitListening(t, dev, addr, time.Now().Add(60*time.Second))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dsn := func(host, params string) string {
		return "postgres://cirrus@" + net.JoinHostPort(host, port) + "/cirrus?connect_timeout=5&" + params
	}
	_, err := pgx.Connect(ctx, dsn("127.0.0.1", "sslmode=disable"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" ||
		pe.Message != `pg_hba.conf rejects connection for host "127.0.0.1", user "cirrus", database "cirrus", no encryption` {
		t.Fatalf("plain-text connection: %v", err)
	}
	conn, err := pgx.Connect(ctx, dsn("localhost", "sslmode=verify-full&sslrootcert="+certs.CA))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"create table t (a int, b text)", "insert into t values (1, 'x'), (2, 'y')"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "select sum(a) from t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("sum: %d %v", n, err)
	}
	if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
		t.Error("pgx connection is not TLS")
	}

	if _, err := exec.LookPath("psql"); err == nil {
		for _, env := range [][]string{{"PGSSLMODE=require"}, {"PGSSLMODE=verify-full", "PGSSLROOTCERT=" + certs.CA}} {
			cmd := exec.CommandContext(ctx, "psql", "-X", "-At", "-h", "localhost", "-p", port, "-U", "cirrus", "-d", "cirrus",
				"-c", `\conninfo`, "-c", "select count(*) from t")
			cmd.Env = append(os.Environ(), append(env, "PGCONNECT_TIMEOUT=5")...)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "SSL connection (protocol: TLSv1.3") || !strings.HasSuffix(string(out), "\n2\n") {
				t.Errorf("psql %v: %q %v", env, out, err)
			}
		}
		cmd := exec.CommandContext(ctx, "psql", "-X", "-At", "-h", "127.0.0.1", "-p", port, "-U", "cirrus", "-d", "cirrus", "-c", "select 1")
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=5")
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "pg_hba.conf rejects connection") {
			t.Errorf("psql without TLS: %q %v", out, err)
		}
	}

	// TLS 1.1 is refused.
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 80877103))
	var a [1]byte
	if _, err := io.ReadFull(nc, a[:]); err != nil || a[0] != 'S' {
		t.Fatalf("SSLRequest: %q %v", a, err)
	}
	if err := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}).Handshake(); err == nil {
		t.Error("TLS 1.1 handshake succeeded")
	}

	// A rules file with an error: the start fails naming the file and line.
	if err := os.WriteFile(hba, []byte("# rules\nhost all all 10.0.0.0/8 trust\nhost all all 10.0.0.1 trust\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, bin, "dev", "--data", filepath.Join(tmp, "data2"), "--port", "0", "--hba", hba).CombinedOutput()
	if want := hba + `:3: invalid address "10.0.0.1"`; err == nil || !strings.Contains(string(out), want) {
		t.Errorf("bad rules file: %q %v, want %q", out, err, want)
	}
}
