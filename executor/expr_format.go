package executor

import (
	"strings"
	"unicode/utf8"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// format(formatstr, args…) as PostgreSQL's text_format: %s is an
// argument's text (its type's output, '' for NULL), %I a quoted
// identifier, %L a quoted literal (NULL unquoted), %% a percent sign;
// each may name its argument (%2$s) and give a width (%-10s, %*s, %*1$s)
// that pads it with spaces, on the left unless the flag - or a negative
// width puts them on the right. Arguments are used in order from the last
// one named.

const codeInvalidParameterValue = "22023"

func newFormat(e *plan.Expr) (node, error) {
	return newRowFunc(e, false, true, func(ds []plan.Datum) (plan.Datum, error) {
		if ds[0].Null {
			return plan.Datum{Null: true}, nil
		}
		vals := make([]*string, len(ds)-1)
		for i, d := range ds[1:] {
			if !d.Null {
				s := string(pgtype.AppendDatumText(nil, e.Args[i+1].Type, d))
				vals[i] = &s
			}
		}
		s, err := formatText(ds[0].S, vals)
		return plan.Datum{S: s}, err
	})
}

// formatText formats f with args (nil for NULL).
func formatText(f string, args []*string) (string, error) {
	var out strings.Builder
	next := 0 // the argument a specifier without a position takes
	arg := func(pos int) (*string, error) {
		if pos >= len(args) {
			return nil, sqlerr.New(codeInvalidParameterValue, "too few arguments for format()")
		}
		next = pos + 1
		return args[pos], nil
	}
	unterminated := sqlerr.New(codeInvalidParameterValue, "unterminated format() type specifier")
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			out.WriteByte(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return "", unterminated
		}
		if f[i] == '%' {
			out.WriteByte('%')
			continue
		}
		// [argpos$][-][width | * | *argpos$]type
		num := func() (n int, ok bool) {
			j := i
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				n = n*10 + int(f[i]-'0')
				i++
			}
			return n, i > j
		}
		pos := -1
		start := i
		if n, ok := num(); ok {
			if i < len(f) && f[i] == '$' {
				if n == 0 {
					return "", sqlerr.New(codeInvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
				}
				pos = n - 1
				i++
			} else {
				i = start // a width, read again below
			}
		}
		left := false
		for i < len(f) && f[i] == '-' {
			left = true
			i++
		}
		width := 0
		if i < len(f) && f[i] == '*' {
			i++
			wpos := next
			if n, ok := num(); ok {
				if i >= len(f) || f[i] != '$' {
					return "", unterminated
				}
				wpos = n - 1
				i++
			}
			w, err := arg(wpos)
			if err != nil {
				return "", err
			}
			if w != nil {
				n, err := pgtype.ParseInt([]byte(*w), catalog.Int4)
				if err != nil {
					return "", err
				}
				width = int(n)
			}
		} else if n, ok := num(); ok {
			width = n
		}
		if width < 0 {
			left, width = true, -width
		}
		if i >= len(f) {
			return "", unterminated
		}
		typ := f[i]
		if typ != 's' && typ != 'I' && typ != 'L' {
			return "", sqlerr.Errorf(codeInvalidParameterValue, "unrecognized format() type specifier \"%c\"", typ)
		}
		if pos < 0 {
			pos = next
		}
		v, err := arg(pos)
		if err != nil {
			return "", err
		}
		var s string
		switch {
		case typ == 's' && v != nil:
			s = *v
		case typ == 'I' && v == nil:
			return "", sqlerr.New("22004", "null values cannot be formatted as an SQL identifier")
		case typ == 'I':
			s = pgcat.QuoteIdent(*v)
		case typ == 'L' && v == nil:
			s = "NULL"
		case typ == 'L':
			s = quoteLiteral(*v)
		}
		pad := strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
		if left {
			out.WriteString(s + pad)
		} else {
			out.WriteString(pad + s)
		}
	}
	return out.String(), nil
}

// quoteLiteral is PostgreSQL's quote_literal: single quotes doubled, and
// an E” string with backslashes doubled when there are any.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}
