package pgwire

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
	"github.com/jackc/pgproto3/v2"
)

// rowDescription builds a RowDescription; formats holds one code per column
// or is nil for all text.
func rowDescription(cols []Column, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(cols))}
	for i, col := range cols {
		var f int16
		if i < len(formats) {
			f = formats[i]
		}
		rd.Fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.Attnum),
			DataTypeOID:          uint32(col.Type.OID()),
			DataTypeSize:         col.Type.Size(),
			TypeModifier:         col.Type.Typmod(),
			Format:               f,
		}
	}
	return rd
}

// appendDataRow appends row i of b as a DataRow, its values as vs
// encoded them (vs.Encode of b, in the portal's formats). It allocates
// nothing beyond growing out.
func appendDataRow(out []byte, b *vec.Batch, vs *pgtype.Values, i int) []byte {
	start := len(out)
	out = append(out, 'D', 0, 0, 0, 0, byte(len(b.Cols)>>8), byte(len(b.Cols)))
	for j, col := range b.Cols {
		if col.IsNull(i) {
			out = append(out, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		f := vs.Value(j, i)
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	binary.BigEndian.PutUint32(out[start+1:], uint32(len(out)-start-1))
	return out
}

// isBinary returns whether column j is sent in binary under formats (one
// code per column, nil for all text).
func isBinary(formats []int16) func(j int) bool {
	return func(j int) bool { return j < len(formats) && formats[j] == 1 }
}

// resultWriter is the ResultWriter of one execution. It streams DataRows
// to the connection, or, for a portal run with a row limit, keeps the rows
// in buf for later Executes.
type resultWriter struct {
	c       *conn
	ctx     context.Context
	formats []int16
	buf     *rowBuffer
	rows    int64
	// beforeRows, if set, runs once before the first row is written.
	beforeRows func()
	// output holds the session's text output settings; values the
	// current batch's encoded values.
	output pgtype.Output
	values pgtype.Values
}

func (w *resultWriter) BeginRows() {
	if w.beforeRows != nil {
		w.beforeRows()
		w.beforeRows = nil
	}
}

func (w *resultWriter) WriteBatch(b *vec.Batch) error {
	if w.ctx.Err() != nil {
		return w.c.toSQLErr(w.ctx.Err(), w.ctx)
	}
	w.BeginRows()
	if w.buf != nil {
		w.buf.add(b)
		w.rows += int64(b.N)
		return nil
	}
	c := w.c
	w.values.Encode(b, isBinary(w.formats), w.output)
	for i := 0; i < b.N; i++ {
		c.out = appendDataRow(c.out, b, &w.values, i)
		if len(c.out) >= flushThreshold {
			if err := c.flush(); err != nil {
				return sqlerr.Wrap(err, sqlerr.ConnectionFailure, "could not send data to client")
			}
		}
	}
	w.rows += int64(b.N)
	return nil
}

func (w *resultWriter) Notice(e *sqlerr.Error) error {
	sev := e.NoticeSeverity()
	code := e.Code
	if code == "" {
		code = sqlerr.SuccessfulCompletion
	}
	w.c.send(&pgproto3.NoticeResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            e.Position,
	})
	return w.c.wErr
}

func (w *resultWriter) CopyIn(format int16, ncols int) (CopySource, error) {
	c := w.c
	if c.copy != nil {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "COPY FROM STDIN is already in progress")
	}
	codes, err := copyFormatCodes(format, ncols)
	if err != nil {
		return nil, err
	}
	c.send(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: codes})
	if err := c.flush(); err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.ConnectionFailure, "could not send data to client")
	}
	c.copy = &copySource{c: c}
	return c.copy, nil
}

func (w *resultWriter) CopyOut(format int16, ncols int) (CopySink, error) {
	c := w.c
	if c.copyOut != nil {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "COPY TO STDOUT is already in progress")
	}
	codes, err := copyFormatCodes(format, ncols)
	if err != nil {
		return nil, err
	}
	c.send(&pgproto3.CopyOutResponse{OverallFormat: byte(format), ColumnFormatCodes: codes})
	c.copyOut = &copySink{w: w}
	return c.copyOut, nil
}

// copyFormatCodes returns the per-column format codes of a CopyInResponse
// or CopyOutResponse.
func copyFormatCodes(format int16, ncols int) ([]uint16, error) {
	if format != 0 && format != 1 {
		return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "unsupported COPY format code %d", format)
	}
	if ncols < 0 || ncols > 0xffff {
		return nil, sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "too many columns for COPY: %d", ncols)
	}
	codes := make([]uint16, ncols)
	for i := range codes {
		codes[i] = uint16(format)
	}
	return codes, nil
}

// copySink frames COPY TO STDOUT rows as CopyData messages.
type copySink struct{ w *resultWriter }

func (s *copySink) WriteRows(data []byte, ends []int) error {
	w := s.w
	if w.ctx.Err() != nil {
		return w.c.toSQLErr(w.ctx.Err(), w.ctx)
	}
	c := w.c
	start := 0
	for _, end := range ends {
		row := data[start:end]
		start = end
		c.out = append(c.out, 'd', 0, 0, 0, 0)
		binary.BigEndian.PutUint32(c.out[len(c.out)-4:], uint32(len(row)+4))
		c.out = append(c.out, row...)
		if len(c.out) >= flushThreshold {
			if err := c.flush(); err != nil {
				return sqlerr.Wrap(err, sqlerr.ConnectionFailure, "could not send data to client")
			}
		}
	}
	return nil
}

// copySource reads CopyData messages during COPY FROM STDIN.
type copySource struct {
	c    *conn
	done bool  // CopyDone or CopyFail received, or the stream broke
	err  error // what Next returns once done
}

func (s *copySource) Next() ([]byte, error) {
	if s.done {
		return nil, s.err
	}
	for {
		typ, body, err := s.c.readMessage()
		if err != nil {
			s.done = true
			if _, ok := err.(*protoError); ok {
				s.err = sqlerr.New(sqlerr.ProtocolViolation, err.Error())
			} else {
				s.err = sqlerr.Wrap(err, sqlerr.ConnectionFailure, "unexpected EOF on client connection with an open transaction")
			}
			return nil, s.err
		}
		switch typ {
		case 'd':
			return body, nil
		case 'c':
			s.done = true
			s.err = io.EOF
			return nil, io.EOF
		case 'f':
			r := &msgReader{b: body}
			msg := r.cstring()
			s.done = true
			s.err = sqlerr.New(sqlerr.QueryCanceled, "COPY from stdin failed: "+msg)
			return nil, s.err
		case 'H', 'S':
			// ignored during COPY, as PostgreSQL does
		default:
			s.done = true
			s.err = sqlerr.New(sqlerr.ProtocolViolation, fmt.Sprintf("unexpected message type 0x%02X during COPY from stdin", typ))
			return nil, s.err
		}
	}
}

// drain consumes the rest of the copy stream after the statement stopped
// reading it, so the session stays in sync.
func (s *copySource) drain() {
	for !s.done {
		_, _ = s.Next()
	}
}

// output returns the session's text output settings (PostgreSQL's
// defaults for a session that has none).
func (c *conn) output() pgtype.Output {
	if os, ok := c.sess.(OutputSettings); ok {
		return os.Output()
	}
	return pgtype.Output{}
}

// execute runs st, streaming rows in formats (or into buf when non-nil).
func (c *conn) execute(st Statement, params []plan.Datum, formats []int16, buf *rowBuffer) (string, error) {
	return c.executeDescribing(st, params, formats, buf, nil)
}

// executeDescribing is execute with a hook run before the first row.
func (c *conn) executeDescribing(st Statement, params []plan.Datum, formats []int16, buf *rowBuffer, beforeRows func()) (string, error) {
	ctx, done := c.stmtContext()
	defer done()
	w := &resultWriter{c: c, ctx: ctx, formats: formats, buf: buf, beforeRows: beforeRows, output: c.output()}
	tag, err := st.Execute(ctx, params, w)
	if c.copy != nil {
		c.copy.drain()
		c.copy = nil
	}
	if c.copyOut != nil {
		if err == nil {
			c.send(&pgproto3.CopyDone{})
		}
		c.copyOut = nil
	}
	if err != nil {
		return "", c.toSQLErr(err, ctx)
	}
	if d, ok := st.(Deallocator); ok {
		if name, all, ok := d.Deallocates(); ok {
			if err := c.deallocate(name, all); err != nil {
				return "", err
			}
		}
	}
	return tag, nil
}

// rowBuffer holds the rows of a portal executed with a row limit. (Later
// this becomes a paused execution; it is kept behind this type.)
type rowBuffer struct {
	batches []*vec.Batch
	bi, ri  int // next row
	// output holds the text output settings at execution; values the
	// encoded values of batches[bi].
	output pgtype.Output
	values pgtype.Values
}

func (rb *rowBuffer) add(b *vec.Batch) {
	if b.N == 0 {
		return
	}
	nb := vec.NewBatch(b.Types(), b.N)
	for j, col := range b.Cols {
		dst := nb.Cols[j]
		for i := 0; i < b.N; i++ {
			dst.AppendFrom(col, i)
		}
	}
	nb.N = b.N
	rb.batches = append(rb.batches, nb)
}

// send writes up to max rows (all when max <= 0) and reports how many and
// whether the portal is complete.
func (rb *rowBuffer) send(c *conn, max int64, formats []int16) (int64, bool, error) {
	var n int64
	for rb.bi < len(rb.batches) {
		b := rb.batches[rb.bi]
		if rb.ri == 0 {
			rb.values.Encode(b, isBinary(formats), rb.output)
		}
		for rb.ri < b.N {
			c.out = appendDataRow(c.out, b, &rb.values, rb.ri)
			rb.ri++
			n++
			if len(c.out) >= flushThreshold {
				if err := c.flush(); err != nil {
					return n, false, err
				}
			}
			if max > 0 && n >= max {
				// Like PostgreSQL, a portal that delivered max rows is
				// suspended even if no rows are left.
				return n, false, nil
			}
		}
		rb.batches[rb.bi] = nil
		rb.bi++
		rb.ri = 0
	}
	return n, true, nil
}
