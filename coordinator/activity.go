package coordinator

import (
	"context"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
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
	stateChange  time.Time
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

// begin marks the start of a statement; inBlock tells whether it runs in
// a transaction block.
func (a *activity) begin(query string, inBlock bool, now time.Time) {
	a.mu.Lock()
	a.inBlock = inBlock
	a.state, a.query, a.queryStart, a.stateChange = stateActive, query, now, now
	if a.xactStart.IsZero() {
		a.xactStart = now
	}
	a.mu.Unlock()
}

// end marks the end of a statement; txStatus is the session's
// ReadyForQuery status after it, app its application_name.
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
		a.state, a.xactStart = stateIdle, time.Time{}
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
	if limit >= 0 {
		n := int32(0)
		for _, o := range t.m {
			if o.authUser == s.authUser {
				n++
			}
		}
		if n >= limit {
			return false
		}
	}
	if t.m == nil {
		t.m = map[uint32]*session{}
	}
	t.m[s.params.PID] = s
	return true
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
	{Name: "backend_start", Type: catalog.TypeTimestamp},
	{Name: "xact_start", Type: catalog.TypeTimestamp},
	{Name: "query_start", Type: catalog.TypeTimestamp},
	{Name: "state_change", Type: catalog.TypeTimestamp},
	{Name: "state", Type: catalog.TypeText},
	{Name: "query", Type: catalog.TypeText},
	{Name: "backend_type", Type: catalog.TypeText},
	{Name: "coordinator", Type: catalog.TypeText},
	{Name: "fragments", Type: catalog.TypeInt4},
	{Name: "participants", Type: catalog.TypeText},
}

// statActivity is cirrus_stat_activity: one row per session of this
// coordinator (each coordinator shows its own sessions; docs/ARCHITECTURE.md).
var statActivity = &systemRelation{
	SystemRelation: planner.SystemRelation{OID: cirrusStatActivityOID, Name: "cirrus_stat_activity", Kind: planner.SystemView, Columns: activityColumns},
	rows: func(s *session, ctx context.Context) ([][]plan.Datum, error) {
		var rows [][]plan.Datum
		for _, o := range s.c.sessions.list() {
			rows = append(rows, o.activityRow())
		}
		return rows, nil
	},
}

// activityRow is the session's row of cirrus_stat_activity.
func (s *session) activityRow() []plan.Datum {
	text := func(v string) plan.Datum { return plan.Datum{S: v} }
	ts := func(t time.Time) plan.Datum {
		if t.IsZero() {
			return plan.Datum{Null: true}
		}
		return plan.Datum{I: timestampMicros(t)}
	}
	addr, port := plan.Datum{Null: true}, plan.Datum{Null: true}
	if ta, ok := s.params.RemoteAddr.(*net.TCPAddr); ok {
		addr, port = text(ta.IP.String()), plan.Datum{I: int64(ta.Port)}
	}
	a := &s.act
	a.mu.Lock()
	defer a.mu.Unlock()
	fragments := 0
	parts := make([]string, 0, len(a.running))
	for p, n := range a.running {
		fragments += n
		parts = append(parts, p)
	}
	slices.Sort(parts)
	query := plan.Datum{Null: true}
	if !a.queryStart.IsZero() {
		query = text(a.query)
	}
	return []plan.Datum{
		text(s.params.Database), {I: int64(s.params.PID)}, text(s.params.User), text(a.app),
		addr, port, ts(a.backendStart), ts(a.xactStart), ts(a.queryStart), ts(a.stateChange),
		text(a.state), query, text("client backend"), text(s.c.cfg.NodeID),
		{I: int64(fragments)}, text(strings.Join(parts, ",")),
	}
}

// timestampMicros is t as a timestamp datum: microseconds since
// 2000-01-01 00:00:00 UTC.
func timestampMicros(t time.Time) int64 {
	return t.UnixMicro() - time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
}

// signalBackend is pg_cancel_backend and pg_terminate_backend: it cancels
// the statement of, or terminates, the session pid of this coordinator,
// and reports whether there was one (with PostgreSQL's WARNING when not).
func (s *session) signalBackend(pid int64, terminate bool, notice func(*sqlerr.Error) error) bool {
	var o *session
	if pid > 0 && pid <= 1<<32-1 {
		o = s.c.sessions.get(uint32(pid))
	}
	if o == nil || o.params.Control == nil {
		notice(sqlerr.Errorf(sqlerr.Warning, "PID %s is not a PostgreSQL backend process", strconv.FormatInt(pid, 10)))
		return false
	}
	if terminate {
		o.params.Control.Terminate()
	} else {
		o.params.Control.CancelStatement()
	}
	return true
}

// pgStatActivity is pg_stat_activity with PostgreSQL 15's columns, over the
// same sessions as cirrus_stat_activity. Columns Cirrus has no value for
// (leader_pid, client_hostname, wait events, xids, query_id) are NULL;
// usesysid is the role that logged in. client_addr is text, not inet;
// backend_xid and backend_xmin are int8, not xid.
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
		{Name: "backend_start", Type: catalog.TypeTimestamp},
		{Name: "xact_start", Type: catalog.TypeTimestamp},
		{Name: "query_start", Type: catalog.TypeTimestamp},
		{Name: "state_change", Type: catalog.TypeTimestamp},
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
		for _, o := range s.c.sessions.list() {
			a := o.activityRow() // cirrus_stat_activity's columns, in order
			rows = append(rows, []plan.Datum{{I: int64(pgcat.DatabaseOID)}, a[0], a[1], null, {I: int64(o.authUser)}, a[2], a[3], a[4], null, a[5],
				a[6], a[7], a[8], a[9], null, null, a[10], null, null, null, a[11], a[12]})
		}
		return rows, nil
	},
}

// evalSessionFuncs evaluates the calls of planner.SessionFuncs in a plan
// (pg_cancel_backend, pg_terminate_backend) and puts their results in
// their place, before the plan runs. Their arguments must not read
// columns (they may be parameters): 0A000 otherwise.
func (s *session) evalSessionFuncs(n plan.Node, w pgwire.ResultWriter) error {
	var err error
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
		var pid plan.Datum
		if pid, err = constValue(e.Args[0]); err != nil {
			return
		}
		res := plan.Datum{Null: true}
		if !pid.Null {
			res = plan.Datum{B: s.signalBackend(pid.I, e.Op == "pg_terminate_backend", w.Notice)}
		}
		*e = *plan.ConstOf(e.Type, res)
	}
	visitNode = func(n plan.Node) {
		plan.VisitExprs(n, visitExpr)
		if r, ok := n.(*plan.Remote); ok {
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

// constValue evaluates an expression that reads no column.
func constValue(e *plan.Expr) (plan.Datum, error) {
	ev, err := executor.Compile(e)
	if err != nil {
		return plan.Datum{}, err
	}
	if reads(e) {
		return plan.Datum{}, sqlerr.Unsupported("%s with an argument that depends on rows is not supported", "pg_cancel_backend and pg_terminate_backend")
	}
	v, err := ev.Eval(&vec.Batch{N: 1})
	if err != nil {
		return plan.Datum{}, err
	}
	if v.IsNull(0) {
		return plan.Datum{Null: true}, nil
	}
	return plan.Datum{I: v.I64[0]}, nil
}

// reads reports whether e reads an input column or a subquery.
func reads(e *plan.Expr) bool {
	if e.Kind == plan.ColumnRef || e.Sub != nil {
		return true
	}
	for _, a := range e.Args {
		if reads(a) {
			return true
		}
	}
	return false
}
