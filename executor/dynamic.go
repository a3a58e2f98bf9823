package executor

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Arithmetic over dynamic-scale numerics, with PostgreSQL's result scales
// (numeric.c). Every value carries its own display scale (dscale): the
// number of fraction digits of its text, a fixed numeric's type scale, 0
// for an integer. Per value:
//
//	a + b, a - b   scale max(dscale a, dscale b), exact (add_var)
//	a * b          scale dscale a + dscale b, exact (mul_var)
//	a / b          select_div_scale: at least 16 significant digits and no
//	               fewer fraction digits than either input, capped at 1000,
//	               rounded half away from zero (div_var)
//	a % b          scale max(dscale a, dscale b): a - trunc(a/b)·b (mod_var)
//
// Values are decimals m·10^-s with m an int64 when it fits and a big.Int
// otherwise, so nothing overflows; only dynamic values take this path.

// dec is the decimal m·10^-s; when w is non-nil it is the mantissa and m is
// unused. sp marks NaN and the infinities (then m, w and s are unused).
type dec struct {
	m  int64
	w  *big.Int
	s  int32
	sp special
}

// decCalc holds the scratch space of decimal arithmetic, reused row after
// row.
type decCalc struct {
	wa, wb          big.Int // wide mantissas of parsed operands
	x, y, q, r, t   big.Int
	digits, digits2 []byte
}

var (
	bigTen = big.NewInt(10)
	// errBadDecimal: dynamic-scale text that is not a plain decimal (not
	// produced by the executor).
	errBadDecimal = sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric")
)

// parse reads decimal text ([-+]digits[.digits]); mantissas beyond int64
// go to slot.
func (c *decCalc) parse(x []byte, slot *big.Int) (dec, error) {
	if sp := specialOf(x); sp != spFinite {
		return dec{sp: sp}, nil
	}
	neg := false
	if len(x) > 0 && (x[0] == '-' || x[0] == '+') {
		neg = x[0] == '-'
		x = x[1:]
	}
	var u uint64
	var s int32
	frac, wide, any := false, false, false
	for _, ch := range x {
		switch {
		case ch == '.' && !frac:
			frac = true
			continue
		case ch < '0' || ch > '9':
			return dec{}, errBadDecimal
		}
		any = true
		if frac {
			s++
		}
		if u > (math.MaxInt64-9)/10 {
			wide = true
			continue
		}
		u = u*10 + uint64(ch-'0')
	}
	if !any {
		return dec{}, errBadDecimal
	}
	if !wide {
		m := int64(u)
		if neg {
			m = -m
		}
		return dec{m: m, s: s}, nil
	}
	c.digits = c.digits[:0]
	if neg {
		c.digits = append(c.digits, '-')
	}
	for _, ch := range x {
		if ch != '.' {
			c.digits = append(c.digits, ch)
		}
	}
	if _, ok := slot.SetString(unsafeString(c.digits), 10); !ok {
		return dec{}, errBadDecimal
	}
	return dec{w: slot, s: s}, nil
}

// wide returns d's mantissa as a big integer (in slot when d is small).
func (d dec) wide(slot *big.Int) *big.Int {
	if d.w != nil {
		return d.w
	}
	return slot.SetInt64(d.m)
}

// sign returns -1, 0 or 1 (an infinity's sign; NaN has none and gives 0).
func (d dec) sign() int {
	if d.sp != spFinite {
		if d.sp == spNaN {
			return 0
		}
		return int(d.sp)
	}
	if d.w != nil {
		return d.w.Sign()
	}
	switch {
	case d.m < 0:
		return -1
	case d.m > 0:
		return 1
	}
	return 0
}

// mulPow10Big sets z = x·10^k (k ≥ 0).
func (c *decCalc) mulPow10Big(z, x *big.Int, k int32) *big.Int {
	if k <= 18 {
		return z.Mul(x, c.t.SetInt64(pow10[k]))
	}
	c.t.Exp(bigTen, c.t.SetInt64(int64(k)), nil)
	return z.Mul(x, &c.t)
}

// appendDec appends d as text with exactly d.s fraction digits.
func (c *decCalc) appendDec(dst []byte, d dec) []byte {
	if d.sp != spFinite {
		return append(dst, d.sp.text()...)
	}
	if d.w == nil {
		var buf [24]byte
		return appendScaledDigits(dst, d.m < 0, strconv.AppendUint(buf[:0], uabs(d.m), 10), d.s)
	}
	return c.appendBig(dst, d.w, d.s)
}

// appendBig appends x·10^-s.
func (c *decCalc) appendBig(dst []byte, x *big.Int, s int32) []byte {
	neg := x.Sign() < 0
	c.digits2 = c.t.Abs(x).Append(c.digits2[:0], 10)
	return appendScaledDigits(dst, neg, c.digits2, s)
}

// infOf is the infinity of sign sg (> 0: Infinity).
func infOf(sg int) dec {
	if sg < 0 {
		return dec{sp: spNInf}
	}
	return dec{sp: spPInf}
}

// specialArith is a ⊕ b when either is NaN or infinite, by numeric.c's
// rules: NaN in, NaN out (even NaN / 0); ∞ - ∞, ∞ · 0, ∞ / ∞ and ∞ % x are
// NaN; x / ∞ is 0 and x % ∞ is x; ∞ / 0 and ∞ % 0 divide by zero.
func specialArith(op byte, a, b dec) (dec, error) {
	if a.sp == spNaN || b.sp == spNaN {
		return dec{sp: spNaN}, nil
	}
	switch op {
	case '+', '-':
		bs := int(b.sp)
		if op == '-' {
			bs = -bs
		}
		switch {
		case a.sp == spFinite:
			return infOf(bs), nil
		case b.sp == spFinite || int(a.sp) == bs:
			return a, nil
		}
		return dec{sp: spNaN}, nil
	case '*':
		if a.sign() == 0 || b.sign() == 0 {
			return dec{sp: spNaN}, nil
		}
		return infOf(a.sign() * b.sign()), nil
	case '/':
		switch {
		case a.sp == spFinite:
			return dec{}, nil // x / ±∞ = 0
		case b.sp != spFinite:
			return dec{sp: spNaN}, nil
		case b.sign() == 0:
			return dec{}, errDivByZero
		}
		return infOf(a.sign() * b.sign()), nil
	case '%':
		switch {
		case a.sp == spFinite:
			return a, nil // x % ±∞ = x
		case b.sp == spFinite && b.sign() == 0:
			return dec{}, errDivByZero
		}
		return dec{sp: spNaN}, nil
	}
	return dec{}, sqlerr.Errorf(sqlerr.Internal, "executor: numeric operator %c", op)
}

// add sets the sum (or difference) of a and b, scale max(a.s, b.s).
func (c *decCalc) appendAdd(dst []byte, a, b dec, sub bool) []byte {
	rs := max(a.s, b.s)
	if a.w == nil && b.w == nil {
		x, ok1 := mulPow10(a.m, rs-a.s)
		y, ok2 := mulPow10(b.m, rs-b.s)
		if ok1 && ok2 {
			op := byte('+')
			if sub {
				op = '-'
			}
			if v, ok := intOp(op, x, y); ok {
				return c.appendDec(dst, dec{m: v, s: rs})
			}
		}
	}
	x := c.mulPow10Big(&c.x, a.wide(&c.x), rs-a.s)
	y := c.mulPow10Big(&c.y, b.wide(&c.y), rs-b.s)
	if sub {
		c.r.Sub(x, y)
	} else {
		c.r.Add(x, y)
	}
	return c.appendBig(dst, &c.r, rs)
}

// appendMul appends a·b, scale a.s + b.s.
func (c *decCalc) appendMul(dst []byte, a, b dec) []byte {
	rs := a.s + b.s
	if a.w == nil && b.w == nil {
		neg := (a.m < 0) != (b.m < 0) && a.m != 0 && b.m != 0
		hi, lo := bits.Mul64(uabs(a.m), uabs(b.m))
		var buf [48]byte
		return appendScaledDigits(dst, neg, appendU128(buf[:0], u128{hi, lo}), rs)
	}
	c.r.Mul(a.wide(&c.x), b.wide(&c.y))
	return c.appendBig(dst, &c.r, rs)
}

// decWeight returns the base-10000 weight and first base-10000 digit of
// the value whose absolute mantissa has the given decimal digits, scaled
// by 10^-s (0, 0 for zero), as PostgreSQL's NumericVar holds it.
func decWeight(digits []byte, s int32) (weight int, first int64) {
	if len(digits) == 0 || (len(digits) == 1 && digits[0] == '0') {
		return 0, 0
	}
	nd := len(digits)
	e10 := nd - 1 - int(s) // the leading digit is worth 10^e10
	weight = int(floorDiv(int64(e10), 4))
	l := e10 + 1 - 4*weight // leading decimal digits in the first base-10000 digit: 1..4
	for i := range l {
		first *= 10
		if i < nd {
			first += int64(digits[i] - '0')
		}
	}
	return weight, first
}

// divScaleDec is PostgreSQL's select_div_scale for any operands.
func (c *decCalc) divScaleDec(a, b dec) int32 {
	if a.w == nil && b.w == nil {
		return divScale(a.m, a.s, b.m, b.s)
	}
	c.digits = c.t.Abs(a.wide(&c.x)).Append(c.digits[:0], 10)
	w1, d1 := decWeight(c.digits, a.s)
	c.digits = c.t.Abs(b.wide(&c.y)).Append(c.digits[:0], 10)
	w2, d2 := decWeight(c.digits, b.s)
	qw := w1 - w2
	if d1 <= d2 {
		qw--
	}
	rs := int32(16 - qw*4)
	rs = max(rs, a.s, b.s, 0)
	return min(rs, 1000)
}

// appendDiv appends a/b with PostgreSQL's division scale, rounded half
// away from zero.
func (c *decCalc) appendDiv(dst []byte, a, b dec) ([]byte, error) {
	if a.sp != spFinite || b.sp != spFinite {
		r, err := specialArith('/', a, b)
		if err != nil {
			return dst, err
		}
		return c.appendDec(dst, r), nil
	}
	if b.sign() == 0 {
		return dst, errDivByZero
	}
	if a.w == nil && b.w == nil {
		return appendDivDynamic(dst, a.m, a.s, b.m, b.s), nil
	}
	rs := c.divScaleDec(a, b)
	neg := (a.sign() < 0) != (b.sign() < 0)
	// quotient digits = |a|·10^e / |b|
	e := rs + b.s - a.s
	n := c.x.Abs(a.wide(&c.x))
	d := c.y.Abs(b.wide(&c.y))
	if e >= 0 {
		n = c.mulPow10Big(n, n, e)
	} else {
		d = c.mulPow10Big(d, d, -e)
	}
	c.q.QuoRem(n, d, &c.r)
	if c.r.Lsh(&c.r, 1).Cmp(d) >= 0 {
		c.q.Add(&c.q, c.t.SetInt64(1))
	}
	if neg {
		c.q.Neg(&c.q)
	}
	return c.appendBig(dst, &c.q, rs), nil
}

// appendMod appends a - trunc(a/b)·b, scale max(a.s, b.s).
func (c *decCalc) appendMod(dst []byte, a, b dec) ([]byte, error) {
	if a.sp != spFinite || b.sp != spFinite {
		r, err := specialArith('%', a, b)
		if err != nil {
			return dst, err
		}
		return c.appendDec(dst, r), nil
	}
	if b.sign() == 0 {
		return dst, errDivByZero
	}
	rs := max(a.s, b.s)
	if a.w == nil && b.w == nil {
		x, ok1 := mulPow10(a.m, rs-a.s)
		y, ok2 := mulPow10(b.m, rs-b.s)
		if ok1 && ok2 && y != -1 {
			return c.appendDec(dst, dec{m: x % y, s: rs}), nil
		}
	}
	x := c.mulPow10Big(&c.x, a.wide(&c.x), rs-a.s)
	y := c.mulPow10Big(&c.y, b.wide(&c.y), rs-b.s)
	c.q.QuoRem(x, y, &c.r)
	return c.appendBig(dst, &c.r, rs), nil
}

// dynOperand is one side of dynArith: dynamic text, or an int64-backed
// integer or fixed numeric of scale s.
type dynOperand struct {
	n   node
	dyn bool
	s   int32
}

// dynArith is + - * / % where an operand or the result is a
// dynamic-scale numeric; the result is dynamic.
type dynArith struct {
	nodeMeta
	op   byte
	a, b dynOperand
	calc decCalc
	out  vecBuf
}

// newDynArith compiles a ⊕ b into a dynamic-scale result. Operands may be
// dynamic, fixed numerics, integers or untyped constants.
func newDynArith(op byte, a, b *plan.Expr) (node, error) {
	n := &dynArith{op: op}
	for i, x := range []*plan.Expr{a, b} {
		switch {
		case x.Type.Kind == catalog.Unknown, x.Type.IsString():
			x = plan.CastOf(x, catalog.TypeNumericDynamic)
		case isFloat(x.Type):
			// PostgreSQL would make the result float8; a plan asking for
			// numeric converts the float as a numeric cast does.
			x = plan.CastOf(x, catalog.TypeNumericDynamic)
		case isDynamic(x.Type), x.Type.IsInteger(), x.Type.Kind == catalog.Numeric:
		default:
			return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "operator does not exist: %s %c %s", a.Type, op, b.Type)
		}
		c, err := compile(x)
		if err != nil {
			return nil, err
		}
		o := dynOperand{n: c, dyn: isDynamic(x.Type), s: scaleOf(x.Type)}
		if i == 0 {
			n.a = o
		} else {
			n.b = o
		}
	}
	n.nodeMeta = metaOf(catalog.TypeNumericDynamic, true, n.a.n, n.b.n)
	n.out.init(catalog.TypeNumericDynamic)
	return n, nil
}

// value returns row i of operand o's vector v.
func (c *decCalc) value(o *dynOperand, v *vec.Vector, i int, slot *big.Int) (dec, error) {
	if !o.dyn {
		return dec{m: v.I64[i], s: o.s}, nil
	}
	return c.parse(v.Data[v.Offsets[i]:v.Offsets[i+1]], slot)
}

func (n *dynArith) eval(bt *vec.Batch) (*vec.Vector, error) {
	rows := bt.N
	av, err := n.a.n.eval(bt)
	if err != nil {
		return nil, err
	}
	bv, err := n.b.n.eval(bt)
	if err != nil {
		return nil, err
	}
	o := &n.out
	o.resetStr()
	o.unionNulls(av.Nulls, bv.Nulls, rows)
	nulls := o.Nulls
	c := &n.calc
	// A constant side is parsed once.
	ca, cb := asConst(n.a.n) != nil, asConst(n.b.n) != nil
	var x, y dec
	var haveA, haveB bool
	for i := range rows {
		if nulls != nil && nulls[i] {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		if !ca || !haveA {
			if x, err = c.value(&n.a, av, i, &c.wa); err != nil {
				return nil, err
			}
			haveA = true
		}
		if !cb || !haveB {
			if y, err = c.value(&n.b, bv, i, &c.wb); err != nil {
				return nil, err
			}
			haveB = true
		}
		if x.sp != spFinite || y.sp != spFinite {
			var r dec
			if r, err = specialArith(n.op, x, y); err != nil {
				return nil, err
			}
			o.Data = c.appendDec(o.Data, r)
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		switch n.op {
		case '+':
			o.Data = c.appendAdd(o.Data, x, y, false)
		case '-':
			o.Data = c.appendAdd(o.Data, x, y, true)
		case '*':
			o.Data = c.appendMul(o.Data, x, y)
		case '/':
			o.Data, err = c.appendDiv(o.Data, x, y)
		case '%':
			o.Data, err = c.appendMod(o.Data, x, y)
		}
		if err != nil {
			return nil, err
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// dynSum is the running sum of dynamic-scale numerics per group: the
// mantissa in m (or w once it outgrows int64) at scale sc, the largest
// scale seen (PostgreSQL's sum keeps the inputs' largest dscale).
type dynSum struct {
	m    []int64
	sc   []int32
	w    []*big.Int
	sp   []special // a sum that met NaN or an infinity is that (or NaN)
	calc decCalc
}

func (d *dynSum) grow(n int) {
	d.m = extend(d.m, n)
	d.sc = extend(d.sc, n)
	d.w = extend(d.w, n)
	d.sp = extend(d.sp, n)
}

// add folds the non-NULL values of v (dynamic text, or int64-backed of
// scale vs) into the groups' sums.
func (d *dynSum) add(has []bool, gids []int32, v *vec.Vector, n int) error {
	c := &d.calc
	dynIn := isDynamic(v.Type)
	vs := scaleOf(v.Type)
	for i := range n {
		if v.IsNull(i) {
			continue
		}
		g := int32(0)
		if gids != nil {
			g = gids[i]
		}
		var x dec
		if dynIn {
			var err error
			if x, err = c.parse(v.Data[v.Offsets[i]:v.Offsets[i+1]], &c.wa); err != nil {
				return err
			}
		} else {
			x = dec{m: v.I64[i], s: vs}
		}
		if !has[g] {
			d.clear(g)
			d.sc[g], has[g] = x.s, true
		}
		if x.sp != spFinite || d.sp[g] != spFinite {
			// Infinite or NaN from here on; finite values no longer count.
			r, _ := specialArith('+', dec{sp: d.sp[g]}, x)
			d.sp[g] = r.sp
			continue
		}
		d.addOne(g, x)
	}
	return nil
}

func (d *dynSum) addOne(g int32, x dec) {
	c := &d.calc
	if d.w[g] == nil && x.w == nil {
		if x.s == d.sc[g] {
			acc := d.m[g]
			if s := acc + x.m; (s^acc)&(s^x.m) >= 0 {
				d.m[g] = s
				return
			}
		}
		rs := max(d.sc[g], x.s)
		acc, ok1 := mulPow10(d.m[g], rs-d.sc[g])
		y, ok2 := mulPow10(x.m, rs-x.s)
		if ok1 && ok2 {
			if s, ok := intOp('+', acc, y); ok {
				d.m[g], d.sc[g] = s, rs
				return
			}
		}
	}
	if d.w[g] == nil {
		d.w[g] = new(big.Int).SetInt64(d.m[g])
	}
	acc := d.w[g]
	rs := max(d.sc[g], x.s)
	c.mulPow10Big(acc, acc, rs-d.sc[g])
	acc.Add(acc, c.mulPow10Big(&c.y, x.wide(&c.y), rs-x.s))
	d.sc[g] = rs
}

// clear empties group g's sum.
func (d *dynSum) clear(g int32) {
	d.m[g], d.sc[g], d.w[g], d.sp[g] = 0, 0, nil, spFinite
}

func (d *dynSum) get(g int) dec {
	return dec{m: d.m[g], w: d.w[g], s: d.sc[g], sp: d.sp[g]}
}

// emitSum writes the sums of groups [from, to) as dynamic text, NULL where
// no value was seen.
func (d *dynSum) emitSum(o *vecBuf, has []bool, from, to int) {
	nl := o.nullsLen(to - from)
	o.resetStr()
	for g := from; g < to; g++ {
		nl[g-from] = !has[g]
		if has[g] {
			o.Data = d.calc.appendDec(o.Data, d.get(g))
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	if !anyTrue(nl) {
		o.clearNulls()
	}
}

// emitAvg writes sum/count for groups [from, to) with PostgreSQL's
// division scale, NULL where the count is 0.
func (d *dynSum) emitAvg(o *vecBuf, cnt []int64, from, to int) error {
	nl := o.nullsLen(to - from)
	o.resetStr()
	for g := from; g < to; g++ {
		nl[g-from] = cnt[g] == 0
		if cnt[g] != 0 {
			var err error
			if o.Data, err = d.calc.appendDiv(o.Data, d.get(g), dec{m: cnt[g]}); err != nil {
				return err
			}
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	if !anyTrue(nl) {
		o.clearNulls()
	}
	return nil
}

// newDynArithFor compiles arithmetic with a dynamic-scale operand, or a
// dynamic-scale result other than a division of int64-backed values (which
// numMulDiv does); ok is false for anything else. A float result is left to
// floatArith (the dynamic side is cast to float8); another result type
// converts the dynamic result.
func newDynArithFor(e *plan.Expr) (n node, ok bool, err error) {
	rt, a, b, op := e.Type, e.Args[0], e.Args[1], e.Op[0]
	dynIn := isDynamic(a.Type) || isDynamic(b.Type)
	switch {
	case isFloat(rt):
		return nil, false, nil
	case isDynamic(rt) && (dynIn || op != '/'):
		n, err = newDynArith(op, a, b)
		return n, true, err
	case dynIn:
		n, err = compile(plan.CastOf(plan.CallOf(e.Op, catalog.TypeNumericDynamic, a, b), rt))
		return n, true, err
	}
	return nil, false, nil
}
