package coordinator

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// commitWait bounds how long a session waits for its own commit to reach
// the local cache before its next statement.
const commitWait = 5 * time.Second

// session is one client session.
type session struct {
	c      *Coordinator
	params pgwire.StartupParams
	// authUser is the role the session logged in as, sessionUser is
	// session_user (SET SESSION AUTHORIZATION changes it), role the role
	// SET ROLE chose (0: none, current_user is the session user).
	authUser, sessionUser, role catalog.OID
	vars                        map[string]string
	txn                         *txn
	// explicit is set inside BEGIN … COMMIT; failed after an error there.
	explicit bool
	failed   bool
	// cursors are the DECLAREd cursors by name (cursor.go); portals the
	// protocol portals paused between row-limited Executes (portal.go).
	cursors map[string]*cursor
	portals map[*portalRows]bool
	// act is what cirrus_stat_activity shows of the session.
	act activity
	// resetVals are the settings given at startup (RESET returns to
	// them), gucTxn the settings' state in a transaction block, reported
	// the ParameterStatus values the client has (settings.go).
	resetVals map[string]string
	gucTxn    *gucTxn
	reported  map[string]string
	// rows counts the rows the running statement returned (metrics).
	rows int64
	// split is the parse tree of the one statement of the last simple
	// query, until its Prepare takes it.
	split *planner.Parsed
}

func newSession(c *Coordinator, p pgwire.StartupParams, user catalog.OID) *session {
	s := &session{c: c, params: p, vars: map[string]string{}, authUser: user, sessionUser: user, reported: map[string]string{}}
	for _, kv := range pgwire.DefaultParameterStatus() {
		s.reported[kv[0]] = kv[1]
	}
	s.reported["application_name"] = p.Options["application_name"]
	now := time.Now()
	s.act.backendStart, s.act.stateChange, s.act.state = now, now, stateIdle
	return s
}

// txn is a transaction's private state: its catalog view with its own
// changes, the objects it changed, and new file lists of tables it wrote.
// Nothing is visible to others until commit swaps it all in at once.
//
// An explicit transaction that changes the catalog also has a transaction
// in metad (metadTxn): at each command boundary the objects the statement
// changed are staged there, in metad's per-transaction, per-savepoint space
// that no other transaction sees; SAVEPOINT, RELEASE and ROLLBACK TO are
// mirrored; COMMIT publishes everything as one set with one sequence number.
type txn struct {
	txnState
	savepoints []savepoint
	metadTxn   metad.TxnID
}

type txnState struct {
	cat       *catalog.Catalog
	order     []catalog.OID
	touched   map[catalog.OID]*change
	manifests map[catalog.OID]*storage.Manifest
	dirty     []catalog.OID // changed by the current statement, not yet staged
}

// savepoint is a copy of the transaction's state when SAVEPOINT ran.
type savepoint struct {
	name  string
	state txnState
}

func newTxn() *txn {
	return &txn{txnState: txnState{touched: map[catalog.OID]*change{}, manifests: map[catalog.OID]*storage.Manifest{}}}
}

// clone copies the state deeply enough that later changes to either copy
// do not show in the other (catalogs and manifests are copied on write).
func (st *txnState) clone() txnState {
	c := txnState{order: append([]catalog.OID(nil), st.order...), dirty: append([]catalog.OID(nil), st.dirty...),
		touched: make(map[catalog.OID]*change, len(st.touched)), manifests: make(map[catalog.OID]*storage.Manifest, len(st.manifests))}
	if st.cat != nil {
		c.cat = st.cat.Clone()
	}
	for k, v := range st.touched {
		cv := *v
		c.touched[k] = &cv
	}
	for k, m := range st.manifests {
		c.manifests[k] = &storage.Manifest{Table: m.Table, Files: append([]storage.DataFile(nil), m.Files...)}
	}
	return c
}

type change struct {
	kind    catalog.ObjectKind
	created bool  // created in this transaction
	dropped bool  // dropped in this transaction
	version int64 // committed version when first touched (existing objects)
	staged  bool  // its current state has been staged in metad's transaction
}

// Split implements pgwire.Session. A query of one statement keeps its
// parse tree for the Prepare that follows (see parse).
func (s *session) Split(sql string) ([]string, error) {
	ps, err := planner.Parse(sql)
	if err != nil {
		return nil, err
	}
	s.split = nil
	if len(ps) == 1 && strings.HasPrefix(sql, ps[0].SQL) {
		// Its tree's locations are offsets in its own text too.
		s.split = &ps[0]
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.SQL
	}
	return out, nil
}

// parse parses a statement to prepare: a simple query's one statement was
// parsed by Split already.
func (s *session) parse(sql string) ([]planner.Parsed, error) {
	if p := s.split; p != nil && p.SQL == sql {
		s.split = nil
		return []planner.Parsed{*p}, nil
	}
	s.split = nil
	return planner.Parse(sql)
}

func (s *session) TxStatus() byte {
	switch {
	case s.failed:
		return 'E'
	case s.explicit:
		return 'T'
	}
	return 'I'
}

func (s *session) Close() {
	if s.txn != nil && s.explicit {
		s.c.metrics.rollbacks.Inc()
	}
	s.endCursors(context.Background(), false)
	for _, c := range s.cursors {
		c.rows.close()
	}
	s.abort(s.txn)
	s.txn, s.explicit, s.failed = nil, false, false
	s.c.sessions.remove(s)
}

// abort discards a transaction, including its buffer in metad.
func (s *session) abort(t *txn) {
	if t != nil && t.metadTxn != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.c.metad.AbortTxn(ctx, t.metadTxn) // metad also drops it with the session
	}
}

// view returns the catalog the session's next statement sees.
func (s *session) view() (*catalog.Catalog, int64) {
	cat, seq := s.c.Catalog()
	if s.txn != nil && s.txn.cat != nil {
		return s.txn.cat, seq
	}
	return cat, seq
}

func (s *session) searchPath() []string {
	sp, ok := s.vars["search_path"]
	if !ok {
		sp = `"$user", public`
	}
	var out []string
	for _, p := range strings.Split(sp, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p == "$user" { // the current role's schema, as in PostgreSQL
			cat, _ := s.view()
			p = cat.RoleName(s.currentRole())
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// statement is a prepared statement.
type statement struct {
	s      *session
	sql    string
	parsed planner.Parsed
	empty  bool
	params []catalog.Type
	cols   []pgwire.Column
	bound  planner.Statement
	// described is set once a client was told the result shape (Describe).
	described bool
}

// MarkDescribed implements pgwire.Described.
func (st *statement) MarkDescribed() { st.described = true }

// recoverInternal turns a panic in statement processing into an internal
// error for the statement, so one bad statement can never take down the
// coordinator or even the session. The stack goes to the log.
func (s *session) recoverInternal(err *error) {
	if r := recover(); r != nil {
		s.c.cfg.Logf("coordinator: internal error: %v\n%s", r, debug.Stack())
		*err = s.fail(sqlerr.Errorf(sqlerr.Internal, "internal error: %v", r))
	}
}

func (s *session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (_ pgwire.Statement, err error) {
	defer s.recoverInternal(&err)
	ps, err := s.parse(sql)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return &statement{s: s, sql: sql, empty: true}, nil
	}
	if len(ps) > 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	st := &statement{s: s, sql: sql, parsed: ps[0]}
	if s.failed && !isTxnControl(ps[0]) {
		return nil, errAborted()
	}
	types := make([]catalog.Type, len(paramOIDs))
	for i, oid := range paramOIDs {
		t, err := typeFromOID(oid)
		if err != nil {
			return nil, err
		}
		types[i] = t
	}
	params := &planner.Params{Types: types}
	bound, err := planner.Bind(s.bindContext(params), ps[0])
	if err != nil {
		return nil, s.fail(err)
	}
	st.params = params.Types
	st.bound = bound
	st.cols = s.describe(bound)
	return st, nil
}

// bindContext is what binding a statement needs from the session: the
// catalog it sees, its search path and settings, and who runs it.
func (s *session) bindContext(params *planner.Params) *planner.Context {
	cat, _ := s.view()
	tz, _ := s.setting("timezone")
	ds, _ := s.setting("datestyle")
	return &planner.Context{Catalog: cat, SearchPath: s.searchPath(), Params: params, System: systemLookup, Info: s.catalogInfo(), Stats: s.tableStats,
		BroadcastRows: s.rowsSetting("cirrus.broadcast_rows"), ColocateRows: s.rowsSetting("cirrus.colocate_rows"),
		Role: s.currentRole(), SessionUser: s.sessionUser, AuthenticatedUser: s.authUser, Database: s.params.Database,
		TimeZone: tz, DateStyle: ds, Now: s.act.statementStart(), TxnStart: s.act.transactionStart()}
}

func isTxnControl(p planner.Parsed) bool {
	return p.Stmt.GetTransactionStmt() != nil
}

func errAborted() error {
	return sqlerr.New(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

// describe returns a statement's result columns: a FETCH's are its
// cursor's (none while the cursor does not exist, as in PostgreSQL).
func (s *session) describe(st planner.Statement) []pgwire.Column {
	if f, ok := st.(*planner.Fetch); ok {
		if c := s.cursors[f.Name]; c != nil && !f.Move {
			return c.cols
		}
		return nil
	}
	return describe(st)
}

// missingCursor reports a FETCH of a cursor that does not exist, which
// fails as such (34000) whatever was described.
func missingCursor(s *session, st planner.Statement) bool {
	f, ok := st.(*planner.Fetch)
	return ok && s.cursors[f.Name] == nil
}

func describe(st planner.Statement) []pgwire.Column {
	var oc []planner.OutputColumn
	switch st := st.(type) {
	case *planner.Query:
		oc = st.Columns
	case *planner.Explain:
		return []pgwire.Column{{Name: "QUERY PLAN", Type: catalog.TypeText}}
	case *planner.Show:
		if st.Name == "all" {
			cols := make([]pgwire.Column, len(showAllColumns))
			for i, n := range showAllColumns {
				cols[i] = pgwire.Column{Name: n, Type: catalog.TypeText}
			}
			return cols
		}
		return []pgwire.Column{{Name: showColumn(st.Name), Type: catalog.TypeText}}
	default:
		return nil
	}
	cols := make([]pgwire.Column, len(oc))
	for i, c := range oc {
		cols[i] = pgwire.Column{Name: c.Name, Type: c.Type, TableOID: uint32(c.TableOID), Attnum: c.Attnum}
	}
	return cols
}

// sameShape reports whether two result descriptions have the same columns
// and types.
func sameShape(a, b []pgwire.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// Deallocates implements pgwire.Deallocator.
func (st *statement) Deallocates() (name string, all, ok bool) {
	d, ok := st.bound.(*planner.Deallocate)
	if !ok {
		return "", false, false
	}
	return d.Name, d.All, true
}

func (st *statement) ParamTypes() []catalog.Type { return st.params }

// RegIn implements pgwire.RegInput over the session's current catalog.
func (st *statement) RegIn(t catalog.Type, s string) (int64, error) {
	return planner.RegIn(st.s.bindContext(&planner.Params{}), t, s)
}
func (st *statement) Columns() []pgwire.Column { return st.cols }

// Execute runs the statement under the session's statement_timeout,
// showing it in cirrus_stat_activity and counting it in the metrics.
func (st *statement) Execute(ctx context.Context, params []plan.Datum, w pgwire.ResultWriter) (tag string, err error) {
	s := st.s
	start := time.Now()
	s.act.begin(st.sql, s.explicit)
	s.c.metrics.started.Inc()
	s.rows = 0
	ctx, stop := s.statementContext(ctx)
	defer func() {
		stop()
		s.act.end(s.TxStatus(), s.appName(), time.Now())
		s.c.metrics.finish(start, s.rows, err, ctx)
	}()
	tag, err = st.execute(ctx, params, s.minMessages(w))
	return tag, statementErr(ctx, err)
}

// statementErr is the error of a statement that ran under ctx: whatever
// error the cancellation by statement_timeout caused (a participant stream
// reset, say), the statement failed by its timeout.
func statementErr(ctx context.Context, err error) error {
	if err != nil && context.Cause(ctx) == errStatementTimeout {
		return errStatementTimeout
	}
	return err
}

// appName is the session's application_name (cirrus_stat_activity).
func (s *session) appName() string {
	app, _ := s.setting("application_name")
	return app
}

func (st *statement) execute(ctx context.Context, params []plan.Datum, w pgwire.ResultWriter) (_ string, err error) {
	defer st.s.recoverInternal(&err)
	if st.empty {
		return "", nil
	}
	s := st.s
	if s.failed && !isTxnControl(st.parsed) {
		return "", errAborted()
	}
	bound, err := st.bind(params)
	if err != nil {
		return "", s.fail(err)
	}
	tag, err := s.execute(ctx, bound, w)
	if err != nil {
		return "", s.fail(err)
	}
	return tag, nil
}

// bind binds the statement again with the parameter values and the
// catalog as it is now.
func (st *statement) bind(params []plan.Datum) (planner.Statement, error) {
	s := st.s
	p := &planner.Params{Types: append([]catalog.Type(nil), st.params...), Values: params}
	if p.Values == nil {
		p.Values = []plan.Datum{}
	}
	bound, err := planner.Bind(s.bindContext(p), st.parsed)
	if err != nil {
		return nil, err
	}
	// The client was told the result's shape at Parse/Describe; if DDL since
	// then changed it, the rows would not match (PostgreSQL's rule too).
	if cols := s.describe(bound); !sameShape(st.cols, cols) && !missingCursor(s, bound) {
		if st.described {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "cached plan must not change result type")
		}
		st.cols = cols
	}
	return bound, nil
}

// fail records an error: inside an explicit transaction the transaction is
// now aborted (it ends, for cirrus_stat_activity, unless a savepoint keeps
// it); outside, the implicit transaction is discarded.
func (s *session) fail(err error) error {
	if s.explicit {
		s.failed = true
		s.closePortals()
		if s.txn == nil || len(s.txn.savepoints) == 0 {
			s.act.abortTransaction()
		}
	} else {
		s.endCursors(context.Background(), false)
		s.txn = nil
	}
	return err
}

func (s *session) execute(ctx context.Context, st planner.Statement, w pgwire.ResultWriter) (string, error) {
	switch st := st.(type) {
	case *planner.Txn:
		return s.txnControl(ctx, st, w)
	case *planner.Set:
		return s.set(st, w)
	case *planner.Show:
		return s.show(st, w)
	case *planner.Deallocate:
		// pgwire closes the statements (see Deallocates).
		if st.All {
			return "DEALLOCATE ALL", nil
		}
		return "DEALLOCATE", nil
	case *planner.SetRole:
		return s.setRole(st), nil
	}
	if err := s.refuseIfReadOnly(st); err != nil {
		return "", err
	}
	// Everything else runs in a transaction: the explicit one, or the
	// implicit one of the statements up to the end of the Query message or
	// the next Sync, committed by EndBlock.
	if s.txn == nil {
		s.txn = newTxn()
	}
	if s.gucTxn != nil {
		s.gucTxn.queried = true
	}
	tag, err := s.run(ctx, st, w)
	if err != nil {
		if !s.explicit {
			s.c.metrics.rollbacks.Inc()
		}
		return "", err
	}
	if s.explicit {
		if err := s.stage(ctx); err != nil {
			return "", err
		}
	}
	return tag, nil
}

// EndBlock implements pgwire.BlockEnder. Outside an explicit transaction,
// as in PostgreSQL, the statements of one simple Query message, or of the
// extended-protocol messages up to a Sync, are one implicit transaction: a
// pipeline or a JDBC batch whose middle statement fails keeps none of its
// changes. It is committed here, or discarded when the block failed.
func (s *session) EndBlock(ctx context.Context, failed bool, w pgwire.ResultWriter) (err error) {
	defer s.recoverInternal(&err)
	if s.explicit {
		return nil
	}
	s.act.endTransaction()
	if s.txn == nil {
		return nil
	}
	t := s.txn
	s.txn = nil
	if failed {
		s.c.metrics.rollbacks.Inc()
		s.endCursors(ctx, false)
		s.abort(t)
		return nil
	}
	return s.commitCounted(ctx, t, w)
}

// commitCounted is commit, counted in the commit and rollback metrics,
// after the cursors' end of the transaction (endCursors).
func (s *session) commitCounted(ctx context.Context, t *txn, w pgwire.ResultWriter) error {
	if err := s.endCursors(ctx, true); err != nil {
		s.c.metrics.rollbacks.Inc()
		s.abort(t)
		return err
	}
	if err := s.commit(ctx, t, w); err != nil {
		s.c.metrics.rollbacks.Inc()
		return err
	}
	s.c.metrics.commits.Inc()
	return nil
}

// MessageReceived implements pgwire.MessageClock.
func (s *session) MessageReceived(at time.Time) { s.act.messageReceived(at) }

// ProtocolError implements pgwire.ErrorObserver: an error pgwire raises
// itself (a bad Bind, say) aborts the transaction like any other.
func (s *session) ProtocolError(e *sqlerr.Error) { s.fail(e) }

func (s *session) txnControl(ctx context.Context, st *planner.Txn, w pgwire.ResultWriter) (string, error) {
	switch st.Kind {
	case planner.TxnBegin:
		tag := "BEGIN"
		if st.Start {
			tag = "START TRANSACTION"
		}
		if s.explicit {
			w.Notice(sqlerr.New(sqlerr.ActiveSQLTransaction, "there is already a transaction in progress").Warning())
			return tag, nil
		}
		if err := s.gucBegin(st.Settings); err != nil {
			return "", err
		}
		// The statements before BEGIN in the same implicit block join the
		// explicit transaction, as in PostgreSQL.
		s.explicit = true
		if s.txn == nil {
			s.txn = newTxn()
		}
		return tag, nil
	case planner.TxnSavepoint, planner.TxnRelease, planner.TxnRollbackTo:
		return s.savepoint(st)
	case planner.TxnCommit:
		defer s.act.endTransaction()
		if !s.explicit {
			// COMMIT ends an implicit block early, with its changes.
			w.Notice(sqlerr.New(sqlerr.NoActiveSQLTransaction, "there is no transaction in progress").Warning())
			t := s.txn
			s.txn = nil
			if t == nil {
				return "COMMIT", s.endCursors(ctx, true)
			}
			return "COMMIT", s.commitCounted(ctx, t, w)
		}
		t, failed := s.txn, s.failed
		s.txn, s.explicit, s.failed = nil, false, false
		if failed {
			s.c.metrics.rollbacks.Inc()
			s.endCursors(ctx, false)
			s.gucEnd(false)
			s.abort(t)
			return "ROLLBACK", nil
		}
		if err := s.commitCounted(ctx, t, w); err != nil {
			s.gucEnd(false)
			return "", err
		}
		s.gucEnd(true)
		return "COMMIT", nil
	default:
		defer s.act.endTransaction()
		if !s.explicit {
			w.Notice(sqlerr.New(sqlerr.NoActiveSQLTransaction, "there is no transaction in progress").Warning())
		}
		if s.txn != nil {
			s.c.metrics.rollbacks.Inc()
		}
		s.endCursors(ctx, false)
		s.gucEnd(false)
		s.abort(s.txn)
		s.txn, s.explicit, s.failed = nil, false, false
		return "ROLLBACK", nil
	}
}

// savepoint runs SAVEPOINT, RELEASE and ROLLBACK TO.
func (s *session) savepoint(st *planner.Txn) (string, error) {
	what := map[planner.TxnKind]string{planner.TxnSavepoint: "SAVEPOINT", planner.TxnRelease: "RELEASE SAVEPOINT", planner.TxnRollbackTo: "ROLLBACK TO SAVEPOINT"}[st.Kind]
	if !s.explicit {
		return "", sqlerr.Errorf(sqlerr.NoActiveSQLTransaction, "%s can only be used in transaction blocks", strings.SplitN(what, " ", 2)[0])
	}
	if s.failed && st.Kind != planner.TxnRollbackTo {
		return "", errAborted()
	}
	t := s.txn
	if t.metadTxn != 0 {
		var err error
		switch st.Kind {
		case planner.TxnSavepoint:
			err = s.c.metad.Savepoint(context.Background(), t.metadTxn, st.Savepoint)
		case planner.TxnRelease:
			err = s.c.metad.Release(context.Background(), t.metadTxn, st.Savepoint)
		case planner.TxnRollbackTo:
			err = s.c.metad.RollbackTo(context.Background(), t.metadTxn, st.Savepoint)
		}
		if err != nil {
			return "", err
		}
	}
	if st.Kind == planner.TxnSavepoint {
		t.savepoints = append(t.savepoints, savepoint{name: st.Savepoint, state: t.txnState.clone()})
		s.gucSavepoint(st.Savepoint)
		return "SAVEPOINT", nil
	}
	i := len(t.savepoints) - 1
	for ; i >= 0 && t.savepoints[i].name != st.Savepoint; i-- {
	}
	if i < 0 {
		return "", sqlerr.Errorf("3B001", "savepoint %q does not exist", st.Savepoint)
	}
	if st.Kind == planner.TxnRelease {
		// The work since the savepoint folds into the enclosing level.
		t.savepoints = t.savepoints[:i]
		s.gucRelease(st.Savepoint)
		return "RELEASE", nil
	}
	// ROLLBACK TO discards the work since the savepoint (and the savepoints
	// made after it), keeps the savepoint, and ends an aborted state.
	t.txnState = t.savepoints[i].state.clone()
	t.savepoints = t.savepoints[:i+1]
	s.gucRollbackTo(st.Savepoint)
	s.failed = false
	return "ROLLBACK", nil
}

// ServerVersion is reported as server_version: a PostgreSQL 15 version that
// drivers parse, naming Cirrus.
const ServerVersion = "15.6 (Cirrus)"

func (s *session) run(ctx context.Context, st planner.Statement, w pgwire.ResultWriter) (string, error) {
	switch st := st.(type) {
	case *planner.Query:
		if err := s.evalSessionFuncs(ctx, st.Plan, w); err != nil {
			return "", err
		}
		n, err := s.query(ctx, st.Plan, w)
		return fmt.Sprintf("SELECT %d", n), err
	case *planner.Explain:
		b := vec.NewBatch([]catalog.Type{catalog.TypeText}, 16)
		for _, line := range plan.Explain(st.Query.Plan) {
			b.Cols[0].AppendBytes([]byte(line))
			b.N++
		}
		return "EXPLAIN", w.WriteBatch(b)
	case *planner.CreateTable:
		if st.Exists {
			w.Notice(sqlerr.Errorf("42P07", "relation %q already exists, skipping", st.Name))
			return "CREATE TABLE", nil
		}
		tag := "CREATE TABLE"
		if st.ViewQuery != "" {
			tag = "CREATE VIEW"
		}
		if old := st.Replaces; old != nil {
			t := *old
			t.Columns, t.ViewQuery = st.Columns, st.ViewQuery
			s.txn.put(s, &catalog.Object{Table: &t}, false)
			return tag, nil
		}
		oid, err := s.c.metad.AllocOIDs(ctx, 1)
		if err != nil {
			return "", err
		}
		t := &catalog.Table{OID: oid, Namespace: st.Namespace, Name: st.Name, Columns: st.Columns, PrimaryKey: st.PrimaryKey, ViewQuery: st.ViewQuery, OwnerOID: st.Owner}
		s.txn.put(s, &catalog.Object{Table: t}, true)
		return tag, nil
	case *planner.DropTable:
		what, tag := "table", "DROP TABLE"
		if st.View {
			what, tag = "view", "DROP VIEW"
		}
		for _, name := range st.Missing {
			w.Notice(sqlerr.Errorf("00000", "%s %q does not exist, skipping", what, name))
		}
		for _, t := range st.Tables {
			s.txn.drop(s, t.OID, catalog.KindTable, t.Version)
		}
		return tag, nil
	case *planner.CreateSchema:
		if st.Exists {
			w.Notice(sqlerr.Errorf(sqlerr.DuplicateSchema, "schema %q already exists, skipping", st.Name))
			return "CREATE SCHEMA", nil
		}
		oid, err := s.c.metad.AllocOIDs(ctx, 1)
		if err != nil {
			return "", err
		}
		s.txn.put(s, &catalog.Object{Namespace: &catalog.Namespace{OID: oid, Name: st.Name, OwnerOID: st.Owner}}, true)
		return "CREATE SCHEMA", nil
	case *planner.DropSchema:
		for _, name := range st.Missing {
			w.Notice(sqlerr.Errorf("00000", "schema %q does not exist, skipping", name))
		}
		cat, _ := s.view()
		for _, ns := range st.Schemas {
			if ns.OID == catalog.PublicNamespace || ns.OID == catalog.PgCatalogNamespace {
				if ns.OID == catalog.PgCatalogNamespace {
					return "", sqlerr.Errorf(sqlerr.DependentObjectsStillExist, "cannot drop schema %s because it is required by the database system", ns.Name)
				}
			}
			for _, t := range cat.Tables(ns.OID) {
				s.txn.drop(s, t.OID, catalog.KindTable, t.Version)
			}
			s.txn.drop(s, ns.OID, catalog.KindNamespace, ns.Version)
		}
		return "DROP SCHEMA", nil
	case *planner.AlterTable:
		for _, n := range st.Notices {
			w.Notice(sqlerr.New("00000", n))
		}
		if st.Skip {
			return st.Tag, nil
		}
		if len(st.NotNullAdded) > 0 {
			if err := s.checkNoNulls(ctx, st.Table, st.NotNullAdded); err != nil {
				return "", err
			}
		}
		s.txn.put(s, &catalog.Object{Table: st.Table}, false)
		return st.Tag, nil
	case *planner.Insert:
		n, err := s.insert(ctx, st)
		return fmt.Sprintf("INSERT 0 %d", n), err
	case *planner.CopyFrom:
		n, err := s.copyFrom(ctx, st, w)
		return fmt.Sprintf("COPY %d", n), err
	case *planner.CopyTo:
		n, err := s.copyTo(ctx, st, w)
		return fmt.Sprintf("COPY %d", n), err
	case *planner.DeclareCursor:
		return s.declare(st)
	case *planner.Fetch:
		return s.fetch(ctx, st, w)
	case *planner.CloseCursor:
		return s.closeCursor(st)
	case *planner.Delete:
		n, err := s.delete(ctx, st)
		return fmt.Sprintf("DELETE %d", n), err
	case *planner.Update:
		n, err := s.update(ctx, st)
		return fmt.Sprintf("UPDATE %d", n), err
	}
	if tag, ok, err := s.runRoleDDL(ctx, st, w); ok {
		return tag, err
	}
	return "", sqlerr.Unsupported("statement not supported yet")
}

// put records a created or changed object in the transaction.
func (t *txn) put(s *session, o *catalog.Object, created bool) {
	if t.cat == nil {
		cat, _ := s.c.Catalog()
		t.cat = cat.Clone()
	}
	oid := o.OID()
	ch, ok := t.touched[oid]
	if !ok {
		ch = &change{kind: o.Kind(), created: created, version: o.Version()}
		t.touched[oid] = ch
		t.order = append(t.order, oid)
	}
	t.dirty = append(t.dirty, oid)
	t.cat.Put(o)
}

func (t *txn) drop(s *session, oid catalog.OID, kind catalog.ObjectKind, version int64) {
	if t.cat == nil {
		cat, _ := s.c.Catalog()
		t.cat = cat.Clone()
	}
	ch, ok := t.touched[oid]
	if !ok {
		ch = &change{kind: kind, version: version}
		t.touched[oid] = ch
		t.order = append(t.order, oid)
	}
	ch.dropped = true
	t.dirty = append(t.dirty, oid)
	delete(t.manifests, oid)
	t.cat.Delete(oid)
}

// addFiles appends written files to a table's file list in the transaction.
func (s *session) addFiles(ctx context.Context, tab *catalog.Table, files []storage.DataFile) error {
	t := s.txn
	m, ok := t.manifests[tab.OID]
	if !ok {
		base, err := s.manifestFor(ctx, tab)
		if err != nil {
			return err
		}
		m = &storage.Manifest{Table: tab.OID, Files: append([]storage.DataFile(nil), base.Files...)}
		t.manifests[tab.OID] = m
		t.put(s, &catalog.Object{Table: tab}, false)
	}
	m.Files = append(m.Files, files...)
	return nil
}

// manifestFor returns a table's files as this session sees them.
func (s *session) manifestFor(ctx context.Context, tab *catalog.Table) (*storage.Manifest, error) {
	if s.txn != nil {
		if m, ok := s.txn.manifests[tab.OID]; ok {
			return m, nil
		}
	}
	return s.c.manifest(ctx, tab)
}

// commit publishes a transaction: new manifests are written first (they are
// invisible until referenced), then every catalog change and manifest swap
// goes to metad as one atomic commit.
//
// The commit returns once every live node (coordinators and participants)
// has applied it, so the next statement anywhere sees it; after a bounded
// wait it returns anyway with a NOTICE naming the nodes that lag (a dead
// node stops counting when its lease expires).
func (s *session) commit(ctx context.Context, t *txn, w pgwire.ResultWriter) error {
	if t == nil || len(t.order) == 0 {
		return nil
	}
	// Files written longer ago than garbage collection may keep them
	// unreferenced must not be committed (coordinator/gc.go).
	if err := s.c.checkGCFence(ctx, t); err != nil {
		s.abort(t)
		return err
	}
	// New manifests first: invisible until the commit references them.
	var written []catalog.OID
	for _, oid := range t.order {
		if _, ok := t.manifests[oid]; ok && !t.touched[oid].dropped {
			written = append(written, oid)
		}
	}
	var seq int64
	if t.metadTxn != 0 {
		ops, err := s.ops(ctx, t, append(written, t.dirty...), true)
		if err != nil {
			s.abort(t)
			return err
		}
		if len(ops) > 0 {
			if err := s.c.metad.Stage(ctx, t.metadTxn, ops); err != nil {
				s.abort(t)
				return err
			}
		}
		if seq, err = s.c.metad.CommitTxn(ctx, t.metadTxn); err != nil {
			return err
		}
	} else {
		ops, err := s.ops(ctx, t, t.order, true)
		if err != nil || len(ops) == 0 {
			return err
		}
		if seq, err = s.c.metad.Commit(ctx, ops); err != nil {
			return err
		}
	}
	lagging, err := s.c.metad.WaitApplied(ctx, seq, commitWait)
	if err != nil {
		return err
	}
	if len(lagging) > 0 {
		names := make([]string, len(lagging))
		for i, n := range lagging {
			names[i] = n.ID
		}
		w.Notice(sqlerr.Errorf(sqlerr.Warning, "committed, but not yet applied on %s after %v", strings.Join(names, ", "), commitWait))
	}
	return s.c.waitSeq(seq, commitWait)
}

// ops returns the metad operations that publish the transaction's state of
// the given objects (each once). With manifests, tables with new files get
// a new manifest object and pointer.
func (s *session) ops(ctx context.Context, t *txn, oids []catalog.OID, manifests bool) ([]metad.Op, error) {
	var ops []metad.Op
	seen := map[catalog.OID]bool{}
	for _, oid := range oids {
		if seen[oid] {
			continue
		}
		seen[oid] = true
		ch := t.touched[oid]
		if ch.dropped {
			if !ch.created || ch.staged {
				v := ch.version
				if ch.created {
					v = 0
				}
				ops = append(ops, metad.Op{Delete: oid, ExpectVersion: v})
			}
			continue
		}
		var o *catalog.Object
		if tab, ok := t.cat.TableByOID(oid); ok {
			nt := *tab
			if m, ok := t.manifests[oid]; ok && manifests {
				key := storage.NewManifestKey(oid)
				if err := s.c.cfg.Store.Put(ctx, key, storage.EncodeManifest(m)); err != nil {
					return nil, sqlerr.Wrap(err, sqlerr.IOError, "could not write manifest")
				}
				s.c.manifests.Store(key, m)
				nt.Manifest = key
			}
			nt.Version = 0
			o = &catalog.Object{Table: &nt}
		} else if ns, ok := t.cat.NamespaceByOID(oid); ok {
			o = (&catalog.Object{Namespace: ns}).WithVersion(0)
		} else if r, ok := t.cat.RoleByOID(oid); ok {
			o = (&catalog.Object{Role: r}).WithVersion(0)
		} else {
			continue
		}
		op := metad.Op{Put: o}
		if !ch.created {
			op.ExpectVersion = ch.version
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// stage is the command boundary of an explicit transaction: the objects the
// statement changed go to the transaction's buffer in metad (started on the
// first change, with the savepoints made so far), which checks them against
// committed state and the transaction's own earlier changes.
func (s *session) stage(ctx context.Context) error {
	t := s.txn
	if t == nil || len(t.dirty) == 0 {
		return nil
	}
	if t.metadTxn == 0 {
		id, err := s.c.metad.BeginTxn(ctx)
		if err != nil {
			return err
		}
		t.metadTxn = id
		for _, sp := range t.savepoints {
			if err := s.c.metad.Savepoint(ctx, id, sp.name); err != nil {
				return err
			}
		}
	}
	ops, err := s.ops(ctx, t, t.dirty, false)
	if err != nil {
		return err
	}
	if len(ops) > 0 {
		if err := s.c.metad.Stage(ctx, t.metadTxn, ops); err != nil {
			return err
		}
	}
	for _, oid := range t.dirty {
		t.touched[oid].staged = true
	}
	t.dirty = t.dirty[:0]
	return nil
}

// query runs a plan and streams its rows to w.
func (s *session) query(ctx context.Context, n plan.Node, w pgwire.ResultWriter) (int64, error) {
	w.BeginRows()
	return s.eachBatch(ctx, n, nil, w.WriteBatch)
}

// eachBatch runs a plan and calls f with each non-empty batch, after
// start (if given) once the plan has been built; it returns the number of
// rows.
func (s *session) eachBatch(ctx context.Context, n plan.Node, start func() error, f func(*vec.Batch) error) (int64, error) {
	op, err := executor.Build(ctx, n, s.env())
	if err != nil {
		return 0, err
	}
	defer op.Close()
	if start != nil {
		if err := start(); err != nil {
			return 0, err
		}
	}
	var rows int64
	for {
		b, err := op.Next(ctx)
		if err != nil {
			return rows, err
		}
		if b == nil {
			return rows, nil
		}
		if b.N == 0 {
			continue
		}
		rows += int64(b.N)
		s.rows += int64(b.N)
		if err := f(b); err != nil {
			return rows, err
		}
	}
}
