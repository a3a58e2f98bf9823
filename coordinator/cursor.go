package coordinator

import (
	"context"
	"fmt"
	"sort"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/vec"
)

// cursor is a DECLAREd cursor, PostgreSQL's portal: its query's rows
// (cursorRows, read from the operators as FETCH asks) and its position as
// PostgreSQL keeps it (PortalData's portalPos, atStart, atEnd), moved by
// FETCH and MOVE exactly as pquery.c's DoPortalRunFetch and
// PortalRunSelect move it.
//
// A WITH HOLD cursor outlives its transaction: at commit its rows are read
// into memory, as PostgreSQL materializes them (all of them for a
// scrollable cursor, the ones not yet fetched otherwise), and the
// operators are closed.
type cursor struct {
	name   string
	cols   []pgwire.Column
	rows   cursorRows
	scroll bool
	hold   bool
	// txnLocal is set while the transaction that declared it is open: a
	// rollback closes it even WITH HOLD.
	txnLocal bool
	// failed is set when a FETCH or MOVE failed: a cursor that survives
	// the error (WITH HOLD, outside a transaction block) cannot run again.
	failed bool
	// pos is the row the cursor is on (1-based; 0 before the first row);
	// atStart and atEnd say it is before the first or after the last row.
	pos            int64
	atStart, atEnd bool
}

// cursorRows are a cursor's rows with the position of the executor under
// it: at is 0 before the first row, k on row k (the last one returned)
// and n+1 past the last once the query has ended. Reading forward from
// at returns row at+1; reading backward returns row at-1, or the last row
// when past the end, as PostgreSQL's tuplestore and sort do.
//
// A scrollable cursor keeps every row read (keep), so it can go back; a
// forward-only one keeps only the batch holding its next rows, straight
// from the operators (valid until their next call), so a cursor over a
// large result holds one batch at a time.
type cursorRows struct {
	op   executor.Operator // nil once the query has ended or was materialized
	stop context.CancelFunc
	keep bool
	// batches hold rows first.. in order; ends[i] is the number of the
	// last row of batches[i].
	batches []*vec.Batch
	ends    []int64
	first   int64
	n       int64 // rows read so far
	ended   bool  // n is the number of rows
	at      int64
}

// errNoScroll is PostgreSQL's error for moving a NO SCROLL cursor back.
func errNoScroll() error {
	return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "cursor can only scan forward").
		WithHint("Declare it with SCROLL option to enable backward scan.")
}

// declare runs DECLARE CURSOR.
func (s *session) declare(dc *planner.DeclareCursor) (string, error) {
	if !s.explicit && !dc.Hold {
		return "", sqlerr.New(sqlerr.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	if _, ok := s.cursors[dc.Name]; ok {
		return "", sqlerr.Errorf("42P03", "cursor \"%s\" already exists", dc.Name)
	}
	// The operators live as long as the cursor, not the DECLARE statement.
	ctx, stop := context.WithCancel(context.Background())
	op, err := executor.Build(ctx, dc.Query.Plan, s.env())
	if err != nil {
		stop()
		return "", err
	}
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[dc.Name] = &cursor{
		name: dc.Name, cols: describe(&planner.Query{Columns: dc.Query.Columns}),
		rows:   cursorRows{op: op, stop: stop, keep: dc.Scroll, first: 1},
		scroll: dc.Scroll, hold: dc.Hold, txnLocal: true, atStart: true,
	}
	return "DECLARE CURSOR", nil
}

// CursorColumns implements pgwire.CursorDescriber.
func (s *session) CursorColumns(name string) ([]pgwire.Column, bool) {
	c, ok := s.cursors[name]
	if !ok {
		return nil, false
	}
	return c.cols, true
}

// fetch runs FETCH and MOVE: rows go to w (FETCH) or are skipped (MOVE).
func (s *session) fetch(ctx context.Context, f *planner.Fetch, w pgwire.ResultWriter) (string, error) {
	c, ok := s.cursors[f.Name]
	if !ok {
		return "", sqlerr.Errorf(sqlerr.InvalidCursorName, "cursor \"%s\" does not exist", f.Name)
	}
	if c.failed {
		return "", sqlerr.Errorf(sqlerr.ObjectNotInPrerequisiteState, "portal \"%s\" cannot be run", f.Name)
	}
	if f.Move {
		w = nil
	}
	n, err := c.fetch(ctx, f.Direction, f.Count, w)
	if err != nil {
		c.failed = true
		return "", err
	}
	if f.Move {
		return fmt.Sprintf("MOVE %d", n), nil
	}
	return fmt.Sprintf("FETCH %d", n), nil
}

// fetch moves the cursor as PostgreSQL's DoPortalRunFetch does, sending
// the rows of the last step to w (nil for MOVE), and returns their number
// (the tag's count).
func (c *cursor) fetch(ctx context.Context, dir planner.FetchDirection, count int64, w pgwire.ResultWriter) (int64, error) {
	switch dir {
	case planner.FetchForward, planner.FetchBackward:
		if count < 0 {
			// FORWARD -n is BACKWARD n and the other way round.
			dir, count = planner.FetchForward+planner.FetchBackward-dir, -count
		}
	case planner.FetchAbsolute:
		switch {
		case count > 0:
			// Go to row count-1 (rewinding when that is nearer than going
			// back), then return the next.
			if count-1 <= c.pos/2 {
				if err := c.rewind(); err != nil {
					return 0, err
				}
				if count > 1 {
					if _, err := c.run(ctx, true, count-1, nil); err != nil {
						return 0, err
					}
				}
			} else {
				pos := c.pos
				if c.atEnd {
					pos++ // one more step back from past the end
				}
				var err error
				if count <= pos {
					_, err = c.run(ctx, false, pos-count+1, nil)
				} else if count > pos+1 {
					_, err = c.run(ctx, true, count-pos-1, nil)
				}
				if err != nil {
					return 0, err
				}
			}
			return c.run(ctx, true, 1, w)
		case count < 0:
			// Go past the end, back up -count-1 rows, return the one before.
			if _, err := c.run(ctx, true, planner.FetchAll, nil); err != nil {
				return 0, err
			}
			if count < -1 {
				if _, err := c.run(ctx, false, -count-1, nil); err != nil {
					return 0, err
				}
			}
			return c.run(ctx, false, 1, w)
		default:
			if err := c.rewind(); err != nil {
				return 0, err
			}
			return c.run(ctx, true, 0, w)
		}
	case planner.FetchRelative:
		switch {
		case count > 0:
			if count > 1 {
				if _, err := c.run(ctx, true, count-1, nil); err != nil {
					return 0, err
				}
			}
			return c.run(ctx, true, 1, w)
		case count < 0:
			if count < -1 {
				if _, err := c.run(ctx, false, -count-1, nil); err != nil {
					return 0, err
				}
			}
			return c.run(ctx, false, 1, w)
		}
		dir = planner.FetchForward // RELATIVE 0 is FORWARD 0
	}
	forward := dir == planner.FetchForward
	if count == 0 {
		// Count 0 returns the current row again, if the cursor is on one.
		onRow := !c.atStart && !c.atEnd
		if w == nil {
			if onRow {
				return 1, nil // MOVE 0 says whether FETCH 0 would return a row
			}
			return 0, nil
		}
		if onRow {
			if _, err := c.run(ctx, false, 1, nil); err != nil {
				return 0, err
			}
			count, forward = 1, true
		}
	}
	if !forward && count == planner.FetchAll && w == nil {
		// MOVE BACKWARD ALL is a rewind.
		n := c.pos
		if n > 0 && !c.atEnd {
			n--
		}
		return n, c.rewind()
	}
	return c.run(ctx, forward, count, w)
}

// run reads up to count rows (FetchAll: all) in one direction, sending
// them to w unless it is nil, and keeps the position, as PostgreSQL's
// PortalRunSelect. Like PostgreSQL's executor start, it describes the
// result (BeginRows) once the direction is known to be allowed, even when
// no row follows.
func (c *cursor) run(ctx context.Context, forward bool, count int64, w pgwire.ResultWriter) (int64, error) {
	var emit func(*vec.Batch) error
	if !forward && !c.scroll {
		return 0, errNoScroll()
	}
	if w != nil {
		w.BeginRows()
		emit = w.WriteBatch
	}
	if forward {
		if c.atEnd || count <= 0 {
			return 0, nil
		}
		n, err := c.rows.forward(ctx, count, emit)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			c.atStart = false
		}
		if count == planner.FetchAll || n < count {
			c.atEnd = true
		}
		c.pos += n
		return n, nil
	}
	if c.atStart || count <= 0 {
		return 0, nil
	}
	n, err := c.rows.backward(count, emit)
	if err != nil {
		return 0, err
	}
	if n > 0 && c.atEnd {
		c.atEnd = false
		c.pos++ // it was past the end, one beyond the last row
	}
	if count == planner.FetchAll || n < count {
		c.atStart, c.pos = true, 0
	} else {
		c.pos -= n
	}
	return n, nil
}

// rewind moves the cursor before its first row (PostgreSQL's
// DoPortalRewind): a forward-only cursor can only if it has not moved.
func (c *cursor) rewind() error {
	if c.atStart && !c.atEnd {
		return nil
	}
	if !c.scroll {
		return errNoScroll()
	}
	c.rows.at = 0
	c.atStart, c.atEnd, c.pos = true, false, 0
	return nil
}

// forward returns up to count rows (FetchAll: all) after the position.
func (r *cursorRows) forward(ctx context.Context, count int64, emit func(*vec.Batch) error) (int64, error) {
	var done int64
	for done < count {
		if r.at >= r.n {
			if r.ended {
				r.at = r.n + 1
				break
			}
			if err := r.pull(ctx); err != nil {
				return done, err
			}
			continue
		}
		bi, off := r.locate(r.at + 1)
		b := r.batches[bi]
		take := int64(b.N - off)
		if take > count-done {
			take = count - done
		}
		if emit != nil {
			if err := emit(b.Slice(off, off+int(take))); err != nil {
				return done, err
			}
		}
		r.at += take
		done += take
	}
	return done, nil
}

// backward returns up to count rows (FetchAll: all) before the position,
// nearest first. Only a cursor that keeps its rows goes back.
func (r *cursorRows) backward(count int64, emit func(*vec.Batch) error) (int64, error) {
	var done int64
	if r.at > r.n {
		r.at = r.n + 1
	}
	for done < count {
		k := r.at - 1 // the next row to return
		if k < r.first {
			r.at = 0
			break
		}
		bi, off := r.locate(k)
		take := int64(off + 1)
		if take > count-done {
			take = count - done
		}
		if emit != nil {
			b := r.batches[bi]
			rev := vec.NewBatch(b.Types(), int(take))
			for i := off; i > off-int(take); i-- {
				for j, col := range b.Cols {
					rev.Cols[j].AppendFrom(col, i)
				}
			}
			rev.N = int(take)
			if err := emit(rev); err != nil {
				return done, err
			}
		}
		r.at = k - take + 1
		done += take
	}
	return done, nil
}

// locate returns the batch holding row k and its offset there.
func (r *cursorRows) locate(k int64) (int, int) {
	bi := sort.Search(len(r.ends), func(i int) bool { return r.ends[i] >= k })
	return bi, r.batches[bi].N - int(r.ends[bi]-k) - 1
}

// pull reads the next batch of the query, if any. A forward-only cursor
// first drops the rows it has passed.
func (r *cursorRows) pull(ctx context.Context) error {
	for {
		b, err := r.op.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			r.ended = true
			r.close()
			return nil
		}
		if b.N == 0 {
			continue
		}
		if r.keep {
			b = copyBatch(b)
		} else {
			r.batches, r.ends, r.first = r.batches[:0], r.ends[:0], r.n+1
		}
		r.n += int64(b.N)
		r.batches = append(r.batches, b)
		r.ends = append(r.ends, r.n)
		return nil
	}
}

// materialize reads the rest of the query into memory and closes its
// operators (a WITH HOLD cursor at commit). A scrollable cursor keeps all
// its rows; a forward-only one only those it has not returned yet, as
// PostgreSQL's PersistHoldablePortal. The position stays.
func (c *cursor) materialize(ctx context.Context) error {
	r := &c.rows
	if !r.keep {
		var rest []*vec.Batch
		base := min(r.at, r.n)
		if r.at < r.n {
			bi, off := r.locate(r.at + 1)
			rest = append(rest, copyBatch(r.batches[bi].Slice(off, r.batches[bi].N)))
		}
		for !r.ended {
			b, err := r.op.Next(ctx)
			if err != nil {
				return err
			}
			if b == nil {
				r.ended = true
			} else if b.N > 0 {
				rest = append(rest, copyBatch(b))
			}
		}
		r.batches, r.ends, r.first, r.n = nil, nil, base+1, base
		for _, b := range rest {
			r.n += int64(b.N)
			r.batches = append(r.batches, b)
			r.ends = append(r.ends, r.n)
		}
	}
	for !r.ended {
		at := r.at
		if err := r.pull(ctx); err != nil {
			return err
		}
		r.at = at
	}
	r.close()
	return nil
}

// copyBatch copies a batch out of an operator's buffers.
func copyBatch(b *vec.Batch) *vec.Batch {
	nb := vec.NewBatch(b.Types(), b.N)
	for j, col := range b.Cols {
		for i := 0; i < b.N; i++ {
			nb.Cols[j].AppendFrom(col, i)
		}
	}
	nb.N = b.N
	return nb
}

// close releases the query's operators.
func (r *cursorRows) close() {
	if r.op != nil {
		r.op.Close()
		r.op = nil
	}
	if r.stop != nil {
		r.stop()
	}
}

// closeCursor runs CLOSE.
func (s *session) closeCursor(cc *planner.CloseCursor) (string, error) {
	if cc.Name == "" {
		for name, c := range s.cursors {
			c.rows.close()
			delete(s.cursors, name)
		}
		return "CLOSE CURSOR ALL", nil
	}
	c, ok := s.cursors[cc.Name]
	if !ok {
		return "", sqlerr.Errorf(sqlerr.InvalidCursorName, "cursor \"%s\" does not exist", cc.Name)
	}
	c.rows.close()
	delete(s.cursors, cc.Name)
	return "CLOSE CURSOR", nil
}

// endCursors ends the transaction's part of the cursors and portals: at
// commit a WITH HOLD cursor keeps its rows and the others close; at
// rollback every cursor the transaction declared closes. Protocol portals
// close either way.
func (s *session) endCursors(ctx context.Context, commit bool) error {
	s.closePortals()
	var err error
	for name, c := range s.cursors {
		switch {
		case commit && c.hold:
			if c.txnLocal && err == nil {
				err = c.materialize(ctx)
			}
			c.rows.close()
			c.txnLocal = false
			continue
		case !commit && c.hold && !c.txnLocal:
			continue
		}
		c.rows.close()
		delete(s.cursors, name)
	}
	return err
}
