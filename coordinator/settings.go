package coordinator

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/vec"
)

// A session's settings (gucs.go declares them) live in session.vars by
// lower-case name, in canonical form; a setting not there has its default.
// As in PostgreSQL they are transactional: inside a transaction block,
// gucTxn keeps the values at BEGIN and the session-level changes made
// since, so ROLLBACK (and ROLLBACK TO a savepoint) undoes SET, and COMMIT
// keeps SET but drops SET LOCAL. The values the client gave at startup are
// what RESET returns to.

// gucTxn is the settings' state of an open transaction block.
type gucTxn struct {
	saved      map[string]string // vars at BEGIN
	ops        []gucOp           // session-level SET and RESET since BEGIN
	savepoints []gucSavepoint
	queried    bool // a query ran: the isolation level is fixed
}

// gucOp is a SET (or RESET, with reset) to replay at COMMIT.
type gucOp struct {
	name, value string
	reset       bool
}

type gucSavepoint struct {
	name string
	vars map[string]string
	ops  int
}

// errStatementTimeout is the cause of a statement cancelled by
// statement_timeout.
var errStatementTimeout = sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout")

// statementContext returns the context a statement runs under: ctx, with
// the session's statement_timeout when it is set. The timeout cancels the
// context rather than giving it a deadline: a deadline would travel to
// participants with every gRPC call, whose servers would then end their
// streams on their own clocks, sometimes before the coordinator's timer,
// and the statement would fail with the stream's error instead.
func (s *session) statementContext(ctx context.Context) (context.Context, func()) {
	d := s.timeoutSetting("statement_timeout")
	if d <= 0 {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(d, func() { cancel(errStatementTimeout) })
	return ctx, func() {
		t.Stop()
		cancel(nil)
	}
}

// timeoutSetting returns a time setting whose unit is milliseconds
// (statement_timeout, lock_timeout, …); 0 when disabled.
func (s *session) timeoutSetting(name string) time.Duration {
	v, _ := s.setting(name)
	d, err := parseMillis(v)
	if err != nil {
		return 0
	}
	return d
}

// setting is a setting's value as SHOW prints it, and whether it exists.
// Outside a transaction block the transaction_* settings show the
// session's defaults for new transactions.
func (s *session) setting(name string) (string, bool) {
	if v, ok := s.identitySetting(name); ok {
		return v, true
	}
	if v, ok := s.vars[name]; ok {
		return v, true
	}
	if strings.HasPrefix(name, "transaction_") {
		if g, ok := gucs["default_"+name]; ok {
			return s.setting(strings.ToLower(g.name))
		}
	}
	if g, ok := gucs[name]; ok {
		return g.boot, true
	}
	return "", false
}

// applyStartup sets the settings of the startup packet's options (-c
// name=value, --name=value) and then its parameters, as PostgreSQL does;
// the values become what RESET returns to. An unknown or invalid one
// refuses the connection.
func (s *session) applyStartup(opts map[string]string) error {
	set := func(name, value string) error {
		name = strings.ToLower(name)
		g, err := lookupGUC(name)
		if err != nil {
			return err
		}
		if g != nil {
			if g.fixed {
				return sqlerr.Errorf("55P02", "parameter %q cannot be changed", g.name)
			}
			if value, err = g.canonical(value); err != nil {
				return err
			}
		}
		s.vars[name] = value
		return nil
	}
	if o := opts["options"]; o != "" {
		args := splitOptions(o)
		for i := 0; i < len(args); i++ {
			a := args[i]
			var kv string
			switch {
			case a == "-c" && i+1 < len(args):
				i++
				kv = args[i]
			case strings.HasPrefix(a, "-c"):
				kv = a[2:]
			case strings.HasPrefix(a, "--"):
				kv = a[2:]
			default:
				return sqlerr.Errorf(sqlerr.ProtocolViolation, "invalid command-line argument for server process: %s", a)
			}
			name, value, ok := strings.Cut(kv, "=")
			if !ok {
				if strings.HasPrefix(a, "--") {
					return sqlerr.Errorf(sqlerr.SyntaxError, "--%s requires a value", kv)
				}
				return sqlerr.Errorf(sqlerr.SyntaxError, "-c %s requires a value", kv)
			}
			if err := set(strings.ReplaceAll(name, "-", "_"), value); err != nil {
				return err
			}
		}
	}
	// The packet's own parameters come after its options, and win.
	for k, v := range opts {
		switch k {
		case "user", "database", "options", "replication":
			continue
		}
		if err := set(k, v); err != nil {
			return err
		}
	}
	s.resetVals = maps.Clone(s.vars)
	return nil
}

// splitOptions splits the startup "options" string as PostgreSQL does:
// at unescaped white space; a backslash takes the next byte literally.
func splitOptions(o string) []string {
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(o); i++ {
		c := o[i]
		switch {
		case c == '\\' && i+1 < len(o):
			i++
			cur.WriteByte(o[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// set runs SET, SET LOCAL, RESET, RESET ALL, SET TRANSACTION and SET
// SESSION CHARACTERISTICS.
func (s *session) set(st *planner.Set, w pgwire.ResultWriter) (string, error) {
	tag := "SET"
	if st.Reset && !st.Default {
		tag = "RESET"
	}
	switch st.Name {
	case "transaction":
		if s.gucTxn == nil {
			w.Notice(sqlerr.New(sqlerr.NoActiveSQLTransaction, "SET TRANSACTION can only be used in transaction blocks").Warning())
			return tag, nil
		}
		for _, it := range st.Items {
			if err := s.setOne(it.Name, it.Value, true, false); err != nil {
				return "", err
			}
		}
		return tag, nil
	case "session characteristics":
		for _, it := range st.Items {
			if err := s.setOne("default_"+it.Name, it.Value, false, false); err != nil {
				return "", err
			}
		}
		return tag, nil
	case "all":
		s.resetAll()
		return tag, nil
	}
	if st.Local && s.gucTxn == nil {
		w.Notice(sqlerr.New(sqlerr.NoActiveSQLTransaction, "SET LOCAL can only be used in transaction blocks").Warning())
		if _, err := lookupGUC(st.Name); err != nil {
			return "", err
		}
		return tag, nil
	}
	return tag, s.setOne(st.Name, st.Value, st.Local, st.Reset)
}

// setOne sets (or resets) one setting, for the session or (local) for the
// transaction.
func (s *session) setOne(name, value string, local, reset bool) error {
	g, err := lookupGUC(name)
	if err != nil {
		return err
	}
	if g != nil && g.fixed {
		return sqlerr.Errorf("55P02", "parameter %q cannot be changed", g.name)
	}
	if strings.HasPrefix(name, "transaction_") {
		// The current transaction's modes: outside a block there is
		// nothing to change; inside, the level is fixed by its first query.
		if s.gucTxn == nil {
			if !reset && g != nil {
				if _, err := g.canonical(value); err != nil {
					return err
				}
			}
			return nil
		}
		if name == "transaction_isolation" && s.gucTxn.queried {
			return sqlerr.New(sqlerr.ActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
		}
		local = true
	}
	if !reset && g != nil {
		cur, _ := s.setting(name)
		if value, err = g.canonicalFrom(value, cur); err != nil {
			return err
		}
	}
	if reset {
		if v, ok := s.resetVals[name]; ok {
			s.vars[name] = v
		} else {
			delete(s.vars, name)
		}
	} else {
		s.vars[name] = value
	}
	if t := s.gucTxn; t != nil && !local {
		t.ops = append(t.ops, gucOp{name: name, value: value, reset: reset})
	}
	return nil
}

// resetAll is RESET ALL: every setting back to its startup value.
func (s *session) resetAll() {
	keep := map[string]string{}
	if s.gucTxn != nil {
		for k, v := range s.vars {
			if strings.HasPrefix(k, "transaction_") {
				keep[k] = v
			}
		}
		s.gucTxn.ops = append(s.gucTxn.ops, gucOp{name: "all", reset: true})
	}
	s.vars = maps.Clone(s.resetVals)
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	maps.Copy(s.vars, keep)
}

// gucBegin opens a transaction block's settings: its modes are BEGIN's or
// the session's defaults.
func (s *session) gucBegin(items []planner.SetItem) error {
	s.gucTxn = &gucTxn{saved: maps.Clone(s.vars)}
	for _, n := range []string{"transaction_isolation", "transaction_read_only", "transaction_deferrable"} {
		v, _ := s.setting("default_" + n)
		s.vars[n] = v
	}
	for _, it := range items {
		if err := s.setOne(it.Name, it.Value, true, false); err != nil {
			s.vars, s.gucTxn = s.gucTxn.saved, nil
			return err
		}
	}
	return nil
}

// gucEnd closes the block's settings: COMMIT keeps the session-level
// changes made in it, ROLLBACK none.
func (s *session) gucEnd(commit bool) {
	t := s.gucTxn
	if t == nil {
		return
	}
	s.gucTxn, s.vars = nil, t.saved
	if !commit {
		return
	}
	for _, op := range t.ops {
		switch {
		case op.name == "all":
			s.resetAll()
		case op.reset:
			if v, ok := s.resetVals[op.name]; ok {
				s.vars[op.name] = v
			} else {
				delete(s.vars, op.name)
			}
		default:
			s.vars[op.name] = op.value
		}
	}
}

// gucSavepoint, gucRelease and gucRollbackTo mirror savepoints.
func (s *session) gucSavepoint(name string) {
	if t := s.gucTxn; t != nil {
		t.savepoints = append(t.savepoints, gucSavepoint{name: name, vars: maps.Clone(s.vars), ops: len(t.ops)})
	}
}

func (s *session) gucRelease(name string) {
	if t := s.gucTxn; t != nil {
		if i := t.savepoint(name); i >= 0 {
			t.savepoints = t.savepoints[:i]
		}
	}
}

func (s *session) gucRollbackTo(name string) {
	if t := s.gucTxn; t != nil {
		if i := t.savepoint(name); i >= 0 {
			sp := t.savepoints[i]
			s.vars, t.ops = maps.Clone(sp.vars), t.ops[:sp.ops]
			t.savepoints = t.savepoints[:i+1]
		}
	}
}

func (t *gucTxn) savepoint(name string) int {
	for i := len(t.savepoints) - 1; i >= 0; i-- {
		if t.savepoints[i].name == name {
			return i
		}
	}
	return -1
}

// show runs SHOW name and SHOW ALL.
func (s *session) show(st *planner.Show, w pgwire.ResultWriter) (string, error) {
	if st.Name == "all" {
		b := vec.NewBatch([]catalog.Type{catalog.TypeText, catalog.TypeText, catalog.TypeText}, len(sortedGUCs))
		for _, g := range sortedGUCs {
			v, _ := s.setting(strings.ToLower(g.name))
			b.Cols[0].AppendBytes([]byte(g.name))
			b.Cols[1].AppendBytes([]byte(v))
			b.Cols[2].AppendBytes([]byte(g.desc))
			b.N++
		}
		return "SHOW", w.WriteBatch(b)
	}
	if _, err := lookupGUC(st.Name); err != nil {
		return "", err
	}
	val, ok := s.setting(st.Name)
	if !ok {
		return "", sqlerr.Errorf(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", st.Name)
	}
	b := vec.NewBatch([]catalog.Type{catalog.TypeText}, 1)
	b.Cols[0].AppendBytes([]byte(val))
	b.N = 1
	return "SHOW", w.WriteBatch(b)
}

// showColumn is the name of SHOW's result column: the setting's name as
// PostgreSQL spells it.
func showColumn(name string) string {
	switch name {
	case "transaction isolation level":
		return "transaction_isolation"
	}
	if g, ok := gucs[name]; ok {
		return g.name
	}
	return name
}

// showAllColumns are SHOW ALL's result columns.
var showAllColumns = []string{"name", "setting", "description"}

// ChangedParameters implements pgwire.ParameterReporter: the reported
// settings (GUC_REPORT) whose values changed since last sent.
func (s *session) ChangedParameters() [][2]string {
	var out [][2]string
	for _, g := range gucList {
		if !g.report {
			continue
		}
		v, _ := s.setting(strings.ToLower(g.name))
		if old, ok := s.reported[g.name]; !ok || old != v {
			s.reported[g.name] = v
			out = append(out, [2]string{g.name, v})
		}
	}
	return out
}

// noticeLevel ranks notice severities for client_min_messages.
var noticeLevel = map[string]int{"DEBUG": 0, "LOG": 5, "INFO": 6, "NOTICE": 6, "WARNING": 7}

// minMessages wraps w so that notices below the session's
// client_min_messages are not sent (w itself when nothing is filtered).
func (s *session) minMessages(w pgwire.ResultWriter) pgwire.ResultWriter {
	v, _ := s.setting("client_min_messages")
	min := 6 // notice
	for i, l := range messageLevels {
		if l == v {
			min = i
		}
	}
	if min <= 6 {
		return w
	}
	return &filteredNotices{ResultWriter: w, min: min}
}

type filteredNotices struct {
	pgwire.ResultWriter
	min int
}

func (f *filteredNotices) Notice(e *sqlerr.Error) error {
	if noticeLevel[e.NoticeSeverity()] < f.min {
		return nil
	}
	return f.ResultWriter.Notice(e)
}

// refuseIfReadOnly is PostgreSQL's PreventCommandIfReadOnly: in a
// read-only transaction (transaction_read_only, which outside a block is
// default_transaction_read_only) a statement that writes fails with 25006.
func (s *session) refuseIfReadOnly(st planner.Statement) error {
	if ro, _ := s.setting("transaction_read_only"); ro != "on" {
		return nil
	}
	cmd := ""
	switch st := st.(type) {
	case *planner.Insert:
		cmd = "INSERT"
	case *planner.Update:
		cmd = "UPDATE"
	case *planner.Delete:
		cmd = "DELETE"
	case *planner.CopyFrom:
		cmd = "COPY FROM"
	case *planner.CreateTable:
		cmd = "CREATE TABLE"
		if st.ViewQuery != "" {
			cmd = "CREATE VIEW"
		}
	case *planner.DropTable:
		cmd = "DROP TABLE"
		if st.View {
			cmd = "DROP VIEW"
		}
	case *planner.CreateSchema:
		cmd = "CREATE SCHEMA"
	case *planner.DropSchema:
		cmd = "DROP SCHEMA"
	case *planner.AlterTable:
		cmd = st.Tag
	case *planner.CreateRole:
		cmd = "CREATE ROLE"
	case *planner.AlterRole:
		cmd = st.Tag
	case *planner.DropRole:
		cmd = "DROP ROLE"
	case *planner.ChangeObjects:
		cmd = st.Tag
	}
	if cmd == "" {
		return nil
	}
	return sqlerr.Errorf(sqlerr.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", cmd)
}

// IdleTimeout implements pgwire.IdleTimeouter: inside a transaction block
// idle_in_transaction_session_timeout (25P03), outside idle_session_timeout
// (57P05), as PostgreSQL ends such sessions.
func (s *session) IdleTimeout() (time.Duration, *sqlerr.Error) {
	if s.TxStatus() != 'I' {
		return s.timeoutSetting("idle_in_transaction_session_timeout"), errIdleInTxn
	}
	return s.timeoutSetting("idle_session_timeout"), errIdleSession
}

var (
	errIdleInTxn   = sqlerr.New("25P03", "terminating connection due to idle-in-transaction timeout")
	errIdleSession = sqlerr.New("57P05", "terminating connection due to idle-session timeout")
)
