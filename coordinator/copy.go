package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/vec"
)

// copyBatchRows is how many rows COPY sends to a participant at a time.
const copyBatchRows = 16384

// copyFrom runs COPY … FROM STDIN: it parses the client's text or CSV rows
// straight into column vectors and streams them to participants, which
// write Parquet files; the files join the table at commit.
func (s *session) copyFrom(ctx context.Context, cf *planner.CopyFrom, w pgwire.ResultWriter) (int64, error) {
	var format int16
	if cf.Format == planner.CopyBinary {
		format = 1
	}
	src, err := w.CopyIn(format, len(cf.Targets))
	if err != nil {
		return 0, err
	}
	l := &copyLoader{cf: cf, table: cf.Table, tw: newTableWriter(s, cf.Table), dt: s.dateTime()}
	ok := false
	defer func() {
		if !ok {
			l.tw.abort()
		}
	}()
	l.newBatch()
	if err := l.load(ctx, src); err != nil {
		return 0, err
	}
	if err := l.flush(ctx); err != nil {
		return 0, err
	}
	if err := l.tw.finish(ctx); err != nil {
		return 0, err
	}
	ok = true
	return l.tw.rows, nil
}

type copyLoader struct {
	dt     pgtype.DateTime // the session's TimeZone and DateStyle
	cf     *planner.CopyFrom
	table  *catalog.Table
	tw     *tableWriter
	batch  *vec.Batch
	line   int64
	fields [][]byte
	// scratch for unescaping a field
	scratch []byte
	done    bool
	header  bool
	// binaryStarted is set once the binary format's header was read.
	binaryStarted bool
	// column names the column being read, for errors' context.
	column string
}

func (l *copyLoader) newBatch() {
	types := make([]catalog.Type, len(l.table.Columns))
	for i, c := range l.table.Columns {
		types[i] = c.Type
	}
	l.batch = vec.NewBatch(types, copyBatchRows)
}

func (l *copyLoader) flush(ctx context.Context) error {
	if l.batch.N == 0 {
		return nil
	}
	if err := l.tw.send(ctx, l.batch); err != nil {
		return err
	}
	l.newBatch()
	return nil
}

// load reads CopyData payloads, splitting them into records. A record may
// span payloads; the unfinished tail is kept for the next one.
func (l *copyLoader) load(ctx context.Context, src pgwire.CopySource) error {
	var buf []byte
	l.header = l.cf.Header
	for {
		data, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if l.done {
			continue // data after the end marker is ignored, as PostgreSQL does
		}
		buf = append(buf, data...)
		n, err := l.parse(ctx, buf, false)
		if err != nil {
			return err
		}
		buf = append(buf[:0], buf[n:]...)
		if ctx.Err() != nil {
			return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
		}
	}
	if (len(buf) > 0 || l.cf.Format == planner.CopyBinary) && !l.done {
		if _, err := l.parse(ctx, buf, true); err != nil {
			return err
		}
	}
	return nil
}

// parse parses the complete records in buf in the statement's format and
// returns how many bytes it consumed.
func (l *copyLoader) parse(ctx context.Context, buf []byte, eof bool) (int, error) {
	if l.cf.Format == planner.CopyBinary {
		return l.binaryRecords(ctx, buf, eof)
	}
	return l.records(ctx, buf, eof)
}

// records parses complete records in buf and returns how many bytes it
// consumed. At eof the last record needs no terminating newline.
func (l *copyLoader) records(ctx context.Context, buf []byte, eof bool) (int, error) {
	pos := 0
	for pos < len(buf) && !l.done {
		var end, next int
		if l.cf.Format == planner.CopyCSV {
			end, next = csvRecordEnd(buf[pos:], l.cf.Quote, l.cf.Escape)
		} else {
			end = bytes.IndexByte(buf[pos:], '\n')
			next = end + 1
		}
		if end < 0 {
			if !eof {
				break
			}
			end, next = len(buf)-pos, len(buf)-pos
		}
		rec := buf[pos : pos+end]
		pos += next
		if len(rec) > 0 && rec[len(rec)-1] == '\r' {
			rec = rec[:len(rec)-1]
		}
		l.line++
		if l.header {
			l.header = false
			if l.cf.HeaderMatch {
				if err := l.matchHeader(rec); err != nil {
					return pos, err
				}
			}
			continue
		}
		if string(rec) == `\.` {
			l.done = true
			break
		}
		if err := l.record(rec); err != nil {
			return pos, err
		}
		if l.batch.N >= copyBatchRows {
			if err := l.flush(ctx); err != nil {
				return pos, err
			}
		}
	}
	return pos, nil
}

// csvRecordEnd finds the newline ending a CSV record, skipping newlines
// inside quotes; -1 when the record is not complete in b.
func csvRecordEnd(b []byte, quote, escape byte) (int, int) {
	inQuote := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inQuote && c == escape && escape != quote && i+1 < len(b) && (b[i+1] == quote || b[i+1] == escape):
			i++
		case c == quote:
			inQuote = !inQuote
		case c == '\n' && !inQuote:
			return i, i + 1
		}
	}
	return -1, -1
}

// split splits a text or CSV record into l.fields.
func (l *copyLoader) split(rec []byte) error {
	if l.cf.Format == planner.CopyCSV {
		return l.splitCSV(rec)
	}
	l.splitText(rec)
	return nil
}

// matchHeader checks a HEADER MATCH line against the target columns'
// names, as PostgreSQL 15 does.
func (l *copyLoader) matchHeader(rec []byte) error {
	if err := l.split(rec); err != nil {
		return err
	}
	if len(l.fields) != len(l.cf.Targets) {
		return l.errorf(sqlerr.BadCopyFileFormat, "wrong number of fields in header line: got %d, expected %d", len(l.fields), len(l.cf.Targets))
	}
	for i, f := range l.fields {
		name := l.table.Columns[l.cf.Targets[i]].Name
		if f == nil {
			return l.errorf(sqlerr.BadCopyFileFormat, "column name mismatch in header line field %d: got null value (\"%s\"), expected \"%s\"", i+1, l.cf.Null, name)
		}
		if string(f) != name {
			return l.errorf(sqlerr.BadCopyFileFormat, "column name mismatch in header line field %d: got \"%s\", expected \"%s\"", i+1, f, name)
		}
	}
	return nil
}

// record parses one record into the batch.
func (l *copyLoader) record(rec []byte) error {
	if err := l.split(rec); err != nil {
		return err
	}
	if len(l.fields) != len(l.cf.Targets) {
		if len(l.fields) < len(l.cf.Targets) {
			return l.errorf(sqlerr.BadCopyFileFormat, "missing data for column %q", l.table.Columns[l.cf.Targets[len(l.fields)]].Name)
		}
		return l.errorf(sqlerr.BadCopyFileFormat, "extra data after last expected column")
	}
	b := l.batch
	for i, f := range l.fields {
		col := l.cf.Targets[i]
		if err := l.appendField(b.Cols[col], l.table.Columns[col], f); err != nil {
			return err
		}
	}
	return l.endRecord()
}

// endRecord completes the batch's row after its target columns were
// appended: the other columns get NULL (or fail NOT NULL).
func (l *copyLoader) endRecord() error {
	b := l.batch
	if len(l.cf.Targets) < len(l.table.Columns) {
		for i, c := range l.table.Columns {
			if b.Cols[i].Len() == b.N {
				if c.NotNull {
					return l.errorf(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, l.table.Name)
				}
				b.Cols[i].AppendNull()
			}
		}
	}
	b.N++
	return nil
}

// nullField marks a NULL field in l.fields.
var nullField = []byte(nil)

func (l *copyLoader) splitText(rec []byte) {
	l.fields = l.fields[:0]
	l.scratch = l.scratch[:0]
	delim := l.cf.Delimiter
	for {
		i := bytes.IndexByte(rec, delim)
		f := rec
		if i >= 0 {
			f = rec[:i]
		}
		switch {
		case string(f) == l.cf.Null:
			l.fields = append(l.fields, nullField)
		case bytes.IndexByte(f, '\\') >= 0:
			start := len(l.scratch)
			l.scratch = unescapeText(l.scratch, f)
			l.fields = append(l.fields, l.scratch[start:len(l.scratch):len(l.scratch)])
		default:
			l.fields = append(l.fields, f[:len(f):len(f)])
		}
		if i < 0 {
			return
		}
		rec = rec[i+1:]
	}
}

// unescapeText decodes COPY text format backslash sequences.
func unescapeText(dst, f []byte) []byte {
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '\\' || i+1 == len(f) {
			dst = append(dst, c)
			continue
		}
		i++
		switch c = f[i]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'v':
			dst = append(dst, '\v')
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(f) && isHex(f[i+1]) {
				i++
				v = v*16 + hexVal(f[i])
				n++
			}
			if n == 0 {
				dst = append(dst, 'x')
			} else {
				dst = append(dst, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for n := 1; n < 3 && i+1 < len(f) && f[i+1] >= '0' && f[i+1] <= '7'; n++ {
				i++
				v = v*8 + int(f[i]-'0')
			}
			dst = append(dst, byte(v))
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

func (l *copyLoader) splitCSV(rec []byte) error {
	l.fields = l.fields[:0]
	l.scratch = l.scratch[:0]
	q, esc, delim := l.cf.Quote, l.cf.Escape, l.cf.Delimiter
	i := 0
	for {
		if i < len(rec) && rec[i] == q {
			// Quoted field: never NULL (even if it matches the NULL string).
			start := len(l.scratch)
			i++
			closed := false
			for i < len(rec) {
				c := rec[i]
				if c == esc && i+1 < len(rec) && (rec[i+1] == q || (esc != q && rec[i+1] == esc)) {
					l.scratch = append(l.scratch, rec[i+1])
					i += 2
					continue
				}
				if c == q {
					closed = true
					i++
					break
				}
				l.scratch = append(l.scratch, c)
				i++
			}
			if !closed {
				return l.errorf(sqlerr.BadCopyFileFormat, "unterminated CSV quoted field")
			}
			// Text after the closing quote up to the delimiter is kept, as PostgreSQL does.
			for i < len(rec) && rec[i] != delim {
				l.scratch = append(l.scratch, rec[i])
				i++
			}
			l.fields = append(l.fields, l.scratch[start:len(l.scratch):len(l.scratch)])
		} else {
			j := bytes.IndexByte(rec[i:], delim)
			f := rec[i:]
			if j >= 0 {
				f = rec[i : i+j]
			}
			i += len(f)
			if string(f) == l.cf.Null {
				l.fields = append(l.fields, nullField)
			} else {
				l.fields = append(l.fields, f[:len(f):len(f)])
			}
		}
		if i >= len(rec) {
			return nil
		}
		i++ // delimiter
		if i == len(rec) {
			// A trailing delimiter ends with an empty (unquoted) field.
			if l.cf.Null == "" {
				l.fields = append(l.fields, nullField)
			} else {
				l.fields = append(l.fields, rec[i:i])
			}
			return nil
		}
	}
}

// appendField parses one field into v with the column type's input rules.
func (l *copyLoader) appendField(v *vec.Vector, c catalog.Column, f []byte) error {
	if f == nil {
		return l.appendNull(v, c)
	}
	t := c.Type
	var err error
	switch t.Kind {
	case catalog.Int2, catalog.Int4, catalog.Int8:
		var x int64
		if x, err = pgtype.ParseInt(f, t.Kind); err == nil {
			v.AppendInt64(x)
		}
	case catalog.Numeric:
		if t.IsDynamicNumeric() { // decimal text, rounded to a wide numeric's scale
			d, perr := pgtype.ParseText(t, f)
			if err = perr; err == nil {
				v.AppendBytes([]byte(d.S))
			}
			break
		}
		var x int64
		if x, err = pgtype.ParseNumeric(f, t.Precision, t.Scale); err == nil {
			v.AppendInt64(x)
		}
	case catalog.Date:
		var x int64
		if x, err = l.dt.ParseDate(f); err == nil {
			v.AppendInt64(x)
		}
	case catalog.Timestamp:
		var x int64
		if x, err = l.dt.ParseTimestamp(f); err == nil {
			v.AppendInt64(x)
		}
	case catalog.TimestampTZ:
		var x int64
		if x, err = l.dt.ParseTimestampTZ(f); err == nil {
			v.AppendInt64(x)
		}
	case catalog.Float4:
		var x float64
		if x, err = pgtype.ParseFloat4(f); err == nil {
			v.AppendFloat64(x)
		}
	case catalog.Float8:
		var x float64
		if x, err = pgtype.ParseFloat(f); err == nil {
			v.AppendFloat64(x)
		}
	case catalog.Bool:
		var x bool
		if x, err = pgtype.ParseBool(f); err == nil {
			v.AppendBool(x)
		}
	case catalog.Text:
		if !pgtype.ValidText(f) {
			err = pgtype.ValidateUTF8(f)
			break
		}
		v.AppendBytes(f)
	case catalog.Varchar, catalog.Bpchar:
		if t.Length > 0 && len(f) > int(t.Length) || t.Kind == catalog.Bpchar || !pgtype.ValidText(f) {
			var s string
			if s, err = pgtype.ParseString(t, f); err == nil {
				v.AppendBytes([]byte(s))
			}
			break
		}
		v.AppendBytes(f)
	default:
		err = sqlerr.Errorf(sqlerr.FeatureNotSupported, "COPY into type %s is not supported", t)
	}
	if err != nil {
		e := sqlerr.As(err)
		return l.wrap(e, c.Name, f)
	}
	return nil
}

// appendNull appends a NULL field, which a NOT NULL column refuses.
func (l *copyLoader) appendNull(v *vec.Vector, c catalog.Column) error {
	if c.NotNull {
		return l.errorf(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, l.table.Name)
	}
	v.AppendNull()
	return nil
}

func (l *copyLoader) errorf(code, format string, args ...any) error {
	e := sqlerr.Errorf(code, format, args...)
	e.Detail = l.context(l.column)
	return e
}

// context names the place in the data an error is about, like
// PostgreSQL's CONTEXT line of COPY errors.
func (l *copyLoader) context(col string) string {
	if col != "" {
		return fmt.Sprintf("COPY %s, line %d, column %s", l.table.Name, l.line, col)
	}
	return fmt.Sprintf("COPY %s, line %d", l.table.Name, l.line)
}

func (l *copyLoader) wrap(e *sqlerr.Error, col string, f []byte) error {
	c := *e
	c.Detail = fmt.Sprintf("COPY %s, line %d, column %s: %q", l.table.Name, l.line, col, truncate(f, 64))
	return &c
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
