// Package pgwire serves the PostgreSQL v3 frontend/backend protocol over a
// Backend: startup with TLS and authentication (host rules choosing trust,
// SCRAM-SHA-256[-PLUS], md5 or password; PostgreSQL's pg_hba.conf
// semantics), the simple and extended query protocols, COPY FROM STDIN and
// cancel requests.
//
// One goroutine runs each connection's protocol loop; a second one reads the
// socket ahead so that a client disconnect cancels the running statement.
// Output is written through a per-connection buffer flushed at
// ReadyForQuery, Flush, before blocking on input, and when it grows large.
package pgwire

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/internal/metrics"
)

// DefaultMaxMessageSize is the largest frontend message accepted by default.
const DefaultMaxMessageSize = 64 << 20

// maxStartupPacket is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
const maxStartupPacket = 10000

// Options configure a Server.
type Options struct {
	// ParameterStatus overrides or extends the values reported at startup
	// (see DefaultParameterStatus). application_name and
	// session_authorization default to the client's values.
	ParameterStatus map[string]string
	// MaxMessageSize caps the length of any frontend message (default
	// DefaultMaxMessageSize). The startup packet is capped at 10,000 bytes.
	MaxMessageSize int
	// Logger receives connection-level problems (panics, I/O errors,
	// failed authentications). Default slog.Default().
	Logger *slog.Logger

	// TLSConfig, when set, makes the server answer SSLRequest with 'S' and
	// run TLS (1.2 at least, whatever it says) with these certificates;
	// nil answers 'N'. See LoadTLSConfig.
	TLSConfig *tls.Config
	// HostRules choose each connection's authentication method (see
	// HostRules); nil means DefaultHostRules: trust on loopback, refused
	// otherwise.
	HostRules *HostRules
	// Credentials looks up the stored passwords of roles for the password
	// methods. nil means every role exists with no password: only trust
	// rules can admit anyone then.
	Credentials Credentials
	// AuthNonce seeds the mock SCRAM salt shown for a role that does not
	// exist or has no SCRAM secret, so that its salt stays the same from
	// one attempt to the next like a real one. Coordinators of one cluster
	// should share it (as every backend of a PostgreSQL cluster shares its
	// mock authentication nonce); default: random for this server.
	AuthNonce []byte
	// ServerNumber (0 to MaxServerNumber) goes in the high bits of every
	// process id the server gives out (above LocalPIDBits), so that servers
	// of one cluster numbered apart give out distinct ids.
	ServerNumber uint32
	// ForwardCancel, when set, receives the CancelRequests naming a process
	// id of another server number (ServerOfPID), as a client behind a load
	// balancer sends them to any server: it should hand them to that server
	// (see Server.CancelRequest), which checks the key. It is called on the
	// goroutine of the cancel connection, which the client expects to close
	// without an answer.
	ForwardCancel func(pid, secret uint32)
	// AuthTimeout bounds the startup phase, TLS handshake and
	// authentication included (default 60 s, PostgreSQL's
	// authentication_timeout).
	AuthTimeout time.Duration
	// Metrics, when set, gets the server's protocol metrics: bytes
	// received and sent, connections.
	Metrics *metrics.Registry
}

// DefaultParameterStatus returns the ParameterStatus values sent at startup,
// in PostgreSQL 15's order, before the per-connection ones are filled in.
func DefaultParameterStatus() [][2]string {
	return [][2]string{
		{"application_name", ""},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
		{"integer_datetimes", "on"},
		{"IntervalStyle", "postgres"},
		{"is_superuser", "on"},
		{"server_encoding", "UTF8"},
		{"server_version", "15.6 (Cirrus)"},
		{"session_authorization", ""},
		{"standard_conforming_strings", "on"},
		{"TimeZone", "UTC"},
	}
}

// LocalPIDBits is the number of low bits of a process id that count a
// server's connections; the bits above hold Options.ServerNumber. Ids stay
// positive int4 values, as PostgreSQL's are (pg_stat_activity.pid).
const LocalPIDBits = 21

// MaxServerNumber is the highest Options.ServerNumber.
const MaxServerNumber = 1<<(31-LocalPIDBits) - 1

// ServerOfPID returns the server number of a process id.
func ServerOfPID(pid uint32) uint32 { return pid >> LocalPIDBits }

// Server accepts PostgreSQL protocol connections for a Backend.
type Server struct {
	backend   Backend
	opts      Options
	log       *slog.Logger
	rules     *HostRules
	authNonce []byte

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	all       map[*conn]struct{}
	conns     map[uint32]*conn // by process id, once started
	nextLocal uint32           // the low bits of the last process id given out
	finished  uint64           // connections served to completion
	wg        sync.WaitGroup

	stats serverStats
}

// serverStats are the server's protocol counters.
type serverStats struct {
	received, sent, accepted metrics.Counter
}

// NewServer returns a server for b.
func NewServer(b Backend, opts Options) *Server {
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	if opts.AuthTimeout <= 0 {
		opts.AuthTimeout = 60 * time.Second
	}
	rules := opts.HostRules
	if rules == nil {
		rules = DefaultHostRules()
	}
	if lines := rules.sslLines(); len(lines) > 0 && opts.TLSConfig == nil {
		lg.Warn("pgwire: hostssl rules cannot match because TLS is not configured", "lines", lines)
	}
	nonce := opts.AuthNonce
	if len(nonce) == 0 {
		nonce = make([]byte, 32)
		_, _ = rand.Read(nonce)
	}
	if opts.ServerNumber > MaxServerNumber {
		lg.Error("pgwire: server number out of range; using 0", "number", opts.ServerNumber, "max", MaxServerNumber)
		opts.ServerNumber = 0
	}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	s := &Server{
		backend:   b,
		opts:      opts,
		log:       lg,
		rules:     rules,
		authNonce: nonce,
		listeners: map[net.Listener]struct{}{},
		all:       map[*conn]struct{}{},
		conns:     map[uint32]*conn{},
		nextLocal: 1000 + binary.BigEndian.Uint32(seed[:])%100000,
	}
	if r := opts.Metrics; r != nil {
		r.NewCounterFunc("cirrus_pgwire_received_bytes_total", "Bytes received from PostgreSQL protocol clients.",
			metrics.Always(s.stats.received.Value))
		r.NewCounterFunc("cirrus_pgwire_sent_bytes_total", "Bytes sent to PostgreSQL protocol clients.",
			metrics.Always(s.stats.sent.Value))
		r.NewCounterFunc("cirrus_pgwire_connections_total", "PostgreSQL protocol connections accepted.",
			metrics.Always(s.stats.accepted.Value))
		r.NewGaugeFunc("cirrus_pgwire_connections", "Open PostgreSQL protocol connections (started or starting).",
			metrics.Always(func() int {
				s.mu.Lock()
				defer s.mu.Unlock()
				return len(s.all)
			}))
	}
	return s
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("pgwire: server closed")

// Serve accepts connections on l until Close; it returns ErrServerClosed
// after Close, or the listener's error.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.stats.accepted.Inc()
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.all[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.all, c)
				s.finished++
				s.mu.Unlock()
			}()
			c.serve()
		}()
	}
}

// Close closes the listeners and all connections and waits for their
// goroutines to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.all))
	for c := range s.all {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	s.wg.Wait()
	return nil
}

// register assigns a process id and secret key to c and makes it reachable
// by cancel requests. It fails after Close.
func (s *Server) register(c *conn) bool {
	var key [4]byte
	_, _ = rand.Read(key[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	var pid uint32
	for {
		if s.nextLocal++; s.nextLocal >= 1<<LocalPIDBits {
			s.nextLocal = 1
		}
		pid = s.opts.ServerNumber<<LocalPIDBits | s.nextLocal
		if _, taken := s.conns[pid]; !taken {
			break
		}
	}
	c.pid = pid
	c.secret = binary.BigEndian.Uint32(key[:])
	s.conns[c.pid] = c
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
	s.mu.Unlock()
}

// cancel handles a CancelRequest: it cancels the statement that connection
// pid is running if secret matches, or forwards the request when pid is
// another server's. Like PostgreSQL it reports nothing.
func (s *Server) cancel(pid, secret uint32) {
	if ServerOfPID(pid) != s.opts.ServerNumber && s.opts.ForwardCancel != nil {
		s.opts.ForwardCancel(pid, secret)
		return
	}
	s.CancelRequest(pid, secret)
}

// CancelRequest cancels the statement that connection pid of this server
// is running, if secret is its key (as a CancelRequest does); it reports
// whether it did. A wrong key is logged.
func (s *Server) CancelRequest(pid, secret uint32) bool {
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c == nil {
		return false
	}
	var a, b [4]byte
	binary.BigEndian.PutUint32(a[:], c.secret)
	binary.BigEndian.PutUint32(b[:], secret)
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		s.log.Warn("pgwire: cancel request with wrong key", "pid", pid)
		return false
	}
	c.CancelStatement()
	return true
}
