package executor

import (
	"math"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Scalar functions (planner/functions.go binds and types them as
// PostgreSQL 15 does). Ops:
//
//	numbers   round trunc ceil floor sign (float8, or numeric with the
//	          result scale in Type), sqrt exp ln log10 power (float8 or
//	          dynamic numeric), log(b, x) div (numeric)
//	strings   btrim ltrim rtrim strpos octet_length concat_func concat_ws
//	          replace left right lpad rpad reverse repeat split_part
//	          starts_with initcap md5 to_char format (expr_format.go)
//	dates     to_date make_date date_trunc
//	other     greatest least
//
// Every kernel loops over the batch in one node; constant arguments are
// prepared once when the node is compiled.

const (
	codeInvalidArgForLog   = "2201E" // invalid_argument_for_logarithm
	codeInvalidArgForPower = "2201F" // invalid_argument_for_power_function
)

var (
	errSqrtNeg   = sqlerr.New(codeInvalidArgForPower, "cannot take square root of a negative number")
	errLogZero   = sqlerr.New(codeInvalidArgForLog, "cannot take logarithm of zero")
	errLogNeg    = sqlerr.New(codeInvalidArgForLog, "cannot take logarithm of a negative number")
	errPowZero   = sqlerr.New(codeInvalidArgForPower, "zero raised to a negative power is undefined")
	errPowCplx   = sqlerr.New(codeInvalidArgForPower, "a negative number raised to a non-integer power yields a complex result")
	errUnderflow = sqlerr.New(codeNumericOutOfRange, "value out of range: underflow")
)

// compileFunc compiles the calls of this file; ok is false for other ops.
func compileFunc(e *plan.Expr) (n node, ok bool, err error) {
	switch e.Op {
	case "scale", "min_scale", "trim_scale":
		n, err = newScaleFunc(e)
		return n, true, err
	case "round", "trunc", "ceil", "floor", "sign", "sqrt", "exp", "ln", "log10", "power", "log", "div":
		if isFloat(e.Type) {
			n, err = newFloatFunc(e)
		} else {
			n, err = newNumFunc(e)
		}
		return n, true, err
	case "btrim", "ltrim", "rtrim", "strpos", "octet_length", "concat_func", "concat_ws", "replace",
		"left", "right", "lpad", "rpad", "reverse", "repeat", "split_part", "starts_with", "initcap", "md5":
		n, err = newStrFunc(e)
		return n, true, err
	case "to_char":
		n, err = newToChar(e)
		return n, true, err
	case "to_date", "make_date", "date_trunc":
		n, err = newDateFunc(e)
		return n, true, err
	case "greatest", "least":
		n, err = newGreatest(e)
		return n, true, err
	case "timezone":
		n, err = newAtTimeZone(e)
		return n, true, err
	case "timestamp_mi":
		n, err = newTimestampDiff(e)
		return n, true, err
	case "to_timestamp":
		n, err = newToTimestamp(e)
		return n, true, err
	case "clock_timestamp":
		c := &clockNode{nodeMeta: nodeMeta{typ: e.Type, volatile: true}}
		c.out.init(e.Type)
		return c, true, nil
	case "format":
		n, err = newFormat(e)
		return n, true, err
	}
	return nil, false, nil
}

// argNodes compiles e's arguments, each cast to its type in types when
// given (nil: as is).
func argNodes(e *plan.Expr, types ...catalog.Type) ([]node, error) {
	ns := make([]node, len(e.Args))
	for i, a := range e.Args {
		if i < len(types) && types[i].Kind != catalog.Unknown {
			a = plan.CastOf(a, types[i])
		}
		n, err := compile(a)
		if err != nil {
			return nil, err
		}
		ns[i] = n
	}
	return ns, nil
}

// evalArgs evaluates ns over b into vs.
func evalArgs(ns []node, vs []*vec.Vector, b *vec.Batch) error {
	for i, a := range ns {
		v, err := a.eval(b)
		if err != nil {
			return err
		}
		vs[i] = v
	}
	return nil
}

// strictNulls sets o's NULLs to the union of vs' NULLs (a strict function:
// NULL when any argument is) and returns them, nil for none.
func strictNulls(o *vecBuf, vs []*vec.Vector, n int) []bool {
	any := false
	for _, v := range vs {
		any = any || v.Nulls != nil
	}
	if !any {
		o.clearNulls()
		return nil
	}
	nl := o.nullsLen(n)
	for _, v := range vs {
		if v.Nulls != nil {
			for i, x := range v.Nulls[:n] {
				nl[i] = nl[i] || x
			}
		}
	}
	return nl
}

// ---- float8 functions ----

type floatFuncNode struct {
	nodeMeta
	op   string
	args []node
	vs   []*vec.Vector
	out  vecBuf
}

func newFloatFunc(e *plan.Expr) (node, error) {
	ts := make([]catalog.Type, len(e.Args))
	for i := range ts {
		ts[i] = catalog.TypeFloat8
	}
	args, err := argNodes(e, ts...)
	if err != nil {
		return nil, err
	}
	canErr := false
	switch e.Op {
	case "sqrt", "exp", "ln", "log10", "power":
		canErr = true
	case "round", "trunc", "ceil", "floor", "sign":
	default:
		return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "function %s(double precision) does not exist", e.Op)
	}
	n := &floatFuncNode{nodeMeta: metaOf(catalog.TypeFloat8, canErr, args...), op: e.Op, args: args, vs: make([]*vec.Vector, len(args))}
	n.out.init(catalog.TypeFloat8)
	return n, nil
}

func (n *floatFuncNode) eval(b *vec.Batch) (*vec.Vector, error) {
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	rows := b.N
	nl := strictNulls(&n.out, n.vs, rows)
	r := n.out.f64(rows)
	x := n.vs[0].F64[:rows]
	valid := func(i int) bool { return nl == nil || !nl[i] }
	switch n.op {
	case "round":
		for i := range r {
			r[i] = math.RoundToEven(x[i])
		}
	case "trunc":
		for i := range r {
			r[i] = math.Trunc(x[i])
		}
	case "ceil":
		for i := range r {
			r[i] = math.Ceil(x[i])
		}
	case "floor":
		for i := range r {
			r[i] = math.Floor(x[i])
		}
	case "sign":
		for i := range r {
			switch {
			case x[i] > 0:
				r[i] = 1
			case x[i] < 0:
				r[i] = -1
			default:
				r[i] = 0
			}
		}
	case "sqrt":
		for i := range r {
			if x[i] < 0 && valid(i) {
				return nil, errSqrtNeg
			}
			r[i] = math.Sqrt(x[i])
		}
	case "exp":
		for i := range r {
			y := math.Exp(x[i])
			if valid(i) && !math.IsNaN(x[i]) {
				if math.IsInf(y, 0) && !math.IsInf(x[i], 0) {
					return nil, errFloatOverflow
				}
				if y == 0 && !math.IsInf(x[i], 0) {
					return nil, errUnderflow
				}
			}
			r[i] = y
		}
	case "ln", "log10":
		for i := range r {
			if valid(i) {
				if x[i] == 0 {
					return nil, errLogZero
				}
				if x[i] < 0 {
					return nil, errLogNeg
				}
			}
			if n.op == "ln" {
				r[i] = math.Log(x[i])
			} else {
				r[i] = math.Log10(x[i])
			}
		}
	case "power":
		y := n.vs[1].F64[:rows]
		for i := range r {
			if !valid(i) {
				r[i] = 0
				continue
			}
			if x[i] == 0 && y[i] < 0 {
				return nil, errPowZero
			}
			if x[i] < 0 && math.Floor(y[i]) != y[i] && !math.IsInf(y[i], 0) {
				return nil, errPowCplx
			}
			p := math.Pow(x[i], y[i])
			if math.IsInf(p, 0) && !math.IsInf(x[i], 0) && !math.IsInf(y[i], 0) {
				return nil, errFloatOverflow
			}
			if p == 0 && x[i] != 0 && !math.IsInf(x[i], 0) && !math.IsInf(y[i], 0) {
				return nil, errUnderflow
			}
			r[i] = p
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}
