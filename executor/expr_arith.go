package executor

import (
	"math"
	"math/bits"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Arithmetic. Integer, numeric (scaled int64), date and timestamp results
// run through intArith: one loop per (op, column/constant shape) that
// accumulates an overflow flag without branching; only when the flag (or
// the result type's range check) trips does a slow per-row pass find the
// offending row, so NULL rows holding junk never raise errors. Numeric
// multiplication changing scale and numeric division use 128-bit
// intermediates per row. Floats run through floatArith.

func isFloat(t catalog.Type) bool { return t.Kind == catalog.Float4 || t.Kind == catalog.Float8 }

func newArith(e *plan.Expr) (node, error) {
	if n, ok, err := newDateArith(e); ok {
		return n, err
	}
	rt := e.Type
	a, b := e.Args[0], e.Args[1]
	op := e.Op[0]
	if n, ok, err := newDynArithFor(e); ok {
		return n, err
	}
	switch {
	case isDynamic(rt):
		for _, x := range []*plan.Expr{a, b} {
			if !x.Type.IsInt64Backed() && x.Type.Kind != catalog.Unknown {
				return nil, sqlerr.Errorf(sqlerr.DatatypeMismatch, "executor: numeric / with %s argument", x.Type)
			}
		}
		return newNumMulDiv(op, rt, a, b)
	case isFloat(rt):
		if !isFloat(a.Type) {
			a = plan.CastOf(a, catalog.TypeFloat8)
		}
		if !isFloat(b.Type) {
			b = plan.CastOf(b, catalog.TypeFloat8)
		}
		if op == '%' {
			return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s %% %s", a.Type, b.Type)
		}
		return newFloatArith(op, rt, a, b)
	case rt.Kind == catalog.Numeric:
		for _, x := range []*plan.Expr{a, b} {
			if !x.Type.IsInt64Backed() && x.Type.Kind != catalog.Unknown {
				return nil, sqlerr.Errorf(sqlerr.DatatypeMismatch, "executor: numeric %c with %s argument", op, x.Type)
			}
		}
		rs := rt.Scale
		switch op {
		case '+', '-', '%':
			if scaleOf(a.Type) != rs {
				a = plan.CastOf(a, catalog.NumericType(0, rs))
			}
			if scaleOf(b.Type) != rs {
				b = plan.CastOf(b, catalog.NumericType(0, rs))
			}
			return newIntArith(op, rt, a, b)
		case '*':
			if scaleOf(a.Type)+scaleOf(b.Type) == rs {
				return newIntArith(op, rt, a, b)
			}
			return newNumMulDiv(op, rt, a, b)
		case '/':
			return newNumMulDiv(op, rt, a, b)
		}
	case rt.IsInt64Backed():
		for _, x := range []*plan.Expr{a, b} {
			if scaleOf(x.Type) != 0 || isFloat(x.Type) || x.Type.IsString() || x.Type.Kind == catalog.Bool {
				return nil, sqlerr.Errorf(sqlerr.DatatypeMismatch, "executor: %s %c with %s argument", rt, op, x.Type)
			}
		}
		return newIntArith(op, rt, a, b)
	}
	return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", a.Type, e.Op, b.Type)
}

func newNeg(e *plan.Expr) (node, error) {
	a := e.Args[0]
	if isDynamic(e.Type) {
		return newDecSign(a, e.Type, true)
	}
	zero := plan.ConstOf(a.Type, plan.Datum{})
	if isFloat(e.Type) {
		if !isFloat(a.Type) {
			a = plan.CastOf(a, e.Type)
		}
		zero = plan.ConstOf(a.Type, plan.Datum{F: math.Copysign(0, -1)})
		return newFloatArith('-', e.Type, zero, a)
	}
	if !e.Type.IsInt64Backed() {
		return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: - %s", a.Type)
	}
	if scaleOf(a.Type) != scaleOf(e.Type) {
		a = plan.CastOf(a, e.Type)
	}
	zero.Type = e.Type
	return newIntArith('-', e.Type, zero, a)
}

// operand is one side of a binary kernel: a column or a constant.
type operand struct {
	n node
	c *constNode
}

func (o operand) isNullConst() bool { return o.c != nil && o.c.d.Null }

func compileOperands(a, b *plan.Expr) (operand, operand, error) {
	na, err := compile(a)
	if err != nil {
		return operand{}, operand{}, err
	}
	nb, err := compile(b)
	if err != nil {
		return operand{}, operand{}, err
	}
	return operand{na, asConst(na)}, operand{nb, asConst(nb)}, nil
}

// evalOperands evaluates the non-constant operands; a constant's vector is
// nil. allNull reports a NULL constant (the result is all NULL).
func evalOperands(a, b operand, bt *vec.Batch) (av, bv *vec.Vector, allNull bool, err error) {
	if a.isNullConst() || b.isNullConst() {
		return nil, nil, true, nil
	}
	if a.c == nil {
		if av, err = a.n.eval(bt); err != nil {
			return
		}
	}
	if b.c == nil {
		if bv, err = b.n.eval(bt); err != nil {
			return
		}
	}
	return
}

func nullsOf(v *vec.Vector) []bool {
	if v == nil {
		return nil
	}
	return v.Nulls
}

// intArith is + - * / % over int64-backed values of one scale.
type intArith struct {
	nodeMeta
	op     byte
	a, b   operand
	lo, hi int64
	narrow bool // result narrower than int64: range-check it
	rerr   error
	out    vecBuf
}

func newIntArith(op byte, rt catalog.Type, a, b *plan.Expr) (node, error) {
	oa, ob, err := compileOperands(a, b)
	if err != nil {
		return nil, err
	}
	n := &intArith{op: op, a: oa, b: ob, rerr: rangeErr(rt.Kind)}
	n.nodeMeta = metaOf(rt, true, oa.n, ob.n)
	n.lo, n.hi = intBounds(rt.Kind)
	if lim := numericLimit(rt); lim != 0 {
		n.lo, n.hi = -lim+1, lim-1
		n.rerr = numericFieldOverflow(rt)
	}
	n.narrow = n.lo != math.MinInt64 || n.hi != math.MaxInt64
	n.out.init(rt)
	return n, nil
}

func (n *intArith) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	av, bv, allNull, err := evalOperands(n.a, n.b, bt)
	if err != nil {
		return nil, err
	}
	if allNull {
		n.out.setAllNull(rows)
		return &n.out.Vector, nil
	}
	r := n.out.i64(rows)
	n.out.unionNulls(nullsOf(av), nullsOf(bv), rows)
	nulls := n.out.Nulls
	suspect := false
	switch {
	case av != nil && bv != nil:
		x, y := av.I64[:rows], bv.I64[:rows]
		switch n.op {
		case '+':
			suspect = addVV(r, x, y)
		case '-':
			suspect = subVV(r, x, y)
		case '*':
			suspect = mulVV(r, x, y)
		case '/':
			if i := divVV(r, x, y, nulls); i >= 0 {
				return nil, n.divErr(y[i])
			}
		case '%':
			if i := modVV(r, x, y, nulls); i >= 0 {
				return nil, errDivByZero
			}
		}
	case bv != nil: // constant ⊕ column
		c, y := n.a.c.d.I, bv.I64[:rows]
		switch n.op {
		case '+':
			suspect = addVC(r, y, c)
		case '-':
			suspect = subCV(r, c, y)
		case '*':
			suspect = mulVC(r, y, c)
		case '/':
			if i := divCV(r, c, y, nulls); i >= 0 {
				return nil, n.divErr(y[i])
			}
		case '%':
			if i := modCV(r, c, y, nulls); i >= 0 {
				return nil, errDivByZero
			}
		}
	case av != nil: // column ⊕ constant
		x, c := av.I64[:rows], n.b.c.d.I
		switch n.op {
		case '+':
			suspect = addVC(r, x, c)
		case '-':
			suspect = subVC(r, x, c)
		case '*':
			suspect = mulVC(r, x, c)
		case '/':
			if c == 0 {
				if nulls == nil || !allTrue(nulls) {
					return nil, errDivByZero
				}
				clear(r)
				break
			}
			suspect = divVC(r, x, c)
		case '%':
			if c == 0 {
				if nulls == nil || !allTrue(nulls) {
					return nil, errDivByZero
				}
				clear(r)
				break
			}
			modVC(r, x, c)
		}
	default: // both constant
		x, y := n.a.c.d.I, n.b.c.d.I
		v, ok := intOp(n.op, x, y)
		if !ok {
			if (n.op == '/' || n.op == '%') && y == 0 {
				return nil, errDivByZero
			}
			return nil, n.rerr
		}
		for i := range r {
			r[i] = v
		}
	}
	if n.narrow && !suspect {
		suspect = outOfRange(r, n.lo, n.hi)
	}
	if suspect {
		if err := n.recheck(av, bv, rows); err != nil {
			return nil, err
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

func (n *intArith) divErr(divisor int64) error {
	if divisor == 0 {
		return errDivByZero
	}
	return n.rerr
}

// recheck recomputes row by row with exact checks, skipping NULL rows.
func (n *intArith) recheck(av, bv *vec.Vector, rows int) error {
	r, nulls := n.out.I64, n.out.Nulls
	for i := range rows {
		if nulls != nil && nulls[i] {
			r[i] = 0
			continue
		}
		var x, y int64
		if av != nil {
			x = av.I64[i]
		} else {
			x = n.a.c.d.I
		}
		if bv != nil {
			y = bv.I64[i]
		} else {
			y = n.b.c.d.I
		}
		v, ok := intOp(n.op, x, y)
		if !ok || v < n.lo || v > n.hi {
			if !ok && (n.op == '/' || n.op == '%') && y == 0 {
				return errDivByZero
			}
			return n.rerr
		}
		r[i] = v
	}
	return nil
}

// intOp is one checked integer operation.
func intOp(op byte, x, y int64) (int64, bool) {
	switch op {
	case '+':
		s := x + y
		return s, (s^x)&(s^y) >= 0
	case '-':
		s := x - y
		return s, (x^y)&(s^x) >= 0
	case '*':
		hi, lo := bits.Mul64(uabs(x), uabs(y))
		if hi != 0 {
			return 0, false
		}
		if (x < 0) != (y < 0) {
			if lo > 1<<63 {
				return 0, false
			}
			return -int64(lo), true
		}
		return int64(lo), lo <= math.MaxInt64
	case '/':
		if y == 0 || (y == -1 && x == math.MinInt64) {
			return 0, false
		}
		return x / y, true
	case '%':
		if y == 0 {
			return 0, false
		}
		return x % y, true
	}
	return 0, false
}

func allTrue(b []bool) bool {
	for _, x := range b {
		if !x {
			return false
		}
	}
	return true
}

func outOfRange(r []int64, lo, hi int64) bool {
	bad := false
	for _, x := range r {
		bad = bad || x < lo || x > hi
	}
	return bad
}

func addVV(r, a, b []int64) bool {
	a, b = a[:len(r)], b[:len(r)]
	var ov int64
	for i := range r {
		x, y := a[i], b[i]
		s := x + y
		ov |= (s ^ x) & (s ^ y)
		r[i] = s
	}
	return ov < 0
}

func addVC(r, a []int64, c int64) bool {
	a = a[:len(r)]
	var ov int64
	for i := range r {
		x := a[i]
		s := x + c
		ov |= (s ^ x) & (s ^ c)
		r[i] = s
	}
	return ov < 0
}

func subVV(r, a, b []int64) bool {
	a, b = a[:len(r)], b[:len(r)]
	var ov int64
	for i := range r {
		x, y := a[i], b[i]
		s := x - y
		ov |= (x ^ y) & (s ^ x)
		r[i] = s
	}
	return ov < 0
}

func subVC(r, a []int64, c int64) bool {
	a = a[:len(r)]
	var ov int64
	for i := range r {
		x := a[i]
		s := x - c
		ov |= (x ^ c) & (s ^ x)
		r[i] = s
	}
	return ov < 0
}

func subCV(r []int64, c int64, b []int64) bool {
	b = b[:len(r)]
	var ov int64
	for i := range r {
		y := b[i]
		s := c - y
		ov |= (c ^ y) & (s ^ c)
		r[i] = s
	}
	return ov < 0
}

func mulVV(r, a, b []int64) bool {
	a, b = a[:len(r)], b[:len(r)]
	var ov uint64
	for i := range r {
		x, y := a[i], b[i]
		hi, lo := bits.Mul64(uabs(x), uabs(y))
		ov |= hi | lo>>63
		r[i] = x * y
	}
	return ov != 0
}

func mulVC(r, a []int64, c int64) bool {
	a = a[:len(r)]
	uc := uabs(c)
	var ov uint64
	for i := range r {
		x := a[i]
		hi, lo := bits.Mul64(uabs(x), uc)
		ov |= hi | lo>>63
		r[i] = x * c
	}
	return ov != 0
}

// divVV divides; it returns the first non-NULL row whose divisor is 0 or
// that overflows (MinInt64 / -1), or -1.
func divVV(r, a, b []int64, nulls []bool) int {
	a, b = a[:len(r)], b[:len(r)]
	for i := range r {
		x, y := a[i], b[i]
		if uint64(y)+1 <= 1 { // y is 0 or -1
			if nulls != nil && nulls[i] {
				r[i] = 0
				continue
			}
			if y == 0 || x == math.MinInt64 {
				return i
			}
			r[i] = -x
			continue
		}
		r[i] = x / y
	}
	return -1
}

func divCV(r []int64, c int64, b []int64, nulls []bool) int {
	b = b[:len(r)]
	for i := range r {
		y := b[i]
		if uint64(y)+1 <= 1 {
			if nulls != nil && nulls[i] {
				r[i] = 0
				continue
			}
			if y == 0 || c == math.MinInt64 {
				return i
			}
			r[i] = -c
			continue
		}
		r[i] = c / y
	}
	return -1
}

// divVC divides by a non-zero constant; it reports a possible overflow.
func divVC(r, a []int64, c int64) bool {
	a = a[:len(r)]
	if c == -1 {
		var ov bool
		for i := range r {
			ov = ov || a[i] == math.MinInt64
			r[i] = -a[i]
		}
		return ov
	}
	for i := range r {
		r[i] = a[i] / c
	}
	return false
}

func modVV(r, a, b []int64, nulls []bool) int {
	a, b = a[:len(r)], b[:len(r)]
	for i := range r {
		y := b[i]
		if y == 0 {
			if nulls != nil && nulls[i] {
				r[i] = 0
				continue
			}
			return i
		}
		r[i] = a[i] % y
	}
	return -1
}

func modCV(r []int64, c int64, b []int64, nulls []bool) int {
	b = b[:len(r)]
	for i := range r {
		y := b[i]
		if y == 0 {
			if nulls != nil && nulls[i] {
				r[i] = 0
				continue
			}
			return i
		}
		r[i] = c % y
	}
	return -1
}

func modVC(r, a []int64, c int64) {
	a = a[:len(r)]
	for i := range r {
		r[i] = a[i] % c
	}
}

// numMulDiv is numeric multiplication with a scale change, or numeric
// division, through 128-bit intermediates.
type numMulDiv struct {
	nodeMeta
	op     byte
	a, b   operand
	sa, sb int32
	rs     int32
	dyn    bool // dynamic-scale result (decimal text, PostgreSQL's scale)
	lim    int64
	rerr   error
	out    vecBuf
}

func newNumMulDiv(op byte, rt catalog.Type, a, b *plan.Expr) (node, error) {
	oa, ob, err := compileOperands(a, b)
	if err != nil {
		return nil, err
	}
	n := &numMulDiv{op: op, a: oa, b: ob, sa: scaleOf(a.Type), sb: scaleOf(b.Type), rs: rt.Scale, dyn: isDynamic(rt), lim: numericLimit(rt), rerr: errNumericOverflow}
	if n.lim != 0 {
		n.rerr = numericFieldOverflow(rt)
	}
	n.nodeMeta = metaOf(rt, true, oa.n, ob.n)
	n.out.init(rt)
	return n, nil
}

func (n *numMulDiv) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	av, bv, allNull, err := evalOperands(n.a, n.b, bt)
	if err != nil {
		return nil, err
	}
	if allNull {
		n.out.setAllNull(rows)
		return &n.out.Vector, nil
	}
	if n.dyn {
		return n.evalDyn(av, bv, rows)
	}
	r := n.out.i64(rows)
	n.out.unionNulls(nullsOf(av), nullsOf(bv), rows)
	nulls := n.out.Nulls
	var ca, cb int64
	if av == nil {
		ca = n.a.c.d.I
	}
	if bv == nil {
		cb = n.b.c.d.I
	}
	for i := range r {
		if nulls != nil && nulls[i] {
			r[i] = 0
			continue
		}
		x, y := ca, cb
		if av != nil {
			x = av.I64[i]
		}
		if bv != nil {
			y = bv.I64[i]
		}
		var v int64
		var ok bool
		if n.op == '*' {
			v, ok = numMul(x, n.sa, y, n.sb, n.rs)
		} else {
			if y == 0 {
				return nil, errDivByZero
			}
			v, ok = numDiv(x, n.sa, y, n.sb, n.rs)
		}
		if !ok || (n.lim != 0 && (v >= n.lim || v <= -n.lim)) {
			return nil, n.rerr
		}
		r[i] = v
	}
	return &n.out.Vector, nil
}

// evalDyn divides into decimal text with PostgreSQL's per-value scale.
func (n *numMulDiv) evalDyn(av, bv *vec.Vector, rows int) (*vec.Vector, error) {
	o := &n.out
	o.resetStr()
	o.unionNulls(nullsOf(av), nullsOf(bv), rows)
	nulls := o.Nulls
	for i := range rows {
		if nulls == nil || !nulls[i] {
			x, y := n.a.constI(), n.b.constI()
			if av != nil {
				x = av.I64[i]
			}
			if bv != nil {
				y = bv.I64[i]
			}
			if y == 0 {
				return nil, errDivByZero
			}
			o.Data = appendDivDynamic(o.Data, x, n.sa, y, n.sb)
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

func (o operand) constI() int64 {
	if o.c == nil {
		return 0
	}
	return o.c.d.I
}

// decSignNode is neg or abs of a dynamic-scale numeric (decimal text).
type decSignNode struct {
	nodeMeta
	a   node
	neg bool
	out vecBuf
}

func newDecSign(arg *plan.Expr, t catalog.Type, neg bool) (node, error) {
	if !isDynamic(arg.Type) {
		arg = plan.CastOf(arg, t)
	}
	a, err := compile(arg)
	if err != nil {
		return nil, err
	}
	n := &decSignNode{nodeMeta: metaOf(t, false, a), a: a, neg: neg}
	n.out.init(t)
	return n, nil
}

func (n *decSignNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	o := &n.out
	o.resetStr()
	o.copyNulls(v.Nulls, b.N)
	for i := range b.N {
		x := v.Data[v.Offsets[i]:v.Offsets[i+1]]
		switch {
		case v.IsNull(i):
		case n.neg:
			o.Data = negateDecimal(o.Data, x)
		case len(x) > 0 && x[0] == '-':
			o.Data = append(o.Data, x[1:]...)
		default:
			o.Data = append(o.Data, x...)
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// floatArith is + - * / over float8 (float4 results are rounded to single
// precision). Infinite results from finite inputs raise 22003.
type floatArith struct {
	nodeMeta
	op   byte
	a, b operand
	f32  bool
	out  vecBuf
}

func newFloatArith(op byte, rt catalog.Type, a, b *plan.Expr) (node, error) {
	oa, ob, err := compileOperands(a, b)
	if err != nil {
		return nil, err
	}
	n := &floatArith{op: op, a: oa, b: ob, f32: rt.Kind == catalog.Float4}
	n.nodeMeta = metaOf(rt, true, oa.n, ob.n)
	n.out.init(rt)
	return n, nil
}

func (n *floatArith) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	av, bv, allNull, err := evalOperands(n.a, n.b, bt)
	if err != nil {
		return nil, err
	}
	if allNull {
		n.out.setAllNull(rows)
		return &n.out.Vector, nil
	}
	r := n.out.f64(rows)
	n.out.unionNulls(nullsOf(av), nullsOf(bv), rows)
	nulls := n.out.Nulls
	var x, y []float64
	var cx, cy float64
	if av != nil {
		x = av.F64[:rows]
	} else {
		cx = n.a.c.d.F
	}
	if bv != nil {
		y = bv.F64[:rows]
	} else {
		cy = n.b.c.d.F
	}
	switch {
	case x != nil && y != nil:
		switch n.op {
		case '+':
			for i := range r {
				r[i] = x[i] + y[i]
			}
		case '-':
			for i := range r {
				r[i] = x[i] - y[i]
			}
		case '*':
			for i := range r {
				r[i] = x[i] * y[i]
			}
		case '/':
			for i := range r {
				if y[i] == 0 && (nulls == nil || !nulls[i]) {
					return nil, errDivByZero
				}
				r[i] = x[i] / y[i]
			}
		}
	case y != nil:
		switch n.op {
		case '+':
			for i := range r {
				r[i] = cx + y[i]
			}
		case '-':
			for i := range r {
				r[i] = cx - y[i]
			}
		case '*':
			for i := range r {
				r[i] = cx * y[i]
			}
		case '/':
			for i := range r {
				if y[i] == 0 && (nulls == nil || !nulls[i]) {
					return nil, errDivByZero
				}
				r[i] = cx / y[i]
			}
		}
	case x != nil:
		switch n.op {
		case '+':
			for i := range r {
				r[i] = x[i] + cy
			}
		case '-':
			for i := range r {
				r[i] = x[i] - cy
			}
		case '*':
			for i := range r {
				r[i] = x[i] * cy
			}
		case '/':
			if cy == 0 && (nulls == nil || !allTrue(nulls)) {
				return nil, errDivByZero
			}
			for i := range r {
				r[i] = x[i] / cy
			}
		}
	default:
		var v float64
		switch n.op {
		case '+':
			v = cx + cy
		case '-':
			v = cx - cy
		case '*':
			v = cx * cy
		case '/':
			if cy == 0 {
				return nil, errDivByZero
			}
			v = cx / cy
		}
		for i := range r {
			r[i] = v
		}
	}
	if n.f32 {
		for i, v := range r {
			r[i] = float64(float32(v))
		}
	}
	// Overflow: an infinite result from finite operands.
	inf := false
	for _, v := range r {
		inf = inf || math.IsInf(v, 0)
	}
	if inf {
		for i, v := range r {
			if !math.IsInf(v, 0) || (nulls != nil && nulls[i]) {
				continue
			}
			xa, ya := cx, cy
			if x != nil {
				xa = x[i]
			}
			if y != nil {
				ya = y[i]
			}
			if !math.IsInf(xa, 0) && !math.IsInf(ya, 0) {
				return nil, errFloatOverflow
			}
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// absNode is abs(x).
type absNode struct {
	nodeMeta
	a    node
	lo   int64
	rerr error
	out  vecBuf
}

func newAbs(e *plan.Expr) (node, error) {
	arg := e.Args[0]
	if isDynamic(e.Type) {
		return newDecSign(arg, e.Type, false)
	}
	if arg.Type != e.Type {
		arg = plan.CastOf(arg, e.Type)
	}
	a, err := compile(arg)
	if err != nil {
		return nil, err
	}
	if !e.Type.IsNumeric() {
		return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "function abs(%s) does not exist", e.Type)
	}
	n := &absNode{nodeMeta: metaOf(e.Type, true, a), a: a, rerr: rangeErr(e.Type.Kind)}
	n.lo, _ = intBounds(e.Type.Kind)
	n.out.init(e.Type)
	return n, nil
}

func (n *absNode) eval(bt *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(bt)
	if err != nil {
		return nil, err
	}
	rows := bt.N
	n.out.copyNulls(v.Nulls, rows)
	if isFloat(n.typ) {
		r, x := n.out.f64(rows), v.F64[:rows]
		for i := range r {
			r[i] = math.Abs(x[i])
		}
		return &n.out.Vector, nil
	}
	r, x := n.out.i64(rows), v.I64[:rows]
	bad := false
	for i := range r {
		y := x[i]
		bad = bad || y == n.lo
		if y < 0 {
			y = -y
		}
		r[i] = y
	}
	if bad && n.lo != 0 {
		for i := range r {
			if x[i] == n.lo && !v.IsNull(i) {
				return nil, n.rerr
			}
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}
