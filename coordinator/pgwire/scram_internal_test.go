package pgwire

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/internal/scram"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// clientProof computes a client-final-message for password the way a
// client does.
func clientProof(password string, keys scram.Keys, clientFirstBare, serverFirst, finalWithoutProof string) string {
	salted := scram.SaltedPassword(password, keys.Salt, keys.Iterations)
	clientKey := scram.ClientKey(salted)
	stored := sha256.Sum256(clientKey)
	sig := scram.HMAC(stored[:], clientFirstBare+","+serverFirst+","+finalWithoutProof)
	for i := range sig {
		sig[i] ^= clientKey[i]
	}
	return finalWithoutProof + ",p=" + base64.StdEncoding.EncodeToString(sig)
}

// exchange runs one exchange; it returns the server-final-message or the
// error.
func exchange(s *scramServer, first string, final func(serverFirst string) string) (string, *sqlerr.Error) {
	sf, err := s.clientFirst([]byte(first))
	if err != nil {
		return "", err
	}
	out, ok, err := s.clientFinal([]byte(final(string(sf))))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", sqlerr.New(codeInvalidPassword, "failed")
	}
	return string(out), nil
}

func TestSCRAMExchange(t *testing.T) {
	keys := scram.NewKeys("pw", []byte("0123456789abcdef"), 4096)
	cbind := []byte("certificate hash")
	for _, c := range []struct {
		name          string
		plus, tls     bool
		first, cbattr string
		password      string
		wantCode      string
	}{
		{name: "plain", first: "n,,n=,r=nonce", cbattr: "biws", password: "pw"},
		{name: "wrong password", first: "n,,n=,r=nonce", cbattr: "biws", password: "pW", wantCode: "28P01"},
		{name: "y over TLS", tls: true, first: "y,,n=,r=nonce", cbattr: "eSws", password: "pw", wantCode: "08P01"},
		{name: "y without TLS", first: "y,,n=,r=nonce", cbattr: "eSws", password: "pw"},
		{name: "plus", plus: true, tls: true, first: "p=tls-server-end-point,,n=,r=nonce",
			cbattr: base64.StdEncoding.EncodeToString(append([]byte("p=tls-server-end-point,,"), cbind...)), password: "pw"},
		{name: "plus, other certificate", plus: true, tls: true, first: "p=tls-server-end-point,,n=,r=nonce",
			cbattr: base64.StdEncoding.EncodeToString([]byte("p=tls-server-end-point,,other")), password: "pw", wantCode: "28000"},
		{name: "plus without binding", plus: true, tls: true, first: "n,,n=,r=nonce", cbattr: "biws", password: "pw", wantCode: "08P01"},
		{name: "binding without plus", tls: true, first: "p=tls-server-end-point,,n=,r=nonce", cbattr: "biws", password: "pw", wantCode: "08P01"},
		{name: "flag changed", first: "n,,n=,r=nonce", cbattr: "eSws", password: "pw", wantCode: "08P01"},
		{name: "authzid", first: "n,a=bob,n=,r=nonce", cbattr: "biws", password: "pw", wantCode: "0A000"},
	} {
		s := &scramServer{keys: keys, plus: c.plus}
		if c.tls {
			s.cbind = cbind
		}
		bare := c.first[strings.Index(c.first, ",,")+2:]
		final, err := exchange(s, c.first, func(sf string) string {
			nonce, _, _ := strings.Cut(sf, ",")
			return clientProof(c.password, keys, bare, sf, "c="+c.cbattr+","+nonce)
		})
		code := ""
		if err != nil {
			code = err.Code
		}
		if code != c.wantCode {
			t.Errorf("%s: code %q (%v), want %q", c.name, code, err, c.wantCode)
		}
		if err == nil {
			// The server's signature proves it knows ServerKey.
			salted := scram.SaltedPassword("pw", keys.Salt, keys.Iterations)
			nonce, _, _ := strings.Cut(s.serverFirst, ",")
			auth := bare + "," + s.serverFirst + ",c=" + c.cbattr + "," + nonce
			if want := "v=" + base64.StdEncoding.EncodeToString(scram.HMAC(scram.ServerKey(salted), auth)); final != want {
				t.Errorf("%s: server-final %q, want %q", c.name, final, want)
			}
		}
	}
	// A doomed exchange fails even with the mock keys' "password".
	s := &scramServer{keys: keys, doomed: true}
	if _, err := exchange(s, "n,,n=,r=x", func(sf string) string {
		nonce, _, _ := strings.Cut(sf, ",")
		return clientProof("pw", keys, "n=,r=x", sf, "c=biws,"+nonce)
	}); err == nil || err.Code != codeInvalidPassword {
		t.Errorf("doomed exchange: %v", err)
	}
}

// FuzzSCRAM feeds arbitrary client messages to the exchange: it must never
// panic, and every error is a protocol violation, an unsupported feature or
// an authorization failure.
func FuzzSCRAM(f *testing.F) {
	f.Add(false, []byte("n,,n=,r=abc"), []byte("c=biws,r=abc,p=AAAA"))
	f.Add(true, []byte("p=tls-server-end-point,,n=,r=abc,x=y"), []byte("c=cD10bHMtc2VydmVyLWVuZC1wb2ludCws,r=abc,e=f,p="+strings.Repeat("A", 43)+"="))
	f.Add(false, []byte("y,,m=ext,n=,r=abc"), []byte(""))
	f.Add(false, []byte("n,,n=,r=a\x00b"), []byte("c=biws,r=abc,p"))
	f.Add(false, []byte("n,,n=,r=ab,="), []byte("c=biws,r=,p=%%"))
	keys := scram.NewKeys("pw", []byte("0123456789abcdef"), 1)
	f.Fuzz(func(t *testing.T, plus bool, first, final []byte) {
		s := &scramServer{keys: keys, plus: plus, cbind: []byte("hash")}
		check := func(err *sqlerr.Error) {
			switch err.Code {
			case sqlerr.ProtocolViolation, sqlerr.FeatureNotSupported, sqlerr.InvalidAuthorization:
			default:
				t.Fatalf("error %s %s", err.Code, err.Message)
			}
		}
		sf, err := s.clientFirst(first)
		if err != nil {
			check(err)
			return
		}
		if !strings.HasPrefix(string(sf), "r=") {
			t.Fatalf("server-first %q", sf)
		}
		// Also try the final message with the server's nonce put in.
		nonce, _, _ := strings.Cut(string(sf), ",")
		for _, m := range [][]byte{final, []byte(strings.Replace(string(final), "r=abc", nonce, 1))} {
			s2 := *s
			if _, ok, err := s2.clientFinal(m); err != nil {
				check(err)
			} else if ok {
				t.Fatalf("random proof accepted: %q", m)
			}
		}
	})
}
