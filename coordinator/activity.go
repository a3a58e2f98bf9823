package coordinator

import (
	"cmp"
	"context"
	"math"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/coordinator/peerpb"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Session states, as pg_stat_activity.state shows them.
const (
	stateActive        = "active"
	stateIdle          = "idle"
	stateIdleInTxn     = "idle in transaction"
	stateIdleInTxnFail = "idle in transaction (aborted)"
)

// activity is what cirrus_stat_activity shows of a session. The session's
// goroutine writes it at statement boundaries, the goroutines reading
// participants' streams count fragments, and any session reads it.
type activity struct {
	mu           sync.Mutex
	state        string
	query        string
	backendStart time.Time
	xactStart    time.Time // zero outside a transaction
	queryStart   time.Time // zero before the first statement
	// msgStart is when the latest Query, Parse, Bind or Execute message
	// arrived: the start of the statements it runs, as in PostgreSQL.
	msgStart time.Time
	// aborted is set while an error has ended the transaction of a
	// transaction block that awaits its ROLLBACK (see abortTransaction).
	aborted     bool
	stateChange time.Time
	// inBlock is set while the session is in a transaction block (its
	// ReadyForQuery status 'T' or 'E').
	inBlock bool
	// app is the session's application_name (copied here because other
	// sessions must not read its settings map).
	app string
	// running counts the fragment streams of the current statement that
	// are running, by participant address.
	running map[string]int
}

// fragmentStarted and fragmentEnded count a fragment stream of the
// running statement on participant addr.
func (a *activity) fragmentStarted(addr string) {
	a.mu.Lock()
	if a.running == nil {
		a.running = map[string]int{}
	}
	a.running[addr]++
	a.mu.Unlock()
}

func (a *activity) fragmentEnded(addr string) {
	a.mu.Lock()
	if a.running[addr]--; a.running[addr] <= 0 {
		delete(a.running, addr)
	}
	a.mu.Unlock()
}

// messageReceived records a Query, Parse, Bind or Execute message that
// arrived at at. As in PostgreSQL, the statements it runs started then
// (statement_timestamp(), query_start), and so did the transaction if none
// was open (now(), xact_start): a transaction starts at the message that
// opens it and runs until endTransaction, so the statements of one Query
// message, or of a pipeline up to Sync, share its start.
func (a *activity) messageReceived(at time.Time) {
	a.mu.Lock()
	a.msgStart = at
	if a.xactStart.IsZero() && !a.aborted {
		a.xactStart = at
	}
	a.mu.Unlock()
}

// endTransaction marks the end of the session's transaction (COMMIT,
// ROLLBACK, the end of an implicit block): the next statement, even of the
// same message, starts another one, at that message's start.
func (a *activity) endTransaction() {
	a.mu.Lock()
	a.xactStart, a.aborted = time.Time{}, false
	a.mu.Unlock()
}

// abortTransaction marks the transaction of a block ended by an error
// outside any savepoint: as in PostgreSQL, it has no start any more
// (xact_start is null) while the block awaits ROLLBACK, and no message
// starts another until then.
func (a *activity) abortTransaction() {
	a.mu.Lock()
	a.xactStart, a.aborted = time.Time{}, true
	a.mu.Unlock()
}

// begin marks the start of a statement, run by the latest message (see
// messageReceived); inBlock tells whether it runs in a transaction block.
func (a *activity) begin(query string, inBlock bool) {
	now := time.Now()
	a.mu.Lock()
	if a.msgStart.IsZero() {
		a.msgStart = now
	}
	a.inBlock = inBlock
	a.state, a.query, a.queryStart, a.stateChange = stateActive, query, a.msgStart, now
	if a.xactStart.IsZero() && !a.aborted {
		a.xactStart = a.msgStart
	}
	a.mu.Unlock()
}

// statementStart and transactionStart are when the running statement and
// its transaction started (zero outside one): statement_timestamp() and
// now().
func (a *activity) statementStart() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != stateActive {
		return time.Time{}
	}
	return a.queryStart
}

func (a *activity) transactionStart() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != stateActive {
		return time.Time{}
	}
	return a.xactStart
}

// end marks the end of a statement; txStatus is the session's
// ReadyForQuery status after it, app its application_name. The
// transaction goes on until endTransaction.
func (a *activity) end(txStatus byte, app string, now time.Time) {
	a.mu.Lock()
	a.app = app
	a.inBlock = txStatus != 'I'
	switch txStatus {
	case 'T':
		a.state = stateIdleInTxn
	case 'E':
		a.state = stateIdleInTxnFail
	default:
		a.state = stateIdle
	}
	a.stateChange = now
	a.mu.Unlock()
}

// sessionTable is a coordinator's sessions by process id.
type sessionTable struct {
	mu sync.Mutex
	m  map[uint32]*session
}

func (t *sessionTable) add(s *session) {
	t.addLimited(s, -1)
}

// addLimited adds s unless its user already has limit sessions here
// (limit < 0: no limit); it reports whether it did.
func (t *sessionTable) addLimited(s *session, limit int32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if limit >= 0 && t.countRoleLocked(s.authUser) >= int(limit) {
		return false
	}
	if t.m == nil {
		t.m = map[uint32]*session{}
	}
	t.m[s.params.PID] = s
	return true
}

// countRole returns the number of sessions of role (logged in as it).
func (t *sessionTable) countRole(role catalog.OID) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.countRoleLocked(role)
}

func (t *sessionTable) countRoleLocked(role catalog.OID) int {
	n := 0
	for _, o := range t.m {
		if o.authUser == role {
			n++
		}
	}
	return n
}

func (t *sessionTable) remove(s *session) {
	t.mu.Lock()
	if t.m[s.params.PID] == s {
		delete(t.m, s.params.PID)
	}
	t.mu.Unlock()
}

func (t *sessionTable) get(pid uint32) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[pid]
}

// list returns the sessions ordered by process id.
func (t *sessionTable) list() []*session {
	t.mu.Lock()
	out := make([]*session, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, s)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].params.PID < out[j].params.PID })
	return out
}

// count returns the number of sessions and of those in a transaction
// block.
func (t *sessionTable) count() (sessions, inTxn int) {
	for _, s := range t.list() {
		s.act.mu.Lock()
		if s.act.inBlock {
			inTxn++
		}
		s.act.mu.Unlock()
		sessions++
	}
	return sessions, inTxn
}

// activityColumns are cirrus_stat_activity's columns: pg_stat_activity's
// that have a meaning in Cirrus, then the coordinator's node id, the
// number of fragment streams the running statement has open on
// participants, and those participants' addresses (comma-separated).
var activityColumns = []catalog.Column{
	{Name: "datname", Type: catalog.TypeName},
	{Name: "pid", Type: catalog.TypeInt4},
	{Name: "usename", Type: catalog.TypeName},
	{Name: "application_name", Type: catalog.TypeText},
	{Name: "client_addr", Type: catalog.TypeText},
	{Name: "client_port", Type: catalog.TypeInt4},
	{Name: "backend_start", Type: catalog.TypeTimestampTZ},
	{Name: "xact_start", Type: catalog.TypeTimestampTZ},
	{Name: "query_start", Type: catalog.TypeTimestampTZ},
	{Name: "state_change", Type: catalog.TypeTimestampTZ},
	{Name: "state", Type: catalog.TypeText},
	{Name: "query", Type: catalog.TypeText},
	{Name: "backend_type", Type: catalog.TypeText},
	{Name: "coordinator", Type: catalog.TypeText},
	{Name: "fragments", Type: catalog.TypeInt4},
	{Name: "participants", Type: catalog.TypeText},
}

// statActivity is cirrus_stat_activity: one row per session of every
// coordinator of the cluster (peer.go).
var statActivity = &systemRelation{
	SystemRelation: planner.SystemRelation{OID: cirrusStatActivityOID, Name: "cirrus_stat_activity", Kind: planner.SystemView, Columns: activityColumns},
	rows: func(s *session, ctx context.Context) ([][]plan.Datum, error) {
		var rows [][]plan.Datum
		for _, a := range s.c.clusterSessions(ctx) {
			rows = append(rows, activityRow(a, s.mayReadActivity(a)))
		}
		return rows, nil
	},
}

// readAllStatsRole is the role whose members see every session's activity
// (PostgreSQL's predefined pg_read_all_stats; it counts once a role of this
// name exists, see signalBackendRole).
const readAllStatsRole = "pg_read_all_stats"

// mayReadActivity reports whether the session may see what session a is
// doing (PostgreSQL's HAS_PGSTAT_PERMISSIONS): its current role has the
// privileges of a's role or of pg_read_all_stats. Others see only who a is.
func (s *session) mayReadActivity(a *peerpb.Session) bool {
	cat, _ := s.c.Catalog()
	if cat.HasPrivsOfRole(s.currentRole(), catalog.OID(a.UserOid)) {
		return true
	}
	r, ok := cat.Role(readAllStatsRole)
	return ok && cat.HasPrivsOfRole(s.currentRole(), r.OID)
}

// localSessions returns what the activity views show of this
// coordinator's sessions, ordered by process id.
func (c *Coordinator) localSessions() []*peerpb.Session {
	list := c.sessions.list()
	out := make([]*peerpb.Session, len(list))
	for i, s := range list {
		out[i] = s.activityInfo()
	}
	return out
}

// activityInfo is what the activity views show of the session.
func (s *session) activityInfo() *peerpb.Session {
	micros := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMicro()
	}
	info := &peerpb.Session{
		Pid: s.params.PID, Database: s.params.Database, UserOid: uint32(s.authUser), User: s.params.User,
		Coordinator: s.c.cfg.NodeID,
	}
	if ta, ok := s.params.RemoteAddr.(*net.TCPAddr); ok {
		info.ClientAddr, info.ClientPort = ta.IP.String(), int32(ta.Port)
	}
	a := &s.act
	a.mu.Lock()
	defer a.mu.Unlock()
	info.ApplicationName, info.State = a.app, a.state
	info.BackendStart, info.XactStart, info.QueryStart, info.StateChange = micros(a.backendStart), micros(a.xactStart), micros(a.queryStart), micros(a.stateChange)
	if !a.queryStart.IsZero() {
		q := a.query // a copy: the session rewrites its own
		info.Query = &q
	}
	for p, n := range a.running {
		info.Fragments += int32(n)
		info.Participants = append(info.Participants, p)
	}
	slices.Sort(info.Participants)
	return info
}

// sortSessions orders sessions by process id.
func sortSessions(ss []*peerpb.Session) {
	slices.SortFunc(ss, func(a, b *peerpb.Session) int { return cmp.Compare(a.Pid, b.Pid) })
}

// activityRow is a session's row of cirrus_stat_activity; unless visible,
// only the database, pid, role, application_name and coordinator are
// shown, and query is "<insufficient privilege>", as PostgreSQL does.
func activityRow(a *peerpb.Session, visible bool) []plan.Datum {
	text := func(v string) plan.Datum { return plan.Datum{S: v} }
	if !visible {
		null := plan.Datum{Null: true}
		return []plan.Datum{
			text(a.Database), {I: int64(a.Pid)}, text(a.User), text(a.ApplicationName),
			null, null, null, null, null, null,
			null, text("<insufficient privilege>"), null, text(a.Coordinator),
			null, null,
		}
	}
	ts := func(micros int64) plan.Datum {
		if micros == 0 {
			return plan.Datum{Null: true}
		}
		return plan.Datum{I: micros - pgEpoch.UnixMicro()}
	}
	addr, port := plan.Datum{Null: true}, plan.Datum{Null: true}
	if a.ClientAddr != "" {
		addr, port = text(a.ClientAddr), plan.Datum{I: int64(a.ClientPort)}
	}
	query := plan.Datum{Null: true}
	if a.Query != nil {
		query = text(*a.Query)
	}
	return []plan.Datum{
		text(a.Database), {I: int64(a.Pid)}, text(a.User), text(a.ApplicationName),
		addr, port, ts(a.BackendStart), ts(a.XactStart), ts(a.QueryStart), ts(a.StateChange),
		text(a.State), query, text("client backend"), text(a.Coordinator),
		{I: int64(a.Fragments)}, text(strings.Join(a.Participants, ",")),
	}
}

// signalBackend is pg_cancel_backend and pg_terminate_backend: it cancels
// the statement of, or terminates, session pid on whichever coordinator
// serves it, and reports whether there was one (with PostgreSQL's WARNING
// when not). Permissions are PostgreSQL's (signalLocal); their errors are
// 42501, with PostgreSQL 15's messages. A termination with a timeout (in
// milliseconds; negative: 22003, as in PostgreSQL) waits that long for the
// session to end, and is false with a WARNING if it did not.
func (s *session) signalBackend(ctx context.Context, pid int64, terminate bool, timeout int64, notice func(*sqlerr.Error) error) (bool, error) {
	if timeout < 0 {
		return false, sqlerr.New(sqlerr.NumericValueOutOfRange, `"timeout" must not be negative`)
	}
	res := peerpb.SignalResponse_NO_SUCH_PROCESS
	var detail string
	if pid > 0 && pid <= math.MaxInt32 {
		var err error
		req := &peerpb.SignalRequest{Pid: uint32(pid), Terminate: terminate, Role: uint32(s.currentRole()), WaitMs: timeout}
		if res, err = s.c.signal(ctx, req); err != nil {
			// The coordinator holding the pid's number did not answer.
			res, detail = peerpb.SignalResponse_NO_SUCH_PROCESS, err.Error()
		}
	}
	switch res {
	case peerpb.SignalResponse_SIGNALED:
		return true, nil
	case peerpb.SignalResponse_STILL_RUNNING:
		unit := "milliseconds"
		if timeout == 1 {
			unit = "millisecond"
		}
		notice(sqlerr.Errorf(sqlerr.Warning, "backend with PID %d did not terminate within %d %s", pid, timeout, unit))
		return false, nil
	case peerpb.SignalResponse_NOT_SUPERUSER:
		if terminate {
			return false, sqlerr.New(sqlerr.InsufficientPrivilege, "must be a superuser to terminate superuser process")
		}
		return false, sqlerr.New(sqlerr.InsufficientPrivilege, "must be a superuser to cancel superuser query")
	case peerpb.SignalResponse_NO_PERMISSION:
		if terminate {
			return false, sqlerr.New(sqlerr.InsufficientPrivilege, "must be a member of the role whose process is being terminated or member of pg_signal_backend")
		}
		return false, sqlerr.New(sqlerr.InsufficientPrivilege, "must be a member of the role whose query is being canceled or member of pg_signal_backend")
	}
	w := sqlerr.Errorf(sqlerr.Warning, "PID %s is not a PostgreSQL backend process", strconv.FormatInt(pid, 10))
	if detail != "" {
		w.Detail = detail
	}
	notice(w)
	return false, nil
}

// pgStatActivity is pg_stat_activity with PostgreSQL 15's columns, over the
// same sessions as cirrus_stat_activity. Columns Cirrus has no value for
// (leader_pid, client_hostname, xids, query_id, the wait event of a
// running statement) are NULL; usesysid is the role that logged in.
// client_addr is text, not inet; backend_xid and backend_xmin are int8,
// not xid. Sessions of roles whose privileges the reader lacks show only
// who they are (mayReadActivity).
var pgStatActivity = &systemRelation{
	SystemRelation: planner.SystemRelation{OID: pgcat.RelationOIDs["pg_stat_activity"], Name: "pg_stat_activity", Kind: planner.SystemView, Columns: []catalog.Column{
		{Name: "datid", Type: catalog.TypeOid},
		{Name: "datname", Type: catalog.TypeName},
		{Name: "pid", Type: catalog.TypeInt4},
		{Name: "leader_pid", Type: catalog.TypeInt4},
		{Name: "usesysid", Type: catalog.TypeOid},
		{Name: "usename", Type: catalog.TypeName},
		{Name: "application_name", Type: catalog.TypeText},
		{Name: "client_addr", Type: catalog.TypeText},
		{Name: "client_hostname", Type: catalog.TypeText},
		{Name: "client_port", Type: catalog.TypeInt4},
		{Name: "backend_start", Type: catalog.TypeTimestampTZ},
		{Name: "xact_start", Type: catalog.TypeTimestampTZ},
		{Name: "query_start", Type: catalog.TypeTimestampTZ},
		{Name: "state_change", Type: catalog.TypeTimestampTZ},
		{Name: "wait_event_type", Type: catalog.TypeText},
		{Name: "wait_event", Type: catalog.TypeText},
		{Name: "state", Type: catalog.TypeText},
		{Name: "backend_xid", Type: catalog.TypeInt8},
		{Name: "backend_xmin", Type: catalog.TypeInt8},
		{Name: "query_id", Type: catalog.TypeInt8},
		{Name: "query", Type: catalog.TypeText},
		{Name: "backend_type", Type: catalog.TypeText},
	}},
	rows: func(s *session, ctx context.Context) ([][]plan.Datum, error) {
		null := plan.Datum{Null: true}
		var rows [][]plan.Datum
		for _, o := range s.c.clusterSessions(ctx) {
			visible := s.mayReadActivity(o)
			a := activityRow(o, visible) // cirrus_stat_activity's columns, in order
			// A session that is not running a statement waits for its
			// client, as PostgreSQL shows it.
			waitType, wait := null, null
			if visible && o.State != stateActive {
				waitType, wait = plan.Datum{S: "Client"}, plan.Datum{S: "ClientRead"}
			}
			rows = append(rows, []plan.Datum{{I: int64(pgcat.DatabaseOID)}, a[0], a[1], null, {I: int64(o.UserOid)}, a[2], a[3], a[4], null, a[5],
				a[6], a[7], a[8], a[9], waitType, wait, a[10], null, null, null, a[11], a[12]})
		}
		return rows, nil
	},
}

// evalSessionFuncs readies the calls of planner.SessionFuncs in a plan
// (pg_cancel_backend, pg_terminate_backend) before it runs. A call whose
// arguments read no column (parameters and scalar subqueries may) is
// evaluated now and replaced by its result; one whose arguments depend on
// rows (pg_terminate_backend(pid) FROM pg_stat_activity WHERE …) is
// evaluated row by row as the plan runs on the coordinator (plan.Expr.Fn),
// and refused (0A000) in a fragment shipped to participants.
func (s *session) evalSessionFuncs(ctx context.Context, n plan.Node, w pgwire.ResultWriter) error {
	var err error
	remote := 0 // Remote fragments around the node visited
	var visitExpr func(e *plan.Expr)
	var visitNode func(n plan.Node)
	visitExpr = func(e *plan.Expr) {
		if e == nil || err != nil {
			return
		}
		if e.Sub != nil {
			visitNode(e.Sub)
		}
		for _, a := range e.Args {
			visitExpr(a)
		}
		if e.Kind != plan.Call || !planner.SessionFuncs[e.Op] || err != nil {
			return
		}
		terminate := e.Op == "pg_terminate_backend"
		// Both functions are strict: a NULL argument makes the result
		// NULL. args: the pid, pg_terminate_backend's timeout (default 0).
		signal := func(args []plan.Datum) (plan.Datum, error) {
			var timeout int64
			if len(args) == 2 {
				timeout = args[1].I
			}
			ok, err := s.signalBackend(ctx, args[0].I, terminate, timeout, w.Notice)
			return plan.Datum{B: ok}, err
		}
		if slices.ContainsFunc(e.Args, readsColumn) {
			if remote > 0 {
				err = sqlerr.Unsupported("%s with an argument that depends on rows of a table is not supported", e.Op)
			}
			e.Fn = signal
			return
		}
		args := make([]plan.Datum, len(e.Args))
		null := false
		for i, a := range e.Args {
			if args[i], err = s.constValue(ctx, a); err != nil {
				return
			}
			null = null || args[i].Null
		}
		res := plan.Datum{Null: true}
		if !null {
			if res, err = signal(args); err != nil {
				return
			}
		}
		*e = *plan.ConstOf(e.Type, res)
	}
	visitNode = func(n plan.Node) {
		plan.VisitExprs(n, visitExpr)
		r, isRemote := n.(*plan.Remote)
		if isRemote {
			remote++
			defer func() { remote-- }()
			for _, sh := range r.Shuffles {
				visitNode(sh.Input)
			}
		}
		for _, c := range plan.Children(n) {
			visitNode(c)
		}
	}
	visitNode(n)
	return err
}

// constValue evaluates an expression that reads no column of the plan's
// rows; it may hold scalar subqueries, which run as in any plan (a
// one-row VALUES here).
func (s *session) constValue(ctx context.Context, e *plan.Expr) (plan.Datum, error) {
	op, err := executor.Build(ctx, &plan.Values{ColTypes: []catalog.Type{e.Type}, Rows: [][]*plan.Expr{{e}}}, s.env())
	if err != nil {
		return plan.Datum{}, err
	}
	defer op.Close()
	b, err := op.Next(ctx)
	if err != nil {
		return plan.Datum{}, err
	}
	if b == nil || b.N != 1 {
		return plan.Datum{}, sqlerr.New(sqlerr.Internal, "coordinator: a one-row VALUES gave no row")
	}
	if v := b.Cols[0]; !v.IsNull(0) {
		return plan.Datum{I: v.I64[0]}, nil
	}
	return plan.Datum{Null: true}, nil
}

// readsColumn reports whether e reads a column of its plan's rows (a
// scalar subquery's plan is its own).
func readsColumn(e *plan.Expr) bool {
	if e.Kind == plan.ColumnRef {
		return true
	}
	return slices.ContainsFunc(e.Args, readsColumn)
}
