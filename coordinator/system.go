package coordinator

import (
	"context"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// systemRelation is a relation of pg_catalog whose rows the coordinator
// computes each time a statement reads it (planner/system.go). Adding one
// is a declaration in systemRelations and its row function.
type systemRelation struct {
	planner.SystemRelation
	// rows computes the relation's rows for a statement of session s: one
	// datum per declared column, in the declared types (see
	// executor.NewRows). An error fails the statement.
	rows func(s *session, ctx context.Context) ([][]plan.Datum, error)
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
	rows, err := r.rows(s, ctx)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if len(row) != len(r.Columns) {
			return nil, sqlerr.Errorf(sqlerr.Internal, "system relation %s: a row of %d values for %d columns", r.Name, len(row), len(r.Columns))
		}
	}
	return executor.NewRows(scan.ColTypes, rows), nil
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
