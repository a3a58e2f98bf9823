package coordinator

import (
	"context"
	"fmt"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/vec"
)

// cursor is a DECLAREd cursor: a query's operator tree, built at DECLARE
// and pulled by each FETCH, so a cursor over a large result holds one
// batch at a time. A WITH HOLD cursor outlives its transaction: at commit
// its remaining rows are read into memory (held), as PostgreSQL
// materializes them, and the operator is closed.
type cursor struct {
	cols []pgwire.Column
	op   executor.Operator // nil once exhausted or materialized
	stop context.CancelFunc
	// cur is the batch being read and pos its next row.
	cur  *vec.Batch
	pos  int
	held []*vec.Batch
	hold bool
	// txnLocal is set while the transaction that declared it is open: a
	// rollback closes it even WITH HOLD.
	txnLocal bool
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
	s.cursors[dc.Name] = &cursor{cols: describe(&planner.Query{Columns: dc.Query.Columns}), op: op, stop: stop, hold: dc.Hold, txnLocal: true}
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
	if f.Unsupported != nil {
		return "", f.Unsupported
	}
	if !f.Move {
		w.BeginRows()
	}
	var n int64
	for f.All || n < f.Count {
		b, err := c.next(ctx)
		if err != nil {
			return "", err
		}
		if b == nil {
			break
		}
		take := b.N - c.pos
		if !f.All && int64(take) > f.Count-n {
			take = int(f.Count - n)
		}
		if !f.Move {
			if err := w.WriteBatch(b.Slice(c.pos, c.pos+take)); err != nil {
				return "", err
			}
		}
		c.pos += take
		n += int64(take)
	}
	if f.Move {
		return fmt.Sprintf("MOVE %d", n), nil
	}
	return fmt.Sprintf("FETCH %d", n), nil
}

// next returns the batch holding the cursor's next row (at c.pos), nil at
// the end.
func (c *cursor) next(ctx context.Context) (*vec.Batch, error) {
	for c.cur == nil || c.pos >= c.cur.N {
		c.cur, c.pos = nil, 0
		switch {
		case len(c.held) > 0:
			c.cur, c.held = c.held[0], c.held[1:]
		case c.op != nil:
			b, err := c.op.Next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				c.close()
				return nil, nil
			}
			c.cur = b
		default:
			return nil, nil
		}
	}
	return c.cur, nil
}

// materialize reads the cursor's remaining rows into memory and closes its
// operators (a WITH HOLD cursor at commit).
func (c *cursor) materialize(ctx context.Context) error {
	var rows []*vec.Batch
	for {
		b, err := c.next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		rows = append(rows, copyBatch(b.Slice(c.pos, b.N)))
		c.cur = nil
	}
	c.held = rows
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

// close releases the cursor's operators.
func (c *cursor) close() {
	if c.op != nil {
		c.op.Close()
		c.op = nil
	}
	if c.stop != nil {
		c.stop()
	}
}

// closeCursor runs CLOSE.
func (s *session) closeCursor(cc *planner.CloseCursor) (string, error) {
	if cc.Name == "" {
		for name, c := range s.cursors {
			c.close()
			delete(s.cursors, name)
		}
		return "CLOSE CURSOR ALL", nil
	}
	c, ok := s.cursors[cc.Name]
	if !ok {
		return "", sqlerr.Errorf(sqlerr.InvalidCursorName, "cursor \"%s\" does not exist", cc.Name)
	}
	c.close()
	delete(s.cursors, cc.Name)
	return "CLOSE CURSOR", nil
}

// endCursors ends the transaction's part of the cursors: at commit a WITH
// HOLD cursor keeps its remaining rows and the others close; at rollback
// every cursor the transaction declared closes.
func (s *session) endCursors(ctx context.Context, commit bool) error {
	var err error
	for name, c := range s.cursors {
		switch {
		case commit && c.hold:
			if c.txnLocal && err == nil {
				err = c.materialize(ctx)
			}
			c.close()
			c.txnLocal = false
			continue
		case !commit && c.hold && !c.txnLocal:
			continue
		}
		c.close()
		delete(s.cursors, name)
	}
	return err
}
