package executor

import (
	"bytes"
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

type cmpOp uint8

const (
	opEQ cmpOp = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

func parseCmpOp(s string) cmpOp {
	switch s {
	case "=":
		return opEQ
	case "<>", "!=":
		return opNE
	case "<":
		return opLT
	case "<=":
		return opLE
	case ">":
		return opGT
	}
	return opGE
}

// flip returns the operator with its operands swapped (a < b ⇔ b > a).
func (op cmpOp) flip() cmpOp {
	switch op {
	case opLT:
		return opGT
	case opLE:
		return opGE
	case opGT:
		return opLT
	case opGE:
		return opLE
	}
	return op
}

// truth maps a three-way comparison result (c+1) to the operator's value.
var truth = [6][3]bool{
	opEQ: {false, true, false},
	opNE: {true, false, true},
	opLT: {true, false, false},
	opLE: {true, true, false},
	opGT: {false, false, true},
	opGE: {false, true, true},
}

// unifyTypes casts two operands to one comparable type (the planner normally
// has done so; this covers numeric scales, int vs numeric, float vs exact,
// date vs timestamp and char(n) vs text).
func unifyTypes(a, b *plan.Expr) (*plan.Expr, *plan.Expr) {
	ta, tb := a.Type, b.Type
	if ta == tb {
		return a, b
	}
	switch {
	case ta.Kind == catalog.Unknown:
		return plan.CastOf(a, tb), b
	case tb.Kind == catalog.Unknown:
		return a, plan.CastOf(b, ta)
	case isFloat(ta) || isFloat(tb):
		if !isFloat(ta) {
			a = plan.CastOf(a, catalog.TypeFloat8)
		}
		if !isFloat(tb) {
			b = plan.CastOf(b, catalog.TypeFloat8)
		}
	case isDynamic(ta) || isDynamic(tb):
		if !isDynamic(ta) {
			a = plan.CastOf(a, catalog.TypeNumericDynamic)
		}
		if !isDynamic(tb) {
			b = plan.CastOf(b, catalog.TypeNumericDynamic)
		}
	case ta.Kind == catalog.Numeric || tb.Kind == catalog.Numeric:
		s := max(scaleOf(ta), scaleOf(tb))
		if ta.Kind != catalog.Numeric || ta.Scale != s {
			a = plan.CastOf(a, catalog.NumericType(0, s))
		}
		if tb.Kind != catalog.Numeric || tb.Scale != s {
			b = plan.CastOf(b, catalog.NumericType(0, s))
		}
	case ta.Kind == catalog.Date && tb.Kind == catalog.Timestamp:
		a = plan.CastOf(a, tb)
	case ta.Kind == catalog.Timestamp && tb.Kind == catalog.Date:
		b = plan.CastOf(b, ta)
	case ta.IsString() && tb.IsString():
		if (ta.Kind == catalog.Bpchar) != (tb.Kind == catalog.Bpchar) {
			if ta.Kind == catalog.Bpchar {
				a = plan.CastOf(a, catalog.TypeText)
			} else {
				b = plan.CastOf(b, catalog.TypeText)
			}
		}
	}
	return a, b
}

// cmpNode compares two values of one type.
type cmpNode struct {
	nodeMeta
	op     cmpOp
	p      phys
	bpchar bool
	dec    bool // dynamic-scale numerics: compare as numbers
	iv     bool // intervals: compare by span
	a, b   operand
	out    vecBuf
}

func newCompare(e *plan.Expr) (node, error) {
	a, b := unifyTypes(e.Args[0], e.Args[1])
	if physOf(a.Type) != physOf(b.Type) {
		return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", a.Type, e.Op, b.Type)
	}
	oa, ob, err := compileOperands(a, b)
	if err != nil {
		return nil, err
	}
	n := &cmpNode{op: parseCmpOp(e.Op), p: physOf(a.Type), a: oa, b: ob,
		bpchar: a.Type.Kind == catalog.Bpchar && b.Type.Kind == catalog.Bpchar,
		dec:    isDynamic(a.Type), iv: a.Type.Kind == catalog.Interval}
	n.nodeMeta = metaOf(catalog.TypeBool, false, oa.n, ob.n)
	n.out.init(catalog.TypeBool)
	return n, nil
}

func (n *cmpNode) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	av, bv, allNull, err := evalOperands(n.a, n.b, bt)
	if err != nil {
		return nil, err
	}
	if allNull {
		n.out.setAllNull(rows)
		return &n.out.Vector, nil
	}
	if av == nil && bv == nil { // two constants
		if av, err = n.a.n.eval(bt); err != nil {
			return nil, err
		}
	}
	r := n.out.bools(rows)
	n.out.unionNulls(nullsOf(av), nullsOf(bv), rows)
	op := n.op
	switch n.p {
	case pI64:
		switch {
		case av != nil && bv != nil:
			cmpVV(op, r, av.I64, bv.I64)
		case av != nil:
			cmpVC(op, r, av.I64, n.b.c.d.I)
		default:
			cmpVC(op.flip(), r, bv.I64, n.a.c.d.I)
		}
	case pF64:
		switch {
		case av != nil && bv != nil:
			cmpVV(op, r, av.F64, bv.F64)
			if hasNaN(av.F64[:rows]) || hasNaN(bv.F64[:rows]) {
				for i := range r {
					r[i] = truth[op][floatCmp(av.F64[i], bv.F64[i])+1]
				}
			}
		case av != nil:
			c := n.b.c.d.F
			cmpVC(op, r, av.F64, c)
			if math.IsNaN(c) || hasNaN(av.F64[:rows]) {
				for i := range r {
					r[i] = truth[op][floatCmp(av.F64[i], c)+1]
				}
			}
		default:
			c := n.a.c.d.F
			cmpVC(op.flip(), r, bv.F64, c)
			if math.IsNaN(c) || hasNaN(bv.F64[:rows]) {
				for i := range r {
					r[i] = truth[op][floatCmp(c, bv.F64[i])+1]
				}
			}
		}
	case pBool:
		for i := range r {
			var x, y bool
			if av != nil {
				x = av.Bool[i]
			} else {
				x = n.a.c.d.B
			}
			if bv != nil {
				y = bv.Bool[i]
			} else {
				y = n.b.c.d.B
			}
			r[i] = truth[op][boolCmp(x, y)+1]
		}
	case pStr:
		n.cmpStr(r, av, bv)
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

func (n *cmpNode) cmpStr(r []bool, av, bv *vec.Vector) {
	op := n.op
	var c []byte
	if av == nil {
		av, bv = bv, nil
		op = op.flip()
		c = n.a.c.bytes
	} else if bv == nil {
		c = n.b.c.bytes
	}
	t := truth[op]
	ao, ad := av.Offsets, av.Data
	if n.dec || n.iv {
		cmpb := cmpDecimal
		if n.iv {
			cmpb = cmpInterval
		}
		for i := range r {
			y := c
			if bv != nil {
				y = bv.Data[bv.Offsets[i]:bv.Offsets[i+1]]
			}
			r[i] = t[cmpb(ad[ao[i]:ao[i+1]], y)+1]
		}
		return
	}
	if bv == nil {
		if n.bpchar {
			c = trimSpaces(c)
		}
		switch {
		case n.bpchar && (op == opEQ || op == opNE):
			// Equal to the trimmed constant: it is a prefix and only
			// spaces follow (checked only when the prefix matches).
			want := op == opEQ
			k := len(c)
			for i := range r {
				x := ad[ao[i]:ao[i+1]]
				r[i] = (len(x) >= k && string(x[:k]) == string(c) && allSpaces(x[k:])) == want
			}
		case n.bpchar:
			for i := range r {
				r[i] = t[bytes.Compare(trimSpaces(ad[ao[i]:ao[i+1]]), c)+1]
			}
		case op == opEQ || op == opNE:
			want := op == opEQ
			for i := range r {
				x := ad[ao[i]:ao[i+1]]
				r[i] = (len(x) == len(c) && string(x) == string(c)) == want
			}
		default:
			for i := range r {
				r[i] = t[bytes.Compare(ad[ao[i]:ao[i+1]], c)+1]
			}
		}
		return
	}
	bo, bd := bv.Offsets, bv.Data
	switch {
	case n.bpchar:
		for i := range r {
			r[i] = t[bytes.Compare(trimSpaces(ad[ao[i]:ao[i+1]]), trimSpaces(bd[bo[i]:bo[i+1]]))+1]
		}
	case op == opEQ || op == opNE:
		want := op == opEQ
		for i := range r {
			x, y := ad[ao[i]:ao[i+1]], bd[bo[i]:bo[i+1]]
			r[i] = (len(x) == len(y) && string(x) == string(y)) == want
		}
	default:
		for i := range r {
			r[i] = t[bytes.Compare(ad[ao[i]:ao[i+1]], bd[bo[i]:bo[i+1]])+1]
		}
	}
}

func allSpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

// trimSpaces drops trailing spaces (char(n) semantics).
func trimSpaces(b []byte) []byte {
	i := len(b)
	for i > 0 && b[i-1] == ' ' {
		i--
	}
	return b[:i]
}

func hasNaN(x []float64) bool {
	nan := false
	for _, v := range x {
		nan = nan || v != v
	}
	return nan
}

// floatCmp orders floats as PostgreSQL does: NaN equals NaN and sorts above
// every other value.
func floatCmp(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	}
	return -1
}

func boolCmp(x, y bool) int {
	switch {
	case x == y:
		return 0
	case y:
		return -1
	}
	return 1
}

func cmpVV[T int64 | float64](op cmpOp, r []bool, a, b []T) {
	a, b = a[:len(r)], b[:len(r)]
	switch op {
	case opEQ:
		for i := range r {
			r[i] = a[i] == b[i]
		}
	case opNE:
		for i := range r {
			r[i] = a[i] != b[i]
		}
	case opLT:
		for i := range r {
			r[i] = a[i] < b[i]
		}
	case opLE:
		for i := range r {
			r[i] = a[i] <= b[i]
		}
	case opGT:
		for i := range r {
			r[i] = a[i] > b[i]
		}
	case opGE:
		for i := range r {
			r[i] = a[i] >= b[i]
		}
	}
}

func cmpVC[T int64 | float64](op cmpOp, r []bool, a []T, c T) {
	a = a[:len(r)]
	switch op {
	case opEQ:
		for i := range r {
			r[i] = a[i] == c
		}
	case opNE:
		for i := range r {
			r[i] = a[i] != c
		}
	case opLT:
		for i := range r {
			r[i] = a[i] < c
		}
	case opLE:
		for i := range r {
			r[i] = a[i] <= c
		}
	case opGT:
		for i := range r {
			r[i] = a[i] > c
		}
	case opGE:
		for i := range r {
			r[i] = a[i] >= c
		}
	}
}
