package executor

import (
	"bytes"
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// Pruner decides from column bounds (min/max and NULL counts of a file or a
// row group) that a scan's filter is true for none of its rows, so the rows
// need not be read. It understands conjunctions and disjunctions of
// comparisons between a column (possibly under exact, order-preserving
// casts: integer widening, integer or numeric to numeric of a larger scale,
// date to timestamp, string to string without a length) and a constant
// expression — which covers BETWEEN and IN lists — and IS [NOT] NULL, for
// integer, numeric, date, timestamp and string columns. Everything else
// may be true.
//
// Strings compare bytewise (C collation), as the executor does. CHAR
// comparisons ignore trailing spaces while the statistics hold padded
// values, so for CHAR only equality is used: trim(x) = c only when
// c ≤ x < c || '!' bytewise (what follows c in x is spaces, 0x20 < '!').
// A comparison with NULL, or over a column that is all NULL, is never true.
type Pruner struct {
	root pnode
	cols []int // table columns the pruner reads
}

type pkind uint8

const (
	pnMaybe pkind = iota // may be true
	pnNever              // never true
	pnAnd
	pnOr
	pnCmpInt
	pnCmpStr
	pnCharEq
	pnIsNull
	pnIsNotNull
)

type pnode struct {
	kind pkind
	kids []pnode
	col  int // table column
	op   cmpOp
	mul  int64 // the column's values are multiplied by mul before comparing
	ci   int64
	cb   []byte
	hi   []byte // pnCharEq: c || '!'
}

// NewPruner returns a pruner for the scan's filter, or nil when the filter
// cannot prune anything.
func NewPruner(sc *plan.Scan) *Pruner {
	if sc.Filter == nil {
		return nil
	}
	p := &Pruner{}
	p.root = p.analyze(sc, sc.Filter)
	if p.root.kind == pnMaybe {
		return nil
	}
	return p
}

// Columns returns the table columns whose bounds MayMatch asks for.
func (p *Pruner) Columns() []int { return p.cols }

// MayMatch reports whether the filter may be true for some row, given the
// bounds of table columns.
func (p *Pruner) MayMatch(bounds func(col int) storage.Bounds) bool {
	return p.root.may(bounds)
}

func (n *pnode) may(bounds func(col int) storage.Bounds) bool {
	switch n.kind {
	case pnNever:
		return false
	case pnAnd:
		for i := range n.kids {
			if !n.kids[i].may(bounds) {
				return false
			}
		}
		return true
	case pnOr:
		for i := range n.kids {
			if n.kids[i].may(bounds) {
				return true
			}
		}
		return false
	case pnIsNull:
		b := bounds(n.col)
		return b.Nulls != 0
	case pnIsNotNull:
		return !bounds(n.col).AllNull()
	case pnCmpInt, pnCmpStr, pnCharEq:
		b := bounds(n.col)
		if b.AllNull() {
			return false
		}
		if !b.HasMinMax {
			return true
		}
		switch n.kind {
		case pnCmpInt:
			lo, ok1 := mulBound(b.MinI, n.mul)
			hi, ok2 := mulBound(b.MaxI, n.mul)
			if !ok1 || !ok2 {
				return true
			}
			return mayCmp(n.op, cmp3(lo, n.ci), cmp3(hi, n.ci), lo == hi)
		case pnCmpStr:
			return mayCmp(n.op, bytes.Compare(b.MinB, n.cb), bytes.Compare(b.MaxB, n.cb), bytes.Equal(b.MinB, b.MaxB))
		case pnCharEq:
			return bytes.Compare(b.MaxB, n.cb) >= 0 && bytes.Compare(b.MinB, n.hi) < 0
		}
	}
	return true
}

func cmp3(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mayCmp reports whether x op c may hold for some x in [lo, hi], given
// lo vs c (cl), hi vs c (ch) and whether lo = hi.
func mayCmp(op cmpOp, cl, ch int, single bool) bool {
	switch op {
	case opEQ:
		return cl <= 0 && ch >= 0
	case opNE:
		return !(single && cl == 0)
	case opLT:
		return cl < 0
	case opLE:
		return cl <= 0
	case opGT:
		return ch > 0
	case opGE:
		return ch >= 0
	}
	return true
}

func mulBound(x, m int64) (int64, bool) {
	if m == 1 {
		return x, true
	}
	if x > math.MaxInt64/m || x < math.MinInt64/m {
		return 0, false
	}
	return x * m, true
}

func (p *Pruner) use(col int) {
	for _, c := range p.cols {
		if c == col {
			return
		}
	}
	p.cols = append(p.cols, col)
}

func (p *Pruner) analyze(sc *plan.Scan, e *plan.Expr) pnode {
	maybe := pnode{kind: pnMaybe}
	switch e.Kind {
	case plan.Const:
		if e.Type.Kind == catalog.Bool && (e.Value.Null || !e.Value.B) {
			return pnode{kind: pnNever}
		}
		if e.Type.Kind == catalog.Unknown && e.Value.Null {
			return pnode{kind: pnNever}
		}
		return maybe
	case plan.Call:
	default:
		return maybe
	}
	switch e.Op {
	case "and", "or":
		n := pnode{kind: pnAnd}
		if e.Op == "or" {
			n.kind = pnOr
		}
		for _, a := range e.Args {
			k := p.analyze(sc, a)
			switch {
			case n.kind == pnAnd && k.kind == pnNever:
				return k
			case n.kind == pnAnd && k.kind == pnMaybe:
				continue
			case n.kind == pnOr && k.kind == pnMaybe:
				return maybe
			case n.kind == pnOr && k.kind == pnNever:
				continue
			}
			n.kids = append(n.kids, k)
		}
		switch {
		case len(n.kids) == 0 && n.kind == pnAnd:
			return maybe
		case len(n.kids) == 0:
			return pnode{kind: pnNever}
		case len(n.kids) == 1:
			return n.kids[0]
		}
		return n
	case "isnull", "isnotnull":
		if len(e.Args) != 1 {
			return maybe
		}
		a := e.Args[0]
		for a.Kind == plan.Cast && len(a.Args) == 1 {
			a = a.Args[0] // casts keep NULLs NULL and values non-NULL
		}
		col, ok := p.tableCol(sc, a)
		if !ok {
			return maybe
		}
		p.use(col)
		if e.Op == "isnull" {
			return pnode{kind: pnIsNull, col: col}
		}
		return pnode{kind: pnIsNotNull, col: col}
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		if len(e.Args) != 2 {
			return maybe
		}
		return p.analyzeCmp(sc, e)
	}
	return maybe
}

// tableCol returns the table column a column reference reads.
func (p *Pruner) tableCol(sc *plan.Scan, e *plan.Expr) (int, bool) {
	if e.Kind != plan.ColumnRef || e.Col < 0 || e.Col >= len(sc.Cols) {
		return 0, false
	}
	c := sc.Cols[e.Col]
	if c < 0 || c >= len(sc.Table.Columns) {
		return 0, false
	}
	return c, true
}

func (p *Pruner) analyzeCmp(sc *plan.Scan, e *plan.Expr) pnode {
	maybe := pnode{kind: pnMaybe}
	a, b := unifyTypes(e.Args[0], e.Args[1])
	op := parseCmpOp(e.Op)
	if !hasColumnRef(a) && hasColumnRef(b) {
		a, b = b, a
		op = op.flip()
	}
	if hasColumnRef(b) || !hasColumnRef(a) {
		return maybe
	}
	t := a.Type
	if !sameRepr(t, b.Type) {
		return maybe
	}
	// Strip exact casts off the column side.
	mul := int64(1)
	col := a
	for col.Kind == plan.Cast && len(col.Args) == 1 {
		from, to := col.Args[0].Type, col.Type
		m, ok := exactCast(from, to)
		if !ok {
			return maybe
		}
		if mul > math.MaxInt64/m {
			return maybe
		}
		mul *= m
		col = col.Args[0]
	}
	ci, ok := p.tableCol(sc, col)
	if !ok {
		return maybe
	}
	ct := sc.Table.Columns[ci].Type
	if col.Type != ct && !(col.Type.Kind == ct.Kind && col.Type.Scale == ct.Scale) {
		return maybe
	}
	c, ok := foldConst(b)
	if !ok {
		return maybe
	}
	if c.null {
		return pnode{kind: pnNever}
	}
	switch {
	case t.IsInt64Backed() && ct.IsInt64Backed():
		p.use(ci)
		return pnode{kind: pnCmpInt, col: ci, op: op, mul: mul, ci: c.i}
	case t.IsString() && ct.IsString() && mul == 1:
		if t.Kind == catalog.Bpchar {
			if op != opEQ {
				return maybe
			}
			cb := trimSpaces(c.b)
			p.use(ci)
			return pnode{kind: pnCharEq, col: ci, cb: cb, hi: append(append([]byte(nil), cb...), '!')}
		}
		if ct.Kind == catalog.Bpchar {
			return maybe // trimmed by the cast: not exact
		}
		p.use(ci)
		return pnode{kind: pnCmpStr, col: ci, op: op, cb: c.b}
	}
	return maybe
}

// sameRepr reports whether values of a and b compare by their physical
// representation.
func sameRepr(a, b catalog.Type) bool {
	switch {
	case a.IsInt64Backed() && b.IsInt64Backed():
		return scaleOf(a) == scaleOf(b) && (a.Kind == catalog.Date) == (b.Kind == catalog.Date) &&
			(a.Kind == catalog.Timestamp) == (b.Kind == catalog.Timestamp) &&
			(a.Kind == catalog.TimestampTZ) == (b.Kind == catalog.TimestampTZ)
	case a.IsString() && b.IsString():
		return (a.Kind == catalog.Bpchar) == (b.Kind == catalog.Bpchar)
	}
	return false
}

// exactCast reports whether casting from → to keeps values and order
// without error, and the factor it multiplies int64-backed values by.
func exactCast(from, to catalog.Type) (int64, bool) {
	switch {
	case from == to:
		return 1, true
	case from.IsInteger() && to.IsInteger():
		if intRank(to.Kind) >= intRank(from.Kind) {
			return 1, true
		}
	case from.IsInteger() && to.Kind == catalog.Numeric && !to.IsDynamicNumeric() && to.Precision == 0:
		return pow10i(to.Scale)
	case from.Kind == catalog.Numeric && !from.IsDynamicNumeric() && to.Kind == catalog.Numeric && to.Scale >= from.Scale && to.Precision == 0:
		return pow10i(to.Scale - from.Scale)
	case from.Kind == catalog.Date && to.Kind == catalog.Timestamp:
		return 86400e6, true
	case from.IsString() && to.IsString() && to.Length == 0:
		// Values unchanged unless CHAR's padding is stripped (to text).
		if from.Kind != catalog.Bpchar || to.Kind == catalog.Bpchar {
			return 1, true
		}
	}
	return 0, false
}

func intRank(k catalog.Kind) int {
	switch k {
	case catalog.Int2:
		return 1
	case catalog.Int4:
		return 2
	}
	return 3
}

func pow10i(k int32) (int64, bool) {
	if k < 0 || k > 18 {
		return 0, false
	}
	m := int64(1)
	for range k {
		m *= 10
	}
	return m, true
}

func hasColumnRef(e *plan.Expr) bool {
	if e.Kind == plan.ColumnRef || e.Kind == plan.Subquery {
		return true
	}
	for _, a := range e.Args {
		if hasColumnRef(a) {
			return true
		}
	}
	return false
}

type folded struct {
	null bool
	i    int64
	b    []byte
}

// foldConst evaluates a column-free expression.
func foldConst(e *plan.Expr) (folded, bool) {
	if e.Kind == plan.Const && e.Value.Null {
		return folded{null: true}, true
	}
	p := physOf(e.Type)
	if p != pI64 && p != pStr {
		return folded{}, false
	}
	if p == pStr && isDynamic(e.Type) {
		return folded{}, false
	}
	n, err := compile(e)
	if err != nil {
		return folded{}, false
	}
	var v *vec.Vector
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = errPruneFold
			}
		}()
		v, err = n.eval(&vec.Batch{N: 1})
		return err
	}()
	if err != nil || v == nil || v.Len() < 1 {
		return folded{}, false
	}
	if v.IsNull(0) {
		return folded{null: true}, true
	}
	if p == pI64 {
		return folded{i: v.I64[0]}, true
	}
	return folded{b: append([]byte(nil), v.Bytes(0)...)}, true
}

var errPruneFold = &pruneError{}

type pruneError struct{}

func (*pruneError) Error() string { return "executor: cannot fold constant" }
