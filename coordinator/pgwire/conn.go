package pgwire

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/jackc/pgproto3/v2"
)

// Startup request codes.
const (
	codeSSLRequest    = 80877103
	codeGSSENCRequest = 80877104
	codeCancelRequest = 80877102
)

// flushThreshold is the output size that triggers a write while a
// statement is producing rows.
const flushThreshold = 64 << 10

// SQLSTATEs not in sqlerr.
const (
	codeDuplicatePStatement          = "42P05"
	codeDuplicateCursor              = "42P03"
	codeObjectNotInPrerequisiteState = "55000"
)

var (
	errUserCancel   = sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	errDisconnected = sqlerr.New(sqlerr.ConnectionFailure, "connection to client lost")
	errShutdown     = sqlerr.New(sqlerr.AdminShutdown, "terminating connection due to administrator command")
	// errTerminated is errShutdown for one connection (Terminate): a
	// distinct value, so that the loop knows to say so before closing.
	errTerminated = sqlerr.New(sqlerr.AdminShutdown, "terminating connection due to administrator command")
)

// protoError is a framing or message-format violation; the connection is
// closed after a FATAL 08P01.
type protoError struct{ msg string }

func (e *protoError) Error() string { return e.msg }

func protoErrorf(format string, args ...any) error {
	return &protoError{msg: fmt.Sprintf(format, args...)}
}

// conn is one client connection.
type conn struct {
	srv *Server
	raw net.Conn      // the socket
	nc  net.Conn      // raw, or the TLS connection over it
	tls *tls.Conn     // nil without TLS
	pre *bufio.Reader // reads nc until authentication is done; then rd
	rd  *readAhead

	// cbind is the TLS channel binding data (tls-server-end-point) for
	// SCRAM-SHA-256-PLUS; nil without TLS.
	cbind []byte

	body []byte // reusable message body buffer
	out  []byte // pending output
	wErr error  // first write error; output is dropped after it

	pid, secret uint32
	params      StartupParams
	sess        Session

	ctx        context.Context // cancelled on disconnect and shutdown
	cancelConn context.CancelCauseFunc

	mu         sync.Mutex
	stmtCancel context.CancelCauseFunc

	// termErr is the FATAL the connection is being terminated with
	// (Terminate, an idle timeout).
	termErr atomic.Pointer[sqlerr.Error]
	// readySent: the last message answered ended with ReadyForQuery, so
	// the connection now waits idle for a command.
	readySent bool

	stmts          map[string]*prepStmt
	portals        map[string]*portal
	ignoreTillSync bool
	copy           *copySource // active COPY FROM STDIN
	copyOut        *copySink   // active COPY TO STDOUT
}

func newConn(s *Server, nc net.Conn) *conn {
	nc = &countingConn{Conn: nc, stats: &s.stats}
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &conn{
		srv:        s,
		raw:        nc,
		nc:         nc,
		pre:        bufio.NewReaderSize(nc, 4096),
		ctx:        ctx,
		cancelConn: cancel,
		stmts:      map[string]*prepStmt{},
		portals:    map[string]*portal{},
		out:        make([]byte, 0, 8<<10),
	}
	return c
}

// countingConn counts the bytes of a client socket (TLS records included)
// in the server's metrics.
type countingConn struct {
	net.Conn
	stats *serverStats
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.stats.received.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.stats.sent.Add(uint64(n))
	return n, err
}

// readAhead switches reading from the startup reader to a readAhead, once
// the client is authenticated. Bytes the startup reader holds already
// (messages the client sent without waiting) are read first.
func (c *conn) startReadAhead() {
	pending := make([]byte, c.pre.Buffered())
	io.ReadFull(c.pre, pending)
	c.pre = nil
	// When the socket fails (the client went away) the connection context
	// is cancelled, and with it any running statement, even while the
	// protocol loop is busy executing and not reading.
	c.rd = newReadAhead(c.nc, pending, func(error) { c.cancelConn(errDisconnected) })
}

// shutdown closes the connection from outside (Server.Close).
func (c *conn) shutdown() {
	c.cancelConn(errShutdown)
	c.raw.Close()
}

// CancelStatement cancels the running statement, if any (CancelRequest,
// Control).
func (c *conn) CancelStatement() {
	c.mu.Lock()
	if c.stmtCancel != nil {
		c.stmtCancel(errUserCancel)
	}
	c.mu.Unlock()
}

// Terminate implements Control: the connection context is cancelled with
// errTerminated (cancelling the running statement) and the reader is woken
// by a read deadline in the past; the protocol loop then sends FATAL 57P01
// and closes the connection.
func (c *conn) Terminate() { c.terminate(errTerminated) }

// terminate ends the connection with FATAL e (the first one given wins).
func (c *conn) terminate(e *sqlerr.Error) {
	if c.termErr.CompareAndSwap(nil, e) {
		c.cancelConn(e)
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// terminated reports whether the connection is being terminated.
func (c *conn) terminated() bool { return c.termErr.Load() != nil }

// armIdleTimeout starts the session's idle timeout, if it has one, when
// the connection waits for a command after ReadyForQuery; the returned
// function stops it.
func (c *conn) armIdleTimeout() (stop func() bool) {
	it, ok := c.sess.(IdleTimeouter)
	if !ok || !c.readySent {
		return func() bool { return false }
	}
	d, e := it.IdleTimeout()
	if d <= 0 {
		return func() bool { return false }
	}
	return time.AfterFunc(d, func() { c.terminate(e) }).Stop
}

// stmtContext returns the context for one Prepare or Execute, reachable by
// cancel requests until done is called.
func (c *conn) stmtContext() (ctx context.Context, done func()) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	c.mu.Lock()
	c.stmtCancel = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		c.stmtCancel = nil
		c.mu.Unlock()
		cancel(nil)
	}
}

// serve runs the connection to completion.
func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("pgwire: panic in connection", "pid", c.pid, "panic", r, "stack", string(debug.Stack()))
			c.out = c.out[:0]
			c.sendFatal(sqlerr.New(sqlerr.Internal, "internal error"))
			c.flush()
		}
		c.close()
	}()
	if !c.startup() {
		return
	}
	c.loop()
}

// close releases everything the connection holds.
func (c *conn) close() {
	c.cancelConn(errDisconnected)
	c.dropPortals()
	if c.sess != nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.srv.log.Error("pgwire: panic in Session.Close", "pid", c.pid, "panic", r, "stack", string(debug.Stack()))
				}
			}()
			c.sess.Close()
		}()
	}
	if c.pid != 0 {
		c.srv.unregister(c)
	}
	c.nc.Close()
	if c.rd != nil {
		c.rd.close()
	}
}

// ---- reading ----

// readFull reads exactly len(b) bytes.
func (c *conn) readFull(b []byte) error {
	var err error
	if c.rd != nil {
		_, err = io.ReadFull(c.rd, b)
	} else {
		_, err = io.ReadFull(c.pre, b)
	}
	return err
}

// readBody reads an n-byte message body into the reusable buffer. Large
// bodies grow the buffer as their bytes arrive rather than trusting the
// length word up front.
func (c *conn) readBody(n int) ([]byte, error) {
	const step = 1 << 20
	if n > step {
		b := c.body[:0]
		for len(b) < n {
			k := min(n-len(b), step)
			b = slices.Grow(b, k)
			if err := c.readFull(b[len(b) : len(b)+k]); err != nil {
				return nil, err
			}
			b = b[:len(b)+k]
		}
		c.body = b
		return b, nil
	}
	if cap(c.body) < n || (cap(c.body) > step && n < 64<<10) {
		size := n
		if size < 4096 {
			size = 4096
		}
		c.body = make([]byte, size)
	}
	b := c.body[:n]
	if err := c.readFull(b); err != nil {
		return nil, err
	}
	return b, nil
}

// readMessage reads one typed message. The body is valid until the next
// read. Pending output is flushed first if the read would block.
func (c *conn) readMessage() (byte, []byte, error) {
	if c.rd.buffered() < 5 && len(c.out) > 0 {
		c.flush()
	}
	var hdr [5]byte
	if err := c.readFull(hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[1:]))
	if n < 4 || n-4 > int64(c.srv.opts.MaxMessageSize) {
		return 0, nil, protoErrorf("invalid message length %d for message type %q", n, hdr[0])
	}
	body, err := c.readBody(int(n - 4))
	if err != nil {
		return 0, nil, err
	}
	return hdr[0], body, nil
}

// msgReader decodes a message body.
type msgReader struct {
	b   []byte
	bad bool
}

func (r *msgReader) cstring() string {
	i := 0
	for i < len(r.b) && r.b[i] != 0 {
		i++
	}
	if i == len(r.b) {
		r.bad = true
		r.b = nil
		return ""
	}
	s := string(r.b[:i])
	r.b = r.b[i+1:]
	return s
}

func (r *msgReader) byte1() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *msgReader) int16() int16 {
	if len(r.b) < 2 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *msgReader) int32() int32 {
	if len(r.b) < 4 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

func (r *msgReader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad = true
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// done reports a malformed message: short, or with bytes left over.
func (r *msgReader) check(what string) error {
	if r.bad || len(r.b) != 0 {
		return protoErrorf("invalid %s message format", what)
	}
	return nil
}

// ---- writing ----

// send appends a backend message to the output buffer.
func (c *conn) send(m pgproto3.BackendMessage) {
	if b, err := m.Encode(c.out); err == nil {
		c.out = b
	} else {
		c.srv.log.Error("pgwire: encoding message", "pid", c.pid, "err", err)
	}
}

// flush writes the pending output. After a write error, output is dropped
// and the connection context is cancelled.
func (c *conn) flush() error {
	if c.wErr != nil {
		c.out = c.out[:0]
		return c.wErr
	}
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	if cap(c.out) > 4<<20 {
		c.out = make([]byte, 0, 64<<10)
	} else {
		c.out = c.out[:0]
	}
	if err != nil {
		c.wErr = err
		c.cancelConn(errDisconnected)
	}
	return err
}

func errorResponse(severity string, e *sqlerr.Error) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                e.Code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            e.Position,
	}
}

// sendError sends an ERROR; none once the connection is terminated (its
// FATAL follows instead).
func (c *conn) sendError(e *sqlerr.Error) {
	if !c.terminated() {
		c.send(errorResponse("ERROR", e))
	}
}

func (c *conn) sendFatal(e *sqlerr.Error) { c.send(errorResponse("FATAL", e)) }

func (c *conn) sendReady() {
	if c.terminated() {
		return // FATAL follows
	}
	c.readySent = true
	st := byte('I')
	if c.sess != nil {
		st = c.sess.TxStatus()
	}
	c.send(&pgproto3.ReadyForQuery{TxStatus: st})
}

// ---- startup ----

// startup runs the startup phase; it reports whether the connection is
// ready for queries. As in PostgreSQL, an SSLRequest and a GSSENCRequest
// may each come once before the startup packet, in either order (a
// GSSENCRequest only before TLS is on); a second one is an unsupported
// protocol version.
func (c *conn) startup() bool {
	c.raw.SetDeadline(time.Now().Add(c.srv.opts.AuthTimeout))
	sslDone, gssDone := false, false
	for {
		var hdr [4]byte
		if err := c.readFull(hdr[:]); err != nil {
			return false
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n < 8 || n > maxStartupPacket {
			c.srv.log.Debug("pgwire: invalid length of startup packet", "len", n, "remote", c.raw.RemoteAddr())
			return false
		}
		body, err := c.readBody(n - 4)
		if err != nil {
			return false
		}
		code := binary.BigEndian.Uint32(body)
		switch {
		case code == codeSSLRequest && !sslDone, code == codeGSSENCRequest && !gssDone:
			if n != 8 {
				return false
			}
			ssl := code == codeSSLRequest
			if !c.negotiate(ssl) {
				return false
			}
			if c.tls != nil {
				sslDone, gssDone = true, true
			} else if ssl {
				sslDone = true
			} else {
				gssDone = true
			}
			continue
		case code == codeCancelRequest:
			if n == 16 {
				c.srv.cancel(binary.BigEndian.Uint32(body[4:]), binary.BigEndian.Uint32(body[8:]))
			}
			return false
		}
		if major := code >> 16; major != 3 {
			c.sendFatal(sqlerr.Errorf(sqlerr.FeatureNotSupported, "unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, code&0xffff))
			c.flush()
			return false
		}
		return c.startSession(code&0xffff, body[4:])
	}
}

func (c *conn) startSession(minor uint32, body []byte) bool {
	opts := map[string]string{}
	var unknownOpts []string
	r := &msgReader{b: body}
	for {
		k := r.cstring()
		if r.bad {
			c.sendFatal(sqlerr.New(sqlerr.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte"))
			c.flush()
			return false
		}
		if k == "" {
			break
		}
		v := r.cstring()
		if r.bad {
			c.sendFatal(sqlerr.New(sqlerr.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte"))
			c.flush()
			return false
		}
		if strings.HasPrefix(k, "_pq_.") {
			unknownOpts = append(unknownOpts, k)
			continue
		}
		opts[k] = v
	}
	if minor > 0 || len(unknownOpts) > 0 {
		// NegotiateProtocolVersion: newest minor supported, unrecognized options.
		start := len(c.out)
		c.out = append(c.out, 'v', 0, 0, 0, 0)
		c.out = binary.BigEndian.AppendUint32(c.out, 0)
		c.out = binary.BigEndian.AppendUint32(c.out, uint32(len(unknownOpts)))
		for _, o := range unknownOpts {
			c.out = append(c.out, o...)
			c.out = append(c.out, 0)
		}
		binary.BigEndian.PutUint32(c.out[start+1:], uint32(len(c.out)-start-1))
	}
	user := opts["user"]
	if user == "" {
		c.sendFatal(sqlerr.New(sqlerr.InvalidAuthorization, "no PostgreSQL user name specified in startup packet"))
		c.flush()
		return false
	}
	db := opts["database"]
	if db == "" {
		db = user
	}
	c.params = StartupParams{User: user, Database: db, Options: opts, RemoteAddr: c.raw.RemoteAddr(), Control: c}
	if err := c.authenticate(); err != nil {
		var e *sqlerr.Error
		if errors.As(err, &e) {
			c.srv.log.Info("pgwire: authentication failed", "user", user, "database", db,
				"remote", c.raw.RemoteAddr(), "tls", c.tls != nil, "err", e.Message)
			c.sendFatal(e)
			c.flush()
		}
		return false
	}
	c.raw.SetDeadline(time.Time{})
	c.startReadAhead()
	if !c.srv.register(c) {
		c.sendFatal(errShutdown)
		c.flush()
		return false
	}
	c.params.PID = c.pid
	sess, err := c.connectBackend()
	if err != nil {
		c.sendFatal(sqlerr.As(err))
		c.flush()
		return false
	}
	c.sess = sess
	c.send(&pgproto3.AuthenticationOk{})
	params := c.parameterStatus()
	if pr, ok := sess.(ParameterReporter); ok {
		// The session's values, from the startup packet and its options
		// (TimeZone, DateStyle, …), take the defaults' places.
		for _, kv := range pr.ChangedParameters() {
			i := slices.IndexFunc(params, func(p [2]string) bool { return p[0] == kv[0] })
			if i < 0 {
				params = append(params, kv)
			} else {
				params[i][1] = kv[1]
			}
		}
	}
	for _, kv := range params {
		c.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
	}
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.sendReady()
	return c.flush() == nil
}

func (c *conn) connectBackend() (Session, error) {
	ctx, done := c.stmtContext()
	defer done()
	return c.srv.backend.Connect(ctx, c.params)
}

// parameterStatus returns the startup ParameterStatus values.
func (c *conn) parameterStatus() [][2]string {
	list := DefaultParameterStatus()
	extra := map[string]string{}
	for k, v := range c.srv.opts.ParameterStatus {
		extra[k] = v
	}
	for i := range list {
		switch list[i][0] {
		case "application_name":
			list[i][1] = c.params.Options["application_name"]
		case "session_authorization":
			list[i][1] = c.params.User
		}
		if v, ok := extra[list[i][0]]; ok {
			list[i][1] = v
			delete(extra, list[i][0])
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		list = append(list, [2]string{k, extra[k]})
	}
	return list
}

// ---- main loop ----

func (c *conn) loop() {
	c.readySent = true
	for {
		stopIdle := c.armIdleTimeout()
		typ, body, err := c.readMessage()
		stopIdle()
		c.readySent = false
		if c.terminated() {
			c.out = c.out[:0]
			c.sendFatal(c.termErr.Load())
			c.flush()
			return
		}
		if err != nil {
			var pe *protoError
			if errors.As(err, &pe) {
				c.sendFatal(sqlerr.New(sqlerr.ProtocolViolation, pe.msg))
				c.flush()
			}
			return
		}
		if c.ignoreTillSync && typ != 'S' && typ != 'X' {
			continue
		}
		if mc, ok := c.sess.(MessageClock); ok && strings.IndexByte("QPBE", typ) >= 0 {
			mc.MessageReceived(time.Now())
		}
		switch typ {
		case 'Q':
			r := &msgReader{b: body}
			sql := r.cstring()
			if err := r.check("Query"); err != nil {
				c.fatal(err)
				return
			}
			c.simpleQuery(sql)
		case 'P', 'B', 'D', 'E', 'C':
			if err := c.extended(typ, body); err != nil {
				var pe *protoError
				if errors.As(err, &pe) {
					c.fatal(err)
					return
				}
				c.sendError(c.toSQLErr(err, nil))
				c.ignoreTillSync = true
			}
		case 'S':
			c.endBlock(c.ignoreTillSync)
			c.ignoreTillSync = false
			c.sendReady()
			if c.sess.TxStatus() == 'I' {
				c.dropPortals()
			}
			if c.flush() != nil {
				return
			}
		case 'H':
			if c.flush() != nil {
				return
			}
		case 'X':
			return
		case 'd', 'c', 'f':
			// Copy messages after a COPY failed: ignored, as PostgreSQL does.
		case 'F':
			c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "function call protocol is not supported"))
			c.ignoreTillSync = false
			c.sendReady()
		default:
			c.fatal(protoErrorf("invalid frontend message type %d", typ))
			return
		}
		if c.wErr != nil {
			return
		}
	}
}

func (c *conn) fatal(err error) {
	c.sendFatal(sqlerr.New(sqlerr.ProtocolViolation, err.Error()))
	c.flush()
}

// toSQLErr classifies an error for the client. stmtCtx, when given, is the
// context the failing statement ran under: an error after a cancel is
// reported as the cancel.
func (c *conn) toSQLErr(err error, stmtCtx context.Context) *sqlerr.Error {
	var e *sqlerr.Error
	// A cancelled statement reports the cancel, whatever error its
	// cancellation caused (a participant stream reset, say).
	if stmtCtx != nil && stmtCtx.Err() != nil {
		if errors.As(context.Cause(stmtCtx), &e) {
			return e
		}
	}
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return errUserCancel
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	}
	return sqlerr.As(err)
}

// reportParameters sends ParameterStatus for parameters a statement changed.
func (c *conn) reportParameters() {
	if pr, ok := c.sess.(ParameterReporter); ok {
		for _, kv := range pr.ChangedParameters() {
			c.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
		}
	}
}

// simpleQuery runs a Query message.
func (c *conn) simpleQuery(sql string) {
	// Not deferred: after a panic the connection ends with a FATAL instead.
	failed := c.runQuery(sql)
	c.endBlock(failed)
	c.sendReady()
	if c.sess.TxStatus() == 'I' {
		c.dropPortals()
	}
	c.flush()
}

// endBlock ends the implicit transaction block of a Query message or of
// the messages up to a Sync (see BlockEnder).
func (c *conn) endBlock(failed bool) {
	be, ok := c.sess.(BlockEnder)
	if !ok {
		return
	}
	ctx, done := c.stmtContext()
	defer done()
	if err := be.EndBlock(ctx, failed, &resultWriter{c: c, ctx: ctx}); err != nil {
		c.sendError(c.toSQLErr(err, ctx))
	}
}

// runQuery runs the statements of a Query message, up to the first error;
// it reports whether one failed.
func (c *conn) runQuery(sql string) (failed bool) {
	// PostgreSQL drops the unnamed statement and portal on a simple query.
	delete(c.stmts, "")
	c.dropPortal("")
	stmts, err := c.sess.Split(sql)
	if err != nil {
		c.sendError(c.toSQLErr(err, nil))
		return true
	}
	if len(stmts) == 0 {
		c.send(&pgproto3.EmptyQueryResponse{})
		return false
	}
	off := 0
	for _, text := range stmts {
		// Offset of this statement in the query, for error positions.
		base := -1
		if k := strings.Index(sql[off:], text); k >= 0 {
			base = off + k
			off = base + len(text)
		}
		if err := c.simpleStatement(text); err != nil {
			e := c.toSQLErr(err, nil)
			if e.Position > 0 && base > 0 {
				cp := *e
				cp.Position += int32(utf8.RuneCountInString(sql[:base]))
				e = &cp
			}
			c.sendError(e)
			return true
		}
		if c.wErr != nil {
			return true
		}
	}
	return false
}

func (c *conn) simpleStatement(text string) error {
	st, err := c.prepare(text, nil)
	if err != nil {
		return err
	}
	// RowDescription goes out once Execute has bound the statement (at
	// BeginRows, before its first row, or before CommandComplete), so DDL
	// committed between Prepare and Execute cannot make the description and
	// the rows differ.
	sent := false
	describe := func() {
		if !sent {
			sent = true
			if cols := st.Columns(); cols != nil {
				c.send(rowDescription(cols, nil))
			}
		}
	}
	tag, err := c.executeDescribing(st, nil, nil, nil, describe)
	if err != nil {
		return err
	}
	describe()
	c.reportParameters()
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

// prepare calls Session.Prepare under a cancellable context.
func (c *conn) prepare(sql string, oids []uint32) (Statement, error) {
	ctx, done := c.stmtContext()
	defer done()
	st, err := c.sess.Prepare(ctx, sql, oids)
	if err != nil {
		return nil, c.toSQLErr(err, ctx)
	}
	return st, nil
}
