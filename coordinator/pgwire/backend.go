package pgwire

import (
	"context"
	"net"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Column describes one result column (RowDescription field).
type Column struct {
	Name     string
	Type     catalog.Type
	TableOID uint32 // 0 when not a plain table column
	Attnum   int16  // 0 when not a plain table column
}

// StartupParams are the startup packet's values and what pgwire knows of
// the connection.
type StartupParams struct {
	User, Database string
	Options        map[string]string // every startup parameter, including user, database, application_name, options
	// PID is the process id sent in BackendKeyData (CancelRequest and
	// pg_cancel_backend name the session by it).
	PID uint32
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr
	// Control acts on the connection from outside its protocol loop.
	Control Control
}

// Control lets a backend act on a connection from another goroutine
// (pg_cancel_backend, pg_terminate_backend, statement timeouts of another
// session's making).
type Control interface {
	// CancelStatement cancels the running statement, if any, as a
	// CancelRequest does (57014).
	CancelStatement()
	// Terminate ends the connection: the running statement is cancelled
	// and the client gets FATAL 57P01 "terminating connection due to
	// administrator command".
	Terminate()
}

// Backend creates sessions; pgwire owns connections, TLS, authentication
// (host rules; passwords through Options.Credentials) and cancel keys.
type Backend interface {
	// Connect starts the session of an authenticated client. As
	// PostgreSQL's InitPostgres it refuses a role that does not exist or
	// may not log in (28000): a trust rule admits any user name.
	Connect(ctx context.Context, p StartupParams) (Session, error)
}

// Session is one client session; pgwire calls it from one goroutine at a time.
type Session interface {
	// Split returns the statements of a simple-protocol Query string, in order (42601 on syntax error).
	// An empty or comment-only string yields no statements (pgwire then sends EmptyQueryResponse).
	Split(sql string) ([]string, error)
	// Prepare analyses one statement. paramTypes are the client-declared parameter type OIDs (0 = unspecified).
	Prepare(ctx context.Context, sql string, paramTypes []uint32) (Statement, error)
	// TxStatus is 'I', 'T' or 'E' for ReadyForQuery.
	TxStatus() byte
	// Close ends the session (rolling back an open transaction).
	Close()
}

// Statement is a prepared statement.
type Statement interface {
	// ParamTypes returns the resolved parameter types (one per $n).
	ParamTypes() []catalog.Type
	// Columns returns the result columns, nil for a statement that returns no rows.
	Columns() []Column
	// Execute runs the statement. params are decoded Bind values (Datum.Null for NULL).
	// It streams rows through w and returns the CommandComplete tag ("SELECT 3", "INSERT 0 5", "COPY 100", "CREATE TABLE", "BEGIN", …).
	Execute(ctx context.Context, params []plan.Datum, w ResultWriter) (tag string, err error)
}

// ResultWriter carries a statement's output to the client.
type ResultWriter interface {
	// BeginRows is called once a query is bound and about to run: the simple
	// protocol sends RowDescription here, as PostgreSQL does before it runs
	// a query, so a client has the description even if execution fails.
	BeginRows()
	// WriteBatch sends the batch's rows as DataRows, columns in Columns() order, in the portal's result formats.
	WriteBatch(b *vec.Batch) error
	// CopyIn sends CopyInResponse (overall format 0 text/csv or 1 binary, ncols columns) and returns the stream of CopyData payloads.
	CopyIn(format int16, ncols int) (CopySource, error)
	// CopyOut sends CopyOutResponse (overall format 0 text/csv or 1 binary,
	// ncols columns) and returns where the data goes; pgwire sends CopyDone
	// when the statement succeeds.
	CopyOut(format int16, ncols int) (CopySink, error)
	// Notice sends a NoticeResponse.
	Notice(e *sqlerr.Error) error
}

// CopySource yields the payload of each CopyData message; io.EOF after CopyDone; CopyFail gives an error with SQLSTATE 57014 and the client's message.
// The returned slice is valid until the next call.
type CopySource interface {
	Next() ([]byte, error)
}

// CopySink carries COPY TO STDOUT data to the client.
type CopySink interface {
	// WriteRows sends data[ends[i-1]:ends[i]] (data[:ends[0]] first) as one
	// CopyData message each, as PostgreSQL sends one message per row.
	WriteRows(data []byte, ends []int) error
}

// The interfaces below are optional: a Session may implement them for
// behaviour the core interface does not cover.

// ParameterReporter is implemented by a Session whose statements can change
// GUC_REPORT parameters (SET application_name, SET TimeZone, …). After each
// statement pgwire sends the returned values as ParameterStatus messages
// (before CommandComplete, like PostgreSQL). It returns only changes since
// the previous call, as name/value pairs.
type ParameterReporter interface {
	ChangedParameters() [][2]string
}

// CursorDescriber is implemented by a Session with SQL cursors (DECLARE):
// in PostgreSQL a cursor is a portal, so a Describe of a portal that
// pgwire does not know asks the session for a cursor of that name.
type CursorDescriber interface {
	CursorColumns(name string) (cols []Column, ok bool)
}

// IdleTimeouter is implemented by a Session with idle timeouts
// (idle_in_transaction_session_timeout, idle_session_timeout): when the
// connection has sent ReadyForQuery and waits for a command, pgwire asks
// for the timeout that applies (0: none) and, once it passes without a
// message, ends the connection with the returned FATAL error.
type IdleTimeouter interface {
	IdleTimeout() (time.Duration, *sqlerr.Error)
}

// OutputSettings is implemented by a Session whose settings change the
// text output of values (extra_float_digits); pgwire asks before each
// execution.
type OutputSettings interface {
	Output() pgtype.Output
}

// ErrorObserver is implemented by a Session that wants to hear about errors
// pgwire raises itself, outside Prepare and Execute (a Bind with a bad
// parameter value, an unknown portal, a row limit on a broken portal): in
// PostgreSQL those abort an open transaction block too, so the session can
// move its TxStatus to 'E'.
type ErrorObserver interface {
	ProtocolError(err *sqlerr.Error)
}

// BlockEnder is implemented by a Session that runs the statements of one
// simple Query message, or of the extended-protocol messages up to a Sync,
// as one implicit transaction when no explicit one is open, as PostgreSQL
// does. pgwire calls EndBlock at the end of each Query message and at each
// Sync, before ReadyForQuery; failed reports that an error was sent in the
// block (its work is then discarded). w carries notices; an error returned
// is sent as an ErrorResponse.
type BlockEnder interface {
	EndBlock(ctx context.Context, failed bool, w ResultWriter) error
}

// MessageClock is implemented by a Session that keeps PostgreSQL's
// statement and transaction start times: pgwire calls MessageReceived when
// a Query, Parse, Bind or Execute message arrives (each sets
// statement_timestamp() in PostgreSQL, and the first one after a
// transaction ended starts the next: now()).
type MessageClock interface {
	MessageReceived(at time.Time)
}

// Deallocator may be implemented by a Statement that can be DEALLOCATE:
// Deallocates reports whether it is (ok), and which prepared statement it
// closes, or all of them. Prepared statements are pgwire's, so once such a
// statement has executed successfully pgwire closes them as Close does,
// failing with 26000 for a name it does not know.
type Deallocator interface {
	Deallocates() (name string, all, ok bool)
}

// RegInput may be implemented by a Statement to run the input functions of
// the reg* types (regclassin, regtypein, …), which look names up in the
// catalog: pgwire calls RegIn for a text-format Bind value of such a type,
// so that a name that does not exist fails the Bind, as in PostgreSQL.
// Without it only numeric OIDs are accepted.
type RegInput interface {
	RegIn(t catalog.Type, s string) (int64, error)
}

// Suspender may be implemented by a Statement whose execution can pause
// between the row-limited Executes of a portal (a query). At a portal's
// first Execute with a row limit pgwire calls Start, then Fetch for that
// and each later Execute, so rows are produced as the client asks for them
// (PostgreSQL's PortalSuspended) instead of being buffered. Start returns
// nil Rows for a statement that cannot pause; pgwire then runs it with
// Execute and keeps its rows.
type Suspender interface {
	Start(ctx context.Context, params []plan.Datum, w ResultWriter) (Rows, error)
}

// Rows is a statement paused between the Executes of its portal.
type Rows interface {
	// Fetch sends up to max rows (all when max <= 0) through w and
	// returns how many, and whether the rows are complete (the
	// CommandComplete tag is then "SELECT n"). After an error, or once
	// complete, the Rows are closed.
	Fetch(ctx context.Context, max int64, w ResultWriter) (n int64, complete bool, err error)
	// Close ends the execution early (the portal is closed, or its
	// transaction ended); it may be called more than once.
	Close()
}

// Described may be implemented by a Statement that needs to know when a
// client has been told its result shape by a Describe message: pgwire calls
// MarkDescribed then. A statement that was never described may still change
// shape when it executes (DDL in between); for the simple protocol pgwire
// sends RowDescription only once Execute has bound the statement (at
// BeginRows or before its first row), reading Columns() again at that point.
type Described interface {
	MarkDescribed()
}
