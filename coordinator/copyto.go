package coordinator

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/vec"
)

// copyTo runs COPY … TO STDOUT: it streams the query's batches to the
// client, each encoded column by column and then assembled into rows
// (copyEncoder), one CopyData message per row as PostgreSQL sends them.
func (s *session) copyTo(ctx context.Context, ct *planner.CopyTo, w pgwire.ResultWriter) (int64, error) {
	names := make([]string, len(ct.Query.Columns))
	for i, c := range ct.Query.Columns {
		names[i] = c.Name
	}
	enc := newCopyEncoder(ct.CopyOptions, ct.ForceQuote, s.Output())
	var format int16
	if ct.Format == planner.CopyBinary {
		format = 1
	}
	var sink pgwire.CopySink
	start := func() error {
		var err error
		if sink, err = w.CopyOut(format, len(names)); err != nil {
			return err
		}
		if ct.Header {
			return sink.WriteRows(enc.header(names))
		}
		return nil
	}
	rows, err := s.eachBatch(ctx, ct.Query.Plan, start, func(b *vec.Batch) error {
		return sink.WriteRows(enc.encode(b))
	})
	if err != nil {
		return rows, err
	}
	if ct.Format == planner.CopyBinary {
		if err := sink.WriteRows(enc.trailer()); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// copyBinarySignature starts a binary COPY file, followed by the flags
// and header extension length words (both 0).
const copyBinarySignature = "PGCOPY\n\xff\r\n\x00"

// copyEncoder encodes batches in COPY TO's formats, byte for byte as
// PostgreSQL 15's copyto.c does (CopyAttributeOutText, CopyAttributeOutCSV,
// the binary tuple format). Each column of a batch is first encoded whole
// (pgtype.Values), then rows are assembled from the columns' values with
// escaping or quoting.
type copyEncoder struct {
	opts       planner.CopyOptions
	forceQuote []bool
	output     pgtype.Output
	// special marks the bytes that make a text field need escaping or a
	// CSV field need quoting.
	special [256]bool
	// binaryHeader is set until the binary signature has been written.
	binaryHeader bool

	values pgtype.Values
	out    []byte
	rows   []int
}

func newCopyEncoder(opts planner.CopyOptions, forceQuote []bool, out pgtype.Output) *copyEncoder {
	e := &copyEncoder{opts: opts, forceQuote: forceQuote, output: out, binaryHeader: opts.Format == planner.CopyBinary}
	switch opts.Format {
	case planner.CopyText:
		for c := 0; c < 0x20; c++ {
			e.special[c] = true
		}
		e.special['\\'] = true
		e.special[opts.Delimiter] = true
	case planner.CopyCSV:
		for _, c := range []byte{opts.Delimiter, opts.Quote, '\n', '\r'} {
			e.special[c] = true
		}
	}
	return e
}

// header returns the HEADER line (text or CSV) as one row.
func (e *copyEncoder) header(names []string) ([]byte, []int) {
	e.out, e.rows = e.out[:0], e.rows[:0]
	for j, name := range names {
		if j > 0 {
			e.out = append(e.out, e.opts.Delimiter)
		}
		if e.opts.Format == planner.CopyCSV {
			e.out = e.appendCSV(e.out, []byte(name), false, len(names) == 1)
		} else {
			e.out = e.appendText(e.out, []byte(name))
		}
	}
	e.out = append(e.out, '\n')
	e.rows = append(e.rows, len(e.out))
	return e.out, e.rows
}

// trailer returns the binary format's end marker as one message.
func (e *copyEncoder) trailer() ([]byte, []int) {
	e.out, e.rows = e.out[:0], e.rows[:0]
	if e.binaryHeader {
		e.out = e.appendBinaryHeader(e.out)
	}
	e.out = append(e.out, 0xff, 0xff)
	e.rows = append(e.rows, len(e.out))
	return e.out, e.rows
}

func (e *copyEncoder) appendBinaryHeader(dst []byte) []byte {
	e.binaryHeader = false
	dst = append(dst, copyBinarySignature...)
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
}

// encode returns the batch's rows, each ending at the next offset in ends.
// The result is valid until the next call.
func (e *copyEncoder) encode(b *vec.Batch) (data []byte, ends []int) {
	ncol := len(b.Cols)
	binaryFormat := e.opts.Format == planner.CopyBinary
	e.values.Encode(b, func(int) bool { return binaryFormat }, e.output)
	e.out, e.rows = e.out[:0], e.rows[:0]
	out := e.out
	single := ncol == 1
	for i := 0; i < b.N; i++ {
		switch e.opts.Format {
		case planner.CopyBinary:
			if e.binaryHeader {
				out = e.appendBinaryHeader(out)
			}
			out = binary.BigEndian.AppendUint16(out, uint16(ncol))
			for j, v := range b.Cols {
				if v.IsNull(i) {
					out = append(out, 0xff, 0xff, 0xff, 0xff)
				} else {
					f := e.values.Value(j, i)
					out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
					out = append(out, f...)
				}
			}
		default:
			csv := e.opts.Format == planner.CopyCSV
			for j, v := range b.Cols {
				if j > 0 {
					out = append(out, e.opts.Delimiter)
				}
				switch {
				case v.IsNull(i):
					out = append(out, e.opts.Null...)
				case csv:
					out = e.appendCSV(out, e.values.Value(j, i), e.forceQuote != nil && e.forceQuote[j], single)
				default:
					out = e.appendText(out, e.values.Value(j, i))
				}
			}
			out = append(out, '\n')
		}
		e.rows = append(e.rows, len(out))
	}
	e.out = out
	return e.out, e.rows
}

// appendText appends a field in text format (CopyAttributeOutText):
// control characters as \b \f \n \r \t \v (others raw, unless the
// delimiter), and a backslash before backslashes and the delimiter.
func (e *copyEncoder) appendText(dst, f []byte) []byte {
	start := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !e.special[c] {
			continue
		}
		if c < 0x20 {
			var esc byte
			switch c {
			case '\b':
				esc = 'b'
			case '\f':
				esc = 'f'
			case '\n':
				esc = 'n'
			case '\r':
				esc = 'r'
			case '\t':
				esc = 't'
			case '\v':
				esc = 'v'
			default:
				if c != e.opts.Delimiter {
					continue
				}
			}
			if esc != 0 {
				dst = append(dst, f[start:i]...)
				dst = append(dst, '\\', esc)
				start = i + 1
				continue
			}
		}
		dst = append(dst, f[start:i]...)
		dst = append(dst, '\\')
		start = i // the byte itself follows the backslash
	}
	return append(dst, f[start:]...)
}

// appendCSV appends a field in CSV format (CopyAttributeOutCSV): quoted
// when forced, when it equals the NULL string, when it holds the
// delimiter, the quote or a line break, or when it is a lone `\.` in a
// one-column row; inside quotes the quote and escape characters are
// preceded by the escape character.
func (e *copyEncoder) appendCSV(dst, f []byte, quote, single bool) []byte {
	if !quote && string(f) == e.opts.Null {
		quote = true
	}
	if !quote {
		if single && string(f) == `\.` {
			quote = true
		} else {
			for _, c := range f {
				if e.special[c] {
					quote = true
					break
				}
			}
		}
	}
	if !quote {
		return append(dst, f...)
	}
	q, esc := e.opts.Quote, e.opts.Escape
	dst = append(dst, q)
	start := 0
	for i, c := range f {
		if c == q || c == esc {
			dst = append(dst, f[start:i]...)
			dst = append(dst, esc)
			start = i
		}
	}
	dst = append(dst, f[start:]...)
	return append(dst, q)
}

// Output implements pgwire.OutputSettings: the session's settings for
// text output.
func (s *session) Output() pgtype.Output {
	efd := 1
	if v, ok := s.vars["extra_float_digits"]; ok {
		fmt.Sscan(v, &efd)
	}
	o := pgtype.OutputFor(efd)
	o.DateTime = s.dateTime()
	return o
}

// dateTime returns the session's TimeZone and DateStyle settings.
func (s *session) dateTime() pgtype.DateTime {
	tz, _ := s.setting("timezone")
	ds, _ := s.setting("datestyle")
	return pgtype.DateTimeOf(tz, ds)
}
