package coordinator

import (
	"context"
	"time"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// portalRows is a query run by a protocol portal with a row limit
// (pgwire.Rows): its operators are built at the first Execute and each
// Execute pulls the rows it asks for, so the participants' streams stay
// open between Executes, paused by flow control, and the coordinator holds
// one batch instead of the whole result. It belongs to the transaction
// (the explicit one, or the implicit one up to Sync): the end of the
// transaction, an error that aborts it, or the portal's Close closes it.
type portalRows struct {
	s     *session
	st    *statement
	rows  cursorRows // as a NO SCROLL cursor's
	start time.Time  // of the first Execute (the statement's latency)
	total int64
	// counted is set once the statement is counted as finished.
	counted bool
}

var _ pgwire.Suspender = (*statement)(nil)

// Start implements pgwire.Suspender: a query is bound and its operators
// built for a portal; any other statement runs whole (nil Rows).
func (st *statement) Start(ctx context.Context, params []plan.Datum, w pgwire.ResultWriter) (_ pgwire.Rows, err error) {
	if _, ok := st.bound.(*planner.Query); !ok || st.empty {
		return nil, nil
	}
	s := st.s
	defer s.recoverInternal(&err)
	if s.failed {
		return nil, errAborted()
	}
	p := &portalRows{s: s, st: st, start: time.Now()}
	s.act.begin(st.sql, s.explicit)
	s.c.metrics.started.Inc()
	ctx, stop := s.statementContext(ctx)
	defer func() {
		stop()
		s.act.end(s.TxStatus(), s.appName(), time.Now())
	}()
	if err := p.open(ctx, params, s.minMessages(w)); err != nil {
		err = statementErr(ctx, err)
		s.c.metrics.finish(p.start, 0, err, ctx)
		return nil, s.fail(err)
	}
	return p, nil
}

// open binds the query and builds its operators in the session's
// transaction (begun here when none is open, as for any statement).
func (p *portalRows) open(ctx context.Context, params []plan.Datum, w pgwire.ResultWriter) error {
	s := p.s
	bound, err := p.st.bind(params)
	if err != nil {
		return err
	}
	q := bound.(*planner.Query)
	if s.txn == nil {
		s.txn = newTxn()
	}
	if s.gucTxn != nil {
		s.gucTxn.queried = true
	}
	if err := s.evalSessionFuncs(ctx, q.Plan, w); err != nil {
		return err
	}
	// The operators (and the participants' streams) live as long as the
	// portal; a cancel while they are built stops the build.
	opCtx, cancel := context.WithCancel(context.Background())
	stopWatch := context.AfterFunc(ctx, cancel)
	op, err := executor.Build(opCtx, q.Plan, s.env())
	stopWatch()
	if err == nil && ctx.Err() != nil {
		op.Close()
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		return err
	}
	p.rows = cursorRows{op: op, stop: cancel, first: 1}
	if s.portals == nil {
		s.portals = map[*portalRows]bool{}
	}
	s.portals[p] = true
	return nil
}

// Fetch implements pgwire.Rows: up to max rows (all when max <= 0) go to
// w. Like PostgreSQL, a portal that sent max rows is not complete even if
// no row is left: the next Execute completes it with none.
func (p *portalRows) Fetch(ctx context.Context, max int64, w pgwire.ResultWriter) (n int64, complete bool, err error) {
	s := p.s
	defer s.recoverInternal(&err)
	if s.failed {
		return 0, false, errAborted()
	}
	if !s.portals[p] {
		// Closed by an error in its transaction that ROLLBACK TO SAVEPOINT
		// then undid (the end of the transaction drops the portal).
		return 0, false, sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "portal cannot be run: an error closed it")
	}
	s.act.begin(p.st.sql, s.explicit)
	s.rows = 0
	ctx, stop := s.statementContext(ctx)
	defer func() {
		stop()
		s.act.end(s.TxStatus(), s.appName(), time.Now())
	}()
	count := max
	if max <= 0 {
		count = planner.FetchAll
	}
	n, err = p.rows.forward(ctx, count, func(b *vec.Batch) error {
		s.rows += int64(b.N)
		return w.WriteBatch(b)
	})
	p.total += n
	if err != nil {
		err = statementErr(ctx, err)
		p.finish(err, ctx)
		return n, false, s.fail(err)
	}
	if n == count && max > 0 {
		return n, false, nil
	}
	p.finish(nil, ctx)
	return n, true, nil
}

// finish closes the portal and counts its statement as finished (ok when
// err is nil), once.
func (p *portalRows) finish(err error, ctx context.Context) {
	p.rows.close()
	delete(p.s.portals, p)
	if !p.counted {
		p.counted = true
		p.s.c.metrics.finish(p.start, p.total, err, ctx)
	}
}

// Close implements pgwire.Rows: the operators and the participants'
// streams end; a statement closed before its last row counts as
// finished. It may be called more than once.
func (p *portalRows) Close() { p.finish(nil, context.Background()) }

// closePortals closes the session's paused portals (the end of their
// transaction).
func (s *session) closePortals() {
	for p := range s.portals {
		p.Close()
	}
}
