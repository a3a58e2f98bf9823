package coordinator

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/vec"
)

// binaryRecords parses the binary COPY format (the file header, then
// tuples of an int16 field count and int32-length fields in the types'
// binary receive formats, then an int16 -1 trailer) from buf and returns
// how many bytes it consumed: only whole tuples are taken, the rest waits
// for more data unless eof. Errors are PostgreSQL 15's (copyfromparse.c).
func (l *copyLoader) binaryRecords(ctx context.Context, buf []byte, eof bool) (int, error) {
	pos := 0
	if !l.binaryStarted {
		n, err := l.binaryHeader(buf, eof)
		if n == 0 || err != nil {
			return 0, err
		}
		l.binaryStarted = true
		pos = n
	}
	for pos < len(buf) && !l.done {
		if len(buf)-pos < 2 {
			// A lone byte at the end of the data reads as the end, as in
			// PostgreSQL (CopyGetInt16 fails quietly).
			if eof {
				l.done = true
			}
			break
		}
		nf := int16(binary.BigEndian.Uint16(buf[pos:]))
		if nf == -1 {
			if len(buf)-pos > 2 {
				l.line++
				return pos, l.errorf(sqlerr.BadCopyFileFormat, "received copy data after EOF marker")
			}
			// Data arriving after the trailer in a later message is an
			// error too: keep the trailer until the stream ends.
			if eof {
				l.done = true
				pos += 2
			}
			break
		}
		end, complete, err := l.binaryTupleEnd(buf[pos:], eof)
		if err != nil {
			return pos, err
		}
		if !complete {
			break
		}
		if err := l.binaryTuple(buf[pos : pos+end]); err != nil {
			return pos, err
		}
		pos += end
		if l.batch.N >= copyBatchRows {
			if err := l.flush(ctx); err != nil {
				return pos, err
			}
		}
	}
	return pos, nil
}

// binaryHeader checks the binary file header at the start of buf and
// returns its length, or 0 when more data is needed.
func (l *copyLoader) binaryHeader(buf []byte, eof bool) (int, error) {
	bad := func(msg string) (int, error) {
		return 0, l.errorf(sqlerr.BadCopyFileFormat, "%s", msg)
	}
	need := func(n int, msg string) (bool, int, error) {
		if len(buf) >= n {
			return true, 0, nil
		}
		if !eof {
			return false, 0, nil
		}
		n, err := bad(msg)
		return false, n, err
	}
	if ok, n, err := need(len(copyBinarySignature), "COPY file signature not recognized"); !ok {
		return n, err
	}
	if string(buf[:len(copyBinarySignature)]) != copyBinarySignature {
		return bad("COPY file signature not recognized")
	}
	if ok, n, err := need(15, "invalid COPY file header (missing flags)"); !ok {
		return n, err
	}
	flags := binary.BigEndian.Uint32(buf[11:])
	if flags&(1<<16) != 0 {
		return bad("invalid COPY file header (WITH OIDS)")
	}
	if flags>>16 != 0 {
		return bad("unrecognized critical flags in COPY file header")
	}
	if ok, n, err := need(19, "invalid COPY file header (missing length)"); !ok {
		return n, err
	}
	ext := int32(binary.BigEndian.Uint32(buf[15:]))
	if ext < 0 {
		return bad("invalid COPY file header (missing length)")
	}
	if ok, n, err := need(19+int(ext), "invalid COPY file header (wrong length)"); !ok {
		return n, err
	}
	return 19 + int(ext), nil
}

// binaryTupleEnd finds the end of the tuple at the start of b, checking
// its field count and sizes; complete is false when b holds only part of
// it (an error at eof).
func (l *copyLoader) binaryTupleEnd(b []byte, eof bool) (end int, complete bool, err error) {
	nf := int(int16(binary.BigEndian.Uint16(b)))
	if nf != len(l.cf.Targets) {
		l.line++
		return 0, false, l.errorf(sqlerr.BadCopyFileFormat, "row field count is %d, expected %d", nf, len(l.cf.Targets))
	}
	pos := 2
	for i := 0; i < nf; i++ {
		if len(b)-pos < 4 {
			return l.binaryShort(eof, i)
		}
		size := int32(binary.BigEndian.Uint32(b[pos:]))
		pos += 4
		if size == -1 {
			continue
		}
		if size < 0 {
			l.line++
			l.column = l.table.Columns[l.cf.Targets[i]].Name
			return 0, false, l.errorf(sqlerr.BadCopyFileFormat, "invalid field size")
		}
		if len(b)-pos < int(size) {
			return l.binaryShort(eof, i)
		}
		pos += int(size)
	}
	return pos, true, nil
}

// binaryShort reports a tuple cut short: at the end of the data, field i
// met PostgreSQL's "unexpected EOF in COPY data".
func (l *copyLoader) binaryShort(eof bool, i int) (int, bool, error) {
	if !eof {
		return 0, false, nil
	}
	l.line++
	l.column = l.table.Columns[l.cf.Targets[i]].Name
	return 0, false, l.errorf(sqlerr.BadCopyFileFormat, "unexpected EOF in COPY data")
}

// binaryTuple appends one complete tuple to the batch.
func (l *copyLoader) binaryTuple(b []byte) error {
	l.line++
	pos := 2
	for _, col := range l.cf.Targets {
		c := l.table.Columns[col]
		l.column = c.Name
		size := int32(binary.BigEndian.Uint32(b[pos:]))
		pos += 4
		var f []byte
		if size >= 0 {
			f = b[pos : pos+int(size) : pos+int(size)]
			pos += int(size)
		}
		if err := l.appendBinaryField(l.batch.Cols[col], c, f); err != nil {
			return err
		}
	}
	l.column = ""
	return l.endRecord()
}

// appendBinaryField decodes one field (nil: NULL) with the column type's
// binary receive function into v.
func (l *copyLoader) appendBinaryField(v *vec.Vector, c catalog.Column, f []byte) error {
	if f == nil {
		return l.appendNull(v, c)
	}
	t := c.Type
	// The common fixed-width types and unconstrained text directly.
	switch {
	case t.Kind == catalog.Int8 && len(f) == 8:
		v.AppendInt64(int64(binary.BigEndian.Uint64(f)))
		return nil
	case t.Kind == catalog.Int4 && len(f) == 4:
		v.AppendInt64(int64(int32(binary.BigEndian.Uint32(f))))
		return nil
	case t.Kind == catalog.Int2 && len(f) == 2:
		v.AppendInt64(int64(int16(binary.BigEndian.Uint16(f))))
		return nil
	case t.Kind == catalog.Float8 && len(f) == 8:
		v.AppendFloat64(math.Float64frombits(binary.BigEndian.Uint64(f)))
		return nil
	case t.Kind == catalog.Text && pgtype.ValidText(f):
		v.AppendBytes(f)
		return nil
	}
	d, err := pgtype.DecodeBinary(t, f)
	if err != nil {
		return l.wrapBinary(sqlerr.As(err), c.Name)
	}
	switch {
	case t.IsInt64Backed():
		v.AppendInt64(d.I)
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		v.AppendFloat64(d.F)
	case t.Kind == catalog.Bool:
		v.AppendBool(d.B)
	case t.IsBytesBacked():
		v.AppendBytes([]byte(d.S))
	default:
		return l.errorf(sqlerr.FeatureNotSupported, "COPY into type %s is not supported", t)
	}
	return nil
}

// wrapBinary adds the COPY context to a receive function's error.
func (l *copyLoader) wrapBinary(e *sqlerr.Error, col string) error {
	c := *e
	c.Detail = l.context(col)
	return &c
}
