package scram_test

import (
	"context"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/scram"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestSecretsMatchPostgreSQL has PostgreSQL 15 hash passwords and derives
// the same secrets from their salts and iteration counts.
func TestSecretsMatchPostgreSQL(t *testing.T) {
	srv := pgtest.Shared(t)
	conn := srv.Connect(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	passwords := []string{"secret", "pa ss,w=rd$:", "pässwörd", "\ufb01x", "a\u00adb", "x\u2003y", "\u0661\u0662", "\ue000private", "\x01\u00e9"}
	for i, pw := range passwords {
		role := "scram_role_" + string(rune('a'+i))
		for _, enc := range []string{"scram-sha-256", "md5"} {
			if _, err := conn.Exec(ctx, "SET password_encryption = '"+enc+"'"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+role); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "CREATE ROLE "+role+" PASSWORD $$"+pw+"$$"); err != nil {
				t.Fatal(err)
			}
			var stored string
			if err := conn.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if enc == "md5" {
				if got := scram.MD5Secret(role, pw); got != stored || !scram.IsMD5Secret(got) {
					t.Errorf("%q: md5 %q, PostgreSQL %q", pw, got, stored)
				}
				if _, ok := scram.ParseSecret(stored); ok {
					t.Errorf("md5 hash %q parsed as a SCRAM secret", stored)
				}
				continue
			}
			k, ok := scram.ParseSecret(stored)
			if !ok {
				t.Fatalf("cannot parse %q", stored)
			}
			if k.Iterations != scram.DefaultIterations || len(k.Salt) != scram.SaltLen {
				t.Errorf("PostgreSQL's secret %q: iterations %d, salt %d bytes", stored, k.Iterations, len(k.Salt))
			}
			if got := scram.NewKeys(pw, k.Salt, k.Iterations).String(); got != stored {
				t.Errorf("%q: derived %q, PostgreSQL %q", pw, got, stored)
			}
			if !k.VerifyPassword(pw) || k.VerifyPassword(pw+"x") {
				t.Errorf("%q: VerifyPassword wrong", pw)
			}
		}
	}
}

func TestSecret(t *testing.T) {
	s1, err := scram.Secret("pw")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := scram.Secret("pw")
	if s1 == s2 {
		t.Error("two secrets of one password are equal: salt not random")
	}
	k, ok := scram.ParseSecret(s1)
	if !ok || !k.VerifyPassword("pw") || k.VerifyPassword("pW") {
		t.Errorf("secret %q does not verify", s1)
	}
	for _, bad := range []string{"", "md5abc", "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA", "SCRAM-SHA-256$0:c2FsdA==$" + k.String()[len(k.String())-89:],
		"SCRAM-SHA-1$4096:c2FsdA==$x:y", "SCRAM-SHA-256$x:c2FsdA==$x:y", "SCRAM-SHA-256$4096:!!$x:y"} {
		if _, ok := scram.ParseSecret(bad); ok {
			t.Errorf("ParseSecret(%q) succeeded", bad)
		}
	}
	if scram.IsMD5Secret("md5" + "0123456789abcdef0123456789abcdeF") {
		t.Error("upper-case hex accepted as md5")
	}
}
