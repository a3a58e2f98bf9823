package pgwire

import (
	"net"
	"strings"
	"testing"
)

func TestHostRulesParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"host all all 10.0.0.0/8 trust\nhosts all all all trust", `rules:2: invalid connection type "hosts"`},
		{"\n\n# comment\nhost all all 10.0.0.0/8", "rules:4: a host rule has 5 fields (host DATABASE USER ADDRESS METHOD), not 4"},
		{"host all all 10.0.0.0 trust", `rules:1: invalid address "10.0.0.0"`},
		{"hostssl all all all ident", `rules:1: invalid authentication method "ident"`},
		{"host a,,b all all trust", `rules:1: empty database name in "a,,b"`},
		{"local all all all trust", "rules:1: a local rule has 4 fields"},
	} {
		_, err := ParseHostRules("rules", []byte(c.text))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

func TestHostRulesMatch(t *testing.T) {
	h, err := ParseHostRules("rules", []byte(`
hostnossl all   all       10.1.0.0/16  reject   # plain text from 10.1 refused
host      sales alice,bob 10.0.0.0/8   md5
hostssl   all   all       all          scram-sha-256
host      all   all       ::1/128      trust
local     all   all                    password
`))
	if err != nil {
		t.Fatal(err)
	}
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000} }
	pipe, _ := net.Pipe()
	for _, c := range []struct {
		addr     net.Addr
		tls      bool
		db, user string
		want     string // method, or "none"
	}{
		{tcp("10.1.2.3"), false, "sales", "alice", "reject"},
		{tcp("10.1.2.3"), true, "sales", "alice", "md5"},
		{tcp("10.2.0.1"), false, "sales", "bob", "md5"},
		{tcp("10.2.0.1"), false, "sales", "carol", "none"},
		{tcp("10.2.0.1"), true, "sales", "carol", "scram-sha-256"},
		{tcp("10.2.0.1"), false, "other", "alice", "none"},
		{tcp("::ffff:10.2.0.1"), false, "sales", "bob", "md5"},
		{tcp("::1"), false, "x", "y", "trust"},
		{tcp("127.0.0.1"), false, "x", "y", "none"},
		{pipe.RemoteAddr(), false, "x", "y", "password"},
	} {
		got := "none"
		if r := h.match(c.addr, c.tls, c.db, c.user); r != nil {
			got = r.method.String()
		}
		if got != c.want {
			t.Errorf("%v tls=%v %s %s: %s, want %s", c.addr, c.tls, c.db, c.user, got, c.want)
		}
	}
	def := DefaultHostRules()
	for _, c := range []struct {
		addr net.Addr
		want bool
	}{
		{tcp("127.0.0.1"), true}, {tcp("127.8.9.10"), true}, {tcp("::1"), true}, {pipe.RemoteAddr(), true},
		{tcp("10.0.0.1"), false}, {tcp("::2"), false}, {tcp("192.168.1.1"), false},
	} {
		r := def.match(c.addr, false, "d", "u")
		if (r != nil && r.method == AuthTrust) != c.want {
			t.Errorf("default rules, %v: %+v", c.addr, r)
		}
	}
}
