package coordinator

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// systemRelation is a relation of pg_catalog whose rows the coordinator
// computes when a statement reads it (planner/system.go). Adding one is a
// declaration in systemRelations and its row function.
type systemRelation struct {
	planner.SystemRelation
	// rows computes the relation's rows for a statement of session s: one
	// datum per declared column, in the declared types (see
	// executor.NewRows). An error fails the statement.
	rows func(s *session, ctx context.Context) ([][]plan.Datum, error)
	// snapshotRows, set instead of rows by relations derived from the
	// catalog (pgcatalog.go, infoschema.go), computes the rows of a
	// catalog snapshot. With sessionKey they are cached (catalogRows):
	// sessionKey returns the session state the rows depend on besides
	// the snapshot.
	snapshotRows func(cs *catalogState) [][]plan.Datum
	sessionKey   func(s *session) string
}

// systemRelations are the coordinator's system relations by name (views.go).
// (Set in init: the catalog relations' rows list the system relations.)
var systemRelations map[string]*systemRelation

func init() {
	rels := append([]*systemRelation{statCatalog, statStorage, statActivity, pgStatActivity}, catalogRelations...)
	systemRelations = byName(append(rels, informationSchemaRelations...)...)
}

func byName(rels ...*systemRelation) map[string]*systemRelation {
	m := make(map[string]*systemRelation, len(rels))
	for _, r := range rels {
		m[r.Key()] = r
	}
	return m
}

// systemLookup declares the system relations to the planner
// (planner.Context.System).
func systemLookup(name string) *planner.SystemRelation {
	if r, ok := systemRelations[name]; ok {
		return &r.SystemRelation
	}
	return nil
}

// openSystem computes a system relation's rows when the plan reading it is
// built (executor.Env.OpenSystem).
func (s *session) openSystem(ctx context.Context, scan *plan.SystemScan) (executor.Operator, error) {
	r, ok := systemRelations[scan.Relation]
	if !ok {
		return nil, sqlerr.Errorf(sqlerr.Internal, "no system relation %q", scan.Relation)
	}
	var rows [][]plan.Datum
	if r.snapshotRows != nil {
		rows = s.catalogRows(r)
	} else {
		var err error
		if rows, err = r.rows(s, ctx); err != nil {
			return nil, err
		}
	}
	for _, row := range rows {
		if len(row) != len(r.Columns) {
			return nil, sqlerr.Errorf(sqlerr.Internal, "system relation %s: a row of %d values for %d columns", r.Name, len(row), len(r.Columns))
		}
	}
	return executor.NewRows(scan.ColTypes, rows), nil
}

// catalogRows returns the rows of a relation derived from the catalog as
// session s sees it: from the coordinator's cache when the session reads
// the shared snapshot, computed (and cached) otherwise. A transaction with
// catalog changes of its own reads them computed from its private catalog.
func (s *session) catalogRows(r *systemRelation) [][]plan.Datum {
	if s.txn != nil && s.txn.cat != nil || r.sessionKey == nil {
		cat, _ := s.view()
		return r.snapshotRows(&catalogState{s: s, cat: cat})
	}
	cat, seq := s.c.Catalog()
	return s.c.catalogRows.get(seq, r.Key()+"\x00"+r.sessionKey(s), func() [][]plan.Datum {
		return r.snapshotRows(&catalogState{s: s, cat: cat})
	})
}

// catalogRowsCache keeps the rows of catalog relations computed for the
// newest catalog snapshot the coordinator has applied, so that statements
// after the first one reading a relation share them (psql's \d runs nine
// queries over pg_class, pg_attribute, pg_index, …). Snapshots are
// immutable and numbered by the invalidation sequence number: rows are
// kept per (relation, the session state they depend on) for one sequence
// number, and all dropped when a newer snapshot is asked for, so DDL
// committed on any coordinator (which every coordinator applies before the
// commit returns) shows in the next statement. Cached rows are shared and
// never modified.
type catalogRowsCache struct {
	mu   sync.Mutex
	seq  int64
	rows map[string][][]plan.Datum
	// hits and misses count lookups (metrics).
	hits, misses atomic.Int64
}

// get returns the rows cached under key for snapshot seq, computing and
// keeping them when missing. Rows of an older snapshot than the newest
// asked for are computed and not kept.
func (c *catalogRowsCache) get(seq int64, key string, compute func() [][]plan.Datum) [][]plan.Datum {
	c.mu.Lock()
	if seq > c.seq || c.rows == nil {
		c.seq, c.rows = seq, map[string][][]plan.Datum{}
	}
	rows, ok := c.rows[key]
	ok = ok && seq == c.seq
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return rows
	}
	c.misses.Add(1)
	rows = compute()
	c.mu.Lock()
	if seq == c.seq {
		c.rows[key] = rows
	}
	c.mu.Unlock()
	return rows
}

// env is the executor's environment for the session's plans: Remote nodes
// run on participants, system relations here.
func (s *session) env() *executor.Env {
	return &executor.Env{OpenRemote: s.openRemote, OpenSystem: s.openSystem}
}

// columns declares columns of one type.
func columns(t catalog.Type, names ...string) []catalog.Column {
	cols := make([]catalog.Column, len(names))
	for i, n := range names {
		cols[i] = catalog.Column{Name: n, Type: t}
	}
	return cols
}

// statsTimeout bounds how long a system view waits for a participant's
// answer: one that does not answer in time gets a row of NULL counters
// rather than holding up (or failing) the query.
const statsTimeout = 2 * time.Second

// askAll calls ask on every node at once and waits for all of them, at
// most timeout; errs[i] is set for a node that failed or did not answer in
// time.
func askAll[C, T any](ctx context.Context, nodes []C, timeout time.Duration, ask func(C, context.Context) (T, error)) (res []T, errs []error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, errs = make([]T, len(nodes)), make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = ask(n, ctx)
		}()
	}
	wg.Wait()
	return res, errs
}
