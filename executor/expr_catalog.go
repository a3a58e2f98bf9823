package executor

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Functions of the system catalogs and of the types they use (arrays,
// regular expressions). Catalog queries read few rows, so these run a row
// at a time over datums (rowFunc); what depends on the catalog reaches the
// executor as data (plan.Lookup). Ops:
//
//	regex regex_ci notregex notregex_ci  text ~ pattern (PostgreSQL's ~,
//	                 ~*, !~, !~*; Args[1] the pattern)
//	format_type      format_type(type oid, typmod)
//	pg_size_pretty   pg_size_pretty(bigint)
//	quote_ident      quote_ident(text)
//	array_to_string  array_to_string(array, sep [, null string])
//	array_length array_upper array_lower cardinality
//	array_subscript  array[int] (1-based; int2vector and oidvector 0-based)
//	bitand bitor bitxor shl shr  integer & | # << >> (shifts wrap within
//	                 the type's width, as C's shifts of the type do)
//	array_cat        array || array
//	array_position   array_position(array, elem): the first element not
//	                 distinct from elem (by its text form), 1-based
//	any:<op> all:<op>  x <op> ANY/ALL (array)
//	array_elem array_wrap  array_agg's parts: an element's text, the braces
//	array_make       ARRAY[a, b, …]
//	reg_out          a reg* result column: Args[0] the OIDs, Args[1] their
//	                 output text (regOutput in the planner)
//	name_lookup qualified_name_lookup  an object named by a computed text
//	                 (Args[0]): its value in Names; the qualified form reads
//	                 the text as a possibly qualified, quoted name, as
//	                 regclassin does (Args[3]: the current database, which
//	                 may qualify it). A name Names lacks is error Args[1]
//	                 (a SQLSTATE): "<Args[2]> \"name\" does not exist".
//	row              ROW(a, b, …): a record of the arguments
//	record_field     (record).field: Args[0] the record, Args[1] the
//	                 field's position (a constant), of type Type

// rowFunc is a strict or non-strict function of datums evaluated a row at
// a time.
type rowFunc struct {
	nodeMeta
	args   []node
	vs     []*vec.Vector
	ds     []plan.Datum
	strict bool
	fn     func(ds []plan.Datum) (plan.Datum, error)
	out    *vec.Vector
}

func (n *rowFunc) eval(b *vec.Batch) (*vec.Vector, error) {
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	if n.out == nil {
		n.out = vec.NewVector(n.typ, b.N)
	}
	n.out.Reset()
	for i := 0; i < b.N; i++ {
		null := false
		for j, v := range n.vs {
			n.ds[j] = datumOf(v, i)
			null = null || n.ds[j].Null
		}
		if null && n.strict {
			n.out.AppendNull()
			continue
		}
		d, err := n.fn(n.ds)
		if err != nil {
			return nil, err
		}
		appendDatum(n.out, d)
	}
	return n.out, nil
}

func newRowFunc(e *plan.Expr, strict, canErr bool, fn func(ds []plan.Datum) (plan.Datum, error)) (node, error) {
	args, err := compileAll(e.Args)
	if err != nil {
		return nil, err
	}
	return &rowFunc{
		nodeMeta: metaOf(e.Type, canErr, args...), args: args, vs: make([]*vec.Vector, len(args)),
		ds: make([]plan.Datum, len(args)), strict: strict, fn: fn,
	}, nil
}

// newLookup compiles a plan.Lookup.
func newLookup(e *plan.Expr) (node, error) {
	if len(e.Args) < 1 || len(e.Args) > 2 {
		return nil, sqlerr.New(sqlerr.Internal, "executor: lookup takes a key and an optional default")
	}
	return newRowFunc(e, false, false, func(ds []plan.Datum) (plan.Datum, error) {
		if !ds[0].Null {
			if d, ok := e.Map[ds[0].I]; ok {
				return d, nil
			}
		}
		if len(ds) == 2 {
			return ds[1], nil
		}
		return plan.Datum{Null: true}, nil
	})
}

// newNameLookup compiles name_lookup and qualified_name_lookup.
func newNameLookup(e *plan.Expr) (node, error) {
	qualified := e.Op == "qualified_name_lookup"
	if len(e.Args) != 3+btoi(qualified) || slices.ContainsFunc(e.Args[1:], func(a *plan.Expr) bool { return a.Kind != plan.Const }) {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: %s takes a name, a SQLSTATE, an object kind (and the database)", e.Op)
	}
	code, kind := e.Args[1].Value.S, e.Args[2].Value.S
	return newRowFunc(e, true, true, func(ds []plan.Datum) (plan.Datum, error) {
		key := ds[0].S
		if qualified {
			parts, err := pgcat.RelationNameParts(key, e.Args[3].Value.S)
			if err != nil {
				return plan.Datum{}, err
			}
			key = strings.Join(parts, ".")
		}
		if d, ok := e.Names[key]; ok {
			return d, nil
		}
		return plan.Datum{}, sqlerr.Errorf(code, "%s \"%s\" does not exist", kind, ds[0].S)
	})
}

// compileCatalogFunc compiles the ops of this file; ok is false for others.
func compileCatalogFunc(e *plan.Expr) (n node, ok bool, err error) {
	switch {
	case e.Op == "regex" || e.Op == "regex_ci" || e.Op == "notregex" || e.Op == "notregex_ci":
		n, err = newRegex(e)
	case e.Op == "format_type":
		n, err = newRowFunc(e, false, false, func(ds []plan.Datum) (plan.Datum, error) {
			if ds[0].Null {
				return plan.Datum{Null: true}, nil
			}
			mod := int64(-1)
			if !ds[1].Null {
				mod = ds[1].I
			}
			return plan.Datum{S: FormatType(catalog.OID(ds[0].I), int32(mod), ds[1].Null)}, nil
		})
	case e.Op == "pg_size_pretty":
		n, err = newRowFunc(e, true, false, func(ds []plan.Datum) (plan.Datum, error) {
			return plan.Datum{S: SizePretty(ds[0].I)}, nil
		})
	case e.Op == "quote_ident":
		n, err = newRowFunc(e, true, false, func(ds []plan.Datum) (plan.Datum, error) {
			return plan.Datum{S: pgcat.QuoteIdent(ds[0].S)}, nil
		})
	case e.Op == "array_to_string":
		at := e.Args[0].Type
		n, err = newRowFunc(e, false, true, func(ds []plan.Datum) (plan.Datum, error) {
			if ds[0].Null || ds[1].Null {
				return plan.Datum{Null: true}, nil
			}
			elems, err := pgtype.ParseArray(at, ds[0].S)
			if err != nil {
				return plan.Datum{}, err
			}
			var parts []string
			for _, el := range elems {
				switch {
				case !el.Null:
					parts = append(parts, el.S)
				case len(ds) > 2 && !ds[2].Null:
					parts = append(parts, ds[2].S)
				}
			}
			return plan.Datum{S: strings.Join(parts, ds[1].S)}, nil
		})
	case e.Op == "array_length" || e.Op == "array_upper" || e.Op == "array_lower" || e.Op == "cardinality":
		at := e.Args[0].Type
		n, err = newRowFunc(e, true, true, func(ds []plan.Datum) (plan.Datum, error) {
			elems, err := pgtype.ParseArray(at, ds[0].S)
			if err != nil {
				return plan.Datum{}, err
			}
			if e.Op == "cardinality" {
				return plan.Datum{I: int64(len(elems))}, nil
			}
			if len(elems) == 0 || ds[1].I != 1 {
				return plan.Datum{Null: true}, nil
			}
			lower := int64(1)
			if at.Kind != catalog.Array {
				lower = 0
			}
			switch e.Op {
			case "array_lower":
				return plan.Datum{I: lower}, nil
			case "array_upper":
				return plan.Datum{I: lower + int64(len(elems)) - 1}, nil
			}
			return plan.Datum{I: int64(len(elems))}, nil
		})
	case e.Op == "array_subscript":
		at := e.Args[0].Type
		n, err = newRowFunc(e, true, true, func(ds []plan.Datum) (plan.Datum, error) {
			elems, err := pgtype.ParseArray(at, ds[0].S)
			if err != nil {
				return plan.Datum{}, err
			}
			i := ds[1].I - 1
			if at.Kind != catalog.Array {
				i = ds[1].I
			}
			if i < 0 || i >= int64(len(elems)) || elems[i].Null {
				return plan.Datum{Null: true}, nil
			}
			return pgtype.ParseText(e.Type, []byte(elems[i].S))
		})
	case e.Op == "bitand" || e.Op == "bitor" || e.Op == "bitxor" || e.Op == "shl" || e.Op == "shr":
		bits := uint(8 * e.Type.Size())
		n, err = newRowFunc(e, true, false, func(ds []plan.Datum) (plan.Datum, error) {
			a, b := ds[0].I, ds[1].I
			var v int64
			switch e.Op {
			case "bitand":
				v = a & b
			case "bitor":
				v = a | b
			case "bitxor":
				v = a ^ b
			case "shl":
				v = a << (uint(b) % bits)
			case "shr":
				v = a >> (uint(b) % bits)
			}
			// Back to the type's width, sign-extended.
			return plan.Datum{I: v << (64 - bits) >> (64 - bits)}, nil
		})
	case e.Op == "array_position":
		at, et := e.Args[0].Type, e.Args[1].Type
		n, err = newRowFunc(e, false, true, func(ds []plan.Datum) (plan.Datum, error) {
			if ds[0].Null {
				return plan.Datum{Null: true}, nil
			}
			elems, err := pgtype.ParseArray(at, ds[0].S)
			if err != nil {
				return plan.Datum{}, err
			}
			want := string(pgtype.AppendDatumText(nil, et, ds[1]))
			for i, el := range elems {
				if el.Null == ds[1].Null && (el.Null || el.S == want) {
					return plan.Datum{I: int64(i + 1)}, nil
				}
			}
			return plan.Datum{Null: true}, nil
		})
	case e.Op == "array_cat":
		at := e.Type
		n, err = newRowFunc(e, false, true, func(ds []plan.Datum) (plan.Datum, error) {
			if ds[0].Null {
				return ds[1], nil
			}
			if ds[1].Null {
				return ds[0], nil
			}
			a, err := pgtype.ParseArray(at, ds[0].S)
			if err != nil {
				return plan.Datum{}, err
			}
			b, err := pgtype.ParseArray(at, ds[1].S)
			if err != nil {
				return plan.Datum{}, err
			}
			return plan.Datum{S: pgtype.FormatArray(at, append(a, b...))}, nil
		})
	case e.Op == "array_elem":
		// An array element's text: array_out's quoting, NULL as NULL.
		et := e.Args[0].Type
		n, err = newRowFunc(e, false, false, func(ds []plan.Datum) (plan.Datum, error) {
			s := pgtype.FormatArray(catalog.ArrayOf(et.Kind), []pgtype.ArrayElem{{S: string(pgtype.AppendDatumText(nil, et, ds[0])), Null: ds[0].Null}})
			return plan.Datum{S: s[1 : len(s)-1]}, nil
		})
	case e.Op == "array_make":
		// Each element in its own type's text (a numeric's scale is the
		// element's, not the array type's).
		at := e.Type
		n, err = newRowFunc(e, false, false, func(ds []plan.Datum) (plan.Datum, error) {
			elems := make([]pgtype.ArrayElem, len(ds))
			for i, d := range ds {
				elems[i] = pgtype.ArrayElem{S: string(pgtype.AppendDatumText(nil, e.Args[i].Type, d)), Null: d.Null}
			}
			return plan.Datum{S: pgtype.FormatArray(at, elems)}, nil
		})
	case e.Op == "array_wrap":
		n, err = newRowFunc(e, true, false, func(ds []plan.Datum) (plan.Datum, error) {
			return plan.Datum{S: "{" + ds[0].S + "}"}, nil
		})
	case strings.HasPrefix(e.Op, "any:") || strings.HasPrefix(e.Op, "all:"):
		n, err = newQuantifiedArray(e)
	case e.Op == "name_lookup" || e.Op == "qualified_name_lookup":
		n, err = newNameLookup(e)
	case e.Op == "row":
		n, err = newRowFunc(e, false, false, func(ds []plan.Datum) (plan.Datum, error) {
			ts := make([]catalog.Type, len(e.Args))
			for i, a := range e.Args {
				ts[i] = a.Type
			}
			return plan.Datum{S: string(pgtype.AppendRecord(nil, ts, ds))}, nil
		})
	case e.Op == "record_field":
		if len(e.Args) != 2 || e.Args[1].Kind != plan.Const {
			return nil, true, sqlerr.New(sqlerr.Internal, "executor: record_field takes a record and a constant position")
		}
		i := int(e.Args[1].Value.I)
		n, err = newRowFunc(e, true, true, func(ds []plan.Datum) (plan.Datum, error) {
			return pgtype.RecordField([]byte(ds[0].S), i, e.Type)
		})
	case e.Op == "reg_out":
		var args []node
		if args, err = compileAll(e.Args); err == nil {
			n = &regOut{nodeMeta: metaOf(e.Type, false, args...), oids: args[0], text: args[1]}
		}
	default:
		return nil, false, nil
	}
	return n, true, err
}

// regOut gives a reg* column of a statement's result both forms a client
// may ask for: the OIDs (I64, sent in binary, as regclasssend and the
// others send them) and their names (Data and Offsets, sent as text, as
// regclassout prints them). pgtype's encoders read the one they need.
type regOut struct {
	nodeMeta
	oids, text node
}

func (n *regOut) eval(b *vec.Batch) (*vec.Vector, error) {
	o, err := n.oids.eval(b)
	if err != nil {
		return nil, err
	}
	t, err := n.text.eval(b)
	if err != nil {
		return nil, err
	}
	return &vec.Vector{Type: n.typ, I64: o.I64, Nulls: o.Nulls, Offsets: t.Offsets, Data: t.Data}, nil
}

// newQuantifiedArray compiles x op ANY/ALL (array): Args[0] is x, of the
// array's element type; the result is three-valued as in PostgreSQL.
func newQuantifiedArray(e *plan.Expr) (node, error) {
	all := strings.HasPrefix(e.Op, "all:")
	op := parseCmpOp(e.Op[4:])
	at := e.Args[1].Type
	et := e.Args[0].Type
	return newRowFunc(e, false, true, func(ds []plan.Datum) (plan.Datum, error) {
		if ds[1].Null {
			return plan.Datum{Null: true}, nil
		}
		elems, err := pgtype.ParseArray(at, ds[1].S)
		if err != nil {
			return plan.Datum{}, err
		}
		sawNull := false
		for _, el := range elems {
			if el.Null || ds[0].Null {
				sawNull = true
				continue
			}
			d, err := pgtype.ParseText(et, []byte(el.S))
			if err != nil {
				return plan.Datum{}, err
			}
			r := op.holds(compareDatums(et, ds[0], d))
			if r != all {
				return plan.Datum{B: r}, nil
			}
		}
		if sawNull {
			return plan.Datum{Null: true}, nil
		}
		return plan.Datum{B: all}, nil
	})
}

// holds reports whether a comparison result c (-1, 0, 1) satisfies op.
func (op cmpOp) holds(c int) bool { return truth[op][c+1] }

// compareDatums orders two non-NULL datums of type t.
func compareDatums(t catalog.Type, a, b plan.Datum) int {
	switch physOf(t) {
	case pF64:
		return floatCmp(a.F, b.F)
	case pBool:
		return boolCmp(a.B, b.B)
	case pStr:
		if t.Kind == catalog.Bpchar {
			return strings.Compare(strings.TrimRight(a.S, " "), strings.TrimRight(b.S, " "))
		}
		return strings.Compare(a.S, b.S)
	}
	switch {
	case a.I < b.I:
		return -1
	case a.I > b.I:
		return 1
	}
	return 0
}

// newRegex compiles text ~ pattern. PostgreSQL's regular expressions
// (Spencer's ARE) and Go's RE2 agree on what catalog clients send
// (anchors, groups, alternation, classes, quantifiers); back references
// and lookaround, which RE2 lacks, are 2201B errors.
func newRegex(e *plan.Expr) (node, error) {
	ci := strings.HasSuffix(e.Op, "_ci")
	not := strings.HasPrefix(e.Op, "not")
	return newRowFunc(e, true, true, func(ds []plan.Datum) (plan.Datum, error) {
		re, err := compileRegex(ds[1].S, ci)
		if err != nil {
			return plan.Datum{}, err
		}
		return plan.Datum{B: re.MatchString(ds[0].S) != not}, nil
	})
}

// regexCache keeps compiled patterns: catalog queries use a few over and
// over.
var regexCache sync.Map

type regexKey struct {
	pattern string
	ci      bool
}

func compileRegex(pattern string, ci bool) (*regexp.Regexp, error) {
	k := regexKey{pattern, ci}
	if re, ok := regexCache.Load(k); ok {
		return re.(*regexp.Regexp), nil
	}
	src := pattern
	if ci {
		src = "(?i)" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, sqlerr.Errorf("2201B", "invalid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	regexCache.Store(k, re)
	return re, nil
}

// FormatType is PostgreSQL's format_type(type, typmod): the SQL name of a
// built-in type with its modifier; noMod is format_type's NULL typmod,
// which prints the internal names of char(n) and the like.
func FormatType(o catalog.OID, typmod int32, noMod bool) string {
	if t, ok := kindTypes[o]; ok {
		switch t.Kind {
		case catalog.Numeric:
			if typmod >= 4 {
				t.Precision, t.Scale = (typmod-4)>>16&0xffff, ((typmod-4)&0x7ff^1024)-1024 // 11-bit signed scale
			}
		case catalog.Varchar:
			if typmod >= 4 {
				t.Length = typmod - 4
			}
		case catalog.Bpchar:
			// A NULL typmod prints the SQL name, -1 the internal one.
			switch {
			case typmod >= 4:
				t.Length = typmod - 4
			case noMod:
				return "character"
			}
		}
		return t.String()
	}
	pt, ok := pgcat.TypeByOID(o)
	switch {
	case !ok:
		return "???"
	case pt.Elem != 0 && pt.Len == -1 && strings.HasPrefix(pt.Name, "_"):
		return FormatType(pt.Elem, typmod, noMod) + "[]"
	}
	return pt.Name
}

// kindTypes are the types Cirrus computes with, by OID.
var kindTypes = func() map[catalog.OID]catalog.Type {
	m := map[catalog.OID]catalog.Type{}
	for k := catalog.Bool; k <= catalog.PgNodeTree; k++ {
		if k == catalog.Array {
			continue
		}
		t := catalog.Type{Kind: k}
		m[t.OID()] = t
	}
	return m
}()

// SizePretty is pg_size_pretty(bigint): bytes, kB, MB, GB, TB, PB, each
// unit used while the value stays under 10240 of it (rounded half up).
func SizePretty(size int64) string {
	const limit = 10 * 1024
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	if abs(size) < limit {
		return fmt.Sprintf("%d bytes", size)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB"}
	v := size
	for i, u := range units {
		// PostgreSQL halves with rounding: (v / 512 + 1) / 2.
		half := v / 512
		if half < 0 {
			half--
		}
		if i == len(units)-1 || abs(half) < limit*2 {
			return strconv.FormatInt(roundHalf(half), 10) + " " + u
		}
		v /= 1024
	}
	return ""
}

// roundHalf halves a value already divided by 512, rounding half away
// from zero, as pg_size_pretty's half_rounded.
func roundHalf(x int64) int64 {
	if x < 0 {
		return (x - 1) / 2
	}
	return (x + 1) / 2
}

// newArrayCast converts an array to another array type, element by
// element with the target element type's input function (int2vector to
// int2[], text[] to name[]).
func newArrayCast(arg *plan.Expr, to catalog.Type) (node, error) {
	from := arg.Type
	e := &plan.Expr{Kind: plan.Cast, Type: to, Args: []*plan.Expr{arg}}
	return newRowFunc(e, true, true, func(ds []plan.Datum) (plan.Datum, error) {
		elems, err := pgtype.ParseArray(from, ds[0].S)
		if err != nil {
			return plan.Datum{}, err
		}
		s, err := pgtype.NormalizeArray(to, []byte(pgtype.FormatArray(catalog.ArrayOf(catalog.Text), elems)))
		return plan.Datum{S: s}, err
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
