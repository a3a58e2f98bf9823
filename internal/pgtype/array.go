package pgtype

import (
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Arrays. Cirrus holds an array value (catalog.Array, and the
// int2vector/oidvector types of the system catalogs) as its PostgreSQL text
// form: one-dimensional, lower bound 1, elements in their own text output,
// quoted where array_out quotes them ({a,"b c",NULL}); int2vector and
// oidvector print space-separated ("1 2"). The text is canonical, so two
// equal arrays of one type are equal strings.

// ArrayElem is one element of an array value.
type ArrayElem struct {
	S    string
	Null bool
}

// ParseArray splits an array's text form into its elements (array_in for
// one dimension). A vector type's space-separated form is read too.
func ParseArray(t catalog.Type, s string) ([]ArrayElem, error) {
	if t.Kind == catalog.Int2Vector || t.Kind == catalog.OidVector {
		var out []ArrayElem
		for _, f := range strings.Fields(s) {
			out = append(out, ArrayElem{S: f})
		}
		return out, nil
	}
	bad := func(detail string) error {
		return sqlerr.Errorf(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s).WithDetail(detail)
	}
	str := strings.TrimSpace(s)
	if strings.HasPrefix(str, "[") {
		// Explicit bounds ([1:2]={...}): accepted when they start at 1.
		eq := strings.IndexByte(str, '=')
		if eq < 0 {
			return nil, bad(`Missing "=" after array dimensions.`)
		}
		str = strings.TrimSpace(str[eq+1:])
	}
	if len(str) < 2 || str[0] != '{' || str[len(str)-1] != '}' {
		return nil, bad(`Array value must start with "{" or dimension information.`)
	}
	body := str[1 : len(str)-1]
	if strings.TrimSpace(body) == "" {
		return []ArrayElem{}, nil
	}
	var out []ArrayElem
	i := 0
	for {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i < len(body) && body[i] == '{' {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
			}
			if i >= len(body) {
				return nil, bad("Unexpected end of input.")
			}
			i++
			for i < len(body) && body[i] == ' ' {
				i++
			}
		} else {
			for ; i < len(body) && body[i] != ','; i++ {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				} else if body[i] == '"' || body[i] == '{' || body[i] == '}' {
					return nil, bad("Unexpected array element.")
				}
				b.WriteByte(body[i])
			}
		}
		e := b.String()
		if !quoted {
			e = strings.TrimRight(e, " ")
		}
		out = append(out, ArrayElem{S: e, Null: !quoted && strings.EqualFold(e, "NULL")})
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, bad("Unexpected array element.")
		}
		i++
	}
}

// FormatArray is array_out: the canonical text form of elements (each in
// its type's text output) of an array of type t.
func FormatArray(t catalog.Type, elems []ArrayElem) string {
	var b strings.Builder
	if t.Kind == catalog.Int2Vector || t.Kind == catalog.OidVector {
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(e.S)
		}
		return b.String()
	}
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case e.Null:
			b.WriteString("NULL")
		case needsQuotes(e.S):
			b.WriteByte('"')
			for j := 0; j < len(e.S); j++ {
				if c := e.S[j]; c == '"' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(e.S[j])
			}
			b.WriteByte('"')
		default:
			b.WriteString(e.S)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// needsQuotes reports whether array_out quotes an element.
func needsQuotes(s string) bool {
	if s == "" || strings.EqualFold(s, "NULL") {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}

// NormalizeArray is the input function of an array type: it parses s,
// checks every element with the element type's input function and returns
// the canonical text form.
func NormalizeArray(t catalog.Type, s []byte) (string, error) {
	elems, err := ParseArray(t, string(s))
	if err != nil {
		return "", err
	}
	et := t.ElemType()
	if et.Kind != catalog.Unknown {
		for i, e := range elems {
			if e.Null {
				continue
			}
			d, err := ParseText(et, []byte(e.S))
			if err != nil {
				return "", err
			}
			elems[i].S = string(AppendDatumText(nil, et, d))
		}
	}
	return FormatArray(t, elems), nil
}

// ArrayDatum builds an array constant of type t from element datums of t's
// element type.
func ArrayDatum(t catalog.Type, elems []plan.Datum) plan.Datum {
	es := make([]ArrayElem, len(elems))
	et := t.ElemType()
	for i, d := range elems {
		if d.Null {
			es[i].Null = true
			continue
		}
		es[i].S = string(AppendDatumText(nil, et, d))
	}
	return plan.Datum{S: FormatArray(t, es)}
}
