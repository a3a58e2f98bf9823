package pgwire

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
)

// AuthMethod is how a host rule authenticates a connection.
type AuthMethod int

// The methods of a host rule (pg_hba.conf's names).
const (
	AuthTrust    AuthMethod = iota // no password
	AuthReject                     // refuse
	AuthSCRAM                      // scram-sha-256
	AuthMD5                        // md5: MD5 challenge for a role with an md5 hash, SCRAM otherwise
	AuthPassword                   // password in clear text (use only over TLS)
)

var authMethodNames = map[string]AuthMethod{
	"trust": AuthTrust, "reject": AuthReject, "scram-sha-256": AuthSCRAM, "md5": AuthMD5, "password": AuthPassword,
}

func (m AuthMethod) String() string {
	for name, v := range authMethodNames {
		if v == m {
			return name
		}
	}
	return fmt.Sprintf("AuthMethod(%d)", int(m))
}

// connType is the first field of a host rule: which connections it is for.
type connType int

const (
	connLocal     connType = iota // not over TCP (in-process connections)
	connHost                      // TCP, with or without TLS
	connHostSSL                   // TCP with TLS
	connHostNoSSL                 // TCP without TLS
)

// HostRules decide how a connection authenticates, like PostgreSQL's
// pg_hba.conf (a subset of it): the first rule whose connection type,
// database, user and client address match the connection decides its
// method; a connection that no rule matches is refused.
//
// A rule is a line of whitespace-separated fields:
//
//	host|hostssl|hostnossl  DATABASE  USER  ADDRESS  METHOD
//	local                   DATABASE  USER           METHOD
//
// DATABASE and USER are "all" or a comma-separated list of names; ADDRESS
// is a CIDR block (10.0.0.0/8, ::1/128) or "all"; METHOD is trust, reject,
// scram-sha-256, md5 or password. hostssl matches only TLS connections and
// hostnossl only plain ones; local matches connections that do not come
// over TCP. '#' starts a comment.
type HostRules struct {
	rules []hostRule
}

type hostRule struct {
	line   int
	conn   connType
	dbs    []string   // nil: all
	users  []string   // nil: all
	addr   *net.IPNet // nil: all
	method AuthMethod
}

// DefaultHostRules are the rules without a rules file: trust for loopback
// and in-process connections; everything else has no entry and is refused.
func DefaultHostRules() *HostRules {
	h, err := ParseHostRules("default", []byte(`
local all all               trust
host  all all 127.0.0.0/8   trust
host  all all ::1/128       trust
`))
	if err != nil {
		panic(err)
	}
	return h
}

// LoadHostRules reads a rules file.
func LoadHostRules(path string) (*HostRules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseHostRules(path, data)
}

// ParseHostRules parses rules; errors name the file and line.
func ParseHostRules(name string, data []byte) (*HostRules, error) {
	h := &HostRules{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		r, err := parseHostRule(f)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		r.line = n
		h.rules = append(h.rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return h, nil
}

func parseHostRule(f []string) (hostRule, error) {
	var r hostRule
	switch f[0] {
	case "local":
		r.conn = connLocal
	case "host":
		r.conn = connHost
	case "hostssl":
		r.conn = connHostSSL
	case "hostnossl":
		r.conn = connHostNoSSL
	default:
		return r, fmt.Errorf("invalid connection type %q (host, hostssl, hostnossl or local)", f[0])
	}
	want := 5
	if r.conn == connLocal {
		want = 4
	}
	if len(f) != want {
		if r.conn == connLocal {
			return r, fmt.Errorf("a local rule has 4 fields (local DATABASE USER METHOD), not %d", len(f))
		}
		return r, fmt.Errorf("a %s rule has 5 fields (%s DATABASE USER ADDRESS METHOD), not %d", f[0], f[0], len(f))
	}
	var err error
	if r.dbs, err = nameList(f[1], "database"); err != nil {
		return r, err
	}
	if r.users, err = nameList(f[2], "user"); err != nil {
		return r, err
	}
	if r.conn != connLocal && f[3] != "all" {
		_, n, err := net.ParseCIDR(f[3])
		if err != nil {
			return r, fmt.Errorf("invalid address %q: want a CIDR block such as 10.0.0.0/8 or all", f[3])
		}
		r.addr = n
	}
	m, ok := authMethodNames[f[len(f)-1]]
	if !ok {
		return r, fmt.Errorf("invalid authentication method %q (trust, reject, scram-sha-256, md5 or password)", f[len(f)-1])
	}
	r.method = m
	return r, nil
}

// nameList parses "all" (nil) or a comma-separated list of names.
func nameList(s, what string) ([]string, error) {
	if s == "all" {
		return nil, nil
	}
	names := strings.Split(s, ",")
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("empty %s name in %q", what, s)
		}
	}
	return names, nil
}

// sslLines returns the line numbers of the hostssl rules.
func (h *HostRules) sslLines() []int {
	var lines []int
	for _, r := range h.rules {
		if r.conn == connHostSSL {
			lines = append(lines, r.line)
		}
	}
	return lines
}

// match returns the first rule for a connection from addr (nil when it is
// not a TCP address), over TLS or not, or nil when none matches.
func (h *HostRules) match(addr net.Addr, tls bool, db, user string) *hostRule {
	var ip net.IP
	if a, ok := addr.(*net.TCPAddr); ok {
		ip = a.IP
	}
	for i := range h.rules {
		r := &h.rules[i]
		switch r.conn {
		case connLocal:
			if ip != nil {
				continue
			}
		case connHost, connHostSSL, connHostNoSSL:
			if ip == nil || r.conn == connHostSSL && !tls || r.conn == connHostNoSSL && tls {
				continue
			}
			if r.addr != nil && !r.addr.Contains(ip) {
				continue
			}
		}
		if r.dbs != nil && !slices.Contains(r.dbs, db) || r.users != nil && !slices.Contains(r.users, user) {
			continue
		}
		return r
	}
	return nil
}
