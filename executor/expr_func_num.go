package executor

import (
	"bytes"
	"math"
	"math/big"
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Numeric functions with PostgreSQL's numeric.c result scales:
//
//	round/trunc(x, k)  scale max(k, 0), half away from zero (trunc: toward 0)
//	ceil/floor/sign    scale 0
//	sqrt(x)            16 significant digits, at least x's scale (numeric_sqrt)
//	exp(x)             16 - x·log10(e) digits, at least x's scale (numeric_exp)
//	ln(x), log(b, x)   from estimate_ln_dweight (numeric_ln, log_var)
//	power(x, y)        integer y: scale max(16, x's scale), exact then
//	                   rounded; otherwise as power_var (exp(y·ln x))
//	div(x, y)          trunc(x / y), scale 0
//
// Inputs are fixed-scale int64 numerics or dynamic decimal text. round,
// trunc, ceil, floor and sign over fixed scales with a constant k stay in
// int64; everything else works on decimal digits or big numbers.

type numFuncNode struct {
	nodeMeta
	op    string
	args  []node
	vs    []*vec.Vector
	scale []int32 // fixed scale of each argument, -1 when dynamic
	k     int64   // constant k of round/trunc (0 for ceil/floor/sign)
	kc    bool    // k is constant (or absent)
	calc  decCalc
	slots [2]big.Int
	buf   []byte
	out   vecBuf
}

func newNumFunc(e *plan.Expr) (node, error) {
	args, err := argNodes(e)
	if err != nil {
		return nil, err
	}
	n := &numFuncNode{op: e.Op, args: args, vs: make([]*vec.Vector, len(args)), kc: true}
	for i, a := range e.Args {
		t := a.Type
		switch {
		case (e.Op == "round" || e.Op == "trunc") && i == 1:
			if !t.IsInteger() {
				return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "function %s(numeric, %s) does not exist", e.Op, t)
			}
			if c := asConst(args[1]); c != nil {
				n.k = c.d.I
			} else {
				n.kc = false
			}
			n.scale = append(n.scale, 0)
		case isDynamic(t): // including numeric(p > 18, s): decimal text
			n.scale = append(n.scale, -1)
		case t.Kind == catalog.Numeric:
			n.scale = append(n.scale, t.Scale)
		default:
			return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", e.Op, t)
		}
	}
	if !isDynamic(e.Type) && (e.Type.Kind != catalog.Numeric || n.scale[0] < 0 || !n.kc) {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: %s cannot produce %s", e.Op, e.Type)
	}
	canErr := true
	switch e.Op {
	case "round", "trunc", "ceil", "floor", "sign":
		canErr = !isDynamic(e.Type)
	}
	n.nodeMeta = metaOf(e.Type, canErr, args...)
	n.out.init(e.Type)
	return n, nil
}

// arg returns row i of argument k as a decimal.
func (n *numFuncNode) arg(k, i int) (dec, error) {
	v := n.vs[k]
	if n.scale[k] < 0 {
		return n.calc.parse(v.Data[v.Offsets[i]:v.Offsets[i+1]], &n.slots[k])
	}
	return dec{m: v.I64[i], s: n.scale[k]}, nil
}

func (n *numFuncNode) eval(b *vec.Batch) (*vec.Vector, error) {
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	rows := b.N
	o := &n.out
	nl := strictNulls(o, n.vs, rows)
	if !isDynamic(n.typ) {
		r := o.i64(rows)
		if err := n.fixed(r, n.vs[0].I64[:rows], nl); err != nil {
			return nil, err
		}
		o.zeroNullSlots()
		return &o.Vector, nil
	}
	o.resetStr()
	for i := range rows {
		if nl != nil && nl[i] {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		var err error
		if o.Data, err = n.row(o.Data, i); err != nil {
			return nil, err
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// fixed computes round/trunc/ceil/floor/sign over a fixed-scale input into
// the fixed result scale.
func (n *numFuncNode) fixed(r, x []int64, nl []bool) error {
	s, rs, k := n.scale[0], n.typ.Scale, n.k
	if n.op == "sign" {
		for i, v := range x {
			switch {
			case v > 0:
				r[i] = 1
			case v < 0:
				r[i] = -1
			default:
				r[i] = 0
			}
		}
		return nil
	}
	if k >= int64(s) {
		for i, v := range x {
			y, ok := mulPow10(v, rs-s)
			if !ok && (nl == nil || !nl[i]) {
				return errNumericOverflow
			}
			r[i] = y
		}
		return nil
	}
	d := int64(s) - k // digits dropped
	if d > 18 {
		// |x| < 10^19 ≤ half of 10^d: everything rounds to 0 (only round
		// and trunc drop more than 18 digits).
		clear(r)
		return nil
	}
	p := pow10[d]
	for i, v := range x {
		q, rem := v/p, v%p
		switch n.op {
		case "round":
			if 2*uabs(rem) >= uint64(p) {
				if v < 0 {
					q--
				} else {
					q++
				}
			}
		case "ceil":
			if rem > 0 {
				q++
			}
		case "floor":
			if rem < 0 {
				q--
			}
		}
		if k < 0 {
			y, ok := mulPow10(q, int32(-k))
			if !ok && (nl == nil || !nl[i]) {
				return errNumericOverflow
			}
			q = y
		}
		r[i] = q
	}
	return nil
}

// row appends the dynamic result of row i.
func (n *numFuncNode) row(dst []byte, i int) ([]byte, error) {
	c := &n.calc
	x, err := n.arg(0, i)
	if err != nil {
		return dst, err
	}
	var y dec // the second argument of div, log and power
	if n.op == "div" || n.op == "log" || n.op == "power" {
		if y, err = n.arg(1, i); err != nil {
			return dst, err
		}
	}
	if x.sp != spFinite || y.sp != spFinite {
		r, err := c.specialFunc(n.op, x, y)
		if err != nil {
			return dst, err
		}
		return c.appendDec(dst, r), nil
	}
	switch n.op {
	case "round", "trunc", "ceil", "floor", "sign":
		k := n.k
		if !n.kc {
			k = n.vs[1].I64[i]
		}
		n.buf = c.appendDec(n.buf[:0], x)
		if n.op == "sign" {
			switch x.sign() {
			case 1:
				return append(dst, '1'), nil
			case -1:
				return append(dst, "-1"...), nil
			}
			return append(dst, '0'), nil
		}
		return appendRoundDec(dst, n.buf, k, n.op), nil
	case "div":
		y, err := n.arg(1, i)
		if err != nil {
			return dst, err
		}
		if y.sign() == 0 {
			return dst, errDivByZero
		}
		// x/y = (X·10^sy) / (Y·10^sx), truncated.
		num := c.mulPow10Big(&c.x, x.wide(&c.x), y.s)
		den := c.mulPow10Big(&c.y, y.wide(&c.y), x.s)
		c.q.Quo(num, den)
		return c.appendBig(dst, &c.q, 0), nil
	case "sqrt":
		if x.sign() < 0 {
			return dst, errSqrtNeg
		}
		w, _, _ := decNbase(c, x)
		sweight := (w+1)*4/2 - 1
		rs := clampScale(max(int64(16-sweight), int64(x.s)))
		prec := precFor(rs, int64(w*2+4))
		f := decFloat(c, x, prec)
		f.Sqrt(f)
		return appendFloatScaled(dst, f, rs), nil
	case "exp":
		xf := decFloat64(c, x)
		val := xf * 0.434294481903252
		val = max(min(val, 2000), -2000)
		rs := clampScale(max(int64(16-int(val)), int64(x.s)))
		// exp_var's guard: |x| >= NUMERIC_MAX_RESULT_SCALE·3 overflows or
		// is 0.
		if math.Abs(xf) >= 6000 {
			if xf > 0 {
				return dst, errNumericOverflow
			}
			return appendScaledDigits(dst, false, []byte{'0'}, int32(rs)), nil
		}
		prec := precFor(rs, int64(math.Abs(val))+int64(math.Abs(xf)/2.3)+8)
		f := bigExp(decFloat(c, x, prec), prec)
		return appendFloatScaled(dst, f, rs), nil
	case "ln", "log10", "log":
		base := dec{m: 10}
		if n.op == "log" {
			base = x
			if x, err = n.arg(1, i); err != nil {
				return dst, err
			}
		}
		for _, v := range []dec{base, x} {
			switch v.sign() {
			case 0:
				return dst, errLogZero
			case -1:
				return dst, errLogNeg
			}
		}
		var rs int64
		if n.op == "ln" {
			rs = clampScale(max(int64(16-lnDweight(c, x)), int64(x.s)))
		} else {
			rs = clampScale(max(int64(16-(lnDweight(c, x)-lnDweight(c, base))), int64(x.s), int64(base.s)))
		}
		prec := precFor(rs, 40)
		l := bigLn(decFloat(c, x, prec), prec)
		if n.op != "ln" {
			lb := bigLn(decFloat(c, base, prec), prec)
			if lb.Sign() == 0 {
				return dst, errDivByZero
			}
			l.Quo(l, lb)
		}
		return appendFloatScaled(dst, l, rs), nil
	case "power":
		y, err := n.arg(1, i)
		if err != nil {
			return dst, err
		}
		return n.power(dst, x, y)
	}
	return dst, sqlerr.Errorf(sqlerr.Internal, "executor: numeric function %s", n.op)
}

// specialFunc is a numeric function of NaN or an infinity (x, or y for
// the two-argument div, log and power), by numeric.c's rules, which for
// power are POSIX pow's.
func (c *decCalc) specialFunc(op string, x, y dec) (dec, error) {
	nan := dec{sp: spNaN}
	switch op {
	case "round", "trunc", "ceil", "floor":
		return x, nil
	case "sign":
		if x.sp == spNaN {
			return nan, nil
		}
		return dec{m: int64(x.sign())}, nil
	case "div":
		return specialArith('/', x, y)
	case "sqrt":
		if x.sp == spNInf {
			return dec{}, errSqrtNeg
		}
		return x, nil
	case "exp":
		if x.sp == spNInf {
			return dec{}, nil
		}
		return x, nil
	case "ln", "log10":
		if x.sp == spNInf {
			return dec{}, errLogNeg
		}
		return x, nil
	case "log": // log(x, y): base x
		switch {
		case x.sp == spNaN || y.sp == spNaN:
			return nan, nil
		case x.sign() < 0 || y.sign() < 0:
			return dec{}, errLogNeg
		case x.sign() == 0 || y.sign() == 0:
			return dec{}, errLogZero
		case x.sp == spPInf && y.sp == spPInf:
			return nan, nil
		case x.sp == spPInf:
			return dec{}, nil
		}
		return dec{sp: spPInf}, nil
	case "power":
		return c.specialPower(x, y)
	}
	return dec{}, sqlerr.Errorf(sqlerr.Internal, "executor: numeric function %s", op)
}

// specialPower is numeric_power's handling of NaN and infinite inputs.
func (c *decCalc) specialPower(x, y dec) (dec, error) {
	nan, zero, one, pinf := dec{sp: spNaN}, dec{}, dec{m: 1}, dec{sp: spPInf}
	// cmpAbs compares |d| (finite) with 1; isInt reports an integral
	// finite d and whether it is odd.
	cmpAbs := func(d dec) int {
		_, ip, fp := decParts(c.appendDec(c.digits[:0], d))
		if len(ip) == 1 && ip[0] == '1' && len(fp) == 0 {
			return 0
		}
		if len(ip) == 0 || len(ip) == 1 && ip[0] == '0' {
			return -1
		}
		return 1
	}
	isInt := func(d dec) (integral, odd bool) {
		_, ip, fp := decParts(c.appendDec(c.digits[:0], d))
		return len(fp) == 0, len(fp) == 0 && len(ip) > 0 && (ip[len(ip)-1]-'0')%2 == 1
	}
	isOne := func(d dec, sg int) bool { return d.sp == spFinite && d.sign() == sg && cmpAbs(d) == 0 }
	switch {
	case x.sp == spNaN: // NaN ^ 0 = 1
		if y.sp == spFinite && y.sign() == 0 {
			return one, nil
		}
		return nan, nil
	case y.sp == spNaN: // 1 ^ NaN = 1
		if isOne(x, 1) {
			return one, nil
		}
		return nan, nil
	}
	s1, s2 := x.sign(), y.sign()
	yInt, yOdd := true, false // an infinity counts as integral
	if y.sp == spFinite {
		yInt, yOdd = isInt(y)
	}
	switch {
	case s1 == 0 && s2 < 0:
		return dec{}, errPowZero
	case s1 < 0 && !yInt:
		return dec{}, errPowCplx
	case isOne(x, 1), s2 == 0:
		return one, nil
	case s1 == 0:
		return zero, nil
	case y.sp != spFinite: // x ^ ±Infinity
		if isOne(x, -1) {
			return one, nil
		}
		if (x.sp != spFinite || cmpAbs(x) > 0) == (s2 > 0) {
			return pinf, nil
		}
		return zero, nil
	case x.sp == spPInf:
		if s2 > 0 {
			return pinf, nil
		}
		return zero, nil
	case s2 < 0: // -Infinity ^ negative
		return zero, nil
	case yOdd:
		return dec{sp: spNInf}, nil
	}
	return pinf, nil
}

func (n *numFuncNode) power(dst []byte, x, y dec) ([]byte, error) {
	c := &n.calc
	if x.sign() == 0 && y.sign() < 0 {
		return dst, errPowZero
	}
	// An integral exponent: exact power, rounded to max(16, x's scale).
	yw := new(big.Int).Set(y.wide(&c.y))
	integral := true
	if y.s > 0 {
		p := new(big.Int).Exp(bigTen, big.NewInt(int64(y.s)), nil)
		var r big.Int
		yw.QuoRem(yw, p, &r)
		integral = r.Sign() == 0
	}
	if integral && yw.IsInt64() && yw.Int64() >= math.MinInt32 && yw.Int64() <= math.MaxInt32 {
		e := yw.Int64()
		rs := clampScale(max(16, int64(x.s)))
		ae := e
		if ae < 0 {
			ae = -ae
		}
		xd := float64(len(x.wide(&c.x).String()))
		if float64(ae)*xd < 200000 {
			num := new(big.Int).Exp(x.wide(&c.x), big.NewInt(ae), nil)
			den := new(big.Int).Exp(bigTen, big.NewInt(ae*int64(x.s)), nil)
			if e < 0 {
				num, den = den, num
				if den.Sign() < 0 {
					num.Neg(num)
					den.Neg(den)
				}
			}
			// round(num/den · 10^rs) half away from zero
			num.Mul(num, new(big.Int).Exp(bigTen, big.NewInt(rs), nil))
			q, r := new(big.Int).QuoRem(num, den, new(big.Int))
			r.Abs(r).Lsh(r, 1)
			if r.Cmp(new(big.Int).Abs(den)) >= 0 {
				if num.Sign() < 0 {
					q.Sub(q, big.NewInt(1))
				} else {
					q.Add(q, big.NewInt(1))
				}
			}
			return c.appendBig(dst, q, int32(rs)), nil
		}
	}
	if x.sign() < 0 {
		if !integral {
			return dst, errPowCplx
		}
	}
	if x.sign() == 0 {
		return append(dst, "0.0000000000000000"...), nil
	}
	xf, yf := decFloat64(c, x), decFloat64(c, y)
	val := math.Log(math.Abs(xf)) * yf
	if math.Abs(val) > 2000*3.01 {
		return dst, errNumericOverflow
	}
	val *= 0.434294481903252
	rs := clampScale(max(int64(16-int(val)), int64(x.s), int64(y.s)))
	prec := precFor(rs, int64(math.Abs(val))+int64(math.Abs(yf))+20)
	l := bigLn(decFloat(c, x, prec), prec)
	l.Mul(l, decFloat(c, y, prec))
	return appendFloatScaled(dst, bigExp(l, prec), rs), nil
}

func clampScale(s int64) int64 { return min(max(s, 0), 1000) }

// precFor is the binary precision that carries rs fraction digits and
// extra integer or guard digits.
func precFor(rs, extra int64) uint {
	return uint(float64(rs+extra+24)*3.33) + 64
}

// decFloat converts d to a big.Float of precision prec.
func decFloat(c *decCalc, d dec, prec uint) *big.Float {
	f := new(big.Float).SetPrec(prec).SetInt(d.wide(new(big.Int)))
	if d.s > 0 {
		p := new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(bigTen, big.NewInt(int64(d.s)), nil))
		f.Quo(f, p)
	}
	return f
}

func decFloat64(c *decCalc, d dec) float64 {
	f, _ := decFloat(c, d, 80).Float64()
	return f
}

// appendFloatScaled appends f rounded half away from zero to rs fraction
// digits.
func appendFloatScaled(dst []byte, f *big.Float, rs int64) []byte {
	p := new(big.Float).SetPrec(f.Prec()).SetInt(new(big.Int).Exp(bigTen, big.NewInt(rs), nil))
	g := new(big.Float).SetPrec(f.Prec()).Mul(f, p)
	neg := g.Sign() < 0
	g.Abs(g)
	half := new(big.Float).SetPrec(f.Prec()).SetFloat64(0.5)
	g.Add(g, half)
	q, _ := g.Int(nil)
	digits := q.Append(nil, 10)
	return appendScaledDigits(dst, neg, digits, int32(rs))
}

// decNbase returns the base-10000 weight and first two digits (0 when
// absent) of |d|, as PostgreSQL's NumericVar holds it.
func decNbase(c *decCalc, d dec) (weight int, d0, d1 int) {
	weight, d0, d1, _ = decNbaseN(c, d)
	return
}

// decNbaseN is decNbase that also returns the number of base-10000 digits
// (trailing zero digits stripped).
func decNbaseN(c *decCalc, d dec) (weight int, d0, d1, nd int) {
	digits := new(big.Int).Abs(d.wide(&c.x)).Append(nil, 10)
	if len(digits) == 1 && digits[0] == '0' {
		return 0, 0, 0, 0
	}
	// Pad the integer part to a multiple of 4 digits on the left.
	intLen := len(digits) - int(d.s)
	lead := ((intLen % 4) + 4) % 4
	if lead != 0 {
		lead = 4 - lead
	}
	pad := make([]byte, 0, len(digits)+8)
	for range lead {
		pad = append(pad, '0')
	}
	pad = append(pad, digits...)
	weight = int(floorDiv(int64(intLen+lead), 4)) - 1
	for len(pad)%4 != 0 {
		pad = append(pad, '0')
	}
	groups := make([]int, 0, len(pad)/4)
	for i := 0; i < len(pad); i += 4 {
		g, _ := strconv.Atoi(string(pad[i : i+4]))
		groups = append(groups, g)
	}
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) > 0 {
		d0 = groups[0]
	}
	if len(groups) > 1 {
		d1 = groups[1]
	}
	return weight, d0, d1, len(groups)
}

// lnDweight is PostgreSQL's estimate_ln_dweight for d > 0.
func lnDweight(c *decCalc, d dec) int {
	// 0.9 <= d <= 1.1: ln(d) ~ d - 1.
	f := decFloat64(c, d)
	if f >= 0.89 && f <= 1.11 {
		lo, hi := dec{m: 9, s: 1}, dec{m: 11, s: 1}
		if cmpDec(c, d, lo) >= 0 && cmpDec(c, d, hi) <= 0 {
			var t big.Int
			one := c.mulPow10Big(&t, big.NewInt(1), d.s)
			x := new(big.Int).Sub(d.wide(&c.x), one)
			if x.Sign() == 0 {
				return 0
			}
			w, d0, _ := decNbase(c, dec{w: x, s: d.s})
			return w*4 + int(math.Log10(float64(d0)))
		}
	}
	w, d0, d1, nd := decNbaseN(c, d)
	digits := d0
	dweight := w * 4
	if nd > 1 {
		digits = digits*10000 + d1
		dweight -= 4
	}
	lnv := math.Log(float64(digits)) + float64(dweight)*2.302585092994046
	return int(math.Log10(math.Abs(lnv)))
}

func cmpDec(c *decCalc, a, b dec) int {
	s := max(a.s, b.s)
	x := c.mulPow10Big(new(big.Int), a.wide(new(big.Int)), s-a.s)
	y := c.mulPow10Big(new(big.Int), b.wide(new(big.Int)), s-b.s)
	return x.Cmp(y)
}

// bigLn returns ln(x) for x > 0.
func bigLn(x *big.Float, prec uint) *big.Float {
	m := new(big.Float).SetPrec(prec)
	e := x.MantExp(m) // x = m · 2^e, m in [0.5, 1)
	l := atanh2(new(big.Float).SetPrec(prec).Quo(
		new(big.Float).SetPrec(prec).Sub(m, big.NewFloat(1)),
		new(big.Float).SetPrec(prec).Add(m, big.NewFloat(1))), prec)
	if e != 0 {
		ln2 := atanh2(new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), big.NewFloat(3)), prec)
		ln2.Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(int64(e)))
		l.Add(l, ln2)
	}
	return l
}

// atanh2 returns 2·atanh(z) = ln((1+z)/(1-z)) for |z| <= 1/3.
func atanh2(z *big.Float, prec uint) *big.Float {
	sum := new(big.Float).SetPrec(prec).Set(z)
	z2 := new(big.Float).SetPrec(prec).Mul(z, z)
	term := new(big.Float).SetPrec(prec).Set(z)
	t := new(big.Float).SetPrec(prec)
	for k := int64(3); ; k += 2 {
		term.Mul(term, z2)
		t.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		if t.Sign() == 0 || t.MantExp(nil) < sum.MantExp(nil)-int(prec)-4 {
			break
		}
		sum.Add(sum, t)
	}
	return sum.Mul(sum, big.NewFloat(2))
}

// bigExp returns e^x.
func bigExp(x *big.Float, prec uint) *big.Float {
	ln2 := atanh2(new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), big.NewFloat(3)), prec)
	kf := new(big.Float).SetPrec(prec).Quo(x, ln2)
	k, _ := kf.Int64()
	r := new(big.Float).SetPrec(prec).Sub(x, new(big.Float).SetPrec(prec).Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(k)))
	const halvings = 8
	r.SetMantExp(r, -halvings)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(i))
		if term.Sign() == 0 || term.MantExp(nil) < -int(prec)-4 {
			break
		}
		sum.Add(sum, term)
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(k))
}

// appendRoundDec appends decimal text x rounded to k fraction digits by
// mode (round: half away from zero; trunc; ceil; floor), written with
// max(k, 0) fraction digits.
func appendRoundDec(dst, x []byte, k int64, mode string) []byte {
	neg, ip, fp := decParts(x)
	var buf [64]byte
	// A leading 0 takes a carry out of the first digit (9.96 → 10.0).
	all := append(append(append(buf[:0], '0'), ip...), fp...)
	keep := int64(len(ip)) + 1 + k
	nonzero := func(b []byte) bool {
		for _, c := range b {
			if c != '0' {
				return true
			}
		}
		return false
	}
	var kept []byte
	inc := false
	switch {
	case k >= int64(len(fp)):
		kept = all
		for range k - int64(len(fp)) {
			kept = append(kept, '0')
		}
	case keep <= 0:
		kept = nil
		switch mode {
		case "round":
			inc = keep == 0 && len(all) > 0 && all[0] >= '5'
		case "ceil":
			inc = !neg && nonzero(all)
		case "floor":
			inc = neg && nonzero(all)
		}
	default:
		var dropped []byte
		kept, dropped = all[:keep], all[keep:]
		switch mode {
		case "round":
			inc = dropped[0] >= '5'
		case "ceil":
			inc = !neg && nonzero(dropped)
		case "floor":
			inc = neg && nonzero(dropped)
		}
	}
	if inc {
		i := len(kept) - 1
		for ; i >= 0; i-- {
			if kept[i] == '9' {
				kept[i] = '0'
				continue
			}
			kept[i]++
			break
		}

	}
	for len(kept) > 0 && kept[0] == '0' {
		kept = kept[1:]
	}
	if len(kept) == 0 {
		kept = append(kept, '0')
	}
	rs := max(k, 0)
	if k < 0 && !(len(kept) == 1 && kept[0] == '0') {
		for range -k {
			kept = append(kept, '0')
		}
	}
	return appendScaledDigits(dst, neg, kept, int32(rs))
}

// newScaleFunc compiles scale(x) (the display scale), min_scale(x) (the
// fraction digits x needs) and trim_scale(x) (x with those digits): NULL
// for NaN and the infinities, which trim_scale returns as they are.
func newScaleFunc(e *plan.Expr) (node, error) {
	if len(e.Args) != 1 || e.Args[0].Type.Kind != catalog.Numeric {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: %s takes one numeric", e.Op)
	}
	xt := e.Args[0].Type
	var buf []byte
	return newRowFunc(e, true, false, func(ds []plan.Datum) (plan.Datum, error) {
		x := []byte(ds[0].S)
		if !isDynamic(xt) {
			buf = pgtype.AppendNumeric(buf[:0], ds[0].I, xt.Scale)
			x = buf
		}
		if specialOf(x) != spFinite {
			if e.Op == "trim_scale" {
				return plan.Datum{S: string(x)}, nil
			}
			return plan.Datum{Null: true}, nil
		}
		_, _, fp := decParts(x) // fp without trailing zeros
		switch e.Op {
		case "scale":
			scale := 0
			if i := bytes.IndexByte(x, '.'); i >= 0 {
				scale = len(x) - i - 1
			}
			return plan.Datum{I: int64(scale)}, nil
		case "min_scale":
			return plan.Datum{I: int64(len(fp))}, nil
		}
		return plan.Datum{S: string(canonDecimal(x))}, nil
	})
}
