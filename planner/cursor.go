package planner

import (
	"math"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// DeclareCursor is DECLARE name [NO] SCROLL CURSOR [WITH HOLD] FOR query:
// a named portal whose rows FETCH and MOVE read.
type DeclareCursor struct {
	Name  string
	Query *Query
	// Hold keeps the cursor after its transaction commits (its rows are
	// materialized then).
	Hold bool
	// Scroll says the cursor may move backward: declared SCROLL, or
	// neither SCROLL nor NO SCROLL over a plan PostgreSQL could run
	// backward (see Scrollable).
	Scroll bool
}

// FetchDirection is a FETCH's direction, PostgreSQL's FetchDirection:
// NEXT and FORWARD are Forward, PRIOR and BACKWARD Backward, FIRST and
// LAST Absolute 1 and -1.
type FetchDirection uint8

// Fetch directions.
const (
	FetchForward FetchDirection = iota
	FetchBackward
	FetchAbsolute
	FetchRelative
)

// FetchAll is the Count of FETCH ALL, FORWARD ALL and BACKWARD ALL.
const FetchAll = math.MaxInt64

// Fetch is FETCH (or, with Move, MOVE): Count rows (FetchAll: all) in
// Direction, or the row at position Count (Absolute) or Count rows away
// (Relative); a negative Count reverses Forward and Backward.
type Fetch struct {
	Name      string
	Direction FetchDirection
	Count     int64
	Move      bool
}

// CloseCursor is CLOSE name, or CLOSE ALL when Name is empty.
type CloseCursor struct{ Name string }

func (*DeclareCursor) stmt() {}
func (*Fetch) stmt()         {}
func (*CloseCursor) stmt()   {}

// Cursor options (PostgreSQL's CURSOR_OPT_* bits).
const (
	cursorBinary   = 0x0001
	cursorScroll   = 0x0002
	cursorNoScroll = 0x0004
	cursorHold     = 0x0020
)

func (b *binder) declareCursor(dc *pg_query.DeclareCursorStmt) Statement {
	if dc.Options&cursorBinary != 0 {
		failf(sqlerr.FeatureNotSupported, "binary cursors are not supported yet")
	}
	if dc.Options&cursorScroll != 0 && dc.Options&cursorNoScroll != 0 {
		failf("42P11", "cannot specify both SCROLL and NO SCROLL")
	}
	q, ok := b.statement(dc.Query).(*Query)
	if !ok {
		failf(sqlerr.FeatureNotSupported, "DECLARE CURSOR is only supported for SELECT")
	}
	scroll := dc.Options&cursorScroll != 0 || dc.Options&cursorNoScroll == 0 && Scrollable(q.Plan)
	return &DeclareCursor{Name: dc.Portalname, Query: q, Hold: dc.Options&cursorHold != 0, Scroll: scroll}
}

// Scrollable reports whether PostgreSQL would run a plan of this shape
// backward, which makes a cursor declared without SCROLL or NO SCROLL
// scrollable (its ExecSupportsBackwardScan): scans of tables, VALUES and
// functions, sorts, and appends of such, under filters, projections and
// limits. Aggregates, joins and DISTINCT are not, nor a query without
// FROM (a Result node in PostgreSQL).
func Scrollable(n plan.Node) bool {
	switch n := n.(type) {
	case *plan.Project:
		return Scrollable(n.Input)
	case *plan.Filter:
		return Scrollable(n.Input)
	case *plan.Limit:
		return Scrollable(n.Input)
	case *plan.Remote:
		return len(n.Shuffles) == 0 && Scrollable(n.Fragment)
	case *plan.Append:
		for _, in := range n.Inputs {
			if !Scrollable(in) {
				return false
			}
		}
		return true
	case *plan.Values:
		return len(n.ColTypes) > 0
	case *plan.Sort, *plan.Scan, *plan.SystemScan:
		return true
	case *plan.ProjectSet:
		return n.Scan
	}
	return false
}

func (b *binder) fetch(fs *pg_query.FetchStmt) Statement {
	f := &Fetch{Name: fs.Portalname, Move: fs.Ismove, Count: fs.HowMany}
	switch fs.Direction {
	case pg_query.FetchDirection_FETCH_BACKWARD:
		f.Direction = FetchBackward
	case pg_query.FetchDirection_FETCH_ABSOLUTE:
		f.Direction = FetchAbsolute
	case pg_query.FetchDirection_FETCH_RELATIVE:
		f.Direction = FetchRelative
	}
	return f
}
