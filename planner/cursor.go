package planner

import (
	"math"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// DeclareCursor is DECLARE name CURSOR [WITH HOLD] FOR query: a named
// portal whose rows FETCH reads.
type DeclareCursor struct {
	Name  string
	Query *Query
	// Hold keeps the cursor after its transaction commits (its remaining
	// rows are materialized then).
	Hold bool
}

// Fetch is FETCH (or, with Move, MOVE): up to Count rows forward from the
// cursor, or all that are left. Cursors only move forward: Unsupported
// says why a FETCH cannot run (it fails when executed, after the cursor
// has been found, as in PostgreSQL).
type Fetch struct {
	Name        string
	Count       int64
	All         bool
	Move        bool
	Unsupported *sqlerr.Error
}

// CloseCursor is CLOSE name, or CLOSE ALL when Name is empty.
type CloseCursor struct{ Name string }

func (*DeclareCursor) stmt() {}
func (*Fetch) stmt()         {}
func (*CloseCursor) stmt()   {}

// Cursor options (PostgreSQL's CURSOR_OPT_* bits).
const (
	cursorBinary = 0x0001
	cursorScroll = 0x0002
	cursorHold   = 0x0020
)

func (b *binder) declareCursor(dc *pg_query.DeclareCursorStmt) Statement {
	if dc.Options&cursorBinary != 0 {
		failf(sqlerr.FeatureNotSupported, "binary cursors are not supported yet")
	}
	q, ok := b.statement(dc.Query).(*Query)
	if !ok {
		failf(sqlerr.FeatureNotSupported, "DECLARE CURSOR is only supported for SELECT")
	}
	return &DeclareCursor{Name: dc.Portalname, Query: q, Hold: dc.Options&cursorHold != 0}
}

func (b *binder) fetch(fs *pg_query.FetchStmt) Statement {
	f := &Fetch{Name: fs.Portalname, Move: fs.Ismove}
	switch {
	case fs.Direction == pg_query.FetchDirection_FETCH_FORWARD && fs.HowMany == math.MaxInt64:
		f.All = true
	case fs.Direction == pg_query.FetchDirection_FETCH_FORWARD && fs.HowMany > 0:
		f.Count = fs.HowMany
	case fs.HowMany == 0 && fs.Direction != pg_query.FetchDirection_FETCH_ABSOLUTE:
		f.Unsupported = sqlerr.New(sqlerr.FeatureNotSupported, "FETCH of the current row is not supported yet")
	default:
		// Backward, absolute and relative moves need a scrollable cursor.
		f.Unsupported = sqlerr.New(codeObjectNotInPrerequisiteState, "cursor can only scan forward").
			WithHint("Declare it with SCROLL option to enable backward scan.")
	}
	return f
}

// codeObjectNotInPrerequisiteState is SQLSTATE 55000.
const codeObjectNotInPrerequisiteState = "55000"
